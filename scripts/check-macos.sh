#!/usr/bin/env bash
# Type-checks the Rust project in the current directory, all targets, for macOS
# on Apple silicon (aarch64-apple-darwin), with Debian's toolchain and std
# built from source (-Zbuild-std). `cargo check` links nothing, so no macOS
# SDK or linker is needed; build scripts run on the host. Extra arguments go
# to `cargo check`. Target dir: target/macos (override with MACOS_TARGET_DIR).
#
# Build scripts that compile C with the `cc` crate (e.g. `alloca`, pulled in by
# criterion) get clang targeting macOS, freestanding (no SDK headers: only
# clang's own stddef.h/stdint.h/...); C needing libc headers would still fail. ring (the
# DPS client's TLS) is told to use no libc header (RING_CORE_NOSTDLIBINC, as its own build
# does for targets without a sysroot) and given a stand-in TargetConditionals.h
# (scripts/macos-include/), the one SDK header it needs on Apple targets.
set -euo pipefail

pkgs=(rustc-web cargo-web rust-web-src clang llvm)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    echo "check-macos: installing ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
fi

export PATH="/usr/bin:$PATH"          # Debian's cargo/rustc before rustup's
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1              # -Zbuild-std on a stable toolchain
export CC_aarch64_apple_darwin=clang AR_aarch64_apple_darwin=llvm-ar
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CFLAGS_aarch64_apple_darwin="-ffreestanding -nostdlibinc -I$here/macos-include -DRING_CORE_NOSTDLIBINC=1"

lock_before="$(sha256sum Cargo.lock 2>/dev/null || true)"
cargo check --locked --all-targets -Zbuild-std --target aarch64-apple-darwin \
    --target-dir "${MACOS_TARGET_DIR:-target/macos}" "$@"
if [[ "$(sha256sum Cargo.lock 2>/dev/null || true)" != "$lock_before" ]]; then
    echo "check-macos: Cargo.lock was modified" >&2
    exit 1
fi
