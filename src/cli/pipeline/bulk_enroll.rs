//! Enrolling many certificates (`batch --enroll`): bulk requests of at most 10 (`mode
//! create`), paced under the service's 1,000 operations a minute; an item the answer lists
//! as a conflict is then resolved one by one as `enroll` does (GET, compare thumbprints,
//! replace only when asked), so that a run over certificates enrolled before changes nothing.

use crate::cli::dps::client::Client;
use crate::cli::error::Error;
use crate::cli::pipeline::enroll_step::{Enrolled, ToEnroll, enroll_after_conflict};
use dps_cert_gen::dps::bulk::{self, BulkItem, MAX_PER_REQUEST};
use dps_cert_gen::dps::enroll_flow::EnrollmentOutcome;
use dps_cert_gen::dps::enrollment::EnrollmentCertificate;
use std::time::Instant;

#[cfg_attr(
    not(test),
    expect(dead_code, reason = "phase two wires it: `batch --enroll`")
)]
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
