//! `batch --jsonl`: one JSON-lines file for all certificates, byte for byte the vectors'
//! certificates, the manifest's extra columns, all or nothing, and no overwrite without
//! `--force`.
#![cfg(test)]

use crate::common;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn firmware(dir: &str) -> [String; 4] {
    let d = common::fixtures().join(dir);
    [
        "-b".into(),
        d.join("DevKitDPS.ino.bin").display().to_string(),
        "-m".into(),
        d.join("DevKitDPS.ino.map").display().to_string(),
    ]
}

fn batch(firmware_dir: &str, manifest: &Path, out: &Path, jsonl: &Path) -> Command {
    let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.arg("batch")
        .args(firmware(firmware_dir))
        .arg("--manifest")
        .arg(manifest)
        .arg("--out-dir")
        .arg(out)
        .arg("--jsonl")
        .arg(jsonl);
    cmd
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn uds(i: u8) -> String {
    format!("{i:02x}").repeat(32)
}

#[test]
fn the_vectors_devices_give_their_certificates_one_line_each() {
    // One batch per firmware folder, with IDs that are unique within it (the vectors repeat
    // IDs across UDS values: those go into the next batch). Not the vector whose ID is 126
    // `a`s: a manifest's ID holding 64 hex digits in a row is refused (`tests/batch.rs`).
    let cases: Vec<common::Case> = common::cases()
        .into_iter()
        .filter(|c| !dps_cert_gen::text::uds_like::holds_uds_like(&c.expected_id))
        .collect();
    let mut batches: Vec<(String, Vec<&common::Case>)> = Vec::new();
    for case in &cases {
        let folder = case
            .bin
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let slot = batches.iter_mut().find(|(f, group)| {
            *f == folder && group.iter().all(|c| c.expected_id != case.expected_id)
        });
        match slot {
            Some((_, group)) => group.push(case),
            None => batches.push((folder, vec![case])),
        }
    }
    assert!(batches.iter().any(|(_, g)| g.len() > 1));
    for (folder, group) in batches {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("devices.csv");
        let mut text = String::from("uds,registration_id,station\n");
        for (i, case) in group.iter().enumerate() {
            text.push_str(&format!("{},{},st-{i}\n", case.uds, case.expected_id));
        }
        std::fs::write(&manifest, text).unwrap();
        let (out, jsonl) = (dir.path().join("out"), dir.path().join("certs.jsonl"));
        // Several vectors derive from one UDS (other IDs): a shared UDS, allowed here.
        let o = batch(&folder, &manifest, &out, &jsonl)
            .arg("--allow-shared-uds")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let expected: String = group
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "{{\"registration_id\":\"{}\",\"certificate_der_base64\":\"{}\",\"sha1_thumbprint\":\"{}\",\"sha256_thumbprint\":\"{}\",\"station\":\"st-{i}\"}}\n",
                    c.expected_id,
                    c.field("alias_cert_der_base64"),
                    c.field("alias_cert_sha1"),
                    c.field("alias_cert_sha256"),
                )
            })
            .collect();
        assert_eq!(std::fs::read_to_string(&jsonl).unwrap(), expected);
        // No certificate files: only the summary, which names the one file.
        assert_eq!(common::names_in(&out), ["summary.csv"]);
        let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
        let first = summary.lines().nth(1).unwrap();
        assert_eq!(
            first,
            format!(
                "2,{},certs.jsonl,{},{},written,,st-0",
                group[0].expected_id,
                group[0].field("alias_cert_sha1"),
                group[0].field("alias_cert_sha256")
            )
        );
        let report = stderr(&o);
        let last = report.lines().last().unwrap();
        let prefix = format!(
            "Wrote {n} of {n} certificates to {} in ",
            jsonl.display(),
            n = group.len()
        );
        assert!(last.starts_with(&prefix), "{report}");
    }
}

#[test]
fn extra_columns_are_strings_in_manifest_order_json_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!(
            "line,uds,registration_id,note\n\"a,b\",{},dev-1,\"say \"\"hi\"\"\"\n7,{},dev-2,\n",
            uds(1),
            uds(2)
        ),
    )
    .unwrap();
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    batch("devkit-a", &manifest, &out, &jsonl)
        .assert()
        .success();
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["registration_id"], "dev-1");
    assert_eq!(lines[0]["line"], "a,b");
    assert_eq!(lines[0]["note"], "say \"hi\"");
    assert_eq!(lines[1]["line"], "7");
    assert_eq!(lines[1]["note"], "");
    // The keys in order: the four fields, then the extra columns as in the manifest.
    let first = text.lines().next().unwrap();
    let order: Vec<usize> = [
        "\"registration_id\":",
        "\"certificate_der_base64\":",
        "\"sha1_thumbprint\":",
        "\"sha256_thumbprint\":",
        "\"line\":",
        "\"note\":",
    ]
    .iter()
    .map(|k| first.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{first}");
    assert!(first.ends_with("\"line\":\"a,b\",\"note\":\"say \\\"hi\\\"\"}"));
}

#[test]
fn a_column_named_like_a_field_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!("uds,registration_id,sha1_thumbprint\n{},dev-1,x\n", uds(1)),
    )
    .unwrap();
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    let o = batch("devkit-a", &manifest, &out, &jsonl).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: the manifest {} has a column named sha1_thumbprint, a field every --jsonl line has already; rename that column\n",
            manifest.display()
        )
    );
    assert_eq!(common::names_in(dir.path()), ["devices.csv"]);
}

fn two_devices(dir: &Path) -> PathBuf {
    let manifest = dir.join("devices.csv");
    std::fs::write(
        &manifest,
        format!("uds,registration_id\n{},dev-1\n{},dev-2\n", uds(1), uds(2)),
    )
    .unwrap();
    manifest
}

#[test]
fn an_existing_file_is_kept_without_force_and_replaced_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    std::fs::write(&jsonl, "old\n").unwrap();
    let o = batch("devkit-a", &manifest, &out, &jsonl).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {} already exists; use --force to overwrite it, or choose another file name\n",
            jsonl.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&jsonl).unwrap(), "old\n");
    assert!(!out.exists(), "nothing is written, not even the summary");

    batch("devkit-a", &manifest, &out, &jsonl)
        .arg("--force")
        .assert()
        .success();
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(text.starts_with("{\"registration_id\":\"dev-1\","));
    assert_eq!(
        common::names_in(dir.path()),
        ["c.jsonl", "devices.csv", "out"]
    );
}

#[test]
fn nothing_is_written_when_the_batch_fails() {
    // An invalid row without --keep-going: no file, no summary.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!("uds,registration_id\n{},dev-1\nxyz,dev-2\n", uds(1)),
    )
    .unwrap();
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    let o = batch("devkit-a", &manifest, &out, &jsonl).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!jsonl.exists() && !out.exists());

    // With --keep-going: the valid row only.
    let o = batch("devkit-a", &manifest, &out, &jsonl)
        .arg("--keep-going")
        .output()
        .unwrap();
    assert!(!o.status.success());
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert_eq!(text.lines().count(), 1);
    assert!(text.starts_with("{\"registration_id\":\"dev-1\","));

    // A folder where the file would go: refused before any work, even with --force.
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    std::fs::create_dir(&jsonl).unwrap();
    let o = batch("devkit-a", &manifest, &out, &jsonl)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: {} is a folder, not a regular file;",
            jsonl.display()
        )),
        "{}",
        stderr(&o)
    );
    assert!(jsonl.is_dir() && common::names_in(&jsonl).is_empty());
    assert_eq!(common::names_in(dir.path()), ["c.jsonl", "devices.csv"]);

    // A folder that does not exist: the system's refusal, and nothing is left.
    let jsonl = dir.path().join("missing").join("c.jsonl");
    let o = batch("devkit-a", &manifest, &out, &jsonl).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).starts_with(&format!("error: cannot write {}: ", jsonl.display())),
        "{}",
        stderr(&o)
    );
    assert_eq!(common::names_in(dir.path()), ["c.jsonl", "devices.csv"]);
}

/// Issue 22, 6: two batches into one JSON-lines file. The file is locked before any work
/// (as the output folder is), so the second run fails at once naming the file, and writes
/// nothing: no file, no summary, not even its output folder.
#[test]
fn a_json_lines_file_another_run_holds_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    let lock_path = dir.path().join(".c.jsonl.dps-cert-gen.lock");
    // Hold the lock as another run would (it writes into another --out-dir).
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.try_lock().unwrap();
    let o = batch("devkit-a", &manifest, &out, &jsonl)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: another dps-cert-gen batch is writing {} (it holds {}); wait for it to finish, or choose another --jsonl file\n",
            jsonl.display(),
            lock_path.display()
        )
    );
    assert_eq!(
        common::names_in(dir.path()),
        [".c.jsonl.dps-cert-gen.lock", "devices.csv"],
        "nothing written"
    );
    drop(lock);
    std::fs::remove_file(&lock_path).unwrap();

    // Two runs at once into different folders: each either completes, or is refused at once;
    // the file then holds the rows of a run that completed, and its lock is gone.
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        format!("uds,registration_id\n{},dev-3\n{},dev-4\n", uds(3), uds(4)),
    )
    .unwrap();
    let spawn = |manifest: &Path, out: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
            .arg("batch")
            .args(firmware("devkit-a"))
            .arg("--manifest")
            .arg(manifest)
            .arg("--out-dir")
            .arg(out)
            .arg("--jsonl")
            .arg(&jsonl)
            .args(["--force", "-j", "1"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let runs = [
        spawn(&manifest, &dir.path().join("out-a")),
        spawn(&other, &dir.path().join("out-b")),
    ];
    let results: Vec<_> = runs
        .into_iter()
        .map(|r| r.wait_with_output().unwrap())
        .collect();
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let mut completed = Vec::new();
    for (r, first_id) in results.iter().zip(["dev-1", "dev-3"]) {
        let e = stderr(r);
        if r.status.success() {
            completed.push(first_id);
        } else {
            assert_eq!(r.status.code(), Some(1), "{e}");
            assert!(
                e.starts_with("error: another dps-cert-gen batch is writing"),
                "{e}"
            );
        }
    }
    assert!(!completed.is_empty());
    assert_eq!(text.lines().count(), 2);
    assert!(
        completed
            .iter()
            .any(|id| text.starts_with(&format!("{{\"registration_id\":\"{id}\","))),
        "{text}"
    );
    assert!(!lock_path.exists(), "the lock file is removed");
}
