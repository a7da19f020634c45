//! Inputs that could make the tool wait for ever: a FIFO (a named pipe, or the `/dev/fd/N`
//! a shell's `<(...)` gives) blocks when opened until a writer comes, and blocks when read
//! until the writer goes; a socket cannot be opened as a file at all. Such a path is refused
//! before it is opened (its type is read without opening it); a regular file, a folder (its
//! own error) and a device (`/dev/zero`, read within the input's size limit) are not.

use std::path::Path;

/// Why `path` is not read, for the `cannot read PATH: REASON` messages, when it is a FIFO or
/// a socket; `stdin_flag` is the option that reads standard input with `-`, if it has one.
pub(crate) fn refusal(path: &Path, stdin_flag: Option<&str>) -> Option<String> {
    if !is_pipe_or_socket(path) {
        return None;
    }
    let instead = match stdin_flag {
        Some(flag) => format!("save it to a file and give that, or pipe it to {flag} -"),
        None => "save it to a file and give that".to_string(),
    };
    Some(format!(
        "it is a FIFO or a pipe (as a shell's <(...) gives) or a socket, not a regular file, and is not read: its writer may never come, or never end; {instead}"
    ))
}

#[cfg(unix)]
fn is_pipe_or_socket(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    // `metadata` follows links (`/dev/fd/63` → `pipe:[…]`) and opens nothing.
    std::fs::metadata(path).is_ok_and(|m| {
        let t = m.file_type();
        t.is_fifo() || t.is_socket()
    })
}

/// Windows: a named pipe is `\\.\pipe\NAME`, which the tool's inputs never are by accident.
#[cfg(not(unix))]
fn is_pipe_or_socket(path: &Path) -> bool {
    path.to_string_lossy()
        .to_ascii_lowercase()
        .replace('/', "\\")
        .starts_with("\\\\.\\pipe\\")
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn fifos_and_sockets_are_refused_files_and_devices_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reason = refusal(&fifo, Some("--uds-file")).unwrap();
        assert_eq!(
            reason,
            "it is a FIFO or a pipe (as a shell's <(...) gives) or a socket, not a regular file, and is not read: its writer may never come, or never end; save it to a file and give that, or pipe it to --uds-file -"
        );
        assert!(
            refusal(&fifo, None)
                .unwrap()
                .ends_with("save it to a file and give that")
        );
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        assert!(refusal(&socket, None).is_some());
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        for path in [
            file.as_path(),
            dir.path(),
            Path::new("/dev/zero"),
            Path::new("/no/such/file"),
        ] {
            assert_eq!(refusal(path, None), None, "{}", path.display());
        }
    }
}
