//! `dps-cert-gen completions SHELL`: a completion script for a shell, on standard output.

use crate::cli::error::Error;
use crate::cli::output::stdout;
use crate::cli::{Cli, Finish};
use clap::CommandFactory;

/// The arguments of `completions`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the script.
pub(crate) fn exec(args: &CompletionsArgs) -> Result<Finish, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "dps-cert-gen", &mut script);
    stdout::write(&script)?;
    Ok(Finish::Success)
}
