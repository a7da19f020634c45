//! Stage 4, certificates: the alias and DeviceID certificates the board builds (template,
//! RIoT extension, fixed nonce), and reading, checking and explaining certificates.

pub mod alias;
pub mod device;
pub mod fixed_nonce;
pub mod inspect;
pub(crate) mod oid;
pub mod reader;
pub(crate) mod riot_extension;
pub mod signature_check;
pub(crate) mod template;
#[cfg(test)]
mod test_vector;
