//! Writing outputs: all-or-nothing (the complete file is made in the target folder before it
//! gets its name: see [`crate::atomic_file`]), never over an existing file unless asked.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Why an output was not written.
#[derive(Debug, Error)]
pub enum OutputError {
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
    pub fn is_input_error(&self) -> bool {
        matches!(self, OutputError::Exists { .. })
    }
}

/// Fails early, before any work, when `path` exists and `force` is off.
pub fn check_writable(path: &Path, force: bool) -> Result<(), OutputError> {
    if !force && path.symlink_metadata().is_ok() {
        return Err(OutputError::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically with the given permission bits (before umask).
pub fn write_atomic(path: &Path, bytes: &[u8], force: bool, mode: u32) -> Result<(), OutputError> {
    check_writable(path, force)?;
    let fail = |e: std::io::Error| OutputError::Write {
        path: path.to_path_buf(),
        reason: crate::atomic_file::reason(&e),
    };
    let staged = crate::atomic_file::stage(path, bytes, mode).map_err(fail)?;
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

/// How [`write_atomic_with`] writes a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Replace an existing file.
    pub force: bool,
    /// Permission bits (before umask).
    pub mode: u32,
    /// Flush the file to disk before the rename. A batch writes many files without it, and
    /// flushes them all at once with [`sync_filesystem`].
    pub sync: bool,
}

/// Writes `path` atomically: `fill` writes the contents into a temporary file in the same
/// folder, which is renamed over `path` only if `fill` succeeded. On any failure the
/// temporary file is removed and `path` is untouched.
pub fn write_atomic_with(
    path: &Path,
    options: WriteOptions,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    // No `check_writable` first: the no-clobber rename refuses an existing file anyway, and
    // a batch has checked every file before it starts.
    let fail = |e: std::io::Error| OutputError::Write {
        path: path.to_path_buf(),
        reason: crate::atomic_file::reason(&e),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(options.mode))
        .tempfile_in(dir)
        .map_err(fail)?;
    fill(tmp.as_file_mut()).map_err(fail)?;
    if options.sync {
        tmp.as_file().sync_all().map_err(fail)?;
    }
    if options.force {
        tmp.persist(path).map_err(|e| fail(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                fail(e.error)
            }
        })?;
    }
    Ok(())
}

/// Flushes everything written to the file system holding `dir` to disk (`syncfs`).
pub fn sync_filesystem(dir: &Path) -> Result<(), OutputError> {
    let fail = |e: std::io::Error| OutputError::Write {
        path: dir.to_path_buf(),
        reason: crate::atomic_file::reason(&e),
    };
    let handle = std::fs::File::open(dir).map_err(fail)?;
    rustix::fs::syncfs(&handle).map_err(|e| fail(e.into()))
}
