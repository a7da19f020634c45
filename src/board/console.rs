//! The board's configuration console (spec 3): recognising its banner, header and prompt in
//! what the port delivers, building the commands (CR-terminated; the UDS lower-cased in
//! zeroized memory), and deciding from the board's answer whether `set_dps_uds` worked.
//! Everything kept of what the board says is bounded (a line, an answer, the command
//! listing), and the bound being hit is told, never silently decided on.

use crate::board::boot_log::BANNER;
use crate::board::lines::LineSplitter;
use crate::dice::uds::Uds;
use crate::registration_id::FirmwareVersion;
use crate::text::printable::board_text;
use thiserror::Error;
use zeroize::Zeroizing;

/// The header line printed after the banner in configuration mode.
pub const HEADER: &str = "Configuration console:";

/// What the prompt leaves at the start of a line: `# `, with no line end after it.
pub const PROMPT: &[u8] = b"# ";

/// The success line of `set_dps_uds`.
pub const SET_UDS_SUCCESS: &str = "INFO: Set DPS UDS successfully.";

/// Most lines kept of one answer: the longest the firmware gives (`help`) has a dozen.
pub const MAX_ANSWER_LINES: usize = 64;

/// Most commands kept from the console's listing: the firmware has ten.
pub const MAX_LISTED_COMMANDS: usize = 64;

/// One thing recognised in the console's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleEvent {
    /// The banner (spec 2.1).
    Banner,
    /// `Configuration console:`.
    Header,
    /// ` - <name>: <help>.`: a command the firmware has.
    CommandListed(String),
    /// The prompt `# ` at the start of a line: the console waits for a command.
    Prompt,
    /// The prompt's line ended: the echo of what was typed (not given: it may hold a secret
    /// on firmware that does not mask it).
    EchoEnded,
    /// Any other line (made printable, long hex runs hidden).
    Line(String),
}

/// An incremental reader of the console's output.
#[derive(Debug, Default, Clone)]
pub struct ConsoleReader {
    lines: LineSplitter,
    at_prompt: bool,
    banner: bool,
    header: bool,
    commands: Vec<String>,
    commands_cut: bool,
}

impl ConsoleReader {
    /// A reader that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes bytes from the port; returns what they showed, in order. The prompt is
    /// recognised as soon as its `# ` arrives, with no line end after it.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<ConsoleEvent> {
        let mut events = Vec::new();
        for &b in bytes {
            match self.lines.push(b) {
                Some(line) => {
                    if std::mem::take(&mut self.at_prompt) || line.starts_with("# ") {
                        events.push(ConsoleEvent::EchoEnded);
                    } else {
                        events.push(self.classify(&line));
                    }
                }
                None => {
                    if self.lines.pending() == PROMPT && !self.at_prompt {
                        self.at_prompt = true;
                        events.push(ConsoleEvent::Prompt);
                    }
                }
            }
        }
        events
    }

    /// Whether the banner was seen.
    pub fn banner_seen(&self) -> bool {
        self.banner
    }

    /// Whether `Configuration console:` was seen.
    pub fn header_seen(&self) -> bool {
        self.header
    }

    /// The commands the firmware listed (empty until the list was seen), at most
    /// [`MAX_LISTED_COMMANDS`].
    pub fn commands(&self) -> &[String] {
        &self.commands
    }

    /// Whether the board listed more commands than [`MAX_LISTED_COMMANDS`] (the rest were
    /// not kept).
    pub fn commands_cut(&self) -> bool {
        self.commands_cut
    }

    /// Whether the console is at its prompt (nothing typed after it yet).
    pub fn at_prompt(&self) -> bool {
        self.at_prompt
    }

    fn classify(&mut self, line: &str) -> ConsoleEvent {
        if line.contains(BANNER) {
            self.banner = true;
            return ConsoleEvent::Banner;
        }
        if line.trim() == HEADER {
            self.header = true;
            return ConsoleEvent::Header;
        }
        if let Some(rest) = line.strip_prefix(" - ")
            && let Some((name, _)) = rest.split_once(':')
            && !name.is_empty()
            && name.len() <= 32
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            if self.commands.len() < MAX_LISTED_COMMANDS {
                self.commands.push(name.to_string());
            } else {
                self.commands_cut = true;
            }
            return ConsoleEvent::CommandListed(name.to_string());
        }
        ConsoleEvent::Line(board_text(line))
    }
}

/// The lines of a command's answer: what came after the echo and before the next prompt; at
/// most [`MAX_ANSWER_LINES`] are kept (each at most a quote's length), the rest counted.
#[derive(Debug, Default, Clone)]
pub struct AnswerCollector {
    echo_ended: bool,
    lines: Vec<String>,
    dropped: usize,
    done: bool,
}

impl AnswerCollector {
    /// Starts collecting; call right after sending a command.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the reader's events; returns true once the next prompt came (the answer is
    /// complete). Blank lines are dropped.
    pub fn take(&mut self, events: &[ConsoleEvent]) -> bool {
        for event in events {
            if self.done {
                break;
            }
            match event {
                ConsoleEvent::EchoEnded => self.echo_ended = true,
                ConsoleEvent::Prompt if self.echo_ended => self.done = true,
                ConsoleEvent::Line(l) if self.echo_ended && !l.trim().is_empty() => {
                    if self.lines.len() < MAX_ANSWER_LINES {
                        self.lines.push(l.clone());
                    } else {
                        self.dropped = self.dropped.saturating_add(1);
                    }
                }
                _ => {}
            }
        }
        self.done
    }

    /// The answer's lines so far (the first [`MAX_ANSWER_LINES`]).
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The answer as far as it is known: its lines, and how many more were not kept.
    pub fn answer(&self) -> Answer {
        Answer {
            lines: self.lines.clone(),
            dropped: self.dropped,
        }
    }

    /// How many lines came after the first [`MAX_ANSWER_LINES`] (not kept).
    pub fn dropped(&self) -> usize {
        self.dropped
    }
}

/// A command's answer: its first lines, and how many more the board sent.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The first [`MAX_ANSWER_LINES`] non-blank lines (made printable, long hex runs hidden).
    pub lines: Vec<String>,
    /// Lines that came after those, not kept.
    pub dropped: usize,
}

/// A command line ended by CR, for a command with no secret argument (`help`, `exit`).
pub fn command(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(b'\r');
    bytes
}

/// `set_dps_uds <64 lower-case hex digits>\r`, in memory that is wiped when dropped.
pub fn set_uds_command(uds: &Uds) -> Zeroizing<Vec<u8>> {
    const PREFIX: &[u8] = b"set_dps_uds ";
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut bytes = Zeroizing::new(Vec::with_capacity(PREFIX.len() + 65));
    bytes.extend_from_slice(PREFIX);
    for &b in uds.as_bytes() {
        for nibble in [b >> 4, b & 0x0f] {
            bytes.push(DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0'));
        }
    }
    bytes.push(b'\r');
    bytes
}

/// What the board answered to `set_dps_uds`, when it took the UDS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetUdsOk {
    /// `INFO: Set DPS UDS successfully.` alone.
    Set,
    /// `Invalid UDS.` then the success line: SDK 1.6.2 and later (a length check off by one
    /// that does not stop the write, spec 3.2).
    SetWithQuirk,
}

/// Why `set_dps_uds` did not work, quoting the board (made printable; never the UDS).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SetUdsError {
    /// `ERROR: ...`: the board could not store the UDS.
    #[error("the board could not store the UDS; it said: {0}")]
    Failed(String),
    /// `Error:Invalid command: set_dps_uds`: firmware older than the DPS support.
    #[error("the board's firmware has no set_dps_uds command; it said: {0}")]
    NotSupported(String),
    /// `Usage: ...`: the board did not get the argument.
    #[error("the board did not receive the UDS; it said: {0}")]
    Usage(String),
    /// `Invalid UDS.` with no success line after it.
    #[error("the board refused the UDS; it said: Invalid UDS.")]
    Invalid,
    /// Nothing the spec describes.
    #[error("the board's answer to set_dps_uds was not recognised: {0}")]
    Unrecognised(String),
    /// Longer than any answer the firmware gives: not decided on, since the lines not kept
    /// could say anything.
    #[error(
        "the board answered set_dps_uds with {lines} lines, more than the {MAX_ANSWER_LINES} this tool reads (the firmware answers with one or two), so whether it stored the UDS is not known; it began: {first}"
    )]
    TooLong {
        /// Lines the board sent.
        lines: usize,
        /// The first line (made printable, long hex runs hidden).
        first: String,
    },
}

/// Decides from the whole answer (spec 3.2): one longer than the tool keeps is not decided
/// on; otherwise as [`classify_set_uds`].
pub fn classify_set_uds_answer(answer: &Answer) -> Result<SetUdsOk, SetUdsError> {
    if answer.dropped > 0 {
        return Err(SetUdsError::TooLong {
            lines: answer.lines.len().saturating_add(answer.dropped),
            first: answer.lines.first().map(|l| quote(l)).unwrap_or_default(),
        });
    }
    classify_set_uds(&answer.lines)
}

/// Decides from the answer's lines only (spec 3.2): an `ERROR:` line fails; the board's own
/// success line, `INFO: Set DPS UDS successfully.` and nothing else, succeeds (with or
/// without the `Invalid UDS.` quirk before it). Any other `INFO:` line (`INFO: Wi-Fi
/// reconnected.`) is not a success.
pub fn classify_set_uds(lines: &[String]) -> Result<SetUdsOk, SetUdsError> {
    let trimmed: Vec<&str> = lines.iter().map(|l| l.trim()).collect();
    if let Some(e) = trimmed.iter().find(|l| l.starts_with("ERROR:")) {
        return Err(SetUdsError::Failed(quote(e)));
    }
    if let Some(e) = trimmed
        .iter()
        .find(|l| l.starts_with("Error:Invalid command"))
    {
        return Err(SetUdsError::NotSupported(quote(e)));
    }
    let invalid = trimmed.iter().position(|l| *l == "Invalid UDS.");
    if let Some(ok) = trimmed.iter().position(|l| *l == SET_UDS_SUCCESS) {
        return Ok(match invalid {
            Some(i) if i < ok => SetUdsOk::SetWithQuirk,
            _ => SetUdsOk::Set,
        });
    }
    if let Some(u) = trimmed.iter().find(|l| l.starts_with("Usage:")) {
        return Err(SetUdsError::Usage(quote(u)));
    }
    if invalid.is_some() {
        return Err(SetUdsError::Invalid);
    }
    Err(SetUdsError::Unrecognised(quote(
        &trimmed
            .iter()
            .filter(|l| !l.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" / "),
    )))
}

/// The SDK version in the answer to `version` (`DevKitSDK version: 1.6.5`).
pub fn sdk_version(lines: &[String]) -> Option<FirmwareVersion> {
    lines.iter().find_map(|l| {
        let rest = l.trim().strip_prefix("DevKitSDK version:")?;
        FirmwareVersion::new(rest.split_whitespace().next()?).ok()
    })
}

/// Board text for a message: any run of 12 or more hex digits hidden first, then printable
/// and cut, so that not even a board that echoes its input could put a UDS (or part of one)
/// in a message.
fn quote(text: &str) -> String {
    board_text(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dice::uds::SAMPLE_UDS_HEX;

    const CONSOLE_BOOT: &[u8] = b"\r\n************************************************\r\n** MXChip - Microsoft IoT Developer Kit **\r\n************************************************\r\nConfiguration console:\r\n - help: Help document.\r\n - version: System version.\r\n - exit: Exit and reboot.\r\n - set_dps_uds: Set DPS Unique Device Secret (UDS) for X.509 certificates..\r\n\r\n# ";

    fn lines(ls: &[&str]) -> Vec<String> {
        ls.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn banner_header_commands_and_prompt_in_any_pieces() {
        for piece in [1, 2, 5, 1000] {
            let mut r = ConsoleReader::new();
            let mut events = Vec::new();
            for chunk in CONSOLE_BOOT.chunks(piece) {
                events.extend(r.feed(chunk));
            }
            assert!(r.banner_seen() && r.header_seen() && r.at_prompt());
            assert_eq!(r.commands(), ["help", "version", "exit", "set_dps_uds"]);
            assert_eq!(events.last(), Some(&ConsoleEvent::Prompt));
            assert_eq!(
                events
                    .iter()
                    .filter(|e| **e == ConsoleEvent::Prompt)
                    .count(),
                1
            );
        }
    }

    #[test]
    fn an_answer_is_what_comes_between_echo_and_prompt() {
        let mut r = ConsoleReader::new();
        r.feed(b"\r\n# ");
        let mut a = AnswerCollector::new();
        // Echo (masked), CR not echoed, then \r\n, the output, \r\n#.
        assert!(!a.take(&r.feed(b"set_dps_uds ****")));
        assert!(!a.take(&r.feed(b"\r\nInvalid UDS.\r\nINFO: Set DPS UDS succ")));
        assert!(a.take(&r.feed(b"essfully.\r\n\r\n# ")));
        assert_eq!(
            a.lines(),
            ["Invalid UDS.", "INFO: Set DPS UDS successfully."]
        );
        assert_eq!(classify_set_uds(a.lines()), Ok(SetUdsOk::SetWithQuirk));
    }

    #[test]
    fn the_prompt_of_an_empty_command() {
        let mut r = ConsoleReader::new();
        assert_eq!(
            r.feed(b"\r\n# "),
            [ConsoleEvent::Line(String::new()), ConsoleEvent::Prompt]
        );
        assert_eq!(
            r.feed(b"\r\n# "),
            [ConsoleEvent::EchoEnded, ConsoleEvent::Prompt]
        );
    }

    #[test]
    fn the_command_bytes() {
        let uds = Uds::from_hex(&SAMPLE_UDS_HEX.to_uppercase()).unwrap();
        let cmd = set_uds_command(&uds);
        assert_eq!(
            cmd.as_slice(),
            format!("set_dps_uds {SAMPLE_UDS_HEX}\r").as_bytes()
        );
        assert_eq!(command("exit"), b"exit\r");
        assert_eq!(command(""), b"\r");
    }

    #[test]
    fn classify_every_answer_of_spec_3_2() {
        assert_eq!(
            classify_set_uds(&lines(&["INFO: Set DPS UDS successfully."])),
            Ok(SetUdsOk::Set)
        );
        assert_eq!(
            classify_set_uds(&lines(&["Invalid UDS.", "INFO: Set DPS UDS successfully."])),
            Ok(SetUdsOk::SetWithQuirk)
        );
        assert_eq!(
            classify_set_uds(&lines(&["ERROR: Failed to write EEPROM: 0x06."])),
            Err(SetUdsError::Failed(
                "ERROR: Failed to write EEPROM: 0x06.".into()
            ))
        );
        let e = classify_set_uds(&lines(&["ERROR: Verify failed."])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the board could not store the UDS; it said: ERROR: Verify failed."
        );
        let e = classify_set_uds(&lines(&["Error:Invalid command: set_dps_uds"])).unwrap_err();
        assert_eq!(
            e,
            SetUdsError::NotSupported("Error:Invalid command: set_dps_uds".into())
        );
        assert_eq!(
            classify_set_uds(&lines(&[
                "Usage: set_dps_uds [uds]. Please provide the UDS for DPS."
            ])),
            Err(SetUdsError::Usage(
                "Usage: set_dps_uds [uds]. Please provide the UDS for DPS.".into()
            ))
        );
        assert_eq!(
            classify_set_uds(&lines(&["Invalid UDS."])),
            Err(SetUdsError::Invalid)
        );
        assert_eq!(
            classify_set_uds(&[]),
            Err(SetUdsError::Unrecognised(String::new()))
        );
        // An ERROR line decides even with a success line.
        assert!(matches!(
            classify_set_uds(&lines(&[
                "INFO: Set DPS UDS successfully.",
                "ERROR: Verify failed."
            ])),
            Err(SetUdsError::Failed(_))
        ));
    }

    #[test]
    fn only_the_boards_own_success_line_is_success() {
        for other in [
            "INFO: Wi-Fi reconnected.",
            "INFO: Set DPS UDS successfully",
            "INFO: Set DPS UDS successfully. (not really)",
            "INFO:",
        ] {
            let e = classify_set_uds(&lines(&[other])).unwrap_err();
            assert_eq!(e, SetUdsError::Unrecognised(other.to_string()), "{other}");
            assert_eq!(
                e.to_string(),
                format!("the board's answer to set_dps_uds was not recognised: {other}")
            );
        }
        assert_eq!(
            classify_set_uds(&lines(&["Invalid UDS.", "INFO: Wi-Fi reconnected."])),
            Err(SetUdsError::Invalid)
        );
        // Noise around the board's own line does not hide it.
        assert_eq!(
            classify_set_uds(&lines(&[
                "INFO: Wi-Fi reconnected.",
                "  INFO: Set DPS UDS successfully.  "
            ])),
            Ok(SetUdsOk::Set)
        );
    }

    #[test]
    fn an_answer_longer_than_the_bound_is_kept_bounded_and_not_decided_on() {
        let mut r = ConsoleReader::new();
        r.feed(b"\r\n# ");
        let mut a = AnswerCollector::new();
        a.take(&r.feed(b"set_dps_uds ****\r\n"));
        for _ in 0..10_000 {
            assert!(!a.take(&r.feed(b"INFO: noise noise noise\r\n")));
        }
        assert!(a.take(&r.feed(b"INFO: Set DPS UDS successfully.\r\n# ")));
        assert_eq!(a.lines().len(), MAX_ANSWER_LINES);
        let answer = a.answer();
        assert_eq!(answer.dropped, 10_001 - MAX_ANSWER_LINES);
        let e = classify_set_uds_answer(&answer).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the board answered set_dps_uds with 10001 lines, more than the 64 this tool reads (the firmware answers with one or two), so whether it stored the UDS is not known; it began: INFO: noise noise noise"
        );
        // A listing of endless commands is bounded too, and says so.
        let mut r = ConsoleReader::new();
        for i in 0..1000 {
            r.feed(format!(" - cmd{i}: Help.\r\n").as_bytes());
        }
        assert_eq!(r.commands().len(), MAX_LISTED_COMMANDS);
        assert!(r.commands_cut());
    }

    #[test]
    fn quoted_board_text_never_holds_a_uds() {
        let e = classify_set_uds(&lines(&[&format!("weird {SAMPLE_UDS_HEX} echo")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the board's answer to set_dps_uds was not recognised: weird <hidden> echo"
        );
        assert!(!e.to_string().contains(&SAMPLE_UDS_HEX[..16]));
        // Masked before it is cut: a UDS starting near the cut leaves no digit behind; in
        // 15-digit groups, or 12, no group is shown.
        let late = format!("{} {SAMPLE_UDS_HEX}", "x".repeat(64));
        let e = classify_set_uds(&lines(&[&late])).unwrap_err().to_string();
        assert!(!e.contains(&SAMPLE_UDS_HEX[..4]), "{e}");
        for size in [12, 15, 16] {
            let groups: Vec<&str> = SAMPLE_UDS_HEX
                .as_bytes()
                .chunks(size)
                .map(|c| std::str::from_utf8(c).unwrap())
                .collect();
            let e = classify_set_uds(&lines(&[&groups.join(" ")]))
                .unwrap_err()
                .to_string();
            for g in groups.iter().filter(|g| g.len() == size) {
                assert!(!e.contains(g), "{size}: {e}");
            }
        }
        assert_eq!(
            quote("ERROR: Failed to write EEPROM: 0x06."),
            "ERROR: Failed to write EEPROM: 0x06."
        );
    }

    #[test]
    fn the_echo_is_never_an_answer_line() {
        let mut r = ConsoleReader::new();
        r.feed(b"\r\n# ");
        let mut a = AnswerCollector::new();
        let echo = format!("set_dps_uds {SAMPLE_UDS_HEX}");
        a.take(&r.feed(echo.as_bytes()));
        assert!(a.take(&r.feed(b"\r\nINFO: Set DPS UDS successfully.\r\n\r\n# ")));
        assert_eq!(a.lines(), ["INFO: Set DPS UDS successfully."]);
    }

    #[test]
    fn version_answer() {
        let v = sdk_version(&lines(&["DevKitSDK version: 1.6.5", "Mico version: 3.1.0"]));
        assert_eq!(v.unwrap().as_str(), "1.6.5");
        assert!(sdk_version(&lines(&["Mico version: 3.1.0"])).is_none());
    }
}
