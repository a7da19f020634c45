//! A UDS where an ID belongs, or given to the wrong flag, is never repeated: not in the
//! certificate's CN or file name, not in a message (the tool's or clap's), not in the batch
//! summary (issue 14, item 1).
#![cfg(test)]

use crate::common;

use common::{assert_no_uds, bin, uds_file};
use dps_cert_gen::text::uds_like::MASK;
use std::path::{Path, PathBuf};

const UDS: &str = "4f3c1b2a9e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a3928171605f4e3";

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

const IS_THE_UDS: &str = "error: the registration ID given is the UDS: the ID goes into the public certificate, its file name and the DPS portal, so it must never be the secret; give the device's registration ID with -i and the UDS with --uds-file or DPS_UDS\n";

#[test]
fn an_id_equal_to_the_uds_is_refused_in_either_case() {
    for id in [UDS.to_string(), UDS.to_uppercase()] {
        let dir = tempfile::tempdir().unwrap();
        let output = bin()
            .current_dir(dir.path())
            .args(common::devkit_a_bin_map())
            .arg("--uds-file")
            .arg(uds_file(UDS))
            .args(["-i", &id])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(stderr(&output), IS_THE_UDS);
        assert!(
            common::names_in(dir.path()).is_empty(),
            "nothing is written"
        );
    }
    // The same with the UDS in DPS_UDS.
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .current_dir(dir.path())
        .env("DPS_UDS", UDS)
        .args(common::devkit_a_bin_map())
        .args(["-i", UDS])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stderr(&output), IS_THE_UDS);
}

#[test]
fn an_id_of_64_hex_digits_that_is_not_the_uds_draws_a_warning() {
    let other = "0".repeat(63) + "1";
    let dir = tempfile::tempdir().unwrap();
    let uds_path = uds_file(UDS);
    let output = bin()
        .current_dir(dir.path())
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(&uds_path)
        .args(["-i", &other])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with(&format!(
            "note: UDS read from {} (--uds-file)\nwarning: {}\n",
            uds_path.display(),
            dps_cert_gen::registration_id::UDS_LIKE_WARNING
        )),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_uds_given_to_the_wrong_flag_is_masked_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let fw = common::devkit_a_bin_map();
    let uds_path = uds_file(UDS).display().to_string();
    let upper = UDS.to_uppercase();
    let other_upper = "AB".repeat(32);
    // (A path holding the UDS itself is refused outright: see below.)
    let out_path = format!("/nonexistent-dps/{other_upper}.pem");
    let cases: Vec<Vec<&str>> = vec![
        vec!["--uds-file", UDS, "-i", "dev-1"],
        vec![
            "-b",
            UDS,
            "-m",
            &fw[3],
            "--uds-file",
            &uds_path,
            "-i",
            "dev-1",
        ],
        vec!["-p", UDS, "--uds-file", &uds_path, "-i", "dev-1"],
        vec![
            "--uds-file",
            &uds_path,
            "--mac",
            UDS,
            "--firmware-version",
            "1.0.0",
        ],
        vec![
            "--uds-file",
            &uds_path,
            "--mac",
            "c89346000001",
            "--firmware-version",
            &upper,
        ],
        vec![
            &fw[0],
            &fw[1],
            &fw[2],
            &fw[3],
            "--uds-file",
            &uds_path,
            "-i",
            "dev-1",
            "-o",
            &out_path,
        ],
        vec![
            &fw[0],
            &fw[1],
            &fw[2],
            &fw[3],
            "--uds-file",
            &uds_path,
            "-i",
            "dev-1",
            UDS,
        ],
        // An upper-case 64-hex ID is not a valid ID: its error is masked too.
        vec!["--uds-file", &uds_path, "-i", &other_upper],
        vec!["inspect", UDS],
        vec!["batch", "--manifest", UDS, "--out-dir", "x"],
    ];
    for args in cases {
        let output = bin().current_dir(dir.path()).args(&args).output().unwrap();
        let text = stderr(&output);
        // (A folder that does not exist is the system's refusal: status 1.)
        let expected = if args.contains(&out_path.as_str()) {
            1
        } else {
            2
        };
        assert_eq!(output.status.code(), Some(expected), "{args:?}: {text}");
        assert_no_uds(&text, UDS);
        assert_no_uds(&text, &other_upper);
        assert!(text.contains(MASK), "{args:?}: {text}");
        assert!(output.stdout.is_empty());
    }
    assert!(common::names_in(dir.path()).is_empty());
}

#[test]
fn clap_keeps_its_usage_line_and_help_and_version_still_work() {
    let output = bin().arg(UDS).output().unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text.starts_with(&format!("error: unrecognized subcommand '{MASK}'")),
        "{text}"
    );
    assert!(text.contains("Usage: dps-cert-gen"), "{text}");
    let help = bin().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(
        String::from_utf8(help.stdout)
            .unwrap()
            .contains("Usage: dps-cert-gen")
    );
    assert!(help.stderr.is_empty());
    let version = bin().arg("--version").output().unwrap();
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(version.stdout).unwrap(),
        format!("dps-cert-gen {}\n", env!("CARGO_PKG_VERSION"))
    );
}

fn batch(manifest: &Path, out: &Path) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.arg("batch")
        .args(common::devkit_a_bin_map())
        .arg("--manifest")
        .arg(manifest)
        .arg("--out-dir")
        .arg(out);
    cmd
}

fn uds_of(i: u8) -> String {
    hex::encode([i; 32])
}

#[test]
fn swapped_columns_never_put_a_uds_in_the_summary_a_file_name_or_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let manifest: PathBuf = dir.path().join("devices.csv");
    // The header names uds first, but the values are in the other order; the extra column
    // holds a UDS too.
    let mut text = String::from("uds,registration_id,note\n");
    for i in 1..=3u8 {
        text.push_str(&format!("dev-{i},{},{}\n", uds_of(i), uds_of(i + 10)));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("out");
    let output = batch(&manifest, &out).arg("--keep-going").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let messages = stderr(&output);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    for i in 1..=13u8 {
        assert_no_uds(&messages, &uds_of(i));
        assert_no_uds(&summary, &uds_of(i));
    }
    assert_eq!(common::names_in(&out), ["summary.csv"]);
    let first = summary.lines().nth(1).unwrap();
    assert_eq!(
        first,
        format!(
            "2,\"{MASK}\",,,,invalid,\"the registration_id field is 64 hex digits, as a UDS is (are the uds and registration_id columns swapped?); a registration ID goes into the public certificate, its file name and the summary, so it must never be a UDS\",\"{MASK}\""
        )
    );
}

#[test]
fn summary_cells_are_printable_and_never_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    let text = format!(
        "uds,registration_id,note,=HEADER\n{},dev-1,\"=HYPERLINK(\"\"http://x\"\")\",\"a\x1b]0;t\x07b\"\n{},dev-2,+1,@SUM(A1)\n{},dev-3,-2,ok\n",
        uds_of(1),
        uds_of(2),
        uds_of(3)
    );
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("out");
    let output = batch(&manifest, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(summary.as_bytes());
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows[0][7..], ["note", "'=HEADER"]);
    assert_eq!(rows[1][7..], ["'=HYPERLINK(\"http://x\")", "a?]0;t?b"]);
    assert_eq!(rows[2][7..], ["'+1", "'@SUM(A1)"]);
    assert_eq!(rows[3][7..], ["'-2", "ok"]);
    assert!(!summary.bytes().any(|b| b.is_ascii_control() && b != b'\n'));
}

#[test]
fn an_output_path_holding_the_uds_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .current_dir(dir.path())
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(uds_file(UDS))
        .args(["-i", "dev-1", "-o", &format!("{}.pem", UDS.to_uppercase())])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: the output path given with -o holds the UDS; a certificate's file name is seen wherever the certificate goes, so choose another name with -o (or leave it out for <registration-id>.pem)\n"
    );
    assert!(common::names_in(dir.path()).is_empty());
}

/// Issue 22, 2: an ID that holds the UDS anywhere (`dev-<UDS>`, `<UDS>x`, `0<UDS>` in
/// capitals) is refused as the UDS itself is, and nothing is written.
#[test]
fn an_id_holding_the_uds_anywhere_is_refused() {
    for id in [
        format!("dev-{UDS}"),
        format!("{UDS}x"),
        format!("0{}", UDS.to_uppercase()),
        format!("{UDS}0"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = bin()
            .current_dir(dir.path())
            .args(common::devkit_a_bin_map())
            .arg("--uds-file")
            .arg(uds_file(UDS))
            .args(["-i", &id])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{id}");
        assert_eq!(stderr(&output), IS_THE_UDS, "{id}");
        assert!(
            common::names_in(dir.path()).is_empty(),
            "nothing is written"
        );
    }
}

/// Issue 22, 2 and 3: a manifest whose IDs and cells hold a UDS inside longer text or longer
/// runs of digits (`dev-<UDS>`, `<UDS>0`, either case): the rows are refused, and neither the
/// summary (CSV, JSON), the JSON-lines file nor a message holds a digit run of it.
#[test]
fn a_uds_inside_a_manifest_cell_reaches_no_output() {
    for jsonl in [false, true] {
        for summary_json in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let manifest = dir.path().join("devices.csv");
            let text = format!(
                "uds,registration_id,note,{}0\n\
                 {},dev-{},{}0,x\n\
                 {},{}x,ok,x\n\
                 {},dev-3,{}0,dev-{}\n",
                uds_of(9),
                uds_of(1),
                uds_of(1),
                uds_of(1).to_uppercase(),
                uds_of(2),
                uds_of(2).to_uppercase(),
                uds_of(3),
                uds_of(3),
                uds_of(3)
            );
            std::fs::write(&manifest, text).unwrap();
            let out = dir.path().join("out");
            let jsonl_path = dir.path().join("certs.jsonl");
            let mut cmd = batch(&manifest, &out);
            cmd.arg("--keep-going");
            if jsonl {
                cmd.arg("--jsonl").arg(&jsonl_path);
            }
            if summary_json {
                cmd.arg("--summary-json");
            }
            let output = cmd.output().unwrap();
            assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
            let summary_name = if summary_json {
                "summary.json"
            } else {
                "summary.csv"
            };
            let mut seen = stderr(&output);
            seen.push_str(&std::fs::read_to_string(out.join(summary_name)).unwrap());
            if jsonl {
                let lines = std::fs::read_to_string(&jsonl_path).unwrap();
                assert_eq!(lines.lines().count(), 1, "dev-3 only: {lines}");
                let v: serde_json::Value =
                    serde_json::from_str(lines.lines().next().unwrap()).unwrap();
                assert_eq!(v["registration_id"], "dev-3");
                assert_eq!(v["note"], MASK);
                assert_eq!(v[MASK], format!("dev-{MASK}"));
                seen.push_str(&lines);
            } else {
                let mut names = common::names_in(&out);
                names.sort();
                assert_eq!(names, ["dev-3.pem", summary_name]);
            }
            for i in [1u8, 2, 3, 9] {
                let u = uds_of(i);
                assert!(
                    !seen.to_lowercase().contains(&u[..16]),
                    "UDS {i} shown: {seen}"
                );
            }
            assert!(
                seen.contains(&format!(
                    "{} line 2: the registration_id field holds 64 or more hex digits in a row",
                    manifest.display()
                )),
                "{seen}"
            );
        }
    }
}
