//! Stage 5, the whole chain: measured regions, UDS and registration ID to the alias
//! certificate ([`chain`]), and a certificate the user holds compared with the one the
//! inputs give ([`verify`]).

pub mod chain;
pub mod verify;

pub use chain::{
    AliasCertificate, DeriveError, FirmwareMeasurements, derive_keys, derive_keys_with_tables,
    generate, generate_many, generate_with_tables,
};
