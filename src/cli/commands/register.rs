//! `dps-cert-gen register --id-scope SCOPE`: the board's own DPS registration, done from the
//! PC with the alias certificate and key that generation's inputs give (nothing written):
//! proves that DPS holds the right certificate before the board is touched. A successful
//! check really provisions the device in the hub, and says so before it starts.

use crate::cli::dps::error::DpsError;
use crate::cli::dps::register::{self, PROVISIONS_NOTE};
use crate::cli::error::{Error, Finish};
use crate::cli::input::args::{FirmwareArgs, IdArgs, UdsArgs};
use crate::cli::input::uds_source;
use crate::cli::output::stdout;
use crate::cli::pipeline::board_steps::SerialBoard;
use crate::cli::pipeline::{generation, inputs};
use crate::cli::sys::style;
use crate::cli::sys::terminal::{self, Terminal};
use clap::Args;
use dps_cert_gen::dps::GLOBAL_DEVICE_HOST;
use dps_cert_gen::dps::device::{IdScope, ProvisioningHost, RegistrationOutcome};
use std::io::Write;
use std::path::PathBuf;

/// The arguments of `register`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "\
Derives the alias certificate and its key from the same inputs as generation and registers
as the board does (PUT .../register, then the operation polled), presenting the alias
certificate alone as the TLS client certificate. A successful check really provisions the
device: DPS creates (or updates) it in the IoT hub it assigns.
The ID scope: Azure portal, your DPS instance, Overview, ID Scope.
Exit status: 0 assigned, 1 refused or failed, 2 bad input.

Examples:
  dps-cert-gen register --id-scope 0ne00111111 -p DevKitDPS --uds-file uds.txt -i my-device-01
  dps-cert-gen register --id-scope 0ne00111111 -e DevKitDPS.ino.elf --uds-file uds.txt --board auto",
    mut_arg("timeout", |a| a.help(
        "Give up after this many seconds: waiting for the board (--board), and DPS in all (retries and polls included)"
    ))
)]
pub(crate) struct RegisterArgs {
    /// The DPS instance's ID scope (portal: the DPS instance's Overview, ID Scope).
    #[arg(long = "id-scope", value_name = "SCOPE", value_parser = parse_scope)]
    pub id_scope: IdScope,
    /// The DPS device endpoint the board registers with.
    #[arg(long = "provisioning-host", value_name = "HOST[:PORT]", default_value = GLOBAL_DEVICE_HOST, value_parser = parse_host)]
    pub provisioning_host: ProvisioningHost,
    /// Also trust the CA certificates in this PEM file (a TLS-inspecting proxy's, a local
    /// stand-in's), besides the system's.
    #[arg(long = "ca-file", value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Firmware input.
    #[command(flatten)]
    pub firmware: FirmwareArgs,
    /// UDS input.
    #[command(flatten)]
    pub uds: UdsArgs,
    /// Registration ID input.
    #[command(flatten)]
    pub id: IdArgs,
}

fn parse_scope(text: &str) -> Result<IdScope, String> {
    IdScope::new(text.trim()).map_err(|e| e.to_string())
}

fn parse_host(text: &str) -> Result<ProvisioningHost, String> {
    ProvisioningHost::new(text.trim()).map_err(|e| e.to_string())
}

/// Gathers the inputs (asking for what is missing on a terminal), derives the alias
/// certificate, says that a success provisions the device, registers, and prints the hub
/// and device ID (or why not: exit status 1).
pub(crate) fn exec(args: &RegisterArgs) -> Result<Finish, Error> {
    let dps_uds = uds_source::EnvUds::read();
    let given = inputs::Given {
        firmware: &args.firmware,
        uds: &args.uds,
        id: &args.id,
        output: None,
    };
    let inputs = inputs::gather(
        &given,
        dps_uds.get(),
        &mut crate::cli::sys::unbuffered_stdin(),
        terminal::stdin_is_terminal(),
        &mut Terminal::new(),
        &mut SerialBoard {
            timeout: args.id.timeout.duration(),
        },
    )?;
    let derived = generation::derive(&inputs.firmware, &inputs.uds, &inputs.registration_id)?;
    if args.firmware.verbose {
        let mut err = std::io::stderr().lock();
        for line in &derived.verbose {
            let _ = writeln!(err, "{line}");
        }
    }
    if let Some(note) = &inputs.uds_note {
        style::note(note);
    }
    for w in &derived.warnings {
        style::warning(w);
    }
    let certificate = derived.certificate;
    let host = args.provisioning_host.as_str();
    style::note(PROVISIONS_NOTE);
    let outcome = register::register(
        &certificate,
        args.id_scope.clone(),
        host,
        args.ca_file.as_deref(),
        args.id.timeout.secs(),
    )?;
    let text = register::outcome_text(&outcome, certificate.registration_id.as_str(), host);
    match outcome {
        RegistrationOutcome::Assigned { .. } => {
            stdout::write(format!("{text}\n").as_bytes())?;
            Ok(Finish::Success)
        }
        _ => Err(DpsError::NotAssigned(text).into()),
    }
}
