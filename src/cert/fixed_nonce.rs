//! The device's ECDSA signature (spec section 5): P-256, SHA-256, the fixed nonce
//! `k = 01 02 … 20`, no low-s normalisation. Exposed to `rcgen` as a [`SigningKey`].
//!
//! Also the table of every fixed nonce known ([`KNOWN_FIXED_NONCES`]: the DevKit's, the 2017
//! RIoT emulator's), by which `inspect` recognises a signature whose private key anyone can
//! compute.
//!
//! Because `k` is the same in every signature, so is `r = (k·G).x`: signing needs no point
//! multiplication, only `s = k⁻¹·(z + r·d) mod n` with the constants [`FIXED_R`] and
//! [`FIXED_K_INV`].

use crate::riot::keys::KeyPair;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::{Field, PrimeField};
use p256::{FieldBytes, NistP256, Scalar};
use rcgen::{PKCS_ECDSA_P256_SHA256, PublicKeyData, SignatureAlgorithm, SigningKey};
use sha2::{Digest, Sha256};

/// The nonce every DevKit uses: bytes 0x01 … 0x20, big-endian.
pub const FIXED_NONCE: [u8; 32] = [
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
];

/// `r = (k·G).x mod n` for [`FIXED_NONCE`]: the same in every DevKit signature.
pub const FIXED_R: [u8; 32] = [
    0x51, 0x5c, 0x3d, 0x6e, 0xb9, 0xe3, 0x96, 0xb9, 0x04, 0xd3, 0xfe, 0xca, 0x7f, 0x54, 0xfd, 0xcd,
    0x0c, 0xc1, 0xe9, 0x97, 0xbf, 0x37, 0x5d, 0xca, 0x51, 0x5a, 0xd0, 0xa6, 0xc3, 0xb4, 0x03, 0x5f,
];

/// The nonce of the 2017 RIoT emulator (microsoft/RIoT, `Emulator/`): its published alias
/// and DeviceID certificates are all signed with it.
pub const RIOT_EMULATOR_2017_NONCE: [u8; 32] = [
    0x91, 0x72, 0x9a, 0x21, 0x2f, 0xc3, 0xf6, 0x45, 0xcd, 0x33, 0x77, 0x4e, 0xea, 0x4f, 0x92, 0xf9,
    0x19, 0xfa, 0xa2, 0x62, 0x75, 0x8d, 0x84, 0xd0, 0x60, 0x4f, 0x70, 0xc1, 0x82, 0x17, 0x19, 0x33,
];

/// `r = (k·G).x mod n` for [`RIOT_EMULATOR_2017_NONCE`].
pub const RIOT_EMULATOR_2017_R: [u8; 32] = [
    0x09, 0x06, 0xbb, 0x04, 0x12, 0x8a, 0x8e, 0x91, 0xaf, 0x9f, 0x23, 0xe0, 0x9b, 0x3a, 0x87, 0xe6,
    0x05, 0x90, 0x0f, 0xdc, 0x30, 0x08, 0xea, 0x3a, 0xfa, 0xc7, 0x4a, 0xbc, 0xd1, 0xe4, 0xf4, 0x85,
];

/// A nonce known to sign with the same `k` every time: its `r` gives it away in any
/// signature, and with `k` known anyone computes the signer's private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownNonce {
    /// The nonce in words: "the fixed nonce of ..." (who signs with it).
    pub name: &'static str,
    /// The nonce, big-endian.
    pub k: [u8; 32],
    /// `r = (k·G).x mod n`, big-endian.
    pub r: [u8; 32],
}

/// Every fixed nonce known, recognised by its `r`.
pub const KNOWN_FIXED_NONCES: [KnownNonce; 2] = [
    KnownNonce {
        name: "the fixed nonce of the DevKit and of RIoT's reference code",
        k: FIXED_NONCE,
        r: FIXED_R,
    },
    KnownNonce {
        name: "the fixed nonce of the 2017 RIoT emulator",
        k: RIOT_EMULATOR_2017_NONCE,
        r: RIOT_EMULATOR_2017_R,
    },
];

/// The known fixed nonce whose `r` this is, if any.
pub fn known_nonce(r: &[u8]) -> Option<&'static KnownNonce> {
    KNOWN_FIXED_NONCES.iter().find(|n| n.r.as_slice() == r)
}

/// `k⁻¹ mod n` for [`FIXED_NONCE`].
pub const FIXED_K_INV: [u8; 32] = [
    0xfa, 0x9a, 0x44, 0x87, 0x00, 0x4a, 0x53, 0x10, 0x21, 0xc7, 0x80, 0x6f, 0xd0, 0x71, 0xfd, 0x78,
    0x33, 0x7b, 0x7f, 0x45, 0x3b, 0x78, 0x74, 0x66, 0xff, 0x4e, 0x8c, 0x10, 0x71, 0x13, 0x5d, 0x8a,
];

fn scalar(bytes: [u8; 32]) -> Result<Scalar, ecdsa::Error> {
    Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(bytes))).ok_or_else(ecdsa::Error::new)
}

/// Signs `message` as the device does; returns the DER `SEQUENCE { r, s }`.
pub fn sign(key: &KeyPair, message: &[u8]) -> Result<Vec<u8>, ecdsa::Error> {
    sign_digest(key, &Sha256::digest(message).into())
}

/// Signs a SHA-256 digest with the fixed nonce: `s = k⁻¹·(z + r·d) mod n`, no point
/// multiplication. Returns the DER `SEQUENCE { r, s }`.
pub fn sign_digest(key: &KeyPair, digest: &[u8; 32]) -> Result<Vec<u8>, ecdsa::Error> {
    let z = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(*digest));
    let r = scalar(FIXED_R)?;
    let d = zeroize::Zeroizing::new(*key.secret().to_nonzero_scalar().as_ref());
    let s = signature_s(&d, &z)?;
    // r is not zero; s is zero with probability 2^-256, and the device would not sign then.
    if bool::from(s.is_zero()) {
        return Err(ecdsa::Error::new());
    }
    let signature = ecdsa::Signature::<NistP256>::from_scalars(r, s)?;
    Ok(signature.to_der().as_bytes().to_vec())
}

/// `s = k⁻¹·(z + r·d) mod n` with the fixed nonce's constants: the only arithmetic of a
/// signature that sees the private key `d`, in constant time (p256's scalar arithmetic; no
/// branch on `d`, checked under Valgrind by `tools/ct-check`).
pub fn signature_s(d: &Scalar, z: &Scalar) -> Result<Scalar, ecdsa::Error> {
    let r = scalar(FIXED_R)?;
    let k_inv = scalar(FIXED_K_INV)?;
    Ok(k_inv * (*z + r * d))
}

/// A public key as `rcgen` wants it: the uncompressed point and the algorithm.
#[derive(Debug, Clone)]
pub struct P256PublicKey(Vec<u8>);

impl P256PublicKey {
    /// Wraps `04 || X || Y`.
    pub fn new(uncompressed: Vec<u8>) -> Self {
        Self(uncompressed)
    }
}

impl PublicKeyData for P256PublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

/// A DevKit key that signs with the fixed nonce.
pub struct FixedNonceSigner<'a> {
    key: &'a KeyPair,
    public: P256PublicKey,
}

impl<'a> FixedNonceSigner<'a> {
    /// Signs with `key`.
    pub fn new(key: &'a KeyPair) -> Self {
        Self {
            key,
            public: P256PublicKey(key.public_uncompressed()),
        }
    }
}

impl PublicKeyData for FixedNonceSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.public.der_bytes()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for FixedNonceSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        sign(self.key, msg).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::NonZeroScalar;
    use p256::elliptic_curve::point::AffineCoordinates;

    #[test]
    fn fixed_k_inv_is_the_inverse_of_k() {
        let k = scalar(FIXED_NONCE).unwrap();
        assert_eq!(k * scalar(FIXED_K_INV).unwrap(), Scalar::ONE);
    }

    proptest::proptest! {
        #[test]
        fn same_signature_as_the_generic_ecdsa(secret in proptest::array::uniform32(proptest::num::u8::ANY),
                                               message in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let Ok(sk) = p256::SecretKey::from_bytes(&FieldBytes::from(secret)) else { return Ok(()); };
            let pair = KeyPair::from_secret(sk);
            let k = NonZeroScalar::from_repr(FieldBytes::from(FIXED_NONCE)).unwrap();
            let z = Sha256::digest(&message);
            let (expected, _) = ecdsa::hazmat::sign_prehashed::<NistP256>(
                &pair.secret().to_nonzero_scalar(), &k, &z).unwrap();
            proptest::prop_assert_eq!(sign(&pair, &message).unwrap(), expected.to_der().as_bytes().to_vec());
        }
    }

    #[test]
    fn fixed_r_is_the_x_of_k_times_g() {
        let k = NonZeroScalar::from_repr(FieldBytes::from(FIXED_NONCE)).unwrap();
        let point = p256::PublicKey::from_secret_scalar(&k);
        assert_eq!(point.as_affine().x().as_slice(), FIXED_R.as_slice());
    }

    #[test]
    fn every_known_r_is_computed_from_its_k() {
        for nonce in KNOWN_FIXED_NONCES {
            let k = NonZeroScalar::from_repr(FieldBytes::from(nonce.k)).unwrap();
            let x = p256::PublicKey::from_secret_scalar(&k).as_affine().x();
            let r = <Scalar as Reduce<FieldBytes>>::reduce(&x);
            assert_eq!(r.to_repr().as_slice(), nonce.r.as_slice(), "{}", nonce.name);
            assert_eq!(known_nonce(&nonce.r), Some(&nonce));
        }
        assert_eq!(
            hex::encode(RIOT_EMULATOR_2017_NONCE),
            "91729a212fc3f645cd33774eea4f92f919faa262758d84d0604f70c182171933"
        );
        assert!(hex::encode(RIOT_EMULATOR_2017_R).starts_with("0906bb04"));
        assert_eq!(known_nonce(&[0x42; 32]), None);
    }
}
