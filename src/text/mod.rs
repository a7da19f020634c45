//! Text for people from sources the tool does not control: untrusted bytes made printable,
//! and what looks like a UDS masked.

pub mod printable;
pub mod uds_like;
