//! The two measured regions, `riot_core` and `riot_fw` (spec section 2): their addresses,
//! the checks the device implies, and their bytes.

use std::fmt;
use thiserror::Error;

/// The device refuses a `riot_core` shorter than this.
pub const MIN_RIOT_CORE_LEN: u64 = 8;

/// Which measured region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionName {
    /// The RIoT layer's code.
    RiotCore,
    /// The registration client's code.
    RiotFw,
}

impl fmt::Display for RegionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RegionName::RiotCore => "riot_core",
            RegionName::RiotFw => "riot_fw",
        })
    }
}

/// Why the regions cannot be measured.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegionError {
    /// `stop < start`.
    #[error(
        "{region} ends (0x{stop:08x}) before it starts (0x{start:08x}); the map or ELF is damaged: rebuild the firmware"
    )]
    Reversed {
        /// Which region.
        region: RegionName,
        /// Start address.
        start: u64,
        /// Stop address.
        stop: u64,
    },
    /// A region below the flash origin or past the end of the image.
    #[error(
        "{region} [0x{start:08x}, 0x{stop:08x}) lies outside the .bin (flash origin 0x{origin:08x}, {bin_len} bytes); the .bin and .map look like they come from different builds: use the two files from the same build folder"
    )]
    OutsideImage {
        /// Which region.
        region: RegionName,
        /// Start address.
        start: u64,
        /// Stop address.
        stop: u64,
        /// Address of the image's first byte.
        origin: u64,
        /// Image length.
        bin_len: u64,
    },
    /// A region longer than any flash of the device.
    #[error(
        "{region} [0x{start:08x}, 0x{stop:08x}) is {len} bytes long, more than {} MiB while the AZ3166's whole flash is 1 MiB; the map or ELF is damaged or not from a DevKit build: rebuild the firmware",
        crate::limits::MAX_REGION_BYTES >> 20
    )]
    TooLong {
        /// Which region.
        region: RegionName,
        /// Start address.
        start: u64,
        /// Stop address.
        stop: u64,
        /// Its length.
        len: u64,
    },
    /// `riot_core` too short for the device.
    #[error(
        "riot_core is {len} bytes long, but the board refuses one shorter than 8 bytes and would never register; check that the firmware was built with the DevKit DPS library"
    )]
    CoreTooShort {
        /// Its length.
        len: u64,
    },
}

/// A half-open address range `[start, stop)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First address.
    pub start: u64,
    /// One past the last address.
    pub stop: u64,
}

impl Region {
    /// Number of bytes, or `None` when `stop < start`.
    pub fn len(&self) -> Option<u64> {
        self.stop.checked_sub(self.start)
    }

    /// The length of region `name`, refused when `stop < start` or when longer than
    /// [`crate::limits::MAX_REGION_BYTES`].
    pub fn checked_len(&self, name: RegionName) -> Result<u64, RegionError> {
        let len = self.len().ok_or(RegionError::Reversed {
            region: name,
            start: self.start,
            stop: self.stop,
        })?;
        if len > crate::limits::MAX_REGION_BYTES {
            return Err(RegionError::TooLong {
                region: name,
                start: self.start,
                stop: self.stop,
                len,
            });
        }
        Ok(len)
    }

    /// Whether the region is empty (or reversed).
    pub fn is_empty(&self) -> bool {
        self.len().is_none_or(|l| l == 0)
    }
}

/// Where the two regions are, and where the image starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionLayout {
    /// Address of the image's first byte (origin of the `FLASH` region).
    pub flash_origin: u64,
    /// `[__start_riot_core, __stop_riot_core)`.
    pub riot_core: Region,
    /// `[__start_riot_fw, __stop_riot_fw)`.
    pub riot_fw: Region,
}

impl RegionLayout {
    /// The regions as `(name, region)` pairs.
    pub fn regions(&self) -> [(RegionName, Region); 2] {
        [
            (RegionName::RiotCore, self.riot_core),
            (RegionName::RiotFw, self.riot_fw),
        ]
    }

    /// Checks the regions against an image of `bin_len` bytes and returns, for each, the
    /// byte range inside the image.
    pub fn offsets(&self, bin_len: u64) -> Result<[(u64, u64); 2], RegionError> {
        let mut out = [(0, 0); 2];
        for (slot, (name, region)) in out.iter_mut().zip(self.regions()) {
            let len = region.checked_len(name)?;
            if name == RegionName::RiotCore && len < MIN_RIOT_CORE_LEN {
                return Err(RegionError::CoreTooShort { len });
            }
            let outside = RegionError::OutsideImage {
                region: name,
                start: region.start,
                stop: region.stop,
                origin: self.flash_origin,
                bin_len,
            };
            let begin = region
                .start
                .checked_sub(self.flash_origin)
                .ok_or(outside.clone())?;
            let end = begin.checked_add(len).ok_or(outside.clone())?;
            if end > bin_len {
                return Err(outside);
            }
            *slot = (begin, end);
        }
        Ok(out)
    }
}

/// The bytes of both regions, checked as the device would.
#[derive(Clone, PartialEq, Eq)]
pub struct MeasuredRegions {
    riot_core: Vec<u8>,
    riot_fw: Vec<u8>,
}

impl MeasuredRegions {
    /// Wraps the region bytes; `riot_core` must be at least 8 bytes.
    pub fn new(riot_core: Vec<u8>, riot_fw: Vec<u8>) -> Result<Self, RegionError> {
        let len = riot_core.len() as u64;
        if len < MIN_RIOT_CORE_LEN {
            return Err(RegionError::CoreTooShort { len });
        }
        Ok(Self { riot_core, riot_fw })
    }

    /// Measures both regions from a whole image held in memory.
    pub fn from_image(layout: &RegionLayout, image: &[u8]) -> Result<Self, RegionError> {
        let [core, fw] = layout.offsets(image.len() as u64)?;
        // offsets() checked that both lie within the image; a range get() does not find
        // is refused all the same, never measured as empty.
        let bytes = |name: RegionName, region: Region, (b, e): (u64, u64)| {
            usize::try_from(b)
                .ok()
                .zip(usize::try_from(e).ok())
                .and_then(|(b, e)| image.get(b..e))
                .map(<[u8]>::to_vec)
                .ok_or(RegionError::OutsideImage {
                    region: name,
                    start: region.start,
                    stop: region.stop,
                    origin: layout.flash_origin,
                    bin_len: image.len() as u64,
                })
        };
        Self::new(
            bytes(RegionName::RiotCore, layout.riot_core, core)?,
            bytes(RegionName::RiotFw, layout.riot_fw, fw)?,
        )
    }

    /// The `riot_core` bytes.
    pub fn riot_core(&self) -> &[u8] {
        &self.riot_core
    }

    /// The `riot_fw` bytes.
    pub fn riot_fw(&self) -> &[u8] {
        &self.riot_fw
    }

    /// The first region whose bytes differ from `other`'s, if any.
    pub fn first_difference(&self, other: &MeasuredRegions) -> Option<RegionName> {
        if self.riot_core != other.riot_core {
            Some(RegionName::RiotCore)
        } else if self.riot_fw != other.riot_fw {
            Some(RegionName::RiotFw)
        } else {
            None
        }
    }
}

impl fmt::Debug for MeasuredRegions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MeasuredRegions")
            .field("riot_core_len", &self.riot_core.len())
            .field("riot_fw_len", &self.riot_fw.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(core: (u64, u64), fw: (u64, u64)) -> RegionLayout {
        RegionLayout {
            flash_origin: 0x1000,
            riot_core: Region {
                start: core.0,
                stop: core.1,
            },
            riot_fw: Region {
                start: fw.0,
                stop: fw.1,
            },
        }
    }

    #[test]
    fn slices_the_image() {
        let image: Vec<u8> = (0..64).collect();
        let m = MeasuredRegions::from_image(&layout((0x1003, 0x100b), (0x100b, 0x1010)), &image)
            .unwrap();
        assert_eq!(m.riot_core(), &image[3..11]);
        assert_eq!(m.riot_fw(), &image[11..16]);
    }

    #[test]
    fn empty_fw_is_measured_as_empty() {
        let image = [0u8; 16];
        let m = MeasuredRegions::from_image(&layout((0x1000, 0x1008), (0x1008, 0x1008)), &image)
            .unwrap();
        assert!(m.riot_fw().is_empty());
    }

    #[test]
    fn errors() {
        let image = [0u8; 16];
        assert_eq!(
            MeasuredRegions::from_image(&layout((0x1000, 0x1007), (0x1008, 0x1008)), &image)
                .unwrap_err(),
            RegionError::CoreTooShort { len: 7 }
        );
        assert!(matches!(
            MeasuredRegions::from_image(&layout((0x1008, 0x1000), (0x1008, 0x1008)), &image),
            Err(RegionError::Reversed {
                region: RegionName::RiotCore,
                ..
            })
        ));
        assert!(matches!(
            MeasuredRegions::from_image(&layout((0x1000, 0x1008), (0x1008, 0x1011)), &image),
            Err(RegionError::OutsideImage {
                region: RegionName::RiotFw,
                ..
            })
        ));
        assert!(matches!(
            MeasuredRegions::from_image(&layout((0x0ff0, 0x1008), (0x1008, 0x1008)), &image),
            Err(RegionError::OutsideImage {
                region: RegionName::RiotCore,
                ..
            })
        ));
        assert!(matches!(
            MeasuredRegions::from_image(
                &layout((0xffff_ffff, 0xffff_ffff_ffff_ffff), (0x1008, 0x1008)),
                &image
            ),
            Err(RegionError::TooLong {
                region: RegionName::RiotCore,
                ..
            })
        ));
        assert!(matches!(
            MeasuredRegions::from_image(
                &layout((0xffff_fff0, 0xffff_ffff), (0x1008, 0x1008)),
                &image
            ),
            Err(RegionError::OutsideImage { .. })
        ));
        assert!(matches!(
            MeasuredRegions::from_image(
                &layout((0x1000, 0x1008), (0x1008, 0x1008 + (16 << 20) + 1)),
                &image
            ),
            Err(RegionError::TooLong {
                region: RegionName::RiotFw,
                len: 0x100_0001,
                ..
            })
        ));
    }
}
