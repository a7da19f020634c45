//! What the commands take in: argument groups shared by commands, where a UDS comes from,
//! the questions asked on a terminal, and a certificate to read.

pub(crate) mod args;
pub(crate) mod cert_input;
pub(crate) mod prompt;
pub(crate) mod uds_source;
