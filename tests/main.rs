//! The integration tests, as one test crate (one link instead of one per file, as cargo's
//! `tests/testsuite` does): each file of `tests/` is a module of it. `Cargo.toml` turns
//! `autotests` off, so a file must be named here to run: `every_test_file_is_a_module` checks.
#![cfg(test)]

mod architecture;
mod atomic_outputs;
mod base_point_edges;
mod batch;
mod batch_enroll;
mod batch_jsonl;
mod batch_limits;
mod board;
mod cli_generate;
mod common;
mod completions;
mod curve_differential;
mod dice_hash_reference;
mod dps;
mod elf_input;
mod enroll_after;
mod exit_status;
mod external_certs;
mod extra_outputs;
mod firmware_cli;
mod flags;
mod folder_swap;
mod fuzz_regressions;
mod help;
mod inspect;
mod library_names_no_flag;
mod limits;
mod map_sections;
mod messages;
mod no_clobber;
mod prompts;
mod properties;
mod readme;
mod readme_blocks;
mod readme_transcript;
mod register;
mod secrets;
mod shell;
mod uds_leaks;
mod uds_sources;
mod vectors;
mod verify;
mod windows_build_script;
mod write_errors;
mod wycheproof_ecdsa;

/// Every `tests/*.rs` file is a module of this crate: with `autotests` off, a file left out
/// would silently never run.
#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(module) = name.strip_suffix(".rs")
            && module != "main"
            && !main.lines().any(|l| l == format!("mod {module};"))
        {
            missing.push(name);
        }
    }
    assert!(
        missing.is_empty(),
        "tests/{} not declared in tests/main.rs: add `mod NAME;` there (Cargo.toml has autotests = false; run one file with `cargo test --test integration NAME::`)",
        missing.join(", tests/")
    );
}
