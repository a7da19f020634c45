//! Fast fixed-base multiplication `k·G` on P-256 for many keys: a comb over 33 precomputed
//! tables of affine points (8-bit signed windows), so one multiplication is 33 mixed
//! additions and no doubling, in constant time (every table entry is read for every
//! window, with masks rather than branches). The tables (4,224 points, 264 KiB) take a few
//! milliseconds to build, once per process, on first use: worth it for a batch, not for one
//! certificate.
//!
//! [`public_keys`] also converts both points to affine coordinates with one field inversion.

use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::point::BatchNormalize;
use p256::elliptic_curve::subtle::{Choice, ConditionallySelectable};
use p256::elliptic_curve::{Group, PrimeField};
use p256::{AffinePoint, FieldBytes, ProjectivePoint, PublicKey, Scalar, SecretKey};
use std::sync::LazyLock;

/// Entries per table: the multiples `1·B … 128·B` of the window's base `B = 256^i·G`.
const ENTRIES: usize = 128;
/// Windows: 32 bytes of scalar plus the carry out of the top byte.
const WINDOWS: usize = 33;

/// A table entry: the affine coordinates `x || y`, big-endian, as 64-bit words (plain
/// words, so that a constant-time scan over a table is a few vector instructions).
type Entry = [u64; 8];

/// `TABLES[i][j] = (j + 1)·256^i·G`.
struct Tables(Vec<[Entry; ENTRIES]>);

static TABLES: LazyLock<Tables> = LazyLock::new(Tables::build);

impl Tables {
    fn build() -> Self {
        let mut projective = Vec::with_capacity(WINDOWS * ENTRIES);
        let mut base = ProjectivePoint::generator();
        for _ in 0..WINDOWS {
            let mut multiple = base;
            for _ in 0..ENTRIES {
                projective.push(multiple);
                multiple += base;
            }
            // The last pushed is 128·B; the next window's base is 256·B.
            base = (multiple - base).double();
        }
        let affine = <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(
            projective.as_slice(),
        );
        let tables = affine
            .chunks_exact(ENTRIES)
            .map(|chunk| {
                let mut table = [[0u64; 8]; ENTRIES];
                for (entry, point) in table.iter_mut().zip(chunk) {
                    *entry = to_words(point);
                }
                table
            })
            .collect();
        Self(tables)
    }
}

fn to_words(point: &AffinePoint) -> Entry {
    let mut words = [0u64; 8];
    let (x, y) = (point.x(), point.y());
    for (w, bytes) in words
        .iter_mut()
        .zip(x.chunks_exact(8).chain(y.chunks_exact(8)))
    {
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        *w = u64::from_be_bytes(b);
    }
    words
}

fn from_words(words: &Entry) -> (FieldBytes, FieldBytes) {
    let mut x = FieldBytes::default();
    let mut y = FieldBytes::default();
    let (wx, wy) = words.split_at(4);
    for (dst, w) in x.chunks_exact_mut(8).zip(wx) {
        dst.copy_from_slice(&w.to_be_bytes());
    }
    for (dst, w) in y.chunks_exact_mut(8).zip(wy) {
        dst.copy_from_slice(&w.to_be_bytes());
    }
    (x, y)
}

/// Signed radix-256 digits of a scalar, least significant first: `k = Σ dᵢ·256^i` with
/// `dᵢ ∈ [-128, 128)` for `i < 32` and `d₃₂ ∈ {0, 1}`. Branch-free.
fn signed_digits(k: &Scalar) -> [i16; WINDOWS] {
    let be = k.to_repr();
    let mut digits = [0i16; WINDOWS];
    let mut carry = 0i16;
    for (digit, byte) in digits.iter_mut().zip(be.iter().rev()) {
        let d = i16::from(*byte) + carry;
        // carry = 1 exactly when d >= 128 (d is at most 256).
        carry = (d + 128) >> 8;
        *digit = d - (carry << 8);
    }
    if let Some(last) = digits.last_mut() {
        *last = carry;
    }
    digits
}

/// The entry `|d|·B` of a table, negated when `d < 0`, or the identity for `d = 0`, reading
/// every entry: a masked scan, then one conversion to a point.
fn select(table: &[Entry; ENTRIES], digit: i16) -> AffinePoint {
    let negative = Choice::from(u8::from(digit < 0));
    let magnitude = u64::from(digit.unsigned_abs());
    let mut words = [0u64; 8];
    for (j, entry) in (1u64..).zip(table.iter()) {
        // All ones when j == magnitude, else zero. The mask goes through `black_box` so
        // that the optimiser cannot turn the scan into a branch to the one entry (a lookup
        // whose timing would depend on the secret digit); checked in the machine code.
        let mask = std::hint::black_box(((j ^ magnitude).wrapping_sub(1) >> 63).wrapping_neg());
        for (w, e) in words.iter_mut().zip(entry) {
            *w |= e & mask;
        }
    }
    let (x, y) = from_words(&words);
    // For d = 0 nothing was selected and (0, 0) is not on the curve: the identity is used.
    let mut point = AffinePoint::from_coordinates(&x, &y).unwrap_or(AffinePoint::IDENTITY);
    let negated = -point;
    point.conditional_assign(&negated, negative);
    point
}

/// `k·G` in projective coordinates.
pub fn mul_by_generator(k: &Scalar) -> ProjectivePoint {
    let tables = &TABLES.0;
    let mut acc = ProjectivePoint::IDENTITY;
    for (table, digit) in tables.iter().zip(signed_digits(k)) {
        acc += select(table, digit);
    }
    acc
}

/// The public keys of two private keys, with one field inversion for both.
pub fn public_keys(a: &SecretKey, b: &SecretKey) -> Option<(PublicKey, PublicKey)> {
    let points = [
        mul_by_generator(&a.to_nonzero_scalar()),
        mul_by_generator(&b.to_nonzero_scalar()),
    ];
    let [pa, pb] =
        <ProjectivePoint as BatchNormalize<[ProjectivePoint; 2]>>::batch_normalize(&points);
    let pa = PublicKey::from_affine(pa).ok()?;
    let pb = PublicKey::from_affine(pb).ok()?;
    Some((pa, pb))
}

/// Builds the tables now rather than at the first multiplication (for timing and benchmarks).
pub fn warm_up() {
    LazyLock::force(&TABLES);
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::ops::Reduce;

    /// `k·G` through p256's own code.
    fn reference(k: &Scalar) -> AffinePoint {
        ProjectivePoint::mul_by_generator(k).to_affine()
    }

    fn scalar(bytes: [u8; 32]) -> Scalar {
        <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(bytes))
    }

    #[test]
    fn digits_recombine_to_the_scalar() {
        for k in [
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            scalar([0x80; 32]),
            scalar([0x7f; 32]),
        ] {
            let mut sum = Scalar::ZERO;
            let mut radix = Scalar::ONE;
            for d in signed_digits(&k) {
                assert!((-128..128).contains(&d));
                let m = Scalar::from(u64::from(d.unsigned_abs()));
                sum += if d < 0 { -(m * radix) } else { m * radix };
                radix *= Scalar::from(256u64);
            }
            assert_eq!(sum, k);
        }
    }

    #[test]
    fn edge_scalars_match_p256() {
        for k in [
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            Scalar::from(128u64),
            Scalar::from(256u64),
            scalar([0x80; 32]),
            scalar([0xff; 32]),
        ] {
            assert_eq!(mul_by_generator(&k).to_affine(), reference(&k));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn random_scalars_match_p256(bytes in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let k = scalar(bytes);
            proptest::prop_assert_eq!(mul_by_generator(&k).to_affine(), reference(&k));
        }

        #[test]
        fn public_keys_match_p256(a in proptest::array::uniform32(1u8..), b in proptest::array::uniform32(1u8..)) {
            let (Ok(a), Ok(b)) = (SecretKey::from_bytes(&FieldBytes::from(a)), SecretKey::from_bytes(&FieldBytes::from(b))) else {
                return Ok(());
            };
            let (pa, pb) = public_keys(&a, &b).unwrap();
            proptest::prop_assert_eq!(pa, a.public_key());
            proptest::prop_assert_eq!(pb, b.public_key());
        }
    }
}
