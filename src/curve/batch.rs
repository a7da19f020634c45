//! The comb of a batch: `k·G` for many scalars at once. 7-bit windows with odd digits, 37
//! tables of the 64 odd multiples `1·B, 3·B, … 127·B` of `B = 128^i·G` (151 KiB, built once
//! per process on first use). All the keys of a call advance together, window by window, in
//! affine coordinates; each window's additions share one field inversion (Montgomery's
//! trick), which makes an addition about 6 field multiplications instead of 11, and each
//! window's 4 KiB table stays in the first-level cache for all the keys. Why no addition
//! can hit an exception is written at [`mul_base`].

use crate::curve::field::{Fe, invert_all};
use crate::curve::point::{AffineFe, Entry, Point, build_tables, curve_b, select};
use crate::curve::{Coordinates, Unchecked, single};
use p256::Scalar;
use p256::elliptic_curve::subtle::ConditionallySelectable;
use p256::elliptic_curve::{Field, PrimeField};
use std::hint::black_box;
use std::sync::LazyLock;
use zeroize::{Zeroize, Zeroizing};

/// Bits per window.
const BITS: u32 = 7;
/// Entries per table: the odd multiples `1·B, 3·B, … 127·B` of the window's base
/// `B = 128^i·G`.
const ENTRIES: usize = 1 << (BITS - 1);
/// Windows: 256 bits of scalar, `BITS` at a time (the top window holds the last 4 bits).
const WINDOWS: usize = 256_usize.div_ceil(BITS as usize);
/// Below this many scalars the batch's comb is not worth it (its shared inversions cost
/// more than they save, and its tables are built on first use): the single comb serves.
pub const MANY: usize = 32;

/// `TABLES[i][j] = (2j + 1)·128^i·G`.
static TABLES: LazyLock<Vec<[Entry; ENTRIES]>> =
    LazyLock::new(|| build_tables::<ENTRIES>(WINDOWS, true));

/// Builds the tables now rather than at the first multiplication (for timing and benchmarks).
pub fn warm_up() {
    LazyLock::force(&TABLES);
}

/// One scalar's digits, as [`select`]'s indexes, and the mask saying its result is negated
/// (−1 or 0; an `i16`, so that the struct has no padding, which wiping would not reach).
#[derive(Clone, Copy, Zeroize)]
struct Recoded {
    digits: [i16; WINDOWS],
    negate: i16,
}

impl Recoded {
    /// The negation mask, all ones or zero.
    fn negate_mask(&self) -> u64 {
        i64::from(self.negate) as u64
    }
}

/// The batch comb's digits of `k`. The comb needs an odd scalar: an even `k` is replaced by
/// `n - k` (odd, since the group order `n` is odd), whose multiple is `-(k·G)`. An odd `k`
/// is `Σ dᵢ·128^i` with every digit odd (never zero): `dᵢ = ((k >> 7i) mod 256 | 1) - 128`
/// for the windows but the last, which is `(k >> 252) | 1` (the recoding of Joye and
/// Tunstall, 2009, in the form `kᵢ₊₁ = (kᵢ >> 7) | 1`). Each digit is returned as
/// `select`'s index: the sign of `dᵢ` times `(|dᵢ| + 1) / 2`, the position of `|dᵢ|·B` among
/// the odd multiples. Branch-free; which bits a window reads depends only on its index.
/// (Zero becomes `n − 1`'s digits: the caller refuses it by its own mask.) Every copy of
/// the scalar is wiped; the caller wipes the digits.
fn odd_digits(k: &Scalar) -> Recoded {
    let even = !k.is_odd();
    let mut negated = -k;
    let mut odd = Scalar::conditional_select(k, &negated, even);
    let negate = black_box(-i16::from(even.unwrap_u8()));
    let mut be = odd.to_repr();
    odd.zeroize();
    negated.zeroize();
    let mut le = [0u8; 34];
    for (d, s) in le.iter_mut().zip(be.iter().rev()) {
        *d = *s;
    }
    be.as_mut_slice().zeroize();
    let mut digits = [0i16; WINDOWS];
    for (i, digit) in digits.iter_mut().enumerate() {
        let bit = i * BITS as usize;
        let (byte, shift) = (bit / 8, bit % 8);
        let pair = match (le.get(byte), le.get(byte + 1)) {
            (Some(lo), Some(hi)) => u16::from_le_bytes([*lo, *hi]),
            _ => 0,
        };
        let v = (((pair >> shift) & 0xff) | 1) as i16;
        let d = if i + 1 < WINDOWS { v - (1 << BITS) } else { v };
        // All ones for a negative digit; |d| and the index without a branch.
        let sign = d >> 15;
        let index = (((d ^ sign) - sign) + 1) >> 1;
        *digit = (index ^ sign) - sign;
    }
    le.zeroize();
    Recoded { digits, negate }
}

/// The constant-time part: `kᵢ·G` for every scalar, in affine coordinates, and the fault
/// masks (a zero scalar; a point off the curve). From [`MANY`] scalars on, with the batch's
/// comb: all the multiplications advance together, window by window, in affine
/// coordinates, and each window's additions share one field inversion (Montgomery's trick):
/// about 6 field multiplications per addition instead of the 11 of a projective one. Affine
/// addition has exceptions (adding a point to itself, to its negation, or to the identity),
/// which the odd digits rule out in every window but the last: after `i` windows the
/// accumulated multiple is odd (so not zero) and smaller in magnitude than `128^i`, while
/// the addend is an odd multiple of `128^i`, all below the group order `n` until the last
/// window (`128^36 = 2^252 < n`). The last window uses the complete projective addition,
/// which has no exceptions, then one inversion converts all the points to affine. Fewer
/// scalars go through the single comb, two at a time.
///
/// No branch and no memory index depends on a scalar; the digits, the accumulators, the
/// addends and every scratch buffer are wiped before they are freed.
#[expect(
    clippy::indexing_slicing,
    reason = "digits indexed by window numbers below WINDOWS, the length of every digit array (the windows come from the WINDOWS tables)"
)]
pub fn mul_base(scalars: &[Scalar]) -> Unchecked<Vec<Coordinates>> {
    if scalars.len() < MANY {
        return few(scalars);
    }
    let tables = &*TABLES;
    let b = curve_b();
    let count = scalars.len();
    let mut zero_scalar = 0u64;
    let mut recoded: Zeroizing<Vec<Recoded>> = Zeroizing::new(Vec::with_capacity(count));
    for k in scalars {
        zero_scalar |= u64::from(k.is_zero().unwrap_u8()).wrapping_neg();
        recoded.push(odd_digits(k));
    }
    let mut table_of = tables.iter();
    let (Some(first), Some(last)) = (table_of.next(), table_of.next_back()) else {
        return Unchecked::new(Vec::new(), zero_scalar, u64::MAX);
    };
    // The first window: each accumulator starts at its digit's entry.
    let mut acc: Zeroizing<Vec<AffineFe>> = Zeroizing::new(
        recoded
            .iter()
            .map(|r| select(first, r.digits[0]).0)
            .collect(),
    );
    let mut addends = Zeroizing::new(vec![AffineFe::ZERO; count]);
    let mut dx = Zeroizing::new(vec![Fe::ZERO; count]);
    let mut scratch = Zeroizing::new(vec![Fe::ZERO; count]);
    for (window, table) in (1..).zip(table_of) {
        for (((addend, d), p1), r) in addends
            .iter_mut()
            .zip(dx.iter_mut())
            .zip(acc.iter())
            .zip(recoded.iter())
        {
            *addend = select(table, r.digits[window]).0;
            *d = addend.x.sub(&p1.x);
        }
        invert_all(&mut dx, &mut scratch);
        for ((p1, p2), inv) in acc.iter_mut().zip(addends.iter()).zip(dx.iter()) {
            let mut slope = p2.y.sub(&p1.y).mul(inv);
            let x3 = slope.square().sub(&p1.x).sub(&p2.x);
            let y3 = slope.mul(&p1.x.sub(&x3)).sub(&p1.y);
            *p1 = AffineFe { x: x3, y: y3 };
            slope.zeroize();
        }
    }
    // The last window, complete; the points stay projective until one shared inversion.
    let mut points: Zeroizing<Vec<Point>> = Zeroizing::new(
        acc.iter()
            .zip(recoded.iter())
            .map(|(p, r)| {
                let start = Point {
                    x: p.x,
                    y: p.y,
                    z: Fe::one(),
                };
                let (mut entry, zero) = select(last, r.digits[WINDOWS - 1]);
                let mut q = start.add_mixed(&entry.x, &entry.y, &b, zero);
                entry.zeroize();
                q.y = Fe::select(r.negate_mask(), &q.y, &q.y.neg());
                q
            })
            .collect(),
    );
    let mut z_inv: Zeroizing<Vec<Fe>> = Zeroizing::new(points.iter().map(|p| p.z).collect());
    invert_all(&mut z_inv, &mut scratch);
    let mut off_curve = 0u64;
    let out = points
        .iter_mut()
        .zip(z_inv.iter())
        .map(|(p, z)| {
            let mut affine = AffineFe {
                x: p.x.mul(z),
                y: p.y.mul(z),
            };
            off_curve |= affine.off_curve_mask(&b);
            let c = Coordinates {
                x: affine.x.to_be_bytes(),
                y: affine.y.to_be_bytes(),
            };
            affine.zeroize();
            c
        })
        .collect();
    Unchecked::new(out, zero_scalar, off_curve)
}

/// Fewer than [`MANY`] scalars: the single comb, two at a time (one inversion per two).
fn few(scalars: &[Scalar]) -> Unchecked<Vec<Coordinates>> {
    let (mut zero_scalar, mut off_curve) = (0u64, 0u64);
    let mut out = Vec::with_capacity(scalars.len());
    for chunk in scalars.chunks(2) {
        let (zero, off) = match chunk {
            [a, b] => {
                let pair = Zeroizing::new([*a, *b]);
                let u = single::mul_base(&pair);
                out.extend_from_slice(&u.points);
                (u.zero_scalar, u.off_curve)
            }
            [a] => {
                let one = Zeroizing::new([*a]);
                let u = single::mul_base(&one);
                out.extend_from_slice(&u.points);
                (u.zero_scalar, u.off_curve)
            }
            _ => (0, u64::MAX),
        };
        zero_scalar |= zero;
        off_curve |= off;
    }
    Unchecked::new(out, zero_scalar, off_curve)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::CurveError;
    use crate::curve::vectors;
    use p256::elliptic_curve::Field;

    /// Through the batch's comb: the scalars repeated until there are enough for it.
    fn batch_of(keys: &[Scalar]) -> Vec<Coordinates> {
        let mut padded = keys.to_vec();
        while padded.len() < MANY {
            padded.extend_from_slice(keys);
        }
        let mut got = mul_base(&padded).check().unwrap();
        got.truncate(keys.len());
        got
    }

    fn references(keys: &[Scalar]) -> Vec<Coordinates> {
        keys.iter().map(vectors::reference).collect()
    }

    /// `Σ dᵢ·128^i` from `odd_digits`' indexes, negated when its mask says so.
    fn recombine(r: &Recoded) -> Scalar {
        let mut sum = Scalar::ZERO;
        let mut radix = Scalar::ONE;
        for (i, index) in r.digits.iter().enumerate() {
            assert!(*index != 0);
            if i + 1 < WINDOWS {
                assert!((-(ENTRIES as i16)..=ENTRIES as i16).contains(index));
            } else {
                // The top window: (k >> 252) | 1, positive and at most 15.
                assert!((1..=8).contains(index), "top index {index}");
            }
            let magnitude = Scalar::from(2 * u64::from(index.unsigned_abs()) - 1);
            sum += if *index < 0 {
                -(magnitude * radix)
            } else {
                magnitude * radix
            };
            radix *= Scalar::from(1u64 << BITS);
        }
        if r.negate_mask() == u64::MAX {
            -sum
        } else {
            assert_eq!(r.negate, 0);
            sum
        }
    }

    #[test]
    fn odd_digits_recombine_to_the_scalar() {
        for k in vectors::edge_scalars() {
            assert_eq!(recombine(&odd_digits(&k)), k);
        }
    }

    #[test]
    fn the_tables_are_the_odd_multiples_of_g() {
        let tables = &*TABLES;
        assert_eq!(tables.len(), WINDOWS);
        // Spot checks against p256: the first and last entries of the first, a middle and
        // the last window.
        for window in [0, 1, 18, WINDOWS - 1] {
            for j in [0usize, 1, ENTRIES - 1] {
                let mut k = Scalar::from(2 * j as u64 + 1);
                for _ in 0..window {
                    k *= Scalar::from(1u64 << BITS);
                }
                let want = vectors::reference(&k);
                let entry = &tables[window][j];
                let (x, y) = (
                    Fe([entry.0[0], entry.0[1], entry.0[2], entry.0[3]]),
                    Fe([entry.0[4], entry.0[5], entry.0[6], entry.0[7]]),
                );
                assert_eq!((x.to_be_bytes(), y.to_be_bytes()), (want.x, want.y));
            }
        }
    }

    #[test]
    fn known_answers() {
        let (keys, want): (Vec<Scalar>, Vec<Coordinates>) =
            vectors::known_answers().into_iter().unzip();
        assert_eq!(batch_of(&keys), want);
    }

    #[test]
    fn edge_scalars_match_p256() {
        let edges = vectors::edge_scalars();
        assert_eq!(batch_of(&edges), references(&edges));
    }

    #[test]
    fn zero_is_refused_in_the_batch_and_below_it() {
        let mut keys = vec![Scalar::ONE; MANY];
        keys[MANY / 2] = Scalar::ZERO;
        assert_eq!(mul_base(&keys).check(), Err(CurveError::ZeroScalar));
        assert_eq!(mul_base(&keys[..3]).check(), Ok(references(&keys[..3])));
        keys[1] = Scalar::ZERO;
        assert_eq!(mul_base(&keys[..3]).check(), Err(CurveError::ZeroScalar));
    }

    #[test]
    fn sizes_below_and_at_the_threshold() {
        let keys: Vec<Scalar> = (1..=MANY as u64 + 1).map(Scalar::from).collect();
        for n in [0, 1, 2, 3, MANY - 1, MANY, MANY + 1] {
            assert_eq!(
                mul_base(&keys[..n]).check(),
                Ok(references(&keys[..n])),
                "{n}"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

        #[test]
        fn random_batches_match_p256(keys in proptest::collection::vec(proptest::array::uniform32(proptest::num::u8::ANY), MANY..MANY + 40)) {
            let keys: Vec<Scalar> = keys.into_iter().map(vectors::scalar).filter(|k| !bool::from(k.is_zero())).collect();
            proptest::prop_assert_eq!(batch_of(&keys), references(&keys));
        }

        #[test]
        fn random_digits_recombine(bytes in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let k = vectors::scalar(bytes);
            proptest::prop_assert_eq!(recombine(&odd_digits(&k)), k);
        }
    }
}
