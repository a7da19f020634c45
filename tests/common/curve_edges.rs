//! Edge scalars of both combs, shared by `base_point_edges.rs` and `curve_differential.rs`:
//! 1, 2, n−1 … n−257, (n±1)/2, every power of two and 2^k − 1, byte patterns and carry
//! chains, and the batch comb's one doubling (15·2^253 mod n).

use p256::elliptic_curve::Field;
use p256::{Scalar, SecretKey};

pub(crate) fn key(s: &Scalar) -> SecretKey {
    SecretKey::from_bytes(&s.to_bytes()).unwrap()
}

fn from_be(bytes: [u8; 32]) -> Option<Scalar> {
    use p256::elliptic_curve::PrimeField;
    Option::from(Scalar::from_repr(bytes.into())).filter(|s: &Scalar| !bool::from(s.is_zero()))
}

pub(crate) fn edge_scalars() -> Vec<Scalar> {
    let mut out = vec![Scalar::ONE, Scalar::from(2u64), Scalar::from(3u64)];
    // n−1 … n−257.
    for k in 1..=257u64 {
        out.push(-Scalar::from(k));
    }
    // (n+1)/2 = 1/2, and (n−1)/2 = 1/2 − 1, and their neighbours.
    let half = Scalar::from(2u64).invert().unwrap();
    for s in [
        half,
        half - Scalar::ONE,
        half + Scalar::ONE,
        half - Scalar::from(2u64),
    ] {
        out.push(s);
    }
    // Every power of two, 2^0 … 2^255, and 2^k − 1 (a carry chain through every digit).
    let mut power = Scalar::ONE;
    for _ in 0..256 {
        out.push(power);
        if power != Scalar::ONE {
            out.push(power - Scalar::ONE);
        }
        power = power.double();
    }
    // Byte patterns: each byte value repeated, alternating nibbles and bits, one byte set.
    for b in [0x01u8, 0x0f, 0x10, 0x55, 0x7f, 0x80, 0xaa, 0xf0, 0xfe, 0xff] {
        out.extend(from_be([b; 32]));
        let mut alternating = [0u8; 32];
        for (i, x) in alternating.iter_mut().enumerate() {
            *x = if i % 2 == 0 { b } else { !b };
        }
        out.extend(from_be(alternating));
    }
    for i in 0..32 {
        let mut one = [0u8; 32];
        one[i] = 0xff;
        out.extend(from_be(one));
        let mut all_but = [0xffu8; 32];
        all_but[0] = 0x7f;
        all_but[i] = 0;
        out.extend(from_be(all_but));
    }
    // The batch comb's last window: 15·2^253 mod n (odd) is the one scalar whose last
    // addition is a doubling (the accumulated multiple then equals the addend), which the
    // complete addition there handles; and its negation, which the comb turns into it.
    let two_253 = from_be({
        let mut b = [0u8; 32];
        b[0] = 0x20;
        b
    })
    .unwrap();
    out.push(two_253 * Scalar::from(15u64));
    out.push(-(two_253 * Scalar::from(15u64)));
    out.retain(|s| !bool::from(s.is_zero()));
    out
}
