//! Both combs (src/curve/single.rs, src/curve/batch.rs) against `p256`'s own scalar
//! multiplication on edge scalars: 1, 2, n−1 … n−257, (n±1)/2, every power of two, byte
//! patterns and carry chains (issue 14, item 7); and zero refused by both.
#![cfg(test)]

use dps_cert_gen::curve::{CurveError, batch, single};
use p256::Scalar;

use crate::common::curve_edges::{edge_scalars, key};

#[test]
fn the_comb_equals_p256_on_edge_scalars() {
    let scalars = edge_scalars();
    assert!(scalars.len() > 800, "{}", scalars.len());
    for pair in scalars.chunks(2) {
        let (a, b) = (pair[0], *pair.get(1).unwrap_or(&pair[0]));
        let [pa, pb] = single::mul_base(&[a, b]).check().unwrap();
        assert_eq!(
            pa.public_key().unwrap(),
            key(&a).public_key(),
            "{:x?}",
            a.to_bytes()
        );
        assert_eq!(pb.public_key().unwrap(), key(&b).public_key());
    }
    // And all of them through the batch's comb (which serves from `MANY` scalars on).
    let got = batch::mul_base(&scalars).check().unwrap();
    assert_eq!(got.len(), scalars.len());
    for (k, point) in scalars.iter().zip(got) {
        assert_eq!(point.public_key().unwrap(), key(k).public_key());
    }
}

#[test]
fn zero_is_refused_by_both_combs() {
    assert_eq!(
        single::mul_base(&[Scalar::ONE, Scalar::ZERO]).check(),
        Err(CurveError::ZeroScalar)
    );
    let mut scalars = edge_scalars();
    scalars.insert(300, Scalar::ZERO);
    assert_eq!(
        batch::mul_base(&scalars).check(),
        Err(CurveError::ZeroScalar)
    );
    assert_eq!(
        CurveError::ZeroScalar.to_string(),
        "a private key is zero, which has no public key"
    );
}
