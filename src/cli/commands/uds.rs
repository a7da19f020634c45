//! `dps-cert-gen uds`: a fresh UDS from the operating system's secure random source.

use crate::cli::error::Error;
use crate::cli::error::Finish;
use crate::cli::output::next_steps::shell_word;
use crate::cli::output::stdout;
use crate::cli::pipeline::new_uds::save_uds;
use crate::cli::sys::random::random_uds;
use dps_cert_gen::dice::uds::{set_dps_uds_line, to_hex};
use std::io::Write as _;
use std::path::PathBuf;

/// The arguments of `uds`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples:
  dps-cert-gen uds                     a new UDS, and the set_dps_uds line to type
  dps-cert-gen uds --save board1.uds   into a new file readable by you only
  dps-cert-gen uds --count 20          20 values, one a line, one per board")]
pub(crate) struct UdsArgs {
    /// How many UDS values to print, one per line (one per board).
    #[arg(long = "count", value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    count: u32,
    /// Save the new UDS to this file instead of printing it: a new file, readable by you only; never overwritten.
    #[arg(long = "save", value_name = "PATH", conflicts_with = "count")]
    save: Option<PathBuf>,
}

/// Prints the values, and on standard error how to set them.
pub(crate) fn exec(args: &UdsArgs) -> Result<Finish, Error> {
    if let Some(path) = &args.save {
        let uds = random_uds()?;
        save_uds(path, &uds, "--save")?;
        // The value stays in the file: the board command reads it from there.
        let _ = writeln!(
            std::io::stderr().lock(),
            "Saved a new UDS to {}, readable by you only.\nSet it on the board {HOW_TO_SET}:\n  dps-cert-gen board set-uds --uds-file {}\n{SECRET}",
            path.display(),
            shell_word(&path.display().to_string()),
        );
        return Ok(Finish::Success);
    }
    print_new(
        args.count,
        std::io::IsTerminal::is_terminal(&std::io::stdout()),
        &mut crate::cli::sys::unbuffered_stdout(),
        &mut std::io::stderr().lock(),
    )?;
    Ok(Finish::Success)
}

/// The warning after a new UDS.
const SECRET: &str = "Keep it secret: anyone who has it can make certificates in the board's name.";

/// How to set a UDS on the board, shown after it is printed.
const HOW_TO_SET: &str = "in configuration mode\n(hold A, press and release Reset, let go of A)";

/// Makes `count` new UDS values and writes them to `out`, one per line (64 lower-case hex
/// digits, nothing else), then tells `err` how to set them: for a single UDS on a terminal,
/// the exact `set_dps_uds` line to type. When `out` is not a terminal (`uds=$(dps-cert-gen
/// uds)`, a pipe, a file), the value is not repeated on `err`, which may well be a log.
pub(crate) fn print_new(
    count: u32,
    out_is_terminal: bool,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<(), Error> {
    // A reader that stopped early (`| head -3`) is not a failure: stop making values.
    let broken_pipe = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    let mut last = None;
    for _ in 0..count {
        let uds = random_uds()?;
        let mut line = to_hex(&uds);
        line.push('\n');
        match out.write_all(line.as_bytes()) {
            Err(e) if broken_pipe(&e) => return Ok(()),
            result => stdout::outcome(result)?,
        }
        last = Some(uds);
    }
    match out.flush() {
        Err(e) if broken_pipe(&e) => return Ok(()),
        result => stdout::outcome(result)?,
    }
    // The guidance is a courtesy: a closed standard error is no reason to fail.
    let _ = match (count, last) {
        (1, Some(uds)) if out_is_terminal => writeln!(
            err,
            "Set it on the board {HOW_TO_SET}:\n  {}\n{SECRET}",
            set_dps_uds_line(&uds).as_str()
        ),
        (1, Some(_)) => writeln!(
            err,
            "Set it on the board {HOW_TO_SET}:\n  set_dps_uds <the value on standard output>\n{SECRET}"
        ),
        _ => writeln!(
            err,
            "Set each on its own board {HOW_TO_SET}:\n  set_dps_uds <value>"
        ),
    };
    Ok(())
}
