//! The README is a newcomer's page: short, install and the first commands early, standing
//! alone (no links out of the project), and true about what the tool prints.
#![cfg(test)]

use assert_cmd::Command;

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn short_with_install_and_the_first_commands_early() {
    let text = readme();
    assert!(
        text.lines().count() <= 300,
        "{} lines",
        text.lines().count()
    );
    let head: String = text.lines().take(60).collect::<Vec<_>>().join("\n");
    for needle in [
        "cargo install --locked --path .",
        "dps-cert-gen -e fixtures/devkit-a/DevKitDPS.ino.elf",
        "cargo test --locked",
        "takes a few minutes",
    ] {
        assert!(head.contains(needle), "not in the first 60 lines: {needle}");
    }
    // The quick start writes into target/, which git ignores.
    assert!(head.contains("-o target/az-c89346000001v1v3v0.pem"));
    let gitignore = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.gitignore"));
    assert!(gitignore.unwrap().lines().any(|l| l == "/target"));
    for heading in ["## Development", "## For scripts", "## With prompts"] {
        assert!(text.contains(heading), "{heading}");
    }
    assert!(text.contains("docs/architecture.md"));
}

#[test]
fn the_project_stands_alone() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut pages = vec![
        format!("{root}/README.md"),
        format!("{root}/fixtures/README.md"),
    ];
    for entry in std::fs::read_dir(format!("{root}/docs")).unwrap() {
        pages.push(entry.unwrap().path().display().to_string());
    }
    for page in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        for bad in ["shared/", "../spec", "../vectors", "../firmware-fixture"] {
            assert!(
                !text.contains(bad),
                "{page} points outside the project: {bad}"
            );
        }
    }
    // Every doc the README links to exists.
    for link in readme().split("](").skip(1) {
        let target = link.split(')').next().unwrap();
        if target.starts_with("docs/") || target.starts_with("fixtures/") {
            assert!(std::path::Path::new(root).join(target).exists(), "{target}");
        }
    }
}

#[test]
fn usage_errors_are_several_lines_as_the_readme_says() {
    assert!(readme().contains(
        "Usage errors found by the argument parser (an unknown flag, a missing\nvalue, conflicting flags) are a few lines: the `error:` line, the usage, and a hint to `--help`."
    ));
    let out = Command::cargo_bin("dps-cert-gen")
        .unwrap()
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("error: unexpected argument '--no-such-flag' found\n"));
    // The program's name as it was started: dps-cert-gen.exe on Windows.
    let usage = format!(
        "\nUsage: dps-cert-gen{} [OPTIONS]\n",
        std::env::consts::EXE_SUFFIX
    );
    assert!(err.contains(&usage), "{err}");
    assert!(err.ends_with("For more information, try '--help'.\n"));
}

#[test]
fn the_fixtures_page_says_which_sources_name_a_commit() {
    let root = env!("CARGO_MANIFEST_DIR");
    let page = std::fs::read_to_string(format!("{root}/fixtures/README.md")).unwrap();
    let sources =
        std::fs::read_to_string(format!("{root}/fixtures/external-certs/SOURCES.md")).unwrap();
    // The rows without a commit (last column empty) are the ones the page names.
    let without: Vec<&str> = sources
        .lines()
        .filter(|l| l.starts_with("| ") && l.ends_with("| |"))
        .filter_map(|l| l.split(" | ").next())
        .collect();
    assert_eq!(
        without,
        [
            "| azure-iot-sdk-c-custom_hsm-riot-device-cert.pem",
            "| control-baltimore-root.pem"
        ]
    );
    assert!(page.contains(
        "the azure-iot-sdk-c\nsample's older version and the Baltimore control have none recorded"
    ));
    // Not "the device firmware was built without optimisation": the board's RIoT code is
    // the SDK's prebuilt core library.
    assert!(!page.contains("which is how the device firmware was built"));
    assert!(page.contains("prebuilt in\nthe SDK's core library (GCC 6.3.1, `-Os`)"));
}

/// The README's "For scripts" block runs top to bottom, as written, in a fresh folder with
/// the bundled firmware in place of a sketch's `.build/` (issue 21: 9). Unix: run by `sh -e`.
#[cfg(unix)]
#[test]
fn the_for_scripts_block_runs_top_to_bottom() {
    let text = readme();
    let block = text
        .split("## For scripts\n\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```\n").next())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let build = dir.path().join(".build");
    std::fs::create_dir(&build).unwrap();
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devkit-a");
    for name in [
        "DevKitDPS.ino.elf",
        "DevKitDPS.ino.bin",
        "DevKitDPS.ino.map",
    ] {
        std::fs::copy(fixtures.join(name), build.join(name)).unwrap();
    }
    let bin_dir = std::path::Path::new(env!("CARGO_BIN_EXE_dps-cert-gen"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("sh")
        .args(["-e", "-c", &format!("{block}printf '%s\\n' \"$cert\"\n")])
        .current_dir(dir.path())
        .env("PATH", path)
        .env_remove("DPS_UDS")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{block}\n{stderr}");
    for name in ["uds.txt", "my-device-01.pem", "my-device-02.pem"] {
        assert!(dir.path().join(name).is_file(), "{name}: {stderr}");
    }
    // The base64 line is my-device-01.pem's certificate.
    let pem = std::fs::read_to_string(dir.path().join("my-device-01.pem")).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), body);
}
