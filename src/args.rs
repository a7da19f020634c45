//! Command-line arguments shared by the tool's commands (clap derive), and their
//! resolution into typed inputs. The binary (`main.rs`) assembles these into its commands.

use crate::error::Error;
use crate::firmware::{self, DEFAULT_PROJECT, FirmwareError};
use crate::regions::MeasuredRegions;
use crate::registration_id::{FirmwareVersion, IdError, Mac, RegistrationId};
use crate::uds::Uds;
use clap::Args;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Where the firmware comes from.
#[derive(Debug, Clone, Default, Args)]
pub struct FirmwareArgs {
    /// The flash image (`NAME.ino.bin`) from the Arduino build.
    #[arg(short = 'b', long = "bin", value_name = "PATH", requires = "map")]
    pub bin: Option<PathBuf>,
    /// The linker map (`NAME.ino.map`) written by the same build.
    #[arg(short = 'm', long = "map", value_name = "PATH", requires = "bin")]
    pub map: Option<PathBuf>,
    /// Project (sketch) name: finds NAME.ino.bin and NAME.ino.map in the build folder.
    #[arg(short = 'p', long = "project", value_name = "NAME", conflicts_with_all = ["bin", "map"])]
    pub project: Option<String>,
    /// Folder holding the build outputs [default: the current folder, then its .build/].
    #[arg(long = "build-dir", value_name = "DIR", conflicts_with_all = ["bin", "map"])]
    pub build_dir: Option<PathBuf>,
}

/// A firmware input, resolved to files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmwareInput {
    /// A `.bin` and its `.map`.
    BinMap {
        /// The image.
        bin: PathBuf,
        /// The map.
        map: PathBuf,
    },
}

impl FirmwareArgs {
    /// Whether the user named the firmware on the command line.
    pub fn is_given(&self) -> bool {
        self.bin.is_some() || self.project.is_some() || self.build_dir.is_some()
    }

    /// The project name (default `DevKitDPS`).
    pub fn project_name(&self) -> &str {
        self.project.as_deref().unwrap_or(DEFAULT_PROJECT)
    }

    /// Resolves the files to read.
    pub fn resolve(&self) -> Result<FirmwareInput, FirmwareError> {
        if let (Some(bin), Some(map)) = (&self.bin, &self.map) {
            return Ok(FirmwareInput::BinMap {
                bin: bin.clone(),
                map: map.clone(),
            });
        }
        let dir = self.build_dir.as_deref().unwrap_or(Path::new("."));
        let (bin, map) = firmware::find_project(self.project_name(), dir)?;
        Ok(FirmwareInput::BinMap { bin, map })
    }
}

impl FirmwareInput {
    /// Reads the files and measures the two regions.
    pub fn measure(&self) -> Result<MeasuredRegions, FirmwareError> {
        match self {
            FirmwareInput::BinMap { bin, map } => firmware::measure_bin_map(bin, map),
        }
    }

    /// The files, for reports.
    pub fn describe(&self) -> String {
        match self {
            FirmwareInput::BinMap { bin, map } => {
                format!("{} + {}", bin.display(), map.display())
            }
        }
    }
}

/// Where the UDS comes from.
#[derive(Debug, Clone, Default, Args)]
pub struct UdsArgs {
    /// The board's UDS, 64 hex digits (shows in shell history: prefer --uds-file or DPS_UDS)
    ///
    /// The Unique Device Secret, in either case, as set on the board with `set_dps_uds`.
    /// It stays in the shell history and shows in the process list: prefer --uds-file or the
    /// DPS_UDS environment variable. Taken first of -u, --uds-file, DPS_UDS; when none is given
    /// and standard input is a terminal, it is asked for without echo.
    #[arg(short = 'u', long = "uds", value_name = "HEX")]
    pub uds: Option<String>,
    /// Read the UDS from a file ('-' for standard input); surrounding white space is ignored.
    #[arg(long = "uds-file", value_name = "PATH")]
    pub uds_file: Option<PathBuf>,
}

impl UdsArgs {
    /// The UDS text from the command line, if any.
    pub fn text(&self) -> Option<Zeroizing<String>> {
        self.uds
            .as_ref()
            .map(|s| Zeroizing::new(s.trim().to_string()))
    }

    /// Parses the UDS given on the command line, if any.
    pub fn resolve(&self) -> Result<Option<Uds>, Error> {
        match self.text() {
            Some(text) => Ok(Some(Uds::from_hex(&text)?)),
            None => Ok(None),
        }
    }
}

impl Drop for UdsArgs {
    fn drop(&mut self) {
        if let Some(s) = self.uds.as_mut() {
            zeroize::Zeroize::zeroize(s);
        }
    }
}

/// Where the registration ID comes from.
#[derive(Debug, Clone, Default, Args)]
pub struct IdArgs {
    /// Registration ID (the certificate's subject CN): a-z, 0-9 and '-', at most 64 for DPS.
    #[arg(short = 'i', long = "registration-id", value_name = "ID", conflicts_with_all = ["mac", "firmware_version"])]
    pub registration_id: Option<String>,
    /// The board's MAC address, to build the ID the board uses when none is set.
    #[arg(long = "mac", value_name = "MAC", requires = "firmware_version")]
    pub mac: Option<String>,
    /// The DevKit firmware version printed at boot (X.Y.Z), with --mac.
    #[arg(long = "firmware-version", value_name = "X.Y.Z", requires = "mac")]
    pub firmware_version: Option<String>,
}

impl IdArgs {
    /// Whether an ID (or MAC + version) was given.
    pub fn is_given(&self) -> bool {
        self.registration_id.is_some() || self.mac.is_some()
    }

    /// The registration ID, if given.
    pub fn resolve(&self) -> Result<Option<RegistrationId>, IdError> {
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
