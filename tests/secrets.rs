//! Secrets stay secret: the UDS, the CDI and the derived private keys never reach `Debug`,
//! error text, the report, `-v`, `--json` or any file but the one asked for (`--alias-key`,
//! mode 0600); a refused UDS is not repeated, in any part, in the error.
#![cfg(test)]

use crate::common;

use common::{Case, bin};
use dps_cert_gen::derivation::{FirmwareMeasurements, derive_keys, generate};
use dps_cert_gen::dice::cdi::{Cdi, RiotCoreMeasure};
use dps_cert_gen::{RegistrationId, Uds};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

/// Every way a secret's bytes could be spelled in text: hex either case, and the decimal list
/// `Debug` prints for a byte array.
fn spellings(secret: &[u8]) -> Vec<String> {
    let decimal: Vec<String> = secret.iter().take(4).map(u8::to_string).collect();
    vec![
        hex::encode(secret),
        hex::encode_upper(secret),
        hex::encode(secret.get(..8).unwrap()),
        hex::encode_upper(secret.get(..8).unwrap()),
        decimal.join(", "),
    ]
}

fn assert_hides(text: &str, secret: &[u8], what: &str) {
    for s in spellings(secret) {
        assert!(!text.contains(&s), "{what} shows {s}: {text}");
    }
}

struct Secrets {
    uds: Vec<u8>,
    cdi: Vec<u8>,
    device_id_key: Vec<u8>,
    alias_key: Vec<u8>,
}

fn secrets_of(case: &Case) -> Secrets {
    let uds = Uds::from_hex(&case.uds).unwrap();
    let regions = dps_cert_gen::firmware::measurement::measure_bin_map(&case.bin, &case.map, None)
        .unwrap()
        .regions;
    let measurements = FirmwareMeasurements::of(&regions);
    let cdi = Cdi::derive(&uds, &measurements.riot_core_measure);
    assert_eq!(hex::encode(cdi.as_bytes()), case.field("cdi"));
    let keys = derive_keys(&uds, &measurements).unwrap();
    Secrets {
        uds: uds.as_bytes().to_vec(),
        cdi: cdi.as_bytes().to_vec(),
        device_id_key: keys.device_id.secret().to_bytes().to_vec(),
        alias_key: keys.alias.secret().to_bytes().to_vec(),
    }
}

fn assert_hides_all(text: &str, s: &Secrets, what: &str) {
    assert_hides(text, &s.uds, &format!("{what} (UDS)"));
    assert_hides(text, &s.cdi, &format!("{what} (CDI)"));
    assert_hides(text, &s.device_id_key, &format!("{what} (DeviceID key)"));
    assert_hides(text, &s.alias_key, &format!("{what} (alias key)"));
}

#[test]
fn debug_of_secret_types_prints_no_digits() {
    let uds = Uds::from_hex(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX).unwrap();
    let cdi = Cdi::derive(&uds, &RiotCoreMeasure::of(b"riot core bytes"));
    for shown in [format!("{uds:?}"), format!("{cdi:?}")] {
        assert!(!shown.chars().any(|c| c.is_ascii_digit()), "{shown}");
        assert!(shown.contains("<secret>"), "{shown}");
    }
}

#[test]
fn debug_of_everything_holding_a_secret_hides_it() {
    let case = Case::named("shared-0");
    let s = secrets_of(&case);
    let uds = Uds::from_hex(&case.uds).unwrap();
    let regions = dps_cert_gen::firmware::measurement::measure_bin_map(&case.bin, &case.map, None)
        .unwrap()
        .regions;
    let id = RegistrationId::new("my-device-01").unwrap();
    let cert = generate(&uds, &FirmwareMeasurements::of(&regions), &id).unwrap();
    assert_hides_all(&format!("{cert:?}"), &s, "AliasCertificate");
    assert_hides_all(&format!("{:?}", cert.keys), &s, "RiotKeys");
    // The command line's own types (UdsArgs, GenerateArgs, EnvUds) are checked beside
    // them, in src/cli/args.rs.
}

#[test]
fn reports_verbose_and_json_hold_no_secret() {
    let case = Case::named("shared-0");
    let s = secrets_of(&case);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("alias-key.pem");
    for extra in [&["-v"][..], &["-v", "--json"][..]] {
        let _ = std::fs::remove_file(&key);
        let output = bin()
            .args(case.input_args())
            .arg("-o")
            .arg(dir.path().join("alias.pem"))
            .arg("--force")
            .arg("--alias-key")
            .arg(&key)
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(text.contains("FWID"), "{text}");
        assert_hides_all(&text, &s, &format!("output of {extra:?}"));
    }
    // The key is where it was asked for, and only there: 0600 (on Windows: the folder's
    // ACL, see README "Windows"), and no temporary file is left.
    #[cfg(unix)]
    {
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(
        common::written_files(dir.path()),
        ["alias-key.pem", "alias.pem"]
    );
}

#[test]
fn a_refused_uds_is_not_repeated_in_the_error() {
    let case = Case::named("shared-0");
    let good = &case.uds;
    let mut with_z = good.clone();
    with_z.replace_range(20..21, "z");
    let short = good.get(..40).unwrap().to_string();
    let long = format!("{good}{good}");
    let dir = tempfile::tempdir().unwrap();
    for bad in [with_z, short, long] {
        let file = dir.path().join("uds.txt");
        std::fs::write(&file, &bad).unwrap();
        let runs = [
            bin().args(["-u", &bad]).output().unwrap(),
            bin().arg("--uds-file").arg(&file).output().unwrap(),
            bin().env("DPS_UDS", &bad).output().unwrap(),
        ];
        for output in runs {
            assert_eq!(output.status.code(), Some(2));
            let stderr = String::from_utf8(output.stderr).unwrap();
            assert!(stderr.contains("the UDS must"), "{stderr}");
            // No 6 consecutive characters of what was typed appear in the message.
            let chars: Vec<char> = bad.chars().collect();
            for window in chars.windows(6) {
                let piece: String = window.iter().collect();
                assert!(!stderr.contains(&piece), "{piece} in {stderr}");
            }
        }
    }
}

#[test]
fn uds_text_is_built_in_buffers_that_never_grow() {
    // A buffer that grows leaves the old copy in freed memory, where no wipe reaches it.
    use dps_cert_gen::dice::uds::{set_dps_uds_line, to_hex};
    let uds = Uds::from_hex(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX).unwrap();
    let mut text = to_hex(&uds);
    assert_eq!(text.as_str(), dps_cert_gen::dice::uds::SAMPLE_UDS_HEX);
    let capacity = text.capacity();
    text.push('\n');
    assert_eq!(text.capacity(), capacity, "room for the line end");
    let line = set_dps_uds_line(&uds);
    assert_eq!(
        line.as_str(),
        format!("set_dps_uds {}", dps_cert_gen::dice::uds::SAMPLE_UDS_HEX)
    );
    assert_eq!(line.capacity(), line.len());
}
