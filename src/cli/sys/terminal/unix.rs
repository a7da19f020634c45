//! Unix: the terminal on standard input read byte by byte in non-canonical mode without echo
//! or signals (termios), its settings put back when done.

use crate::cli::sys::line_editor::{Input, Keys};
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use std::os::fd::AsFd;
use zeroize::Zeroize;

/// The terminal on standard input.
#[derive(Debug)]
pub(crate) struct Stdin(std::io::Stdin);

impl Default for Stdin {
    fn default() -> Self {
        Self(std::io::stdin())
    }
}

impl Input for Stdin {
    fn key_by_key(&mut self) -> std::io::Result<Box<dyn Keys + '_>> {
        Ok(Box::new(KeyByKey::enter(&self.0)?))
    }
}

/// Puts the terminal's settings back when dropped.
struct KeyByKey<'a> {
    stdin: &'a std::io::Stdin,
    saved: Termios,
}

impl<'a> KeyByKey<'a> {
    fn enter(stdin: &'a std::io::Stdin) -> std::io::Result<Self> {
        let saved = termios::tcgetattr(stdin.as_fd())?;
        let mut raw = saved.clone();
        raw.local_modes.remove(
            LocalModes::ECHO
                | LocalModes::ECHONL
                | LocalModes::ICANON
                | LocalModes::ISIG
                | LocalModes::IEXTEN,
        );
        raw.special_codes[SpecialCodeIndex::VMIN] = 1;
        raw.special_codes[SpecialCodeIndex::VTIME] = 0;
        termios::tcsetattr(stdin.as_fd(), OptionalActions::Now, &raw)?;
        Ok(Self { stdin, saved })
    }
}

impl Drop for KeyByKey<'_> {
    fn drop(&mut self) {
        // Best effort: if the terminal is gone there is nothing to put back.
        let _ = termios::tcsetattr(self.stdin.as_fd(), OptionalActions::Now, &self.saved);
    }
}

impl Keys for KeyByKey<'_> {
    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        let mut b = [0u8; 1];
        loop {
            match rustix::io::read(self.stdin.as_fd(), &mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    let [byte] = b;
                    b.zeroize();
                    return Ok(Some(byte));
                }
                Err(rustix::io::Errno::INTR) => {}
                // A hung-up terminal reads as EIO: treat it as the end of input.
                Err(rustix::io::Errno::IO) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }
}
