//! Reading one answer key by key, the same on every platform: the keys arrive as bytes (UTF-8
//! text and control codes) from the platform's terminal (termios on Unix, console key events
//! on Windows), and the editor decides what each one does: Enter ends the line, Backspace
//! and Ctrl-U erase, Ctrl-C interrupts, Ctrl-D on an empty line (or the end of input) ends
//! the input, escape sequences (arrow keys) are ignored. Visible answers are echoed by the
//! editor itself; hidden ones never are.

use crate::cli::sys::console::Reply;
use zeroize::Zeroizing;

/// Ctrl-C: stop.
pub(crate) const CTRL_C: u8 = 0x03;
/// Ctrl-D: end of input on an empty line (Windows' Ctrl-Z arrives as this too).
pub(crate) const CTRL_D: u8 = 0x04;
/// Backspace (Ctrl-H).
pub(crate) const BACKSPACE: u8 = 0x08;
/// Ctrl-U: erase the whole line.
pub(crate) const CTRL_U: u8 = 0x15;
/// The start of an escape sequence.
pub(crate) const ESC: u8 = 0x1b;
/// What most terminals send for Backspace.
pub(crate) const DEL: u8 = 0x7f;
/// Longest answer kept; the buffer never grows past it, so no copy of a secret is left behind
/// in a freed allocation.
pub(crate) const MAX_ANSWER: usize = 512;

/// A terminal (or console) that can be switched to reading key by key.
pub(crate) trait Input {
    /// Reads key by key (no echo, no line editing, no signals) until the returned keys are
    /// dropped, which puts the previous settings back.
    fn key_by_key(&mut self) -> std::io::Result<Box<dyn Keys + '_>>;
}

/// Where the keys come from, one byte at a time.
pub(crate) trait Keys {
    /// The next byte typed; `None` at the end of input (or when the terminal went away).
    fn next_byte(&mut self) -> std::io::Result<Option<u8>>;
}

/// Where the editor shows what it does.
pub(crate) trait Screen {
    /// Shows text (a line end, `^C`), styled as the platform's standard error allows.
    fn show(&mut self, text: &str);
    /// Writes bytes as they are: the echo of a visible answer, and erasing it.
    fn raw(&mut self, bytes: &[u8]);
}

/// Reads a line from `keys`, echoing it on `screen` when `echo` is set.
pub(crate) fn read_line(
    keys: &mut dyn Keys,
    screen: &mut dyn Screen,
    echo: bool,
) -> std::io::Result<Reply> {
    let mut line = Zeroizing::new(Vec::<u8>::with_capacity(MAX_ANSWER));
    let erase = |line: &mut Vec<u8>, screen: &mut dyn Screen| {
        // Remove one UTF-8 character: continuation bytes, then the lead byte.
        while line.last().is_some_and(|b| b & 0xc0 == 0x80) {
            line.pop();
        }
        if line.pop().is_some() && echo {
            screen.raw(b"\x08 \x08");
        }
    };
    loop {
        let Some(byte) = keys.next_byte()? else {
            screen.show("\n");
            return Ok(Reply::End);
        };
        match byte {
            b'\r' | b'\n' => {
                screen.show("\n");
                break;
            }
            CTRL_C => {
                screen.show("^C\n");
                return Ok(Reply::Interrupted);
            }
            CTRL_D if line.is_empty() => {
                screen.show("\n");
                return Ok(Reply::End);
            }
            DEL | BACKSPACE => erase(&mut line, screen),
            CTRL_U => {
                while !line.is_empty() {
                    erase(&mut line, screen);
                }
            }
            ESC => skip_escape_sequence(keys)?,
            b if b < 0x20 => {}
            _ if line.len() >= MAX_ANSWER => {}
            b => {
                line.push(b);
                if echo {
                    screen.raw(&[b]);
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&line).into_owned();
    Ok(Reply::Line(Zeroizing::new(text)))
}

/// Skips the rest of an escape sequence (arrow keys and the like), which answers ignore.
fn skip_escape_sequence(keys: &mut dyn Keys) -> std::io::Result<()> {
    match keys.next_byte()? {
        Some(b'[') | Some(b'O') => {
            while let Some(b) = keys.next_byte()? {
                if (0x40..=0x7e).contains(&b) {
                    break;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Test doubles: typed bytes, and a screen that records what it shows.
#[cfg(test)]
pub(crate) mod doubles {
    use super::{Keys, Screen};
    use std::collections::VecDeque;

    /// Keys typed from a script; the end of the script is the end of input.
    #[derive(Debug, Default)]
    pub(crate) struct Typed(pub(crate) VecDeque<u8>);

    impl Typed {
        pub(crate) fn new(bytes: &[u8]) -> Self {
            Self(bytes.iter().copied().collect())
        }
    }

    impl Keys for Typed {
        fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
            Ok(self.0.pop_front())
        }
    }

    /// Everything shown, in order, as text.
    #[derive(Debug, Default)]
    pub(crate) struct Recorded(pub(crate) Vec<u8>);

    impl Recorded {
        pub(crate) fn text(&self) -> String {
            String::from_utf8_lossy(&self.0).into_owned()
        }
    }

    impl Screen for Recorded {
        fn show(&mut self, text: &str) {
            self.0.extend_from_slice(text.as_bytes());
        }
        fn raw(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::doubles::{Recorded, Typed};
    use super::*;

    fn run(typed: &[u8], echo: bool) -> (Reply, String) {
        let mut screen = Recorded::default();
        let reply = read_line(&mut Typed::new(typed), &mut screen, echo).unwrap();
        (reply, screen.text())
    }

    fn line(reply: Reply) -> String {
        match reply {
            Reply::Line(l) => l.to_string(),
            other => panic!("expected a line, got {other:?}"),
        }
    }

    #[test]
    fn a_visible_answer_is_echoed_and_edited() {
        let (reply, shown) = run(b"abx\x7fc\r", true);
        assert_eq!(line(reply), "abc");
        assert_eq!(shown, "abx\x08 \x08c\n");
    }

    #[test]
    fn a_hidden_answer_shows_nothing_but_the_line_end() {
        let (reply, shown) = run(b"secret\x08T\n", false);
        assert_eq!(line(reply), "secreT");
        assert_eq!(shown, "\n");
    }

    #[test]
    fn backspace_erases_a_whole_utf8_character_and_ctrl_u_the_line() {
        let (reply, shown) = run("é\x7f".as_bytes(), true);
        assert!(matches!(reply, Reply::End));
        assert_eq!(shown, "é\x08 \x08\n");
        let (reply, _) = run(b"wrong\x15right\r", true);
        assert_eq!(line(reply), "right");
    }

    #[test]
    fn ctrl_c_interrupts_and_ctrl_d_ends_only_an_empty_line() {
        let (reply, shown) = run(b"ab\x03", false);
        assert!(matches!(reply, Reply::Interrupted));
        assert_eq!(shown, "^C\n");
        let (reply, shown) = run(b"\x04", false);
        assert!(matches!(reply, Reply::End));
        assert_eq!(shown, "\n");
        let (reply, _) = run(b"a\x04b\r", false);
        assert_eq!(line(reply), "ab");
    }

    #[test]
    fn end_of_input_ends_and_escape_sequences_are_ignored() {
        let (reply, shown) = run(b"half", true);
        assert!(matches!(reply, Reply::End));
        assert_eq!(shown, "half\n");
        let (reply, _) = run(b"a\x1b[D\x1bOAb\x01\r", false);
        assert_eq!(line(reply), "ab");
    }

    #[test]
    fn an_answer_stops_growing_at_the_limit() {
        let mut typed = vec![b'a'; MAX_ANSWER + 10];
        typed.push(b'\r');
        let (reply, _) = run(&typed, false);
        assert_eq!(line(reply).len(), MAX_ANSWER);
    }
}
