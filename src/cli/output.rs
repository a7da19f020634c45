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
    /// Something other than a regular file is at the path: never replaced, even with
    /// `--force` (a device such as `/dev/null`, a FIFO, a socket, a link, a folder).
    #[error("{} is {kind}, not a regular file; the tool never replaces one (not even with --force): give the path of a file, or -o - to write to standard output", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What is there, in words.
        kind: &'static str,
    },
    /// The path ends with a slash (a folder's name) and there is no such folder.
    #[error("{} ends with a slash, so it names a folder, and that folder does not exist; -o takes a file name: make the folder first and give a file in it, like {}my-device.pem", path.display(), path.display())]
    MissingFolder {
        /// The path.
        path: PathBuf,
    },
    /// The `-o` path holds the UDS: the file name would carry the secret.
    #[error(
        "the output path given with -o holds the UDS; a certificate's file name is seen wherever the certificate goes, so choose another name with -o (or leave it out for <registration-id>.pem)"
    )]
    NameHoldsUds,
    /// Another batch run holds the output folder.
    #[error("another dps-cert-gen batch is writing to {} (it holds {}); wait for it to finish, or choose another --out-dir", dir.display(), dir.join(crate::cli::sys::folder_lock::LOCK_FILE).display())]
    Busy {
        /// The output folder.
        dir: PathBuf,
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
        matches!(
            self,
            OutputError::Exists { .. }
                | OutputError::NotAFile { .. }
                | OutputError::MissingFolder { .. }
                | OutputError::NameHoldsUds
        )
    }
}

/// What is at a path that is not a regular file, in words (`None` for a regular file).
pub(crate) fn not_a_file(meta: &std::fs::Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        None
    } else if kind.is_symlink() {
        Some("a symbolic link")
    } else if kind.is_dir() {
        Some("a folder")
    } else {
        Some("a device, a FIFO or a socket")
    }
}

/// Fails early, before any work and before any write, when something other than a regular
/// file is at `path` (with or without `force`), or a file is there and `force` is off.
pub(crate) fn check_writable(path: &Path, force: bool) -> Result<(), OutputError> {
    let names_folder = path
        .as_os_str()
        .to_string_lossy()
        .ends_with(['/', std::path::MAIN_SEPARATOR]);
    let Ok(meta) = path.symlink_metadata() else {
        if names_folder {
            return Err(OutputError::MissingFolder {
                path: path.to_path_buf(),
            });
        }
        return Ok(());
    };
    if let Some(kind) = not_a_file(&meta) {
        return Err(OutputError::NotAFile {
            path: path.to_path_buf(),
            kind,
        });
    }
    if !force {
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

/// The output folder of a batch, made if missing and locked for this run (see
/// [`crate::cli::sys::folder_lock`]). Dropping it releases the lock, and removes the folder
/// again if this run made it and left it empty (a run refused before any write).
#[derive(Debug)]
pub(crate) struct OutDir {
    lock: Option<crate::cli::sys::folder_lock::FolderLock>,
    made: Option<PathBuf>,
}

/// Makes `dir` if missing and takes its lock; another run holding it is an error at once.
pub(crate) fn lock_out_dir(dir: &Path) -> Result<OutDir, OutputError> {
    use crate::cli::sys::folder_lock::{Locked, lock_folder};
    let fail = |e: std::io::Error| OutputError::Write {
        path: dir.to_path_buf(),
        reason: dps_cert_gen::text::io_reason::reason(&e),
    };
    let made = (!dir.exists()).then(|| dir.to_path_buf());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let mut out = OutDir { lock: None, made };
    match lock_folder(dir).map_err(fail)? {
        Locked::Held(lock) => out.lock = Some(lock),
        Locked::Busy => {
            out.made = None;
            return Err(OutputError::Busy {
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(out)
}

impl Drop for OutDir {
    fn drop(&mut self) {
        drop(self.lock.take());
        if let Some(dir) = &self.made {
            // Fails, as it should, unless the folder is empty.
            let _ = std::fs::remove_dir(dir);
        }
    }
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
