//! Cost of one certificate once the firmware is measured, next to its physical floor (two
//! P-256 base-point multiplications: the DeviceID and Alias public keys), and DiceHash
//! against SHA-256 on a 1 MiB region. Run with `cargo bench --bench per_certificate`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dps_cert_gen::derivation::{FirmwareMeasurements, derive_keys};
use dps_cert_gen::dice::RiotCoreMeasure;
use dps_cert_gen::riot::Fwid;
use dps_cert_gen::{RegistrationId, Uds, generate};
use p256::elliptic_curve::{Group, PrimeField};
use p256::{FieldBytes, ProjectivePoint, Scalar};
use sha2::{Digest, Sha256};
use std::hint::black_box;

fn measurements() -> FirmwareMeasurements {
    FirmwareMeasurements {
        riot_core_measure: RiotCoreMeasure::of(&[0x5a; 4096]),
        fwid: Fwid::of(&[0xa5; 65536]),
    }
}

fn scalars() -> (Scalar, Scalar) {
    let a = Scalar::from_repr(FieldBytes::from([0x11; 32])).unwrap();
    let b = Scalar::from_repr(FieldBytes::from([0x22; 32])).unwrap();
    (a, b)
}

fn certificate(c: &mut Criterion) {
    let fw = measurements();
    let uds = Uds::from_bytes([7; 32]);
    let id = RegistrationId::new("az-c89346000001v1v3v0").unwrap();
    let (a, b) = scalars();
    let mut g = c.benchmark_group("one certificate");
    g.bench_function(
        "floor: two base-point multiplications (to affine)",
        |bench| {
            bench.iter(|| {
                let p = ProjectivePoint::mul_by_generator(black_box(&a)).to_affine();
                let q = ProjectivePoint::mul_by_generator(black_box(&b)).to_affine();
                black_box((p, q))
            })
        },
    );
    g.bench_function("keys only (DICE + RIoT KDF + two public keys)", |bench| {
        bench.iter(|| black_box(derive_keys(black_box(&uds), &fw).unwrap()))
    });
    g.bench_function("library generate (derivation + certificate DER)", |bench| {
        bench.iter(|| black_box(generate(black_box(&uds), &fw, &id).unwrap()))
    });
    g.finish();
}

fn hashes(c: &mut Criterion) {
    let region = vec![0x3cu8; 1 << 20];
    let mut g = c.benchmark_group("1 MiB region");
    g.throughput(Throughput::Bytes(region.len() as u64));
    g.bench_function("DiceHash", |b| {
        b.iter(|| black_box(dps_cert_gen::dice_hash::dice_hash(black_box(&region))))
    });
    g.bench_function("SHA-256", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&region))))
    });
    g.finish();
}

criterion_group!(benches, certificate, hashes);
criterion_main!(benches);
