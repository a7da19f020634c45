//! Completion itself, shell by shell: the script `completions` prints, loaded into the shell
//! and asked for the candidates after a subcommand and after the start of a long flag, as a
//! user's Tab would. Bash is required (Unix); zsh and fish are driven when installed
//! (`apt-get install zsh fish`), and required when `CI` is set. PowerShell has no Linux build
//! here: its script is checked for an arm per command path and the `.exe` name.
#![cfg(test)]

use std::process::Command;
#[cfg(unix)]
use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

/// What the user has typed before pressing Tab, and the candidates each shell must offer
/// (the last, a positional's values, not fish: clap_complete's fish script has none).
#[cfg(unix)]
const CASES: [(&str, &[&str]); 4] = [
    (
        "dps-cert-gen board ",
        &["help", "info", "provision", "set-uds"],
    ),
    ("dps-cert-gen batch --j", &["--jobs", "--jsonl"]),
    ("dps-cert-gen board set-uds --new", &["--new-uds"]),
    (
        "dps-cert-gen completions ",
        &["bash", "elvish", "fish", "powershell", "zsh"],
    ),
];

fn script(shell: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .args(["completions", shell])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{shell}");
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `cmd` in `dir` to its end, killed after 30 seconds (a shell waiting for input).
#[cfg(unix)]
fn run_bounded(mut cmd: Command, dir: &Path) -> String {
    let mut child = cmd
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "{cmd:?} did not end in 30 s: {:?}",
                child.wait_with_output()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The sorted candidates, one a line, without option candidates where the case expects
/// none (bash offers `-h --help` beside the subcommands).
#[cfg(unix)]
fn sorted(lines: &str, expected: &[&str]) -> Vec<String> {
    let flags = expected.iter().any(|c| c.starts_with('-'));
    let mut got: Vec<String> = lines
        .lines()
        .filter(|l| !l.is_empty() && (flags || !l.starts_with('-')))
        .map(str::to_string)
        .collect();
    got.sort();
    got.dedup();
    got
}

#[cfg(unix)]
fn installed(shell: &str) -> bool {
    let found = Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{shell} is not installed (apt-get install {shell})"
    );
    if !found {
        eprintln!("{shell} is not installed: its completion is not driven");
    }
    found
}

#[cfg(unix)]
#[test]
fn bash_completes_subcommands_and_long_flags_below_the_top_level() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dps-cert-gen.bash"), script("bash")).unwrap();
    for (line, expected) in CASES {
        // COMP_WORDS/COMP_CWORD as bash's readline sets them; the function is called as
        // `complete -F` calls it: command, current word, previous word.
        let driver = r#"
            source ./dps-cert-gen.bash
            read -ra COMP_WORDS <<<"$1"
            [[ $1 == *' ' ]] && COMP_WORDS+=("")
            COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            _dps__cert__gen dps-cert-gen "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
        "#;
        let mut cmd = Command::new("bash");
        cmd.args(["-c", driver, "bash", line]);
        let got = run_bounded(cmd, dir.path());
        assert_eq!(sorted(&got, expected), expected, "bash, {line:?}: {got}");
    }
}

#[cfg(unix)]
#[test]
fn zsh_completes_subcommands_and_long_flags_below_the_top_level() {
    if !installed("zsh") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("zfunc")).unwrap();
    std::fs::write(dir.path().join("zfunc/_dps-cert-gen"), script("zsh")).unwrap();
    // An interactive zsh on a pseudo-terminal (zpty) with compinit; compadd is wrapped to
    // print each candidate it is given that matches what was typed.
    let setup = r#"
        PROMPT=''
        fpath=("$PWD/zfunc" $fpath)
        autoload -U compinit && compinit -u -D
        compadd() {
          if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
          local -a hits
          builtin compadd -O hits "$@"
          (( $#hits )) && print -r -l -- "CAND:"${^hits}
          builtin compadd "$@"
        }
        finish() { print -r -- "DONE:" }
        comppostfuncs=(finish)
        bindkey '^I' complete-word
        print READY
    "#;
    std::fs::write(dir.path().join("setup.zsh"), setup).unwrap();
    let driver = r#"
        zmodload zsh/zpty
        zpty z zsh -f -i
        zpty -w z "source ./setup.zsh"
        local line
        while zpty -r z line; do [[ $line == READY* ]] && break; done
        zpty -w -n z "$1"$'\t'
        while zpty -r z line; do
          [[ $line == *DONE:* ]] && break
          [[ $line == *CAND:* ]] && print -r -- ${${line##*CAND:}%%[$'\r\n']*}
        done
        zpty -d z
    "#;
    for (line, expected) in CASES {
        let mut cmd = Command::new("zsh");
        cmd.args(["-f", "-c", driver, "zsh", line]);
        let got = run_bounded(cmd, dir.path());
        assert_eq!(sorted(&got, expected), expected, "zsh, {line:?}: {got}");
    }
}

#[cfg(unix)]
#[test]
fn fish_completes_subcommands_and_long_flags_below_the_top_level() {
    if !installed("fish") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("dps-cert-gen.fish"), script("fish")).unwrap();
    for (line, expected) in CASES.into_iter().take(3) {
        let mut cmd = Command::new("fish");
        cmd.args([
            "--no-config",
            "-c",
            "source ./dps-cert-gen.fish; complete -C $argv[1]",
            line,
        ]);
        let got = run_bounded(cmd, dir.path());
        // Each candidate, then a tab and its description.
        let names: String = got
            .lines()
            .map(|l| format!("{}\n", l.split('\t').next().unwrap_or("")))
            .collect();
        assert_eq!(sorted(&names, expected), expected, "fish, {line:?}: {got}");
    }
}

#[test]
fn powershell_has_an_arm_for_each_command_and_completes_the_exe() {
    let text = script("powershell");
    assert!(text.contains(
        "Register-ArgumentCompleter -Native -CommandName 'dps-cert-gen', 'dps-cert-gen.exe' -ScriptBlock {"
    ));
    // The arm of each command path (its words joined with ';', as the script joins what was
    // typed), offering the candidates of the cases above.
    for (path, candidates) in [
        ("dps-cert-gen;board", &["info", "set-uds", "provision"][..]),
        ("dps-cert-gen;batch", &["--jobs", "--jsonl"]),
        ("dps-cert-gen;board;set-uds", &["--new-uds"]),
        ("dps-cert-gen;board;info", &["--port", "--json"]),
    ] {
        let arm = text
            .split(&format!("\n        '{path}' {{\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no arm for {path}"));
        let arm = arm.split("\n            break\n").next().unwrap();
        for c in candidates {
            assert!(
                arm.contains(&format!("[CompletionResult]::new('{c}', '{c}'")),
                "{path}: {c}"
            );
        }
    }
}
