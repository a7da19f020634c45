//! `board info`, `board set-uds`, `board provision` and generation with `--board`, through
//! the binary, against a simulated DevKit on a pseudo-terminal (tests/common/sim_board.rs):
//! exact output and exit statuses, what the board received, and certificates equal to the
//! vectors'. Linux only: on macOS a pty refuses the speed ioctl that opening a serial port
//! makes.
#![cfg(test)]
#![cfg(target_os = "linux")]

use crate::common;
use crate::common::sim_board;

use common::{assert_no_uds, bin, case, uds_file};
use sim_board::{Boot, Firmware, Mode, Outcome, SimBoard};
use std::os::unix::fs::PermissionsExt;

const MAC: &str = "c8934680ec24";
/// Not the tutorial's sample, so that no sample warning is drawn; upper case in the file,
/// sent lower case.
const UDS: &str = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = bin()
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .write_stdin("")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn listening(port: &str, secs: u64) -> String {
    format!("Press Reset on the board (listening on {port} for up to {secs} s)...\n")
}

fn configuration_prompt(port: &str, secs: u64) -> String {
    format!(
        "Put the board in configuration mode: hold button A, press and release Reset, then let go of A (waiting on {port} for up to {secs} s)...\n"
    )
}

#[test]
fn info_reports_the_id_and_the_invalid_certificate_answer() {
    let sim = SimBoard::start(Mode::Normal(Boot {
        outcome: Outcome::InvalidCertificate,
        ..Boot::new(MAC, "1.6.5")
    }));
    let r = run(&["board", "info", "--port", sim.path(), "--timeout", "5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr, listening(sim.path(), 5));
    assert_eq!(
        r.stdout,
        "MAC address:      c8934680ec24\n\
         Firmware version: 1.6.5\n\
         Registration ID:  az-c8934680ec24v1v6v5 (built from the MAC address and firmware version; the HTTP trace agrees)\n\
         DPS:              refused: 401002 Invalid certificate; DPS does not hold this board's certificate: check the enrolled one with `dps-cert-gen verify`, or enroll the one `dps-cert-gen` writes\n"
    );
    assert!(sim.received().is_empty(), "board info sends nothing");
}

#[test]
fn info_json_in_the_other_line_order_with_mixed_line_ends() {
    let sim = SimBoard::start(Mode::Normal(Boot {
        version_first: true,
        mixed_line_ends: true,
        outcome: Outcome::Assigned,
        ..Boot::new(MAC, "1.3.0")
    }));
    let r = run(&[
        "board",
        "info",
        "--port",
        sim.path(),
        "--timeout",
        "5",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "port": sim.path(),
            "mac": MAC,
            "firmware_version": "1.3.0",
            "registration_id": "az-c8934680ec24v1v3v0",
            "registration_id_source": "both",
            "dps": {
                "outcome": "assigned",
                "hub": "myhub.azure-devices.net",
                "device_id": "az-c8934680ec24v1v3v0"
            }
        })
    );
}

#[test]
fn info_with_a_sketch_that_sets_its_own_id() {
    let sim = SimBoard::start(Mode::Normal(Boot {
        custom_id: Some("my-device-01".into()),
        ..Boot::new(MAC, "1.6.5")
    }));
    let r = run(&[
        "board",
        "info",
        "--port",
        sim.path(),
        "--timeout",
        "2",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["mac"], serde_json::Value::Null);
    assert_eq!(json["firmware_version"], serde_json::Value::Null);
    assert_eq!(json["registration_id"], "my-device-01");
    assert_eq!(json["registration_id_source"], "http_trace");
    assert_eq!(json["dps"], serde_json::Value::Null);
}

#[test]
fn info_says_dice_init_failed_means_set_the_uds() {
    let sim = SimBoard::start(Mode::Normal(Boot {
        outcome: Outcome::DiceInitFailed,
        ..Boot::new(MAC, "1.6.5")
    }));
    let r = run(&["board", "info", "--port", sim.path(), "--timeout", "5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.ends_with(
            "Registration ID:  az-c8934680ec24v1v6v5 (built from the MAC address and firmware version)\n\
             DPS:              not asked: the board said \"DiceInit failed!\" (no usable UDS); set one with `dps-cert-gen board set-uds`\n"
        ),
        "{}",
        r.stdout
    );
}

#[test]
fn a_silent_board_times_out_naming_the_likely_causes() {
    let sim = SimBoard::start(Mode::Silent);
    let started = std::time::Instant::now();
    let r = run(&["board", "info", "--port", sim.path(), "--timeout", "1"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    let port = sim.path();
    assert_eq!(
        r.stderr,
        format!(
            "{}error: no registration ID from the board on {port} within 1 s: nothing came at all; press Reset while the tool listens, check that {port} is the DevKit's port (wrong port?), and close any other program reading it (a serial monitor)\n",
            listening(port, 1)
        )
    );
}

/// `board info` on a board at its configuration console: the tool sends `exit` itself (the
/// board restarts in normal mode) and reads the boot that follows.
#[test]
fn info_sends_exit_to_a_board_in_configuration_mode_and_reads_the_boot() {
    let sim = SimBoard::start(Mode::Configuration {
        firmware: Firmware::Quirk,
        sdk_version: "1.6.5".into(),
        after_exit: Boot {
            outcome: Outcome::Assigned,
            ..Boot::new(MAC, "1.6.5")
        },
    });
    let r = run(&["board", "info", "--port", sim.path(), "--timeout", "10"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "{}The board is in configuration mode: sent exit to restart it in normal mode...\n",
            listening(sim.path(), 10)
        )
    );
    assert_eq!(
        r.stdout,
        "MAC address:      c8934680ec24\n\
         Firmware version: 1.6.5\n\
         Registration ID:  az-c8934680ec24v1v6v5 (built from the MAC address and firmware version; the HTTP trace agrees)\n\
         DPS:              registered to myhub.azure-devices.net as device az-c8934680ec24v1v6v5\n"
    );
    // One command, and only after the prompt: exit.
    assert_eq!(sim.received(), b"exit\r");
}

/// A board that does not restart after `exit` (it stays silent): said so, with what to do.
#[test]
fn a_board_that_does_not_restart_after_exit_is_told_to_be_reset() {
    let silent_after_exit = SimBoard::start(Mode::Configuration {
        firmware: Firmware::NoReboot,
        sdk_version: "1.6.5".into(),
        after_exit: Boot::new(MAC, "1.6.5"),
    });
    let port = silent_after_exit.path();
    let r = run(&["board", "info", "--port", port, "--timeout", "2"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.ends_with(&format!(
            "error: no registration ID from the board on {port} within 2 s: the board was in configuration mode and was sent exit, but it did not restart; press Reset without holding button A while the tool listens\n"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(silent_after_exit.received(), b"exit\r");
}

#[test]
fn auto_without_a_devkit_says_to_plug_it_in_or_name_the_port() {
    let r = run(&["board", "info", "--timeout", "1"]);
    if r.code == 0 {
        return; // A real DevKit is plugged into this machine.
    }
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: no serial port has the DevKit's USB ID 0483:374B ("),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with(
            "; plug the board in (its micro-USB port), or give its port with --port PORT\n"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn dps_cert_gen_port_names_the_port_auto_stands_for() {
    // `--port auto` (the default) and `--board auto`: the port the variable names, and the
    // help says so.
    let elf = common::fixtures().join("devkit-a/DevKitDPS.ino.elf");
    let uds = uds_file(UDS);
    let generation = [
        "-e",
        elf.to_str().unwrap(),
        "--uds-file",
        uds.to_str().unwrap(),
        "--board",
        "auto",
    ];
    for args in [&["board", "info", "--timeout", "1"][..], &generation[..]] {
        let out = bin()
            .args(args)
            .env("DPS_CERT_GEN_PORT", "/dev/ttyNOPE")
            .env("COLUMNS", "1000")
            .write_stdin("")
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(
                "there is no serial port /dev/ttyNOPE: check the name, or plug the board in"
            ),
            "{args:?}: {err}"
        );
    }
    let help = run(&["board", "info", "--help"]).stdout;
    assert!(help.contains("DPS_CERT_GEN_PORT"), "{help}");
}

#[test]
fn a_port_held_by_another_program_says_to_close_it() {
    let sim = SimBoard::start(Mode::Silent);
    let _held = serialport::new(sim.path(), 115_200).open().unwrap();
    let r = run(&["board", "info", "--port", sim.path(), "--timeout", "1"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr,
        format!(
            "error: the serial port {} is in use by another program: close the serial monitor (VS Code, Arduino IDE, PuTTY, screen) and try again\n",
            sim.path()
        )
    );
}

fn configuration(firmware: Firmware) -> SimBoard {
    SimBoard::start(Mode::Configuration {
        firmware,
        sdk_version: "1.6.5".into(),
        after_exit: Boot::new(MAC, "1.6.5"),
    })
}

#[test]
fn set_uds_with_the_quirk_succeeds_and_sends_it_lower_case() {
    let sim = configuration(Firmware::Quirk);
    let file = uds_file(UDS);
    let r = run(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--uds-file",
        file.to_str().unwrap(),
        "--timeout",
        "5",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "{}The board stored the UDS (INFO: Set DPS UDS successfully.; the \"Invalid UDS.\" before it is a known quirk of SDK 1.6.2 and later, not an error)\n\
             Press Reset (or run with --reboot) to restart the board in normal mode.\n",
            configuration_prompt(sim.path(), 5)
        )
    );
    assert_eq!(sim.stored_uds(), [UDS.to_lowercase()]);
    let sent = String::from_utf8(sim.received()).unwrap();
    assert!(
        sent.ends_with(&format!("set_dps_uds {}\r", UDS.to_lowercase())),
        "{sent:?}"
    );
    assert!(!sent.contains("exit"));
}

#[test]
fn set_uds_failures_quote_the_board_and_exit_1() {
    let file = uds_file(UDS);
    for (firmware, said) in [
        (
            Firmware::EepromFailure,
            "the board could not store the UDS; it said: ERROR: Failed to write EEPROM: 0x06.; put the board in configuration mode again and retry; if it keeps failing, the board's secure element may be faulty",
        ),
        (
            Firmware::VerifyFailure,
            "the board could not store the UDS; it said: ERROR: Verify failed.; put the board in configuration mode again and retry; if it keeps failing, the board's secure element may be faulty",
        ),
        (
            Firmware::NoDpsCommand,
            "the board's firmware has no set_dps_uds command; it said: Error:Invalid command: set_dps_uds; this firmware predates DPS support: flash a sketch built with DevKit SDK 1.3.0 or later, then retry",
        ),
    ] {
        let sim = configuration(firmware);
        let r = run(&[
            "board",
            "set-uds",
            "--port",
            sim.path(),
            "--uds-file",
            file.to_str().unwrap(),
            "--timeout",
            "5",
            "--reboot",
        ]);
        assert_eq!(r.code, 1, "{firmware:?}: {}", r.stderr);
        assert_eq!(
            r.stderr,
            format!("{}error: {said}\n", configuration_prompt(sim.path(), 5)),
            "{firmware:?}"
        );
        assert_no_uds(&r.stderr, UDS);
        let sent = String::from_utf8(sim.received()).unwrap();
        assert!(!sent.contains("exit"), "no reboot after a failure");
    }
}

#[test]
fn new_uds_is_saved_owner_only_before_it_is_sent_and_never_overwritten() {
    let sim = configuration(Firmware::Old);
    let dir = tempfile::tempdir().unwrap();
    let save = dir.path().join("board.uds");
    let save_arg = save.to_str().unwrap();
    let r = run(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--new-uds",
        "--save-uds",
        save_arg,
        "--timeout",
        "5",
        "--reboot",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = std::fs::read_to_string(&save).unwrap();
    let uds = saved.strip_suffix('\n').unwrap();
    assert_eq!(uds.len(), 64);
    assert!(
        uds.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    );
    assert_eq!(
        std::fs::metadata(&save).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(sim.stored_uds(), [uds.to_string()]);
    let sent = String::from_utf8(sim.received()).unwrap();
    assert!(
        sent.ends_with(&format!("set_dps_uds {uds}\rexit\r")),
        "{sent:?}"
    );
    assert_eq!(
        r.stderr,
        format!(
            "{}Saved the new UDS to {save_arg} (readable by you only): keep it, the board's certificate is made from it\n\
             The board stored the UDS (INFO: Set DPS UDS successfully.)\n\
             Sent exit: the board restarts in normal mode.\n",
            configuration_prompt(sim.path(), 5)
        )
    );
    assert_no_uds(&format!("{}{}", r.stdout, r.stderr), uds);

    // Again with the same file: refused before the board is touched, the file kept.
    let sim = configuration(Firmware::Old);
    let r = run(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--new-uds",
        "--save-uds",
        save_arg,
        "--timeout",
        "5",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!(
            "error: {save_arg} already exists (it may hold another board's UDS) and --save-uds never overwrites a file; choose a new file name\n"
        )
    );
    assert_eq!(std::fs::read_to_string(&save).unwrap(), saved);
    assert!(sim.received().is_empty());
}

#[test]
fn a_malformed_uds_file_is_refused_before_the_board_is_touched() {
    let sim = configuration(Firmware::Quirk);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("short.uds");
    std::fs::write(&file, "abc\n").unwrap();
    let r = run(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--uds-file",
        file.to_str().unwrap(),
        "--timeout",
        "1",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with(&format!("error: --uds-file {}: ", file.display())),
        "{}",
        r.stderr
    );
    assert!(sim.received().is_empty());
}

#[test]
fn provision_sets_the_uds_reboots_and_writes_the_vectors_certificate() {
    let c = case("shared-3");
    let sim = SimBoard::start(Mode::Configuration {
        firmware: Firmware::Quirk,
        sdk_version: c.firmware_version.clone().unwrap(),
        after_exit: Boot {
            outcome: Outcome::InvalidCertificate,
            ..Boot::new(
                c.mac.as_deref().unwrap(),
                c.firmware_version.as_deref().unwrap(),
            )
        },
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("board.cer");
    let r = run(&[
        "board",
        "provision",
        "--port",
        sim.path(),
        "-b",
        c.bin.to_str().unwrap(),
        "-m",
        c.map.to_str().unwrap(),
        "--uds-file",
        uds_file(&c.uds).to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--format",
        "der",
        "--timeout",
        "5",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), c.der());
    assert_eq!(sim.stored_uds(), [c.uds.to_lowercase()]);
    let sent = String::from_utf8(sim.received()).unwrap();
    assert!(sent.ends_with("\rexit\r"), "{sent:?}");
    let id = &c.expected_id;
    assert!(
        r.stderr.contains(&format!(
            "Sent exit: the board restarts in normal mode.\n\
             Reading the board's boot output on {} (for up to 5 s)...\n\
             Registration ID from the board: {id}\n\
             Wrote {}\n  registration ID: {id}\n",
            sim.path(),
            out.display()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.ends_with(&format!(
            "  az iot dps enrollment create -g RESOURCE_GROUP --dps-name DPS_NAME --enrollment-id {id} --attestation-type x509 --certificate-path {}\n\
             Then press Reset on the board: it registers with this certificate.\n",
            out.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn generation_with_board_takes_the_id_from_the_boot_output() {
    for name in ["shared-3", "shared-0", "shared-2"] {
        let c = case(name);
        let boot = match (&c.mac, &c.firmware_version) {
            (Some(mac), Some(version)) => Boot::new(mac, version),
            // shared-0's ID is the one built from this MAC and version; shared-2's is a
            // sketch's own.
            _ if c.expected_id.starts_with("az-") => Boot::new("c89346000001", "1.3.0"),
            _ => Boot {
                custom_id: Some(c.expected_id.clone()),
                ..Boot::new(MAC, "1.6.5")
            },
        };
        assert_eq!(boot.id(), c.expected_id);
        let sim = SimBoard::start(Mode::Normal(boot));
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("cert.cer");
        let r = run(&[
            "-b",
            c.bin.to_str().unwrap(),
            "-m",
            c.map.to_str().unwrap(),
            "--uds-file",
            uds_file(&c.uds).to_str().unwrap(),
            "--board",
            sim.path(),
            "--timeout",
            "5",
            "-o",
            out.to_str().unwrap(),
            "--format",
            "der",
        ]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(std::fs::read(&out).unwrap(), c.der(), "{name}");
        let stderr = common::stderr_without_sample_warning(r.stderr.as_bytes());
        assert!(
            stderr.starts_with(&format!(
                "{}Registration ID from the board: {}\nnote: UDS read from {} (--uds-file)\nWrote {}\n",
                listening(sim.path(), 5),
                c.expected_id,
                uds_file(&c.uds).display(),
                out.display()
            )),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn board_conflicts_with_the_other_id_flags() {
    let r = run(&["--board", "auto", "-i", "my-device-01"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cannot be used with"), "{}", r.stderr);
}

/// Runs the binary with `args`, sampling its peak resident memory (`VmHWM` in
/// `/proc/PID/status`) until it exits; killed after 60 s. Returns the run and the peak in KiB.
fn run_measured(args: &[&str]) -> (Run, u64) {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .args(args)
        .env_remove("DPS_UDS")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let started = std::time::Instant::now();
    let mut peak = 0u64;
    let status = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file)
            && let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("the tool did not end within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (
        Run {
            code: status.code().unwrap(),
            stdout,
            stderr,
        },
        peak,
    )
}

/// No run of 12 or more hex digits, and none of the UDS's 15-digit groups.
fn assert_no_uds_group(text: &str, uds: &str) {
    assert!(
        dps_cert_gen::text::uds_like::longest_hex_run(text) < 12,
        "a long hex run: {text}"
    );
    for group in uds.to_lowercase().as_bytes().chunks(15) {
        let group = std::str::from_utf8(group).unwrap();
        if group.len() == 15 {
            assert!(!text.contains(group), "a UDS group: {text}");
        }
    }
}

/// Issue 22, 1: a board (or a sketch) that registers with the UDS as its ID is not believed:
/// `--board`, `board provision` and `board info` refuse it, show no digit of it, and write
/// nothing; `dev-<UDS>` and the UDS in capitals too.
#[test]
fn a_board_that_reports_the_uds_as_its_id_is_refused_and_never_shown() {
    let c = case("shared-3");
    let uds = c.uds.to_lowercase();
    for id in [
        uds.clone(),
        format!("dev-{uds}"),
        format!("{uds}0"),
        uds.to_uppercase(),
    ] {
        let boot = || Boot {
            custom_id: Some(id.clone()),
            ..Boot::new(MAC, "1.6.5")
        };
        let dir = tempfile::tempdir().unwrap();
        let uds_path = dir.path().join("board.uds");
        std::fs::write(&uds_path, format!("{uds}\n")).unwrap();
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).unwrap();
        let out = out_dir.join("cert.pem");
        let expected_end = "the sketch registers with an ID that holds 64 hex digits in a row, as a UDS does (the ID is not shown: it may be the board's secret); the ID goes into the public certificate, its file name and the DPS portal, so it must never be the UDS: change the sketch's registrationId\n";

        // Generation with --board (no -o: the file would be named after the ID).
        let sim = SimBoard::start(Mode::Normal(boot()));
        let r = run(&[
            "-b",
            c.bin.to_str().unwrap(),
            "-m",
            c.map.to_str().unwrap(),
            "--uds-file",
            uds_path.to_str().unwrap(),
            "--board",
            sim.path(),
            "--timeout",
            "10",
        ]);
        assert_eq!(r.code, 1, "{id}: {}", r.stderr);
        assert!(r.stderr.ends_with(expected_end), "{id}: {}", r.stderr);
        assert_no_uds(&format!("{}{}", r.stdout, r.stderr), &uds);

        // board info: no UDS known, the ID is refused all the same.
        let sim = SimBoard::start(Mode::Normal(boot()));
        for json in [false, true] {
            let mut args = vec!["board", "info", "--port", sim.path(), "--timeout", "10"];
            if json {
                args.push("--json");
            }
            let r = run(&args);
            assert_eq!(r.code, 1, "{id}: {}", r.stderr);
            assert!(r.stderr.ends_with(expected_end), "{id}: {}", r.stderr);
            assert_no_uds(&format!("{}{}", r.stdout, r.stderr), &uds);
        }

        // board provision: sets the UDS, reboots, then refuses the ID it reads.
        let sim = SimBoard::start(Mode::Configuration {
            firmware: Firmware::Quirk,
            sdk_version: "1.6.5".into(),
            after_exit: boot(),
        });
        let r = run(&[
            "board",
            "provision",
            "--port",
            sim.path(),
            "-b",
            c.bin.to_str().unwrap(),
            "-m",
            c.map.to_str().unwrap(),
            "--uds-file",
            uds_path.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--timeout",
            "10",
        ]);
        assert_eq!(r.code, 1, "{id}: {}", r.stderr);
        assert!(r.stderr.ends_with(expected_end), "{id}: {}", r.stderr);
        assert_no_uds(&format!("{}{}", r.stdout, r.stderr), &uds);
        assert!(!r.stderr.contains("az iot"), "{}", r.stderr);
        assert_eq!(std::fs::read_dir(&out_dir).unwrap().count(), 0, "{id}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        for name in names {
            assert_no_uds(&name, &uds);
        }
    }
}

/// Issue 22, 14: any other `INFO:` line is not the UDS stored, and the quote is what the
/// board said (made visible: 10); nothing is said to be stored, and no `exit` is sent.
#[test]
fn another_info_line_is_not_success_and_is_quoted_as_the_board_said_it() {
    let sim = configuration(Firmware::OtherInfo);
    let file = uds_file(UDS);
    let r = run(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--uds-file",
        file.to_str().unwrap(),
        "--timeout",
        "5",
        "--reboot",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "{}error: the board's answer to set_dps_uds was not recognised: INFO: Wi-Fi reconnected.??; retry, and check that the port is the DevKit's\n",
            configuration_prompt(sim.path(), 5)
        )
    );
    assert!(!r.stderr.contains("stored"));
    let sent = String::from_utf8(sim.received()).unwrap();
    assert!(!sent.contains("exit"), "no reboot after a failure");
}

/// Issue 22, 9: a board that repeats the UDS in 15-digit groups gets none of them quoted:
/// every run of 12 or more hex digits is hidden before the quote is cut.
#[test]
fn a_board_echoing_the_uds_in_groups_shows_no_group() {
    let sim = configuration(Firmware::GroupedEcho);
    let file = uds_file(UDS);
    let r = run(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--uds-file",
        file.to_str().unwrap(),
        "--timeout",
        "5",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.ends_with(
            "error: the board's answer to set_dps_uds was not recognised: Got: <hidden> <hidden> <hidden> <hidden> cdef; retry, and check that the port is the DevKit's\n"
        ),
        "{}",
        r.stderr
    );
    assert_no_uds_group(&r.stderr, UDS);
}

/// Issue 22, 10: bidirectional overrides and zero-width characters in the hub and the
/// device ID reach the terminal as `?`, as escapes do (text and JSON output).
#[test]
fn bidi_and_invisible_characters_from_the_board_are_made_visible() {
    let sim = SimBoard::start(Mode::Normal(Boot {
        outcome: Outcome::Assigned,
        hub: "evil\u{202e}ten.sevired-eruza\u{2066}.hub".into(),
        device_id: Some("dev\u{200b}ice\u{feff}-1\u{1b}[2J".into()),
        ..Boot::new(MAC, "1.6.5")
    }));
    let r = run(&["board", "info", "--port", sim.path(), "--timeout", "5"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.ends_with(
            "DPS:              registered to evil?ten.sevired-eruza?.hub as device dev?ice?-1?[2J\n"
        ),
        "{}",
        r.stdout
    );
    let sim = SimBoard::start(Mode::Normal(Boot {
        outcome: Outcome::Assigned,
        hub: "evil\u{202e}hub".into(),
        device_id: Some("dev\u{200d}1".into()),
        ..Boot::new(MAC, "1.6.5")
    }));
    let r = run(&[
        "board",
        "info",
        "--port",
        sim.path(),
        "--timeout",
        "5",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["dps"]["hub"], "evil?hub");
    assert_eq!(json["dps"]["device_id"], "dev?1");
}

/// Issue 22, 5: a console that answers without end (short lines, as fast as the port takes
/// them, no prompt) is read in bounded memory, and the tool says what happened.
#[test]
fn a_flooding_console_is_read_in_bounded_memory_and_said_so() {
    let sim = configuration(Firmware::Flood);
    let file = uds_file(UDS);
    let (r, peak_kib) = run_measured(&[
        "board",
        "set-uds",
        "--port",
        sim.path(),
        "--uds-file",
        file.to_str().unwrap(),
        "--timeout",
        "4",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let tail = r.stderr.lines().last().unwrap();
    assert!(
        tail.starts_with("error: the board did not finish answering set_dps_uds in time (it sent ")
            && tail.ends_with(
                " lines with no prompt after them, more than any answer of the firmware; only the first 64 were kept)"
            ),
        "{tail}"
    );
    assert!(peak_kib < 64 * 1024, "peak {peak_kib} KiB");
}

/// A pseudo-terminal in its default (cooked) settings, standing for a terminal that is not
/// the board's serial port (`--port /dev/tty`): the master, a slave descriptor kept open,
/// and the slave's path.
fn cooked_terminal() -> (rustix::fd::OwnedFd, rustix::fd::OwnedFd, String) {
    use rustix::pty::OpenptFlags;
    let master =
        rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .unwrap();
    rustix::pty::grantpt(&master).unwrap();
    rustix::pty::unlockpt(&master).unwrap();
    let path = rustix::pty::ptsname(&master, Vec::new())
        .unwrap()
        .into_string()
        .unwrap();
    let slave = rustix::fs::open(
        path.as_str(),
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    (master, slave, path)
}

fn settings(fd: &rustix::fd::OwnedFd) -> String {
    let t = rustix::termios::tcgetattr(fd).unwrap();
    format!(
        "{:?} {:?} {:?} {:?} {:?} {:?}",
        t.input_modes,
        t.output_modes,
        t.control_modes,
        t.local_modes,
        t.input_speed(),
        t.special_codes
    )
}

/// Issue 22, 12: `--port` naming a terminal that is not a serial port used to leave it raw
/// (no echo, no line editing) after the run. Every setting is put back: after a timeout,
/// and after Ctrl-C (exit 130).
#[test]
fn a_terminal_given_as_the_port_gets_its_settings_back_on_every_exit() {
    let (_master, slave, path) = cooked_terminal();
    let before = settings(&slave);
    assert!(
        before.contains("ICANON") && before.contains("ECHO"),
        "{before}"
    );
    let r = run(&["board", "info", "--port", &path, "--timeout", "1"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(settings(&slave), before, "after a timeout");

    // Ctrl-C while the tool waits for the board.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .args(["board", "info", "--port", &path, "--timeout", "60"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Until the tool has opened the port (made it raw), at most 20 s.
    let started = std::time::Instant::now();
    while settings(&slave) == before && started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_ne!(settings(&slave), before, "the tool opened the port");
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            child.kill().unwrap();
            panic!("Ctrl-C did not end the tool");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let output = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        String::from_utf8_lossy(&output.stderr).ends_with(
            "error: interrupted while talking to the board; the serial port's settings are put back\n"
        ),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(settings(&slave), before, "after Ctrl-C");
}

/// `verify --board` reads the registration ID from the board (it was accepted and ignored):
/// a certificate of the board's ID matches; with another board's ID the difference is named.
#[test]
fn verify_with_board_compares_with_the_id_read_from_the_board() {
    let c = case("shared-3");
    let (mac, version) = (c.mac.clone().unwrap(), c.firmware_version.clone().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("enrolled.cer");
    std::fs::write(&cert, c.der()).unwrap();
    let uds = uds_file(&c.uds);
    let verify = |port: &str| {
        run(&[
            "verify",
            cert.to_str().unwrap(),
            "-b",
            c.bin.to_str().unwrap(),
            "-m",
            c.map.to_str().unwrap(),
            "--uds-file",
            uds.to_str().unwrap(),
            "--board",
            port,
            "--timeout",
            "5",
        ])
    };
    let same = SimBoard::start(Mode::Normal(Boot::new(&mac, &version)));
    let r = verify(same.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.starts_with(&format!(
            "{}Registration ID from the board: {}\n",
            listening(same.path(), 5),
            c.expected_id
        )),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("matches"), "{}", r.stdout);

    let other = SimBoard::start(Mode::Normal(Boot::new(MAC, "1.6.5")));
    let r = verify(other.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("(the ID the board on --board uses: is this certificate another board's?)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("az-c8934680ec24v1v6v5"), "{}", r.stdout);

    // A port that does not exist is an error, not "matches".
    let r = verify("/dev/ttyNOPE");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("/dev/ttyNOPE"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}
