//! The step "enroll these certificates" that the commands share (`enroll`, and generation,
//! `board provision` and `batch` with `--enroll`): read each certificate, check that its CN
//! can be a DPS registration ID, then create each enrollment as the library's flow says,
//! and word each outcome (a line of text, or a JSON object).

use crate::cli::dps::args::DpsArgs;
use crate::cli::dps::client::{Client, Deadline};
use crate::cli::dps::connection_source::{self, EnvConnectionString};
use crate::cli::dps::error::DpsError;
use crate::cli::error::Error;
use crate::cli::input::cert_input::{CertSource, inspect_source};
use dps_cert_gen::derivation::AliasCertificate;
use dps_cert_gen::derivation::verify::require_alias;
use dps_cert_gen::dps::connection_string::ConnectionString;
use dps_cert_gen::dps::enroll_flow::{EnrollFlow, EnrollmentOutcome, Step};
use dps_cert_gen::dps::enrollment::EnrollmentCertificate;
use dps_cert_gen::dps::enrollment_id::EnrollmentId;
use dps_cert_gen::dps::service_answer::{INVALID_CERTIFICATE_BODY, ServiceError};
use serde::Serialize;
use std::path::Path;

/// A certificate to enroll, and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct ToEnroll {
    /// The file name, or "standard input".
    pub source: String,
    /// The certificate and its ID.
    pub certificate: EnrollmentCertificate,
}

/// A certificate and what became of it.
#[derive(Debug, Clone)]
pub(crate) struct Enrolled {
    /// The certificate.
    pub item: ToEnroll,
    /// The outcome.
    pub outcome: EnrollmentOutcome,
}

/// Reads an alias certificate from `path` (`-`: standard input) for enrollment.
pub(crate) fn read_certificate(path: &Path) -> Result<ToEnroll, Error> {
    let source = CertSource::from_arg(Some(path));
    let inspection = inspect_source(&source, "enroll")?;
    require_alias(&inspection)?;
    let cn = inspection.registration_id.clone().unwrap_or_default();
    let id = EnrollmentId::new(&cn).map_err(|e| DpsError::BadId {
        file: source.to_string(),
        source: e,
    })?;
    Ok(of_der(source.to_string(), id, inspection.der))
}

/// A certificate made here (generation) for enrollment.
pub(crate) fn of_der(source: String, id: EnrollmentId, der: Vec<u8>) -> ToEnroll {
    ToEnroll {
        source,
        certificate: EnrollmentCertificate::new(id, der),
    }
}

/// Enrolls a certificate this run derived (generation's and `board provision`'s
/// `--enroll`), whose file (or output) is `source`; another certificate enrolled for its ID
/// is left as it is. The time allowed is `timeout` seconds.
pub(crate) fn enroll_derived(
    connection: &ConnectionString,
    dps: &DpsArgs,
    timeout: u64,
    certificate: &AliasCertificate,
    source: String,
) -> Result<Enrolled, Error> {
    let id =
        EnrollmentId::new(certificate.registration_id.as_str()).map_err(|e| DpsError::BadId {
            file: source.clone(),
            source: e,
        })?;
    let item = of_der(source, id, certificate.der.clone());
    let client = service(connection, dps, timeout)?;
    let outcome = enroll_one(&client, &item, false)?;
    Ok(Enrolled { item, outcome })
}

/// Refuses standard input named for two secrets (`--uds-file -` and
/// `--dps-connection-string-file -`).
pub(crate) fn refuse_stdin_twice(other_from_stdin: bool, dps: &DpsArgs) -> Result<(), DpsError> {
    let dash = dps
        .connection_string_file
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    if other_from_stdin && dash {
        return Err(DpsError::StdinUdsAndConnectionString);
    }
    Ok(())
}

/// Drops exact repeats; refuses two different certificates for one ID.
pub(crate) fn distinct(items: Vec<ToEnroll>) -> Result<Vec<ToEnroll>, DpsError> {
    let mut kept: Vec<ToEnroll> = Vec::with_capacity(items.len());
    for item in items {
        match kept
            .iter()
            .find(|k| k.certificate.id.same_as(item.certificate.id.as_str()))
        {
            Some(k) if k.certificate.der == item.certificate.der => {}
            Some(k) => {
                return Err(DpsError::DuplicateId {
                    first: k.source.clone(),
                    second: item.source,
                    id: item.certificate.id.to_string(),
                });
            }
            None => kept.push(item),
        }
    }
    Ok(kept)
}

/// The connection string from its sources, its notes printed on standard error.
pub(crate) fn connection_string(args: &DpsArgs) -> Result<ConnectionString, DpsError> {
    let env = EnvConnectionString::read();
    let given = connection_source::resolve(
        args.connection_string_file.as_deref(),
        &env,
        &mut crate::cli::sys::unbuffered_stdin(),
        crate::cli::sys::terminal::stdin_is_terminal(),
        &mut crate::cli::sys::terminal::Terminal::new(),
    )?;
    for note in &given.notes {
        match note.split_once(": ") {
            Some(("warning", rest)) => crate::cli::sys::style::warning(rest),
            Some(("note", rest)) => crate::cli::sys::style::note(rest),
            _ => crate::cli::sys::style::note(note),
        }
    }
    Ok(given.connection)
}

/// The client of the service API for `connection`, with `timeout` seconds for everything.
pub(crate) fn service<'a>(
    connection: &'a ConnectionString,
    args: &DpsArgs,
    timeout: u64,
) -> Result<Client<'a>, DpsError> {
    Client::service(
        connection,
        args.ca_file.as_deref(),
        Deadline::after(timeout),
    )
}

/// Enrolls `item` through `client`; `replace` replaces another certificate enrolled for
/// its ID.
pub(crate) fn enroll_one(
    client: &Client<'_>,
    item: &ToEnroll,
    replace: bool,
) -> Result<EnrollmentOutcome, DpsError> {
    let (flow, request) = EnrollFlow::start(&item.certificate, replace);
    drive(client, flow, request)
}
/// Enrolls `item`, whose ID a bulk request found taken: from the GET on.
pub(crate) fn enroll_after_conflict(
    client: &Client<'_>,
    item: &ToEnroll,
    replace: bool,
) -> Result<EnrollmentOutcome, DpsError> {
    let (flow, request) = EnrollFlow::after_conflict(&item.certificate, replace);
    drive(client, flow, request)
}

fn drive(
    client: &Client<'_>,
    mut flow: EnrollFlow<'_>,
    mut request: dps_cert_gen::dps::request::Request,
) -> Result<EnrollmentOutcome, DpsError> {
    loop {
        let answer = client.send(&request)?;
        match flow.answer(answer.status, &answer.body) {
            Step::Send(next) => request = next,
            Step::Done(outcome) => return Ok(outcome),
        }
    }
}

/// Enrolls every item in turn, handing each result to `report` as it comes.
pub(crate) fn enroll_each(
    client: &Client<'_>,
    items: &[ToEnroll],
    replace: bool,
    report: &mut dyn FnMut(&Enrolled) -> Result<(), Error>,
) -> Result<Vec<Enrolled>, Error> {
    let mut done = Vec::with_capacity(items.len());
    for item in items {
        let outcome = enroll_one(client, item, replace)?;
        let enrolled = Enrolled {
            item: item.clone(),
            outcome,
        };
        report(&enrolled)?;
        done.push(enrolled);
    }
    Ok(done)
}

/// A refusal in words: the code and message, and what it likely means.
pub(crate) fn failure_text(e: &ServiceError, host: &str) -> String {
    let advice = match (e.status, e.code) {
        (_, Some(INVALID_CERTIFICATE_BODY)) => {
            "; DPS could not read the certificate sent: check the file with `dps-cert-gen inspect`"
        }
        (412, _) => "; the enrollment changed while this ran: run again",
        (429, _) => {
            "; DPS is still throttling after the retries: run again in a minute (what was enrolled stays enrolled)"
        }
        (500..=599, _) => "; the service failed: run again later",
        _ => "",
    };
    format!("DPS at {host} refused it: {}{advice}", e.summary())
}

/// The line a user reads for one certificate (`enroll`: `--force` replaces another one).
pub(crate) fn outcome_line(e: &Enrolled, host: &str) -> String {
    outcome_line_with(e, host, "replace it with --force")
}

/// The line for one certificate enrolled by another command (whose `--force` is about
/// files): replacing is `enroll --force`'s.
pub(crate) fn outcome_line_elsewhere(e: &Enrolled, host: &str) -> String {
    let how = format!(
        "replace it with `dps-cert-gen enroll {} --force`",
        e.item.source
    );
    // (A certificate written to standard output has the source `FILE`.)
    outcome_line_with(e, host, &how)
}

/// After generation (`--enroll`): enrolls the certificate just written and says what became
/// of it on standard error; whether it is enrolled (created, or already there).
pub(crate) fn enroll_generated(
    connection: &ConnectionString,
    dps: &DpsArgs,
    timeout: u64,
    generated: &crate::cli::output::report::Outcome,
) -> Result<bool, Error> {
    let certificate = &generated.certificate;
    let source = match &generated.destination {
        crate::cli::output::destination::Destination::File(p) => p.display().to_string(),
        _ => NOT_A_FILE.to_string(),
    };
    let enrolled = enroll_derived(connection, dps, timeout, certificate, source)?;
    let line = outcome_line_elsewhere(&enrolled, connection.host());
    if enrolled.outcome.is_success() {
        crate::cli::pipeline::board_steps::say(&line);
        Ok(true)
    } else {
        crate::cli::sys::style::error(&line);
        Ok(false)
    }
}

/// The source of a certificate that went to standard output.
const NOT_A_FILE: &str = "FILE";

fn outcome_line_with(e: &Enrolled, host: &str, replace: &str) -> String {
    let id = &e.item.certificate.id;
    let ours = &e.item.certificate.thumbprints.sha1;
    let theirs = |sha1: &Option<String>, attestation: &Option<String>| match (
        sha1,
        attestation.as_deref(),
    ) {
        (Some(s), _) => format!("SHA-1 {s}"),
        (None, Some(a)) if a != "x509" => format!("{a} attestation, no certificate"),
        _ => "a certificate DPS gave no thumbprint for".to_string(),
    };
    match &e.outcome {
        EnrollmentOutcome::Created => format!("{id}: enrolled in {host} (created), SHA-1 {ours}"),
        EnrollmentOutcome::AlreadyEnrolled => {
            format!("{id}: already enrolled in {host} with this certificate, SHA-1 {ours}")
        }
        EnrollmentOutcome::EnrolledWithOther(other) => format!(
            "{id}: enrolled in {host} with another certificate ({}), not this one (SHA-1 {ours}); left as it is: check which one the board presents with `dps-cert-gen verify`, or {replace}",
            theirs(&other.sha1, &other.attestation)
        ),
        EnrollmentOutcome::Replaced(other) => format!(
            "{id}: enrolled in {host}, replacing another certificate ({}) with this one, SHA-1 {ours}",
            theirs(&other.sha1, &other.attestation)
        ),
        EnrollmentOutcome::Failed(f) => format!("{id}: not enrolled: {}", failure_text(f, host)),
    }
}

/// One certificate's outcome as JSON (`enroll --json`).
#[derive(Debug, Serialize)]
pub(crate) struct OutcomeJson {
    registration_id: String,
    outcome: &'static str,
    sha1_thumbprint: String,
    sha256_thumbprint: String,
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolled_sha1_thumbprint: Option<String>,
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    error_code: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
}

impl OutcomeJson {
    /// The object for `e`.
    pub(crate) fn of(e: &Enrolled) -> Self {
        let c = &e.item.certificate;
        let mut json = Self {
            registration_id: c.id.to_string(),
            outcome: e.outcome.name(),
            sha1_thumbprint: c.thumbprints.sha1.clone(),
            sha256_thumbprint: c.thumbprints.sha256.clone(),
            file: e.item.source.clone(),
            enrolled_sha1_thumbprint: None,
            error_code: None,
            message: None,
            http_status: None,
        };
        match &e.outcome {
            EnrollmentOutcome::EnrolledWithOther(o) | EnrollmentOutcome::Replaced(o) => {
                json.enrolled_sha1_thumbprint = o.sha1.clone();
            }
            EnrollmentOutcome::Failed(f) => {
                json.error_code = f.code;
                json.message = f.message.clone();
                json.http_status = Some(f.status);
            }
            EnrollmentOutcome::Created | EnrollmentOutcome::AlreadyEnrolled => {}
        }
        json
    }
}
