//! Writing outputs: all-or-nothing (the complete file is made in the target folder before it
//! gets its name: see [`crate::cli::sys::staged_file`]), never over an existing file unless asked.

use crate::cli::sys::staged_file::{StagedFile, Sync};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Files staged with [`Sync::Deferred`] and named as they come: a batch's certificates.
/// [`BatchFiles::sync`] then flushes exactly these files (and their folder) to disk.
#[derive(Debug, Default)]
pub(crate) struct BatchFiles {
    /// Overwrite existing files.
    pub force: bool,
    /// The files named so far.
    written: Mutex<Vec<PathBuf>>,
}

impl BatchFiles {
    /// A writer of batch files, overwriting existing ones with `force`.
    pub(crate) fn new(force: bool) -> Self {
        Self {
            force,
            written: Mutex::new(Vec::new()),
        }
    }

    /// Flushes every file written so far, and the folder `dir` they are in, to disk: they
    /// survive a power cut once this returns.
    pub(crate) fn sync(&self, dir: &Path) -> Result<(), OutputError> {
        let written = self.written.lock().map(|w| w.clone()).unwrap_or_default();
        crate::cli::sys::staged_file::sync_files(&written, dir).map_err(|e| OutputError::Write {
            path: dir.to_path_buf(),
            reason: dps_cert_gen::text::io_reason::reason(&e),
        })
    }
}

impl dps_cert_gen::batch::engine::CertSink for BatchFiles {
    fn write(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        crate::cli::sys::staged_file::stage_with(path, 0o644, Sync::Deferred, |f| {
            f.write_all(contents)
        })?
        .persist(path, self.force)?;
        if let Ok(mut written) = self.written.lock() {
            written.push(path.to_path_buf());
        }
        Ok(())
    }
}

/// Bytes gathered before they are written to the JSON-lines file.
const JSONL_BUFFER: usize = 256 << 10;

/// A batch's one JSON-lines file (`batch --jsonl`): every certificate's line is appended to
/// one staged file, which gets its name only by [`JsonLines::persist`], flushed to disk;
/// dropped instead, it leaves nothing.
#[derive(Debug)]
pub(crate) struct JsonLines {
    path: PathBuf,
    force: bool,
    staged: Mutex<(StagedFile, Vec<u8>)>,
    /// Set by the first failed write: no later line is taken, and the file must not be named.
    error: AtomicBool,
}

impl JsonLines {
    /// Stages the (empty) file for `path`; an existing `path` is refused unless `force`.
    pub(crate) fn create(path: &Path, force: bool) -> Result<Self, OutputError> {
        check_writable(path, force)?;
        let staged = crate::cli::sys::staged_file::create(path, 0o644, Sync::Now)
            .map_err(|e| write_error(path, &e))?;
        Ok(Self {
            path: path.to_path_buf(),
            force,
            staged: Mutex::new((staged, Vec::with_capacity(JSONL_BUFFER))),
            error: AtomicBool::new(false),
        })
    }

    /// Whether a write failed (the file is then incomplete).
    pub(crate) fn had_error(&self) -> bool {
        self.error.load(Ordering::Relaxed)
    }

    /// Writes the rest, flushes the file to disk and gives it its name.
    pub(crate) fn persist(self) -> Result<(), OutputError> {
        let path = self.path;
        let (mut staged, buffer) = self
            .staged
            .into_inner()
            .map_err(|_| write_error(&path, &std::io::Error::other("a writer failed")))?;
        staged
            .file_mut()
            .write_all(&buffer)
            .map_err(|e| write_error(&path, &e))?;
        staged.persist(&path, self.force).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists { path: path.clone() }
            } else {
                write_error(&path, &e)
            }
        })
    }
}

impl dps_cert_gen::batch::engine::CertSink for JsonLines {
    fn write(&self, _path: &Path, line: &[u8]) -> std::io::Result<()> {
        let result = self.append(line);
        if result.is_err() {
            self.error.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl JsonLines {
    fn append(&self, line: &[u8]) -> std::io::Result<()> {
        if self.had_error() {
            return Err(std::io::Error::other(
                "an earlier line could not be written",
            ));
        }
        let mut guard = self
            .staged
            .lock()
            .map_err(|_| std::io::Error::other("a writer failed"))?;
        let (staged, buffer) = &mut *guard;
        buffer.extend_from_slice(line);
        if buffer.len() >= JSONL_BUFFER {
            let result = staged.file_mut().write_all(buffer);
            buffer.clear();
            result?;
        }
        Ok(())
    }
}

fn write_error(path: &Path, e: &std::io::Error) -> OutputError {
    OutputError::Write {
        path: path.to_path_buf(),
        reason: dps_cert_gen::text::io_reason::reason(e),
    }
}
