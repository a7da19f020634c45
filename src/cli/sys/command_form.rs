//! How a command line shown to the user is written on this system: the POSIX shell's form
//! on Unix; on Windows one line that runs in both `cmd` and PowerShell, naming the program
//! as it was started (`.\dps-cert-gen.exe` when started from the current folder). The one
//! place that decides it; the formatting itself takes the form as a parameter.

/// The form of a command line for the user's shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CommandForm {
    /// A POSIX shell: single quotes where needed, long lines continued with `\`.
    Posix,
    /// `cmd` and PowerShell alike: one line, double quotes only where needed, and the
    /// program named this way.
    Windows {
        /// `dps-cert-gen` (found on `PATH`), or how the program was started when that named
        /// a folder (`.\dps-cert-gen.exe`).
        program: String,
    },
}

/// The form for this system and the way this process was started.
pub(crate) fn current() -> CommandForm {
    let argv0 = std::env::args_os().next().unwrap_or_default();
    form_for(cfg!(windows), &argv0.to_string_lossy())
}

/// The form on Windows (`windows`) or Unix, for a program started as `argv0`.
pub(crate) fn form_for(windows: bool, argv0: &str) -> CommandForm {
    if windows {
        CommandForm::Windows {
            program: windows_program(argv0),
        }
    } else {
        CommandForm::Posix
    }
}

/// The program's name for a Windows command line, from how it was started: a bare name is
/// found on `PATH` again; one with a folder (`.\dps-cert-gen`, `C:\tools\dps-cert-gen.exe`)
/// is kept, with `.exe`, since PowerShell runs nothing from the current folder without `.\`.
pub(crate) fn windows_program(argv0: &str) -> String {
    if !argv0.contains(['\\', '/']) {
        return "dps-cert-gen".to_string();
    }
    if argv0.to_ascii_lowercase().ends_with(".exe") {
        argv0.to_string()
    } else {
        format!("{argv0}.exe")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_program_is_named_as_it_was_started() {
        assert_eq!(windows_program("dps-cert-gen.exe"), "dps-cert-gen");
        assert_eq!(windows_program("dps-cert-gen"), "dps-cert-gen");
        assert_eq!(
            windows_program(r".\dps-cert-gen.exe"),
            r".\dps-cert-gen.exe"
        );
        assert_eq!(windows_program(r".\dps-cert-gen"), r".\dps-cert-gen.exe");
        assert_eq!(
            windows_program(r"C:\tools\dps-cert-gen.EXE"),
            r"C:\tools\dps-cert-gen.EXE"
        );
    }

    #[test]
    fn unix_keeps_the_shell_form() {
        assert_eq!(form_for(false, "./dps-cert-gen"), CommandForm::Posix);
        assert_eq!(
            form_for(true, r".\dps-cert-gen.exe"),
            CommandForm::Windows {
                program: r".\dps-cert-gen.exe".to_string()
            }
        );
    }

    #[test]
    fn this_system_s_form() {
        let form = current();
        if cfg!(windows) {
            assert!(matches!(form, CommandForm::Windows { .. }));
        } else {
            assert_eq!(form, CommandForm::Posix);
        }
    }
}
