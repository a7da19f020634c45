//! Every vector case, through the library: intermediate values and the exact certificate.
#![cfg(test)]

use crate::common;

use dps_cert_gen::derivation::{FirmwareMeasurements, derive_keys};
use dps_cert_gen::dice::cdi::Cdi;
use dps_cert_gen::encoding::Thumbprints;
use dps_cert_gen::firmware::measurement::measure_bin_map;
use dps_cert_gen::{Uds, generate};

fn parse_addr(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn there_are_vectors() {
    assert_eq!(common::cases().len(), 6);
}

#[test]
fn map_addresses_match_the_vectors() {
    for case in common::cases() {
        let layout = measure_bin_map(&case.bin, &case.map, None).unwrap().layout;
        assert_eq!(
            layout.flash_origin,
            parse_addr(case.field("flash_origin")),
            "{}",
            case.name
        );
        let core = case.json["riot_core"].as_array().unwrap();
        let fw = case.json["riot_fw"].as_array().unwrap();
        assert_eq!(
            layout.riot_core.start,
            parse_addr(core[0].as_str().unwrap())
        );
        assert_eq!(layout.riot_core.stop, parse_addr(core[1].as_str().unwrap()));
        assert_eq!(layout.riot_fw.start, parse_addr(fw[0].as_str().unwrap()));
        assert_eq!(layout.riot_fw.stop, parse_addr(fw[1].as_str().unwrap()));
    }
}

#[test]
fn intermediate_values_match_the_vectors() {
    for case in common::cases() {
        let regions = measure_bin_map(&case.bin, &case.map, None).unwrap().regions;
        let fw = FirmwareMeasurements::of(&regions);
        assert_eq!(
            hex::encode(fw.riot_core_measure.as_bytes()),
            case.field("riot_core_measure"),
            "{}",
            case.name
        );
        assert_eq!(
            hex::encode(fw.fwid.as_bytes()),
            case.field("fwid"),
            "{}",
            case.name
        );
        let uds = Uds::from_hex(&case.uds).unwrap();
        let cdi = Cdi::derive(&uds, &fw.riot_core_measure);
        assert_eq!(
            hex::encode(cdi.as_bytes()),
            case.field("cdi"),
            "{}",
            case.name
        );
        let keys = derive_keys(&uds, &fw).unwrap();
        assert_eq!(
            hex::encode(keys.device_id.public_uncompressed()),
            case.field("device_id_public"),
            "{}",
            case.name
        );
        assert_eq!(
            hex::encode(keys.alias.public_uncompressed()),
            case.field("alias_public"),
            "{}",
            case.name
        );
    }
}

#[test]
fn alias_certificates_are_byte_exact() {
    for case in common::cases() {
        let regions = measure_bin_map(&case.bin, &case.map, None).unwrap().regions;
        let fw = FirmwareMeasurements::of(&regions);
        let uds = Uds::from_hex(&case.uds).unwrap();
        let id = case.registration_id();
        assert_eq!(id.as_str(), case.expected_id);
        let cert = generate(&uds, &fw, &id).unwrap();
        assert_eq!(
            common::base64_decode(case.field("alias_cert_der_base64")),
            cert.der,
            "{}",
            case.name
        );
        let t = Thumbprints::of(&cert.der);
        assert_eq!(t.sha1, case.field("alias_cert_sha1"));
        assert_eq!(t.sha256, case.field("alias_cert_sha256"));
    }
}

#[test]
fn device_id_certificates_and_alias_keys_are_byte_exact() {
    for case in common::cases() {
        let regions = measure_bin_map(&case.bin, &case.map, None).unwrap().regions;
        let fw = FirmwareMeasurements::of(&regions);
        let uds = Uds::from_hex(&case.uds).unwrap();
        let keys = derive_keys(&uds, &fw).unwrap();
        let device = dps_cert_gen::cert::device::device_id_certificate(&keys.device_id).unwrap();
        assert_eq!(
            device,
            common::base64_decode(case.field("device_id_cert_der_base64")),
            "{}",
            case.name
        );
        let key = dps_cert_gen::encoding::sec1_private_key_der(keys.alias.secret()).unwrap();
        assert_eq!(
            key.to_vec(),
            common::base64_decode(case.field("alias_private_key_sec1_der_base64")),
            "{}",
            case.name
        );
    }
}

#[test]
fn a_megabyte_image_is_measured_at_the_regions_the_map_names() {
    use sha2::Digest;
    let dir = common::fixtures().join("extra/large");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(common::fixtures().join("extra/expected.json")).unwrap(),
    )
    .unwrap();
    let view = &expected["fixtures"]["large"]["bin_map"];
    assert!(
        std::fs::metadata(dir.join("DevKitDPS.ino.bin"))
            .unwrap()
            .len()
            > 990_000
    );
    let regions = measure_bin_map(
        &dir.join("DevKitDPS.ino.bin"),
        &dir.join("DevKitDPS.ino.map"),
        None,
    )
    .unwrap()
    .regions;
    assert_eq!(regions.riot_core().len(), 147);
    assert_eq!(
        hex::encode(sha2::Sha256::digest(regions.riot_core())),
        view["riot_core"]["sha256"].as_str().unwrap()
    );
    assert_eq!(
        hex::encode(sha2::Sha256::digest(regions.riot_fw())),
        view["riot_fw"]["sha256"].as_str().unwrap()
    );
}
