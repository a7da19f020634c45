//! The command line's error: the wording a user reads (the library's facts, with the advice
//! that names this tool's flags added here), and which errors are the input's fault (exit
//! status 2) and which are not (exit status 1).

use crate::cli::output::OutputError;
use dps_cert_gen::cert::alias::CertBuildError;
use dps_cert_gen::derivation::DeriveError;
use dps_cert_gen::dice::uds::UdsError;
use dps_cert_gen::firmware::files::FirmwareError;
use dps_cert_gen::registration_id::IdError;
use dps_cert_gen::riot::keys::KeyError;
use thiserror::Error;

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
    Random(#[from] crate::cli::commands::uds::RandomError),
    /// An output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The UDS file or `DPS_UDS` could not be used.
    #[error(transparent)]
    UdsSource(#[from] crate::cli::uds_source::UdsSourceError),
    /// A prompt got no answer (end of input, Ctrl-C).
    #[error(transparent)]
    Prompt(#[from] crate::cli::prompt::PromptError),
    /// A certificate to inspect or verify could not be read, or is of the wrong kind.
    #[error(transparent)]
    Certificate(#[from] dps_cert_gen::cert::inspect::CertificateError),
    /// No certificate could be read (none given on a terminal, unreadable, far too large).
    #[error(transparent)]
    CertInput(#[from] crate::cli::cert_input::CertInputError),
    /// Extra outputs asked for in a way that cannot work.
    #[error(transparent)]
    ExtraOutput(#[from] crate::cli::extra_outputs::ExtraOutputError),
    /// The batch command failed (manifest, rows, writes).
    #[error("{}{}", .0, advice::batch(.0))]
    Batch(#[from] dps_cert_gen::batch::engine::BatchError),
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
    /// `--save-uds` names a file that exists.
    #[error("{} already exists (it may hold another board's UDS) and --save-uds never overwrites a file; choose a new file name", path.display())]
    SaveUdsExists {
        /// The file.
        path: std::path::PathBuf,
    },
}

/// What to do about a library error, in this tool's flags: appended to its message.
mod advice {
    use crate::cli::board::link::LinkError;
    use crate::cli::board::session::SessionError;
    use dps_cert_gen::batch::engine::BatchError;
    use dps_cert_gen::batch::manifest::ManifestError;
    use dps_cert_gen::board::console::SetUdsError;
    use dps_cert_gen::board::port_choice::PortChoiceError;
    use dps_cert_gen::firmware::elf_file::ElfError;
    use dps_cert_gen::firmware::files::FirmwareError;
    use dps_cert_gen::registration_id::IdError;

    pub(super) fn id(e: &IdError) -> &'static str {
        match e {
            IdError::EmptyId => {
                "; give one with -i, or give --mac and --firmware-version to build the board's default ID"
            }
            _ => "",
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
            _ => format!("{e}{}", firmware(e)),
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
                // Its advice stays in the library's text: it is also shown as a warning
                // when an ELF found beside the .bin + .map cannot be compared.
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
                SetUdsError::Usage(_) | SetUdsError::Invalid | SetUdsError::Unrecognised(_),
            ) => "; retry, and check that the port is the DevKit's",
            _ => "",
        }
    }

    pub(super) fn batch(e: &BatchError) -> &'static str {
        match e {
            BatchError::InvalidRows { .. } => {
                ": fix them, or use --keep-going to write the valid rows"
            }
            BatchError::SummaryExists { .. } => {
                "; use --force to overwrite it, or choose another --out-dir"
            }
            BatchError::OutDirNotFolder { .. } => "; choose another --out-dir",
            BatchError::Threads { .. } => "; try a smaller --jobs",
            BatchError::Manifest(ManifestError::Read { .. }) => "; check the --manifest path",
            _ => "",
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
            Error::Derive(DeriveError::Key(_)) => true,
            Error::Derive(DeriveError::Cert(_)) | Error::Random(_) => false,
            Error::Output(e) => e.is_input_error(),
            Error::UdsSource(_) => true,
            Error::Prompt(e) => e.is_input_error(),
            Error::Certificate(_) | Error::CertInput(_) | Error::ExtraOutput(_) => true,
            Error::Batch(e) => e.is_input_error(),
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
        if let Error::Prompt(crate::cli::prompt::PromptError::Interrupted) = self {
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
        };
        assert_eq!(Error::from(write).exit_code(), 1);
    }

    #[test]
    fn out_of_range_key_message_tells_what_to_do() {
        assert_eq!(
            Error::from(KeyError::OutOfRange(KeyName::DeviceId)).to_string(),
            "with this UDS and firmware the DeviceID private key falls outside the P-256 range (spec section 4): the board would loop for ever at boot and never register; set another UDS on the board with `set_dps_uds` (or rebuild the firmware) and run again"
        );
    }
}
