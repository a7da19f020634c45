//! Talking to Azure DPS: the connection string's sources (a secret, like the UDS), the
//! HTTPS client (rustls, the system's trust store, `--ca-file`, `HTTPS_PROXY`, one deadline
//! for the whole conversation, 429/5xx retried), and the board's registration from the PC.
//! The "enroll these certificates" steps the commands share are in `pipeline/`. What is sent and what the answers mean is the library's
//! (`dps_cert_gen::dps`); this folder does the I/O and the wording.

pub(crate) mod args;
pub(crate) mod client;
pub(crate) mod connection_source;
pub(crate) mod error;
pub(crate) mod register;
pub(crate) mod retry;
pub(crate) mod trust;

// The stand-in DPS of the tests, for the DPS steps' own tests (`pipeline/dps_standin_tests`).
#[cfg(test)]
#[path = "../../../tests/common/dps_standin.rs"]
pub(crate) mod dps_standin;
