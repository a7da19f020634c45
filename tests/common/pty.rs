//! A real pseudo-terminal for the prompt tests: runs the binary with the pty as its
//! controlling terminal and standard input, output and error, types into it, and reads what
//! the terminal shows. The pty keeps its default settings (echo on), so anything the program
//! fails to hide shows up in the output.
#![cfg(test)]

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use rustix::termios::LocalModes;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Pty {
    child: Box<dyn Child + Send + Sync>,
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    seen: usize,
}

impl Pty {
    /// Runs `dps-cert-gen args` in `dir` with `env` added (and DPS_UDS removed unless given).
    pub(crate) fn spawn(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 50,
                cols: 200,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_dps-cert-gen"));
        cmd.args(args);
        cmd.cwd(dir);
        for var in ["DPS_UDS", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE"] {
            cmd.env_remove(var);
        }
        cmd.env("TERM", "xterm");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&output);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            master: pair.master,
            writer,
            output,
            reader: Some(reader),
            seen: 0,
        }
    }

    /// Everything the terminal has shown so far, as text.
    pub(crate) fn shown(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// Waits until the terminal shows `needle` after what was matched before.
    pub(crate) fn expect(&mut self, needle: &str) {
        let start = Instant::now();
        loop {
            {
                let out = self.output.lock().unwrap();
                let text = String::from_utf8_lossy(&out[self.seen.min(out.len())..]).into_owned();
                if let Some(i) = text.find(needle) {
                    // Advance by bytes of the matched prefix (the text is lossless here in practice).
                    self.seen += text[..i + needle.len()].len();
                    return;
                }
            }
            if start.elapsed() > TIMEOUT {
                panic!(
                    "timed out waiting for {needle:?}; the terminal showed:\n{}",
                    self.shown()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `text` (no Enter).
    pub(crate) fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Types `text` and presses Enter (a terminal sends a carriage return).
    pub(crate) fn send_line(&mut self, text: &str) {
        self.send(&format!("{text}\r"));
    }

    /// The program's process ID (for `/proc`: Linux).
    #[cfg(target_os = "linux")]
    pub(crate) fn pid(&self) -> u32 {
        self.child.process_id().unwrap()
    }

    /// Whether the terminal echoes and edits lines (its normal state), as the program left it.
    pub(crate) fn is_cooked(&self) -> bool {
        let t = self.master.get_termios().unwrap();
        let modes = LocalModes::from_bits_retain(t.local_flags.bits());
        modes.contains(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG)
    }

    /// Waits for the program to exit; its exit status and everything the terminal showed.
    pub(crate) fn finish(mut self) -> (u32, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > TIMEOUT {
                let _ = self.child.kill();
                panic!(
                    "the program did not exit; the terminal showed:\n{}",
                    self.shown()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        // The reader ends when the terminal closes; give it a moment to drain.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.reader.as_ref().is_some_and(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(r) = self.reader.take().filter(|r| r.is_finished()) {
            let _ = r.join();
        }
        let code = status.exit_code();
        (code, self.shown())
    }
}
