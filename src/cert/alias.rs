//! The alias certificate (spec section 5): what the device presents in TLS and what is
//! enrolled in DPS, reproduced byte for byte.

use crate::cert::fixed_nonce::{FixedNonceSigner, P256PublicKey};
use crate::cert::template::{ISSUER_CN, devkit_name, devkit_params};
use crate::registration_id::RegistrationId;
use crate::riot::keys::{Fwid, RiotKeys, uncompressed};
use p256::PublicKey;
use rcgen::{CertificateParams, CustomExtension, Issuer};
use yasna::Tag;
use yasna::models::ObjectIdentifier;

/// Serial number of every alias certificate.
pub const ALIAS_SERIAL: [u8; 5] = [0x0a, 0x0b, 0x0c, 0x0d, 0x0e];
/// OID of the RIoT composite device ID (the otherName in the subjectAltName).
pub const RIOT_OID: [u64; 10] = [1, 3, 6, 1, 4, 1, 311, 89, 3, 1];
const EXT_KEY_USAGE: [u64; 4] = [2, 5, 29, 37];
const SUBJECT_ALT_NAME: [u64; 4] = [2, 5, 29, 17];
const CLIENT_AUTH: [u64; 9] = [1, 3, 6, 1, 5, 5, 7, 3, 2];
const SHA256_OID: [u64; 9] = [2, 16, 840, 1, 101, 3, 4, 2, 1];
const EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
const PRIME256V1: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];

/// Why a certificate could not be built (the inputs were checked before, so this means a
/// fault in the tool or its libraries, not in the user's input).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not build the certificate: {0}")]
pub struct CertBuildError(pub String);

impl From<rcgen::Error> for CertBuildError {
    fn from(e: rcgen::Error) -> Self {
        Self(e.to_string())
    }
}

/// The DER of `SubjectPublicKeyInfo` for a P-256 key.
pub fn spki_der(public: &PublicKey) -> Vec<u8> {
    let point = uncompressed(public);
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_sequence(|w| {
                w.next()
                    .write_oid(&ObjectIdentifier::from_slice(&EC_PUBLIC_KEY));
                w.next()
                    .write_oid(&ObjectIdentifier::from_slice(&PRIME256V1));
            });
            w.next().write_bitvec_bytes(&point, point.len() * 8);
        })
    })
}

/// The subjectAltName value: one otherName-like `[0]` holding the RIoT composite device ID
/// (`INTEGER 1`, the DeviceID SPKI, and `{sha256, FWID}`), without RFC 5280's `[0] EXPLICIT`
/// around the value, as the device writes it.
pub fn riot_san_der(device_id: &PublicKey, fwid: &Fwid) -> Vec<u8> {
    let spki = spki_der(device_id);
    yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next().write_tagged_implicit(Tag::context(0), |w| {
                w.write_sequence(|w| {
                    w.next().write_oid(&ObjectIdentifier::from_slice(&RIOT_OID));
                    w.next().write_sequence(|w| {
                        w.next().write_u8(1);
                        w.next().write_der(&spki);
                        w.next().write_sequence(|w| {
                            w.next()
                                .write_oid(&ObjectIdentifier::from_slice(&SHA256_OID));
                            w.next().write_bytes(fwid.as_bytes());
                        });
                    });
                });
            });
        })
    })
}

fn critical(oid: &[u64], content: Vec<u8>) -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(oid, content);
    ext.set_criticality(true);
    ext
}

/// The alias certificate's DER for a registration ID and the RIoT keys.
pub fn alias_certificate(
    registration_id: &RegistrationId,
    keys: &RiotKeys,
) -> Result<Vec<u8>, CertBuildError> {
    let mut params = devkit_params(&ALIAS_SERIAL, registration_id.as_str());
    let eku = yasna::construct_der(|w| {
        w.write_sequence(|w| {
            w.next()
                .write_oid(&ObjectIdentifier::from_slice(&CLIENT_AUTH));
        })
    });
    params.custom_extensions = vec![
        critical(&EXT_KEY_USAGE, eku),
        critical(
            &SUBJECT_ALT_NAME,
            riot_san_der(keys.device_id.public(), &keys.fwid),
        ),
    ];

    let mut issuer_params = CertificateParams::default();
    issuer_params.distinguished_name = devkit_name(ISSUER_CN);
    let issuer = Issuer::new(issuer_params, FixedNonceSigner::new(&keys.device_id));
    let subject = P256PublicKey::new(keys.alias.public_uncompressed());
    Ok(params.signed_by(&subject, &issuer)?.der().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::test_vector::vector_keys;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn alias_certificate_known_answer() {
        let id = RegistrationId::new("az-c89346000001v1v3v0").unwrap();
        let der = alias_certificate(&id, &vector_keys()).unwrap();
        assert_eq!(
            der,
            STANDARD
                .decode("MIICOTCCAeCgAwIBAgIFCgsMDQ4wCgYIKoZIzj0EAwIwODETMBEGA1UEAwwKZGV2a2l0ZGljZTELMAkGA1UEBgwCVVMxFDASBgNVBAoMC0RFVktJVF9URVNUMB4XDTE3MDEwMTAwMDAwMFoXDTM3MDEwMTAwMDAwMFowQzEeMBwGA1UEAwwVYXotYzg5MzQ2MDAwMDAxdjF2M3YwMQswCQYDVQQGDAJVUzEUMBIGA1UECgwLREVWS0lUX1RFU1QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARjpzJD87S1Yn6067WNiYOW1HO2zvn4T+WwRYn8HDPL2rRoU0yOiDqgYY2wIQ0hPQW6SXSq5EDt6zvrZy17WoSPo4HLMIHIMBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMCMIGtBgNVHREBAf8EgaIwgZ+ggZwGCisGAQQBgjdZAwEwgY0CAQEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAScKyyy/C8IxS1PCthwGD9vJW3TubizL3k9dOICQDkxXl/OVaFAPDlpCuZgNziXD08yHUdyLU2viSqPpLjZEOIgMC0GCWCGSAFlAwQCAQQgLnkbczaFRb9FphRRP09hMzHxljotLAdGfk95AS5JX9EwCgYIKoZIzj0EAwIDRwAwRAIgUVw9brnjlrkE0/7Kf1T9zQzB6Ze/N13KUVrQpsO0A18CICc5ztAmLuulsk1mKGN8aISxbGd6YfwYNX72NCQZDmzr")
                .unwrap()
        );
    }
}
