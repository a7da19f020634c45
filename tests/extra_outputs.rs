//! Generation's extra outputs through the binary: `--device-cert` and `--alias-key` byte-exact
//! against the vectors, the key's mode and warning, all-or-nothing writes, and `--json`.
#![cfg(test)]

use crate::common;

use common::{Case, bin, cases};
use serde_json::Value;
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn pem_der(path: &Path, label: &str) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let block = pem::parse(&text).unwrap();
    assert_eq!(block.tag(), label);
    assert!(text.starts_with(&format!("-----BEGIN {label}-----\n")));
    assert!(text.lines().all(|l| l.len() <= 64));
    block.contents().to_vec()
}

fn key_warning(path: &Path) -> String {
    format!(
        "warning: {} holds the alias private key, the board's secret: with it anyone can act as this board towards DPS; keep it private and delete it when you are done\n",
        path.display()
    )
}

#[test]
fn device_cert_and_alias_key_equal_the_vectors() {
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("alias.pem");
        let device = dir.path().join("device.pem");
        let key = dir.path().join("alias-key.pem");
        let output = bin()
            .args(case.input_args())
            .arg("-o")
            .arg(&cert)
            .arg("--device-cert")
            .arg(&device)
            .arg("--alias-key")
            .arg(&key)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", case.name);
        assert_eq!(pem_der(&cert, "CERTIFICATE"), case.der(), "{}", case.name);
        assert_eq!(
            pem_der(&device, "CERTIFICATE"),
            common::base64_decode(case.field("device_id_cert_der_base64")),
            "{}",
            case.name
        );
        assert_eq!(
            pem_der(&key, "EC PRIVATE KEY"),
            common::base64_decode(case.field("alias_private_key_sec1_der_base64")),
            "{}",
            case.name
        );
        #[cfg(unix)]
        {
            let mode = std::fs::metadata(&key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", case.name);
        }
        let stderr = common::stderr_without_sample_warning(&output.stderr);
        assert!(stderr.contains(&key_warning(&key)), "{stderr}");
        assert!(
            stderr.ends_with(&format!(
                "Wrote {} (DeviceID certificate)\nWrote {} (alias private key)\n",
                device.display(),
                key.display()
            )),
            "{stderr}"
        );
    }
}

#[test]
fn an_existing_alias_key_is_kept_and_nothing_is_written() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("alias.pem");
    let device = dir.path().join("device.pem");
    let key = dir.path().join("alias-key.pem");
    std::fs::write(&key, "old key").unwrap();
    let output = bin()
        .args(case.input_args())
        .arg("-o")
        .arg(&cert)
        .arg("--device-cert")
        .arg(&device)
        .arg("--alias-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        common::stderr_without_sample_warning(&output.stderr),
        format!(
            "error: {} already exists; use --force to overwrite it, or choose another file name\n",
            key.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "old key");
    assert!(!cert.exists());
    assert!(!device.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    let output = bin()
        .args(case.input_args())
        .arg("-o")
        .arg(&cert)
        .arg("--device-cert")
        .arg(&device)
        .arg("--alias-key")
        .arg(&key)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        pem_der(&key, "EC PRIVATE KEY"),
        common::base64_decode(case.field("alias_private_key_sec1_der_base64"))
    );
}

#[test]
fn a_failing_output_leaves_no_other_file() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("alias.pem");
    let key = dir.path().join("no-such-folder").join("alias-key.pem");
    let output = bin()
        .args(case.input_args())
        .arg("-o")
        .arg(&cert)
        .arg("--alias-key")
        .arg(&key)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        common::stderr_without_sample_warning(&output.stderr)
            .starts_with(&format!("error: cannot write {}: ", key.display()))
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn outputs_must_not_share_a_file_or_standard_output() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("same.pem");
    let output = bin()
        .args(case.input_args())
        .arg("-o")
        .arg(&same)
        .arg("--alias-key")
        .arg(&same)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        common::stderr_without_sample_warning(&output.stderr),
        format!(
            "error: {} is named for two outputs; give each output its own file\n",
            same.display()
        )
    );
    let output = bin()
        .args(case.input_args())
        .args(["-o", dir.path().join("c.pem").to_str().unwrap()])
        .args(["--alias-key", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        common::stderr_without_sample_warning(&output.stderr),
        "error: --alias-key needs a file name, not '-': standard output is for the certificate\n"
    );
    let output = bin()
        .args(case.input_args())
        .args(["-o", "-", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        common::stderr_without_sample_warning(&output.stderr),
        "error: --json prints JSON on standard output, so the certificate cannot go there too; write it to a file with -o PATH\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn generation_json_for_every_vector() {
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("alias.cer");
        let device = dir.path().join("device.pem");
        let key = dir.path().join("key.pem");
        let output = bin()
            .args(case.input_args())
            .arg("-o")
            .arg(&cert)
            .args(["--format", "der", "--json", "--device-cert"])
            .arg(&device)
            .arg("--alias-key")
            .arg(&key)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", case.name);
        let json: Value = serde_json::from_slice(&output.stdout).unwrap();
        // The UDS warnings, shown while the inputs were read, are listed first.
        let mut warnings: Vec<String> = match case.name.as_str() {
            "shared-0" | "shared-2" | "shared-4" => vec![
                "this UDS is the sample published in the DevKit tutorial, so anyone can look it up; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`".to_string(),
            ],
            "shared-1" => vec![
                "this UDS differs from the sample published in the DevKit tutorial in only 2 of its 64 hex digits, so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`".to_string(),
            ],
            "shared-3" => vec![
                "this UDS is one hex digit repeated 64 times (such as all zeros), so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`".to_string(),
            ],
            _ => Vec::new(),
        };
        if case.expected_id.len() > 64 {
            warnings.push(format!("the registration ID is {} characters long: the board accepts up to 126, but DPS documents 64 as the limit for X.509 registration IDs, so the enrollment may be refused", case.expected_id.len()));
        }
        warnings.push(
            key_warning(&key)
                .trim_start_matches("warning: ")
                .trim_end()
                .to_string(),
        );
        let expected = serde_json::json!({
            "registration_id": case.expected_id,
            "output": cert.display().to_string(),
            "format": "der",
            "thumbprints": {
                "sha1": case.field("alias_cert_sha1"),
                "sha256": case.field("alias_cert_sha256"),
            },
            "fwid": case.field("fwid"),
            "alias_public_key": case.field("alias_public"),
            "device_id_public_key": case.field("device_id_public"),
            "device_cert": device.display().to_string(),
            "alias_key": key.display().to_string(),
            "certificate_der_base64": case.field("alias_cert_der_base64"),
            "warnings": warnings,
        });
        assert_eq!(json, expected, "{}", case.name);
        assert_eq!(std::fs::read(&cert).unwrap(), case.der());
        let stderr = common::stderr_without_sample_warning(&output.stderr);
        assert!(!stderr.contains("Wrote"), "{stderr}");
    }
}

#[test]
fn generation_json_lists_the_uds_flag_warning() {
    let case = Case::named("shared-3");
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .arg("-b")
        .arg(&case.bin)
        .arg("-m")
        .arg(&case.map)
        .args(["-u", &case.uds, "-i", "dev-1", "--json", "-o"])
        .arg(dir.path().join("dev-1.pem"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        json["warnings"],
        serde_json::json!([
            "a UDS given with -u/--uds is visible in your shell history and in the process list; use --uds-file PATH (- for standard input) or the DPS_UDS environment variable instead",
            "this UDS is one hex digit repeated 64 times (such as all zeros), so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`"
        ])
    );
}
