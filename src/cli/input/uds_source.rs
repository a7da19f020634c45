//! Where a UDS given without a prompt comes from: `-u/--uds`, `--uds-file PATH` (`-` for
//! standard input), or the environment variable `DPS_UDS`, in that order of precedence; the
//! prompt comes last. Also the warning that `-u` earns.

use crate::cli::input::args::UdsArgs;
use dps_cert_gen::dice::uds::{Uds, UdsDecoration, UdsError};
use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;

/// The environment variable that may hold the UDS.
pub(crate) const ENV_VAR: &str = "DPS_UDS";

/// A UDS file larger than this is refused unread (a UDS is 64 hex digits).
pub(crate) const MAX_FILE_BYTES: u64 = 4096;

/// The one-line warning printed when the UDS is given with `-u/--uds`.
pub(crate) const COMMAND_LINE_WARNING: &str = "a UDS given with -u/--uds is visible in your shell history and in the process list; use --uds-file PATH (- for standard input) or the DPS_UDS environment variable instead";

/// Where the UDS came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `-u/--uds`.
    Flag,
    /// `--uds-file PATH`.
    File(PathBuf),
    /// `--uds-file -`.
    Stdin,
    /// `DPS_UDS`.
    Env,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag => f.write_str("-u/--uds"),
            Origin::File(p) => write!(f, "--uds-file {}", p.display()),
            Origin::Stdin => f.write_str("--uds-file - (standard input)"),
            Origin::Env => f.write_str(ENV_VAR),
        }
    }
}

/// Why the UDS could not be taken from a file or the environment. Never carries the secret.
#[derive(Debug, Error)]
pub(crate) enum UdsSourceError {
    /// The UDS given with `-u/--uds` is not a UDS.
    #[error(transparent)]
    Flag(#[from] UdsError),
    /// The file could not be read.
    #[error("cannot read the UDS file {}: {reason}; check the path given to --uds-file", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The system's words.
        reason: String,
    },
    /// The file is far too large to hold a UDS.
    #[error(
        "{origin} holds more than {MAX_FILE_BYTES} bytes, which is not a UDS; give a file holding just the 64 hex digits"
    )]
    TooLarge {
        /// Where it came from.
        origin: Origin,
    },
    /// The text starts as UTF-16 but is not.
    #[error("{origin}: {source}; save it as plain text (UTF-8) holding just the 64 hex digits")]
    Utf16 {
        /// Where it came from.
        origin: Origin,
        /// What is wrong with it.
        source: dps_cert_gen::text::utf16::Utf16Error,
    },
    /// The text is not a UDS.
    #[error("{origin}: {source}")]
    Invalid {
        /// Where it came from.
        origin: Origin,
        /// What is wrong with it.
        source: UdsError,
    },
}

/// A UDS taken from the command line, a file or the environment.
#[derive(Debug)]
pub(crate) struct GivenUds {
    /// The secret.
    pub uds: Uds,
    /// Where it came from.
    pub origin: Origin,
    /// A warning about the source (a UDS file others can read), shown before going on.
    pub warning: Option<String>,
    /// What was taken off around its digits (a pasted `set_dps_uds` command, a `0x`).
    pub decoration: Option<UdsDecoration>,
}

impl Origin {
    /// The line saying where a UDS came from (never its value), for standard error: a
    /// `DPS_UDS` left from another board, or the wrong file, would otherwise silently give a
    /// wrong certificate. `None` for `-u`, which earns its own warning.
    pub(crate) fn note(&self) -> Option<String> {
        match self {
            Origin::Flag => None,
            Origin::File(p) => Some(format!("UDS read from {} (--uds-file)", p.display())),
            Origin::Stdin => Some("UDS read from standard input (--uds-file -)".to_string()),
            Origin::Env => Some(format!("UDS taken from the {ENV_VAR} environment variable")),
        }
    }
}

/// The UDS from the first source given, in order of precedence: `-u`, `--uds-file`, `DPS_UDS`
/// (`env`, ignored when empty). `None` means the UDS must be asked for (or is missing). With
/// `--uds-file -`, standard input is read to its end, unless `stdin_is_terminal`: then `None`
/// is returned too, so that the UDS is asked for without echo rather than read as typed.
pub(crate) fn resolve(
    args: &UdsArgs,
    env: Option<&OsStr>,
    stdin: &mut dyn Read,
    stdin_is_terminal: bool,
) -> Result<Option<GivenUds>, UdsSourceError> {
    if let Some((uds, decoration)) = args.resolve()? {
        return Ok(Some(GivenUds {
            uds,
            origin: Origin::Flag,
            warning: None,
            decoration,
        }));
    }
    if let Some(path) = &args.uds_file {
        if path.as_os_str() == "-" {
            if stdin_is_terminal {
                return Ok(None);
            }
            let text = read_bounded(stdin).map_err(|e| UdsSourceError::Read {
                path: PathBuf::from("standard input"),
                reason: e.to_string(),
            })?;
            return parse(&text, Origin::Stdin).map(Some);
        }
        let (text, open_to_others) = read_file(path)?;
        let mut given = parse(&text, Origin::File(path.clone()))?;
        if open_to_others {
            given.warning = Some(format!(
                "{} can be read by other users of this computer, and it holds the board's secret; make it readable by you alone (chmod 600 {})",
                path.display(),
                path.display()
            ));
        }
        return Ok(Some(given));
    }
    match env {
        Some(value) if !value.is_empty() => {
            let text = Zeroizing::new(value.as_encoded_bytes().to_vec());
            parse(&text, Origin::Env).map(Some)
        }
        _ => Ok(None),
    }
}

/// The file's bytes, and whether other users may read it.
fn read_file(path: &Path) -> Result<(Zeroizing<Vec<u8>>, bool), UdsSourceError> {
    let fail = |reason: String| UdsSourceError::Read {
        path: path.to_path_buf(),
        reason,
    };
    if path.is_dir() {
        return Err(fail("it is a folder, not a file".to_string()));
    }
    if let Some(reason) = crate::cli::sys::input_kind::refusal(path, Some("--uds-file")) {
        return Err(fail(reason));
    }
    let mut file = std::fs::File::open(path).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => e.to_string(),
        })
    })?;
    let open_to_others = file
        .metadata()
        .is_ok_and(|m| m.is_file() && crate::cli::sys::permissions::readable_by_others(&m));
    let text = read_bounded(&mut file).map_err(|e| fail(e.to_string()))?;
    Ok((text, open_to_others))
}

/// Reads at most one byte more than [`MAX_FILE_BYTES`], so that a larger input is detected
/// (by [`parse`]) without reading it all.
fn read_bounded(input: &mut dyn Read) -> std::io::Result<Zeroizing<Vec<u8>>> {
    // Room for all of it up front: a growing buffer would leave copies in freed memory.
    let mut text = Zeroizing::new(Vec::with_capacity(MAX_FILE_BYTES as usize + 64));
    input.take(MAX_FILE_BYTES + 1).read_to_end(&mut text)?;
    Ok(text)
}

/// Parses a UDS out of text with surrounding white space: UTF-8 (or ASCII), or UTF-16 with
/// its byte order mark (Windows PowerShell 5.1's `uds > uds.txt`).
fn parse(text: &[u8], origin: Origin) -> Result<GivenUds, UdsSourceError> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(UdsSourceError::TooLarge { origin });
    }
    let decoded = match dps_cert_gen::text::utf16::decode_with_bom(text) {
        Ok(decoded) => decoded,
        Err(source) => return Err(UdsSourceError::Utf16 { origin, source }),
    };
    let text = decoded.as_deref().map_or(text, Vec::as_slice);
    match Uds::from_pasted_bytes(text) {
        Ok((uds, decoration)) => Ok(GivenUds {
            uds,
            origin,
            warning: None,
            decoration,
        }),
        Err(source) => Err(UdsSourceError::Invalid { origin, source }),
    }
}

/// This process's copy of `DPS_UDS`, wiped when dropped. (The environment block the process
/// started with keeps its own copy: only the caller's shell can remove that.)
#[derive(Default)]
pub(crate) struct EnvUds(Option<std::ffi::OsString>);

impl EnvUds {
    /// Reads `DPS_UDS`.
    pub(crate) fn read() -> Self {
        Self(std::env::var_os(ENV_VAR))
    }

    /// The value, if set.
    pub(crate) fn get(&self) -> Option<&OsStr> {
        self.0.as_deref()
    }
}

impl fmt::Debug for EnvUds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "EnvUds(<secret>)"
        } else {
            "EnvUds(None)"
        })
    }
}

impl Drop for EnvUds {
    fn drop(&mut self) {
        if let Some(value) = self.0.take() {
            zeroize::Zeroize::zeroize(&mut value.into_encoded_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dps_cert_gen::dice::uds::SAMPLE_UDS_HEX;
    use std::io::Cursor;

    const OTHER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn args(flag: Option<&str>, file: Option<&Path>) -> UdsArgs {
        UdsArgs {
            uds: flag.map(str::to_string),
            uds_file: file.map(Path::to_path_buf),
        }
    }

    fn resolve_with(
        a: &UdsArgs,
        env: Option<&str>,
        stdin: &str,
        tty: bool,
    ) -> Result<Option<GivenUds>, UdsSourceError> {
        resolve(
            a,
            env.map(OsStr::new),
            &mut Cursor::new(stdin.as_bytes().to_vec()),
            tty,
        )
    }

    #[test]
    fn precedence_flag_file_env() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("uds.txt");
        std::fs::write(&file, format!("  {OTHER}\n")).unwrap();
        let g = resolve_with(
            &args(Some(SAMPLE_UDS_HEX), Some(&file)),
            Some(OTHER),
            "",
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(g.origin, Origin::Flag);
        assert_eq!(hex::encode(g.uds.as_bytes()), SAMPLE_UDS_HEX);
        let g = resolve_with(&args(None, Some(&file)), Some(SAMPLE_UDS_HEX), "", false)
            .unwrap()
            .unwrap();
        assert_eq!(g.origin, Origin::File(file.clone()));
        assert_eq!(hex::encode(g.uds.as_bytes()), OTHER);
        let g = resolve_with(&args(None, None), Some(OTHER), "", false)
            .unwrap()
            .unwrap();
        assert_eq!(g.origin, Origin::Env);
        assert!(
            resolve_with(&args(None, None), Some(""), "", false)
                .unwrap()
                .is_none()
        );
        assert!(
            resolve_with(&args(None, None), None, "", false)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn stdin_is_read_unless_it_is_a_terminal() {
        let dash = args(None, Some(Path::new("-")));
        let g = resolve_with(&dash, None, &format!("\n{OTHER}\r\n"), false)
            .unwrap()
            .unwrap();
        assert_eq!(g.origin, Origin::Stdin);
        assert_eq!(hex::encode(g.uds.as_bytes()), OTHER);
        assert!(resolve_with(&dash, None, OTHER, true).unwrap().is_none());
    }

    #[test]
    fn utf16_files_with_a_byte_order_mark_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("uds.txt");
        for little in [true, false] {
            // As PowerShell 5.1 writes `uds > uds.txt`: the mark, the digits, CR LF.
            let mut bytes = if little {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for unit in format!("{OTHER}\r\n").encode_utf16() {
                bytes.extend(if little {
                    unit.to_le_bytes()
                } else {
                    unit.to_be_bytes()
                });
            }
            std::fs::write(&file, &bytes).unwrap();
            let g = resolve_with(&args(None, Some(&file)), None, "", false)
                .unwrap()
                .unwrap();
            assert_eq!(hex::encode(g.uds.as_bytes()), OTHER);
        }
        std::fs::write(&file, [0xFF, 0xFE, b'0']).unwrap();
        let e = resolve_with(&args(None, Some(&file)), None, "", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "--uds-file {}: it starts with a UTF-16 byte order mark but is not valid UTF-16 text; save it as plain text (UTF-8) holding just the 64 hex digits",
                file.display()
            )
        );
    }

    #[test]
    fn errors_name_the_source_not_the_secret() {
        let e = resolve_with(&args(None, None), Some("12zz"), "", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "DPS_UDS: the UDS must be 64 hex digits (32 bytes), but 4 characters were given; type the full UDS as set with `set_dps_uds`"
        );
        let e = resolve_with(
            &args(None, Some(Path::new("/no/such/uds"))),
            None,
            "",
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read the UDS file /no/such/uds: no such file; check the path given to --uds-file"
        );
        let big = "0".repeat(5000);
        let e = resolve_with(&args(None, Some(Path::new("-"))), None, &big, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "--uds-file - (standard input) holds more than 4096 bytes, which is not a UDS; give a file holding just the 64 hex digits"
        );
    }
}
