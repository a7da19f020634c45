//! The large seeded differential run of the curve (issue 20, item 4), in CI as
//! `cargo test --release --test curve_differential -- --ignored` (about a minute on two
//! cores): random scalars through both combs against `p256`, the boundary generator (every
//! window, digit and sign of both recodings), the named edge scalars, and batch sizes
//! around every boundary (the batch comb's threshold, a chunk of the batch engine) made of
//! equal and opposite scalars. The seed is printed at the start and in every failure;
//! `DPS_CURVE_SEED=N` runs with seed `N` (to reproduce), `DPS_CURVE_SCALE=F` scales the
//! random part (default 1.0).
#![cfg(test)]

use crate::common::curve_edges::{edge_scalars, key};
use dps_cert_gen::curve::{Coordinates, batch, single};
use p256::elliptic_curve::Field;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::{Group, PrimeField};
use p256::{FieldBytes, ProjectivePoint, Scalar};
use rayon::prelude::*;

/// The batch comb's threshold and the batch engine's chunk (256 rows: 512 keys).
const MANY: usize = batch::MANY;
const CHUNK_KEYS: usize = 512;

/// splitmix64: small, seedable, good enough to pick scalars.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A non-zero scalar: random bytes, or (one in four) bytes of only 0x00/0xff words, which
    /// make long carry chains.
    fn scalar(&mut self) -> Scalar {
        loop {
            let mut bytes = [0u8; 32];
            let spiky = self.next().is_multiple_of(4);
            for word in bytes.chunks_mut(8) {
                let w = if spiky {
                    if self.next().is_multiple_of(2) {
                        0
                    } else {
                        u64::MAX
                    }
                } else {
                    self.next()
                };
                word.copy_from_slice(&w.to_be_bytes());
            }
            if let Some(k) = Option::<Scalar>::from(Scalar::from_repr(FieldBytes::from(bytes)))
                && !bool::from(k.is_zero())
            {
                return k;
            }
        }
    }
}

fn seed() -> u64 {
    match std::env::var("DPS_CURVE_SEED") {
        Ok(text) => text.trim().parse().expect("DPS_CURVE_SEED is a number"),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(20),
    }
}

fn scale() -> f64 {
    std::env::var("DPS_CURVE_SCALE")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(1.0)
}

fn reference(k: &Scalar) -> Coordinates {
    let p = ProjectivePoint::mul_by_generator(k).to_affine();
    Coordinates {
        x: p.x().into(),
        y: p.y().into(),
    }
}

/// Both combs on `scalars` (the batch comb on all of them at once, the single comb two at a
/// time) against p256; `what` and the seed in every failure.
fn compare(scalars: &[Scalar], what: &str, seed: u64) {
    let want: Vec<Coordinates> = scalars.par_iter().map(reference).collect();
    let got = batch::mul_base(scalars)
        .check()
        .unwrap_or_else(|e| panic!("{what}, seed {seed}: the batch comb refused: {e}"));
    let singles: Vec<Coordinates> = scalars
        .par_chunks(2)
        .flat_map_iter(|pair| match pair {
            [a, b] => single::mul_base(&[*a, *b])
                .check()
                .unwrap_or_else(|e| panic!("{what}, seed {seed}: the single comb refused: {e}"))
                .to_vec(),
            [a] => single::mul_base(&[*a])
                .check()
                .unwrap_or_else(|e| panic!("{what}, seed {seed}: the single comb refused: {e}"))
                .to_vec(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(got.len(), scalars.len(), "{what}, seed {seed}");
    for (i, k) in scalars.iter().enumerate() {
        assert!(
            got[i] == want[i],
            "{what}, seed {seed}: the batch comb differs from p256 at index {i} of {}, k = {}",
            scalars.len(),
            hex::encode(k.to_bytes())
        );
        assert!(
            singles[i] == want[i],
            "{what}, seed {seed}: the single comb differs from p256 for k = {}",
            hex::encode(k.to_bytes())
        );
    }
}

/// Scalars that put every digit value, with both signs, in every window of both combs'
/// recodings, the other windows random. The single comb's digits of `k < n` are the
/// `dⱼ ∈ [−8, 8)` with `k = Σ dⱼ·16^j` (`j < 64`) plus a carry 0 or 1 at `16^64`: the top
/// digit is kept positive (so the sum is positive and below `2^255`) unless it is the one
/// tested, and a negative top digit comes with the carry. The batch comb's digits of an odd
/// `k` are odd `dⱼ ∈ [−127, 127]` with a top digit (`128^36`) of 1 … 15. Each scalar is also
/// negated (the batch comb's even case, and other digits for the single comb).
fn boundary_scalars(rng: &mut Rng) -> Vec<Scalar> {
    let mut out = Vec::new();
    let power = |radix: u64, i: usize| {
        let mut p = Scalar::ONE;
        for _ in 0..i {
            p *= Scalar::from(radix);
        }
        p
    };
    let signed = |d: i64| {
        if d < 0 {
            -Scalar::from(d.unsigned_abs())
        } else {
            Scalar::from(d as u64)
        }
    };
    // Single comb: windows 0 … 63, digits −8 … 7; the carry window is 1 when the top is
    // negative (and covered by all of those).
    for window in 0..64 {
        for digit in -8i64..8 {
            let mut k = Scalar::ZERO;
            for j in 0..64 {
                let d = if j == window {
                    digit
                } else if j == 63 {
                    (rng.next() % 7) as i64 + 1
                } else {
                    (rng.next() % 16) as i64 - 8
                };
                k += signed(d) * power(16, j);
            }
            if window == 63 && digit < 0 {
                k += power(16, 64);
            }
            out.push(k);
            out.push(-k);
        }
    }
    // Batch comb: windows 0 … 36, odd digits; the top window's digit 1 … 15 (1 … 13 when
    // another window is tested, which keeps the sum below n).
    for window in 0..37 {
        let digits: Vec<i64> = if window == 36 {
            (1..=15).step_by(2).collect()
        } else {
            (-127..=127).step_by(2).collect()
        };
        for digit in digits {
            let mut k = Scalar::ZERO;
            for j in 0..37 {
                let d = if j == window {
                    digit
                } else if j == 36 {
                    (2 * (rng.next() % 7) + 1) as i64
                } else {
                    2 * (rng.next() % 128) as i64 - 127
                };
                k += signed(d) * power(128, j);
            }
            out.push(k);
            out.push(-k);
        }
    }
    out.retain(|k| !bool::from(k.is_zero()));
    out
}

#[test]
#[ignore = "release-profile, about a minute: run by .ci/run with --release -- --ignored"]
fn both_combs_equal_p256_on_a_large_seeded_run() {
    let seed = seed();
    eprintln!("curve differential run: seed {seed} (DPS_CURVE_SEED={seed} to reproduce)");
    let mut rng = Rng(seed);

    // The named edge scalars, all in one batch and two at a time.
    compare(&edge_scalars(), "edge scalars", seed);

    // Every window, digit and sign of both recodings.
    let boundary = boundary_scalars(&mut rng);
    assert!(boundary.len() > 4000, "{}", boundary.len());
    compare(&boundary, "boundary scalars", seed);

    // Batch sizes around every boundary, of equal and opposite scalars mixed with random.
    let mut sizes: Vec<usize> = (1..=MANY + 2).collect();
    for around in [CHUNK_KEYS / 2, CHUNK_KEYS, 2 * CHUNK_KEYS] {
        sizes.extend(around - 2..=around + 2);
    }
    for n in sizes {
        let k = rng.scalar();
        let mut scalars = Vec::with_capacity(n);
        for i in 0..n {
            scalars.push(match i % 4 {
                0 | 1 => k,
                2 => -k,
                _ => rng.scalar(),
            });
        }
        compare(
            &scalars,
            &format!("a batch of {n} equal and opposite scalars"),
            seed,
        );
        let both: Vec<Scalar> = (0..n).map(|i| if i % 2 == 0 { k } else { -k }).collect();
        compare(&both, &format!("a batch of {n} alternating k, −k"), seed);
    }

    // Random scalars, in batches of the engine's chunk.
    let batches = (160.0 * scale()).ceil() as usize;
    for round in 0..batches {
        let scalars: Vec<Scalar> = (0..CHUNK_KEYS).map(|_| rng.scalar()).collect();
        compare(&scalars, &format!("random batch {round}"), seed);
    }
    // p256 itself agrees with the SecretKey path the tool's cross-check uses.
    let k = rng.scalar();
    assert_eq!(
        key(&k).public_key().as_affine().x(),
        ProjectivePoint::mul_by_generator(&k).to_affine().x()
    );
    eprintln!(
        "curve differential run: seed {seed}: {} random scalars, {} boundary, all equal",
        batches * CHUNK_KEYS,
        boundary.len()
    );
}
