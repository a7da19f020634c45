//! No accepted flag does nothing (issue 21: 2, `verify --board` was accepted and ignored):
//! every long flag in every command's `--help` has a row here, with two invocations whose
//! outcomes (exit status, standard output, standard error, the files left) differ only
//! because of that flag, or one invocation where the flag is refused. A flag in a help
//! without a row, or a row for a flag no help lists, fails the test.
//!
//! Rows that need a board use the simulated DevKit (tests/common/sim_board.rs) and run on
//! Linux only (the board tests' rule); they are still listed everywhere. The enroll rows run
//! against the stand-in DPS on 127.0.0.1, a fresh one per invocation.
#![cfg(test)]

use crate::common;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What shows a flag's effect.
enum Effect {
    /// The outcomes of `without` and `with` differ.
    Differs { without: String, with: String },
    /// `args` is refused (exit status 2) with a message containing `says`.
    Refused { args: String, says: &'static str },
}

struct Row {
    /// The command (`""` for generation, `"board info"`).
    command: &'static str,
    /// The long flag, without `--`.
    flag: &'static str,
    effect: Effect,
}

fn differs(command: &'static str, flag: &'static str, without: &str, with: &str) -> Row {
    Row {
        command,
        flag,
        effect: Effect::Differs {
            without: without.to_string(),
            with: with.to_string(),
        },
    }
}

/// The firmware flags of a command, each shown on `command ... rest`.
fn firmware_rows(command: &'static str, head: &str, rest: &str) -> Vec<Row> {
    let c = |s: String| s.trim().to_string();
    vec![
        differs(
            command,
            "bin",
            &c(format!("{head} -m {{MAP}} {rest}")),
            &c(format!("{head} -b {{BIN}} -m {{MAP}} {rest}")),
        ),
        differs(
            command,
            "map",
            &c(format!("{head} -b {{BIN}} {rest}")),
            &c(format!("{head} -b {{BIN}} -m {{MAP}} {rest}")),
        ),
        differs(
            command,
            "project",
            &c(format!("{head} --build-dir {{DIR}} {rest}")),
            &c(format!("{head} -p NoSuchSketch --build-dir {{DIR}} {rest}")),
        ),
        differs(
            command,
            "build-dir",
            &c(format!("{head} -p DevKitDPS {rest}")),
            &c(format!("{head} -p DevKitDPS --build-dir {{DIR}} {rest}")),
        ),
        differs(
            command,
            "elf",
            &c(format!("{head} {rest}")),
            &c(format!("{head} -e {{ELF}} {rest}")),
        ),
        differs(
            command,
            "flash-origin",
            &c(format!("{head} -b {{BIN}} -m {{MAP}} {rest}")),
            &c(format!(
                "{head} -b {{BIN}} -m {{MAP}} --flash-origin 0x8001000 {rest}"
            )),
        ),
        differs(
            command,
            "verbose",
            &c(format!("{head} -e {{ELF}} {rest}")),
            &c(format!("{head} -e {{ELF}} -v {rest}")),
        ),
    ]
}

fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    // Generation.
    let base = "-e {ELF} --uds-file {U} -i dev-1";
    rows.extend(firmware_rows("", "", "--uds-file {U} -i dev-1"));
    let g = |flag, without: &str, with: &str| differs("", flag, without, with);
    rows.extend([
        g("uds", "-e {ELF} -i dev-1", "-e {ELF} -i dev-1 -u {UDSHEX}"),
        g(
            "uds-file",
            "-e {ELF} -i dev-1",
            "-e {ELF} -i dev-1 --uds-file {U}",
        ),
        g(
            "registration-id",
            "-e {ELF} --uds-file {U}",
            "-e {ELF} --uds-file {U} -i dev-1",
        ),
        g(
            "mac",
            "-e {ELF} --uds-file {U} --firmware-version 1.6.5",
            "-e {ELF} --uds-file {U} --firmware-version 1.6.5 --mac c89346000001",
        ),
        g(
            "firmware-version",
            "-e {ELF} --uds-file {U} --mac c89346000001",
            "-e {ELF} --uds-file {U} --mac c89346000001 --firmware-version 1.6.5",
        ),
        g(
            "board",
            "-e {ELF} --uds-file {U}",
            "-e {ELF} --uds-file {U} --board /dev/ttyNOPE",
        ),
        g(
            "timeout",
            "-e {ELF} --uds-file {U} --board {SIM_SILENT} --timeout 1",
            "-e {ELF} --uds-file {U} --board {SIM_SILENT} --timeout 2",
        ),
        g("out", base, &format!("{base} -o x.pem")),
        g("format", base, &format!("{base} --format der")),
        g(
            "force",
            &format!("{base} -o existing.pem"),
            &format!("{base} -o existing.pem --force"),
        ),
        g("bare-base64", base, &format!("{base} --bare-base64")),
        g("device-cert", base, &format!("{base} --device-cert dc.pem")),
        g("alias-key", base, &format!("{base} --alias-key ak.pem")),
        g("json", base, &format!("{base} --json")),
        g(
            "enroll",
            base,
            &format!("{base} --enroll --dps-connection-string-file {{CS}} --ca-file {{CA}}"),
        ),
    ]);

    // verify: the certificate is generation's from `base`.
    let base = "verify {CERT} -e {ELF} --uds-file {U}";
    rows.extend(firmware_rows("verify", "verify {CERT}", "--uds-file {U}"));
    let v = |flag, without: &str, with: &str| differs("verify", flag, without, with);
    rows.extend([
        v(
            "uds",
            "verify {CERT} -e {ELF}",
            "verify {CERT} -e {ELF} -u {UDSHEX}",
        ),
        v("uds-file", "verify {CERT} -e {ELF}", base),
        v("registration-id", base, &format!("{base} -i dev-2")),
        v(
            "mac",
            &format!("{base} --firmware-version 1.6.5"),
            &format!("{base} --firmware-version 1.6.5 --mac c89346000001"),
        ),
        v(
            "firmware-version",
            &format!("{base} --mac c89346000001"),
            &format!("{base} --mac c89346000001 --firmware-version 1.6.5"),
        ),
        v("board", base, &format!("{base} --board /dev/ttyNOPE")),
        Row {
            command: "verify",
            flag: "timeout",
            effect: Effect::Refused {
                args: format!("{base} --timeout 5"),
                says: "the following required arguments were not provided:\n  --board <PORT>",
            },
        },
        v("json", base, &format!("{base} --json")),
    ]);

    // batch.
    let base = "batch -e {ELF} --manifest {M} --out-dir out";
    rows.extend(firmware_rows(
        "batch",
        "batch",
        "--manifest {M} --out-dir out",
    ));
    let b = |flag, without: &str, with: &str| differs("batch", flag, without, with);
    rows.extend([
        b("manifest", "batch -e {ELF} --out-dir out", base),
        b("out-dir", "batch -e {ELF} --manifest {M}", base),
        b("format", base, &format!("{base} --format der")),
        b(
            "force",
            "batch -e {ELF} --manifest {M} --out-dir taken",
            "batch -e {ELF} --manifest {M} --out-dir taken --force",
        ),
        b(
            "keep-going",
            "batch -e {ELF} --manifest {BAD} --out-dir out",
            "batch -e {ELF} --manifest {BAD} --out-dir out --keep-going",
        ),
        b(
            "allow-shared-uds",
            "batch -e {ELF} --manifest {SHARED} --out-dir out",
            "batch -e {ELF} --manifest {SHARED} --out-dir out --allow-shared-uds",
        ),
        b(
            "jobs",
            &format!("{base} -v -j 1"),
            &format!("{base} -v -j 2"),
        ),
        b("summary-json", base, &format!("{base} --summary-json")),
        b("jsonl", base, &format!("{base} --jsonl all.jsonl")),
        b(
            "enroll",
            base,
            &format!("{base} --enroll --dps-connection-string-file {{CS}} --ca-file {{CA}}"),
        ),
        b(
            "dps-connection-string-file",
            &format!("{base} --enroll --ca-file {{CA}}"),
            &format!("{base} --enroll --ca-file {{CA}} --dps-connection-string-file {{CS}}"),
        ),
        b(
            "ca-file",
            &format!("{base} --enroll --dps-connection-string-file {{CS}} --timeout 2"),
            &format!(
                "{base} --enroll --dps-connection-string-file {{CS}} --timeout 2 --ca-file {{CA}}"
            ),
        ),
        b(
            "timeout",
            &format!(
                "{base} --enroll --dps-connection-string-file {{CS_SILENT}} --ca-file {{CA}} --timeout 1"
            ),
            &format!(
                "{base} --enroll --dps-connection-string-file {{CS_SILENT}} --ca-file {{CA}} --timeout 3"
            ),
        ),
    ]);

    // uds, inspect.
    rows.extend([
        differs("uds", "count", "uds", "uds --count 2"),
        differs("uds", "save", "uds", "uds --save new.txt"),
        differs("inspect", "json", "inspect {CERT}", "inspect {CERT} --json"),
    ]);

    // enroll, each invocation against a stand-in DPS of its own.
    let e = |flag, without: &str, with: &str| differs("enroll", flag, without, with);
    let base = "enroll {CERT} --dps-connection-string-file {CS} --ca-file {CA}";
    rows.extend([
        e(
            "dps-connection-string-file",
            "enroll {CERT} --ca-file {CA}",
            base,
        ),
        e(
            "ca-file",
            "enroll {CERT} --dps-connection-string-file {CS} --timeout 2",
            "enroll {CERT} --dps-connection-string-file {CS} --timeout 2 --ca-file {CA}",
        ),
        e(
            "force",
            "enroll {CERT} --dps-connection-string-file {CS_TAKEN} --ca-file {CA}",
            "enroll {CERT} --dps-connection-string-file {CS_TAKEN} --ca-file {CA} --force",
        ),
        e("json", base, &format!("{base} --json")),
        e(
            "timeout",
            "enroll {CERT} --dps-connection-string-file {CS_SILENT} --ca-file {CA} --timeout 1",
            "enroll {CERT} --dps-connection-string-file {CS_SILENT} --ca-file {CA} --timeout 2",
        ),
    ]);

    // board info, set-uds, provision.
    let i = |flag, without: &str, with: &str| differs("board info", flag, without, with);
    rows.extend([
        i(
            "port",
            "board info --timeout 1",
            "board info --timeout 1 --port /dev/ttyNOPE",
        ),
        i(
            "timeout",
            "board info --port {SIM_SILENT} --timeout 1",
            "board info --port {SIM_SILENT} --timeout 2",
        ),
        i(
            "json",
            "board info --port {SIM_BOOT} --timeout 10",
            "board info --port {SIM_BOOT} --timeout 10 --json",
        ),
    ]);
    let s = |flag, without: &str, with: &str| differs("board set-uds", flag, without, with);
    rows.extend([
        s(
            "port",
            "board set-uds --uds-file {U} --timeout 1",
            "board set-uds --uds-file {U} --timeout 1 --port /dev/ttyNOPE",
        ),
        s(
            "timeout",
            "board set-uds --uds-file {U} --port {SIM_SILENT} --timeout 1",
            "board set-uds --uds-file {U} --port {SIM_SILENT} --timeout 2",
        ),
        s(
            "uds-file",
            "board set-uds --port /dev/ttyNOPE",
            "board set-uds --port /dev/ttyNOPE --uds-file {U}",
        ),
        s(
            "new-uds",
            "board set-uds --port /dev/ttyNOPE --save-uds s.uds",
            "board set-uds --port /dev/ttyNOPE --save-uds s.uds --new-uds",
        ),
        s(
            "save-uds",
            "board set-uds --port /dev/ttyNOPE --new-uds",
            "board set-uds --port /dev/ttyNOPE --new-uds --save-uds s.uds",
        ),
        s(
            "reboot",
            "board set-uds --uds-file {U} --port {SIM_CONF} --timeout 10",
            "board set-uds --uds-file {U} --port {SIM_CONF} --timeout 10 --reboot",
        ),
    ]);
    rows.extend(firmware_rows(
        "board provision",
        "board provision",
        "--uds-file {U} --port /dev/ttyNOPE",
    ));
    let p = |flag, without: &str, with: &str| differs("board provision", flag, without, with);
    let base = "board provision -e {ELF} --uds-file {U} --port /dev/ttyNOPE";
    let on_board = "board provision -e {ELF} --uds-file {U} --port {SIM_CONF} --timeout 10";
    rows.extend([
        p(
            "port",
            "board provision -e {ELF} --uds-file {U} --timeout 1",
            base,
        ),
        p(
            "timeout",
            "board provision -e {ELF} --uds-file {U} --port {SIM_SILENT} --timeout 1",
            "board provision -e {ELF} --uds-file {U} --port {SIM_SILENT} --timeout 2",
        ),
        p(
            "uds-file",
            "board provision -e {ELF} --port /dev/ttyNOPE",
            base,
        ),
        p(
            "new-uds",
            "board provision -e {ELF} --port /dev/ttyNOPE --save-uds s.uds",
            "board provision -e {ELF} --port /dev/ttyNOPE --save-uds s.uds --new-uds",
        ),
        p(
            "save-uds",
            "board provision -e {ELF} --port /dev/ttyNOPE --new-uds",
            "board provision -e {ELF} --port /dev/ttyNOPE --new-uds --save-uds s.uds",
        ),
        p("out", base, &format!("{base} -o existing.pem")),
        p(
            "force",
            &format!("{base} -o existing.pem"),
            &format!("{base} -o existing.pem --force"),
        ),
        p("format", on_board, &format!("{on_board} --format der")),
        p(
            "bare-base64",
            on_board,
            &format!("{on_board} --bare-base64"),
        ),
        p("enroll", base, &format!("{base} --enroll --ca-file {{CA}}")),
        p(
            "dps-connection-string-file",
            &format!("{base} --enroll --ca-file {{CA}}"),
            &format!("{base} --enroll --ca-file {{CA}} --dps-connection-string-file {{CS}}"),
        ),
        p(
            "ca-file",
            "board provision -e {ELF} --uds-file {U} --port {SIM_CONF} --timeout 3 --enroll --dps-connection-string-file {CS}",
            "board provision -e {ELF} --uds-file {U} --port {SIM_CONF} --timeout 3 --enroll --dps-connection-string-file {CS} --ca-file {CA}",
        ),
    ]);

    // register, each invocation against a stand-in DPS of its own (nothing enrolled: 401002).
    let head = "register --id-scope {SCOPE} --provisioning-host {HOST} --ca-file {CA}";
    let base = format!("{head} -e {{ELF}} --uds-file {{U}} -i dev-1");
    rows.extend(firmware_rows("register", head, "--uds-file {U} -i dev-1"));
    let r = |flag, without: &str, with: &str| differs("register", flag, without, with);
    rows.extend([
        r(
            "id-scope",
            "register --provisioning-host {HOST} --ca-file {CA} -e {ELF} --uds-file {U} -i dev-1",
            &base,
        ),
        r(
            "provisioning-host",
            "register --id-scope {SCOPE} --provisioning-host 127.0.0.1:1 --ca-file {CA} -e {ELF} --uds-file {U} -i dev-1 --timeout 2",
            &format!("{base} --timeout 2"),
        ),
        r(
            "ca-file",
            "register --id-scope {SCOPE} --provisioning-host {HOST} -e {ELF} --uds-file {U} -i dev-1 --timeout 2",
            &format!("{base} --timeout 2"),
        ),
        r(
            "timeout",
            "register --id-scope {SCOPE} --provisioning-host {HOST_SILENT} --ca-file {CA} -e {ELF} --uds-file {U} -i dev-1 --timeout 1",
            "register --id-scope {SCOPE} --provisioning-host {HOST_SILENT} --ca-file {CA} -e {ELF} --uds-file {U} -i dev-1 --timeout 3",
        ),
        r(
            "uds",
            &format!("{head} -e {{ELF}} -i dev-1"),
            &format!("{head} -e {{ELF}} -i dev-1 -u {{UDSHEX}}"),
        ),
        r(
            "uds-file",
            &format!("{head} -e {{ELF}} -i dev-1"),
            &base,
        ),
        r(
            "registration-id",
            &format!("{head} -e {{ELF}} --uds-file {{U}}"),
            &base,
        ),
        r(
            "mac",
            &format!("{head} -e {{ELF}} --uds-file {{U}} --firmware-version 1.6.5"),
            &format!("{head} -e {{ELF}} --uds-file {{U}} --firmware-version 1.6.5 --mac c89346000001"),
        ),
        r(
            "firmware-version",
            &format!("{head} -e {{ELF}} --uds-file {{U}} --mac c89346000001"),
            &format!("{head} -e {{ELF}} --uds-file {{U}} --mac c89346000001 --firmware-version 1.6.5"),
        ),
        r(
            "board",
            &format!("{head} -e {{ELF}} --uds-file {{U}}"),
            &format!("{head} -e {{ELF}} --uds-file {{U}} --board /dev/ttyNOPE"),
        ),
    ]);
    rows
}

/// The inputs the rows name.
struct Inputs {
    _dir: tempfile::TempDir,
    names: BTreeMap<&'static str, String>,
}

const UDS_HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn inputs() -> Inputs {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = common::fixtures().join("devkit-a");
    let path = |p: PathBuf| p.display().to_string();
    let uds = dir.path().join("uds.txt");
    std::fs::write(&uds, format!("{UDS_HEX}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&uds, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let cert = dir.path().join("dev-1.pem");
    let made = common::bin()
        .arg("-e")
        .arg(fixtures.join("DevKitDPS.ino.elf"))
        .arg("--uds-file")
        .arg(&uds)
        .args(["-i", "dev-1", "-o"])
        .arg(&cert)
        .output()
        .unwrap();
    assert!(made.status.success());
    let other = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        path(p)
    };
    let names = BTreeMap::from([
        ("ELF", path(fixtures.join("DevKitDPS.ino.elf"))),
        ("BIN", path(fixtures.join("DevKitDPS.ino.bin"))),
        ("MAP", path(fixtures.join("DevKitDPS.ino.map"))),
        ("DIR", path(fixtures.clone())),
        ("U", path(uds.clone())),
        ("UDSHEX", UDS_HEX.to_string()),
        ("CERT", path(cert.clone())),
        ("CA", path(common::dps_standin::ca_file())),
        ("SCOPE", common::dps_standin::ID_SCOPE.to_string()),
        (
            "M",
            write(
                "m.csv",
                format!("uds,registration_id\n{UDS_HEX},dev-1\n{other},dev-2\n"),
            ),
        ),
        (
            "BAD",
            write(
                "bad.csv",
                format!("uds,registration_id\n{UDS_HEX},dev-1\n{other},Bad_ID\n"),
            ),
        ),
        (
            "SHARED",
            write(
                "shared.csv",
                format!("uds,registration_id\n{UDS_HEX},dev-1\n{UDS_HEX},dev-2\n"),
            ),
        ),
    ]);
    Inputs { _dir: dir, names }
}

/// What an invocation did, with what varies from run to run (folders, ports, random values,
/// times) replaced.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    files: Vec<(String, String)>,
}

/// Replaces what varies between two runs of the same invocation.
fn normalize(text: &str, replace: &[(String, &str)]) -> String {
    let mut text = text.to_string();
    for (from, to) in replace {
        if !from.is_empty() {
            text = text.replace(from.as_str(), to);
        }
    }
    // Random values (a new UDS) and durations ("in 0.02 s").
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = word.len() >= 32 && word.bytes().all(|b| b.is_ascii_hexdigit());
        let time = word.contains('.')
            && word.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && word.bytes().any(|b| b.is_ascii_digit());
        out.push_str(if hex {
            "<hex>"
        } else if time {
            "<n>"
        } else {
            word
        });
        word.clear();
    };
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() || ch == '.' {
            word.push(ch);
        } else {
            flush(&mut word, &mut out);
            out.push(ch);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn files_in(dir: &Path, prefix: &str, replace: &[(String, &str)], out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let name = format!("{prefix}{}", p.file_name().unwrap().to_string_lossy());
        if p.is_dir() {
            files_in(&p, &format!("{name}/"), replace, out);
        } else {
            let bytes = std::fs::read(&p).unwrap_or_default();
            out.push((name, normalize(&String::from_utf8_lossy(&bytes), replace)));
        }
    }
}

/// Runs one invocation in a folder of its own (holding `existing.pem` and
/// `taken/dev-1.pem`), with its boards and stand-ins started for it alone.
fn invoke(template: &str, inputs: &Inputs) -> Outcome {
    let cwd = tempfile::tempdir().unwrap();
    std::fs::write(cwd.path().join("existing.pem"), "old\n").unwrap();
    std::fs::create_dir(cwd.path().join("taken")).unwrap();
    std::fs::write(cwd.path().join("taken/dev-1.pem"), "old\n").unwrap();
    let mut replace: Vec<(String, &str)> = vec![(cwd.path().display().to_string(), "<cwd>")];
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut args = Vec::new();
    for word in template.split_whitespace() {
        let Some(name) = word.strip_prefix('{').and_then(|w| w.strip_suffix('}')) else {
            args.push(word.to_string());
            continue;
        };
        if let Some(value) = inputs.names.get(name) {
            args.push(value.clone());
            continue;
        }
        let value = match name {
            "CS" | "CS_TAKEN" | "CS_SILENT" => {
                let standin = common::dps_standin::StandIn::start();
                if name == "CS_TAKEN" {
                    let other = common::Case::named("shared-1").der();
                    standin.enroll("dev-1", &other);
                }
                if name == "CS_SILENT" {
                    standin.set_faults(common::dps_standin::Faults {
                        silent: true,
                        ..Default::default()
                    });
                }
                let file = cwd.path().join("cs.txt");
                std::fs::write(&file, standin.connection_string()).unwrap();
                replace.push((standin.service_host(), "<dps>"));
                keep.push(Box::new(standin));
                file.display().to_string()
            }
            "HOST" | "HOST_SILENT" => {
                let standin = common::dps_standin::StandIn::start();
                if name == "HOST_SILENT" {
                    standin.set_faults(common::dps_standin::Faults {
                        silent: true,
                        ..Default::default()
                    });
                }
                let host = standin.device_host();
                replace.push((host.clone(), "<dps>"));
                keep.push(Box::new(standin));
                host
            }
            #[cfg(target_os = "linux")]
            "SIM_SILENT" | "SIM_BOOT" | "SIM_CONF" => {
                use common::sim_board::{Boot, Firmware, Mode, SimBoard};
                let boot = Boot::new("c8934680ec24", "1.6.5");
                let sim = SimBoard::start(match name {
                    "SIM_SILENT" => Mode::Silent,
                    "SIM_BOOT" => Mode::Normal(boot),
                    _ => Mode::Configuration {
                        firmware: Firmware::Quirk,
                        sdk_version: "1.6.5".into(),
                        after_exit: boot,
                    },
                });
                let path = sim.path().to_string();
                replace.push((path.clone(), "<port>"));
                keep.push(Box::new(sim));
                path
            }
            other => panic!("no input named {other}"),
        };
        args.push(value);
    }
    let output = common::bin()
        .args(&args)
        .current_dir(cwd.path())
        .env("NO_COLOR", "1")
        .env_remove("DPS_CONNECTION_STRING")
        .env_remove("CLICOLOR_FORCE")
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let mut files = Vec::new();
    files_in(cwd.path(), "", &replace, &mut files);
    drop(keep);
    Outcome {
        code: output.status.code(),
        stdout: normalize(&String::from_utf8_lossy(&output.stdout), &replace),
        stderr: normalize(&String::from_utf8_lossy(&output.stderr), &replace),
        files,
    }
}

/// The long flags a command's help lists (not --help or --version).
fn long_flags(command: &str) -> BTreeSet<String> {
    let out = common::bin()
        .args(command.split_whitespace())
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success(), "{command} --help");
    let help = String::from_utf8(out.stdout).unwrap();
    help.lines()
        .filter_map(|line| {
            // An option's own line: "  -x, --name" or "      --name"; wrapped help text
            // is indented further.
            let rest = line
                .strip_prefix("      --")
                .or_else(|| line.strip_prefix("  -").and_then(|l| l.get(3..)))?;
            let rest = rest.strip_prefix("--").unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .filter(|name| name != "help" && name != "version")
        .collect()
}

/// The commands a help lists (not `help`).
fn subcommands(command: &str) -> Vec<String> {
    let out = common::bin()
        .args(command.split_whitespace())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn every_flag_in_every_help_has_an_effect_or_is_refused() {
    // Every command, as the helps list them.
    let mut commands = vec![String::new()];
    let mut pending = vec![String::new()];
    while let Some(command) = pending.pop() {
        for sub in subcommands(&command) {
            let full = format!("{command} {sub}").trim().to_string();
            commands.push(full.clone());
            pending.push(full);
        }
    }
    let rows = rows();
    let listed: BTreeSet<(String, String)> = commands
        .iter()
        .flat_map(|c| long_flags(c).into_iter().map(move |f| (c.clone(), f)))
        .collect();
    let tabled: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.command.to_string(), r.flag.to_string()))
        .collect();
    assert_eq!(rows.len(), tabled.len(), "a flag has two rows");
    let missing: Vec<_> = listed.difference(&tabled).collect();
    assert!(missing.is_empty(), "flags without a row: {missing:?}");
    let stale: Vec<_> = tabled.difference(&listed).collect();
    assert!(stale.is_empty(), "rows for flags no help lists: {stale:?}");

    let inputs = inputs();
    let runnable = |row: &&Row| {
        let text = match &row.effect {
            Effect::Differs { without, with } => format!("{without} {with}"),
            Effect::Refused { args, .. } => args.clone(),
        };
        cfg!(target_os = "linux") || !text.contains("{SIM_")
    };
    let rows: Vec<&Row> = rows.iter().filter(runnable).collect();
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = rows
            .chunks(rows.len().div_ceil(4))
            .map(|chunk| {
                let inputs = &inputs;
                scope.spawn(move || {
                    let mut failures = Vec::new();
                    for row in chunk {
                        let name = format!("{} --{}", row.command, row.flag);
                        match &row.effect {
                            Effect::Differs { without, with } => {
                                let a = invoke(without, inputs);
                                let b = invoke(with, inputs);
                                if a == b {
                                    failures.push(format!(
                                        "{name}: no effect: `{without}` and `{with}` both gave {a:?}"
                                    ));
                                }
                            }
                            Effect::Refused { args, says } => {
                                let o = invoke(args, inputs);
                                if o.code != Some(2) || !o.stderr.contains(says) {
                                    failures.push(format!("{name}: not refused: {o:?}"));
                                }
                            }
                        }
                    }
                    failures
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
