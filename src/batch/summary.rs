//! The batch summary: one entry per manifest row with the registration ID, the certificate
//! file, its SHA-1 and SHA-256 thumbprints, the status and the error, and the row's extra
//! columns; as CSV (`summary.csv`) or JSON (`summary.json`). It never holds a UDS: every run
//! of 64 or more hex digits in a cell (the columns of the manifest swapped, a UDS pasted into
//! a note) is masked. Text
//! from the manifest is made safe to open: control characters become `?`, and in the CSV a
//! cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) starts with `'`, as
//! OWASP's CSV-injection advice says.

use crate::batch::engine::{Outcome, Status};
use crate::text::record_cell::safe_text;
use serde_json::{Map, Value, json};
use thiserror::Error;

/// Why a summary could not be made. The engine gives every outcome one cell per extra
/// column and writes into memory, so neither happens in a batch the tool runs: a caller
/// that passes other outcomes gets an error rather than a summary with a row left out.
#[derive(Debug, Error)]
pub enum SummaryError {
    /// An outcome has not one cell per extra column.
    #[error(
        "the summary cannot be made: the row of line {line} has {found} extra cells, but there are {expected} extra columns"
    )]
    ExtraCells {
        /// The row's line in the manifest.
        line: u64,
        /// Its extra cells.
        found: usize,
        /// The extra columns.
        expected: usize,
    },
    /// The CSV writer failed.
    #[error("the summary cannot be made: {0}")]
    Csv(#[from] csv::Error),
    /// The enrollment column has not one cell per outcome.
    #[error("the summary cannot be made: {found} enrollment cells for {expected} rows")]
    EnrollmentCells {
        /// The cells given.
        found: usize,
        /// The rows.
        expected: usize,
    },
    /// The JSON writer failed.
    #[error("the summary cannot be made: {0}")]
    Json(#[from] serde_json::Error),
}

/// Refuses outcomes without one cell per extra column.
fn check_cells(extra_columns: &[String], outcomes: &[Outcome]) -> Result<(), SummaryError> {
    match outcomes
        .iter()
        .find(|o| o.extra.len() != extra_columns.len())
    {
        Some(o) => Err(SummaryError::ExtraCells {
            line: o.line,
            found: o.extra.len(),
            expected: extra_columns.len(),
        }),
        None => Ok(()),
    }
}

/// The summary's columns before the manifest's extra columns.
pub const COLUMNS: [&str; 7] = [
    "line",
    "registration_id",
    "file",
    "sha1_thumbprint",
    "sha256_thumbprint",
    "status",
    "error",
];

/// The column (after `error`, before the manifest's extra columns) and JSON field that a
/// batch which also enrolled its certificates adds: what became of each row's enrollment
/// (empty for a row with no certificate).
pub const ENROLLMENT_COLUMN: &str = "enrollment";

/// Summary file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SummaryFormat {
    /// `summary.csv`.
    #[default]
    Csv,
    /// `summary.json`.
    Json,
}

impl SummaryFormat {
    /// The summary's file name in the output folder.
    pub fn file_name(self) -> &'static str {
        match self {
            SummaryFormat::Csv => "summary.csv",
            SummaryFormat::Json => "summary.json",
        }
    }

    /// The summary's bytes.
    pub fn render(
        self,
        extra_columns: &[String],
        outcomes: &[Outcome],
    ) -> Result<Vec<u8>, SummaryError> {
        self.render_with_enrollment(extra_columns, outcomes, None)
    }

    /// The summary's bytes, with the [`ENROLLMENT_COLUMN`] when `enrollment` is given (one
    /// cell per outcome, in order).
    pub fn render_with_enrollment(
        self,
        extra_columns: &[String],
        outcomes: &[Outcome],
        enrollment: Option<&[String]>,
    ) -> Result<Vec<u8>, SummaryError> {
        if let Some(cells) = enrollment
            && cells.len() != outcomes.len()
        {
            return Err(SummaryError::EnrollmentCells {
                found: cells.len(),
                expected: outcomes.len(),
            });
        }
        match self {
            SummaryFormat::Csv => csv_with(extra_columns, outcomes, enrollment),
            SummaryFormat::Json => json_with(extra_columns, outcomes, enrollment),
        }
    }
}

/// A CSV cell that no spreadsheet runs as a formula: one starting with `=`, `+`, `-`, `@`
/// (or a tab or CR, before [`safe_text`] made them `?`) gets a leading `'`.
fn csv_cell(text: &str) -> String {
    let text = safe_text(text);
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    }
}

/// Whether `bytes` are a summary this tool wrote in `format` (an earlier run's, to be
/// replaced by a run over the same output folder): a CSV beginning with the summary's
/// columns, or a JSON object with its counts and devices.
pub fn is_summary(format: SummaryFormat, bytes: &[u8]) -> bool {
    match format {
        SummaryFormat::Csv => bytes.starts_with(COLUMNS.join(",").as_bytes()),
        SummaryFormat::Json => serde_json::from_slice::<Value>(bytes).is_ok_and(|v| {
            v.get("devices").is_some_and(Value::is_array) && v.get("total").is_some()
        }),
    }
}

fn fields(o: &Outcome) -> [String; 7] {
    let (sha1, sha256) = o
        .thumbprints
        .as_ref()
        .map(|t| (t.sha1.clone(), t.sha256.clone()))
        .unwrap_or_default();
    [
        o.line.to_string(),
        safe_text(&o.registration_id),
        safe_text(o.file.as_deref().unwrap_or_default()),
        sha1,
        sha256,
        o.status.to_string(),
        safe_text(o.error.as_deref().unwrap_or_default()),
    ]
}

/// The summary as CSV with a header row (LF line ends).
pub fn csv(extra_columns: &[String], outcomes: &[Outcome]) -> Result<Vec<u8>, SummaryError> {
    csv_with(extra_columns, outcomes, None)
}

fn csv_with(
    extra_columns: &[String],
    outcomes: &[Outcome],
    enrollment: Option<&[String]>,
) -> Result<Vec<u8>, SummaryError> {
    check_cells(extra_columns, outcomes)?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        // About 150 bytes a row: sized once rather than doubled (and copied) as it grows.
        .from_writer(Vec::with_capacity(
            outcomes.len().saturating_add(1).saturating_mul(160),
        ));
    let header = COLUMNS
        .iter()
        .map(|c| (*c).to_string())
        .chain(enrollment.map(|_| ENROLLMENT_COLUMN.to_string()))
        .chain(extra_columns.iter().map(|c| csv_cell(c)));
    writer.write_record(header)?;
    for (i, o) in outcomes.iter().enumerate() {
        // (The thumbprints, the line and the status are the tool's own: kept as they are.)
        let f = fields(o);
        let f = f.iter().zip(COLUMNS).map(|(cell, column)| match column {
            "registration_id" | "file" | "error" => csv_cell(cell),
            _ => cell.clone(),
        });
        let enrolled = enrollment
            .and_then(|cells| cells.get(i))
            .map(|c| csv_cell(c));
        let extra = o.extra.iter().map(|cell| csv_cell(cell));
        writer.write_record(f.chain(enrolled).chain(extra))?;
    }
    writer
        .into_inner()
        .map_err(|e| SummaryError::Csv(e.into_error().into()))
}

/// The summary as JSON: counts, then one object per row (extra columns under `extra`).
pub fn json(extra_columns: &[String], outcomes: &[Outcome]) -> Result<Vec<u8>, SummaryError> {
    json_with(extra_columns, outcomes, None)
}

fn json_with(
    extra_columns: &[String],
    outcomes: &[Outcome],
    enrollment: Option<&[String]>,
) -> Result<Vec<u8>, SummaryError> {
    check_cells(extra_columns, outcomes)?;
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let devices: Vec<Value> = outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let cell = enrollment.map(|cells| cells.get(i).map(String::as_str).unwrap_or_default());
            device_value(extra_columns, o, cell)
        })
        .collect();
    let summary = json!({
        "total": outcomes.len(),
        "written": count(Status::Written),
        "invalid": count(Status::Invalid),
        "failed": count(Status::Failed),
        "not_written": count(Status::NotWritten),
        "already_written": count(Status::AlreadyWritten),
        "devices": devices,
    });
    let mut bytes = serde_json::to_vec_pretty(&summary)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The summary's counts (its JSON head).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// All rows.
    pub total: usize,
    /// Written.
    pub written: usize,
    /// Invalid.
    pub invalid: usize,
    /// Failed.
    pub failed: usize,
    /// Not written.
    pub not_written: usize,
    /// Already written.
    pub already_written: usize,
}

/// One device of the JSON summary (`enrollment`: the row's cell, when there is the column).
fn device_value(extra_columns: &[String], o: &Outcome, enrollment: Option<&str>) -> Value {
    let mut object = Map::new();
    for (name, value) in COLUMNS.iter().zip(fields(o)) {
        let value = match *name {
            "line" => json!(o.line),
            _ if value.is_empty() => Value::Null,
            _ => Value::String(value),
        };
        object.insert((*name).to_string(), value);
    }
    if let Some(cell) = enrollment {
        let cell = safe_text(cell);
        let value = if cell.is_empty() {
            Value::Null
        } else {
            Value::String(cell)
        };
        object.insert(ENROLLMENT_COLUMN.to_string(), value);
    }
    let extra: Map<String, Value> = extra_columns
        .iter()
        .map(|c| safe_text(c))
        .zip(o.extra.iter().map(|v| Value::String(safe_text(v))))
        .collect();
    object.insert("extra".to_string(), Value::Object(extra));
    Value::Object(object)
}

/// The summary written row by row into `W` (a batch's memory does not hold it whole): the
/// same bytes as [`SummaryFormat::render_with_enrollment`].
pub struct SummaryWriter<W: std::io::Write> {
    kind: WriterKind<W>,
    extra_columns: Vec<String>,
    with_enrollment: bool,
    rows: usize,
}

enum WriterKind<W: std::io::Write> {
    Csv(Box<csv::Writer<W>>),
    Json { out: W, tail: Vec<u8> },
}

impl<W: std::io::Write> SummaryWriter<W> {
    /// Starts the summary (its header, or its counts).
    pub fn new(
        format: SummaryFormat,
        extra_columns: &[String],
        counts: Counts,
        with_enrollment: bool,
        mut out: W,
    ) -> Result<Self, SummaryError> {
        let kind = match format {
            SummaryFormat::Csv => {
                let mut writer = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(out);
                let header = COLUMNS
                    .iter()
                    .map(|c| (*c).to_string())
                    .chain(with_enrollment.then(|| ENROLLMENT_COLUMN.to_string()))
                    .chain(extra_columns.iter().map(|c| csv_cell(c)));
                writer.write_record(header)?;
                WriterKind::Csv(Box::new(writer))
            }
            SummaryFormat::Json => {
                // The head and the tail around the devices, as serde_json orders the keys.
                let head = json!({
                    "total": counts.total,
                    "written": counts.written,
                    "invalid": counts.invalid,
                    "failed": counts.failed,
                    "not_written": counts.not_written,
                    "already_written": counts.already_written,
                    "devices": [],
                });
                let mut bytes = serde_json::to_vec_pretty(&head)?;
                bytes.push(b'\n');
                let mark = b"\"devices\": [";
                let at = bytes
                    .windows(mark.len())
                    .position(|w| w == mark)
                    .map_or(bytes.len(), |p| p + mark.len());
                let tail = bytes.split_off(at);
                out.write_all(&bytes).map_err(serde_json::Error::io)?;
                WriterKind::Json { out, tail }
            }
        };
        Ok(Self {
            kind,
            extra_columns: extra_columns.to_vec(),
            with_enrollment,
            rows: 0,
        })
    }

    /// One row (with its enrollment cell, when the summary has the column).
    pub fn row(&mut self, o: &Outcome, enrollment: Option<&str>) -> Result<(), SummaryError> {
        check_cells(&self.extra_columns, std::slice::from_ref(o))?;
        let enrollment = if self.with_enrollment {
            Some(enrollment.unwrap_or_default())
        } else {
            None
        };
        match &mut self.kind {
            WriterKind::Csv(writer) => {
                let f = fields(o);
                let f = f.iter().zip(COLUMNS).map(|(cell, column)| match column {
                    "registration_id" | "file" | "error" => csv_cell(cell),
                    _ => cell.clone(),
                });
                let extra = o.extra.iter().map(|cell| csv_cell(cell));
                writer.write_record(f.chain(enrollment.map(csv_cell)).chain(extra))?;
            }
            WriterKind::Json { out, .. } => {
                let value = device_value(&self.extra_columns, o, enrollment);
                let text = serde_json::to_string_pretty(&value)?;
                let sep: &[u8] = if self.rows == 0 {
                    b"\n    "
                } else {
                    b",\n    "
                };
                out.write_all(sep).map_err(serde_json::Error::io)?;
                out.write_all(text.replace('\n', "\n    ").as_bytes())
                    .map_err(serde_json::Error::io)?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Ends the summary.
    pub fn finish(self) -> Result<W, SummaryError> {
        match self.kind {
            WriterKind::Csv(writer) => writer
                .into_inner()
                .map_err(|e| SummaryError::Csv(e.into_error().into())),
            WriterKind::Json { mut out, tail } => {
                if self.rows > 0 {
                    out.write_all(b"\n  ").map_err(serde_json::Error::io)?;
                }
                out.write_all(&tail).map_err(serde_json::Error::io)?;
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(line: u64, extra: &[&str]) -> Outcome {
        Outcome {
            line,
            registration_id: "dev-1".to_string(),
            file: Some("dev-1.pem".to_string()),
            thumbprints: None,
            status: Status::Invalid,
            error: Some("=bad".to_string()),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn one_row_per_outcome_with_its_extra_cells() {
        let columns = vec!["serial".to_string()];
        let text = String::from_utf8(csv(&columns, &[outcome(2, &["A1"])]).unwrap()).unwrap();
        assert_eq!(
            text,
            "line,registration_id,file,sha1_thumbprint,sha256_thumbprint,status,error,serial\n\
             2,dev-1,dev-1.pem,,,invalid,'=bad,A1\n"
        );
        let json: Value =
            serde_json::from_slice(&json(&columns, &[outcome(2, &["A1"])]).unwrap()).unwrap();
        assert_eq!(json["devices"][0]["extra"]["serial"], "A1");
        assert_eq!(json["devices"][0]["sha1_thumbprint"], Value::Null);
    }

    #[test]
    fn the_enrollment_column_comes_after_error_and_before_the_extra_columns() {
        let columns = vec!["serial".to_string()];
        let outcomes = [outcome(2, &["A1"]), outcome(3, &["A2"])];
        let cells = ["created".to_string(), String::new()];
        let text = SummaryFormat::Csv
            .render_with_enrollment(&columns, &outcomes, Some(&cells))
            .unwrap();
        assert_eq!(
            String::from_utf8(text.clone()).unwrap(),
            "line,registration_id,file,sha1_thumbprint,sha256_thumbprint,status,error,enrollment,serial\n\
             2,dev-1,dev-1.pem,,,invalid,'=bad,created,A1\n\
             3,dev-1,dev-1.pem,,,invalid,'=bad,,A2\n"
        );
        assert!(is_summary(SummaryFormat::Csv, &text));
        let json: Value = serde_json::from_slice(
            &SummaryFormat::Json
                .render_with_enrollment(&columns, &outcomes, Some(&cells))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(json["devices"][0]["enrollment"], "created");
        assert_eq!(json["devices"][1]["enrollment"], Value::Null);
        assert_eq!(
            SummaryFormat::Csv
                .render_with_enrollment(&columns, &outcomes, Some(&cells[..1]))
                .unwrap_err()
                .to_string(),
            "the summary cannot be made: 1 enrollment cells for 2 rows"
        );
    }

    #[test]
    fn the_summary_written_row_by_row_is_the_same_bytes() {
        let columns = vec!["serial".to_string(), "note".to_string()];
        let mut a = outcome(2, &["A1", "x\ny"]);
        a.thumbprints = Some(crate::encoding::Thumbprints::of(b"abc"));
        a.status = Status::Written;
        a.error = None;
        let outcomes = [a, outcome(3, &["A2", "=1"])];
        let cells = ["created".to_string(), String::new()];
        for format in [SummaryFormat::Csv, SummaryFormat::Json] {
            for enrollment in [None, Some(&cells[..])] {
                for n in [0, 1, 2] {
                    let outcomes = &outcomes[..n];
                    let counts = Counts {
                        total: n,
                        written: outcomes
                            .iter()
                            .filter(|o| o.status == Status::Written)
                            .count(),
                        invalid: outcomes
                            .iter()
                            .filter(|o| o.status == Status::Invalid)
                            .count(),
                        ..Counts::default()
                    };
                    let mut w = SummaryWriter::new(
                        format,
                        &columns,
                        counts,
                        enrollment.is_some(),
                        Vec::new(),
                    )
                    .unwrap();
                    for (i, o) in outcomes.iter().enumerate() {
                        w.row(o, enrollment.map(|c| c[i].as_str())).unwrap();
                    }
                    let streamed = w.finish().unwrap();
                    let whole = format
                        .render_with_enrollment(&columns, outcomes, enrollment.map(|c| &c[..n]))
                        .unwrap();
                    assert_eq!(
                        String::from_utf8(streamed).unwrap(),
                        String::from_utf8(whole).unwrap()
                    );
                }
            }
        }
    }

    #[test]
    fn an_outcome_without_a_cell_per_extra_column_is_refused_not_left_out() {
        let columns = vec!["serial".to_string()];
        let outcomes = [outcome(2, &["A1"]), outcome(3, &[])];
        for format in [SummaryFormat::Csv, SummaryFormat::Json] {
            assert_eq!(
                format.render(&columns, &outcomes).unwrap_err().to_string(),
                "the summary cannot be made: the row of line 3 has 0 extra cells, but there are 1 extra columns"
            );
        }
    }
}
