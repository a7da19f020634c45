//! The `batch` command: its arguments, and the run as the user sees it (row errors and
//! warnings on standard error, a progress bar on a terminal, the summary file, the closing
//! report).

use crate::cli::dps::args::{DEFAULT_TIMEOUT_SECS, DpsArgs};
use crate::cli::dps::error::DpsError;
use crate::cli::error::Error;
use crate::cli::error::Finish;
use crate::cli::input::args::FirmwareArgs;
use crate::cli::output::destination::FormatArg;
use crate::cli::output::files::{
    BatchFiles, BatchFolder, JsonLines, OutputError, Written, check_writable, write_atomic_in_with,
};
use crate::cli::pipeline::bulk_enroll::{self, BatchEnrollment};
use crate::cli::pipeline::enroll_step;
use clap::Args;
use dps_cert_gen::batch::engine::{self, BatchError, Options, Status};
use dps_cert_gen::batch::streamed::{self, Source};
use dps_cert_gen::batch::summary::{SummaryFormat, SummaryWriter};
use dps_cert_gen::derivation::FirmwareMeasurements;
use dps_cert_gen::text::uds_like::mask_uds_like;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;

/// Row messages printed for failed writes before the rest are left to the summary.
const MAX_FAILURES_SHOWN: usize = 20;
/// Long-ID warnings printed before the rest are counted.
const MAX_WARNINGS_SHOWN: usize = 10;

/// Arguments of `dps-cert-gen batch`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "\
The manifest's header row names uds and registration_id (or uds, mac and
firmware_version); then one row per board, each with its own UDS.
With --enroll, the certificates written (or found written) are enrolled in DPS
in bulk (at most 10 a request, paced); the summary's enrollment column says what
became of each; running the same command again enrolls only what is left.

Examples:
  dps-cert-gen batch -p DevKitDPS --manifest devices.csv --out-dir certs
  dps-cert-gen batch -e DevKitDPS.ino.elf --manifest - --out-dir certs -j 2
  dps-cert-gen batch -p DevKitDPS --manifest devices.csv --out-dir certs \\
    --jsonl certs.jsonl --keep-going
  dps-cert-gen batch -p DevKitDPS --manifest devices.csv --out-dir certs \\
    --enroll --dps-connection-string-file dps.txt",
    mut_arg("connection_string_file", |a| a.requires("enroll")),
    mut_arg("ca_file", |a| a.requires("enroll"))
)]
pub(crate) struct BatchArgs {
    /// Firmware input, measured once for all devices.
    #[command(flatten)]
    pub firmware: FirmwareArgs,
    /// CSV file ('-' for standard input) with a header row: uds and registration_id, or
    /// uds, mac and firmware_version (other columns are copied to the summary).
    #[arg(long = "manifest", value_name = "CSV")]
    pub manifest: PathBuf,
    /// Folder for the certificates (<registration-id>.pem, or .cer with --format der) and the summary; created if missing.
    #[arg(long = "out-dir", value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Certificate file format.
    #[arg(long = "format", value_enum, default_value_t = FormatArg::Pem)]
    pub format: FormatArg,
    /// Overwrite existing certificate and summary files.
    #[arg(long = "force")]
    pub force: bool,
    /// Write the valid rows even if some are invalid, and go on after a failed write; the others are listed.
    #[arg(long = "keep-going")]
    pub keep_going: bool,
    /// Let rows share a UDS (the same secret on several boards); without it, rows with the same UDS are refused.
    #[arg(long = "allow-shared-uds")]
    pub allow_shared_uds: bool,
    /// Threads deriving certificates [default: one per core]; one more thread writes the files.
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Write the summary as summary.json instead of summary.csv.
    #[arg(long = "summary-json")]
    pub summary_json: bool,
    /// Write all certificates to one JSON-lines file instead of one file per device: one
    /// object per line with registration_id, certificate_der_base64, sha1_thumbprint,
    /// sha256_thumbprint and the manifest's other columns; named only once the batch is
    /// complete (the summary still goes to --out-dir).
    #[arg(long = "jsonl", value_name = "PATH", conflicts_with = "format")]
    pub jsonl: Option<PathBuf>,
    /// Then enroll the certificates in DPS (individual X.509 enrollments, in bulk); an ID enrolled with another certificate is left as it is.
    #[arg(long = "enroll", conflicts_with = "jsonl")]
    pub enroll: bool,
    /// With --enroll: the connection string and trust.
    #[command(flatten)]
    pub dps: DpsArgs,
    /// With --enroll: give up on DPS after this many seconds in all, besides the pacing's own time.
    #[arg(long = "timeout", value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400), requires = "enroll")]
    pub timeout: u64,
}

impl BatchArgs {
    fn options(&self) -> Options {
        Options {
            out_dir: self.out_dir.clone(),
            format: self.format.into(),
            keep_going: self.keep_going,
            allow_shared_uds: self.allow_shared_uds,
            jobs: self.jobs.map(usize::from),
            jsonl: self.jsonl.clone(),
        }
    }

    fn summary_format(&self) -> SummaryFormat {
        if self.summary_json {
            SummaryFormat::Json
        } else {
            SummaryFormat::Csv
        }
    }
}

fn progress_bar(rows: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(rows as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        // The bar takes what the line leaves: the whole line fits the terminal.
        ProgressStyle::with_template(
            "{wide_bar} {pos}/{len} certificates  {rate}  {eta} left",
        )
    {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} per second", state.per_sec());
            },
        ));
    }
    bar
}

/// Why the rows of a `--jsonl` file that was dropped are not written.
fn unwritten_why(interrupted: bool) -> &'static str {
    if interrupted {
        "not written: the batch was interrupted"
    } else {
        "not written: the batch stopped after a failure"
    }
}

/// [`closing_lines`] for a finished run.
fn closing(
    written: usize,
    already: usize,
    total: usize,
    options: &Options,
    started: Instant,
    summary: &Path,
) -> String {
    closing_lines(
        written,
        already,
        total,
        &options.out_dir,
        options.jsonl.as_ref().unwrap_or(&options.out_dir),
        started.elapsed().as_secs_f64(),
        summary,
    )
}

/// Fewer certificates than this get no rate: over a few files, a rate says nothing.
const RATE_FROM: usize = 100;

/// What the batch says at its end: the certificates found done already (one line for them
/// all: a re-run over a large batch would otherwise print thousands), and those written to
/// `written_to` in `seconds`, with the rate for a batch large enough to have one.
fn closing_lines(
    written: usize,
    already: usize,
    total: usize,
    out_dir: &Path,
    written_to: &Path,
    seconds: f64,
    summary: &Path,
) -> String {
    if already == total {
        return format!(
            "All {total} certificates were in {} already with exactly these contents (an earlier run's): nothing to write; summary: {}",
            out_dir.display(),
            summary.display()
        );
    }
    let mut text = String::new();
    if already > 0 {
        text = format!(
            "{already} of {total} certificates were in {} already with exactly these contents (an earlier run's): counted as done\n",
            out_dir.display()
        );
    }
    let rate = if written >= RATE_FROM {
        format!(" ({:.0} per second)", written as f64 / seconds.max(1e-9))
    } else {
        String::new()
    };
    text.push_str(&format!(
        "Wrote {written} of {total} certificates to {} in {seconds:.2} s{rate}; summary: {}",
        written_to.display(),
        summary.display()
    ));
    text
}

/// With `-v`: how many threads derive the certificates (`-j`), and the one that writes them.
fn threads_line(jobs: Option<u16>) -> String {
    match jobs {
        Some(n) => format!("Threads: {n} deriving the certificates (-j {n}), 1 more writing them"),
        None => "Threads: one per core deriving the certificates, 1 more writing them".to_string(),
    }
}

/// Runs the batch: validates everything, then writes the certificates and the summary.
pub(crate) fn exec(args: &BatchArgs) -> Result<Finish, Error> {
    let started = Instant::now();
    // The connection string before anything is read or written: a missing one ends the run
    // at once.
    let connection = if args.enroll {
        if args.manifest.as_os_str() == "-"
            && args
                .dps
                .connection_string_file
                .as_deref()
                .is_some_and(|p| p.as_os_str() == "-")
        {
            return Err(DpsError::StdinManifestAndConnectionString.into());
        }
        Some(enroll_step::connection_string(&args.dps)?)
    } else {
        None
    };
    // Read again for each pass (checked, written, summarised), never held whole; standard
    // input, which cannot be read twice, is held in memory.
    let source: Box<dyn Source> = if args.manifest.as_os_str() == "-" {
        if std::io::stdin().is_terminal() {
            return Err(Error::Missing(
                "the manifest on standard input (--manifest -): pipe it in (... | dps-cert-gen batch --manifest - ...), or name the file".to_string(),
            ));
        }
        streamed::reader_source(
            std::path::Path::new("standard input"),
            &mut crate::cli::sys::unbuffered_stdin(),
        )
        .map(|s| Box::new(s) as Box<dyn Source>)
    } else if let Some(reason) =
        crate::cli::sys::input_kind::refusal(&args.manifest, Some("--manifest"))
    {
        Err(dps_cert_gen::batch::manifest::ManifestError::Read {
            path: args.manifest.clone(),
            source: std::io::Error::other(reason),
        })
    } else {
        streamed::file_source(&args.manifest)
    }
    .map_err(BatchError::from)?;
    let source = source.as_ref();
    let manifest_path = source.path().to_path_buf();
    // The manifest's header and rows are read before the firmware, as before.
    streamed::check_readable(source).map_err(BatchError::from)?;
    let measured = args.firmware.resolve()?.measure()?;
    if args.firmware.verbose {
        for line in crate::cli::output::verbose::lines(&measured) {
            eprintln!("{line}");
        }
        eprintln!("{}", threads_line(args.jobs));
    }
    for w in &measured.warnings {
        eprintln!("warning: {}", crate::cli::error::firmware_warning(w));
    }
    let measurements = FirmwareMeasurements::of(&measured.regions);
    let options = args.options();
    let format = args.summary_format();
    let summary = options.out_dir.join(format.file_name());
    // An earlier run's summary (a run over its own output, after Ctrl-C or a crash) is
    // replaced; any other file is not, without --force.
    let own_summary = || {
        std::fs::read(&summary)
            .is_ok_and(|bytes| dps_cert_gen::batch::summary::is_summary(format, &bytes))
    };
    let replace_summary = args.force || own_summary();
    if let Err(OutputError::Exists { .. }) = check_writable(&summary, replace_summary) {
        return Err(BatchError::SummaryExists { path: summary }.into());
    }
    // Never a device, FIFO, link or folder in the summary's place, even with --force.
    check_writable(&summary, true)?;
    if options.out_dir.exists() && !options.out_dir.is_dir() {
        return Err(BatchError::OutDirNotFolder {
            path: options.out_dir.clone(),
        }
        .into());
    }
    // Held to the end: a second run into the same folder is refused at once, so that the
    // files and the summary are this run's alone.
    // Held by its descriptor for the whole run: a move of the folder, or a link put in its
    // place, cannot redirect a write (checked at the end).
    let out_dir = crate::cli::output::files::lock_out_dir(&options.out_dir)?;
    let held = out_dir.folder();
    // The one JSON-lines file likewise (two runs into other folders may name it): locked
    // before any work, so that the second run fails at once rather than after all of it.
    let _jsonl = match &options.jsonl {
        Some(path) => {
            let lock = crate::cli::output::files::lock_output_file(path)?;
            check_writable(path, args.force)?;
            Some(lock)
        }
        None => None,
    };
    // Under the lock: the names of the temporary files a killed run left.
    let stale_targets = crate::cli::sys::staged_file::stale_targets(held);
    // With --jsonl no file per row is written, so the folder is not listed.
    let mut plan = match options.jsonl {
        None => streamed::check(
            source,
            &options,
            &measurements,
            &BatchFolder::list(held, args.force),
            &stale_targets,
        )?,
        Some(_) => streamed::check(
            source,
            &options,
            &measurements,
            &engine::NothingThere,
            &stale_targets,
        )?,
    };
    let already = plan.already_count();

    let total = plan.total();
    let invalid = plan.invalid_count();
    let level = if args.keep_going { "warning" } else { "error" };
    for (line, e) in plan.invalid() {
        let text = crate::cli::output::files::row_text(e);
        let line = format!("{} line {line}: {text}", manifest_path.display());
        eprintln!("{level}: {}", mask_uds_like(&line));
    }
    if invalid > 0 && !args.keep_going {
        return Err(BatchError::InvalidRows {
            invalid,
            total,
            manifest: manifest_path.clone(),
        }
        .into());
    }
    for (line, w) in plan.long_id_warnings.iter().take(MAX_WARNINGS_SHOWN) {
        let w = format!("{} line {line}: {w}", manifest_path.display());
        eprintln!("warning: {}", mask_uds_like(&w));
    }
    if plan.long_id_count > MAX_WARNINGS_SHOWN {
        eprintln!(
            "warning: {} more registration IDs are longer than 64 characters",
            plan.long_id_count - MAX_WARNINGS_SHOWN
        );
    }

    // Under the lock: temporary files a killed run left for these certificates.
    let stale = crate::cli::sys::staged_file::remove_stale(held, &plan.stale_names);
    if stale > 0 {
        eprintln!(
            "Removed {stale} temporary files an interrupted run left in {}",
            options.out_dir.display()
        );
    }
    // The first Ctrl-C (or SIGTERM) lets the batch finish the file it is writing, start no
    // other, and write the summary; a second one ends the process at once (status 130).
    let interrupted = crate::cli::sys::on_interrupt();
    let bar = progress_bar(total - invalid - already);
    let advance = || bar.inc(1);
    // Derives and hands every certificate to `sink`; the bar is gone once it returns.
    let mut run_into = |sink: &dyn dps_cert_gen::batch::engine::CertSink| {
        let done = streamed::run(
            source,
            &mut plan,
            &measurements,
            &options,
            sink,
            &advance,
            &interrupted,
        );
        bar.finish_and_clear();
        done
    };
    // A file-level failure (the flush to disk, the JSON-lines file): reported after the rows
    // that failed, and before the summary's own failure, in the order they happened.
    let mut file_error: Option<OutputError> = None;
    match &options.jsonl {
        None => {
            let sink = BatchFiles::new(held, args.force);
            run_into(&sink)?;
            // Every certificate this batch wrote is on disk before the summary says so.
            file_error = sink.sync().err();
        }
        Some(path) => {
            let sink = JsonLines::create(path, args.force)?;
            run_into(&sink)?;
            // All or nothing: the file is named only if the batch ran to its end (with
            // --keep-going, past rows that failed); otherwise it is dropped unnamed and no
            // row counts as written.
            let was_interrupted = interrupted.load(Ordering::Relaxed);
            let any_failed = plan.failed_count() > 0;
            if was_interrupted || sink.had_error() || (any_failed && !args.keep_going) {
                plan.unwrite(unwritten_why(was_interrupted));
            } else if let Err(e) = sink.persist() {
                let why = format!("not written: {} could not be written", path.display());
                plan.unwrite(&why);
                file_error = Some(e);
            }
        }
    }
    // The folder's path no longer leading to it (moved, replaced by a link, deleted): the
    // summary goes into the held folder, beside the files it lists, if it still exists, and
    // the run ends with an error saying where they are; nothing is enrolled.
    let summary_there = crate::cli::output::files::summary_place(held);
    let gone = |written: usize, summary: Option<&'static str>| {
        let written = options.jsonl.is_none().then_some(written);
        crate::cli::output::files::folder_gone(held, written, summary)
    };
    let moved = gone(plan.written_count(), None).is_some();
    // The certificates on disk (written now, or found written), enrolled before the summary
    // is written, so that it says what became of each; not after Ctrl-C.
    let enrollment = match &connection {
        Some(connection)
            if !interrupted.load(Ordering::Relaxed) && file_error.is_none() && !moved =>
        {
            let mut files: Vec<Option<PathBuf>> = Vec::with_capacity(total);
            streamed::outcomes::<BatchError>(source, &plan, &options, &mut |o| {
                files.push(match (o.status, &o.file) {
                    (Status::Written | Status::AlreadyWritten, Some(name)) => {
                        Some(options.out_dir.join(name))
                    }
                    _ => None,
                });
                Ok(())
            })?;
            Some(bulk_enroll::enroll_files(
                connection,
                &args.dps,
                args.timeout,
                &files,
            ))
        }
        _ => None,
    };
    // Without the flush, what the summary would list as written may not be on disk: then
    // there is no summary.
    let (summary_written, summary_error) = match (&file_error, &options.jsonl) {
        (Some(_), None) => (false, None),
        _ if !summary_there => (false, None),
        _ => {
            let cells = enrollment.as_ref().map(|e| e.cells.as_slice());
            if let Some(cells) = cells
                && cells.len() != total
            {
                return Err(
                    dps_cert_gen::batch::summary::SummaryError::EnrollmentCells {
                        found: cells.len(),
                        expected: total,
                    }
                    .into(),
                );
            }
            let written = write_atomic_in_with(
                held,
                format.file_name(),
                replace_summary,
                0o644,
                Written::InOutDir,
                |out| -> Result<(), Error> {
                    let mut writer = SummaryWriter::new(
                        format,
                        &plan.extra_columns,
                        streamed::counts(&plan),
                        cells.is_some(),
                        out,
                    )?;
                    let mut i = 0;
                    streamed::outcomes::<Error>(source, &plan, &options, &mut |o| {
                        let cell = cells.and_then(|c| c.get(i)).map(String::as_str);
                        i += 1;
                        Ok(writer.row(&o, cell)?)
                    })?;
                    writer.finish()?;
                    Ok(())
                },
            );
            match written {
                Ok(Ok(())) => (true, None),
                Ok(Err(e)) => return Err(e),
                Err(e) => (false, Some(e)),
            }
        }
    };

    let failed = plan.failed_count();
    for (line, id, error) in plan.failures().take(MAX_FAILURES_SHOWN) {
        let message = format!(
            "error: {} line {line} ({id}): {error}",
            manifest_path.display(),
        );
        eprintln!("{}", mask_uds_like(&message));
    }
    if failed > MAX_FAILURES_SHOWN {
        let more = failed - MAX_FAILURES_SHOWN;
        if summary_written {
            eprintln!(
                "error: {more} more failures are listed in {}",
                summary.display()
            );
        } else {
            eprintln!("error: {more} more certificates could not be written");
        }
    }
    let written = plan.written_count();
    // The first failure of a file and the summary's: the last one is the run's error.
    let folder_error = gone(written, summary_written.then_some(format.file_name()));
    let folder_moved = folder_error.is_some();
    let mut errors: Vec<Error> = file_error
        .into_iter()
        .chain(summary_error)
        .chain(folder_error)
        .map(Error::from)
        .collect();
    if let Some(last) = errors.pop() {
        for e in errors {
            eprintln!("error: {}", mask_uds_like(&e.to_string()));
        }
        // Never "Wrote N to DIR" when DIR no longer leads to them.
        if summary_written && !folder_moved {
            eprintln!(
                "{}",
                closing(written, already, total, &options, started, &summary)
            );
        }
        return Err(last);
    }
    eprintln!(
        "{}",
        closing(written, already, total, &options, started, &summary)
    );
    if let Some(note) = plan.spanning_note() {
        eprintln!("note: {}", mask_uds_like(&note));
    }
    let enrollment_end = enrollment.map(|e| report_enrollment(e, &summary));
    if interrupted.load(Ordering::Relaxed) {
        return Err(BatchError::Interrupted {
            written,
            total,
            summary,
        }
        .into());
    }
    if failed > 0 {
        return Err(BatchError::Failed {
            failed,
            total,
            summary,
        }
        .into());
    }
    if invalid > 0 {
        return Err(BatchError::SkippedInvalid {
            invalid,
            total,
            summary,
        }
        .into());
    }
    enrollment_end.unwrap_or(Ok(()))?;
    Ok(Finish::Success)
}

/// Prints the enrollment's refusals (the first few) and its closing line; the error to end
/// with, if it did not all succeed.
fn report_enrollment(enrollment: BatchEnrollment, summary: &Path) -> Result<(), Error> {
    let host = &enrollment.host;
    let failed: Vec<_> = enrollment
        .done
        .iter()
        .filter(|e| !e.outcome.is_success())
        .collect();
    for e in failed.iter().take(MAX_FAILURES_SHOWN) {
        eprintln!("error: {}", enroll_step::outcome_line_elsewhere(e, host));
    }
    if failed.len() > MAX_FAILURES_SHOWN {
        eprintln!(
            "error: {} more certificates not enrolled are listed in {}",
            failed.len() - MAX_FAILURES_SHOWN,
            summary.display()
        );
    }
    let count = |name: &str| {
        enrollment
            .done
            .iter()
            .filter(|e| e.outcome.name() == name)
            .count()
    };
    let parts: Vec<String> = [
        (count("created"), "created"),
        (count("already_enrolled"), "already enrolled"),
        (
            count("enrolled_with_other_certificate"),
            "enrolled with another certificate",
        ),
        (count("failed"), "failed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let total = enrollment.cells.iter().filter(|c| !c.is_empty()).count();
    if !parts.is_empty() {
        eprintln!(
            "Enrollment in {host}: {} of {total} certificates: {}",
            enrollment.done.len(),
            parts.join(", ")
        );
    }
    if let Some(e) = enrollment.error {
        return Err(e);
    }
    if !failed.is_empty() {
        return Err(DpsError::NotAllEnrolled {
            failed: failed.len(),
            total,
        }
        .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closing_lines_give_a_rate_only_to_a_large_batch_and_none_when_all_was_done() {
        let (out, summary) = (Path::new("certs"), Path::new("certs/summary.csv"));
        assert_eq!(
            closing_lines(2, 0, 2, out, out, 0.019, summary),
            "Wrote 2 of 2 certificates to certs in 0.02 s; summary: certs/summary.csv"
        );
        assert_eq!(
            closing_lines(1000, 0, 1000, out, out, 0.5, summary),
            "Wrote 1000 of 1000 certificates to certs in 0.50 s (2000 per second); summary: certs/summary.csv"
        );
        assert_eq!(
            closing_lines(0, 5, 5, out, out, 0.01, summary),
            "All 5 certificates were in certs already with exactly these contents (an earlier run's): nothing to write; summary: certs/summary.csv"
        );
        assert_eq!(
            closing_lines(3, 2, 5, out, Path::new("all.jsonl"), 0.01, summary),
            "2 of 5 certificates were in certs already with exactly these contents (an earlier run's): counted as done\n\
             Wrote 3 of 5 certificates to all.jsonl in 0.01 s; summary: certs/summary.csv"
        );
    }
}
