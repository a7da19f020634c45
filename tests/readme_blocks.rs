//! Every block of the README runs as written, in order, as on a fresh clone (issue 21: 9).
//!
//! The policy, block by block (a block this file does not know fails
//! `every_readme_block_has_a_runner`: a new block comes with its checks):
//! - ```` ```sh ````: run with `bash -e`, each block's lines exactly as written, one after the
//!   other in one sandbox: a temporary folder standing for the clone and the sketch's folder
//!   (the repository's `fixtures/` linked in, `fixtures/devkit-a`'s firmware as
//!   `.build/DevKitDPS.ino.{elf,bin,map}`), `HOME`, `XDG_*` and `CARGO_HOME` inside it, and no
//!   other environment than `PATH` (and `COLUMNS`, wide: a message is one line). What cannot run here gets a stand-in on `PATH`, never an
//!   edit of the block: `cargo` accepts exactly the README's cargo lines and records them (the
//!   real ones are CI's own steps); its `install --locked --path .` does what cargo does for
//!   this test (creates `target/`, puts the built binary in `$CARGO_HOME/bin`, which `PATH`
//!   holds), so the later blocks find `dps-cert-gen` only because the first one ran.
//!   Inputs the README names but leaves to the user are put in place before the block that
//!   reads them: `enrolled.pem` (the certificate enrolled: the For scripts block's
//!   `my-device-01.pem`) and `devices.csv` (two rows of the vectors). Each block's files are
//!   checked: byte-equal to the vectors where the inputs are the vectors', else consistent
//!   with each other (the same certificate by two routes, `verify` saying it matches).
//! - The board block (Linux) runs against the simulated DevKit (tests/common/sim_board.rs),
//!   reached as `auto` through `DPS_CERT_GEN_PORT`; a stand-in user reads the tool's standard
//!   error and does what it asks: Reset when asked to press Reset, configuration mode (hold A,
//!   Reset) when asked for it. On other Unix systems (a pty refuses the serial open on macOS)
//!   each of its commands is run alone with `DPS_CERT_GEN_PORT` naming a port that does not
//!   exist, and must fail with the no-such-port error (its arguments parse); Linux checks
//!   that form too. Windows runs no shell block (the suite runs there under Wine, no bash).
//! - ```` ```text ````: transcripts. The prompt session's is checked by
//!   tests/readme_transcript.rs; the `uds` one here, in a pseudo-terminal (Unix).
//! - ```` ```bat ````: each line's arguments through the binary, `<UDS>` and
//!   `<registration-id>` replaced by a vector's: on Unix `.build\…` is no path, so the first
//!   line must fail with the file-not-found error (not a usage error); on Windows it writes
//!   the vector's certificate. `| clip` is not run (the second line's output is compared
//!   instead); `cmd /c` is not used.
#![cfg(test)]

use crate::common;

/// A fenced block of the README.
#[derive(Debug)]
struct Block {
    /// The line of the opening fence (1-based).
    line: usize,
    /// The language after the fence.
    lang: String,
    /// The block's lines, the fence's indentation removed, each ending in `\n`.
    text: String,
}

impl Block {
    fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default()
    }
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

fn blocks() -> Vec<Block> {
    let text = readme();
    let mut blocks = Vec::new();
    let mut open: Option<(usize, String, usize)> = None;
    let mut body = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(lang) = trimmed.strip_prefix("```") {
            match open.take() {
                None => {
                    open = Some((i + 1, lang.to_string(), line.len() - trimmed.len()));
                    body.clear();
                }
                Some((start, lang, _)) => blocks.push(Block {
                    line: start,
                    lang,
                    text: std::mem::take(&mut body),
                }),
            }
        } else if let Some((_, _, indent)) = &open {
            body.push_str(line.get(*indent..).unwrap_or(line.trim_start()));
            body.push('\n');
        }
    }
    assert!(open.is_none(), "a block of the README is not closed");
    blocks
}

/// The first line of each shell block, in README order: each has its checks below.
const SH_BLOCKS: &[&str] = &[
    "cargo install --locked --path .",
    "dps-cert-gen -e fixtures/devkit-a/DevKitDPS.ino.elf -i az-c89346000001v1v3v0 \\",
    "# The MAC address, firmware version and registration ID the board uses (press Reset when asked),",
    "dps-cert-gen uds --save uds.txt      # a new UDS in a new file readable by you only (any system)",
    "d=~/.local/share/bash-completion/completions && mkdir -p $d && dps-cert-gen completions bash > $d/dps-cert-gen",
    "dps-cert-gen inspect enrolled.pem          # or: ... | dps-cert-gen inspect -",
    "dps-cert-gen batch -e .build/DevKitDPS.ino.elf --manifest devices.csv --out-dir certs",
    "cargo test --locked",
];
/// The first line of each transcript.
const TEXT_BLOCKS: &[&str] = &["$ dps-cert-gen", "$ dps-cert-gen uds"];
/// The first line of the Windows block.
const BAT_BLOCKS: &[&str] = &[
    "dps-cert-gen.exe -b .build\\DevKitDPS.ino.bin -m .build\\DevKitDPS.ino.map -u <UDS> -i <registration-id>",
];

#[test]
fn every_readme_block_has_a_runner() {
    let all = blocks();
    let firsts = |lang: &str| -> Vec<String> {
        all.iter()
            .filter(|b| b.lang == lang)
            .map(|b| b.first_line().to_string())
            .collect()
    };
    assert_eq!(
        firsts("sh"),
        SH_BLOCKS,
        "a shell block without its checks here"
    );
    assert_eq!(firsts("text"), TEXT_BLOCKS, "a transcript not checked");
    assert_eq!(firsts("bat"), BAT_BLOCKS, "a Windows block not checked");
    for b in &all {
        assert!(
            ["sh", "text", "bat"].contains(&b.lang.as_str()),
            "README line {}: a ```{} block: give it a runner here",
            b.line,
            b.lang
        );
    }
}

fn block(lang: &str, first: &str) -> String {
    blocks()
        .into_iter()
        .find(|b| b.lang == lang && b.first_line() == first)
        .unwrap_or_else(|| panic!("no ```{lang} block starting {first:?}"))
        .text
}

fn vector_pem(name: &str) -> String {
    dps_cert_gen::encoding::pem_certificate(&common::case(name).der())
}

/// The sandbox standing for a fresh clone: see the module's doc.
#[cfg(unix)]
struct Sandbox {
    _root: tempfile::TempDir,
    clone: std::path::PathBuf,
    home: std::path::PathBuf,
    cargo_log: std::path::PathBuf,
    path: String,
    port: Option<String>,
}

#[cfg(unix)]
impl Sandbox {
    fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let clone = root.path().join("clone");
        let home = root.path().join("home");
        let shims = root.path().join("shims");
        for d in [&clone, &home, &shims] {
            std::fs::create_dir(d).unwrap();
        }
        std::os::unix::fs::symlink(common::fixtures(), clone.join("fixtures")).unwrap();
        let build = clone.join(".build");
        std::fs::create_dir(&build).unwrap();
        for ext in ["elf", "bin", "map"] {
            let name = format!("DevKitDPS.ino.{ext}");
            std::fs::copy(
                common::fixtures().join("devkit-a").join(&name),
                build.join(&name),
            )
            .unwrap();
        }
        let cargo_log = root.path().join("cargo.log");
        let script = format!(
            "#!/bin/sh\n\
             # The README's cargo lines, recorded; cargo itself is CI's.\n\
             printf '%s\\n' \"$*\" >> '{log}'\n\
             case \"$*\" in\n\
             'install --locked --path .')\n\
             \x20 mkdir -p target \"$CARGO_HOME/bin\" && ln -sf '{bin}' \"$CARGO_HOME/bin/dps-cert-gen\" ;;\n\
             'test --locked'|'clippy --all-targets --locked -- -D warnings'|'fmt --check') ;;\n\
             *) echo \"cargo stand-in: not a README line: $*\" >&2; exit 99 ;;\n\
             esac\n",
            log = cargo_log.display(),
            bin = env!("CARGO_BIN_EXE_dps-cert-gen"),
        );
        let cargo = shims.join("cargo");
        std::fs::write(&cargo, script).unwrap();
        std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
        // The system's folders for bash and coreutils, without any dps-cert-gen (the shims
        // come first: their cargo is the one found).
        let system: Vec<String> = std::env::var("PATH")
            .unwrap_or_default()
            .split(':')
            .filter(|d| !d.is_empty())
            .filter(|d| !std::path::Path::new(d).join("dps-cert-gen").exists())
            .map(str::to_string)
            .collect();
        let path = format!(
            "{}:{}:{}",
            shims.display(),
            home.join(".cargo/bin").display(),
            system.join(":")
        );
        Self {
            _root: root,
            clone,
            home,
            cargo_log,
            path,
            port: None,
        }
    }

    fn command(&self, program: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(program);
        cmd.current_dir(&self.clone)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("CARGO_HOME", self.home.join(".cargo"))
            // Messages one line each, for the checks.
            .env("COLUMNS", "1000")
            .stdin(std::process::Stdio::null());
        if let Some(port) = &self.port {
            cmd.env("DPS_CERT_GEN_PORT", port);
        }
        cmd
    }

    /// Runs `script` with `bash -e`.
    fn run(&self, script: &str) -> std::process::Output {
        self.command("bash")
            .args(["-e", "-c", script])
            .output()
            .unwrap()
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.clone.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn cargo_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.cargo_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[cfg(unix)]
fn ok(out: &std::process::Output, what: &str) -> (String, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "{what}: {:?}\n{stdout}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

#[cfg(unix)]
fn body_of(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

#[cfg(unix)]
#[test]
fn every_shell_block_runs_in_order() {
    let mut sandbox = Sandbox::new();
    let sh = |first: &str| block("sh", first);

    // Install: the tool is on PATH only through it.
    let out = sandbox.run("command -v dps-cert-gen || echo none");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "none\n");
    ok(&sandbox.run(&sh(SH_BLOCKS[0])), "install");
    assert_eq!(sandbox.cargo_lines(), ["install --locked --path ."]);
    let out = sandbox.run("command -v dps-cert-gen");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        sandbox
            .home
            .join(".cargo/bin/dps-cert-gen")
            .display()
            .to_string()
    );

    // Try it: the bundled firmware's certificate, the vector's byte for byte.
    let (_, stderr) = ok(&sandbox.run(&sh(SH_BLOCKS[1])), "try it");
    assert_eq!(
        sandbox.read("target/az-c89346000001v1v3v0.pem"),
        vector_pem("shared-0")
    );
    assert!(
        stderr.starts_with("warning: a UDS given with -u/--uds"),
        "{stderr}"
    );
    assert_eq!(sandbox.cargo_lines()[1..], ["test --locked"]);

    // Straight from the board.
    board_block(&mut sandbox, &sh(SH_BLOCKS[2]));

    // For scripts: the base64 line is my-device-01.pem's certificate.
    let script = format!("{}printf '%s\\n' \"$cert\"\n", sh(SH_BLOCKS[3]));
    let (stdout, _) = ok(&sandbox.run(&script), "for scripts");
    let uds = sandbox.read("uds.txt");
    assert_eq!(uds.trim().len(), 64, "{uds:?}");
    let one = sandbox.read("my-device-01.pem");
    let two = sandbox.read("my-device-02.pem");
    assert_eq!(stdout, format!("{}\n", body_of(&one)));
    assert!(two.starts_with("-----BEGIN CERTIFICATE-----\n") && two != one);

    // Shell completions: each file is what `completions SHELL` prints, in the user's home.
    ok(&sandbox.run(&sh(SH_BLOCKS[4])), "completions");
    for (shell, file, start) in [
        (
            "bash",
            ".local/share/bash-completion/completions/dps-cert-gen",
            "_dps__cert__gen() {\n",
        ),
        ("zsh", ".zfunc/_dps-cert-gen", "#compdef dps-cert-gen\n"),
        (
            "fish",
            ".config/fish/completions/dps-cert-gen.fish",
            "# Print an optspec",
        ),
    ] {
        let written = std::fs::read_to_string(sandbox.home.join(file)).unwrap();
        assert!(written.starts_with(start), "{shell}: {written:.80}");
        let printed = sandbox.run(&format!("dps-cert-gen completions {shell}"));
        assert_eq!(written.as_bytes(), printed.stdout, "{shell}");
    }

    // Inspecting and verifying: enrolled.pem is the certificate the user enrolled.
    std::fs::write(sandbox.clone.join("enrolled.pem"), &one).unwrap();
    let (stdout, stderr) = ok(&sandbox.run(&sh(SH_BLOCKS[5])), "inspect and verify");
    assert!(
        stdout.starts_with("enrolled.pem (PEM): DevKit RIoT alias certificate\n  registration ID:     my-device-01 (subject CN)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nenrolled.pem matches these inputs byte for byte (registration ID my-device-01, taken from the certificate;"),
        "{stdout}\n{stderr}"
    );

    // Batch: a manifest of two vectors' rows.
    let manifest = ["shared-1", "shared-2"]
        .iter()
        .map(|n| {
            let c = common::case(n);
            format!("{},{}\n", c.uds, c.expected_id)
        })
        .collect::<String>();
    std::fs::write(
        sandbox.clone.join("devices.csv"),
        format!("uds,registration_id\n{manifest}"),
    )
    .unwrap();
    ok(&sandbox.run(&sh(SH_BLOCKS[6])), "batch");
    assert_eq!(
        sandbox.read("certs/az-c89346000001v1v3v0.pem"),
        vector_pem("shared-1")
    );
    assert_eq!(
        sandbox.read("certs/my-device-01.pem"),
        vector_pem("shared-2")
    );
    assert!(sandbox.read("certs/summary.csv").lines().count() == 3);

    // Development: the three lines CI runs itself.
    ok(&sandbox.run(&sh(SH_BLOCKS[7])), "development");
    assert_eq!(
        sandbox.cargo_lines(),
        [
            "install --locked --path .",
            "test --locked",
            "test --locked",
            "clippy --all-targets --locked -- -D warnings",
            "fmt --check",
        ]
    );
}

/// What the stand-in user did, asked by the tool.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    /// Pressed Reset.
    Reset,
    /// Held A and pressed Reset: configuration mode.
    Configuration,
}

/// The board block against the simulated DevKit, with a user who does what the tool asks.
#[cfg(target_os = "linux")]
fn board_block(sandbox: &mut Sandbox, script: &str) {
    use common::sim_board::{Boot, Firmware, Mode, Outcome, SimBoard};
    use std::io::Read;
    use std::sync::{Arc, Mutex};

    let sim = Arc::new(SimBoard::start(Mode::Silent));
    sandbox.port = Some(sim.path().to_string());
    // A board with no UDS yet says DiceInit failed; with one, DPS refuses its certificate
    // (nothing is enrolled).
    let boot = |sim: &SimBoard| Boot {
        outcome: if sim.stored_uds().is_empty() {
            Outcome::DiceInitFailed
        } else {
            Outcome::InvalidCertificate
        },
        ..Boot::new("c89346000001", "1.3.0")
    };
    let mut child = sandbox
        .command("bash")
        .args(["-e", "-c", script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let acts = Arc::new(Mutex::new(Vec::new()));
    let user = {
        let (sim, seen, acts) = (Arc::clone(&sim), Arc::clone(&seen), Arc::clone(&acts));
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut done = 0;
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut text = seen.lock().unwrap();
                text.push_str(&String::from_utf8_lossy(&buf[..n]));
                while let Some(end) = text[done..].find('\n') {
                    let line = text[done..done + end].to_string();
                    done += end + 1;
                    if line.starts_with("Press Reset on the board (listening on ") {
                        acts.lock().unwrap().push(Act::Reset);
                        sim.reset(Mode::Normal(boot(&sim)));
                    } else if line.starts_with("Put the board in configuration mode: ") {
                        acts.lock().unwrap().push(Act::Configuration);
                        sim.reset(Mode::Configuration {
                            firmware: Firmware::Quirk,
                            sdk_version: "1.3.0".into(),
                            after_exit: Boot {
                                outcome: Outcome::InvalidCertificate,
                                ..Boot::new("c89346000001", "1.3.0")
                            },
                        });
                    }
                }
            }
        })
    };
    let out = child.wait_with_output().unwrap();
    user.join().unwrap();
    let stderr = seen.lock().unwrap().clone();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "board block: {stdout}\n{stderr}");
    assert_eq!(
        *acts.lock().unwrap(),
        [
            Act::Reset,
            Act::Configuration,
            Act::Configuration,
            Act::Reset
        ],
        "{stderr}"
    );
    // board info saw the board without a UDS.
    assert!(
        stdout.starts_with("MAC address:      c89346000001\nFirmware version: 1.3.0\n"),
        "{stdout}"
    );
    // set-uds and provision each set the UDS they saved.
    let saved: Vec<String> = ["board1.uds", "board2.uds"]
        .iter()
        .map(|f| sandbox.read(f).trim().to_lowercase())
        .collect();
    assert_eq!(sim.stored_uds(), saved);
    // provision wrote the certificate; generation from the board found it written already.
    let id = "az-c89346000001v1v3v0";
    assert!(
        stderr.contains(&format!(
            "\n{id}.pem holds this certificate already, byte for byte: nothing written\n"
        )),
        "{stderr}"
    );
    let check = sandbox.run(&format!(
        "dps-cert-gen verify {id}.pem -p DevKitDPS --uds-file board2.uds"
    ));
    ok(&check, "the provisioned certificate verifies");
    sandbox.port = None;
}

/// Elsewhere the board block's commands are run alone against a port that does not exist:
/// their arguments parse, and each fails for the port alone (a `--uds-file` the block's
/// earlier line would have saved is put in place first).
#[cfg(all(unix, not(target_os = "linux")))]
fn board_block(sandbox: &mut Sandbox, script: &str) {
    board_block_parses(sandbox, script);
}

#[cfg(unix)]
fn board_block_parses(sandbox: &mut Sandbox, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    let port = "/dev/dps-cert-gen-no-such-port";
    sandbox.port = Some(port.to_string());
    for line in script.lines().filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let uds_file = words
            .windows(2)
            .find(|w| w[0] == "--uds-file")
            .map(|w| sandbox.clone.join(w[1]));
        if let Some(file) = &uds_file {
            std::fs::write(file, format!("{}\n", "0123456789abcdef".repeat(4))).unwrap();
            std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let out = sandbox.run(line);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{line}: {stderr}");
        assert!(
            stderr.ends_with(&format!(
                "error: there is no serial port {port}: check the name, or plug the board in\n"
            )),
            "{line}: {stderr}"
        );
        if let Some(file) = &uds_file {
            std::fs::remove_file(file).unwrap();
        }
    }
    // Nothing saved: a UDS is saved only once the board answers.
    assert!(!sandbox.clone.join("board1.uds").exists());
    assert!(!sandbox.clone.join("board2.uds").exists());
    sandbox.port = None;
}

/// Where the board block runs against the simulated board (Linux), the form the other
/// systems run is checked too.
#[cfg(target_os = "linux")]
#[test]
fn the_board_block_parses_without_a_board() {
    let mut sandbox = Sandbox::new();
    ok(&sandbox.run(&block("sh", SH_BLOCKS[0])), "install");
    board_block_parses(&mut sandbox, &block("sh", SH_BLOCKS[2]));
}

/// The `uds` transcript is what a terminal shows, the value aside.
#[cfg(unix)]
#[test]
fn the_uds_transcript_is_what_the_terminal_shows() {
    let text = block("text", TEXT_BLOCKS[1]);
    let readme_value = text.lines().nth(1).unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let pty = common::pty::Pty::spawn(&["uds"], dir.path(), &[]);
    let (code, shown) = pty.finish();
    assert_eq!(code, 0, "{shown}");
    let shown = shown.replace("\r\n", "\n");
    let value = shown.lines().next().unwrap().trim().to_string();
    assert_eq!(value.len(), 64, "{shown}");
    let expected: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    assert_eq!(shown.replace(&value, &readme_value), expected);
}

/// The Windows block: each line's arguments, through the binary (see the module's doc).
#[test]
fn the_windows_block_parses_and_runs_where_it_can() {
    let text = block("bat", BAT_BLOCKS[0]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    let c = common::case("shared-0");
    let dir = common::project_dir("devkit-a", ".build");
    let args = |line: &str| -> Vec<String> {
        let line = line.split(" | ").next().unwrap();
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("dps-cert-gen.exe"), "{line}");
        words
            .map(|w| match w {
                "<UDS>" => c.uds.clone(),
                "<registration-id>" => c.expected_id.clone(),
                w => w.to_string(),
            })
            .collect()
    };
    let run = |args: &[String]| {
        common::bin()
            .args(args)
            .current_dir(dir.path())
            .env("COLUMNS", "1000")
            .write_stdin("")
            .output()
            .unwrap()
    };
    // 1: -b and -m of the sketch's build.
    let out = run(&args(lines[0]));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("Usage:"), "{stderr}");
    if cfg!(windows) {
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        let written =
            std::fs::read_to_string(dir.path().join(format!("{}.pem", c.expected_id))).unwrap();
        assert_eq!(written, vector_pem("shared-0"));
    } else {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.ends_with("error: cannot read .build\\DevKitDPS.ino.map: no such file; check the path (the Arduino build writes it to the sketch's build folder)\n"),
            "{stderr}"
        );
    }
    // 2: the base64 line (what `clip` would take).
    let two = common::case("shared-2");
    std::fs::write(dir.path().join("uds.txt"), format!("{}\n", two.uds)).unwrap();
    let out = run(&args(lines[1]));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", two.field("alias_cert_der_base64"))
    );
    // 3: no arguments and no terminal: what is missing, at once.
    let out = run(&args(lines[2]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).starts_with("error: missing -u/--uds"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
