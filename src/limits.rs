//! The sizes beyond which an input cannot be firmware for an AZ3166 (its whole flash is
//! 1 MiB), so that a wrong or hostile file is refused with a clear message instead of being
//! read into memory: the tool's memory use stays bounded whatever it is given.

use std::io::Read;
use std::path::Path;

/// Largest `.map` or `.elf` read (each is read whole). A DevKit build's map is a few hundred
/// KiB and its ELF a few MiB, debug information included. A file that is not a regular file
/// (`/dev/zero`, a pipe) is read up to this limit, so at most twice this much memory is used.
pub(crate) const MAX_FIRMWARE_FILE_BYTES: u64 = 64 << 20;

/// Longest measured region: far more than the AZ3166's 1 MiB of flash. Only the regions are
/// read from a `.bin`, so with this limit a `.bin` of any size is measured in bounded memory.
pub(crate) const MAX_REGION_BYTES: u64 = 16 << 20;

/// What reading a size-limited file gave.
#[derive(Debug)]
pub(crate) enum Bounded {
    /// The whole file.
    Read(Vec<u8>),
    /// The file is larger than the limit (its length, when known); nothing was kept.
    TooLarge(u64),
}

/// Reads the whole file at `path` if it holds at most `max` bytes; a larger one is not read
/// (checked before reading, and again while reading, for a file that grows or is no regular
/// file).
pub(crate) fn read_at_most(path: &Path, max: u64) -> std::io::Result<Bounded> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Ok(Bounded::TooLarge(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or_default());
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Bounded::TooLarge(bytes.len() as u64));
    }
    Ok(Bounded::Read(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_limit_and_refuses_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, [7u8; 10]).unwrap();
        assert!(matches!(read_at_most(&path, 10).unwrap(), Bounded::Read(b) if b == [7u8; 10]));
        assert!(matches!(
            read_at_most(&path, 9).unwrap(),
            Bounded::TooLarge(10)
        ));
    }
}
