//! The whole derivation the board runs, from measured regions, UDS and registration ID to
//! the alias certificate: regions -> DICE (CDI) -> RIoT keys -> certificate.

use crate::cert::alias::{CertBuildError, alias_certificate};
use crate::dice::cdi::{Cdi, RiotCoreMeasure};
use crate::dice::uds::Uds;
use crate::encoding::Thumbprints;
use crate::firmware::regions::MeasuredRegions;
use crate::registration_id::RegistrationId;
use crate::riot::keys::{Fwid, KeyError, RiotKeys, RiotSecrets};
use thiserror::Error;

/// Why the derivation failed.
#[derive(Debug, Error)]
pub enum DeriveError {
    /// A derived key is unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The certificate could not be encoded.
    #[error(transparent)]
    Cert(#[from] CertBuildError),
}

impl DeriveError {
    /// A defect of the tool (its curve arithmetic failed a check), not of the input: a batch
    /// stops at it, whatever it was asked to do with failed rows.
    pub fn is_defect(&self) -> bool {
        match self {
            DeriveError::Key(e) => e.is_defect(),
            DeriveError::Cert(_) => false,
        }
    }
}

/// What the board measures of its firmware: computed once per firmware build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareMeasurements {
    /// DiceHash(riot_core).
    pub riot_core_measure: RiotCoreMeasure,
    /// SHA-256(riot_fw).
    pub fwid: Fwid,
}

impl FirmwareMeasurements {
    /// Measures both regions.
    pub fn of(regions: &MeasuredRegions) -> Self {
        Self {
            riot_core_measure: RiotCoreMeasure::of(regions.riot_core()),
            fwid: Fwid::of(regions.riot_fw()),
        }
    }
}

/// The keys a board with this UDS derives from this firmware.
pub fn derive_keys(uds: &Uds, firmware: &FirmwareMeasurements) -> Result<RiotKeys, KeyError> {
    let cdi = Cdi::derive(uds, &firmware.riot_core_measure);
    RiotKeys::derive(&cdi, firmware.fwid)
}

/// A generated alias certificate and what was derived along the way (no secrets but the
/// keys, which zeroize on drop).
#[derive(Debug, Clone)]
pub struct AliasCertificate {
    /// The registration ID in the subject CN.
    pub registration_id: RegistrationId,
    /// The derived keys and FWID.
    pub keys: RiotKeys,
    /// The certificate's DER.
    pub der: Vec<u8>,
}

impl AliasCertificate {
    /// Thumbprints of the DER.
    pub fn thumbprints(&self) -> Thumbprints {
        Thumbprints::of(&self.der)
    }
}

/// Derives the alias certificate the board presents.
pub fn generate(
    uds: &Uds,
    firmware: &FirmwareMeasurements,
    registration_id: &RegistrationId,
) -> Result<AliasCertificate, DeriveError> {
    let keys = derive_keys(uds, firmware)?;
    let der = alias_certificate(registration_id, &keys)?;
    Ok(AliasCertificate {
        registration_id: registration_id.clone(),
        keys,
        der,
    })
}

/// [`generate`] for many devices at once: the same certificates, their public keys computed
/// with the batch comb of [`crate::curve::batch`] (field inversions shared by all of
/// them; a sample cross-checked with `p256`, and one failure fails them all). One result per device, in order.
pub fn generate_many(
    devices: &[(&Uds, &RegistrationId)],
    firmware: &FirmwareMeasurements,
) -> Vec<Result<AliasCertificate, DeriveError>> {
    let secrets: Vec<Result<RiotSecrets, KeyError>> = devices
        .iter()
        .map(|(uds, _)| {
            let cdi = Cdi::derive(uds, &firmware.riot_core_measure);
            RiotSecrets::derive(&cdi, firmware.fwid)
        })
        .collect();
    let usable: Vec<&RiotSecrets> = secrets.iter().filter_map(|s| s.as_ref().ok()).collect();
    // One failure of the curve arithmetic or its cross-check fails every device of the call.
    let mut keys = match RiotSecrets::keys_many(&usable) {
        Ok(keys) => keys.into_iter(),
        Err(e) => {
            return devices
                .iter()
                .map(|_| Err(DeriveError::Key(e.clone())))
                .collect();
        }
    };
    secrets
        .iter()
        .zip(devices)
        .map(|(secret, (_, id))| {
            let secret = secret.as_ref().map_err(|e| DeriveError::Key(e.clone()))?;
            let keys = match keys.next() {
                Some(keys) => keys,
                None => secret.keys()?,
            };
            let der = alias_certificate(id, &keys)?;
            Ok(AliasCertificate {
                registration_id: (*id).clone(),
                keys,
                der,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::regions::MeasuredRegions;
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    /// The whole chain on the first vector (`fixtures/cases.json`, "shared-0"): the two
    /// regions cut out of its `.bin`, its UDS and registration ID give its certificate, and
    /// [`generate_many`] gives the same bytes.
    #[test]
    fn whole_derivation_known_answer() {
        let bin = include_bytes!("../../fixtures/devkit-a/DevKitDPS.ino.bin");
        let regions =
            MeasuredRegions::new(bin[0x2d..0xc0].to_vec(), bin[0xc0..0xf8].to_vec()).unwrap();
        let firmware = FirmwareMeasurements::of(&regions);
        let uds = Uds::from_hex("19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae")
            .unwrap();
        let id = RegistrationId::new("az-c89346000001v1v3v0").unwrap();
        let expected = STANDARD
            .decode("MIICOTCCAeCgAwIBAgIFCgsMDQ4wCgYIKoZIzj0EAwIwODETMBEGA1UEAwwKZGV2a2l0ZGljZTELMAkGA1UEBgwCVVMxFDASBgNVBAoMC0RFVktJVF9URVNUMB4XDTE3MDEwMTAwMDAwMFoXDTM3MDEwMTAwMDAwMFowQzEeMBwGA1UEAwwVYXotYzg5MzQ2MDAwMDAxdjF2M3YwMQswCQYDVQQGDAJVUzEUMBIGA1UECgwLREVWS0lUX1RFU1QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAARjpzJD87S1Yn6067WNiYOW1HO2zvn4T+WwRYn8HDPL2rRoU0yOiDqgYY2wIQ0hPQW6SXSq5EDt6zvrZy17WoSPo4HLMIHIMBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMCMIGtBgNVHREBAf8EgaIwgZ+ggZwGCisGAQQBgjdZAwEwgY0CAQEwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAScKyyy/C8IxS1PCthwGD9vJW3TubizL3k9dOICQDkxXl/OVaFAPDlpCuZgNziXD08yHUdyLU2viSqPpLjZEOIgMC0GCWCGSAFlAwQCAQQgLnkbczaFRb9FphRRP09hMzHxljotLAdGfk95AS5JX9EwCgYIKoZIzj0EAwIDRwAwRAIgUVw9brnjlrkE0/7Kf1T9zQzB6Ze/N13KUVrQpsO0A18CICc5ztAmLuulsk1mKGN8aISxbGd6YfwYNX72NCQZDmzr")
            .unwrap();
        assert_eq!(generate(&uds, &firmware, &id).unwrap().der, expected);
        let many = generate_many(&[(&uds, &id), (&uds, &id)], &firmware);
        for cert in many {
            assert_eq!(cert.unwrap().der, expected);
        }
        assert_eq!(
            generate(&uds, &firmware, &id).unwrap().thumbprints().sha256,
            "2F9146C0DEB7C010EB6B01740EA7503840A5C477BF43BF8E22148A213291FD79"
        );
    }
}
