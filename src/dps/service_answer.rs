//! What DPS answers, parsed tolerantly: an enrollment record (the certificate's `info`
//! thumbprints, which DPS returns in place of the certificate, or the certificate itself if
//! it is echoed), and an error body in any of its shapes: `{"errorCode", "message",
//! "trackingId"}`, the same with `code`, or the "Unknown api version" reply
//! `{"Message": "ErrorCode:ArgumentInvalid;...", "ExceptionMessage": ...}`. Text from the
//! service is made printable before it is kept.

use crate::text::printable::without_controls;
use serde_json::Value;

/// Longest piece of the service's text that is kept for a message.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// The `errorCode` DPS gives a certificate it cannot read (or a chain).
pub const INVALID_CERTIFICATE_BODY: u64 = 400_004;
/// The `errorCode` DPS gives a device whose certificate it does not hold.
pub const INVALID_CERTIFICATE: u64 = 401_002;

/// `text` made fit for a terminal: controls replaced, cut to [`MAX_MESSAGE_CHARS`].
pub fn printable_message(text: &str) -> String {
    let clean = without_controls(text.trim());
    if clean.chars().count() > MAX_MESSAGE_CHARS {
        let mut cut: String = clean.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push_str("...");
        cut
    } else {
        clean
    }
}

/// A failure the service reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The HTTP status.
    pub status: u16,
    /// The service's `errorCode` (or `code`), when it gave one.
    pub code: Option<u64>,
    /// The service's message, made printable.
    pub message: Option<String>,
    /// The service's `trackingId`, made printable.
    pub tracking_id: Option<String>,
}

fn string_field(json: &Value, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match json.get(n) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(printable_message(s)),
        _ => None,
    })
}

fn code_field(json: &Value) -> Option<u64> {
    ["errorCode", "code", "ErrorCode"]
        .iter()
        .find_map(|n| match json.get(n) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse().ok(),
            _ => None,
        })
}

impl ServiceError {
    /// Parses the body of an answer with status `status`. A body that is not JSON (a proxy's
    /// page) is kept, printable and short, as the message.
    pub fn parse(status: u16, body: &[u8]) -> Self {
        let text = String::from_utf8_lossy(body);
        let Ok(json) = serde_json::from_slice::<Value>(body) else {
            let message = (!text.trim().is_empty()).then(|| printable_message(&text));
            return Self {
                status,
                code: None,
                message,
                tracking_id: None,
            };
        };
        // The "Unknown api version" shape: {"Message": "ErrorCode:ArgumentInvalid;Unknown
        // api version; uri: ...", "ExceptionMessage": "Tracking ID:..."}.
        let message = string_field(&json, &["message", "Message", "errorMessage"]);
        let message = message.map(|m| match m.strip_prefix("ErrorCode:") {
            Some(rest) => rest
                .split_once(';')
                .map_or(rest.to_string(), |(_, m)| m.trim().to_string()),
            None => m,
        });
        Self {
            status,
            code: code_field(&json),
            message,
            tracking_id: string_field(&json, &["trackingId", "ExceptionMessage"]),
        }
    }

    /// The code and message as one short phrase: `400004 The certificate is not ...`.
    pub fn summary(&self) -> String {
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => format!("{c} {m}"),
            (Some(c), None) => c.to_string(),
            (None, Some(m)) => format!("HTTP {} {m}", self.status),
            (None, None) => format!("HTTP {}", self.status),
        }
    }
}

/// The certificate a record holds, as DPS describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateOnRecord {
    /// SHA-1 thumbprint, upper-case hex.
    pub sha1: Option<String>,
    /// SHA-256 thumbprint, upper-case hex.
    pub sha256: Option<String>,
}

/// An individual enrollment as DPS returns it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnrollmentRecord {
    /// `registrationId`.
    pub registration_id: Option<String>,
    /// `etag`, opaque.
    pub etag: Option<String>,
    /// `attestation.type`.
    pub attestation: Option<String>,
    /// The primary client certificate, when the attestation is X.509.
    pub primary: Option<CertificateOnRecord>,
}

impl EnrollmentRecord {
    /// Parses a record; `None` when the body is not a JSON object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let json: Value = serde_json::from_slice(body).ok()?;
        json.as_object()?;
        let attestation = json.get("attestation");
        let primary = attestation
            .and_then(|a| a.pointer("/x509/clientCertificates/primary"))
            .map(certificate_on_record);
        Some(Self {
            registration_id: string_field(&json, &["registrationId"]),
            etag: match json.get("etag") {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            },
            attestation: attestation.and_then(|a| string_field(a, &["type"])),
            primary,
        })
    }
}

fn hex_field(json: &Value, name: &str) -> Option<String> {
    match json.get(name) {
        Some(Value::String(s)) if s.chars().all(|c| c.is_ascii_hexdigit()) && !s.is_empty() => {
            Some(s.to_ascii_uppercase())
        }
        _ => None,
    }
}

fn certificate_on_record(primary: &Value) -> CertificateOnRecord {
    if let Some(info) = primary.get("info") {
        let on_record = CertificateOnRecord {
            sha1: hex_field(info, "sha1Thumbprint"),
            sha256: hex_field(info, "sha256Thumbprint"),
        };
        if on_record != CertificateOnRecord::default() {
            return on_record;
        }
    }
    // A service that echoes the certificate: its thumbprints are computed here.
    match primary.get("certificate") {
        Some(Value::String(text)) => {
            match crate::cert::reader::decode_certificate(text.as_bytes(), "the record") {
                Ok(input) => {
                    let t = crate::encoding::Thumbprints::of(&input.der);
                    CertificateOnRecord {
                        sha1: Some(t.sha1),
                        sha256: Some(t.sha256),
                    }
                }
                Err(_) => CertificateOnRecord::default(),
            }
        }
        _ => CertificateOnRecord::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_each_shape() {
        let e = ServiceError::parse(
            400,
            br#"{"errorCode":400004,"trackingId":"t-1","message":"The certificate is not a valid base64 string value","timestampUtc":"2018-01-01T00:00:00Z"}"#,
        );
        assert_eq!(e.code, Some(400_004));
        assert_eq!(
            e.summary(),
            "400004 The certificate is not a valid base64 string value"
        );
        assert_eq!(e.tracking_id.as_deref(), Some("t-1"));
        let e = ServiceError::parse(409, br#"{"code":"409201","message":"exists"}"#);
        assert_eq!(e.summary(), "409201 exists");
        let e = ServiceError::parse(
            400,
            br#"{"Message":"ErrorCode:ArgumentInvalid;Unknown api version; uri: /enrollments/x?api-version=2019-03-31","ExceptionMessage":"Tracking ID:abc-G2:-TimeStamp:2024-12-02T22:46:44.61Z"}"#,
        );
        assert_eq!(e.code, None);
        assert_eq!(
            e.summary(),
            "HTTP 400 Unknown api version; uri: /enrollments/x?api-version=2019-03-31"
        );
        let e = ServiceError::parse(502, b"<html>\x1b[2JBad gateway</html>");
        assert_eq!(e.summary(), "HTTP 502 <html>?[2JBad gateway</html>");
        assert_eq!(ServiceError::parse(500, b"").summary(), "HTTP 500");
        let long = format!(r#"{{"errorCode":1,"message":"{}"}}"#, "x".repeat(400));
        let e = ServiceError::parse(400, long.as_bytes());
        assert_eq!(e.message.unwrap().len(), MAX_MESSAGE_CHARS + 3);
    }

    #[test]
    fn a_record_with_info() {
        let r = EnrollmentRecord::parse(br#"{"registrationId":"dev-1","etag":"IjA2MDA4ZTYyIg==","attestation":{"type":"x509","x509":{"clientCertificates":{"primary":{"info":{"subjectName":"CN=dev-1","sha1Thumbprint":"ab01","sha256Thumbprint":"CD02","version":3}}}}}}"#).unwrap();
        assert_eq!(r.registration_id.as_deref(), Some("dev-1"));
        assert_eq!(r.etag.as_deref(), Some("IjA2MDA4ZTYyIg=="));
        assert_eq!(
            r.primary,
            Some(CertificateOnRecord {
                sha1: Some("AB01".into()),
                sha256: Some("CD02".into())
            })
        );
        let r = EnrollmentRecord::parse(
            br#"{"registrationId":"k","attestation":{"type":"symmetricKey"}}"#,
        )
        .unwrap();
        assert_eq!(
            (r.attestation.as_deref(), r.primary),
            (Some("symmetricKey"), None)
        );
        assert_eq!(EnrollmentRecord::parse(b"[1]"), None);
    }
}
