//! Encodings a user needs (spec section 8): PEM (RFC 7468, 64 columns, LF), bare base64 on
//! one line, DER, the portal's thumbprints, and the SEC1 PEM of a private key.
//!
//! Certificates are PEM-encoded with the `pem` crate. The private key is the one exception:
//! `pem::encode_config` builds its text in a `String` that grows (each reallocation frees a
//! copy of the key's text unwiped) and keeps the base64 in a second, unwiped `String`. So the
//! key is encoded by `p256` itself (`SecretKey::to_sec1_pem`, the RustCrypto PEM encoder),
//! which writes into one buffer sized in advance and hands it back as `Zeroizing`; a test
//! below holds its bytes to what the `pem` crate writes.

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

/// The SEC1 `ECPrivateKey` as PEM (`-----BEGIN EC PRIVATE KEY-----`, 64 columns, LF), in
/// memory that is wiped on drop (see the module's notes).
pub fn sec1_private_key_pem(key: &SecretKey) -> Option<Zeroizing<String>> {
    key.to_sec1_pem(p256::pkcs8::LineEnding::LF).ok()
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
    fn the_key_pem_is_what_the_pem_crate_writes() {
        for scalar in [1u8, 7, 0x42, 0xc0] {
            let key = SecretKey::from_bytes(&[scalar; 32].into()).unwrap();
            let der = sec1_private_key_der(&key).unwrap();
            let expected =
                pem::encode_config(&pem::Pem::new("EC PRIVATE KEY", der.to_vec()), pem_config());
            assert_eq!(*sec1_private_key_pem(&key).unwrap(), expected);
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
