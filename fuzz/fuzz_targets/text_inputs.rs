//! The parsers of typed-in values (UDS, MAC, firmware version, registration ID) on
//! arbitrary text, and of a UDS file on arbitrary bytes: never panic, and what they accept is
//! well-formed.
#![no_main]

use dps_cert_gen::{FirmwareVersion, Mac, RegistrationId, Uds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A UDS file (or standard input, or DPS_UDS) holding these bytes: a UDS or a one-line
    // error, never a panic. (The command line puts the source's name before it.)
    match Uds::from_text(data) {
        Ok(uds) => assert_eq!(uds.as_bytes().len(), 32),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.chars().any(char::is_control), "{text:?}");
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(uds) = Uds::from_hex(text) {
        assert_eq!(hex::encode(uds.as_bytes()), text.to_ascii_lowercase());
    }
    let mac = Mac::new(text);
    let version = FirmwareVersion::new(text);
    if let (Ok(mac), Ok(version)) = (&mac, &version) {
        let id = RegistrationId::from_board(mac, version);
        assert!(RegistrationId::new(id.as_str()).is_ok());
    }
    if let Ok(id) = RegistrationId::new(text) {
        assert!(!id.as_str().is_empty() && id.as_str().len() <= 126);
    }
});
