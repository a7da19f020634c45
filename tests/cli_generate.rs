//! The generator through the built binary: every vector byte-exact, the output forms, and
//! each bad input with its exact message, exit status, and no file written.
#![cfg(test)]

use crate::common;

use assert_cmd::Command;
use std::fs;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

const SAMPLE_UDS: &str = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";
const ID: &str = "az-c89346000001v1v3v0";

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("dps-cert-gen").unwrap();
    cmd.env_remove("DPS_UDS").env("NO_COLOR", "1");
    cmd
}

fn devkit_a(name: &str) -> PathBuf {
    common::fixtures().join("devkit-a").join(name)
}

/// A command generating shared-0 (devkit-a, sample UDS, az-c89346000001v1v3v0) in `dir`.
fn shared0(dir: &Path) -> Command {
    let mut cmd = bin();
    cmd.current_dir(dir)
        .arg("-b")
        .arg(devkit_a("DevKitDPS.ino.bin"))
        .arg("-m")
        .arg(devkit_a("DevKitDPS.ino.map"))
        .args(["-u", SAMPLE_UDS, "-i", ID]);
    cmd
}

fn pem_of(der: &[u8]) -> String {
    dps_cert_gen::encoding::pem_certificate(der)
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

const UDS_FLAG_WARNING: &str = "warning: a UDS given with -u/--uds is visible in your shell history and in the process list; use --uds-file PATH (- for standard input) or the DPS_UDS environment variable instead";
const SAMPLE_WARNING: &str = "warning: this UDS is the sample published in the DevKit tutorial, so anyone can look it up; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`";

/// Standard error without the two warnings that `-u` with the sample UDS always gives
/// (tested in tests/uds_sources.rs); every other line must remain.
fn stderr_without_uds_warnings(out: &std::process::Output) -> String {
    stderr_of(out)
        .lines()
        .filter(|l| *l != UDS_FLAG_WARNING && *l != SAMPLE_WARNING)
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn every_vector_is_byte_exact_through_the_binary() {
    for case in common::cases() {
        let dir = TempDir::new().unwrap();
        let mut cmd = bin();
        cmd.current_dir(dir.path())
            .arg("-b")
            .arg(&case.bin)
            .arg("-m")
            .arg(&case.map)
            .args(["-u", &case.uds]);
        match &case.registration_id {
            Some(id) => cmd.args(["-i", id]),
            None => cmd.args([
                "--mac",
                case.mac.as_deref().unwrap(),
                "--firmware-version",
                case.firmware_version.as_deref().unwrap(),
            ]),
        };
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            case.name,
            stderr_of(&out)
        );
        assert!(out.stdout.is_empty());
        let file = dir.path().join(format!("{}.pem", case.expected_id));
        assert_eq!(
            fs::read_to_string(&file).unwrap(),
            pem_of(&case.der()),
            "{}",
            case.name
        );
        let err = stderr_of(&out);
        assert!(
            err.contains(&format!("Wrote {}.pem\n", case.expected_id)),
            "{err}"
        );
        assert!(err.contains(&format!("  registration ID: {}\n", case.expected_id)));
        assert!(err.contains(&format!(
            "  SHA-1 thumbprint:   {}\n",
            case.field("alias_cert_sha1")
        )));
        assert!(err.contains(&format!(
            "  SHA-256 thumbprint:\n    {}\n",
            case.field("alias_cert_sha256")
        )));
        common::assert_no_uds(&err, &case.uds);
    }
}

#[test]
fn pem_file_is_rfc7468_with_64_columns_and_lf() {
    let dir = TempDir::new().unwrap();
    shared0(dir.path()).assert().success();
    let text = fs::read_to_string(dir.path().join(format!("{ID}.pem"))).unwrap();
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
    assert!(text.ends_with("\n-----END CERTIFICATE-----\n"));
    assert!(!text.contains('\r'));
    let lines: Vec<&str> = text.lines().collect();
    let body = &lines[1..lines.len() - 1];
    assert!(body[..body.len() - 1].iter().all(|l| l.len() == 64));
    assert!(body.last().unwrap().len() <= 64);
}

#[test]
fn der_format_writes_raw_bytes_to_a_cer_file() {
    let case = &common::cases()[0];
    let dir = TempDir::new().unwrap();
    shared0(dir.path())
        .args(["--format", "der"])
        .assert()
        .success();
    assert_eq!(common::names_in(dir.path()), vec![format!("{ID}.cer")]);
    assert_eq!(
        fs::read(dir.path().join(format!("{ID}.cer"))).unwrap(),
        case.der()
    );
}

#[test]
fn out_path_and_standard_output() {
    let case = &common::cases()[0];
    let dir = TempDir::new().unwrap();
    shared0(dir.path())
        .args(["-o", "board.pem"])
        .assert()
        .success();
    assert_eq!(common::names_in(dir.path()), vec!["board.pem".to_string()]);

    let out = shared0(dir.path()).args(["-o", "-"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout.clone()).unwrap(),
        pem_of(&case.der())
    );
    assert!(
        stderr_of(&out).contains(&format!(
            "Wrote the certificate to standard output\n  registration ID: {}\n",
            case.expected_id
        )),
        "{}",
        stderr_of(&out)
    );
    let out = shared0(dir.path())
        .args(["-o", "-", "--format", "der"])
        .output()
        .unwrap();
    assert_eq!(out.stdout, case.der());
    assert_eq!(common::names_in(dir.path()), vec!["board.pem".to_string()]);
}

#[test]
fn bare_base64_prints_one_line_and_writes_nothing() {
    let case = &common::cases()[0];
    let dir = TempDir::new().unwrap();
    let out = shared0(dir.path()).arg("--bare-base64").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{}\n", case.field("alias_cert_der_base64"))
    );
    assert!(common::names_in(dir.path()).is_empty());
}

#[test]
fn existing_file_needs_force() {
    let case = &common::cases()[0];
    let dir = TempDir::new().unwrap();
    let target = dir.path().join(format!("{ID}.pem"));
    fs::write(&target, "keep me").unwrap();
    let out = shared0(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr_without_uds_warnings(&out),
        format!(
            "error: {ID}.pem already exists; use --force to overwrite it, or choose another file name\n"
        )
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
    shared0(dir.path()).arg("--force").assert().success();
    assert_eq!(fs::read_to_string(&target).unwrap(), pem_of(&case.der()));
    assert_eq!(common::names_in(dir.path()), vec![format!("{ID}.pem")]);
    // Run again: the file holds this very certificate, which is said, and it is a success.
    let out = shared0(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr_without_uds_warnings(&out).starts_with(&format!(
            "{ID}.pem holds this certificate already, byte for byte: nothing written\n  registration ID: {ID}\n"
        )),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), pem_of(&case.der()));
    // In DER it is another file's contents: refused as before.
    let out = shared0(dir.path())
        .args(["--format", "der", "-o"])
        .arg(&target)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn project_is_found_in_the_folder_or_its_build_subfolder() {
    let case = &common::cases()[0];
    let dir = TempDir::new().unwrap();
    let build = dir.path().join(".build");
    fs::create_dir(&build).unwrap();
    fs::copy(
        devkit_a("DevKitDPS.ino.bin"),
        build.join("DevKitDPS.ino.bin"),
    )
    .unwrap();
    fs::copy(
        devkit_a("DevKitDPS.ino.map"),
        build.join("DevKitDPS.ino.map"),
    )
    .unwrap();
    // Default project name, default folder (then .build/).
    bin()
        .current_dir(dir.path())
        .args(["-u", SAMPLE_UDS, "-i", ID])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(dir.path().join(format!("{ID}.pem"))).unwrap(),
        pem_of(&case.der())
    );
    // Named project in a named folder.
    let other = TempDir::new().unwrap();
    fs::copy(
        devkit_a("DevKitDPS.ino.bin"),
        other.path().join("Blink.ino.bin"),
    )
    .unwrap();
    fs::copy(
        devkit_a("DevKitDPS.ino.map"),
        other.path().join("Blink.ino.map"),
    )
    .unwrap();
    let out = bin()
        .current_dir(dir.path())
        .args(["-p", "Blink", "--build-dir"])
        .arg(other.path())
        .args(["-u", SAMPLE_UDS, "-i", "blink-1", "-o", "-"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

#[test]
fn crlf_and_long_line_maps_give_the_same_certificate() {
    let case = &common::cases()[0];
    let dir = TempDir::new().unwrap();
    let map = fs::read_to_string(devkit_a("DevKitDPS.ino.map")).unwrap();
    let crlf = dir.path().join("crlf.map");
    fs::write(&crlf, map.replace('\n', "\r\n")).unwrap();
    let long_paths = common::fixtures().join("extra/long-paths");
    assert!(
        fs::read_to_string(long_paths.join("DevKitDPS.ino.map"))
            .unwrap()
            .lines()
            .any(|l| l.len() > 300)
    );
    for (bin_path, map_path) in [
        (devkit_a("DevKitDPS.ino.bin"), crlf),
        (
            long_paths.join("DevKitDPS.ino.bin"),
            long_paths.join("DevKitDPS.ino.map"),
        ),
    ] {
        let out = bin()
            .arg("-b")
            .arg(bin_path)
            .arg("-m")
            .arg(map_path)
            .args(["-u", SAMPLE_UDS, "-i", ID, "--bare-base64"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            format!("{}\n", case.field("alias_cert_der_base64"))
        );
    }
}

/// Runs shared-0 with `args` replaced, expects exit `code` and exactly `message`, and no file.
fn refused(args: &[&str], code: i32, message: &str) {
    let dir = TempDir::new().unwrap();
    let out = bin().current_dir(dir.path()).args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        stderr_of(&out)
    );
    assert_eq!(
        stderr_without_uds_warnings(&out),
        format!("error: {message}\n"),
        "{args:?}"
    );
    assert!(out.stdout.is_empty());
    assert!(
        common::names_in(dir.path()).is_empty(),
        "{args:?} wrote a file"
    );
}

fn with_firmware<'a>(bin_path: &'a str, map_path: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["-b", bin_path, "-m", map_path];
    v.extend_from_slice(rest);
    v
}

#[test]
fn bad_uds_is_refused() {
    let b = devkit_a("DevKitDPS.ino.bin").to_string_lossy().into_owned();
    let m = devkit_a("DevKitDPS.ino.map").to_string_lossy().into_owned();
    refused(
        &with_firmware(&b, &m, &["-u", &SAMPLE_UDS[..62], "-i", ID]),
        2,
        "the UDS must be 64 hex digits (32 bytes), but 62 characters were given; type the full UDS as set with `set_dps_uds`",
    );
    let mut non_hex = SAMPLE_UDS.to_string();
    non_hex.replace_range(4..5, "g");
    refused(
        &with_firmware(&b, &m, &["-u", &non_hex, "-i", ID]),
        2,
        "the UDS must contain only hex digits 0-9 and a-f, but character 5 is not one; check the UDS you set with `set_dps_uds`",
    );
}

#[test]
fn bad_registration_ids_are_refused() {
    let b = devkit_a("DevKitDPS.ino.bin").to_string_lossy().into_owned();
    let m = devkit_a("DevKitDPS.ino.map").to_string_lossy().into_owned();
    refused(
        &with_firmware(&b, &m, &["-u", SAMPLE_UDS, "-i", "My_Device"]),
        2,
        "the registration ID \"My_Device\" contains 'M' at position 1; only lower-case letters a-z, digits 0-9 and '-' are allowed",
    );
    refused(
        &with_firmware(&b, &m, &["-u", SAMPLE_UDS, "-i", "My-Device-01"]),
        2,
        "the registration ID \"My-Device-01\" has upper-case letters, and only lower-case letters a-z, digits 0-9 and '-' are allowed; use \"my-device-01\"",
    );
    refused(
        &with_firmware(&b, &m, &["-u", SAMPLE_UDS, "-i", ""]),
        2,
        "the registration ID is empty; give one with -i, or give --mac and --firmware-version to build the board's default ID",
    );
    let long = "a".repeat(127);
    refused(
        &with_firmware(&b, &m, &["-u", SAMPLE_UDS, "-i", &long]),
        2,
        "the registration ID is 127 characters long; the board cannot put more than 126 in its certificate (it would never register), and DPS accepts at most 64 for X.509: use a shorter ID",
    );
    refused(
        &with_firmware(
            &b,
            &m,
            &[
                "-u",
                SAMPLE_UDS,
                "--mac",
                "c8:93:46:00:00",
                "--firmware-version",
                "1.3.0",
            ],
        ),
        2,
        "\"c8:93:46:00:00\" is not a MAC address; give the 12 hex digits the board prints at boot, like c89346000001 or C8:93:46:00:00:01",
    );
    refused(
        &with_firmware(
            &b,
            &m,
            &[
                "-u",
                SAMPLE_UDS,
                "--mac",
                "c89346000001",
                "--firmware-version",
                "1.3",
            ],
        ),
        2,
        "\"1.3\" is not a firmware version; give the DevKit firmware version the board prints at boot as major.minor.patch, like 1.3.0",
    );
}

#[test]
fn long_ids_work_with_a_warning() {
    let case = &common::cases()[5];
    assert_eq!(case.expected_id.len(), 126);
    let dir = TempDir::new().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .arg("-b")
        .arg(&case.bin)
        .arg("-m")
        .arg(&case.map)
        .args(["-u", &case.uds, "-i", &case.expected_id])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stderr_without_uds_warnings(&out).starts_with(
        "warning: the registration ID is 126 characters long: the board accepts up to 126, but DPS documents 64 as the limit for X.509 registration IDs, so the enrollment may be refused\n"
    ));
    assert_eq!(
        fs::read_to_string(dir.path().join(format!("{}.pem", case.expected_id))).unwrap(),
        pem_of(&case.der())
    );
}

#[test]
fn missing_and_unreadable_files_are_refused() {
    let m = devkit_a("DevKitDPS.ino.map").to_string_lossy().into_owned();
    refused(
        &with_firmware("nowhere.bin", &m, &["-u", SAMPLE_UDS, "-i", ID]),
        2,
        "cannot read nowhere.bin: no such file; check the path (the Arduino build writes it to the sketch's build folder)",
    );
    let dir = TempDir::new().unwrap();
    let folder = dir.path().to_string_lossy().into_owned();
    let b = devkit_a("DevKitDPS.ino.bin").to_string_lossy().into_owned();
    refused(
        &with_firmware(&b, &folder, &["-u", SAMPLE_UDS, "-i", ID]),
        2,
        &format!(
            "cannot read {folder}: it is a folder, not a file; check the path (the Arduino build writes it to the sketch's build folder)"
        ),
    );
    refused(
        &["-u", SAMPLE_UDS, "-i", ID],
        2,
        &format!(
            "cannot find DevKitDPS.ino.elf, or DevKitDPS.ino.bin and DevKitDPS.ino.map, in . and {}; build the sketch first, or give the files with -e, or -b and -m",
            // ./.build on Unix, .\.build on Windows: the path as the platform writes it.
            Path::new(".").join(".build").display()
        ),
    );
}

#[test]
fn maps_without_flash_or_riot_symbols_are_refused() {
    let dir = TempDir::new().unwrap();
    let map = fs::read_to_string(devkit_a("DevKitDPS.ino.map")).unwrap();
    let no_flash = dir.path().join("noflash.map");
    fs::write(
        &no_flash,
        map.replace("FLASH            0x0800c000", "ROM              0x0800c000"),
    )
    .unwrap();
    let b = devkit_a("DevKitDPS.ino.bin").to_string_lossy().into_owned();
    let nf = no_flash.to_string_lossy().into_owned();
    refused(
        &with_firmware(&b, &nf, &["-u", SAMPLE_UDS, "-i", ID]),
        2,
        &format!(
            "{nf} has no FLASH memory region under \"Memory Configuration\", so the address of the .bin's first byte is unknown; give the map that the Arduino build wrote beside the .bin, or give that address with --flash-origin HEX (0x0800C000 for an AZ3166 application)"
        ),
    );
    let no_riot = common::fixtures().join("extra/no-riot");
    let nb = no_riot
        .join("DevKitDPS.ino.bin")
        .to_string_lossy()
        .into_owned();
    let nm = no_riot
        .join("DevKitDPS.ino.map")
        .to_string_lossy()
        .into_owned();
    refused(
        &with_firmware(&nb, &nm, &["-u", SAMPLE_UDS, "-i", ID]),
        2,
        &format!(
            "{nm} does not define __start_riot_core, __stop_riot_core, __start_riot_fw, __stop_riot_fw; the firmware was probably not built with the DevKit DPS library (its linker script defines the riot_core and riot_fw regions)"
        ),
    );
}

#[test]
fn regions_outside_the_bin_and_short_riot_core_are_refused() {
    let t = common::fixtures().join("extra/truncated-bin");
    let tb = t.join("DevKitDPS.ino.bin").to_string_lossy().into_owned();
    let tm = t.join("DevKitDPS.ino.map").to_string_lossy().into_owned();
    refused(
        &with_firmware(&tb, &tm, &["-u", SAMPLE_UDS, "-i", ID]),
        2,
        "riot_fw [0x0800c0c0, 0x0800c0f8) lies outside the .bin (flash origin 0x0800c000, 208 bytes); the .bin and .map look like they come from different builds: use the two files from the same build folder",
    );
    let dir = TempDir::new().unwrap();
    let map = fs::read_to_string(devkit_a("DevKitDPS.ino.map"))
        .unwrap()
        .replace(
            "0x0800c02d                        __start_riot_core",
            "0x0800c0b9                        __start_riot_core",
        );
    let short = dir.path().join("short.map");
    fs::write(&short, map).unwrap();
    // A copy of the .bin with no ELF beside it, so only the map is read.
    let b = dir.path().join("short.bin");
    fs::copy(devkit_a("DevKitDPS.ino.bin"), &b).unwrap();
    let b = b.to_string_lossy().into_owned();
    let s = short.to_string_lossy().into_owned();
    refused(
        &with_firmware(&b, &s, &["-u", SAMPLE_UDS, "-i", ID]),
        2,
        "riot_core is 7 bytes long, but the board refuses one shorter than 8 bytes and would never register; check that the firmware was built with the DevKit DPS library",
    );
}

#[test]
fn missing_inputs_without_a_terminal_fail_at_once() {
    let b = devkit_a("DevKitDPS.ino.bin").to_string_lossy().into_owned();
    let m = devkit_a("DevKitDPS.ino.map").to_string_lossy().into_owned();
    refused(
        &with_firmware(&b, &m, &["-i", ID]),
        2,
        "missing -u/--uds (or --uds-file, or DPS_UDS); give it on the command line, or run in a terminal to be asked (see --help)",
    );
}

#[test]
fn an_unwritable_destination_exits_1_and_leaves_nothing() {
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("not-a-folder"), "x").unwrap();
    let out = shared0(dir.path())
        .args(["-o", "not-a-folder/cert.pem"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr_without_uds_warnings(&out);
    assert!(
        err.starts_with("error: cannot write not-a-folder/cert.pem: "),
        "{err}"
    );
    assert!(
        err.ends_with("; choose a folder you can write to with -o\n"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
    assert_eq!(
        common::names_in(dir.path()),
        vec!["not-a-folder".to_string()]
    );
}
