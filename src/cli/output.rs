//! Writing outputs: all-or-nothing (the complete file is made in the target folder before it
//! gets its name: see [`crate::cli::sys::staged_file`]), never over an existing file unless asked.

use crate::cli::sys::staged_file::Sync;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an output was not written.
#[derive(Debug, Error)]
pub(crate) enum OutputError {
    /// The file exists and overwriting was not asked for.
    #[error("{} already exists; use --force to overwrite it, or choose another file name", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// Standard output could not be written (a full disk behind `>`, a closed file): no
    /// command that writes there has a `-o` to point to, so the advice is the redirection.
    #[error("cannot write standard output: {reason}; send it (> FILE) to a place you can write to")]
    Stdout {
        /// The system's words.
        reason: String,
    },
    /// The system refused the write.
    #[error("cannot write {}: {reason}; choose a folder you can write to with -o", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's words.
        reason: String,
    },
}

impl OutputError {
    /// Whether the user's input caused it (an existing file) rather than the system.
    pub(crate) fn is_input_error(&self) -> bool {
        matches!(self, OutputError::Exists { .. })
    }
}

/// Fails early, before any work, when `path` exists and `force` is off.
pub(crate) fn check_writable(path: &Path, force: bool) -> Result<(), OutputError> {
    if !force && path.symlink_metadata().is_ok() {
        return Err(OutputError::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically with the given permission bits (before umask).
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    force: bool,
    mode: u32,
) -> Result<(), OutputError> {
    check_writable(path, force)?;
    let fail = |e: std::io::Error| OutputError::Write {
        path: path.to_path_buf(),
        reason: dps_cert_gen::text::io_reason::reason(&e),
    };
    let staged = crate::cli::sys::staged_file::stage(path, bytes, mode).map_err(fail)?;
    staged.persist(path, force).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            OutputError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            fail(e)
        }
    })?;
    Ok(())
}

/// Flushes everything written to the file system holding `dir` to disk (a batch's files,
/// staged with [`Sync::Deferred`]).
pub(crate) fn sync_filesystem(dir: &Path) -> Result<(), OutputError> {
    crate::cli::sys::staged_file::sync_filesystem(dir).map_err(|e| OutputError::Write {
        path: dir.to_path_buf(),
        reason: dps_cert_gen::text::io_reason::reason(&e),
    })
}

/// Files staged with [`Sync::Deferred`] and named as they come: a batch's certificates.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchFiles {
    /// Overwrite existing files.
    pub force: bool,
}

impl dps_cert_gen::batch::engine::CertSink for BatchFiles {
    fn write(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        crate::cli::sys::staged_file::stage_with(path, 0o644, Sync::Deferred, |f| {
            f.write_all(contents)
        })?
        .persist(path, self.force)
    }
}
