//! Stage 3, RIoT: the DeviceID and alias key pairs derived from the CDI and the FWID (their
//! public keys through [`crate::curve`]).

pub(crate) mod kdf;
pub mod keys;
