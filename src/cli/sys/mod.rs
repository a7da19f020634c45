//! Every platform-specific piece of the command line, behind one API: hidden input on a
//! terminal, staged (all-or-nothing) files, flushing to disk, owner-only files, unbuffered
//! standard streams, signals.

pub(crate) mod core_dumps;
pub(crate) mod folder_lock;
pub(crate) mod permissions;
pub(crate) mod staged_file;
pub(crate) mod std_streams;
pub(crate) mod terminal;

pub(crate) use std_streams::{unbuffered_stdin, unbuffered_stdout};
