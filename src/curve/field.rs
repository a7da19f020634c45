//! The P-256 base field `GF(p)`, `p = 2^256 - 2^224 + 2^192 + 2^96 - 1`, in Montgomery form:
//! [`Fe`]. Multiplication and squaring are fiat-crypto's formally verified code
//! (`fiat_crypto::p256_64`); addition, subtraction and negation are written here (masked
//! reduction, `u128` carries) and checked against fiat's by the tests below. Every operation
//! is constant time (no branch, no index depends on a value) and expects reduced inputs
//! (below `p`), which debug builds assert.

use fiat_crypto::p256_64 as fiat;
use p256::FieldBytes;
use std::hint::black_box;
use zeroize::Zeroize;

/// The P-256 prime, little-endian 64-bit limbs.
pub(crate) const P: [u64; 4] = [
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0x0000_0000_0000_0000,
    0xffff_ffff_0000_0001,
];

/// A field element in Montgomery form (`x·2^256 mod p`), always below `p`.
#[derive(Clone, Copy, Zeroize)]
pub(crate) struct Fe(pub(crate) [u64; 4]);

/// Whether limbs are below `p`. Branches on the value: only for debug assertions and tests,
/// never in a release build's arithmetic.
pub(crate) fn is_reduced(limbs: &[u64; 4]) -> bool {
    limbs
        .iter()
        .rev()
        .zip(P.iter().rev())
        .find(|(a, p)| a != p)
        .is_some_and(|(a, p)| a < p)
}

impl Fe {
    pub(crate) const ZERO: Fe = Fe([0; 4]);

    /// One, in Montgomery form (`2^256 mod p`).
    pub(crate) fn one() -> Fe {
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_set_one(&mut out);
        Fe(out.0)
    }

    fn mont(&self) -> fiat::fiat_p256_montgomery_domain_field_element {
        fiat::fiat_p256_montgomery_domain_field_element(self.0)
    }

    /// `self·rhs`: fiat's verified Montgomery multiplication.
    pub(crate) fn mul(&self, rhs: &Fe) -> Fe {
        debug_assert!(is_reduced(&self.0) && is_reduced(&rhs.0), "unreduced input");
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_mul(&mut out, &self.mont(), &rhs.mont());
        Fe(out.0)
    }

    /// `self²`: fiat's verified Montgomery squaring.
    pub(crate) fn square(&self) -> Fe {
        debug_assert!(is_reduced(&self.0), "unreduced input");
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_square(&mut out, &self.mont());
        Fe(out.0)
    }

    pub(crate) fn add(&self, rhs: &Fe) -> Fe {
        debug_assert!(is_reduced(&self.0) && is_reduced(&rhs.0), "unreduced input");
        Fe(add_mod_p(&self.0, &rhs.0))
    }

    pub(crate) fn sub(&self, rhs: &Fe) -> Fe {
        debug_assert!(is_reduced(&self.0) && is_reduced(&rhs.0), "unreduced input");
        Fe(sub_mod_p(&self.0, &rhs.0))
    }

    pub(crate) fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    pub(crate) fn double(&self) -> Fe {
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
    pub(crate) fn invert(&self) -> Fe {
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

    /// The element whose big-endian bytes are `bytes` (reduced mod p: fiat's `to_montgomery`
    /// is a multiplication).
    pub(crate) fn from_be_bytes(bytes: &FieldBytes) -> Fe {
        let mut le = [0u8; 32];
        for (d, s) in le.iter_mut().zip(bytes.iter().rev()) {
            *d = *s;
        }
        let mut limbs = fiat::fiat_p256_non_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_from_bytes(&mut limbs.0, &le);
        let mut out = fiat::fiat_p256_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_to_montgomery(&mut out, &limbs);
        le.zeroize();
        limbs.0.zeroize();
        Fe(out.0)
    }

    /// The big-endian bytes of the element (out of Montgomery form).
    pub(crate) fn to_be_bytes(self) -> [u8; 32] {
        let mut plain = fiat::fiat_p256_non_montgomery_domain_field_element([0; 4]);
        fiat::fiat_p256_from_montgomery(&mut plain, &self.mont());
        let mut le = [0u8; 32];
        fiat::fiat_p256_to_bytes(&mut le, &plain.0);
        plain.0.zeroize();
        le.reverse();
        le
    }

    /// `a` where `mask` is zero, `b` where it is all ones.
    pub(crate) fn select(mask: u64, a: &Fe, b: &Fe) -> Fe {
        let mut out = [0u64; 4];
        for ((o, x), y) in out.iter_mut().zip(a.0).zip(b.0) {
            *o = x ^ ((x ^ y) & mask);
        }
        Fe(out)
    }

    /// All ones when the element is zero, else zero; no branch.
    pub(crate) fn is_zero_mask(&self) -> u64 {
        let any = self.0.iter().fold(0u64, |acc, limb| acc | limb);
        // `any | -any` has its top bit set exactly when `any` is not zero.
        black_box(((any | any.wrapping_neg()) >> 63).wrapping_sub(1))
    }
}

/// Replaces every value by its inverse with one field inversion (Montgomery's trick:
/// 3 multiplications per value). A zero value makes every result zero (the callers check
/// their results, so a zero is caught as a point off the curve). `scratch` is at least as
/// long as `values` and is left holding partial products: the caller wipes it.
pub(crate) fn invert_all(values: &mut [Fe], scratch: &mut [Fe]) {
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
    product.zeroize();
    inv.zeroize();
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
    // top is 0 or 1, borrow 0 or 1: keep r (not reduced) exactly when borrow = 1, top = 0.
    let keep = black_box((borrow & !top & 1).wrapping_neg());
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

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::PrimeField;

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

    /// p − k, as limbs.
    fn p_minus(k: u64) -> Fe {
        Fe([P[0] - k, P[1], P[2], P[3]])
    }

    /// Elements at the carry edges: 0, 1, R, p−1, p−2, all-ones words, the top bit.
    fn edges() -> [Fe; 7] {
        [
            Fe::ZERO,
            Fe([1, 0, 0, 0]),
            Fe::one(),
            p_minus(1),
            p_minus(2),
            Fe([u64::MAX, u64::MAX, u64::MAX, 0xffff_ffff_0000_0000]),
            Fe([0, 0, 0, 0x8000_0000_0000_0000]),
        ]
    }

    #[test]
    fn own_addition_and_subtraction_are_fiats_at_the_edges() {
        for a in &edges() {
            for b in &edges() {
                assert_eq!(a.add(b).0, fiat_add(a, b));
                assert_eq!(a.sub(b).0, fiat_sub(a, b));
            }
            assert_eq!(a.neg().0, fiat_opp(a));
        }
    }

    /// Known answers, from the field's definition: R·R⁻¹, 2·(p+1)/2, (p−1)² = 1.
    #[test]
    fn known_answers() {
        let one = Fe::one();
        assert_eq!(one.to_be_bytes(), {
            let mut b = [0u8; 32];
            b[31] = 1;
            b
        });
        let minus_one = one.neg();
        assert_eq!(
            hex::encode(minus_one.to_be_bytes()),
            "ffffffff00000001000000000000000000000000fffffffffffffffffffffffe"
        );
        assert_eq!(minus_one.square().to_be_bytes(), one.to_be_bytes());
        let two = one.double();
        let half = two.invert();
        assert_eq!(
            hex::encode(half.to_be_bytes()),
            "7fffffff80000000800000000000000000000000800000000000000000000000"
        );
        assert_eq!(half.mul(&two).to_be_bytes(), one.to_be_bytes());
        assert_eq!(Fe::ZERO.invert().0, [0; 4]);
    }

    #[test]
    fn inversion() {
        for k in [1u64, 2, 3, 0xdead_beef] {
            let x = Fe::from_be_bytes(&p256::Scalar::from(k).to_repr());
            assert_eq!(x.mul(&x.invert()).to_be_bytes(), Fe::one().to_be_bytes());
        }
    }

    #[test]
    fn zero_mask() {
        assert_eq!(Fe::ZERO.is_zero_mask(), u64::MAX);
        for x in edges().iter().skip(1) {
            assert_eq!(x.is_zero_mask(), 0);
        }
        assert_eq!(Fe([0, 0, 0, 1 << 63]).is_zero_mask(), 0);
    }

    /// Inputs at or above `p` are refused by the debug assertions (release builds do not
    /// check: the callers only ever hold reduced values, as the property test below shows).
    #[test]
    #[cfg(debug_assertions)]
    fn unreduced_inputs_trip_the_assertions() {
        for bad in [Fe(P), Fe([u64::MAX; 4]), Fe([0, 0, 0, u64::MAX])] {
            for op in [
                (|a: Fe| a.mul(&Fe::one())) as fn(Fe) -> Fe,
                |a: Fe| a.square(),
                |a: Fe| a.add(&Fe::ZERO),
                |a: Fe| Fe::ZERO.sub(&a),
            ] {
                let caught = std::panic::catch_unwind(|| op(bad));
                assert!(caught.is_err(), "{:x?} passed", bad.0);
            }
        }
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
        proptest::array::uniform4(limb).prop_filter("below p", is_reduced)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2048))]

        /// The own addition, subtraction and negation are fiat's, and every result (fiat's
        /// multiplication and squaring too) is reduced again: the invariant the debug
        /// assertions check.
        #[test]
        fn results_are_fiats_and_reduced(a in edge_limbs(), b in edge_limbs()) {
            let (a, b) = (Fe(a), Fe(b));
            proptest::prop_assert_eq!(a.add(&b).0, fiat_add(&a, &b));
            proptest::prop_assert_eq!(a.sub(&b).0, fiat_sub(&a, &b));
            proptest::prop_assert_eq!(a.neg().0, fiat_opp(&a));
            for r in [a.add(&b), a.sub(&b), a.neg(), a.mul(&b), a.square(), a.double()] {
                proptest::prop_assert!(is_reduced(&r.0), "{:x?}", r.0);
            }
            proptest::prop_assert_eq!(a.square().0, a.mul(&a).0);
        }

        /// Any 32 bytes, even above p, come in reduced.
        #[test]
        fn bytes_come_in_reduced(bytes in proptest::array::uniform32(proptest::num::u8::ANY)) {
            let x = Fe::from_be_bytes(&FieldBytes::from(bytes));
            proptest::prop_assert!(is_reduced(&x.0));
        }
    }
}
