//! End to end, through the release binary: `batch` throughput for 10,000 and 100,000
//! devices with every certificate file and the summary written, and the wall time of one
//! certificate (process start to exit). Run with `cargo bench --bench end_to_end`.
//!
//! Each batch run writes into a fresh folder under Cargo's target temporary folder, or under
//! `$DPS_BENCH_DIR` if set (say `/dev/shm`, to leave the disk out); the folders are removed
//! when the benchmark ends (not between runs: on ext4, creating files right after deleting
//! many is slower, which would measure the clean-up, not the tool).
#![expect(
    clippy::unwrap_used,
    reason = "a benchmark's set-up that fails should stop it loudly"
)]

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_dps-cert-gen");

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/devkit-a")
        .join(name)
}

/// A manifest of `n` devices with UDS = SHA-256(index) and IDs `device-000000…`.
fn manifest(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::from("uds,registration_id\n");
    for i in 0..n {
        let uds = hex::encode(Sha256::digest((i as u64).to_le_bytes()));
        text.push_str(&format!("{uds},device-{i:06}\n"));
    }
    let path = dir.join(format!("devices-{n}.csv"));
    std::fs::write(&path, text).unwrap();
    path
}

fn run(args: &[&str]) {
    let status = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "dps-cert-gen {args:?} failed");
}

fn batch(c: &mut Criterion) {
    let base = std::env::var_os("DPS_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    let root = tempfile::tempdir_in(&base).unwrap();
    let (bin, map) = (fixture("DevKitDPS.ino.bin"), fixture("DevKitDPS.ino.map"));
    let mut g = c.benchmark_group(format!("batch, files written under {}", base.display()));
    g.sampling_mode(SamplingMode::Flat).sample_size(10);
    let mut runs = 0usize;
    for n in [10_000usize, 100_000] {
        let manifest = manifest(root.path(), n);
        g.throughput(Throughput::Elements(n as u64));
        g.measurement_time(Duration::from_secs(if n > 10_000 { 60 } else { 10 }));
        g.bench_function(format!("{n} devices"), |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    runs += 1;
                    let out = root.path().join(format!("run-{runs}"));
                    let started = Instant::now();
                    run(&[
                        "batch",
                        "-b",
                        bin.to_str().unwrap(),
                        "-m",
                        map.to_str().unwrap(),
                        "--manifest",
                        manifest.to_str().unwrap(),
                        "--out-dir",
                        out.to_str().unwrap(),
                    ]);
                    total += started.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

fn one_certificate(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (bin, map) = (fixture("DevKitDPS.ino.bin"), fixture("DevKitDPS.ino.map"));
    let uds = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";
    let common = [
        "-b",
        bin.to_str().unwrap(),
        "-m",
        map.to_str().unwrap(),
        "-u",
        uds,
        "-i",
        "az-c89346000001v1v3v0",
    ];
    let out = dir.path().join("cert.pem");
    let mut g = c.benchmark_group("binary, one certificate (process start to exit)");
    g.bench_function("--bare-base64 to standard output", |b| {
        b.iter(|| run(&[&common[..], &["--bare-base64"]].concat()))
    });
    g.bench_function("PEM file (atomic, flushed to disk)", |b| {
        b.iter(|| run(&[&common[..], &["-o", out.to_str().unwrap(), "--force"]].concat()))
    });
    g.finish();
}

criterion_group!(benches, one_certificate, batch);
criterion_main!(benches);
