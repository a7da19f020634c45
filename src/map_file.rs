//! Reading a GNU ld map file (`NAME.ino.map`): the `FLASH` origin and the four
//! `__start/__stop_riot_*` symbols (spec section 2).
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

/// What the tool needs from a map file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapFile {
    /// Origin of the `FLASH` memory region, if the map lists one.
    pub flash_origin: Option<Located>,
    /// The riot symbols found, by name.
    pub symbols: BTreeMap<&'static str, Located>,
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
        for (index, raw) in text.split(|&b| b == b'\n').enumerate() {
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
