//! An individual X.509 enrollment as it is sent (the DPS note, section 2.2): the
//! registration ID, the alias certificate as standard PEM (base64 in 64-column lines, LF,
//! no line end after the footer: what `az` sends for a PEM file, and never the DevKit's own
//! one-line PEM that the portal refused with 400004), status enabled.

use crate::dps::SERVICE_API_VERSION;
use crate::dps::enrollment_id::EnrollmentId;
use crate::dps::request::{Method, Request, url_encode};
use crate::encoding::{Thumbprints, pem_certificate};
use serde::Serialize;

/// A certificate to enroll, with the ID DPS will know it by (its subject CN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCertificate {
    /// The registration ID: the certificate's subject CN.
    pub id: EnrollmentId,
    /// The certificate's DER.
    pub der: Vec<u8>,
    /// Its thumbprints, to compare with what DPS holds.
    pub thumbprints: Thumbprints,
}

impl EnrollmentCertificate {
    /// The certificate `der`, whose subject CN is `id`.
    pub fn new(id: EnrollmentId, der: Vec<u8>) -> Self {
        let thumbprints = Thumbprints::of(&der);
        Self {
            id,
            der,
            thumbprints,
        }
    }

    /// The certificate as sent: standard PEM without a line end after the footer.
    pub fn pem(&self) -> String {
        pem_certificate(&self.der).trim_end().to_string()
    }

    /// The body of a create or replace.
    pub fn body(&self) -> EnrollmentBody {
        EnrollmentBody {
            registration_id: self.id.as_str().to_string(),
            attestation: Attestation {
                kind: "x509",
                x509: X509 {
                    client_certificates: ClientCertificates {
                        primary: Primary {
                            certificate: self.pem(),
                        },
                    },
                },
            },
            provisioning_status: "enabled",
        }
    }

    /// `PUT /enrollments/{id}`, with `If-Match` when an existing record is replaced.
    pub fn put(&self, if_match: Option<&str>) -> Request {
        Request {
            method: Method::Put,
            path: record_path(&self.id),
            if_match: if_match.map(str::to_string),
            body: Some(to_json(&self.body())),
        }
    }

    /// `GET /enrollments/{id}`.
    pub fn get(&self) -> Request {
        Request {
            method: Method::Get,
            path: record_path(&self.id),
            if_match: None,
            body: None,
        }
    }
}

/// The path and query of an enrollment's record.
pub fn record_path(id: &EnrollmentId) -> String {
    format!(
        "/enrollments/{}?api-version={SERVICE_API_VERSION}",
        url_encode(id.as_str())
    )
}

/// Serialises a body; the bodies here are plain strings and structs, which always serialise.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}

/// `IndividualEnrollment`, the fields this tool sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnrollmentBody {
    /// The registration ID.
    pub registration_id: String,
    /// X.509 with a primary client certificate.
    pub attestation: Attestation,
    /// `enabled`.
    pub provisioning_status: &'static str,
}

/// `AttestationMechanism`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attestation {
    /// `x509`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The certificates.
    pub x509: X509,
}

/// `X509Attestation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct X509 {
    /// The client certificates.
    pub client_certificates: ClientCertificates,
}

/// `X509Certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientCertificates {
    /// The primary certificate.
    pub primary: Primary,
}

/// `X509CertificateWithInfo` as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Primary {
    /// The PEM text.
    pub certificate: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::bare_base64;

    fn cert() -> EnrollmentCertificate {
        let der: Vec<u8> = (0..=200u8).collect();
        EnrollmentCertificate::new(EnrollmentId::new("az-c89346854138v1v4v1").unwrap(), der)
    }

    #[test]
    fn the_body_carries_standard_pem() {
        let c = cert();
        let pem = c.pem();
        let lines: Vec<&str> = pem.split('\n').collect();
        assert_eq!(lines.first(), Some(&"-----BEGIN CERTIFICATE-----"));
        assert_eq!(lines.last(), Some(&"-----END CERTIFICATE-----"));
        let body = &lines[1..lines.len() - 1];
        assert_eq!(
            body.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [64, 64, 64, 64, 12]
        );
        assert_eq!(body.concat(), bare_base64(&c.der));
        let json: serde_json::Value = serde_json::from_slice(&to_json(&c.body())).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "registrationId": "az-c89346854138v1v4v1",
                "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": pem}}}},
                "provisioningStatus": "enabled"
            })
        );
    }

    #[test]
    fn requests() {
        let c = cert();
        let put = c.put(Some("*"));
        assert_eq!(put.method, Method::Put);
        assert_eq!(
            put.path,
            "/enrollments/az-c89346854138v1v4v1?api-version=2021-10-01"
        );
        assert_eq!(put.if_match.as_deref(), Some("*"));
        assert_eq!(c.get().body, None);
        let odd = EnrollmentId::new("a:b").unwrap();
        assert_eq!(
            record_path(&odd),
            "/enrollments/a%3Ab?api-version=2021-10-01"
        );
    }
}
