//! Measuring a firmware input, whichever files it is made of (`.bin` + `.map`, `.elf`, or
//! both, cross-checked), with the consistency warnings and the facts a verbose report
//! shows: files read, flash origin, the regions and their digests. No secret is involved.

use crate::firmware::consistency::{Extent, same_addresses, same_bytes};
use crate::firmware::elf_file::measure_elf;
use crate::firmware::files::{
    FirmwareError, bin_len, layout_with_origin, measure_bin, read_firmware_file,
};
use crate::firmware::map_file::MapFile;
use crate::firmware::regions::{MeasuredRegions, RegionLayout};
use std::fmt;
use std::path::{Path, PathBuf};

/// Where the flash origin (the address of the image's first byte) came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginSource {
    /// The map's `FLASH` memory region, on this line.
    MapFlashRegion {
        /// The map.
        map: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// Given by the caller.
    Override,
    /// The lowest load address of the ELF's loadable segments (informative only: an ELF's
    /// bytes are read from its sections).
    ElfSegments,
}

/// Something the user should know about the firmware input; it was measured all the same.
#[derive(Debug)]
pub enum FirmwareWarning {
    /// The flash origin given is not the one the map's `FLASH` region lists.
    OriginOverridden {
        /// The origin given.
        given: u64,
        /// The origin the map lists.
        listed: u64,
        /// The map.
        map: PathBuf,
        /// The map's line that lists it.
        line: usize,
    },
    /// The map describes an image of another length than the `.bin`'s (the whole sentence).
    ImageLength(String),
    /// The ELF is not for 32-bit ARM.
    ForeignArchitecture {
        /// The ELF.
        elf: PathBuf,
        /// Its machine and class, e.g. `X86_64 (64-bit)`.
        architecture: String,
    },
    /// The ELF found beside the `.bin` + `.map` cannot be measured, so the pair was measured
    /// alone, not compared with it.
    ElfNotCompared(FirmwareError),
}

impl fmt::Display for FirmwareWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FirmwareWarning::OriginOverridden {
                given,
                listed,
                map,
                line,
            } => write!(
                f,
                "the flash origin given, 0x{given:08x}, overrides the FLASH origin 0x{listed:08x} that {} lists on line {line}",
                map.display()
            ),
            FirmwareWarning::ImageLength(text) => f.write_str(text),
            FirmwareWarning::ForeignArchitecture { elf, architecture } => write!(
                f,
                "{} is an ELF for {architecture}, not 32-bit ARM like the AZ3166's firmware; measured anyway, but the certificate only matches a board that runs exactly these bytes",
                elf.display()
            ),
            FirmwareWarning::ElfNotCompared(e) => write!(
                f,
                "the .bin + .map were not compared with the ELF beside them: {e}"
            ),
        }
    }
}

/// A measured firmware input.
#[derive(Debug)]
pub struct Measurement {
    /// The region bytes.
    pub regions: MeasuredRegions,
    /// The region addresses and the flash origin.
    pub layout: RegionLayout,
    /// Where the flash origin came from.
    pub origin_source: OriginSource,
    /// The files read, with their lengths in bytes.
    pub files: Vec<(PathBuf, u64)>,
    /// The image length the map describes, when a map was read and lists its sections.
    pub map_extent: Option<Extent>,
    /// For an ELF: the section or segment holding each region.
    pub elf_holders: Option<[String; 2]>,
    /// Whether the ELF and the `.bin` + `.map` were both measured and agree.
    pub cross_checked: bool,
    /// Warnings for the user.
    pub warnings: Vec<FirmwareWarning>,
}

/// A map, read and resolved to a layout.
struct MapRead {
    map: MapFile,
    layout: RegionLayout,
    origin_source: OriginSource,
    text_len: u64,
    warnings: Vec<FirmwareWarning>,
}

/// Reads a map and resolves its layout, with `flash_origin` (when given) overriding its
/// `FLASH` region.
fn read_map(map_path: &Path, flash_origin: Option<u64>) -> Result<MapRead, FirmwareError> {
    let text = read_firmware_file(map_path)?;
    crate::firmware::files::check_is_map(&text, map_path)?;
    let map = MapFile::parse(&text).map_err(|source| FirmwareError::Map {
        path: map_path.to_path_buf(),
        source,
    })?;
    let layout = layout_with_origin(&map, map_path, flash_origin)?;
    let mut warnings = Vec::new();
    let origin_source = match (flash_origin, map.flash_origin) {
        (Some(given), Some(listed)) => {
            if given != listed.value {
                warnings.push(FirmwareWarning::OriginOverridden {
                    given,
                    listed: listed.value,
                    map: map_path.to_path_buf(),
                    line: listed.line,
                });
            }
            OriginSource::Override
        }
        (None, Some(listed)) => OriginSource::MapFlashRegion {
            map: map_path.to_path_buf(),
            line: listed.line,
        },
        // layout_with_origin() has failed when there is neither.
        (_, None) => OriginSource::Override,
    };
    Ok(MapRead {
        map,
        layout,
        origin_source,
        text_len: text.len() as u64,
        warnings,
    })
}

/// Measures the `.bin` with a map already read; warns when the map's image extent is not
/// the `.bin`'s length.
fn measure_with_map(
    bin: &Path,
    map_path: &Path,
    read: MapRead,
) -> Result<Measurement, FirmwareError> {
    let MapRead {
        map,
        layout,
        origin_source,
        text_len,
        mut warnings,
    } = read;
    let len = bin_len(bin)?;
    let map_extent = Extent::of(&map, layout.flash_origin);
    warnings.extend(
        map_extent
            .as_ref()
            .and_then(|e| e.warning(map_path, bin, len))
            .map(FirmwareWarning::ImageLength),
    );
    let regions = measure_bin(bin, &layout)?;
    Ok(Measurement {
        regions,
        layout,
        origin_source,
        files: vec![(bin.to_path_buf(), len), (map_path.to_path_buf(), text_len)],
        map_extent,
        elf_holders: None,
        cross_checked: false,
        warnings,
    })
}

/// Measures a `.bin` + `.map` pair, with `flash_origin` (when given) overriding the map's
/// `FLASH` region; warns when the map's image extent is not the `.bin`'s length.
pub fn measure_bin_map(
    bin: &Path,
    map: &Path,
    flash_origin: Option<u64>,
) -> Result<Measurement, FirmwareError> {
    measure_with_map(bin, map, read_map(map, flash_origin)?)
}

/// Measures an ELF alone; warns when it is not for 32-bit little-endian ARM.
pub fn measure_elf_file(elf: &Path) -> Result<Measurement, FirmwareError> {
    let data = read_firmware_file(elf)?;
    let measured = measure_elf(&data).map_err(|source| FirmwareError::Elf {
        path: elf.to_path_buf(),
        source,
    })?;
    let warnings = measured
        .foreign_architecture
        .iter()
        .map(|arch| FirmwareWarning::ForeignArchitecture {
            elf: elf.to_path_buf(),
            architecture: arch.clone(),
        })
        .collect();
    Ok(Measurement {
        regions: measured.regions,
        layout: measured.layout,
        origin_source: OriginSource::ElfSegments,
        files: vec![(elf.to_path_buf(), data.len() as u64)],
        map_extent: None,
        elf_holders: Some(measured.holders),
        cross_checked: false,
        warnings,
    })
}

/// Measures the ELF and the `.bin` + `.map` and requires the same regions (addresses and
/// bytes). When `elf_named` is false the ELF was only found beside the pair: if it cannot
/// be measured, that is a warning and the pair alone is measured.
pub fn measure_cross_checked(
    elf: &Path,
    bin: &Path,
    map: &Path,
    flash_origin: Option<u64>,
    elf_named: bool,
) -> Result<Measurement, FirmwareError> {
    let from_elf = match measure_elf_file(elf) {
        Ok(m) => m,
        Err(e) if !elf_named => {
            let mut alone = measure_bin_map(bin, map, flash_origin)?;
            alone.warnings.insert(0, FirmwareWarning::ElfNotCompared(e));
            return Ok(alone);
        }
        Err(e) => return Err(e),
    };
    let map_read = read_map(map, flash_origin)?;
    same_addresses(elf, &from_elf.layout, map, &map_read.layout)?;
    let mut pair = measure_with_map(bin, map, map_read)?;
    same_bytes(elf, &from_elf.regions, bin, &pair.regions, &pair.layout)?;
    let mut files = from_elf.files;
    files.append(&mut pair.files);
    let mut warnings = from_elf.warnings;
    warnings.append(&mut pair.warnings);
    Ok(Measurement {
        files,
        elf_holders: from_elf.elf_holders,
        cross_checked: true,
        warnings,
        ..pair
    })
}
