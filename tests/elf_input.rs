//! The ELF as a firmware input, through the library: byte-exact certificates for every
//! vector, and the addresses and region hashes of `fixtures/extra/expected.json`.
#![cfg(test)]

use crate::common;

use dps_cert_gen::derivation::FirmwareMeasurements;
use dps_cert_gen::firmware::elf_file::{ElfError, measure_elf};
use dps_cert_gen::firmware::files::FirmwareError;
use dps_cert_gen::firmware::input::FirmwareInput;
use dps_cert_gen::firmware::measurement::{Measurement, measure_bin_map, measure_elf_file};
use dps_cert_gen::firmware::regions::{RegionError, RegionName};
use dps_cert_gen::{Uds, generate};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

fn parse_addr(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap()
}

#[test]
fn elf_alone_gives_every_vector_byte_for_byte() {
    for case in common::cases() {
        let input = FirmwareInput::locate(Some(&case.elf), None, "DevKitDPS", None, None).unwrap();
        assert_eq!(
            input,
            FirmwareInput::Elf {
                elf: case.elf.clone()
            }
        );
        let measured = input.measure().unwrap();
        assert!(measured.warnings.is_empty(), "{}", case.name);
        let core = case.json["riot_core"].as_array().unwrap();
        let fw = case.json["riot_fw"].as_array().unwrap();
        assert_eq!(
            measured.layout.riot_core.start,
            parse_addr(core[0].as_str().unwrap())
        );
        assert_eq!(
            measured.layout.riot_core.stop,
            parse_addr(core[1].as_str().unwrap())
        );
        assert_eq!(
            measured.layout.riot_fw.start,
            parse_addr(fw[0].as_str().unwrap())
        );
        assert_eq!(
            measured.layout.riot_fw.stop,
            parse_addr(fw[1].as_str().unwrap())
        );
        let fw = FirmwareMeasurements::of(&measured.regions);
        assert_eq!(
            hex::encode(fw.riot_core_measure.as_bytes()),
            case.field("riot_core_measure"),
            "{}",
            case.name
        );
        assert_eq!(hex::encode(fw.fwid.as_bytes()), case.field("fwid"));
        let uds = Uds::from_hex(&case.uds).unwrap();
        let cert = generate(&uds, &fw, &case.registration_id()).unwrap();
        assert_eq!(cert.der, case.der(), "{}", case.name);
    }
}

#[test]
fn elf_and_bin_map_together_agree_on_every_vector() {
    for case in common::cases() {
        // The ELF lies beside the pair under the same stem, so it is found and compared.
        let pair = (case.bin.as_path(), case.map.as_path());
        let input = FirmwareInput::locate(None, Some(pair), "DevKitDPS", None, None).unwrap();
        assert_eq!(
            input,
            FirmwareInput::ElfAndBinMap {
                elf: case.elf.clone(),
                bin: case.bin.clone(),
                map: case.map.clone(),
                flash_origin: None,
                elf_named: false,
            }
        );
        let measured = input.measure().unwrap();
        assert!(measured.cross_checked);
        assert!(measured.warnings.is_empty(), "{}", case.name);
        let fw = FirmwareMeasurements::of(&measured.regions);
        let uds = Uds::from_hex(&case.uds).unwrap();
        let cert = generate(&uds, &fw, &case.registration_id()).unwrap();
        assert_eq!(cert.der, case.der(), "{}", case.name);
    }
}

fn extra(folder: &str, file: &str) -> PathBuf {
    common::fixtures().join("extra").join(folder).join(file)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(common::fixtures().join("extra/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks a measurement against one view (`elf` or `bin_map`) of `expected.json`.
fn assert_view(name: &str, view: &Value, m: &Measurement) {
    for (region, bytes, layout) in [
        ("riot_core", m.regions.riot_core(), m.layout.riot_core),
        ("riot_fw", m.regions.riot_fw(), m.layout.riot_fw),
    ] {
        let want = &view[region];
        assert_eq!(
            layout.start,
            parse_addr(want["start"].as_str().unwrap()),
            "{name} {region}"
        );
        assert_eq!(layout.stop, parse_addr(want["stop"].as_str().unwrap()));
        assert_eq!(bytes.len() as u64, want["len"].as_u64().unwrap());
        assert_eq!(
            sha256(bytes),
            want["sha256"].as_str().unwrap(),
            "{name} {region}"
        );
    }
    assert_eq!(
        m.layout.flash_origin,
        parse_addr(view["flash_origin"].as_str().unwrap()),
        "{name}"
    );
}

#[test]
fn extra_elfs_give_the_expected_regions() {
    let expected = expected();
    let mut checked = Vec::new();
    for (name, fixture) in expected["fixtures"].as_object().unwrap() {
        let view = &fixture["elf"];
        if view["riot_core"].is_null() {
            continue;
        }
        let m = measure_elf_file(&extra(name, view["file"].as_str().unwrap())).unwrap();
        assert_view(name, view, &m);
        checked.push(name.as_str());
    }
    assert_eq!(
        checked,
        [
            "elf-bin-mismatch",
            "large",
            "long-paths",
            "map-other-build",
            "not-arm",
            "truncated-bin"
        ]
    );
}

#[test]
fn extra_bin_map_pairs_give_the_expected_regions() {
    let expected = expected();
    let mut checked = Vec::new();
    for (name, fixture) in expected["fixtures"].as_object().unwrap() {
        let view = &fixture["bin_map"];
        if view["riot_fw"]["sha256"].as_str().is_none() {
            continue;
        }
        let m = measure_bin_map(
            &extra(name, "DevKitDPS.ino.bin"),
            &extra(name, "DevKitDPS.ino.map"),
            None,
        )
        .unwrap();
        assert_view(name, view, &m);
        let bin_len = view["bin_len"].as_u64().unwrap();
        assert_eq!(m.files[0].1, bin_len);
        checked.push(name.as_str());
    }
    assert_eq!(
        checked,
        ["elf-bin-mismatch", "large", "long-paths", "map-other-build"]
    );
}

#[test]
fn the_map_extent_excludes_bss_and_includes_data() {
    // large: .data (4 bytes) is loaded at 0x080ffd10, and .bss gets a load address after
    // it that holds no bytes in the .bin.
    let m = measure_bin_map(
        &extra("large", "DevKitDPS.ino.bin"),
        &extra("large", "DevKitDPS.ino.map"),
        None,
    )
    .unwrap();
    let extent = m.map_extent.unwrap();
    assert_eq!(
        (extent.end, extent.image_len, extent.section.as_str()),
        (0x080f_fd14, 998_676, ".data")
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
}

#[test]
fn a_map_from_another_build_is_a_warning_with_both_lengths() {
    let bin = extra("map-other-build", "DevKitDPS.ino.bin");
    let map = extra("map-other-build", "DevKitDPS.ino.map");
    let m = measure_bin_map(&bin, &map, None).unwrap();
    assert_eq!(m.map_extent.as_ref().unwrap().image_len, 0xf4);
    assert_eq!(
        m.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        [format!(
            "{} describes an image of 244 bytes (0xf4: its sections end at 0x0800c0f4, .text on line 21), but {} is 248 bytes (0xf8); the .bin and .map probably come from different builds, so the certificate may not match the board: use the files of one build: rebuild the sketch, flash that build's .bin, and give its .elf, or its .bin and .map",
            map.display(),
            bin.display()
        )]
    );
}

#[test]
fn a_truncated_bin_is_a_range_error() {
    let err = measure_bin_map(
        &extra("truncated-bin", "DevKitDPS.ino.bin"),
        &extra("truncated-bin", "DevKitDPS.ino.map"),
        None,
    )
    .unwrap_err();
    assert!(matches!(
        err,
        FirmwareError::Region(RegionError::OutsideImage {
            region: RegionName::RiotFw,
            start: 0x0800_c0c0,
            stop: 0x0800_c0f8,
            bin_len: 208,
            ..
        })
    ));
}

fn elf_error(folder: &str, file: &str) -> ElfError {
    match measure_elf_file(&extra(folder, file)).unwrap_err() {
        FirmwareError::Elf { source, .. } => source,
        other => panic!("{folder}/{file}: {other}"),
    }
}

#[test]
fn damaged_elfs_are_refused() {
    assert_eq!(
        elf_error("truncated-bin", "DevKitDPS.ino.elf.truncated"),
        ElfError::Truncated {
            len: 2856,
            needed: 5712
        }
    );
    assert_eq!(
        elf_error("stripped", "DevKitDPS.ino.elf"),
        ElfError::NoSymbolTable
    );
    assert_eq!(
        elf_error("no-riot", "DevKitDPS.ino.elf"),
        ElfError::MissingSymbols {
            missing: vec![
                "__start_riot_core",
                "__stop_riot_core",
                "__start_riot_fw",
                "__stop_riot_fw"
            ]
        }
    );
    assert_eq!(elf_error("no-riot", "DevKitDPS.ino.map"), ElfError::NotElf);
}

#[test]
fn every_cut_of_an_elf_is_an_error_not_a_panic() {
    let elf = std::fs::read(common::fixtures().join("devkit-a/DevKitDPS.ino.elf")).unwrap();
    for len in 0..elf.len() {
        let err = measure_elf(&elf[..len]).unwrap_err();
        assert!(
            matches!(err, ElfError::NotElf | ElfError::Truncated { .. }),
            "{len}: {err:?}"
        );
    }
    assert!(measure_elf(&elf).is_ok());
}

#[test]
fn symbols_outside_any_contents_are_refused() {
    // Point the riot_fw symbols of devkit-a into .bss (NOBITS at 0x200001c4): patch the
    // values of __start_riot_fw and __stop_riot_fw in the symbol table.
    let mut elf = std::fs::read(common::fixtures().join("devkit-a/DevKitDPS.ino.elf")).unwrap();
    let (symtab, strtab, count) = (0x114c, 0x13bc, 0x270 / 16);
    let name_at = |elf: &[u8], off: usize| -> String {
        let end = elf[off..].iter().position(|&b| b == 0).unwrap();
        String::from_utf8(elf[off..off + end].to_vec()).unwrap()
    };
    let mut patched = 0;
    for i in 0..count {
        let entry = symtab + i * 16;
        let name_off = u32::from_le_bytes(elf[entry..entry + 4].try_into().unwrap()) as usize;
        let value = match name_at(&elf, strtab + name_off).as_str() {
            "__start_riot_fw" => 0x2000_01c8u32,
            "__stop_riot_fw" => 0x2000_01d0,
            _ => continue,
        };
        elf[entry + 4..entry + 8].copy_from_slice(&value.to_le_bytes());
        patched += 1;
    }
    assert_eq!(patched, 2);
    assert_eq!(
        measure_elf(&elf).unwrap_err(),
        ElfError::NoContents {
            region: RegionName::RiotFw,
            start: 0x2000_01c8,
            stop: 0x2000_01d0
        }
    );
}

#[test]
fn a_foreign_architecture_is_measured_with_a_warning() {
    let path = extra("not-arm", "DevKitDPS.ino.elf");
    let m = measure_elf_file(&path).unwrap();
    assert_eq!(
        m.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        [format!(
            "{} is an ELF for X86_64 (64-bit), not 32-bit ARM like the AZ3166's firmware; measured anyway, but the certificate only matches a board that runs exactly these bytes",
            path.display()
        )]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
    /// Damaged bytes anywhere in the headers or tables give a result or an error, never a panic.
    #[test]
    fn corrupted_elfs_do_not_panic(
        edits in proptest::collection::vec((0usize..5712, proptest::num::u8::ANY), 1..8)
    ) {
        let mut elf = std::fs::read(common::fixtures().join("devkit-a/DevKitDPS.ino.elf")).unwrap();
        for (at, byte) in edits {
            // Aim half the edits at the ELF header and the section header table.
            let at = if at % 2 == 0 { at % 52 } else { 5352 + at % 360 };
            elf[at] = byte;
        }
        let _ = measure_elf(&elf);
    }
}

/// The section headers of a 32-bit little-endian ELF: (name, header offset, sh_offset).
fn section_headers(elf: &[u8]) -> Vec<(String, usize, u32)> {
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
    let (shoff, shentsize, shnum, shstrndx) = (
        u32_at(0x20) as usize,
        u16_at(0x2e),
        u16_at(0x30),
        u16_at(0x32),
    );
    let strtab = u32_at(shoff + shstrndx * shentsize + 16) as usize;
    (0..shnum)
        .map(|i| {
            let header = shoff + i * shentsize;
            let name_off = strtab + u32_at(header) as usize;
            let end = elf[name_off..].iter().position(|&b| b == 0).unwrap();
            let name = String::from_utf8(elf[name_off..name_off + end].to_vec()).unwrap();
            (name, header, u32_at(header + 16))
        })
        .collect()
}

#[test]
fn a_section_whose_bytes_are_not_what_the_board_loads_is_refused() {
    // `.text`'s offset moved into `.symtab`: its section header now names other bytes than
    // the loadable segment the board loads at the same addresses.
    let mut elf = std::fs::read(common::fixtures().join("devkit-a/DevKitDPS.ino.elf")).unwrap();
    let headers = section_headers(&elf);
    let text = headers.iter().find(|(n, _, _)| n == ".text").unwrap();
    let symtab = headers.iter().find(|(n, _, _)| n == ".symtab").unwrap();
    let at = text.1 + 16;
    elf[at..at + 4].copy_from_slice(&symtab.2.to_le_bytes());
    let err = measure_elf(&elf).unwrap_err();
    assert!(
        matches!(&err, ElfError::SectionDisagrees { region: RegionName::RiotCore, section, .. } if section == ".text"),
        "{err:?}"
    );
    assert!(
        err.to_string().starts_with(
            "the section .text and segment 0 disagree on the bytes of riot_core [0x0800c02d, 0x0800c0c0): the board loads the segment's"
        ),
        "{err}"
    );
}

#[test]
fn a_changed_class_or_byte_order_byte_is_named() {
    let elf = std::fs::read(common::fixtures().join("devkit-a/DevKitDPS.ino.elf")).unwrap();
    let mut class = elf.clone();
    class[4] = 2;
    assert_eq!(
        measure_elf(&class).unwrap_err().to_string(),
        "the ELF header's class byte (offset 4) says 64-bit, but the file reads as a complete 32-bit ELF: that byte was changed; copy the file again from the build folder, or rebuild the sketch"
    );
    let mut order = elf.clone();
    order[5] = 2;
    assert_eq!(
        measure_elf(&order).unwrap_err(),
        ElfError::HeaderByte {
            field: "data (byte order)",
            offset: 5,
            says: "big-endian",
            reads: "little-endian"
        }
    );
}
