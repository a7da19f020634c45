//! The RIoT layer (spec section 4): CDI + riot_fw -> FWID and the DeviceID and Alias key pairs.

use crate::curve::{CurveError, batch, single};
use crate::dice::cdi::Cdi;
use crate::riot::kdf::kdf;
use p256::{FieldBytes, PublicKey, Scalar, SecretKey};
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
    /// The curve arithmetic refused its own result (a zero key, a point off the curve).
    #[error("computing the public keys failed: {0}")]
    Curve(#[from] CurveError),
    /// The fast comb's public key is not the one `p256` computes for the same private key.
    #[error(
        "the {0} public key the tool's curve arithmetic computed differs from the one the p256 library computes for the same private key: a defect of this tool, not of the input"
    )]
    Mismatch(KeyName),
}

impl KeyError {
    /// A defect of the tool rather than something about the input: nothing it computed
    /// alongside can be trusted either.
    pub fn is_defect(&self) -> bool {
        matches!(self, KeyError::Curve(_) | KeyError::Mismatch(_))
    }
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

    /// The two private scalars (a wiped copy).
    fn scalars(&self) -> Zeroizing<[Scalar; 2]> {
        Zeroizing::new([
            *self.device_id.to_nonzero_scalar().as_ref(),
            *self.alias.to_nonzero_scalar().as_ref(),
        ])
    }

    /// The key pairs for the public keys `device_id` and `alias`, after comparing them with
    /// the ones `p256` computes (its own, slower arithmetic) when `cross_check` is set.
    fn pairs(
        &self,
        device_id: PublicKey,
        alias: PublicKey,
        cross_check: bool,
    ) -> Result<RiotKeys, KeyError> {
        if cross_check {
            if device_id != self.device_id.public_key() {
                return Err(KeyError::Mismatch(KeyName::DeviceId));
            }
            if alias != self.alias.public_key() {
                return Err(KeyError::Mismatch(KeyName::Alias));
            }
        }
        Ok(RiotKeys {
            fwid: self.fwid,
            device_id: KeyPair {
                secret: self.device_id.clone(),
                public: device_id,
            },
            alias: KeyPair {
                secret: self.alias.clone(),
                public: alias,
            },
        })
    }

    /// Computes the public keys with the single comb of [`crate::curve::single`] (its
    /// tables are part of the program: nothing is built; one field inversion for both
    /// keys), then compares both with `p256`'s: one certificate's keys are always checked
    /// twice, by two implementations.
    pub fn keys(&self) -> Result<RiotKeys, KeyError> {
        let [device_id, alias] = single::mul_base(&self.scalars()).check()?;
        self.pairs(device_id.public_key()?, alias.public_key()?, true)
    }

    /// Computes the public keys of many devices with the batch comb of
    /// [`crate::curve::batch`] (faster per key from a few dozen keys on; its tables are
    /// built once per process, on first use). One result per secret, in order, or one error
    /// for all: a sample is compared with `p256`'s public keys (the first device of the
    /// call, and one more in each run of [`SAMPLE_EVERY`], chosen by [`sampled`]), and a mismatch or a failed check of the
    /// curve arithmetic fails the whole call.
    pub fn keys_many(secrets: &[&RiotSecrets]) -> Result<Vec<RiotKeys>, KeyError> {
        let mut scalars: Zeroizing<Vec<Scalar>> =
            Zeroizing::new(Vec::with_capacity(2 * secrets.len()));
        for s in secrets {
            scalars.extend_from_slice(s.scalars().as_slice());
        }
        let points = batch::mul_base(&scalars).check()?;
        // Every vector sized once: a growing one would leave copies (of the private keys,
        // for the last) in freed memory.
        let mut publics = Vec::with_capacity(points.len());
        for point in &points {
            publics.push(point.public_key()?);
        }
        let checked = sampled(publics.first(), secrets.len());
        let mut keys = Vec::with_capacity(secrets.len());
        for (i, (s, pair)) in secrets.iter().zip(publics.chunks_exact(2)).enumerate() {
            match pair {
                [device_id, alias] => {
                    keys.push(s.pairs(*device_id, *alias, checked.contains(&i))?);
                }
                _ => return Err(KeyError::Curve(CurveError::OffCurve)),
            }
        }
        Ok(keys)
    }
}

/// Devices per sample of a batch call: one in this many (and the first) has its public
/// keys compared with `p256`'s.
pub const SAMPLE_EVERY: usize = 256;

/// Which devices of a batch call have their public keys compared with `p256`'s: the first,
/// and in each run of [`SAMPLE_EVERY`] devices one more, at a position chosen by a seed
/// taken from the call's own data (its first DeviceID public key, hashed), so that chunks
/// check different positions and a run can be reproduced. In order.
pub fn sampled(first: Option<&PublicKey>, devices: usize) -> Vec<usize> {
    let mut picked = Vec::with_capacity(devices.div_ceil(SAMPLE_EVERY) + 1);
    let Some(first) = first.filter(|_| devices > 0) else {
        return picked;
    };
    picked.push(0);
    let seed = Sha256::digest(uncompressed(first));
    let mut word = [0u8; 8];
    word.copy_from_slice(seed.get(..8).unwrap_or(&[0; 8]));
    let pick = u64::from_le_bytes(word);
    for start in (0..devices).step_by(SAMPLE_EVERY) {
        // Within the run, anything but its first device (the first run's is checked).
        let others = (devices - start).min(SAMPLE_EVERY) - 1;
        if others > 0 {
            let offset = usize::try_from(pick % others as u64).unwrap_or(0);
            picked.push(start + 1 + offset);
        }
    }
    picked
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
        RiotSecrets::derive(cdi, fwid)?.keys()
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
