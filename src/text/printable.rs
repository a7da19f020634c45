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
}
