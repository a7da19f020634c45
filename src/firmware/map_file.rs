//! Reading a GNU ld map file (`NAME.ino.map`): the `FLASH` origin and the four
//! `__start/__stop_riot_*` symbols (spec section 2), plus the memory regions and output
//! sections, from which the image extent is derived (how long the `.bin` should be).
//!
//! The map is parsed by structure, not by columns: lines may end in LF or CRLF, be of any
//! length, and hold bytes that are not UTF-8 (object paths).

use std::collections::BTreeMap;
use thiserror::Error;

/// The four linker symbols that bound the measured regions, in map order.
pub const RIOT_SYMBOLS: [&str; 4] = [
    "__start_riot_core",
    "__stop_riot_core",
    "__start_riot_fw",
    "__stop_riot_fw",
];

/// Why a map could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MapError {
    /// Two `FLASH` lines under `Memory Configuration`.
    #[error(
        "the map lists the FLASH memory region twice (lines {first} and {second}); regenerate the map with a clean build"
    )]
    DuplicateFlash {
        /// Line of the first.
        first: usize,
        /// Line of the second.
        second: usize,
    },
    /// A riot symbol is defined at two different places.
    #[error(
        "the map defines {symbol} twice (lines {first} and {second}); regenerate the map with a clean build"
    )]
    DuplicateSymbol {
        /// The symbol.
        symbol: &'static str,
        /// Line of the first definition.
        first: usize,
        /// Line of the second definition.
        second: usize,
    },
}

/// Where a value was found in the map: its 1-based line number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    /// The value (an address).
    pub value: u64,
    /// 1-based line number.
    pub line: usize,
}

/// A memory region listed under `Memory Configuration` (`FLASH`, `RAM`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryRegion {
    /// Its name, as the linker script spells it.
    pub name: String,
    /// First address.
    pub origin: u64,
    /// Length in bytes.
    pub length: u64,
    /// 1-based line number.
    pub line: usize,
}

/// An output section of the `Linker script and memory map` part (`.text`, `.data`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputSection {
    /// Its name.
    pub name: String,
    /// Run-time address (VMA).
    pub address: u64,
    /// Size in bytes.
    pub size: u64,
    /// Load address (LMA): `load address 0x...` when the map gives one, else the VMA.
    pub load_address: u64,
    /// 1-based line number of its name.
    pub line: usize,
}

/// What the tool needs from a map file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapFile {
    /// Origin of the `FLASH` memory region, if the map lists one.
    pub flash_origin: Option<Located>,
    /// The riot symbols found, by name.
    pub symbols: BTreeMap<&'static str, Located>,
    /// Every memory region listed under `Memory Configuration`, in map order.
    pub memory_regions: Vec<MemoryRegion>,
    /// Every output section of the memory map, in map order.
    pub output_sections: Vec<OutputSection>,
}

/// Output sections that occupy memory but have no bytes in the image (`NOBITS`): the map
/// does not give section types, so they are known by the names GNU toolchains use. ld gives
/// `.bss` a load address in flash when it follows `.data`, but `objcopy -O binary` writes no
/// bytes for it.
fn has_no_contents(name: &str) -> bool {
    const PREFIXES: [&str; 8] = [
        ".bss",
        ".sbss",
        ".tbss",
        ".noinit",
        ".heap",
        ".stack",
        "._user_heap_stack",
        ".uninit",
    ];
    name == "COMMON" || PREFIXES.iter().any(|p| name.starts_with(p))
}

/// The bytes after `load address` on an output-section line, if any.
fn load_address<'a>(mut rest: impl Iterator<Item = &'a [u8]>) -> Option<u64> {
    match (rest.next(), rest.next(), rest.next()) {
        (Some(b"load"), Some(b"address"), Some(lma)) => parse_hex(lma),
        _ => None,
    }
}

fn parse_hex(token: &[u8]) -> Option<u64> {
    let digits = token
        .strip_prefix(b"0x")
        .or_else(|| token.strip_prefix(b"0X"))?;
    if digits.is_empty() || digits.len() > 16 {
        return None;
    }
    let text = std::str::from_utf8(digits).ok()?;
    u64::from_str_radix(text, 16).ok()
}

fn tokens(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|b| b.is_ascii_whitespace())
        .filter(|t| !t.is_empty())
}

impl MapFile {
    /// Parses the text of a map file.
    pub fn parse(text: &[u8]) -> Result<Self, MapError> {
        #[derive(PartialEq)]
        enum Part {
            Preamble,
            Memory,
            Script,
        }
        let mut part = Part::Preamble;
        let mut map = MapFile::default();
        let mut pending_section: Option<(&[u8], usize)> = None;
        // LF or CRLF line ends; a file with none but CRs (saved with classic Mac line ends)
        // is split at those.
        let line_end = if text.contains(&b'\n') { b'\n' } else { b'\r' };
        for (index, raw) in text.split(|&b| b == line_end).enumerate() {
            let line_no = index + 1;
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            let trimmed = line.trim_ascii();
            if trimmed == b"Memory Configuration" {
                part = Part::Memory;
                continue;
            }
            if trimmed == b"Linker script and memory map" {
                part = Part::Script;
                continue;
            }
            let mut toks = tokens(line);
            let (Some(first), second) = (toks.next(), toks.next()) else {
                continue;
            };
            match part {
                Part::Preamble => {}
                Part::Memory => {
                    if let (Some(origin), Some(length)) =
                        (second.and_then(parse_hex), toks.next().and_then(parse_hex))
                    {
                        map.memory_regions.push(MemoryRegion {
                            name: String::from_utf8_lossy(first).into_owned(),
                            origin,
                            length,
                            line: line_no,
                        });
                    }
                    if first == b"FLASH"
                        && let Some(origin) = second.and_then(parse_hex)
                    {
                        if let Some(prev) = map.flash_origin {
                            return Err(MapError::DuplicateFlash {
                                first: prev.line,
                                second: line_no,
                            });
                        }
                        map.flash_origin = Some(Located {
                            value: origin,
                            line: line_no,
                        });
                    }
                }
                Part::Script => {
                    // An output section: its name in column 1, then address, size and
                    // perhaps `load address 0x...`, on the same line or (a long name) the next.
                    let at_column_1 = line.first().is_some_and(|b| !b.is_ascii_whitespace());
                    let pending = pending_section.take();
                    if at_column_1 {
                        match second {
                            None => pending_section = Some((first, line_no)),
                            Some(address) => {
                                map.push_section(first, line_no, address, &mut toks);
                            }
                        }
                        continue;
                    }
                    if let Some((name, name_line)) = pending {
                        let mut rest = second.into_iter().chain(tokens(line).skip(2));
                        if map.push_section(name, name_line, first, &mut rest) {
                            continue;
                        }
                    }
                    // `<spaces>0x<address><spaces><symbol> = .` or `... <symbol>`.
                    let (Some(address), Some(name)) = (parse_hex(first), second) else {
                        continue;
                    };
                    let third = toks.next();
                    if third.is_some() && third != Some(b"=".as_slice()) {
                        continue;
                    }
                    let Some(symbol) = RIOT_SYMBOLS.iter().find(|s| s.as_bytes() == name) else {
                        continue;
                    };
                    let found = Located {
                        value: address,
                        line: line_no,
                    };
                    if let Some(prev) = map.symbols.insert(symbol, found) {
                        return Err(MapError::DuplicateSymbol {
                            symbol,
                            first: prev.line,
                            second: line_no,
                        });
                    }
                }
            }
        }
        Ok(map)
    }

    /// Records an output section from its name and the tokens that follow it (address,
    /// size, perhaps `load address 0x...`); lines that do not have that shape are not
    /// sections (`LOAD obj/app.o`, `OUTPUT(...)`) and are skipped. Returns whether it was one.
    fn push_section<'a>(
        &mut self,
        name: &[u8],
        line: usize,
        address: &[u8],
        rest: &mut impl Iterator<Item = &'a [u8]>,
    ) -> bool {
        let (Some(address), Some(size)) = (parse_hex(address), rest.next().and_then(parse_hex))
        else {
            return false;
        };
        self.output_sections.push(OutputSection {
            name: String::from_utf8_lossy(name).into_owned(),
            address,
            size,
            load_address: load_address(rest).unwrap_or(address),
            line,
        });
        true
    }

    /// The memory region the image is flashed to: `FLASH` at `origin`, or else the listed
    /// region (other than `*default*`) that contains `origin`.
    fn flash_region(&self, origin: u64) -> Option<&MemoryRegion> {
        let listed = || self.memory_regions.iter().filter(|r| r.name != "*default*");
        listed()
            .find(|r| r.name == "FLASH" && r.origin == origin)
            .or_else(|| {
                listed().find(|r| origin.checked_sub(r.origin).is_some_and(|d| d < r.length))
            })
    }

    /// The output sections whose bytes `objcopy -O binary` puts in an image starting at
    /// `flash_origin`: not empty, not `NOBITS` (`.bss` and the like), ending above the
    /// origin, and loaded inside the flash region (`FLASH`, or the listed region holding the origin;
    /// when there is none, outside every listed region such as `RAM`).
    pub fn image_sections(&self, flash_origin: u64) -> impl Iterator<Item = &OutputSection> {
        let flash = self.flash_region(flash_origin);
        self.output_sections.iter().filter(move |s| {
            let lma = s.load_address;
            let in_flash = match flash {
                Some(f) => lma.checked_sub(f.origin).is_some_and(|d| d < f.length),
                None => !self
                    .memory_regions
                    .iter()
                    .filter(|r| r.name != "*default*")
                    .any(|r| lma.checked_sub(r.origin).is_some_and(|d| d < r.length)),
            };
            let past_origin = lma.saturating_add(s.size) > flash_origin;
            s.size > 0 && past_origin && in_flash && !has_no_contents(&s.name)
        })
    }

    /// Where the image the map describes ends: the highest end of a load address
    /// (`load_address + size`) among [`MapFile::image_sections`], with that section. `None`
    /// when the map lists no such section.
    pub fn image_end(&self, flash_origin: u64) -> Option<(u64, &OutputSection)> {
        self.image_sections(flash_origin)
            .map(|s| (s.load_address.saturating_add(s.size), s))
            .max_by_key(|(end, _)| *end)
    }

    /// The address of `symbol`, if the map defines it.
    pub fn symbol(&self, symbol: &str) -> Option<u64> {
        self.symbols.get(symbol).map(|l| l.value)
    }

    /// The riot symbols that the map lacks.
    pub fn missing_symbols(&self) -> Vec<&'static str> {
        RIOT_SYMBOLS
            .iter()
            .copied()
            .filter(|s| !self.symbols.contains_key(s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Memory Configuration

Name             Origin             Length             Attributes
FLASH            0x0800c000         0x000f4000         xr
RAM              0x200001c4         0x0003fe3c         xrw

Linker script and memory map

 .rodata        0x0800c020        0xd obj/app.o
                0x0800c02d                        __start_riot_core = .
 *(.riot_core)
                0x0800c0c0                        __stop_riot_core = .
                0x0800c0c0                        __start_riot_fw = .
 .riot_fw       0x0800c0c0       0x38 obj/app.o
                0x0800c0f8                        __stop_riot_fw = .
";

    #[test]
    fn reads_origin_and_symbols() {
        let map = MapFile::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(map.flash_origin.map(|l| l.value), Some(0x0800_c000));
        assert_eq!(map.symbol("__start_riot_core"), Some(0x0800_c02d));
        assert_eq!(map.symbol("__stop_riot_core"), Some(0x0800_c0c0));
        assert_eq!(map.symbol("__start_riot_fw"), Some(0x0800_c0c0));
        assert_eq!(map.symbol("__stop_riot_fw"), Some(0x0800_c0f8));
        assert!(map.missing_symbols().is_empty());
    }

    #[test]
    fn crlf_gives_the_same_result() {
        let crlf = SAMPLE.replace('\n', "\r\n");
        assert_eq!(
            MapFile::parse(crlf.as_bytes()).unwrap(),
            MapFile::parse(SAMPLE.as_bytes()).unwrap()
        );
    }

    #[test]
    fn cr_only_line_ends_give_the_same_result() {
        let cr = SAMPLE.replace('\n', "\r");
        assert_eq!(
            MapFile::parse(cr.as_bytes()).unwrap(),
            MapFile::parse(SAMPLE.as_bytes()).unwrap()
        );
        assert!(
            MapFile::parse(cr.as_bytes())
                .unwrap()
                .missing_symbols()
                .is_empty()
        );
    }

    #[test]
    fn symbol_outside_the_script_part_is_ignored() {
        let text = "                0x0800c02d                        __start_riot_core = .\n";
        assert!(MapFile::parse(text.as_bytes()).unwrap().symbols.is_empty());
    }

    #[test]
    fn duplicate_symbol_names_both_lines() {
        let text = format!(
            "{SAMPLE}                0x0800c0f9                        __stop_riot_fw = .\n"
        );
        assert_eq!(
            MapFile::parse(text.as_bytes()).unwrap_err(),
            MapError::DuplicateSymbol {
                symbol: "__stop_riot_fw",
                first: 15,
                second: 16
            }
        );
    }

    #[test]
    fn duplicate_flash_names_both_lines() {
        let text = SAMPLE.replace(
            "RAM   ",
            "FLASH            0x08000000         0x000f4000         xr\nRAM   ",
        );
        assert_eq!(
            MapFile::parse(text.as_bytes()).unwrap_err(),
            MapError::DuplicateFlash {
                first: 4,
                second: 5
            }
        );
    }

    #[test]
    fn missing_symbols_are_listed() {
        let text = SAMPLE.replace("__stop_riot_fw", "__etext");
        let map = MapFile::parse(text.as_bytes()).unwrap();
        assert_eq!(map.missing_symbols(), vec!["__stop_riot_fw"]);
    }
}
