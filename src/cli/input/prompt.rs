//! The questions asked on a terminal when inputs are missing, in the tutorial's order:
//! project name, UDS (hidden), registration ID (or the board's MAC address and firmware
//! version). A bad answer is explained and asked again; end of input or Ctrl-C stops.
//!
//! The questions talk to a [`Console`] (`cli::sys::console`); [`crate::cli::sys::terminal::Terminal`]
//! is the real one.

use crate::cli::input::args::FirmwareInput;
pub(crate) use crate::cli::sys::console::{Console, Reply};
use dps_cert_gen::board::port_choice::PortRequest;
use dps_cert_gen::dice::sample_uds;
use dps_cert_gen::dice::uds::Uds;
use dps_cert_gen::firmware::files::{self, DEFAULT_PROJECT, FirmwareError};
use dps_cert_gen::registration_id::{FirmwareVersion, IdError, Mac, RegistrationId};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;

/// Why the questions stopped without an answer.
#[derive(Debug, Error)]
pub(crate) enum PromptError {
    /// End of input at a prompt.
    #[error("no answer to the {question} prompt (end of input); nothing was written")]
    End {
        /// Which question.
        question: &'static str,
    },
    /// Ctrl-C at a prompt.
    #[error("interrupted; nothing was written")]
    Interrupted,
    /// The terminal could not be read.
    #[error("cannot read the terminal: {0}")]
    Io(String),
}

impl PromptError {
    /// Whether the input caused it (end of input) rather than the user stopping or the system.
    pub(crate) fn is_input_error(&self) -> bool {
        matches!(self, PromptError::End { .. })
    }
}

/// Reads one answer, turning end of input and Ctrl-C into errors.
fn answer(
    reply: std::io::Result<Reply>,
    question: &'static str,
) -> Result<Zeroizing<String>, PromptError> {
    match reply.map_err(|e| PromptError::Io(e.to_string()))? {
        Reply::Line(line) => Ok(line),
        Reply::End => Err(PromptError::End { question }),
        Reply::Interrupted => Err(PromptError::Interrupted),
    }
}

/// The project name as typed, tolerating a typed file name (`DevKitDPS.ino.bin`).
fn project_name(typed: &str) -> &str {
    let name = typed.trim();
    let name = if name.is_empty() {
        DEFAULT_PROJECT
    } else {
        name
    };
    [".ino.bin", ".ino.map", ".ino.elf", ".ino"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix))
        .filter(|n| !n.is_empty())
        .unwrap_or(name)
}

/// Asks for the project name (default `DevKitDPS`) until `NAME.ino.bin` and `NAME.ino.map`
/// are found in `dir` or `dir/.build` and can be measured; says which files were found.
pub(crate) fn ask_project(
    console: &mut dyn Console,
    dir: &Path,
) -> Result<FirmwareInput, PromptError> {
    loop {
        let typed = answer(
            console.ask("Project name", Some(DEFAULT_PROJECT)),
            "project name",
        )?;
        let name = project_name(&typed);
        match files::find_project(name, dir) {
            Ok(files) => {
                let input = match FirmwareInput::from_build_files(files, None, false) {
                    Ok(input) => input,
                    Err(e) => {
                        console.refuse(&e.to_string());
                        continue;
                    }
                };
                let names: Vec<String> =
                    input.files().iter().map(|p| p.display().to_string()).collect();
                let found = match names.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("Found {} and {last}", rest.join(", "))
                    }
                    _ => format!("Found {}", names.concat()),
                };
                match input.measure() {
                    Ok(_) => {
                        console.confirm(&found);
                        return Ok(input);
                    }
                    Err(e) => console.refuse(&e.to_string()),
                }
            }
            Err(FirmwareError::ProjectNotFound { searched, .. }) => console.refuse(&format!(
                "no {name}.ino.elf, or {name}.ino.bin and {name}.ino.map, in {searched}; type the name of the sketch you built \
                 (run from its folder), or stop with Ctrl-C and give the files with -e, or -b and -m"
            )),
            Err(e) => console.refuse(&e.to_string()),
        }
    }
}

/// Asks for the UDS without echo until it is 64 hex digits; warns when it is (near) the
/// tutorial's sample.
pub(crate) fn ask_uds(console: &mut dyn Console) -> Result<Uds, PromptError> {
    loop {
        let typed = answer(
            console.ask_hidden("UDS (64 hex digits, as set with set_dps_uds; hidden as you type)"),
            "UDS",
        )?;
        let text = typed.trim();
        if text.is_empty() {
            console.refuse(
                "the UDS is needed: type the 64 hex digits you set on the board with set_dps_uds \
                 (no UDS yet? stop with Ctrl-C and make one with `dps-cert-gen uds`)",
            );
            continue;
        }
        match Uds::from_pasted(text) {
            Ok((uds, decoration)) => {
                match decoration {
                    Some(d) => console.confirm(&format!("UDS accepted ({})", d.kept())),
                    None => console.confirm("UDS accepted (64 hex digits)"),
                }
                if let Some(w) = sample_uds::warning(&uds) {
                    console.warn(&w);
                }
                return Ok(uds);
            }
            Err(e) => console.refuse(&e.to_string()),
        }
    }
}

/// A DevKit on a serial port, as the registration ID question sees it.
pub(crate) trait Board {
    /// The port `DPS_CERT_GEN_PORT` names, or of the one DevKit plugged in, if there is one.
    fn found(&mut self) -> Option<String>;
    /// Why the board gave no ID (the caller's error type: the serial session's failures
    /// are worded above the prompts).
    type Error: From<PromptError>;
    /// Reads the registration ID from the board on `port` as it boots.
    fn read_id(&mut self, port: &PortRequest) -> Result<RegistrationId, Self::Error>;
}

/// Asks for the registration ID; when left empty, offers to read it from the board if a
/// DevKit is plugged in, and otherwise asks for the board's MAC address and firmware version
/// and builds the ID the board uses.
pub(crate) fn ask_registration_id<E: From<PromptError>>(
    console: &mut dyn Console,
    board: &mut dyn Board<Error = E>,
    uds: &Uds,
) -> Result<RegistrationId, E> {
    if let Some(id) = ask_typed_id(console, uds)? {
        return Ok(id);
    }
    if let Some(port) = board.found()
        && ask_yes(
            console,
            &format!(
                "A DevKit is plugged in on {port}. Read the registration ID from it as it boots?"
            ),
            true,
            "read from the board",
        )?
    {
        let id = board.read_id(&PortRequest::Named(port))?;
        console.confirm(&format!("Registration ID: {id}"));
        return Ok(id);
    }
    Ok(ask_mac_and_version(console)?)
}

/// Asks for the registration ID; `None` when left empty. The UDS given as the ID (pasted a
/// second time) is refused and the question asked again.
fn ask_typed_id(
    console: &mut dyn Console,
    uds: &Uds,
) -> Result<Option<RegistrationId>, PromptError> {
    loop {
        let typed = answer(
            console.ask(
                "Registration ID (empty: build it from the MAC and firmware version)",
                None,
            ),
            "registration ID",
        )?;
        let text = typed.trim();
        if text.is_empty() {
            return Ok(None);
        }
        // The UDS pasted a second time lands here: the same rule as for -i, asked again.
        if uds.is_within(text) {
            console.refuse(&IdError::IsTheUds.to_string());
            continue;
        }
        match RegistrationId::new(text) {
            Ok(id) => return Ok(Some(id)),
            Err(e) => console.refuse(&e.to_string()),
        }
    }
}

/// Asks for the board's MAC address and firmware version, and builds the ID the board uses.
fn ask_mac_and_version(console: &mut dyn Console) -> Result<RegistrationId, PromptError> {
    let mac = loop {
        let typed = answer(
            console.ask(
                "MAC address (printed at boot, like C8:93:46:00:00:01)",
                None,
            ),
            "MAC address",
        )?;
        match Mac::new(&typed) {
            Ok(mac) => break mac,
            Err(e) => console.refuse(&e.to_string()),
        }
    };
    let version = loop {
        let typed = answer(
            console.ask("Firmware version (printed at boot, like 1.6.2)", None),
            "firmware version",
        )?;
        match FirmwareVersion::new(&typed) {
            Ok(v) => break v,
            Err(e) => console.refuse(&e.to_string()),
        }
    };
    let id = RegistrationId::from_board(&mac, &version);
    console.confirm(&format!("Registration ID: {id}"));
    Ok(id)
}

/// A yes/no question with a default.
fn ask_yes(
    console: &mut dyn Console,
    question: &str,
    default: bool,
    what: &'static str,
) -> Result<bool, PromptError> {
    loop {
        let typed = answer(
            console.ask(question, Some(if default { "Y/n" } else { "y/N" })),
            what,
        )?;
        match typed.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "n" | "no" => return Ok(false),
            "" => return Ok(default),
            _ => console.refuse("answer y or n"),
        }
    }
}

/// What to do about an output file that exists already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Overwrite {
    /// Overwrite it.
    Yes,
    /// Keep it, and write this (new) file instead.
    Elsewhere(PathBuf),
}

/// The first of `NAME-2.EXT`, `NAME-3.EXT` ... beside `path` that does not exist.
fn free_name(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (2..1000)
        .map(|n| path.with_file_name(format!("{stem}-{n}{ext}")))
        .find(|p| p.symlink_metadata().is_err())
        .unwrap_or_else(|| path.with_file_name(format!("{stem}-new{ext}")))
}

/// Asks whether to overwrite `path` (the default is no); when not, asks for another file
/// name, offering a free one beside it, so that nothing typed so far is lost.
pub(crate) fn ask_overwrite(
    console: &mut dyn Console,
    path: &Path,
) -> Result<Overwrite, PromptError> {
    loop {
        let typed = answer(
            console.ask(
                &format!("{} already exists. Overwrite it?", path.display()),
                Some("y/N"),
            ),
            "overwrite",
        )?;
        match typed.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(Overwrite::Yes),
            "" | "n" | "no" => break,
            _ => console.refuse("answer y (overwrite) or n (keep it and write another file)"),
        }
    }
    let suggestion = free_name(path);
    loop {
        let shown = suggestion.display().to_string();
        let typed = answer(
            console.ask("File to write instead", Some(&shown)),
            "file name",
        )?;
        let chosen = match typed.trim() {
            "" => suggestion.clone(),
            name => PathBuf::from(name),
        };
        if chosen.symlink_metadata().is_ok() {
            console.refuse(&format!(
                "{} exists too; give another name",
                chosen.display()
            ));
            continue;
        }
        return Ok(Overwrite::Elsewhere(chosen));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::error::Error;
    use std::collections::VecDeque;

    /// A console that answers from a script and records everything shown.
    #[derive(Default)]
    struct Scripted {
        answers: VecDeque<Option<&'static str>>,
        shown: Vec<String>,
    }

    impl Scripted {
        fn new(answers: &[Option<&'static str>]) -> Self {
            Self {
                answers: answers.iter().copied().collect(),
                shown: Vec::new(),
            }
        }
        fn next(&mut self, q: &str, hidden: bool) -> std::io::Result<Reply> {
            self.shown
                .push(format!("{}{q}", if hidden { "hidden " } else { "" }));
            Ok(match self.answers.pop_front() {
                Some(Some(a)) => Reply::Line(Zeroizing::new(a.to_string())),
                Some(None) => Reply::Interrupted,
                None => Reply::End,
            })
        }
    }

    impl Console for Scripted {
        fn ask(&mut self, q: &str, _default: Option<&str>) -> std::io::Result<Reply> {
            self.next(q, false)
        }
        fn ask_hidden(&mut self, q: &str) -> std::io::Result<Reply> {
            self.next(q, true)
        }
        fn confirm(&mut self, t: &str) {
            self.shown.push(format!("ok {t}"));
        }
        fn warn(&mut self, t: &str) {
            self.shown.push(format!("warn {t}"));
        }
        fn refuse(&mut self, t: &str) {
            self.shown.push(format!("refuse {t}"));
        }
    }

    /// No DevKit plugged in.
    struct NoBoard;

    impl Board for NoBoard {
        fn found(&mut self) -> Option<String> {
            None
        }
        type Error = Error;
        fn read_id(&mut self, port: &PortRequest) -> Result<RegistrationId, Error> {
            panic!("read {port:?} with no board found")
        }
    }

    /// One DevKit, whose ID is read as asked.
    struct OneBoard {
        reads: Vec<PortRequest>,
    }

    impl Board for OneBoard {
        fn found(&mut self) -> Option<String> {
            Some("/dev/ttyACM0".into())
        }
        type Error = Error;
        fn read_id(&mut self, port: &PortRequest) -> Result<RegistrationId, Error> {
            self.reads.push(port.clone());
            Ok(RegistrationId::new("az-c8934680ec24v1v6v5").unwrap())
        }
    }

    #[test]
    fn an_empty_id_offers_the_board_when_one_is_plugged_in() {
        let mut board = OneBoard { reads: Vec::new() };
        let mut c = Scripted::new(&[Some(""), Some("")]);
        let id = ask_registration_id(&mut c, &mut board, &some_uds()).unwrap();
        assert_eq!(id.as_str(), "az-c8934680ec24v1v6v5");
        assert_eq!(board.reads, [PortRequest::Named("/dev/ttyACM0".into())]);
        assert_eq!(
            c.shown,
            [
                "Registration ID (empty: build it from the MAC and firmware version)",
                "A DevKit is plugged in on /dev/ttyACM0. Read the registration ID from it as it boots?",
                "ok Registration ID: az-c8934680ec24v1v6v5",
            ]
        );
        // Declined: the MAC address and version are asked for, the board is not read.
        let mut board = OneBoard { reads: Vec::new() };
        let mut c = Scripted::new(&[
            Some(""),
            Some("maybe"),
            Some("n"),
            Some("c8934680ec24"),
            Some("1.3.0"),
        ]);
        let id = ask_registration_id(&mut c, &mut board, &some_uds()).unwrap();
        assert_eq!(id.as_str(), "az-c8934680ec24v1v3v0");
        assert!(board.reads.is_empty());
        assert!(
            c.shown.contains(&"refuse answer y or n".to_string()),
            "{:?}",
            c.shown
        );
        // A typed ID: the board is not offered.
        let mut c = Scripted::new(&[Some("my-device-01")]);
        let id =
            ask_registration_id(&mut c, &mut OneBoard { reads: Vec::new() }, &some_uds()).unwrap();
        assert_eq!(id.as_str(), "my-device-01");
        assert_eq!(c.shown.len(), 1);
    }

    #[test]
    fn project_names() {
        assert_eq!(project_name(""), "DevKitDPS");
        assert_eq!(project_name("  "), "DevKitDPS");
        assert_eq!(project_name("Foo"), "Foo");
        assert_eq!(project_name("Foo.ino.bin"), "Foo");
        assert_eq!(project_name(".ino"), ".ino");
    }

    fn some_uds() -> Uds {
        Uds::from_hex(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX).unwrap()
    }

    #[test]
    fn the_uds_pasted_again_at_the_id_prompt_is_refused_and_asked_again() {
        let upper: &'static str = dps_cert_gen::dice::uds::SAMPLE_UDS_HEX
            .to_uppercase()
            .leak();
        let mut c = Scripted::new(&[
            Some(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX),
            Some(upper),
            Some("my-device-01"),
        ]);
        let id = ask_registration_id(&mut c, &mut NoBoard, &some_uds()).unwrap();
        assert_eq!(id.as_str(), "my-device-01");
        let refusals: Vec<_> = c
            .shown
            .iter()
            .filter(|s| s.starts_with("refuse "))
            .collect();
        assert_eq!(
            refusals,
            [
                &format!("refuse {}", IdError::IsTheUds),
                &format!("refuse {}", IdError::IsTheUds)
            ]
        );
        assert!(!c.shown.iter().any(|s| {
            s.to_lowercase()
                .contains(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX)
        }));
    }

    #[test]
    fn id_from_mac_and_version_after_bad_answers() {
        let mut c = Scripted::new(&[
            Some("Bad ID"),
            Some(""),
            Some("c8:93:46"),
            Some("C8:93:46:AA:BB:CC"),
            Some("1.6"),
            Some("1.6.2"),
        ]);
        let id = ask_registration_id(&mut c, &mut NoBoard, &some_uds()).unwrap();
        assert_eq!(id.as_str(), "az-c89346aabbccv1v6v2");
        let refusals = c.shown.iter().filter(|s| s.starts_with("refuse ")).count();
        assert_eq!(refusals, 3, "{:?}", c.shown);
    }

    #[test]
    fn uds_is_asked_hidden_and_again_when_bad() {
        let mut c = Scripted::new(&[
            Some(""),
            Some("abc"),
            Some(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX),
        ]);
        let uds = ask_uds(&mut c).unwrap();
        assert_eq!(
            hex::encode(uds.as_bytes()),
            dps_cert_gen::dice::uds::SAMPLE_UDS_HEX
        );
        assert!(
            c.shown
                .iter()
                .filter(|s| s.starts_with("hidden UDS"))
                .count()
                == 3
        );
        assert!(
            c.shown
                .iter()
                .any(|s| s.starts_with("warn this UDS is the sample"))
        );
        assert!(
            !c.shown
                .iter()
                .any(|s| s.contains(dps_cert_gen::dice::uds::SAMPLE_UDS_HEX))
        );
    }

    #[test]
    fn end_and_interrupt_stop() {
        let e = ask_uds(&mut Scripted::new(&[])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no answer to the UDS prompt (end of input); nothing was written"
        );
        let e = ask_registration_id(&mut Scripted::new(&[None]), &mut NoBoard, &some_uds())
            .unwrap_err();
        assert!(matches!(e, Error::Prompt(PromptError::Interrupted)));
    }

    #[test]
    fn declining_an_overwrite_offers_another_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pem");
        std::fs::write(&p, "old").unwrap();
        std::fs::write(dir.path().join("x-2.pem"), "old too").unwrap();
        assert_eq!(
            ask_overwrite(&mut Scripted::new(&[Some("maybe"), Some("Y")]), &p).unwrap(),
            Overwrite::Yes
        );
        // No (the default), then the offered name (the default again).
        assert_eq!(
            ask_overwrite(&mut Scripted::new(&[Some(""), Some("")]), &p).unwrap(),
            Overwrite::Elsewhere(dir.path().join("x-3.pem"))
        );
        // A name that exists too is refused, and asked for again.
        let taken = dir.path().join("x-2.pem");
        let taken: &'static str = Box::leak(taken.display().to_string().into_boxed_str());
        let mut console = Scripted::new(&[Some("n"), Some(taken), Some("y.pem")]);
        assert_eq!(
            ask_overwrite(&mut console, &p).unwrap(),
            Overwrite::Elsewhere(PathBuf::from("y.pem"))
        );
        assert!(
            console
                .shown
                .iter()
                .any(|s| s == &format!("refuse {taken} exists too; give another name")),
            "{:?}",
            console.shown
        );
    }
}
