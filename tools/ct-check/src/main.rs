//! `ct-check`: run under Valgrind's memcheck, computes with secrets marked undefined (as
//! `ctgrind` does), so that memcheck reports every branch and every memory address that
//! depends on a secret. What it runs (the first argument):
//!
//! - `curve` (the default): the single comb (`curve::single::mul_base`, two scalars), the
//!   batch comb (`curve::batch::mul_base`, 600 scalars: every part of it, and the single
//!   comb below its threshold: 5 scalars) and the alias signature's arithmetic
//!   (`cert::fixed_nonce::signature_s`), each on secrets marked undefined; their results
//!   (public: the public keys, the signature) are marked defined before anything reads
//!   them, and compared with `p256`'s.
//! - `leaky-branch`, `leaky-index`: deliberately leaky code (a branch on a secret bit, a
//!   table read at a secret index), which memcheck must report: the proof that the check
//!   can fail (`tests/valgrind.rs` runs all three).
//!
//! Exits 0 when memcheck counted no error, 1 when it did, 2 when not run under Valgrind
//! (where marking does nothing, so nothing would be checked).

mod valgrind;

use dps_cert_gen::cert::fixed_nonce::signature_s;
use dps_cert_gen::curve::{batch, single};
use p256::elliptic_curve::PrimeField;
use p256::elliptic_curve::point::AffineCoordinates;
use p256::{FieldBytes, ProjectivePoint, Scalar};
use std::hint::black_box;
use std::process::ExitCode;
use valgrind::{error_count, mark_public, mark_secret, running_on_valgrind};

/// Scalars from a counter, through a multiplicative hash: varied bits, reproducible.
fn scalars(count: usize, salt: u64) -> Vec<Scalar> {
    (0..count as u64)
        .map(|i| {
            let mut bytes = [0u8; 32];
            let mut x = (i + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ salt;
            for word in bytes.chunks_mut(8) {
                x ^= x >> 29;
                x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
                word.copy_from_slice(&x.to_be_bytes());
            }
            // Clear the top bit: below n, so from_repr accepts it.
            bytes[0] &= 0x7f;
            Option::from(Scalar::from_repr(FieldBytes::from(bytes))).unwrap_or(Scalar::ONE)
        })
        .collect()
}

/// `k·G` by p256, `(x, y)`.
fn reference(k: &Scalar) -> ([u8; 32], [u8; 32]) {
    let p = (ProjectivePoint::GENERATOR * k).to_affine();
    (p.x().into(), p.y().into())
}

/// Reports a section: memcheck's errors during it, and whether its results were right.
fn section(name: &str, errors_before: u64, right: bool) -> bool {
    let errors = error_count() - errors_before;
    eprintln!(
        "ct-check: {name}: {errors} secret-dependent branch(es) or address(es); results {}",
        if right { "equal p256's" } else { "WRONG" }
    );
    errors == 0 && right
}

fn single_comb() -> bool {
    let keys = scalars(2, 1);
    let want: Vec<_> = keys.iter().map(reference).collect();
    let input = [keys[0], keys[1]];
    let before = error_count();
    mark_secret(&input);
    let unchecked = single::mul_base(black_box(&input));
    mark_public(&unchecked);
    let right = match unchecked.check() {
        Ok(points) => points.iter().map(|p| (p.x, p.y)).eq(want.iter().copied()),
        Err(_) => false,
    };
    section("single comb, 2 scalars", before, right)
}

fn batch_comb(count: usize) -> bool {
    batch::warm_up();
    let keys = scalars(count, 2);
    let want: Vec<_> = keys.iter().map(reference).collect();
    let before = error_count();
    mark_secret(keys.as_slice());
    let unchecked = batch::mul_base(black_box(&keys));
    mark_public(&unchecked);
    let right = match unchecked.check() {
        Ok(points) => {
            mark_public(points.as_slice());
            points.iter().map(|p| (p.x, p.y)).eq(want.iter().copied())
        }
        Err(_) => false,
    };
    section(&format!("batch comb, {count} scalars"), before, right)
}

fn signature() -> bool {
    let d = scalars(1, 3)[0];
    let z = scalars(1, 4)[0];
    let want = signature_s(&d, &z).ok().map(|s| s.to_repr());
    let mut secret = [d];
    let before = error_count();
    mark_secret(&secret);
    let s = signature_s(black_box(&secret[0]), &z);
    mark_public(&s);
    let got = s.ok().map(|s| s.to_repr());
    black_box(&mut secret)[0] = Scalar::ZERO;
    section(
        "alias signature, s = k⁻¹(z + r·d)",
        before,
        got.is_some() && got == want,
    )
}

/// Compares a secret with a guess, stopping at the first difference (the classic timing
/// leak): memcheck must say "Conditional jump or move depends on uninitialised value(s)".
fn leaky_branch() -> bool {
    let secret = [0x5au8; 32];
    let guess = [0x5au8; 32];
    let before = error_count();
    mark_secret(&secret);
    let mut same = 0usize;
    for (s, g) in black_box(&secret).iter().zip(black_box(&guess)) {
        if s != g {
            break;
        }
        same += 1;
    }
    mark_public(&same);
    black_box(same);
    section(
        "leaky: a comparison that stops at the first difference",
        before,
        true,
    )
}

/// Reads a table at a secret index: memcheck must say "Use of uninitialised value".
fn leaky_index() -> bool {
    let table: Vec<u64> = (0..256).collect();
    let secret = [0x5au8; 32];
    let before = error_count();
    mark_secret(&secret);
    let mut sum = 0u64;
    for byte in black_box(&secret) {
        sum = sum.wrapping_add(black_box(&table)[usize::from(*byte)]);
    }
    mark_public(&sum);
    black_box(sum);
    section("leaky: a table read at a secret index", before, true)
}

fn main() -> ExitCode {
    if !running_on_valgrind() {
        eprintln!(
            "ct-check: run under valgrind (valgrind --tool=memcheck ct-check): outside it nothing is checked"
        );
        return ExitCode::from(2);
    }
    let what = std::env::args().nth(1).unwrap_or_else(|| "curve".into());
    let clean = match what.as_str() {
        "curve" => {
            let results = [single_comb(), batch_comb(600), batch_comb(5), signature()];
            results.iter().all(|r| *r)
        }
        "leaky-branch" => leaky_branch(),
        "leaky-index" => leaky_index(),
        other => {
            eprintln!("ct-check: unknown check {other:?} (curve, leaky-branch, leaky-index)");
            return ExitCode::from(2);
        }
    };
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
