//! The Unique Device Secret (UDS): parsing, and keeping it secret.
//!
//! A [`Uds`] is 32 bytes that never reach `Debug`, `Display` or an error message, and are
//! wiped from memory when the value is dropped.

use std::fmt;
use thiserror::Error;
use zeroize::Zeroizing;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Number of hex digits in a UDS.
pub const UDS_HEX_DIGITS: usize = 64;

/// The sample UDS published in the DevKit DPS tutorial (spec section 1 and the vectors).
pub const SAMPLE_UDS_HEX: &str = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";

/// Why a UDS was refused. Never carries the secret or any of its digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UdsError {
    /// Wrong number of characters.
    #[error(
        "the UDS must be 64 hex digits (32 bytes), but {found} characters were given; \
         type the full UDS as set with `set_dps_uds`"
    )]
    WrongLength {
        /// How many characters were given.
        found: usize,
    },
    /// A character that is not a hex digit (its value is not repeated: it is part of a secret).
    #[error(
        "the UDS must contain only hex digits 0-9 and a-f, but character {position} is not one; \
         check the UDS you set with `set_dps_uds`"
    )]
    NotHex {
        /// 1-based position of the first offending character.
        position: usize,
    },
}

/// What surrounded the 64 digits of a pasted UDS, and was taken off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdsDecoration {
    /// The whole line typed on the board: `set_dps_uds <digits>`.
    SetDpsUdsCommand,
    /// A `0x` in front of the digits.
    HexPrefix,
}

impl UdsDecoration {
    /// What was kept, in words: "the 64 hex digits after `set_dps_uds`".
    pub fn kept(self) -> &'static str {
        match self {
            UdsDecoration::SetDpsUdsCommand => "the 64 hex digits after `set_dps_uds`",
            UdsDecoration::HexPrefix => "the 64 hex digits after `0x`",
        }
    }
}

impl fmt::Display for UdsDecoration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let given = match self {
            UdsDecoration::SetDpsUdsCommand => "as the command typed on the board",
            UdsDecoration::HexPrefix => "with `0x` in front",
        };
        write!(f, "the UDS was given {given}: took {}", self.kept())
    }
}

/// Takes off what a user may paste around a UDS: the `set_dps_uds` command of a line copied
/// from the board's instructions, or a `0x` prefix. `text` is trimmed first.
pub fn undecorate(text: &str) -> (&str, Option<UdsDecoration>) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix("set_dps_uds")
        && rest.starts_with(char::is_whitespace)
    {
        return (rest.trim_start(), Some(UdsDecoration::SetDpsUdsCommand));
    }
    if let Some(rest) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return (rest, Some(UdsDecoration::HexPrefix));
    }
    (text, None)
}

/// The board's Unique Device Secret: 32 bytes, zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Uds([u8; 32]);

impl Uds {
    /// A UDS from the text of a file or an environment variable: 64 hex digits, with white
    /// space around them. Bytes that are not UTF-8 are named by position, never by value.
    pub fn from_text(text: &[u8]) -> Result<Self, UdsError> {
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(e) => {
                let valid = text.get(..e.valid_up_to()).unwrap_or_default();
                let position = String::from_utf8_lossy(valid).chars().count() + 1;
                return Err(UdsError::NotHex { position });
            }
        };
        // A UTF-8 byte order mark (Notepad writes one) is no part of the UDS, nor counted.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        Self::from_hex(text.trim())
    }

    /// A UDS as a user may paste it: 64 hex digits with white space around them, and perhaps
    /// the `set_dps_uds` command or a `0x` in front (see [`undecorate`]); what was taken off
    /// is returned so that the user can be told.
    pub fn from_pasted(text: &str) -> Result<(Self, Option<UdsDecoration>), UdsError> {
        let (digits, decoration) = undecorate(text);
        Ok((Self::from_hex(digits)?, decoration))
    }

    /// [`Uds::from_pasted`] for the bytes of a file or an environment variable; bytes that
    /// are not UTF-8 are named by position, never by value.
    pub fn from_pasted_bytes(text: &[u8]) -> Result<(Self, Option<UdsDecoration>), UdsError> {
        match std::str::from_utf8(text) {
            // A UTF-8 byte order mark (Notepad writes one) is no part of the UDS.
            Ok(t) => Self::from_pasted(t.strip_prefix('\u{feff}').unwrap_or(t)),
            Err(_) => Self::from_text(text).map(|uds| (uds, None)),
        }
    }

    /// Parses 64 hex digits, either case. Leading and trailing white space is not accepted
    /// here: callers that read files trim it first.
    pub fn from_hex(text: &str) -> Result<Self, UdsError> {
        let chars = text.chars().count();
        if let Some((i, _)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_hexdigit())
            && chars == UDS_HEX_DIGITS
        {
            return Err(UdsError::NotHex { position: i + 1 });
        }
        if chars != UDS_HEX_DIGITS {
            return Err(UdsError::WrongLength { found: chars });
        }
        // Decoded straight into the value (wiped on drop), not into a local array that would
        // leave a copy of the secret on the stack.
        let mut uds = Self([0u8; 32]);
        // Length and digits were checked above, so decoding cannot fail; map defensively.
        hex::decode_to_slice(text, &mut uds.0)
            .map_err(|_| UdsError::WrongLength { found: chars })?;
        Ok(uds)
    }

    /// Whether `text` (white space around it ignored, either case) is this UDS in hex: a
    /// registration ID that is the UDS is refused.
    pub fn is_written_as(&self, text: &str) -> bool {
        Self::from_hex(text.trim()).is_ok_and(|other| other.0 == self.0)
    }

    /// Whether `text` holds this UDS in hex anywhere, in either case (`dev-<UDS>`, `<UDS>0`,
    /// `x<UDS>`): compared digit by digit where it stands, so that no copy of the secret is
    /// made. A registration ID or an output path that holds the UDS is refused.
    pub fn is_within(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let digit = |b: u8| char::from(b).to_digit(16);
        (0..bytes.len().saturating_sub(UDS_HEX_DIGITS - 1)).any(|start| {
            self.0.iter().enumerate().all(|(i, byte)| {
                let at = |k: usize| bytes.get(start + 2 * i + k).copied().and_then(digit);
                at(0) == Some(u32::from(byte >> 4)) && at(1) == Some(u32::from(byte & 0x0f))
            })
        })
    }

    /// Wraps 32 raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The secret bytes. Handle with care: do not log or print them.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Uds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Uds(<secret>)")
    }
}

/// The UDS as 64 lower-case hex digits (for showing to the user who asked for it).
pub fn to_hex(uds: &Uds) -> Zeroizing<String> {
    // Built in a buffer of its final size (with room for a line end): a growing one would
    // leave copies in freed memory.
    let mut text = Zeroizing::new(String::with_capacity(65));
    for b in uds.as_bytes() {
        for nibble in [b >> 4, b & 0x0f] {
            text.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    text
}

/// The line to type in the board's configuration mode.
pub fn set_dps_uds_line(uds: &Uds) -> Zeroizing<String> {
    let hex = to_hex(uds);
    let mut line = Zeroizing::new(String::with_capacity("set_dps_uds ".len() + hex.len()));
    line.push_str("set_dps_uds ");
    line.push_str(&hex);
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_either_case() {
        let lower = Uds::from_hex(SAMPLE_UDS_HEX).unwrap();
        let upper = Uds::from_hex(&SAMPLE_UDS_HEX.to_uppercase()).unwrap();
        assert_eq!(lower.as_bytes(), upper.as_bytes());
        assert_eq!(lower.as_bytes()[0], 0x19);
        assert_eq!(lower.as_bytes()[31], 0xae);
    }

    #[test]
    fn wrong_length_is_refused() {
        assert_eq!(
            Uds::from_hex("19e25a").unwrap_err(),
            UdsError::WrongLength { found: 6 }
        );
        assert_eq!(
            Uds::from_hex("").unwrap_err(),
            UdsError::WrongLength { found: 0 }
        );
    }

    #[test]
    fn non_hex_names_the_position_not_the_character() {
        let mut s = SAMPLE_UDS_HEX.to_string();
        s.replace_range(9..10, "z");
        let err = Uds::from_hex(&s).unwrap_err();
        assert_eq!(err, UdsError::NotHex { position: 10 });
        assert!(!err.to_string().contains('z'));
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_not_counted() {
        let text = format!("\u{feff}{SAMPLE_UDS_HEX}\r\n");
        let uds = Uds::from_text(text.as_bytes()).unwrap();
        assert!(uds.is_written_as(SAMPLE_UDS_HEX));
        let mut bad = format!("\u{feff}{SAMPLE_UDS_HEX}");
        bad.replace_range(6..7, "z"); // the 4th digit, after the 3 bytes of the mark
        assert_eq!(
            Uds::from_text(bad.as_bytes()).unwrap_err(),
            UdsError::NotHex { position: 4 }
        );
        assert_eq!(
            Uds::from_text("\u{feff}abc".as_bytes()).unwrap_err(),
            UdsError::WrongLength { found: 3 }
        );
    }

    #[test]
    fn a_pasted_command_or_0x_is_taken_off_and_named() {
        let (uds, how) = Uds::from_pasted(&format!("  set_dps_uds {SAMPLE_UDS_HEX}\r\n")).unwrap();
        assert_eq!(hex::encode(uds.as_bytes()), SAMPLE_UDS_HEX);
        assert_eq!(how, Some(UdsDecoration::SetDpsUdsCommand));
        let (uds, how) = Uds::from_pasted(&format!("0X{SAMPLE_UDS_HEX}")).unwrap();
        assert_eq!(hex::encode(uds.as_bytes()), SAMPLE_UDS_HEX);
        assert_eq!(how, Some(UdsDecoration::HexPrefix));
        let (_, how) = Uds::from_pasted(SAMPLE_UDS_HEX).unwrap();
        assert_eq!(how, None);
        // Only the command with its digits: `set_dps_uds` alone, or glued, is not one.
        assert_eq!(
            Uds::from_pasted(&format!("set_dps_uds{SAMPLE_UDS_HEX}")).unwrap_err(),
            UdsError::WrongLength { found: 75 }
        );
        assert_eq!(
            Uds::from_pasted("set_dps_uds").unwrap_err(),
            UdsError::WrongLength { found: 11 }
        );
    }

    #[test]
    fn tells_its_own_hex_in_either_case() {
        let uds = Uds::from_hex(SAMPLE_UDS_HEX).unwrap();
        assert!(uds.is_written_as(SAMPLE_UDS_HEX));
        assert!(uds.is_written_as(&format!(" {}\n", SAMPLE_UDS_HEX.to_uppercase())));
        let mut other = SAMPLE_UDS_HEX.to_string();
        other.replace_range(0..1, "0");
        assert!(!uds.is_written_as(&other));
        assert!(!uds.is_written_as("my-device-01"));
    }

    #[test]
    fn tells_its_own_hex_anywhere_in_a_text() {
        let uds = Uds::from_hex(SAMPLE_UDS_HEX).unwrap();
        let upper = SAMPLE_UDS_HEX.to_uppercase();
        let mut mixed = SAMPLE_UDS_HEX.to_string();
        mixed.replace_range(0..10, &upper[..10]);
        for text in [
            SAMPLE_UDS_HEX.to_string(),
            format!("dev-{SAMPLE_UDS_HEX}"),
            format!("{SAMPLE_UDS_HEX}x"),
            format!("{SAMPLE_UDS_HEX}0"),
            format!("00{upper}11"),
            format!("/tmp/{mixed}.pem"),
        ] {
            assert!(uds.is_within(&text), "{text}");
        }
        let mut other = SAMPLE_UDS_HEX.to_string();
        other.replace_range(63..64, "0");
        for text in [
            other.clone(),
            SAMPLE_UDS_HEX[1..].to_string(),
            format!("{}-{}", &SAMPLE_UDS_HEX[..32], &SAMPLE_UDS_HEX[32..]),
            "my-device-01".to_string(),
            String::new(),
        ] {
            assert!(!uds.is_within(&text), "{text}");
        }
    }

    #[test]
    fn debug_shows_no_digits() {
        let uds = Uds::from_hex(SAMPLE_UDS_HEX).unwrap();
        let shown = format!("{uds:?}");
        assert_eq!(shown, "Uds(<secret>)");
    }
}
