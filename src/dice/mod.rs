//! Stage 2, DICE: the board's Unique Device Secret and the Compound Device Identifier it
//! derives from the measured RIoT Core.

pub mod cdi;
pub mod hash;
pub mod sample_uds;
pub mod uds;
