//! The RIoT KDF (spec section 4): one HMAC-SHA256 block with little-endian counter and length.

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// `KDF(src, label)`: HMAC-SHA256 keyed with `src` over
/// `01 00 00 00 || label || 00 || 00 01 00 00`. The caller reads the output as a
/// little-endian integer.
pub(crate) fn kdf(src: &[u8; 32], label: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC pads a key shorter than the hash's 64-byte block with zeros (RFC 2104), so `src`
    // padded here is the same key, and the block-sized constructor cannot fail.
    let mut key = Zeroizing::new(Key::<Hmac<Sha256>>::default());
    let (head, _) = key.split_at_mut(src.len());
    head.copy_from_slice(src);
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&key);
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

    #[test]
    fn the_padded_key_is_the_key_itself() {
        use hmac::{Hmac, KeyInit, Mac};
        let src: [u8; 32] = core::array::from_fn(|i| (i * 13) as u8);
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&src).unwrap();
        mac.update(&1u32.to_le_bytes());
        mac.update(b"Alias");
        mac.update(&[0]);
        mac.update(&256u32.to_le_bytes());
        assert_eq!(*kdf(&src, b"Alias"), *mac.finalize().into_bytes());
    }
}
