//! Shared by the integration tests: the vector cases from `fixtures/cases.json`.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub struct Case {
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
    pub fn field(&self, name: &str) -> &str {
        self.json[name]
            .as_str()
            .unwrap_or_else(|| panic!("{}: no {name}", self.name))
    }

    pub fn der(&self) -> Vec<u8> {
        base64_decode(self.field("alias_cert_der_base64"))
    }
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

pub fn cases() -> Vec<Case> {
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

/// The binary under test.
pub fn bin() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
}

impl Case {
    /// The generator's inputs for this case: firmware by -b/-m, UDS, and -i or
    /// --mac/--firmware-version.
    pub fn input_args(&self) -> Vec<String> {
        let mut args = vec![
            "-b".to_string(),
            self.bin.display().to_string(),
            "-m".to_string(),
            self.map.display().to_string(),
            "-u".to_string(),
            self.uds.clone(),
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
    pub fn named(name: &str) -> Case {
        cases().into_iter().find(|c| c.name == name).unwrap()
    }
}
