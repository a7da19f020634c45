//! A batch's output folder moved, replaced by a symbolic link or deleted while the batch runs
//! (issue 22, item 7): the folder is held by its descriptor, so nothing lands where the path
//! leads after the swap, the lock goes with the folder, and the run ends with one error saying
//! where the files are (or that they are gone), never with rows reported written elsewhere.
#![cfg(all(test, unix))]

use crate::common;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const LOCK: &str = ".dps-cert-gen.lock";

fn manifest_of(path: &Path, rows: usize) {
    let mut text = String::from("uds,registration_id\n");
    for i in 0..rows {
        let mut uds = [7u8; 32];
        uds[..8].copy_from_slice(&(i as u64).to_le_bytes());
        text.push_str(&format!("{},dev-{i}\n", hex::encode(uds)));
    }
    std::fs::write(path, text).unwrap();
}

/// Starts a batch of `rows` rows into `out` (one thread deriving: it takes long enough for
/// the swap) and returns once its first certificate is written, that is with the folder held
/// and locked, and the batch past its checks.
fn start(root: &Path, out: &Path, rows: usize) -> std::process::Child {
    let manifest = root.join("devices.csv");
    manifest_of(&manifest, rows);
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .arg("batch")
        .args(common::devkit_a_bin_map())
        .arg("--manifest")
        .arg(&manifest)
        .arg("--out-dir")
        .arg(out)
        .args(["-j", "1"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let written = || {
        std::fs::read_dir(out).is_ok_and(|mut names| {
            names.any(|n| n.is_ok_and(|n| n.file_name().to_string_lossy().ends_with(".pem")))
        })
    };
    while !written() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the batch never wrote a certificate"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child
}

fn summary_rows(path: &Path) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (file, status) = (col("file"), col("status"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[file].to_string(), r[status].to_string())
        })
        .collect()
}

#[test]
fn a_folder_swapped_for_a_link_mid_run_keeps_every_file_and_the_summary_and_says_where() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path().canonicalize().unwrap();
    let (out, moved, other) = (
        root.join("certs"),
        root.join("certs.moved"),
        root.join("other"),
    );
    std::fs::create_dir(&other).unwrap();
    let rows = 1000;
    let child = start(&root, &out, rows);
    std::fs::rename(&out, &moved).unwrap();
    std::os::unix::fs::symlink(&other, &out).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();

    // Nothing at all where the path leads now.
    assert_eq!(common::names_in(&other), Vec::<String>::new(), "{stderr}");
    // In the held folder: every certificate, the summary, and no lock.
    let names: Vec<String> = common::names_in(&moved);
    assert!(!names.iter().any(|n| n == LOCK), "the lock is gone");
    let listed = summary_rows(&moved.join("summary.csv"));
    assert_eq!(listed.len(), rows);
    for (file, status) in &listed {
        assert_eq!(status, "written");
        assert!(moved.join(file).is_file(), "{file} is where the summary is");
    }
    assert_eq!(names.len(), rows + 1);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "error: {} was moved or replaced during the batch (its path now leads elsewhere); the {rows} certificates written and summary.csv are in the folder it was, {}: take them from there, and give --out-dir that folder to run the batch again\n",
            out.display(),
            moved.display()
        )
    );
}

#[test]
fn a_folder_deleted_mid_run_fails_its_rows_and_writes_no_summary_anywhere() {
    let root = tempfile::tempdir().unwrap();
    let out: PathBuf = root.path().join("certs");
    let child = start(root.path(), &out, 1000);
    // The batch writes on meanwhile: removed again until it is gone.
    let deleting = Instant::now();
    while let Err(e) = std::fs::remove_dir_all(&out) {
        assert!(
            deleting.elapsed() < Duration::from_secs(10),
            "the folder could not be deleted: {e}"
        );
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!out.exists(), "{stderr}");
    assert_eq!(
        common::names_in(root.path()),
        ["devices.csv"],
        "nothing else anywhere"
    );
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write") && !stderr.contains("Wrote"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().last().unwrap(),
        format!(
            "error: {} was deleted during the batch: the certificates written into it are gone, those after were not written, and there is no summary; run the batch again into a folder that stays",
            out.display()
        )
    );
}
