//! A new UDS saved (`uds --save`, and `board set-uds` and `board provision` with `--save-uds`): owner-only,
//! never over an existing file. The UDS itself comes from [`crate::cli::sys::random`].

use crate::cli::error::Error;
use crate::cli::output::files::{OutputError, Written, write_atomic};
use dps_cert_gen::dice::uds::{Uds, to_hex};

/// Permission bits of a `--save-uds` file: the owner's only.
const UDS_FILE_MODE: u32 = 0o600;

/// Writes a new UDS to `path`: created new, owner-only, never over an existing file; `flag`
/// named the file.
pub(crate) fn save_uds(path: &std::path::Path, uds: &Uds, flag: &'static str) -> Result<(), Error> {
    let mut text = to_hex(uds);
    text.push('\n');
    write_atomic(
        path,
        text.as_bytes(),
        false,
        UDS_FILE_MODE,
        Written::NewUds(flag),
    )
    .map_err(|e| match e {
        OutputError::Exists { path } => Error::SaveUdsExists { path, flag },
        e => Error::Output(e),
    })
}
