//! One file per command, each with its arguments and its `exec`.

pub(crate) mod batch;
pub(crate) mod board;
pub(crate) mod completions;
pub(crate) mod enroll;
pub(crate) mod generate;
pub(crate) mod inspect;
pub(crate) mod register;
pub(crate) mod uds;
pub(crate) mod verify;
