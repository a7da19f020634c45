//! Reading the ELF (`NAME.ino.elf`) the Arduino build writes beside the `.bin`: the four
//! `__start/__stop_riot_*` symbols from its symbol table, and the region bytes from the
//! section (or loadable segment) that holds them (spec section 2, "From the ELF"). An ELF
//! cannot be out of date with respect to itself, so it needs no `.map`.

use crate::firmware::map_file::RIOT_SYMBOLS;
use crate::firmware::regions::{MeasuredRegions, Region, RegionError, RegionLayout, RegionName};
use object::elf::{PT_LOAD, SHF_ALLOC};
use object::read::elf::{ElfFile, FileHeader, ProgramHeader, SectionHeader};
use object::{
    Architecture, Endianness, Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind,
};
use thiserror::Error;

/// The ELF magic bytes every ELF file begins with.
const ELF_MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];

/// Why an ELF could not be measured. The messages follow the file's path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ElfError {
    /// The file does not start with the ELF magic bytes.
    #[error("not an ELF file (it does not begin with the bytes 7f 45 4c 46)")]
    NotElf,
    /// The file is shorter than its own headers say.
    #[error(
        "the file is cut short: its headers describe {needed} bytes, but it has {len}; copy it again from the build folder, or rebuild the sketch"
    )]
    Truncated {
        /// Its length.
        len: u64,
        /// The length its headers imply.
        needed: u64,
    },
    /// The class (offset 4) or data (offset 5) byte of the header contradicts the rest of
    /// the file, which reads as a whole ELF with the other value.
    #[error(
        "the ELF header's {field} byte (offset {offset}) says {says}, but the file reads as a complete {reads} ELF: that byte was changed; copy the file again from the build folder, or rebuild the sketch"
    )]
    HeaderByte {
        /// `class` or `data (byte order)`.
        field: &'static str,
        /// Its offset.
        offset: u8,
        /// What the byte says.
        says: &'static str,
        /// What the file reads as.
        reads: &'static str,
    },
    /// A section's bytes are not what the loadable segment holding its addresses loads.
    #[error(
        "the section {section} and {segment} disagree on the bytes of {region} [0x{start:08x}, 0x{stop:08x}): the board loads the segment's; the file was altered or badly linked; rebuild the sketch"
    )]
    SectionDisagrees {
        /// Which region.
        region: RegionName,
        /// The section's name.
        section: String,
        /// The segment (`segment 1`).
        segment: String,
        /// Start address.
        start: u64,
        /// Stop address.
        stop: u64,
    },
    /// The headers cannot be read.
    #[error("not a readable ELF file ({reason})")]
    Damaged {
        /// What the reader found.
        reason: String,
    },
    /// No `.symtab`.
    #[error(
        "no symbol table (the file was stripped), so the riot_core and riot_fw symbols cannot be found; use the unstripped NAME.ino.elf from the build folder"
    )]
    NoSymbolTable,
    /// Some riot symbols are not defined.
    #[error(
        "the symbol table has no {}; the firmware was probably not built with the DevKit DPS library (its linker script defines the riot_core and riot_fw regions)",
        missing.join(", ")
    )]
    MissingSymbols {
        /// The missing symbol names.
        missing: Vec<&'static str>,
    },
    /// A riot symbol is defined twice with different values.
    #[error(
        "the symbol table defines {symbol} twice (0x{first:08x} and 0x{second:08x}); rebuild the sketch"
    )]
    DuplicateSymbol {
        /// The symbol.
        symbol: &'static str,
        /// Its first value.
        first: u64,
        /// Its second value.
        second: u64,
    },
    /// A region's addresses are in no section or segment whose bytes the file holds.
    #[error(
        "{region} [0x{start:08x}, 0x{stop:08x}) lies in no section or loadable segment with contents in the file, so its bytes are not in the ELF"
    )]
    NoContents {
        /// Which region.
        region: RegionName,
        /// Start address.
        start: u64,
        /// Stop address.
        stop: u64,
    },
    /// The regions break the device's rules.
    #[error(transparent)]
    Region(#[from] RegionError),
}

/// What an ELF gave: where the regions are, their bytes, and what holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfMeasurement {
    /// The regions' addresses. `flash_origin` is the lowest load address of a loadable
    /// segment with contents (the image's first byte), or 0 when there is none; it is
    /// reported, not used: the bytes come from the sections themselves.
    pub layout: RegionLayout,
    /// The regions' bytes.
    pub regions: MeasuredRegions,
    /// For each region, the section (`.text`) or segment (`segment 0`) that holds it.
    pub holders: [String; 2],
    /// The machine and class, when it is not 32-bit little-endian ARM (the AZ3166's
    /// Cortex-M4), e.g. `X86_64 (64-bit)`. The caller warns; the regions are still measured.
    pub foreign_architecture: Option<String>,
}

/// A stretch of the file that is loaded at `address`.
struct Holder<'data> {
    name: String,
    address: u64,
    bytes: &'data [u8],
    /// A loadable segment (what the board loads) rather than a section.
    segment: bool,
}

impl Holder<'_> {
    /// The bytes of `region`, if this holder contains all of it.
    fn slice(&self, region: Region) -> Option<&[u8]> {
        let begin = usize::try_from(region.start.checked_sub(self.address)?).ok()?;
        let end = usize::try_from(region.stop.checked_sub(self.address)?).ok()?;
        self.bytes.get(begin..end)
    }
}

/// Picks the four riot symbols out of `(name, value)` pairs of defined symbols, in
/// [`RIOT_SYMBOLS`] order. A symbol listed twice with the same value is fine.
pub fn riot_symbols<'a>(
    symbols: impl IntoIterator<Item = (&'a [u8], u64)>,
) -> Result<[u64; 4], ElfError> {
    let mut found: [Option<u64>; 4] = [None; 4];
    for (name, value) in symbols {
        for (slot, symbol) in found.iter_mut().zip(RIOT_SYMBOLS) {
            if symbol.as_bytes() != name {
                continue;
            }
            match *slot {
                Some(first) if first != value => {
                    return Err(ElfError::DuplicateSymbol {
                        symbol,
                        first,
                        second: value,
                    });
                }
                _ => *slot = Some(value),
            }
        }
    }
    match found {
        [Some(a), Some(b), Some(c), Some(d)] => Ok([a, b, c, d]),
        _ => Err(ElfError::MissingSymbols {
            missing: RIOT_SYMBOLS
                .iter()
                .zip(found)
                .filter(|(_, f)| f.is_none())
                .map(|(s, _)| *s)
                .collect(),
        }),
    }
}

/// Measures the two regions of the ELF held in `data`.
pub fn measure_elf(data: &[u8]) -> Result<ElfMeasurement, ElfError> {
    if data.get(..4) != Some(ELF_MAGIC.as_slice()) {
        return Err(ElfError::NotElf);
    }
    match data.get(4) {
        Some(1) => measure_class::<object::elf::FileHeader32<Endianness>>(data),
        Some(2) => measure_class::<object::elf::FileHeader64<Endianness>>(data),
        // Cut before the class byte: at least the smaller (32-bit) header is missing.
        None => Err(ElfError::Truncated {
            len: data.len() as u64,
            needed: 52,
        }),
        Some(_) => Err(ElfError::Damaged {
            reason: "unknown ELF class".to_string(),
        }),
    }
}

/// When an ELF reads as cut short, whether the class or byte-order byte was changed: the
/// file with that byte flipped back is a complete ELF. `None` when neither explains it.
fn misread_header(data: &[u8]) -> Option<ElfError> {
    let class = |b: u8| if b == 2 { "64-bit" } else { "32-bit" };
    let order = |b: u8| {
        if b == 2 {
            "big-endian"
        } else {
            "little-endian"
        }
    };
    for (offset, field) in [(4u8, "class"), (5u8, "data (byte order)")] {
        let says = *data.get(usize::from(offset))?;
        if !matches!(says, 1 | 2) {
            continue;
        }
        let other = 3 - says;
        let mut fixed = data.to_vec();
        if let Some(b) = fixed.get_mut(usize::from(offset)) {
            *b = other;
        }
        if reads_whole(&fixed) {
            let (says, reads) = if offset == 4 {
                (class(says), class(other))
            } else {
                (order(says), order(other))
            };
            return Some(ElfError::HeaderByte {
                field,
                offset,
                says,
                reads,
            });
        }
    }
    None
}

/// Whether `data` is an ELF whose headers fit in it (see [`required_len`]).
fn reads_whole(data: &[u8]) -> bool {
    fn fits<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> bool {
        let Ok(header) = Elf::parse(data) else {
            return false;
        };
        let Ok(endian) = header.endian() else {
            return false;
        };
        required_len(header, endian, data) <= data.len() as u64
            && ElfFile::<Elf, &[u8]>::parse(data).is_ok()
    }
    match data.get(4) {
        Some(1) => fits::<object::elf::FileHeader32<Endianness>>(data),
        Some(2) => fits::<object::elf::FileHeader64<Endianness>>(data),
        _ => false,
    }
}

/// The length the headers of an ELF imply: the header itself, the program and section
/// header tables, and the contents of every section and segment.
fn required_len<Elf: FileHeader<Endian = Endianness>>(
    header: &Elf,
    endian: Endianness,
    data: &[u8],
) -> u64 {
    let table_end = |offset: u64, count: u64, size: u16| {
        offset.saturating_add(count.saturating_mul(u64::from(size)))
    };
    let mut needed = u64::from(header.e_ehsize(endian));
    let phnum = header
        .phnum(endian, data)
        .map_or(u64::from(header.e_phnum(endian)), u64::from);
    if phnum > 0 {
        let phoff: u64 = header.e_phoff(endian).into();
        needed = needed.max(table_end(phoff, phnum, header.e_phentsize(endian)));
    }
    let shoff: u64 = header.e_shoff(endian).into();
    if shoff > 0 {
        let shnum = header
            .shnum(endian, data)
            .map_or(u64::from(header.e_shnum(endian)), u64::from);
        needed = needed.max(table_end(shoff, shnum, header.e_shentsize(endian)));
    }
    if let Ok(sections) = header.section_headers(endian, data) {
        for s in sections {
            if s.sh_type(endian) != object::elf::SHT_NOBITS {
                let end = s
                    .sh_offset(endian)
                    .into()
                    .saturating_add(s.sh_size(endian).into());
                needed = needed.max(end);
            }
        }
    }
    if let Ok(segments) = header.program_headers(endian, data) {
        for p in segments {
            let end = p
                .p_offset(endian)
                .into()
                .saturating_add(p.p_filesz(endian).into());
            needed = needed.max(end);
        }
    }
    needed
}

fn measure_class<Elf: FileHeader<Endian = Endianness>>(
    data: &[u8],
) -> Result<ElfMeasurement, ElfError> {
    let damaged = |e: object::Error| ElfError::Damaged {
        reason: e.to_string(),
    };
    let header_len = if Elf::is_type_64_sized() { 64 } else { 52 };
    let len = data.len() as u64;
    if len < header_len {
        return Err(ElfError::Truncated {
            len,
            needed: header_len,
        });
    }
    let header = Elf::parse(data).map_err(damaged)?;
    let endian = header.endian().map_err(damaged)?;
    let needed = required_len(header, endian, data);
    if len < needed {
        return Err(misread_header(data).unwrap_or(ElfError::Truncated { len, needed }));
    }
    let file = ElfFile::<Elf, &[u8]>::parse(data).map_err(damaged)?;

    let foreign_architecture =
        (file.architecture() != Architecture::Arm || file.is_64() || !file.is_little_endian())
            .then(|| {
                format!(
                    "{:?} ({}-bit{})",
                    file.architecture(),
                    if file.is_64() { 64 } else { 32 },
                    if file.is_little_endian() {
                        ""
                    } else {
                        ", big-endian"
                    }
                )
            });

    if file.symbol_table().is_none() {
        return Err(ElfError::NoSymbolTable);
    }
    let defined = file
        .symbols()
        .filter(|s| !s.is_undefined())
        .filter_map(|s| Some((s.name_bytes().ok()?, s.address())));
    let [core_start, core_stop, fw_start, fw_stop] = riot_symbols(defined)?;

    let mut holders = Vec::new();
    for section in file.sections() {
        let allocated = matches!(
            section.flags(),
            SectionFlags::Elf { sh_flags, .. } if sh_flags.0 & SHF_ALLOC.0 != 0
        );
        if !allocated
            || section.kind() == SectionKind::UninitializedData
            || section.file_range().is_none()
        {
            continue;
        }
        holders.push(Holder {
            name: crate::text::printable::printable(section.name().unwrap_or("(unnamed section)")),
            address: section.address(),
            bytes: section.data().map_err(damaged)?,
            segment: false,
        });
    }
    let mut image_start: Option<u64> = None;
    for (index, segment) in file.elf_program_headers().iter().enumerate() {
        if segment.p_type(endian) != PT_LOAD || segment.p_filesz(endian).into() == 0 {
            continue;
        }
        let paddr: u64 = segment.p_paddr(endian).into();
        image_start = Some(image_start.map_or(paddr, |s| s.min(paddr)));
        holders.push(Holder {
            name: format!("segment {index}"),
            address: segment.p_vaddr(endian).into(),
            bytes: segment.data(endian, data).map_err(|()| ElfError::Damaged {
                reason: format!("segment {index} lies outside the file"),
            })?,
            segment: true,
        });
    }

    let layout = RegionLayout {
        flash_origin: image_start.unwrap_or(0),
        riot_core: Region {
            start: core_start,
            stop: core_stop,
        },
        riot_fw: Region {
            start: fw_start,
            stop: fw_stop,
        },
    };
    let mut bytes: [Vec<u8>; 2] = Default::default();
    let mut names: [String; 2] = Default::default();
    for ((name, region), (out, holder_name)) in layout
        .regions()
        .into_iter()
        .zip(bytes.iter_mut().zip(names.iter_mut()))
    {
        region.checked_len(name)?;
        let (holder, slice) = holders
            .iter()
            .find_map(|h| h.slice(region).map(|s| (h, s)))
            .ok_or(ElfError::NoContents {
                region: name,
                start: region.start,
                stop: region.stop,
            })?;
        // The bytes the board loads are the segments': a section whose contents are elsewhere
        // in the file (its offset moved) would be measured silently otherwise.
        if !holder.segment
            && let Some(segment) = holders
                .iter()
                .filter(|h| h.segment)
                .find(|h| h.slice(region).is_some_and(|loaded| loaded != slice))
        {
            return Err(ElfError::SectionDisagrees {
                region: name,
                section: holder.name.clone(),
                segment: segment.name.clone(),
                start: region.start,
                stop: region.stop,
            });
        }
        *out = slice.to_vec();
        holder_name.clone_from(&holder.name);
    }
    let [core, fw] = bytes;
    Ok(ElfMeasurement {
        layout,
        regions: MeasuredRegions::new(core, fw)?,
        holders: names,
        foreign_architecture,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_in_order() {
        let syms: Vec<(&[u8], u64)> = vec![
            (b"__stop_riot_fw", 4),
            (b"main", 9),
            (b"__start_riot_fw", 3),
            (b"__stop_riot_core", 2),
            (b"__start_riot_core", 1),
            (b"__start_riot_core", 1),
        ];
        assert_eq!(riot_symbols(syms).unwrap(), [1, 2, 3, 4]);
    }

    #[test]
    fn duplicate_symbol_with_another_value() {
        let syms: Vec<(&[u8], u64)> = vec![(b"__stop_riot_fw", 4), (b"__stop_riot_fw", 8)];
        assert_eq!(
            riot_symbols(syms).unwrap_err(),
            ElfError::DuplicateSymbol {
                symbol: "__stop_riot_fw",
                first: 4,
                second: 8
            }
        );
    }

    #[test]
    fn missing_symbols_are_listed() {
        let syms: Vec<(&[u8], u64)> = vec![(b"__stop_riot_core", 4), (b"__start_riot_fw", 4)];
        assert_eq!(
            riot_symbols(syms).unwrap_err(),
            ElfError::MissingSymbols {
                missing: vec!["__start_riot_core", "__stop_riot_fw"]
            }
        );
    }

    #[test]
    fn short_and_foreign_inputs() {
        assert_eq!(measure_elf(b"").unwrap_err(), ElfError::NotElf);
        assert_eq!(measure_elf(b"\x7fEL").unwrap_err(), ElfError::NotElf);
        assert_eq!(
            measure_elf(b"\x7fELF").unwrap_err(),
            ElfError::Truncated { len: 4, needed: 52 }
        );
        assert_eq!(
            measure_elf(b"\x7fELF\x01\x01\x01").unwrap_err(),
            ElfError::Truncated { len: 7, needed: 52 }
        );
        assert_eq!(
            measure_elf(b"\x7fELF\x07").unwrap_err(),
            ElfError::Damaged {
                reason: "unknown ELF class".to_string()
            }
        );
    }
}
