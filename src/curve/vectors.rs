//! Test vectors of the curve, beside it: known answers `k·G` (`base_mul_vectors.txt`), the
//! scalars at the edges of both combs' recodings, and `p256`'s own `k·G` as the reference.

use crate::curve::Coordinates;
use p256::elliptic_curve::ops::Reduce;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::{FieldBytes, ProjectivePoint, Scalar};

/// 32 bytes, big-endian, reduced mod n.
pub(crate) fn scalar(bytes: [u8; 32]) -> Scalar {
    <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(bytes))
}

/// `k·G` through p256's own code (`k` not zero).
pub(crate) fn reference(k: &Scalar) -> Coordinates {
    let p = (ProjectivePoint::GENERATOR * k).to_affine();
    Coordinates {
        x: p.x().into(),
        y: p.y().into(),
    }
}

fn bytes32(text: &str) -> [u8; 32] {
    hex::decode(text).unwrap().try_into().unwrap()
}

/// `base_mul_vectors.txt`: lines `k x y` in hex: k = 1 … 20, a few large scalars, powers
/// of two at the combs' top windows, and n − 1 … n − 20. Computed outside Rust (Python's
/// integers, affine double-and-add from the curve's definition), so that `p256` is checked
/// by them too; the first two are G and 2G, as SEC 2 and the NIST vectors give them.
pub(crate) fn known_answers() -> Vec<(Scalar, Coordinates)> {
    include_str!("base_mul_vectors.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let mut next = || bytes32(words.next().unwrap());
            let k = scalar(next());
            let (x, y) = (next(), next());
            (k, Coordinates { x, y })
        })
        .collect()
}

/// Scalars at the edges of both combs: the small ones, around the 7-bit windows, around
/// 2^252 (the batch's top window) and its one doubling, 15·2^253 mod n, byte patterns.
pub(crate) fn edge_scalars() -> Vec<Scalar> {
    let mut be = [0u8; 32];
    be[0] = 0x10;
    let two_252 = scalar(be);
    vec![
        Scalar::ONE,
        Scalar::from(2u64),
        Scalar::from(3u64),
        Scalar::from(127u64),
        Scalar::from(128u64),
        Scalar::from(129u64),
        Scalar::from(256u64),
        -Scalar::ONE,
        -Scalar::from(2u64),
        -Scalar::from(3u64),
        two_252,
        two_252 - Scalar::ONE,
        two_252 + Scalar::ONE,
        two_252 * Scalar::from(15u64),
        two_252 * Scalar::from(15u64) + Scalar::ONE,
        // 15·2^253 mod n: the one scalar whose last batch window is a doubling.
        two_252 * Scalar::from(30u64),
        -(two_252 * Scalar::from(30u64)),
        scalar([0x80; 32]),
        scalar([0x7f; 32]),
        scalar([0xff; 32]),
        scalar([0xaa; 32]),
        scalar([0x55; 32]),
        scalar([0x88; 32]),
        scalar([0xf8; 32]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file's answers are p256's too.
    #[test]
    fn the_known_answers_are_p256s() {
        let answers = known_answers();
        assert!(answers.len() >= 40, "{}", answers.len());
        for (k, want) in answers {
            assert_eq!(reference(&k), want);
        }
    }
}
