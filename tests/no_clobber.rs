//! Outputs are never clobbered: `--force` replaces regular files only (never a device, a FIFO,
//! a link or a folder), and two batches into one folder exclude each other (issue 14, items
//! 2 and 3).
#![cfg(test)]

use crate::common;

use common::{bin, uds_file};
#[cfg(unix)]
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

const UDS: &str = "4f3c1b2a9e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a3928171605f4e3";

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    path.symlink_metadata().unwrap().file_type().is_fifo()
}

// Unix only: FIFOs.
#[cfg(unix)]
#[test]
fn a_fifo_is_never_replaced_nor_opened_with_or_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("cert.pem");
    mkfifo(&fifo);
    for force in [false, true] {
        let mut cmd = bin();
        cmd.args(common::devkit_a_bin_map())
            .arg("--uds-file")
            .arg(uds_file(UDS))
            .args(["-i", "dev-1", "-o"])
            .arg(&fifo)
            .timeout(std::time::Duration::from_secs(20));
        if force {
            cmd.arg("--force");
        }
        let output = cmd.output().unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert_eq!(
            String::from_utf8(output.stderr).unwrap(),
            format!(
                "error: {} is a device, a FIFO or a socket, not a regular file; the tool never replaces one (not even with --force): give the path of a file, or -o - to write to standard output\n",
                fifo.display()
            )
        );
        assert!(is_fifo(&fifo), "the FIFO is still a FIFO");
    }
}

#[test]
fn a_folder_with_force_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(uds_file(UDS))
        .args(["-i", "dev-1", "--force", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "error: {} is a folder, not a regular file; the tool never replaces one (not even with --force): give the path of a file, or -o - to write to standard output\n",
            dir.path().display()
        )
    );
}

fn batch(manifest: &Path, out: &Path) -> assert_cmd::Command {
    let mut cmd = bin();
    cmd.arg("batch")
        .args(common::devkit_a_bin_map())
        .arg("--manifest")
        .arg(manifest)
        .arg("--out-dir")
        .arg(out)
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

// Unix only: FIFOs.
#[cfg(unix)]
#[test]
fn batch_with_force_leaves_fifos_alone_for_certificates_and_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    std::fs::write(
        &manifest,
        format!(
            "uds,registration_id\n{UDS},dev-1\n{},dev-2\n",
            UDS.replace('4', "5")
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    mkfifo(&out.join("dev-1.pem"));
    let output = batch(&manifest, &out).arg("--force").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "error: {} line 2: {} is not a regular file (a folder, a link, a device, a FIFO or a socket); the tool never replaces one, not even with --force: remove it, or choose another --out-dir\n",
            manifest.display(),
            out.join("dev-1.pem").display()
        )),
        "{stderr}"
    );
    assert!(is_fifo(&out.join("dev-1.pem")));
    std::fs::remove_file(out.join("dev-1.pem")).unwrap();
    mkfifo(&out.join("summary.csv"));
    let output = batch(&manifest, &out).arg("--force").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(is_fifo(&out.join("summary.csv")));
    assert!(!out.join("dev-1.pem").exists(), "nothing is written");
}

fn manifest_of(path: &Path, rows: usize, seed: u8) {
    let mut text = String::from("uds,registration_id\n");
    for i in 0..rows {
        let mut uds = [seed; 32];
        uds[..8].copy_from_slice(&(i as u64).to_le_bytes());
        text.push_str(&format!("{},dev-{i}\n", hex::encode(uds)));
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn a_batch_into_a_folder_another_run_holds_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    manifest_of(&manifest, 3, 1);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Hold the lock as another run would.
    let lock = std::fs::File::create(out.join(".dps-cert-gen.lock")).unwrap();
    lock.try_lock().unwrap();
    let output = batch(&manifest, &out).arg("--force").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        format!(
            "error: another dps-cert-gen batch is writing to {} (it holds {}); wait for it to finish, or choose another --out-dir\n",
            out.display(),
            out.join(".dps-cert-gen.lock").display()
        )
    );
    let names: Vec<_> = std::fs::read_dir(&out).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing but the other run's lock file");
    drop(lock);
    std::fs::remove_file(out.join(".dps-cert-gen.lock")).unwrap();
    let output = batch(&manifest, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        !out.join(".dps-cert-gen.lock").exists(),
        "the lock file is removed"
    );
}

/// The summary's file and SHA-256 thumbprint columns against the files themselves.
fn assert_summary_matches_files(out: &Path) {
    use sha2::{Digest, Sha256};
    let mut reader = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let der = pem::parse(std::fs::read(out.join(&record[2])).unwrap()).unwrap();
        assert_eq!(
            hex::encode(Sha256::digest(der.contents())),
            record[4].to_lowercase(),
            "{}",
            &record[2]
        );
        rows += 1;
    }
    assert!(rows > 0);
}

#[test]
fn two_racing_batches_into_one_folder_never_mix_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
    manifest_of(&a, 600, 1);
    manifest_of(&b, 600, 2);
    let out = dir.path().join("out");
    let spawn = |manifest: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
            .arg("batch")
            .args(common::devkit_a_bin_map())
            .arg("--manifest")
            .arg(manifest)
            .arg("--out-dir")
            .arg(&out)
            .args(["--force", "-j", "1"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(&a), spawn(&b));
    let results = [
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    ];
    for r in &results {
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert!(
            r.status.success()
                || (r.status.code() == Some(1)
                    && stderr.contains("another dps-cert-gen batch is writing to")),
            "{stderr}"
        );
    }
    assert_summary_matches_files(&out);
}

#[test]
fn an_output_path_ending_with_a_slash_names_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let output = bin()
        .current_dir(dir.path())
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(uds_file(UDS))
        .args(["-i", "dev-1", "-o", "newdir/"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: newdir/ ends with a slash, so it names a folder, and that folder does not exist; -o takes a file name: make the folder first and give a file in it, like newdir/my-device.pem\n"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_map_with_cr_only_line_ends_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = common::fixtures().join("devkit-a");
    let map = std::fs::read(fixture.join("DevKitDPS.ino.map")).unwrap();
    let map: Vec<u8> = map
        .into_iter()
        .filter(|b| *b != b'\r')
        .map(|b| if b == b'\n' { b'\r' } else { b })
        .collect();
    std::fs::write(dir.path().join("cr.map"), map).unwrap();
    let args = |map: &Path| {
        let mut cmd = bin();
        cmd.arg("-b")
            .arg(fixture.join("DevKitDPS.ino.bin"))
            .arg("-m")
            .arg(map)
            .arg("--uds-file")
            .arg(uds_file(UDS))
            .args(["-i", "dev-1", "--bare-base64"]);
        cmd.output().unwrap()
    };
    let cr = args(&dir.path().join("cr.map"));
    let lf = args(&fixture.join("DevKitDPS.ino.map"));
    assert_eq!(
        cr.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cr.stderr)
    );
    assert_eq!(cr.stdout, lf.stdout);
}

#[test]
fn stale_temporary_files_for_the_manifest_s_ids_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("devices.csv");
    manifest_of(&manifest, 2, 1);
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    for name in [
        ".dev-1.pem.Ab12cD.tmp",
        ".dev-0.pem.0123456789ab.tmp",
        ".not-in-manifest.pem.Ab12cD.tmp",
        "notes.txt",
    ] {
        std::fs::write(out.join(name), "left by a killed run").unwrap();
    }
    let output = batch(&manifest, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!(
            "Removed 2 temporary files an interrupted run left in {}\n",
            out.display()
        )),
        "{stderr}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".not-in-manifest.pem.Ab12cD.tmp",
            "dev-0.pem",
            "dev-1.pem",
            "notes.txt",
            "summary.csv"
        ]
    );
}
