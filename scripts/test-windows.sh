#!/usr/bin/env bash
# Runs the tests of the Rust project in the current directory as Windows
# programs (x86_64-pc-windows-gnu) under Wine, with Debian's toolchain and
# std built from source (-Zbuild-std). Extra arguments go to `cargo test`
# (e.g. `scripts/test-windows.sh --test integration verify:: -- --nocapture`).
# Target dir: target/windows (override with WINDOWS_TARGET_DIR), apart from
# rustup's builds in target/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=windows-env.sh
source "$here/windows-env.sh"

lock_before="$(sha256sum Cargo.lock 2>/dev/null || true)"
# The runner is given with --config, not CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER:
# assert_cmd reads that variable inside the (Windows) test process.
# A test program that crashes (an unhandled exception) is reported by Wine's debugger, and
# the run can still end with status 0: the output is scanned for that report too.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked -Zbuild-std --target x86_64-pc-windows-gnu \
    --target-dir "${WINDOWS_TARGET_DIR:-target/windows}" \
    --config 'target.x86_64-pc-windows-gnu.runner = "wine"' \
    "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
if grep -q '^Unhandled exception:' "$log"; then
    echo "test-windows: a test program crashed under Wine (see 'Unhandled exception' above)" >&2
    status=1
fi
if [[ "$(sha256sum Cargo.lock 2>/dev/null || true)" != "$lock_before" ]]; then
    echo "test-windows: Cargo.lock was modified" >&2
    exit 1
fi
exit "$status"
