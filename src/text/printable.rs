//! Text taken from a file the tool did not make (a section name in a map or an ELF) before it
//! is shown in a message: one line, printable, and short, whatever the file holds.

/// Longest piece of a file's text that is quoted in a message.
pub const MAX_QUOTED_CHARS: usize = 80;

/// `text` with every control character (line ends, escape sequences) replaced by `?`, cut to
/// [`MAX_QUOTED_CHARS`] characters with `...` when longer.
pub fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// Whether `c` must not reach a terminal raw: a control character (escape sequences, line
/// ends, BEL) or a bidirectional override that reorders what is shown.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` whole, with every character [`is_unsafe_char`] replaced by `?`: for a value taken
/// from a file and shown in full (a certificate's subject, a summary cell).
pub fn without_controls(text: &str) -> String {
    text.chars()
        .map(|c| if is_unsafe_char(c) { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_length() {
        assert_eq!(printable(".text"), ".text");
        assert_eq!(printable("a\nb\x1b[31mc\r"), "a?b?[31mc?");
        let long = "x".repeat(200);
        assert_eq!(printable(&long), format!("{}...", "x".repeat(80)));
        assert_eq!(printable(&"y".repeat(80)), "y".repeat(80));
    }

    #[test]
    fn without_controls_keeps_the_length_and_the_text() {
        assert_eq!(
            without_controls("\u{1b}]0;t\u{7}\u{1b}[2Jx\u{202e}y\u{9b}z"),
            "?]0;t??[2Jx?y?z"
        );
        let long = "é".repeat(200);
        assert_eq!(without_controls(&long), long);
    }
}
