//! A serial port's terminal settings, saved before the port is opened and put back when the
//! tool lets go of it: opening a port makes it raw (no echo, no line editing, 115200 8N1),
//! which on a terminal that is not the board's (`--port /dev/tty`, a pseudo-terminal) would
//! leave the user's terminal unusable after the run. Put back on every way out that runs
//! code: a normal end, an error, Ctrl-C or a termination request (the board session stops at
//! the flag [`crate::cli::sys::on_interrupt`] sets, and the port is dropped on the way out).
//!
//! Unix: `tcgetattr` on a descriptor of our own, opened before the serial port is (so that
//! the port's exclusive mode does not shut it out), and `tcsetattr` with it at the end.
//! Windows: a COM port has no terminal settings to leave behind; nothing is saved.

/// The settings as they were, restored when dropped.
pub(crate) struct SavedPortSettings {
    #[cfg(unix)]
    saved: Option<(rustix::fd::OwnedFd, rustix::termios::Termios)>,
}

impl SavedPortSettings {
    /// Saves the settings of the terminal at `path`, if it is one that can be opened now
    /// (a missing or busy port is left for the serial open to report).
    #[cfg(unix)]
    pub(crate) fn save(path: &str) -> Self {
        use rustix::fs::{Mode, OFlags};
        let saved = rustix::fs::open(
            path,
            OFlags::RDWR | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()
        .and_then(|fd| rustix::termios::tcgetattr(&fd).ok().map(|t| (fd, t)));
        Self { saved }
    }

    /// Nothing to save on this platform.
    #[cfg(not(unix))]
    pub(crate) fn save(_path: &str) -> Self {
        Self {}
    }

    /// Puts the saved settings back (also done when dropped).
    pub(crate) fn restore(&self) {
        #[cfg(unix)]
        if let Some((fd, termios)) = &self.saved {
            let _ = rustix::termios::tcsetattr(fd, rustix::termios::OptionalActions::Now, termios);
        }
    }
}

impl Drop for SavedPortSettings {
    fn drop(&mut self) {
        self.restore();
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use rustix::pty::OpenptFlags;

    #[test]
    fn the_settings_are_put_back_when_dropped() {
        let master =
            rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
                .unwrap();
        rustix::pty::grantpt(&master).unwrap();
        rustix::pty::unlockpt(&master).unwrap();
        let path = rustix::pty::ptsname(&master, Vec::new())
            .unwrap()
            .into_string()
            .unwrap();
        let slave = rustix::fs::open(
            path.as_str(),
            rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NOCTTY,
            rustix::fs::Mode::empty(),
        )
        .unwrap();
        let before = rustix::termios::tcgetattr(&slave).unwrap();
        {
            let _saved = SavedPortSettings::save(&path);
            let mut raw = before.clone();
            raw.make_raw();
            rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &raw)
                .unwrap();
            assert_ne!(
                rustix::termios::tcgetattr(&slave).unwrap().local_modes,
                before.local_modes
            );
        }
        let after = rustix::termios::tcgetattr(&slave).unwrap();
        assert_eq!(after.local_modes, before.local_modes);
        assert_eq!(after.input_modes, before.input_modes);
        assert_eq!(after.output_modes, before.output_modes);
        assert_eq!(after.control_modes, before.control_modes);
    }
}
