//! Values that look like a UDS (64 hex digits): told apart, and masked wherever text goes to
//! a person or a shared file (a message, the batch summary, the JSON-lines file), since a UDS
//! given in the wrong place would otherwise be repeated there. A UDS inside a longer run of
//! hex digits (`<UDS>0`) is still a UDS: every run of 64 or more is masked whole.

/// Hex digits in a UDS.
const UDS_DIGITS: usize = 64;

/// What a masked value is shown as.
pub const MASK: &str = "<64 hex digits, hidden>";

/// What a shorter masked run of hex digits in a board's text is shown as.
pub const SHORT_MASK: &str = "<hidden>";

/// Whether `text`, without surrounding white space, is 64 hex digits (either case), as a UDS is.
pub fn looks_like_uds(text: &str) -> bool {
    let text = text.trim();
    text.len() == UDS_DIGITS && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `text` holds a run of 64 or more hex digits anywhere (either case): a UDS could be
/// in it, whatever surrounds it.
pub fn holds_uds_like(text: &str) -> bool {
    longest_hex_run(text) >= UDS_DIGITS
}

/// The length of the longest run of hex digits in `text`.
pub fn longest_hex_run(text: &str) -> usize {
    let mut longest = 0;
    let mut run = 0;
    for b in text.bytes() {
        if b.is_ascii_hexdigit() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    longest
}

/// `text` with every run of 64 or more hex digits replaced by [`MASK`]: a UDS never reaches
/// the output whatever surrounds it (a path, quotes, more digits).
pub fn mask_uds_like(text: &str) -> String {
    mask_hex_runs(text, UDS_DIGITS, MASK)
}

/// `text` with every run of `min` or more hex digits (either case) replaced by `mask`.
pub fn mask_hex_runs(text: &str, min: usize, mask: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start: Option<usize> = None;
    let flush = |out: &mut String, run: &str| {
        if run.len() >= min {
            out.push_str(mask);
        } else {
            out.push_str(run);
        }
    };
    for (i, c) in text.char_indices() {
        if c.is_ascii_hexdigit() {
            run_start.get_or_insert(i);
            continue;
        }
        if let Some(start) = run_start.take() {
            flush(&mut out, text.get(start..i).unwrap_or_default());
        }
        out.push(c);
    }
    if let Some(start) = run_start {
        flush(&mut out, text.get(start..).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UDS: &str = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";

    #[test]
    fn tells_uds_like_values() {
        assert!(looks_like_uds(UDS));
        assert!(looks_like_uds(&UDS.to_uppercase()));
        assert!(looks_like_uds(&format!(" {UDS}\n")));
        assert!(!looks_like_uds(&UDS[1..]));
        assert!(!looks_like_uds(&format!("{UDS}0")));
        assert!(!looks_like_uds("my-device-01"));
    }

    #[test]
    fn tells_values_that_hold_a_uds_anywhere() {
        for text in [
            UDS.to_string(),
            format!("dev-{UDS}"),
            format!("{UDS}x"),
            format!("{UDS}0"),
            format!("0{}", UDS.to_uppercase()),
            format!("a {} b", "Ab".repeat(40)),
        ] {
            assert!(holds_uds_like(&text), "{text}");
        }
        assert!(!holds_uds_like(&UDS[1..]));
        assert!(!holds_uds_like(&format!("{}-{}", &UDS[..32], &UDS[32..])));
        assert_eq!(longest_hex_run("ab-cdef-0"), 4);
    }

    #[test]
    fn masks_every_run_of_64_or_more_hex_digits() {
        assert_eq!(
            mask_uds_like(&format!("cannot read /x/{UDS}.pem: no such file")),
            format!("cannot read /x/{MASK}.pem: no such file")
        );
        assert_eq!(
            mask_uds_like(&format!("'{}' and '{UDS}0'", UDS.to_uppercase())),
            format!("'{MASK}' and '{MASK}'")
        );
        assert_eq!(mask_uds_like(UDS), MASK);
        assert_eq!(
            mask_uds_like(&format!("dev-{UDS}x")),
            format!("dev-{MASK}x")
        );
        // Shorter runs (a thumbprint's SHA-1, an address) are kept.
        let sha1 = "a".repeat(40);
        assert_eq!(
            mask_uds_like(&format!("{sha1} 0x0800")),
            format!("{sha1} 0x0800")
        );
        assert_eq!(mask_uds_like("état: ü"), "état: ü");
    }

    #[test]
    fn masks_shorter_runs_when_asked() {
        assert_eq!(
            mask_hex_runs("abc 0123456789ab 0123456789a", 12, SHORT_MASK),
            "abc <hidden> 0123456789a"
        );
    }
}
