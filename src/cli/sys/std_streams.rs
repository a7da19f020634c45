//! Standard input and output without the standard library's buffers, so that a secret read
//! or printed (a UDS) leaves no copy in a buffer that is never wiped.
//!
//! On Unix the file descriptors are duplicated and used as plain files. On Windows the
//! standard library's own handles are used (a console needs its UTF-16 calls, which only
//! they make): a UDS read with `--uds-file -` or printed by `dps-cert-gen uds` then also
//! passes through their buffer (8 KiB for input, a line for output), which is not wiped
//! but is reused by the next read or write and freed with the process.

use std::io::{Read, Write};

/// Standard input without the standard library's buffer where the platform allows (see the
/// module documentation), so that a UDS read from it (with `--uds-file -`) leaves no copy
/// behind in a buffer that is never wiped.
pub(crate) fn unbuffered_stdin() -> Box<dyn Read> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(std::io::stdin())
}

/// Standard output without the standard library's buffer where the platform allows (see the
/// module documentation), so that the UDS values printed leave no copy in a buffer that is
/// never wiped.
pub(crate) fn unbuffered_stdout() -> Box<dyn Write> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        if let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() {
            return Box::new(std::fs::File::from(fd));
        }
    }
    Box::new(std::io::stdout())
}
