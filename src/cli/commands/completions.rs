//! `dps-cert-gen completions SHELL`: a completion script for a shell, on standard output.

use crate::cli::error::{Error, Finish};
use crate::cli::output::stdout;

/// The arguments of `completions`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the script for `cli`, the whole command line (given by the caller, above the
/// commands).
pub(crate) fn exec(args: &CompletionsArgs, cli: &mut clap::Command) -> Result<Finish, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, cli, "dps-cert-gen", &mut script);
    stdout::write(&script)?;
    Ok(Finish::Success)
}
