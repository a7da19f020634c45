//! An exclusive lock on an output folder, or on one output file, held for a batch run, so
//! that two runs into one folder never mix their files and two runs into one JSON-lines file
//! never both believe they wrote it: a lock file (in the folder, or beside the file), locked
//! with the system's advisory file lock (`File::try_lock`: `flock` on Unix, `LockFileEx` on
//! Windows). The second run is refused at once; nothing waits.
//!
//! The lock file is removed when the run ends. A run that opened it just before that checks,
//! once it holds a lock, that the name still leads to the file it locked, and tries again if
//! not, so that two runs never hold locks on two different files.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use super::held_folder::HeldFolder;

/// The lock file's name in the output folder.
pub(crate) const LOCK_FILE: &str = ".dps-cert-gen.lock";

/// A held lock: released (and its file removed) when dropped.
#[derive(Debug)]
pub(crate) struct FolderLock {
    file: File,
    path: PathBuf,
    /// The held folder the lock file is in (removed there, not at `path`, at the end).
    held: Option<HeldFolder>,
}

/// Whether the lock was taken.
#[derive(Debug)]
pub(crate) enum Locked {
    /// This process holds the folder.
    Held(FolderLock),
    /// Another process holds it.
    Busy,
}

/// Takes the exclusive lock on `dir` (which must exist), or says it is busy, at once.
#[cfg(test)]
pub(crate) fn lock_folder(dir: &Path) -> io::Result<Locked> {
    lock_in(&HeldFolder::open(dir, true)?)
}

/// Takes the exclusive lock on the held folder `folder`, or says it is busy, at once: the lock
/// file is made, checked and removed in the held folder itself (see
/// [`super::held_folder`]), wherever its path leads meanwhile.
pub(crate) fn lock_in(folder: &HeldFolder) -> io::Result<Locked> {
    for _ in 0..8 {
        let file = folder.open_or_create(LOCK_FILE)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(Locked::Busy),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        if folder.is(&file, LOCK_FILE) {
            return Ok(Locked::Held(FolderLock {
                file,
                path: folder.path().join(LOCK_FILE),
                held: Some(folder.clone()),
            }));
        }
    }
    Ok(Locked::Busy)
}

/// The lock file of one output file: `.NAME.dps-cert-gen.lock` beside it (hidden, as the
/// folder's is; removed when the run ends).
pub(crate) fn file_lock_path(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lock = format!(".{name}{LOCK_FILE}");
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(lock),
        _ => PathBuf::from(lock),
    }
}

/// Takes the exclusive lock on the output file `file` (its folder must exist; the file need
/// not), or says it is busy, at once.
pub(crate) fn lock_file(file: &Path) -> io::Result<Locked> {
    lock_at(&file_lock_path(file))
}

/// Takes the exclusive lock on the lock file `path`, made if missing.
fn lock_at(path: &Path) -> io::Result<Locked> {
    let path = path.to_path_buf();
    // A few tries cover the moment when the holder removes the file after we opened it.
    for _ in 0..8 {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Ok(Locked::Busy),
            Err(TryLockError::Error(e)) => return Err(e),
        }
        if same_file(&file, &path) {
            return Ok(Locked::Held(FolderLock {
                file,
                path,
                held: None,
            }));
        }
    }
    Ok(Locked::Busy)
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, _path: &Path) -> bool {
    // Elsewhere (Windows) an open file cannot be removed, so the name is always the file.
    true
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while still locked, then unlocked as the file is closed.
        match &self.held {
            Some(folder) => {
                let _ = folder.remove_file(LOCK_FILE);
            }
            None => {
                let _ = std::fs::remove_file(&self.path);
            }
        }
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_folder_is_refused_until_the_first_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_folder(dir.path()).unwrap();
        assert!(matches!(first, Locked::Held(_)));
        assert!(dir.path().join(LOCK_FILE).exists());
        assert!(matches!(lock_folder(dir.path()).unwrap(), Locked::Busy));
        drop(first);
        assert!(
            !dir.path().join(LOCK_FILE).exists(),
            "the lock file is removed"
        );
        assert!(matches!(lock_folder(dir.path()).unwrap(), Locked::Held(_)));
    }

    #[test]
    fn a_file_is_locked_by_a_hidden_file_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.jsonl");
        assert_eq!(
            file_lock_path(&file),
            dir.path().join(".c.jsonl.dps-cert-gen.lock")
        );
        assert_eq!(
            file_lock_path(Path::new("c.jsonl")),
            Path::new(".c.jsonl.dps-cert-gen.lock")
        );
        let first = lock_file(&file).unwrap();
        assert!(matches!(first, Locked::Held(_)));
        assert!(matches!(lock_file(&file).unwrap(), Locked::Busy));
        // The folder's own lock is another one.
        assert!(matches!(lock_folder(dir.path()).unwrap(), Locked::Held(_)));
        drop(first);
        assert_eq!(
            crate::cli::test_support::names_in(dir.path()),
            Vec::<String>::new()
        );
    }
}
