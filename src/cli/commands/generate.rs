//! The default command: generate the alias certificate and write it as the user asked
//! (a PEM or DER file, standard output, or bare base64 on one line).

use crate::cli::args::{FirmwareArgs, FirmwareInput, IdArgs, UdsArgs};
use crate::cli::error::Error;
use crate::cli::extra_outputs::CERT_MODE;
use crate::cli::output::check_writable;
use crate::cli::output_set::{PlannedFile, write_all_or_none};
use crate::cli::sys::terminal::{self, Terminal};
use crate::cli::{Finish, inputs, next_steps, style, uds_source};
use clap::{Args, ValueEnum};
use dps_cert_gen::derivation::{AliasCertificate, FirmwareMeasurements, generate};
use dps_cert_gen::dice::uds::Uds;
use dps_cert_gen::encoding::{CertFormat, bare_base64};
use dps_cert_gen::registration_id::RegistrationId;
use std::io::Write;
use std::path::PathBuf;

/// File format of the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FormatArg {
    // PEM (RFC 7468: 64-column base64, LF line ends).
    #[default]
    Pem,
    // Raw DER bytes.
    Der,
}

impl From<FormatArg> for CertFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Pem => CertFormat::Pem,
            FormatArg::Der => CertFormat::Der,
        }
    }
}

/// Where and how the certificate is written.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct OutputArgs {
    /// Output file ('-': standard output) [default: ./<registration-id>.pem or .cer].
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Certificate file format.
    #[arg(long = "format", value_enum, default_value_t = FormatArg::Pem)]
    pub format: FormatArg,
    /// Overwrite an existing output file.
    #[arg(long = "force")]
    pub force: bool,
    /// Print the DER as base64 on one line on standard output, write no file.
    #[arg(long = "bare-base64", conflicts_with_all = ["out", "format", "force"])]
    pub bare_base64: bool,
}

/// Everything the generator takes on the command line.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct GenerateArgs {
    /// Firmware input.
    #[command(flatten)]
    pub firmware: FirmwareArgs,
    /// UDS input.
    #[command(flatten)]
    pub uds: UdsArgs,
    /// Registration ID input.
    #[command(flatten)]
    pub id: IdArgs,
    /// Output.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Extra outputs: DeviceID certificate, alias key, JSON report.
    #[command(flatten)]
    pub extras: crate::cli::extra_outputs::ExtraOutputArgs,
}

/// Where the certificate goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    /// A file, in the given format.
    File(PathBuf),
    /// Standard output, in the given format.
    Stdout,
    /// Standard output, DER as base64 on one line.
    BareBase64,
}

impl OutputArgs {
    /// The destination for a registration ID.
    pub(crate) fn destination(&self, id: &RegistrationId) -> Destination {
        if self.bare_base64 {
            return Destination::BareBase64;
        }
        match &self.out {
            Some(p) if p.as_os_str() == "-" => Destination::Stdout,
            Some(p) => Destination::File(p.clone()),
            None => Destination::File(PathBuf::from(format!(
                "{}.{}",
                id.as_str(),
                CertFormat::from(self.format).extension()
            ))),
        }
    }
}

/// A complete, validated request.
#[derive(Debug)]
pub(crate) struct Request {
    /// The firmware files.
    pub firmware: FirmwareInput,
    /// The board's secret.
    pub uds: Uds,
    /// The subject CN.
    pub registration_id: RegistrationId,
    /// Where the certificate goes.
    pub destination: Destination,
    /// File format for `File` and `Stdout`.
    pub format: CertFormat,
    /// Overwrite an existing file.
    pub force: bool,
    /// The extra outputs asked for.
    pub extras: crate::cli::extra_outputs::ExtraOutputs,
}

/// What a generation produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// The certificate and derived values.
    pub certificate: AliasCertificate,
    /// Where it went.
    pub destination: Destination,
    /// Warnings for the user (never secrets).
    pub warnings: Vec<String>,
    /// What `-v/--verbose` prints: files, flash origin, regions, digests, registration ID.
    pub verbose: Vec<String>,
    /// The extra outputs written.
    pub extras: crate::cli::extra_outputs::ExtraOutputs,
}

impl Outcome {
    /// The lines reported on standard error after a file was written.
    pub(crate) fn report(&self) -> String {
        let t = self.certificate.thumbprints();
        let target = match &self.destination {
            Destination::File(p) => p.display().to_string(),
            Destination::Stdout | Destination::BareBase64 => "standard output".to_string(),
        };
        let mut report = format!(
            "Wrote {target}\n  registration ID: {}\n  SHA-1 thumbprint:   {}\n  SHA-256 thumbprint:\n    {}\n",
            self.certificate.registration_id, t.sha1, t.sha256
        );
        if let Some(p) = &self.extras.device_cert {
            report.push_str(&format!("Wrote {} (DeviceID certificate)\n", p.display()));
        }
        if let Some(p) = &self.extras.alias_key {
            report.push_str(&format!("Wrote {} (alias private key)\n", p.display()));
        }
        report
    }
}

/// The default command: gathers the inputs (asking for what is missing on a terminal),
/// writes the certificate, and reports what was written.
pub(crate) fn exec(args: &GenerateArgs) -> Result<Finish, Error> {
    let interactive = terminal::stdin_is_terminal();
    let dps_uds = uds_source::EnvUds::read();
    let inputs = inputs::gather(
        args,
        dps_uds.get(),
        &mut crate::cli::sys::unbuffered_stdin(),
        interactive,
        &mut Terminal::new(),
        &mut crate::cli::board::steps::SerialBoard {
            timeout: std::time::Duration::from_secs(args.id.timeout),
        },
    )?;
    let asked = inputs.asked;
    let input_warnings = inputs.warnings.clone();
    let uds_note = inputs.uds_note.clone();
    let request = inputs.into_request(&args.output, args.extras.outputs());
    let mut stdout = std::io::stdout().lock();
    let mut outcome = run(&request, &mut stdout)?;
    if args.firmware.verbose {
        let mut err = std::io::stderr().lock();
        for line in &outcome.verbose {
            let _ = writeln!(err, "{line}");
        }
    }
    if let Some(note) = &uds_note {
        style::note(note);
    }
    for w in &outcome.warnings {
        style::warning(w);
    }
    if request.extras.json {
        // The UDS warnings were shown while the inputs were gathered; the JSON lists them too.
        outcome.warnings.splice(0..0, input_warnings);
        let json = crate::cli::generate_json::GenerationJson::of(&outcome, request.format);
        crate::cli::stdout::print_json(&json)?;
        return Ok(Finish::Success);
    }
    if request.destination != Destination::BareBase64 {
        let _ = write!(std::io::stderr().lock(), "{}", outcome.report());
    }
    if asked {
        let _ = write!(
            std::io::stderr().lock(),
            "\n{}",
            next_steps::text(
                &request.firmware,
                &request.registration_id,
                &request.destination
            )
        );
    }
    Ok(Finish::Success)
}

/// Checks the destination, measures the firmware, derives the certificate, and writes it.
/// Bytes for standard output go to `stdout`; nothing is written when any step fails.
pub(crate) fn run(request: &Request, stdout: &mut dyn Write) -> Result<Outcome, Error> {
    if let Destination::File(path) = &request.destination {
        check_writable(path, request.force)?;
    }
    request.extras.check(&request.destination)?;
    let extra_paths = [&request.extras.device_cert, &request.extras.alias_key];
    crate::cli::output_set::check_all(
        extra_paths.into_iter().flatten().map(|p| p.as_path()),
        request.force,
    )?;
    let mut warnings = Vec::new();
    warnings.extend(request.registration_id.warning());
    let measured = request.firmware.measure()?;
    warnings.extend(
        measured
            .warnings
            .iter()
            .map(crate::cli::error::firmware_warning),
    );
    let measurements = FirmwareMeasurements::of(&measured.regions);
    let certificate = generate(&request.uds, &measurements, &request.registration_id)?;
    let mut files = request.extras.files(&certificate)?;
    // The certificate file and the extra outputs: all of them, or none.
    if let Destination::File(path) = &request.destination {
        let bytes = request.format.encode(&certificate.der).into();
        files.insert(
            0,
            PlannedFile {
                path: path.clone(),
                bytes,
                mode: CERT_MODE,
            },
        );
    }
    write_all_or_none(&files, request.force)?;
    match &request.destination {
        Destination::File(_) => {}
        Destination::Stdout => {
            crate::cli::stdout::outcome(
                stdout
                    .write_all(&request.format.encode(&certificate.der))
                    .and_then(|()| stdout.flush()),
            )?;
        }
        Destination::BareBase64 => {
            crate::cli::stdout::outcome(
                writeln!(stdout, "{}", bare_base64(&certificate.der)).and_then(|()| stdout.flush()),
            )?;
        }
    }
    warnings.extend(request.extras.warnings());
    Ok(Outcome {
        certificate,
        destination: request.destination.clone(),
        warnings,
        verbose: crate::cli::verbose::lines_with_id(&measured, &request.registration_id),
        extras: request.extras.clone(),
    })
}
