//! Writing outputs: all-or-nothing (the complete file is made in the target folder before it
//! gets its name: see [`crate::cli::sys::staged_file`]), never over an existing file unless asked.

use crate::cli::sys::held_folder::{EntryKind, HeldFolder, Whereabouts};
use crate::cli::sys::staged_file::{StagedFile, Sync};
use dps_cert_gen::batch::engine::{Existing, OutputFolder};
use std::collections::HashSet;
use std::ffi::OsString;
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
    /// Another batch run holds the `--jsonl` file.
    #[error("another dps-cert-gen batch is writing {} (it holds {}); wait for it to finish, or choose another --jsonl file", file.display(), crate::cli::sys::folder_lock::file_lock_path(file).display())]
    FileBusy {
        /// The JSON-lines file.
        file: PathBuf,
    },
    /// The batch's output folder was moved (or something else put at its path) during the
    /// run: the files written are in the folder where it is now, with the summary.
    #[error("{} was moved or replaced during the batch (its path now leads elsewhere); {} in the folder it was, {}: take {} from there, and give --out-dir that folder to run the batch again", dir.display(), moved_files(*written, *summary), now.as_ref().map_or_else(|| "whose new place cannot be told here".to_string(), |p| p.display().to_string()), if written.is_some() || summary.is_none() { "them" } else { "it" })]
    FolderMoved {
        /// The output folder as given.
        dir: PathBuf,
        /// Where it is now, if the system can tell.
        now: Option<PathBuf>,
        /// Certificates written there by this run (`None` with `--jsonl`: none go there).
        written: Option<usize>,
        /// The summary's file name, if it was written there.
        summary: Option<&'static str>,
    },
    /// The batch's output folder was removed during the run.
    #[error("{} was deleted during the batch: {}; run the batch again into a folder that stays", dir.display(), if *jsonl { "its summary could not be written (the --jsonl file holds the certificates)" } else { "the certificates written into it are gone, those after were not written, and there is no summary" })]
    FolderDeleted {
        /// The output folder as given.
        dir: PathBuf,
        /// Whether the certificates went to a `--jsonl` file instead.
        jsonl: bool,
    },
    /// Standard output could not be written (a full disk behind `>`, a closed file): no
    /// command that writes there has a `-o` to point to, so the advice is the redirection.
    #[error("cannot write standard output: {reason}; send it (> FILE) to a place you can write to")]
    Stdout {
        /// The system's words.
        reason: String,
    },
    /// The system refused the write. (What to do about it depends on which output it was:
    /// the command line's error words it, see [`Written`].)
    #[error("cannot write {}: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The system's words.
        reason: String,
        /// Which output it was.
        what: Written,
    },
}

/// What of a batch is in its moved folder, in words.
fn moved_files(written: Option<usize>, summary: Option<&'static str>) -> String {
    match (written, summary) {
        (Some(n), Some(s)) => format!("the {n} certificates written and {s} are"),
        (Some(n), None) => format!("the {n} certificates written are"),
        (None, Some(s)) => format!("{s} is"),
        (None, None) => "nothing of this run is".to_string(),
    }
}

/// Which output a failed write was, so that the advice names the flag that chose it (a batch
/// has no `-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// A file given with `-o` (or the files written with it).
    Out,
    /// A batch's `--out-dir` itself (made, locked).
    OutDir,
    /// A file in a batch's `--out-dir`: a certificate, the summary, their flush to disk.
    InOutDir,
    /// A batch's `--jsonl` file.
    Jsonl,
    /// A new UDS's file, with the flag that named it (`--save`, `--save-uds`).
    NewUds(&'static str),
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

/// The one rule for what may be overwritten, for every output (the batch's files too: see
/// [`BatchFolder`]). Fails early, before any work and before any write, when something
/// other than a regular file is at `path` (with or without `force`), or a file is there and
/// `force` is off.
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

/// Writes `bytes` to `path` atomically with the given permission bits (before umask); `what`
/// says which output it is, for a failure's advice.
pub(crate) fn write_atomic(
    path: &Path,
    bytes: &[u8],
    force: bool,
    mode: u32,
    what: Written,
) -> Result<(), OutputError> {
    check_writable(path, force)?;
    let fail = |e: std::io::Error| write_error(path, &e, what);
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
    held: HeldFolder,
}

impl OutDir {
    /// The folder, held open for the run: every file of the batch is written in it.
    pub(crate) fn folder(&self) -> &HeldFolder {
        &self.held
    }
}

/// The nearest part of `dir` that exists, when it is not a folder: the reason a folder
/// cannot be made there, the same on every system (Windows says the file "already exists").
fn file_in_the_way(dir: &Path) -> Option<std::io::Error> {
    let existing = dir.ancestors().find(|a| a.symlink_metadata().is_ok())?;
    (!existing.is_dir()).then(|| std::io::ErrorKind::NotADirectory.into())
}

/// Makes `dir` if missing and takes its lock; another run holding it is an error at once.
pub(crate) fn lock_out_dir(dir: &Path) -> Result<OutDir, OutputError> {
    use crate::cli::sys::folder_lock::{Locked, lock_in};
    let fail = |e: std::io::Error| write_error(dir, &e, Written::OutDir);
    let made = (!dir.exists()).then(|| dir.to_path_buf());
    // A link the user named, there before the run, is followed once, now; a folder this run
    // makes (or finds) is opened without following one put in its place.
    let link = dir.symlink_metadata().is_ok_and(|m| m.is_symlink());
    std::fs::create_dir_all(dir).map_err(|e| fail(file_in_the_way(dir).unwrap_or(e)))?;
    let held = HeldFolder::open(dir, link).map_err(fail)?;
    let mut out = OutDir {
        lock: None,
        made,
        held,
    };
    match lock_in(&out.held).map_err(fail)? {
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

/// Takes the lock of a batch's one output file (`--jsonl`), held until dropped: another run
/// holding it is an error at once (see [`crate::cli::sys::folder_lock`]).
pub(crate) fn lock_output_file(
    path: &Path,
) -> Result<crate::cli::sys::folder_lock::FolderLock, OutputError> {
    use crate::cli::sys::folder_lock::{Locked, lock_file};
    match lock_file(path).map_err(|e| write_error(path, &e, Written::Jsonl))? {
        Locked::Held(lock) => Ok(lock),
        Locked::Busy => Err(OutputError::FileBusy {
            file: path.to_path_buf(),
        }),
    }
}

impl Drop for OutDir {
    fn drop(&mut self) {
        drop(self.lock.take());
        // Only the folder this run made, if its path still leads to it.
        let here = self.held.whereabouts() == Whereabouts::Here;
        self.held.let_go();
        if let Some(dir) = &self.made
            && here
        {
            // Fails, as it should, unless the folder is empty.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// A batch's output folder as the batch engine sees it: listed once (a fresh folder costs one
/// listing, not a lookup per row), each row's file then judged by [`check_writable`], the
/// one rule.
#[derive(Debug)]
pub(crate) struct BatchFolder {
    /// The names in the folder, lower-case (the folder may compare names without case, as
    /// on macOS and Windows); `None` if it could not be listed: each row's file is then
    /// looked up.
    names: Option<HashSet<OsString>>,
    /// Overwrite existing files.
    force: bool,
    /// The folder, held for the run.
    folder: HeldFolder,
}

impl BatchFolder {
    /// Lists the held folder once; existing files are overwritten with `force`.
    pub(crate) fn list(folder: &HeldFolder, force: bool) -> Self {
        let names = folder
            .names()
            .ok()
            .map(|names| names.iter().map(|n| n.to_ascii_lowercase()).collect());
        Self {
            names,
            force,
            folder: folder.clone(),
        }
    }
}

/// The file name of a row's file (the engine gives `<out-dir>/<name>`).
fn name_of(path: &Path) -> std::io::Result<&str> {
    path.file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| std::io::Error::other("not a file name"))
}

/// [`check_writable`] for the file `name` in a held folder.
pub(crate) fn check_writable_in(
    folder: &HeldFolder,
    name: &str,
    force: bool,
) -> Result<(), OutputError> {
    let path = folder.path().join(name);
    let kind = match folder.kind_of(name) {
        Ok(None) => return Ok(()),
        Ok(Some(kind)) => kind,
        Err(e) => return Err(write_error(&path, &e, Written::InOutDir)),
    };
    let kind = match kind {
        EntryKind::File if force => return Ok(()),
        EntryKind::File => return Err(OutputError::Exists { path }),
        EntryKind::Link => "a symbolic link",
        EntryKind::Folder => "a folder",
        EntryKind::Other => "a device, a FIFO or a socket",
    };
    Err(OutputError::NotAFile { path, kind })
}

/// [`holds`] for the file `name` in a held folder.
fn holds_in(folder: &HeldFolder, name: &str, bytes: &[u8]) -> bool {
    use std::io::Read;
    let mut found = Vec::with_capacity(bytes.len() + 1);
    matches!(folder.kind_of(name), Ok(Some(EntryKind::File)))
        && folder
            .open_file(name, false)
            .and_then(|f| f.take(bytes.len() as u64 + 1).read_to_end(&mut found))
            .is_ok_and(|_| found == bytes)
}

/// [`write_atomic`] for the file `name` in a held folder, with the contents written by `fill` as they come (a batch's
/// summary, never held whole). A failure of `fill` itself (not of the file) is the inner
/// error: then nothing is named.
pub(crate) fn write_atomic_in_with<E>(
    folder: &HeldFolder,
    name: &str,
    force: bool,
    mode: u32,
    what: Written,
    fill: impl FnOnce(&mut dyn std::io::Write) -> Result<(), E>,
) -> Result<Result<(), E>, OutputError> {
    /// Keeps the first write error, for the file's message.
    struct Kept<'a> {
        inner: std::io::BufWriter<&'a mut std::fs::File>,
        error: Option<std::io::Error>,
    }
    impl std::io::Write for Kept<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.inner.write(buf).inspect_err(|e| {
                self.error
                    .get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
            })
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner.flush().inspect_err(|e| {
                self.error
                    .get_or_insert_with(|| std::io::Error::new(e.kind(), e.to_string()));
            })
        }
    }
    check_writable_in(folder, name, force)?;
    let path = folder.path().join(name);
    let fail = |e: std::io::Error| write_error(&path, &e, what);
    let mut staged =
        crate::cli::sys::staged_file::create_in(folder, name, mode, Sync::Now).map_err(fail)?;
    let (filled, error) = {
        let mut out = Kept {
            inner: std::io::BufWriter::with_capacity(1 << 18, staged.file_mut()),
            error: None,
        };
        let filled = fill(&mut out);
        let _ = std::io::Write::flush(&mut out);
        (filled, out.error.take())
    };
    if let Some(e) = error {
        return Err(fail(e));
    }
    if let Err(e) = filled {
        return Ok(Err(e));
    }
    staged.persist_in(name, force).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            OutputError::Exists { path: path.clone() }
        } else {
            fail(e)
        }
    })?;
    Ok(Ok(()))
}

/// At the end of a batch: the error to end with if the path of the held folder no longer
/// leads to it. `written` certificates are in it, and the summary `summary` if it could be
/// written there (see [`summary_place`]).
pub(crate) fn folder_gone(
    folder: &HeldFolder,
    written: Option<usize>,
    summary: Option<&'static str>,
) -> Option<OutputError> {
    let dir = folder.path().to_path_buf();
    match folder.whereabouts() {
        Whereabouts::Here => None,
        Whereabouts::Moved { now } => Some(OutputError::FolderMoved {
            dir,
            now,
            written,
            summary,
        }),
        Whereabouts::Deleted => Some(OutputError::FolderDeleted {
            dir,
            jsonl: written.is_none(),
        }),
    }
}

/// Whether a summary may be written in the held folder at the end: not into one that was
/// removed (the rows it would list are gone with it).
pub(crate) fn summary_place(folder: &HeldFolder) -> bool {
    folder.whereabouts() != Whereabouts::Deleted
}

impl OutputFolder for BatchFolder {
    fn existing(&self, path: &Path) -> Existing {
        let listed = self.names.as_ref().is_none_or(|names| {
            path.file_name()
                .is_some_and(|name| names.contains(&name.to_ascii_lowercase()))
        });
        if !listed {
            return Existing::Free;
        }
        let Ok(name) = name_of(path) else {
            return Existing::NotAFile;
        };
        match check_writable_in(&self.folder, name, self.force) {
            Ok(()) => Existing::Free,
            Err(OutputError::Exists { .. }) => Existing::Kept,
            // Not a regular file (a row's file name never ends with a slash).
            Err(_) => Existing::NotAFile,
        }
    }

    fn holds(&self, path: &Path, contents: &[u8]) -> bool {
        name_of(path).is_ok_and(|name| holds_in(&self.folder, name, contents))
    }
}

/// Whether `path` is a regular file holding exactly `bytes` (read no further than one byte
/// more): the one test of "already written" for a single certificate and a batch's.
pub(crate) fn holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read;
    let mut found = Vec::with_capacity(bytes.len() + 1);
    path.symlink_metadata().is_ok_and(|m| m.is_file())
        && std::fs::File::open(path)
            .and_then(|f| f.take(bytes.len() as u64 + 1).read_to_end(&mut found))
            .is_ok_and(|_| found == bytes)
}

/// Files staged with [`Sync::Deferred`] and named as they come: a batch's certificates.
/// [`BatchFiles::sync`] then flushes exactly these files (and their folder) to disk.
#[derive(Debug)]
pub(crate) struct BatchFiles {
    /// Overwrite existing files.
    pub force: bool,
    /// The held folder they are written in.
    folder: HeldFolder,
    /// The names of the files named so far.
    written: Mutex<Vec<String>>,
}

impl BatchFiles {
    /// A writer of batch files into the held `folder`, overwriting existing ones with `force`.
    pub(crate) fn new(folder: &HeldFolder, force: bool) -> Self {
        Self {
            force,
            folder: folder.clone(),
            written: Mutex::new(Vec::new()),
        }
    }

    /// Flushes every file written so far, and the folder they are in, to disk: they
    /// survive a power cut once this returns.
    pub(crate) fn sync(&self) -> Result<(), OutputError> {
        let dir = self.folder.path();
        // A writer that panicked left the list whole (a push is all it does under the lock):
        // every file named so far is flushed, never none.
        let written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        crate::cli::sys::staged_file::sync_files_in(&written, &self.folder)
            .map_err(|e| write_error(dir, &e, Written::InOutDir))
    }
}

impl dps_cert_gen::batch::engine::CertSink for BatchFiles {
    fn write(&self, path: &Path, contents: &[u8]) -> std::io::Result<()> {
        let name = name_of(path)?;
        crate::cli::sys::staged_file::stage_in(&self.folder, name, 0o644, Sync::Deferred, |f| {
            f.write_all(contents)
        })?
        .persist_in(name, self.force)?;
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(name.to_string());
        Ok(())
    }

    fn describe(&self, path: &Path, error: &std::io::Error) -> String {
        write_words(path, error)
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
            .map_err(|e| write_error(path, &e, Written::Jsonl))?;
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
        let (mut staged, buffer) = self.staged.into_inner().map_err(|_| {
            write_error(
                &path,
                &std::io::Error::other("a writer failed"),
                Written::Jsonl,
            )
        })?;
        staged
            .file_mut()
            .write_all(&buffer)
            .map_err(|e| write_error(&path, &e, Written::Jsonl))?;
        staged.persist(&path, self.force).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists { path: path.clone() }
            } else {
                write_error(&path, &e, Written::Jsonl)
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

    fn describe(&self, path: &Path, error: &std::io::Error) -> String {
        write_words(path, error)
    }
}

/// A batch row's failed write, as its outcome says it.
fn write_words(path: &Path, e: &std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::AlreadyExists {
        let exists = dps_cert_gen::batch::manifest::RowError::Exists {
            path: path.to_path_buf(),
        };
        return row_text(&exists);
    }
    format!(
        "cannot write {}: {}",
        path.display(),
        crate::cli::sys::io_words::write(e)
    )
}

/// A batch row's error as the user reads it: the library's words, with the advice in this
/// tool's flags for a file in the way.
pub(crate) fn row_text(e: &dps_cert_gen::batch::manifest::RowError) -> String {
    use dps_cert_gen::batch::manifest::RowError;
    match e {
        RowError::Exists { .. } => {
            format!("{e}; use --force to overwrite it, or choose another --out-dir")
        }
        RowError::SharedUds { .. } => format!(
            "{e}: give each board its own (dps-cert-gen uds makes one), or use --allow-shared-uds if these boards really share one"
        ),
        RowError::NotAFile { path } => format!(
            "{} is not a regular file (a folder, a link, a device, a FIFO or a socket); the tool never replaces one, not even with --force: remove it, or choose another --out-dir",
            path.display()
        ),
        _ => e.to_string(),
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

/// A failed write of `path`, the output `what`, in the system's words.
pub(crate) fn write_error(path: &Path, e: &std::io::Error, what: Written) -> OutputError {
    OutputError::Write {
        path: path.to_path_buf(),
        reason: crate::cli::sys::io_words::write(e),
        what,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dps_cert_gen::batch::engine::CertSink;

    #[test]
    fn json_lines_are_named_only_by_persist_with_every_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        // More than one buffer's worth, so that some lines reach the file before the end.
        let lines: Vec<Vec<u8>> = (0..3000)
            .map(|i| format!("{{\"n\":{i},\"pad\":\"{}\"}}\n", "x".repeat(200)).into_bytes())
            .collect();
        let sink = JsonLines::create(&path, false).unwrap();
        for line in &lines {
            sink.write(&path, line).unwrap();
        }
        // No name before persist: none at all on Linux (O_TMPFILE); elsewhere only the
        // hidden temporary one (.c.jsonl.XXXXXX.tmp).
        let names = crate::cli::test_support::names_in(dir.path());
        if crate::cli::sys::staged_file::UNNAMED_FILES {
            assert!(names.is_empty(), "no name before persist: {names:?}");
        } else {
            assert!(
                names
                    .iter()
                    .all(|n| n.starts_with(".c.jsonl.") && n.ends_with(".tmp")),
                "no name before persist: {names:?}"
            );
        }
        drop(sink);
        assert!(
            crate::cli::test_support::names_in(dir.path()).is_empty(),
            "dropped: nothing left"
        );

        let sink = JsonLines::create(&path, false).unwrap();
        for line in &lines {
            sink.write(&path, line).unwrap();
        }
        sink.persist().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), lines.concat());
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["c.jsonl"]);
    }

    #[test]
    fn a_moved_or_deleted_folder_says_what_is_where() {
        let moved = |written, summary, now: Option<&str>| {
            OutputError::FolderMoved {
                dir: "certs".into(),
                now: now.map(PathBuf::from),
                written,
                summary,
            }
            .to_string()
        };
        assert_eq!(
            moved(Some(3), Some("summary.csv"), Some("/x/old")),
            "certs was moved or replaced during the batch (its path now leads elsewhere); the 3 certificates written and summary.csv are in the folder it was, /x/old: take them from there, and give --out-dir that folder to run the batch again"
        );
        assert_eq!(
            moved(None, Some("summary.json"), None),
            "certs was moved or replaced during the batch (its path now leads elsewhere); summary.json is in the folder it was, whose new place cannot be told here: take it from there, and give --out-dir that folder to run the batch again"
        );
        let deleted = OutputError::FolderDeleted {
            dir: "certs".into(),
            jsonl: true,
        };
        assert_eq!(
            deleted.to_string(),
            "certs was deleted during the batch: its summary could not be written (the --jsonl file holds the certificates); run the batch again into a folder that stays"
        );
        assert!(!deleted.is_input_error());
    }

    #[test]
    fn a_file_that_appears_during_the_batch_is_kept_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        let sink = JsonLines::create(&path, false).unwrap();
        sink.write(&path, b"{}\n").unwrap();
        std::fs::write(&path, "theirs\n").unwrap();
        let err = sink.persist().unwrap_err();
        assert!(matches!(err, OutputError::Exists { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "theirs\n");
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["c.jsonl"]);
    }
}
