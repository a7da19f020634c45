//! The serial session end to end against the simulated board: a real `serialport` open of
//! the pty's slave, then the session's reads and writes, checked against what the spec says
//! the board prints and what the simulator recorded.
#![cfg(test)]

use crate::cli::board::link::{LinkError, SerialLink};
use crate::cli::board::session::{self, BootWait, ConsoleWait, Link, SessionError};
use crate::cli::board::sim_board::{Boot, Firmware, HUB, Mode, Outcome, SimBoard, Timing};
use dps_cert_gen::Uds;
use dps_cert_gen::board::boot_log::{BootReport, DpsError, DpsOutcome, IdSource};
use dps_cert_gen::board::console::SetUdsOk;
use dps_cert_gen::dice::uds::SAMPLE_UDS_HEX;
use std::time::{Duration, Instant};

const MAC: &str = "c8934680ec24";

fn boot_wait(ms: u64) -> BootWait {
    BootWait {
        deadline: Instant::now() + Duration::from_millis(ms),
        linger: Duration::from_millis(150),
        want_outcome: true,
    }
}

fn read(sim: &SimBoard) -> BootReport {
    let mut link = SerialLink::open(sim.path()).unwrap();
    session::read_boot(&mut link, boot_wait(5000), &mut |_| {}).unwrap()
}

fn console_wait() -> ConsoleWait {
    ConsoleWait {
        deadline: Instant::now() + Duration::from_secs(5),
        probe_after: Duration::from_secs(1),
    }
}

fn configuration(firmware: Firmware) -> Mode {
    Mode::Configuration {
        firmware,
        sdk_version: "1.6.5".into(),
        after_exit: Boot::new(MAC, "1.6.5"),
    }
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(3)
}

#[test]
fn boot_in_pieces_both_orders_every_line_end() {
    for (seed, version_first, mixed_line_ends) in [
        (1, false, false),
        (2, true, false),
        (3, false, true),
        (4, true, true),
    ] {
        let boot = Boot {
            version_first,
            mixed_line_ends,
            ..Boot::new(MAC, "1.6.5")
        };
        let timing = Timing {
            seed,
            ..Timing::default()
        };
        let sim = SimBoard::start_with(Mode::Normal(boot), timing);
        let r = read(&sim);
        assert_eq!(r.mac.as_ref().unwrap().as_str(), MAC);
        assert_eq!(r.firmware_version.as_ref().unwrap().as_str(), "1.6.5");
        let known = r.registration_id().unwrap().unwrap();
        assert_eq!(known.id.as_str(), "az-c8934680ec24v1v6v5");
        assert_eq!(known.source, IdSource::Both, "seed {seed}");
        assert_eq!(r.dps_version.as_deref(), Some("1.1.0"));
        assert!(r.banner);
    }
}

#[test]
fn output_written_before_the_port_is_opened_is_read() {
    let timing = Timing {
        start_delay: Duration::ZERO,
        ..Timing::default()
    };
    let sim = SimBoard::start_with(Mode::Normal(Boot::new(MAC, "1.3.0")), timing);
    std::thread::sleep(Duration::from_millis(80));
    let r = read(&sim);
    assert_eq!(
        r.registration_id().unwrap().unwrap().id.as_str(),
        "az-c8934680ec24v1v3v0"
    );
}

#[test]
fn a_custom_id_from_the_trace() {
    let boot = Boot {
        custom_id: Some("my-device-01".into()),
        ..Boot::new(MAC, "1.6.5")
    };
    let r = read(&SimBoard::start(Mode::Normal(boot)));
    assert_eq!(r.mac, None);
    assert_eq!(r.firmware_version, None);
    let known = r.registration_id().unwrap().unwrap();
    assert_eq!(known.id.as_str(), "my-device-01");
    assert_eq!(known.source, IdSource::HttpTrace);
}

#[test]
fn a_silent_board_honours_the_timeout() {
    let sim = SimBoard::start(Mode::Silent);
    let mut link = SerialLink::open(sim.path()).unwrap();
    let started = Instant::now();
    let r = session::read_boot(&mut link, boot_wait(400), &mut |_| {}).unwrap();
    let took = started.elapsed();
    assert_eq!(r, BootReport::default());
    assert!(
        // Not before the timeout, and it does end (room for a loaded machine).
        took >= Duration::from_millis(400) && took < Duration::from_secs(10),
        "{took:?}"
    );
}

#[test]
fn what_dps_answered() {
    let cases = [
        (Outcome::DiceInitFailed, DpsOutcome::DiceInitFailed),
        (
            Outcome::InvalidCertificate,
            DpsOutcome::Refused(DpsError {
                code: 401002,
                message: Some("Invalid certificate".into()),
            }),
        ),
        (
            Outcome::Assigned,
            DpsOutcome::Assigned {
                hub: HUB.into(),
                device_id: Some("az-c8934680ec24v1v6v5".into()),
            },
        ),
    ];
    for (outcome, expected) in cases {
        let boot = Boot {
            outcome,
            ..Boot::new(MAC, "1.6.5")
        };
        let r = read(&SimBoard::start(Mode::Normal(boot)));
        assert_eq!(r.outcome(), Some(expected));
        assert_eq!(
            r.registration_id().unwrap().unwrap().id.as_str(),
            "az-c8934680ec24v1v6v5"
        );
    }
}

/// Reads raw bytes until `end` arrives (or 3 s pass).
fn raw_until(link: &mut SerialLink, end: &[u8]) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !got.ends_with(end) && Instant::now() < deadline {
        let n = link
            .read_within(&mut buf, Duration::from_millis(50))
            .unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    got
}

#[test]
fn the_console_masks_the_uds_and_ends_commands_with_cr_only() {
    let sim = SimBoard::start(configuration(Firmware::Quirk));
    let mut link = SerialLink::open(sim.path()).unwrap();
    let banner = raw_until(&mut link, b"\r\n# ");
    assert!(banner.starts_with(b"\r\n*****"));
    assert!(
        String::from_utf8_lossy(&banner)
            .contains("Configuration console:\r\n - help: Help document.\r\n")
    );
    // LF alone ends nothing; DEL erases; CR ends the command.
    link.send(b"set_dps_uds ab\ncd\x7f").unwrap();
    assert_eq!(
        raw_until(&mut link, b"\x08 \x08"),
        b"set_dps_uds ****\x08 \x08"
    );
    link.send(b"\r").unwrap();
    assert_eq!(
        raw_until(&mut link, b"\r\n# "),
        b"\r\nInvalid UDS.\r\nINFO: Set DPS UDS successfully.\r\n# "
    );
    assert_eq!(sim.stored_uds(), ["abc"]);
}

#[test]
fn set_uds_with_the_quirk_sends_lower_case_and_cr() {
    let sim = SimBoard::start(configuration(Firmware::Quirk));
    let mut link = SerialLink::open(sim.path()).unwrap();
    let mut console = session::open_console(&mut link, console_wait()).unwrap();
    assert!(console.listed_commands().iter().any(|c| c == "set_dps_uds"));
    let uds = Uds::from_hex(&SAMPLE_UDS_HEX.to_uppercase()).unwrap();
    assert_eq!(
        console.set_uds(&uds, soon()).unwrap(),
        SetUdsOk::SetWithQuirk
    );
    assert_eq!(
        sim.received(),
        format!("set_dps_uds {SAMPLE_UDS_HEX}\r").as_bytes()
    );
    assert_eq!(sim.stored_uds(), [SAMPLE_UDS_HEX]);
}

#[test]
fn set_uds_on_each_firmware() {
    let uds = Uds::from_hex(SAMPLE_UDS_HEX).unwrap();
    let outcomes: [(Firmware, Result<SetUdsOk, &str>); 4] = [
        (Firmware::Old, Ok(SetUdsOk::Set)),
        (
            Firmware::EepromFailure,
            Err("the board could not store the UDS; it said: ERROR: Failed to write EEPROM: 0x06."),
        ),
        (
            Firmware::VerifyFailure,
            Err("the board could not store the UDS; it said: ERROR: Verify failed."),
        ),
        (
            Firmware::NoDpsCommand,
            Err(
                "the board's firmware has no set_dps_uds command; it said: Error:Invalid command: set_dps_uds",
            ),
        ),
    ];
    for (firmware, expected) in outcomes {
        let sim = SimBoard::start(configuration(firmware));
        let mut link = SerialLink::open(sim.path()).unwrap();
        let mut console = session::open_console(&mut link, console_wait()).unwrap();
        assert_eq!(
            console.listed_commands().iter().any(|c| c == "set_dps_uds"),
            firmware != Firmware::NoDpsCommand
        );
        let got = console.set_uds(&uds, soon());
        match (got, expected) {
            (Ok(ok), Ok(want)) => assert_eq!(ok, want),
            (Err(e @ SessionError::SetUds(_)), Err(want)) => {
                assert_eq!(e.to_string(), want);
                assert!(!e.to_string().contains(&SAMPLE_UDS_HEX[..8]));
            }
            (got, want) => panic!("{firmware:?}: {got:?}, expected {want:?}"),
        }
    }
}

#[test]
fn version_then_exit_reboots_into_normal_mode() {
    let sim = SimBoard::start(Mode::Configuration {
        firmware: Firmware::Quirk,
        sdk_version: "1.6.5".into(),
        after_exit: Boot {
            outcome: Outcome::InvalidCertificate,
            ..Boot::new(MAC, "1.6.5")
        },
    });
    let mut link = SerialLink::open(sim.path()).unwrap();
    let mut console = session::open_console(&mut link, console_wait()).unwrap();
    assert_eq!(console.version(soon()).unwrap().unwrap().as_str(), "1.6.5");
    console.exit().unwrap();
    let r = session::read_boot(&mut link, boot_wait(5000), &mut |_| {}).unwrap();
    assert_eq!(
        r.registration_id().unwrap().unwrap().id.as_str(),
        "az-c8934680ec24v1v6v5"
    );
    assert_eq!(r.dps_error.unwrap().code, 401002);
    assert_eq!(sim.received(), b"version\rexit\r");
}

#[test]
fn a_port_held_by_another_program_is_busy() {
    let sim = SimBoard::start(Mode::Silent);
    let _monitor = SerialLink::open(sim.path()).unwrap();
    let e = SerialLink::open(sim.path()).err().unwrap();
    assert!(matches!(e, LinkError::Busy { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "the serial port {} is in use by another program: close the serial monitor (VS Code, Arduino IDE, PuTTY, screen) and try again",
            sim.path()
        )
    );
    let e = SerialLink::open("/dev/pts/no-such-port").err().unwrap();
    assert!(matches!(e, LinkError::NotFound { .. }), "{e:?}");
}

/// The vectors' cases, each read from a simulated board that prints its MAC and version (or,
/// for a given ID, its HTTP trace), then generated: the certificate is the vector's. The one
/// vector whose ID is 126 `a`s (all hex digits) is refused from a board, as any ID holding 64
/// hex digits in a row is (it could be the UDS); `-i` still takes it (`tests/verify.rs`).
#[test]
fn certificates_from_the_board_equal_the_vectors() {
    use base64::Engine;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let text = std::fs::read_to_string(dir.join("cases.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cases = json["cases"].as_array().unwrap();
    assert!(cases.len() >= 6);
    for case in cases {
        let s = |k: &str| case[k].as_str().map(str::to_string);
        let boot = match (s("mac"), s("firmware_version"), s("registration_id")) {
            (Some(mac), Some(version), _) => {
                Boot::new(&mac.to_lowercase().replace(':', ""), &version)
            }
            (_, _, Some(id)) => Boot {
                custom_id: Some(id),
                ..Boot::new(MAC, "1.6.5")
            },
            _ => panic!("case without an ID"),
        };
        let r = read(&SimBoard::start(Mode::Normal(boot)));
        let expected_id = s("registration_id")
            .or_else(|| s("expected_registration_id"))
            .unwrap();
        if dps_cert_gen::text::uds_like::holds_uds_like(&expected_id) {
            assert!(r.secret_like_traced_id, "{expected_id}");
            assert_eq!(r.registration_id().unwrap(), None);
            continue;
        }
        let id = r.registration_id().unwrap().unwrap().id;
        assert_eq!(id.as_str(), expected_id);
        let regions = dps_cert_gen::firmware::measurement::measure_bin_map(
            &dir.join(s("bin").unwrap()),
            &dir.join(s("map").unwrap()),
            None,
        )
        .unwrap();
        let fw = dps_cert_gen::FirmwareMeasurements::of(&regions.regions);
        let uds = Uds::from_hex(&s("uds").unwrap()).unwrap();
        let cert = dps_cert_gen::generate(&uds, &fw, &id).unwrap();
        let want = base64::engine::general_purpose::STANDARD
            .decode(s("alias_cert_der_base64").unwrap())
            .unwrap();
        assert_eq!(cert.der, want, "{}", s("name").unwrap());
    }
}

/// Hostile consoles (issue 22, 5, 9, 14): another `INFO:` line is no success, a UDS echoed in
/// 15-digit groups is quoted with every group hidden, and an endless answer ends at the
/// deadline having kept a bounded part of it.
#[test]
fn hostile_consoles_are_decided_safely() {
    let uds = Uds::from_hex(SAMPLE_UDS_HEX).unwrap();
    for firmware in [Firmware::OtherInfo, Firmware::GroupedEcho, Firmware::Flood] {
        let sim = SimBoard::start(configuration(firmware));
        let mut link = SerialLink::open(sim.path()).unwrap();
        let mut console = session::open_console(&mut link, console_wait()).unwrap();
        let deadline = Instant::now() + Duration::from_millis(1500);
        let e = console.set_uds(&uds, deadline).unwrap_err();
        let text = e.to_string();
        match firmware {
            Firmware::OtherInfo => assert_eq!(
                text,
                "the board's answer to set_dps_uds was not recognised: INFO: Wi-Fi reconnected.??"
            ),
            Firmware::GroupedEcho => assert_eq!(
                text,
                "the board's answer to set_dps_uds was not recognised: Got: <hidden> <hidden> <hidden> <hidden> 3eae"
            ),
            _ => {
                let SessionError::NoAnswer { lines, .. } = e else {
                    panic!("{e:?}");
                };
                assert!(lines > 64, "{lines}");
                assert!(text.ends_with("only the first 64 were kept)"), "{text}");
            }
        }
        assert!(
            dps_cert_gen::text::uds_like::longest_hex_run(&text) < 12,
            "{text}"
        );
    }
}

#[test]
fn a_second_boot_is_read_from_its_own_banner() {
    // The first boot is refused (401002); the next one, once the simulator decides, registers.
    // (What came before a banner being dropped: session's unit test.)
    let sim = SimBoard::start(Mode::Normal(Boot {
        outcome: Outcome::InvalidCertificate,
        ..Boot::new(MAC, "1.6.5")
    }));
    let mut asked = 0;
    sim.then_boot(move || {
        asked += 1;
        (asked > 2).then(|| Boot {
            outcome: Outcome::Assigned,
            ..Boot::new(MAC, "1.6.5")
        })
    });
    let mut link = SerialLink::open(sim.path()).unwrap();
    let mut from_banner = session::FromNextBanner::new(&mut link);
    // The first boot's banner is the "next" one here: read past that boot first.
    let first = session::read_boot(&mut from_banner, boot_wait(5000), &mut |_| {}).unwrap();
    assert!(matches!(first.outcome(), Some(DpsOutcome::Refused(_))));
    let mut from_banner = session::FromNextBanner::new(&mut link);
    let next = session::read_boot(&mut from_banner, boot_wait(5000), &mut |_| {}).unwrap();
    assert!(next.banner);
    assert_eq!(
        next.outcome(),
        Some(DpsOutcome::Assigned {
            hub: HUB.to_string(),
            device_id: Some("az-c8934680ec24v1v6v5".to_string()),
        })
    );
}

#[test]
fn a_reset_into_configuration_mode_brings_the_console() {
    // A silent board, then the user holds A and presses Reset: the console's banner and
    // prompt come, and the UDS set there is stored.
    let sim = SimBoard::start(Mode::Silent);
    let mut link = SerialLink::open(sim.path()).unwrap();
    sim.reset(configuration(Firmware::Old));
    let console = raw_until(&mut link, b"# ");
    assert!(
        String::from_utf8_lossy(&console).contains("Configuration console:"),
        "{console:?}"
    );
    link.send(b"set_dps_uds abc\r").unwrap();
    raw_until(&mut link, b"# ");
    assert_eq!(sim.stored_uds(), ["abc"]);
}
