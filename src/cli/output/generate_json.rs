//! The JSON object `--json` prints for a generation: the same facts as the report, for
//! scripts. Its fields are documented in the README and kept stable.

use crate::cli::output::destination::Destination;
use crate::cli::output::report::Outcome;
use dps_cert_gen::encoding::{CertFormat, Thumbprints, bare_base64};
use serde::Serialize;

/// What a generation produced, as JSON.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct GenerationJson {
    /// The registration ID (subject CN).
    pub registration_id: String,
    /// The certificate file written; null when the certificate went to standard output.
    pub output: Option<String>,
    /// "pem" or "der": the certificate file's format.
    pub format: &'static str,
    /// SHA-1 and SHA-256 of the DER, upper-case hex, as the portal shows them.
    pub thumbprints: Thumbprints,
    /// SHA-256 of riot_fw, hex.
    pub fwid: String,
    /// The alias public key (the certificate's subject key), uncompressed point, hex.
    pub alias_public_key: String,
    /// The DeviceID public key (in the RIoT extension), uncompressed point, hex.
    pub device_id_public_key: String,
    /// The DeviceID certificate file written, or null.
    pub device_cert: Option<String>,
    /// The alias private key file written, or null.
    pub alias_key: Option<String>,
    /// The certificate's DER as base64 on one line.
    pub certificate_der_base64: String,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

impl GenerationJson {
    /// The JSON object for a finished generation.
    pub(crate) fn of(outcome: &Outcome, format: CertFormat) -> Self {
        let cert = &outcome.certificate;
        let path = |p: &std::path::Path| p.display().to_string();
        Self {
            registration_id: cert.registration_id.as_str().to_string(),
            output: match &outcome.destination {
                Destination::File(p) => Some(path(p)),
                Destination::Stdout | Destination::BareBase64 => None,
            },
            format: match format {
                CertFormat::Pem => "pem",
                CertFormat::Der => "der",
            },
            thumbprints: cert.thumbprints(),
            fwid: hex::encode(cert.keys.fwid.as_bytes()),
            alias_public_key: hex::encode(cert.keys.alias.public_uncompressed()),
            device_id_public_key: hex::encode(cert.keys.device_id.public_uncompressed()),
            device_cert: outcome.extras.device_cert.as_deref().map(path),
            alias_key: outcome.extras.alias_key.as_deref().map(path),
            certificate_der_base64: bare_base64(&cert.der),
            warnings: outcome.warnings.clone(),
        }
    }
}
