//! Reading a certificate the user holds, in whatever form it came: PEM (64-column lines, or
//! the original tool's one long line, LF or CRLF), bare base64 on one or more lines, or raw
//! DER, detected automatically, from the bytes the command line read.
//!
//! The DER header (is this one SEQUENCE, how long) is read with `der`. The PEM framing is
//! this file's own, not the `pem` crate's, because `pem` does not accept exactly what this
//! reader accepts (each case is a test below): it takes a blank line in the body, or before
//! the END line, for the end of RFC 1421 headers and rejects the certificate; it misses a
//! BEGIN line after a longer run of dashes; it stops at the first block that does not parse,
//! so a further certificate cut short is not counted; and it cannot say "a key, not a
//! certificate" or "BEGIN without END" for a block it cannot frame. What is left is small:
//! find the BEGIN and END lines, and decode the base64 between them with `base64`.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use der::{Decode, Header, Reader, SliceReader};
use serde::Serialize;
use std::fmt;

use thiserror::Error;

/// Largest input accepted: far above any certificate, small enough never to exhaust memory.
pub const MAX_INPUT_BYTES: u64 = 1 << 20;

const BEGIN_CERT: &str = "-----BEGIN CERTIFICATE-----";
const END_CERT: &str = "-----END CERTIFICATE-----";

/// Base64 as found in files: standard alphabet, padding optional.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How the certificate was encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputEncoding {
    /// PEM, with the base64 in lines of any length (64 columns, or one long line).
    Pem,
    /// Base64 of the DER without PEM header and footer.
    Base64,
    /// Raw DER bytes.
    Der,
}

impl fmt::Display for InputEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputEncoding::Pem => "PEM",
            InputEncoding::Base64 => "bare base64",
            InputEncoding::Der => "DER",
        })
    }
}

/// A decoded certificate: its DER and how it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInput {
    /// The certificate's DER.
    pub der: Vec<u8>,
    /// The encoding found.
    pub encoding: InputEncoding,
    /// How many more certificates followed the first one in a PEM file (they are ignored).
    pub ignored_certificates: usize,
}

/// Why the input is not a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertReadError {
    /// Nothing but white space.
    #[error("{source_name} is empty; give a certificate as PEM, bare base64 or DER")]
    Empty {
        /// File name or "standard input".
        source_name: String,
    },
    /// A PEM block of another kind (a key, a request ...).
    #[error(
        "{source_name} holds a PEM {label}, not a certificate; give the file with -----BEGIN CERTIFICATE-----"
    )]
    OtherPem {
        /// File name or "standard input".
        source_name: String,
        /// The label found.
        label: String,
    },
    /// A PEM certificate without its end line.
    #[error(
        "{source_name} has -----BEGIN CERTIFICATE----- but no -----END CERTIFICATE----- after it; the copy looks cut short, copy the whole certificate again"
    )]
    UnterminatedPem {
        /// File name or "standard input".
        source_name: String,
    },
    /// Text that is not valid base64.
    #[error(
        "{source_name} is not a certificate: {what} is not valid base64 ({reason}); give a certificate as PEM, bare base64 or DER"
    )]
    BadBase64 {
        /// File name or "standard input".
        source_name: String,
        /// "the PEM body" or "the text".
        what: &'static str,
        /// What is wrong with it, in words (see [`base64_reason`]).
        reason: String,
    },
    /// DER cut short.
    #[error(
        "{source_name} looks like a DER certificate but is cut short ({found} of {expected} bytes); copy the whole file again"
    )]
    TruncatedDer {
        /// File name or "standard input".
        source_name: String,
        /// Bytes present.
        found: usize,
        /// Bytes the DER header announces.
        expected: usize,
    },
    /// Neither PEM, base64 nor DER.
    #[error(
        "{source_name} is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER"
    )]
    Unrecognised {
        /// File name or "standard input".
        source_name: String,
    },
    /// Decoded, but the bytes are not an X.509 certificate.
    #[error(
        "{source_name} is not an X.509 certificate: the {encoding} decodes to bytes that do not have a certificate's structure; give the certificate itself (PEM, bare base64 or DER)"
    )]
    NotX509 {
        /// File name or "standard input".
        source_name: String,
        /// Where the bytes came from.
        encoding: InputEncoding,
    },
}

/// What is wrong with text that is not base64, in words (never the decoder's internals).
pub fn base64_reason(e: &base64::DecodeError) -> String {
    match e {
        base64::DecodeError::InvalidByte(offset, byte) if byte.is_ascii_graphic() => format!(
            "it holds '{}' at character {}, and base64 is only A-Z, a-z, 0-9, '+', '/' and '='",
            char::from(*byte),
            offset + 1
        ),
        base64::DecodeError::InvalidByte(offset, _) => format!(
            "it holds a character that is not base64 at character {}",
            offset + 1
        ),
        base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol { .. } => {
            "it ends in the middle of a character group: it looks cut short".to_string()
        }
        base64::DecodeError::InvalidPadding => {
            "its '=' padding at the end is missing or wrong: it looks cut short or altered"
                .to_string()
        }
    }
}

/// Length of the DER element at the start of `bytes` (tag, length and contents), if its
/// header is well formed DER (a definite length of at most four bytes, in the fewest bytes).
/// The contents need not be there: a file cut short still announces its length.
fn der_element_len(bytes: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(bytes).ok()?;
    let header = Header::decode(&mut reader).ok()?;
    let header_len = usize::try_from(reader.position()).ok()?;
    header_len.checked_add(usize::try_from(header.length()).ok()?)
}

/// The DER element at the start of `bytes`, when the input is one SEQUENCE followed by
/// nothing but white space or NUL padding (as some tools leave after a `.cer`).
fn der_prefix(bytes: &[u8]) -> Option<&[u8]> {
    if bytes.first() != Some(&0x30) {
        return None;
    }
    let len = der_element_len(bytes)?;
    let (der, rest) = (bytes.get(..len)?, bytes.get(len..)?);
    rest.iter()
        .all(|b| *b == 0 || b.is_ascii_whitespace())
        .then_some(der)
}

fn strip_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

/// Decodes a certificate from the bytes of a file or standard input. `source_name` names the
/// input in error messages.
pub fn decode_certificate(
    bytes: &[u8],
    source_name: &str,
) -> Result<CertificateInput, CertReadError> {
    let name = || source_name.to_string();
    if let Some(der) = der_prefix(bytes) {
        return Ok(CertificateInput {
            der: der.to_vec(),
            encoding: InputEncoding::Der,
            ignored_certificates: 0,
        });
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(match der_element_len(bytes) {
            Some(expected) if bytes.first() == Some(&0x30) && expected > bytes.len() => {
                CertReadError::TruncatedDer {
                    source_name: name(),
                    found: bytes.len(),
                    expected,
                }
            }
            _ => CertReadError::Unrecognised {
                source_name: name(),
            },
        });
    };
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(CertReadError::Empty {
            source_name: name(),
        });
    }
    if text.contains("-----BEGIN ") {
        return decode_pem(text, source_name);
    }
    let body = strip_whitespace(text);
    if !body
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=')
    {
        return Err(CertReadError::Unrecognised {
            source_name: name(),
        });
    }
    let der = LENIENT_BASE64.decode(body.as_bytes()).map_err(|e| {
        // A certificate's DER starts with a SEQUENCE of a long-form length (30 81..84),
        // "MI" in base64: other text (`echo hello`) is no certificate at all, not one cut
        // short.
        if body.starts_with("MI") {
            CertReadError::BadBase64 {
                source_name: name(),
                what: "the text",
                reason: base64_reason(&e),
            }
        } else {
            CertReadError::Unrecognised {
                source_name: name(),
            }
        }
    })?;
    Ok(CertificateInput {
        der,
        encoding: InputEncoding::Base64,
        ignored_certificates: 0,
    })
}

fn decode_pem(text: &str, source_name: &str) -> Result<CertificateInput, CertReadError> {
    let name = || source_name.to_string();
    let Some(begin) = text.find(BEGIN_CERT) else {
        let label = text
            .split("-----BEGIN ")
            .nth(1)
            .and_then(|rest| rest.split("-----").next())
            .unwrap_or("block");
        // Only a label as RFC 7468 allows one is repeated: anything else may be long, span
        // lines or hold control characters, and has no place in a one-line message.
        if !is_pem_label(label) {
            return Err(CertReadError::Unrecognised {
                source_name: name(),
            });
        }
        return Err(CertReadError::OtherPem {
            source_name: name(),
            label: label.to_string(),
        });
    };
    let after_begin = text.get(begin + BEGIN_CERT.len()..).unwrap_or_default();
    let Some(end) = after_begin.find(END_CERT) else {
        return Err(CertReadError::UnterminatedPem {
            source_name: name(),
        });
    };
    let body = after_begin.get(..end).unwrap_or_default();
    let rest = after_begin.get(end + END_CERT.len()..).unwrap_or_default();
    let der = general_purpose::STANDARD
        .decode(strip_whitespace(body).as_bytes())
        .map_err(|e| CertReadError::BadBase64 {
            source_name: name(),
            what: "the PEM body",
            reason: base64_reason(&e),
        })?;
    Ok(CertificateInput {
        der,
        encoding: InputEncoding::Pem,
        ignored_certificates: rest.matches(BEGIN_CERT).count(),
    })
}

/// Whether `label` can be a PEM label (RFC 7468: printable ASCII and single spaces), short
/// enough to quote.
fn is_pem_label(label: &str) -> bool {
    (1..=64).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && !label.starts_with(' ')
        && !label.ends_with(' ')
        && !label.contains("  ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_length_forms() {
        assert_eq!(der_element_len(&[0x30, 0x03, 1, 2, 3]), Some(5));
        assert_eq!(der_element_len(&[0x30, 0x81, 0x80]), Some(3 + 0x80));
        assert_eq!(der_element_len(&[0x30, 0x82, 0x02, 0x39]), Some(4 + 0x239));
        assert_eq!(der_element_len(&[0x30, 0x80]), None);
        assert_eq!(der_element_len(&[0x30]), None);
    }

    #[test]
    fn der_headers_must_be_der() {
        // A length in more bytes than it needs, or in five, is not DER.
        assert_eq!(der_element_len(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5]), None);
        assert_eq!(der_element_len(&[0x30, 0x82, 0x00, 0x05]), None);
        assert_eq!(der_element_len(&[0x30, 0x85, 0, 0, 0, 0, 5]), None);
        assert_eq!(
            der_element_len(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
            Some(6 + 0xffff_ffff)
        );
        assert_eq!(
            der_prefix(&[0x30, 0x02, 5, 0, 0, b'\n']),
            Some(&[0x30, 0x02, 5, 0][..])
        );
        assert_eq!(der_prefix(&[0x30, 0x02, 5, 0, 1]), None);
        assert_eq!(der_prefix(&[0x31, 0x02, 5, 0]), None);
    }

    #[test]
    fn base64_text_starting_with_zero_is_not_taken_for_der() {
        // '0' is 0x30, the SEQUENCE tag; "0M" would claim 77 bytes of contents.
        assert_eq!(der_prefix(b"0MAB"), None);
    }

    #[test]
    fn text_that_is_no_certificate_is_not_called_cut_short() {
        for text in ["hello\n", "hello world", "x"] {
            assert_eq!(
                decode_certificate(text.as_bytes(), "standard input")
                    .unwrap_err()
                    .to_string(),
                "standard input is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER"
            );
        }
        // The start of a certificate's base64 is one, cut short.
        let cut = &body().concat()[..101];
        assert_eq!(
            decode_certificate(cut.as_bytes(), "standard input")
                .unwrap_err()
                .to_string(),
            "standard input is not a certificate: the text is not valid base64 (it ends in the middle of a character group: it looks cut short); give a certificate as PEM, bare base64 or DER"
        );
    }

    #[test]
    fn other_pem_labels_are_named() {
        let err = decode_pem(
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
            "k.pem",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "k.pem holds a PEM EC PRIVATE KEY, not a certificate; give the file with -----BEGIN CERTIFICATE-----"
        );
    }

    #[test]
    fn a_broken_begin_line_is_not_quoted() {
        let err = decode_pem(
            "-----BEGIN CERTIFICATE--\0\0MIIB\nAAAA\n\x1b[31m-----END CERTIFICATE-----\n",
            "c.pem",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "c.pem is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER"
        );
    }

    const PEM: &str = include_str!("../../fixtures/tls/ec-p256-self-signed.pem");

    fn body() -> Vec<&'static str> {
        PEM.lines().filter(|l| !l.starts_with("-----")).collect()
    }

    fn der() -> Vec<u8> {
        general_purpose::STANDARD.decode(body().concat()).unwrap()
    }

    fn read(text: &str) -> Result<(Vec<u8>, usize), String> {
        decode_pem(text, "c.pem")
            .map(|c| (c.der, c.ignored_certificates))
            .map_err(|e| e.to_string())
    }

    // What the reader accepts; the `pem` crate reads the blank lines, the dashes, the count
    // of a certificate cut short and the END line of another label differently (see `//!`).

    #[test]
    fn blank_lines_in_the_body_are_white_space() {
        let lines = body();
        let (first, rest) = lines.split_at(2);
        let inside = format!(
            "{BEGIN_CERT}\n{}\n\n{}\n{END_CERT}\n",
            first.join("\n"),
            rest.join("\n")
        );
        let before_end = format!(
            "{BEGIN_CERT}\r\n{}\r\n\r\n{END_CERT}\r\n",
            lines.join("\r\n")
        );
        assert_eq!(read(&inside), Ok((der(), 0)));
        assert_eq!(read(&before_end), Ok((der(), 0)));
    }

    #[test]
    fn the_certificate_is_found_after_other_text_and_blocks() {
        let after_key =
            format!("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n{PEM}");
        let after_dashes = format!("------------{PEM}");
        let after_bag_attributes =
            format!("Bag Attributes\n    localKeyID: 01\nsubject=CN = x\n{PEM}");
        for text in [after_key, after_dashes, after_bag_attributes] {
            assert_eq!(read(&text), Ok((der(), 0)), "{text}");
        }
    }

    #[test]
    fn one_line_pem_is_read() {
        let one_line = format!("{BEGIN_CERT}{}{END_CERT}", body().concat());
        assert_eq!(read(&one_line), Ok((der(), 0)));
    }

    #[test]
    fn further_certificates_are_counted_even_when_cut_short() {
        let text = format!("{PEM}{PEM}{BEGIN_CERT}\nMIIB\n");
        assert_eq!(read(&text), Ok((der(), 2)));
    }

    #[test]
    fn an_end_line_of_another_label_leaves_the_certificate_unterminated() {
        let text = format!(
            "{BEGIN_CERT}\n{}\n-----END X509 CRL-----\n",
            body().join("\n")
        );
        assert_eq!(
            read(&text),
            Err("c.pem has -----BEGIN CERTIFICATE----- but no -----END CERTIFICATE----- after it; the copy looks cut short, copy the whole certificate again".to_string())
        );
    }
}
