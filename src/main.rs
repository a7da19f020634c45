//! The `dps-cert-gen` binary: parses arguments and calls the library.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::allow_attributes,
        clippy::print_stdout,
        clippy::print_stderr
    )
)]

mod cli;

use clap::{CommandFactory, Parser, Subcommand};
use dps_cert_gen::Error;
use dps_cert_gen::generate::{self, GenerateArgs};
use dps_cert_gen::terminal::{self, Terminal};
use dps_cert_gen::{inputs, next_steps, style, uds_source};
use std::io::Write;
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  Answer prompts (project name, UDS hidden, registration ID), as the DevKit tutorial does:
    dps-cert-gen
  Certificate for a board, from the Arduino build outputs, the UDS in a file:
    dps-cert-gen -b .build/DevKitDPS.ino.bin -m .build/DevKitDPS.ino.map \\
                 --uds-file uds.txt -i my-device-01
  From the ELF alone (symbols and bytes in one file), reporting what was measured:
    dps-cert-gen -e .build/DevKitDPS.ino.elf --uds-file uds.txt -i my-device-01 -v
  The ID the board builds when none is set (MAC and firmware version printed at boot):
    DPS_UDS=<UDS> dps-cert-gen -p DevKitDPS --mac C8:93:46:00:00:01 --firmware-version 1.3.0
  The DER as base64 on one line, for an upload script:
    dps-cert-gen -b app.ino.bin -m app.ino.map --uds-file uds.txt -i my-device-01 --bare-base64
  A fresh UDS to set on the board (set_dps_uds), and shell completions:
    dps-cert-gen uds
    dps-cert-gen completions bash > ~/.local/share/bash-completion/completions/dps-cert-gen
  Certificates for a production run (CSV with uds,registration_id columns):
    dps-cert-gen batch -p DevKitDPS --manifest devices.csv --out-dir certs

The UDS is taken from -u, then --uds-file, then DPS_UDS, then asked for (hidden) when standard
input is a terminal; without a terminal, missing inputs are an error. NO_COLOR turns colour off.";

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
    Uds {
        /// How many UDS values to print, one per line (one per board).
        #[arg(long = "count", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        count: u32,
    },
    /// Print a completion script for a shell.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Explain a certificate: registration ID, keys, FWID, thumbprints, signature.
    Inspect(dps_cert_gen::inspect::InspectArgs),
    /// Check a certificate against the board's inputs and name each difference.
    Verify(Box<dps_cert_gen::verify::VerifyArgs>),
    /// Certificates for many devices: one firmware, a CSV manifest of UDS and IDs.
    Batch(dps_cert_gen::batch_command::BatchArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Uds { count }) => uds(count),
        Some(Command::Completions { shell }) => completions(shell),
        Some(Command::Inspect(args)) => inspect_command(&args),
        Some(Command::Verify(args)) => match verify_command(&args) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::FAILURE,
            Err(e) => Err(e),
        },
        Some(Command::Batch(args)) => dps_cert_gen::batch_command::run(&args),
        None => generate_command(&cli.generate),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            style::error(&e.to_string());
            ExitCode::from(e.exit_code())
        }
    }
}

fn generate_command(args: &GenerateArgs) -> Result<(), Error> {
    let interactive = terminal::stdin_is_terminal();
    let dps_uds = uds_source::EnvUds::read();
    let inputs = inputs::gather(
        args,
        dps_uds.get(),
        &mut uds_source::unbuffered_stdin(),
        interactive,
        &mut Terminal::new(),
    )?;
    let asked = inputs.asked;
    let input_warnings = inputs.warnings.clone();
    let request = inputs.into_request(&args.output, args.extras.outputs());
    let mut stdout = std::io::stdout().lock();
    let mut outcome = generate::run(&request, &mut stdout)?;
    if args.firmware.verbose {
        let mut err = std::io::stderr().lock();
        for line in &outcome.verbose {
            let _ = writeln!(err, "{line}");
        }
    }
    for w in &outcome.warnings {
        style::warning(w);
    }
    if request.extras.json {
        // The UDS warnings were shown while the inputs were gathered; the JSON lists them too.
        outcome.warnings.splice(0..0, input_warnings);
        let json = dps_cert_gen::generate_json::GenerationJson::of(&outcome, request.format);
        return print_json(&json);
    }
    if request.destination != generate::Destination::BareBase64 {
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
    Ok(())
}

fn uds(count: u32) -> Result<(), Error> {
    dps_cert_gen::uds_command::print_new(
        count,
        &mut dps_cert_gen::uds_command::unbuffered_stdout(),
        &mut std::io::stderr().lock(),
    )
}

fn completions(shell: clap_complete::Shell) -> Result<(), Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dps-cert-gen", &mut script);
    write_stdout(&script)
}

/// Writes to standard output; a reader that stopped early (`| head`) is not a failure, any
/// other failure (a full disk behind `>`) is one (exit status 1).
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        // A reader that stopped early (`| head`) is not a failure.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(dps_cert_gen::output::OutputError::Write {
                path: "standard output".into(),
                reason: dps_cert_gen::atomic_file::reason(&e),
            }
            .into())
        }
        _ => Ok(()),
    }
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    write_stdout(text.as_bytes())
}

fn inspect_command(args: &dps_cert_gen::inspect::InspectArgs) -> Result<(), Error> {
    let source = dps_cert_gen::cert_reader::CertSource::from_arg(args.file.as_deref());
    let inspection = dps_cert_gen::inspect::inspect_source(&source)?;
    if args.json {
        return print_json(&inspection);
    }
    write_stdout(inspection.render().as_bytes())
}

/// Whether the certificate matched.
fn verify_command(args: &dps_cert_gen::verify::VerifyArgs) -> Result<bool, Error> {
    let dps_uds = uds_source::EnvUds::read();
    let verification = dps_cert_gen::verify::run(
        args,
        dps_uds.get(),
        &mut uds_source::unbuffered_stdin(),
        terminal::stdin_is_terminal(),
    )?;
    if args.json {
        print_json(&verification.json())?;
    } else {
        write_stdout(verification.render().as_bytes())?;
        for w in &verification.warnings {
            style::warning(w);
        }
    }
    Ok(verification.matches())
}
