//! The comb of one certificate: `k·G` for a few scalars with nothing built at run time.
//! 4-bit signed windows, 65 tables of the multiples `1·B … 8·B` of `B = 16^i·G` (33 KiB,
//! `single_tables.bin`, part of the program; a test rebuilds them with `p256`'s arithmetic
//! and compares): 65 complete mixed additions per key, then one field inversion for all the
//! keys of a call.

use crate::curve::field::{Fe, invert_all};
use crate::curve::point::{AffineFe, Entry, Point, curve_b, select};
use crate::curve::{Coordinates, Unchecked};
use p256::Scalar;
use p256::elliptic_curve::{Field, PrimeField};
use zeroize::Zeroize;

/// Entries per table: `1·B … 8·B`.
pub(crate) const ENTRIES: usize = 8;
/// Windows: 64 nibbles plus the carry out of the top one.
pub(crate) const WINDOWS: usize = 65;

/// The tables (65 × 8 points, 33,280 bytes), made once by [`crate::curve::point::build_tables`]
/// and kept in the program: each entry is 8 little-endian `u64`, the Montgomery `x` then `y`
/// (the test `the_tables_are_the_multiples_of_g` rebuilds and compares them).
static TABLES: [[Entry; ENTRIES]; WINDOWS] = parse_tables(include_bytes!("single_tables.bin"));

/// The bytes of `single_tables.bin` as tables, at compile time.
#[expect(
    clippy::indexing_slicing,
    reason = "only evaluated at compile time (a static's initialiser), where an index out of range is a build error, not a panic; the loops stay within the array sizes"
)]
const fn parse_tables(bytes: &[u8; WINDOWS * ENTRIES * 64]) -> [[Entry; ENTRIES]; WINDOWS] {
    let mut tables = [[Entry([0u64; 8]); ENTRIES]; WINDOWS];
    let mut i = 0;
    while i < WINDOWS {
        let mut j = 0;
        while j < ENTRIES {
            let mut w = 0;
            while w < 8 {
                let at = ((i * ENTRIES + j) * 8 + w) * 8;
                let mut word = [0u8; 8];
                let mut b = 0;
                while b < 8 {
                    word[b] = bytes[at + b];
                    b += 1;
                }
                tables[i][j].0[w] = u64::from_le_bytes(word);
                w += 1;
            }
            j += 1;
        }
        i += 1;
    }
    tables
}

/// Signed radix-16 digits of a scalar, least significant first: `k = Σ dᵢ·16^i` with
/// `dᵢ ∈ [−8, 8)` but the last, the carry out of the top nibble (0 or 1). Branch-free; which
/// bits a window reads depends only on its index. The caller wipes the digits.
fn signed_digits(k: &Scalar) -> [i16; WINDOWS] {
    let mut be = k.to_repr();
    let mut le = [0u8; 32];
    for (d, s) in le.iter_mut().zip(be.iter().rev()) {
        *d = *s;
    }
    be.as_mut_slice().zeroize();
    let mut digits = [0i16; WINDOWS];
    let mut carry = 0i16;
    for (i, digit) in digits.iter_mut().enumerate() {
        let byte = le.get(i / 2).copied().unwrap_or(0);
        let chunk = i16::from((byte >> (4 * (i % 2))) & 0xf);
        let d = chunk + carry;
        // carry = 1 exactly when d >= 8 (d is at most 16).
        carry = (d + 8) >> 4;
        *digit = d - (carry << 4);
    }
    le.zeroize();
    carry.zeroize();
    digits
}

/// `k·G`, projective: 65 additions from the identity.
fn mul_projective(k: &Scalar, b: &Fe) -> Point {
    let mut digits = signed_digits(k);
    let mut acc = Point::identity();
    for (table, digit) in TABLES.iter().zip(digits.iter()) {
        let (mut entry, zero) = select(table, *digit);
        acc = acc.add_mixed(&entry.x, &entry.y, b, zero);
        entry.zeroize();
    }
    digits.zeroize();
    acc
}

/// The constant-time part: `kᵢ·G` for each scalar, in affine coordinates (one inversion
/// for all), and the fault masks (a zero scalar; a point off the curve). No branch and no
/// memory index depends on a scalar; every intermediate value is wiped.
pub fn mul_base<const N: usize>(scalars: &[Scalar; N]) -> Unchecked<[Coordinates; N]> {
    let b = curve_b();
    let mut zero_scalar = 0u64;
    let mut points = [Point::identity(); N];
    for (point, k) in points.iter_mut().zip(scalars) {
        zero_scalar |= u64::from(k.is_zero().unwrap_u8()).wrapping_neg();
        *point = mul_projective(k, &b);
    }
    let mut z_inv = [Fe::ZERO; N];
    let mut scratch = [Fe::ZERO; N];
    for (z, point) in z_inv.iter_mut().zip(&points) {
        *z = point.z;
    }
    invert_all(&mut z_inv, &mut scratch);
    let mut off_curve = 0u64;
    let mut out = [Coordinates {
        x: [0; 32],
        y: [0; 32],
    }; N];
    for ((o, point), z) in out.iter_mut().zip(&points).zip(&z_inv) {
        let mut affine = AffineFe {
            x: point.x.mul(z),
            y: point.y.mul(z),
        };
        off_curve |= affine.off_curve_mask(&b);
        *o = Coordinates {
            x: affine.x.to_be_bytes(),
            y: affine.y.to_be_bytes(),
        };
        affine.zeroize();
    }
    points.zeroize();
    z_inv.zeroize();
    scratch.zeroize();
    Unchecked::new(out, zero_scalar, off_curve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::CurveError;
    use crate::curve::point::build_tables;
    use crate::curve::vectors;
    use p256::elliptic_curve::Field;

    /// The tables kept in the program are the ones [`build_tables`] makes with p256's
    /// arithmetic. `DPS_WRITE_BASE_POINT_TABLE=1 cargo test the_tables_are` writes them
    /// (then build again).
    #[test]
    fn the_tables_are_the_multiples_of_g() {
        let built = build_tables::<ENTRIES>(WINDOWS, false);
        if std::env::var_os("DPS_WRITE_BASE_POINT_TABLE").is_some() {
            let bytes: Vec<u8> = built
                .iter()
                .flatten()
                .flat_map(|entry| entry.0)
                .flat_map(|w| w.to_le_bytes())
                .collect();
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/src/curve/single_tables.bin"),
                bytes,
            )
            .unwrap();
        }
        assert!(
            built.as_slice() == TABLES.as_slice(),
            "src/curve/single_tables.bin is not the tables build_tables makes"
        );
    }

    #[test]
    fn digits_recombine_to_the_scalar() {
        for k in [
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            vectors::scalar([0x88; 32]),
            vectors::scalar([0x77; 32]),
            vectors::scalar([0xf8; 32]),
        ] {
            let digits = signed_digits(&k);
            let mut sum = Scalar::ZERO;
            let mut radix = Scalar::ONE;
            for (i, d) in digits.iter().enumerate() {
                if i < WINDOWS - 1 {
                    assert!((-8..8).contains(d));
                } else {
                    assert!((0..=1).contains(d));
                }
                let m = Scalar::from(u64::from(d.unsigned_abs()));
                sum += if *d < 0 { -(m * radix) } else { m * radix };
                radix *= Scalar::from(16u64);
            }
            assert_eq!(sum, k);
        }
    }

    #[test]
    fn known_answers() {
        for (k, want) in vectors::known_answers() {
            let [got] = mul_base(&[k]).check().unwrap();
            assert_eq!(got, want, "{k:?}");
        }
    }

    #[test]
    fn zero_is_refused() {
        assert_eq!(
            mul_base(&[Scalar::ZERO]).check(),
            Err(CurveError::ZeroScalar)
        );
        assert_eq!(
            mul_base(&[Scalar::ONE, Scalar::ZERO]).check(),
            Err(CurveError::ZeroScalar)
        );
    }

    #[test]
    fn edge_scalars_match_p256() {
        for k in vectors::edge_scalars() {
            assert_eq!(mul_base(&[k]).check().unwrap(), [vectors::reference(&k)]);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn random_scalars_match_p256(a in proptest::array::uniform32(proptest::num::u8::ANY), b in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let (a, b) = (vectors::scalar(a), vectors::scalar(b));
            proptest::prop_assume!(!bool::from(a.is_zero() | b.is_zero()));
            let got = mul_base(&[a, b]).check().unwrap();
            proptest::prop_assert_eq!(got, [vectors::reference(&a), vectors::reference(&b)]);
        }
    }
}
