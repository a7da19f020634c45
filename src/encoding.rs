//! Encodings a user needs (spec section 8): PEM (RFC 7468, 64 columns, LF), bare base64 on
//! one line, DER, the portal's thumbprints, and the SEC1 PEM of a private key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use p256::SecretKey;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::fmt;
use zeroize::Zeroizing;

/// How a certificate file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertFormat {
    /// `-----BEGIN CERTIFICATE-----`, base64 in 64-column lines, LF.
    #[default]
    Pem,
    /// Raw DER bytes.
    Der,
}

impl CertFormat {
    /// The file's bytes for a certificate's DER.
    pub fn encode(self, der: &[u8]) -> Vec<u8> {
        match self {
            CertFormat::Pem => pem_certificate(der).into_bytes(),
            CertFormat::Der => der.to_vec(),
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            CertFormat::Pem => "pem",
            CertFormat::Der => "cer",
        }
    }
}

fn pem_config() -> pem::EncodeConfig {
    pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF)
}

/// PEM with the `CERTIFICATE` label.
pub fn pem_certificate(der: &[u8]) -> String {
    pem::encode_config(&pem::Pem::new("CERTIFICATE", der.to_vec()), pem_config())
}

/// The DER as base64 on one line, no header, no line break.
pub fn bare_base64(der: &[u8]) -> String {
    STANDARD.encode(der)
}

/// SHA-1 and SHA-256 of the DER, upper-case hex, as the Azure portal shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Thumbprints {
    /// SHA-1, 40 hex digits.
    pub sha1: String,
    /// SHA-256, 64 hex digits.
    pub sha256: String,
}

impl Thumbprints {
    /// Thumbprints of a certificate's DER.
    pub fn of(der: &[u8]) -> Self {
        Self {
            sha1: hex::encode_upper(Sha1::digest(der)),
            sha256: hex::encode_upper(Sha256::digest(der)),
        }
    }
}

impl fmt::Display for Thumbprints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SHA-1 {}, SHA-256 {}", self.sha1, self.sha256)
    }
}

/// The SEC1 `ECPrivateKey` DER of a key (with curve parameters and public key).
pub fn sec1_private_key_der(key: &SecretKey) -> Option<Zeroizing<Vec<u8>>> {
    key.to_sec1_der().ok()
}

/// The SEC1 `ECPrivateKey` as PEM (`-----BEGIN EC PRIVATE KEY-----`, 64 columns, LF). Built
/// in one buffer sized in advance, so that no copy of the key is left behind in memory that
/// was freed while it grew.
pub fn sec1_private_key_pem(key: &SecretKey) -> Option<Zeroizing<String>> {
    let der = sec1_private_key_der(key)?;
    Some(secret_pem("EC PRIVATE KEY", &der))
}

/// PEM of secret bytes: every intermediate buffer is wiped on drop and none ever grows.
fn secret_pem(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64_len = der.len().div_ceil(3) * 4;
    let lines = b64_len.div_ceil(64);
    let mut b64 = Zeroizing::new(String::with_capacity(b64_len));
    STANDARD.encode_string(der, &mut b64);
    let mut text = Zeroizing::new(String::with_capacity(
        2 * (label.len() + 16) + b64_len + lines,
    ));
    text.push_str("-----BEGIN ");
    text.push_str(label);
    text.push_str("-----\n");
    let mut rest: &str = &b64;
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        text.push_str(line);
        text.push('\n');
        rest = tail;
    }
    text.push_str("-----END ");
    text.push_str(label);
    text.push_str("-----\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_is_64_columns_with_lf() {
        let der: Vec<u8> = (0..=255u8).collect();
        let text = pem_certificate(&der);
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(text.ends_with("-----END CERTIFICATE-----\n"));
        assert!(!text.contains('\r'));
        let body: Vec<&str> = text
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("-----"))
            .collect();
        assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
        assert_eq!(body.concat(), bare_base64(&der));
    }

    #[test]
    fn secret_pem_is_what_the_pem_crate_writes() {
        for len in [0usize, 1, 2, 3, 47, 48, 49, 121, 200] {
            let der: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let expected =
                pem::encode_config(&pem::Pem::new("EC PRIVATE KEY", der.clone()), pem_config());
            let text = secret_pem("EC PRIVATE KEY", &der);
            assert_eq!(*text, expected, "{len} bytes");
        }
    }

    #[test]
    fn thumbprints_are_upper_case_hex() {
        let t = Thumbprints::of(b"abc");
        assert_eq!(t.sha1, "A9993E364706816ABA3E25717850C26C9CD0D89D");
        assert_eq!(
            t.sha256,
            "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
        );
    }
}
