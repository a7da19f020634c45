//! The generation pipeline, shared by the generator and `board provision`: a complete
//! [`Request`] is checked (destination, extra outputs), the firmware measured, the
//! certificate derived and written (all files or none), and the [`Outcome`] returned.

use crate::cli::error::Error;
use crate::cli::input::args::FirmwareInput;
use crate::cli::output::destination::Destination;
use crate::cli::output::extra_outputs::{CERT_MODE, ExtraOutputs};
use crate::cli::output::file_set::{PlannedFile, check_all, write_all_or_none};
use crate::cli::output::files::{OutputError, check_writable, holds};
use crate::cli::output::report::Outcome;
use crate::cli::output::{stdout as standard_output, verbose};
use dps_cert_gen::derivation::{AliasCertificate, FirmwareMeasurements, generate};
use dps_cert_gen::dice::uds::Uds;
use dps_cert_gen::encoding::{CertFormat, bare_base64};
use dps_cert_gen::registration_id::RegistrationId;
use std::io::Write;

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
    pub extras: ExtraOutputs,
}

/// Checks the destination, measures the firmware, derives the certificate, and writes it.
/// Bytes for standard output go to `stdout`; nothing is written when any step fails.
pub(crate) fn run(request: &Request, stdout: &mut dyn Write) -> Result<Outcome, Error> {
    // A file there already (and no --force) is refused unless it holds this very certificate
    // (then there is nothing to write): the run goes on to find out. Not with extra outputs,
    // which would have to be written anyway.
    let mut exists = None;
    if let Destination::File(path) = &request.destination {
        match check_writable(path, request.force) {
            Err(e @ OutputError::Exists { .. }) if !request.extras.writes_files() => {
                exists = Some(e);
            }
            result => result?,
        }
    }
    request.extras.check(&request.destination)?;
    let extra_paths = [&request.extras.device_cert, &request.extras.alias_key];
    check_all(
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
    if let (Some(e), Destination::File(path)) = (exists, &request.destination) {
        if !holds(path, &request.format.encode(&certificate.der)) {
            return Err(e.into());
        }
        return Ok(Outcome {
            certificate,
            destination: request.destination.clone(),
            warnings,
            verbose: verbose::lines_with_id(&measured, &request.registration_id),
            extras: request.extras.clone(),
            unchanged: true,
        });
    }
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
            standard_output::outcome(
                stdout
                    .write_all(&request.format.encode(&certificate.der))
                    .and_then(|()| stdout.flush()),
            )?;
        }
        Destination::BareBase64 => {
            standard_output::outcome(
                writeln!(stdout, "{}", bare_base64(&certificate.der)).and_then(|()| stdout.flush()),
            )?;
        }
    }
    warnings.extend(request.extras.warnings());
    Ok(Outcome {
        certificate,
        destination: request.destination.clone(),
        warnings,
        verbose: verbose::lines_with_id(&measured, &request.registration_id),
        extras: request.extras.clone(),
        unchanged: false,
    })
}

/// An alias certificate derived and not written (`register`).
pub(crate) struct Derived {
    /// The certificate and its keys.
    pub certificate: AliasCertificate,
    /// The warnings about the ID and the firmware.
    pub warnings: Vec<String>,
    /// What `--verbose` reports.
    pub verbose: Vec<String>,
}

/// The alias certificate (with its keys) that `firmware`, `uds` and `id` give; nothing is
/// written.
pub(crate) fn derive(
    firmware: &FirmwareInput,
    uds: &Uds,
    id: &RegistrationId,
) -> Result<Derived, Error> {
    let mut warnings: Vec<String> = id.warning().into_iter().collect();
    let measured = firmware.measure()?;
    warnings.extend(
        measured
            .warnings
            .iter()
            .map(crate::cli::error::firmware_warning),
    );
    let certificate = generate(uds, &FirmwareMeasurements::of(&measured.regions), id)?;
    Ok(Derived {
        certificate,
        warnings,
        verbose: verbose::lines_with_id(&measured, id),
    })
}

/// The bytes of the certificate file `firmware`, `uds` and `id` give in `format`.
pub(crate) fn certificate_file(
    firmware: &FirmwareInput,
    uds: &Uds,
    id: &RegistrationId,
    format: CertFormat,
) -> Result<Vec<u8>, Error> {
    let measured = firmware.measure()?;
    let certificate = generate(uds, &FirmwareMeasurements::of(&measured.regions), id)?;
    Ok(format.encode(&certificate.der))
}
