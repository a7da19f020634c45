//! `scripts/build-windows-exe.sh` says what it is doing: a line per stage and cargo's own
//! progress on standard error, the `.exe`'s path alone on standard output. Run with stand-ins
//! for the environment script, cargo, objdump and Wine (the real build takes minutes).
#![cfg(test)]
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn stub(dir: &Path, name: &str, body: &str) {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_windows_build_shows_each_stage_and_cargos_progress() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let work = tempfile::tempdir().unwrap();
    let scripts = work.path().join("scripts");
    let bin = work.path().join("stubs");
    std::fs::create_dir_all(&scripts).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(
        root.join("scripts/build-windows-exe.sh"),
        scripts.join("build-windows-exe.sh"),
    )
    .unwrap();
    std::fs::write(scripts.join("windows-env.sh"), "# (stand-in)\n").unwrap();
    std::fs::write(work.path().join("Cargo.lock"), "# lock\n").unwrap();
    let exe = "target/windows/x86_64-pc-windows-gnu/release/dps-cert-gen.exe";
    stub(
        &bin,
        "cargo",
        &format!(
            "echo \"$@\" > cargo-args\necho '   Compiling dps-cert-gen v0.1.0' >&2\nmkdir -p $(dirname {exe}) && touch {exe}"
        ),
    );
    stub(
        &bin,
        "x86_64-w64-mingw32-objdump",
        "printf '\\tDLL Name: KERNEL32.dll\\n\\tDLL Name: ntdll.dll\\n'",
    );
    stub(&bin, "wine", "echo 'dps-cert-gen 0.1.0'");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .arg("scripts/build-windows-exe.sh")
        .current_dir(work.path())
        .env("PATH", path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{exe}\n"));
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        format!(
            "build-windows-exe: setting up the cross toolchain and Wine (apt packages, the Wine prefix: once)\n\
             build-windows-exe: building dps-cert-gen.exe (release, with the standard library from source: several minutes the first time)\n   \
             Compiling dps-cert-gen v0.1.0\n\
             build-windows-exe: checking the DLLs {exe} imports\n\
             build-windows-exe: starting it under Wine (dps-cert-gen.exe --version)\n"
        )
    );
    let args = std::fs::read_to_string(work.path().join("cargo-args")).unwrap();
    assert!(!args.contains("--quiet"), "{args}");
    assert!(args.starts_with("build --locked --release"), "{args}");
}
