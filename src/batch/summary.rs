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
        match self {
            SummaryFormat::Csv => csv(extra_columns, outcomes),
            SummaryFormat::Json => json(extra_columns, outcomes),
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
        .chain(extra_columns.iter().map(|c| csv_cell(c)));
    writer.write_record(header)?;
    for o in outcomes {
        // (The thumbprints, the line and the status are the tool's own: kept as they are.)
        let f = fields(o);
        let f = f.iter().zip(COLUMNS).map(|(cell, column)| match column {
            "registration_id" | "file" | "error" => csv_cell(cell),
            _ => cell.clone(),
        });
        let extra = o.extra.iter().map(|cell| csv_cell(cell));
        writer.write_record(f.chain(extra))?;
    }
    writer
        .into_inner()
        .map_err(|e| SummaryError::Csv(e.into_error().into()))
}

/// The summary as JSON: counts, then one object per row (extra columns under `extra`).
pub fn json(extra_columns: &[String], outcomes: &[Outcome]) -> Result<Vec<u8>, SummaryError> {
    check_cells(extra_columns, outcomes)?;
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let devices: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let mut object = Map::new();
            for (name, value) in COLUMNS.iter().zip(fields(o)) {
                let value = match *name {
                    "line" => json!(o.line),
                    _ if value.is_empty() => Value::Null,
                    _ => Value::String(value),
                };
                object.insert((*name).to_string(), value);
            }
            let extra: Map<String, Value> = extra_columns
                .iter()
                .map(|c| safe_text(c))
                .zip(o.extra.iter().map(|v| Value::String(safe_text(v))))
                .collect();
            object.insert("extra".to_string(), Value::Object(extra));
            Value::Object(object)
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
