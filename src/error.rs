//! The library's error type, and which errors are the input's fault (exit status 2) and
//! which are not (exit status 1).

use crate::alias_cert::CertBuildError;
use crate::derivation::DeriveError;
use crate::firmware::FirmwareError;
use crate::output::OutputError;
use crate::registration_id::IdError;
use crate::riot::KeyError;
use crate::uds::UdsError;
use thiserror::Error;

/// Any failure of the tool.
#[derive(Debug, Error)]
pub enum Error {
    /// A required input was not given (and cannot be asked for).
    #[error("missing {0}")]
    Missing(String),
    /// Bad UDS.
    #[error(transparent)]
    Uds(#[from] UdsError),
    /// Bad registration ID, MAC or version.
    #[error(transparent)]
    Id(#[from] IdError),
    /// Firmware files missing, unreadable or inconsistent.
    #[error(transparent)]
    Firmware(#[from] FirmwareError),
    /// The derivation failed.
    #[error(transparent)]
    Derive(#[from] DeriveError),
    /// The system's random source failed.
    #[error(transparent)]
    Random(#[from] crate::uds_command::RandomError),
    /// An output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The batch command failed (manifest, rows, writes).
    #[error(transparent)]
    Batch(#[from] crate::batch::BatchError),
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
    pub fn is_input_error(&self) -> bool {
        match self {
            Error::Missing(_) | Error::Uds(_) | Error::Id(_) | Error::Firmware(_) => true,
            Error::Derive(DeriveError::Key(_)) => true,
            Error::Derive(DeriveError::Cert(_)) | Error::Random(_) => false,
            Error::Output(e) => e.is_input_error(),
            Error::Batch(e) => e.is_input_error(),
        }
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        if self.is_input_error() { 2 } else { 1 }
    }
}
