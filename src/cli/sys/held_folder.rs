//! A batch's output folder held open for the whole run, so that moving the folder or putting
//! a symbolic link in its place mid-run cannot redirect a single write.
//!
//! On Unix the folder is opened once (`O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC`) and every
//! operation of the run (the lock file, the listing, the files staged and named, the stale
//! temporary files removed, the flush, the summary) is made relative to that descriptor
//! (`openat`, `linkat`, `renameat`, `unlinkat`). At the end, [`HeldFolder::whereabouts`] tells
//! whether the path given still leads to it. On Windows the folder is held by a handle opened
//! without `FILE_SHARE_DELETE`, so that it cannot be renamed or removed during the run; the
//! operations there stay path-based.

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The output folder, held open (cheap to clone: the clones share it).
#[derive(Debug, Clone)]
pub(crate) struct HeldFolder {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    #[cfg(unix)]
    fd: std::os::fd::OwnedFd,
    /// The handle that keeps the folder from being renamed or removed, until
    /// [`HeldFolder::let_go`].
    #[cfg(not(unix))]
    handle: std::sync::Mutex<Option<File>>,
}

/// Where the held folder is at the end of the run, against the path given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Whereabouts {
    /// The path still leads to it.
    Here,
    /// The path leads elsewhere (the folder was moved, a link or another folder put in its
    /// place); `now` is the folder's own path now, where the system can tell it.
    #[cfg_attr(
        not(unix),
        expect(
            dead_code,
            reason = "on Windows the held handle keeps the folder from being moved"
        )
    )]
    Moved { now: Option<PathBuf> },
    /// The folder was removed: what was written into it is gone.
    Deleted,
}

/// What a name in the folder is (`None`: nothing by that name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryKind {
    File,
    Link,
    Folder,
    Other,
}

impl HeldFolder {
    /// Opens the folder `dir` (which exists) and holds it. A symbolic link as the last part of
    /// `dir` is followed only with `follow_link` (the user named a link that was there before
    /// the run); otherwise it is refused.
    pub(crate) fn open(dir: &Path, follow_link: bool) -> io::Result<Self> {
        #[cfg(unix)]
        {
            use rustix::fs::{CWD, Mode, OFlags};
            let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            if !follow_link {
                flags |= OFlags::NOFOLLOW;
            }
            let fd = rustix::fs::openat(CWD, dir, flags, Mode::empty())?;
            Ok(Self {
                inner: Arc::new(Inner {
                    path: dir.to_path_buf(),
                    fd,
                }),
            })
        }
        #[cfg(not(unix))]
        {
            use std::os::windows::fs::OpenOptionsExt;
            let _ = follow_link;
            /// `FILE_FLAG_BACKUP_SEMANTICS`: needed to open a folder.
            const BACKUP_SEMANTICS: u32 = 0x0200_0000;
            /// `FILE_SHARE_READ | FILE_SHARE_WRITE`, not `FILE_SHARE_DELETE`: no rename, no
            /// removal of the folder while it is held.
            const SHARE_READ_WRITE: u32 = 3;
            let handle = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(BACKUP_SEMANTICS)
                .share_mode(SHARE_READ_WRITE)
                .open(dir)?;
            Ok(Self {
                inner: Arc::new(Inner {
                    path: dir.to_path_buf(),
                    handle: std::sync::Mutex::new(Some(handle)),
                }),
            })
        }
    }

    /// Lets the folder be renamed or removed again (Windows: closes the handle, so that the
    /// run's own removal of the empty folder it made is not refused); on Unix nothing.
    pub(crate) fn let_go(&self) {
        #[cfg(not(unix))]
        if let Ok(mut handle) = self.inner.handle.lock() {
            drop(handle.take());
        }
    }

    /// The folder's path as given.
    pub(crate) fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The descriptor, for the other modules of `sys` that work relative to it.
    #[cfg(unix)]
    pub(super) fn fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.inner.fd.as_fd()
    }

    /// The names in the folder (not `.` and `..`).
    pub(crate) fn names(&self) -> io::Result<Vec<OsString>> {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let mut names = Vec::new();
            for entry in rustix::fs::Dir::read_from(self.fd())? {
                let entry = entry?;
                let name = entry.file_name().to_bytes();
                if name != b"." && name != b".." {
                    names.push(std::ffi::OsStr::from_bytes(name).to_os_string());
                }
            }
            Ok(names)
        }
        #[cfg(not(unix))]
        std::fs::read_dir(self.path())?
            .map(|e| e.map(|e| e.file_name()))
            .collect()
    }

    /// What `name` is in the folder, not following a link; `None` if nothing is there.
    pub(crate) fn kind_of(&self, name: &str) -> io::Result<Option<EntryKind>> {
        #[cfg(unix)]
        let kind = {
            use rustix::fs::{AtFlags, FileType};
            match rustix::fs::statat(self.fd(), name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => match FileType::from_raw_mode(stat.st_mode) {
                    FileType::RegularFile => EntryKind::File,
                    FileType::Symlink => EntryKind::Link,
                    FileType::Directory => EntryKind::Folder,
                    _ => EntryKind::Other,
                },
                Err(rustix::io::Errno::NOENT) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        };
        #[cfg(not(unix))]
        let kind = match self.path().join(name).symlink_metadata() {
            Ok(m) if m.is_file() => EntryKind::File,
            Ok(m) if m.is_symlink() => EntryKind::Link,
            Ok(m) if m.is_dir() => EntryKind::Folder,
            Ok(_) => EntryKind::Other,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(Some(kind))
    }

    /// Opens the regular file `name` to read it (a link is not followed), or on Windows with
    /// write access too, to flush it (`FlushFileBuffers` refuses a read-only handle).
    pub(crate) fn open_file(&self, name: &str, write: bool) -> io::Result<File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let _ = write;
            let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            Ok(rustix::fs::openat(self.fd(), name, flags, Mode::empty())?.into())
        }
        #[cfg(not(unix))]
        std::fs::OpenOptions::new()
            .read(true)
            .write(write)
            .open(self.path().join(name))
    }

    /// Opens `name` to read and write, made if missing (a lock file).
    pub(crate) fn open_or_create(&self, name: &str) -> io::Result<File> {
        #[cfg(unix)]
        {
            use rustix::fs::{Mode, OFlags};
            let flags = OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            Ok(rustix::fs::openat(self.fd(), name, flags, Mode::from_bits_truncate(0o666))?.into())
        }
        #[cfg(not(unix))]
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path().join(name))
    }

    /// Whether `name` in the folder is the open `file` (the same device and inode); on
    /// Windows, where an open file cannot be removed, always.
    pub(crate) fn is(&self, file: &File, name: &str) -> bool {
        #[cfg(unix)]
        {
            use rustix::fs::AtFlags;
            match (
                rustix::fs::fstat(file),
                rustix::fs::statat(self.fd(), name, AtFlags::SYMLINK_NOFOLLOW),
            ) {
                (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
                _ => false,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (file, name);
            true
        }
    }

    /// Removes the file `name` from the folder.
    pub(crate) fn remove_file(&self, name: &str) -> io::Result<()> {
        #[cfg(unix)]
        return Ok(rustix::fs::unlinkat(
            self.fd(),
            name,
            rustix::fs::AtFlags::empty(),
        )?);
        #[cfg(not(unix))]
        std::fs::remove_file(self.path().join(name))
    }

    /// Flushes the folder's names to disk; a folder that cannot be flushed (some systems) is
    /// not an error.
    pub(crate) fn sync(&self) -> io::Result<()> {
        #[cfg(unix)]
        match rustix::fs::fsync(self.fd()) {
            Err(rustix::io::Errno::INVAL) => Ok(()),
            other => Ok(other?),
        }
        #[cfg(not(unix))]
        {
            if let Ok(dir) = File::open(self.path()) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
    }

    /// Whether the path given still leads to the held folder.
    pub(crate) fn whereabouts(&self) -> Whereabouts {
        #[cfg(unix)]
        {
            let Ok(held) = rustix::fs::fstat(self.fd()) else {
                return Whereabouts::Moved { now: None };
            };
            if held.st_nlink == 0 {
                return Whereabouts::Deleted;
            }
            match rustix::fs::stat(self.path()) {
                Ok(s) if s.st_dev == held.st_dev && s.st_ino == held.st_ino => Whereabouts::Here,
                _ => match self.current_path() {
                    Some(Ok(now)) => Whereabouts::Moved { now: Some(now) },
                    Some(Err(())) => Whereabouts::Deleted,
                    None => Whereabouts::Moved { now: None },
                },
            }
        }
        // The folder cannot be moved or removed while its handle is held.
        #[cfg(not(unix))]
        Whereabouts::Here
    }

    /// The folder's own path now, as the system tells it (`Err` if it says it was removed),
    /// or `None` where it cannot be told.
    #[cfg(unix)]
    fn current_path(&self) -> Option<Result<PathBuf, ()>> {
        use std::os::unix::ffi::OsStringExt;
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let found = {
            use std::os::fd::AsRawFd;
            rustix::fs::readlink(
                format!("/proc/self/fd/{}", self.fd().as_raw_fd()),
                Vec::new(),
            )
        };
        #[cfg(target_vendor = "apple")]
        let found = rustix::fs::getpath(self.fd());
        #[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
        let found: rustix::io::Result<std::ffi::CString> = Err(rustix::io::Errno::NOSYS);
        let bytes = found.ok()?.into_bytes();
        if bytes.ends_with(b" (deleted)") {
            return Some(Err(()));
        }
        Some(Ok(PathBuf::from(OsString::from_vec(bytes))))
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_held_folder_is_the_one_opened_after_its_path_is_moved() {
        let root = tempfile::tempdir().unwrap();
        let (path, moved, other) = (
            root.path().join("certs"),
            root.path().join("certs.moved"),
            root.path().join("other"),
        );
        std::fs::create_dir(&path).unwrap();
        std::fs::create_dir(&other).unwrap();
        let held = HeldFolder::open(&path, false).unwrap();
        assert_eq!(held.whereabouts(), Whereabouts::Here);
        std::fs::rename(&path, &moved).unwrap();
        std::os::unix::fs::symlink(&other, &path).unwrap();
        let lock = held.open_or_create("a.lock").unwrap();
        assert!(held.is(&lock, "a.lock"));
        let staged = crate::cli::sys::staged_file::create_in(
            &held,
            "a.pem",
            0o644,
            crate::cli::sys::staged_file::Sync::Now,
        )
        .unwrap();
        staged.persist_in("a.pem", false).unwrap();
        assert_eq!(
            crate::cli::test_support::names_in(&moved),
            ["a.lock", "a.pem"]
        );
        assert!(crate::cli::test_support::names_in(&other).is_empty());
        assert_eq!(held.kind_of("a.pem").unwrap(), Some(EntryKind::File));
        assert_eq!(held.kind_of("b.pem").unwrap(), None);
        held.remove_file("a.lock").unwrap();
        let mut names = held.names().unwrap();
        names.sort();
        assert_eq!(names, ["a.pem"]);
        let expected = cfg!(target_os = "linux").then(|| moved.canonicalize().unwrap());
        assert_eq!(held.whereabouts(), Whereabouts::Moved { now: expected });
        std::fs::remove_dir_all(&moved).unwrap();
        assert_eq!(held.whereabouts(), Whereabouts::Deleted);
        // A link as the folder's last part is refused unless asked for.
        assert!(HeldFolder::open(&path, false).is_err());
        assert!(HeldFolder::open(&path, true).is_ok());
    }
}
