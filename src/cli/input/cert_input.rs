//! Where a certificate to inspect or verify comes from (a file, or standard input with `-`),
//! and reading it whole, bounded.

use dps_cert_gen::cert::inspect::{CertificateError, Inspection, inspect_bytes};
use dps_cert_gen::cert::reader::MAX_INPUT_BYTES;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why no certificate could be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CertInputError {
    /// Standard input is a terminal and no file was named.
    #[error(
        "no certificate given: name a file ({command} cert.pem), or pipe one in (... | dps-cert-gen {command} -)"
    )]
    NoInput {
        /// The command that wants the certificate (`inspect`, `verify`).
        command: &'static str,
    },
    /// The file or standard input could not be read.
    #[error("cannot read {source_name}: {reason}; check the path")]
    Unreadable {
        /// File name or "standard input".
        source_name: String,
        /// The system's words.
        reason: String,
    },
    /// Far too large to be a certificate.
    #[error(
        "{source_name} is larger than 1 MiB, far too large for a certificate; give the certificate file itself"
    )]
    TooLarge {
        /// File name or "standard input".
        source_name: String,
    },
}

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertSource {
    /// A file.
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
}

impl CertSource {
    /// `-` means standard input; anything else is a file.
    pub(crate) fn from_arg(arg: Option<&Path>) -> Self {
        match arg {
            None => CertSource::Stdin,
            Some(p) if p.as_os_str() == "-" => CertSource::Stdin,
            Some(p) => CertSource::File(p.to_path_buf()),
        }
    }

    /// Reads the whole input (at most [`MAX_INPUT_BYTES`]) for `command` (named in the
    /// hint when standard input is a terminal).
    pub(crate) fn read(&self, command: &'static str) -> Result<Vec<u8>, CertInputError> {
        if *self == CertSource::Stdin && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            return Err(CertInputError::NoInput { command });
        }
        if let CertSource::File(path) = self
            && let Some(reason) = crate::cli::sys::input_kind::refusal(path, Some(command))
        {
            return Err(CertInputError::Unreadable {
                source_name: self.to_string(),
                reason,
            });
        }
        let mut bytes = Vec::new();
        let result = match self {
            CertSource::File(path) => std::fs::File::open(path)
                .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)),
            CertSource::Stdin => std::io::stdin()
                .lock()
                .take(MAX_INPUT_BYTES + 1)
                .read_to_end(&mut bytes),
        };
        result.map_err(|e| CertInputError::Unreadable {
            source_name: self.to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => crate::cli::sys::io_words::write(&e),
            },
        })?;
        if bytes.len() as u64 > MAX_INPUT_BYTES {
            return Err(CertInputError::TooLarge {
                source_name: self.to_string(),
            });
        }
        Ok(bytes)
    }
}

impl fmt::Display for CertSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertSource::File(p) => write!(f, "{}", p.display()),
            CertSource::Stdin => f.write_str("standard input"),
        }
    }
}

/// Why a certificate from a file or standard input could not be inspected.
#[derive(Debug)]
pub(crate) enum CertSourceError {
    /// It could not be read.
    Input(CertInputError),
    /// What was read is not a certificate of the right kind.
    Certificate(CertificateError),
}

/// Reads and inspects a certificate from a file or standard input, for `command`.
pub(crate) fn inspect_source(
    source: &CertSource,
    command: &'static str,
) -> Result<Inspection, CertSourceError> {
    let bytes = source.read(command).map_err(CertSourceError::Input)?;
    inspect_bytes(&bytes, &source.to_string())
        .map_err(|e| CertSourceError::Certificate(CertificateError::from(e)))
}
