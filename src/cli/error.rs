//! How a command ends: [`Finish`] when it did not fail; otherwise the command line's error,
//! the wording a user reads (the library's facts, with the advice
//! that names this tool's flags added here), and which errors are the input's fault (exit
//! status 2) and which are not (exit status 1).

use crate::cli::input::cert_input::CertSourceError;
use crate::cli::input::uds_source::UdsSourceError;
use crate::cli::output::files::OutputError;
use dps_cert_gen::cert::alias::CertBuildError;
use dps_cert_gen::derivation::DeriveError;
use dps_cert_gen::dice::uds::UdsError;
use dps_cert_gen::firmware::files::FirmwareError;
use dps_cert_gen::registration_id::IdError;
use dps_cert_gen::riot::keys::KeyError;
use thiserror::Error;

/// What a command asks the process to end with, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    /// Exit status 0.
    Success,
    /// Exit status 1 without an error message: the command has said why (`verify` found
    /// differences).
    Mismatch,
}

/// Any failure of the tool.
#[derive(Debug, Error)]
pub(crate) enum Error {
    /// A required input was not given (and cannot be asked for).
    #[error("missing {0}")]
    Missing(String),
    /// Bad UDS.
    #[error(transparent)]
    Uds(#[from] UdsError),
    /// Bad registration ID, MAC or version.
    #[error("{}{}", .0, advice::id(.0))]
    Id(#[from] IdError),
    /// Firmware files missing, unreadable or inconsistent.
    #[error("{}", advice::firmware_text(.0))]
    Firmware(#[from] FirmwareError),
    /// The derivation failed.
    #[error(transparent)]
    Derive(#[from] DeriveError),
    /// The system's random source failed.
    #[error(transparent)]
    Random(#[from] crate::cli::sys::random::RandomError),
    /// An output could not be written.
    #[error("{}", advice::output_text(.0))]
    Output(#[from] OutputError),
    /// The UDS file or `DPS_UDS` could not be used.
    #[error(transparent)]
    UdsSource(UdsSourceError),
    /// A prompt got no answer (end of input, Ctrl-C).
    #[error(transparent)]
    Prompt(#[from] crate::cli::input::prompt::PromptError),
    /// A certificate to inspect or verify could not be read, or is of the wrong kind.
    #[error(transparent)]
    Certificate(#[from] dps_cert_gen::cert::inspect::CertificateError),
    /// No certificate could be read (none given on a terminal, unreadable, far too large).
    #[error(transparent)]
    CertInput(#[from] crate::cli::input::cert_input::CertInputError),
    /// Extra outputs asked for in a way that cannot work.
    #[error(transparent)]
    ExtraOutput(#[from] crate::cli::output::extra_outputs::ExtraOutputError),
    /// The batch command failed (manifest, rows, writes).
    #[error("{}", advice::batch_text(.0))]
    Batch(#[from] dps_cert_gen::batch::engine::BatchError),
    /// The batch summary could not be made (a fault of the tool, not of the input).
    #[error(transparent)]
    Summary(#[from] dps_cert_gen::batch::summary::SummaryError),
    /// The board's serial port could not be found or opened; `flag` is the option that
    /// names a port (`--port`, `--board`).
    #[error("{}{}", .source, advice::port(.source, .flag))]
    Port {
        /// The option naming the port.
        flag: &'static str,
        /// What went wrong.
        source: crate::cli::board::link::LinkError,
    },
    /// The conversation with the board failed, or the board refused the UDS.
    #[error("{}{}", .0, advice::session(.0))]
    Board(#[from] crate::cli::board::session::SessionError),
    /// The board's boot output gave no registration ID before the timeout (the whole
    /// message: what was not seen and the likely causes).
    #[error("{0}")]
    NoRegistrationId(String),
    /// The board's output gave two different registration IDs.
    #[error(
        "{0}; press Reset once and run again (if the sketch sets its own registrationId, that is the one to enroll)"
    )]
    IdConflict(#[from] dps_cert_gen::board::boot_log::IdConflict),
    /// Talking to DPS failed (connection string, network, the key refused).
    #[error(transparent)]
    Dps(#[from] crate::cli::dps::error::DpsError),
    /// `--save-uds` (`board`) or `--save` (`uds`) names a file that exists.
    #[error("{} already exists (it may hold another board's UDS) and {flag} never overwrites a file; choose a new file name", path.display())]
    SaveUdsExists {
        /// The file.
        path: std::path::PathBuf,
        /// The option that named it.
        flag: &'static str,
    },
}

pub(crate) use advice::firmware_warning;

/// What to do about a library error, in this tool's flags: appended to its message.
mod advice {
    use crate::cli::board::link::LinkError;
    use crate::cli::board::session::SessionError;
    use crate::cli::output::files::{OutputError, Written};
    use dps_cert_gen::batch::engine::BatchError;
    use dps_cert_gen::batch::manifest::ManifestError;
    use dps_cert_gen::board::console::SetUdsError;
    use dps_cert_gen::board::port_choice::PortChoiceError;
    use dps_cert_gen::firmware::elf_file::ElfError;
    use dps_cert_gen::firmware::files::FirmwareError;
    use dps_cert_gen::firmware::measurement::FirmwareWarning;
    use dps_cert_gen::registration_id::IdError;

    /// The whole message for an output error: a failed write gets the advice that fits the
    /// output (a batch has no `-o`).
    pub(super) fn output_text(e: &OutputError) -> String {
        match e {
            OutputError::Write { what, .. } => format!("{e}; {}", write(*what)),
            _ => e.to_string(),
        }
    }

    fn write(what: Written) -> String {
        match what {
            Written::Out => "choose a folder you can write to with -o".to_string(),
            Written::OutDir => {
                "choose another --out-dir, a folder you can write to (it is made if missing)"
                    .to_string()
            }
            Written::InOutDir => "make room on that disk, or choose another --out-dir, and run the same batch again: the certificates already written count as done".to_string(),
            Written::Jsonl => "choose another --jsonl file, in a folder you can write to with room to spare, and run the batch again".to_string(),
            Written::NewUds("--save-uds") => "give --save-uds a file in a folder you can write to and run again (the new UDS was not kept, nor sent to the board)".to_string(),
            Written::NewUds(flag) => format!(
                "give {flag} a file in a folder you can write to and run again (the new UDS was not kept, nor shown)"
            ),
        }
    }

    pub(super) fn id(e: &IdError) -> &'static str {
        match e {
            IdError::EmptyId => {
                "; give one with -i, or give --mac and --firmware-version to build the board's default ID"
            }
            IdError::IsTheUds => {
                "; give the device's registration ID with -i and the UDS with --uds-file or DPS_UDS"
            }
            _ => "",
        }
    }

    /// A firmware warning as the user reads it.
    pub(crate) fn firmware_warning(w: &FirmwareWarning) -> String {
        match w {
            FirmwareWarning::OriginOverridden {
                given,
                listed,
                map,
                line,
            } => format!(
                "--flash-origin 0x{given:08x} overrides the FLASH origin 0x{listed:08x} that {} lists on line {line}",
                map.display()
            ),
            FirmwareWarning::ElfNotCompared(e) => format!(
                "the .bin + .map were not compared with the ELF beside them: {}",
                firmware_fact(e)
            ),
            _ => w.to_string(),
        }
    }

    /// A firmware error's own message, with the system's reason for a failed read worded.
    fn firmware_fact(e: &FirmwareError) -> String {
        match e {
            FirmwareError::Read { path, source } => format!(
                "cannot read {}: {}; check the path (the Arduino build writes it to the sketch's build folder)",
                path.display(),
                crate::cli::sys::io_words::read(source)
            ),
            FirmwareError::Elf {
                source: ElfError::NoSymbolTable,
                ..
            } => format!("{e}, or -b and -m"),
            FirmwareError::Elf {
                source: ElfError::SectionDisagrees { .. },
                ..
            } => format!("{e}, or use -b and -m"),
            _ => e.to_string(),
        }
    }

    /// The whole message for a firmware error.
    pub(super) fn firmware_text(e: &FirmwareError) -> String {
        match e {
            // The flag the value came from leads the sentence.
            FirmwareError::FlashOriginWithoutMap { elf } => format!(
                "--flash-origin applies to a .map (it is the address of the .bin's first byte), but the firmware is read from the ELF {}, which holds its own addresses; drop --flash-origin, or give -b and -m",
                elf.display()
            ),
            _ => format!("{}{}", firmware_fact(e), firmware(e)),
        }
    }

    fn firmware(e: &FirmwareError) -> &'static str {
        match e {
            FirmwareError::ProjectNotFound { .. } => {
                "; build the sketch first, or give the files with -e, or -b and -m"
            }
            FirmwareError::NotAMap { .. } => {
                "; give that file with -m (an .elf goes with -e, a .bin with -b)"
            }
            FirmwareError::NoFlashRegion { .. } => {
                "; give the map that the Arduino build wrote beside the .bin, or give that address with --flash-origin HEX (0x0800C000 for an AZ3166 application)"
            }
            FirmwareError::TooLarge { .. } => {
                "; check the path: -m takes NAME.ino.map and -e NAME.ino.elf from the sketch's build folder"
            }
            FirmwareError::FlashOriginWithoutMap { .. } => {
                "; drop --flash-origin, or give -b and -m"
            }
            FirmwareError::Elf { source, .. } => match source {
                ElfError::NotElf => {
                    "; -e takes the NAME.ino.elf that the Arduino build writes beside the .bin (for the .bin, use -b with -m)"
                }
                ElfError::Damaged { .. } => "; rebuild the sketch, or use -b and -m",
                // (Its advice is in `firmware_fact`: the same when an ELF found beside the
                // .bin + .map cannot be compared.)
                ElfError::NoSymbolTable => "",
                ElfError::NoContents { .. } => {
                    "; use the NAME.ino.elf of a complete build, or -b and -m"
                }
                _ => "",
            },
            _ => "",
        }
    }

    pub(super) fn port(e: &LinkError, flag: &str) -> String {
        match e {
            LinkError::Choice(PortChoiceError::NoDevKit { .. }) => {
                format!(
                    "; plug the board in (its micro-USB port), or give its port with {flag} PORT"
                )
            }
            LinkError::Choice(PortChoiceError::Several { .. }) => {
                format!("; choose one with {flag} PORT")
            }
            LinkError::Choice(PortChoiceError::EmptyName) => {
                format!("; give {flag} a port name (COM3, /dev/ttyACM0) or auto")
            }
            _ => String::new(),
        }
    }

    pub(super) fn session(e: &SessionError) -> &'static str {
        match e {
            SessionError::NoConsole { normal_boot: false } => {
                "; hold button A, press and release Reset, let go of A while the tool waits (or give a longer --timeout)"
            }
            SessionError::SetUds(SetUdsError::Failed(_)) => {
                "; put the board in configuration mode again and retry; if it keeps failing, the board's secure element may be faulty"
            }
            SessionError::SetUds(SetUdsError::NotSupported(_)) => {
                "; this firmware predates DPS support: flash a sketch built with DevKit SDK 1.3.0 or later, then retry"
            }
            SessionError::SetUds(
                SetUdsError::Usage(_)
                | SetUdsError::Invalid
                | SetUdsError::Unrecognised(_)
                | SetUdsError::TooLong { .. },
            ) => "; retry, and check that the port is the DevKit's",
            _ => "",
        }
    }

    /// The whole message for a batch error.
    pub(super) fn batch_text(e: &BatchError) -> String {
        match e {
            // The flag is inside the sentence.
            BatchError::JsonlColumn { manifest, column } => format!(
                "the manifest {} has a column named {column}, a field every --jsonl line has already; rename that column",
                manifest.display()
            ),
            BatchError::Manifest(ManifestError::Read { path, source }) => format!(
                "cannot read the manifest {}: {}; check the --manifest path",
                path.display(),
                crate::cli::sys::io_words::read(source)
            ),
            _ => format!("{e}{}", batch(e)),
        }
    }

    fn batch(e: &BatchError) -> &'static str {
        match e {
            BatchError::InvalidRows { .. } => {
                ": fix them, or use --keep-going to write the valid rows"
            }
            BatchError::SummaryExists { .. } => {
                "; use --force to overwrite it, or choose another --out-dir"
            }
            BatchError::OutDirNotFolder { .. } => "; choose another --out-dir",
            BatchError::Threads { .. } => "; try a smaller --jobs",
            _ => "",
        }
    }
}

impl From<UdsSourceError> for Error {
    fn from(e: UdsSourceError) -> Self {
        match e {
            // A bad `-u` is a bad UDS, as when it is parsed anywhere else.
            UdsSourceError::Flag(e) => Error::Uds(e),
            e => Error::UdsSource(e),
        }
    }
}

impl From<CertSourceError> for Error {
    fn from(e: CertSourceError) -> Self {
        match e {
            CertSourceError::Input(e) => Error::CertInput(e),
            CertSourceError::Certificate(e) => Error::Certificate(e),
        }
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Derive(DeriveError::Key(e))
    }
}

impl From<CertBuildError> for Error {
    fn from(e: CertBuildError) -> Self {
        Error::Derive(DeriveError::Cert(e))
    }
}

impl Error {
    /// Whether the user's input or arguments caused the failure (exit status 2) rather
    /// than the system or the tool (exit status 1).
    pub(crate) fn is_input_error(&self) -> bool {
        match self {
            Error::Missing(_) | Error::Uds(_) | Error::Id(_) | Error::Firmware(_) => true,
            Error::Derive(DeriveError::Key(e)) => !e.is_defect(),
            Error::Derive(DeriveError::Cert(_)) | Error::Random(_) => false,
            Error::Output(e) => e.is_input_error(),
            Error::UdsSource(_) => true,
            Error::Prompt(e) => e.is_input_error(),
            Error::Certificate(_) | Error::CertInput(_) | Error::ExtraOutput(_) => true,
            Error::Batch(e) => e.is_input_error(),
            Error::Summary(_) => false,
            Error::Port {
                source:
                    crate::cli::board::link::LinkError::Choice(
                        dps_cert_gen::board::port_choice::PortChoiceError::EmptyName,
                    ),
                ..
            } => true,
            Error::SaveUdsExists { .. } => true,
            Error::Dps(e) => e.is_input_error(),
            Error::Port { .. }
            | Error::Board(_)
            | Error::NoRegistrationId(_)
            | Error::IdConflict(_) => false,
        }
    }

    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        // Ctrl-C at a prompt, while talking to the board, or during a batch (which stopped
        // between files and wrote its summary first).
        if let Error::Prompt(crate::cli::input::prompt::PromptError::Interrupted)
        | Error::Board(crate::cli::board::session::SessionError::Interrupted)
        | Error::Batch(dps_cert_gen::batch::engine::BatchError::Interrupted { .. }) = self
        {
            return 130; // 128 + SIGINT, as if Ctrl-C had killed the process
        }
        if self.is_input_error() { 2 } else { 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dps_cert_gen::riot::keys::KeyName;

    #[test]
    fn exit_codes() {
        assert_eq!(
            Error::from(UdsError::WrongLength { found: 3 }).exit_code(),
            2
        );
        assert_eq!(Error::from(IdError::EmptyId).exit_code(), 2);
        assert_eq!(
            Error::from(KeyError::OutOfRange(KeyName::Alias)).exit_code(),
            2
        );
        assert_eq!(Error::from(CertBuildError("x".into())).exit_code(), 1);
        let exists = OutputError::Exists { path: "a".into() };
        assert_eq!(Error::from(exists).exit_code(), 2);
        let write = OutputError::Write {
            path: "a".into(),
            reason: "disk full".into(),
            what: crate::cli::output::files::Written::Out,
        };
        assert_eq!(Error::from(write).exit_code(), 1);
        let interrupted = dps_cert_gen::batch::engine::BatchError::Interrupted {
            written: 1,
            total: 2,
            summary: "certs/summary.csv".into(),
        };
        assert_eq!(Error::Batch(interrupted).exit_code(), 130);
    }

    #[test]
    fn a_failed_write_advises_the_flag_that_chose_the_output() {
        use crate::cli::output::files::Written;
        let text = |what| {
            Error::from(OutputError::Write {
                path: "f".into(),
                reason: "no space left on the device".into(),
                what,
            })
            .to_string()
        };
        assert_eq!(
            text(Written::Out),
            "cannot write f: no space left on the device; choose a folder you can write to with -o"
        );
        assert_eq!(
            text(Written::NewUds("--save-uds")),
            "cannot write f: no space left on the device; give --save-uds a file in a folder you can write to and run again (the new UDS was not kept, nor sent to the board)"
        );
        for what in [
            Written::OutDir,
            Written::InOutDir,
            Written::Jsonl,
            Written::NewUds("--save"),
        ] {
            assert!(!text(what).contains(" -o"), "{}", text(what));
        }
    }

    #[test]
    fn out_of_range_key_message_tells_what_to_do() {
        assert_eq!(
            Error::from(KeyError::OutOfRange(KeyName::DeviceId)).to_string(),
            "with this UDS and firmware the DeviceID private key falls outside the P-256 range (spec section 4): the board would loop for ever at boot and never register; set another UDS on the board with `set_dps_uds` (or rebuild the firmware) and run again"
        );
    }
}
