//! The certificate reader of `inspect` (PEM, bare base64 or DER, detected) and the
//! inspection of what it decodes, on arbitrary bytes: never panics; an inspection renders
//! as text and as JSON without panicking either, and its text holds no control character but
//! its own line ends.
#![no_main]

use dps_cert_gen::cert::inspect::inspect_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match inspect_bytes(data, "fuzz.pem") {
        Ok(inspection) => {
            let text = inspection.render();
            assert!(!text.is_empty());
            // Nothing from the certificate reaches the terminal raw: the only control
            // characters are the renderer's own line ends.
            assert!(
                !text
                    .chars()
                    .any(|c| c != '\n' && dps_cert_gen::text::printable::is_unsafe_char(c)),
                "{text:?}"
            );
            let _ = dps_cert_gen::derivation::verify::require_alias(&inspection);
            let _ = inspection.fwid();
            assert!(serde_json::to_string(&inspection).is_ok());
        }
        Err(e) => {
            // Errors are one short line, however long or strange the input.
            let text = e.to_string();
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert!(text.len() < 500, "{text:?}");
        }
    }
});
