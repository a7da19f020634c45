//! Standard output, with the one rule for it: a reader that stopped early (`| head`, a closed
//! pipe) is a normal end, not a failure; any other failure (a full disk behind `>`) is one
//! (exit status 1).

use crate::cli::error::Error;
use crate::cli::output::OutputError;
use std::io::{self, Write};

/// Applies the rule to the result of a write to standard output.
pub(crate) fn outcome(result: io::Result<()>) -> Result<(), Error> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(OutputError::Stdout {
            reason: crate::cli::io_words::write(&e),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Writes `bytes` to standard output and flushes it.
pub(crate) fn write(bytes: &[u8]) -> Result<(), Error> {
    let mut stdout = io::stdout().lock();
    outcome(stdout.write_all(bytes).and_then(|()| stdout.flush()))
}

/// Prints `value` as pretty JSON and a line end.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    write(text.as_bytes())
}
