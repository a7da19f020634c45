//! Text saved as UTF-16 with a byte order mark (what Windows PowerShell 5.1's `>` and
//! Notepad's "Unicode" write), turned into UTF-8 for the parsers, in memory that is wiped
//! (a UDS file or a manifest holds secrets).

use thiserror::Error;
use zeroize::Zeroizing;

/// Why text that starts with a UTF-16 byte order mark cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("it starts with a UTF-16 byte order mark but is not valid UTF-16 text")]
pub struct Utf16Error;

/// The UTF-8 of `bytes` when they start with a UTF-16 byte order mark (`FF FE`: little
/// endian, `FE FF`: big endian), without the mark; `None` for any other bytes (read them as
/// they are).
pub fn decode_with_bom(bytes: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>, Utf16Error> {
    let (little, body) = match bytes {
        [0xFF, 0xFE, body @ ..] => (true, body),
        [0xFE, 0xFF, body @ ..] => (false, body),
        _ => return Ok(None),
    };
    let (pairs, rest) = body.as_chunks::<2>();
    if !rest.is_empty() {
        return Err(Utf16Error);
    }
    let units = pairs.iter().map(|&pair| {
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    // Sized once (a unit is at most 3 bytes of UTF-8): a growing buffer would leave copies
    // of the secret in freed memory.
    let mut text = Zeroizing::new(Vec::with_capacity(pairs.len().saturating_mul(3)));
    let mut buf = Zeroizing::new([0u8; 4]);
    for c in char::decode_utf16(units) {
        let c = c.map_err(|_| Utf16Error)?;
        text.extend_from_slice(c.encode_utf8(buf.as_mut()).as_bytes());
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little: bool) -> Vec<u8> {
        let mut bytes = if little {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for unit in text.encode_utf16() {
            bytes.extend(if little {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    }

    #[test]
    fn both_byte_orders_become_utf8_without_the_mark() {
        let text = "uds,registration_id\r\nä€𝄞,x\r\n";
        for little in [true, false] {
            let got = decode_with_bom(&utf16(text, little)).unwrap().unwrap();
            assert_eq!(got.as_slice(), text.as_bytes());
            assert!(got.capacity() >= got.len());
        }
        assert_eq!(decode_with_bom(&[0xFF, 0xFE]).unwrap().unwrap().len(), 0);
    }

    #[test]
    fn other_bytes_are_left_alone_and_broken_utf16_is_refused() {
        assert_eq!(decode_with_bom(b"0123abcd").unwrap(), None);
        assert_eq!(decode_with_bom(b"\xef\xbb\xbfuds").unwrap(), None);
        assert_eq!(decode_with_bom(&[0xFF]).unwrap(), None);
        // An odd number of bytes after the mark, and a lone surrogate.
        assert_eq!(decode_with_bom(&[0xFF, 0xFE, 0x41]), Err(Utf16Error));
        assert_eq!(decode_with_bom(&[0xFF, 0xFE, 0x00, 0xD8]), Err(Utf16Error));
        assert_eq!(
            Utf16Error.to_string(),
            "it starts with a UTF-16 byte order mark but is not valid UTF-16 text"
        );
    }
}
