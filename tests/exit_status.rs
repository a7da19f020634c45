//! The exit status contract (README, "Exit status"): 0 success; 1 a failure that is not the
//! input's fault (a file system that refuses a write) or a `verify` mismatch; 2 invalid
//! arguments or input; 130 Ctrl-C (at a prompt: tests/prompts.rs; in a batch: tests/batch.rs). Every failure
//! prints one `error:` line on standard error.
#![cfg(test)]

use crate::common;

use common::Case;
use std::path::Path;

struct Run {
    what: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    stdout_to_dev_full: bool,
    expected: i32,
}

fn run(what: &'static str, args: &[&str], expected: i32) -> Run {
    Run {
        what,
        args: args.iter().map(|a| a.to_string()).collect(),
        env: Vec::new(),
        stdout_to_dev_full: false,
        expected,
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn each_kind_of_outcome_has_its_status() {
    let case = Case::named("shared-0");
    let other = Case::named("shared-1");
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.der");
    std::fs::write(&cert, case.der()).unwrap();
    let not_cert = dir.path().join("notes.txt");
    std::fs::write(&not_cert, "hello\n").unwrap();
    let existing = dir.path().join("existing.pem");
    std::fs::write(&existing, "keep").unwrap();
    let out = s(&dir.path().join("new.pem"));
    let gen_args = case.input_args();
    let generate = |extra: &[&str]| -> Vec<String> {
        let mut a = gen_args.clone();
        a.extend(extra.iter().map(|e| e.to_string()));
        a
    };
    let verify = |c: &Case| -> Vec<String> {
        let mut a = vec!["verify".to_string(), s(&cert)];
        a.extend(c.input_args());
        a
    };
    let mut runs = vec![
        // 0: success.
        run("--help", &["--help"], 0),
        run("--version", &["--version"], 0),
        run("uds", &["uds"], 0),
        run("completions", &["completions", "bash"], 0),
        run("inspect", &["inspect", &s(&cert)], 0),
        Run {
            args: generate(&["-o", &out]),
            ..run("generate", &[], 0)
        },
        Run {
            args: verify(&case),
            ..run("verify, matching", &[], 0)
        },
        // 1: not the input's fault, or a verify mismatch.
        Run {
            args: verify(&other),
            ..run("verify, not matching", &[], 1)
        },
        Run {
            args: generate(&["-o", "/sys/alias.pem"]),
            ..run("generate into a read-only folder", &[], 1)
        },
        Run {
            stdout_to_dev_full: true,
            ..run(
                "inspect onto a full standard output",
                &["inspect", &s(&cert)],
                1,
            )
        },
        Run {
            stdout_to_dev_full: true,
            args: generate(&["-o", "-"]),
            ..run("generate onto a full standard output", &[], 1)
        },
        // 2: invalid arguments (clap's usage errors) or input.
        run("unknown flag", &["--no-such-flag"], 2),
        run("flag without its value", &["-o"], 2),
        run("conflicting flags", &["--bare-base64", "-o", "x.pem"], 2),
        run("uds --count 0", &["uds", "--count", "0"], 2),
        run("nothing given, no terminal", &[], 2),
        run(
            "bad UDS",
            &["-u", "12", "-b", "a.bin", "-m", "a.map", "-i", "x"],
            2,
        ),
        Run {
            args: generate(&["-o", &s(&existing)]),
            ..run("existing output without --force", &[], 2)
        },
        run(
            "missing firmware file",
            &[
                "-b",
                "/no/such.bin",
                "-m",
                "/no/such.map",
                "--uds-file",
                "/no/such.uds",
                "-i",
                "x",
            ],
            2,
        ),
        Run {
            args: {
                let mut a = generate(&["-o", &out]);
                a.extend(["-i".to_string(), "Not An ID".to_string()]);
                a.retain(|x| x != &case.expected_id);
                a
            },
            ..run("bad registration ID", &[], 2)
        },
        run("inspect of something else", &["inspect", &s(&not_cert)], 2),
        run("inspect of a missing file", &["inspect", "/no/such.pem"], 2),
        Run {
            args: {
                let mut a = verify(&case);
                a.retain(|x| !x.ends_with(".uds") && x != "--uds-file");
                a
            },
            ..run("verify without a UDS", &[], 2)
        },
    ];
    runs.push(Run {
        env: vec![("DPS_UDS", "xyz".to_string())],
        args: vec![
            "-b".into(),
            s(&case.bin),
            "-m".into(),
            s(&case.map),
            "-i".into(),
            "x".into(),
        ],
        ..run("bad DPS_UDS", &[], 2)
    });
    // /dev/full (a standard output that is always full) is Unix's.
    runs.retain(|r| cfg!(unix) || !r.stdout_to_dev_full);
    for r in runs {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"));
        cmd.env_remove("DPS_UDS").args(&r.args);
        for (k, v) in &r.env {
            cmd.env(k, v);
        }
        if r.stdout_to_dev_full {
            cmd.stdout(std::fs::File::create("/dev/full").unwrap());
        }
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(r.expected),
            "{}: {:?}\n{stderr}",
            r.what,
            r.args
        );
        if r.expected == 2 && !r.what.contains("flag") && r.what != "uds --count 0" {
            // The tool's own errors: one `error:` line (clap's usage errors have their own form).
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{}: {stderr}", r.what);
        }
        if r.expected == 1 && !r.what.starts_with("verify") {
            assert!(
                stderr.contains("error: cannot write"),
                "{}: {stderr}",
                r.what
            );
        }
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep");
}

#[test]
fn a_reader_that_stops_early_is_not_a_failure() {
    use std::io::{BufRead, BufReader};
    // 100,000 values are 6.5 MB, far more than a pipe holds: the writes after the reader is
    // gone fail with a broken pipe, which ends the run quietly with status 0.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .args(["uds", "--count", "100000"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first.trim_end().len(), 64);
    // The reader is dropped here: the pipe is closed.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}
