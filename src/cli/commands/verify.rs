//! `verify`: the command that reads a certificate, re-derives the one the inputs give, and says whether they match.

use crate::cli::error::Error;
use crate::cli::error::Finish;
use crate::cli::input::args::{FirmwareArgs, IdArgs, UdsArgs};
use crate::cli::input::cert_input::{CertSource, inspect_source};
use crate::cli::input::uds_source;
use crate::cli::output::stdout;
use crate::cli::sys::style;
use crate::cli::sys::terminal;
use clap::Args;
use dps_cert_gen::derivation::verify::{Difference, Verification, compare, require_alias};
use dps_cert_gen::derivation::{FirmwareMeasurements, generate};
use dps_cert_gen::registration_id::RegistrationId;
use std::path::PathBuf;

/// The arguments of `verify`.
#[derive(Debug, Clone, Default, Args)]
// --timeout is --board's alone here (verify never prompts): without --board it is refused.
#[command(mut_arg("timeout", |a| a.requires("board")))]
#[command(after_help = "\
Without -i (or --mac, or --board: the ID read from the board's boot output), the
certificate's own subject CN is used as the registration ID.
Exit status: 0 identical, 1 different (each difference named, most likely cause first),
2 bad input.

Example:
  dps-cert-gen verify enrolled.pem -p DevKitDPS --uds-file uds.txt -i my-device-01")]
pub(crate) struct VerifyArgs {
    /// The certificate to check (PEM, bare base64 or DER; '-' reads standard input).
    #[arg(value_name = "CERT")]
    pub certificate: PathBuf,
    /// Firmware input.
    #[command(flatten)]
    pub firmware: FirmwareArgs,
    /// UDS input.
    #[command(flatten)]
    pub uds: UdsArgs,
    /// Registration ID input [default: the certificate's own subject CN].
    #[command(flatten)]
    pub id: IdArgs,
    /// Print one JSON object on standard output instead of text.
    #[arg(long = "json")]
    pub json: bool,
}

/// Reads the certificate, derives the one the inputs give, and compares them. The UDS is
/// required; without a registration ID the certificate's own subject CN is used.
///
/// The UDS comes from its sources in their order of precedence (`-u`, `--uds-file`,
/// `DPS_UDS` given as `dps_uds`); `verify` never prompts.
pub(crate) fn run(
    args: &VerifyArgs,
    dps_uds: Option<&std::ffi::OsStr>,
    stdin: &mut dyn std::io::Read,
    stdin_is_terminal: bool,
) -> Result<Verification, Error> {
    let certificate = inspect_source(&CertSource::from_arg(Some(&args.certificate)), "verify")?;
    require_alias(&certificate)?;
    let mut input_warnings = Vec::new();
    if args.uds.uds.is_some() {
        input_warnings.push(crate::cli::input::uds_source::COMMAND_LINE_WARNING.to_string());
    }
    let Some(given) =
        crate::cli::input::uds_source::resolve(&args.uds, dps_uds, stdin, stdin_is_terminal)?
    else {
        return Err(Error::Missing(
            "-u/--uds (or --uds-file, or DPS_UDS): the board's UDS is needed to re-derive the certificate"
                .to_string(),
        ));
    };
    input_warnings.extend(given.warning.clone());
    if let Some(decoration) = given.decoration {
        crate::cli::sys::style::note(&decoration.to_string());
    }
    let uds = given.uds;
    let given_id = args.id.resolve()?;
    let measured = args.firmware.resolve()?.measure()?;
    if args.firmware.verbose {
        for line in crate::cli::output::verbose::lines(&measured) {
            eprintln!("{line}");
        }
    }
    // Every other input is checked before the board is asked (press Reset).
    let (registration_id, from_certificate) = match (given_id, &args.id.board) {
        (Some(id), _) => (id, false),
        (None, Some(port)) => (
            crate::cli::pipeline::board_steps::board_id(
                port,
                args.id.timeout.duration(),
                "--board",
            )?,
            false,
        ),
        (None, None) => {
            let cn = certificate.registration_id.clone().unwrap_or_default();
            (RegistrationId::new(&cn)?, true)
        }
    };
    input_warnings.extend(
        measured
            .warnings
            .iter()
            .map(crate::cli::error::firmware_warning),
    );
    let derived = generate(
        &uds,
        &FirmwareMeasurements::of(&measured.regions),
        &registration_id,
    )?;
    let mut verification = compare(certificate, &derived, from_certificate);
    input_warnings.append(&mut verification.warnings);
    verification.warnings = input_warnings;
    Ok(verification)
}

/// Which of this command's flags a difference points to (`from_board`: the ID was read
/// with --board).
fn advice(from_board: bool) -> impl Fn(&Difference) -> &'static str {
    move |difference| match difference {
        Difference::RegistrationId { .. } if from_board => {
            " (the ID the board on --board uses: is this certificate another board's?)"
        }
        Difference::RegistrationId { .. } => " (check -i, or --mac and --firmware-version)",
        _ => "",
    }
}

/// Compares, prints the result (text, or JSON with `--json`), and ends with status 1 when
/// the certificate differs.
pub(crate) fn exec(args: &VerifyArgs) -> Result<Finish, Error> {
    let dps_uds = uds_source::EnvUds::read();
    let verification = run(
        args,
        dps_uds.get(),
        &mut crate::cli::sys::unbuffered_stdin(),
        terminal::stdin_is_terminal(),
    )?;
    let advice = advice(args.id.board.is_some());
    if args.json {
        stdout::print_json(&verification.json(&advice))?;
    } else {
        stdout::write(verification.render(&advice).as_bytes())?;
        for w in &verification.warnings {
            style::warning(w);
        }
    }
    Ok(if verification.matches() {
        Finish::Success
    } else {
        Finish::Mismatch
    })
}
