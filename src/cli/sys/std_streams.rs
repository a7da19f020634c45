//! Standard input and output without the standard library's buffers, so that a secret read
//! or printed (a UDS) leaves no copy in a buffer that is never wiped.

use std::io::{Read, Write};

/// Standard input without the standard library's buffer, so that a UDS read from it (with
/// `--uds-file -`) leaves no copy behind in a buffer that is never wiped.
pub(crate) fn unbuffered_stdin() -> Box<dyn Read> {
    use std::os::fd::AsFd;
    match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdin()),
    }
}

/// Standard output without the standard library's buffer, so that the UDS values printed
/// leave no copy in a buffer that is never wiped.
pub(crate) fn unbuffered_stdout() -> Box<dyn Write> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}
