//! The DeviceID certificate (spec section 6): self-signed by DeviceID with the fixed nonce,
//! basicConstraints CA with pathLen 2 (not marked critical).

use crate::cert::alias::CertBuildError;
use crate::cert::fixed_nonce::FixedNonceSigner;
use crate::cert::oid::{BASIC_CONSTRAINTS, arcs};
use crate::cert::template::{ISSUER_CN, devkit_params};
use crate::riot::keys::KeyPair;
use der::Encode;
use rcgen::CustomExtension;
use x509_cert::ext::pkix::BasicConstraints;

/// Serial number of the DeviceID certificate.
pub const DEVICE_SERIAL: [u8; 5] = [0x0e, 0x0d, 0x0c, 0x0b, 0x0a];

/// The DeviceID certificate's DER.
pub fn device_id_certificate(device_id: &KeyPair) -> Result<Vec<u8>, CertBuildError> {
    let mut params = devkit_params(&DEVICE_SERIAL, ISSUER_CN);
    let constraints = BasicConstraints {
        ca: true,
        path_len_constraint: Some(2),
    }
    .to_der()?;
    params.custom_extensions = vec![CustomExtension::from_oid_content(
        &arcs(&BASIC_CONSTRAINTS),
        constraints,
    )];
    Ok(params
        .self_signed(&FixedNonceSigner::new(device_id))?
        .der()
        .to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::test_vector::vector_keys;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    #[test]
    fn device_id_certificate_known_answer() {
        let der = device_id_certificate(&vector_keys().device_id).unwrap();
        assert_eq!(
            der,
            STANDARD
                .decode("MIIBdjCCARygAwIBAgIFDg0MCwowCgYIKoZIzj0EAwIwODETMBEGA1UEAwwKZGV2a2l0ZGljZTELMAkGA1UEBgwCVVMxFDASBgNVBAoMC0RFVktJVF9URVNUMB4XDTE3MDEwMTAwMDAwMFoXDTM3MDEwMTAwMDAwMFowODETMBEGA1UEAwwKZGV2a2l0ZGljZTELMAkGA1UEBgwCVVMxFDASBgNVBAoMC0RFVktJVF9URVNUMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnCsssvwvCMUtTwrYcBg/byVt07m4sy95PXTiAkA5MV5fzlWhQDw5aQrmYDc4lw9PMh1Hci1Nr4kqj6S42RDiIKMTMBEwDwYDVR0TBAgwBgEB/wIBAjAKBggqhkjOPQQDAgNIADBFAiBRXD1uueOWuQTT/sp/VP3NDMHpl783XcpRWtCmw7QDXwIhAMV2oz0xVdSmh6GARDAcRIxJuO6HZn8xVsqR1ysUlIcu")
                .unwrap()
        );
    }
}
