//! Command-line arguments shared by the tool's commands (clap derive), and their
//! resolution into typed inputs. The binary (`main.rs`) assembles these into its commands.

use crate::cli::error::Error;
use dps_cert_gen::firmware::files::{self, BuildFiles, DEFAULT_PROJECT, FirmwareError};
use dps_cert_gen::firmware::measurement::{self, Measurement};
use dps_cert_gen::registration_id::{FirmwareVersion, IdError, Mac, RegistrationId};
use dps_cert_gen::dice::uds::Uds;
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
    /// Project (sketch) name: finds NAME.ino.elf and/or NAME.ino.bin + NAME.ino.map in the build folder.
    #[arg(short = 'p', long = "project", value_name = "NAME", conflicts_with_all = ["bin", "map"])]
    pub project: Option<String>,
    /// Folder holding the build outputs [default: the current folder, then its .build/].
    #[arg(long = "build-dir", value_name = "DIR", conflicts_with_all = ["bin", "map"])]
    pub build_dir: Option<PathBuf>,
    /// The ELF (`NAME.ino.elf`) from the Arduino build: symbols and bytes in one file. With -b and -m, all three must hold the same regions.
    #[arg(short = 'e', long = "elf", value_name = "PATH", conflicts_with_all = ["project", "build_dir"])]
    pub elf: Option<PathBuf>,
    /// Address of the .bin's first byte, for a map that lists no FLASH region (0x0800C000 on an AZ3166).
    #[arg(long = "flash-origin", value_name = "HEX", value_parser = parse_flash_origin)]
    pub flash_origin: Option<u64>,
    /// Report on standard error the files read, the flash origin, the regions and their digests (never the UDS, CDI or keys).
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,
}

/// Parses `--flash-origin`: hex digits, with or without `0x`, `_` allowed between them.
pub fn parse_flash_origin(text: &str) -> Result<u64, String> {
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

/// A firmware input, resolved to files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmwareInput {
    /// A `.bin` and its `.map`.
    BinMap {
        /// The image.
        bin: PathBuf,
        /// The map.
        map: PathBuf,
        /// `--flash-origin`, overriding the map's `FLASH` region.
        flash_origin: Option<u64>,
    },
    /// An ELF alone.
    Elf {
        /// The ELF.
        elf: PathBuf,
    },
    /// An ELF and a `.bin` + `.map`, which must hold the same regions.
    ElfAndBinMap {
        /// The ELF.
        elf: PathBuf,
        /// The image.
        bin: PathBuf,
        /// The map.
        map: PathBuf,
        /// `--flash-origin`, overriding the map's `FLASH` region.
        flash_origin: Option<u64>,
        /// Whether the user named the ELF (`-e`); if it was only found beside the pair
        /// (or by `-p`), an unreadable ELF is a warning, not an error.
        elf_named: bool,
    },
}

impl FirmwareArgs {
    /// Whether the user named the firmware on the command line.
    pub fn is_given(&self) -> bool {
        self.bin.is_some()
            || self.elf.is_some()
            || self.project.is_some()
            || self.build_dir.is_some()
    }

    /// The project name (default `DevKitDPS`).
    pub fn project_name(&self) -> &str {
        self.project.as_deref().unwrap_or(DEFAULT_PROJECT)
    }

    /// Resolves the files to read: `-e` and/or `-b` + `-m` as given (with the ELF that lies
    /// beside the `.bin` or `.map` under the same stem, if any), else what `-p` finds.
    pub fn resolve(&self) -> Result<FirmwareInput, FirmwareError> {
        let (files, elf_named) = match (&self.elf, &self.bin, &self.map) {
            (elf, Some(bin), Some(map)) => {
                let beside = || {
                    [bin.with_extension("elf"), map.with_extension("elf")]
                        .into_iter()
                        .find(|p| p.is_file())
                };
                let files =
                    BuildFiles::pair_with(bin.clone(), map.clone(), elf.clone().or_else(beside));
                (files, elf.is_some())
            }
            (Some(elf), _, _) => (BuildFiles::Elf(elf.clone()), true),
            _ => {
                let dir = self.build_dir.as_deref().unwrap_or(Path::new("."));
                (files::find_project(self.project_name(), dir)?, false)
            }
        };
        FirmwareInput::from_build_files(files, self.flash_origin, elf_named)
    }
}

impl FirmwareInput {
    /// The input for files found or named, with an optional `--flash-origin`; `elf_named`
    /// says whether the user named the ELF (then an unreadable ELF is an error).
    pub fn from_build_files(
        files: BuildFiles,
        flash_origin: Option<u64>,
        elf_named: bool,
    ) -> Result<Self, FirmwareError> {
        match files {
            BuildFiles::Elf(elf) if flash_origin.is_some() => {
                Err(FirmwareError::FlashOriginWithoutMap { elf })
            }
            BuildFiles::Elf(elf) => Ok(FirmwareInput::Elf { elf }),
            BuildFiles::BinMap(bin, map) => Ok(FirmwareInput::BinMap {
                bin,
                map,
                flash_origin,
            }),
            BuildFiles::All { elf, bin, map } => Ok(FirmwareInput::ElfAndBinMap {
                elf,
                bin,
                map,
                flash_origin,
                elf_named,
            }),
        }
    }

    /// Reads the files and measures the two regions, with the consistency warnings and the
    /// facts `-v/--verbose` reports (see [`Measurement`]).
    pub fn measure(&self) -> Result<Measurement, FirmwareError> {
        match self {
            FirmwareInput::BinMap {
                bin,
                map,
                flash_origin,
            } => measurement::measure_bin_map(bin, map, *flash_origin),
            FirmwareInput::Elf { elf } => measurement::measure_elf_file(elf),
            FirmwareInput::ElfAndBinMap {
                elf,
                bin,
                map,
                flash_origin,
                elf_named,
            } => measurement::measure_cross_checked(elf, bin, map, *flash_origin, *elf_named),
        }
    }

    /// The files this input reads.
    pub fn files(&self) -> Vec<&Path> {
        match self {
            FirmwareInput::BinMap { bin, map, .. } => vec![bin, map],
            FirmwareInput::Elf { elf } => vec![elf],
            FirmwareInput::ElfAndBinMap { elf, bin, map, .. } => vec![elf, bin, map],
        }
    }

    /// The files, for reports.
    pub fn describe(&self) -> String {
        match self {
            FirmwareInput::BinMap { bin, map, .. } => {
                format!("{} + {}", bin.display(), map.display())
            }
            FirmwareInput::Elf { elf } => elf.display().to_string(),
            FirmwareInput::ElfAndBinMap { elf, bin, map, .. } => {
                format!("{} + {} + {}", elf.display(), bin.display(), map.display())
            }
        }
    }
}

/// Where the UDS comes from. Its `Debug` shows whether `-u` was given, never the digits.
#[derive(Clone, Default, Args)]
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
