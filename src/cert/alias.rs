//! The alias certificate (spec section 5): what the device presents in TLS and what is
//! enrolled in DPS, reproduced byte for byte.

use crate::cert::fixed_nonce::{FixedNonceSigner, P256PublicKey};
use crate::cert::oid::{CLIENT_AUTH, EXT_KEY_USAGE, SUBJECT_ALT_NAME, arcs};
use crate::cert::riot_extension::riot_san_der;
use crate::cert::template::{ISSUER_CN, devkit_name, devkit_params};
use crate::registration_id::RegistrationId;
use crate::riot::keys::RiotKeys;
use der::Encode;
use der::asn1::ObjectIdentifier;
use rcgen::{CertificateParams, CustomExtension, Issuer};
use x509_cert::ext::pkix::ExtendedKeyUsage;

/// Serial number of every alias certificate.
pub const ALIAS_SERIAL: [u8; 5] = [0x0a, 0x0b, 0x0c, 0x0d, 0x0e];

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

impl From<der::Error> for CertBuildError {
    fn from(e: der::Error) -> Self {
        Self(e.to_string())
    }
}

fn critical(oid: &ObjectIdentifier, content: Vec<u8>) -> CustomExtension {
    let mut ext = CustomExtension::from_oid_content(&arcs(oid), content);
    ext.set_criticality(true);
    ext
}

/// The alias certificate's DER for a registration ID and the RIoT keys.
pub fn alias_certificate(
    registration_id: &RegistrationId,
    keys: &RiotKeys,
) -> Result<Vec<u8>, CertBuildError> {
    let mut params = devkit_params(&ALIAS_SERIAL, registration_id.as_str());
    let eku = ExtendedKeyUsage(vec![CLIENT_AUTH]).to_der()?;
    params.custom_extensions = vec![
        critical(&EXT_KEY_USAGE, eku),
        critical(
            &SUBJECT_ALT_NAME,
            riot_san_der(keys.device_id.public(), &keys.fwid)?,
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
