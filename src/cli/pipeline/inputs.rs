//! Gathers generation's inputs (firmware, UDS, registration ID), shared by the generator and
//! `register`: from the command line and the environment, and, when standard input is a
//! terminal and some are missing, by asking ([`crate::cli::input::prompt`]). Without a
//! terminal, missing inputs fail at once with one line naming the flags: never a wait for
//! input that cannot come.

use crate::cli::error::Error;
use crate::cli::input::args::FirmwareInput;
use crate::cli::input::args::{FirmwareArgs, IdArgs, UdsArgs};
use crate::cli::input::prompt::{self, Board, Console};
use crate::cli::input::uds_source::{self, COMMAND_LINE_WARNING};
use crate::cli::output::destination::{Destination, OutputArgs};
use crate::cli::output::extra_outputs::{ExtraOutputArgs, ExtraOutputs};
use crate::cli::output::files::{OutputError, holds};
use crate::cli::pipeline::generation::{Request, certificate_file};
use dps_cert_gen::dice::sample_uds;
use dps_cert_gen::dice::uds::Uds;
use dps_cert_gen::registration_id::RegistrationId;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The arguments that say where the inputs come from (and, for the generator, where its
/// output goes: an existing file is asked about).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Given<'a> {
    /// Firmware input.
    pub firmware: &'a FirmwareArgs,
    /// UDS input.
    pub uds: &'a UdsArgs,
    /// Registration ID input.
    pub id: &'a IdArgs,
    /// Output and the extra outputs asked for (none: nothing is written, as in `register`).
    pub output: Option<(&'a OutputArgs, &'a ExtraOutputArgs)>,
}

/// Everything the generator needs, validated.
#[derive(Debug)]
pub(crate) struct Inputs {
    /// The firmware files.
    pub firmware: FirmwareInput,
    /// The board's secret.
    pub uds: Uds,
    /// The subject CN.
    pub registration_id: RegistrationId,
    /// Overwrite an existing file (given, or agreed at a prompt).
    pub force: bool,
    /// Whether any question was asked.
    pub asked: bool,
    /// The warnings about the UDS already shown on the console (given with `-u`; the
    /// tutorial's sample or near it), for a report that lists every warning (`--json`).
    pub warnings: Vec<String>,
    /// Where the UDS came from, when it was not typed or given with `-u`, and not yet shown
    /// (a session with questions shows it where the UDS question is skipped): shown once
    /// the certificate is made.
    pub uds_note: Option<String>,
    /// The file chosen at the prompt instead of one that exists.
    pub out_instead: Option<PathBuf>,
}

impl Inputs {
    /// The request to run, with the output the user asked for.
    pub(crate) fn into_request(self, output: &OutputArgs, extras: ExtraOutputs) -> Request {
        Request {
            extras,
            destination: match self.out_instead {
                Some(path) => Destination::File(path),
                None => output.destination(&self.registration_id),
            },
            firmware: self.firmware,
            uds: self.uds,
            registration_id: self.registration_id,
            format: output.format.into(),
            force: self.force,
        }
    }
}

/// Refuses a registration ID that is or holds the UDS (either case, anywhere in it: `dev-<UDS>`,
/// `<UDS>0`): it would go into the public certificate, its file name and the portal. The
/// message repeats neither.
fn refuse_uds_as_id(uds: &Uds, id: &str) -> Result<(), Error> {
    if uds.is_within(id) {
        return Err(dps_cert_gen::registration_id::IdError::IsTheUds.into());
    }
    Ok(())
}

/// Whether `text` holds `uds` anywhere (either case, whatever surrounds it).
fn holds_uds(uds: &Uds, text: &str) -> bool {
    uds.is_within(text)
}

/// The flags to name when inputs are missing and cannot be asked for.
fn missing_error(uds: bool, id: bool) -> Error {
    let mut missing = Vec::new();
    if uds {
        missing.push("-u/--uds (or --uds-file, or DPS_UDS)");
    }
    if id {
        missing.push("-i/--registration-id (or --mac with --firmware-version, or --board PORT)");
    }
    let them = if missing.len() == 1 { "it" } else { "them" };
    Error::Missing(format!(
        "{}; give {them} on the command line, or run in a terminal to be asked (see --help)",
        missing.join(" and ")
    ))
}

/// Takes the inputs from `args` and `dps_uds` (the `DPS_UDS` variable); `stdin` is read for
/// `--uds-file -`. When some are missing and `interactive` (standard input is a terminal),
/// asks for them on `console`: the project name (only when no firmware flag was given), the
/// UDS, the registration ID; and whether to overwrite an existing output file. Warnings
/// (`-u` on the command line, a UDS near the tutorial's sample) go to `console` too.
pub(crate) fn gather(
    args: &Given<'_>,
    dps_uds: Option<&OsStr>,
    stdin: &mut dyn Read,
    interactive: bool,
    console: &mut dyn Console,
    board: &mut dyn Board<Error = Error>,
) -> Result<Inputs, Error> {
    if args.uds.uds.is_some() {
        console.warn(COMMAND_LINE_WARNING);
    }
    let given_uds = uds_source::resolve(args.uds, dps_uds, stdin, interactive)?;
    let source_warning = given_uds.as_ref().and_then(|g| g.warning.clone());
    if let Some(w) = &source_warning {
        console.warn(w);
    }
    let uds_note = given_uds.as_ref().and_then(|g| g.origin.note());
    if let Some(decoration) = given_uds.as_ref().and_then(|g| g.decoration) {
        crate::cli::sys::style::note(&decoration.to_string());
    }
    if let Some(w) = given_uds.as_ref().and_then(|g| sample_uds::warning(&g.uds)) {
        console.warn(&w);
    }
    if let (Some(given), Some(id)) = (&given_uds, &args.id.registration_id) {
        refuse_uds_as_id(&given.uds, id)?;
    }
    let given_id = args.id.resolve()?;
    let from_board = args.id.board.as_ref();
    let id_missing = given_id.is_none() && from_board.is_none();
    let asking = given_uds.is_none() || id_missing;
    if asking && !interactive {
        return Err(missing_error(given_uds.is_none(), id_missing));
    }
    let firmware = if asking && !args.firmware.is_given() {
        prompt::ask_project(console, Path::new("."))?
    } else {
        args.firmware.resolve()?
    };
    // In a session with questions, where the UDS came from is said where its question is
    // skipped; otherwise once the certificate is made.
    let uds_note = match uds_note {
        Some(note) if asking => {
            crate::cli::sys::style::note(&note);
            None
        }
        note => note,
    };
    let uds = match given_uds {
        Some(given) => given.uds,
        None => prompt::ask_uds(console)?,
    };
    let mut warnings = Vec::new();
    if args.uds.uds.is_some() {
        warnings.push(COMMAND_LINE_WARNING.to_string());
    }
    warnings.extend(source_warning);
    warnings.extend(sample_uds::warning(&uds));
    if let Some(out) = args.output.and_then(|(o, _)| o.out.as_ref())
        && holds_uds(&uds, &out.to_string_lossy())
    {
        return Err(OutputError::NameHoldsUds.into());
    }
    let registration_id = match (given_id, from_board) {
        (Some(id), _) => {
            refuse_uds_as_id(&uds, id.as_str())?;
            id
        }
        (None, Some(port)) => board.read_id(port)?,
        (None, None) => prompt::ask_registration_id(console, board, &uds)?,
    };
    let mut force = args.output.is_some_and(|(o, _)| o.force);
    let mut out_instead = None;
    // A file that holds this very certificate already is not asked about: the run says so
    // and writes nothing.
    if asking
        && !force
        && let Some((output, extras)) = args.output
        && let Destination::File(path) = output.destination(&registration_id)
        && path.symlink_metadata().is_ok_and(|m| m.is_file())
        && (extras.outputs().writes_files()
            || !holds(
                &path,
                &certificate_file(&firmware, &uds, &registration_id, output.format.into())?,
            ))
    {
        match prompt::ask_overwrite(console, &path)? {
            prompt::Overwrite::Yes => force = true,
            prompt::Overwrite::Elsewhere(other) => out_instead = Some(other),
        }
    }
    Ok(Inputs {
        firmware,
        uds,
        registration_id,
        force,
        asked: asking,
        warnings,
        uds_note,
        out_instead,
    })
}
