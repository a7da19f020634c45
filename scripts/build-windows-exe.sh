#!/usr/bin/env bash
# Builds a release Windows executable (x86_64-pc-windows-gnu) of the project in
# the current directory, checks that it imports only DLLs that every Windows 10+
# machine has (no mingw runtime DLLs such as libgcc_s_seh-1.dll or
# libwinpthread-1.dll), and runs `NAME.exe --version` under Wine.
#   scripts/build-windows-exe.sh [BIN_NAME] [extra cargo build args...]
#   scripts/build-windows-exe.sh --check-imports FILE.exe   (only the DLL check)
# BIN_NAME defaults to dps-cert-gen. Prints the .exe's path on success (standard output);
# a line per stage and cargo's progress go to standard error.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check_imports() {
    local dll a ok dlls bad=() allowed
    # System DLLs present on every Windows 10 and later (lower case). The api-ms-win-*
    # API sets are resolved by the loader and are allowed as a pattern.
    allowed=(
        kernel32.dll kernelbase.dll ntdll.dll advapi32.dll bcrypt.dll bcryptprimitives.dll
        ws2_32.dll mswsock.dll userenv.dll msvcrt.dll ucrtbase.dll user32.dll shell32.dll
        ole32.dll oleaut32.dll secur32.dll crypt32.dll ncrypt.dll iphlpapi.dll
        setupapi.dll cfgmgr32.dll dbghelp.dll synchronization.dll
    )
    dlls="$(x86_64-w64-mingw32-objdump -p "$1" | sed -n 's/^[[:space:]]*DLL Name: //p' \
        | tr 'A-Z' 'a-z' | sort -u)"
    [[ -n $dlls ]] || { echo "build-windows-exe: no imports found in $1" >&2; exit 1; }
    while read -r dll; do
        case "$dll" in api-ms-win-*.dll) continue ;; esac
        ok=0
        for a in "${allowed[@]}"; do [[ $dll == "$a" ]] && { ok=1; break; }; done
        ((ok)) || bad+=("$dll")
    done <<<"$dlls"
    if ((${#bad[@]})); then
        echo "build-windows-exe: $1 imports DLLs a Windows machine may lack: ${bad[*]}" >&2
        echo "all imports: $(echo $dlls)" >&2
        exit 1
    fi
}

if [[ ${1:-} == --check-imports ]]; then
    check_imports "${2:?usage: $0 --check-imports FILE.exe}"
    exit 0
fi

stage() { echo "build-windows-exe: $*" >&2; }

stage "setting up the cross toolchain and Wine (apt packages, the Wine prefix: once)"
# shellcheck source=windows-env.sh
source "$here/windows-env.sh"

bin="${1:-dps-cert-gen}"
shift || true
target_dir="${WINDOWS_TARGET_DIR:-target/windows}"
target=x86_64-pc-windows-gnu

lock_before="$(sha256sum Cargo.lock 2>/dev/null || true)"
stage "building $bin.exe (release, with the standard library from source: several minutes the first time)"
cargo build --locked --release -Zbuild-std --target "$target" \
    --target-dir "$target_dir" --bin "$bin" "$@"
if [[ "$(sha256sum Cargo.lock 2>/dev/null || true)" != "$lock_before" ]]; then
    echo "build-windows-exe: Cargo.lock was modified" >&2
    exit 1
fi
exe="$target_dir/$target/release/$bin.exe"
[[ -f $exe ]] || { echo "build-windows-exe: $exe not built" >&2; exit 1; }

stage "checking the DLLs $exe imports"
check_imports "$exe"

# Smoke test: it starts and exits 0 under Wine.
stage "starting it under Wine ($bin.exe --version)"
if ! out="$(wine "$exe" --version 2>&1)"; then
    echo "build-windows-exe: '$exe --version' failed under Wine:" >&2
    echo "$out" >&2
    exit 1
fi
echo "$exe"
