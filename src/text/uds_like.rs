//! Values that look like a UDS (64 hex digits): told apart, and masked wherever text goes to
//! a person or a shared file (a message, the batch summary), since a UDS given in the wrong
//! place would otherwise be repeated there.

/// Hex digits in a UDS.
const UDS_DIGITS: usize = 64;

/// What a masked value is shown as.
pub const MASK: &str = "<64 hex digits, hidden>";

/// Whether `text`, without surrounding white space, is 64 hex digits (either case), as a UDS is.
pub fn looks_like_uds(text: &str) -> bool {
    let text = text.trim();
    text.len() == UDS_DIGITS && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `text` with every run of exactly 64 hex digits replaced by [`MASK`]: a UDS never reaches
/// the output whatever surrounds it (a path, quotes). Longer runs (a registration ID of 126
/// `a`s) are not a UDS and are kept.
pub fn mask_uds_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start: Option<usize> = None;
    let flush = |out: &mut String, run: &str| {
        if run.len() == UDS_DIGITS {
            out.push_str(MASK);
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
    fn masks_every_run_of_64_hex_digits() {
        assert_eq!(
            mask_uds_like(&format!("cannot read /x/{UDS}.pem: no such file")),
            format!("cannot read /x/{MASK}.pem: no such file")
        );
        assert_eq!(
            mask_uds_like(&format!("'{}' and '{UDS}0'", UDS.to_uppercase())),
            format!("'{MASK}' and '{UDS}0'")
        );
        assert_eq!(mask_uds_like(UDS), MASK);
        // Shorter runs (a thumbprint's SHA-1, an address) are kept.
        let sha1 = "a".repeat(40);
        assert_eq!(
            mask_uds_like(&format!("{sha1} 0x0800")),
            format!("{sha1} 0x0800")
        );
        assert_eq!(mask_uds_like("état: ü"), "état: ü");
    }
}
