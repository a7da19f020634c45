//! `verify` through the binary: success on every vector, and each kind of mismatch built from
//! the vectors, with its exact message and exit status 1.
#![cfg(test)]

use crate::common;

use common::{Case, bin, cases, fixtures};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn write_cert(dir: &Path, name: &str, der: &[u8]) -> PathBuf {
    let path = dir.join(format!("{name}.cer"));
    std::fs::write(&path, der).unwrap();
    path
}

fn firmware_args(folder: &str) -> Vec<String> {
    let dir = fixtures().join(folder);
    vec![
        "-b".to_string(),
        dir.join("DevKitDPS.ino.bin").display().to_string(),
        "-m".to_string(),
        dir.join("DevKitDPS.ino.map").display().to_string(),
    ]
}

fn run(cert: &Path, args: &[String]) -> (Option<i32>, String, String) {
    let output = bin().arg("verify").arg(cert).args(args).output().unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn every_vector_verifies_with_its_own_inputs() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        let cert = write_cert(dir.path(), &case.name, &case.der());
        let (code, stdout, _) = run(&cert, &case.input_args());
        assert_eq!(code, Some(0), "{}: {stdout}", case.name);
        assert_eq!(
            stdout,
            format!(
                "{} matches these inputs byte for byte (registration ID {}; SHA-256 thumbprint {})\n",
                cert.display(),
                case.expected_id,
                case.field("alias_cert_sha256")
            ),
            "{}",
            case.name
        );
    }
}

#[test]
fn without_an_id_the_certificate_s_own_is_used() {
    let case = Case::named("shared-3");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "c", &case.der());
    let mut args = firmware_args("devkit-b");
    args.extend(["-u".to_string(), case.uds.clone()]);
    let (code, stdout, _) = run(&cert, &args);
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        format!(
            "{} matches these inputs byte for byte (registration ID az-c89346aabbccv1v6v2, taken from the certificate; SHA-256 thumbprint {})\n",
            cert.display(),
            case.field("alias_cert_sha256")
        )
    );
}

fn mismatch(cert: &Path, args: &[String], lines: &[String]) {
    let (code, stdout, _) = run(cert, args);
    assert_eq!(code, Some(1), "{stdout}");
    let n = lines.len();
    let mut expected = format!(
        "{} does not match these inputs ({n} difference{}):\n",
        cert.display(),
        if n == 1 { "" } else { "s" }
    );
    for (i, line) in lines.iter().enumerate() {
        expected.push_str(&format!("  {}. {line}\n", i + 1));
    }
    assert_eq!(stdout, expected);
}

const OTHER_UDS: &str = "DeviceID key differs while the FWID is equal: the UDS differs (check the one set with set_dps_uds) or riot_core changed (another SDK version)";

#[test]
fn another_uds_is_named() {
    // shared-1 differs from shared-0 only in the last byte of the UDS.
    let enrolled = Case::named("shared-0");
    let board = Case::named("shared-1");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "enrolled", &enrolled.der());
    mismatch(&cert, &board.input_args(), &[OTHER_UDS.to_string()]);
}

#[test]
fn another_riot_fw_is_named() {
    // devkit-a-newapp shares riot_core with devkit-a: same DeviceID key, other FWID.
    let enrolled = Case::named("shared-0");
    let board = Case::named("shared-4");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "enrolled", &enrolled.der());
    mismatch(
        &cert,
        &board.input_args(),
        &[format!(
            "FWID differs: the riot_fw code changed (another sketch build or SDK version); certificate {}, firmware {}",
            enrolled.field("fwid"),
            board.field("fwid")
        )],
    );
}

#[test]
fn another_registration_id_is_named_with_both() {
    // shared-2 is shared-0's board and firmware with the ID my-device-01.
    let enrolled = Case::named("shared-0");
    let board = Case::named("shared-2");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "enrolled", &enrolled.der());
    mismatch(
        &cert,
        &board.input_args(),
        &["registration ID differs: the certificate has \"az-c89346000001v1v3v0\", the inputs give \"my-device-01\" (check -i, or --mac and --firmware-version)".to_string()],
    );
}

#[test]
fn several_differences_come_most_likely_cause_first() {
    // Another ID, and another build (devkit-b: other riot_core and riot_fw).
    let enrolled = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "enrolled", &enrolled.der());
    let mut args = firmware_args("devkit-b");
    args.extend([
        "-u".to_string(),
        enrolled.uds.clone(),
        "-i".to_string(),
        "my-device-01".to_string(),
    ]);
    let devkit_b = Case::named("shared-3");
    mismatch(
        &cert,
        &args,
        &[
            "registration ID differs: the certificate has \"az-c89346000001v1v3v0\", the inputs give \"my-device-01\" (check -i, or --mac and --firmware-version)".to_string(),
            format!(
                "FWID differs: the riot_fw code changed (another sketch build or SDK version); certificate {}, firmware {}",
                enrolled.field("fwid"),
                devkit_b.field("fwid")
            ),
            "DeviceID key differs too: riot_core changed as well (another SDK version) or the UDS differs (check the one set with set_dps_uds)".to_string(),
        ],
    );
}

#[test]
fn equal_keys_with_other_bytes_print_both_thumbprints() {
    // The signature's last byte altered: same ID, FWID and keys, other bytes.
    let case = Case::named("shared-0");
    let mut der = case.der();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let altered = dps_cert_gen::encoding::Thumbprints::of(&der);
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "altered", &der);
    mismatch(
        &cert,
        &case.input_args(),
        &[format!(
            "the keys, FWID and registration ID are equal but the bytes differ: this should not happen with a certificate a DevKit made; certificate SHA-1 {} SHA-256 {}, derived SHA-1 {} SHA-256 {}",
            altered.sha1,
            altered.sha256,
            case.field("alias_cert_sha1"),
            case.field("alias_cert_sha256")
        )],
    );
}

#[test]
fn json_names_each_difference() {
    let enrolled = Case::named("shared-0");
    let board = Case::named("shared-4");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "enrolled", &enrolled.der());
    let output = bin()
        .arg("verify")
        .arg(&cert)
        .args(board.input_args())
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let expected = serde_json::json!({
        "certificate": cert.display().to_string(),
        "matches": false,
        "registration_id": {"certificate": "az-c89346000001v1v3v0", "derived": "az-c89346000001v1v3v0"},
        "registration_id_source": "inputs",
        "fwid": {"certificate": enrolled.field("fwid"), "derived": board.field("fwid")},
        "device_id_public_key": {
            "certificate": enrolled.field("device_id_public"),
            "derived": board.field("device_id_public"),
        },
        "alias_public_key": {
            "certificate": enrolled.field("alias_public"),
            "derived": board.field("alias_public"),
        },
        "thumbprints": {
            "certificate": {"sha1": enrolled.field("alias_cert_sha1"), "sha256": enrolled.field("alias_cert_sha256")},
            "derived": {"sha1": board.field("alias_cert_sha1"), "sha256": board.field("alias_cert_sha256")},
        },
        "differences": [{
            "kind": "fwid",
            "message": format!(
                "FWID differs: the riot_fw code changed (another sketch build or SDK version); certificate {}, firmware {}",
                enrolled.field("fwid"),
                board.field("fwid")
            ),
        }],
        "warnings": [],
    });
    assert_eq!(json, expected);
}

#[test]
fn json_on_success() {
    let case = Case::named("shared-2");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "c", &case.der());
    let output = bin()
        .arg("verify")
        .arg(&cert)
        .args(case.input_args())
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["matches"], true);
    assert_eq!(json["differences"], serde_json::json!([]));
    assert_eq!(json["registration_id"]["derived"], "my-device-01");
    assert_eq!(
        json["thumbprints"]["derived"]["sha256"],
        case.field("alias_cert_sha256")
    );
}

#[test]
fn a_certificate_that_is_not_an_alias_certificate_is_refused() {
    let case = Case::named("shared-0");
    let tls = fixtures().join("tls/rsa-www.example.com.pem");
    let (code, stdout, stderr) = run(&tls, &case.input_args());
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        format!(
            "error: {} is not a DevKit RIoT alias certificate (it has no RIoT extension 1.3.6.1.4.1.311.89.3.1); verify compares the alias certificate the board presents (the one enrolled in DPS)\n",
            tls.display()
        )
    );
    let dir = tempfile::tempdir().unwrap();
    let device = write_cert(
        dir.path(),
        "device",
        &common::base64_decode(case.field("device_id_cert_der_base64")),
    );
    let (code, _, stderr) = run(&device, &case.input_args());
    assert_eq!(code, Some(2));
    assert_eq!(
        stderr,
        format!(
            "error: {} is the DevKit's DeviceID certificate, not its alias certificate; verify compares the alias certificate the board presents (the one enrolled in DPS)\n",
            device.display()
        )
    );
}

#[test]
fn the_uds_is_required() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "c", &case.der());
    let (code, stdout, stderr) = run(&cert, &firmware_args("devkit-a"));
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert_eq!(
        stderr,
        "error: missing -u/--uds (or --uds-file, or DPS_UDS): the board's UDS is needed to re-derive the certificate\n"
    );
}

#[test]
fn the_certificate_can_come_from_standard_input() {
    let case = Case::named("shared-0");
    let output = bin()
        .args(["verify", "-"])
        .args(case.input_args())
        .write_stdin(dps_cert_gen::encoding::pem_certificate(&case.der()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        String::from_utf8(output.stdout)
            .unwrap()
            .starts_with("standard input matches these inputs byte for byte")
    );
}

#[test]
fn another_alias_key_with_equal_fwid_and_device_id_is_named() {
    // shared-0's certificate with shared-4's alias key spliced in: not something a DevKit makes.
    let case = Case::named("shared-0");
    let mut der = case.der();
    let ours = hex::decode(case.field("alias_public")).unwrap();
    let theirs = hex::decode(Case::named("shared-4").field("alias_public")).unwrap();
    let at = der.windows(ours.len()).position(|w| w == ours).unwrap();
    der[at..at + ours.len()].copy_from_slice(&theirs);
    let spliced = dps_cert_gen::encoding::Thumbprints::of(&der);
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "spliced", &der);
    mismatch(
        &cert,
        &case.input_args(),
        &[format!(
            "the FWID, DeviceID key and registration ID are equal but the alias key differs: this should not happen with a certificate a DevKit made; certificate SHA-1 {} SHA-256 {}, derived SHA-1 {} SHA-256 {}",
            spliced.sha1,
            spliced.sha256,
            case.field("alias_cert_sha1"),
            case.field("alias_cert_sha256")
        )],
    );
}

#[test]
fn a_long_registration_id_is_warned_about_once() {
    let case = Case::named("shared-5");
    let dir = tempfile::tempdir().unwrap();
    let cert = write_cert(dir.path(), "long", &case.der());
    let (code, _, stderr) = run(&cert, &case.input_args());
    assert_eq!(code, Some(0));
    assert_eq!(
        stderr,
        "warning: the registration ID is 126 characters long: the board accepts up to 126, but DPS documents 64 as the limit for X.509 registration IDs, so the enrollment may be refused\n"
    );
}
