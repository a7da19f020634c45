//! The conversations with the board, over any [`Link`]: reading the boot output until the
//! registration ID is known, and the configuration console (wait for the prompt, send one
//! command, wait for the next prompt, decide). Every wait ends at a deadline.

use dps_cert_gen::Uds;
use dps_cert_gen::board::boot_log::{BootEvent, BootLog, BootMode, BootReport, IdSource, KnownId};
use dps_cert_gen::board::console::{
    self, Answer, AnswerCollector, ConsoleEvent, ConsoleReader, SetUdsError, SetUdsOk,
};
use dps_cert_gen::registration_id::FirmwareVersion;
use std::io;
use std::time::{Duration, Instant};
use thiserror::Error;

/// Longest single wait for bytes, so that deadlines are checked often.
const POLL: Duration = Duration::from_millis(50);

/// A serial port, or anything that behaves as one.
pub(crate) trait Link {
    /// Reads what arrives within `wait`; `Ok(0)` when nothing did.
    fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<usize>;
    /// Sends all of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> io::Result<()>;
}

/// Why a conversation with the board failed.
#[derive(Debug, Error)]
pub(crate) enum SessionError {
    /// Reading failed.
    #[error("reading from the serial port failed: {0}")]
    Read(String),
    /// Writing failed.
    #[error("writing to the serial port failed: {0}")]
    Write(String),
    /// The port went away.
    #[error("the serial port was closed (was the board unplugged?)")]
    Closed,
    /// Ctrl-C (or a termination request) while talking to the board.
    #[error("interrupted while talking to the board; the serial port's settings are put back")]
    Interrupted,
    /// No configuration console prompt before the deadline.
    #[error("{}", no_console(*.normal_boot))]
    NoConsole {
        /// The board booted in normal mode instead.
        normal_boot: bool,
    },
    /// The console did not finish its answer before the deadline.
    #[error("the board did not finish answering {command} in time{}", flood(*.lines))]
    NoAnswer {
        /// The command (never its argument).
        command: &'static str,
        /// Lines the board sent with no prompt after them.
        lines: usize,
    },
    /// The board's answer to `set_dps_uds` says it did not work.
    #[error(transparent)]
    SetUds(#[from] SetUdsError),
}

fn flood(lines: usize) -> String {
    if lines > console::MAX_ANSWER_LINES {
        format!(
            " (it sent {lines} lines with no prompt after them, more than any answer of the firmware; only the first {} were kept)",
            console::MAX_ANSWER_LINES
        )
    } else {
        String::new()
    }
}

fn no_console(normal_boot: bool) -> &'static str {
    if normal_boot {
        "the board booted in normal mode, not in configuration mode: hold button A, press and release Reset, then let go of A"
    } else {
        "the board's configuration console did not answer in time"
    }
}

/// Reads from `link` into `buf` until `until`; `None` once it has passed.
fn read_until<L: Link>(
    link: &mut L,
    buf: &mut [u8],
    until: Instant,
) -> Result<Option<usize>, SessionError> {
    let now = Instant::now();
    if now >= until {
        return Ok(None);
    }
    let wait = (until - now).min(POLL);
    match link.read_within(buf, wait) {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Err(SessionError::Closed),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(SessionError::Interrupted),
        Err(e) => Err(SessionError::Read(e.to_string())),
    }
}

fn send<L: Link>(link: &mut L, bytes: &[u8]) -> Result<(), SessionError> {
    link.send(bytes).map_err(|e| match e.kind() {
        io::ErrorKind::BrokenPipe => SessionError::Closed,
        _ => SessionError::Write(e.to_string()),
    })
}

/// A link whose reading starts at the line of the next boot banner: what came before it
/// (the end of an earlier boot, still in the port's buffer) is dropped, so that a report
/// read through it is that boot's alone.
pub(crate) struct FromNextBanner<'a, L: Link> {
    link: &'a mut L,
    seen: bool,
    /// Bytes read: before the banner, the tail that may hold its line's start; after it,
    /// what the caller has not taken yet.
    pending: Vec<u8>,
}

impl<'a, L: Link> FromNextBanner<'a, L> {
    /// Reads `link` from its next banner on.
    pub(crate) fn new(link: &'a mut L) -> Self {
        Self {
            link,
            seen: false,
            pending: Vec::new(),
        }
    }

    fn hand_out(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.pending.len());
        if let (Some(to), Some(from)) = (buf.get_mut(..n), self.pending.get(..n)) {
            to.copy_from_slice(from);
        }
        self.pending.drain(..n);
        n
    }
}

impl<L: Link> Link for FromNextBanner<'_, L> {
    fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<usize> {
        if self.seen {
            if !self.pending.is_empty() {
                return Ok(self.hand_out(buf));
            }
            return self.link.read_within(buf, wait);
        }
        let n = self.link.read_within(buf, wait)?;
        self.pending
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        let banner = dps_cert_gen::board::boot_log::BANNER.as_bytes();
        let Some(at) = self.pending.windows(banner.len()).position(|w| w == banner) else {
            // Only the tail that could still hold the banner's line is kept.
            let keep = banner.len() + 256;
            let drop = self.pending.len().saturating_sub(keep);
            self.pending.drain(..drop);
            return Ok(0);
        };
        let start = self
            .pending
            .get(..at)
            .and_then(|before| before.iter().rposition(|&b| b == b'\n' || b == b'\r'))
            .map_or(0, |i| i + 1);
        self.pending.drain(..start);
        self.seen = true;
        Ok(self.hand_out(buf))
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.link.send(bytes)
    }
}

/// How long to read the boot output.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BootWait {
    /// Give up on the registration ID then.
    pub(crate) deadline: Instant,
    /// Once the ID (or an outcome) is known, how much longer to read for the rest (DPS's
    /// answer, the trace confirming the ID).
    pub(crate) linger: Duration,
    /// Whether DPS's answer is wanted too (`board info`); without it, reading stops as soon
    /// as the ID is confirmed by both the MAC and version lines and the HTTP trace.
    pub(crate) want_outcome: bool,
}

/// What [`read_boot_leaving_configuration`] read.
#[derive(Debug, Clone)]
pub(crate) struct BootRead {
    /// What the (last) boot output showed.
    pub(crate) report: BootReport,
    /// The board was at its configuration console and was sent `exit`: the report is of
    /// what came after.
    pub(crate) sent_exit: bool,
}

/// [`read_boot_leaving_configuration`] sending nothing, not even `exit` (the tests of the
/// reading itself).
#[cfg(test)]
pub(crate) fn read_boot<L: Link>(
    link: &mut L,
    wait: BootWait,
    on_event: &mut dyn FnMut(&BootEvent),
) -> Result<BootReport, SessionError> {
    read_boot_from(link, wait, None, on_event).map(|read| read.report)
}

/// Reads the boot output until the registration ID and DPS's answer are known, or the
/// ID is known (or in conflict) and `linger` has passed, or the deadline passed. The report
/// says what was seen; `on_event` sees each fact as it comes (for progress). A board found
/// at its configuration console (its banner and prompt seen) is sent `exit`, which
/// restarts it in normal mode (spec 3.2), and its boot output is read after that, until the
/// same deadline. `exit` is sent once; `on_exit` is told when it was.
pub(crate) fn read_boot_leaving_configuration<L: Link>(
    link: &mut L,
    wait: BootWait,
    on_event: &mut dyn FnMut(&BootEvent),
    on_exit: &mut dyn FnMut(),
) -> Result<BootRead, SessionError> {
    read_boot_from(link, wait, Some(on_exit), on_event)
}

fn read_boot_from<L: Link>(
    link: &mut L,
    wait: BootWait,
    mut on_exit: Option<&mut dyn FnMut()>,
    on_event: &mut dyn FnMut(&BootEvent),
) -> Result<BootRead, SessionError> {
    let mut log = BootLog::new();
    // Watches for the configuration console's prompt, until `exit` is sent.
    let mut watch = on_exit.is_some().then(ConsoleReader::new);
    let mut sent_exit = false;
    let mut buf = [0u8; 512];
    let mut until = wait.deadline;
    let mut lingering = false;
    while let Some(n) = read_until(link, &mut buf, until)? {
        let bytes = buf.get(..n).unwrap_or_default();
        for event in log.feed(bytes) {
            on_event(&event);
        }
        if let Some(reader) = &mut watch
            && reader.feed(bytes).contains(&ConsoleEvent::Prompt)
            && log.report().mode == Some(BootMode::Configuration)
        {
            send(link, &console::command("exit"))?;
            sent_exit = true;
            watch = None;
            if let Some(told) = on_exit.as_mut() {
                told();
            }
            // What follows is another boot: the report is of that one alone.
            log = BootLog::new();
            continue;
        }
        let report = log.report();
        if report.secret_like_traced_id {
            // Refused whatever follows: the board registers with that ID.
            break;
        }
        let id = report.registration_id();
        let id_settled = !matches!(id, Ok(None));
        let confirmed = matches!(
            id,
            Err(_)
                | Ok(Some(KnownId {
                    source: IdSource::Both,
                    ..
                }))
        );
        let outcome = report.outcome().is_some();
        if id_settled && outcome || confirmed && !wait.want_outcome {
            break;
        }
        if (id_settled || outcome) && !lingering {
            lingering = true;
            until = (Instant::now() + wait.linger).min(wait.deadline);
        }
    }
    for event in log.finish() {
        on_event(&event);
    }
    Ok(BootRead {
        report: log.report().clone(),
        sent_exit,
    })
}

/// How long to wait for the configuration console.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConsoleWait {
    /// Give up then.
    pub(crate) deadline: Instant,
    /// With nothing received for this long, probe: CR (the console answers with a prompt),
    /// then `help`, in turn.
    pub(crate) probe_after: Duration,
}

/// The configuration console, at its prompt.
pub(crate) struct Console<'a, L: Link> {
    link: &'a mut L,
    reader: ConsoleReader,
}

/// Waits for the console's prompt (after its banner, or in answer to a probe).
pub(crate) fn open_console<L: Link>(
    link: &mut L,
    wait: ConsoleWait,
) -> Result<Console<'_, L>, SessionError> {
    let mut reader = ConsoleReader::new();
    let mut boot = BootLog::new();
    let mut buf = [0u8; 512];
    let mut quiet_since = Instant::now();
    let mut probes = 0u32;
    loop {
        let Some(n) = read_until(link, &mut buf, wait.deadline)? else {
            let normal_boot = matches!(
                boot.report().mode,
                Some(BootMode::Normal | BootMode::AccessPoint)
            );
            return Err(SessionError::NoConsole { normal_boot });
        };
        let bytes = buf.get(..n).unwrap_or_default();
        if n > 0 {
            quiet_since = Instant::now();
            boot.feed(bytes);
            if reader.feed(bytes).contains(&ConsoleEvent::Prompt) {
                return Ok(Console { link, reader });
            }
        } else if quiet_since.elapsed() >= wait.probe_after {
            let probe = if probes.is_multiple_of(2) { "" } else { "help" };
            send(link, &console::command(probe))?;
            probes += 1;
            quiet_since = Instant::now();
        }
    }
}

impl<L: Link> Console<'_, L> {
    /// Sends one command line (CR-terminated) and returns its answer (its first lines, and
    /// how many more came), read until the next prompt. `name` is what errors may show of it.
    pub(crate) fn command(
        &mut self,
        bytes: &[u8],
        name: &'static str,
        deadline: Instant,
    ) -> Result<Answer, SessionError> {
        send(self.link, bytes)?;
        let mut answer = AnswerCollector::new();
        let mut buf = [0u8; 512];
        loop {
            let Some(n) = read_until(self.link, &mut buf, deadline)? else {
                let got = answer.answer();
                return Err(SessionError::NoAnswer {
                    command: name,
                    lines: got.lines.len().saturating_add(got.dropped),
                });
            };
            let events = self.reader.feed(buf.get(..n).unwrap_or_default());
            if answer.take(&events) {
                return Ok(answer.answer());
            }
        }
    }

    /// `set_dps_uds <uds>`, decided by the board's answer only (spec 3.2).
    pub(crate) fn set_uds(
        &mut self,
        uds: &Uds,
        deadline: Instant,
    ) -> Result<SetUdsOk, SessionError> {
        let command = console::set_uds_command(uds);
        let answer = self.command(&command, "set_dps_uds", deadline)?;
        Ok(console::classify_set_uds_answer(&answer)?)
    }

    /// `version`: the SDK version the flashed sketch was built with.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "no command asks the console for its version yet")
    )]
    pub(crate) fn version(
        &mut self,
        deadline: Instant,
    ) -> Result<Option<FirmwareVersion>, SessionError> {
        let answer = self.command(&console::command("version"), "version", deadline)?;
        Ok(console::sdk_version(&answer.lines))
    }

    /// The commands the firmware listed in its banner (empty if the banner was missed).
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "the answer to set_dps_uds decides, not the list")
    )]
    pub(crate) fn listed_commands(&self) -> &[String] {
        self.reader.commands()
    }

    /// `exit`: the board prints `Reboot` and restarts in normal mode; read its boot with
    /// [`read_boot_leaving_configuration`] on the same link.
    pub(crate) fn exit(self) -> Result<(), SessionError> {
        send(self.link, &console::command("exit"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A link that delivers scripted pieces, one per read, and records what was sent.
    #[derive(Default)]
    struct Scripted {
        pieces: VecDeque<Vec<u8>>,
        /// Pieces delivered only after something was sent.
        on_send: VecDeque<Vec<u8>>,
        sent: Vec<u8>,
        reads: usize,
    }

    impl Link for Scripted {
        fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<usize> {
            self.reads += 1;
            match self.pieces.pop_front() {
                Some(p) => {
                    let n = p.len().min(buf.len());
                    buf[..n].copy_from_slice(&p[..n]);
                    if n < p.len() {
                        self.pieces.push_front(p[n..].to_vec());
                    }
                    Ok(n)
                }
                None => {
                    std::thread::sleep(wait.min(Duration::from_millis(2)));
                    Ok(0)
                }
            }
        }
        fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
            self.sent.extend_from_slice(bytes);
            if let Some(p) = self.on_send.pop_front() {
                self.pieces.push_back(p);
            }
            Ok(())
        }
    }

    fn soon(ms: u64) -> Instant {
        Instant::now() + Duration::from_millis(ms)
    }

    #[test]
    fn the_next_banner_starts_the_report_and_an_earlier_boots_end_is_dropped() {
        let earlier = "{\"errorCode\":401002,\"message\":\"Invalid certificate\"}\r\nregistration failed!\r\n";
        let next = "\r\n*****\r\n** MXChip - Microsoft IoT Developer Kit **\r\n*****\r\nYou can 1. press Button A and reset to enter configuration mode.\r\nRegistration Information received from service: hub.azure-devices.net!\r\n";
        let text = format!("{earlier}{next}");
        // In pieces of 7 bytes: the banner is split across reads.
        let mut link = Scripted {
            pieces: text.as_bytes().chunks(7).map(<[u8]>::to_vec).collect(),
            ..Scripted::default()
        };
        let mut from_banner = FromNextBanner::new(&mut link);
        let mut got = Vec::new();
        let mut buf = [0u8; 16];
        for _ in 0..200 {
            let n = from_banner
                .read_within(&mut buf, Duration::from_millis(1))
                .unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        let banner_line = next.find("** MXChip").unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), &next[banner_line..]);
    }

    #[test]
    fn boot_stops_once_id_and_outcome_are_known() {
        let mut link = Scripted::default();
        for p in [
            &b"Info: DevKit Firmware Version: 1.6.5\r\nInfo: DevKit MAC"[..],
            b" Address: c8934680ec24\r",
            b"\n{\"errorCode\":401002,\"message\":\"Invalid certificate\"}\r\n",
            b"never read\r\n",
        ] {
            link.pieces.push_back(p.to_vec());
        }
        let mut seen = Vec::new();
        let report = read_boot(
            &mut link,
            BootWait {
                deadline: soon(5000),
                linger: Duration::from_secs(5),
                want_outcome: true,
            },
            &mut |e| seen.push(e.clone()),
        )
        .unwrap();
        assert_eq!(
            report.registration_id().unwrap().unwrap().id.as_str(),
            "az-c8934680ec24v1v6v5"
        );
        assert_eq!(report.dps_error.unwrap().code, 401002);
        assert_eq!(seen.len(), 3);
        assert_eq!(link.pieces.len(), 1, "stopped before the last piece");
    }

    #[test]
    fn boot_lingers_for_the_outcome_then_stops() {
        let mut link = Scripted::default();
        link.pieces.push_back(
            b"Info: DevKit MAC Address: c8934680ec24\nInfo: DevKit Firmware Version: 1.3.0\n"
                .to_vec(),
        );
        let started = Instant::now();
        let report = read_boot(
            &mut link,
            BootWait {
                deadline: soon(5000),
                linger: Duration::from_millis(100),
                want_outcome: true,
            },
            &mut |_| {},
        )
        .unwrap();
        let took = started.elapsed();
        assert!(report.registration_id().unwrap().is_some());
        assert!(
            // Stopped after the linger, well before the 5 s deadline (room for a loaded machine).
            took >= Duration::from_millis(100) && took < Duration::from_secs(4),
            "{took:?}"
        );
    }

    #[test]
    fn a_silent_board_ends_at_the_deadline() {
        let mut link = Scripted::default();
        let started = Instant::now();
        let report = read_boot(
            &mut link,
            BootWait {
                deadline: soon(150),
                linger: Duration::from_secs(5),
                want_outcome: true,
            },
            &mut |_| {},
        )
        .unwrap();
        let took = started.elapsed();
        assert_eq!(report, BootReport::default());
        assert!(
            // Stopped at the deadline, well before the 5 s linger (room for a loaded machine).
            took >= Duration::from_millis(150) && took < Duration::from_secs(4),
            "{took:?}"
        );
    }

    #[test]
    fn console_probed_with_cr_then_set_uds() {
        let mut link = Scripted::default();
        link.on_send.push_back(b"\r\n# ".to_vec());
        link.on_send.push_back(b"set_dps_uds ****************************************************************\r\nINFO: Set DPS UDS successfully.\r\n\r\n# ".to_vec());
        let mut console = open_console(
            &mut link,
            ConsoleWait {
                deadline: soon(2000),
                probe_after: Duration::from_millis(20),
            },
        )
        .unwrap();
        let uds = Uds::from_hex(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX).unwrap();
        assert_eq!(console.set_uds(&uds, soon(2000)).unwrap(), SetUdsOk::Set);
        assert_eq!(
            link.sent,
            format!(
                "\rset_dps_uds {}\r",
                dps_cert_gen::dice::uds::SAMPLE_UDS_HEX
            )
            .as_bytes()
        );
    }

    #[test]
    fn a_normal_boot_is_not_a_console() {
        let mut link = Scripted::default();
        link.pieces.push_back(
            b"** MXChip - Microsoft IoT Developer Kit **\r\nYou can 1. press Button A and reset to enter configuration mode.\r\n".to_vec(),
        );
        let e = open_console(
            &mut link,
            ConsoleWait {
                deadline: soon(100),
                probe_after: Duration::from_millis(30),
            },
        )
        .err()
        .unwrap();
        assert_eq!(
            e.to_string(),
            "the board booted in normal mode, not in configuration mode: hold button A, press and release Reset, then let go of A"
        );
        // Probes went out while it waited: CR, then help.
        assert!(link.sent.starts_with(b"\rhelp\r"), "{:?}", link.sent);
    }

    #[test]
    fn an_unfinished_answer_times_out_naming_the_command_only() {
        let mut link = Scripted::default();
        link.pieces.push_back(b"\r\n# ".to_vec());
        link.on_send
            .push_back(b"set_dps_uds ***\r\nInvalid UDS.\r\n".to_vec());
        let mut console = open_console(
            &mut link,
            ConsoleWait {
                deadline: soon(1000),
                probe_after: Duration::from_secs(1),
            },
        )
        .unwrap();
        let uds = Uds::from_hex(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX).unwrap();
        let e = console.set_uds(&uds, soon(100)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the board did not finish answering set_dps_uds in time"
        );
    }

    #[test]
    fn version_exit_and_the_boot_after_it() {
        let mut link = Scripted::default();
        link.pieces.push_back(
            b"Configuration console:\r\n - version: System version.\r\n - exit: Exit and reboot.\r\n\r\n# "
                .to_vec(),
        );
        link.on_send.push_back(
            b"version\r\nDevKitSDK version: 1.6.5\r\nMico version: 3.0.0\r\n# ".to_vec(),
        );
        link.on_send.push_back(
            b"exit\r\nReboot\r\nInfo: DevKit MAC Address: c8934680ec24\r\nInfo: DevKit Firmware Version: 1.6.5\r\n"
                .to_vec(),
        );
        let mut console = open_console(
            &mut link,
            ConsoleWait {
                deadline: soon(1000),
                probe_after: Duration::from_secs(1),
            },
        )
        .unwrap();
        assert_eq!(console.listed_commands(), ["version", "exit"]);
        assert_eq!(
            console.version(soon(1000)).unwrap().unwrap().as_str(),
            "1.6.5"
        );
        console.exit().unwrap();
        let wait = BootWait {
            deadline: soon(1000),
            linger: Duration::from_millis(20),
            want_outcome: true,
        };
        let report = read_boot(&mut link, wait, &mut |_| {}).unwrap();
        assert_eq!(
            report.registration_id().unwrap().unwrap().id.as_str(),
            "az-c8934680ec24v1v6v5"
        );
        assert_eq!(link.sent, b"version\rexit\r");
    }

    struct Failing(io::ErrorKind);
    impl Link for Failing {
        fn read_within(&mut self, _: &mut [u8], _: Duration) -> io::Result<usize> {
            Err(io::Error::new(self.0, "gone"))
        }
        fn send(&mut self, _: &[u8]) -> io::Result<()> {
            Err(io::Error::new(self.0, "gone"))
        }
    }

    #[test]
    fn a_closed_port_is_said_so() {
        let wait = BootWait {
            deadline: soon(1000),
            linger: Duration::ZERO,
            want_outcome: true,
        };
        let e = read_boot(&mut Failing(io::ErrorKind::BrokenPipe), wait, &mut |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the serial port was closed (was the board unplugged?)"
        );
        let e = read_boot(&mut Failing(io::ErrorKind::Other), wait, &mut |_| {}).unwrap_err();
        assert_eq!(e.to_string(), "reading from the serial port failed: gone");
    }
}
