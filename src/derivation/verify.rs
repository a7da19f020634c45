//! `verify`: re-derives the certificate from the generator's inputs and compares it with a
//! certificate the user holds, naming each difference in the user's terms, most likely
//! cause first.

use crate::cert::inspect::{CertKind, CertificateError, Inspection};
use crate::derivation::AliasCertificate;
use crate::encoding::Thumbprints;
use crate::riot::keys::uncompressed;
use serde::Serialize;
use std::fmt::Write as _;

/// One way the certificate differs from what the inputs give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Difference {
    /// The subject CN differs.
    RegistrationId {
        /// In the certificate.
        certificate: String,
        /// From the inputs.
        derived: String,
    },
    /// FWID differs: `riot_fw` changed.
    Fwid {
        /// In the certificate, hex.
        certificate: String,
        /// From the firmware, hex.
        derived: String,
    },
    /// The DeviceID key differs: the UDS or `riot_core`.
    DeviceIdKey {
        /// Whether the FWID differs as well.
        fwid_differs_too: bool,
    },
    /// Registration ID, FWID and DeviceID key agree, yet the bytes differ.
    Bytes {
        /// Whether the alias keys agree.
        alias_key_equal: bool,
        /// Thumbprints of the certificate.
        certificate: Thumbprints,
        /// Thumbprints of the derived certificate.
        derived: Thumbprints,
    },
}

impl Difference {
    /// A stable name for the kind, for JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Difference::RegistrationId { .. } => "registration-id",
            Difference::Fwid { .. } => "fwid",
            Difference::DeviceIdKey { .. } => "device-id-key",
            Difference::Bytes { .. } => "bytes",
        }
    }

    /// The difference and its likely cause, in the user's terms (which of the caller's
    /// inputs to check is the caller's to add: see [`Advice`]).
    pub fn message(&self) -> String {
        match self {
            Difference::RegistrationId {
                certificate,
                derived,
            } => format!(
                "registration ID differs: the certificate has \"{certificate}\", the inputs give \"{derived}\""
            ),
            Difference::Fwid {
                certificate,
                derived,
            } => format!(
                "FWID differs: the riot_fw code changed (another sketch build or SDK version); certificate {certificate}, firmware {derived}"
            ),
            Difference::DeviceIdKey {
                fwid_differs_too: false,
            } => "DeviceID key differs while the FWID is equal: the UDS differs (check the one set with set_dps_uds) or riot_core changed (another SDK version)".to_string(),
            Difference::DeviceIdKey {
                fwid_differs_too: true,
            } => "DeviceID key differs too: riot_core changed as well (another SDK version) or the UDS differs (check the one set with set_dps_uds)".to_string(),
            Difference::Bytes {
                alias_key_equal,
                certificate,
                derived,
            } => {
                let what = if *alias_key_equal {
                    "the keys, FWID and registration ID are equal but the bytes differ"
                } else {
                    "the FWID, DeviceID key and registration ID are equal but the alias key differs"
                };
                format!(
                    "{what}: this should not happen with a certificate a DevKit made; certificate SHA-1 {} SHA-256 {}, derived SHA-1 {} SHA-256 {}",
                    certificate.sha1, certificate.sha256, derived.sha1, derived.sha256
                )
            }
        }
    }
}

/// What the caller adds after a difference's message: which of its own inputs to check
/// (the command line names its flags), or nothing.
pub type Advice<'a> = &'a dyn Fn(&Difference) -> &'static str;

/// A certificate compared with what the inputs give.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The certificate's facts.
    pub certificate: Inspection,
    /// Thumbprints of the derived certificate.
    pub derived_thumbprints: Thumbprints,
    /// The derived registration ID.
    pub derived_registration_id: String,
    /// Whether the registration ID was taken from the certificate (none given).
    pub registration_id_from_certificate: bool,
    /// Derived FWID, hex.
    pub derived_fwid: String,
    /// Derived DeviceID public key, hex.
    pub derived_device_id_public_key: String,
    /// Derived alias public key, hex.
    pub derived_alias_public_key: String,
    /// The differences, most likely cause first; empty when the bytes are identical.
    pub differences: Vec<Difference>,
    /// Notes for the user (never secrets).
    pub warnings: Vec<String>,
}

/// Checks that the inspected certificate is an alias certificate, the only kind `verify`
/// compares.
pub fn require_alias(inspection: &Inspection) -> Result<(), CertificateError> {
    match inspection.kind {
        CertKind::DevkitAlias => Ok(()),
        CertKind::DevkitDeviceId => Err(CertificateError::NotAlias {
            source_name: inspection.source.clone(),
            what: "the DevKit's DeviceID certificate, not its alias certificate",
        }),
        CertKind::RiotAlias => Err(CertificateError::NotAlias {
            source_name: inspection.source.clone(),
            what: "a RIoT alias certificate of another origin than a DevKit (its issuer is not CN=devkitdice, O=DEVKIT_TEST)",
        }),
        CertKind::RiotDeviceId | CertKind::RiotOther => Err(CertificateError::NotAlias {
            source_name: inspection.source.clone(),
            what: "a RIoT certificate of another origin than a DevKit, not a DevKit alias certificate",
        }),
        CertKind::Other => Err(CertificateError::NotAlias {
            source_name: inspection.source.clone(),
            what: "not a DevKit RIoT alias certificate (it has no RIoT extension 1.3.6.1.4.1.311.89.3.1)",
        }),
    }
}

/// Compares a certificate (already checked with [`require_alias`]) with the one derived from
/// the inputs.
pub fn compare(
    certificate: Inspection,
    derived: &AliasCertificate,
    registration_id_from_certificate: bool,
) -> Verification {
    let derived_thumbprints = derived.thumbprints();
    let derived_id = derived.registration_id.as_str().to_string();
    let derived_fwid = hex::encode(derived.keys.fwid.as_bytes());
    let derived_device_id = uncompressed(derived.keys.device_id.public());
    let derived_alias = derived.keys.alias.public_uncompressed();
    let mut differences = Vec::new();
    if certificate.der != derived.der {
        let cert_id = certificate.registration_id.clone().unwrap_or_default();
        if cert_id != derived_id {
            differences.push(Difference::RegistrationId {
                certificate: cert_id,
                derived: derived_id.clone(),
            });
        }
        let fwid_differs = certificate.fwid() != Some(derived.keys.fwid);
        if fwid_differs {
            differences.push(Difference::Fwid {
                certificate: certificate.fwid.clone().unwrap_or_default(),
                derived: derived_fwid.clone(),
            });
        }
        let device_id_differs = certificate
            .riot
            .as_ref()
            .is_none_or(|r| uncompressed(&r.device_id) != derived_device_id);
        if device_id_differs {
            differences.push(Difference::DeviceIdKey {
                fwid_differs_too: fwid_differs,
            });
        }
        if differences.is_empty() {
            let alias_key_equal = certificate
                .subject_key
                .as_ref()
                .is_some_and(|k| uncompressed(k) == derived_alias);
            differences.push(Difference::Bytes {
                alias_key_equal,
                certificate: certificate.thumbprints.clone(),
                derived: derived_thumbprints.clone(),
            });
        }
    }
    let mut warnings = certificate.warnings.clone();
    if let Some(w) = derived.registration_id.warning()
        && !warnings.contains(&w)
    {
        warnings.push(w);
    }
    Verification {
        derived_thumbprints,
        derived_registration_id: derived_id,
        registration_id_from_certificate,
        derived_fwid,
        derived_device_id_public_key: hex::encode(derived_device_id),
        derived_alias_public_key: hex::encode(derived_alias),
        differences,
        warnings,
        certificate,
    }
}

/// A value as found in the certificate and as derived from the inputs.
#[derive(Debug, Clone, Serialize)]
pub struct Pair<T: Serialize> {
    /// In the certificate.
    pub certificate: T,
    /// From the inputs.
    pub derived: T,
}

/// One difference, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DifferenceJson {
    /// "registration-id", "fwid", "device-id-key" or "bytes".
    pub kind: &'static str,
    /// The sentence the text output prints.
    pub message: String,
}

/// The JSON object `verify --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct VerificationJson {
    /// The certificate's file name, or "standard input".
    pub certificate: String,
    /// Whether the bytes are identical.
    pub matches: bool,
    /// Subject CN in the certificate, and the derived registration ID.
    pub registration_id: Pair<Option<String>>,
    /// "inputs" (the registration ID, or the MAC and firmware version, was given) or
    /// "certificate" (none given: the certificate's own).
    pub registration_id_source: &'static str,
    /// FWID, hex.
    pub fwid: Pair<Option<String>>,
    /// DeviceID public key, hex.
    pub device_id_public_key: Pair<Option<String>>,
    /// Alias public key, hex.
    pub alias_public_key: Pair<Option<String>>,
    /// SHA-1 and SHA-256 thumbprints.
    pub thumbprints: Pair<Thumbprints>,
    /// Each difference, most likely cause first.
    pub differences: Vec<DifferenceJson>,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

impl Verification {
    /// Whether the certificate is byte for byte the derived one.
    pub fn matches(&self) -> bool {
        self.differences.is_empty()
    }

    /// The text report: one line when identical, else one line per difference, each
    /// followed by the caller's `advice`.
    pub fn render(&self, advice: Advice<'_>) -> String {
        let source = crate::text::printable::without_controls(&self.certificate.source);
        let mut out = String::new();
        if self.matches() {
            let from = if self.registration_id_from_certificate {
                ", taken from the certificate"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{source} matches these inputs byte for byte (registration ID {}{from}; SHA-256 thumbprint {})",
                crate::text::printable::without_controls(&self.derived_registration_id),
                self.derived_thumbprints.sha256
            );
        } else {
            let n = self.differences.len();
            let _ = writeln!(
                out,
                "{source} does not match these inputs ({n} difference{}):",
                if n == 1 { "" } else { "s" }
            );
            for (i, d) in self.differences.iter().enumerate() {
                // (The certificate's CN and the file name are made printable.)
                let message = crate::text::printable::without_controls(&(d.message() + advice(d)));
                let _ = writeln!(out, "  {}. {message}", i + 1);
            }
        }
        out
    }

    /// The JSON object, each difference's message followed by the caller's `advice`.
    pub fn json(&self, advice: Advice<'_>) -> VerificationJson {
        let c = &self.certificate;
        VerificationJson {
            certificate: c.source.clone(),
            matches: self.matches(),
            registration_id: Pair {
                certificate: c.registration_id.clone(),
                derived: Some(self.derived_registration_id.clone()),
            },
            registration_id_source: if self.registration_id_from_certificate {
                "certificate"
            } else {
                "inputs"
            },
            fwid: Pair {
                certificate: c.fwid.clone(),
                derived: Some(self.derived_fwid.clone()),
            },
            device_id_public_key: Pair {
                certificate: c.device_id_public_key.clone(),
                derived: Some(self.derived_device_id_public_key.clone()),
            },
            alias_public_key: Pair {
                certificate: c.public_key.point.clone(),
                derived: Some(self.derived_alias_public_key.clone()),
            },
            thumbprints: Pair {
                certificate: c.thumbprints.clone(),
                derived: self.derived_thumbprints.clone(),
            },
            differences: self
                .differences
                .iter()
                .map(|d| DifferenceJson {
                    kind: d.kind(),
                    message: d.message() + advice(d),
                })
                .collect(),
            warnings: self.warnings.clone(),
        }
    }
}
