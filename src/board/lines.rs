//! Splitting the bytes a serial port delivers into lines: ends in `\r\n`, `\r` or `\n`, a line
//! split across reads, and a cap on a line's length so a noisy port cannot grow memory.

/// Longest line kept, in bytes; the rest of a longer line is dropped (the board's own limit
/// for a console line is 1024 characters, and its HTTP trace lines are shorter than this).
pub const MAX_LINE_BYTES: usize = 4096;

/// An incremental line splitter: feed it bytes one at a time, get each line when it ends.
#[derive(Debug, Default, Clone)]
pub struct LineSplitter {
    pending: Vec<u8>,
    after_cr: bool,
    overflowed: bool,
}

impl LineSplitter {
    /// An empty splitter.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one byte; returns the line it ends, without its line end (lossy UTF-8, cut to
    /// [`MAX_LINE_BYTES`]). `\r\n` ends one line, not two.
    pub fn push(&mut self, byte: u8) -> Option<String> {
        let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
        match byte {
            b'\n' if after_cr => None,
            b'\r' | b'\n' => Some(self.take()),
            _ => {
                if self.pending.len() < MAX_LINE_BYTES {
                    self.pending.push(byte);
                } else {
                    self.overflowed = true;
                }
                None
            }
        }
    }

    /// Takes many bytes; returns the lines they end, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        bytes.iter().filter_map(|&b| self.push(b)).collect()
    }

    /// The start of the line not ended yet (what a prompt with no line end leaves).
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }

    /// Whether the pending line was longer than [`MAX_LINE_BYTES`] (its tail was dropped).
    pub fn pending_overflowed(&self) -> bool {
        self.overflowed
    }

    fn take(&mut self) -> String {
        self.overflowed = false;
        let line = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_end_and_split_reads() {
        let mut s = LineSplitter::new();
        assert_eq!(s.feed(b"one\r\ntw"), ["one"]);
        assert_eq!(s.pending(), b"tw");
        assert_eq!(s.feed(b"o\r"), ["two"]);
        // The LF of a CR LF split across reads ends nothing.
        assert_eq!(s.feed(b"\nthree\nfour\r\r\nfive"), ["three", "four", ""]);
        assert_eq!(s.pending(), b"five");
    }

    #[test]
    fn blank_lines_are_kept() {
        let mut s = LineSplitter::new();
        assert_eq!(s.feed(b"\r\n\r\nx\n\n"), ["", "", "x", ""]);
    }

    #[test]
    fn a_long_line_is_cut_and_memory_stays_bounded() {
        let mut s = LineSplitter::new();
        let noise = vec![b'x'; MAX_LINE_BYTES * 3];
        assert!(s.feed(&noise).is_empty());
        assert_eq!(s.pending().len(), MAX_LINE_BYTES);
        assert!(s.pending_overflowed());
        let lines = s.feed(b"tail\r\nnext\r\n");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], "x".repeat(MAX_LINE_BYTES));
        assert_eq!(lines[1], "next");
        assert!(!s.pending_overflowed());
    }

    #[test]
    fn invalid_utf8_does_not_fail() {
        let mut s = LineSplitter::new();
        assert_eq!(s.feed(b"a\xffb\r\n"), ["a\u{fffd}b"]);
    }
}
