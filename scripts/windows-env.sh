#!/usr/bin/env bash
# Sets up cross-building for Windows (x86_64-pc-windows-gnu, run under Wine) and
# checking for macOS (aarch64-apple-darwin) on Debian 12, with Debian's Rust
# (rustc-web: a recent stable with the standard library's source, built for
# other targets with cargo -Zbuild-std).
#
# Idempotent: installs only missing apt packages, rebuilds the stand-in DLL
# only when its source changed, initialises the Wine prefix only once.
#
# Use:
#   source scripts/windows-env.sh      # sets the environment in this shell
#   eval "$(scripts/windows-env.sh)"   # same; run as a program it prints exports
#
# Environment it sets (all exported):
#   PATH             /usr/bin first, so Debian's cargo/rustc win over rustup's
#   RUSTC, RUSTDOC   Debian's, explicitly
#   RUSTC_BOOTSTRAP  1, for -Zbuild-std on a stable toolchain
#   WINEPREFIX       default ~/.cache/dps-cert-gen/wine64 (override beforehand)
#   WINEARCH         win64 (Debian's wine64 only; no wine32 needed)
#   WINEDEBUG        -all (also silences Debian's "wine32 is missing" hint)
#   WINEDLLOVERRIDES mscoree,mshtml= (no Mono/Gecko install dialogs)
# It does NOT set CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER: assert_cmd reads
# that variable inside the Windows test process and would try to start `wine`
# from within Wine. Pass the runner with --config instead (scripts/test-windows.sh).

_dps_winenv_sourced=0
[[ "${BASH_SOURCE[0]}" != "$0" ]] && _dps_winenv_sourced=1
[[ $_dps_winenv_sourced == 0 ]] && set -euo pipefail

_dps_winenv_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

case ":$PATH" in :/usr/bin:*) ;; *) export PATH="/usr/bin:$PATH" ;; esac
export RUSTC=/usr/bin/rustc
export RUSTDOC=/usr/bin/rustdoc
export RUSTC_BOOTSTRAP=1
export WINEPREFIX="${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/dps-cert-gen/wine64}"
export WINEARCH=win64
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="

# The work runs in a subshell so that, when sourced, `set -e` and friends do
# not leak into the caller's shell.
_dps_winenv_setup() (
    set -euo pipefail
    log() { echo "windows-env: $*" >&2; }

    # 1. apt packages (only the missing ones; apt-get update only if needed).
    local pkgs=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine64 wine)
    local missing=() p
    for p in "${pkgs[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$p")
    done
    if ((${#missing[@]})); then
        local sudo=()
        ((EUID == 0)) || sudo=(sudo)
        log "installing ${missing[*]}"
        "${sudo[@]}" apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
            --no-install-recommends "${missing[@]}" >/dev/null
    fi
    [[ -d /usr/lib/rustlib/src/rust/library ]] \
        || { log "std source missing (rust-web-src)"; exit 1; }

    # 2. the stand-in bcryptprimitives.dll (ProcessPrng), built with mingw.
    local dll_dir="$WINEPREFIX.build" dll
    dll="$dll_dir/bcryptprimitives.dll"
    mkdir -p "$dll_dir"
    if [[ ! -f $dll || $_dps_winenv_dir/processprng.c -nt $dll \
            || $_dps_winenv_dir/processprng.def -nt $dll ]]; then
        x86_64-w64-mingw32-gcc -shared -O2 -s -static-libgcc -o "$dll.tmp" \
            "$_dps_winenv_dir/processprng.c" "$_dps_winenv_dir/processprng.def" \
            -ladvapi32
        mv -f "$dll.tmp" "$dll"
    fi

    # 3. the Wine prefix (64-bit), initialised once without any GUI: no DISPLAY
    #    is needed; Mono/Gecko prompts are disabled by WINEDLLOVERRIDES.
    if [[ ! -f $WINEPREFIX/system.reg || ! -d $WINEPREFIX/drive_c/windows/system32 ]]; then
        log "initialising Wine prefix $WINEPREFIX"
        mkdir -p "$(dirname "$WINEPREFIX")"
        # DISPLAY unset: wineboot would otherwise try an X server for its
        # "updating configuration" window.
        env -u DISPLAY wine wineboot -i >/dev/null 2>&1
        wineserver -w   # wait until the prefix is fully written
    fi
    local sys32="$WINEPREFIX/drive_c/windows/system32"
    cmp -s "$dll" "$sys32/bcryptprimitives.dll" || cp -f "$dll" "$sys32/bcryptprimitives.dll"
)

# Called plainly, not as an `if` condition: there bash would ignore `set -e`
# inside the function. A caller with `set -e` (.ci/run) stops here on failure.
_dps_winenv_setup
_dps_winenv_rc=$?
unset -f _dps_winenv_setup
if [[ $_dps_winenv_rc != 0 ]]; then
    echo "windows-env: setup failed" >&2
    if [[ $_dps_winenv_sourced == 1 ]]; then
        unset _dps_winenv_sourced _dps_winenv_dir
        return "$_dps_winenv_rc"
    fi
    exit "$_dps_winenv_rc"
fi
if [[ $_dps_winenv_sourced == 0 ]]; then
    for _v in PATH RUSTC RUSTDOC RUSTC_BOOTSTRAP WINEPREFIX WINEARCH WINEDEBUG WINEDLLOVERRIDES; do
        printf 'export %s=%q\n' "$_v" "${!_v}"
    done
fi
unset _dps_winenv_sourced _dps_winenv_dir _dps_winenv_rc _v
