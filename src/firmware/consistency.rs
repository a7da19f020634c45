//! Whether build outputs belong together: the image extent a `.map` describes against the
//! `.bin`'s length, and the ELF's regions against those of the `.bin` + `.map`. A
//! certificate made from other bytes than the board runs is refused at enrollment
//! (`401002 Invalid certificate`), so these checks catch stale and mixed files first.

use crate::firmware::map_file::MapFile;
use crate::firmware::regions::{MeasuredRegions, Region, RegionLayout, RegionName};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What a user should do when the files come from different builds.
const FIX: &str = "use the files of one build: rebuild the sketch, flash that build's .bin, and give its .elf, or its .bin and .map";

/// The ELF and the `.bin` + `.map` describe different firmware.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildMismatch {
    /// A region has other addresses in the ELF than in the map.
    #[error(
        "{region} is [0x{:08x}, 0x{:08x}) in {} but [0x{:08x}, 0x{:08x}) in {}: the ELF and the .map come from different builds; {FIX}",
        in_elf.start, in_elf.stop, elf.display(), in_map.start, in_map.stop, map.display()
    )]
    Addresses {
        /// Which region.
        region: RegionName,
        /// The ELF.
        elf: PathBuf,
        /// The region per the ELF.
        in_elf: Region,
        /// The map.
        map: PathBuf,
        /// The region per the map.
        in_map: Region,
    },
    /// A region has the same addresses but other bytes.
    #[error(
        "{region} [0x{:08x}, 0x{:08x}) holds other bytes in {} than in {}: the ELF and the .bin come from different builds; {FIX}",
        at.start, at.stop, elf.display(), bin.display()
    )]
    Bytes {
        /// Which region.
        region: RegionName,
        /// Its addresses.
        at: Region,
        /// The ELF.
        elf: PathBuf,
        /// The `.bin`.
        bin: PathBuf,
    },
}

/// The image extent a map describes, compared with the `.bin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extent {
    /// Where the map's loaded output sections end (exclusive).
    pub end: u64,
    /// The output section that ends there, and its line.
    pub section: String,
    /// Its 1-based line in the map.
    pub line: usize,
    /// `end - flash_origin`: how long the `.bin` should be.
    pub image_len: u64,
}

impl Extent {
    /// The extent of the image `map` describes from `flash_origin`, or `None` when the map
    /// lists no loaded output section there.
    pub fn of(map: &MapFile, flash_origin: u64) -> Option<Self> {
        let (end, section) = map.image_end(flash_origin)?;
        Some(Self {
            end,
            section: crate::text::printable::printable(&section.name),
            line: section.line,
            image_len: end.saturating_sub(flash_origin),
        })
    }

    /// The warning when a `.bin` of `bin_len` bytes does not have this length.
    pub fn warning(&self, map: &Path, bin: &Path, bin_len: u64) -> Option<String> {
        (self.image_len != bin_len).then(|| {
            format!(
                "{} describes an image of {} bytes (0x{:x}: its sections end at 0x{:08x}, {} on line {}), but {} is {} bytes (0x{:x}); the .bin and .map probably come from different builds, so the certificate may not match the board: {FIX}",
                map.display(),
                self.image_len,
                self.image_len,
                self.end,
                self.section,
                self.line,
                bin.display(),
                bin_len,
                bin_len
            )
        })
    }
}

/// Requires the ELF's regions to have the same addresses as the map's.
pub fn same_addresses(
    elf: &Path,
    in_elf: &RegionLayout,
    map: &Path,
    in_map: &RegionLayout,
) -> Result<(), BuildMismatch> {
    for ((region, e), (_, m)) in in_elf.regions().into_iter().zip(in_map.regions()) {
        if e != m {
            return Err(BuildMismatch::Addresses {
                region,
                elf: elf.to_path_buf(),
                in_elf: e,
                map: map.to_path_buf(),
                in_map: m,
            });
        }
    }
    Ok(())
}

/// Requires the regions measured from the ELF and from the `.bin` to be byte-identical.
pub fn same_bytes(
    elf: &Path,
    from_elf: &MeasuredRegions,
    bin: &Path,
    from_bin: &MeasuredRegions,
    layout: &RegionLayout,
) -> Result<(), BuildMismatch> {
    match from_elf.first_difference(from_bin) {
        None => Ok(()),
        Some(region) => Err(BuildMismatch::Bytes {
            region,
            at: match region {
                RegionName::RiotCore => layout.riot_core,
                RegionName::RiotFw => layout.riot_fw,
            },
            elf: elf.to_path_buf(),
            bin: bin.to_path_buf(),
        }),
    }
}
