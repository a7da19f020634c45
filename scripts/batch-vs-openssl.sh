#!/usr/bin/env bash
# Runs a batch of N certificates (default 20,000) to a tmpfs folder and `openssl speed
# ecdsap256` on the same machine, one after the other, and prints the batch's CPU time per
# certificate (user + system, all threads) against two OpenSSL P-256 signatures (what one
# certificate costs the original tool's way: two key pairs' worth of curve arithmetic).
#
#   scripts/batch-vs-openssl.sh [ROWS] [files|jsonl]      (RUNS=N: batch runs, default 3)
#
# Needs: a release build (`cargo build --release`), openssl, GNU time (/usr/bin/time).
# TMPDIR_FAST (default /dev/shm, a tmpfs) is where the certificates go. The machine's load is printed
# too: on a shared machine, CPU time is steadier than wall time, but both move.
set -euo pipefail

rows=${1:-20000}
mode=${2:-files}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${DPS_CERT_GEN:-$here/target/release/dps-cert-gen}
fw=$here/fixtures/devkit-a
fast=${TMPDIR_FAST:-/dev/shm}

[ -x "$bin" ] || { echo "error: $bin not found; run cargo build --release first" >&2; exit 1; }
command -v openssl >/dev/null || { echo "error: openssl not found; install it (apt-get install openssl)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time not found; install GNU time" >&2; exit 1; }

work=$(mktemp -d "$fast/dps-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# A manifest of random UDS values (only for this run; removed afterwards).
{
    echo "registration_id,uds"
    head -c $((32 * rows)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' | fold -w64 |
        awk '{ printf "bench-%07d,%s\n", NR, $0 }'
} > "$work/devices.csv"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# The batch RUNS times (default 3), each into a fresh folder: on a virtual machine the
# system time of writing to tmpfs varies a lot from run to run, so every run is printed and
# the middle one (by CPU time) is compared.
runs=${RUNS:-3}
: > "$work/times"
for run in $(seq "$runs"); do
    rm -rf "$work/out" "$work/certs.jsonl"
    out=(--out-dir "$work/out")
    [ "$mode" = jsonl ] && out+=(--jsonl "$work/certs.jsonl")
    /usr/bin/time -f '%U %S %e' -o "$work/time" \
        "$bin" batch -b "$fw/DevKitDPS.ino.bin" -m "$fw/DevKitDPS.ino.map" \
        --manifest "$work/devices.csv" "${out[@]}" 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
    cat "$work/time" >> "$work/times"
done
fstype=$(stat -f -c %T "$fast")

# +F4:<index>:<bits>:<signs per CPU second>:<verifies per CPU second>
signs=$(openssl speed -seconds 3 -mr ecdsap256 2>/dev/null | awk -F: '/^\+F4:/ { print $4 }')
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v n="$rows" -v signs="$signs" -v mode="$mode" -v fs="$fstype" '
{ cpu[NR] = ($1 + $2) / n * 1e6; user[NR] = $1; sys[NR] = $2; wall[NR] = $3 }
END {
    sign = 1e6 / signs
    for (i = 1; i <= NR; i++) {
        printf "run %d (%s, %d rows to %s): %.1f µs CPU per certificate (user %.2f s, sys %.2f s), %.0f certificates/s wall\n", i, mode, n, fs, cpu[i], user[i], sys[i], n / wall[i]
        order[i] = i
    }
    # The middle run by CPU time.
    for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (cpu[order[j]] < cpu[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
    m = order[int((NR + 1) / 2)]
    printf "batch (%s, %d rows to %s, middle of %d runs): %.1f µs CPU per certificate (user %.2f s, sys %.2f s)\n", mode, n, fs, NR, cpu[m], user[m], sys[m]
    printf "openssl speed ecdsap256: %.1f µs per sign\n", sign
    printf "ratio: %.2f × two OpenSSL signs\n", cpu[m] / (2 * sign)
}' "$work/times"
