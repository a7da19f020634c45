//! The steps the board commands share, with what the user is told on standard error:
//! opening the port, reading the registration ID from the boot output, and setting the UDS
//! in configuration mode. Every wait ends at a deadline taken from `--timeout`.

use crate::cli::board::link::{self, SerialLink};
use crate::cli::board::session::{self, BootWait, ConsoleWait};
use crate::cli::error::Error;
use dps_cert_gen::board::boot_log::{BootMode, BootReport, KnownId};
use dps_cert_gen::board::console::SetUdsOk;
use dps_cert_gen::board::port_choice::PortRequest;
use dps_cert_gen::dice::uds::Uds;
use dps_cert_gen::registration_id::RegistrationId;
use std::io::Write;
use std::time::{Duration, Instant};

/// How long to keep reading once the ID is known, for DPS's answer (`board info`) or the
/// HTTP trace that confirms the ID: DPS answers within seconds of the request.
const LINGER_FOR_OUTCOME: Duration = Duration::from_secs(10);
const LINGER_FOR_TRACE: Duration = Duration::from_secs(3);
/// With nothing from the console for this long, probe it (CR, then `help`).
const PROBE_AFTER: Duration = Duration::from_secs(1);

/// One line of what the tool is doing, on standard error.
pub(crate) fn say(text: &str) {
    let text = crate::cli::sys::style::wrap(text, 0, crate::cli::sys::style::width());
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The port asked for, opened; `flag` names the option it came from, for the advice.
pub(crate) fn open(
    request: &PortRequest,
    flag: &'static str,
) -> Result<(String, SerialLink), Error> {
    let port_error = |source| Error::Port { flag, source };
    let name = link::resolve(request).map_err(port_error)?;
    let link = SerialLink::open(&name)
        .map_err(port_error)?
        .stop_on_interrupt();
    Ok((name, link))
}

/// Whether the board was asked to reset or restarts by itself (after `exit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Restart {
    /// Ask the user to press Reset.
    PressReset,
    /// The board restarts by itself (`exit` was sent).
    Rebooting,
}

/// Reads the boot output until the registration ID is known (and, with `want_outcome`,
/// DPS's answer), or `timeout` has passed; an unknown ID is an error naming what was not
/// seen and why that may be.
pub(crate) fn read_id(
    link: &mut SerialLink,
    port: &str,
    timeout: Duration,
    restart: Restart,
    want_outcome: bool,
) -> Result<(KnownId, BootReport), Error> {
    let secs = timeout.as_secs();
    say(&match restart {
        Restart::PressReset => {
            format!("Press Reset on the board (listening on {port} for up to {secs} s)...")
        }
        Restart::Rebooting => {
            format!("Reading the board's boot output on {port} (for up to {secs} s)...")
        }
    });
    let wait = BootWait {
        deadline: Instant::now() + timeout,
        linger: if want_outcome {
            LINGER_FOR_OUTCOME
        } else {
            LINGER_FOR_TRACE
        },
        want_outcome,
    };
    // A board found at its configuration console is sent `exit` (it restarts in normal
    // mode) instead of being left there with advice to press Reset.
    let read = session::read_boot_leaving_configuration(link, wait, &mut |_| {}, &mut || {
        say("The board is in configuration mode: sent exit to restart it in normal mode...");
    })?;
    let report = read.report;
    match report.registration_id()? {
        Some(known) => Ok((known, report)),
        None if read.sent_exit => Err(Error::NoRegistrationId(no_id_after_exit_text(
            &report, port, secs,
        ))),
        None => Err(Error::NoRegistrationId(no_id_text(&report, port, secs))),
    }
}

/// Asks for Reset and reads the board's next boot (from its banner on: what is left of an
/// earlier boot is dropped) until DPS's answer is known or `timeout` has passed.
pub(crate) fn read_next_boot(
    link: &mut SerialLink,
    port: &str,
    timeout: Duration,
) -> Result<BootReport, Error> {
    say(&format!(
        "Press Reset on the board: it registers with DPS as it boots (listening on {port} for up to {} s)...",
        timeout.as_secs()
    ));
    let wait = BootWait {
        deadline: Instant::now() + timeout,
        linger: LINGER_FOR_OUTCOME,
        want_outcome: true,
    };
    let mut from_banner = session::FromNextBanner::new(link);
    let read =
        session::read_boot_leaving_configuration(&mut from_banner, wait, &mut |_| {}, &mut || {
            say("The board is in configuration mode: sent exit to restart it in normal mode...");
        })?;
    Ok(read.report)
}

/// [`no_id_text`] for a board that was sent `exit` from configuration mode: nothing after
/// it (or only its `Reboot`) means it did not restart.
pub(crate) fn no_id_after_exit_text(report: &BootReport, port: &str, secs: u64) -> String {
    if !report.banner {
        return format!(
            "no registration ID from the board on {port} within {secs} s: the board was in configuration mode and was sent exit, but it did not restart; press Reset without holding button A while the tool listens"
        );
    }
    no_id_text(report, port, secs)
}

/// The registration ID from the board on `request` (generation's `--board`, the prompt's
/// offer): open, ask for Reset, read.
pub(crate) fn board_id(
    request: &PortRequest,
    timeout: Duration,
    flag: &'static str,
) -> Result<RegistrationId, Error> {
    let (port, mut link) = open(request, flag)?;
    let (known, _) = read_id(&mut link, &port, timeout, Restart::PressReset, false)?;
    say(&format!("Registration ID from the board: {}", known.id));
    Ok(known.id)
}

/// The DevKit the generator's prompt may offer to read (`--board`, or the registration ID
/// left empty at the prompt).
pub(crate) struct SerialBoard {
    /// How long to wait for its boot output.
    pub(crate) timeout: Duration,
}

impl crate::cli::input::prompt::Board for SerialBoard {
    type Error = Error;

    fn found(&mut self) -> Option<String> {
        link::resolve(&PortRequest::Auto).ok()
    }

    fn read_id(&mut self, port: &PortRequest) -> Result<RegistrationId, Error> {
        board_id(port, self.timeout, "--board")
    }
}

/// What the boot output lacked, and the likely causes, in one line.
pub(crate) fn no_id_text(report: &BootReport, port: &str, secs: u64) -> String {
    let head = format!("no registration ID from the board on {port} within {secs} s");
    if report.lines == 0 {
        return format!(
            "{head}: nothing came at all; press Reset while the tool listens, check that {port} is the DevKit's port (wrong port?), and close any other program reading it (a serial monitor)"
        );
    }
    match report.mode {
        Some(BootMode::Configuration) => {
            return format!(
                "{head}: the board is in configuration mode; press Reset without holding button A"
            );
        }
        Some(BootMode::AccessPoint) => {
            return format!(
                "{head}: the board is in AP mode; press Reset without holding button B"
            );
        }
        _ => {}
    }
    if report.secret_like_traced_id {
        return format!(
            "{head}: the sketch registers with an ID that holds 64 hex digits in a row, as a UDS does (the ID is not shown: it may be the board's secret); the ID goes into the public certificate, its file name and the DPS portal, so it must never be the UDS: change the sketch's registrationId"
        );
    }
    if let Some(id) = &report.unusable_traced_id {
        return format!(
            "{head}: the sketch registers as \"{id}\", which cannot be a certificate's registration ID (a-z, 0-9 and '-'); change the sketch's registrationId"
        );
    }
    let mut missing = Vec::new();
    if report.mac.is_none() {
        missing.push("the MAC address line");
    }
    if report.firmware_version.is_none() {
        missing.push("the firmware version line");
    }
    missing.push("the registration ID in the HTTP trace");
    let seen = if report.banner {
        "the board booted"
    } else {
        "output came, but not the DevKit's boot banner (wrong port?)"
    };
    format!(
        "{head}: {seen}, but {} never came; is the DPS sketch flashed, and its Wi-Fi set (set_wifissid and set_wifipwd in configuration mode)? A sketch that sets its own registrationId prints it only in the HTTP trace; a slow network needs a longer --timeout",
        and_list(&missing)
    )
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[&str]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => items.concat(),
    }
}

/// The UDS to set, and where to save it first when it is new.
pub(crate) struct UdsToSet<'a> {
    /// The secret.
    pub(crate) uds: &'a Uds,
    /// `--save-uds`: written (new, owner-only) before the UDS is sent.
    pub(crate) save: Option<&'a std::path::Path>,
}

/// Asks for configuration mode, waits for the console, saves a new UDS, sends
/// `set_dps_uds`, decides by the board's answer, and with `reboot` sends `exit`.
pub(crate) fn set_uds(
    link: &mut SerialLink,
    port: &str,
    to_set: &UdsToSet<'_>,
    timeout: Duration,
    reboot: bool,
) -> Result<(), Error> {
    say(&format!(
        "Put the board in configuration mode: hold button A, press and release Reset, then let go of A (waiting on {port} for up to {} s)...",
        timeout.as_secs()
    ));
    let mut console = session::open_console(
        link,
        ConsoleWait {
            deadline: Instant::now() + timeout,
            probe_after: PROBE_AFTER,
        },
    )?;
    if let Some(path) = to_set.save {
        crate::cli::pipeline::new_uds::save_uds(path, to_set.uds, "--save-uds")?;
        say(&format!(
            "Saved the new UDS to {} (readable by you only): keep it, the board's certificate is made from it",
            path.display()
        ));
    }
    match console.set_uds(to_set.uds, Instant::now() + timeout)? {
        SetUdsOk::Set => say("The board stored the UDS (INFO: Set DPS UDS successfully.)"),
        SetUdsOk::SetWithQuirk => say(
            "The board stored the UDS (INFO: Set DPS UDS successfully.; the \"Invalid UDS.\" before it is a known quirk of SDK 1.6.2 and later, not an error)",
        ),
    }
    if reboot {
        console.exit()?;
        say("Sent exit: the board restarts in normal mode.");
    } else {
        say("Press Reset (or run with --reboot) to restart the board in normal mode.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dps_cert_gen::registration_id::Mac;

    #[test]
    fn no_id_text_names_what_was_missing() {
        let nothing = BootReport::default();
        assert_eq!(
            no_id_text(&nothing, "COM3", 60),
            "no registration ID from the board on COM3 within 60 s: nothing came at all; press Reset while the tool listens, check that COM3 is the DevKit's port (wrong port?), and close any other program reading it (a serial monitor)"
        );
        let booted = BootReport {
            lines: 5,
            banner: true,
            mode: Some(BootMode::Normal),
            mac: Some(Mac::new("c8934680ec24").unwrap()),
            ..BootReport::default()
        };
        assert_eq!(
            no_id_text(&booted, "/dev/ttyACM0", 5),
            "no registration ID from the board on /dev/ttyACM0 within 5 s: the board booted, but the firmware version line and the registration ID in the HTTP trace never came; is the DPS sketch flashed, and its Wi-Fi set (set_wifissid and set_wifipwd in configuration mode)? A sketch that sets its own registrationId prints it only in the HTTP trace; a slow network needs a longer --timeout"
        );
        let config = BootReport {
            lines: 3,
            mode: Some(BootMode::Configuration),
            ..BootReport::default()
        };
        assert!(
            no_id_text(&config, "p", 1).ends_with(
                "the board is in configuration mode; press Reset without holding button A"
            )
        );
    }
}
