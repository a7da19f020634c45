//! Many devices from one firmware: the manifest, the engine, the rows that share a UDS, the
//! JSON-lines output, and the summary.

pub mod engine;
pub mod jsonl;
pub mod manifest;
pub mod shared_uds;
pub mod streamed;
pub mod summary;
