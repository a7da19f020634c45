//! One output file made complete before it gets its name, so that no reader (and no crash)
//! ever sees part of it, and no temporary file holding a secret is left behind.
//!
//! On Linux the bytes go into an *unnamed* file (`O_TMPFILE`) in the destination's folder,
//! created with its final permissions; only when all of them are written and synced is the file
//! given its name (`linkat` through `/proc/self/fd`). If the process dies before that, even
//! by `SIGKILL` or a power cut, the kernel frees the unnamed file: nothing is left to find.
//! Replacing an existing file (`--force`) needs a rename, so the complete file is linked under
//! a hidden temporary name (`.NAME.XXXXXXXXXXXX.tmp`) just before it is renamed over the old
//! one: only a crash in that instant leaves the temporary name behind, holding the complete
//! file with its final permissions.
//!
//! Where `O_TMPFILE` is not available (another system, an old kernel, a file system without
//! it, no `/proc`), or naming through `/proc` is refused, a named temporary file (`tempfile`)
//! in the same folder is used instead: it is removed on every error, but a crash between its
//! creation and its rename leaves it behind (with the final permissions, 0600 for a key).
//! That is the only way on macOS and Windows. On Windows the rename is `MoveFileExW`: without
//! `--force` it fails if the name exists (no clobbering), with it it replaces in one step.
//!
//! Permission bits (`mode`) are Unix's: on Windows they are ignored, and a file gets the
//! access control list its folder passes on. Under the user's profile (the Desktop, Documents,
//! the DevKit project folder) that ACL gives access to the user, the administrators and the
//! system only, which is what protects the alias key there instead of mode 0600.

use std::fs::File;
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::held_folder::HeldFolder;

/// Whether this platform stages files with no name at all until they are complete (Linux's
/// `O_TMPFILE`, where the file system allows it); elsewhere a hidden temporary name is used.
#[cfg(test)]
pub(crate) const UNNAMED_FILES: bool = cfg!(target_os = "linux");

/// A file written in full but not yet in place.
#[derive(Debug)]
pub(crate) struct StagedFile {
    kind: Kind,
    dir: PathBuf,
    sync: Sync,
    /// The held folder it is staged in (see [`create_in`]), relative to which it is named.
    #[cfg(unix)]
    held: Option<HeldFolder>,
}

#[derive(Debug)]
enum Kind {
    /// Linux `O_TMPFILE`: no name at all until [`StagedFile::persist`].
    #[cfg(target_os = "linux")]
    Unnamed(File),
    /// A named temporary file beside the destination.
    Named(tempfile::NamedTempFile),
    /// A named temporary file in a held folder.
    #[cfg(unix)]
    HeldNamed(HeldTemp),
}

/// The folder a path is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

fn file_name_text(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A hidden named temporary file (`.NAME.XXXXXX.tmp`) in `dir` for `path`, created with
/// permission bits `mode` on Unix (ignored on Windows: see the module documentation).
fn named_temp(dir: &Path, path: &Path, mode: u32) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{}.", file_name_text(path));
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::fs::Permissions::from_mode(mode));
    #[cfg(not(unix))]
    let _ = mode;
    builder.tempfile_in(dir)
}

/// Whether a staged file is flushed to disk before it gets its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sync {
    /// Flushed, and its folder after it is named: it survives a power cut once named.
    Now,
    /// Not flushed: the caller flushes many files at once later (a batch).
    Deferred,
}

/// Writes `bytes` to a new file in `path`'s folder with permission bits `mode` (before the
/// umask), synced to disk, without giving it `path`'s name yet.
pub(crate) fn stage(path: &Path, bytes: &[u8], mode: u32) -> io::Result<StagedFile> {
    stage_with(path, mode, Sync::Now, |f| f.write_all(bytes))
}

/// As [`stage`], with the contents written by `fill` and the flush as `sync` says.
pub(crate) fn stage_with(
    path: &Path,
    mode: u32,
    sync: Sync,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<StagedFile> {
    let mut staged = create(path, mode, sync)?;
    fill(staged.file_mut())?;
    Ok(staged)
}

/// An empty staged file for `path` (in its folder, permission bits `mode` before the umask),
/// to be written through [`StagedFile::file_mut`] as the contents come (a batch's JSON-lines
/// file), then named by [`StagedFile::persist`] or dropped (nothing is left).
pub(crate) fn create(path: &Path, mode: u32, sync: Sync) -> io::Result<StagedFile> {
    let dir = folder_of(path).to_path_buf();
    #[cfg(target_os = "linux")]
    if let Some(file) = unnamed::create(rustix::fs::CWD, &dir, mode)? {
        return Ok(StagedFile {
            kind: Kind::Unnamed(file),
            dir,
            sync,
            held: None,
        });
    }
    let tmp = named_temp(&dir, path, mode)?;
    Ok(StagedFile {
        kind: Kind::Named(tmp),
        dir,
        sync,
        #[cfg(unix)]
        held: None,
    })
}

/// As [`create`], for the file `name` in the held folder `folder`: on Unix staged and named
/// relative to its descriptor (wherever the folder's path leads meanwhile); elsewhere in its
/// path. Named by [`StagedFile::persist_in`].
pub(crate) fn create_in(
    folder: &HeldFolder,
    name: &str,
    mode: u32,
    sync: Sync,
) -> io::Result<StagedFile> {
    #[cfg(unix)]
    {
        #[cfg(target_os = "linux")]
        let kind = match unnamed::create(folder.fd(), Path::new("."), mode)? {
            Some(file) => Kind::Unnamed(file),
            None => Kind::HeldNamed(HeldTemp::create(folder, name, mode)?),
        };
        #[cfg(not(target_os = "linux"))]
        let kind = Kind::HeldNamed(HeldTemp::create(folder, name, mode)?);
        Ok(StagedFile {
            kind,
            dir: folder.path().to_path_buf(),
            sync,
            held: Some(folder.clone()),
        })
    }
    #[cfg(not(unix))]
    create(&folder.path().join(name), mode, sync)
}

/// As [`stage_with`], in a held folder (see [`create_in`]).
pub(crate) fn stage_in(
    folder: &HeldFolder,
    name: &str,
    mode: u32,
    sync: Sync,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<StagedFile> {
    let mut staged = create_in(folder, name, mode, sync)?;
    fill(staged.file_mut())?;
    Ok(staged)
}

/// A named temporary file (`.NAME.XXXXXXXXXXXX.tmp`) in a held folder, removed when dropped
/// unless it was given its name.
#[cfg(unix)]
#[derive(Debug)]
struct HeldTemp {
    file: File,
    folder: HeldFolder,
    /// Its temporary name, until it is renamed.
    name: Option<String>,
}

#[cfg(unix)]
impl HeldTemp {
    fn create(folder: &HeldFolder, target: &str, mode: u32) -> io::Result<Self> {
        use rustix::fs::{Mode, OFlags, RawMode};
        for _ in 0..16 {
            let mut random = [0u8; 6];
            getrandom::fill(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
            let name = format!(".{target}.{}.tmp", hex::encode(random));
            let flags =
                OFlags::RDWR | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            // `mode_t` is 16 bits on macOS, 32 on Linux; a file mode fits both.
            let mode = Mode::from_bits_truncate((mode & 0o7777) as RawMode);
            match rustix::fs::openat(folder.fd(), &name, flags, mode) {
                Ok(fd) => {
                    return Ok(Self {
                        file: fd.into(),
                        folder: folder.clone(),
                        name: Some(name),
                    });
                }
                Err(rustix::io::Errno::EXIST) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(io::ErrorKind::AlreadyExists.into())
    }

    /// Renames it `target` (replacing an existing `target` only with `overwrite`).
    fn persist(mut self, target: &str, overwrite: bool) -> io::Result<()> {
        let Some(name) = self.name.clone() else {
            return Err(io::Error::other("already named"));
        };
        let fd = self.folder.fd();
        if overwrite {
            rustix::fs::renameat(fd, name.as_str(), fd, target)?;
        } else {
            rename_noreplace(fd, &name, target)?;
        }
        self.name = None;
        Ok(())
    }
}

#[cfg(unix)]
impl Drop for HeldTemp {
    fn drop(&mut self) {
        if let Some(name) = &self.name {
            let _ = self.folder.remove_file(name);
        }
    }
}

/// Renames `from` to `to` in the folder `fd`, failing if `to` exists.
#[cfg(unix)]
fn rename_noreplace(fd: std::os::fd::BorrowedFd<'_>, from: &str, to: &str) -> io::Result<()> {
    use rustix::fs::AtFlags;
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    match rustix::fs::renameat_with(fd, from, fd, to, rustix::fs::RenameFlags::NOREPLACE) {
        Ok(()) => return Ok(()),
        // Not supported by this kernel or file system: a link, then the old name removed.
        Err(rustix::io::Errno::NOSYS | rustix::io::Errno::INVAL) => {}
        Err(e) => return Err(e.into()),
    }
    rustix::fs::linkat(fd, from, fd, to, AtFlags::empty())?;
    let _ = rustix::fs::unlinkat(fd, from, AtFlags::empty());
    Ok(())
}

impl StagedFile {
    /// Whether the file has no name at all (Linux `O_TMPFILE`), so that a crash before
    /// [`StagedFile::persist`] leaves nothing behind.
    #[cfg(test)]
    pub(crate) fn is_unnamed(&self) -> bool {
        #[cfg(target_os = "linux")]
        return matches!(self.kind, Kind::Unnamed(_));
        #[cfg(not(target_os = "linux"))]
        false
    }

    /// The file being staged, to write its contents.
    pub(crate) fn file_mut(&mut self) -> &mut File {
        match &mut self.kind {
            #[cfg(target_os = "linux")]
            Kind::Unnamed(file) => file,
            Kind::Named(tmp) => tmp.as_file_mut(),
            #[cfg(unix)]
            Kind::HeldNamed(tmp) => &mut tmp.file,
        }
    }

    /// Gives a file staged by [`create_in`] its name `name` in the held folder, as
    /// [`StagedFile::persist`] does (on Unix relative to the folder's descriptor).
    // `mut` for Unix's branch only.
    #[cfg_attr(not(unix), allow(unused_mut))]
    pub(crate) fn persist_in(mut self, name: &str, overwrite: bool) -> io::Result<()> {
        #[cfg(unix)]
        if let Some(folder) = self.held.take() {
            if self.sync == Sync::Now {
                self.file_mut().sync_all()?;
            }
            match self.kind {
                #[cfg(target_os = "linux")]
                Kind::Unnamed(mut file) => {
                    match unnamed::link(
                        &file,
                        folder.fd(),
                        Path::new(""),
                        Path::new(name),
                        overwrite,
                    ) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                        // Naming through /proc refused: a copy under a temporary name.
                        Err(_) => {
                            use std::io::{Seek, SeekFrom};
                            let mode = file.metadata()?.permissions().mode() & 0o7777;
                            let mut tmp = HeldTemp::create(&folder, name, mode)?;
                            file.seek(SeekFrom::Start(0))?;
                            io::copy(&mut file, &mut tmp.file)?;
                            tmp.file.sync_all()?;
                            tmp.persist(name, overwrite)?;
                        }
                    }
                }
                Kind::HeldNamed(tmp) => tmp.persist(name, overwrite)?,
                Kind::Named(tmp) => {
                    let path = self.dir.join(name);
                    if overwrite {
                        tmp.persist(&path).map_err(|e| e.error)?;
                    } else {
                        tmp.persist_noclobber(&path).map_err(|e| e.error)?;
                    }
                }
            }
            if self.sync == Sync::Now {
                let _ = folder.sync();
            }
            return Ok(());
        }
        let path = self.dir.join(name);
        self.persist(&path, overwrite)
    }

    /// Gives the file its name `path` (in the folder it was staged in), after flushing it to
    /// disk with [`Sync::Now`]. Without `overwrite`, an existing `path` is an error of kind
    /// [`io::ErrorKind::AlreadyExists`] and is left alone; with it, `path` is replaced in one
    /// step.
    pub(crate) fn persist(mut self, path: &Path, overwrite: bool) -> io::Result<()> {
        if self.sync == Sync::Now {
            self.file_mut().sync_all()?;
        }
        match self.kind {
            #[cfg(target_os = "linux")]
            Kind::Unnamed(mut file) => {
                match unnamed::link(&file, rustix::fs::CWD, &self.dir, path, overwrite) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
                    // Naming through /proc refused (a sandbox, an unusual /proc): copy the
                    // bytes to a named temporary file and rename that instead.
                    Err(_) => copy_to_named(&mut file, &self.dir, path, overwrite)?,
                }
            }
            Kind::Named(tmp) => {
                if overwrite {
                    tmp.persist(path).map_err(|e| e.error)?;
                } else {
                    tmp.persist_noclobber(path).map_err(|e| e.error)?;
                }
            }
            #[cfg(unix)]
            Kind::HeldNamed(tmp) => tmp.persist(&file_name_text(path), overwrite)?,
        }
        // Make the new name durable too; a folder that cannot be synced is not an error.
        if self.sync == Sync::Now
            && let Ok(dir) = File::open(&self.dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Writes what `file` holds to a named temporary file in `dir` with `file`'s permissions,
/// and renames that to `path`.
#[cfg(target_os = "linux")]
fn copy_to_named(file: &mut File, dir: &Path, path: &Path, overwrite: bool) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mode = file.metadata()?.permissions().mode() & 0o7777;
    let mut tmp = named_temp(dir, path, mode)?;
    file.seek(SeekFrom::Start(0))?;
    io::copy(file, &mut tmp)?;
    tmp.as_file().sync_all()?;
    if overwrite {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    Ok(())
}

/// Whether `entry` is a hidden temporary name this module gives a file bound for `name`:
/// `.NAME.XXXXXX.tmp` (6 to 12 random letters or digits: `tempfile`'s, or 12 hex digits).
fn is_temporary_name_for(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix('.')
        .and_then(|e| e.strip_prefix(name))
        .and_then(|e| e.strip_prefix('.'))
        .and_then(|e| e.strip_suffix(".tmp"))
        .is_some_and(|random| {
            (6..=12).contains(&random.len()) && random.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// The names whose temporary files (an interrupted run's) are in the held folder: those that
/// [`remove_stale`] may remove, to be matched against a batch's names as it reads its rows.
pub(crate) fn stale_targets(folder: &HeldFolder) -> std::collections::HashSet<String> {
    let Ok(entries) = folder.names() else {
        return std::collections::HashSet::new();
    };
    entries
        .iter()
        .filter_map(|name| {
            let name = name.to_str()?;
            let target = stale_target(name)?;
            is_temporary_name_for(name, target).then(|| target.to_string())
        })
        .collect()
}

/// The file a temporary file's name (`.NAME.XXXXXX.tmp`) is for, if it has that shape.
fn stale_target(entry_name: &str) -> Option<&str> {
    entry_name
        .strip_prefix('.')
        .and_then(|e| e.strip_suffix(".tmp"))
        .and_then(|e| e.rsplit_once('.'))
        .map(|(target, _)| target)
}

/// Removes from the held folder the temporary files a crashed or killed run left for the
/// files named in `names` (and only those), returning how many. The caller holds the folder's
/// lock, so that no running process is using them.
pub(crate) fn remove_stale(
    folder: &HeldFolder,
    names: &std::collections::HashSet<String>,
) -> usize {
    let Ok(entries) = folder.names() else {
        return 0;
    };
    let mut removed = 0;
    for file_name in entries {
        let Some(entry_name) = file_name.to_str() else {
            continue;
        };
        let Some(target) = stale_target(entry_name) else {
            continue;
        };
        let regular = matches!(
            folder.kind_of(entry_name),
            Ok(Some(super::held_folder::EntryKind::File))
        );
        if regular
            && names.contains(target)
            && is_temporary_name_for(entry_name, target)
            && folder.remove_file(entry_name).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

/// Whether `dir` is on a file system kept only in memory (Linux's tmpfs or ramfs, such as
/// `/dev/shm` or `/run`), where flushing a file does nothing (the kernel's `fsync` for them
/// returns at once) and nothing survives a restart whatever is done: a batch there skips
/// reopening every file to flush it. False wherever this cannot be told.
fn in_memory(dir: &Path) -> bool {
    #[cfg(target_os = "linux")]
    {
        /// `TMPFS_MAGIC` and `RAMFS_MAGIC` of `<linux/magic.h>`.
        const IN_MEMORY: [i128; 2] = [0x0102_1994, 0x8584_58f6];
        rustix::fs::statfs(dir).is_ok_and(|fs| IN_MEMORY.contains(&i128::from(fs.f_type)))
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = dir;
        false
    }
}

/// Threads flushing a batch's files at its end: the flushes wait on the disk, not the CPU.
const SYNC_THREADS: usize = 8;

/// Flushes the files `names` (named in the held folder `folder`, staged with
/// [`Sync::Deferred`]; on Unix opened relative to its descriptor) to disk, several at a time,
/// and then the folder itself, so that their contents and their names survive a power cut.
/// Only these files are flushed, not what other programs wrote to the same file system. A
/// file that is gone again (replaced or removed by someone else) is not an error; any other
/// failure is.
pub(crate) fn sync_files_in(names: &[String], folder: &HeldFolder) -> io::Result<()> {
    if names.is_empty() || in_memory(folder.path()) {
        return Ok(());
    }
    let per_thread = names.len().div_ceil(SYNC_THREADS).max(64);
    let results: Vec<io::Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = names
            .chunks(per_thread)
            .map(|part| {
                scope.spawn(move || {
                    for name in part {
                        match folder.open_file(name, cfg!(windows)) {
                            Ok(file) => file.sync_all()?,
                            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                            Err(e) => return Err(e),
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a flushing thread failed")))
            })
            .collect()
    });
    results.into_iter().collect::<io::Result<()>>()?;
    folder.sync()
}

#[cfg(target_os = "linux")]
mod unnamed {
    use super::file_name_text;
    use rustix::fs::{AtFlags, CWD, Mode, OFlags};
    use rustix::io::Errno;
    use std::fs::File;
    use std::io;
    use std::os::fd::AsRawFd;
    use std::os::fd::BorrowedFd;
    use std::path::Path;
    use std::sync::atomic::{AtomicU8, Ordering};

    /// An unnamed file in `dir`, or `None` when `O_TMPFILE` (or `/proc`, needed to name it
    /// later) is not available here: the caller then uses a named temporary file. A real
    /// error (a missing or read-only folder, permission denied) is returned as such.
    pub(super) fn create(at: BorrowedFd<'_>, dir: &Path, mode: u32) -> io::Result<Option<File>> {
        // Looked up once per process (a batch stages thousands of files).
        static PROC_FD: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        if !*PROC_FD.get_or_init(|| Path::new("/proc/self/fd").is_dir()) {
            return Ok(None);
        }
        match rustix::fs::openat(
            at,
            dir,
            // Readable too, for the copy if naming it through /proc is refused.
            OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
            Mode::from_bits_truncate(mode & 0o7777),
        ) {
            Ok(fd) => Ok(Some(File::from(fd))),
            // Not supported by this kernel or file system.
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn proc_path(file: &File) -> String {
        format!("/proc/self/fd/{}", file.as_raw_fd())
    }

    /// Whether `linkat` of a descriptor itself (`AT_EMPTY_PATH`) works here: Linux 6.10 and
    /// later allow it to the process that opened the file; before, only with a capability.
    /// 0 not known yet, 1 it works, 2 it does not (then the `/proc/self/fd` name is used).
    static EMPTY_PATH: AtomicU8 = AtomicU8::new(0);

    /// Gives the unnamed `file` the name `target`: through the descriptor itself where the
    /// kernel allows it (no lookup in `/proc`: cheaper, for a batch's thousands of files),
    /// else through its `/proc/self/fd` name.
    pub(super) fn link_to(file: &File, at: BorrowedFd<'_>, target: &Path) -> Result<(), Errno> {
        if EMPTY_PATH.load(Ordering::Relaxed) != 2 {
            match rustix::fs::linkat(file, "", at, target, AtFlags::EMPTY_PATH) {
                Ok(()) => {
                    EMPTY_PATH.store(1, Ordering::Relaxed);
                    return Ok(());
                }
                // Refused for the descriptor (an older kernel: ENOENT; no capability: EPERM;
                // a kernel without the flag: EINVAL); any other error is about `target`.
                Err(Errno::NOENT | Errno::PERM | Errno::INVAL)
                    if EMPTY_PATH.load(Ordering::Relaxed) == 0 =>
                {
                    EMPTY_PATH.store(2, Ordering::Relaxed);
                }
                Err(e) => return Err(e),
            }
        }
        link_through_proc(file, at, target)
    }

    /// Gives the unnamed `file` the name `target` through its `/proc/self/fd` name.
    pub(super) fn link_through_proc(
        file: &File,
        at: BorrowedFd<'_>,
        target: &Path,
    ) -> Result<(), Errno> {
        let source = proc_path(file);
        rustix::fs::linkat(CWD, source.as_str(), at, target, AtFlags::SYMLINK_FOLLOW)
    }

    /// Links the unnamed `file` as `path`; see [`super::StagedFile::persist`].
    /// `at` is the folder `dir` and `path` are relative to (`CWD` for paths; a held folder's
    /// descriptor, with `dir` empty and `path` a bare name).
    pub(super) fn link(
        file: &File,
        at: BorrowedFd<'_>,
        dir: &Path,
        path: &Path,
        overwrite: bool,
    ) -> io::Result<()> {
        if !overwrite {
            return link_to(file, at, path).map_err(io::Error::from);
        }
        // Replacing needs rename(2), which only takes names: link under a fresh hidden
        // name, then rename that over the destination.
        let name = file_name_text(path);
        let mut last = io::Error::from(io::ErrorKind::AlreadyExists);
        for _ in 0..16 {
            let mut random = [0u8; 6];
            getrandom::fill(&mut random).map_err(|e| io::Error::other(e.to_string()))?;
            let tmp = dir.join(format!(".{name}.{}.tmp", hex::encode(random)));
            match link_to(file, at, &tmp) {
                Ok(()) => {
                    return rustix::fs::renameat(at, &tmp, at, path)
                        .map_err(io::Error::from)
                        .inspect_err(|_| {
                            let _ = rustix::fs::unlinkat(at, &tmp, AtFlags::empty());
                        });
                }
                Err(Errno::EXIST) => last = io::Error::from(io::ErrorKind::AlreadyExists),
                Err(e) => return Err(e.into()),
            }
        }
        Err(last)
    }
}

#[cfg(test)]
mod stale_tests {
    use super::*;

    #[test]
    fn only_the_tools_temporary_names_for_the_given_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let keep = [
            "dev-1.pem",
            ".dev-1.pem.tmp",
            ".dev-1.pem.abc.tmp",
            ".dev-1.pem.0123456789abc.tmp",
            ".dev-1.pem.a-b-c-d.tmp",
            ".other.pem.a1b2c3.tmp",
            ".dev-1.pem.a1b2c3.old",
        ];
        let gone = [".dev-1.pem.a1B2c3.tmp", ".dev-2.pem.0123456789ab.tmp"];
        for name in keep.iter().chain(&gone) {
            std::fs::write(dir.path().join(name), "x").unwrap();
        }
        std::fs::create_dir(dir.path().join(".dev-2.pem.abcdef.tmp")).unwrap();
        let names = ["dev-1.pem", "dev-2.pem"]
            .map(String::from)
            .into_iter()
            .collect();
        let folder = HeldFolder::open(dir.path(), false).unwrap();
        assert_eq!(remove_stale(&folder, &names), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut expected: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
        expected.push(".dev-2.pem.abcdef.tmp".to_string());
        expected.sort();
        assert_eq!(left, expected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Linux's `/dev/shm` is a tmpfs (flushing there is skipped); `/proc` and the project's
    /// own folder are told apart from it (the folder may be on a tmpfs on some machines, so
    /// only `/proc` is asserted).
    #[test]
    #[cfg(target_os = "linux")]
    fn file_systems_in_memory_are_told() {
        if Path::new("/dev/shm").is_dir() {
            assert!(in_memory(Path::new("/dev/shm")));
        }
        assert!(!in_memory(Path::new("/proc")));
        assert!(!in_memory(Path::new("/no/such/folder")));
    }

    #[test]
    fn staged_file_has_no_name_until_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        let staged = stage(&path, b"secret", 0o600).unwrap();
        assert!(crate::cli::test_support::names_in(dir.path()).is_empty() || !staged.is_unnamed());
        staged.persist(&path, false).unwrap();
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["k.pem"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
        #[cfg(unix)]
        {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    /// Both ways of naming an unnamed file (the descriptor itself, and its `/proc/self/fd`
    /// name, which kernels before 6.10 need) give the same file; an existing name is refused
    /// by both without `overwrite`, and replaced by both with it.
    #[cfg(target_os = "linux")]
    #[test]
    fn unnamed_files_are_named_either_way() {
        let dir = tempfile::tempdir().unwrap();
        for (way, name) in [(0, "a.pem"), (1, "b.pem")] {
            let path = dir.path().join(name);
            let staged = stage(&path, b"first", 0o644).unwrap();
            let Kind::Unnamed(file) = &staged.kind else {
                panic!("O_TMPFILE is expected on this Linux file system");
            };
            if way == 0 {
                unnamed::link_to(file, rustix::fs::CWD, &path).unwrap();
            } else {
                unnamed::link_through_proc(file, rustix::fs::CWD, &path).unwrap();
            }
            assert_eq!(std::fs::read(&path).unwrap(), b"first");
            let again = stage(&path, b"second", 0o644).unwrap();
            let Kind::Unnamed(file) = &again.kind else {
                panic!("O_TMPFILE is expected on this Linux file system");
            };
            let refused = if way == 0 {
                unnamed::link_to(file, rustix::fs::CWD, &path)
            } else {
                unnamed::link_through_proc(file, rustix::fs::CWD, &path)
            };
            assert_eq!(refused, Err(rustix::io::Errno::EXIST));
            again.persist(&path, true).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"second");
        }
        assert_eq!(
            crate::cli::test_support::names_in(dir.path()),
            ["a.pem", "b.pem"]
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_copy_used_when_naming_is_refused_keeps_bytes_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.pem");
        let staged = stage(&path, b"secret", 0o600).unwrap();
        let Kind::Unnamed(mut file) = staged.kind else {
            panic!("O_TMPFILE is expected on this Linux file system");
        };
        copy_to_named(&mut file, dir.path(), &path, false).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["k.pem"]);
        let err = copy_to_named(&mut file, dir.path(), &path, false).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
    }

    #[test]
    fn syncing_a_batchs_files_takes_only_its_files_and_tolerates_one_gone() {
        // Not the system's temporary folder, which may be a tmpfs (where nothing is flushed
        // and so nothing can fail): the project's `target/`.
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        std::fs::create_dir_all(&target).unwrap();
        let dir = tempfile::tempdir_in(&target).unwrap();
        if in_memory(dir.path()) {
            return;
        }
        let folder = HeldFolder::open(dir.path(), false).unwrap();
        let names: Vec<String> = (0..200).map(|i| format!("{i}.pem")).collect();
        for name in &names {
            stage_in(&folder, name, 0o644, Sync::Deferred, |f| f.write_all(b"x"))
                .unwrap()
                .persist_in(name, false)
                .unwrap();
        }
        std::fs::remove_file(dir.path().join(&names[7])).unwrap();
        sync_files_in(&names, &folder).unwrap();
        sync_files_in(&[], &folder).unwrap();
        // A name that cannot be opened for another reason is an error: on Unix a file used
        // as a folder.
        #[cfg(unix)]
        {
            let err = sync_files_in(&["0.pem/x".to_string()], &folder).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::NotADirectory);
        }
    }

    #[test]
    fn existing_file_is_kept_without_overwrite_and_replaced_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.pem");
        std::fs::write(&path, "old").unwrap();
        let err = stage(&path, b"new", 0o644)
            .unwrap()
            .persist(&path, false)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        stage(&path, b"new", 0o644)
            .unwrap()
            .persist(&path, true)
            .unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["a.pem"]);
    }
}
