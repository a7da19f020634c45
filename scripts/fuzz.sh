#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a short time each (CI: `.ci/run`), on the stable
# toolchain: the targets are the cargo-fuzz ones (libfuzzer-sys, which builds libFuzzer from
# its C++ source), compiled with the same coverage instrumentation `cargo fuzz build -O -s
# none` gives (SanitizerCoverage through -C passes/-C llvm-args, which stable rustc takes),
# debug assertions and overflow checks on. No sanitizer: the library forbids unsafe code, so
# AddressSanitizer (nightly only) would guard nothing of ours. Each target starts from its
# seeds (fuzz/seeds/<target>) and a working corpus kept in fuzz/corpus/<target> (not
# committed); a fault stops the run with libFuzzer's report and the input in
# fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh            # every target, FUZZ_SECS (default 25) seconds each
#   scripts/fuzz.sh manifest   # one target
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
# libfuzzer-sys builds libFuzzer from its C++ source.
if ! command -v c++ >/dev/null && [[ $(id -u) == 0 ]]; then
    apt-get install -y --no-install-recommends g++ >/dev/null
fi
secs="${FUZZ_SECS:-25}"
host="$(rustc -vV | sed -n 's/^host: //p')"
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table -Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
# --target: the flags apply to the targets only, not to build scripts and proc macros.
cargo build --locked --release --bins --target "$host" --target-dir target
targets=("$@")
if [[ ${#targets[@]} == 0 ]]; then
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^dps-cert-gen-fuzz$')
fi
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "fuzz: $t for ${secs} s"
    log="artifacts/$t/last-run.log"
    status=0
    "target/$host/release/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" "corpus/$t" "seeds/$t" \
        >"$log" 2>&1 || status=$?
    if [[ $status != 0 ]]; then
        cat "$log"
        echo "fuzz: $t found a fault (status $status); the input is in fuzz/artifacts/$t/" >&2
        exit 1
    fi
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true
done
