//! Without a terminal: missing inputs fail at once; the UDS from -u, --uds-file (a file or
//! standard input) and DPS_UDS, their precedence, and the warnings, word for word.
#![cfg(test)]

use crate::common;

use assert_cmd::Command;
use common::{case, project_dir, written_files};
use std::process::Stdio;
use std::time::{Duration, Instant};

const COMMAND_LINE_WARNING: &str = "warning: a UDS given with -u/--uds is visible in your shell history and in the process list; use --uds-file PATH (- for standard input) or the DPS_UDS environment variable instead\n";
const SAMPLE_WARNING: &str = "warning: this UDS is the sample published in the DevKit tutorial, so anyone can look it up; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`\n";
const NEAR_SAMPLE_WARNING: &str = "warning: this UDS differs from the sample published in the DevKit tutorial in only 2 of its 64 hex digits, so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`\n";
/// Far from the sample: no warning.
const OTHER_UDS: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// The tool in `dir`, with no DPS_UDS, no colour variables, and empty standard input.
fn tool(dir: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.current_dir(dir)
        .env_remove("DPS_UDS")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .write_stdin("");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

const ENV_NOTE: &str = "note: UDS taken from the DPS_UDS environment variable\n";
const MISSING_BOTH: &str = "error: missing -u/--uds (or --uds-file, or DPS_UDS) and -i/--registration-id (or --mac with --firmware-version, or --board PORT); give them on the command line, or run in a terminal to be asked (see --help)\n";

#[test]
fn no_terminal_and_missing_inputs_fail_at_once_naming_the_flags() {
    let dir = project_dir("devkit-a", "");
    let r = run(&mut tool(dir.path()));
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (2, "", MISSING_BOTH)
    );

    let r = run(tool(dir.path()).args(["-i", "my-device-01"]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: missing -u/--uds (or --uds-file, or DPS_UDS); give it on the command line, or run in a terminal to be asked (see --help)\n"
    );
    let r = run(tool(dir.path()).env("DPS_UDS", OTHER_UDS));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        "error: missing -i/--registration-id (or --mac with --firmware-version, or --board PORT); give it on the command line, or run in a terminal to be asked (see --help)\n"
    );
    assert!(written_files(dir.path()).is_empty());
}

#[test]
fn an_open_pipe_that_never_ends_does_not_hang_the_tool() {
    let dir = project_dir("devkit-a", "");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .current_dir(dir.path())
        .env_remove("DPS_UDS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _keep_open = child.stdin.take();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the tool waited for input that cannot come");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(2));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(stderr, MISSING_BOTH);
}

/// `--bare-base64` for devkit-a and the vectors' ID, with the UDS supplied by `setup`.
fn bare(setup: impl FnOnce(&mut Command, &std::path::Path)) -> Run {
    let dir = project_dir("devkit-a", "");
    let mut cmd = tool(dir.path());
    cmd.args(["-i", "az-c89346000001v1v3v0", "--bare-base64"]);
    setup(&mut cmd, dir.path());
    let r = run(&mut cmd);
    assert!(written_files(dir.path()).iter().all(|f| f == "uds.txt"));
    r
}

/// Makes the file readable by its owner alone (Unix; on Windows a file in the test's folder
/// under the user profile is already, and the tool does not check it there).
fn owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = path;
}

// Unix only: mode bits.
#[cfg(unix)]
#[test]
fn a_uds_file_others_can_read_draws_a_warning_and_a_byte_order_mark_is_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let other = "4f3c1b2a9e8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a3928171605f4e3";
    for (mode, warned) in [(0o644, true), (0o640, true), (0o604, true), (0o600, false)] {
        let r = bare(|c, dir| {
            let path = dir.join("uds.txt");
            std::fs::write(&path, format!("\u{feff}{other}\r\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            c.args(["--uds-file", "uds.txt"]);
        });
        assert_eq!(r.code, 0, "{}", r.stderr);
        let note = "note: UDS read from uds.txt (--uds-file)\n";
        let expected = if warned {
            format!(
                "warning: uds.txt can be read by other users of this computer, and it holds the board's secret; make it readable by you alone (chmod 600 uds.txt)\n{note}"
            )
        } else {
            note.to_string()
        };
        assert_eq!(r.stderr, expected, "mode {mode:o}");
    }
}

fn cert_line(name: &str) -> String {
    format!("{}\n", case(name).field("alias_cert_der_base64"))
}

#[test]
fn each_source_gives_the_vector_certificate() {
    let sample = case("shared-0");
    let near = case("shared-1");

    let r = bare(|c, _| {
        c.args(["-u", &sample.uds]);
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-0"));
    assert_eq!(r.stderr, format!("{COMMAND_LINE_WARNING}{SAMPLE_WARNING}"));

    let r = bare(|c, dir| {
        std::fs::write(
            dir.join("uds.txt"),
            format!("\n  {}\t\r\n\n", near.uds.to_uppercase()),
        )
        .unwrap();
        owner_only(&dir.join("uds.txt"));
        c.args(["--uds-file", "uds.txt"]);
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-1"));
    assert_eq!(
        r.stderr,
        format!("{NEAR_SAMPLE_WARNING}note: UDS read from uds.txt (--uds-file)\n")
    );

    let r = bare(|c, _| {
        c.args(["--uds-file", "-"])
            .write_stdin(format!("{}\n", near.uds));
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-1"));
    assert_eq!(
        r.stderr,
        format!("{NEAR_SAMPLE_WARNING}note: UDS read from standard input (--uds-file -)\n")
    );

    let r = bare(|c, _| {
        c.env("DPS_UDS", &sample.uds);
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-0"));
    assert_eq!(r.stderr, format!("{SAMPLE_WARNING}{ENV_NOTE}"));
}

#[test]
fn precedence_is_flag_file_environment() {
    let sample = case("shared-0");
    let near = case("shared-1");
    // Flag over file and environment.
    let r = bare(|c, dir| {
        std::fs::write(dir.join("uds.txt"), OTHER_UDS).unwrap();
        c.args(["-u", &near.uds, "--uds-file", "uds.txt"])
            .env("DPS_UDS", OTHER_UDS);
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-1"));
    // File over environment.
    let r = bare(|c, dir| {
        std::fs::write(dir.join("uds.txt"), &sample.uds).unwrap();
        c.args(["--uds-file", "uds.txt"]).env("DPS_UDS", &near.uds);
    });
    assert_eq!(r.stdout, cert_line("shared-0"));
    // Environment alone, far from the sample: no warning, one line naming the source
    // (never the value): a DPS_UDS left from another board is seen at once.
    let r = bare(|c, _| {
        c.env("DPS_UDS", OTHER_UDS);
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, ENV_NOTE);
    assert!(r.stdout.len() > 100);
    assert_ne!(r.stdout, cert_line("shared-0"));
    assert_ne!(r.stdout, cert_line("shared-1"));
    // An empty DPS_UDS counts as unset.
    let r = bare(|c, _| {
        c.env("DPS_UDS", "");
    });
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.starts_with("error: missing -u/--uds"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_sources_are_named_and_the_secret_is_not_repeated() {
    let dir = project_dir("devkit-a", "");
    let mut typo = OTHER_UDS.to_string();
    typo.replace_range(4..5, "x");
    let cases: Vec<(Vec<String>, Option<String>, String)> = vec![
        (
            vec!["--uds-file".into(), "missing.txt".into()],
            None,
            "error: cannot read the UDS file missing.txt: no such file; check the path given to --uds-file\n".into(),
        ),
        (
            vec!["--uds-file".into(), ".".into()],
            None,
            "error: cannot read the UDS file .: it is a folder, not a file; check the path given to --uds-file\n".into(),
        ),
        (
            vec![],
            Some(typo.clone()),
            "error: DPS_UDS: the UDS must contain only hex digits 0-9 and a-f, but character 5 is not one; check the UDS you set with `set_dps_uds`\n".into(),
        ),
        (
            vec!["--uds-file".into(), "short.txt".into()],
            None,
            "error: --uds-file short.txt: the UDS must be 64 hex digits (32 bytes), but 63 characters were given; type the full UDS as set with `set_dps_uds`\n".into(),
        ),
    ];
    std::fs::write(dir.path().join("short.txt"), &OTHER_UDS[1..]).unwrap();
    for (args, env, expected) in cases {
        let mut cmd = tool(dir.path());
        cmd.args(["-i", "my-device-01"]).args(&args);
        if let Some(v) = &env {
            cmd.env("DPS_UDS", v);
        }
        let r = run(&mut cmd);
        assert_eq!(
            (r.code, r.stderr.as_str()),
            (2, expected.as_str()),
            "{args:?}"
        );
        common::assert_no_uds(&r.stderr, OTHER_UDS);
        assert!(!dir.path().join("my-device-01.pem").exists());
    }
    // A bad -u keeps its plain message, after the warning.
    let r = run(tool(dir.path()).args(["-i", "my-device-01", "-u", "abc"]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "{COMMAND_LINE_WARNING}error: the UDS must be 64 hex digits (32 bytes), but 3 characters were given; type the full UDS as set with `set_dps_uds`\n"
        )
    );
}

#[test]
fn no_colour_without_a_terminal() {
    let r = bare(|c, _| {
        c.args(["-u", &case("shared-0").uds])
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1");
    });
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
    let r = bare(|c, _| {
        c.args(["-u", &case("shared-0").uds]);
    });
    assert!(!r.stderr.contains('\x1b'), "{:?}", r.stderr);
}

#[test]
fn a_pasted_set_dps_uds_line_or_0x_is_accepted_and_said_so() {
    let near = case("shared-1");
    let r = bare(|c, _| {
        c.args(["--uds-file", "-"])
            .write_stdin(format!("set_dps_uds {}\n", near.uds));
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-1"));
    assert_eq!(
        r.stderr,
        format!(
            "note: the UDS was given as the command typed on the board: took the 64 hex digits after `set_dps_uds`\n\
             {NEAR_SAMPLE_WARNING}note: UDS read from standard input (--uds-file -)\n"
        )
    );
    let r = bare(|c, _| {
        c.env("DPS_UDS", format!("0x{}", near.uds));
    });
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, cert_line("shared-1"));
    assert!(
        r.stderr.starts_with(
            "note: the UDS was given with `0x` in front: took the 64 hex digits after `0x`\n"
        ),
        "{}",
        r.stderr
    );
    common::assert_no_uds(&r.stderr, &near.uds);
}

#[test]
fn a_uds_of_one_digit_repeated_is_warned_about() {
    for digits in ["0".repeat(64), "F".repeat(64)] {
        let r = bare(|c, _| {
            c.env("DPS_UDS", &digits);
        });
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            r.stderr,
            format!(
                "warning: this UDS is one hex digit repeated 64 times (such as all zeros), so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`\n{ENV_NOTE}"
            )
        );
    }
}
