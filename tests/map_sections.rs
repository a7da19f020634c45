//! The map's memory regions and output sections, and the image extent derived from them.
#![cfg(test)]

use crate::common;

use dps_cert_gen::firmware::consistency::Extent;
use dps_cert_gen::firmware::map_file::{MapError, MapFile, MemoryRegion, OutputSection};

const MAP: &str = "\
Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x0800c000         0x000f4000         xr
RAM              0x200001c4         0x0003fe3c         xrw
*default*        0x00000000         0xffffffff

Linker script and memory map

LOAD obj/core.o
.text           0x0800c000       0xf8
 .riot_fw       0x0800c0c0       0x38 obj/app.o
                0x0800c0f8                        __stop_riot_fw = .
.a_very_long_output_section_name
                0x0800c0f8        0x8
.data           0x200001c4       0x10 load address 0x0800c100
.bss            0x200001d4       0x20 load address 0x0800c110
.empty          0x0800c110        0x0
.comment        0x00000000       0x26
OUTPUT(DevKitDPS.ino.elf elf32-littlearm)
";

fn section(name: &str, address: u64, size: u64, load_address: u64, line: usize) -> OutputSection {
    OutputSection {
        name: name.to_string(),
        address,
        size,
        load_address,
        line,
    }
}

#[test]
fn regions_and_sections_are_read() {
    let map = MapFile::parse(MAP.as_bytes()).unwrap();
    assert_eq!(
        map.memory_regions,
        [
            MemoryRegion {
                name: "FLASH".into(),
                origin: 0x0800_c000,
                length: 0xf4000,
                line: 4
            },
            MemoryRegion {
                name: "RAM".into(),
                origin: 0x2000_01c4,
                length: 0x3fe3c,
                line: 5
            },
            MemoryRegion {
                name: "*default*".into(),
                origin: 0,
                length: 0xffff_ffff,
                line: 6
            },
        ]
    );
    assert_eq!(
        map.output_sections,
        [
            section(".text", 0x0800_c000, 0xf8, 0x0800_c000, 11),
            section(
                ".a_very_long_output_section_name",
                0x0800_c0f8,
                0x8,
                0x0800_c0f8,
                14
            ),
            section(".data", 0x2000_01c4, 0x10, 0x0800_c100, 16),
            section(".bss", 0x2000_01d4, 0x20, 0x0800_c110, 17),
            section(".empty", 0x0800_c110, 0, 0x0800_c110, 18),
            section(".comment", 0, 0x26, 0, 19),
        ]
    );
    // The symbol line after an input section is still a symbol.
    assert_eq!(map.symbol("__stop_riot_fw"), Some(0x0800_c0f8));
}

#[test]
fn crlf_gives_the_same_sections() {
    assert_eq!(
        MapFile::parse(MAP.replace('\n', "\r\n").as_bytes()).unwrap(),
        MapFile::parse(MAP.as_bytes()).unwrap()
    );
}

#[test]
fn the_extent_ends_with_data_and_skips_bss_empty_and_unloaded_sections() {
    let map = MapFile::parse(MAP.as_bytes()).unwrap();
    let names: Vec<&str> = map
        .image_sections(0x0800_c000)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(
        names,
        [".text", ".a_very_long_output_section_name", ".data"]
    );
    assert_eq!(
        Extent::of(&map, 0x0800_c000),
        Some(Extent {
            end: 0x0800_c110,
            section: ".data".into(),
            line: 16,
            image_len: 0x110
        })
    );
}

#[test]
fn without_a_flash_region_other_regions_are_left_out() {
    let map = MapFile::parse(MAP.replace("FLASH ", "ROM   ").as_bytes()).unwrap();
    assert_eq!(map.flash_origin, None);
    // The region holding the origin is the flash region, whatever its name.
    assert_eq!(
        Extent::of(&map, 0x0800_c000).map(|e| e.image_len),
        Some(0x110)
    );
    let map = MapFile::parse(
        MAP.replace(
            "FLASH            0x0800c000         0x000f4000         xr\n",
            "",
        )
        .as_bytes(),
    )
    .unwrap();
    // No region holds the origin: sections outside RAM count.
    assert_eq!(
        Extent::of(&map, 0x0800_c000).map(|e| e.image_len),
        Some(0x110)
    );
}

#[test]
fn a_map_without_sections_has_no_extent() {
    let map = MapFile::parse(b"Memory Configuration\n\nFLASH 0x08000000 0x1000 xr\n").unwrap();
    assert_eq!(Extent::of(&map, 0x0800_0000), None);
}

#[test]
fn the_fixture_maps_have_the_extent_of_their_bin() {
    for case in common::cases() {
        let map = MapFile::parse(&std::fs::read(&case.map).unwrap()).unwrap();
        let origin = map.flash_origin.unwrap().value;
        let bin_len = std::fs::metadata(&case.bin).unwrap().len();
        assert_eq!(
            Extent::of(&map, origin).unwrap().image_len,
            bin_len,
            "{}",
            case.name
        );
    }
}

#[test]
fn duplicates_are_still_errors_naming_the_lines() {
    let twice = MAP.replace(
        "RAM   ",
        "FLASH            0x08000000         0x00004000         xr\nRAM   ",
    );
    assert_eq!(
        MapFile::parse(twice.as_bytes()).unwrap_err(),
        MapError::DuplicateFlash {
            first: 4,
            second: 5
        }
    );
}
