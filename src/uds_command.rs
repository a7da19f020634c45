//! `dps-cert-gen uds`: a fresh UDS from the operating system's secure random source.

use crate::uds::Uds;
use zeroize::Zeroizing;

/// Why no UDS could be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed ({0}); try again")]
pub struct RandomError(String);

/// A new random UDS.
pub fn random_uds() -> Result<Uds, RandomError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(|e| RandomError(e.to_string()))?;
    Ok(Uds::from_bytes(*bytes))
}

/// The UDS as 64 lower-case hex digits (for showing to the user who asked for it).
pub fn to_hex(uds: &Uds) -> Zeroizing<String> {
    // Built in a buffer of its final size (with room for a line end): a growing one would
    // leave copies in freed memory.
    let mut text = Zeroizing::new(String::with_capacity(65));
    for b in uds.as_bytes() {
        for nibble in [b >> 4, b & 0x0f] {
            text.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    text
}

/// The line to type in the board's configuration mode.
pub fn set_dps_uds_line(uds: &Uds) -> Zeroizing<String> {
    let hex = to_hex(uds);
    let mut line = Zeroizing::new(String::with_capacity("set_dps_uds ".len() + hex.len()));
    line.push_str("set_dps_uds ");
    line.push_str(&hex);
    line
}

/// Standard output without the standard library's buffer, so that the UDS values printed
/// leave no copy in a buffer that is never wiped.
pub fn unbuffered_stdout() -> Box<dyn std::io::Write> {
    use std::os::fd::AsFd;
    match std::io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => Box::new(std::fs::File::from(fd)),
        Err(_) => Box::new(std::io::stdout()),
    }
}

/// How to set a UDS on the board, shown after it is printed.
const HOW_TO_SET: &str = "in configuration mode (hold A, press and release Reset, let go of A)";

/// Makes `count` new UDS values and writes them to `out`, one per line (64 lower-case hex
/// digits, nothing else), then tells `err` how to set them: for a single UDS, the exact
/// `set_dps_uds` line to type.
pub fn print_new(
    count: u32,
    out: &mut dyn std::io::Write,
    err: &mut dyn std::io::Write,
) -> Result<(), crate::Error> {
    let write_error = |e: std::io::Error| -> crate::Error {
        crate::output::OutputError::Write {
            path: std::path::PathBuf::from("standard output"),
            reason: crate::atomic_file::reason(&e),
        }
        .into()
    };
    // A reader that stopped early (`| head -3`) is not a failure: stop making values.
    let broken_pipe = |e: &std::io::Error| e.kind() == std::io::ErrorKind::BrokenPipe;
    let mut last = None;
    for _ in 0..count {
        let uds = random_uds()?;
        let mut line = to_hex(&uds);
        line.push('\n');
        match out.write_all(line.as_bytes()) {
            Err(e) if broken_pipe(&e) => return Ok(()),
            result => result.map_err(write_error)?,
        }
        last = Some(uds);
    }
    match out.flush() {
        Err(e) if broken_pipe(&e) => return Ok(()),
        result => result.map_err(write_error)?,
    }
    // The guidance is a courtesy: a closed standard error is no reason to fail.
    let _ = match (count, last) {
        (1, Some(uds)) => writeln!(
            err,
            "Set it on the board {HOW_TO_SET} with:\n  {}\nKeep it secret: anyone who has it can make certificates in the board's name.",
            set_dps_uds_line(&uds).as_str()
        ),
        _ => writeln!(
            err,
            "Set each on its own board {HOW_TO_SET} with:\n  set_dps_uds <value>"
        ),
    };
    Ok(())
}
