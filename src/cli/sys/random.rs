//! A new UDS from the operating system's secure random source (`getrandom`).

use dps_cert_gen::dice::uds::Uds;
use zeroize::Zeroizing;

/// Why no UDS could be made.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed ({0}); try again")]
pub(crate) struct RandomError(String);

/// A new random UDS.
pub(crate) fn random_uds() -> Result<Uds, RandomError> {
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut()).map_err(|e| RandomError(e.to_string()))?;
    Ok(Uds::from_bytes(*bytes))
}
