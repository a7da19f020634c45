//! Limits: huge inputs and impossible addresses each end in a clear error or complete, in
//! bounded memory. The runs that could exhaust memory run under a 256 MiB address-space limit
//! (`ulimit -v`), so reading a 1 GB file into memory would fail them.
#![cfg(test)]

use crate::common;

use common::{Case, uds_file};
use std::path::{Path, PathBuf};
use std::process::Output;

const MEMORY_LIMIT_KIB: u64 = 256 * 1024;
const GIB: u64 = 1 << 30;

/// Runs the binary with `args` under the memory limit.
fn run_limited(args: &[String]) -> Output {
    common::run_limited(args, MEMORY_LIMIT_KIB)
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// The generator's arguments for firmware `bin` + `map`, the case's UDS and ID, output `out`.
fn args(case: &Case, bin: &Path, map: &Path, out: &Path) -> Vec<String> {
    vec![
        "-b".into(),
        s(bin),
        "-m".into(),
        s(map),
        "--uds-file".into(),
        s(&uds_file(&case.uds)),
        "-i".into(),
        case.expected_id.clone(),
        "-o".into(),
        s(out),
        "--format".into(),
        "der".into(),
    ]
}

/// devkit-a's map with the symbol `symbol` moved to `address`.
fn map_with(dir: &Path, case: &Case, symbol: &str, address: &str) -> PathBuf {
    let text = std::fs::read_to_string(&case.map).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_end().ends_with(&format!("{symbol} = .")))
        .unwrap();
    let old = line.split_whitespace().next().unwrap();
    let moved = text.replace(line, &line.replace(old, address));
    assert_ne!(moved, text);
    let path = dir.join(format!("{symbol}-{address}.map"));
    std::fs::write(&path, moved).unwrap();
    path
}

/// A copy of the case's `.bin` in `dir`, where no ELF is found beside it.
fn lone_bin(dir: &Path, case: &Case) -> PathBuf {
    let bin = dir.join("DevKitDPS.ino.bin");
    std::fs::copy(&case.bin, &bin).unwrap();
    bin
}

fn stderr(output: &Output) -> String {
    common::stderr_without_sample_warning(&output.stderr)
}

#[test]
fn a_map_line_of_10_mb_is_read() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&case.map).unwrap();
    let (head, tail) = text.split_at(text.find("Linker script and memory map").unwrap());
    let long_line = format!(" {} 0x0800c000 0x10\n", "x".repeat(10 << 20));
    let map = dir.path().join("long-line.map");
    std::fs::write(&map, format!("{head}{long_line}{tail}")).unwrap();
    let out = dir.path().join("cert.der");
    let output = run_limited(&args(&case, &case.bin, &map, &out));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read(&out).unwrap(), case.der());
}

#[test]
fn a_1_gb_bin_is_measured_reading_only_the_regions() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("huge.bin");
    std::fs::copy(&case.bin, &bin).unwrap();
    // Sparse: 1 GiB long, but no disk space used past the real image.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&bin)
        .unwrap()
        .set_len(GIB)
        .unwrap();
    let out = dir.path().join("cert.der");
    let output = run_limited(&args(&case, &bin, &case.map, &out));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read(&out).unwrap(), case.der());
    // The map's image is 248 bytes: the length difference is reported.
    assert!(
        stderr(&output).contains(&format!("but {} is {GIB} bytes", bin.display())),
        "{}",
        stderr(&output)
    );
}

fn sparse_copy(from: &Path, to: &Path, len: u64) {
    std::fs::copy(from, to).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(to)
        .unwrap()
        .set_len(len)
        .unwrap();
}

#[test]
fn a_1_gb_elf_or_map_and_an_endless_device_are_refused() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let elf = dir.path().join("huge.elf");
    sparse_copy(&case.elf, &elf, GIB);
    let map = dir.path().join("huge.map");
    sparse_copy(&case.map, &map, GIB);
    let out = dir.path().join("cert.der");
    let mut elf_args = args(&case, &case.bin, &case.map, &out);
    elf_args.splice(0..4, ["-e".to_string(), s(&elf)]);
    #[cfg_attr(not(unix), expect(unused_mut, reason = "no /dev/zero to add"))]
    let mut runs = vec![
        (elf_args, elf.clone()),
        (args(&case, &case.bin, &map, &out), map.clone()),
    ];
    // A device that never ends is read only up to the limit.
    #[cfg(unix)]
    {
        let zero = PathBuf::from("/dev/zero");
        runs.push((args(&case, &case.bin, &zero, &out), zero));
    }
    for (run_args, file) in runs {
        let output = run_limited(&run_args);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        assert_eq!(
            stderr(&output),
            format!(
                "error: {} is larger than 64 MiB, far more than a map or ELF of AZ3166 firmware can be (its whole flash is 1 MiB); check the path: -m takes NAME.ino.map and -e NAME.ino.elf from the sketch's build folder\n",
                file.display()
            )
        );
        assert!(!out.exists());
    }
}

#[test]
fn a_region_of_1_gb_is_refused_before_it_is_read() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("huge.bin");
    sparse_copy(&case.bin, &bin, 2 * GIB);
    // riot_fw from 0x0800c0c0 to 0x4800c0c0: 1 GiB, inside the 2 GiB .bin.
    let map = map_with(dir.path(), &case, "__stop_riot_fw", "0x4800c0c0");
    let out = dir.path().join("cert.der");
    let output = run_limited(&args(&case, &bin, &map, &out));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "error: riot_fw [0x0800c0c0, 0x4800c0c0) is 1073741824 bytes long, more than 16 MiB while the AZ3166's whole flash is 1 MiB; the map or ELF is damaged or not from a DevKit build: rebuild the firmware\n"
    );
    assert!(!out.exists());
}

#[test]
fn impossible_addresses_are_clear_errors() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cert.der");
    // A copy away from the fixture's ELF, which would be cross-checked otherwise.
    let bin = s(&lone_bin(dir.path(), &case));
    let outside = |region: &str, start: &str, stop: &str| {
        format!(
            "error: {region} [{start}, {stop}) lies outside the .bin (flash origin 0x0800c000, 248 bytes); the .bin and .map look like they come from different builds: use the two files from the same build folder\n"
        )
    };
    let cases = [
        // A symbol at the top of the 32-bit address space.
        (
            map_with(dir.path(), &case, "__stop_riot_fw", "0xffffffff"),
            "error: riot_fw [0x0800c0c0, 0xffffffff) is 4160700223 bytes long, more than 16 MiB while the AZ3166's whole flash is 1 MiB; the map or ELF is damaged or not from a DevKit build: rebuild the firmware\n".to_string(),
        ),
        (
            map_with(
                dir.path(),
                &map_case(dir.path(), &case, "__stop_riot_fw", "0xffffffff"),
                "__start_riot_fw",
                "0xffffffff",
            ),
            outside("riot_fw", "0xffffffff", "0xffffffff"),
        ),
        // Below the flash origin.
        (
            map_with(dir.path(), &case, "__start_riot_core", "0x00000000"),
            "error: riot_core [0x00000000, 0x0800c0c0) is 134267072 bytes long, more than 16 MiB while the AZ3166's whole flash is 1 MiB; the map or ELF is damaged or not from a DevKit build: rebuild the firmware\n".to_string(),
        ),
        // stop < start.
        (
            map_with(dir.path(), &case, "__stop_riot_core", "0x0800c020"),
            "error: riot_core ends (0x0800c020) before it starts (0x0800c02d); the map or ELF is damaged: rebuild the firmware\n".to_string(),
        ),
    ];
    for (map, expected) in cases {
        let output = run_limited(&args(&case, Path::new(&bin), &map, &out));
        assert_eq!(output.status.code(), Some(2), "{}", map.display());
        assert_eq!(stderr(&output), expected, "{}", map.display());
        assert!(!out.exists());
    }
}

/// A case whose map is `map_with(...)`: for moving two symbols.
fn map_case(dir: &Path, case: &Case, symbol: &str, address: &str) -> Case {
    let mut moved = Case::named(&case.name);
    moved.map = map_with(dir, case, symbol, address);
    moved
}

#[test]
fn overlapping_regions_are_measured_as_the_board_does() {
    // The board hashes [__start_riot_core, __stop_riot_core) and SHA-256es
    // [__start_riot_fw, __stop_riot_fw), whatever the addresses; so does the tool.
    use dps_cert_gen::derivation::{FirmwareMeasurements, generate};
    use dps_cert_gen::firmware::regions::MeasuredRegions;
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let map = map_with(dir.path(), &case, "__start_riot_fw", "0x0800c0a0");
    let out = dir.path().join("cert.der");
    let bin = lone_bin(dir.path(), &case);
    let output = run_limited(&args(&case, &bin, &map, &out));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let image = std::fs::read(&case.bin).unwrap();
    let core = image.get(0x2d..0xc0).unwrap().to_vec();
    let fw = image.get(0xa0..0xf8).unwrap().to_vec();
    let regions = MeasuredRegions::new(core, fw).unwrap();
    let expected = generate(
        &dps_cert_gen::Uds::from_hex(&case.uds).unwrap(),
        &FirmwareMeasurements::of(&regions),
        &dps_cert_gen::RegistrationId::new(&case.expected_id).unwrap(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), expected.der);
    assert_ne!(expected.der, case.der());
}

// Unix only: /dev/zero.
#[cfg(unix)]
#[test]
fn endless_devices_as_other_inputs_are_refused_in_bounded_memory() {
    let case = Case::named("shared-0");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cert.der");
    let zero = PathBuf::from("/dev/zero");
    let mut uds_from_zero = args(&case, &case.bin, &case.map, &out);
    uds_from_zero.splice(4..6, ["--uds-file".to_string(), s(&zero)]);
    let bin_from_zero = args(&case, &zero, &case.map, &out);
    let runs = [
        (
            vec!["inspect".to_string(), s(&zero)],
            "error: /dev/zero is larger than 1 MiB, far too large for a certificate; give the certificate file itself\n".to_string(),
        ),
        (
            uds_from_zero,
            "error: --uds-file /dev/zero holds more than 4096 bytes, which is not a UDS; give a file holding just the 64 hex digits\n".to_string(),
        ),
        (
            bin_from_zero,
            "error: riot_core [0x0800c02d, 0x0800c0c0) lies outside the .bin (flash origin 0x0800c000, 0 bytes); the .bin and .map look like they come from different builds: use the two files from the same build folder\n".to_string(),
        ),
    ];
    for (run_args, expected) in runs {
        let output = run_limited(&run_args);
        assert_eq!(output.status.code(), Some(2), "{run_args:?}");
        assert_eq!(stderr(&output), expected, "{run_args:?}");
        assert!(!out.exists());
    }
}

/// Issue 22, 11: a FIFO given as any input (`-e`, `-b`, `-m`, `--uds-file`, `--manifest`,
/// `inspect`, `verify`) used to block for ever on opening it; it is refused unopened, at
/// once. `-b <(cat x.bin)` (a pipe) was read as 0 bytes and blamed on "different builds";
/// it is refused the same way, saying to save it to a file.
// Unix only: FIFOs and process substitution.
#[cfg(unix)]
#[test]
fn a_fifo_or_a_pipe_as_an_input_is_refused_at_once() {
    use std::time::Duration;
    let case = Case::named("shared-3");
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("input.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let f = s(&fifo);
    // (Not the case's UDS, which draws a warning of its own.)
    let uds = s(&uds_file(&"0123456789abcdef".repeat(4)));
    let (bin, map) = (s(&case.bin), s(&case.map));
    let reason = "it is a FIFO or a pipe (as a shell's <(...) gives) or a socket, not a regular file, and is not read: its writer may never come, or never end";
    let runs: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["-e", &f, "--uds-file", &uds, "-i", "dev-1"],
            format!(
                "error: cannot read {f}: {reason}; save it to a file and give that; check the path"
            ),
        ),
        (
            vec!["-b", &f, "-m", &map, "--uds-file", &uds, "-i", "dev-1"],
            format!(
                "error: cannot read {f}: {reason}; save it to a file and give that; check the path"
            ),
        ),
        (
            vec!["-b", &bin, "-m", &f, "--uds-file", &uds, "-i", "dev-1"],
            format!(
                "error: cannot read {f}: {reason}; save it to a file and give that; check the path"
            ),
        ),
        (
            vec!["-b", &bin, "-m", &map, "--uds-file", &f, "-i", "dev-1"],
            format!(
                "error: cannot read the UDS file {f}: {reason}; save it to a file and give that, or pipe it to --uds-file -; check the path"
            ),
        ),
        (
            vec![
                "batch",
                "-b",
                &bin,
                "-m",
                &map,
                "--manifest",
                &f,
                "--out-dir",
                "out",
            ],
            format!(
                "error: cannot read the manifest {f}: {reason}; save it to a file and give that, or pipe it to --manifest -"
            ),
        ),
        (
            vec!["inspect", &f],
            format!(
                "error: cannot read {f}: {reason}; save it to a file and give that, or pipe it to inspect -"
            ),
        ),
    ];
    for (args, starts) in runs {
        let started = std::time::Instant::now();
        let o = common::bin()
            .current_dir(dir.path())
            .args(&args)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(15), "{args:?} hung");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with(&starts), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
    assert!(!dir.path().join("out").exists());

    // Process substitution: a pipe with a writer.
    let script = format!(
        "exec '{}' -b <(cat '{bin}') -m '{map}' --uds-file '{uds}' -i dev-1 -o '{}'",
        env!("CARGO_BIN_EXE_dps-cert-gen"),
        s(&dir.path().join("out.pem"))
    );
    let o = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot read /dev/fd/") && stderr.contains(reason),
        "{stderr}"
    );
    assert!(
        !stderr.contains("another build") && !stderr.contains("different build"),
        "not blamed on another build: {stderr}"
    );
    assert!(!dir.path().join("out.pem").exists());
}
