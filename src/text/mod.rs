//! Text for people from sources the tool does not control: untrusted bytes made printable,
//! what looks like a UDS masked, and UTF-16 files read as UTF-8.

pub mod printable;
pub mod record_cell;
pub mod uds_like;
pub mod utf16;
