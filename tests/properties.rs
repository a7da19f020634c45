//! Properties over random inputs (library level): for any UDS, firmware regions and
//! registration ID, the alias certificate parses as X.509 (RFC 5280 profile, strict DER), its
//! signature verifies under the DeviceID key, and `inspect` reads back exactly what went in;
//! the same in every encoding `inspect` accepts. (DiceHash against a reference at every length
//! 0..=300: tests/dice_hash_reference.rs.)
#![cfg(test)]

use dps_cert_gen::cert::inspect::{CertKind, inspect_bytes};
use dps_cert_gen::derivation::{FirmwareMeasurements, generate};
use dps_cert_gen::encoding::{bare_base64, pem_certificate};
use dps_cert_gen::firmware::regions::MeasuredRegions;
use dps_cert_gen::riot::keys::{Fwid, uncompressed};
use dps_cert_gen::{RegistrationId, Uds};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use proptest::prelude::*;
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

/// IDs as DPS takes them: `a-z`, `0-9`, `-`, 1 to 64 characters; and longer ones up to the
/// board's 126.
fn registration_ids() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9-]{1,64}",
        1 => "[a-z0-9-]{65,126}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn certificate_parses_verifies_and_reads_back(
        uds in any::<[u8; 32]>(),
        riot_core in proptest::collection::vec(any::<u8>(), 8..400),
        riot_fw in proptest::collection::vec(any::<u8>(), 0..400),
        id in registration_ids(),
    ) {
        let uds = Uds::from_bytes(uds);
        let regions = MeasuredRegions::new(riot_core, riot_fw.clone()).unwrap();
        let id = RegistrationId::new(&id).unwrap();
        let Ok(cert) = generate(&uds, &FirmwareMeasurements::of(&regions), &id) else {
            // A key outside the P-256 range (probability about 2^-31): the board cannot
            // register either; tested in src/riot.rs.
            return Ok(());
        };

        // An independent X.509 parser takes it, and it re-encodes to the same bytes (DER).
        let parsed = Certificate::from_der(&cert.der).unwrap();
        prop_assert_eq!(parsed.to_der().unwrap(), cert.der.clone());

        // The signature verifies under the DeviceID public key.
        let tbs = parsed.tbs_certificate().to_der().unwrap();
        let signature = Signature::from_der(parsed.signature().raw_bytes()).unwrap();
        let device_id = VerifyingKey::from(cert.keys.device_id.public());
        prop_assert!(device_id.verify(&tbs, &signature).is_ok());
        // ... and not under the alias key.
        let alias = VerifyingKey::from(cert.keys.alias.public());
        prop_assert!(alias.verify(&tbs, &signature).is_err());

        // inspect reads back what went in, from DER, PEM and bare base64.
        let encodings = [
            cert.der.clone(),
            pem_certificate(&cert.der).into_bytes(),
            format!("{}\n", bare_base64(&cert.der)).into_bytes(),
        ];
        for bytes in encodings {
            let seen = inspect_bytes(&bytes, "random.pem").unwrap();
            prop_assert_eq!(seen.kind, CertKind::DevkitAlias);
            prop_assert_eq!(seen.registration_id.as_deref(), Some(id.as_str()));
            prop_assert_eq!(seen.fwid(), Some(Fwid::of(&riot_fw)));
            prop_assert_eq!(
                seen.device_id_public_key.clone(),
                Some(hex::encode(uncompressed(cert.keys.device_id.public())))
            );
            prop_assert_eq!(
                seen.public_key.point.clone(),
                Some(hex::encode(uncompressed(cert.keys.alias.public())))
            );
            prop_assert_eq!(seen.signature.checked_with, Some("device-id"));
            prop_assert_eq!(seen.signature.verifies, Some(true));
            prop_assert!(seen.signature.fixed_nonce);
            prop_assert_eq!(&seen.der, &cert.der);
        }
    }

    #[test]
    fn any_change_of_input_changes_the_certificate(
        uds in any::<[u8; 32]>(),
        riot_core in proptest::collection::vec(any::<u8>(), 8..64),
        riot_fw in proptest::collection::vec(any::<u8>(), 0..64),
        flip in any::<(usize, u8)>(),
    ) {
        let id = RegistrationId::new("property-device").unwrap();
        let base = MeasuredRegions::new(riot_core.clone(), riot_fw.clone()).unwrap();
        let Ok(reference) = generate(&Uds::from_bytes(uds), &FirmwareMeasurements::of(&base), &id)
        else {
            return Ok(());
        };
        // One bit of the UDS, of riot_core, or of riot_fw (when it has bytes).
        let bit = 1u8 << (flip.1 % 8);
        let mut uds2 = uds;
        if let Some(b) = uds2.get_mut(flip.0 % 32) { *b ^= bit; }
        let mut core2 = riot_core.clone();
        let n = core2.len();
        if let Some(b) = core2.get_mut(flip.0 % n) { *b ^= bit; }
        let mut variants = vec![
            (Uds::from_bytes(uds2), MeasuredRegions::new(riot_core.clone(), riot_fw.clone()).unwrap()),
            (Uds::from_bytes(uds), MeasuredRegions::new(core2, riot_fw.clone()).unwrap()),
        ];
        if !riot_fw.is_empty() {
            let mut fw2 = riot_fw.clone();
            let n = fw2.len();
            if let Some(b) = fw2.get_mut(flip.0 % n) { *b ^= bit; }
            variants.push((Uds::from_bytes(uds), MeasuredRegions::new(riot_core, fw2).unwrap()));
        }
        for (u, r) in variants {
            if let Ok(other) = generate(&u, &FirmwareMeasurements::of(&r), &id) {
                prop_assert_ne!(other.keys.alias.public(), reference.keys.alias.public());
                prop_assert_ne!(other.der.clone(), reference.der.clone());
            }
        }
    }
}
