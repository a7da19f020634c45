//! All-or-nothing outputs: a failure at any point (an unwritable folder, a full disk, a
//! failure between the files of a multi-file output, a crash before the rename) leaves no new
//! file, no changed file and no temporary file. (The writer's own tests, with failures
//! injected between the files, are beside it: `src/cli/output_set.rs`.)
#![cfg(test)]

use crate::common;

use common::{Case, bin, written_files};
use std::path::Path;

/// The arguments that write the certificate, the DeviceID certificate and the alias key
/// into `dir`.
fn three_outputs(case: &Case, dir: &Path) -> Vec<String> {
    let mut args = case.input_args();
    for (flag, name) in [
        ("-o", "alias.pem"),
        ("--device-cert", "device.pem"),
        ("--alias-key", "alias-key.pem"),
    ] {
        args.push(flag.to_string());
        args.push(dir.join(name).display().to_string());
    }
    args
}

// Unix only: the folder is made unwritable with mode bits (Windows has ACLs instead).
#[cfg(unix)]
#[test]
fn an_unwritable_folder_fails_with_status_1_and_writes_nothing() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o555)).unwrap();
    // Root writes anywhere; a folder of /sys is read-only for everyone.
    let folder = if std::fs::write(locked.join("probe"), "").is_ok() {
        std::fs::remove_file(locked.join("probe")).unwrap();
        std::path::PathBuf::from("/sys")
    } else {
        locked.clone()
    };
    let output = bin().args(three_outputs(&case, &folder)).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = common::stderr_without_sample_warning(&output.stderr);
    assert_eq!(
        stderr,
        format!(
            "error: cannot write {}: permission denied; choose a folder you can write to with -o\n",
            folder.join("alias.pem").display()
        )
    );
    assert!(!folder.join("alias.pem").exists());
    assert!(common::names_in(&locked).is_empty());
}

// Unix only: the full disk is simulated with `ulimit -f`.
#[cfg(unix)]
#[test]
fn a_full_disk_fails_with_status_1_and_leaves_nothing() {
    // A file size limit of 0 makes every write fail as a full disk does (EFBIG instead of
    // ENOSPC); SIGXFSZ is ignored so that the write returns the error.
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alias.pem"), "old cert").unwrap();
    let args: Vec<String> = three_outputs(&case, dir.path())
        .iter()
        .map(|a| format!("'{a}'"))
        .collect();
    let script = format!(
        "trap '' XFSZ; ulimit -f 0; exec '{}' {} --force",
        env!("CARGO_BIN_EXE_dps-cert-gen"),
        args.join(" ")
    );
    let output = std::process::Command::new("sh")
        .args(["-c", &script])
        .env_remove("DPS_UDS")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = common::stderr_without_sample_warning(&output.stderr);
    assert_eq!(
        stderr,
        format!(
            "error: cannot write {}: the file is larger than allowed (file size limit); choose a folder you can write to with -o\n",
            dir.path().join("alias.pem").display()
        )
    );
    assert_eq!(common::names_in(dir.path()), ["alias.pem"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("alias.pem")).unwrap(),
        "old cert"
    );
}

#[test]
fn a_folder_in_the_second_output_s_place_leaves_the_first_unwritten_and_unchanged() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alias.pem"), "old cert").unwrap();
    // --force replaces regular files only: a folder in the way is refused before any file
    // is written. (A failure while the files are put in place is tested in
    // src/cli/output_set.rs, by injection.)
    std::fs::create_dir(dir.path().join("alias-key.pem")).unwrap();
    let output = bin()
        .args(three_outputs(&case, dir.path()))
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = common::stderr_without_sample_warning(&output.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {} is a folder, not a regular file; ",
            dir.path().join("alias-key.pem").display()
        )),
        "{stderr}"
    );
    assert_eq!(written_files(dir.path()), ["alias-key.pem", "alias.pem"]);
    assert_eq!(common::names_in(dir.path()), ["alias-key.pem", "alias.pem"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("alias.pem")).unwrap(),
        "old cert"
    );
    assert!(dir.path().join("alias-key.pem").is_dir());
}
