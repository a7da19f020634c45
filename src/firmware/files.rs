//! Firmware input: finding the build outputs (`NAME.ino.bin` + `NAME.ino.map`, and
//! `NAME.ino.elf`), reading them, and measuring the two regions. Only the bytes of the regions are read from the
//! `.bin`, so a large image costs no more than a small one.

use crate::firmware::consistency::BuildMismatch;
use crate::firmware::elf_file::ElfError;
use crate::firmware::map_file::{MapError, MapFile};
use crate::firmware::regions::{MeasuredRegions, Region, RegionError, RegionLayout};
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The project name the DevKit tutorial uses.
pub const DEFAULT_PROJECT: &str = "DevKitDPS";

/// Why the firmware could not be measured.
#[derive(Debug, Error)]
pub enum FirmwareError {
    /// A file could not be read. The message names the file; the system's reason is the
    /// source, for the caller to word.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The project's files were not found.
    #[error("cannot find {name}.ino.elf, or {name}.ino.bin and {name}.ino.map, in {searched}")]
    ProjectNotFound {
        /// Project name.
        name: String,
        /// The folders searched, as text.
        searched: String,
    },
    /// The map is malformed.
    #[error("{}: {source}", path.display())]
    Map {
        /// The map.
        path: PathBuf,
        /// What is wrong.
        source: MapError,
    },
    /// The file given as the map is not a linker map at all (a `.bin`, an `.elf`, a text).
    #[error("{} is not a linker map{kind}: a map (NAME.ino.map, which the Arduino build writes beside the .bin) is text with the parts \"Memory Configuration\" and \"Linker script and memory map\"", path.display())]
    NotAMap {
        /// The file.
        path: PathBuf,
        /// What it seems to be instead (" (it is an ELF file)"), or nothing.
        kind: &'static str,
    },
    /// No `FLASH` region in the map.
    #[error("{} has no FLASH memory region under \"Memory Configuration\", so the address of the .bin's first byte is unknown", path.display())]
    NoFlashRegion {
        /// The map.
        path: PathBuf,
    },
    /// Riot symbols missing.
    #[error("{} does not define {}; the firmware was probably not built with the DevKit DPS library (its linker script defines the riot_core and riot_fw regions)", path.display(), missing.join(", "))]
    MissingSymbols {
        /// The map.
        path: PathBuf,
        /// The missing symbol names.
        missing: Vec<&'static str>,
    },
    /// The regions do not fit the image.
    #[error(transparent)]
    Region(#[from] RegionError),
    /// The ELF cannot be measured.
    #[error("{}: {source}", path.display())]
    Elf {
        /// The ELF.
        path: PathBuf,
        /// What is wrong.
        source: ElfError,
    },
    /// The ELF and the `.bin` + `.map` describe different firmware.
    #[error(transparent)]
    Mismatch(#[from] BuildMismatch),
    /// A `.map` or `.elf` far larger than any DevKit build's.
    #[error(
        "{} is larger than {} MiB, far more than a map or ELF of AZ3166 firmware can be (its whole flash is 1 MiB)",
        path.display(),
        crate::limits::MAX_FIRMWARE_FILE_BYTES >> 20
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its length (for a pipe or device: how much was read before giving up).
        len: u64,
    },
    /// A flash origin given, but no map to apply it to.
    #[error(
        "a flash origin applies to a .map (it is the address of the .bin's first byte), but the firmware is read from the ELF {}, which holds its own addresses",
        elf.display()
    )]
    FlashOriginWithoutMap {
        /// The ELF that is measured instead.
        elf: PathBuf,
    },
}

fn read_error(path: &Path, source: io::Error) -> FirmwareError {
    FirmwareError::Read {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a whole file, with an error that names it.
pub fn read_file(path: &Path) -> Result<Vec<u8>, FirmwareError> {
    if path.is_dir() {
        return Err(read_error(
            path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    std::fs::read(path).map_err(|e| read_error(path, e))
}

/// Reads a whole `.map` or `.elf`, refusing one larger than
/// [`crate::limits::MAX_FIRMWARE_FILE_BYTES`] unread.
pub fn read_firmware_file(path: &Path) -> Result<Vec<u8>, FirmwareError> {
    use crate::limits::{Bounded, MAX_FIRMWARE_FILE_BYTES, read_at_most};
    if path.is_dir() {
        return Err(read_error(
            path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    match read_at_most(path, MAX_FIRMWARE_FILE_BYTES).map_err(|e| read_error(path, e))? {
        Bounded::Read(bytes) => Ok(bytes),
        Bounded::TooLarge(len) => Err(FirmwareError::TooLarge {
            path: path.to_path_buf(),
            len,
        }),
    }
}

/// Build outputs to measure: the ELF, the `.bin` + `.map` pair, or all three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildFiles {
    /// `NAME.ino.elf` alone.
    Elf(PathBuf),
    /// `NAME.ino.bin` and `NAME.ino.map`.
    BinMap(PathBuf, PathBuf),
    /// All three.
    All {
        /// The ELF.
        elf: PathBuf,
        /// The image.
        bin: PathBuf,
        /// The map.
        map: PathBuf,
    },
}

impl BuildFiles {
    /// The pair, with the ELF if there is one.
    pub fn pair_with(bin: PathBuf, map: PathBuf, elf: Option<PathBuf>) -> Self {
        match elf {
            Some(elf) => BuildFiles::All { elf, bin, map },
            None => BuildFiles::BinMap(bin, map),
        }
    }
}

/// Finds `NAME.ino.elf` and the pair `NAME.ino.bin` + `NAME.ino.map` in `dir`, or else in
/// `dir/.build`: the first folder that holds the ELF or the pair wins, and all three are
/// returned when it holds all three.
pub fn find_project(name: &str, dir: &Path) -> Result<BuildFiles, FirmwareError> {
    let candidates = [dir.to_path_buf(), dir.join(".build")];
    for folder in &candidates {
        let bin = folder.join(format!("{name}.ino.bin"));
        let map = folder.join(format!("{name}.ino.map"));
        let elf = folder.join(format!("{name}.ino.elf"));
        let elf = elf.is_file().then_some(elf);
        if bin.is_file() && map.is_file() {
            return Ok(BuildFiles::pair_with(bin, map, elf));
        }
        if let Some(elf) = elf {
            return Ok(BuildFiles::Elf(elf));
        }
    }
    Err(FirmwareError::ProjectNotFound {
        name: name.to_string(),
        searched: candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" and "),
    })
}

/// The region layout a map describes.
pub fn layout_from_map(map: &MapFile, map_path: &Path) -> Result<RegionLayout, FirmwareError> {
    layout_with_origin(map, map_path, None)
}

/// The region layout a map describes, with the flash origin `flash_origin` when given
/// instead of the map's `FLASH` region.
pub fn layout_with_origin(
    map: &MapFile,
    map_path: &Path,
    flash_origin: Option<u64>,
) -> Result<RegionLayout, FirmwareError> {
    let missing = map.missing_symbols();
    if !missing.is_empty() {
        return Err(FirmwareError::MissingSymbols {
            path: map_path.to_path_buf(),
            missing,
        });
    }
    let origin = flash_origin
        .or(map.flash_origin.map(|l| l.value))
        .ok_or_else(|| FirmwareError::NoFlashRegion {
            path: map_path.to_path_buf(),
        })?;
    // (All four are there, as checked above.)
    let sym = |s: &'static str| {
        map.symbol(s).ok_or_else(|| FirmwareError::MissingSymbols {
            path: map_path.to_path_buf(),
            missing: vec![s],
        })
    };
    Ok(RegionLayout {
        flash_origin: origin,
        riot_core: Region {
            start: sym("__start_riot_core")?,
            stop: sym("__stop_riot_core")?,
        },
        riot_fw: Region {
            start: sym("__start_riot_fw")?,
            stop: sym("__stop_riot_fw")?,
        },
    })
}

/// Refuses a file given as the map that is not one (no GNU ld map headers): said as such,
/// rather than as a map that lacks the riot symbols.
pub fn check_is_map(text: &[u8], map_path: &Path) -> Result<(), FirmwareError> {
    // Any line end: LF, CRLF, or CR alone (the map reader takes all three).
    let has_line = |header: &[u8]| {
        text.split(|&b| b == b'\n' || b == b'\r')
            .any(|line| line.trim_ascii() == header)
    };
    if has_line(b"Memory Configuration") || has_line(b"Linker script and memory map") {
        return Ok(());
    }
    let kind = if text.starts_with(b"\x7fELF") {
        " (it is an ELF file)"
    } else if text.contains(&0) || std::str::from_utf8(text).is_err() {
        " (it is binary data, such as a .bin)"
    } else {
        ""
    };
    Err(FirmwareError::NotAMap {
        path: map_path.to_path_buf(),
        kind,
    })
}

/// The length of a `.bin` file, with an error that names it.
pub fn bin_len(bin_path: &Path) -> Result<u64, FirmwareError> {
    if bin_path.is_dir() {
        return Err(read_error(
            bin_path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    std::fs::metadata(bin_path)
        .map(|m| m.len())
        .map_err(|e| read_error(bin_path, e))
}

/// Reads just the two regions out of a `.bin` file.
pub fn measure_bin(
    bin_path: &Path,
    layout: &RegionLayout,
) -> Result<MeasuredRegions, FirmwareError> {
    if bin_path.is_dir() {
        return Err(read_error(
            bin_path,
            io::Error::from(io::ErrorKind::IsADirectory),
        ));
    }
    let mut file = File::open(bin_path).map_err(|e| read_error(bin_path, e))?;
    let len = file.metadata().map_err(|e| read_error(bin_path, e))?.len();
    let [(cb, ce), (fb, fe)] = layout.offsets(len)?;
    let mut read = |begin: u64, end: u64| -> Result<Vec<u8>, FirmwareError> {
        let mut buf = Vec::new();
        file.seek(SeekFrom::Start(begin))
            .map_err(|e| read_error(bin_path, e))?;
        (&mut file)
            .take(end - begin)
            .read_to_end(&mut buf)
            .map_err(|e| read_error(bin_path, e))?;
        if buf.len() as u64 != end - begin {
            return Err(read_error(
                bin_path,
                io::Error::from(io::ErrorKind::UnexpectedEof),
            ));
        }
        Ok(buf)
    };
    let core = read(cb, ce)?;
    let fw = read(fb, fe)?;
    Ok(MeasuredRegions::new(core, fw)?)
}
