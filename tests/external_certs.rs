//! `inspect` on real certificates from Microsoft's public repositories
//! (fixtures/external-certs/, sources in its SOURCES.md): only `devkitdice`/`DEVKIT_TEST`
//! certificates are DevKit ones; the RIoT emulator's and reference code's are named RIoT
//! certificates of another origin; each known fixed nonce is recognised by its `r`, and the
//! DeviceID key is reported as exposed wherever it can be computed.
#![cfg(test)]

use crate::common;

use assert_cmd::Command;
use dps_cert_gen::cert::inspect::{CertKind, inspect_bytes};
use serde_json::Value;

const DEVKIT_NONCE: &str = "the fixed nonce of the DevKit and of RIoT's reference code";
const RIOT_2017_NONCE: &str = "the fixed nonce of the 2017 RIoT emulator";

fn path(name: &str) -> std::path::PathBuf {
    common::fixtures().join("external-certs").join(name)
}

/// (file, kind, JSON kind, fixed nonce, DeviceID private key exposed)
const EXPECTED: [(&str, CertKind, &str, Option<&str>, bool); 11] = [
    (
        "azure-iot-sdk-c-custom_hsm-riot-device-cert.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
    (
        "control-baltimore-root.pem",
        CertKind::Other,
        "other",
        None,
        false,
    ),
    (
        "devkit-sdk-RiotCore-c-aliascer-RIoT_Dev_tmp.pem",
        CertKind::RiotAlias,
        "riot-alias",
        Some(RIOT_2017_NONCE),
        true,
    ),
    (
        "riot-GenP7B-sample-device.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
    (
        "riot-emulator-AliasCert-2017.pem",
        CertKind::RiotAlias,
        "riot-alias",
        Some(RIOT_2017_NONCE),
        true,
    ),
    (
        "riot-emulator-AliasCert-2018.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
    (
        "riot-emulator-AliasCert-2018b.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
    (
        "riot-emulator-DeviceIDCrt-2018.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
    (
        "riot-emulator-DeviceIDCrt-2018b.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
    (
        "riot-emulator-DeviceIDCrt-selfsigned-2017.pem",
        CertKind::RiotDeviceId,
        "riot-device-id",
        Some(RIOT_2017_NONCE),
        true,
    ),
    (
        "riot-emulator-R00tCrt.pem",
        CertKind::RiotOther,
        "riot-other",
        Some(DEVKIT_NONCE),
        false,
    ),
];

#[test]
fn every_external_certificate_is_classified() {
    let listed: Vec<String> = std::fs::read_dir(common::fixtures().join("external-certs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pem"))
        .collect();
    assert_eq!(listed.len(), EXPECTED.len(), "{listed:?}");
    for (name, kind, _, nonce, exposed) in EXPECTED {
        let seen = inspect_bytes(&std::fs::read(path(name)).unwrap(), name).unwrap();
        assert_eq!(seen.kind, kind, "{name}");
        assert_eq!(seen.signature.fixed_nonce_name, nonce, "{name}");
        assert_eq!(seen.signature.fixed_nonce, nonce.is_some(), "{name}");
        assert_eq!(seen.device_id_private_key_exposed, exposed, "{name}");
        assert_eq!(
            seen.registration_id, None,
            "{name}: no DevKit registration ID"
        );
        assert!(!seen.kind.describe().starts_with("DevKit"), "{name}");
    }
}

fn inspect(name: &str, json: bool) -> String {
    let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.arg("inspect").arg(path(name));
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{name}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_json_names_each_kind() {
    for (name, _, json_kind, nonce, exposed) in EXPECTED {
        let json: Value = serde_json::from_str(&inspect(name, true)).unwrap();
        assert_eq!(json["kind"], json_kind, "{name}");
        assert_eq!(json["signature"]["fixed_nonce"], nonce.is_some(), "{name}");
        assert_eq!(json["device_id_private_key_exposed"], exposed, "{name}");
    }
}

#[test]
fn the_2017_emulator_alias_certificate_is_riot_not_devkit_and_exposes_its_device_id_key() {
    let text = inspect("riot-emulator-AliasCert-2017.pem", false);
    let first = text.lines().next().unwrap();
    assert!(
        first.ends_with(
            "(PEM): RIoT alias certificate, not from a DevKit (its issuer is not CN=devkitdice, O=DEVKIT_TEST)"
        ),
        "{text}"
    );
    assert!(text.contains("\n  issuer:              CN=RIoT Core, C=US, O=MSR_TEST\n"));
    assert!(!text.contains("registration ID"), "{text}");
    assert!(
        text.contains(
            "\nThis certificate exposes its DeviceID private key. It was signed with\n\
         the fixed nonce of the 2017 RIoT emulator (r = 0906BB04...F485),\n\
         so anyone who holds it can compute the DeviceID private key:\n"
        ),
        "{text}"
    );
    // verify refuses it, saying what it is.
    let out = Command::cargo_bin("dps-cert-gen")
        .unwrap()
        .arg("verify")
        .arg(path("riot-emulator-AliasCert-2017.pem"))
        .args(["-u", &"ab".repeat(32), "-p", "x"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("is a RIoT alias certificate of another origin than a DevKit (its issuer is not CN=devkitdice, O=DEVKIT_TEST); verify compares"),
        "{err}"
    );
}

#[test]
fn a_root_signed_with_the_devkit_nonce_says_so_without_calling_it_a_device_id() {
    let text = inspect("riot-emulator-R00tCrt.pem", false);
    assert!(text.contains(
        "(PEM): RIoT certificate (Microsoft's RIoT test names, O=MSR_TEST), not from a DevKit\n"
    ));
    assert!(
        text.ends_with(
            "\nIts signature uses the fixed nonce of the DevKit and of RIoT's reference code:\n\
         anyone can compute the signer's private key.\n"
        ),
        "{text}"
    );
    let text = inspect("control-baltimore-root.pem", false);
    assert!(text.contains("(PEM): not a DevKit RIoT alias certificate\n"));
    assert!(!text.contains("nonce"));
}
