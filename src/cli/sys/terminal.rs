//! The real [`Console`]: questions on standard error, answers read from the terminal on
//! standard input one key at a time, so that the UDS is never echoed, Ctrl-C and Ctrl-D are
//! answers rather than signals, and the terminal's settings are always put back.
//!
//! While a line is read the terminal is in non-canonical mode without echo or signals; the
//! reader echoes visible answers itself and handles Backspace, Ctrl-U, Ctrl-C and Ctrl-D.

use crate::cli::prompt::{Console, Reply};
use crate::cli::style;
use rustix::termios::{self, LocalModes, OptionalActions, SpecialCodeIndex, Termios};
use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;
use zeroize::{Zeroize, Zeroizing};

const CTRL_C: u8 = 0x03;
const CTRL_D: u8 = 0x04;
const BACKSPACE: u8 = 0x08;
const CTRL_U: u8 = 0x15;
const ESC: u8 = 0x1b;
const DEL: u8 = 0x7f;
/// Longest answer kept; the buffer never grows past it, so no copy of a secret is left behind
/// in a freed allocation.
const MAX_ANSWER: usize = 512;

/// Whether standard input is a terminal, so that questions can be asked.
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Questions on standard error, answers from the terminal on standard input.
#[derive(Debug)]
pub(crate) struct Terminal {
    stdin: std::io::Stdin,
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
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

impl Terminal {
    /// A console on this process's standard input and standard error.
    pub(crate) fn new() -> Self {
        Self {
            stdin: std::io::stdin(),
        }
    }

    fn show(&self, text: &str) {
        let mut err = style::stderr();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    /// Writes bytes as they are (echo, erasing), unstyled.
    fn raw(&self, bytes: &[u8]) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    }

    /// Reads one byte; `None` at end of input (or when the terminal went away).
    fn byte(&self) -> std::io::Result<Option<u8>> {
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

    /// Shows `prompt` and reads a line key by key, echoing it when `echo` is set.
    fn read_line(&mut self, prompt: &str, echo: bool) -> std::io::Result<Reply> {
        let _mode = KeyByKey::enter(&self.stdin)?;
        self.show(prompt);
        let mut line = Zeroizing::new(Vec::<u8>::with_capacity(MAX_ANSWER));
        let erase = |line: &mut Vec<u8>, this: &Self| {
            // Remove one UTF-8 character: continuation bytes, then the lead byte.
            while line.last().is_some_and(|b| b & 0xc0 == 0x80) {
                line.pop();
            }
            if line.pop().is_some() && echo {
                this.raw(b"\x08 \x08");
            }
        };
        loop {
            let Some(byte) = self.byte()? else {
                self.show("\n");
                return Ok(Reply::End);
            };
            match byte {
                b'\r' | b'\n' => {
                    self.show("\n");
                    break;
                }
                CTRL_C => {
                    self.show("^C\n");
                    return Ok(Reply::Interrupted);
                }
                CTRL_D if line.is_empty() => {
                    self.show("\n");
                    return Ok(Reply::End);
                }
                DEL | BACKSPACE => erase(&mut line, self),
                CTRL_U => {
                    while !line.is_empty() {
                        erase(&mut line, self);
                    }
                }
                ESC => self.skip_escape_sequence()?,
                b if b < 0x20 => {}
                _ if line.len() >= MAX_ANSWER => {}
                b => {
                    line.push(b);
                    if echo {
                        self.raw(&[b]);
                    }
                }
            }
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        Ok(Reply::Line(Zeroizing::new(text)))
    }

    /// Skips the rest of an escape sequence (arrow keys and the like), which answers ignore.
    fn skip_escape_sequence(&self) -> std::io::Result<()> {
        match self.byte()? {
            Some(b'[') | Some(b'O') => {
                while let Some(b) = self.byte()? {
                    if (0x40..=0x7e).contains(&b) {
                        break;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

impl Console for Terminal {
    fn ask(&mut self, question: &str, default: Option<&str>) -> std::io::Result<Reply> {
        let q = style::QUESTION;
        let h = style::HINT;
        let prompt = match default {
            Some(d) => format!("{q}{question}{q:#} {h}[{d}]{h:#}: "),
            None => format!("{q}{question}{q:#}: "),
        };
        self.read_line(&prompt, true)
    }

    fn ask_hidden(&mut self, question: &str) -> std::io::Result<Reply> {
        let q = style::QUESTION;
        self.read_line(&format!("{q}{question}{q:#}: "), false)
    }

    fn confirm(&mut self, text: &str) {
        let g = style::GOOD;
        self.show(&format!("{g}{text}{g:#}\n"));
    }

    fn warn(&mut self, text: &str) {
        style::warning(text);
    }

    fn refuse(&mut self, text: &str) {
        let e = style::ERROR;
        let text = dps_cert_gen::text::uds_like::mask_uds_like(text);
        self.show(&format!("{e}try again:{e:#} {text}\n"));
    }
}
