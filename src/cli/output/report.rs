//! What a generation produced ([`Outcome`]), and the lines reported about it on standard
//! error once it is written.

use crate::cli::output::destination::Destination;
use crate::cli::output::extra_outputs::ExtraOutputs;
use dps_cert_gen::derivation::AliasCertificate;

/// What a generation produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The certificate and derived values.
    pub certificate: AliasCertificate,
    /// Where it went.
    pub destination: Destination,
    /// Warnings for the user (never secrets).
    pub warnings: Vec<String>,
    /// What `-v/--verbose` prints: files, flash origin, regions, digests, registration ID.
    pub verbose: Vec<String>,
    /// The extra outputs written.
    pub extras: ExtraOutputs,
    /// The certificate file was there already with exactly these bytes: nothing was written.
    pub unchanged: bool,
}

impl Outcome {
    /// The lines reported on standard error after a file was written.
    pub(crate) fn report(&self) -> String {
        let t = self.certificate.thumbprints();
        let target = match &self.destination {
            Destination::File(p) => p.display().to_string(),
            Destination::Stdout | Destination::BareBase64 => {
                "the certificate to standard output".to_string()
            }
        };
        let wrote = if self.unchanged {
            format!("{target} holds this certificate already, byte for byte: nothing written")
        } else {
            format!("Wrote {target}")
        };
        let mut report = format!(
            "{wrote}\n  registration ID: {}\n  SHA-1 thumbprint:   {}\n  SHA-256 thumbprint:\n    {}\n",
            self.certificate.registration_id, t.sha1, t.sha256
        );
        if let Some(p) = &self.extras.device_cert {
            report.push_str(&format!("Wrote {} (DeviceID certificate)\n", p.display()));
        }
        if let Some(p) = &self.extras.alias_key {
            report.push_str(&format!("Wrote {} (alias private key)\n", p.display()));
        }
        report
    }
}
