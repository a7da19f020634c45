//! Which firmware files the binary reads and the checks that they belong together: `-e`,
//! `-p` finding the ELF, the ELF beside `-b`/`-m`, every damaged or mismatched fixture of
//! `fixtures/extra/` (exact error or warning, nothing written), `--flash-origin`, `-v`.
#![cfg(test)]

use crate::common;

use dps_cert_gen::RegistrationId;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const FIX: &str = "use the files of one build: rebuild the sketch, flash that build's .bin, and give its .elf, or its .bin and .map";

struct Run {
    code: i32,
    stderr: String,
    /// The certificate written to `cert.der` in the working folder, if any.
    cert: Option<Vec<u8>>,
}

fn case(name: &str) -> common::Case {
    common::cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}

/// Runs the binary in a fresh folder, writing DER to `cert.der` there, for the UDS and
/// registration ID of vector `vector`.
fn run(vector: &str, firmware: &[&dyn AsRef<std::ffi::OsStr>]) -> Run {
    let c = case(vector);
    let dir = TempDir::new().unwrap();
    let mut args: Vec<OsString> = firmware.iter().map(|a| a.as_ref().to_owned()).collect();
    for a in ["-i", &c.expected_id, "--format", "der", "-o", "cert.der"] {
        args.push(a.into());
    }
    let out = assert_cmd::cargo::cargo_bin_cmd!("dps-cert-gen")
        .current_dir(dir.path())
        .env("DPS_UDS", &c.uds)
        .args(&args)
        .output()
        .unwrap();
    let cert = std::fs::read(dir.path().join("cert.der")).ok();
    let written: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        written.is_empty() || written == ["cert.der"],
        "stray files: {written:?}"
    );
    // The vectors use the tutorial's sample UDS (or one near it), which always draws a
    // warning (tested in tests/uds_sources.rs); leave it out here.
    let stderr = String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("warning: this UDS "))
        .map(|l| format!("{l}\n"))
        .collect();
    Run {
        code: out.status.code().unwrap(),
        stderr,
        cert,
    }
}

impl Run {
    /// Asserts a failure with exactly this one-line error and nothing written.
    fn fails_with(&self, error: &str) {
        assert_eq!(self.stderr, format!("error: {error}\n"));
        assert_eq!(self.code, 2);
        assert!(self.cert.is_none());
    }

    /// Asserts success with vector `vector`'s certificate, and returns the warnings.
    fn gives(&self, vector: &str) -> Vec<&str> {
        assert_eq!(self.code, 0, "{}", self.stderr);
        assert_eq!(self.cert.as_deref(), Some(case(vector).der().as_slice()));
        self.warnings()
    }

    fn warnings(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter_map(|l| l.strip_prefix("warning: "))
            .collect()
    }
}

fn extra(folder: &str, file: &str) -> PathBuf {
    common::fixtures().join("extra").join(folder).join(file)
}

fn files(folder: &str) -> (PathBuf, PathBuf, PathBuf) {
    (
        extra(folder, "DevKitDPS.ino.elf"),
        extra(folder, "DevKitDPS.ino.bin"),
        extra(folder, "DevKitDPS.ino.map"),
    )
}

/// Copies the named files of `from` into a new folder, e.g. a `.bin` + `.map` without the
/// ELF that lies beside them in the fixture.
fn copy(from: &Path, names: &[&str]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for name in names {
        std::fs::copy(from.join(name), dir.path().join(name)).unwrap();
    }
    dir
}

const BIN: &str = "DevKitDPS.ino.bin";
const MAP: &str = "DevKitDPS.ino.map";
const ELF: &str = "DevKitDPS.ino.elf";

#[test]
fn elf_alone_is_byte_exact_for_every_vector() {
    for c in common::cases() {
        let r = run(&c.name, &[&"-e", &c.elf]);
        let id_warning = RegistrationId::new(&c.expected_id).unwrap().warning();
        assert_eq!(r.gives(&c.name), id_warning.as_slice(), "{}", c.name);
    }
}

#[test]
fn project_finds_the_elf_alone() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join(".build")).unwrap();
    std::fs::copy(
        common::fixtures().join("devkit-b").join(ELF),
        dir.path().join(".build").join(ELF),
    )
    .unwrap();
    let r = run(
        "shared-3",
        &[&"-p", &"DevKitDPS", &"--build-dir", &dir.path(), &"-v"],
    );
    assert!(r.gives("shared-3").is_empty());
    assert!(r.stderr.starts_with(&format!(
        "read {} (",
        dir.path().join(".build").join(ELF).display()
    )));
}

#[test]
fn project_not_found_names_all_the_files() {
    let dir = TempDir::new().unwrap();
    run("shared-0", &[&"--build-dir", &dir.path()]).fails_with(&format!(
        "cannot find DevKitDPS.ino.elf, or DevKitDPS.ino.bin and DevKitDPS.ino.map, in {} and {}; build the sketch first, or give the files with -e, or -b and -m",
        dir.path().display(),
        dir.path().join(".build").display()
    ));
}

#[test]
fn elf_from_another_build_than_the_bin_is_refused_however_it_is_given() {
    let (elf, bin, map) = files("elf-bin-mismatch");
    let error = format!(
        "riot_fw [0x0800c0c0, 0x0800c0f8) holds other bytes in {} than in {}: the ELF and the .bin come from different builds; {FIX}",
        elf.display(),
        bin.display()
    );
    let folder = elf.parent().unwrap();
    run("shared-0", &[&"--build-dir", &folder]).fails_with(&error);
    run("shared-0", &[&"-e", &elf, &"-b", &bin, &"-m", &map]).fails_with(&error);
    // Given only -b and -m, the ELF beside them is found and compared.
    run("shared-0", &[&"-b", &bin, &"-m", &map]).fails_with(&error);
    // Each on its own measures its own build.
    assert!(run("shared-0", &[&"-e", &elf]).gives("shared-0").is_empty());
    let pair = copy(folder, &[BIN, MAP]);
    let pair = pair.path();
    assert!(
        run(
            "shared-4",
            &[&"-b", &pair.join(BIN), &"-m", &pair.join(MAP)]
        )
        .gives("shared-4")
        .is_empty()
    );
}

#[test]
fn map_from_another_build() {
    let (elf, bin, map) = files("map-other-build");
    let folder = elf.parent().unwrap();
    // With the ELF: its symbols disagree with the map.
    let error = format!(
        "riot_core is [0x0800c02d, 0x0800c0c0) in {} but [0x0800c02d, 0x0800c0bc) in {}: the ELF and the .map come from different builds; {FIX}",
        elf.display(),
        map.display()
    );
    run("shared-0", &[&"--build-dir", &folder]).fails_with(&error);
    run("shared-0", &[&"-e", &elf, &"-b", &bin, &"-m", &map]).fails_with(&error);
    // Without it: the map's extent does not match the .bin's length.
    let pair = copy(folder, &[BIN, MAP]);
    let (bin, map) = (pair.path().join(BIN), pair.path().join(MAP));
    let r = run("shared-0", &[&"-b", &bin, &"-m", &map]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.warnings(),
        [format!(
            "{} describes an image of 244 bytes (0xf4: its sections end at 0x0800c0f4, .text on line 21), but {} is 248 bytes (0xf8); the .bin and .map probably come from different builds, so the certificate may not match the board: {FIX}",
            map.display(),
            bin.display()
        )]
    );
    assert_ne!(r.cert.as_deref(), Some(case("shared-0").der().as_slice()));
}

#[test]
fn truncated_bin() {
    let (elf, _, _) = files("truncated-bin");
    let folder = elf.parent().unwrap();
    let pair = copy(folder, &[BIN, MAP]);
    let (bin, map) = (pair.path().join(BIN), pair.path().join(MAP));
    let error = "riot_fw [0x0800c0c0, 0x0800c0f8) lies outside the .bin (flash origin 0x0800c000, 208 bytes); the .bin and .map look like they come from different builds: use the two files from the same build folder";
    run("shared-0", &[&"-b", &bin, &"-m", &map]).fails_with(error);
    // The ELF beside them agrees on the addresses; the .bin is still too short.
    run("shared-0", &[&"--build-dir", &folder]).fails_with(error);
    assert!(run("shared-0", &[&"-e", &elf]).gives("shared-0").is_empty());
}

#[test]
fn truncated_elf() {
    let elf = extra("truncated-bin", "DevKitDPS.ino.elf.truncated");
    run("shared-0", &[&"-e", &elf]).fails_with(&format!(
        "{}: the file is cut short: its headers describe 5712 bytes, but it has 2856; copy it again from the build folder, or rebuild the sketch",
        elf.display()
    ));
}

#[test]
fn stripped_elf() {
    let elf = extra("stripped", ELF);
    let error = format!(
        "{}: no symbol table (the file was stripped), so the riot_core and riot_fw symbols cannot be found; use the unstripped NAME.ino.elf from the build folder, or -b and -m",
        elf.display()
    );
    run("shared-0", &[&"-e", &elf]).fails_with(&error);
    // Beside a good .bin + .map it cannot be compared: a warning, and the pair is used.
    let dir = copy(&common::fixtures().join("devkit-a"), &[BIN, MAP]);
    let beside = dir.path().join(ELF);
    std::fs::copy(&elf, &beside).unwrap();
    let r = run(
        "shared-0",
        &[&"-b", &dir.path().join(BIN), &"-m", &dir.path().join(MAP)],
    );
    assert_eq!(
        r.gives("shared-0"),
        [format!(
            "the .bin + .map were not compared with the ELF beside them: {}: no symbol table (the file was stripped), so the riot_core and riot_fw symbols cannot be found; use the unstripped NAME.ino.elf from the build folder, or -b and -m",
            beside.display()
        )]
    );
}

#[test]
fn large_image_gives_the_same_certificate_every_way() {
    let (elf, _, _) = files("large");
    let all = run("shared-0", &[&"--build-dir", &elf.parent().unwrap()]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(all.warnings().is_empty(), "{}", all.stderr);
    let alone = run("shared-0", &[&"-e", &elf]);
    let pair = copy(elf.parent().unwrap(), &[BIN, MAP]);
    let pair = run(
        "shared-0",
        &[&"-b", &pair.path().join(BIN), &"-m", &pair.path().join(MAP)],
    );
    assert!(pair.warnings().is_empty(), "{}", pair.stderr);
    assert!(all.cert.is_some());
    assert_eq!(all.cert, alone.cert);
    assert_eq!(all.cert, pair.cert);
    assert_ne!(all.cert.as_deref(), Some(case("shared-0").der().as_slice()));
}

#[test]
fn long_object_paths_in_the_map() {
    let (elf, bin, map) = files("long-paths");
    assert!(
        run("shared-0", &[&"-b", &bin, &"-m", &map])
            .gives("shared-0")
            .is_empty()
    );
    let pair = copy(elf.parent().unwrap(), &[BIN, MAP]);
    assert!(
        run(
            "shared-0",
            &[&"-b", &pair.path().join(BIN), &"-m", &pair.path().join(MAP)]
        )
        .gives("shared-0")
        .is_empty()
    );
}

#[test]
fn an_elf_for_another_architecture_is_a_warning() {
    let elf = extra("not-arm", ELF);
    assert_eq!(
        run("shared-0", &[&"-e", &elf]).gives("shared-0"),
        [format!(
            "{} is an ELF for X86_64 (64-bit), not 32-bit ARM like the AZ3166's firmware; measured anyway, but the certificate only matches a board that runs exactly these bytes",
            elf.display()
        )]
    );
}

#[test]
fn no_riot_symbols() {
    let (elf, _, _) = files("no-riot");
    let folder = elf.parent().unwrap();
    run("shared-0", &[&"-e", &elf]).fails_with(&format!(
        "{}: the symbol table has no __start_riot_core, __stop_riot_core, __start_riot_fw, __stop_riot_fw; the firmware was probably not built with the DevKit DPS library (its linker script defines the riot_core and riot_fw regions)",
        elf.display()
    ));
    let map_error = |map: &Path| {
        format!(
            "{} does not define __start_riot_core, __stop_riot_core, __start_riot_fw, __stop_riot_fw; the firmware was probably not built with the DevKit DPS library (its linker script defines the riot_core and riot_fw regions)",
            map.display()
        )
    };
    run("shared-0", &[&"--build-dir", &folder]).fails_with(&map_error(&folder.join(MAP)));
    let pair = copy(folder, &[BIN, MAP]);
    let (bin, map) = (pair.path().join(BIN), pair.path().join(MAP));
    run("shared-0", &[&"-b", &bin, &"-m", &map]).fails_with(&map_error(&map));
}

#[test]
fn a_file_that_is_not_an_elf() {
    let map = common::fixtures().join("devkit-a").join(MAP);
    run("shared-0", &[&"-e", &map]).fails_with(&format!(
        "{}: not an ELF file (it does not begin with the bytes 7f 45 4c 46); -e takes the NAME.ino.elf that the Arduino build writes beside the .bin (for the .bin, use -b with -m)",
        map.display()
    ));
}

/// A copy of devkit-a's `.bin` and a `.map` edited by `edit`.
fn edited_map(edit: impl Fn(&str) -> String) -> TempDir {
    let dir = copy(&common::fixtures().join("devkit-a"), &[BIN]);
    let text = std::fs::read_to_string(common::fixtures().join("devkit-a").join(MAP)).unwrap();
    std::fs::write(dir.path().join(MAP), edit(&text)).unwrap();
    dir
}

const FLASH_LINE: &str = "FLASH            0x0800c000         0x000f4000         xr\n";

#[test]
fn flash_origin_for_a_map_without_a_flash_region() {
    let dir = edited_map(|t| t.replace(FLASH_LINE, ""));
    let (bin, map) = (dir.path().join(BIN), dir.path().join(MAP));
    run("shared-0", &[&"-b", &bin, &"-m", &map]).fails_with(&format!(
        "{} has no FLASH memory region under \"Memory Configuration\", so the address of the .bin's first byte is unknown; give the map that the Arduino build wrote beside the .bin, or give that address with --flash-origin HEX (0x0800C000 for an AZ3166 application)",
        map.display()
    ));
    for origin in ["0x0800C000", "0800c000", "0x0800_c000"] {
        assert!(
            run(
                "shared-0",
                &[&"-b", &bin, &"-m", &map, &"--flash-origin", &origin]
            )
            .gives("shared-0")
            .is_empty()
        );
    }
    let bad = run(
        "shared-0",
        &[&"-b", &bin, &"-m", &map, &"--flash-origin", &"0x80g"],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("expected a hex address such as 0x0800C000")
    );
    assert!(bad.cert.is_none());
}

#[test]
fn flash_origin_that_differs_from_the_map_is_used_with_a_warning() {
    let dir = edited_map(|t| t.to_string());
    let (bin, map) = (dir.path().join(BIN), dir.path().join(MAP));
    let r = run(
        "shared-0",
        &[&"-b", &bin, &"-m", &map, &"--flash-origin", &"0x0800c004"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.warnings(),
        [
            format!(
                "--flash-origin 0x0800c004 overrides the FLASH origin 0x0800c000 that {} lists on line 12",
                map.display()
            ),
            format!(
                "{} describes an image of 244 bytes (0xf4: its sections end at 0x0800c0f8, .text on line 21), but {} is 248 bytes (0xf8); the .bin and .map probably come from different builds, so the certificate may not match the board: {FIX}",
                map.display(),
                bin.display()
            )
        ]
    );
    // The regions were sliced 4 bytes further on: another certificate.
    assert_ne!(r.cert.as_deref(), Some(case("shared-0").der().as_slice()));
}

#[test]
fn flash_origin_with_only_an_elf_is_refused() {
    let elf = common::fixtures().join("devkit-a").join(ELF);
    run("shared-0", &[&"-e", &elf, &"--flash-origin", &"0x0800c000"]).fails_with(&format!(
        "--flash-origin applies to a .map (it is the address of the .bin's first byte), but the firmware is read from the ELF {}, which holds its own addresses; drop --flash-origin, or give -b and -m",
        elf.display()
    ));
}

#[test]
fn duplicates_in_the_map_name_the_lines() {
    let dir = edited_map(|t| {
        t.replace(
            FLASH_LINE,
            &format!("{FLASH_LINE}FLASH            0x08000000         0x000f4000         xr\n"),
        )
    });
    let (bin, map) = (dir.path().join(BIN), dir.path().join(MAP));
    run("shared-0", &[&"-b", &bin, &"-m", &map]).fails_with(&format!(
        "{}: the map lists the FLASH memory region twice (lines 12 and 13); regenerate the map with a clean build",
        map.display()
    ));
    let dir = edited_map(|t| {
        t.replace(
            "                0x0800c0f8                        __etext = .\n",
            "                0x0800c0f8                        __stop_riot_core = .\n",
        )
    });
    let (bin, map) = (dir.path().join(BIN), dir.path().join(MAP));
    run("shared-0", &[&"-b", &bin, &"-m", &map]).fails_with(&format!(
        "{}: the map defines __stop_riot_core twice (lines 41 and 47); regenerate the map with a clean build",
        map.display()
    ));
}

#[test]
fn verbose_reports_files_origin_regions_and_digests_but_no_secret() {
    let c = case("shared-0");
    let folder = common::fixtures().join("devkit-a");
    let (elf, bin, map) = (folder.join(ELF), folder.join(BIN), folder.join(MAP));
    let r = run("shared-0", &[&"-b", &bin, &"-m", &map, &"-v"]);
    r.gives("shared-0");
    let expected = format!(
        "read {} (5712 bytes)
read {} (248 bytes)
read {} (3367 bytes)
flash origin: 0x0800c000 (FLASH region, {} line 12)
image per the map: 248 bytes (sections end at 0x0800c0f8, .text on line 21)
riot_core: [0x0800c02d, 0x0800c0c0), 147 bytes, in .text
riot_fw: [0x0800c0c0, 0x0800c0f8), 56 bytes, in .text
the ELF and the .bin + .map hold the same regions
riot_core DiceHash: {}
FWID: {}
registration ID: az-c89346000001v1v3v0
note: UDS taken from the DPS_UDS environment variable
Wrote cert.der
",
        elf.display(),
        bin.display(),
        map.display(),
        map.display(),
        c.field("riot_core_measure"),
        c.field("fwid"),
    );
    assert!(r.stderr.starts_with(&expected), "{}", r.stderr);
    let alias_key = hex::encode(common::base64_decode(
        c.field("alias_private_key_sec1_der_base64"),
    ));
    for secret in [
        c.uds.to_lowercase(),
        c.field("cdi").to_string(),
        alias_key[14..78].to_string(),
    ] {
        assert!(!r.stderr.to_lowercase().contains(&secret));
    }
    // Without -v, none of it.
    let quiet = run("shared-0", &[&"-b", &bin, &"-m", &map]);
    assert!(
        quiet
            .stderr
            .starts_with("note: UDS taken from the DPS_UDS environment variable\nWrote cert.der\n"),
        "{}",
        quiet.stderr
    );
}

#[test]
fn a_file_given_to_m_that_is_not_a_map_is_named_as_such() {
    let bin = common::fixtures().join("devkit-a").join(BIN);
    let elf = common::fixtures().join("devkit-a").join(ELF);
    let readme = common::fixtures().join("README.md");
    for (map, kind) in [
        (&bin, " (it is binary data, such as a .bin)"),
        (&elf, " (it is an ELF file)"),
        (&readme, ""),
    ] {
        run("shared-0", &[&"-b", &bin, &"-m", map]).fails_with(&format!(
            "{} is not a linker map{kind}: a map (NAME.ino.map, which the Arduino build writes beside the .bin) is text with the parts \"Memory Configuration\" and \"Linker script and memory map\"; give that file with -m (an .elf goes with -e, a .bin with -b)",
            map.display()
        ));
    }
}
