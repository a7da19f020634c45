//! `dps-cert-gen board info | set-uds | provision`: talking to the DevKit on its serial
//! port: read the registration ID it uses from its boot output, set its UDS in configuration
//! mode, or do both and write its certificate.

use crate::cli::dps::args::DpsArgs;
use crate::cli::dps::error::DpsError as DpsCommandError;
use crate::cli::error::{Error, Finish};
use crate::cli::input::args::{FirmwareArgs, Timeout};
use crate::cli::input::{prompt, uds_source};
use crate::cli::output::destination::{Destination, OutputArgs};
use crate::cli::output::files::check_writable;
use crate::cli::output::{next_steps, stdout};
use crate::cli::pipeline::board_steps::{self as steps, Restart, UdsToSet};
use crate::cli::pipeline::enroll_step;
use crate::cli::pipeline::generation::{self, Request};
use crate::cli::sys::random::random_uds;
use crate::cli::sys::style;
use crate::cli::sys::terminal::{self, Terminal};
use clap::{Args, Subcommand};
use dps_cert_gen::board::boot_log::{BootReport, DpsError, DpsOutcome, IdSource, KnownId};
use dps_cert_gen::board::port_choice::PortRequest;
use dps_cert_gen::dice::sample_uds;
use dps_cert_gen::dice::uds::Uds;
use serde::Serialize;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The arguments of `board`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  dps-cert-gen board info
  dps-cert-gen board set-uds --new-uds --save-uds board1.uds --reboot
  dps-cert-gen board provision -p DevKitDPS --new-uds --save-uds board1.uds")]
pub(crate) struct BoardArgs {
    #[command(subcommand)]
    command: BoardCommand,
}

#[derive(Debug, Subcommand)]
enum BoardCommand {
    /// Read the MAC address, firmware version and registration ID from the board's boot output (press Reset).
    Info(InfoArgs),
    /// Set the board's UDS in configuration mode (set_dps_uds).
    SetUds(SetUdsArgs),
    /// Set the UDS, reboot the board, read its registration ID and write its certificate.
    Provision(Box<ProvisionArgs>),
}

/// Which port, and how long to wait.
#[derive(Debug, Clone, Args)]
pub(crate) struct PortArgs {
    /// The serial port: a path (/dev/ttyACM0, /dev/cu.usbmodem1203), a COM name (COM3), or 'auto': the port DPS_CERT_GEN_PORT names if set, else the one port with the DevKit's USB ID 0483:374B.
    #[arg(long = "port", value_name = "PORT", default_value = "auto")]
    pub port: PortRequest,
    /// Give up waiting for the board after this many seconds.
    #[arg(long = "timeout", value_name = "SECS", default_value_t)]
    pub timeout: Timeout,
}

impl PortArgs {
    fn timeout(&self) -> Duration {
        self.timeout.duration()
    }
}

/// The arguments of `board info`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  dps-cert-gen board info                      the one DevKit plugged in
  dps-cert-gen board info --port COM3 --json   for scripts")]
pub(crate) struct InfoArgs {
    #[command(flatten)]
    port: PortArgs,
    /// Print one JSON object: mac, firmware_version, registration_id (null when not seen), registration_id_source, dps.
    #[arg(long = "json")]
    json: bool,
}

/// The UDS to set: from a file, or a new one saved first.
#[derive(Clone, Args)]
pub(crate) struct BoardUdsArgs {
    /// Read the UDS to set from a file ('-' for standard input); 64 hex digits.
    #[arg(long = "uds-file", value_name = "PATH", conflicts_with = "new_uds")]
    uds_file: Option<PathBuf>,
    /// Make a new UDS from the operating system's secure random source (needs --save-uds).
    #[arg(long = "new-uds", requires = "save_uds")]
    new_uds: bool,
    /// Where to save the new UDS before it is sent: a new file, readable by you only; never overwritten.
    #[arg(long = "save-uds", value_name = "PATH", requires = "new_uds")]
    save_uds: Option<PathBuf>,
}

impl std::fmt::Debug for BoardUdsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardUdsArgs")
            .field("uds_file", &self.uds_file)
            .field("new_uds", &self.new_uds)
            .field("save_uds", &self.save_uds)
            .finish()
    }
}

/// The arguments of `board set-uds`.
#[derive(Debug, Args)]
#[command(after_help = "\
The UDS: --uds-file PATH (a file holding it), or --new-uds --save-uds PATH (a
new one, saved to a new file first). The board must be in configuration mode:
hold A, press and release Reset, let go of A.

Examples:
  dps-cert-gen board set-uds --new-uds --save-uds board1.uds --reboot
  dps-cert-gen board set-uds --uds-file board1.uds --port /dev/ttyACM0")]
pub(crate) struct SetUdsArgs {
    #[command(flatten)]
    port: PortArgs,
    #[command(flatten)]
    uds: BoardUdsArgs,
    /// Send `exit` afterwards: the board restarts in normal mode.
    #[arg(long = "reboot")]
    reboot: bool,
}

/// The arguments of `board provision`.
#[derive(Debug, Args)]
#[command(
    after_help = "\
The UDS: --uds-file PATH, or --new-uds --save-uds PATH (as for set-uds).
With --enroll, the certificate is then enrolled in DPS (as `enroll` does), and the
board's next boot is read for its own DPS answer: assigned to a hub, or refused.

Examples:
  dps-cert-gen board provision -p DevKitDPS --new-uds --save-uds board1.uds
  dps-cert-gen board provision -e app.ino.elf --uds-file board1.uds -o board1.pem
  dps-cert-gen board provision -p DevKitDPS --new-uds --save-uds board1.uds --enroll",
    mut_arg("connection_string_file", |a| a.requires("enroll")),
    mut_arg("ca_file", |a| a.requires("enroll")),
    mut_arg("timeout", |a| a.help(
        "Give up waiting for the board after this many seconds (each wait), and on DPS (--enroll)"
    ))
)]
pub(crate) struct ProvisionArgs {
    #[command(flatten)]
    port: PortArgs,
    #[command(flatten)]
    firmware: FirmwareArgs,
    #[command(flatten)]
    uds: BoardUdsArgs,
    #[command(flatten)]
    output: OutputArgs,
    /// Then enroll the certificate in DPS (as `enroll` does) and read the board's DPS answer at its next boot.
    #[arg(long = "enroll")]
    enroll: bool,
    /// With --enroll: the connection string and trust.
    #[command(flatten)]
    dps: DpsArgs,
}

/// Runs a `board` subcommand.
pub(crate) fn exec(args: &BoardArgs) -> Result<Finish, Error> {
    match &args.command {
        BoardCommand::Info(a) => info(a),
        BoardCommand::SetUds(a) => set_uds(a),
        BoardCommand::Provision(a) => provision(a),
    }
}

fn info(args: &InfoArgs) -> Result<Finish, Error> {
    let (port, mut link) = steps::open(&args.port.port, "--port")?;
    let (known, report) = steps::read_id(
        &mut link,
        &port,
        args.port.timeout(),
        Restart::PressReset,
        true,
    )?;
    if args.json {
        stdout::print_json(&InfoJson::of(&port, &known, &report))?;
    } else {
        stdout::write(info_text(&known, &report).as_bytes())?;
    }
    Ok(Finish::Success)
}

fn source_text(source: IdSource) -> &'static str {
    match source {
        IdSource::MacAndVersion => "built from the MAC address and firmware version",
        IdSource::HttpTrace => "from the HTTP trace: the sketch sets its own ID",
        IdSource::Both => "built from the MAC address and firmware version; the HTTP trace agrees",
    }
}

/// What `board info` prints: one fact a line, `not seen` for what did not come.
pub(crate) fn info_text(known: &KnownId, report: &BootReport) -> String {
    let or_not_seen = |v: Option<&str>| v.unwrap_or("not seen").to_string();
    let mut t = format!(
        "MAC address:      {}\nFirmware version: {}\nRegistration ID:  {} ({})\n",
        or_not_seen(report.mac.as_ref().map(|m| m.as_str())),
        or_not_seen(report.firmware_version.as_ref().map(|v| v.as_str())),
        known.id,
        source_text(known.source)
    );
    t.push_str(&format!(
        "DPS:              {}\n",
        dps_text(report.outcome())
    ));
    t
}

/// DPS's answer to the board, as its boot output showed it.
fn dps_text(outcome: Option<DpsOutcome>) -> String {
    match outcome {
        None => "no answer seen".to_string(),
        Some(DpsOutcome::Assigned { hub, device_id }) => match device_id {
            Some(d) => format!("registered to {hub} as device {d}"),
            None => format!("registered to {hub}"),
        },
        Some(DpsOutcome::Refused(e)) => refused_text(&e),
        Some(DpsOutcome::DiceInitFailed) => "not asked: the board said \"DiceInit failed!\" (no usable UDS); set one with `dps-cert-gen board set-uds`".to_string(),
        Some(DpsOutcome::Failed) => "registration failed (no error code seen)".to_string(),
    }
}

fn refused_text(e: &DpsError) -> String {
    let message = e
        .message
        .as_deref()
        .map(|m| format!(" {m}"))
        .unwrap_or_default();
    let advice = if e.code == DpsError::INVALID_CERTIFICATE {
        "; DPS does not hold this board's certificate: check the enrolled one with `dps-cert-gen verify`, or enroll the one `dps-cert-gen` writes"
    } else {
        ""
    };
    format!("refused: {}{message}{advice}", e.code)
}

/// `board info --json`.
#[derive(Debug, Serialize)]
struct InfoJson {
    port: String,
    mac: Option<String>,
    firmware_version: Option<String>,
    registration_id: Option<String>,
    registration_id_source: &'static str,
    dps: Option<DpsJson>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
enum DpsJson {
    Assigned {
        hub: String,
        device_id: Option<String>,
    },
    Refused {
        code: u32,
        message: Option<String>,
    },
    DiceInitFailed,
    Failed,
}

impl InfoJson {
    fn of(port: &str, known: &KnownId, report: &BootReport) -> Self {
        Self {
            port: port.to_string(),
            mac: report.mac.as_ref().map(|m| m.as_str().to_string()),
            firmware_version: report
                .firmware_version
                .as_ref()
                .map(|v| v.as_str().to_string()),
            registration_id: Some(known.id.as_str().to_string()),
            registration_id_source: match known.source {
                IdSource::MacAndVersion => "mac_and_version",
                IdSource::HttpTrace => "http_trace",
                IdSource::Both => "both",
            },
            dps: report.outcome().map(|o| match o {
                DpsOutcome::Assigned { hub, device_id } => DpsJson::Assigned { hub, device_id },
                DpsOutcome::Refused(e) => DpsJson::Refused {
                    code: e.code,
                    message: e.message,
                },
                DpsOutcome::DiceInitFailed => DpsJson::DiceInitFailed,
                DpsOutcome::Failed => DpsJson::Failed,
            }),
        }
    }
}

/// The UDS for `set-uds` and `provision`: read from `--uds-file` (asked for, hidden, with
/// `--uds-file -` on a terminal), or made new (`--save-uds` checked to be free first).
fn uds_to_set(args: &BoardUdsArgs) -> Result<Uds, Error> {
    if args.uds_file.is_none() && !args.new_uds {
        return Err(Error::Missing(
            "the UDS to set: give --uds-file PATH (a file holding it, - for standard input), or --new-uds --save-uds PATH (a new one, saved to a new file first)".to_string(),
        ));
    }
    if let Some(save) = &args.save_uds {
        if save.symlink_metadata().is_ok() {
            return Err(Error::SaveUdsExists {
                path: save.clone(),
                flag: "--save-uds",
            });
        }
        return Ok(random_uds()?);
    }
    let from_file = crate::cli::input::args::UdsArgs {
        uds: None,
        uds_file: args.uds_file.clone(),
    };
    let interactive = terminal::stdin_is_terminal();
    let uds = match uds_source::resolve(
        &from_file,
        None,
        &mut crate::cli::sys::unbuffered_stdin(),
        interactive,
    )? {
        Some(given) => given.uds,
        None => prompt::ask_uds(&mut Terminal::new())?,
    };
    if let Some(w) = sample_uds::warning(&uds) {
        style::warning(&w);
    }
    Ok(uds)
}

fn set_uds(args: &SetUdsArgs) -> Result<Finish, Error> {
    let uds = uds_to_set(&args.uds)?;
    let (port, mut link) = steps::open(&args.port.port, "--port")?;
    let to_set = UdsToSet {
        uds: &uds,
        save: args.uds.save_uds.as_deref(),
    };
    steps::set_uds(&mut link, &port, &to_set, args.port.timeout(), args.reboot)?;
    Ok(Finish::Success)
}

fn provision(args: &ProvisionArgs) -> Result<Finish, Error> {
    // Everything that can be checked is checked before the board is touched.
    let firmware = args.firmware.resolve()?;
    let measured = firmware.measure()?;
    if args.firmware.verbose {
        for line in crate::cli::output::verbose::lines(&measured) {
            eprintln!("{line}");
        }
    }
    if let Some(out) = &args.output.out
        && out.as_os_str() != "-"
        && !args.output.bare_base64
    {
        check_writable(out, args.output.force)?;
    }
    if args.enroll {
        let uds_from_stdin = args
            .uds
            .uds_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-");
        enroll_step::refuse_stdin_twice(uds_from_stdin, &args.dps)?;
    }
    let uds = uds_to_set(&args.uds)?;
    let connection = if args.enroll {
        Some(enroll_step::connection_string(&args.dps)?)
    } else {
        None
    };
    let (port, mut link) = steps::open(&args.port.port, "--port")?;
    let to_set = UdsToSet {
        uds: &uds,
        save: args.uds.save_uds.as_deref(),
    };
    steps::set_uds(&mut link, &port, &to_set, args.port.timeout(), true)?;
    let (known, _) = steps::read_id(
        &mut link,
        &port,
        args.port.timeout(),
        Restart::Rebooting,
        false,
    )?;
    steps::say(&format!("Registration ID from the board: {}", known.id));
    let request = Request {
        destination: args.output.destination(&known.id),
        firmware,
        uds,
        registration_id: known.id,
        format: args.output.format.into(),
        force: args.output.force,
        extras: Default::default(),
    };
    let outcome = generation::run(&request, &mut std::io::stdout().lock())?;
    for w in &outcome.warnings {
        style::warning(w);
    }
    if request.destination != Destination::BareBase64 {
        let _ = write!(std::io::stderr().lock(), "{}", outcome.report());
    }
    let Some(connection) = &connection else {
        let _ = write!(
            std::io::stderr().lock(),
            "\n{}",
            next_steps::provision_text(&request.registration_id, &request.destination)
        );
        return Ok(Finish::Success);
    };
    // Enrolled (or already), then the board's own answer at its next boot.
    let enrolled =
        enroll_step::enroll_generated(connection, &args.dps, args.port.timeout.secs(), &outcome)?;
    if !enrolled {
        return Ok(Finish::Mismatch);
    }
    let report = steps::read_next_boot(&mut link, &port, args.port.timeout())?;
    let answer = report.outcome();
    let text = match &answer {
        Some(DpsOutcome::Refused(e)) if e.code == DpsError::INVALID_CERTIFICATE => format!(
            "the board's own DPS registration: refused: {}{}; DPS holds the certificate just enrolled, so the board presents another one: is the firmware given (-p, -e or -b) the build flashed on the board?",
            e.code,
            e.message
                .as_deref()
                .map(|m| format!(" {m}"))
                .unwrap_or_default()
        ),
        _ => format!(
            "the board's own DPS registration: {}",
            dps_text(answer.clone())
        ),
    };
    match answer {
        Some(DpsOutcome::Assigned { .. }) => {
            steps::say(&format!("The board's own DPS registration: {}", dps_text(answer)));
            Ok(Finish::Success)
        }
        None => Err(DpsCommandError::NotAssigned(format!(
            "no DPS answer in the board's boot output on {port} within {} s: press Reset while the tool listens (or allow longer with --timeout); `dps-cert-gen board info` reads it again",
            args.port.timeout().as_secs()
        ))
        .into()),
        Some(_) => Err(DpsCommandError::NotAssigned(text).into()),
    }
}
