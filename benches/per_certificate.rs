//! Cost of one certificate once the firmware is measured, next to its physical floor (two
//! P-256 base-point multiplications: the DeviceID and Alias public keys), and DiceHash
//! against SHA-256 on a 1 MiB region. Run with `cargo bench --bench per_certificate`.
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark's set-up that fails should stop it loudly"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dps_cert_gen::batch::engine as batch;
use dps_cert_gen::batch::manifest::Device;
use dps_cert_gen::curve::{batch as comb, single};
use dps_cert_gen::derivation::FirmwareMeasurements;
use dps_cert_gen::dice::cdi::RiotCoreMeasure;
use dps_cert_gen::encoding::CertFormat;
use dps_cert_gen::riot::keys::Fwid;
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
    let device = Device {
        uds: Uds::from_bytes([7; 32]),
        registration_id: RegistrationId::new("az-c89346000001v1v3v0").unwrap(),
    };
    let (a, b) = scalars();
    comb::warm_up();
    let mut g = c.benchmark_group("one certificate");
    g.bench_function(
        "floor: two base-point multiplications, p256 (k·G, to affine)",
        |bench| {
            bench.iter(|| {
                let p = ProjectivePoint::mul_by_generator(black_box(&a)).to_affine();
                let q = ProjectivePoint::mul_by_generator(black_box(&b)).to_affine();
                black_box((p, q))
            })
        },
    );
    g.bench_function(
        "floor: two base-point multiplications, single-use comb (public keys)",
        |bench| {
            bench.iter(|| {
                let [p, q] = single::mul_base(black_box(&[a, b])).check().unwrap();
                black_box((p.public_key().unwrap(), q.public_key().unwrap()))
            })
        },
    );
    g.bench_function("single-device path: derivation::generate (DER)", |bench| {
        bench.iter(|| {
            black_box(generate(black_box(&device.uds), &fw, &device.registration_id).unwrap())
        })
    });
    g.finish();

    // What a batch worker does: 256 rows at a time (their 512 keys share one field
    // inversion per window). Criterion reports the time for 256 certificates; divide by 256
    // (or read the rate).
    let devices: Vec<Device> = (0..=255u8)
        .map(|i| Device {
            uds: Uds::from_bytes([i; 32]),
            registration_id: RegistrationId::new(&format!("device-{i:03}")).unwrap(),
        })
        .collect();
    let refs: Vec<&Device> = devices.iter().collect();
    let mut g = c.benchmark_group("256 certificates");
    g.throughput(Throughput::Elements(256));
    g.bench_function(
        "in batch: batch::issue_many (keys, certificates, PEM, thumbprints)",
        |bench| bench.iter(|| black_box(batch::issue_many(black_box(&refs), &fw, CertFormat::Pem))),
    );
    // 512 keys (not above the group order: no byte 0xff repeated).
    let secrets: Vec<Scalar> = (1..=250u8)
        .chain(1..=250u8)
        .chain(1..=12u8)
        .map(|i| Scalar::from_repr(FieldBytes::from([i; 32])).unwrap())
        .collect();
    g.bench_function(
        "floor: 512 base-point multiplications, batch comb (public keys)",
        |bench| {
            bench.iter(|| {
                let points = comb::mul_base(black_box(&secrets)).check().unwrap();
                let keys: Vec<_> = points.iter().map(|p| p.public_key().unwrap()).collect();
                black_box(keys)
            })
        },
    );
    g.bench_function(
        "floor: 512 base-point multiplications, p256 (k·G, to affine)",
        |bench| {
            bench.iter(|| {
                for _ in 0..256 {
                    let p = ProjectivePoint::mul_by_generator(black_box(&a)).to_affine();
                    let q = ProjectivePoint::mul_by_generator(black_box(&b)).to_affine();
                    black_box((p, q));
                }
            })
        },
    );
    g.finish();
}

fn hashes(c: &mut Criterion) {
    let region = vec![0x3cu8; 1 << 20];
    let mut g = c.benchmark_group("1 MiB region");
    g.throughput(Throughput::Bytes(region.len() as u64));
    g.bench_function("DiceHash", |b| {
        b.iter(|| black_box(dps_cert_gen::dice::hash::dice_hash(black_box(&region))))
    });
    g.bench_function("SHA-256", |b| {
        b.iter(|| black_box(Sha256::digest(black_box(&region))))
    });
    g.finish();
}

criterion_group!(benches, certificate, hashes);
criterion_main!(benches);
