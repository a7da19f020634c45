//! Standard output, with the one rule for it: a reader that stopped early (`| head`, a closed
//! pipe) is a normal end, not a failure; any other failure (a full disk behind `>`) is one
//! (exit status 1).

use crate::cli::output::files::OutputError;
use std::io::{self, Write};

/// Applies the rule to the result of a write to standard output.
pub(crate) fn outcome(result: io::Result<()>) -> Result<(), OutputError> {
    match result {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(OutputError::Stdout {
            reason: crate::cli::sys::io_words::write(&e),
        }),
        _ => Ok(()),
    }
}

/// Writes `bytes` to standard output and flushes it.
pub(crate) fn write(bytes: &[u8]) -> Result<(), OutputError> {
    let mut stdout = io::stdout().lock();
    outcome(stdout.write_all(bytes).and_then(|()| stdout.flush()))
}

/// Prints `value` as pretty JSON and a line end.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), OutputError> {
    print_json_as(value, true)
}

/// Prints `value` as JSON on one line (a line of a JSON-lines stream, as `enroll --json`
/// prints one per certificate).
pub(crate) fn print_json_line<T: serde::Serialize>(value: &T) -> Result<(), OutputError> {
    print_json_as(value, false)
}

/// Prints `value` as JSON, pretty or on one line, and a line end.
fn print_json_as<T: serde::Serialize>(value: &T, pretty: bool) -> Result<(), OutputError> {
    #[expect(
        clippy::expect_used,
        reason = "the values printed are structs of strings, numbers, booleans, options and lists, derived Serialize: serde_json fails only on a map with non-string keys or a failing Serialize impl, neither of which they have"
    )]
    let mut text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    }
    .expect("JSON of a plain struct");
    text.push('\n');
    write(text.as_bytes())
}
