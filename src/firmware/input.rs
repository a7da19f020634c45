//! A firmware input: which build files make it (`.bin` + `.map`, the `.elf`, or all three,
//! cross-checked), found from what the user named, and measured.

use crate::firmware::files::{self, BuildFiles, FirmwareError};
use crate::firmware::measurement::{self, Measurement};
use std::path::Path;

/// A firmware input, resolved to files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirmwareInput {
    /// A `.bin` and its `.map`.
    BinMap {
        /// The image.
        bin: std::path::PathBuf,
        /// The map.
        map: std::path::PathBuf,
        /// `--flash-origin`, overriding the map's `FLASH` region.
        flash_origin: Option<u64>,
    },
    /// An ELF alone.
    Elf {
        /// The ELF.
        elf: std::path::PathBuf,
    },
    /// An ELF and a `.bin` + `.map`, which must hold the same regions.
    ElfAndBinMap {
        /// The ELF.
        elf: std::path::PathBuf,
        /// The image.
        bin: std::path::PathBuf,
        /// The map.
        map: std::path::PathBuf,
        /// `--flash-origin`, overriding the map's `FLASH` region.
        flash_origin: Option<u64>,
        /// Whether the user named the ELF (`-e`); if it was only found beside the pair
        /// (or by `-p`), an unreadable ELF is a warning, not an error.
        elf_named: bool,
    },
}

impl FirmwareInput {
    /// Finds the files to read: the ELF (`elf`) and/or the `.bin` + `.map` (`pair`) as given
    /// (with the ELF that lies beside the `.bin` or `.map` under the same stem, if any), else
    /// what the project name `project` finds in `build_dir` (default: the current folder,
    /// then its `.build/`).
    pub fn locate(
        elf: Option<&Path>,
        pair: Option<(&Path, &Path)>,
        project: &str,
        build_dir: Option<&Path>,
        flash_origin: Option<u64>,
    ) -> Result<Self, FirmwareError> {
        let (found, elf_named) = match (elf, pair) {
            (elf, Some((bin, map))) => {
                let beside = || {
                    [bin.with_extension("elf"), map.with_extension("elf")]
                        .into_iter()
                        .find(|p| p.is_file())
                };
                let files = BuildFiles::pair_with(
                    bin.to_path_buf(),
                    map.to_path_buf(),
                    elf.map(Path::to_path_buf).or_else(beside),
                );
                (files, elf.is_some())
            }
            (Some(elf), None) => (BuildFiles::Elf(elf.to_path_buf()), true),
            (None, None) => {
                let dir = build_dir.unwrap_or(Path::new("."));
                (files::find_project(project, dir)?, false)
            }
        };
        Self::from_build_files(found, flash_origin, elf_named)
    }

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
