//! The command line: arguments, one module per command, prompts, the terminal, colour,
//! progress, output files and exit statuses. Only the binary declares it; the library
//! (`dps_cert_gen`) does the derivation and knows nothing of any of this.
//!
//! [`main`] is the one place that turns a command's result into an exit status.

pub(crate) mod board;
pub(crate) mod commands;
pub(crate) mod dps;
pub(crate) mod error;
#[cfg(test)]
mod help_examples;
pub(crate) mod input;
pub(crate) mod output;
pub(crate) mod pipeline;
pub(crate) mod sys;
#[cfg(test)]
pub(crate) mod test_support;

use clap::{Parser, Subcommand};
use dps_cert_gen::text::uds_like::mask_uds_like;
use error::Finish;
use std::process::ExitCode;
use sys::style;

const EXAMPLES: &str = "\
Examples:
  dps-cert-gen                      answer prompts, as the DevKit tutorial does
  dps-cert-gen -p DevKitDPS --uds-file uds.txt -i my-device-01
  dps-cert-gen -e DevKitDPS.ino.elf --uds-file uds.txt -i my-device-01 -v
  dps-cert-gen -p DevKitDPS --uds-file uds.txt -i my-device-01 --bare-base64
  dps-cert-gen uds                  a new UDS, and how to set it on the board
  dps-cert-gen batch -p DevKitDPS --manifest devices.csv --out-dir certs

The UDS comes from -u, --uds-file or DPS_UDS, or is asked for (hidden) on a
terminal. NO_COLOR turns colour off. More in the README.";

/// Make the X.509 certificate an MXChip AZ3166 DevKit presents to Azure IoT Hub DPS.
#[derive(Debug, Parser)]
#[command(
    name = "dps-cert-gen",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    generate: commands::generate::GenerateArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a new random UDS and the line that sets it on the board.
    Uds(commands::uds::UdsArgs),
    /// Print a completion script for a shell.
    Completions(commands::completions::CompletionsArgs),
    /// Explain a certificate: ID, keys, FWID, thumbprints, signature.
    Inspect(commands::inspect::InspectArgs),
    /// Check a certificate against the board's inputs, naming each difference.
    Verify(Box<commands::verify::VerifyArgs>),
    /// Certificates for many boards: one firmware, a CSV of UDS and IDs.
    Batch(commands::batch::BatchArgs),
    /// The DevKit on its serial port: read its ID, set its UDS, or both.
    Board(commands::board::BoardArgs),
    /// Enroll certificates in Azure DPS (individual X.509 enrollments).
    Enroll(commands::enroll::EnrollArgs),
    /// Register with DPS as the board would (really provisions it).
    Register(Box<commands::register::RegisterArgs>),
}

/// Runs the command line and decides the exit status.
pub(crate) fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    // Every command but these two holds a UDS or a private key at some point.
    if !matches!(
        cli.command,
        Some(Command::Completions(_) | Command::Inspect(_))
    ) {
        sys::core_dumps::keep_secrets_out_of_core_dumps();
    }
    let result = match cli.command {
        Some(Command::Uds(args)) => commands::uds::exec(&args),
        Some(Command::Completions(args)) => {
            commands::completions::exec(&args, &mut <Cli as clap::CommandFactory>::command())
        }
        Some(Command::Inspect(args)) => commands::inspect::exec(&args),
        Some(Command::Verify(args)) => commands::verify::exec(&args),
        Some(Command::Batch(args)) => commands::batch::exec(&args),
        Some(Command::Board(args)) => commands::board::exec(&args),
        Some(Command::Enroll(args)) => commands::enroll::exec(&args),
        Some(Command::Register(args)) => commands::register::exec(&args),
        None => commands::generate::exec(&cli.generate),
    };
    match result {
        Ok(Finish::Success) => ExitCode::SUCCESS,
        Ok(Finish::Mismatch) => ExitCode::FAILURE,
        Err(e) => {
            // (style::error masks a UDS given to the wrong flag.)
            style::error(&e.to_string());
            ExitCode::from(e.exit_code())
        }
    }
}

/// Prints clap's own message (help and version on standard output; errors, with their usage
/// line, on standard error with any UDS-looking value masked) and returns clap's exit status.
fn clap_error(e: &clap::Error) -> ExitCode {
    let status = u8::try_from(e.exit_code()).unwrap_or(2);
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::from(status);
    }
    let text = mask_uds_like(&e.render().ansi().to_string());
    let _ = std::io::Write::write_all(&mut style::stderr(), text.as_bytes());
    ExitCode::from(status)
}
