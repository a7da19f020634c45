//! Text taken from a source the tool does not control (a section name in a map or an ELF, a
//! line a board printed) before it is shown: one line, printable, and short, whatever the
//! source holds. "Printable" also means visible: characters that reorder the text shown
//! (bidirectional overrides and isolates) or that show nothing (zero-width and other format
//! characters) are replaced as control characters are.

/// Longest piece of a file's text that is quoted in a message.
pub const MAX_QUOTED_CHARS: usize = 80;

/// Shortest run of hex digits hidden in text from a board: a MAC address (12 digits) and
/// longer. A UDS printed in groups shorter than this is not recognisable as one.
pub const BOARD_HEX_RUN: usize = 12;

/// `text` with every character [`is_unsafe_char`] replaced by `?`, cut to
/// [`MAX_QUOTED_CHARS`] characters with `...` when longer.
pub fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_QUOTED_CHARS)
        .map(|c| if is_unsafe_char(c) { '?' } else { c })
        .collect();
    if text.chars().nth(MAX_QUOTED_CHARS).is_some() {
        out.push_str("...");
    }
    out
}

/// Text a board printed, for a message or a report: every run of [`BOARD_HEX_RUN`] or more
/// hex digits hidden first (so that no cut can leave part of a secret behind), then made
/// [`printable`] and cut.
pub fn board_text(text: &str) -> String {
    printable(&crate::text::uds_like::mask_hex_runs(
        text,
        BOARD_HEX_RUN,
        crate::text::uds_like::SHORT_MASK,
    ))
}

/// Whether `c` must not reach a terminal raw: a control character (escape sequences, line
/// ends, BEL), a character that reorders what is shown (bidirectional embeddings, overrides,
/// isolates and marks), or one that shows nothing or changes what is around it (zero-width
/// spaces and joiners, the word joiner and invisible operators, the byte order mark, the soft
/// hyphen, line and paragraph separators, interlinear annotations, tag characters, variation
/// selectors, Hangul fillers).
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{061c}'
                | '\u{115f}'..='\u{1160}'
                | '\u{17b4}'..='\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e0fff}'
        )
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
    fn bidi_and_invisible_characters_are_shown_as_controls_are() {
        for c in [
            '\u{202e}',
            '\u{202a}',
            '\u{2066}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{2060}',
            '\u{feff}',
            '\u{00ad}',
            '\u{2028}',
            '\u{2029}',
            '\u{e0041}',
            '\u{fe0f}',
            '\u{1b}',
            '\u{7}',
        ] {
            assert!(is_unsafe_char(c), "{c:?}");
            assert_eq!(printable(&format!("a{c}b")), "a?b", "{c:?}");
        }
        for c in ['a', 'é', 'ü', '€', '中', ' ', '-', '\u{2010}'] {
            assert!(!is_unsafe_char(c), "{c:?}");
        }
    }

    #[test]
    fn board_text_masks_before_it_cuts() {
        // 15-digit groups: each is hidden.
        let groups = "0123456789abcde 0123456789abcde 0123456789abcde 0123456789abcde 0123";
        assert_eq!(
            board_text(groups),
            "<hidden> <hidden> <hidden> <hidden> 0123"
        );
        // A run that starts before the cut and goes on after it is hidden whole, not cut to
        // its first digits.
        let text = format!("{}{}", "x".repeat(66), "0123456789abcdef0123");
        let shown = board_text(&text);
        assert_eq!(shown, format!("{}<hidden>", "x".repeat(66)));
        assert!(!shown.contains("0123"));
        // The MAC is 12 digits: hidden in board text too.
        assert_eq!(board_text("Soft AP c8934680ec24!"), "Soft AP <hidden>!");
        assert_eq!(board_text("evil\u{202e}hub"), "evil?hub");
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
