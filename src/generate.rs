//! The default command: generate the alias certificate and write it as the user asked
//! (a PEM or DER file, standard output, or bare base64 on one line).

use crate::args::{FirmwareArgs, FirmwareInput, IdArgs, UdsArgs};
use crate::derivation::{AliasCertificate, FirmwareMeasurements, generate};
use crate::encoding::{CertFormat, bare_base64};
use crate::error::Error;
use crate::output::{check_writable, write_atomic};
use crate::registration_id::RegistrationId;
use crate::uds::Uds;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// File format of the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FormatArg {
    /// PEM (RFC 7468: 64-column base64, LF line ends).
    #[default]
    Pem,
    /// Raw DER bytes.
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
pub struct OutputArgs {
    /// Output file [default: ./<registration-id>.pem, or .cer with --format der]; '-' writes to standard output.
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Certificate file format.
    #[arg(long = "format", value_enum, default_value_t = FormatArg::Pem)]
    pub format: FormatArg,
    /// Overwrite an existing output file.
    #[arg(long = "force")]
    pub force: bool,
    /// Print the DER as base64 on one line to standard output (for an upload), write no file.
    #[arg(long = "bare-base64", conflicts_with_all = ["out", "format", "force"])]
    pub bare_base64: bool,
}

/// Everything the generator takes on the command line.
#[derive(Debug, Clone, Default, Args)]
pub struct GenerateArgs {
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
}

/// Where the certificate goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A file, in the given format.
    File(PathBuf),
    /// Standard output, in the given format.
    Stdout,
    /// Standard output, DER as base64 on one line.
    BareBase64,
}

impl OutputArgs {
    /// The destination for a registration ID.
    pub fn destination(&self, id: &RegistrationId) -> Destination {
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
pub struct Request {
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
}

/// What a generation produced.
#[derive(Debug)]
pub struct Outcome {
    /// The certificate and derived values.
    pub certificate: AliasCertificate,
    /// Where it went.
    pub destination: Destination,
    /// Warnings for the user (never secrets).
    pub warnings: Vec<String>,
    /// What `-v/--verbose` prints: files, flash origin, regions, digests, registration ID.
    pub verbose: Vec<String>,
}

impl Outcome {
    /// The lines reported on standard error after a file was written.
    pub fn report(&self) -> String {
        let t = self.certificate.thumbprints();
        let target = match &self.destination {
            Destination::File(p) => p.display().to_string(),
            Destination::Stdout | Destination::BareBase64 => "standard output".to_string(),
        };
        format!(
            "Wrote {target}\n  registration ID: {}\n  SHA-1 thumbprint:   {}\n  SHA-256 thumbprint: {}\n",
            self.certificate.registration_id, t.sha1, t.sha256
        )
    }
}

/// Checks the destination, measures the firmware, derives the certificate, and writes it.
/// Bytes for standard output go to `stdout`; nothing is written when any step fails.
pub fn run(request: &Request, stdout: &mut dyn Write) -> Result<Outcome, Error> {
    if let Destination::File(path) = &request.destination {
        check_writable(path, request.force)?;
    }
    let mut warnings = Vec::new();
    warnings.extend(request.registration_id.warning());
    let measured = request.firmware.measure()?;
    warnings.extend(measured.warnings.iter().cloned());
    let measurements = FirmwareMeasurements::of(&measured.regions);
    let certificate = generate(&request.uds, &measurements, &request.registration_id)?;
    let stdout_error = |e: std::io::Error| {
        Error::Output(crate::output::OutputError::Write {
            path: PathBuf::from("standard output"),
            reason: e.to_string(),
        })
    };
    match &request.destination {
        Destination::File(path) => {
            write_atomic(
                path,
                &request.format.encode(&certificate.der),
                request.force,
                0o644,
            )?;
        }
        Destination::Stdout => {
            stdout
                .write_all(&request.format.encode(&certificate.der))
                .and_then(|()| stdout.flush())
                .map_err(stdout_error)?;
        }
        Destination::BareBase64 => {
            writeln!(stdout, "{}", bare_base64(&certificate.der))
                .and_then(|()| stdout.flush())
                .map_err(stdout_error)?;
        }
    }
    Ok(Outcome {
        certificate,
        destination: request.destination.clone(),
        warnings,
        verbose: measured.report_with_id(&request.registration_id),
    })
}
