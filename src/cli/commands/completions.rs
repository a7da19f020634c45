//! `dps-cert-gen completions SHELL`: a completion script for a shell, on standard output.
//!
//! clap_complete's scripts are mended for the hyphens in the tool's name: its bash script
//! names a subcommand's state one way where it sets it (`dps__cert__gen__subcmd__batch`) and
//! another in the case labels that read it (`dps__subcmd__cert__subcmd__gen__subcmd__batch`),
//! so nothing below the top level completed; its PowerShell script is registered for
//! `dps-cert-gen` only, not for the `dps-cert-gen.exe` a Windows user types.

use crate::cli::error::{Error, Finish};
use crate::cli::output::stdout;
use clap_complete::Shell;

/// The program's name, as the scripts complete it.
const NAME: &str = "dps-cert-gen";

/// The arguments of `completions`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Examples (the README says where each shell looks for them):
  source <(dps-cert-gen completions bash)        in ~/.bashrc
  dps-cert-gen completions zsh > ~/.zfunc/_dps-cert-gen
  dps-cert-gen completions fish > ~/.config/fish/completions/dps-cert-gen.fish
  dps-cert-gen.exe completions powershell | Out-String | Invoke-Expression
                                                 in $PROFILE (PowerShell)")]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: Shell,
}

/// Prints the script for `cli`, the whole command line (given by the caller, above the
/// commands).
pub(crate) fn exec(args: &CompletionsArgs, cli: &mut clap::Command) -> Result<Finish, Error> {
    stdout::write(script(args.shell, cli).as_bytes())?;
    Ok(Finish::Success)
}

/// The completion script for `shell`, mended (above).
fn script(shell: Shell, cli: &mut clap::Command) -> String {
    let mut raw = Vec::new();
    clap_complete::generate(shell, cli, NAME, &mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    match shell {
        // The labels' spelling becomes the one the loop sets (a no-op once clap_complete
        // spells them alike).
        Shell::Bash => text.replace(&NAME.replace('-', "__subcmd__"), &NAME.replace('-', "__")),
        Shell::PowerShell => text.replace(
            &format!("-CommandName '{NAME}' "),
            &format!("-CommandName '{NAME}', '{NAME}.exe' "),
        ),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The script for `shell` and the tool's whole command line.
    fn script_for(shell: Shell) -> String {
        script(shell, &mut crate::cli::Cli::command())
    }

    #[test]
    fn bash_sets_and_reads_one_spelling_of_each_state() {
        let text = script_for(Shell::Bash);
        assert!(!text.contains("dps__subcmd__cert"));
        // Where the loop sets the state of `board set-uds`, and the label that reads it.
        assert!(text.contains("cmd=\"dps__cert__gen__subcmd__board__subcmd__set__subcmd__uds\""));
        assert!(
            text.contains("\n        dps__cert__gen__subcmd__board__subcmd__set__subcmd__uds)\n")
        );
    }

    #[test]
    fn powershell_completes_the_exe_too() {
        let text = script_for(Shell::PowerShell);
        assert!(text.contains(
            "Register-ArgumentCompleter -Native -CommandName 'dps-cert-gen', 'dps-cert-gen.exe' -ScriptBlock {"
        ));
    }
}
