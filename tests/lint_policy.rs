//! The no-panic policy cannot be switched off quietly: `src/lib.rs` and `src/main.rs` deny the
//! panicking calls (clippy, outside tests) and `#[allow]` (which would exempt code from them),
//! and no source file uses `#[expect]`, which clippy's `allow_attributes` does not catch.

use std::path::Path;

const DENIED: [&str; 5] = [
    "clippy::unwrap_used",
    "clippy::expect_used",
    "clippy::panic",
    "clippy::indexing_slicing",
    "clippy::allow_attributes",
];

fn source(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(name)).unwrap()
}

#[test]
fn the_library_and_the_binary_deny_panicking_calls_and_allow() {
    for file in ["lib.rs", "main.rs"] {
        let text = source(file);
        let start = text
            .find("#![cfg_attr(\n    not(test),\n    deny(")
            .unwrap_or_else(|| panic!("src/{file} has no `#![cfg_attr(not(test), deny(...))]`"));
        let block = text.get(start..).unwrap();
        let block = block.get(..block.find(")]").unwrap()).unwrap();
        for lint in DENIED {
            assert!(block.contains(lint), "src/{file} does not deny {lint}");
        }
        assert!(text.contains("#![forbid(unsafe_code)]"), "src/{file}");
    }
}

#[test]
fn no_source_file_exempts_itself() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for attribute in ["#[expect(", "#![expect(", "#[allow(", "#![allow("] {
            assert!(
                !text.contains(attribute),
                "{} uses {attribute}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 30, "only {checked} source files found");
}
