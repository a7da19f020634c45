//! Fast fixed-base multiplication `k·G` on P-256 (the public keys), by two combs over
//! precomputed tables of affine points, so that no multiplication doubles.
//!
//! - **One certificate** ([`public_keys`]): 4-bit signed windows, 65 tables of 8 points
//!   (33 KiB) that are part of the program (`base_point_16.bin`, checked by a test against
//!   the points p256 computes), so nothing is built: 65 complete mixed additions per key
//!   (Renes–Costello–Batina 2015, algorithm 5, for `a = -3`, as `primeorder` writes it),
//!   then one field inversion for both points.
//! - **A batch** ([`public_keys_many`], from [`MANY`] pairs): 7-bit windows with odd digits,
//!   37 tables of 64 odd multiples (151 KiB, built once per process on first use). All the
//!   keys of a call advance together, window by window, in affine coordinates; each window's
//!   additions share one field inversion (Montgomery's trick), which makes an addition about
//!   6 field multiplications instead of 11, and each window's 4 KiB table stays in the
//!   first-level cache for all the keys. Why no addition can hit an exception is written at
//!   [`public_keys_many`].
//!
//! The field arithmetic is written here, with `u128` carries, in Montgomery form; it is
//! checked against fiat-crypto's formally verified P-256 code (`fiat_crypto::p256_64`) by
//! property tests on random and carry-prone values, and kept because it compiles to fewer
//! instructions (fiat passes each carry through a byte) and uses the prime's shape (one
//! limb multiplication per reduction step, not four).
//!
//! Everything that depends on a secret runs in constant time: every table entry is read
//! for every window, selected with masks rather than branches (the masks are made opaque
//! to the optimiser with `black_box`, since it otherwise turns the scan into a jump to the
//! one entry: checked in the machine code), the negations are masked, and the recoding of a
//! scalar into digits reads bits at positions that depend only on the window.

use fiat_crypto::p256_64 as fiat;
use p256::elliptic_curve::point::{AffineCoordinates, BatchNormalize};
use p256::elliptic_curve::subtle::ConditionallySelectable;
use p256::elliptic_curve::{Group, PrimeField};
use p256::{AffinePoint, FieldBytes, ProjectivePoint, PublicKey, Scalar, SecretKey};
use std::hint::black_box;
use std::sync::LazyLock;
use zeroize::{Zeroize, Zeroizing};

/// Bits per window of the batch's comb.
const BITS: u32 = 7;
/// Entries per table: the odd multiples `1·B, 3·B, … 127·B` of the window's base
/// `B = 128^i·G`.
const ENTRIES: usize = 1 << (BITS - 1);
/// Windows: 256 bits of scalar, `BITS` at a time (the top window holds the last 4 bits).
const WINDOWS: usize = 256_usize.div_ceil(BITS as usize);
/// Below this many pairs the batch's comb is not worth it (its shared inversions cost more
/// than they save, and its tables are built on first use): the single-use comb serves.
const MANY: usize = 16;

/// The single-use comb (one certificate): 4-bit signed windows, so tables of the multiples
/// `1·B … 8·B` of `B = 16^i·G`.
const SMALL_ENTRIES: usize = 8;
/// Windows of the single-use comb: 64 nibbles plus the carry out of the top one.
const SMALL_WINDOWS: usize = 65;
/// The single-use comb's tables (65 × 8 points, 33,280 bytes), made once by
/// [`Tables::build`]'s method and kept in the program, so that one certificate builds
/// nothing: each entry is 8 little-endian `u64`, the Montgomery `x` then `y`
/// (the test `the_small_tables_are_the_multiples_of_g` rebuilds and compares them).
static SMALL_TABLES: [[Entry; SMALL_ENTRIES]; SMALL_WINDOWS] =
    parse_tables(include_bytes!("base_point_16.bin"));

/// The bytes of `base_point_16.bin` as tables, at compile time.
#[expect(
    clippy::indexing_slicing,
    reason = "only evaluated at compile time (a static's initialiser), where an index out of range is a build error, not a panic; the loops stay within the array sizes"
)]
const fn parse_tables(
    bytes: &[u8; SMALL_WINDOWS * SMALL_ENTRIES * 64],
) -> [[Entry; SMALL_ENTRIES]; SMALL_WINDOWS] {
    let mut tables = [[Entry([0u64; 8]); SMALL_ENTRIES]; SMALL_WINDOWS];
    let mut i = 0;
    while i < SMALL_WINDOWS {
        let mut j = 0;
        while j < SMALL_ENTRIES {
            let mut w = 0;
            while w < 8 {
                let at = ((i * SMALL_ENTRIES + j) * 8 + w) * 8;
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

/// b of P-256 (FIPS 186-4 D.1.2.3), Montgomery form.
fn curve_b() -> Fe {
    let mut b = FieldBytes::default();
    let _ = hex::decode_to_slice(
        "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        &mut b,
    );
    Fe::from_be_bytes(&b)
}

/// A field element in Montgomery form.
#[derive(Clone, Copy)]
struct Fe([u64; 4]);

impl Fe {
    const ZERO: Fe = Fe([0; 4]);

    fn one() -> Fe {
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_set_one(&mut out);
        Fe(out.0)
    }

    fn mont(&self) -> fiat::fiat_p256_montgomery_domain_field_element {
        fiat::fiat_p256_montgomery_domain_field_element(self.0)
    }

    fn mul(&self, rhs: &Fe) -> Fe {
        Fe(mont_mul(&self.0, &rhs.0))
    }

    fn square(&self) -> Fe {
        Fe(mont_square(&self.0))
    }

    fn add(&self, rhs: &Fe) -> Fe {
        Fe(add_mod_p(&self.0, &rhs.0))
    }

    fn sub(&self, rhs: &Fe) -> Fe {
        Fe(sub_mod_p(&self.0, &rhs.0))
    }

    fn neg(&self) -> Fe {
        Fe(sub_mod_p(&[0; 4], &self.0))
    }

    fn double(&self) -> Fe {
        self.add(self)
    }

    fn sqn(&self, n: usize) -> Fe {
        let mut x = *self;
        for _ in 0..n {
            x = x.square();
        }
        x
    }

    /// `self^(p-2)`: the inverse for non-zero `self` (zero stays zero). Constant time.
    ///
    /// p - 2 = `ffffffff 00000001 00000000 00000000 00000000 ffffffff ffffffff fffffffd`:
    /// from the top, 32 ones, 31 zeros and a one, 96 zeros, 94 ones, a zero and a one.
    /// `xN` below is `self^(2^N - 1)` (N ones).
    fn invert(&self) -> Fe {
        let x1 = *self;
        let x2 = x1.square().mul(&x1);
        let x4 = x2.sqn(2).mul(&x2);
        let x6 = x4.sqn(2).mul(&x2);
        let x8 = x4.sqn(4).mul(&x4);
        let x14 = x8.sqn(6).mul(&x6);
        let x16 = x8.sqn(8).mul(&x8);
        let x30 = x16.sqn(14).mul(&x14);
        let x32 = x16.sqn(16).mul(&x16);
        let x64 = x32.sqn(32).mul(&x32);
        let x94 = x64.sqn(30).mul(&x30);
        let r = x32.sqn(32).mul(&x1);
        let r = r.sqn(96);
        let r = r.sqn(94).mul(&x94);
        r.sqn(2).mul(&x1)
    }

    fn from_be_bytes(bytes: &FieldBytes) -> Fe {
        let mut le = [0u8; 32];
        for (d, s) in le.iter_mut().zip(bytes.iter().rev()) {
            *d = *s;
        }
        let mut limbs = [0u64; 4];
        fiat::fiat_p256_from_bytes(&mut limbs, &le);
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_to_montgomery(
            &mut out,
            &fiat::fiat_p256_non_montgomery_domain_field_element(limbs),
        );
        Fe(out.0)
    }

    fn to_be_bytes(self) -> [u8; 32] {
        let mut plain = fiat::fiat_p256_non_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_from_montgomery(&mut plain, &self.mont());
        let mut le = [0u8; 32];
        fiat::fiat_p256_to_bytes(&mut le, &plain.0);
        le.reverse();
        le
    }

    /// `a` where `mask` is zero, `b` where it is all ones.
    fn select(mask: u64, a: &Fe, b: &Fe) -> Fe {
        let mut out = [0u64; 4];
        for ((o, x), y) in out.iter_mut().zip(a.0).zip(b.0) {
            *o = x ^ ((x ^ y) & mask);
        }
        Fe(out)
    }
}

/// The P-256 prime, little-endian 64-bit limbs.
const P: [u64; 4] = [
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0x0000_0000_0000_0000,
    0xffff_ffff_0000_0001,
];

/// Montgomery multiplication `a·b·2^-256 mod p` for inputs below `p`, the same result as
/// `fiat_p256_mul` (checked by the tests against it): the product in 8 limbs, then four
/// word-by-word reduction steps, then one masked subtraction of `p`. `-p^-1 mod 2^64` is 1,
/// so each step's multiplier `m` is the low limb itself, and adding `m·p` needs one
/// multiplication, not four: `p = 2^256 - 2^224 + 2^192 + 2^96 - 1`, so the low two limbs of
/// `m·p` plus `m` are `m·2^96` (the low limb becomes zero, the next gains `m·2^32`), the
/// third limb of `p` is zero and only the fourth, `2^64 - 2^32 + 1`, is multiplied.
/// Carries stay in `u128` accumulators, which the compiler turns into add-with-carry chains
/// (fiat's code passes each carry through a byte). Constant time: no branch, no index
/// depends on the inputs.
#[expect(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their sizes; the loops are unrolled"
)]
fn mont_mul(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut t = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u64;
        for j in 0..4 {
            let v = u128::from(a[i]) * u128::from(b[j]) + u128::from(t[i + j]) + u128::from(carry);
            t[i + j] = v as u64;
            carry = (v >> 64) as u64;
        }
        t[i + 4] = carry;
    }
    mont_reduce(t)
}

/// Montgomery squaring `a·a·2^-256 mod p`, the same result as [`mont_mul`]`(a, a)` (checked
/// by the tests against fiat's multiplication): the six products of different limbs once,
/// doubled, plus the four squares, so 10 limb multiplications instead of 16.
#[expect(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their sizes; the loops are unrolled"
)]
fn mont_square(a: &[u64; 4]) -> [u64; 4] {
    let mut t = [0u64; 8];
    for i in 0..3 {
        let mut carry = 0u64;
        for j in i + 1..4 {
            let v = u128::from(a[i]) * u128::from(a[j]) + u128::from(t[i + j]) + u128::from(carry);
            t[i + j] = v as u64;
            carry = (v >> 64) as u64;
        }
        t[i + 4] = carry;
    }
    // Double the cross products (they are below 2^448, so the doubling fits in 8 limbs).
    let mut high = 0u64;
    for limb in t.iter_mut() {
        let next = *limb >> 63;
        *limb = (*limb << 1) | high;
        high = next;
    }
    let mut carry = 0u64;
    for i in 0..4 {
        let square = u128::from(a[i]) * u128::from(a[i]);
        let v = u128::from(t[2 * i]) + (square & u128::from(u64::MAX)) + u128::from(carry);
        t[2 * i] = v as u64;
        let v = u128::from(t[2 * i + 1]) + (square >> 64) + (v >> 64);
        t[2 * i + 1] = v as u64;
        carry = (v >> 64) as u64;
    }
    mont_reduce(t)
}

/// The Montgomery reduction `t·2^-256 mod p` of a product `t < p^2` (8 limbs): four
/// word-by-word steps (see [`mont_mul`]), then one masked subtraction.
#[expect(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their sizes; the loops are unrolled"
)]
#[inline(always)]
fn mont_reduce(mut t: [u64; 8]) -> [u64; 4] {
    let mut top = 0u64;
    for i in 0..4 {
        let m = t[i];
        // Limbs i and i+1: t[i] + m·(2^96 - 1) = m·2^96 (t[i] is m), so limb i is now zero.
        let v = u128::from(t[i + 1]) + (u128::from(m) << 32);
        t[i + 1] = v as u64;
        // Limb i+2: p's third limb is zero, only the carry.
        let v = u128::from(t[i + 2]) + (v >> 64);
        t[i + 2] = v as u64;
        let v = u128::from(t[i + 3]) + u128::from(m) * u128::from(P[3]) + (v >> 64);
        t[i + 3] = v as u64;
        let v = u128::from(t[i + 4]) + (v >> 64) + u128::from(top);
        t[i + 4] = v as u64;
        top = (v >> 64) as u64;
    }
    let mut r = [0u64; 4];
    r.copy_from_slice(&t[4..]);
    reduce_once(&r, top)
}

/// `r + top·2^256` reduced once: for a value below `2p`, the value mod p. Subtracts `p`
/// unless that borrows more than `top` holds; the choice is a mask, not a branch.
#[expect(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their sizes; the loops are unrolled"
)]
fn reduce_once(r: &[u64; 4], top: u64) -> [u64; 4] {
    let mut reduced = [0u64; 4];
    let mut borrow = 0u64;
    for j in 0..4 {
        let v = u128::from(r[j])
            .wrapping_sub(u128::from(P[j]))
            .wrapping_sub(u128::from(borrow));
        reduced[j] = v as u64;
        borrow = ((v >> 64) as u64) & 1;
    }
    let keep = black_box((u64::from(borrow > top)).wrapping_neg());
    let mut out = [0u64; 4];
    for j in 0..4 {
        out[j] = reduced[j] ^ ((reduced[j] ^ r[j]) & keep);
    }
    out
}

/// `a + b mod p` for inputs below `p` (the same as `fiat_p256_add`, checked by the tests).
#[expect(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their sizes; the loops are unrolled"
)]
fn add_mod_p(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut sum = [0u64; 4];
    let mut carry = 0u64;
    for j in 0..4 {
        let v = u128::from(a[j]) + u128::from(b[j]) + u128::from(carry);
        sum[j] = v as u64;
        carry = (v >> 64) as u64;
    }
    reduce_once(&sum, carry)
}

/// `a - b mod p` for inputs below `p` (the same as `fiat_p256_sub`, checked by the tests):
/// the difference, plus `p` under a mask when it borrowed.
#[expect(
    clippy::indexing_slicing,
    reason = "fixed-size arrays indexed by loop counters within their sizes; the loops are unrolled"
)]
fn sub_mod_p(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut diff = [0u64; 4];
    let mut borrow = 0u64;
    for j in 0..4 {
        let v = u128::from(a[j])
            .wrapping_sub(u128::from(b[j]))
            .wrapping_sub(u128::from(borrow));
        diff[j] = v as u64;
        borrow = ((v >> 64) as u64) & 1;
    }
    let mask = black_box(borrow.wrapping_neg());
    let mut out = [0u64; 4];
    let mut carry = 0u64;
    for j in 0..4 {
        let v = u128::from(diff[j]) + u128::from(P[j] & mask) + u128::from(carry);
        out[j] = v as u64;
        carry = (v >> 64) as u64;
    }
    out
}

/// A projective point `(X : Y : Z)`.
#[derive(Clone, Copy)]
struct Point {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Point {
    fn identity() -> Point {
        Point {
            x: Fe::ZERO,
            y: Fe::one(),
            z: Fe::ZERO,
        }
    }

    /// `self + (x2, y2)`, or `self` where `keep` is all ones (the addend is the identity).
    fn add_mixed(&self, x2: &Fe, y2: &Fe, b: &Fe, keep: u64) -> Point {
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
struct Entry([u64; 8]);

/// A scan mask, twice (one SSE2 register), aligned like the register.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Mask([u64; 2]);

/// `TABLES[i][j] = (2j + 1)·128^i·G`, and the curve's `b`.
struct Tables {
    tables: Vec<[Entry; ENTRIES]>,
    b: Fe,
}

static TABLES: LazyLock<Tables> = LazyLock::new(Tables::build);

impl Tables {
    fn build() -> Self {
        let mut projective = Vec::with_capacity(WINDOWS * ENTRIES);
        let mut base = ProjectivePoint::generator();
        for _ in 0..WINDOWS {
            let twice = base.double();
            let mut multiple = base;
            for _ in 0..ENTRIES {
                projective.push(multiple);
                multiple += twice;
            }
            // `multiple` is now (2·ENTRIES + 1)·B; the next window's base is 2·ENTRIES·B.
            base = multiple - base;
        }
        Self {
            tables: to_entries::<ENTRIES>(&projective),
            b: curve_b(),
        }
    }
}

/// `windows` tables of `N` entries: table `i` holds `1·B … N·B` for `B = (2N)^i·G` (how
/// `base_point_16.bin` was made; the test that checks it calls this).
#[cfg(test)]
fn build_tables<const N: usize>(windows: usize) -> Vec<[Entry; N]> {
    let mut projective = Vec::with_capacity(windows * N);
    let mut base = ProjectivePoint::generator();
    for _ in 0..windows {
        let mut multiple = base;
        for _ in 0..N {
            projective.push(multiple);
            multiple += base;
        }
        // The last pushed is N·B; the next window's base is 2N·B.
        base = (multiple - base).double();
    }
    to_entries::<N>(&projective)
}

/// Points as tables of `N` affine entries (one field inversion for all).
fn to_entries<const N: usize>(projective: &[ProjectivePoint]) -> Vec<[Entry; N]> {
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

/// The batch comb's digits of `k`, and a mask that is all ones when the result must be
/// negated. The comb needs an odd scalar: an even `k` is replaced by `n - k` (odd, since
/// the group order `n` is odd), whose multiple is `-(k·G)`. An odd `k` is `Σ dᵢ·128^i`
/// with every digit odd (never zero): `dᵢ = ((k >> 7i) mod 256 | 1) - 128` for the windows
/// but the last, which is `(k >> 252) | 1` (the recoding of Joye and Tunstall, 2009, in the
/// form `kᵢ₊₁ = (kᵢ >> 7) | 1`). Each digit is returned as `select`'s index: the sign of
/// `dᵢ` times `(|dᵢ| + 1) / 2`, the position of `|dᵢ|·B` among the odd multiples. Branch-free;
/// which bits a window reads depends only on its index.
fn odd_digits(k: &Scalar) -> ([i16; WINDOWS], u64) {
    let even = !k.is_odd();
    let k = Scalar::conditional_select(k, &-k, even);
    let negate = black_box(u64::from(even.unwrap_u8()).wrapping_neg());
    let be = k.to_repr();
    let mut le = [0u8; 34];
    for (d, s) in le.iter_mut().zip(be.iter().rev()) {
        *d = *s;
    }
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
    (digits, negate)
}

/// Signed radix-`2^BITS` digits of a scalar (`BITS` from 4 to 8), least significant first:
/// `k = Σ dᵢ·2^(BITS·i)` with `dᵢ ∈ [-2^(BITS-1), 2^(BITS-1))` but the last, the top bits
/// and the carry into them (at most `2^(BITS-1)`, since `W` is `(256 + BITS) / BITS`: the
/// top window holds fewer than `BITS - 1` bits, or is the carry alone). Branch-free; which
/// bits a window reads depends only on its index.
fn signed_digits_of<const W: usize, const BITS: u32>(k: &Scalar) -> [i16; W] {
    let be = k.to_repr();
    let mut le = [0u8; 34];
    for (d, s) in le.iter_mut().zip(be.iter().rev()) {
        *d = *s;
    }
    let mut digits = [0i16; W];
    let mut carry = 0i16;
    let half = 1i16 << (BITS - 1);
    let mask = (1u16 << BITS) - 1;
    for (i, digit) in digits.iter_mut().enumerate() {
        let bit = i * BITS as usize;
        let (byte, shift) = (bit / 8, bit % 8);
        let pair = match (le.get(byte), le.get(byte + 1)) {
            (Some(lo), Some(hi)) => u16::from_le_bytes([*lo, *hi]),
            (Some(lo), None) => u16::from(*lo),
            _ => 0,
        };
        let chunk = ((pair >> shift) & mask) as i16;
        let d = chunk + carry;
        // carry = 1 exactly when d >= half (d is at most 2^BITS).
        carry = (d + half) >> BITS;
        *digit = d - (carry << BITS);
    }
    digits
}

/// All ones when `a == b`, else zero, without a branch.
fn eq_mask(a: u64, b: u64) -> u64 {
    black_box(((a ^ b).wrapping_sub(1) >> 63).wrapping_neg())
}

/// The entry `|d|·B` of a table (`x`, `y`, negated when `d < 0`) and a mask that is all
/// ones when `d = 0`, reading every entry.
#[expect(
    clippy::indexing_slicing,
    reason = "an entry's 8 words indexed by a loop counter below 8; the loop is unrolled (and vectorised)"
)]
fn select<const N: usize>(table: &[Entry; N], digit: i16) -> (Fe, Fe, u64) {
    let magnitude = u64::from(digit.unsigned_abs());
    // All masks first, then made opaque in one go: the optimiser cannot see that only one
    // is set, so it cannot turn the scan into a jump to that entry (checked in the machine
    // code; a mask per entry through `black_box` works too, at twice the cost).
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
    // Through memory: the compiler then vectorises the whole scan (all eight words in SSE2
    // registers), not only the half it otherwise keeps in vector registers.
    black_box(&mut words);
    let (mut x, mut y) = ([0u64; 4], [0u64; 4]);
    x.copy_from_slice(words.get(..4).unwrap_or(&[0; 4]));
    y.copy_from_slice(words.get(4..).unwrap_or(&[0; 4]));
    let (x, y) = (Fe(x), Fe(y));
    // Arithmetic shift: all ones for a negative digit.
    let negative = black_box((i64::from(digit) >> 63) as u64);
    let y = Fe::select(negative, &y, &y.neg());
    (x, y, eq_mask(magnitude, 0))
}

/// `k·G`, projective, with the single-use comb: nothing to build, 65 additions.
fn mul_generator_small(k: &Scalar, b: &Fe) -> Point {
    let mut acc = Point::identity();
    for (table, digit) in SMALL_TABLES
        .iter()
        .zip(signed_digits_of::<SMALL_WINDOWS, 4>(k))
    {
        let (x, y, zero) = select(table, digit);
        acc = acc.add_mixed(&x, &y, b, zero);
    }
    acc
}

/// The public key at the projective point `p`, given `1/z`: checked to be on the curve (by
/// `p256`), so that a wrong result could never pass as a key.
fn public_key(p: &Point, z_inv: &Fe) -> Option<PublicKey> {
    let x = FieldBytes::from(p.x.mul(z_inv).to_be_bytes());
    let y = FieldBytes::from(p.y.mul(z_inv).to_be_bytes());
    let point = Option::<AffinePoint>::from(AffinePoint::from_coordinates(&x, &y))?;
    PublicKey::from_affine(point).ok()
}

/// The public keys of two private keys, with one field inversion for both, through the
/// single-use comb (its tables are in the program: nothing is built): one certificate.
pub fn public_keys(a: &SecretKey, b: &SecretKey) -> Option<(PublicKey, PublicKey)> {
    let curve_b = curve_b();
    let pa = mul_generator_small(&a.to_nonzero_scalar(), &curve_b);
    let pb = mul_generator_small(&b.to_nonzero_scalar(), &curve_b);
    // 1/(za·zb), then 1/za = zb/(za·zb) and 1/zb = za/(za·zb). Private keys are not zero,
    // so neither point is the identity and neither z is zero.
    let inv = pa.z.mul(&pb.z).invert();
    let (za_inv, zb_inv) = (inv.mul(&pb.z), inv.mul(&pa.z));
    Some((public_key(&pa, &za_inv)?, public_key(&pb, &zb_inv)?))
}

/// The public keys of many pairs of private keys (a batch). From [`MANY`] pairs on, with the
/// batch's comb: all the multiplications advance together, window by window, in affine
/// coordinates, and each window's additions share one field inversion (Montgomery's
/// trick): about 6 field multiplications per addition instead of the 11 of a projective
/// one. Affine addition has exceptions (adding a point to itself, to its negation, or to
/// the identity), which the odd digits rule out in every window but the last: after `i`
/// windows the accumulated multiple is odd (so not zero) and smaller in magnitude than
/// `128^i`, while the addend is an odd multiple of `128^i`, all below the group order `n`
/// until the last window (`128^36 = 2^252 < n`). The last window uses the complete
/// projective addition, which has no exceptions, then one inversion converts all the
/// points to affine. Fewer pairs go through the single-use comb, pair by pair.
///
/// `None` for a pair only if a key were zero, which a [`SecretKey`] cannot be.
#[expect(
    clippy::indexing_slicing,
    reason = "digits indexed by window numbers below WINDOWS, the length of every digit array (the windows come from the WINDOWS tables)"
)]
pub fn public_keys_many(pairs: &[(&SecretKey, &SecretKey)]) -> Vec<Option<(PublicKey, PublicKey)>> {
    if pairs.len() < MANY {
        return pairs.iter().map(|(a, b)| public_keys(a, b)).collect();
    }
    let tables = &*TABLES;
    let recoded: Zeroizing<Vec<([i16; WINDOWS], u64)>> = Zeroizing::new(
        pairs
            .iter()
            .flat_map(|(a, b)| {
                [
                    odd_digits(&a.to_nonzero_scalar()),
                    odd_digits(&b.to_nonzero_scalar()),
                ]
            })
            .collect(),
    );
    let count = recoded.len();
    let mut table_of = tables.tables.iter();
    let (Some(first), Some(last)) = (table_of.next(), table_of.next_back()) else {
        return Vec::new();
    };
    // The first window: each accumulator starts at its digit's entry.
    let mut acc: Vec<(Fe, Fe)> = recoded
        .iter()
        .map(|(digits, _)| {
            let (x, y, _) = select(first, digits[0]);
            (x, y)
        })
        .collect();
    let mut addends = vec![(Fe::ZERO, Fe::ZERO); count];
    let mut dx = vec![Fe::ZERO; count];
    let mut scratch = vec![Fe::ZERO; count];
    for (window, table) in (1..).zip(table_of) {
        for (((addend, d), (x1, _)), (digits, _)) in addends
            .iter_mut()
            .zip(dx.iter_mut())
            .zip(&acc)
            .zip(recoded.iter())
        {
            let (x2, y2, _) = select(table, digits[window]);
            *d = x2.sub(x1);
            *addend = (x2, y2);
        }
        invert_all(&mut dx, &mut scratch);
        for (((x1, y1), (x2, y2)), inv) in acc.iter_mut().zip(&addends).zip(&dx) {
            let slope = y2.sub(y1).mul(inv);
            let x3 = slope.square().sub(x1).sub(x2);
            let y3 = slope.mul(&x1.sub(&x3)).sub(y1);
            (*x1, *y1) = (x3, y3);
        }
    }
    let points: Vec<Point> = acc
        .iter()
        .zip(recoded.iter())
        .map(|((x, y), (digits, negate))| {
            let start = Point {
                x: *x,
                y: *y,
                z: Fe::one(),
            };
            let (x2, y2, zero) = select(last, digits[WINDOWS - 1]);
            let mut p = start.add_mixed(&x2, &y2, &tables.b, zero);
            p.y = Fe::select(*negate, &p.y, &p.y.neg());
            p
        })
        .collect();
    // One inversion for every z.
    let mut z_inv: Vec<Fe> = points.iter().map(|p| p.z).collect();
    invert_all(&mut z_inv, &mut scratch);
    points
        .chunks_exact(2)
        .zip(z_inv.chunks_exact(2))
        .map(|(p, z)| match (p, z) {
            ([pa, pb], [za, zb]) => Some((public_key(pa, za)?, public_key(pb, zb)?)),
            _ => None,
        })
        .collect()
}

/// Replaces every value by its inverse with one field inversion (Montgomery's trick:
/// 3 multiplications per value). A zero value makes every result zero; the callers' values
/// are never zero. `scratch` is at least as long as `values`.
fn invert_all(values: &mut [Fe], scratch: &mut [Fe]) {
    // scratch[i] = values[0]·…·values[i-1].
    let mut product = Fe::one();
    for (value, before) in values.iter().zip(scratch.iter_mut()) {
        *before = product;
        product = product.mul(value);
    }
    let mut inv = product.invert();
    for (value, before) in values.iter_mut().zip(scratch.iter()).rev() {
        let inverse = inv.mul(before);
        inv = inv.mul(value);
        *value = inverse;
    }
}

/// Builds the tables now rather than at the first multiplication (for timing and benchmarks).
pub fn warm_up() {
    LazyLock::force(&TABLES);
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::ops::Reduce;

    fn scalar(bytes: [u8; 32]) -> Scalar {
        <Scalar as Reduce<FieldBytes>>::reduce(&FieldBytes::from(bytes))
    }

    /// The public keys of `keys` (none zero) through the batch's comb: the keys are repeated
    /// until there are enough pairs for it.
    fn batch_of(keys: &[Scalar]) -> Vec<PublicKey> {
        let secrets: Vec<SecretKey> = keys
            .iter()
            .map(|k| SecretKey::from_bytes(&k.to_repr()).unwrap())
            .collect();
        let mut padded: Vec<&SecretKey> = secrets.iter().collect();
        while padded.len() < 2 * MANY {
            padded.extend(secrets.iter());
        }
        if padded.len() % 2 == 1 {
            padded.push(&secrets[0]);
        }
        let pairs: Vec<(&SecretKey, &SecretKey)> =
            padded.chunks_exact(2).map(|p| (p[0], p[1])).collect();
        let publics: Vec<PublicKey> = public_keys_many(&pairs)
            .into_iter()
            .flat_map(|pair| {
                let (a, b) = pair.unwrap();
                [a, b]
            })
            .collect();
        publics[..keys.len()].to_vec()
    }

    /// The public keys of `keys` through p256's own code.
    fn references(keys: &[Scalar]) -> Vec<PublicKey> {
        keys.iter()
            .map(|k| SecretKey::from_bytes(&k.to_repr()).unwrap().public_key())
            .collect()
    }

    /// `k·G` through p256's own code.
    fn reference(k: &Scalar) -> Option<([u8; 32], [u8; 32])> {
        let p = ProjectivePoint::mul_by_generator(k).to_affine();
        if bool::from(p.is_identity()) {
            return None;
        }
        Some((p.x().into(), p.y().into()))
    }

    fn fiat_mul(a: &Fe, b: &Fe) -> [u64; 4] {
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_mul(&mut out, &a.mont(), &b.mont());
        out.0
    }

    fn fiat_add(a: &Fe, b: &Fe) -> [u64; 4] {
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_add(&mut out, &a.mont(), &b.mont());
        out.0
    }

    fn fiat_sub(a: &Fe, b: &Fe) -> [u64; 4] {
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_sub(&mut out, &a.mont(), &b.mont());
        out.0
    }

    fn fiat_opp(a: &Fe) -> [u64; 4] {
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_opp(&mut out, &a.mont());
        out.0
    }

    #[test]
    fn field_arithmetic_is_fiats_at_the_edges() {
        let p_minus = |k: u64| Fe([P[0] - k, P[1], P[2], P[3]]);
        let edges = [
            Fe::ZERO,
            Fe([1, 0, 0, 0]),
            Fe::one(),
            p_minus(1),
            p_minus(2),
            Fe([u64::MAX, u64::MAX, u64::MAX, 0xffff_ffff_0000_0000]),
            Fe([0, 0, 0, 0x8000_0000_0000_0000]),
        ];
        for a in &edges {
            for b in &edges {
                assert_eq!(a.mul(b).0, fiat_mul(a, b));
                assert_eq!(a.add(b).0, fiat_add(a, b));
                assert_eq!(a.sub(b).0, fiat_sub(a, b));
            }
            assert_eq!(a.square().0, fiat_mul(a, a));
            assert_eq!(a.neg().0, fiat_opp(a));
        }
    }

    #[test]
    fn inversion() {
        for k in [1u64, 2, 3, 0xdead_beef] {
            let x = Fe::from_be_bytes(&Scalar::from(k).to_repr());
            assert_eq!(x.mul(&x.invert()).to_be_bytes(), Fe::one().to_be_bytes());
        }
    }

    /// `Σ dᵢ·128^i` from `odd_digits`' indexes, negated when its mask says so.
    fn recombine(digits: &[i16; WINDOWS], negate: u64) -> Scalar {
        let mut sum = Scalar::ZERO;
        let mut radix = Scalar::ONE;
        for (i, index) in digits.iter().enumerate() {
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
        if negate == u64::MAX {
            -sum
        } else {
            assert_eq!(negate, 0);
            sum
        }
    }

    /// Scalars at the edges of the odd recoding and of the last window.
    fn edges() -> Vec<Scalar> {
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
            // 15·2^253 mod n: the one scalar whose last window is a doubling.
            two_252 * Scalar::from(30u64),
            -(two_252 * Scalar::from(30u64)),
            scalar([0x80; 32]),
            scalar([0x7f; 32]),
            scalar([0xff; 32]),
            scalar([0xaa; 32]),
            scalar([0x55; 32]),
        ]
    }

    #[test]
    fn odd_digits_recombine_to_the_scalar() {
        for k in edges() {
            let (digits, negate) = odd_digits(&k);
            assert_eq!(recombine(&digits, negate), k);
        }
    }

    /// `k·G` in affine coordinates through the single-use comb.
    fn affine_small(k: &Scalar) -> Option<([u8; 32], [u8; 32])> {
        let p = mul_generator_small(k, &curve_b());
        if p.z.to_be_bytes() == [0; 32] {
            return None;
        }
        let z_inv = p.z.invert();
        Some((p.x.mul(&z_inv).to_be_bytes(), p.y.mul(&z_inv).to_be_bytes()))
    }

    /// The single-use tables kept in the program are the ones [`build_tables`] makes with
    /// p256's arithmetic. `DPS_WRITE_BASE_POINT_TABLE=1 cargo test the_small_tables` writes
    /// them (then build again).
    #[test]
    fn the_small_tables_are_the_multiples_of_g() {
        let built = build_tables::<SMALL_ENTRIES>(SMALL_WINDOWS);
        if std::env::var_os("DPS_WRITE_BASE_POINT_TABLE").is_some() {
            let bytes: Vec<u8> = built
                .iter()
                .flatten()
                .flat_map(|entry| entry.0)
                .flat_map(|w| w.to_le_bytes())
                .collect();
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/src/riot/base_point_16.bin"),
                bytes,
            )
            .unwrap();
        }
        assert!(
            built.as_slice() == SMALL_TABLES.as_slice(),
            "src/riot/base_point_16.bin is not the tables build_tables makes"
        );
    }

    #[test]
    fn nibble_digits_recombine_to_the_scalar() {
        for k in [
            Scalar::ZERO,
            Scalar::ONE,
            -Scalar::ONE,
            scalar([0x88; 32]),
            scalar([0x77; 32]),
            scalar([0xf8; 32]),
        ] {
            let digits = signed_digits_of::<SMALL_WINDOWS, 4>(&k);
            let mut sum = Scalar::ZERO;
            let mut radix = Scalar::ONE;
            for (i, d) in digits.iter().enumerate() {
                if i < SMALL_WINDOWS - 1 {
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
            assert_eq!(affine_small(&k), reference(&k));
        }
        let edges = edges();
        assert!(batch_of(&edges) == references(&edges));
    }

    #[test]
    fn many_pairs_match_p256() {
        let keys: Vec<SecretKey> = (1u8..=21)
            .map(|i| SecretKey::from_bytes(&FieldBytes::from([i; 32])).unwrap())
            .collect();
        let pairs: Vec<(&SecretKey, &SecretKey)> = keys.iter().zip(keys.iter().rev()).collect();
        let many = public_keys_many(&pairs);
        assert_eq!(many.len(), 21);
        for ((a, b), keys) in pairs.iter().zip(many) {
            assert_eq!(keys, Some((a.public_key(), b.public_key())));
        }
        // Fewer than `MANY` pairs: the single-use comb, pair by pair.
        let few = public_keys_many(&pairs[..3]);
        assert_eq!(few.len(), 3);
        for ((a, b), keys) in pairs.iter().zip(few) {
            assert_eq!(keys, Some((a.public_key(), b.public_key())));
        }
        assert!(public_keys_many(&[]).is_empty());
    }

    /// Field elements below `p` whose limbs are carry-prone values (all ones, all zeros, one
    /// bit, half words) or random: where add-with-carry chains go wrong.
    fn edge_limbs() -> impl proptest::strategy::Strategy<Value = [u64; 4]> {
        use proptest::prelude::*;
        let limb = prop_oneof![
            Just(0u64),
            Just(1u64),
            Just(u64::MAX),
            Just(u64::MAX - 1),
            Just(1u64 << 63),
            Just(0xffff_ffffu64),
            Just(0xffff_ffff_0000_0000u64),
            Just(0xffff_ffff_0000_0001u64),
            any::<u64>(),
        ];
        proptest::array::uniform4(limb).prop_filter("below p", |l| {
            l.iter()
                .rev()
                .zip(P.iter().rev())
                .find(|(a, p)| a != p)
                .is_some_and(|(a, p)| a < p)
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]

        #[test]
        fn field_arithmetic_is_fiats_on_edge_limbs(a in edge_limbs(), b in edge_limbs()) {
            let (a, b) = (Fe(a), Fe(b));
            proptest::prop_assert_eq!(a.mul(&b).0, fiat_mul(&a, &b));
            proptest::prop_assert_eq!(a.square().0, fiat_mul(&a, &a));
            proptest::prop_assert_eq!(a.add(&b).0, fiat_add(&a, &b));
            proptest::prop_assert_eq!(a.sub(&b).0, fiat_sub(&a, &b));
            proptest::prop_assert_eq!(a.neg().0, fiat_opp(&a));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn field_arithmetic_is_fiats(a in proptest::array::uniform32(proptest::num::u8::ANY), b in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let (a, b) = (Fe::from_be_bytes(&FieldBytes::from(a)), Fe::from_be_bytes(&FieldBytes::from(b)));
            proptest::prop_assert_eq!(a.mul(&b).0, fiat_mul(&a, &b));
            proptest::prop_assert_eq!(a.square().0, fiat_mul(&a, &a));
            proptest::prop_assert_eq!(a.add(&b).0, fiat_add(&a, &b));
            proptest::prop_assert_eq!(a.sub(&b).0, fiat_sub(&a, &b));
            proptest::prop_assert_eq!(a.neg().0, fiat_opp(&a));
        }

        #[test]
        fn random_scalars_match_p256(bytes in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let k = scalar(bytes);
            proptest::prop_assert_eq!(affine_small(&k), reference(&k));
            let (digits, negate) = odd_digits(&k);
            proptest::prop_assert_eq!(recombine(&digits, negate), k);
        }

        #[test]
        fn random_batches_match_p256(keys in proptest::collection::vec(proptest::array::uniform32(proptest::num::u8::ANY), 2 * MANY..3 * MANY)) {
            let keys: Vec<Scalar> = keys.into_iter().map(scalar).filter(|k| *k != Scalar::ZERO).collect();
            proptest::prop_assert!(batch_of(&keys) == references(&keys));
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
