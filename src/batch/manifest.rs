//! The batch manifest: a CSV file with a header row naming `uds` and either
//! `registration_id` or `mac` + `firmware_version` (other columns are carried along), one
//! row per device.
//!
//! Parsing checks each row on its own (UDS, ID, MAC, version, field count) and keeps the
//! row's line number for messages. The file is read into memory that is wiped afterwards,
//! and parsed with `csv-core` into buffers this module owns and wipes, because the UDS
//! column is secret: no UDS digit reaches an error message, a report or an output.

use crate::dice::uds::{Uds, UdsError};
use crate::registration_id::{FirmwareVersion, IdError, Mac, RegistrationId};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;

/// Column of the UDS.
pub const UDS_COLUMN: &str = "uds";
/// Column of the registration ID.
pub const ID_COLUMN: &str = "registration_id";
/// Column of the MAC address (with [`VERSION_COLUMN`], instead of [`ID_COLUMN`]).
pub const MAC_COLUMN: &str = "mac";
/// Column of the firmware version.
pub const VERSION_COLUMN: &str = "firmware_version";

const HEADER_HINT: &str = "the header row must name the columns uds and registration_id, or uds, mac and firmware_version";

/// Why the manifest as a whole cannot be used.
#[derive(Debug, Error)]
pub enum ManifestError {
    /// The file could not be read. The message names the file; the system's reason is the
    /// source, for the caller to word.
    #[error("cannot read the manifest {}", path.display())]
    Read {
        /// The manifest.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No header row.
    #[error("the manifest {} is empty; {HEADER_HINT}, followed by one row per device", path.display())]
    Empty {
        /// The manifest.
        path: PathBuf,
    },
    /// The file starts as UTF-16 but is not.
    #[error("the manifest {}: {source}; save it as UTF-8 CSV", path.display())]
    Utf16 {
        /// The manifest.
        path: PathBuf,
        /// What is wrong with it.
        source: crate::text::utf16::Utf16Error,
    },
    /// The header is not UTF-8.
    #[error("the header row of the manifest {} is not UTF-8 text; save the file as UTF-8 CSV", path.display())]
    HeaderNotUtf8 {
        /// The manifest.
        path: PathBuf,
    },
    /// The header row is separated by semicolons (as spreadsheets save "CSV" in locales
    /// where the comma is the decimal separator).
    #[error("the manifest {} is separated by ';', but the separator is ','; save it as CSV with commas (or replace each ';' with ',')", path.display())]
    Semicolons {
        /// The manifest.
        path: PathBuf,
    },
    /// A required column is missing.
    #[error("the manifest {} has no {column} column (its header has: {found}); {HEADER_HINT}", path.display())]
    MissingColumn {
        /// The manifest.
        path: PathBuf,
        /// The missing column.
        column: &'static str,
        /// The header as found.
        found: String,
    },
    /// A column is named twice.
    #[error("the manifest {} names the column {column} twice; keep one", path.display())]
    DuplicateColumn {
        /// The manifest.
        path: PathBuf,
        /// The column.
        column: String,
    },
    /// A header and no device.
    #[error("the manifest {} has a header row but no devices; add one row per device", path.display())]
    NoDevices {
        /// The manifest.
        path: PathBuf,
    },
    /// Larger than [`MAX_MANIFEST_BYTES`]: not read.
    #[error("the manifest {} is larger than 256 MiB, more than a million devices' worth; split it into manifests of at most 1,000,000 rows", path.display())]
    TooLarge {
        /// The manifest.
        path: PathBuf,
    },
    /// A quoted field opened and never closed: it would take in every row after it as one
    /// cell (those devices silently missing).
    #[error("the manifest {} has a quote (\") on line {line} that is never closed, so everything after it would be one field and the rows below it would be lost; close the quote, or remove it", path.display())]
    UnclosedQuote {
        /// The manifest.
        path: PathBuf,
        /// The line where the field's opening quote is.
        line: u64,
    },
    /// The manifest file changed between two readings of one batch (it is read row by row,
    /// more than once, rather than held in memory).
    #[error("the manifest {} changed while the batch was reading it; run the batch again once the file is saved", path.display())]
    Changed {
        /// The manifest.
        path: PathBuf,
    },
    /// More device rows than the limit ([`MAX_ROWS`]).
    #[error("the manifest {} has more than {} device rows; split it into manifests of at most {} rows", path.display(), thousands(*limit), thousands(*limit))]
    TooManyRows {
        /// The manifest.
        path: PathBuf,
        /// The most rows accepted.
        limit: usize,
    },
}

/// `1000000` as `1,000,000`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Largest manifest read: a million rows of the longest IDs fit well within it.
pub const MAX_MANIFEST_BYTES: u64 = 256 << 20;
/// Most device rows in one manifest (one production run per manifest; split larger ones),
/// so that a batch's memory stays bounded.
pub const MAX_ROWS: usize = 1_000_000;

/// Why one row cannot be used. The line number is not part of the text (see
/// [`RowError::at`]); no variant carries a UDS digit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RowError {
    /// A required field is empty.
    #[error("the {0} field is empty; fill it in")]
    EmptyField(&'static str),
    /// Bad UDS.
    #[error(transparent)]
    Uds(#[from] UdsError),
    /// Bad registration ID, MAC or version.
    #[error(transparent)]
    Id(#[from] IdError),
    /// The registration ID looks like a UDS (the columns swapped?): it would go into the
    /// public certificate, its file name and the summary.
    #[error(
        "the registration_id field is 64 hex digits, as a UDS is (are the uds and registration_id columns swapped?); a registration ID goes into the public certificate, its file name and the summary, so it must never be a UDS"
    )]
    IdLooksLikeUds,
    /// The registration ID holds a run of 64 or more hex digits (`dev-<UDS>`, `<UDS>0`): a
    /// UDS may be in it.
    #[error(
        "the registration_id field holds 64 or more hex digits in a row, as a UDS does (a UDS pasted into it?); a registration ID goes into the public certificate, its file name and the summary, so it must never hold a UDS"
    )]
    IdHoldsUdsLike,
    /// Both a registration ID and a MAC.
    #[error(
        "both registration_id and mac are filled in; give the registration ID, or the MAC and firmware version, not both"
    )]
    BothIds,
    /// Not as many fields as the header has columns.
    #[error(
        "the row has {found} fields but the header has {expected} columns; check for a missing or extra comma"
    )]
    FieldCount {
        /// Fields in the row.
        found: usize,
        /// Columns in the header.
        expected: usize,
    },
    /// The row is not UTF-8.
    #[error("the row is not UTF-8 text; save the manifest as UTF-8 CSV")]
    NotUtf8,
    /// Another row has the same registration ID.
    #[error(
        "the registration ID {id} is also on line {first_line}; every device needs its own registration ID"
    )]
    Duplicate {
        /// The ID.
        id: RegistrationId,
        /// The line where it first appears.
        first_line: u64,
    },
    /// Another row has the same UDS: two boards would share one secret.
    #[error(
        "the UDS is also on line {other_line}: two boards would share one secret, and each board needs its own UDS"
    )]
    SharedUds {
        /// Another line with the same UDS (the first one other than this row).
        other_line: u64,
    },
    /// Something other than a regular file is where the certificate goes: never replaced,
    /// not even when overwriting is allowed.
    #[error("{} is not a regular file (a folder, a link, a device, a FIFO or a socket), and the batch never replaces one", path.display())]
    NotAFile {
        /// The path.
        path: PathBuf,
    },
    /// The certificate file exists, and overwriting was not allowed.
    #[error("{} already exists with other contents", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

impl RowError {
    /// The message with its place: `devices.csv line 7: ...`.
    pub fn at(&self, manifest: &Path, line: u64) -> String {
        format!("{} line {line}: {self}", manifest.display())
    }
}

/// A row's device: what the derivation needs.
#[derive(Debug, Clone)]
pub struct Device {
    /// The board's secret.
    pub uds: Uds,
    /// The certificate's subject CN.
    pub registration_id: RegistrationId,
}

/// One row of the manifest.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line the row starts on (the header is line 1 unless blank lines precede it).
    pub line: u64,
    /// The registration ID as written or built from the MAC, for reports, even when it is
    /// invalid (it is not secret); empty when the row has none.
    pub id_text: String,
    /// The device, or why the row is unusable.
    pub device: Result<Device, RowError>,
    /// The values of the extra columns, in [`Manifest::extra_columns`] order.
    pub extra: Vec<String>,
}

/// A parsed manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The file, for messages.
    pub path: PathBuf,
    /// Names of the columns this tool does not use, in file order.
    pub extra_columns: Vec<String>,
    /// The device rows, in file order.
    pub rows: Vec<Row>,
    /// Device rows that span more than one line (a quoted field holding a line break), and
    /// the first line of the first of them: told with the row count, since such a field can
    /// take in what looks like rows of their own.
    pub spanning: Option<Spanning>,
}

/// Device rows that span more than one line of the manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spanning {
    /// How many rows do.
    pub rows: usize,
    /// The first line of the first of them.
    pub first_line: u64,
}

impl Manifest {
    /// The note that goes with the row count when some rows span several lines: `1 of the 3
    /// device rows spans several lines (a quoted field holding line breaks, first on line 4)`.
    pub fn spanning_note(&self) -> Option<String> {
        Some(self.spanning?.note(self.rows.len(), &self.path))
    }
}

impl Spanning {
    /// [`Manifest::spanning_note`] for a manifest of `rows` device rows at `path`.
    pub fn note(&self, rows: usize, path: &Path) -> String {
        let verb = if self.rows == 1 { "spans" } else { "span" };
        format!(
            "{} of the {rows} device rows {verb} several lines of {} (a quoted field holding line breaks, first on line {})",
            self.rows,
            path.display(),
            self.first_line
        )
    }
}

/// The error of reading the manifest file `path`.
pub(crate) fn read_error(path: &Path) -> impl Fn(std::io::Error) -> ManifestError + '_ {
    move |source| ManifestError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses a folder given as the manifest file.
pub(crate) fn refuse_folder(path: &Path) -> Result<(), ManifestError> {
    if path.is_dir() {
        return Err(read_error(path)(std::io::Error::from(
            std::io::ErrorKind::IsADirectory,
        )));
    }
    Ok(())
}

/// The whole manifest file `path`, at most [`MAX_MANIFEST_BYTES`].
pub(crate) fn read_whole(path: &Path) -> Result<Zeroizing<Vec<u8>>, ManifestError> {
    use crate::limits::{Bounded, read_at_most};
    refuse_folder(path)?;
    match read_at_most(path, MAX_MANIFEST_BYTES).map_err(read_error(path))? {
        Bounded::Read(bytes) => Ok(Zeroizing::new(bytes)),
        Bounded::TooLarge(_) => Err(ManifestError::TooLarge {
            path: path.to_path_buf(),
        }),
    }
}

/// All of `input` (standard input), at most [`MAX_MANIFEST_BYTES`]; `name` names it in
/// messages.
pub(crate) fn read_whole_from(
    name: &Path,
    input: &mut dyn std::io::Read,
) -> Result<Zeroizing<Vec<u8>>, ManifestError> {
    use std::io::Read as _;
    let mut bytes = Zeroizing::new(Vec::new());
    input
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error(name))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            path: name.to_path_buf(),
        });
    }
    Ok(bytes)
}

impl Manifest {
    /// Reads and parses a manifest file.
    pub fn read(path: &Path) -> Result<Self, ManifestError> {
        Self::parse(path, &read_whole(path)?)
    }

    /// Reads a manifest from `input` (standard input, for `--manifest -`), at most
    /// [`MAX_MANIFEST_BYTES`]; `name` names it in messages.
    pub fn from_reader(name: &Path, input: &mut dyn std::io::Read) -> Result<Self, ManifestError> {
        Self::parse(name, &read_whole_from(name, input)?)
    }

    /// Parses manifest bytes; `path` names the file in messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, ManifestError> {
        Self::parse_at_most(path, bytes, MAX_ROWS)
    }

    /// [`Manifest::parse`], refusing more than `max_rows` device rows.
    pub fn parse_at_most(
        path: &Path,
        bytes: &[u8],
        max_rows: usize,
    ) -> Result<Self, ManifestError> {
        // UTF-16 with its byte order mark (Windows PowerShell 5.1's `>`, Excel's "Unicode
        // Text") is read as the UTF-8 it holds.
        let decoded =
            crate::text::utf16::decode_with_bom(bytes).map_err(|source| ManifestError::Utf16 {
                path: path.to_path_buf(),
                source,
            })?;
        let bytes = decoded.as_deref().map_or(bytes, Vec::as_slice);
        if let Some(line) = unclosed_quote(bytes) {
            return Err(ManifestError::UnclosedQuote {
                path: path.to_path_buf(),
                line,
            });
        }
        let mut reader = RowReader::new(path, bytes, max_rows)?;
        // Sized once: a growing vector would move the rows (each holding a UDS) to a larger
        // buffer and free the old one unwiped.
        let mut rows = Vec::with_capacity(row_capacity(bytes));
        while let Some(row) = reader.next_row()? {
            rows.push(row);
        }
        Ok(Self {
            path: path.to_path_buf(),
            extra_columns: reader.columns.extra_names,
            rows,
            spanning: reader.spanning,
        })
    }
}

/// A manifest read row by row from `R` (a file, or bytes in memory), never held whole: what
/// a batch of any size reads, as many times as it needs. The header is read first.
pub struct RowReader<R> {
    records: Records<R>,
    columns: Columns,
    path: PathBuf,
    max_rows: usize,
    rows: usize,
    spanning: Option<Spanning>,
}

impl<R: std::io::Read> RowReader<R> {
    /// Reads the header row from `source` (UTF-8, its byte order mark skipped); `path` names
    /// the manifest in messages; more than `max_rows` device rows are refused.
    pub fn new(path: &Path, source: R, max_rows: usize) -> Result<Self, ManifestError> {
        let mut records = Records::new(source);
        let header = records.next_record();
        let header_error =
            |records: &mut Records<R>, e: ManifestError| match records.end_error(path) {
                Some(end) => end,
                None => e,
            };
        let Some(header) = header else {
            let empty = ManifestError::Empty {
                path: path.to_path_buf(),
            };
            return Err(header_error(&mut records, empty));
        };
        let columns = match Columns::of(path, &header) {
            Ok(columns) => columns,
            // A header that took in the whole file: its quote was never closed.
            Err(e) => return Err(header_error(&mut records, e)),
        };
        Ok(Self {
            records,
            columns,
            path: path.to_path_buf(),
            max_rows,
            rows: 0,
            spanning: None,
        })
    }

    /// Names of the columns this tool does not use, in file order.
    pub fn extra_columns(&self) -> &[String] {
        &self.columns.extra_names
    }

    /// The source, once the rows are read (and the rows spanning lines).
    pub fn into_parts(self) -> (R, Option<Spanning>) {
        (self.records.into_source(), self.spanning)
    }

    /// The rows read so far that span more than one line.
    pub fn spanning(&self) -> Option<Spanning> {
        self.spanning
    }

    /// The next device row, or `None` after the last (an error if there was none at all, the
    /// file could not be read, or a quote was never closed).
    pub fn next_row(&mut self) -> Result<Option<Row>, ManifestError> {
        let Some(record) = self.records.next_record() else {
            if let Some(e) = self.records.end_error(&self.path) {
                return Err(e);
            }
            if self.rows == 0 {
                return Err(ManifestError::NoDevices {
                    path: self.path.clone(),
                });
            }
            return Ok(None);
        };
        if self.rows == self.max_rows {
            return Err(ManifestError::TooManyRows {
                path: self.path.clone(),
                limit: self.max_rows,
            });
        }
        if record.data.iter().any(|b| *b == b'\n' || *b == b'\r') {
            let s = self.spanning.get_or_insert(Spanning {
                rows: 0,
                first_line: record.line,
            });
            s.rows += 1;
        }
        self.rows += 1;
        Ok(Some(self.columns.row(&record)))
    }
}

/// The line of a quoted field that is never closed, if any, read as the CSV parser reads
/// (a field is quoted when it starts with `"`; `""` inside it is one quote; a quote inside an
/// unquoted field is a character): such a field runs to the end of the file.
fn unclosed_quote(bytes: &[u8]) -> Option<u64> {
    let mut scan = QuoteScan::new();
    scan.feed(bytes);
    scan.unclosed()
}

/// An upper bound on the device rows in `bytes` (every record but the last ends with a line
/// break), at most [`MAX_ROWS`]: the rows vector never has to grow.
fn row_capacity(bytes: &[u8]) -> usize {
    let breaks = bytes
        .iter()
        .filter(|b| **b == b'\n' || **b == b'\r')
        .count();
    breaks.saturating_add(1).min(MAX_ROWS)
}

/// One CSV record: its fields' bytes in a wiped buffer, and its first line.
struct Record {
    line: u64,
    data: Zeroizing<Vec<u8>>,
    ends: Vec<usize>,
}

impl Record {
    fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter().copied())
            .map(|(a, b)| self.data.get(a..b).unwrap_or_default())
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// A record of empty or blank fields only (a blank line, or `,,` from a spreadsheet).
    fn is_blank(&self) -> bool {
        self.data.iter().all(u8::is_ascii_whitespace)
    }
}

/// Bytes read from the source at a time.
const READ_BUFFER: usize = 64 << 10;

/// The quote state of the text read so far, as [`unclosed_quote`] follows it, byte by byte.
#[derive(Clone, Copy, PartialEq)]
enum QuoteState {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

/// [`unclosed_quote`] as the bytes come.
struct QuoteScan {
    state: QuoteState,
    line: u64,
    opened: u64,
    after_cr: bool,
}

impl QuoteScan {
    fn new() -> Self {
        Self {
            state: QuoteState::FieldStart,
            line: 1,
            opened: 1,
            after_cr: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            let newline = b == b'\r' || (b == b'\n' && !self.after_cr);
            let is_break = b == b'\r' || b == b'\n';
            self.after_cr = b == b'\r';
            self.state = match (self.state, b) {
                (QuoteState::FieldStart, b'"') => {
                    self.opened = self.line;
                    QuoteState::Quoted
                }
                (QuoteState::Quoted, b'"') => QuoteState::QuoteInQuoted,
                (QuoteState::Quoted, _) => QuoteState::Quoted,
                (QuoteState::QuoteInQuoted, b'"') => QuoteState::Quoted,
                (_, b',') => QuoteState::FieldStart,
                (_, _) if is_break => QuoteState::FieldStart,
                _ => QuoteState::Unquoted,
            };
            if newline {
                self.line += 1;
            }
        }
    }

    /// The line of the quote that is open at the end, if one is.
    fn unclosed(&self) -> Option<u64> {
        (self.state == QuoteState::Quoted).then_some(self.opened)
    }
}

/// The records of a CSV text read from `R` through a wiped buffer, blank ones skipped.
struct Records<R> {
    reader: csv_core::Reader,
    source: R,
    /// Read but not yet parsed: `buf[start..end]`.
    buf: Zeroizing<Vec<u8>>,
    start: usize,
    end: usize,
    /// Nothing more to read (the end, or an error, kept in `error`).
    eof: bool,
    /// Whether the start of the text (its byte order mark) is still ahead.
    first: bool,
    error: Option<std::io::Error>,
    /// 1-based line at `buf[start]`.
    line: u64,
    /// Whether the byte before `buf[start]` was a CR (so that a CRLF split across reads is
    /// one line break).
    after_cr: bool,
    quotes: QuoteScan,
}

/// Line breaks in `bytes`: LF, CRLF and a lone CR (a spreadsheet's "CSV (Macintosh)") each
/// count once, as the CSV parser ends records at each of them. `after_cr` carries whether the
/// byte before `bytes` was a CR, and is updated.
fn line_breaks(bytes: &[u8], after_cr: &mut bool) -> u64 {
    let mut n = 0;
    for b in bytes {
        match b {
            b'\r' => n += 1,
            b'\n' if !*after_cr => n += 1,
            _ => {}
        }
        *after_cr = *b == b'\r';
    }
    n
}

impl<R: std::io::Read> Records<R> {
    fn new(source: R) -> Self {
        Self {
            reader: csv_core::Reader::new(),
            source,
            buf: Zeroizing::new(vec![0u8; READ_BUFFER]),
            start: 0,
            end: 0,
            eof: false,
            first: true,
            error: None,
            line: 1,
            after_cr: false,
            quotes: QuoteScan::new(),
        }
    }

    /// The source read from.
    fn into_source(self) -> R {
        self.source
    }

    /// What ended the text early, once [`Records::next_record`] gave `None`: a read error,
    /// or a quote never closed.
    fn end_error(&mut self, path: &Path) -> Option<ManifestError> {
        if let Some(source) = self.error.take() {
            return Some(ManifestError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
        self.quotes
            .unclosed()
            .map(|line| ManifestError::UnclosedQuote {
                path: path.to_path_buf(),
                line,
            })
    }

    /// Reads more into the buffer; false when nothing more comes (the end, or an error).
    fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        // Reads until there is input (the first time, until the byte order mark can be told).
        while !self.eof && (self.start == self.end || (self.first && self.end < 3)) {
            let Some(space) = self.buf.get_mut(self.end..) else {
                break;
            };
            if space.is_empty() {
                break;
            }
            match self.source.read(space) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.error = Some(e);
                    self.eof = true;
                }
            }
        }
        if self.first {
            self.first = false;
            if self.input().starts_with(b"\xef\xbb\xbf") {
                self.start += 3;
                if self.start == self.end {
                    return self.fill();
                }
            }
        }
        self.start < self.end
    }

    fn input(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Takes `n` bytes of the input as parsed, counting their lines and quotes.
    fn consume(&mut self, n: usize) {
        let consumed = self.buf.get(self.start..self.start + n).unwrap_or_default();
        self.line += line_breaks(consumed, &mut self.after_cr);
        self.quotes.feed(consumed);
        self.start += n;
    }

    fn next_record(&mut self) -> Option<Record> {
        loop {
            let record = self.read_one()?;
            if !record.is_blank() {
                return Some(record);
            }
        }
    }

    fn read_one(&mut self) -> Option<Record> {
        // Blank lines before the record are skipped by the parser: counted here.
        loop {
            let blank = self
                .input()
                .iter()
                .take_while(|b| **b == b'\n' || **b == b'\r')
                .count();
            self.consume(blank);
            if !self.input().is_empty() || !self.fill() {
                break;
            }
        }
        let start_line = self.line;
        let mut data = Zeroizing::new(vec![0u8; 256]);
        let mut ends = vec![0usize; 8];
        let (mut out_len, mut ends_len) = (0usize, 0usize);
        loop {
            let out = data.get_mut(out_len..).unwrap_or_default();
            let end_slots = ends.get_mut(ends_len..).unwrap_or_default();
            // (An empty input tells the parser the text has ended.)
            let input = self.buf.get(self.start..self.end).unwrap_or_default();
            let (result, nin, nout, nend) = self.reader.read_record(input, out, end_slots);
            self.consume(nin);
            // (Field ends count from the start of the record, across calls.)
            out_len += nout;
            ends_len += nend;
            match result {
                csv_core::ReadRecordResult::InputEmpty => {
                    // At the end, the next call passes no input: the parser ends the record.
                    self.fill();
                }
                csv_core::ReadRecordResult::OutputFull => {
                    // Grow into a new wiped buffer; the old one is wiped on drop.
                    let mut bigger = Zeroizing::new(vec![0u8; data.len() * 2]);
                    if let (Some(dst), Some(src)) = (bigger.get_mut(..out_len), data.get(..out_len))
                    {
                        dst.copy_from_slice(src);
                    }
                    data = bigger;
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    ends.resize(ends.len() * 2, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    data.truncate(out_len);
                    ends.truncate(ends_len);
                    return Some(Record {
                        line: start_line,
                        data,
                        ends,
                    });
                }
                csv_core::ReadRecordResult::End => return None,
            }
        }
    }
}

/// The header's names as a message may show them: printable, short, at most ten of them, and
/// never a cell that looks like a UDS (a manifest without its header row has one there).
fn header_for_message(names: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut shown: Vec<String> = names
        .iter()
        .take(SHOWN)
        .map(|n| {
            if n.len() == 64 && n.chars().all(|c| c.is_ascii_hexdigit()) {
                "<64 hex digits>".to_string()
            } else {
                crate::text::printable::printable(n)
            }
        })
        .collect();
    if names.len() > SHOWN {
        shown.push(format!("and {} more", names.len() - SHOWN));
    }
    shown.join(", ")
}

/// Where the columns are.
struct Columns {
    count: usize,
    uds: usize,
    id: Option<usize>,
    mac: Option<(usize, usize)>,
    extra: Vec<usize>,
    extra_names: Vec<String>,
}

impl Columns {
    fn of(path: &Path, header: &Record) -> Result<Self, ManifestError> {
        let mut names = Vec::with_capacity(header.len());
        for field in header.fields() {
            let name = std::str::from_utf8(field).map_err(|_| ManifestError::HeaderNotUtf8 {
                path: path.to_path_buf(),
            })?;
            names.push(name.trim().to_string());
        }
        let find = |column: &'static str| -> Result<Option<usize>, ManifestError> {
            let mut found = names
                .iter()
                .enumerate()
                .filter(|(_, n)| n.eq_ignore_ascii_case(column));
            let first = found.next().map(|(i, _)| i);
            if found.next().is_some() {
                return Err(ManifestError::DuplicateColumn {
                    path: path.to_path_buf(),
                    column: column.to_string(),
                });
            }
            Ok(first)
        };
        let missing = |column: &'static str| ManifestError::MissingColumn {
            path: path.to_path_buf(),
            column,
            found: header_for_message(&names),
        };
        if names.len() == 1 && names.iter().any(|n| n.contains(';')) {
            return Err(ManifestError::Semicolons {
                path: path.to_path_buf(),
            });
        }
        let uds = find(UDS_COLUMN)?.ok_or_else(|| missing(UDS_COLUMN))?;
        let id = find(ID_COLUMN)?;
        let mac = match (find(MAC_COLUMN)?, find(VERSION_COLUMN)?) {
            (Some(m), Some(v)) => Some((m, v)),
            (Some(_), None) => return Err(missing(VERSION_COLUMN)),
            (None, Some(_)) => return Err(missing(MAC_COLUMN)),
            (None, None) => None,
        };
        if id.is_none() && mac.is_none() {
            return Err(missing(ID_COLUMN));
        }
        let known =
            |i: usize| i == uds || Some(i) == id || mac.is_some_and(|(m, v)| i == m || i == v);
        let extra: Vec<usize> = (0..names.len()).filter(|i| !known(*i)).collect();
        let extra_names = extra
            .iter()
            .filter_map(|i| names.get(*i).cloned())
            .collect();
        Ok(Self {
            count: names.len(),
            uds,
            id,
            mac,
            extra,
            extra_names,
        })
    }

    fn row(&self, record: &Record) -> Row {
        let fields: Vec<&[u8]> = record.fields().collect();
        let text = |i: usize| -> Option<Result<&str, RowError>> {
            fields.get(i).map(|f| {
                std::str::from_utf8(f)
                    .map(str::trim)
                    .map_err(|_| RowError::NotUtf8)
            })
        };
        let extra = self
            .extra
            .iter()
            .map(|i| match text(*i) {
                Some(Ok(s)) => s.to_string(),
                Some(Err(_)) => {
                    String::from_utf8_lossy(fields.get(*i).copied().unwrap_or_default())
                        .trim()
                        .to_string()
                }
                None => String::new(),
            })
            .collect();
        let mut id_text = String::new();
        let device = (|| {
            if fields.len() != self.count {
                // Still name the ID when it can be read, so the user finds the row.
                if let Some(Ok(id)) = self.id.and_then(text) {
                    id_text = id.to_string();
                }
                return Err(RowError::FieldCount {
                    found: fields.len(),
                    expected: self.count,
                });
            }
            let field = |i: usize| text(i).unwrap_or(Ok(""));
            let id_given = match self.id {
                Some(i) => field(i)?,
                None => "",
            };
            let (mac, version) = match self.mac {
                Some((m, v)) => (field(m)?, field(v)?),
                None => ("", ""),
            };
            let registration_id = if !id_given.is_empty() {
                if crate::text::uds_like::looks_like_uds(id_given) {
                    id_text = crate::text::uds_like::MASK.to_string();
                    return Err(RowError::IdLooksLikeUds);
                }
                // (A longer ID is refused for its length first, naming no character of it.)
                if id_given.len() <= crate::registration_id::DEVICE_MAX_LEN
                    && crate::text::uds_like::holds_uds_like(id_given)
                {
                    id_text = crate::text::uds_like::mask_uds_like(id_given);
                    return Err(RowError::IdHoldsUdsLike);
                }
                id_text = id_given.to_string();
                if !mac.is_empty() {
                    return Err(RowError::BothIds);
                }
                RegistrationId::new(id_given)?
            } else if self.mac.is_some()
                && (!mac.is_empty() || !version.is_empty() || self.id.is_none())
            {
                if mac.is_empty() {
                    return Err(RowError::EmptyField(MAC_COLUMN));
                }
                if version.is_empty() {
                    return Err(RowError::EmptyField(VERSION_COLUMN));
                }
                let id =
                    RegistrationId::from_board(&Mac::new(mac)?, &FirmwareVersion::new(version)?);
                id_text = id.as_str().to_string();
                id
            } else {
                return Err(RowError::EmptyField(ID_COLUMN));
            };
            let uds = field(self.uds)?;
            if uds.is_empty() {
                return Err(RowError::EmptyField(UDS_COLUMN));
            }
            let uds = Uds::from_hex(uds)?;
            Ok(Device {
                uds,
                registration_id,
            })
        })();
        Row {
            line: record.line,
            id_text,
            device,
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dice::uds::SAMPLE_UDS_HEX;

    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(Path::new("devices.csv"), text.as_bytes())
    }

    #[test]
    fn the_rows_vector_is_sized_once_and_never_grows() {
        for text in [
            format!("uds,registration_id\n{SAMPLE_UDS_HEX},dev-1"),
            format!("uds,registration_id\r{SAMPLE_UDS_HEX},dev-1\r{SAMPLE_UDS_HEX},dev-2\r"),
            format!("uds,registration_id\r\n{SAMPLE_UDS_HEX},dev-1\r\n\r\n{SAMPLE_UDS_HEX},dev-2"),
            (0..100)
                .map(|i| format!("{SAMPLE_UDS_HEX},dev-{i}\n"))
                .fold("uds,registration_id\n".to_string(), |a, b| a + &b),
        ] {
            let capacity = row_capacity(text.as_bytes());
            let m = parse(&text).unwrap();
            assert!(m.rows.len() <= capacity);
            assert_eq!(m.rows.capacity(), capacity, "no reallocation: {text:?}");
        }
    }

    /// Gives one byte per read: every record, line break and quote crosses a read.
    struct ByteByByte<'a>(&'a [u8]);

    impl std::io::Read for ByteByByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn rows_read_from_a_stream_in_small_reads_are_the_rows_parsed_in_memory() {
        let text = format!(
            "\u{feff}Serial,uds,registration_id\r\n\r\nA1,{SAMPLE_UDS_HEX},dev-1\r\n\"A\r\n2\",{SAMPLE_UDS_HEX},dev-2\r\r\nA3,{SAMPLE_UDS_HEX},dev-3"
        );
        let whole = parse(&text).unwrap();
        let mut reader = RowReader::new(
            Path::new("devices.csv"),
            ByteByByte(text.as_bytes()),
            MAX_ROWS,
        )
        .unwrap();
        assert_eq!(reader.extra_columns(), whole.extra_columns.as_slice());
        let mut streamed = Vec::new();
        while let Some(row) = reader.next_row().unwrap() {
            streamed.push(row);
        }
        assert_eq!(streamed.len(), 3);
        for (a, b) in streamed.iter().zip(&whole.rows) {
            assert_eq!(
                (a.line, &a.id_text, &a.extra),
                (b.line, &b.id_text, &b.extra)
            );
            assert!(a.device.is_ok() && b.device.is_ok());
        }
        assert_eq!(reader.spanning(), whole.spanning);
        // A quote never closed, found at the end of the stream (after the row it took in:
        // a streamed pass must read to the end before it uses a row).
        let text = format!("uds,registration_id,note\n{SAMPLE_UDS_HEX},dev-1,\"open\n");
        let mut reader = RowReader::new(
            Path::new("devices.csv"),
            ByteByByte(text.as_bytes()),
            MAX_ROWS,
        )
        .unwrap();
        assert!(reader.next_row().unwrap().is_some());
        assert!(matches!(
            reader.next_row(),
            Err(ManifestError::UnclosedQuote { line: 2, .. })
        ));
    }

    #[test]
    fn reads_ids_macs_extras_and_line_numbers() {
        let text = format!(
            "\u{feff}Serial, UDS ,registration_id\n\nA1,{SAMPLE_UDS_HEX},dev-1\n\"A\n2\",{SAMPLE_UDS_HEX},dev-2\r\n , , \nA3,{SAMPLE_UDS_HEX},dev-3"
        );
        let m = parse(&text).unwrap();
        assert_eq!(m.extra_columns, vec!["Serial"]);
        let lines: Vec<u64> = m.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 4, 7]);
        assert_eq!(m.rows[1].extra, vec!["A\n2"]);
        let ids: Vec<&str> = m
            .rows
            .iter()
            .map(|r| r.device.as_ref().unwrap().registration_id.as_str())
            .collect();
        assert_eq!(ids, vec!["dev-1", "dev-2", "dev-3"]);
    }

    #[test]
    fn utf16_manifests_with_a_byte_order_mark_are_read() {
        let text = format!("uds,registration_id,note\r\n{SAMPLE_UDS_HEX},dev-1,caf\u{e9}\r\n");
        for little in [true, false] {
            let mut bytes = if little {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for unit in text.encode_utf16() {
                bytes.extend(if little {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
            let m = Manifest::parse(Path::new("devices.csv"), &bytes).unwrap();
            assert_eq!(m.rows.len(), 1);
            assert_eq!(m.extra_columns, ["note"]);
            let row = m.rows.first().unwrap();
            assert_eq!(row.line, 2);
            assert_eq!(row.extra, ["caf\u{e9}"]);
            let device = row.device.as_ref().unwrap();
            assert_eq!(device.registration_id.as_str(), "dev-1");
            assert_eq!(hex::encode(device.uds.as_bytes()), SAMPLE_UDS_HEX);
        }
        assert_eq!(
            Manifest::parse(Path::new("devices.csv"), &[0xFE, 0xFF, 0xD8, 0x00])
                .unwrap_err()
                .to_string(),
            "the manifest devices.csv: it starts with a UTF-16 byte order mark but is not valid UTF-16 text; save it as UTF-8 CSV"
        );
    }

    #[test]
    fn builds_the_board_id_from_mac_and_version() {
        let m = parse(&format!(
            "uds,mac,firmware_version\n{SAMPLE_UDS_HEX},C8:93:46:00:00:01,1.3.0\n"
        ))
        .unwrap();
        let device = m.rows[0].device.as_ref().unwrap();
        assert_eq!(device.registration_id.as_str(), "az-c89346000001v1v3v0");
    }

    #[test]
    fn a_manifest_separated_by_semicolons_says_the_separator_is_a_comma() {
        let text = format!("uds;registration_id\n{SAMPLE_UDS_HEX};dev-1\n");
        assert_eq!(
            parse(&text).unwrap_err().to_string(),
            "the manifest devices.csv is separated by ';', but the separator is ','; save it as CSV with commas (or replace each ';' with ',')"
        );
    }

    #[test]
    fn row_errors() {
        let text = format!(
            "uds,registration_id,mac,firmware_version\n\
             {SAMPLE_UDS_HEX},dev-1,c89346000001,1.3.0\n\
             {SAMPLE_UDS_HEX},,,\n\
             {SAMPLE_UDS_HEX},,c89346000001,\n\
             {SAMPLE_UDS_HEX},Dev,,\n\
             {SAMPLE_UDS_HEX},dev-5\n\
             ,dev-6,,\n"
        );
        let m = parse(&text).unwrap();
        let errors: Vec<RowError> = m
            .rows
            .iter()
            .map(|r| r.device.clone().unwrap_err())
            .collect();
        assert_eq!(errors[0], RowError::BothIds);
        assert_eq!(errors[1], RowError::EmptyField("registration_id"));
        assert_eq!(errors[2], RowError::EmptyField("firmware_version"));
        assert!(matches!(
            errors[3],
            RowError::Id(IdError::UpperCaseId { .. })
        ));
        assert_eq!(
            errors[4],
            RowError::FieldCount {
                found: 2,
                expected: 4
            }
        );
        assert_eq!(m.rows[4].id_text, "dev-5");
        assert_eq!(errors[5], RowError::EmptyField("uds"));
    }

    #[test]
    fn an_id_holding_a_uds_anywhere_is_refused_and_not_repeated() {
        let upper = SAMPLE_UDS_HEX.to_uppercase();
        let text = format!(
            "uds,registration_id\n\
             {SAMPLE_UDS_HEX},dev-{SAMPLE_UDS_HEX}\n\
             {SAMPLE_UDS_HEX},{SAMPLE_UDS_HEX}0\n\
             {SAMPLE_UDS_HEX},x{upper}\n\
             {SAMPLE_UDS_HEX},{}\n\
             {SAMPLE_UDS_HEX},{}\n",
            "a".repeat(126),
            "a".repeat(127),
        );
        let m = parse(&text).unwrap();
        let errors: Vec<RowError> = m
            .rows
            .iter()
            .map(|r| r.device.clone().unwrap_err())
            .collect();
        assert!(
            errors[..4].iter().all(|e| *e == RowError::IdHoldsUdsLike),
            "{errors:?}"
        );
        assert_eq!(errors[4], RowError::Id(IdError::IdTooLong { len: 127 }));
        let shown: Vec<&str> = m.rows.iter().map(|r| r.id_text.as_str()).collect();
        assert_eq!(
            shown[..4],
            [
                "dev-<64 hex digits, hidden>",
                "<64 hex digits, hidden>",
                "x<64 hex digits, hidden>",
                "<64 hex digits, hidden>"
            ]
        );
    }

    #[test]
    fn a_quote_never_closed_is_an_error_naming_its_line() {
        let text = format!(
            "uds,registration_id,note\n{SAMPLE_UDS_HEX},dev-1,\"never closed\n{SAMPLE_UDS_HEX},dev-2,x\n"
        );
        assert_eq!(
            parse(&text).unwrap_err().to_string(),
            "the manifest devices.csv has a quote (\") on line 2 that is never closed, so everything after it would be one field and the rows below it would be lost; close the quote, or remove it"
        );
        // Escaped quotes, quotes inside unquoted fields, CR-only lines: the line is right.
        let text = format!(
            "uds,registration_id,note\r{SAMPLE_UDS_HEX},dev-1,\"a \"\"b\"\"\"\r{SAMPLE_UDS_HEX},dev-2,5\"\r{SAMPLE_UDS_HEX},dev-3,\"x\r"
        );
        assert!(matches!(
            parse(&text),
            Err(ManifestError::UnclosedQuote { line: 4, .. })
        ));
        // Closed quotes, one spanning lines: read, and the rows that span lines are told.
        let text = format!(
            "uds,registration_id,note\n{SAMPLE_UDS_HEX},dev-1,\"a\"\"\"\n{SAMPLE_UDS_HEX},dev-2,\"two\nlines\"\n{SAMPLE_UDS_HEX},dev-3,x\"y\n"
        );
        let m = parse(&text).unwrap();
        assert_eq!(m.rows.len(), 3);
        assert_eq!(
            m.spanning,
            Some(Spanning {
                rows: 1,
                first_line: 3
            })
        );
        assert_eq!(
            m.spanning_note().unwrap(),
            "1 of the 3 device rows spans several lines of devices.csv (a quoted field holding line breaks, first on line 3)"
        );
        assert_eq!(m.rows[2].line, 5);
        assert_eq!(m.rows[2].extra, ["x\"y"]);
        assert_eq!(
            parse(&format!("uds,registration_id\n{SAMPLE_UDS_HEX},dev-1\n"))
                .unwrap()
                .spanning,
            None
        );
    }

    #[test]
    fn long_fields_grow_the_buffers() {
        let extra = "x".repeat(5000);
        let header: Vec<String> = (0..20).map(|i| format!("c{i}")).collect();
        let text = format!(
            "uds,registration_id,{}\n{SAMPLE_UDS_HEX},dev-1,{extra},{}\n",
            header.join(","),
            vec!["y"; 19].join(",")
        );
        let m = parse(&text).unwrap();
        assert_eq!(m.rows[0].extra.len(), 20);
        assert!(m.rows[0].extra[0] == extra, "long field garbled");
        assert!(m.rows[0].device.is_ok());
    }

    #[test]
    fn header_errors() {
        assert!(matches!(parse(""), Err(ManifestError::Empty { .. })));
        assert!(matches!(parse("\n\n"), Err(ManifestError::Empty { .. })));
        assert!(matches!(
            parse("uds,registration_id\n"),
            Err(ManifestError::NoDevices { .. })
        ));
        // No header row: the first row's UDS is not repeated in the error.
        let uds = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";
        let text = parse(&format!("{uds},dev-1\n{uds},dev-2\n"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            text,
            "the manifest devices.csv has no uds column (its header has: <64 hex digits>, dev-1); the header row must name the columns uds and registration_id, or uds, mac and firmware_version"
        );
        // CR-only line ends (old spreadsheets) number the lines like LF and CRLF.
        for end in ["\n", "\r\n", "\r"] {
            let text = format!("uds,registration_id{end}{end}{uds},dev-1{end}{uds},dev-2{end}");
            let lines: Vec<u64> = parse(&text).unwrap().rows.iter().map(|r| r.line).collect();
            assert_eq!(lines, vec![3, 4], "{end:?}");
        }
        // Header names with line breaks are shown on one line.
        let text = parse("uds,mac,\"firm\nware\"\nx,y,z\n")
            .unwrap_err()
            .to_string();
        assert!(!text.contains('\n'), "{text}");
        assert_eq!(
            parse("id,registration_id\nx,y\n").unwrap_err().to_string(),
            "the manifest devices.csv has no uds column (its header has: id, registration_id); the header row must name the columns uds and registration_id, or uds, mac and firmware_version"
        );
        assert!(matches!(
            parse("uds,mac\nx,y\n"),
            Err(ManifestError::MissingColumn {
                column: "firmware_version",
                ..
            })
        ));
        assert!(matches!(
            parse("uds,UDS,registration_id\nx,y,z\n"),
            Err(ManifestError::DuplicateColumn { .. })
        ));
    }

    #[test]
    fn rows_past_the_limit_are_refused_with_the_limit_named() {
        let mut text = String::from("uds,registration_id\n");
        for i in 0..11 {
            text.push_str(&format!("{},dev-{i}\n", "ab".repeat(32)));
        }
        let path = Path::new("devices.csv");
        let err = Manifest::parse_at_most(path, text.as_bytes(), 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the manifest devices.csv has more than 10 device rows; split it into manifests of at most 10 rows"
        );
        assert_eq!(
            Manifest::parse_at_most(path, text.as_bytes(), 11)
                .unwrap()
                .rows
                .len(),
            11
        );
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234), "1,234");
    }
}
