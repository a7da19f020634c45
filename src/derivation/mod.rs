//! Stage 5, the whole chain: measured regions, UDS and registration ID to the alias
//! certificate ([`chain`]), and a certificate the user holds compared with the one the
//! inputs give ([`verify`]).

pub mod chain;
pub mod verify;

pub use chain::{
    AliasCertificate, DeriveError, FirmwareMeasurements, derive_keys, generate, generate_many,
};
