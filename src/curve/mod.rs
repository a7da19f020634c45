//! Stage 3a, the curve: fixed-base multiplication `k·G` on P-256 (the public keys of the
//! secret scalars the RIoT layer derives), laid out as RustCrypto's `primeorder`/`p256` are:
//! [`field`] (`GF(p)`, fiat-crypto's verified multiplication), [`point`] (the complete
//! addition, the curve equation, tables and their constant-time scan), [`single`] (the comb
//! of one certificate, tables kept in the program) and [`batch`] (the comb of many, all
//! keys advancing together in affine coordinates).
//!
//! Both combs fail closed: a zero scalar and a computed point off the curve are errors
//! ([`CurveError`]), never a fallback. Each comb is in two parts: the constant-time part
//! (`mul_base`, no branch and no memory index depends on a scalar, checked under Valgrind
//! by `tools/ct-check`: `docs/constant-time.md`) returns [`Unchecked`] points and fault
//! masks, and [`Unchecked::check`] then reads the masks (the one place a branch depends on
//! what was computed, the public yes/no of "is it right").
//!
//! Every copy of a scalar, its digits, the intermediate sums and the batch's scratch
//! buffers are wiped before they are dropped or freed (`zeroize`).

pub(crate) mod field;
pub(crate) mod point;

pub mod batch;
pub mod single;
#[cfg(test)]
mod vectors;

use p256::elliptic_curve::point::AffineCoordinates;
use p256::{AffinePoint, FieldBytes, PublicKey};
use thiserror::Error;

/// Why a comb refused to give a public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum CurveError {
    /// A scalar was zero: `0·G` is the identity, which is no public key.
    #[error("a private key is zero, which has no public key")]
    ZeroScalar,
    /// A computed point is not on P-256: a defect of the arithmetic, never of the input.
    #[error(
        "the curve arithmetic computed a point that is not on P-256 (a defect of this tool, not of the input)"
    )]
    OffCurve,
}

/// The affine coordinates of a computed point, big-endian.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Coordinates {
    /// `x`.
    pub x: [u8; 32],
    /// `y`.
    pub y: [u8; 32],
}

impl Coordinates {
    /// The public key at these coordinates, checked once more by `p256` to be on the curve.
    pub fn public_key(&self) -> Result<PublicKey, CurveError> {
        let (x, y) = (FieldBytes::from(self.x), FieldBytes::from(self.y));
        Option::<AffinePoint>::from(AffinePoint::from_coordinates(&x, &y))
            .and_then(|point| PublicKey::from_affine(point).ok())
            .ok_or(CurveError::OffCurve)
    }
}

/// What a comb computed, before its checks are read: the points, and two masks (all ones
/// or zero) saying whether any scalar was zero and whether any point is off the curve, all
/// computed without a branch.
#[derive(Debug)]
#[must_use = "the points are only usable through check()"]
pub struct Unchecked<T> {
    points: T,
    zero_scalar: u64,
    off_curve: u64,
}

impl<T> Unchecked<T> {
    pub(crate) fn new(points: T, zero_scalar: u64, off_curve: u64) -> Self {
        Self {
            points,
            zero_scalar,
            off_curve,
        }
    }

    /// The points, or why they are not to be used.
    pub fn check(self) -> Result<T, CurveError> {
        if self.zero_scalar != 0 {
            Err(CurveError::ZeroScalar)
        } else if self.off_curve != 0 {
            Err(CurveError::OffCurve)
        } else {
            Ok(self.points)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_reads_both_masks() {
        assert_eq!(Unchecked::new(7, 0, 0).check(), Ok(7));
        assert_eq!(
            Unchecked::new(7, u64::MAX, 0).check(),
            Err(CurveError::ZeroScalar)
        );
        assert_eq!(
            Unchecked::new(7, 0, u64::MAX).check(),
            Err(CurveError::OffCurve)
        );
    }

    #[test]
    fn coordinates_off_the_curve_are_no_public_key() {
        let g = Coordinates {
            x: hex::decode("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")
                .unwrap()
                .try_into()
                .unwrap(),
            y: hex::decode("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
                .unwrap()
                .try_into()
                .unwrap(),
        };
        assert!(g.public_key().is_ok());
        let mut bent = g;
        bent.y[31] ^= 1;
        assert_eq!(bent.public_key(), Err(CurveError::OffCurve));
    }
}
