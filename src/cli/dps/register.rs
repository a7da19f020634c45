//! The board's own registration, done from the PC: the alias certificate alone, with its
//! key, as the TLS client certificate; `PUT .../register`, then the operation polled as its
//! `Retry-After` says, within the one deadline. Shared by `register` and the checks after
//! `--enroll`. A successful registration really provisions the device in the hub.

use crate::cli::dps::client::{Client, Deadline};
use crate::cli::dps::error::DpsError;
use dps_cert_gen::derivation::AliasCertificate;
use dps_cert_gen::dps::device::{IdScope, RegistrationFlow, RegistrationOutcome, Step};
use dps_cert_gen::dps::enrollment_id::EnrollmentId;
use dps_cert_gen::dps::service_answer::INVALID_CERTIFICATE;
use dps_cert_gen::encoding::sec1_private_key_pem;
use std::path::Path;

/// What is said before a registration starts.
pub(crate) const PROVISIONS_NOTE: &str = "a successful registration really provisions the device: DPS creates (or updates) it in the IoT hub it assigns, as the board's own first boot would";

/// Registers `certificate` (the alias certificate and its key) in `scope` at `host`
/// (`HOST[:PORT]`), with `timeout` seconds for everything.
pub(crate) fn register(
    certificate: &AliasCertificate,
    scope: IdScope,
    host: &str,
    ca_file: Option<&Path>,
    timeout: u64,
) -> Result<RegistrationOutcome, DpsError> {
    let id =
        EnrollmentId::new(certificate.registration_id.as_str()).map_err(|e| DpsError::BadId {
            file: certificate.registration_id.to_string(),
            source: e,
        })?;
    let key =
        sec1_private_key_pem(certificate.keys.alias.secret()).ok_or_else(|| DpsError::Network {
            host: host.to_string(),
            reason: "the alias key could not be encoded".to_string(),
        })?;
    let deadline = Deadline::after(timeout);
    let client = Client::device(host, &certificate.der, key.as_bytes(), ca_file, deadline)?;
    let (mut flow, mut request) = RegistrationFlow::start(scope, id);
    loop {
        let answer = client.send(&request)?;
        match flow.answer(answer.status, answer.retry_after, &answer.body) {
            Step::Done(outcome) => return Ok(outcome),
            Step::Send(wait, next) => {
                match deadline.remaining() {
                    Some(left) if left > wait => std::thread::sleep(wait),
                    _ => return Err(deadline.expired(host)),
                }
                request = next;
            }
        }
    }
}

/// The outcome in words, for `id` at `host`.
pub(crate) fn outcome_text(outcome: &RegistrationOutcome, id: &str, host: &str) -> String {
    match outcome {
        RegistrationOutcome::Assigned {
            hub,
            device_id,
            substatus,
        } => {
            let how = substatus
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            format!("{id}: assigned by {host} to the hub {hub} as device {device_id}{how}")
        }
        RegistrationOutcome::Disabled => format!(
            "{id}: refused by {host}: the enrollment is disabled; enable it in the portal (Manage enrollments, the enrollment, Enable entry)"
        ),
        RegistrationOutcome::Refused(e) | RegistrationOutcome::Failed(e)
            if e.code == Some(INVALID_CERTIFICATE) =>
        {
            format!(
                "{id}: refused by {host}: {}; DPS holds no certificate, or another one, for this registration ID: enroll this one with `dps-cert-gen enroll`, or check the enrolled one with `dps-cert-gen verify`",
                e.summary()
            )
        }
        RegistrationOutcome::Failed(e) if e.code == Some(400_208) => format!(
            "{id}: refused by {host}: {}; no IoT hub linked to the DPS matches the enrollment: link a hub to the DPS (Linked IoT hubs)",
            e.summary()
        ),
        RegistrationOutcome::Refused(e) | RegistrationOutcome::Failed(e) => {
            format!("{id}: refused by {host}: {}", e.summary())
        }
        RegistrationOutcome::StillAssigning => format!(
            "{id}: {host} was still assigning after {} polls; look at the registration in the portal later",
            dps_cert_gen::dps::device::MAX_POLLS
        ),
    }
}
