//! The JSON-lines output of a batch (`batch --jsonl`): one line per written certificate,
//! `{"registration_id":…,"certificate_der_base64":…,"sha1_thumbprint":…,"sha256_thumbprint":…}`
//! followed by the manifest's extra columns, in that order, as strings. This is what a bulk
//! enrollment script reads; it never holds a UDS: the extra columns' names and values are
//! held to the summary's rule (every run of 64 or more hex digits masked, control characters
//! shown as `?`).

use crate::encoding::Thumbprints;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The fields every line starts with, in order; an extra column may not take one of these names.
pub const FIELDS: [&str; 4] = [
    "registration_id",
    "certificate_der_base64",
    "sha1_thumbprint",
    "sha256_thumbprint",
];

/// The first extra column whose name is one of [`FIELDS`] (it would give a line the same
/// key twice), if any.
pub fn clashing_column(extra_columns: &[String]) -> Option<&str> {
    extra_columns
        .iter()
        .map(String::as_str)
        .find(|c| FIELDS.contains(c))
}

fn push_string(line: &mut Vec<u8>, s: &str) {
    // Serialising a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *line, s);
}

/// One line (ending in `\n`) for a certificate's DER and the row's extra columns
/// (`extra_columns` names, `extra` values, in the same order).
pub fn line(
    registration_id: &str,
    der: &[u8],
    thumbprints: &Thumbprints,
    extra_columns: &[String],
    extra: &[String],
) -> Vec<u8> {
    let mut line = Vec::with_capacity(der.len() * 4 / 3 + 256);
    line.extend_from_slice(b"{\"registration_id\":");
    push_string(&mut line, registration_id);
    line.extend_from_slice(b",\"certificate_der_base64\":\"");
    line.extend_from_slice(STANDARD.encode(der).as_bytes());
    line.extend_from_slice(b"\",\"sha1_thumbprint\":\"");
    line.extend_from_slice(thumbprints.sha1.as_bytes());
    line.extend_from_slice(b"\",\"sha256_thumbprint\":\"");
    line.extend_from_slice(thumbprints.sha256.as_bytes());
    line.push(b'"');
    for (name, value) in extra_columns.iter().zip(extra) {
        line.push(b',');
        push_string(&mut line, &crate::text::record_cell::safe_text(name));
        line.push(b':');
        push_string(&mut line, &crate::text::record_cell::safe_text(value));
    }
    line.extend_from_slice(b"}\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_the_fields_in_order() {
        let der = [0x30u8, 0x03, 0x02, 0x01, 0x05];
        let t = Thumbprints::of(&der);
        let cols = vec!["station".to_string(), "note \"q\"".to_string()];
        let vals = vec!["line-1".to_string(), "a\u{202e}b".to_string()];
        let bytes = line("dev-1", &der, &t, &cols, &vals);
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            format!(
                "{{\"registration_id\":\"dev-1\",\"certificate_der_base64\":\"MAMCAQU=\",\"sha1_thumbprint\":\"{}\",\"sha256_thumbprint\":\"{}\",\"station\":\"line-1\",\"note \\\"q\\\"\":\"a?b\"}}\n",
                t.sha1, t.sha256
            )
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["note \"q\""], "a?b");
    }

    #[test]
    fn extra_columns_are_masked_as_the_summary_masks_them() {
        let uds = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";
        let der = [0x30u8, 0x00];
        let t = Thumbprints::of(&der);
        let cols = vec![format!("{uds}"), "note".to_string()];
        let vals = vec![format!("{}0", uds.to_uppercase()), format!("see {uds}")];
        let text = String::from_utf8(line("dev-1", &der, &t, &cols, &vals)).unwrap();
        assert!(!text.to_lowercase().contains(&uds[..16]), "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["<64 hex digits, hidden>"], "<64 hex digits, hidden>");
        assert_eq!(v["note"], "see <64 hex digits, hidden>");
    }

    #[test]
    fn a_column_named_like_a_field_is_found() {
        let cols = vec!["station".to_string(), "sha1_thumbprint".to_string()];
        assert_eq!(clashing_column(&cols), Some("sha1_thumbprint"));
        assert_eq!(clashing_column(&cols[..1]), None);
    }
}
