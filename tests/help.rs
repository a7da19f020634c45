//! `--help` of the tool and of every command fits an 80-column terminal, and the main
//! help stays short (the long material is in the README).
#![cfg(test)]

use assert_cmd::Command;

const COMMANDS: [&[&str]; 11] = [
    &[],
    &["uds"],
    &["completions"],
    &["inspect"],
    &["verify"],
    &["batch"],
    &["board"],
    &["board", "info"],
    &["board", "set-uds"],
    &["board", "provision"],
    &["enroll"],
];

fn help(args: &[&str], flag: &str, columns: &str) -> String {
    let out = Command::cargo_bin("dps-cert-gen")
        .unwrap()
        .args(args)
        .arg(flag)
        .env("COLUMNS", columns)
        .env_remove("DPS_UDS")
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?} {flag}");
    assert!(out.stderr.is_empty(), "{args:?} {flag}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_help_fits_80_columns() {
    for args in COMMANDS {
        for flag in ["--help", "-h"] {
            let text = help(args, flag, "80");
            for line in text.lines() {
                assert!(
                    line.chars().count() <= 80,
                    "{args:?} {flag}: {} columns: {line}",
                    line.chars().count()
                );
            }
        }
    }
}

#[test]
fn help_wraps_to_the_terminal_width() {
    // Narrower still: clap wraps the descriptions (the `wrap_help` feature) to COLUMNS.
    let text = help(&[], "--help", "60");
    let long: Vec<&str> = text.lines().filter(|l| l.chars().count() > 60).collect();
    // Only the examples (command lines, never wrapped mid-word) may be wider.
    assert!(
        long.iter().all(|l| l.starts_with("  dps-cert-gen")),
        "{long:#?}"
    );
    assert!(text.contains("\n          Registration ID (the certificate's CN): a-z, 0-9\n          and '-', at most 64\n"));
}

#[test]
fn the_main_help_is_short_and_points_to_the_readme() {
    let text = help(&[], "--help", "80");
    let lines = text.lines().count();
    assert!(lines <= 80, "{lines} lines");
    assert!(text.contains("More in the README."));
    assert!(text.starts_with(
        "Make the X.509 certificate an MXChip AZ3166 DevKit presents to Azure IoT Hub DPS\n"
    ));
}

#[test]
fn board_set_uds_without_its_uds_names_both_ways() {
    const MISSING: &str = "error: missing the UDS to set: give --uds-file PATH (a file holding it, - for standard input), or --new-uds --save-uds PATH (a new one, saved to a new file first)\n";
    // provision: found once the firmware is checked, before the board is touched.
    let out = Command::cargo_bin("dps-cert-gen")
        .unwrap()
        .args(["board", "provision", "-p", "DevKitDPS", "--build-dir"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/devkit-a"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), MISSING);
    let out = Command::cargo_bin("dps-cert-gen")
        .unwrap()
        .args(["board", "set-uds", "--port", "/dev/ttyNOPE"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), MISSING);
    // The verify example reads the UDS from a file, not from -u (shell history).
    let text = help(&["verify"], "--help", "100");
    assert!(text.contains(
        "  dps-cert-gen verify enrolled.pem -p DevKitDPS --uds-file uds.txt -i my-device-01\n"
    ));
}
