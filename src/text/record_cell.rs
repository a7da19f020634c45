//! Text from a manifest or a message as an output record (the batch summary, the JSON-lines
//! file) may hold it: no control characters, and no run of 64 or more hex digits (a UDS in
//! the wrong column). One rule, so the summary and the JSON-lines file cannot drift apart.

/// `text` with every UDS-like hex run masked, then control characters made `?`.
pub fn safe_text(text: &str) -> String {
    crate::text::printable::without_controls(&crate::text::uds_like::mask_uds_like(text))
}
