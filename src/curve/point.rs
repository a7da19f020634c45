//! Points of P-256 (`y² = x³ − 3x + b`) over [`Fe`]: the complete projective addition of an
//! affine point (Renes–Costello–Batina 2015, algorithm 5, for `a = −3`, as `primeorder`
//! writes it), the curve equation as a mask, table entries and the constant-time scan that
//! reads one of them, and the tables' generator (from `p256`'s own arithmetic).

use crate::curve::field::Fe;
use p256::elliptic_curve::Group;
use p256::elliptic_curve::point::{AffineCoordinates, BatchNormalize};
use p256::{FieldBytes, ProjectivePoint};
use std::hint::black_box;
use zeroize::Zeroize;

/// b of P-256 (FIPS 186-4 D.1.2.3), Montgomery form.
pub(crate) fn curve_b() -> Fe {
    let mut b = FieldBytes::default();
    let _ = hex::decode_to_slice(
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        &mut b,
    );
    Fe::from_be_bytes(&b)
}

/// A projective point `(X : Y : Z)`; `Z = 0` is the identity.
#[derive(Clone, Copy, Zeroize)]
pub(crate) struct Point {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) z: Fe,
}

/// An affine point `(x, y)`, Montgomery form.
#[derive(Clone, Copy, Zeroize)]
pub(crate) struct AffineFe {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
}

impl AffineFe {
    pub(crate) const ZERO: AffineFe = AffineFe {
        x: Fe::ZERO,
        y: Fe::ZERO,
    };

    /// All ones when `y² ≠ x³ − 3x + b` (not on the curve), else zero; no branch.
    pub(crate) fn off_curve_mask(&self, b: &Fe) -> u64 {
        let (x, y) = (&self.x, &self.y);
        let x3 = x.square().mul(x);
        let three_x = x.double().add(x);
        let rhs = x3.sub(&three_x).add(b);
        !y.square().sub(&rhs).is_zero_mask()
    }
}

impl Point {
    pub(crate) fn identity() -> Point {
        Point {
            x: Fe::ZERO,
            y: Fe::one(),
            z: Fe::ZERO,
        }
    }

    /// `self + (x2, y2)`, or `self` where `keep` is all ones (the addend is the identity).
    /// Complete: no exception, whatever the two points.
    pub(crate) fn add_mixed(&self, x2: &Fe, y2: &Fe, b: &Fe, keep: u64) -> Point {
        let (x1, y1, z1) = (&self.x, &self.y, &self.z);
        let xx = x1.mul(x2);
        let yy = y1.mul(y2);
        let xy_pairs = x1.add(y1).mul(&x2.add(y2)).sub(&xx.add(&yy));
        let yz_pairs = y2.mul(z1).add(y1);
        let xz_pairs = x2.mul(z1).add(x1);
        let bz_part = xz_pairs.sub(&b.mul(z1));
        let bz3_part = bz_part.double().add(&bz_part);
        let yy_m_bzz3 = yy.sub(&bz3_part);
        let yy_p_bzz3 = yy.add(&bz3_part);
        let z3 = z1.double().add(z1);
        let bxz_part = b.mul(&xz_pairs).sub(&z3.add(&xx));
        let bxz3_part = bxz_part.double().add(&bxz_part);
        let xx3_m_zz3 = xx.double().add(&xx).sub(&z3);
        let x = yy_p_bzz3.mul(&xy_pairs).sub(&yz_pairs.mul(&bxz3_part));
        let y = yy_p_bzz3.mul(&yy_m_bzz3).add(&xx3_m_zz3.mul(&bxz3_part));
        let z = yy_m_bzz3.mul(&yz_pairs).add(&xy_pairs.mul(&xx3_m_zz3));
        Point {
            x: Fe::select(keep, &x, x1),
            y: Fe::select(keep, &y, y1),
            z: Fe::select(keep, &z, z1),
        }
    }
}

/// A table entry: affine `x` and `y` in Montgomery form, one cache line (aligned, so the
/// scan's vector instructions read it straight from memory).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(C, align(64))]
pub(crate) struct Entry(pub(crate) [u64; 8]);

/// A scan mask, twice (one SSE2 register), aligned like the register.
#[derive(Clone, Copy, Zeroize)]
#[repr(C, align(16))]
struct Mask([u64; 2]);

/// All ones when `a == b`, else zero, without a branch.
fn eq_mask(a: u64, b: u64) -> u64 {
    black_box(((a ^ b).wrapping_sub(1) >> 63).wrapping_neg())
}

/// The entry `|d|·B` of a table whose entry `j` is `(j + 1)·B` (`x`, `y`, negated when
/// `d < 0`) and a mask that is all ones when `d = 0`, reading every entry. The masks and the
/// selected words are wiped before returning (the caller wipes what it gets).
#[expect(
    clippy::indexing_slicing,
    reason = "an entry's 8 words indexed by a loop counter below 8; the loop is unrolled (and vectorised)"
)]
pub(crate) fn select<const N: usize>(table: &[Entry; N], digit: i16) -> (AffineFe, u64) {
    let magnitude = u64::from(digit.unsigned_abs());
    // All masks first, then made opaque in one go: the optimiser cannot see that only one
    // is set, so it cannot turn the scan into a jump to that entry (checked in the machine
    // code, and by the Valgrind test: `docs/constant-time.md`).
    let mut masks = [Mask([0; 2]); N];
    for (j, mask) in (1u64..).zip(masks.iter_mut()) {
        let m = ((j ^ magnitude).wrapping_sub(1) >> 63).wrapping_neg();
        *mask = Mask([m, m]);
    }
    // Opaque in place (the compiler must assume the masks changed), not copied.
    black_box(&mut masks);
    let mut words = [0u64; 8];
    for (entry, mask) in table.iter().zip(&masks) {
        for (k, word) in words.iter_mut().enumerate() {
            *word |= entry.0[k] & mask.0[k % 2];
        }
    }
    masks.zeroize();
    // Through memory: the compiler then vectorises the whole scan (all eight words in SSE2
    // registers), not only the half it otherwise keeps in vector registers.
    black_box(&mut words);
    let (mut x, mut y) = ([0u64; 4], [0u64; 4]);
    x.copy_from_slice(words.get(..4).unwrap_or(&[0; 4]));
    y.copy_from_slice(words.get(4..).unwrap_or(&[0; 4]));
    words.zeroize();
    let (x, y) = (Fe(x), Fe(y));
    // Arithmetic shift: all ones for a negative digit.
    let negative = black_box((i64::from(digit) >> 63) as u64);
    let y = Fe::select(negative, &y, &y.neg());
    (AffineFe { x, y }, eq_mask(magnitude, 0))
}

/// Points as tables of `N` affine entries (one field inversion for all).
pub(crate) fn to_entries<const N: usize>(projective: &[ProjectivePoint]) -> Vec<[Entry; N]> {
    let affine =
        <ProjectivePoint as BatchNormalize<[ProjectivePoint]>>::batch_normalize(projective);
    affine
        .chunks_exact(N)
        .map(|chunk| {
            let mut table = [Entry([0u64; 8]); N];
            for (entry, point) in table.iter_mut().zip(chunk) {
                let (x, y) = (Fe::from_be_bytes(&point.x()), Fe::from_be_bytes(&point.y()));
                for (e, w) in entry.0.iter_mut().zip(x.0.iter().chain(y.0.iter())) {
                    *e = *w;
                }
            }
            table
        })
        .collect()
}

/// `windows` tables of `N` entries from `p256`'s arithmetic: with `odd`, table `i` holds the
/// odd multiples `1·B, 3·B, … (2N − 1)·B` of `B = (2N)^i·G` (the batch comb's); without,
/// the multiples `1·B … N·B` of `B = (2N)^i·G` (the single comb's, kept in the program).
pub(crate) fn build_tables<const N: usize>(windows: usize, odd: bool) -> Vec<[Entry; N]> {
    let mut projective = Vec::with_capacity(windows * N);
    let mut base = ProjectivePoint::GENERATOR;
    for _ in 0..windows {
        let step = if odd { base.double() } else { base };
        let mut multiple = base;
        for _ in 0..N {
            projective.push(multiple);
            multiple += step;
        }
        // Odd: `multiple` is (2N + 1)·B, the next base 2N·B. Otherwise (N + 1)·B, and the
        // next base 2N·B.
        base = if odd {
            multiple - base
        } else {
            (multiple - base).double()
        };
    }
    to_entries::<N>(&projective)
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Group;
    use p256::elliptic_curve::sec1::ToSec1Point;
    use p256::{AffinePoint, Scalar};

    fn affine_of(k: u64) -> AffineFe {
        let p = (ProjectivePoint::GENERATOR * Scalar::from(k)).to_affine();
        AffineFe {
            x: Fe::from_be_bytes(&p.x()),
            y: Fe::from_be_bytes(&p.y()),
        }
    }

    fn to_affine(p: &Point) -> ([u8; 32], [u8; 32]) {
        let z_inv = p.z.invert();
        (p.x.mul(&z_inv).to_be_bytes(), p.y.mul(&z_inv).to_be_bytes())
    }

    /// G and 2G as SEC 2 (2.4.2) and the NIST test vectors give them.
    #[test]
    fn the_generator_and_its_double() {
        let g = AffinePoint::GENERATOR.to_sec1_point(false);
        assert_eq!(
            hex::encode(g.as_bytes()),
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        );
        let g = affine_of(1);
        let twice = Point {
            x: g.x,
            y: g.y,
            z: Fe::one(),
        }
        .add_mixed(&g.x, &g.y, &curve_b(), 0);
        let (x, y) = to_affine(&twice);
        assert_eq!(
            hex::encode(x),
            "7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978"
        );
        assert_eq!(
            hex::encode(y),
            "07775510db8ed040293d9ac69f7430dbba7dade63ce982299e04b79d227873d1"
        );
    }

    #[test]
    fn the_addition_is_complete() {
        let b = curve_b();
        let (g, g2, g3) = (affine_of(1), affine_of(2), affine_of(3));
        let at = |a: &AffineFe| Point {
            x: a.x,
            y: a.y,
            z: Fe::one(),
        };
        // P + Q, P + P, P + (−P), O + P, and P + O through the mask.
        let sum = at(&g).add_mixed(&g2.x, &g2.y, &b, 0);
        assert_eq!(to_affine(&sum), (g3.x.to_be_bytes(), g3.y.to_be_bytes()));
        let double = at(&g).add_mixed(&g.x, &g.y, &b, 0);
        assert_eq!(to_affine(&double), (g2.x.to_be_bytes(), g2.y.to_be_bytes()));
        let none = at(&g).add_mixed(&g.x, &g.y.neg(), &b, 0);
        assert_eq!(none.z.is_zero_mask(), u64::MAX);
        let from_identity = Point::identity().add_mixed(&g.x, &g.y, &b, 0);
        assert_eq!(
            to_affine(&from_identity),
            (g.x.to_be_bytes(), g.y.to_be_bytes())
        );
        let kept = at(&g).add_mixed(&g2.x, &g2.y, &b, u64::MAX);
        assert_eq!(to_affine(&kept), (g.x.to_be_bytes(), g.y.to_be_bytes()));
    }

    #[test]
    fn the_curve_equation() {
        let b = curve_b();
        for k in [1u64, 2, 3, 1000] {
            assert_eq!(affine_of(k).off_curve_mask(&b), 0);
        }
        let mut bent = affine_of(5);
        bent.y = bent.y.add(&Fe::one());
        assert_eq!(bent.off_curve_mask(&b), u64::MAX);
        assert_eq!(AffineFe::ZERO.off_curve_mask(&b), u64::MAX);
    }

    #[test]
    fn select_reads_the_digits_entry() {
        let tables = build_tables::<8>(1, false);
        let table = &tables[0];
        for d in -8i16..=8 {
            let (got, zero) = select(table, d);
            assert_eq!(zero, if d == 0 { u64::MAX } else { 0 });
            if d != 0 {
                let want = affine_of(u64::from(d.unsigned_abs()));
                let want_y = if d < 0 { want.y.neg() } else { want.y };
                assert_eq!(got.x.0, want.x.0);
                assert_eq!(got.y.0, want_y.0);
            }
        }
    }

    #[test]
    fn both_kinds_of_table_hold_their_multiples() {
        let plain = build_tables::<4>(3, false);
        let odd = build_tables::<4>(3, true);
        for (i, (plain, odd)) in plain.iter().zip(&odd).enumerate() {
            let radix = 8u64.pow(i as u32);
            for j in 0..4u64 {
                let p = affine_of((j + 1) * radix);
                assert_eq!(plain[j as usize].0[..4], p.x.0);
                assert_eq!(plain[j as usize].0[4..], p.y.0);
                let o = affine_of((2 * j + 1) * radix);
                assert_eq!(odd[j as usize].0[..4], o.x.0);
                assert_eq!(odd[j as usize].0[4..], o.y.0);
            }
        }
    }

    #[test]
    fn the_identity_is_the_identity() {
        assert!(bool::from(ProjectivePoint::IDENTITY.is_identity()));
        assert_eq!(Point::identity().z.is_zero_mask(), u64::MAX);
    }
}
