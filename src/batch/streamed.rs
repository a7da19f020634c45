//! A batch whose memory does not grow with its manifest beyond a few dozen bytes a row: the
//! manifest is read again for each pass (checked, then derived and written, then summarised)
//! from a [`Source`], and between passes each row is only a [`Compact`] record (its line,
//! what became of it, its thumbprints in binary); errors are kept for the rows that have one.
//! Every pass reads the same bytes: a manifest changed during the batch (the SHA-256 of what
//! a pass read differs, or a row is not the one checked) stops it with
//! [`BatchError::ManifestChanged`].

use crate::batch::engine::{
    self, BatchError, CertSink, Existing, Job, JobResult, Options, Outcome, OutputFolder, Progress,
    Status, Writing,
};
use crate::batch::manifest::{
    self, MAX_MANIFEST_BYTES, MAX_ROWS, ManifestError, Row, RowError, RowReader,
};
use crate::derivation::FirmwareMeasurements;
use crate::encoding::Thumbprints;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Where the manifest is read from, once per pass.
pub trait Source: Sync {
    /// The manifest's name in messages.
    fn path(&self) -> &Path;
    /// The manifest's bytes from the start.
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>>;
}

/// A manifest file, opened again for every pass.
#[derive(Debug, Clone)]
pub struct FileSource(pub PathBuf);

impl Source for FileSource {
    fn path(&self) -> &Path {
        &self.0
    }
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(std::fs::File::open(&self.0)?))
    }
}

/// A manifest held in memory (standard input, which cannot be read twice; or a UTF-16 file,
/// decoded): the one case where the batch keeps the manifest's bytes, at most
/// [`MAX_MANIFEST_BYTES`].
pub struct BytesSource {
    /// The name in messages.
    pub path: PathBuf,
    /// The bytes (wiped when dropped: they hold the UDSs).
    pub bytes: zeroize::Zeroizing<Vec<u8>>,
}

impl Source for BytesSource {
    fn path(&self) -> &Path {
        &self.path
    }
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(Box::new(self.bytes.as_slice()))
    }
}

/// Counts and hashes what a pass reads, and refuses more than [`MAX_MANIFEST_BYTES`].
struct Tracked<'a> {
    inner: Box<dyn Read + 'a>,
    hash: Sha256,
    bytes: u64,
}

impl Read for Tracked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.bytes > MAX_MANIFEST_BYTES {
            return Err(std::io::Error::other(PastTheLimit));
        }
        let n = self.inner.read(buf)?;
        self.hash.update(buf.get(..n).unwrap_or_default());
        self.bytes += n as u64;
        Ok(n)
    }
}

/// What a pass reads: its rows, then its digest.
struct Pass<'a> {
    reader: RowReader<Tracked<'a>>,
    path: PathBuf,
}

impl<'a> Pass<'a> {
    fn open(source: &'a dyn Source) -> Result<Self, ManifestError> {
        let path = source.path().to_path_buf();
        let inner = source.open().map_err(manifest::read_error(&path))?;
        let tracked = Tracked {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        };
        let reader = RowReader::new(&path, tracked, MAX_ROWS);
        Ok(Self {
            reader: reader.map_err(|e| too_large_or(&path, e))?,
            path,
        })
    }

    fn next_row(&mut self) -> Result<Option<Row>, ManifestError> {
        self.reader
            .next_row()
            .map_err(|e| too_large_or(&self.path, e))
    }

    /// The SHA-256 of all that was read (once every row was).
    fn digest(self) -> [u8; 32] {
        let (tracked, _) = self.reader.into_parts();
        tracked.hash.finalize().into()
    }
}

/// What [`Tracked`] gives past [`MAX_MANIFEST_BYTES`] (told apart from the system's errors
/// by its type, not its words).
#[derive(Debug)]
struct PastTheLimit;

impl std::fmt::Display for PastTheLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("larger than a manifest may be")
    }
}

impl std::error::Error for PastTheLimit {}

/// A read error of a source larger than [`MAX_MANIFEST_BYTES`] is that it is too large.
fn too_large_or(path: &Path, e: ManifestError) -> ManifestError {
    match &e {
        ManifestError::Read { source, .. }
            if source.get_ref().is_some_and(|e| e.is::<PastTheLimit>()) =>
        {
            ManifestError::TooLarge {
                path: path.to_path_buf(),
            }
        }
        _ => e,
    }
}

/// What a row is, between passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Invalid,
    ToWrite,
    Already,
    Written,
    Failed,
    NotWritten,
    /// Written into a `--jsonl` file that was then dropped: [`Plan::unwrite`]'s reason.
    Dropped,
}

/// One row between passes: 64 bytes.
#[derive(Debug, Clone, Copy)]
struct Compact {
    /// SHA-1 (20 bytes) then SHA-256 (32) of the certificate, when there is one.
    thumbprints: [u8; 52],
    /// The row's first line (a manifest of at most 256 MiB has fewer than 2^32 lines).
    line: u32,
    /// A fingerprint of the row's ID and UDS: the row read again is the one checked.
    check: u32,
    state: State,
    has_thumbprints: bool,
}

fn thumbprints_bin(t: &Thumbprints) -> [u8; 52] {
    let mut out = [0u8; 52];
    let _ = hex::decode_to_slice(&t.sha1, &mut out[..20]);
    let _ = hex::decode_to_slice(&t.sha256, &mut out[20..]);
    out
}

fn thumbprints_text(b: &[u8; 52]) -> Thumbprints {
    Thumbprints {
        sha1: hex::encode_upper(&b[..20]),
        sha256: hex::encode_upper(&b[20..]),
    }
}

/// The 128-bit fingerprint of `bytes` under `domain`.
fn print(domain: &[u8], bytes: &[u8]) -> [u8; 16] {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(domain)
        .chain_update(bytes)
        .finalize()
        .into();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

const ID_DOMAIN: &[u8] = b"dps-cert-gen: is this registration ID on another row?\0";
const UDS_DOMAIN: &[u8] = b"dps-cert-gen: is this UDS on another row of the manifest?\0";
const CHECK_DOMAIN: &[u8] = b"dps-cert-gen: is this row the one checked?\0";

fn row_check(row: &Row) -> u32 {
    let mut h = Sha256::new().chain_update(CHECK_DOMAIN);
    h.update(row.id_text.as_bytes());
    if let Ok(d) = &row.device {
        h.update([1]);
        h.update(d.uds.as_bytes());
        h.update(d.registration_id.as_str().as_bytes());
    }
    let digest: [u8; 32] = h.finalize().into();
    u32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Long-ID warnings kept (the rest are counted).
pub const WARNINGS_KEPT: usize = 64;

/// A checked manifest: one [`Compact`] record per row, the errors of the rows that have one.
#[derive(Debug)]
pub struct Plan {
    path: PathBuf,
    /// The manifest's extra columns.
    pub extra_columns: Vec<String>,
    /// Rows spanning more than one line.
    pub spanning: Option<crate::batch::manifest::Spanning>,
    digest: [u8; 32],
    rows: Vec<Compact>,
    /// Per invalid row (by index): why.
    errors: BTreeMap<usize, RowError>,
    /// Per failed row: its registration ID and why.
    failures: BTreeMap<usize, (String, String)>,
    /// Why rows in state NotWritten were not written (set by [`run`]).
    not_written_why: &'static str,
    dropped_why: String,
    /// The first [`WARNINGS_KEPT`] long-ID warnings: (line, warning).
    pub long_id_warnings: Vec<(u64, String)>,
    /// How many rows have a long-ID warning.
    pub long_id_count: usize,
    /// The file names of valid rows among the caller's `stale` names.
    pub stale_names: HashSet<String>,
}

impl Plan {
    /// All rows.
    pub fn total(&self) -> usize {
        self.rows.len()
    }
    fn count(&self, s: State) -> usize {
        self.rows.iter().filter(|r| r.state == s).count()
    }
    /// Invalid rows.
    pub fn invalid_count(&self) -> usize {
        self.errors.len()
    }
    /// Rows found written already.
    pub fn already_count(&self) -> usize {
        self.count(State::Already)
    }
    /// Rows written.
    pub fn written_count(&self) -> usize {
        self.count(State::Written)
    }
    /// Invalid rows: line and error, in manifest order.
    pub fn invalid(&self) -> impl Iterator<Item = (u64, &RowError)> {
        self.errors
            .iter()
            .filter_map(|(i, e)| Some((u64::from(self.rows.get(*i)?.line), e)))
    }
    /// Failed rows: line, registration ID, error, in manifest order.
    pub fn failures(&self) -> impl Iterator<Item = (u64, &str, &str)> {
        self.failures.iter().filter_map(|(i, (id, e))| {
            Some((u64::from(self.rows.get(*i)?.line), id.as_str(), e.as_str()))
        })
    }
    /// How many rows failed.
    pub fn failed_count(&self) -> usize {
        self.failures.len()
    }
    /// With `--jsonl`, after the file was dropped: the rows it held are not written after all.
    pub fn unwrite(&mut self, why: &str) {
        self.dropped_why = why.to_string();
        for r in &mut self.rows {
            if r.state == State::Written {
                r.state = State::Dropped;
            }
        }
    }
    /// [`crate::batch::manifest::Manifest::spanning_note`]'s words.
    pub fn spanning_note(&self) -> Option<String> {
        Some(self.spanning?.note(self.rows.len(), &self.path))
    }
}

/// Kept files checked at a time, in parallel.
const HOLDS_CHUNK: usize = 256;

/// Pass 1 (and a second read when IDs repeat): checks every row as
/// [`engine::check`] does, keeping per row only its [`Compact`] record. `stale` are file
/// names the caller found temporary files for; [`Plan::stale_names`] are those of valid rows.
pub fn check(
    source: &dyn Source,
    options: &Options,
    firmware: &FirmwareMeasurements,
    folder: &dyn OutputFolder,
    stale: &HashSet<String>,
) -> Result<Plan, BatchError> {
    let mut pass = Pass::open(source)?;
    let extra_columns = pass.reader.extra_columns().to_vec();
    if options.jsonl.is_some()
        && let Some(column) = crate::batch::jsonl::clashing_column(&extra_columns)
    {
        return Err(BatchError::JsonlColumn {
            manifest: source.path().to_path_buf(),
            column: column.to_string(),
        });
    }
    let mut plan = Plan {
        path: source.path().to_path_buf(),
        extra_columns,
        spanning: None,
        digest: [0; 32],
        rows: Vec::new(),
        errors: BTreeMap::new(),
        failures: BTreeMap::new(),
        not_written_why: engine::not_written_why(false),
        dropped_why: String::new(),
        long_id_warnings: Vec::new(),
        long_id_count: 0,
        stale_names: HashSet::new(),
    };
    let mut ids: Vec<([u8; 16], u32)> = Vec::new();
    let mut udss: Vec<([u8; 16], u32)> = Vec::new();
    // Rows whose file is kept: checked in parallel, a chunk at a time.
    let mut kept: Vec<(usize, crate::batch::manifest::Device, PathBuf)> = Vec::new();
    let holds = |plan: &mut Plan,
                 kept: &mut Vec<(usize, crate::batch::manifest::Device, PathBuf)>| {
        let results: Vec<(usize, Result<Thumbprints, RowError>)> = kept
            .par_drain(..)
            .map(|(index, device, path)| {
                let found = engine::holds_already(folder, &path, &device, firmware, options.format);
                (index, found.ok_or(RowError::Exists { path }))
            })
            .collect();
        for (index, result) in results {
            match result {
                Ok(t) => {
                    if let Some(r) = plan.rows.get_mut(index) {
                        r.state = State::Already;
                        r.thumbprints = thumbprints_bin(&t);
                        r.has_thumbprints = true;
                    }
                }
                Err(e) => {
                    if let Some(r) = plan.rows.get_mut(index) {
                        r.state = State::Invalid;
                    }
                    plan.errors.insert(index, e);
                }
            }
        }
    };
    while let Some(row) = pass.next_row()? {
        let index = plan.rows.len();
        let line = u32::try_from(row.line).unwrap_or(u32::MAX);
        let mut compact = Compact {
            thumbprints: [0; 52],
            line,
            check: row_check(&row),
            state: State::ToWrite,
            has_thumbprints: false,
        };
        match &row.device {
            Err(e) => {
                compact.state = State::Invalid;
                plan.errors.insert(index, e.clone());
            }
            Ok(device) => {
                let id = device.registration_id.as_str();
                if let Some(w) = device.registration_id.warning() {
                    plan.long_id_count += 1;
                    if plan.long_id_warnings.len() < WARNINGS_KEPT {
                        plan.long_id_warnings.push((row.line, w));
                    }
                }
                let index32 = u32::try_from(index).unwrap_or(u32::MAX);
                ids.push((print(ID_DOMAIN, id.as_bytes()), index32));
                if !options.allow_shared_uds {
                    udss.push((print(UDS_DOMAIN, device.uds.as_bytes()), index32));
                }
                let name = options.file_name(id);
                if stale.contains(&name) {
                    plan.stale_names.insert(name);
                }
                if options.jsonl.is_none() {
                    let path = options.target(id);
                    match folder.existing(&path) {
                        Existing::Free => {}
                        Existing::NotAFile => {
                            compact.state = State::Invalid;
                            plan.errors.insert(index, RowError::NotAFile { path });
                        }
                        Existing::Kept => kept.push((index, device.clone(), path)),
                    }
                }
            }
        }
        plan.rows.push(compact);
        if kept.len() >= HOLDS_CHUNK {
            holds(&mut plan, &mut kept);
        }
    }
    holds(&mut plan, &mut kept);
    plan.spanning = pass.reader.spanning();
    plan.digest = pass.digest();
    // A UDS on more than one row: each such row, with the line of another.
    udss.par_sort_unstable();
    let line_of = |plan: &Plan, index: u32| {
        plan.rows
            .get(index as usize)
            .map_or(0, |r| u64::from(r.line))
    };
    for group in udss.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, first), (_, second), ..] = group {
            for (_, index) in group {
                let other = if index == first { *second } else { *first };
                let other_line = line_of(&plan, other);
                if let Some(r) = plan.rows.get_mut(*index as usize) {
                    r.state = State::Invalid;
                    r.has_thumbprints = false;
                }
                plan.errors
                    .insert(*index as usize, RowError::SharedUds { other_line });
            }
        }
    }
    drop(udss);
    // A registration ID on more than one row: each such row, with another line (read again
    // for the ID's text).
    ids.par_sort_unstable();
    let mut duplicates: BTreeMap<usize, u64> = BTreeMap::new();
    for group in ids.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, first), (_, second), ..] = group {
            for (_, index) in group {
                let other = if index == first { *second } else { *first };
                duplicates.insert(*index as usize, line_of(&plan, other));
            }
        }
    }
    drop(ids);
    if !duplicates.is_empty() {
        let mut found = Vec::new();
        for_each_row::<BatchError>(source, &plan, &mut |index, row| {
            if let (Some(first_line), Ok(device)) = (duplicates.get(&index), &row.device) {
                found.push((
                    index,
                    RowError::Duplicate {
                        id: device.registration_id.clone(),
                        first_line: *first_line,
                    },
                ));
            }
            Ok(())
        })?;
        for (index, e) in found {
            if let Some(r) = plan.rows.get_mut(index) {
                r.state = State::Invalid;
                r.has_thumbprints = false;
            }
            plan.errors.insert(index, e);
        }
    }
    Ok(plan)
}

/// Reads the manifest again, every row with its index, checking that it is the one checked
/// (and at the end that the bytes are).
fn for_each_row<E: From<BatchError>>(
    source: &dyn Source,
    plan: &Plan,
    f: &mut dyn FnMut(usize, Row) -> Result<(), E>,
) -> Result<(), E> {
    let changed = || {
        E::from(BatchError::ManifestChanged {
            manifest: plan.path.clone(),
        })
    };
    let mut pass = Pass::open(source).map_err(|_| changed())?;
    let mut index = 0;
    while let Some(row) = pass.next_row().map_err(|_| changed())? {
        let same = plan.rows.get(index).is_some_and(|c| {
            u64::from(c.line) == row.line.min(u64::from(u32::MAX)) && c.check == row_check(&row)
        });
        if !same {
            return Err(changed());
        }
        f(index, row)?;
        index += 1;
    }
    if index != plan.rows.len() || pass.digest() != plan.digest {
        return Err(changed());
    }
    Ok(())
}

/// Pass 2: derives and writes the certificates of the rows to write (see
/// [`engine::run`]), reading the manifest again; what became of each goes into its record.
pub fn run(
    source: &dyn Source,
    plan: &mut Plan,
    firmware: &FirmwareMeasurements,
    options: &Options,
    sink: &dyn CertSink,
    progress: &dyn Progress,
    interrupted: &AtomicBool,
) -> Result<(), BatchError> {
    let changed = || BatchError::ManifestChanged {
        manifest: plan.path.clone(),
    };
    let mut pass = Pass::open(source).map_err(|_| changed())?;
    let mut index = 0usize;
    let mut is_changed = false;
    let mut read_all = false;
    // Read by the producer, written by the writer's thread.
    let rows = std::sync::Mutex::new(std::mem::take(&mut plan.rows));
    let mut next_job = || {
        while !is_changed {
            let row = match pass.next_row() {
                Ok(Some(row)) => row,
                Ok(None) => {
                    read_all = true;
                    return None;
                }
                Err(_) => {
                    is_changed = true;
                    return None;
                }
            };
            let i = index;
            index += 1;
            let Some(c) = rows.lock().ok().and_then(|r| r.get(i).copied()) else {
                is_changed = true;
                return None;
            };
            if u64::from(c.line) != row.line.min(u64::from(u32::MAX)) || c.check != row_check(&row)
            {
                is_changed = true;
                return None;
            }
            if c.state != State::ToWrite {
                continue;
            }
            let Ok(device) = row.device else {
                is_changed = true;
                return None;
            };
            return Some(Job {
                index: i,
                device,
                extra: match options.jsonl {
                    Some(_) => row.extra,
                    None => Vec::new(),
                },
            });
        }
        None
    };
    let mut failures = BTreeMap::new();
    let outcome = {
        let rows_ref = &rows;
        let failures = &mut failures;
        engine::derive_and_write(
            &mut next_job,
            &plan.extra_columns,
            firmware,
            options,
            Writing {
                sink,
                progress,
                interrupted,
            },
            &mut |index, result| {
                let Ok(mut rows) = rows_ref.lock() else {
                    return;
                };
                let Some(r) = rows.get_mut(index) else {
                    return;
                };
                let mut set = |t: &Thumbprints| {
                    r.thumbprints = thumbprints_bin(t);
                    r.has_thumbprints = true;
                };
                match result {
                    JobResult::Written(t) => {
                        set(&t);
                        r.state = State::Written;
                    }
                    JobResult::Skipped(t) => set(&t),
                    JobResult::DeriveFailed(message) => {
                        r.state = State::Failed;
                        failures.insert(index, message);
                    }
                    JobResult::WriteFailed(t, message) => {
                        set(&t);
                        r.state = State::Failed;
                        failures.insert(index, message);
                    }
                }
            },
        )
    };
    let digest = if read_all && !is_changed {
        Some(pass.digest())
    } else {
        None
    };
    let mut rows_done = rows.into_inner().unwrap_or_default();
    for r in &mut rows_done {
        if r.state == State::ToWrite {
            r.state = State::NotWritten;
        }
    }
    plan.rows = rows_done;
    plan.not_written_why = engine::not_written_why(interrupted.load(Ordering::Relaxed));
    outcome?;
    if is_changed || digest.is_some_and(|d| d != plan.digest) {
        return Err(changed());
    }
    // The failed rows' IDs, for their messages (few: read again only when there are some).
    if !failures.is_empty() {
        let mut named = BTreeMap::new();
        for_each_row::<BatchError>(source, plan, &mut |index, row| {
            if let Some(message) = failures.remove(&index) {
                named.insert(index, (row.id_text, message));
            }
            Ok(())
        })?;
        plan.failures = named;
    }
    Ok(())
}

/// Pass 3: every row's outcome, in manifest order, as the summary shows it, reading the
/// manifest again (its ID and extra columns). `f`'s own errors (the summary's) end the pass.
pub fn outcomes<E: From<BatchError>>(
    source: &dyn Source,
    plan: &Plan,
    options: &Options,
    f: &mut dyn FnMut(Outcome) -> Result<(), E>,
) -> Result<(), E> {
    for_each_row(source, plan, &mut |index, row| {
        let Some(c) = plan.rows.get(index) else {
            return Ok(());
        };
        let status = match c.state {
            State::Invalid => Status::Invalid,
            State::ToWrite | State::NotWritten | State::Dropped => Status::NotWritten,
            State::Already => Status::AlreadyWritten,
            State::Written => Status::Written,
            State::Failed => Status::Failed,
        };
        let error = match c.state {
            State::Invalid => plan.errors.get(&index).map(ToString::to_string),
            State::Failed => plan.failures.get(&index).map(|(_, e)| e.clone()),
            State::ToWrite | State::NotWritten => Some(plan.not_written_why.to_string()),
            State::Dropped => Some(plan.dropped_why.clone()),
            State::Already | State::Written => None,
        };
        f(Outcome {
            line: row.line,
            file: row
                .device
                .as_ref()
                .ok()
                .map(|d| options.file_name(d.registration_id.as_str())),
            registration_id: row.id_text,
            thumbprints: c.has_thumbprints.then(|| thumbprints_text(&c.thumbprints)),
            status,
            error,
            extra: row.extra,
        })
    })
}

/// The summary's counts: total, written, invalid, failed, not written, already written.
pub fn counts(plan: &Plan) -> crate::batch::summary::Counts {
    crate::batch::summary::Counts {
        total: plan.total(),
        written: plan.written_count(),
        invalid: plan.count(State::Invalid),
        failed: plan.count(State::Failed),
        not_written: plan.count(State::NotWritten)
            + plan.count(State::Dropped)
            + plan.count(State::ToWrite),
        already_written: plan.already_count(),
    }
}

/// The bytes of a manifest as they are read: UTF-16 with its byte order mark decoded.
fn decoded(path: &Path, bytes: zeroize::Zeroizing<Vec<u8>>) -> Result<BytesSource, ManifestError> {
    let decoded =
        crate::text::utf16::decode_with_bom(&bytes).map_err(|source| ManifestError::Utf16 {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(BytesSource {
        path: path.to_path_buf(),
        bytes: match decoded {
            Some(utf8) => utf8,
            None => bytes,
        },
    })
}

/// A manifest file as a [`Source`]: read again for each pass, except a UTF-16 one (decoded
/// once, held in memory).
pub fn file_source(path: &Path) -> Result<Box<dyn Source>, ManifestError> {
    let read_error = manifest::read_error(path);
    manifest::refuse_folder(path)?;
    let mut start = [0u8; 2];
    let mut file = std::fs::File::open(path).map_err(&read_error)?;
    let mut got = 0;
    while got < 2 {
        match file.read(start.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(read_error(e)),
        }
    }
    if got == 2 && (start == [0xFF, 0xFE] || start == [0xFE, 0xFF]) {
        return Ok(Box::new(decoded(path, manifest::read_whole(path)?)?));
    }
    Ok(Box::new(FileSource(path.to_path_buf())))
}

/// A manifest from `input` (standard input), which cannot be read twice: held in memory, at
/// most [`MAX_MANIFEST_BYTES`]; `name` names it in messages.
pub fn reader_source(name: &Path, input: &mut dyn Read) -> Result<BytesSource, ManifestError> {
    decoded(name, manifest::read_whole_from(name, input)?)
}

/// Reads the whole manifest once, for the errors that make it unusable (its header, a quote
/// never closed, too many rows, too large), before anything else is done.
pub fn check_readable(source: &dyn Source) -> Result<(), ManifestError> {
    let mut pass = Pass::open(source)?;
    while pass.next_row()?.is_some() {}
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firmware::regions::MeasuredRegions;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    /// Gives `first` to the first pass, `later` to every pass after it.
    struct Changing {
        path: PathBuf,
        first: Vec<u8>,
        later: Vec<u8>,
        opened: AtomicUsize,
    }

    impl Source for Changing {
        fn path(&self) -> &Path {
            &self.path
        }
        fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
            let bytes = if self.opened.fetch_add(1, Ordering::SeqCst) == 0 {
                &self.first
            } else {
                &self.later
            };
            Ok(Box::new(bytes.as_slice()))
        }
    }

    /// Keeps what is written.
    #[derive(Default)]
    struct Kept(Mutex<Vec<PathBuf>>);

    impl CertSink for Kept {
        fn write(&self, path: &Path, _contents: &[u8]) -> std::io::Result<()> {
            self.0.lock().unwrap().push(path.to_path_buf());
            Ok(())
        }
        fn describe(&self, path: &Path, error: &std::io::Error) -> String {
            format!("cannot write {}: {error}", path.display())
        }
    }

    fn firmware() -> FirmwareMeasurements {
        let bin = include_bytes!("../../fixtures/devkit-a/DevKitDPS.ino.bin");
        let regions =
            MeasuredRegions::new(bin[0x2d..0xc0].to_vec(), bin[0xc0..0xf8].to_vec()).unwrap();
        FirmwareMeasurements::of(&regions)
    }

    fn manifest(rows: &[(&str, &str)]) -> Vec<u8> {
        let mut text = "uds,registration_id,note\n".to_string();
        for (i, (id, note)) in rows.iter().enumerate() {
            let uds = hex::encode(Sha256::digest([i as u8]));
            text.push_str(&format!("{uds},{id},{note}\n"));
        }
        text.into_bytes()
    }

    fn options() -> Options {
        Options {
            out_dir: PathBuf::from("out"),
            format: crate::encoding::CertFormat::Pem,
            keep_going: false,
            jobs: Some(1),
            allow_shared_uds: false,
            jsonl: None,
        }
    }

    /// Runs the three passes over `source`; the first error.
    fn passes(source: &dyn Source, sink: &Kept) -> Result<Vec<Outcome>, BatchError> {
        let (firmware, options) = (firmware(), options());
        let mut plan = check(
            source,
            &options,
            &firmware,
            &engine::NothingThere,
            &HashSet::new(),
        )?;
        run(
            source,
            &mut plan,
            &firmware,
            &options,
            sink,
            &|| {},
            &AtomicBool::new(false),
        )?;
        let mut all = Vec::new();
        outcomes::<BatchError>(source, &plan, &options, &mut |o| {
            all.push(o);
            Ok(())
        })?;
        Ok(all)
    }

    #[test]
    fn a_manifest_read_the_same_each_pass_gives_one_outcome_a_row() {
        let bytes = manifest(&[("dev-1", "a"), ("dev-2", "b")]);
        let source = BytesSource {
            path: PathBuf::from("m.csv"),
            bytes: zeroize::Zeroizing::new(bytes),
        };
        let sink = Kept::default();
        let outcomes = passes(&source, &sink).unwrap();
        assert_eq!(sink.0.lock().unwrap().len(), 2);
        let got: Vec<_> = outcomes
            .iter()
            .map(|o| {
                (
                    o.line,
                    o.registration_id.as_str(),
                    o.status,
                    o.extra.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (2, "dev-1", Status::Written, vec!["a".to_string()]),
                (3, "dev-2", Status::Written, vec!["b".to_string()]),
            ]
        );
        assert!(outcomes.iter().all(|o| o.thumbprints.is_some()));
    }

    /// A source that never ends: header, then blank lines.
    struct Endless;

    impl Source for Endless {
        fn path(&self) -> &Path {
            Path::new("endless.csv")
        }
        fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
            Ok(Box::new(
                b"uds,registration_id\n"
                    .as_slice()
                    .chain(std::io::repeat(b'\n')),
            ))
        }
    }

    #[test]
    #[ignore = "reads 256 MiB (17 s in a debug build): .ci/run runs it in release"]
    fn a_source_past_the_limit_is_too_large_not_a_read_error() {
        let e = check(
            &Endless,
            &options(),
            &firmware(),
            &engine::NothingThere,
            &HashSet::new(),
        )
        .unwrap_err();
        assert!(
            matches!(e, BatchError::Manifest(ManifestError::TooLarge { .. })),
            "{e:?}"
        );
    }

    #[test]
    fn a_row_kept_between_passes_is_64_bytes() {
        assert_eq!(std::mem::size_of::<Compact>(), 64);
    }

    #[test]
    fn a_manifest_changed_between_passes_is_refused() {
        let changed = |later: Vec<u8>| Changing {
            path: PathBuf::from("m.csv"),
            first: manifest(&[("dev-1", "a"), ("dev-2", "b")]),
            later,
            opened: AtomicUsize::new(0),
        };
        let message = "the manifest m.csv changed during the batch; do not edit it while a batch runs, and run the batch again";
        // Another ID (the row is not the one checked): nothing is written for it.
        let sink = Kept::default();
        let e = passes(&changed(manifest(&[("dev-1", "a"), ("dev-9", "b")])), &sink).unwrap_err();
        assert_eq!(e.to_string(), message);
        assert_eq!(sink.0.lock().unwrap().len(), 1, "only the row checked");
        // Only an extra column changed: refused before any summary row.
        let sink = Kept::default();
        let e = passes(&changed(manifest(&[("dev-1", "a"), ("dev-2", "c")])), &sink).unwrap_err();
        assert_eq!(e.to_string(), message);
        // A row more.
        let sink = Kept::default();
        let e = passes(
            &changed(manifest(&[("dev-1", "a"), ("dev-2", "b"), ("dev-3", "c")])),
            &sink,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), message);
    }
}
