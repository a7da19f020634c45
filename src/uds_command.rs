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
    Zeroizing::new(hex::encode(uds.as_bytes()))
}

/// The line to type in the board's configuration mode.
pub fn set_dps_uds_line(uds: &Uds) -> Zeroizing<String> {
    Zeroizing::new(format!("set_dps_uds {}", to_hex(uds).as_str()))
}
