//! Fitting the shell: `uds` (format, freshness, `--count`), completion scripts, `--help`
//! examples, `--version`.
#![cfg(test)]

use assert_cmd::Command;

fn tool() -> Command {
    let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.env_remove("DPS_UDS").write_stdin("");
    cmd
}

fn is_uds(line: &str) -> bool {
    line.len() == 64
        && line
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[test]
fn uds_prints_a_fresh_value_and_the_line_to_type() {
    let mut seen = Vec::new();
    for _ in 0..2 {
        let out = tool().arg("uds").output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        let value = stdout.strip_suffix('\n').unwrap();
        assert!(is_uds(value), "{stdout:?}");
        // Standard output is a pipe here (`uds=$(dps-cert-gen uds)`, `| cat`): standard
        // error, often a CI log, does not get the value again.
        assert_eq!(
            stderr,
            "Set it on the board in configuration mode\n\
             (hold A, press and release Reset, let go of A):\n  \
             set_dps_uds <the value on standard output>\n\
             Keep it secret: anyone who has it can make certificates in the board's name.\n"
        );
        assert!(!stderr.contains(value));
        seen.push(value.to_string());
    }
    assert_ne!(seen[0], seen[1], "two runs gave the same UDS");
}

#[test]
fn uds_count_prints_one_value_a_line() {
    let out = tool().args(["uds", "--count", "5"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 5);
    assert!(stdout.ends_with('\n'));
    assert!(lines.iter().all(|l| is_uds(l)), "{stdout}");
    let mut unique = lines.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "Set each on its own board in configuration mode\n\
         (hold A, press and release Reset, let go of A):\n  set_dps_uds <value>\n"
    );
    let out = tool().args(["uds", "--count", "0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn uds_save_makes_a_new_owner_only_file_and_never_overwrites_one() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("uds.txt");
    let out = tool()
        .current_dir(dir.path())
        .args(["uds", "--save", "uds.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    let value = text.strip_suffix('\n').unwrap();
    assert!(is_uds(value), "{text:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "Saved a new UDS to uds.txt, readable by you only.\n\
         Set it on the board in configuration mode\n\
         (hold A, press and release Reset, let go of A):\n  \
         dps-cert-gen board set-uds --uds-file uds.txt\n\
         Keep it secret: anyone who has it can make certificates in the board's name.\n"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The file is used without the warning a 0644 `uds > uds.txt` earns.
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let out = tool()
        .current_dir(dir.path())
        .arg("--build-dir")
        .arg(fixtures.join("devkit-a"))
        .args(["--uds-file", "uds.txt", "-i", "dev-1", "--bare-base64"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "note: UDS read from uds.txt (--uds-file)\n"
    );
    // Never over an existing file: the first value stays.
    let out = tool()
        .current_dir(dir.path())
        .args(["uds", "--save", "uds.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: uds.txt already exists (it may hold another board's UDS) and --save never overwrites a file; choose a new file name\n"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

#[test]
fn completion_scripts_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F _dps__cert__gen"),
        ("zsh", "#compdef dps-cert-gen"),
        ("fish", "complete -c dps-cert-gen"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = tool().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("uds-file"), "{shell}");
        assert!(script.contains("completions"), "{shell}");
    }
    let out = tool().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

// Unix only: runs bash (there is none beside a Windows build).
#[cfg(unix)]
#[test]
fn bash_loads_its_completion_script() {
    let script = tool()
        .args(["completions", "bash"])
        .output()
        .unwrap()
        .stdout;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p dps-cert-gen",
            file.path().display()
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("-F _dps__cert__gen")
    );
}

#[test]
fn help_has_examples_and_the_uds_sources() {
    let out = tool().arg("--help").env("COLUMNS", "80").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("\nExamples:\n"), "{help}");
    assert!(help.contains("  dps-cert-gen uds   "));
    assert!(help.contains("--uds-file <PATH>"));
    assert!(help.contains(
        "The UDS comes from -u, --uds-file or DPS_UDS, or is asked for (hidden) on a\nterminal."
    ));
    let out = tool().arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("dps-cert-gen {}\n", env!("CARGO_PKG_VERSION"))
    );
}

// Unix only: /dev/full.
#[cfg(unix)]
#[test]
fn a_full_standard_output_is_worded_for_commands_without_o() {
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let cert = fixtures
        .join("external-certs")
        .join("riot-emulator-R00tCrt.pem");
    let build = fixtures.join("devkit-a");
    let uds = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let bare: Vec<&std::ffi::OsStr> = vec![
        "--build-dir".as_ref(),
        build.as_os_str(),
        "-i".as_ref(),
        "my-device-01".as_ref(),
        "--bare-base64".as_ref(),
    ];
    let inspect: Vec<&std::ffi::OsStr> = vec!["inspect".as_ref(), cert.as_os_str()];
    let uds_cmd: Vec<&std::ffi::OsStr> = vec!["uds".as_ref()];
    let completions: Vec<&std::ffi::OsStr> = vec!["completions".as_ref(), "bash".as_ref()];
    for args in [inspect, uds_cmd, completions, bare] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
            .args(&args)
            .env("DPS_UDS", uds)
            .stdout(std::fs::File::create("/dev/full").unwrap())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.ends_with(
                "error: cannot write standard output: no space left on the device; send it (> FILE) to a place you can write to\n"
            ),
            "{args:?}: {err}"
        );
        assert!(!err.contains("-o"), "{args:?}: {err}");
    }
}
