//! Every input a fuzzer found a fault with (fuzz/README.md) stays here as a regression test,
//! in `tests/fuzz_regressions/<target>/`, checked with the same rules as its fuzz target in
//! `fuzz/fuzz_targets/<target>.rs`; so are the targets' seed corpora (`fuzz/seeds/<target>/`).
#![cfg(test)]

use dps_cert_gen::cert::inspect::inspect_bytes;
use dps_cert_gen::firmware::elf_file::measure_elf;
use dps_cert_gen::firmware::files::layout_from_map;
use dps_cert_gen::firmware::map_file::MapFile;
use dps_cert_gen::firmware::regions::MeasuredRegions;
use dps_cert_gen::{FirmwareVersion, Mac, RegistrationId, Uds};
use std::path::{Path, PathBuf};

/// The inputs kept for `target`: its findings, and its seed corpus from `fuzz/seeds/`.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [
        root.join("tests/fuzz_regressions").join(target),
        root.join("fuzz/seeds").join(target),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            files.push((path, bytes));
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no inputs for {target}");
    files
}

#[test]
fn certificate() {
    let found = inputs("certificate");
    assert!(
        found
            .iter()
            .any(|(p, _)| p.to_string_lossy().contains("crash-")),
        "the certificate reader's finding is kept"
    );
    for (path, data) in found {
        match inspect_bytes(&data, "fuzz.pem") {
            Ok(inspection) => {
                let text = inspection.render();
                assert!(!text.is_empty());
                assert!(
                    !text
                        .chars()
                        .any(|c| c != '\n' && dps_cert_gen::text::printable::is_unsafe_char(c)),
                    "{}: {text:?}",
                    path.display()
                );
                let _ = dps_cert_gen::derivation::verify::require_alias(&inspection);
                let _ = inspection.fwid();
                serde_json::to_string(&inspection).unwrap();
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    !text.chars().any(char::is_control),
                    "{}: {text:?}",
                    path.display()
                );
                assert!(text.len() < 500, "{}: {text:?}", path.display());
            }
        }
    }
}

#[test]
fn elf_file() {
    for (path, data) in inputs("elf_file") {
        if let Ok(m) = measure_elf(&data) {
            let core = m.layout.riot_core;
            let fw = m.layout.riot_fw;
            assert_eq!(
                Some(m.regions.riot_core().len() as u64),
                core.len(),
                "{}",
                path.display()
            );
            assert_eq!(Some(m.regions.riot_fw().len() as u64), fw.len());
            assert!(m.regions.riot_core().len() >= 8);
        }
    }
}

#[test]
fn map_file() {
    for (_, data) in inputs("map_file") {
        if let Ok(map) = MapFile::parse(&data)
            && let Ok(layout) = layout_from_map(&map, Path::new("fuzz.map"))
        {
            let _ = MeasuredRegions::from_image(&layout, &[0u8; 4096]);
        }
    }
}

#[test]
fn text_inputs() {
    for (_, data) in inputs("text_inputs") {
        match Uds::from_text(&data) {
            Ok(uds) => assert_eq!(uds.as_bytes().len(), 32),
            Err(e) => assert!(!e.to_string().chars().any(char::is_control)),
        }
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        if let Ok(uds) = Uds::from_hex(text) {
            assert_eq!(hex::encode(uds.as_bytes()), text.to_ascii_lowercase());
        }
        if let (Ok(mac), Ok(version)) = (Mac::new(text), FirmwareVersion::new(text)) {
            let id = RegistrationId::from_board(&mac, &version);
            assert!(RegistrationId::new(id.as_str()).is_ok());
        }
    }
}

#[test]
fn manifest() {
    use dps_cert_gen::batch::manifest::Manifest;
    let path = Path::new("fuzz.csv");
    let mut parsed = 0;
    for (file, data) in inputs("manifest") {
        match Manifest::parse(path, &data) {
            Err(e) => {
                let text = e.to_string();
                assert!(
                    !text.contains('\n') && !text.contains('\r'),
                    "{file:?}: {text:?}"
                );
            }
            Ok(manifest) => {
                parsed += 1;
                let mut last = 0;
                for row in &manifest.rows {
                    assert!(row.line > last, "{file:?}");
                    last = row.line;
                    assert_eq!(row.extra.len(), manifest.extra_columns.len());
                    if let Err(e) = &row.device {
                        let text = e.at(path, row.line);
                        assert!(!text.contains('\n') && !text.contains('\r'), "{text:?}");
                    }
                }
            }
        }
    }
    assert!(parsed >= 2, "the seed manifests parse");
}

/// The `board_output` target's rules (fuzz/fuzz_targets/board_output.rs) on its seeds: a boot
/// log and a console answer in pieces; everything kept bounded, printable, with no run of 12
/// or more hex digits in board text and no registration ID holding 64.
#[test]
fn board_output() {
    use dps_cert_gen::board::boot_log::BootLog;
    use dps_cert_gen::board::console::{
        self, AnswerCollector, ConsoleReader, MAX_ANSWER_LINES, SET_UDS_SUCCESS,
    };
    use dps_cert_gen::text::printable::is_unsafe_char;
    use dps_cert_gen::text::uds_like::longest_hex_run;
    let check = |text: &str| {
        assert!(!text.chars().any(is_unsafe_char), "{text:?}");
        assert!(longest_hex_run(text) < 12, "{text:?}");
        assert!(text.chars().count() <= 83, "{text:?}");
    };
    let found = inputs("board_output");
    assert!(found.len() >= 9);
    let mut successes = 0;
    for (path, data) in found {
        let Some((&piece, bytes)) = data.split_first() else {
            continue;
        };
        let piece = usize::from(piece % 64) + 1;
        let mut log = BootLog::new();
        for chunk in bytes.chunks(piece) {
            log.feed(chunk);
        }
        log.finish();
        let r = log.report();
        for text in [&r.dps_version, &r.assigned_hub, &r.unusable_traced_id]
            .into_iter()
            .flatten()
        {
            check(text);
        }
        if let Some(m) = r.dps_error.as_ref().and_then(|e| e.message.as_ref()) {
            check(m);
        }
        if let Ok(Some(known)) = r.registration_id() {
            assert!(
                longest_hex_run(known.id.as_str()) < 64,
                "{}",
                path.display()
            );
        }
        let mut reader = ConsoleReader::new();
        let mut answer = AnswerCollector::new();
        for chunk in bytes.chunks(piece) {
            answer.take(&reader.feed(chunk));
        }
        let got = answer.answer();
        assert!(got.lines.len() <= MAX_ANSWER_LINES);
        got.lines.iter().for_each(|l| check(l));
        match console::classify_set_uds_answer(&got) {
            Ok(_) => {
                successes += 1;
                assert!(got.lines.iter().any(|l| l.trim() == SET_UDS_SUCCESS));
            }
            Err(e) => {
                let text = e.to_string();
                assert!(!text.chars().any(is_unsafe_char), "{text:?}");
                assert!(longest_hex_run(&text) < 12, "{}: {text:?}", path.display());
            }
        }
    }
    assert_eq!(successes, 1, "only the quirk seed stores the UDS");
}
