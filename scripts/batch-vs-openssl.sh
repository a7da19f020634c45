#!/usr/bin/env bash
# Runs a batch of N certificates (default 20,000) to a tmpfs folder and `openssl speed
# ecdsap256` on the same machine, one after the other, and prints the batch's CPU time per
# certificate (user + system, all threads) against two OpenSSL P-256 signatures (what one
# certificate costs the original tool's way: two key pairs' worth of curve arithmetic).
#
#   scripts/batch-vs-openssl.sh [ROWS] [files|jsonl]
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

out=(--out-dir "$work/out")
[ "$mode" = jsonl ] && out+=(--jsonl "$work/certs.jsonl")
/usr/bin/time -f '%U %S %e' -o "$work/time" \
    "$bin" batch -b "$fw/DevKitDPS.ino.bin" -m "$fw/DevKitDPS.ino.map" \
    --manifest "$work/devices.csv" "${out[@]}" 2> "$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
read -r user sys wall < "$work/time"
fstype=$(stat -f -c %T "$fast")

# +F4:<index>:<bits>:<signs per CPU second>:<verifies per CPU second>
signs=$(openssl speed -seconds 3 -mr ecdsap256 2>/dev/null | awk -F: '/^\+F4:/ { print $4 }')
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

awk -v u="$user" -v s="$sys" -v w="$wall" -v n="$rows" -v signs="$signs" -v mode="$mode" -v fs="$fstype" 'BEGIN {
    cpu = (u + s) / n * 1e6
    sign = 1e6 / signs
    printf "batch (%s, %d rows to %s): %.1f µs CPU per certificate (user %.2f s, sys %.2f s), %.0f certificates/s wall\n", mode, n, fs, cpu, u, s, n / w
    printf "openssl speed ecdsap256: %.1f µs per sign\n", sign
    printf "ratio: %.2f × two OpenSSL signs\n", cpu / (2 * sign)
}'
