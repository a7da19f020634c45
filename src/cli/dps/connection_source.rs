//! Where the DPS service connection string comes from: `--dps-connection-string-file PATH`
//! (`-` for standard input), else the environment variable `DPS_CONNECTION_STRING` (said on
//! standard error, as a value left there from another DPS would silently enroll there),
//! else a hidden prompt on a terminal. It is never echoed, and its copies are wiped.

use crate::cli::dps::error::{CsOrigin, DpsError};
use crate::cli::input::prompt::{Console, Reply};
use dps_cert_gen::dps::connection_string::{ConnectionString, MAX_LEN};
use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use zeroize::{Zeroize, Zeroizing};

/// The environment variable that may hold the connection string.
pub(crate) const ENV_VAR: &str = "DPS_CONNECTION_STRING";

/// A connection string, and the notes to show about its source.
#[derive(Debug)]
pub(crate) struct Given {
    /// The parsed connection string.
    pub connection: ConnectionString,
    /// A line for standard error about where it came from, or a warning.
    pub notes: Vec<String>,
}

/// This process's copy of `DPS_CONNECTION_STRING`, wiped when dropped.
pub(crate) struct EnvConnectionString(Option<OsString>);

impl EnvConnectionString {
    /// Reads the variable.
    pub(crate) fn read() -> Self {
        Self(std::env::var_os(ENV_VAR))
    }
}

impl std::fmt::Debug for EnvConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvConnectionString(<secret>)")
    }
}

impl Drop for EnvConnectionString {
    fn drop(&mut self) {
        if let Some(value) = self.0.take() {
            value.into_encoded_bytes().zeroize();
        }
    }
}

/// Reads at most one byte more than [`MAX_LEN`] into a buffer that never grows.
fn read_bounded(input: &mut dyn Read) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let mut text = Zeroizing::new(Vec::with_capacity(MAX_LEN + 64));
    input.take(MAX_LEN as u64 + 1).read_to_end(&mut text)?;
    Ok(text)
}

fn parse(bytes: &[u8], origin: CsOrigin) -> Result<ConnectionString, DpsError> {
    let text = std::str::from_utf8(bytes).map_err(|_| DpsError::ReadConnectionString {
        origin: origin.clone(),
        reason: "it is not text".to_string(),
    })?;
    ConnectionString::parse(text).map_err(|source| DpsError::ConnectionString { origin, source })
}

fn read_file(path: &Path) -> Result<(Zeroizing<Vec<u8>>, bool), DpsError> {
    let fail = |reason: String| DpsError::ReadConnectionString {
        origin: CsOrigin::File(path.to_path_buf()),
        reason,
    };
    if path.is_dir() {
        return Err(fail("it is a folder, not a file".to_string()));
    }
    let mut file = std::fs::File::open(path).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            _ => crate::cli::sys::io_words::read(&e),
        })
    })?;
    let open = file
        .metadata()
        .is_ok_and(|m| m.is_file() && crate::cli::sys::permissions::readable_by_others(&m));
    let text = read_bounded(&mut file).map_err(|e| fail(crate::cli::sys::io_words::read(&e)))?;
    Ok((text, open))
}

/// The connection string from the first source given. `stdin_is_terminal` decides whether
/// `-` (and no source at all) asks on `console` without echo.
pub(crate) fn resolve(
    file: Option<&Path>,
    env: &EnvConnectionString,
    stdin: &mut dyn Read,
    stdin_is_terminal: bool,
    console: &mut dyn Console,
) -> Result<Given, DpsError> {
    let mut notes = Vec::new();
    match file {
        Some(p) if p.as_os_str() == "-" && !stdin_is_terminal => {
            let text = read_bounded(stdin).map_err(|e| DpsError::ReadConnectionString {
                origin: CsOrigin::Stdin,
                reason: crate::cli::sys::io_words::read(&e),
            })?;
            let connection = parse(&text, CsOrigin::Stdin)?;
            return Ok(Given { connection, notes });
        }
        Some(p) if p.as_os_str() == "-" => {}
        Some(path) => {
            let (text, open) = read_file(path)?;
            let connection = parse(&text, CsOrigin::File(path.to_path_buf()))?;
            if open {
                notes.push(format!(
                    "warning: {} can be read by other users of this computer, and it holds the DPS connection string (a key to all its enrollments); make it readable by you alone",
                    path.display()
                ));
            }
            return Ok(Given { connection, notes });
        }
        None => {
            if let Some(value) = env.0.as_ref().filter(|v| !v.is_empty()) {
                let connection = parse(value.as_encoded_bytes(), CsOrigin::Env)?;
                notes.push(format!(
                    "note: DPS connection string taken from the {ENV_VAR} environment variable ({})",
                    connection.host()
                ));
                return Ok(Given { connection, notes });
            }
            if !stdin_is_terminal {
                return Err(DpsError::NoConnectionString);
            }
        }
    }
    Ok(Given {
        connection: ask(console)?,
        notes,
    })
}

/// Asks for the connection string without echo until one parses.
fn ask(console: &mut dyn Console) -> Result<ConnectionString, DpsError> {
    loop {
        let reply = console
            .ask_hidden("DPS service connection string (Azure portal: your DPS, Shared access policies; hidden as you type)")
            .map_err(|e| DpsError::ReadConnectionString {
                origin: CsOrigin::Stdin,
                reason: e.to_string(),
            })?;
        let line = match reply {
            Reply::Line(line) => line,
            Reply::End | Reply::Interrupted => return Err(DpsError::NoConnectionString),
        };
        match ConnectionString::parse(&line) {
            Ok(c) => {
                console.confirm(&format!("Connection string accepted ({})", c.host()));
                return Ok(c);
            }
            Err(e) => console.refuse(&e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const CS: &str =
        "HostName=h.azure-devices-provisioning.net;SharedAccessKeyName=p;SharedAccessKey=AAECAwQ=";

    /// A console that must not be asked.
    struct NoConsole;
    impl Console for NoConsole {
        fn ask(&mut self, _: &str, _: Option<&str>) -> std::io::Result<Reply> {
            unreachable!()
        }
        fn ask_hidden(&mut self, _: &str) -> std::io::Result<Reply> {
            unreachable!()
        }
        fn confirm(&mut self, _: &str) {}
        fn warn(&mut self, _: &str) {}
        fn refuse(&mut self, _: &str) {}
    }

    #[test]
    fn file_then_environment_and_never_the_key_in_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cs.txt");
        std::fs::write(&file, format!("{CS}\n")).unwrap();
        let env = EnvConnectionString(Some(
            "HostName=other;SharedAccessKeyName=q;SharedAccessKey=AA==".into(),
        ));
        let g = resolve(
            Some(&file),
            &env,
            &mut Cursor::new(vec![]),
            false,
            &mut NoConsole,
        )
        .unwrap();
        assert_eq!(g.connection.host(), "h.azure-devices-provisioning.net");
        let g = resolve(None, &env, &mut Cursor::new(vec![]), false, &mut NoConsole).unwrap();
        assert_eq!(g.connection.host(), "other");
        assert_eq!(
            g.notes,
            [
                "note: DPS connection string taken from the DPS_CONNECTION_STRING environment variable (other)"
            ]
        );
        let g = resolve(
            Some(Path::new("-")),
            &EnvConnectionString(None),
            &mut Cursor::new(CS.as_bytes().to_vec()),
            false,
            &mut NoConsole,
        )
        .unwrap();
        assert_eq!(g.connection.key_name(), "p");
        let e = resolve(
            None,
            &EnvConnectionString(None),
            &mut Cursor::new(vec![]),
            false,
            &mut NoConsole,
        )
        .unwrap_err();
        assert!(matches!(e, DpsError::NoConnectionString));
        let env = EnvConnectionString(Some("HostName=h;SharedAccessKey=c2VjcmV0".into()));
        let e = resolve(None, &env, &mut Cursor::new(vec![]), false, &mut NoConsole).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the DPS_CONNECTION_STRING environment variable: the DPS connection string has no SharedAccessKeyName; it looks like HostName=<name>.azure-devices-provisioning.net;SharedAccessKeyName=<policy>;SharedAccessKey=<key>: copy the whole of it again"
        );
    }
}
