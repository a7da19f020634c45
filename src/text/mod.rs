//! Text for people from sources the tool does not control: untrusted bytes made printable,
//! the system's reasons for a failed read or write put in plain words, and UTF-16 files read
//! as UTF-8.

pub mod io_reason;
pub mod printable;
pub mod record_cell;
pub mod uds_like;
pub mod utf16;
