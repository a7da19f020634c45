//! Windows: the console read key by key through crossterm (raw mode: no echo, no line
//! editing, Ctrl-C as a key rather than a signal; key events rather than bytes), the console
//! mode put back when done. The key events are turned into the bytes a Unix terminal sends,
//! so that [`crate::cli::sys::line_editor`] gives every key the same meaning on both: Enter,
//! Backspace, Ctrl-U, Ctrl-C; Ctrl-Z (Windows' end of input) is Ctrl-D.

use crate::cli::sys::line_editor::{BACKSPACE, CTRL_C, CTRL_D, CTRL_U, DEL, Input, Keys};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// The console this process is attached to.
#[derive(Debug, Default)]
pub(crate) struct Console;

impl Input for Console {
    fn key_by_key(&mut self) -> std::io::Result<Box<dyn Keys + '_>> {
        // A console already in raw mode (the caller's choice) is left so.
        let was_raw = crossterm::terminal::is_raw_mode_enabled()?;
        crossterm::terminal::enable_raw_mode()?;
        Ok(Box::new(RawMode {
            restore: !was_raw,
            keys: EventKeys::new(crossterm::event::read),
        }))
    }
}

/// Puts the console's mode back when dropped (also after Ctrl-C, which is only a key here).
struct RawMode<F: FnMut() -> std::io::Result<Event>> {
    restore: bool,
    keys: EventKeys<F>,
}

impl<F: FnMut() -> std::io::Result<Event>> Drop for RawMode<F> {
    fn drop(&mut self) {
        if self.restore {
            // Best effort: if the console is gone there is nothing to put back.
            let _ = crossterm::terminal::disable_raw_mode();
        }
    }
}

impl<F: FnMut() -> std::io::Result<Event>> Keys for RawMode<F> {
    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        self.keys.next_byte()
    }
}

/// The bytes of the key events `read` returns.
pub(crate) struct EventKeys<F: FnMut() -> std::io::Result<Event>> {
    read: F,
    /// The UTF-8 bytes of the last character typed not yet handed out (at most 4).
    pending: [u8; 4],
    start: usize,
    end: usize,
}

impl<F: FnMut() -> std::io::Result<Event>> EventKeys<F> {
    pub(crate) fn new(read: F) -> Self {
        Self {
            read,
            pending: [0; 4],
            start: 0,
            end: 0,
        }
    }
}

impl<F: FnMut() -> std::io::Result<Event>> Drop for EventKeys<F> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.pending);
    }
}

impl<F: FnMut() -> std::io::Result<Event>> Keys for EventKeys<F> {
    fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
        loop {
            if let Some(&byte) = self
                .pending
                .get(self.start..self.end)
                .and_then(|p| p.first())
            {
                self.start += 1;
                if self.start == self.end {
                    zeroize::Zeroize::zeroize(&mut self.pending);
                }
                return Ok(Some(byte));
            }
            if let Event::Key(key) = (self.read)()? {
                let n = bytes_of(&key, &mut self.pending);
                self.start = 0;
                self.end = n;
            }
        }
    }
}

/// Writes the bytes a Unix terminal would send for `key` into `out`; returns how many (0 for
/// keys an answer ignores: releases, arrows, function keys).
fn bytes_of(key: &KeyEvent, out: &mut [u8; 4]) -> usize {
    if key.kind == KeyEventKind::Release {
        return 0;
    }
    let control = key.modifiers.contains(KeyModifiers::CONTROL)
        // AltGr arrives as Ctrl+Alt: a character typed with it is text.
        && !key.modifiers.contains(KeyModifiers::ALT);
    let byte = match key.code {
        KeyCode::Enter => b'\r',
        KeyCode::Backspace => DEL,
        KeyCode::Char(c) if control => match c.to_ascii_lowercase() {
            'c' => CTRL_C,
            'd' | 'z' => CTRL_D,
            'u' => CTRL_U,
            'h' => BACKSPACE,
            _ => return 0,
        },
        KeyCode::Char(c) if !c.is_control() => return c.encode_utf8(out).len(),
        _ => return 0,
    };
    *out = [byte, 0, 0, 0];
    1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::input::prompt::{self, Reply};
    use crate::cli::sys::line_editor::doubles::Recorded;
    use crate::cli::sys::terminal::Terminal;
    use std::collections::VecDeque;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new_with_kind(
            code,
            modifiers,
            KeyEventKind::Press,
        ))
    }

    /// What a console sends for `text` typed: a press and a release per character.
    fn typed(text: &str) -> Vec<Event> {
        text.chars()
            .flat_map(|c| {
                let code = match c {
                    '\r' => KeyCode::Enter,
                    '\x08' => KeyCode::Backspace,
                    c => KeyCode::Char(c),
                };
                [
                    press(code, KeyModifiers::NONE),
                    Event::Key(KeyEvent::new_with_kind(
                        code,
                        KeyModifiers::NONE,
                        KeyEventKind::Release,
                    )),
                ]
            })
            .collect()
    }

    type Read = Box<dyn FnMut() -> std::io::Result<Event>>;

    /// A console answering from recorded key events; the end of the recording is the end of
    /// input, as a closed console would be. Records whether raw mode was left again.
    struct Events {
        keys: EventKeys<Read>,
        raw: bool,
        restored: usize,
    }

    struct Session<'a>(&'a mut Events);

    impl Keys for Session<'_> {
        fn next_byte(&mut self) -> std::io::Result<Option<u8>> {
            match self.0.keys.next_byte() {
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
                other => other,
            }
        }
    }

    impl Drop for Session<'_> {
        fn drop(&mut self) {
            self.0.raw = false;
            self.0.restored += 1;
        }
    }

    impl Input for Events {
        fn key_by_key(&mut self) -> std::io::Result<Box<dyn Keys + '_>> {
            self.raw = true;
            Ok(Box::new(Session(self)))
        }
    }

    fn console(events: Vec<Event>) -> Terminal<Events, Recorded> {
        let mut events: VecDeque<Event> = events.into();
        let read: Read = Box::new(move || {
            events
                .pop_front()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
        });
        Terminal::with(
            Events {
                keys: EventKeys::new(read),
                raw: false,
                restored: 0,
            },
            Recorded::default(),
        )
    }

    #[test]
    fn the_uds_typed_on_the_console_is_read_hidden_with_backspace() {
        let uds = dps_cert_gen::dice::uds::SAMPLE_UDS_HEX;
        let mut events = typed(&format!("{uds}x\x08\r"));
        events.insert(3, press(KeyCode::Left, KeyModifiers::NONE));
        let mut c = console(events);
        let got = prompt::ask_uds(&mut c).unwrap();
        assert_eq!(hex::encode(got.as_bytes()), uds);
        let shown = c.screen().text();
        assert!(!shown.contains(&uds[..8]), "{shown}");
        assert!(shown.contains("UDS accepted (64 hex digits)"), "{shown}");
        assert!(!c.input.raw);
        assert_eq!(c.input.restored, 1);
    }

    #[test]
    fn ctrl_c_on_the_console_interrupts_and_restores_the_mode() {
        let mut events = typed("12");
        events.push(press(KeyCode::Char('c'), KeyModifiers::CONTROL));
        let mut c = console(events);
        let e = prompt::ask_uds(&mut c).unwrap_err();
        assert_eq!(e.to_string(), "interrupted; nothing was written");
        assert!(c.screen().text().ends_with("^C\n"));
        assert!(!c.input.raw);
        assert_eq!(c.input.restored, 1);
    }

    #[test]
    fn ctrl_z_or_the_end_of_input_ends() {
        let mut c = console(vec![press(KeyCode::Char('z'), KeyModifiers::CONTROL)]);
        let e = prompt::ask_uds(&mut c).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no answer to the UDS prompt (end of input); nothing was written"
        );
        let mut c = console(typed("abc"));
        let reply = crate::cli::input::prompt::Console::ask_hidden(&mut c, "UDS").unwrap();
        assert!(matches!(reply, Reply::End));
        let shown = c.screen().text();
        assert!(shown.ends_with(": \n") && !shown.contains("abc"), "{shown}");
    }

    #[test]
    fn visible_answers_are_echoed_and_altgr_characters_are_text() {
        let mut events = typed("C8:93:46:00:00:0");
        events.push(press(
            KeyCode::Char('@'),
            KeyModifiers::CONTROL | KeyModifiers::ALT,
        ));
        events.push(press(KeyCode::Backspace, KeyModifiers::NONE));
        events.extend(typed("1\r"));
        let mut c = console(events);
        let reply = crate::cli::input::prompt::Console::ask(&mut c, "MAC", None).unwrap();
        let Reply::Line(line) = reply else {
            panic!("expected a line");
        };
        assert_eq!(line.as_str(), "C8:93:46:00:00:01");
        assert!(c.screen().text().contains("C8:93:46:00:00:0@\x08 \x081\n"));
    }
}
