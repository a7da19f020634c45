//! Certificates for many devices from one firmware measurement: every row is checked first
//! (its own fields, duplicate registration IDs, a UDS on more than one row, and what the caller's [`OutputFolder`] says
//! is at its file), then the certificates are derived and written in parallel, each file
//! atomically, and each device's result is kept for the summary. The engine lists no folder
//! and reads no file: the caller (the command line) decides what may be overwritten.

use crate::batch::manifest::{Device, Manifest, RowError};
use crate::derivation::{DeriveError, FirmwareMeasurements, generate_many};
use crate::encoding::{CertFormat, Thumbprints};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use thiserror::Error;

/// Why a batch did not complete.
#[derive(Debug, Error)]
pub enum BatchError {
    /// The manifest cannot be used at all.
    #[error(transparent)]
    Manifest(#[from] crate::batch::manifest::ManifestError),
    /// Some rows are invalid and `--keep-going` was not given: nothing was written.
    #[error(
        "{invalid} of {total} rows of {} are invalid (listed above); nothing was written", manifest.display()
    )]
    InvalidRows {
        /// Invalid rows.
        invalid: usize,
        /// All rows.
        total: usize,
        /// The manifest.
        manifest: PathBuf,
    },
    /// With `--keep-going`: the valid rows were written, these were not.
    #[error(
        "{invalid} of {total} devices were not written because their rows are invalid (listed above and in {})", summary.display()
    )]
    SkippedInvalid {
        /// Invalid rows.
        invalid: usize,
        /// All rows.
        total: usize,
        /// The summary file.
        summary: PathBuf,
    },
    /// Some certificates could not be written.
    #[error(
        "{failed} of {total} certificates could not be written (listed above and in {})", summary.display()
    )]
    Failed {
        /// Rows that failed.
        failed: usize,
        /// All rows.
        total: usize,
        /// The summary file.
        summary: PathBuf,
    },
    /// The summary file exists and `--force` was not given.
    #[error("{} already exists (from an earlier run?)", path.display())]
    SummaryExists {
        /// The summary file.
        path: PathBuf,
    },
    /// Interrupted (Ctrl-C): the files written are whole, the summary lists them.
    #[error(
        "interrupted after writing {written} of {total} certificates; {} lists which rows were not written", summary.display()
    )]
    Interrupted {
        /// Certificates written.
        written: usize,
        /// All rows.
        total: usize,
        /// The summary file.
        summary: PathBuf,
    },
    /// The output folder is a file.
    #[error("{} is not a folder", path.display())]
    OutDirNotFolder {
        /// The path.
        path: PathBuf,
    },
    /// Into one JSON-lines file: an extra column has the name of a field every line has.
    #[error("the manifest {} has a column named {column}, a field every line of the JSON-lines file has already; rename that column", manifest.display())]
    JsonlColumn {
        /// The manifest.
        manifest: PathBuf,
        /// The column.
        column: String,
    },
    /// The thread writing the certificates stopped (a fault of the tool): which of them
    /// reached their files is not known.
    #[error(
        "the thread writing the certificates stopped unexpectedly, so which certificates were written is not known; no summary was written"
    )]
    WriterStopped,
    /// The manifest was changed while the batch read it again (each pass reads the same
    /// bytes): what was checked is not what would be written or summarised.
    #[error(
        "the manifest {} changed during the batch; do not edit it while a batch runs, and run the batch again", manifest.display()
    )]
    ManifestChanged {
        /// The manifest.
        manifest: PathBuf,
    },
    /// The worker threads could not be started.
    #[error("cannot start {jobs} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        jobs: usize,
        /// The system's words.
        reason: String,
    },
}

impl BatchError {
    /// Whether the user's input caused it.
    pub fn is_input_error(&self) -> bool {
        match self {
            BatchError::Manifest(_)
            | BatchError::InvalidRows { .. }
            | BatchError::SkippedInvalid { .. }
            | BatchError::SummaryExists { .. }
            | BatchError::JsonlColumn { .. }
            | BatchError::OutDirNotFolder { .. } => true,
            BatchError::Failed { .. }
            | BatchError::Interrupted { .. }
            | BatchError::WriterStopped
            | BatchError::ManifestChanged { .. }
            | BatchError::Threads { .. } => false,
        }
    }
}

/// How the batch runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Folder for the certificates and the summary.
    pub out_dir: PathBuf,
    /// Certificate file format.
    pub format: CertFormat,
    /// Write the valid rows even when some are invalid, and go on after a failed write.
    pub keep_going: bool,
    /// Worker threads; `None` for one per core.
    pub jobs: Option<usize>,
    /// Let rows share a UDS (the same secret on several boards); otherwise every row whose
    /// UDS another row has too is invalid.
    pub allow_shared_uds: bool,
    /// One JSON-lines file for all certificates (see [`crate::batch::jsonl`]) instead of one
    /// file per device (`format` is then not used): every row's "file" is this one.
    pub jsonl: Option<PathBuf>,
}

impl Options {
    /// The certificate file of a registration ID (the JSON-lines file's name with `jsonl`).
    pub fn file_name(&self, id: &str) -> String {
        match &self.jsonl {
            Some(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            None => format!("{id}.{}", self.format.extension()),
        }
    }

    /// Where a row's certificate goes: its own file, or the one JSON-lines file.
    pub(crate) fn target(&self, id: &str) -> PathBuf {
        match &self.jsonl {
            Some(path) => path.clone(),
            None => self.out_dir.join(self.file_name(id)),
        }
    }
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The certificate was written.
    Written,
    /// The row is invalid; nothing was written for it.
    Invalid,
    /// Deriving or writing the certificate failed.
    Failed,
    /// Not attempted: the batch stopped after another row failed.
    NotWritten,
    /// The file was there already with exactly these contents (an earlier run's, after
    /// Ctrl-C or a crash): done, not written again.
    AlreadyWritten,
}

impl Status {
    /// The word in the summary.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Written => "written",
            Status::Invalid => "invalid",
            Status::Failed => "failed",
            Status::NotWritten => "not written",
            Status::AlreadyWritten => "already written",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result for one manifest row: everything the summary shows (no secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The row's first line in the manifest.
    pub line: u64,
    /// The registration ID as given or built (may be empty or invalid for invalid rows).
    pub registration_id: String,
    /// The certificate's file name in the output folder, when the ID is valid.
    pub file: Option<String>,
    /// Thumbprints of the certificate, when it was derived.
    pub thumbprints: Option<Thumbprints>,
    /// What happened.
    pub status: Status,
    /// Why it was not written.
    pub error: Option<String>,
    /// The row's extra columns.
    pub extra: Vec<String>,
}

/// Where the certificates go: the command line writes them as files, all or nothing each;
/// tests use a stand-in. An error of kind [`std::io::ErrorKind::AlreadyExists`] means the
/// file existed and was left alone.
pub trait CertSink: Sync {
    /// Writes one certificate file, all or nothing.
    fn write(&self, path: &Path, contents: &[u8]) -> std::io::Result<()>;

    /// The message for a failed [`CertSink::write`] of `path`, as the row's error in the
    /// outcome: the sink words its own failures (`cannot write PATH: REASON`, or for
    /// `AlreadyExists` what [`RowError::Exists`] says, with the caller's advice).
    fn describe(&self, path: &Path, error: &std::io::Error) -> String;
}

/// One certificate, ready to write.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The file contents in the chosen format.
    pub contents: Vec<u8>,
    /// Thumbprints of the DER.
    pub thumbprints: Thumbprints,
}

/// The certificates of many devices at once, the way a batch worker derives each chunk of
/// rows: their public keys through the batch's comb (which shares field inversions among
/// them), then each certificate and its thumbprints. One result per device, in order.
pub fn issue_many(
    devices: &[&Device],
    firmware: &FirmwareMeasurements,
    format: CertFormat,
) -> Vec<Result<Issued, DeriveError>> {
    let inputs: Vec<(
        &crate::dice::uds::Uds,
        &crate::registration_id::RegistrationId,
    )> = devices
        .iter()
        .map(|d| (&d.uds, &d.registration_id))
        .collect();
    generate_many(&inputs, firmware)
        .into_iter()
        .map(|cert| {
            cert.map(|cert| Issued {
                contents: format.encode(&cert.der),
                thumbprints: cert.thumbprints(),
            })
        })
        .collect()
}

/// [`issue_many`] for `--jsonl`: each row's contents are its JSON line (with the row's extra
/// cells, named by `extra_columns`).
fn issue_lines(
    jobs: &[Job],
    extra_columns: &[String],
    firmware: &FirmwareMeasurements,
) -> Vec<Result<Issued, DeriveError>> {
    let inputs: Vec<(
        &crate::dice::uds::Uds,
        &crate::registration_id::RegistrationId,
    )> = jobs
        .iter()
        .map(|j| (&j.device.uds, &j.device.registration_id))
        .collect();
    generate_many(&inputs, firmware)
        .into_iter()
        .zip(jobs)
        .map(|(cert, job)| {
            cert.map(|cert| {
                let thumbprints = cert.thumbprints();
                Issued {
                    contents: crate::batch::jsonl::line(
                        job.device.registration_id.as_str(),
                        &cert.der,
                        &thumbprints,
                        extra_columns,
                        &job.extra,
                    ),
                    thumbprints,
                }
            })
        })
        .collect()
}

/// The result of checking every row: each row's target file, or why it cannot be written.
#[derive(Debug)]
pub struct Checked {
    /// Per manifest row: the certificate's path, or the row's error.
    pub rows: Vec<Result<PathBuf, RowError>>,
    /// Per manifest row: the thumbprints of a certificate file that holds already exactly
    /// what would be written (a run over its own output), which is then not written again.
    pub already_written: Vec<Option<Thumbprints>>,
}

impl Checked {
    /// Rows that cannot be written.
    pub fn invalid(&self) -> impl Iterator<Item = (usize, &RowError)> {
        self.rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e)))
    }

    /// How many rows are invalid.
    pub fn invalid_count(&self) -> usize {
        self.invalid().count()
    }
}

/// What the caller found at a row's file in the output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Nothing there, or a file the caller lets be replaced.
    Free,
    /// Something that is never replaced (not a regular file): the row's error.
    NotAFile,
    /// A file that is kept: the row counts as written if the file holds exactly the row's
    /// certificate (a run over its own output), and is refused otherwise.
    Kept,
}

/// The output folder as the caller sees it: the engine lists no folder and reads no file.
pub trait OutputFolder: Sync {
    /// What is at `path`, a row's certificate file.
    fn existing(&self, path: &Path) -> Existing;
    /// Whether the file at `path` holds exactly `contents`.
    fn holds(&self, path: &Path, contents: &[u8]) -> bool;
}

/// A folder known to hold none of the batch's files (a new folder, or none written per row).
#[derive(Debug, Clone, Copy, Default)]
pub struct NothingThere;

impl OutputFolder for NothingThere {
    fn existing(&self, _path: &Path) -> Existing {
        Existing::Free
    }
    fn holds(&self, _path: &Path, _contents: &[u8]) -> bool {
        false
    }
}

/// Checks every row: its own fields, registration IDs that appear more than once (all such
/// rows are refused, since which one is right cannot be told), a UDS that more than one row
/// has (all such rows are refused, unless `options.allow_shared_uds`), and what `folder` says is at
/// its file: a kept file that holds exactly the certificate the row gives (derived here,
/// from `firmware`) counts as written; any other kept file, or something not a file, is the
/// row's error. With `jsonl` (no file per row) the folder is not asked.
pub fn check(
    manifest: &Manifest,
    options: &Options,
    firmware: &FirmwareMeasurements,
    folder: &dyn OutputFolder,
) -> Result<Checked, BatchError> {
    if options.jsonl.is_some()
        && let Some(column) = crate::batch::jsonl::clashing_column(&manifest.extra_columns)
    {
        return Err(BatchError::JsonlColumn {
            manifest: manifest.path.clone(),
            column: column.to_string(),
        });
    }
    // Each ID's first two lines: enough to name, for any row, another line with its ID.
    let mut lines_of: HashMap<&str, (u64, Option<u64>)> =
        HashMap::with_capacity(manifest.rows.len());
    for row in &manifest.rows {
        if let Ok(device) = &row.device {
            lines_of
                .entry(device.registration_id.as_str())
                .and_modify(|(_, second)| {
                    second.get_or_insert(row.line);
                })
                .or_insert((row.line, None));
        }
    }
    // Each row whose UDS another row has too, with that other row's line.
    let shared_uds = if options.allow_shared_uds {
        HashMap::new()
    } else {
        crate::batch::shared_uds::shared(manifest)
    };
    let checked: Vec<(Result<PathBuf, RowError>, Option<Thumbprints>)> = manifest
        .rows
        .par_iter()
        .enumerate()
        .map(|(index, row)| {
            let device = match &row.device {
                Ok(device) => device,
                Err(e) => return (Err(e.clone()), None),
            };
            let id = device.registration_id.as_str();
            let other = lines_of.get(id).and_then(|(first, second)| {
                if *first != row.line {
                    Some(*first)
                } else {
                    *second
                }
            });
            if let Some(other) = other {
                return (
                    Err(RowError::Duplicate {
                        id: device.registration_id.clone(),
                        first_line: other,
                    }),
                    None,
                );
            }
            if let Some(&other_line) = shared_uds.get(&index) {
                return (Err(RowError::SharedUds { other_line }), None);
            }
            let path = options.target(id);
            // The one JSON-lines file is checked once, by the caller, and never holds a row
            // already.
            if options.jsonl.is_none() {
                match folder.existing(&path) {
                    Existing::Free => {}
                    Existing::NotAFile => return (Err(RowError::NotAFile { path }), None),
                    Existing::Kept => {
                        return match holds_already(folder, &path, device, firmware, options.format)
                        {
                            Some(thumbprints) => (Ok(path), Some(thumbprints)),
                            None => (Err(RowError::Exists { path }), None),
                        };
                    }
                }
            }
            (Ok(path), None)
        })
        .collect();
    let (rows, already_written) = checked.into_iter().unzip();
    Ok(Checked {
        rows,
        already_written,
    })
}

/// The thumbprints of the certificate `device` gives, when `folder` says the file at `path`
/// holds exactly it (in `format`).
pub(crate) fn holds_already(
    folder: &dyn OutputFolder,
    path: &Path,
    device: &Device,
    firmware: &FirmwareMeasurements,
    format: CertFormat,
) -> Option<Thumbprints> {
    let issued = issue_many(&[device], firmware, format)
        .into_iter()
        .next()?
        .ok()?;
    folder
        .holds(path, &issued.contents)
        .then_some(issued.thumbprints)
}

/// Something told of every row done (a progress bar).
pub trait Progress: Sync {
    /// One more row done.
    fn advance(&self);
}

impl<F: Fn() + Sync> Progress for F {
    fn advance(&self) {
        self()
    }
}

/// Rows a worker derives at a time (one message to the writer; 512 keys whose
/// multiplications share one field inversion per window: from 64 rows to 256, the batch's
/// CPU time per certificate fell by a sixth).
pub(crate) const CHUNK: usize = 256;
/// How many chunks may wait for a worker, and for the writer.
const WRITE_QUEUE: usize = 8;

/// One valid row on its way to be derived and written.
pub(crate) struct Job {
    /// The row's index in the manifest.
    pub(crate) index: usize,
    /// The device.
    pub(crate) device: Device,
    /// The row's extra cells (for a JSON line; empty otherwise).
    pub(crate) extra: Vec<String>,
}

/// What became of a [`Job`].
pub(crate) enum JobResult {
    /// Written.
    Written(Thumbprints),
    /// Derived but not written: the batch stopped first.
    Skipped(Thumbprints),
    /// The certificate could not be derived.
    DeriveFailed(String),
    /// Derived, but its write failed.
    WriteFailed(Thumbprints, String),
}

/// Where a run's certificates go, who is told of each, and what stops it (Ctrl-C).
#[derive(Clone, Copy)]
pub(crate) struct Writing<'a> {
    /// Writes each certificate.
    pub(crate) sink: &'a dyn CertSink,
    /// Told of every row done.
    pub(crate) progress: &'a dyn Progress,
    /// Set: no further file is started.
    pub(crate) interrupted: &'a AtomicBool,
}

/// Certificates on their way to the writer: row index, file, contents or why there are none.
type ToWrite = Vec<(usize, PathBuf, Result<Issued, String>)>;

fn threads_error(jobs: usize) -> impl Fn(std::io::Error) -> BatchError {
    move |e| BatchError::Threads {
        jobs,
        reason: e.to_string(),
    }
}

/// Derives the certificates of the jobs `next_job` gives, in chunks, on `options.jobs`
/// worker threads, and writes them from one more thread (files created in one folder from
/// several threads at once took several times the system time on ext4, and were slower
/// overall); `record` is told (on the writer's thread) what became of each. The jobs are
/// taken as the workers need them, never all at once: a batch's memory does not grow with
/// its rows. After a failure no further job is taken unless `keep_going`; once `interrupted`
/// is set (Ctrl-C), no further file is started.
pub(crate) fn derive_and_write(
    next_job: &mut dyn FnMut() -> Option<Job>,
    extra_columns: &[String],
    firmware: &FirmwareMeasurements,
    options: &Options,
    to: Writing<'_>,
    record: &mut (dyn FnMut(usize, JobResult) + Send),
) -> Result<(), BatchError> {
    let Writing {
        sink,
        progress,
        interrupted,
    } = to;
    let threads = options.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let failed = AtomicBool::new(false);
    let stopped = || failed.load(Ordering::Relaxed) || interrupted.load(Ordering::Relaxed);
    let (work_sender, work) = std::sync::mpsc::sync_channel::<Vec<Job>>(WRITE_QUEUE);
    let work = std::sync::Mutex::new(work);
    let (sender, receiver) = std::sync::mpsc::sync_channel::<ToWrite>(WRITE_QUEUE);
    std::thread::scope(|scope| {
        // (Moved in, so that they are dropped whichever way this ends.)
        let (work_sender, sender) = (work_sender, sender);
        let writer = std::thread::Builder::new()
            .name("batch writer".to_string())
            .spawn_scoped(scope, || {
                for chunk in receiver {
                    for (index, path, issued) in chunk {
                        let issued = match issued {
                            Ok(issued) => issued,
                            Err(message) => {
                                record(index, JobResult::DeriveFailed(message));
                                progress.advance();
                                continue;
                            }
                        };
                        if stopped() {
                            record(index, JobResult::Skipped(issued.thumbprints));
                            continue;
                        }
                        match sink.write(&path, &issued.contents) {
                            Ok(()) => record(index, JobResult::Written(issued.thumbprints)),
                            Err(e) => {
                                if !options.keep_going {
                                    failed.store(true, Ordering::Relaxed);
                                }
                                let message = sink.describe(&path, &e);
                                record(index, JobResult::WriteFailed(issued.thumbprints, message));
                            }
                        }
                        progress.advance();
                    }
                }
            })
            .map_err(threads_error(threads))?;
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads.max(1) {
            let sender = sender.clone();
            let work = &work;
            let stopped = &stopped;
            let failed = &failed;
            let worker = std::thread::Builder::new()
                .name("batch worker".to_string())
                .spawn_scoped(scope, move || {
                    loop {
                        let chunk = match work.lock() {
                            Ok(work) => work.recv(),
                            Err(_) => break,
                        };
                        let Ok(chunk) = chunk else { break };
                        if stopped() {
                            continue;
                        }
                        let issued = match options.jsonl {
                            None => {
                                let devices: Vec<&Device> =
                                    chunk.iter().map(|j| &j.device).collect();
                                issue_many(&devices, firmware, options.format)
                            }
                            Some(_) => issue_lines(&chunk, extra_columns, firmware),
                        };
                        let mut to_write = Vec::with_capacity(chunk.len());
                        for (job, result) in chunk.iter().zip(issued) {
                            let path = options.target(job.device.registration_id.as_str());
                            let result = result.map_err(|e| {
                                // A defect of the curve arithmetic stops the whole batch.
                                if !options.keep_going || e.is_defect() {
                                    failed.store(true, Ordering::Relaxed);
                                }
                                e.to_string()
                            });
                            to_write.push((job.index, path, result));
                        }
                        if sender.send(to_write).is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                    }
                });
            match worker {
                Ok(worker) => workers.push(worker),
                Err(e) => {
                    drop(work_sender);
                    return Err(threads_error(threads)(e));
                }
            }
        }
        drop(sender);
        // The jobs are read as the workers take them.
        let mut chunk = Vec::with_capacity(CHUNK);
        while !stopped() {
            let Some(job) = next_job() else { break };
            chunk.push(job);
            if chunk.len() == CHUNK
                && work_sender
                    .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                    .is_err()
            {
                break;
            }
        }
        if !chunk.is_empty() && !stopped() {
            let _ = work_sender.send(chunk);
        }
        drop(work_sender);
        for worker in workers {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        // All senders are gone once the workers are: the writer finishes the queue.
        // A writer that panicked leaves no record of what it wrote: said, not guessed.
        writer.join().map_err(|_| BatchError::WriterStopped)
    })
}

/// Derives and writes the certificates of the valid rows (see [`derive_and_write`]).
/// Returns one outcome per manifest row, in manifest order; invalid rows are reported, not
/// written. After a failure, rows not yet written are left unwritten unless `keep_going`;
/// once `interrupted` is set (Ctrl-C), no further file is started.
pub fn run(
    manifest: &Manifest,
    checked: &Checked,
    firmware: &FirmwareMeasurements,
    options: &Options,
    sink: &dyn CertSink,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<Vec<Outcome>, BatchError> {
    // Every row's outcome as far as the checks tell; the valid rows' jobs.
    let mut outcomes = Vec::with_capacity(manifest.rows.len());
    let mut jobs: Vec<usize> = Vec::with_capacity(manifest.rows.len());
    for (index, ((row, target), already)) in manifest
        .rows
        .iter()
        .zip(&checked.rows)
        .zip(&checked.already_written)
        .enumerate()
    {
        let mut outcome = Outcome {
            line: row.line,
            registration_id: row.id_text.clone(),
            file: None,
            thumbprints: None,
            status: Status::Invalid,
            error: None,
            extra: row.extra.clone(),
        };
        match (&row.device, target) {
            (Ok(device), Ok(_)) if already.is_some() => {
                outcome.file = Some(options.file_name(device.registration_id.as_str()));
                outcome.status = Status::AlreadyWritten;
                outcome.thumbprints.clone_from(already);
            }
            (Ok(device), Ok(_)) => {
                outcome.file = Some(options.file_name(device.registration_id.as_str()));
                outcome.status = Status::NotWritten;
                jobs.push(index);
            }
            (Ok(device), Err(e)) => {
                outcome.file = Some(options.file_name(device.registration_id.as_str()));
                outcome.error = Some(e.to_string());
            }
            (Err(e), _) => outcome.error = Some(e.to_string()),
        }
        outcomes.push(outcome);
    }
    let mut jobs = jobs.into_iter().filter_map(|index| {
        let row = manifest.rows.get(index)?;
        Some(Job {
            index,
            device: row.device.as_ref().ok()?.clone(),
            extra: match options.jsonl {
                Some(_) => row.extra.clone(),
                None => Vec::new(),
            },
        })
    });
    // Each result goes into its row's outcome as it comes: none is kept besides.
    derive_and_write(
        &mut || jobs.next(),
        &manifest.extra_columns,
        firmware,
        options,
        Writing {
            sink,
            progress,
            interrupted,
        },
        &mut |index, result| {
            let Some(outcome) = outcomes.get_mut(index) else {
                return;
            };
            match result {
                JobResult::Written(t) => {
                    outcome.status = Status::Written;
                    outcome.thumbprints = Some(t);
                }
                JobResult::Skipped(t) => outcome.thumbprints = Some(t),
                JobResult::DeriveFailed(message) => {
                    outcome.status = Status::Failed;
                    outcome.error = Some(message);
                }
                JobResult::WriteFailed(t, message) => {
                    outcome.status = Status::Failed;
                    outcome.thumbprints = Some(t);
                    outcome.error = Some(message);
                }
            }
        },
    )?;
    let why = not_written_why(interrupted.load(Ordering::Relaxed));
    for outcome in &mut outcomes {
        if outcome.status == Status::NotWritten && outcome.error.is_none() {
            outcome.error = Some(why.to_string());
        }
    }
    Ok(outcomes)
}

/// Why rows were not written: the batch was interrupted, or stopped after a failure.
pub fn not_written_why(interrupted: bool) -> &'static str {
    if interrupted {
        "not written: the batch was interrupted"
    } else {
        "not written: the batch stopped after a failure"
    }
}
