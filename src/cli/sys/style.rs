//! Colour for the tool's own messages on standard error: only when standard error is a
//! terminal, and never when `NO_COLOR` is set to anything (see <https://no-color.org>):
//! anstream's own detection decides both. Messages longer than a line are wrapped at word
//! boundaries to the terminal's width, as clap's `wrap_help` wraps the help.

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

/// The width messages are wrapped to: standard error's terminal; else `COLUMNS`, as clap
/// reads it for the help; else 80.
pub(crate) fn width() -> usize {
    let columns = match terminal_size::terminal_size_of(std::io::stderr()) {
        Some((terminal_size::Width(w), _)) => usize::from(w),
        None => std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(DEFAULT_WIDTH),
    };
    if columns < MIN_WIDTH {
        DEFAULT_WIDTH
    } else {
        columns
    }
}

/// The width when standard error is no terminal and `COLUMNS` is not set.
const DEFAULT_WIDTH: usize = 80;
/// Narrower than this is taken for a wrong value.
const MIN_WIDTH: usize = 20;

/// `text` wrapped at spaces to `width` columns, its first line starting `used` columns in
/// (after a prefix). Its own line breaks stay, and each of its lines keeps its indentation on
/// the lines it is wrapped to; a word longer than a line stands alone on one.
pub(crate) fn wrap(text: &str, used: usize, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut column = used;
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
            column = 0;
        }
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        out.push_str(&line[..indent]);
        column += indent;
        let mut at_start = true;
        for word in body.split(' ') {
            let len = word.chars().count();
            if !at_start && column + 1 + len > width {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
                column = indent;
                at_start = true;
            }
            if !at_start {
                out.push(' ');
                column += 1;
            }
            out.push_str(word);
            column += len;
            at_start = false;
        }
    }
    out
}

/// Writes `prefix: message` on standard error, the prefix in `style`, wrapped to the
/// terminal's width. Anything in `message` that looks like a UDS is masked: a UDS given to
/// the wrong flag, or put in the wrong column, is never repeated.
fn line(style: Style, prefix: &str, message: &str) {
    let message = dps_cert_gen::text::uds_like::mask_uds_like(message);
    let message = wrap(&message, prefix.chars().count() + 2, width());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_messages_wrap_at_spaces() {
        let text = "a UDS given with -u/--uds is visible in your shell history and in the process list; use --uds-file PATH";
        assert_eq!(
            wrap(text, 9, 40),
            "a UDS given with -u/--uds is\nvisible in your shell history and in the\nprocess list; use --uds-file PATH"
        );
        // Every line fits, and no word is cut.
        for width in 20..100 {
            let wrapped = wrap(text, 9, width);
            assert_eq!(wrapped.replace('\n', " "), text);
            let mut lines = wrapped.lines();
            assert!(9 + lines.next().unwrap().len() <= width);
            assert!(lines.all(|l| l.len() <= width), "{width}: {wrapped}");
        }
        // Short text is left alone.
        assert_eq!(wrap("no such file", 7, 80), "no such file");
    }

    #[test]
    fn own_line_breaks_and_indentation_stay_and_long_words_stand_alone() {
        assert_eq!(
            wrap("first line\n  indented words wrap here", 0, 16),
            "first line\n  indented words\n  wrap here"
        );
        let path = "/a/very/long/path/with/no/spaces/at/all.pem";
        assert_eq!(
            wrap(&format!("cannot read {path} now"), 7, 30),
            format!("cannot read\n{path}\nnow")
        );
    }
}
