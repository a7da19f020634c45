//! `batch ... --enroll` through the binary, against the stand-in DPS
//! (`tests/common/dps_standin.rs`): 23 boards enrolled in bulk requests of at most 10, the
//! summary's `enrollment` column, a re-run that changes nothing, an ID enrolled with another
//! certificate left as it is (exit status 1), no connection string: nothing written.
#![cfg(test)]

use crate::common;
use crate::common::dps_standin::{StandIn, ca_file};

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A UDS for row `i`.
fn uds_hex(i: usize) -> String {
    hex::encode(Sha256::digest((1000 + i as u64).to_le_bytes()))
}

fn id(i: usize) -> String {
    format!("dev-batch-enroll-{i:02}")
}

/// A manifest of `n` boards in `dir`.
fn manifest(dir: &Path, n: usize) -> PathBuf {
    let mut text = "uds,registration_id\n".to_string();
    for i in 0..n {
        text.push_str(&format!("{},{}\n", uds_hex(i), id(i)));
    }
    let path = dir.join("devices.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The connection string in a file of `dir`, readable by its owner only (a temporary
/// file's mode), as a secret's file should be.
fn connection_file(standin: &StandIn, dir: &Path) -> PathBuf {
    let path = dir.join("dps.txt");
    let file = tempfile::NamedTempFile::new_in(dir).unwrap();
    std::fs::write(file.path(), standin.connection_string()).unwrap();
    file.persist(&path).unwrap();
    path
}

fn batch(standin: &StandIn, dir: &Path, out: &Path) -> std::process::Output {
    common::bin()
        .arg("batch")
        .args(common::devkit_a_bin_map())
        .arg("--manifest")
        .arg(dir.join("devices.csv"))
        .arg("--out-dir")
        .arg(out)
        .arg("--enroll")
        .arg("--dps-connection-string-file")
        .arg(connection_file(standin, dir))
        .arg("--ca-file")
        .arg(ca_file())
        .env_remove("DPS_CONNECTION_STRING")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap()
}

/// The summary's `registration_id` and `enrollment` cells, and its header.
fn enrollment_column(out: &Path) -> (Vec<String>, Vec<(String, String)>) {
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[1].to_string(), r[7].to_string())
        })
        .collect();
    (header, rows)
}

/// Standard error without the closing line of the writes (its time varies).
fn stderr_lines(output: &std::process::Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|l| !l.starts_with("Wrote "))
        .map(str::to_string)
        .collect()
}

#[test]
fn twenty_three_boards_in_requests_of_at_most_ten_and_a_rerun_changes_nothing() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    manifest(dir.path(), 23);
    let output = batch(&standin, dir.path(), &out);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert_eq!(standin.bulk_sizes(), [10, 10, 3]);
    assert_eq!(standin.enrollment_count(), 23);
    assert_eq!(
        stderr_lines(&output),
        [format!(
            "Enrollment in {}: 23 of 23 certificates: 23 created",
            standin.service_host()
        )]
    );
    let (header, rows) = enrollment_column(&out);
    assert_eq!(
        header,
        [
            "line",
            "registration_id",
            "file",
            "sha1_thumbprint",
            "sha256_thumbprint",
            "status",
            "error",
            "enrollment"
        ]
    );
    let expected: Vec<(String, String)> = (0..23).map(|i| (id(i), "created".to_string())).collect();
    assert_eq!(rows, expected);
    // Each enrolled certificate is the file written.
    for i in [0, 9, 10, 22] {
        let pem = std::fs::read_to_string(out.join(format!("{}.pem", id(i)))).unwrap();
        let der = common::base64_decode(
            &pem.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        );
        assert_eq!(standin.enrollment(&id(i)).unwrap().der, der);
    }
    let etags: Vec<String> = (0..23)
        .map(|i| standin.enrollment(&id(i)).unwrap().etag)
        .collect();
    let puts_before = standin
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .count();

    // Again: the files are there, the enrollments too: nothing changes.
    let output = batch(&standin, dir.path(), &out);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let lines = stderr_lines(&output);
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "Enrollment in {}: 23 of 23 certificates: 23 already enrolled",
            standin.service_host()
        )
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("All 23 certificates were in "))
    );
    assert_eq!(standin.bulk_sizes(), [10, 10, 3, 10, 10, 3]);
    assert_eq!(standin.enrollment_count(), 23);
    let after: Vec<String> = (0..23)
        .map(|i| standin.enrollment(&id(i)).unwrap().etag)
        .collect();
    assert_eq!(etags, after);
    assert_eq!(
        standin
            .requests()
            .iter()
            .filter(|r| r.method == "PUT")
            .count(),
        puts_before
    );
    let expected: Vec<(String, String)> = (0..23)
        .map(|i| (id(i), "already enrolled".to_string()))
        .collect();
    assert_eq!(enrollment_column(&out).1, expected);
    // The connection string is in no output.
    let key = crate::common::dps_standin::PRIMARY_KEY;
    assert!(!String::from_utf8_lossy(&output.stderr).contains(key));
    assert!(
        !std::fs::read_to_string(out.join("summary.csv"))
            .unwrap()
            .contains(key)
    );
}

fn stderr_has(output: &std::process::Output, line: &str) -> bool {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .any(|l| l == line)
}

#[test]
fn another_certificate_is_left_as_it_is_and_a_rerun_enrolls_only_what_is_left() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    manifest(dir.path(), 3);
    // Row 1's ID enrolled earlier with another board's certificate.
    let other = common::cases()[0].der();
    let other_sha1 = dps_cert_gen::encoding::Thumbprints::of(&other).sha1;
    standin.enroll(&id(1), &other);
    let output = batch(&standin, dir.path(), &out);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let file = out.join(format!("{}.pem", id(1)));
    let (_, rows) = enrollment_column(&out);
    assert_eq!(
        rows,
        [
            (id(0), "created".to_string()),
            (id(1), "enrolled with another certificate".to_string()),
            (id(2), "created".to_string()),
        ]
    );
    let ours = {
        let reader = std::fs::read(out.join("summary.csv")).unwrap();
        let mut r = csv::Reader::from_reader(reader.as_slice());
        r.records().nth(1).unwrap().unwrap()[3].to_string()
    };
    let host = standin.service_host();
    assert_eq!(
        stderr_lines(&output)[stderr_lines(&output).len() - 3..],
        [
            format!(
                "error: {}: enrolled in {host} with another certificate (SHA-1 {other_sha1}), not this one (SHA-1 {ours}); left as it is: check which one the board presents with `dps-cert-gen verify`, or replace it with `dps-cert-gen enroll {} --force`",
                id(1),
                file.display()
            ),
            format!(
                "Enrollment in {host}: 3 of 3 certificates: 2 created, 1 enrolled with another certificate"
            ),
            "error: 1 of 3 certificates are not enrolled (see above)".to_string(),
        ]
    );
    assert_eq!(standin.enrollment(&id(1)).unwrap().der, other);

    // One more board: only it is created.
    manifest(dir.path(), 4);
    let output = batch(&standin, dir.path(), &out);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        enrollment_column(&out).1,
        [
            (id(0), "already enrolled".to_string()),
            (id(1), "enrolled with another certificate".to_string()),
            (id(2), "already enrolled".to_string()),
            (id(3), "created".to_string()),
        ]
    );
    assert!(stderr_has(
        &output,
        &format!(
            "Enrollment in {host}: 4 of 4 certificates: 1 created, 2 already enrolled, 1 enrolled with another certificate"
        )
    ));
    assert_eq!(standin.bulk_sizes(), [3, 4]);
}

#[test]
fn a_service_that_never_answers_leaves_the_rows_not_attempted() {
    let standin = StandIn::start();
    standin.set_faults(crate::common::dps_standin::Faults {
        silent: true,
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    manifest(dir.path(), 2);
    let started = std::time::Instant::now();
    let output = common::bin()
        .arg("batch")
        .args(common::devkit_a_bin_map())
        .arg("--manifest")
        .arg(dir.path().join("devices.csv"))
        .arg("--out-dir")
        .arg(&out)
        .args(["--enroll", "--timeout", "2", "--ca-file"])
        .arg(ca_file())
        .arg("--dps-connection-string-file")
        .arg(connection_file(&standin, dir.path()))
        .env_remove("DPS_CONNECTION_STRING")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert_eq!(
        stderr_lines(&output),
        [format!(
            "error: no answer from {} within the 2 s allowed; check the network (and HTTPS_PROXY), or allow longer with --timeout",
            standin.service_host()
        )]
    );
    // The certificates are written, the summary says none was enrolled.
    assert_eq!(
        enrollment_column(&out).1,
        [
            (id(0), "not attempted".to_string()),
            (id(1), "not attempted".to_string())
        ]
    );
}

#[test]
fn without_a_connection_string_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("certs");
    let manifest = manifest(dir.path(), 2);
    let output = common::bin()
        .arg("batch")
        .args(common::devkit_a_bin_map())
        .arg("--manifest")
        .arg(&manifest)
        .arg("--out-dir")
        .arg(&out)
        .arg("--enroll")
        .env_remove("DPS_CONNECTION_STRING")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "error: missing the DPS service connection string: give --dps-connection-string-file PATH ('-' for standard input) or set DPS_CONNECTION_STRING (Azure portal: your DPS instance, Settings, Shared access policies, provisioningserviceowner, Primary connection string)\n"
    );
    assert!(!out.exists());
    // --ca-file, --timeout and the connection string's file only with --enroll; not with --jsonl.
    for extra in [
        vec!["--timeout", "5"],
        vec!["--ca-file", "ca.pem"],
        vec!["--enroll", "--jsonl", "all.jsonl"],
    ] {
        let output = common::bin()
            .arg("batch")
            .args(common::devkit_a_bin_map())
            .arg("--manifest")
            .arg(&manifest)
            .arg("--out-dir")
            .arg(&out)
            .args(&extra)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{extra:?}");
    }
    assert!(!out.exists());
}
