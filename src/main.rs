//! The `dps-cert-gen` binary: parses arguments and calls the library.

use clap::{Parser, Subcommand};
use dps_cert_gen::Error;
use dps_cert_gen::generate::{self, GenerateArgs, Request};
use std::io::Write;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  Certificate for a board, from the Arduino build outputs:
    dps-cert-gen -b .build/DevKitDPS.ino.bin -m .build/DevKitDPS.ino.map \\
                 -u <64 hex digits> -i my-device-01
  The ID the board builds when none is set (MAC and firmware version printed at boot):
    dps-cert-gen -p DevKitDPS -u <UDS> --mac C8:93:46:00:00:01 --firmware-version 1.3.0
  The DER as base64 on one line, for an upload script:
    dps-cert-gen -b app.ino.bin -m app.ino.map -u <UDS> -i my-device-01 --bare-base64
  A fresh UDS to set on the board:
    dps-cert-gen uds
  Certificates for a production run (CSV with uds,registration_id columns):
    dps-cert-gen batch -p DevKitDPS --manifest devices.csv --out-dir certs";

/// Make the X.509 certificate an MXChip AZ3166 DevKit presents to Azure IoT Hub DPS.
#[derive(Debug, Parser)]
#[command(
    name = "dps-cert-gen",
    version,
    about,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    generate: GenerateArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random UDS and the line that sets it on the board.
    Uds,
    /// Certificates for many devices: one firmware, a CSV manifest of UDS and IDs.
    Batch(dps_cert_gen::batch_command::BatchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Uds) => uds(),
        Some(Command::Batch(args)) => dps_cert_gen::batch_command::run(&args),
        None => generate_command(&cli.generate),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn warn(message: &str) {
    eprintln!("warning: {message}");
}

fn generate_command(args: &GenerateArgs) -> Result<(), Error> {
    let uds = args.uds.resolve()?;
    let registration_id = args.id.resolve()?;
    let mut missing = Vec::new();
    if uds.is_none() {
        missing.push("-u/--uds");
    }
    if registration_id.is_none() {
        missing.push("-i/--registration-id (or --mac with --firmware-version)");
    }
    let (Some(uds), Some(registration_id)) = (uds, registration_id) else {
        let them = if missing.len() == 1 { "it" } else { "them" };
        return Err(Error::Missing(format!(
            "{}; give {them} on the command line (see --help)",
            missing.join(" and ")
        )));
    };
    let firmware = args.firmware.resolve()?;
    let request = Request {
        firmware,
        uds,
        destination: args.output.destination(&registration_id),
        registration_id,
        format: args.output.format.into(),
        force: args.output.force,
    };
    let mut stdout = std::io::stdout().lock();
    let outcome = generate::run(&request, &mut stdout)?;
    for w in &outcome.warnings {
        warn(w);
    }
    if request.destination != generate::Destination::BareBase64 {
        eprint!("{}", outcome.report());
    }
    Ok(())
}

fn uds() -> Result<(), Error> {
    let uds = dps_cert_gen::uds_command::random_uds()?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", dps_cert_gen::uds_command::to_hex(&uds).as_str());
    eprintln!(
        "Set it on the board in configuration mode (hold A, press Reset) with:\n  {}",
        dps_cert_gen::uds_command::set_dps_uds_line(&uds).as_str()
    );
    Ok(())
}
