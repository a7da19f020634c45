//! The RIoT KDF (spec section 4): one HMAC-SHA256 block with little-endian counter and length.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// `KDF(src, label)`: HMAC-SHA256 keyed with `src` over
/// `01 00 00 00 || label || 00 || 00 01 00 00`. The caller reads the output as a
/// little-endian integer.
pub(crate) fn kdf(src: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC accepts keys of any length, so this cannot fail; the fallback keeps it panic-free.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(src) {
        Ok(mac) => mac,
        Err(_) => return Zeroizing::new([0u8; 32]),
    };
    mac.update(&1u32.to_le_bytes());
    mac.update(label);
    mac.update(&[0]);
    mac.update(&256u32.to_le_bytes());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&mac.finalize().into_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::kdf;

    #[test]
    fn known_answer_from_the_spec() {
        let src: [u8; 32] = core::array::from_fn(|i| i as u8);
        assert_eq!(
            hex::encode(*kdf(&src, b"Identity")),
            "56508c1db7b45a0cc0b3db71c74ee077ecad9e8149f3aebbbe8c20ff437f82da"
        );
    }
}
