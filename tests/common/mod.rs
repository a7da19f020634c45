//! Shared by the integration tests: the vector cases from `fixtures/cases.json`.
#![cfg(test)]

use serde_json::Value;
use std::path::PathBuf;

pub(crate) fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub(crate) struct Case {
    pub name: String,
    pub bin: PathBuf,
    pub map: PathBuf,
    pub elf: PathBuf,
    pub uds: String,
    pub registration_id: Option<String>,
    pub mac: Option<String>,
    pub firmware_version: Option<String>,
    pub expected_id: String,
    pub json: Value,
}

impl Case {
    /// The registration ID of this case: given, or built from its MAC and version.
    pub(crate) fn registration_id(&self) -> dps_cert_gen::RegistrationId {
        use dps_cert_gen::{FirmwareVersion, Mac, RegistrationId};
        match &self.registration_id {
            Some(id) => RegistrationId::new(id).unwrap(),
            None => RegistrationId::from_board(
                &Mac::new(self.mac.as_deref().unwrap()).unwrap(),
                &FirmwareVersion::new(self.firmware_version.as_deref().unwrap()).unwrap(),
            ),
        }
    }

    pub(crate) fn field(&self, name: &str) -> &str {
        self.json[name]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no {name}", self.name))
    }

    pub(crate) fn der(&self) -> Vec<u8> {
        base64_decode(self.field("alias_cert_der_base64"))
    }
}

pub(crate) fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub(crate) fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixtures().join("cases.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().map(str::to_string);
            let registration_id = s("registration_id");
            Case {
                name: s("name").unwrap(),
                bin: fixtures().join(s("bin").unwrap()),
                map: fixtures().join(s("map").unwrap()),
                elf: fixtures().join(s("elf").unwrap()),
                uds: s("uds").unwrap(),
                expected_id: registration_id
                    .clone()
                    .or_else(|| s("expected_registration_id"))
                    .unwrap(),
                registration_id,
                mac: s("mac"),
                firmware_version: s("firmware_version"),
                json: c.clone(),
            }
        })
        .collect()
}

/// The case named `name`.
pub(crate) fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// A fresh folder holding `Name.ino.bin` and `Name.ino.map` copied from a fixture folder
/// (`devkit-a`, ...), in `subdir` of it (`""` or `".build"`).
pub(crate) fn project_dir(fixture: &str, subdir: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(subdir);
    std::fs::create_dir_all(&target).unwrap();
    for ext in ["bin", "map"] {
        std::fs::copy(
            fixtures()
                .join(fixture)
                .join(format!("DevKitDPS.ino.{ext}")),
            target.join(format!("DevKitDPS.ino.{ext}")),
        )
        .unwrap();
    }
    dir
}

/// `-b` and `-m` with the `.bin` and `.map` of `fixtures/devkit-a`.
pub(crate) fn devkit_a_bin_map() -> [String; 4] {
    let dir = fixtures().join("devkit-a");
    [
        "-b".into(),
        dir.join("DevKitDPS.ino.bin").display().to_string(),
        "-m".into(),
        dir.join("DevKitDPS.ino.map").display().to_string(),
    ]
}

/// Every name in `dir`, hidden ones included, sorted; none when `dir` does not exist.
pub(crate) fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

/// The names of the files in `dir` other than the firmware (not recursive), sorted.
pub(crate) fn written_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".ino.bin") && !n.ends_with(".ino.map") && n != ".build")
        .collect();
    names.sort();
    names
}

pub(crate) mod curve_edges;
pub(crate) mod dps_standin;
#[cfg(unix)]
pub(crate) mod pty;
#[cfg(target_os = "linux")]
pub(crate) mod sim_board;
/// The binary under test.
pub(crate) fn bin() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"));
    cmd.env_remove("DPS_UDS");
    // A user's default port would stand in for `auto`.
    cmd.env_remove("DPS_CERT_GEN_PORT");
    cmd
}

/// Standard error without the warning that the vectors' sample UDS (or one near it) always
/// draws when generating (tested in tests/uds_sources.rs).
pub(crate) fn stderr_without_sample_warning(stderr: &[u8]) -> String {
    String::from_utf8(stderr.to_vec())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("warning: this UDS "))
        .map(|l| format!("{l}\n"))
        .collect()
}

impl Case {
    /// The generator's inputs for this case: firmware by -b/-m, UDS (by --uds-file, so that
    /// no `-u` warning is drawn), and -i or
    /// --mac/--firmware-version.
    pub(crate) fn input_args(&self) -> Vec<String> {
        let mut args = vec![
            "-b".to_string(),
            self.bin.display().to_string(),
            "-m".to_string(),
            self.map.display().to_string(),
            "--uds-file".to_string(),
            uds_file(&self.uds).display().to_string(),
        ];
        match &self.registration_id {
            Some(id) => args.extend(["-i".to_string(), id.clone()]),
            None => args.extend([
                "--mac".to_string(),
                self.mac.clone().unwrap(),
                "--firmware-version".to_string(),
                self.firmware_version.clone().unwrap(),
            ]),
        }
        args
    }

    /// The case with this name.
    pub(crate) fn named(name: &str) -> Case {
        cases().into_iter().find(|c| c.name == name).unwrap()
    }
}

/// A file holding `uds`, in a folder of this test process (written once, atomically).
pub(crate) fn uds_file(uds: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dps-cert-gen-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Named by a digest of the UDS, never the UDS itself: the tool names the file it read.
    let digest = <sha2::Sha256 as sha2::Digest>::digest(uds.as_bytes());
    let path = dir.join(format!("{}.uds", hex::encode(digest.get(..8).unwrap())));
    if !path.exists() {
        let tmp = tempfile::NamedTempFile::new_in(&dir).unwrap();
        std::fs::write(tmp.path(), format!("{uds}\n")).unwrap();
        // Another test thread may have written it meanwhile (and, on Windows, a file that
        // a running tool has open cannot be replaced): the first copy in place wins.
        if let Err(e) = tmp.persist_noclobber(&path) {
            assert!(path.exists(), "cannot write {}: {e}", path.display());
        }
    }
    path
}

/// Runs the binary with `args` under an address-space limit of `limit_kib` KiB (`ulimit -v`),
/// so that a run reading or keeping far too much fails. Windows has no `ulimit`: there the
/// binary runs without the limit, and only its answers are checked (the bound on memory is
/// the Unix runs' to prove; the code reading the files is the same).
#[cfg(unix)]
pub(crate) fn run_limited(args: &[String], limit_kib: u64) -> std::process::Output {
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let script = format!(
        "ulimit -v {limit_kib}; exec '{}' {}",
        env!("CARGO_BIN_EXE_dps-cert-gen"),
        quoted.join(" ")
    );
    std::process::Command::new("sh")
        .args(["-c", &script])
        .env_remove("DPS_UDS")
        .output()
        .unwrap()
}

/// See the Unix version: the binary with `args`, without a memory limit.
#[cfg(not(unix))]
pub(crate) fn run_limited(args: &[String], _limit_kib: u64) -> std::process::Output {
    bin().args(args).output().unwrap()
}

/// The one leak check of the suite: neither the UDS (or any other hex secret) nor any piece
/// of it 16 hex digits long appears in `text`, in any case. Masking that hid only whole
/// 64-digit runs, or a cut that kept part of one, fails here.
pub(crate) fn assert_no_uds(text: &str, uds: &str) {
    let text = text.to_lowercase();
    let secret = uds.to_lowercase();
    assert!(
        secret.len() >= 16,
        "the secret given to assert_no_uds is too short"
    );
    for start in 0..=secret.len() - 16 {
        let piece = &secret[start..start + 16];
        assert!(
            !text.contains(piece),
            "a 16-digit piece of the secret ({start}..{}) is shown: {text}",
            start + 16
        );
    }
}
