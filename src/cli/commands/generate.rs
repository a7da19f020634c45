//! The default command: generate the alias certificate and write it as the user asked
//! (a PEM or DER file, standard output, or bare base64 on one line).

use crate::cli::dps::args::DpsArgs;
use crate::cli::error::{Error, Finish};
use crate::cli::input::args::{FirmwareArgs, IdArgs, UdsArgs};
use crate::cli::input::uds_source;
use crate::cli::output::destination::{Destination, OutputArgs};
use crate::cli::output::extra_outputs::ExtraOutputArgs;
use crate::cli::output::generate_json::GenerationJson;
use crate::cli::output::{next_steps, stdout};
use crate::cli::pipeline::board_steps::SerialBoard;
use crate::cli::pipeline::{enroll_step, generation, inputs};
use crate::cli::sys::style;
use crate::cli::sys::terminal::{self, Terminal};
use clap::Args;
use std::io::Write;

/// Everything the generator takes on the command line.
#[derive(Debug, Clone, Default, Args)]
#[command(
    // Named in --enroll's help; kept out of the main help, which stays short.
    mut_arg("connection_string_file", |a| a.requires("enroll").hide(true)),
    mut_arg("ca_file", |a| a.requires("enroll").hide(true)),
    mut_arg("timeout", |a| a.help("Seconds for the board (--board) and for DPS (--enroll)"))
)]
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
    pub extras: ExtraOutputArgs,
    /// Then enroll it in DPS as `enroll` does (--dps-connection-string-file PATH, DPS_CONNECTION_STRING or asked; --ca-file PATH).
    #[arg(long = "enroll")]
    pub enroll: bool,
    /// With --enroll: the connection string and trust.
    #[command(flatten)]
    pub dps: DpsArgs,
}

/// The default command: gathers the inputs (asking for what is missing on a terminal),
/// writes the certificate, and reports what was written.
pub(crate) fn exec(args: &GenerateArgs) -> Result<Finish, Error> {
    let interactive = terminal::stdin_is_terminal();
    if args.enroll {
        let uds_from_stdin = args
            .uds
            .uds_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-");
        enroll_step::refuse_stdin_twice(uds_from_stdin, &args.dps)?;
    }
    let dps_uds = uds_source::EnvUds::read();
    let given = inputs::Given {
        firmware: &args.firmware,
        uds: &args.uds,
        id: &args.id,
        output: Some((&args.output, &args.extras)),
    };
    let inputs = inputs::gather(
        &given,
        dps_uds.get(),
        &mut crate::cli::sys::unbuffered_stdin(),
        interactive,
        &mut Terminal::new(),
        &mut SerialBoard {
            timeout: args.id.timeout.duration(),
        },
    )?;
    let asked = inputs.asked;
    let input_warnings = inputs.warnings.clone();
    let uds_note = inputs.uds_note.clone();
    let request = inputs.into_request(&args.output, args.extras.outputs());
    // Before anything is written: a missing connection string ends the run at once.
    let connection = if args.enroll {
        Some(enroll_step::connection_string(&args.dps)?)
    } else {
        None
    };
    let enroll = |outcome: &crate::cli::output::report::Outcome| -> Result<Finish, Error> {
        let Some(connection) = &connection else {
            return Ok(Finish::Success);
        };
        let enrolled =
            enroll_step::enroll_generated(connection, &args.dps, args.id.timeout.secs(), outcome)?;
        Ok(if enrolled {
            Finish::Success
        } else {
            Finish::Mismatch
        })
    };
    let mut stdout = std::io::stdout().lock();
    let mut outcome = generation::run(&request, &mut stdout)?;
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
        let json = GenerationJson::of(&outcome, request.format);
        stdout::print_json(&json)?;
        return enroll(&outcome);
    }
    if request.destination != Destination::BareBase64 {
        let _ = write!(std::io::stderr().lock(), "{}", outcome.report());
    }
    let finish = enroll(&outcome)?;
    // Enrolled here: the portal's form is no next step.
    if asked && connection.is_none() {
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
    Ok(finish)
}
