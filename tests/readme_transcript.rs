//! The README's prompt transcript is what the tool prints: the session it shows is run in a
//! real pseudo-terminal, with the answers it shows typed (and the hidden UDS of the fixture it
//! was made with), and the terminal's text is compared with the README's, line by line.
#![cfg(test)]
#![cfg(unix)]

use crate::common;

use common::case;
use common::pty::Pty;

/// The README's transcript: the lines of the ```text block that starts with `$ dps-cert-gen`
/// (under "With prompts"), after that command line.
fn readme_transcript() -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```text\n$ dps-cert-gen\n")
        .expect("the README has a transcript block starting `$ dps-cert-gen`");
    let block = &readme[start + "```text\n$ dps-cert-gen\n".len()..];
    let block = &block[..block.find("```").unwrap()];
    block.lines().map(|l| l.trim_end().to_string()).collect()
}

/// The answer typed after each prompt of the transcript: the text after the prompt's `: ` on
/// its line, or the UDS for the hidden question.
fn answers(transcript: &[String], uds: &str) -> Vec<(String, String)> {
    let prompts = [
        "Project name [DevKitDPS]:",
        "UDS (64 hex digits, as set with set_dps_uds; hidden as you type):",
        "Registration ID (empty: build it from the MAC and firmware version):",
        "MAC address (printed at boot, like C8:93:46:00:00:01):",
        "Firmware version (printed at boot, like 1.6.2):",
    ];
    transcript
        .iter()
        .filter_map(|line| {
            let prompt = prompts.iter().find(|p| line.starts_with(**p))?;
            let typed = line[prompt.len()..].trim().to_string();
            let typed = if prompt.starts_with("UDS") {
                assert!(typed.is_empty(), "the README shows a typed UDS: {line}");
                uds.to_string()
            } else {
                typed
            };
            Some((format!("{prompt} "), typed))
        })
        .collect()
}

#[test]
fn the_readme_prompt_transcript_is_what_the_tool_prints() {
    // The README's session: a sketch folder whose .build/ holds the .elf, .bin and .map of
    // the fixture of the vector with the MAC and version the README types (shared-3), and a
    // UDS that draws no warning (shared-5's: shared-3's is all zeros).
    let case = case("shared-5");
    let dir = tempfile::tempdir().unwrap();
    let build = dir.path().join(".build");
    std::fs::create_dir(&build).unwrap();
    for ext in ["elf", "bin", "map"] {
        std::fs::copy(
            common::fixtures().join(format!("devkit-b/DevKitDPS.ino.{ext}")),
            build.join(format!("DevKitDPS.ino.{ext}")),
        )
        .unwrap();
    }
    let transcript = readme_transcript();
    let mut t = Pty::spawn(&[], dir.path(), &[("NO_COLOR", "1")]);
    for (prompt, typed) in answers(&transcript, &case.uds) {
        t.expect(&prompt);
        t.send_line(&typed);
    }
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    let shown: Vec<String> = shown
        .replace("\r\n", "\n")
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect();
    assert_eq!(
        shown.join("\n"),
        transcript.join("\n"),
        "the README's transcript (right) is not what the tool printed (left)"
    );
}
