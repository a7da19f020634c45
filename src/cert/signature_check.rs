//! Checking a certificate's ECDSA P-256 signature, and what the DevKit's fixed nonce
//! (spec section 5) gives away: with `k` public, `d = (s·k − z)·r⁻¹ mod n`.

use crate::cert::fixed_nonce::{KnownNonce, known_nonce};
use der::asn1::{AnyRef, BitStringRef};
use der::{Decode, Reader};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::ops::Reduce;
use p256::{FieldBytes, NonZeroScalar, PublicKey, Scalar};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The three parts of a certificate: the signed bytes and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedParts {
    /// The DER of `tbsCertificate`, exactly as in the certificate.
    pub tbs: Vec<u8>,
    /// The content of the signature BIT STRING (for ECDSA: DER `SEQUENCE { r, s }`).
    pub signature: Vec<u8>,
}

impl SignedParts {
    /// Splits a certificate's DER. `None` when it is not `SEQUENCE { tbs, alg, BIT STRING }`.
    pub fn of(certificate: &[u8]) -> Option<Self> {
        AnyRef::from_der(certificate)
            .ok()?
            .sequence(|r| {
                let tbs = r.tlv_bytes()?.to_vec();
                let _alg: AnyRef<'_> = r.decode()?;
                let signature: BitStringRef<'_> = r.decode()?;
                Ok::<_, der::Error>(Self {
                    tbs,
                    signature: signature.raw_bytes().to_vec(),
                })
            })
            .ok()
    }

    /// The ECDSA P-256 signature, if the signature bytes are one.
    pub fn ecdsa(&self) -> Option<Signature> {
        Signature::from_der(&self.signature).ok()
    }

    /// Whether the signature is ECDSA P-256 with SHA-256 over the TBS under `key`.
    pub fn verifies_under(&self, key: &PublicKey) -> bool {
        match self.ecdsa() {
            Some(sig) => VerifyingKey::from(key).verify(&self.tbs, &sig).is_ok(),
            None => false,
        }
    }

    /// The known fixed nonce this signature's `r` gives away (the DevKit's, or another RIoT
    /// implementation's), if any.
    pub fn fixed_nonce(&self) -> Option<&'static KnownNonce> {
        self.ecdsa()
            .and_then(|sig| known_nonce(sig.split_bytes().0.as_slice()))
    }

    /// Whether `r` is one of a known fixed nonce.
    pub fn uses_fixed_nonce(&self) -> bool {
        self.fixed_nonce().is_some()
    }

    /// Whether anyone can compute the private key of `signer` from this certificate: the
    /// nonce is the fixed one, and `d = (s·k − z)·r⁻¹ mod n` gives a key whose public half
    /// is `signer`. The key is computed, compared and wiped; it is never returned.
    pub fn exposes_private_key_of(&self, signer: &PublicKey) -> bool {
        let Some(nonce) = self.fixed_nonce() else {
            return false;
        };
        let Some(sig) = self.ecdsa() else {
            return false;
        };
        let z = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(<[u8; 32]>::from(
            Sha256::digest(&self.tbs),
        )));
        let k = <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(nonce.k));
        let r: Scalar = *sig.r();
        let s: Scalar = *sig.s();
        let Some(r_inv) = Option::<Scalar>::from(r.invert()) else {
            return false;
        };
        let d = Zeroizing::new((s * k - z) * r_inv);
        let Some(d) = Option::<NonZeroScalar>::from(NonZeroScalar::new(*d)) else {
            return false;
        };
        PublicKey::from_secret_scalar(&d) == *signer
    }
}
