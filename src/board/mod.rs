//! The DevKit's USB serial port, without the I/O: what its boot output says
//! ([`boot_log`]), how its configuration console answers ([`console`]), and which serial port
//! is the board ([`port_choice`]). Bytes come in, facts come out; the caller reads and writes
//! the port (`docs/board.md`).

pub mod boot_log;
pub mod console;
pub mod lines;
pub mod port_choice;
