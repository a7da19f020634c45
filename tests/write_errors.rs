//! Issue 22, 13: a failed write says what to do in the flags of the command that failed (a
//! batch has no `-o`: its folder is `--out-dir`, its one file `--jsonl`; a new UDS's file is
//! `--save` or `--save-uds`), and on a full disk the first certificate that failed is shown,
//! not only the summary's own failure.
#![cfg(test)]

use crate::common;

use std::path::Path;
use std::process::Output;

fn uds(i: u8) -> String {
    format!("{i:02x}").repeat(32)
}

fn two_devices(dir: &Path) -> std::path::PathBuf {
    let manifest = dir.join("devices.csv");
    std::fs::write(
        &manifest,
        format!("uds,registration_id\n{},dev-1\n{},dev-2\n", uds(1), uds(2)),
    )
    .unwrap();
    manifest
}

fn batch_args(manifest: &Path, out: &Path) -> Vec<String> {
    let mut args = vec!["batch".to_string()];
    args.extend(common::devkit_a_bin_map());
    args.extend([
        "--manifest".to_string(),
        manifest.display().to_string(),
        "--out-dir".to_string(),
        out.display().to_string(),
    ]);
    args
}

/// Runs the binary on a "full disk": a file size limit of 0 makes every write of a byte fail
/// (EFBIG, as ENOSPC would), with SIGXFSZ ignored so that the write returns the error.
#[cfg(unix)]
fn run_on_a_full_disk(args: &[String]) -> Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "trap '' XFSZ; ulimit -f 0; exec '{}' {}",
        env!("CARGO_BIN_EXE_dps-cert-gen"),
        quoted.join(" ")
    );
    std::process::Command::new("sh")
        .args(["-c", &script])
        .env_remove("DPS_UDS")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[cfg(unix)]
const FULL: &str = "the file is larger than allowed (file size limit)";

#[cfg(unix)]
const OUT_DIR_ADVICE: &str = "make room on that disk, or choose another --out-dir, and run the same batch again: the certificates already written count as done";

#[cfg(unix)]
#[test]
fn a_batch_on_a_full_disk_shows_the_first_certificate_that_failed_and_advises_out_dir() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    let out = dir.path().join("out");
    let o = run_on_a_full_disk(&batch_args(&manifest, &out));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {m} line 2 (dev-1): cannot write {c}: {FULL}\n\
             error: cannot write {s}: {FULL}; {OUT_DIR_ADVICE}\n",
            m = manifest.display(),
            c = out.join("dev-1.pem").display(),
            s = out.join("summary.csv").display(),
        )
    );
    assert!(
        common::names_in(&out).is_empty(),
        "{:?}",
        common::names_in(&out)
    );

    // Going on after failures: each certificate that failed is shown.
    let mut args = batch_args(&manifest, &out);
    args.push("--keep-going".to_string());
    let o = run_on_a_full_disk(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: {m} line 2 (dev-1): cannot write {c1}: {FULL}\n\
             error: {m} line 3 (dev-2): cannot write {c2}: {FULL}\n\
             error: cannot write {s}: {FULL}; {OUT_DIR_ADVICE}\n",
            m = manifest.display(),
            c1 = out.join("dev-1.pem").display(),
            c2 = out.join("dev-2.pem").display(),
            s = out.join("summary.csv").display(),
        )
    );
}

#[cfg(unix)]
#[test]
fn a_json_lines_file_on_a_full_disk_is_named_with_advice_for_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    let (out, jsonl) = (dir.path().join("out"), dir.path().join("c.jsonl"));
    let mut args = batch_args(&manifest, &out);
    args.extend(["--jsonl".to_string(), jsonl.display().to_string()]);
    let o = run_on_a_full_disk(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot write {j}: {FULL}; choose another --jsonl file, in a folder you can write to with room to spare, and run the batch again\n\
             error: cannot write {s}: {FULL}; {OUT_DIR_ADVICE}\n",
            j = jsonl.display(),
            s = out.join("summary.csv").display(),
        )
    );
    // (The output folder this run made is removed again, empty.)
    assert_eq!(common::names_in(dir.path()), ["devices.csv"]);
}

#[test]
fn an_out_dir_that_cannot_be_made_advises_another_out_dir() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    std::fs::write(dir.path().join("a-file"), "x").unwrap();
    let out = dir.path().join("a-file").join("out");
    let o = common::bin()
        .args(batch_args(&manifest, &out))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot write {}: a part of the path is not a folder; choose another --out-dir, a folder you can write to (it is made if missing)\n",
            out.display()
        )
    );
}

#[test]
fn a_json_lines_file_in_a_missing_folder_advises_another_jsonl_file() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = two_devices(dir.path());
    let (out, jsonl) = (
        dir.path().join("out"),
        dir.path().join("missing").join("c.jsonl"),
    );
    let mut args = batch_args(&manifest, &out);
    args.extend(["--jsonl".to_string(), jsonl.display().to_string()]);
    let o = common::bin().args(args).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        format!(
            "error: cannot write {}: the folder does not exist; choose another --jsonl file, in a folder you can write to with room to spare, and run the batch again\n",
            jsonl.display()
        )
    );
    assert_eq!(common::names_in(dir.path()), ["devices.csv"]);
}

#[test]
fn a_new_uds_that_cannot_be_saved_advises_save() {
    let dir = tempfile::tempdir().unwrap();
    let o = common::bin()
        .current_dir(dir.path())
        .args(["uds", "--save", "missing/board.uds"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o),
        "error: cannot write missing/board.uds: the folder does not exist; give --save a file in a folder you can write to and run again (the new UDS was not kept, nor shown)\n"
    );
    assert!(common::names_in(dir.path()).is_empty());
}
