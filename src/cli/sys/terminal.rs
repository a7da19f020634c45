//! The real [`Console`]: questions on standard error, answers read from the terminal on
//! standard input one key at a time, so that the UDS is never echoed, Ctrl-C and Ctrl-D are
//! answers rather than signals, and the terminal's settings are always put back.
//!
//! While a line is read the terminal reads key by key without echo or signals (termios on
//! Unix: [`unix`]; the console's raw mode and key events on Windows: [`windows`]); what each
//! key does is the same everywhere ([`super::line_editor`]).

use crate::cli::sys::console::{Console, Reply};
use crate::cli::sys::line_editor::{self, Input, Screen};
use crate::cli::sys::style;
use std::io::{IsTerminal, Write};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix::Stdin as PlatformInput;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows::Console as PlatformInput;

/// Whether standard input is a terminal, so that questions can be asked.
pub(crate) fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Standard error as the line editor's screen.
#[derive(Debug, Default)]
pub(crate) struct Stderr;

impl Screen for Stderr {
    fn show(&mut self, text: &str) {
        let mut err = style::stderr();
        let _ = err.write_all(text.as_bytes());
        let _ = err.flush();
    }

    fn raw(&mut self, bytes: &[u8]) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    }
}

/// Questions on `screen` (standard error), answers from `input` (the terminal on standard
/// input).
#[derive(Debug)]
pub(crate) struct Terminal<I: Input = PlatformInput, S: Screen = Stderr> {
    input: I,
    screen: S,
}

impl Terminal {
    /// A console on this process's standard input and standard error.
    pub(crate) fn new() -> Self {
        Self::with(PlatformInput::default(), Stderr)
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

impl<I: Input, S: Screen> Terminal<I, S> {
    /// A console on `input` and `screen` (the tests' doubles).
    pub(crate) fn with(input: I, screen: S) -> Self {
        Self { input, screen }
    }

    /// What was shown (for the tests).
    #[cfg(test)]
    pub(crate) fn screen(&self) -> &S {
        &self.screen
    }

    /// Shows `prompt` and reads a line key by key, echoing it when `echo` is set.
    fn read_line(&mut self, prompt: &str, echo: bool) -> std::io::Result<Reply> {
        let mut keys = self.input.key_by_key()?;
        self.screen.show(prompt);
        line_editor::read_line(keys.as_mut(), &mut self.screen, echo)
    }
}

impl<I: Input, S: Screen> Console for Terminal<I, S> {
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
        self.screen.show(&format!("{g}{text}{g:#}\n"));
    }

    fn warn(&mut self, text: &str) {
        style::warning(text);
    }

    fn refuse(&mut self, text: &str) {
        let e = style::ERROR;
        let text = dps_cert_gen::text::uds_like::mask_uds_like(text);
        let text = style::wrap(&text, "try again: ".len(), style::width());
        self.screen.show(&format!("{e}try again:{e:#} {text}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::input::prompt;
    use crate::cli::sys::line_editor::Keys;
    use crate::cli::sys::line_editor::doubles::{Recorded, Typed};
    use std::cell::Cell;
    use std::rc::Rc;

    /// A terminal typing from a script; counts the switches to key by key and back.
    #[derive(Debug, Default)]
    struct Scripted {
        typed: Typed,
        entered: usize,
        restored: Rc<Cell<usize>>,
    }

    struct Session<'a> {
        typed: &'a mut Typed,
        restored: Rc<Cell<usize>>,
    }

    impl Keys for Session<'_> {
        fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
            self.typed.next_byte()
        }
    }

    impl Drop for Session<'_> {
        fn drop(&mut self) {
            self.restored.set(self.restored.get() + 1);
        }
    }

    impl Input for Scripted {
        fn key_by_key(&mut self) -> std::io::Result<Box<dyn Keys + '_>> {
            self.entered += 1;
            Ok(Box::new(Session {
                typed: &mut self.typed,
                restored: Rc::clone(&self.restored),
            }))
        }
    }

    fn terminal(typed: &[u8]) -> Terminal<Scripted, Recorded> {
        Terminal::with(
            Scripted {
                typed: Typed::new(typed),
                ..Scripted::default()
            },
            Recorded::default(),
        )
    }

    #[test]
    fn a_bad_uds_is_refused_and_asked_again_hidden_each_time() {
        // Not the tutorial's sample UDS: its warning goes to standard error, not the screen.
        let uds = "4f6d0b3c8e21a95d7c04b6e3f1a28d5960c7e4b13a8f2d6e9b05c1748a3e6f20";
        let mut t = terminal(format!("abc\r{uds}\r").as_bytes());
        let got = prompt::ask_uds(&mut t).unwrap();
        assert_eq!(hex::encode(got.as_bytes()), uds);
        let shown = t.screen().text();
        assert!(
            !shown.contains("abc") && !shown.contains(&uds[..8]),
            "{shown}"
        );
        assert!(shown.contains("try again:"), "{shown}");
        assert_eq!(t.input.entered, 2);
        assert_eq!(t.input.restored.get(), 2);
    }

    #[test]
    fn ctrl_c_at_a_prompt_stops_with_the_terminal_put_back() {
        let mut t = terminal(b"19e\x03");
        let e = prompt::ask_uds(&mut t).unwrap_err();
        assert_eq!(e.to_string(), "interrupted; nothing was written");
        let shown = t.screen().text();
        assert!(
            shown.ends_with(": ^C\n") && !shown.contains("19e"),
            "{shown}"
        );
        assert_eq!((t.input.entered, t.input.restored.get()), (1, 1));
    }
}
