//! Every platform-specific piece of the command line, behind one API: hidden input on a
//! terminal (termios on Unix, the console on Windows; one line editor for both), staged
//! (all-or-nothing) files, flushing to disk, owner-only files, unbuffered standard streams,
//! signals. Nothing outside this folder names a platform.

pub(crate) mod command_form;
pub(crate) mod console;
pub(crate) mod core_dumps;
pub(crate) mod folder_lock;
pub(crate) mod held_folder;
pub(crate) mod input_kind;
pub(crate) mod interrupt;
pub(crate) mod io_words;
pub(crate) mod line_editor;
pub(crate) mod permissions;
pub(crate) mod port_settings;
pub(crate) mod random;
pub(crate) mod staged_file;
pub(crate) mod std_streams;
pub(crate) mod style;
pub(crate) mod terminal;

pub(crate) use interrupt::on_interrupt;
pub(crate) use std_streams::{unbuffered_stdin, unbuffered_stdout};

/// Whether the system's serial ports can be listed here: serialport's Linux listing without
/// libudev panics when `/sys/class/tty` is missing (some containers); elsewhere always.
pub(crate) fn serial_ports_listable() -> bool {
    !cfg!(target_os = "linux") || std::path::Path::new("/sys/class/tty").is_dir()
}
