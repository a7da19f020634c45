//! The RIoT layer (spec section 4): CDI + riot_fw -> FWID and the DeviceID and Alias key pairs.

use crate::dice::cdi::Cdi;
use crate::riot::kdf::kdf;
use p256::{FieldBytes, PublicKey, SecretKey};
use sha2::{Digest, Sha256};
use std::fmt;
use thiserror::Error;
use zeroize::Zeroizing;

/// Which of the two derived keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyName {
    /// The DeviceID key (signs the alias certificate).
    DeviceId,
    /// The Alias key (the certificate's subject key).
    Alias,
}

impl fmt::Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyName::DeviceId => "DeviceID",
            KeyName::Alias => "Alias",
        })
    }
}

/// A derived key that the device cannot use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// `d == 0` or `d >= n` (probability about 2^-32).
    #[error(
        "with this UDS and firmware the {0} private key falls outside the P-256 range (spec section 4): the board would loop for ever at boot and never register; set another UDS on the board with `set_dps_uds` (or rebuild the firmware) and run again"
    )]
    OutOfRange(KeyName),
}

/// FWID = SHA-256(riot_fw): identifies the registration client's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fwid([u8; 32]);

impl Fwid {
    /// Measures the `riot_fw` bytes.
    pub fn of(riot_fw: &[u8]) -> Self {
        Self(Sha256::digest(riot_fw).into())
    }

    /// Wraps a digest read from a certificate.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// A P-256 key pair derived on the device. The private half is zeroized on drop and never
/// printed.
#[derive(Clone)]
pub struct KeyPair {
    secret: SecretKey,
    public: PublicKey,
}

impl KeyPair {
    /// Reads the KDF output as a little-endian scalar, as the device does.
    #[cfg(test)]
    fn from_kdf_output(out: &[u8; 32], name: KeyName) -> Result<Self, KeyError> {
        Ok(Self::from_secret(secret_from_kdf_output(out, name)?))
    }

    /// The pair for a private key (computes the public key).
    pub fn from_secret(secret: SecretKey) -> Self {
        let public = secret.public_key();
        Self { secret, public }
    }

    /// The private key.
    pub fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The public key.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The public key as an uncompressed point `04 || X || Y` (65 bytes).
    pub fn public_uncompressed(&self) -> Vec<u8> {
        uncompressed(&self.public)
    }
}

/// Reads the KDF output as a little-endian scalar, as the device does.
fn secret_from_kdf_output(out: &[u8; 32], name: KeyName) -> Result<SecretKey, KeyError> {
    let mut be = Zeroizing::new(FieldBytes::default());
    for (dst, src) in be.iter_mut().zip(out.iter().rev()) {
        *dst = *src;
    }
    SecretKey::from_bytes(&be).map_err(|_| KeyError::OutOfRange(name))
}

/// The two private keys the RIoT layer derives, before their public keys are computed
/// (zeroized on drop).
pub struct RiotSecrets {
    fwid: Fwid,
    device_id: SecretKey,
    alias: SecretKey,
}

impl RiotSecrets {
    /// Derives the DeviceID and Alias private keys from the CDI and FWID.
    pub fn derive(cdi: &Cdi, fwid: Fwid) -> Result<Self, KeyError> {
        let c = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(cdi.as_bytes())));
        let device_id = secret_from_kdf_output(&kdf(&c, b"Identity"), KeyName::DeviceId)?;
        let mut h = Sha256::new();
        h.update(c.as_ref());
        h.update(fwid.as_bytes());
        let a = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
        let alias = secret_from_kdf_output(&kdf(&a, b"Alias"), KeyName::Alias)?;
        Ok(Self {
            fwid,
            device_id,
            alias,
        })
    }

    /// Computes the public keys with the single-use comb of [`crate::riot::base_point`]
    /// (its tables are part of the program: nothing is built; one field inversion for both
    /// keys).
    pub fn keys(&self) -> RiotKeys {
        match crate::riot::base_point::public_keys(&self.device_id, &self.alias) {
            Some((device_id, alias)) => RiotKeys {
                fwid: self.fwid,
                device_id: KeyPair {
                    secret: self.device_id.clone(),
                    public: device_id,
                },
                alias: KeyPair {
                    secret: self.alias.clone(),
                    public: alias,
                },
            },
            // Not reachable for non-zero private keys; stay correct regardless.
            None => RiotKeys {
                fwid: self.fwid,
                device_id: KeyPair::from_secret(self.device_id.clone()),
                alias: KeyPair::from_secret(self.alias.clone()),
            },
        }
    }

    /// Computes the public keys of many devices with the batch's comb of
    /// [`crate::riot::base_point`] (faster per key from a few dozen keys on; its tables are
    /// built once per process, on first use). One result per secret, in order.
    pub fn keys_many(secrets: &[&RiotSecrets]) -> Vec<RiotKeys> {
        let pairs: Vec<(&SecretKey, &SecretKey)> =
            secrets.iter().map(|s| (&s.device_id, &s.alias)).collect();
        let publics = crate::riot::base_point::public_keys_many(&pairs);
        secrets
            .iter()
            .zip(publics.into_iter().chain(std::iter::repeat(None)))
            .map(|(s, public)| match public {
                Some((device_id, alias)) => RiotKeys {
                    fwid: s.fwid,
                    device_id: KeyPair {
                        secret: s.device_id.clone(),
                        public: device_id,
                    },
                    alias: KeyPair {
                        secret: s.alias.clone(),
                        public: alias,
                    },
                },
                // Not reachable for non-zero private keys; stay correct regardless.
                None => s.keys(),
            })
            .collect()
    }
}

impl fmt::Debug for RiotSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RiotSecrets(<secret>)")
    }
}

/// `04 || X || Y` for a public key.
pub fn uncompressed(public: &PublicKey) -> Vec<u8> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    public.as_affine().to_sec1_point(false).as_bytes().to_vec()
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("public", &hex::encode(self.public_uncompressed()))
            .field("secret", &"<secret>")
            .finish()
    }
}

/// Everything the RIoT layer derives.
#[derive(Debug, Clone)]
pub struct RiotKeys {
    /// SHA-256 of riot_fw.
    pub fwid: Fwid,
    /// The DeviceID key pair.
    pub device_id: KeyPair,
    /// The Alias key pair.
    pub alias: KeyPair,
}

impl RiotKeys {
    /// Derives the DeviceID and Alias key pairs from the CDI and the FWID.
    pub fn derive(cdi: &Cdi, fwid: Fwid) -> Result<Self, KeyError> {
        Ok(RiotSecrets::derive(cdi, fwid)?.keys())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdf_known_answer_gives_the_spec_key() {
        let src: [u8; 32] = core::array::from_fn(|i| i as u8);
        let pair = KeyPair::from_kdf_output(&kdf(&src, b"Identity"), KeyName::DeviceId).unwrap();
        assert_eq!(
            hex::encode(pair.secret().to_bytes()),
            "da827f43ff208cbebbaef349819eadec77e04ec771dbb3c00c5ab4b71d8c5056"
        );
        assert_eq!(
            hex::encode(pair.public_uncompressed()),
            "040695c4dda4420722ffe9892596aad8feead63cd0a728780cb7c3334817c9d3f717c4df906ebb5a3083d0760a770df0cb45949022906fe03a3fc28bb560b9d68f"
        );
    }

    #[test]
    fn out_of_range_scalars_are_refused() {
        assert_eq!(
            KeyPair::from_kdf_output(&[0u8; 32], KeyName::Alias).unwrap_err(),
            KeyError::OutOfRange(KeyName::Alias)
        );
        assert_eq!(
            KeyPair::from_kdf_output(&[0xff; 32], KeyName::DeviceId).unwrap_err(),
            KeyError::OutOfRange(KeyName::DeviceId)
        );
        // n itself, little-endian.
        let mut n = hex::decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")
            .unwrap();
        n.reverse();
        let n: [u8; 32] = n.try_into().unwrap();
        assert!(KeyPair::from_kdf_output(&n, KeyName::DeviceId).is_err());
    }
}
