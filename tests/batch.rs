//! The `batch` command: certificates equal to the single-device path and to the vectors, each
//! row error with its message, --keep-going, no partial files after a failure, the summary.
#![cfg(test)]

use crate::common;

use assert_cmd::Command;
use dps_cert_gen::batch::engine::{self, CertSink, Options, Status};
use dps_cert_gen::batch::manifest::Manifest;
use dps_cert_gen::derivation::FirmwareMeasurements;
use dps_cert_gen::encoding::{CertFormat, Thumbprints, pem_certificate};
use dps_cert_gen::firmware::measurement::measure_bin_map;
use dps_cert_gen::{RegistrationId, Uds, generate};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

fn firmware_dir() -> PathBuf {
    common::fixtures().join("devkit-a")
}

fn firmware_args(dir: &Path) -> Vec<String> {
    vec![
        "-b".into(),
        dir.join("DevKitDPS.ino.bin").display().to_string(),
        "-m".into(),
        dir.join("DevKitDPS.ino.map").display().to_string(),
    ]
}

fn measurements(dir: &Path) -> FirmwareMeasurements {
    let regions = measure_bin_map(
        &dir.join("DevKitDPS.ino.bin"),
        &dir.join("DevKitDPS.ino.map"),
        None,
    )
    .unwrap()
    .regions;
    FirmwareMeasurements::of(&regions)
}

/// A UDS for row `i`: SHA-256 of the index.
fn uds_hex(i: usize) -> String {
    hex::encode(Sha256::digest((i as u64).to_le_bytes()))
}

fn batch_cmd(manifest: &Path, out: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.arg("batch")
        .args(firmware_args(&firmware_dir()))
        .arg("--manifest")
        .arg(manifest)
        .arg("--out-dir")
        .arg(out);
    cmd
}

fn read_summary(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn stderr_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn a_thousand_rows_equal_the_single_device_path() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    let mut text = String::from("registration_id,uds,station\n");
    for i in 0..1000 {
        text.push_str(&format!("unit-{i:04},{},line-{}\n", uds_hex(i), i % 3));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("certs");
    let output = batch_cmd(&manifest, &out).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with("Wrote 1000 of 1000 certificates to "),
        "{stderr}"
    );
    // No progress bar when standard error is not a terminal.
    assert!(!stderr.contains('\r') && !stderr.contains('\u{1b}'));

    let fw = measurements(&firmware_dir());
    let summary = read_summary(&out.join("summary.csv"));
    assert_eq!(summary.len(), 1001);
    for i in 0..1000 {
        let id = RegistrationId::new(&format!("unit-{i:04}")).unwrap();
        let uds = Uds::from_hex(&uds_hex(i)).unwrap();
        let expected = generate(&uds, &fw, &id).unwrap();
        let file = out.join(format!("{id}.pem"));
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(
            written == pem_certificate(&expected.der),
            "{} differs from the single-device path",
            file.display()
        );
        let t = Thumbprints::of(&expected.der);
        let line = (i + 2).to_string();
        let file_name = format!("{id}.pem");
        let station = format!("line-{}", i % 3);
        assert_eq!(
            summary[i + 1],
            vec![
                line.as_str(),
                id.as_str(),
                file_name.as_str(),
                t.sha1.as_str(),
                t.sha256.as_str(),
                "written",
                "",
                station.as_str()
            ]
        );
    }
    assert_eq!(common::names_in(&out).len(), 1001);
}

#[test]
fn rows_from_the_vectors_give_the_vectors_certificates() {
    // One batch per firmware folder and ID: the vectors repeat IDs across UDS values.
    for (n, case) in common::cases().iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("devices.csv");
        let text = match (&case.registration_id, &case.mac) {
            (Some(id), _) => format!("uds,registration_id\n{},{id}\n", case.uds),
            (None, Some(mac)) => format!(
                "uds,mac,firmware_version\n{},{mac},{}\n",
                case.uds,
                case.firmware_version.as_deref().unwrap()
            ),
            (None, None) => panic!("{}: no ID", case.name),
        };
        std::fs::write(&manifest, text).unwrap();
        let out = dir.path().join("out");
        let format = if n % 2 == 0 { "pem" } else { "der" };
        let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
        cmd.arg("batch")
            .args([
                "-b",
                case.bin.to_str().unwrap(),
                "-m",
                case.map.to_str().unwrap(),
            ])
            .arg("--manifest")
            .arg(&manifest)
            .arg("--out-dir")
            .arg(&out)
            .args(["--format", format]);
        // The vector whose ID is 126 `a`s, all hex digits: a manifest's ID holding 64 hex
        // digits in a row may hold a UDS, so the row is refused (issue 22, 2); `-i` takes it.
        if dps_cert_gen::text::uds_like::holds_uds_like(&case.expected_id) {
            let o = cmd.output().unwrap();
            assert_eq!(o.status.code(), Some(2));
            assert_eq!(
                String::from_utf8_lossy(&o.stderr),
                format!(
                    "error: {} line 2: the registration_id field holds 64 or more hex digits in a row, as a UDS does (a UDS pasted into it?); a registration ID goes into the public certificate, its file name and the summary, so it must never hold a UDS\nerror: 1 of 1 rows of {} are invalid (listed above); nothing was written: fix them, or use --keep-going to write the valid rows\n",
                    manifest.display(),
                    manifest.display()
                )
            );
            continue;
        }
        cmd.assert().success();
        let der = case.der();
        let (file, expected) = if format == "pem" {
            (
                format!("{}.pem", case.expected_id),
                pem_certificate(&der).into_bytes(),
            )
        } else {
            (format!("{}.cer", case.expected_id), der.clone())
        };
        let written = std::fs::read(out.join(&file)).unwrap();
        assert!(written == expected, "{}: certificate differs", case.name);
        let summary = read_summary(&out.join("summary.csv"));
        assert_eq!(summary[1][1], case.expected_id);
        assert_eq!(summary[1][2], file);
        assert_eq!(summary[1][3], case.field("alias_cert_sha1"));
        assert_eq!(summary[1][4], case.field("alias_cert_sha256"));
        assert_eq!(summary[1][5], "written");
    }
}

/// A manifest with one row of each error class after a good row (line 2).
fn bad_manifest(dir: &Path, existing_out: &Path) -> PathBuf {
    std::fs::create_dir_all(existing_out).unwrap();
    std::fs::write(existing_out.join("taken.pem"), "keep me").unwrap();
    let u = uds_hex(0);
    // The valid rows each have their own UDS (a shared one is an error of its own).
    let (u2, u3, u4, u5) = (uds_hex(2), uds_hex(3), uds_hex(4), uds_hex(5));
    let short = &u[..63];
    let mut not_hex = u.clone();
    not_hex.replace_range(9..10, "g");
    let text = format!(
        "uds,registration_id,mac,firmware_version,note\n\
         {u},good-1,,,first\n\
         {short},short-uds,,,\n\
         {not_hex},not-hex,,,\n\
         {u},Bad_ID,,,\n\
         {u},,zz:93:46:00:00:01,1.3.0,\n\
         {u},,c89346000001,1.3,\n\
         {u},,,,\n\
         ,no-uds,,,\n\
         {u},both,c89346000001,1.3.0,\n\
         {u},too-few\n\
         {u2},twice,,,a\n\
         {u3},twice,,,b\n\
         {u4},taken,,,\n\
         {u5},good-2,,,last\n"
    );
    let manifest = dir.join("devices.csv");
    std::fs::write(&manifest, text).unwrap();
    manifest
}

fn expected_row_errors(manifest: &Path, out: &Path) -> Vec<String> {
    let m = manifest.display();
    vec![
        format!(
            "{m} line 3: the UDS must be 64 hex digits (32 bytes), but 63 characters were given; type the full UDS as set with `set_dps_uds`"
        ),
        format!(
            "{m} line 4: the UDS must contain only hex digits 0-9 and a-f, but character 10 is not one; check the UDS you set with `set_dps_uds`"
        ),
        format!(
            "{m} line 5: the registration ID \"Bad_ID\" contains 'B' at position 1; only lower-case letters a-z, digits 0-9 and '-' are allowed"
        ),
        format!(
            "{m} line 6: \"zz:93:46:00:00:01\" is not a MAC address; give the 12 hex digits the board prints at boot, like c89346000001 or C8:93:46:00:00:01"
        ),
        format!(
            "{m} line 7: \"1.3\" is not a firmware version; give the DevKit firmware version the board prints at boot as major.minor.patch, like 1.3.0"
        ),
        format!("{m} line 8: the registration_id field is empty; fill it in"),
        format!("{m} line 9: the uds field is empty; fill it in"),
        format!(
            "{m} line 10: both registration_id and mac are filled in; give the registration ID, or the MAC and firmware version, not both"
        ),
        format!(
            "{m} line 11: the row has 2 fields but the header has 5 columns; check for a missing or extra comma"
        ),
        format!(
            "{m} line 12: the registration ID twice is also on line 13; every device needs its own registration ID"
        ),
        format!(
            "{m} line 13: the registration ID twice is also on line 12; every device needs its own registration ID"
        ),
        format!(
            "{m} line 14: {} already exists with other contents; use --force to overwrite it, or choose another --out-dir",
            out.join("taken.pem").display()
        ),
    ]
}

#[test]
fn every_row_error_is_named_by_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = bad_manifest(dir.path(), &out);
    let output = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    let mut expected: Vec<String> = expected_row_errors(&manifest, &out)
        .into_iter()
        .map(|e| format!("error: {e}"))
        .collect();
    expected.push(format!(
        "error: 12 of 14 rows of {} are invalid (listed above); nothing was written: fix them, or use --keep-going to write the valid rows",
        manifest.display()
    ));
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expected);
    // Nothing written: only the file that was there before.
    assert_eq!(common::names_in(&out), vec!["taken.pem"]);
    assert_eq!(
        std::fs::read_to_string(out.join("taken.pem")).unwrap(),
        "keep me"
    );
    // No UDS digit in any message.
    let u = uds_hex(0);
    assert!(!stderr.contains(&u[..16]) && !stderr.contains(&u[48..]));
}

#[test]
fn keep_going_writes_the_good_rows_and_lists_the_bad_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let manifest = bad_manifest(dir.path(), &out);
    let output = batch_cmd(&manifest, &out)
        .arg("--keep-going")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    let lines: Vec<&str> = stderr.lines().collect();
    let expected = expected_row_errors(&manifest, &out);
    for (line, e) in lines.iter().zip(&expected) {
        assert_eq!(*line, format!("warning: {e}"));
    }
    assert!(lines[12].starts_with(&format!("Wrote 2 of 14 certificates to {}", out.display())));
    let summary_path = out.join("summary.csv");
    assert_eq!(
        lines[13],
        format!(
            "error: 12 of 14 devices were not written because their rows are invalid (listed above and in {})",
            summary_path.display()
        )
    );
    assert_eq!(
        common::names_in(&out),
        vec!["good-1.pem", "good-2.pem", "summary.csv", "taken.pem"]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("taken.pem")).unwrap(),
        "keep me"
    );

    let summary = read_summary(&summary_path);
    assert_eq!(
        summary[0],
        vec![
            "line",
            "registration_id",
            "file",
            "sha1_thumbprint",
            "sha256_thumbprint",
            "status",
            "error",
            "note"
        ]
    );
    let statuses: Vec<(&str, &str, &str)> = summary[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("2", "good-1", "written"),
            ("3", "short-uds", "invalid"),
            ("4", "not-hex", "invalid"),
            ("5", "Bad_ID", "invalid"),
            ("6", "", "invalid"),
            ("7", "", "invalid"),
            ("8", "", "invalid"),
            ("9", "no-uds", "invalid"),
            ("10", "both", "invalid"),
            ("11", "too-few", "invalid"),
            ("12", "twice", "invalid"),
            ("13", "twice", "invalid"),
            ("14", "taken", "invalid"),
            ("15", "good-2", "written"),
        ]
    );
    // The error column holds the message without its place; extra columns are kept.
    let m = format!("{} line 3: ", manifest.display());
    assert_eq!(summary[2][6], expected[0].strip_prefix(&m).unwrap());
    assert_eq!(summary[1][7], "first");
    assert_eq!(summary[14][7], "last");
    assert_eq!(summary[11][7], "a");
    assert_eq!(summary[12][7], "b");
    // Thumbprints only for the written rows, and they are those of the files.
    let der = |name: &str| {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        pem::parse(text).unwrap().into_contents()
    };
    assert_eq!(summary[1][3], Thumbprints::of(&der("good-1.pem")).sha1);
    assert_eq!(summary[14][4], Thumbprints::of(&der("good-2.pem")).sha256);
    assert!(
        summary[2..14]
            .iter()
            .all(|r| r[3].is_empty() && r[4].is_empty())
    );
    // No UDS anywhere in the outputs.
    let u = uds_hex(0);
    for name in common::names_in(&out) {
        let bytes = std::fs::read(out.join(&name)).unwrap();
        common::assert_no_uds(&String::from_utf8_lossy(&bytes), &u);
    }
}

#[test]
fn the_json_summary_has_the_same_facts() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!(
            "uds,mac,firmware_version,batch\n{},C8:93:46:00:00:01,1.3.0,7\n{},c89346000001,1.3.0,8\n",
            uds_hex(1),
            uds_hex(2)
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let output = batch_cmd(&manifest, &out)
        .args(["--summary-json", "--keep-going", "--jobs", "1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr_of(&output));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["total"], 2);
    assert_eq!(summary["written"], 0);
    assert_eq!(summary["invalid"], 2);
    let first = &summary["devices"][0];
    assert_eq!(first["line"], 2);
    assert_eq!(first["registration_id"], "az-c89346000001v1v3v0");
    assert_eq!(first["status"], "invalid");
    assert_eq!(
        first["error"],
        "the registration ID az-c89346000001v1v3v0 is also on line 3; every device needs its own registration ID"
    );
    assert_eq!(first["sha1_thumbprint"], serde_json::Value::Null);
    assert_eq!(first["extra"]["batch"], "7");
    assert!(!out.join("summary.csv").exists());
}

#[test]
fn an_existing_summary_needs_force_unless_it_is_an_earlier_runs() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!("uds,registration_id\n{},one\n", uds_hex(3)),
    )
    .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("summary.csv"), "my own notes\n").unwrap();
    let again = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        stderr_of(&again),
        format!(
            "error: {} already exists (from an earlier run?); use --force to overwrite it, or choose another --out-dir\n",
            out.join("summary.csv").display()
        )
    );
    assert_eq!(common::names_in(&out), vec!["summary.csv"]);
    batch_cmd(&manifest, &out).arg("--force").assert().success();
    assert_eq!(common::names_in(&out), vec!["one.pem", "summary.csv"]);
}

#[test]
fn a_run_over_its_own_output_counts_identical_files_as_done() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    let mut text = String::from("uds,registration_id\n");
    for i in 0..30 {
        text.push_str(&format!("{},dev-{i:02}\n", uds_hex(i)));
    }
    std::fs::write(&manifest, &text).unwrap();
    let out = dir.path().join("out");
    batch_cmd(&manifest, &out).assert().success();
    let first = std::fs::read(out.join("summary.csv")).unwrap();
    // As after Ctrl-C or a crash: some certificates are gone, the rest are whole.
    for i in 0..10 {
        std::fs::remove_file(out.join(format!("dev-{i:02}.pem"))).unwrap();
    }
    let again = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    let stderr = stderr_of(&again);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(
        lines[0],
        format!(
            "20 of 30 certificates were in {} already with exactly these contents (an earlier run's): counted as done",
            out.display()
        )
    );
    assert!(
        lines[1].starts_with(&format!(
            "Wrote 10 of 30 certificates to {} in ",
            out.display()
        )),
        "{stderr}"
    );
    let summary = String::from_utf8(std::fs::read(out.join("summary.csv")).unwrap()).unwrap();
    assert_eq!(
        summary.matches(",already written,").count(),
        20,
        "{summary}"
    );
    assert_eq!(summary.matches(",written,").count(), 10, "{summary}");
    // Same thumbprints as the first run's, row for row.
    let thumbs = |csv: &str| -> Vec<String> {
        csv.lines()
            .map(|l| l.split(',').take(5).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(thumbs(&summary), thumbs(&String::from_utf8(first).unwrap()));
    // Once all are there, a run says so in one line: no "Wrote 0 of 30", no rate.
    let done = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(done.status.code(), Some(0));
    assert_eq!(
        stderr_of(&done),
        format!(
            "All 30 certificates were in {} already with exactly these contents (an earlier run's): nothing to write; summary: {}\n",
            out.display(),
            out.join("summary.csv").display()
        )
    );
    // A file with other contents is an error for its row, and nothing is written.
    std::fs::write(out.join("dev-05.pem"), "not this one").unwrap();
    std::fs::remove_file(out.join("dev-06.pem")).unwrap();
    let third = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(third.status.code(), Some(2));
    assert!(stderr_of(&third).starts_with(&format!(
        "error: {} line 7: {} already exists with other contents; use --force",
        manifest.display(),
        out.join("dev-05.pem").display()
    )));
    assert!(!out.join("dev-06.pem").exists());
}

#[test]
fn the_manifest_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = batch_cmd(Path::new("-"), &out)
        .write_stdin(format!(
            "uds,registration_id\n{},one\n{},two\n",
            uds_hex(1),
            uds_hex(2)
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(
        common::names_in(&out),
        vec!["one.pem", "summary.csv", "two.pem"]
    );
    let output = batch_cmd(Path::new("-"), &out)
        .write_stdin(format!("uds;registration_id\n{};three\n", uds_hex(3)))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr_of(&output),
        "error: the manifest standard input is separated by ';', but the separator is ','; save it as CSV with commas (or replace each ';' with ',')\n"
    );
}

#[test]
fn manifest_errors_are_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(&manifest, "serial,registration_id\nA,b\n").unwrap();
    let out = dir.path().join("out");
    let output = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr_of(&output),
        format!(
            "error: the manifest {} has no uds column (its header has: serial, registration_id); the header row must name the columns uds and registration_id, or uds, mac and firmware_version\n",
            manifest.display()
        )
    );
    let missing = dir.path().join("nope.csv");
    let output = batch_cmd(&missing, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr_of(&output),
        format!(
            "error: cannot read the manifest {}: no such file; check the --manifest path\n",
            missing.display()
        )
    );
    assert!(!out.exists());
}

#[test]
fn a_folder_in_a_certificate_s_place_is_an_invalid_row_even_with_force() {
    // Through the binary: a folder where row 3's certificate should go is never replaced
    // (--force replaces regular files only); the row is refused before any write, the others
    // are written. (A write that fails part-way is tested below with an injected failure.)
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    let mut text = String::from("uds,registration_id\n");
    for i in 0..4 {
        text.push_str(&format!("{},dev-{i}\n", uds_hex(i)));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("dev-2.pem").join("inside")).unwrap();
    let output = batch_cmd(&manifest, &out)
        .args(["--force", "--keep-going"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = stderr_of(&output);
    assert!(
        stderr.starts_with(&format!(
            "warning: {} line 4: {} is not a regular file (a folder, a link, a device, a FIFO or a socket); the tool never replaces one, not even with --force: remove it, or choose another --out-dir\n",
            manifest.display(),
            out.join("dev-2.pem").display()
        )),
        "{stderr}"
    );
    assert_eq!(
        common::names_in(&out),
        vec![
            "dev-0.pem",
            "dev-1.pem",
            "dev-2.pem",
            "dev-3.pem",
            "summary.csv"
        ]
    );
    assert!(out.join("dev-2.pem").is_dir());
    let summary = read_summary(&out.join("summary.csv"));
    let statuses: Vec<&str> = summary[1..].iter().map(|r| r[5].as_str()).collect();
    assert_eq!(statuses, vec!["written", "written", "invalid", "written"]);
}

/// Writes each file whole (a temporary file in the folder, then a no-clobber rename, as the
/// command line's writer does), but the `fail_at`-th write (1-based) fails after half of the
/// file has reached the temporary file.
struct FailingWriter {
    writes: AtomicUsize,
    fail_at: usize,
}

impl CertSink for FailingWriter {
    fn write(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        let mut tmp = tempfile::NamedTempFile::new_in(path.parent().unwrap())?;
        if n == self.fail_at {
            tmp.write_all(&contents[..contents.len() / 2])?;
            tmp.flush()?;
            return Err(std::io::Error::other("injected failure"));
        }
        tmp.write_all(contents)?;
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
        Ok(())
    }

    fn describe(&self, path: &Path, error: &std::io::Error) -> String {
        format!("cannot write {}: {error}", path.display())
    }
}

fn library_batch(
    rows: usize,
    keep_going: bool,
    fail_at: usize,
    interrupt_after: Option<usize>,
) -> (tempfile::TempDir, Vec<engine::Outcome>) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("uds,registration_id\n");
    for i in 0..rows {
        text.push_str(&format!("{},dev-{i:02}\n", uds_hex(i)));
    }
    let manifest = Manifest::parse(Path::new("devices.csv"), text.as_bytes()).unwrap();
    let options = Options {
        out_dir: dir.path().to_path_buf(),
        format: CertFormat::Pem,
        keep_going,
        allow_shared_uds: false,
        jobs: Some(2),
        jsonl: None,
    };
    let checked = engine::check(
        &manifest,
        &options,
        &measurements(&firmware_dir()),
        &engine::NothingThere,
    )
    .unwrap();
    let sink = FailingWriter {
        writes: AtomicUsize::new(0),
        fail_at,
    };
    let done = AtomicUsize::new(0);
    let interrupted = AtomicBool::new(false);
    let progress = || {
        let n = done.fetch_add(1, Ordering::SeqCst) + 1;
        if Some(n) == interrupt_after {
            interrupted.store(true, Ordering::SeqCst);
        }
    };
    let outcomes = engine::run(
        &manifest,
        &checked,
        &measurements(&firmware_dir()),
        &options,
        &sink,
        &progress,
        &interrupted,
    )
    .unwrap();
    assert_eq!(
        done.load(Ordering::SeqCst),
        sink.writes.load(Ordering::SeqCst)
    );
    (dir, outcomes)
}

#[test]
fn an_injected_failure_leaves_only_whole_files() {
    let fw = measurements(&firmware_dir());
    for keep_going in [false, true] {
        let (dir, outcomes) = library_batch(24, keep_going, 5, None);
        let failed: Vec<&engine::Outcome> = outcomes
            .iter()
            .filter(|o| o.status == Status::Failed)
            .collect();
        assert_eq!(failed.len(), 1);
        assert!(
            failed[0]
                .error
                .as_deref()
                .unwrap()
                .ends_with(": injected failure")
        );
        // Every file in the folder is a whole certificate of a row marked written, and
        // every row marked written has its file; no temporary file is left.
        let files = common::names_in(dir.path());
        let written: Vec<String> = outcomes
            .iter()
            .filter(|o| o.status == Status::Written)
            .map(|o| o.file.clone().unwrap())
            .collect();
        let mut expected_files = written.clone();
        expected_files.sort();
        assert_eq!(files, expected_files, "keep_going {keep_going}");
        for o in outcomes.iter().filter(|o| o.status == Status::Written) {
            let i: usize = o
                .registration_id
                .trim_start_matches("dev-")
                .parse()
                .unwrap();
            let id = RegistrationId::new(&o.registration_id).unwrap();
            let cert = generate(&Uds::from_hex(&uds_hex(i)).unwrap(), &fw, &id).unwrap();
            let text = std::fs::read_to_string(dir.path().join(o.file.as_ref().unwrap())).unwrap();
            assert!(
                text == pem_certificate(&cert.der),
                "{} is not whole",
                o.registration_id
            );
        }
        if keep_going {
            assert_eq!(written.len(), 23);
        } else {
            // One thread writes, in turn: the four before the failure, and no other.
            assert_eq!(written.len(), 4);
            assert!(outcomes.iter().any(|o| o.status == Status::NotWritten));
            assert!(
                outcomes
                    .iter()
                    .filter(|o| o.status == Status::NotWritten)
                    .all(|o| o.error.as_deref()
                        == Some("not written: the batch stopped after a failure"))
            );
        }
    }
}

#[test]
fn an_interrupted_batch_stops_between_files() {
    // As if Ctrl-C came while the third file was written: it is finished, no other starts.
    let (dir, outcomes) = library_batch(16, false, 0, Some(3));
    let written: Vec<&engine::Outcome> = outcomes
        .iter()
        .filter(|o| o.status == Status::Written)
        .collect();
    assert_eq!(written.len(), 3);
    assert_eq!(common::names_in(dir.path()).len(), 3);
    assert!(
        outcomes
            .iter()
            .filter(|o| o.status != Status::Written)
            .all(|o| o.status == Status::NotWritten
                && o.error.as_deref() == Some("not written: the batch was interrupted"))
    );
}

/// The "done when" run: 100,000 rows, every certificate checked against the single-device
/// path and the summary. Slow in a debug build; run it with
/// `cargo test --release --test integration batch:: -- --ignored`.
#[test]
#[ignore]
fn a_hundred_thousand_rows() {
    use rayon::prelude::*;
    const N: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    let mut text = String::from("uds,registration_id\n");
    for i in 0..N {
        text.push_str(&format!("{},device-{i:06}\n", uds_hex(i)));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("out");
    let output = batch_cmd(&manifest, &out).output().unwrap();
    assert!(output.status.success(), "{}", stderr_of(&output));
    let fw = measurements(&firmware_dir());
    let summary = read_summary(&out.join("summary.csv"));
    assert_eq!(summary.len(), N + 1);
    (0..N).into_par_iter().for_each(|i| {
        let id = RegistrationId::new(&format!("device-{i:06}")).unwrap();
        let cert = generate(&Uds::from_hex(&uds_hex(i)).unwrap(), &fw, &id).unwrap();
        let written = std::fs::read_to_string(out.join(format!("{id}.pem"))).unwrap();
        assert!(written == pem_certificate(&cert.der), "{id} differs");
        let t = Thumbprints::of(&cert.der);
        let row = &summary[i + 1];
        assert_eq!(
            (
                row[1].as_str(),
                row[3].as_str(),
                row[4].as_str(),
                row[5].as_str()
            ),
            (id.as_str(), t.sha1.as_str(), t.sha256.as_str(), "written")
        );
    });
    assert_eq!(common::names_in(&out).len(), N + 1);
}

/// What the command line tells the engine of the output folder, scripted: the engine lists
/// no folder and reads no file (the folder here does not exist), and goes by what it is told.
struct ToldFolder {
    holds: bool,
}

impl engine::OutputFolder for ToldFolder {
    fn existing(&self, path: &Path) -> engine::Existing {
        match path.file_name().and_then(|n| n.to_str()) {
            Some("dev-01.pem") => engine::Existing::Kept,
            Some("dev-02.pem") => engine::Existing::NotAFile,
            _ => engine::Existing::Free,
        }
    }

    fn holds(&self, path: &Path, contents: &[u8]) -> bool {
        assert!(
            path.ends_with("dev-01.pem"),
            "asked about {}",
            path.display()
        );
        self.holds && contents.starts_with(b"-----BEGIN CERTIFICATE-----\n")
    }
}

#[test]
fn the_engine_goes_by_what_the_command_line_says_is_in_the_folder() {
    let text = format!(
        "uds,registration_id\n{},dev-00\n{},dev-01\n{},dev-02\n",
        uds_hex(0),
        uds_hex(1),
        uds_hex(2)
    );
    let manifest = Manifest::parse(Path::new("devices.csv"), text.as_bytes()).unwrap();
    let options = Options {
        out_dir: PathBuf::from("no-such-folder-for-the-engine"),
        format: CertFormat::Pem,
        keep_going: true,
        allow_shared_uds: false,
        jobs: Some(1),
        jsonl: None,
    };
    let firmware = measurements(&firmware_dir());
    for holds in [true, false] {
        let checked = engine::check(&manifest, &options, &firmware, &ToldFolder { holds }).unwrap();
        let row = |i: usize| match &checked.rows[i] {
            Ok(path) => format!("ok {}", path.display()),
            Err(e) => e.to_string(),
        };
        assert_eq!(
            row(0),
            format!("ok {}", options.out_dir.join("dev-00.pem").display())
        );
        assert!(checked.already_written[0].is_none());
        // A kept file holding exactly the row's certificate is done; otherwise refused.
        assert_eq!(checked.already_written[1].is_some(), holds);
        assert_eq!(row(1).starts_with("ok "), holds, "{}", row(1));
        assert!(row(2).contains("is not a regular file"), "{}", row(2));
    }
}

/// Issue 22, 4: a quote never closed (`...,"never closed`) would take the next device, its
/// UDS included, into one cell, and the batch would write one board of two with exit 0. It
/// is an error naming the line, and nothing is written. A quoted field that spans lines and
/// does close is read, and the count of rows says so.
#[test]
fn a_quote_never_closed_is_an_error_and_a_closed_one_spanning_lines_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!(
            "uds,registration_id,note\n{},dev-1,\"never closed\n{},dev-2,x\n",
            uds_hex(1),
            uds_hex(2)
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr_of(&o),
        format!(
            "error: the manifest {} has a quote (\") on line 2 that is never closed, so everything after it would be one field and the rows below it would be lost; close the quote, or remove it\n",
            manifest.display()
        )
    );
    assert!(!out.exists() || common::names_in(&out).is_empty());

    // The same quote closed two lines further down: one row that spans three lines.
    std::fs::write(
        &manifest,
        format!(
            "uds,registration_id,note\n{},dev-1,\"spans\n{},dev-2,x\nhere\"\n{},dev-3,y\n",
            uds_hex(1),
            uds_hex(2),
            uds_hex(3)
        ),
    )
    .unwrap();
    let o = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr_of(&o));
    let text = stderr_of(&o);
    assert!(text.contains("Wrote 2 of 2 certificates"), "{text}");
    assert!(
        text.ends_with(&format!(
            "\nnote: 1 of the 2 device rows spans several lines of {} (a quoted field holding line breaks, first on line 2)\n",
            manifest.display()
        )),
        "{text}"
    );
    assert!(!text.contains(&uds_hex(2)[..16]));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(
        !summary.contains(&uds_hex(2)),
        "the swallowed UDS is masked"
    );
}

/// A writer that panics on its third certificate (a fault of the tool's own writer).
struct PanickingWriter {
    writes: AtomicUsize,
}

impl CertSink for PanickingWriter {
    fn write(&self, _path: &Path, _contents: &[u8]) -> std::io::Result<()> {
        if self.writes.fetch_add(1, Ordering::SeqCst) == 2 {
            panic!("the writer's own fault");
        }
        Ok(())
    }

    fn describe(&self, path: &Path, error: &std::io::Error) -> String {
        format!("cannot write {}: {error}", path.display())
    }
}

#[test]
fn a_writer_that_stops_is_an_error_not_a_batch_of_unwritten_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("uds,registration_id\n");
    for i in 0..6 {
        text.push_str(&format!("{},dev-{i:02}\n", uds_hex(i)));
    }
    let manifest = Manifest::parse(Path::new("devices.csv"), text.as_bytes()).unwrap();
    let options = Options {
        out_dir: dir.path().to_path_buf(),
        format: CertFormat::Pem,
        keep_going: true,
        allow_shared_uds: false,
        jobs: Some(1),
        jsonl: None,
    };
    let fw = measurements(&firmware_dir());
    let checked = engine::check(&manifest, &options, &fw, &engine::NothingThere).unwrap();
    let sink = PanickingWriter {
        writes: AtomicUsize::new(0),
    };
    let result = engine::run(
        &manifest,
        &checked,
        &fw,
        &options,
        &sink,
        &|| {},
        &AtomicBool::new(false),
    );
    let err = result.unwrap_err();
    assert!(matches!(err, engine::BatchError::WriterStopped), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the thread writing the certificates stopped unexpectedly, so which certificates were written is not known; no summary was written"
    );
}

/// A manifest where lines 2 and 4 share a UDS and line 3 has its own.
fn shared_uds_manifest(dir: &Path) -> PathBuf {
    let manifest = dir.join("devices.csv");
    let (a, b) = (uds_hex(7), uds_hex(8));
    std::fs::write(
        &manifest,
        format!("uds,registration_id\n{a},dev-1\n{b},dev-2\n{a},dev-3\n"),
    )
    .unwrap();
    manifest
}

#[test]
fn a_uds_on_two_rows_is_refused_naming_both_lines_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = shared_uds_manifest(dir.path());
    let out = dir.path().join("out");
    let output = batch_cmd(&manifest, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let m = manifest.display();
    let advice = "give each board its own (dps-cert-gen uds makes one), or use --allow-shared-uds if these boards really share one";
    assert_eq!(
        stderr_of(&output),
        format!(
            "error: {m} line 2: the UDS is also on line 4: two boards would share one secret, and each board needs its own UDS: {advice}\n\
             error: {m} line 4: the UDS is also on line 2: two boards would share one secret, and each board needs its own UDS: {advice}\n\
             error: 2 of 3 rows of {m} are invalid (listed above); nothing was written: fix them, or use --keep-going to write the valid rows\n"
        )
    );
    // Nothing written, not even the folder's summary.
    assert!(common::names_in(&out).is_empty());
    let stderr = stderr_of(&output);
    common::assert_no_uds(&stderr, &uds_hex(7));
}

#[test]
fn allow_shared_uds_writes_every_row_of_a_shared_uds() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = shared_uds_manifest(dir.path());
    let out = dir.path().join("out");
    let output = batch_cmd(&manifest, &out)
        .arg("--allow-shared-uds")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr_of(&output));
    assert_eq!(
        common::names_in(&out),
        vec!["dev-1.pem", "dev-2.pem", "dev-3.pem", "summary.csv"]
    );
}

#[test]
fn the_engine_refuses_every_row_of_a_shared_uds_and_not_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (uds_hex(7), uds_hex(8));
    let text = format!("uds,registration_id\n{a},dev-1\n{b},dev-2\n{a},dev-3\n{a},dev-4\n");
    let manifest = Manifest::parse(Path::new("devices.csv"), text.as_bytes()).unwrap();
    let options = |allow_shared_uds| Options {
        out_dir: dir.path().to_path_buf(),
        format: CertFormat::Pem,
        keep_going: false,
        allow_shared_uds,
        jobs: Some(2),
        jsonl: None,
    };
    let firmware = measurements(&firmware_dir());
    let checked =
        engine::check(&manifest, &options(false), &firmware, &engine::NothingThere).unwrap();
    let errors: Vec<String> = checked
        .rows
        .iter()
        .map(|r| {
            r.as_ref()
                .err()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    let also = |line: u64| {
        format!(
            "the UDS is also on line {line}: two boards would share one secret, and each board needs its own UDS"
        )
    };
    assert_eq!(errors, vec![also(4), String::new(), also(2), also(2)]);
    let allowed =
        engine::check(&manifest, &options(true), &firmware, &engine::NothingThere).unwrap();
    assert_eq!(allowed.invalid_count(), 0);
}

/// Ctrl-C during a batch, as the README's exit-status table and its batch section say: the
/// file being written is finished, no other is started, the summary lists every row, and the
/// status is 130. Unix only: the signal is sent with `kill -INT`.
#[cfg(unix)]
#[test]
fn sigint_during_a_batch_writes_the_summary_and_exits_130() {
    use std::time::{Duration, Instant};
    const ROWS: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    let mut text = String::from("uds,registration_id\n");
    for i in 0..ROWS {
        text.push_str(&format!("{},dev-{i:04}\n", uds_hex(i)));
    }
    std::fs::write(&manifest, text).unwrap();
    let out = dir.path().join("out");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("dps-cert-gen"))
        .arg("batch")
        .args(firmware_args(&firmware_dir()))
        .arg("--manifest")
        .arg(&manifest)
        .arg("--out-dir")
        .arg(&out)
        .args(["-j", "1"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Interrupted once the first certificates are on disk (well before the last).
    let started = Instant::now();
    while !common::names_in(&out).iter().any(|n| n.ends_with(".pem")) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no file written"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let output = child.wait_with_output().unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(output.stdout.is_empty());

    let summary_path = out.join("summary.csv");
    let files: Vec<String> = common::names_in(&out)
        .into_iter()
        .filter(|n| n != "summary.csv")
        .collect();
    let written = files.len();
    assert!(written > 0 && written < ROWS, "{written} written");
    // Only whole certificates, no temporary file left.
    for name in &files {
        assert!(name.starts_with("dev-") && name.ends_with(".pem"), "{name}");
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert_eq!(pem::parse(text).unwrap().tag(), "CERTIFICATE");
    }
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].starts_with(&format!(
            "Wrote {written} of {ROWS} certificates to {} in ",
            out.display()
        )),
        "{stderr}"
    );
    assert_eq!(
        lines[1],
        format!(
            "error: interrupted after writing {written} of {ROWS} certificates; {} lists which rows were not written",
            summary_path.display()
        )
    );
    // The summary: every row, those on disk written, the others not written, and why.
    let summary = read_summary(&summary_path);
    assert_eq!(summary.len(), ROWS + 1);
    for row in &summary[1..] {
        let on_disk = files.contains(&format!("{}.pem", row[1]));
        if on_disk {
            assert_eq!((row[5].as_str(), row[6].as_str()), ("written", ""));
        } else {
            assert_eq!(
                (row[5].as_str(), row[6].as_str()),
                ("not written", "not written: the batch was interrupted")
            );
        }
    }
}
