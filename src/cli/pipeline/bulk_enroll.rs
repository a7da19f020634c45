//! Enrolling many certificates (`batch --enroll`): bulk requests of at most 10 (`mode
//! create`), paced under the service's 1,000 operations a minute; an item the answer lists
//! as a conflict is then resolved one by one as `enroll` does (GET, compare thumbprints,
//! replace only when asked), so that a run over certificates enrolled before changes nothing.
//! For the batch: the certificate files written read back and enrolled, each row's outcome
//! a cell of the summary's `enrollment` column.

use crate::cli::dps::args::DpsArgs;
use crate::cli::dps::client::Client;
use crate::cli::error::Error;
use crate::cli::pipeline::enroll_step::{
    Enrolled, ToEnroll, enroll_after_conflict, read_certificate, service,
};
use dps_cert_gen::dps::bulk::{self, BulkItem, MAX_PER_REQUEST};
use dps_cert_gen::dps::connection_string::ConnectionString;
use dps_cert_gen::dps::enroll_flow::EnrollmentOutcome;
use dps_cert_gen::dps::enrollment::EnrollmentCertificate;
use std::path::PathBuf;
use std::time::Instant;

/// The summary cell of a row whose enrollment was not reached (the conversation with DPS
/// ended first).
pub(crate) const NOT_ATTEMPTED: &str = "not attempted";

/// What the summary's `enrollment` column says for `outcome`.
pub(crate) fn summary_cell(outcome: &EnrollmentOutcome) -> String {
    match outcome {
        EnrollmentOutcome::Created => "created".to_string(),
        EnrollmentOutcome::AlreadyEnrolled => "already enrolled".to_string(),
        EnrollmentOutcome::EnrolledWithOther(_) => "enrolled with another certificate".to_string(),
        EnrollmentOutcome::Replaced(_) => "replaced another certificate".to_string(),
        EnrollmentOutcome::Failed(e) => match e.code {
            Some(code) => format!("failed {code}"),
            None => format!("failed (HTTP {})", e.status),
        },
    }
}

/// A batch's enrollment: one summary cell per row, what became of each certificate, and
/// the error that ended the conversation early, if one did.
pub(crate) struct BatchEnrollment {
    /// One cell per row (empty for a row without a certificate).
    pub cells: Vec<String>,
    /// The certificates enrolled or refused, in order.
    pub done: Vec<Enrolled>,
    /// The host, for messages.
    pub host: String,
    /// What stopped the enrollment before its end.
    pub error: Option<Error>,
}

/// Enrolls the certificate files `files` names (one entry per row of the batch; `None` for
/// a row without one), in bulk, with `timeout` seconds for DPS beyond the pacing's own time.
pub(crate) fn enroll_files(
    connection: &ConnectionString,
    dps: &DpsArgs,
    timeout: u64,
    files: &[Option<PathBuf>],
) -> BatchEnrollment {
    let mut enrollment = BatchEnrollment {
        cells: vec![String::new(); files.len()],
        done: Vec::new(),
        host: connection.host().to_string(),
        error: None,
    };
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for (row, path) in files.iter().enumerate() {
        let Some(path) = path else { continue };
        match read_certificate(path) {
            Ok(item) => {
                items.push(item);
                rows.push(row);
            }
            Err(e) => {
                enrollment.error = Some(e);
                return enrollment;
            }
        }
    }
    if items.is_empty() {
        return enrollment;
    }
    for &row in &rows {
        if let Some(cell) = enrollment.cells.get_mut(row) {
            *cell = NOT_ATTEMPTED.to_string();
        }
    }
    // A GET for each conflict besides the bulk requests: the pacing's time is allowed on
    // top of --timeout.
    let pacing = bulk::pause_after(items.len().saturating_mul(2)).as_secs();
    let client = match service(connection, dps, timeout.saturating_add(pacing)) {
        Ok(c) => c,
        Err(e) => {
            enrollment.error = Some(e.into());
            return enrollment;
        }
    };
    let mut next = rows.iter();
    let cells = &mut enrollment.cells;
    let done = &mut enrollment.done;
    let result = enroll_in_bulk(&client, &items, false, &mut |e| {
        if let Some(cell) = next.next().and_then(|&row| cells.get_mut(row)) {
            *cell = summary_cell(&e.outcome);
        }
        done.push(e.clone());
        Ok(())
    });
    enrollment.error = result.err();
    enrollment
}

/// Enrolls `items` in bulk, handing each result to `report` as its request is answered.
pub(crate) fn enroll_in_bulk(
    client: &Client<'_>,
    items: &[ToEnroll],
    replace: bool,
    report: &mut dyn FnMut(&Enrolled) -> Result<(), Error>,
) -> Result<Vec<Enrolled>, Error> {
    let started = Instant::now();
    let mut operations = 0usize;
    let mut done = Vec::with_capacity(items.len());
    let pace = |operations: usize| -> Result<(), Error> {
        let wait = bulk::pacing_wait(operations, started.elapsed());
        if wait.is_zero() {
            return Ok(());
        }
        match client.deadline().remaining() {
            Some(left) if left > wait => {
                std::thread::sleep(wait);
                Ok(())
            }
            _ => Err(client.deadline().expired(client.host()).into()),
        }
    };
    for chunk in items.chunks(MAX_PER_REQUEST) {
        let certificates: Vec<EnrollmentCertificate> =
            chunk.iter().map(|i| i.certificate.clone()).collect();
        let request = bulk::create_request(&certificates).map_err(|e| {
            crate::cli::dps::error::DpsError::Network {
                host: client.host().to_string(),
                reason: e.to_string(),
            }
        })?;
        pace(operations)?;
        let answer = client.send(&request)?;
        operations += chunk.len();
        let outcomes = bulk::outcomes(&certificates, answer.status, &answer.body);
        for (item, outcome) in chunk.iter().zip(outcomes) {
            let outcome = match outcome {
                BulkItem::Created => EnrollmentOutcome::Created,
                BulkItem::Failed(e) => EnrollmentOutcome::Failed(e),
                BulkItem::Conflict => {
                    // A GET, and a PUT when replacing: paced like the rest.
                    pace(operations)?;
                    let outcome = enroll_after_conflict(client, item, replace)?;
                    operations += match outcome {
                        EnrollmentOutcome::Replaced(_) => 2,
                        _ => 1,
                    };
                    outcome
                }
            };
            let enrolled = Enrolled {
                item: item.clone(),
                outcome,
            };
            report(&enrolled)?;
            done.push(enrolled);
        }
    }
    Ok(done)
}
