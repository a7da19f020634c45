//! Many devices from one firmware: the manifest, the engine, and the summary.

pub mod engine;
pub mod manifest;
pub mod summary;
