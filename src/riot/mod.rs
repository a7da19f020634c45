//! Stage 3, RIoT: the DeviceID and alias key pairs derived from the CDI and the FWID.

pub mod base_point;
pub(crate) mod kdf;
pub mod keys;
