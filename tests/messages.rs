//! The tool's messages on standard error are wrapped at spaces, never inside a word: to the
//! terminal's width (tests/prompts.rs, on a pseudo-terminal), else to `COLUMNS` as clap
//! reads it for the help, else to 80 columns. (The rest of the suite runs with a `COLUMNS`
//! no message reaches, from `.cargo/config.toml`, and reads each message on one line.)
#![cfg(test)]

use std::path::PathBuf;

const UDS: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn warning_with(columns: Option<&str>) -> String {
    let build = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/devkit-a");
    let mut cmd = assert_cmd::Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.env_remove("DPS_UDS").env_remove("COLUMNS");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let out = cmd
        .arg("--build-dir")
        .arg(build)
        .args(["-u", UDS, "-i", "dev-1", "--bare-base64"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn messages_wrap_at_spaces_to_80_columns_without_a_terminal() {
    assert_eq!(
        warning_with(None),
        "warning: a UDS given with -u/--uds is visible in your shell history and in the\n\
         process list; use --uds-file PATH (- for standard input) or the DPS_UDS\n\
         environment variable instead\n"
    );
}

#[test]
fn messages_wrap_to_columns_when_it_is_set() {
    assert_eq!(
        warning_with(Some("50")),
        "warning: a UDS given with -u/--uds is visible in\n\
         your shell history and in the process list; use\n\
         --uds-file PATH (- for standard input) or the\n\
         DPS_UDS environment variable instead\n"
    );
    // A width too small to be meant is taken for 80.
    assert_eq!(warning_with(Some("5")), warning_with(None));
}
