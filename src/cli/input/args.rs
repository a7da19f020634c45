//! Command-line arguments shared by the tool's commands (clap derive), and their
//! resolution into typed inputs. The binary (`main.rs`) assembles these into its commands.

use clap::Args;
use dps_cert_gen::board::port_choice::PortRequest;
use dps_cert_gen::dice::uds::{Uds, UdsDecoration, UdsError};
use dps_cert_gen::firmware::files::{DEFAULT_PROJECT, FirmwareError};
pub(crate) use dps_cert_gen::firmware::input::FirmwareInput;
use dps_cert_gen::registration_id::{FirmwareVersion, IdError, Mac, RegistrationId};
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Where the firmware comes from.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct FirmwareArgs {
    /// The flash image (`NAME.ino.bin`) from the Arduino build.
    #[arg(short = 'b', long = "bin", value_name = "PATH", requires = "map")]
    pub bin: Option<PathBuf>,
    /// The linker map (`NAME.ino.map`) written by the same build.
    #[arg(short = 'm', long = "map", value_name = "PATH", requires = "bin")]
    pub map: Option<PathBuf>,
    /// Sketch name: finds NAME.ino.elf, or .bin + .map, in the build folder.
    #[arg(short = 'p', long = "project", value_name = "NAME", conflicts_with_all = ["bin", "map"])]
    pub project: Option<String>,
    /// Folder of the build outputs [default: ., then .build/].
    #[arg(long = "build-dir", value_name = "DIR", conflicts_with_all = ["bin", "map"])]
    pub build_dir: Option<PathBuf>,
    /// The ELF (`NAME.ino.elf`): symbols and bytes in one file.
    #[arg(short = 'e', long = "elf", value_name = "PATH", conflicts_with_all = ["project", "build_dir"])]
    pub elf: Option<PathBuf>,
    /// Address of the .bin's first byte, when the map lists no FLASH region.
    #[arg(long = "flash-origin", value_name = "HEX", value_parser = parse_flash_origin)]
    pub flash_origin: Option<u64>,
    /// Report the files, regions and digests read (never secrets).
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

/// Parses `--flash-origin`: hex digits, with or without `0x`, `_` allowed between them.
pub(crate) fn parse_flash_origin(text: &str) -> Result<u64, String> {
    let digits = text.trim();
    let digits = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
        .unwrap_or(digits)
        .replace('_', "");
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("expected a hex address such as 0x0800C000".to_string());
    }
    u64::from_str_radix(&digits, 16).map_err(|e| e.to_string())
}

impl FirmwareArgs {
    /// Whether the user named the firmware on the command line.
    pub(crate) fn is_given(&self) -> bool {
        self.bin.is_some()
            || self.elf.is_some()
            || self.project.is_some()
            || self.build_dir.is_some()
    }

    /// The project name (default `DevKitDPS`).
    pub(crate) fn project_name(&self) -> &str {
        self.project.as_deref().unwrap_or(DEFAULT_PROJECT)
    }

    /// Resolves the files to read (see [`FirmwareInput::locate`]); a FIFO or a socket among
    /// them is refused unopened (it could wait for ever; a `.bin` is read at offsets).
    pub(crate) fn resolve(&self) -> Result<FirmwareInput, FirmwareError> {
        let pair = self.bin.as_deref().zip(self.map.as_deref());
        let given = [
            self.elf.as_deref(),
            self.bin.as_deref(),
            self.map.as_deref(),
        ];
        for path in given.into_iter().flatten() {
            if let Some(reason) = crate::cli::sys::input_kind::refusal(path, None) {
                return Err(FirmwareError::Read {
                    path: path.to_path_buf(),
                    // The refusal's words, as the system's reason would be.
                    source: std::io::Error::other(reason),
                });
            }
        }
        FirmwareInput::locate(
            self.elf.as_deref(),
            pair,
            self.project_name(),
            self.build_dir.as_deref(),
            self.flash_origin,
        )
    }
}

/// Where the UDS comes from. Its `Debug` shows whether `-u` was given, never the digits.
#[derive(Clone, Default, Args)]
pub(crate) struct UdsArgs {
    /// The board's UDS in hex (stays in shell history: prefer --uds-file).
    #[arg(short = 'u', long = "uds", value_name = "HEX")]
    pub uds: Option<String>,
    /// Read the UDS from a file ('-' for standard input).
    #[arg(long = "uds-file", value_name = "PATH")]
    pub uds_file: Option<PathBuf>,
}

impl UdsArgs {
    /// The UDS text from the command line, if any.
    pub(crate) fn text(&self) -> Option<Zeroizing<String>> {
        self.uds
            .as_ref()
            .map(|s| Zeroizing::new(s.trim().to_string()))
    }

    /// Parses the UDS given on the command line, if any (as pasted: see
    /// [`Uds::from_pasted`]), with what was taken off around its digits.
    pub(crate) fn resolve(&self) -> Result<Option<(Uds, Option<UdsDecoration>)>, UdsError> {
        match self.text() {
            Some(text) => Ok(Some(Uds::from_pasted(&text)?)),
            None => Ok(None),
        }
    }
}

impl std::fmt::Debug for UdsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdsArgs")
            .field("uds", &self.uds.as_ref().map(|_| "<secret>"))
            .field("uds_file", &self.uds_file)
            .finish()
    }
}

impl Drop for UdsArgs {
    fn drop(&mut self) {
        if let Some(s) = self.uds.as_mut() {
            zeroize::Zeroize::zeroize(s);
        }
    }
}

/// How long to wait for the board (`--timeout SECS`, of `--board` and of the `board`
/// commands): its range, default and parser are defined here once; each command words its
/// help.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeout {
    secs: u64,
}

impl Timeout {
    /// The default, in seconds.
    const DEFAULT_SECS: u64 = 60;
    /// The longest wait accepted, in seconds (a day).
    const MAX_SECS: u64 = 86_400;

    /// The wait.
    pub(crate) fn duration(self) -> std::time::Duration {
        std::time::Duration::from_secs(self.secs)
    }

    /// The wait, in seconds.
    pub(crate) fn secs(self) -> u64 {
        self.secs
    }
}

impl Default for Timeout {
    fn default() -> Self {
        Self {
            secs: Self::DEFAULT_SECS,
        }
    }
}

impl std::fmt::Display for Timeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.secs)
    }
}

impl clap::builder::ValueParserFactory for Timeout {
    type Parser =
        clap::builder::MapValueParser<clap::builder::RangedU64ValueParser<u64>, fn(u64) -> Timeout>;

    fn value_parser() -> Self::Parser {
        use clap::builder::TypedValueParser;
        clap::builder::RangedU64ValueParser::<u64>::new()
            .range(1..=Self::MAX_SECS)
            .map(|secs| Timeout { secs })
    }
}

/// Where the registration ID comes from.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct IdArgs {
    /// Registration ID (the certificate's CN): a-z, 0-9 and '-', at most 64.
    #[arg(short = 'i', long = "registration-id", value_name = "ID", conflicts_with_all = ["mac", "firmware_version", "board"])]
    pub registration_id: Option<String>,
    /// The board's MAC address, for the ID the board uses when none is set.
    #[arg(long = "mac", value_name = "MAC", requires = "firmware_version")]
    pub mac: Option<String>,
    /// The firmware version the board prints at boot, with --mac.
    #[arg(long = "firmware-version", value_name = "X.Y.Z", requires = "mac")]
    pub firmware_version: Option<String>,
    /// Read the ID from the board on this serial port ('auto': the port DPS_CERT_GEN_PORT names if set, else the one plugged in).
    #[arg(long = "board", value_name = "PORT", conflicts_with_all = ["mac", "firmware_version"])]
    pub board: Option<PortRequest>,
    /// With --board: give up waiting for the board after this many seconds.
    #[arg(long = "timeout", value_name = "SECS", default_value_t)]
    pub timeout: Timeout,
}

impl IdArgs {
    /// The registration ID, if given.
    pub(crate) fn resolve(&self) -> Result<Option<RegistrationId>, IdError> {
        if let Some(id) = &self.registration_id {
            return RegistrationId::new(id).map(Some);
        }
        match (&self.mac, &self.firmware_version) {
            (Some(mac), Some(version)) => Ok(Some(RegistrationId::from_board(
                &Mac::new(mac)?,
                &FirmwareVersion::new(version)?,
            ))),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::commands::generate::GenerateArgs;
    use crate::cli::input::uds_source::EnvUds;

    const UDS: &str = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";

    fn assert_hides_uds(shown: &str, what: &str) {
        for s in [
            UDS.to_string(),
            UDS.to_uppercase(),
            UDS[..16].to_string(),
            UDS[..16].to_uppercase(),
        ] {
            assert!(!shown.contains(&s), "{what} shows {s}: {shown}");
        }
    }

    #[test]
    fn debug_of_the_arguments_holding_a_uds_hides_it() {
        let args = UdsArgs {
            uds: Some(UDS.to_string()),
            uds_file: None,
        };
        assert_hides_uds(&format!("{args:?}"), "UdsArgs");
        let generate_args = GenerateArgs {
            uds: args.clone(),
            ..Default::default()
        };
        assert_hides_uds(&format!("{generate_args:?}"), "GenerateArgs");
        assert!(format!("{args:?}").contains("<secret>"));
        let env = EnvUds::default();
        assert_eq!(format!("{env:?}"), "EnvUds(None)");
    }
}
