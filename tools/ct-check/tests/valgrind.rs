//! The constant-time check (issue 20, item 3): `ct-check` under Valgrind's memcheck finds no
//! branch and no memory address that depends on a secret in the single comb, the batch comb
//! and the alias signature; and the same check does find the deliberately leaky code (so a
//! pass means something). Linux x86_64, release build: `cargo test --release -p
//! dps-cert-gen-ct-check` (`.ci/run`, which installs Valgrind). See docs/constant-time.md.

use std::process::{Command, Output};

const CT_CHECK: &str = env!("CARGO_BIN_EXE_ct-check");

fn under_valgrind(check: &str) -> Output {
    Command::new("valgrind")
        .args([
            "--tool=memcheck",
            "--error-exitcode=99",
            "--track-origins=yes",
            CT_CHECK,
            check,
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run valgrind ({e}): install it (apt-get install valgrind)")
        })
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn no_secret_reaches_a_branch_or_an_address() {
    let output = under_valgrind("curve");
    let stderr = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    for section in [
        "single comb, 2 scalars: 0 ",
        "batch comb, 600 scalars: 0 ",
        "batch comb, 5 scalars: 0 ",
        "alias signature, s = k⁻¹(z + r·d): 0 ",
    ] {
        assert!(stderr.contains(section), "{section} missing in {stderr}");
    }
    assert!(!stderr.contains("WRONG"), "{stderr}");
    assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
}

#[test]
fn a_branch_on_a_secret_is_found() {
    let output = under_valgrind("leaky-branch");
    let stderr = text(&output);
    assert_eq!(output.status.code(), Some(99), "{stderr}");
    assert!(
        stderr.contains("Conditional jump or move depends on uninitialised value(s)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Uninitialised value was created by a client request"),
        "{stderr}"
    );
}

#[test]
fn a_memory_index_from_a_secret_is_found() {
    let output = under_valgrind("leaky-index");
    let stderr = text(&output);
    assert_eq!(output.status.code(), Some(99), "{stderr}");
    assert!(
        stderr.contains("Use of uninitialised value of size 8"),
        "{stderr}"
    );
}

#[test]
fn outside_valgrind_it_refuses_to_pass() {
    let output = Command::new(CT_CHECK).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("run under valgrind"));
}
