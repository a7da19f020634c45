//! Colour for the tool's own messages on standard error: only when standard error is a
//! terminal, and never when `NO_COLOR` is set to anything (see <https://no-color.org>):
//! anstream's own detection decides both.

use anstream::{AutoStream, ColorChoice};
use anstyle::{AnsiColor, Style};
use std::io::Write;

/// `error:` prefixes.
pub(crate) const ERROR: Style = AnsiColor::Red.on_default().bold();
/// `warning:` prefixes.
pub(crate) const WARNING: Style = AnsiColor::Yellow.on_default().bold();
/// Questions at a prompt.
pub(crate) const QUESTION: Style = Style::new().bold();
/// Defaults and hints at a prompt.
pub(crate) const HINT: Style = Style::new().dimmed();
/// Good news: a file written, an answer accepted.
pub(crate) const GOOD: Style = AnsiColor::Green.on_default().bold();

/// Standard error, stripping the styles when colour is off.
pub(crate) fn stderr() -> AutoStream<std::io::Stderr> {
    AutoStream::new(std::io::stderr(), ColorChoice::Auto)
}

/// Writes `prefix: message` on one line of standard error, the prefix in `style`. Anything
/// in `message` that looks like a UDS is masked: a UDS given to the wrong flag, or put in the
/// wrong column, is never repeated.
fn line(style: Style, prefix: &str, message: &str) {
    let message = dps_cert_gen::text::uds_like::mask_uds_like(message);
    let mut err = stderr();
    // Nothing sensible is left to do when standard error cannot be written.
    let _ = writeln!(err, "{style}{prefix}:{style:#} {message}");
}

/// Prints `error: message` on standard error.
pub(crate) fn error(message: &str) {
    line(ERROR, "error", message);
}

/// Prints `note: message` on standard error.
pub(crate) fn note(message: &str) {
    line(HINT, "note", message);
}

/// Prints `warning: message` on standard error.
pub(crate) fn warning(message: &str) {
    line(WARNING, "warning", message);
}
