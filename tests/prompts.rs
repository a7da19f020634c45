//! The prompts, driven in a real pseudo-terminal: order, defaults, hidden UDS, re-asking,
//! the ID built from MAC + version, end of input and Ctrl-C, colour.
#![cfg(test)]
#![cfg(unix)]

use crate::common;

use common::pty::Pty;
use common::{case, project_dir, written_files};

const NO_COLOR: &[(&str, &str)] = &[("NO_COLOR", "1")];

/// Pieces of a UDS that must never show on the terminal.
fn assert_hidden(shown: &str, uds: &str) {
    for piece in [
        uds,
        &uds.to_lowercase(),
        &uds[..16],
        &uds[24..40],
        &uds[48..],
    ] {
        assert!(
            !shown.to_lowercase().contains(&piece.to_lowercase()),
            "the terminal showed part of the UDS ({piece}):\n{shown}"
        );
    }
}

fn certificate(path: &std::path::Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    pem::parse(text).unwrap().into_contents()
}

#[test]
fn default_project_in_build_folder_and_id_from_mac_and_version_give_the_vector() {
    let case = case("shared-3");
    let dir = project_dir("devkit-b", ".build");
    let mut t = Pty::spawn(&[], dir.path(), NO_COLOR);
    t.expect("Project name [DevKitDPS]: ");
    t.send_line("");
    t.expect("Found ./.build/DevKitDPS.ino.bin and ./.build/DevKitDPS.ino.map");
    t.expect("UDS (64 hex digits, as set with set_dps_uds; hidden as you type): ");
    t.send_line(&case.uds);
    t.expect("UDS accepted (64 hex digits)");
    t.expect("Registration ID (empty: build it from the MAC and firmware version): ");
    t.send_line("");
    t.expect("MAC address (printed at boot, like C8:93:46:00:00:01): ");
    t.send_line("c8:93:46:aa:bb");
    t.expect(
        "try again: \"c8:93:46:aa:bb\" is not a MAC address; give the 12 hex digits the board prints at boot, like c89346000001 or C8:93:46:00:00:01",
    );
    t.expect("MAC address (printed at boot, like C8:93:46:00:00:01): ");
    // Visible answers are echoed, and Backspace erases on screen too.
    t.send("c8x\x7f");
    t.expect("c8x\x08 \x08");
    t.send_line(&case.mac.as_deref().unwrap()[2..]);
    t.expect("9346aabbcc\r\n");
    t.expect("Firmware version (printed at boot, like 1.6.2): ");
    t.send_line("1.6");
    t.expect("try again: \"1.6\" is not a firmware version");
    t.expect("Firmware version (printed at boot, like 1.6.2): ");
    t.send_line(case.firmware_version.as_deref().unwrap());
    t.expect("Registration ID: az-c89346aabbccv1v6v2");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    assert_hidden(&shown, &case.uds);
    assert!(!shown.contains('\x1b'), "colour despite NO_COLOR:\n{shown}");
    let sha1 = case.field("alias_cert_sha1");
    let sha256 = case.field("alias_cert_sha256");
    let summary = format!(
        "Wrote az-c89346aabbccv1v6v2.pem\r\n  registration ID: az-c89346aabbccv1v6v2\r\n  \
         SHA-1 thumbprint:   {sha1}\r\n  SHA-256 thumbprint:\r\n    {sha256}\r\n\r\n\
         Next step: in the Azure portal, open your DPS instance, Manage enrollments,\r\n  \
         Add individual enrollment; mechanism X.509, primary certificate:\r\n  \
         az-c89346aabbccv1v6v2.pem\r\n\
         For scripts, the same certificate as one line of base64 (uds.txt: the UDS):\r\n  \
         dps-cert-gen -b ./.build/DevKitDPS.ino.bin -m ./.build/DevKitDPS.ino.map \\\r\n    \
         --uds-file uds.txt -i az-c89346aabbccv1v6v2 --bare-base64\r\n"
    );
    assert!(shown.ends_with(&summary), "{shown}");
    // An 80-column terminal shows the prompts and the report whole (the one-line refusals
    // and warnings are sentences, which a terminal wraps between words).
    for line in shown
        .split("\r\n")
        .filter(|l| !l.starts_with("try again:") && !l.starts_with("warning:"))
    {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert_eq!(
        certificate(&dir.path().join("az-c89346aabbccv1v6v2.pem")),
        case.der()
    );
}

#[test]
fn bad_answers_are_asked_again_and_the_uds_never_shows() {
    let case = case("shared-1"); // the sample with two digits changed
    let dir = project_dir("devkit-a", "");
    let mut t = Pty::spawn(&["-i", &case.expected_id], dir.path(), NO_COLOR);
    t.expect("Project name [DevKitDPS]: ");
    t.send_line("Nope");
    t.expect(
        "try again: no Nope.ino.elf, or Nope.ino.bin and Nope.ino.map, in . and ./.build; type the name of the sketch you built (run from its folder), or stop with Ctrl-C and give the files with -e, or -b and\r\n-m\r\n",
    );
    t.expect("Project name [DevKitDPS]: ");
    t.send_line("DevKitDPS.ino.bin");
    t.expect("Found ./DevKitDPS.ino.bin and ./DevKitDPS.ino.map");
    t.expect("hidden as you type): ");
    t.send_line(&case.uds[..62]);
    t.expect(
        "try again: the UDS must be 64 hex digits (32 bytes), but 62 characters were given; type the full UDS as set with `set_dps_uds`",
    );
    t.expect("hidden as you type): ");
    let mut not_hex = case.uds.clone();
    not_hex.replace_range(9..10, "g");
    t.send_line(&not_hex);
    t.expect(
        "try again: the UDS must contain only hex digits 0-9 and a-f, but character 10 is not one",
    );
    t.expect("hidden as you type): ");
    // Typing mistakes are erased with Backspace, as anywhere.
    t.send("xy\x7f\x7f");
    t.send_line(&case.uds.to_uppercase());
    t.expect("UDS accepted (64 hex digits)");
    // Wrapped at a space to the terminal's 200 columns (COLUMNS does not apply on a terminal).
    t.expect(
        "warning: this UDS differs from the sample published in the DevKit tutorial in only 2 of its 64 hex digits, so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with\r\n`set_dps_uds`",
    );
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    assert_hidden(&shown, &case.uds);
    assert!(!shown.contains("xy"), "{shown}");
    assert!(
        !shown.contains("Registration ID ("),
        "-i was given: {shown}"
    );
    assert_eq!(
        certificate(&dir.path().join(format!("{}.pem", case.expected_id))),
        case.der()
    );
}

#[test]
fn given_inputs_skip_their_prompts() {
    let case = case("shared-0");
    let dir = project_dir("devkit-a", "");
    let env = [("NO_COLOR", "1"), ("DPS_UDS", case.uds.as_str())];
    let mut t = Pty::spawn(&["-p", "DevKitDPS"], dir.path(), &env);
    // Where the UDS question is skipped, not after the certificate.
    t.expect("note: UDS taken from the DPS_UDS environment variable\r\n");
    t.expect("Registration ID (empty: build it");
    t.send_line(&case.expected_id);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    assert_eq!(shown.matches("note: UDS taken from").count(), 1, "{shown}");
    assert!(!shown.contains("Project name"), "{shown}");
    assert!(!shown.contains("UDS (64"), "{shown}");
    assert!(shown.contains("warning: this UDS is the sample published in the DevKit tutorial"));
    assert_hidden(&shown, &case.uds);
    assert_eq!(
        certificate(&dir.path().join(format!("{}.pem", case.expected_id))),
        case.der()
    );
}

#[test]
fn end_of_input_at_a_prompt_stops_and_writes_nothing() {
    let dir = project_dir("devkit-a", "");
    let mut t = Pty::spawn(&[], dir.path(), &[]);
    t.expect("Project name");
    t.send_line("");
    t.expect("hidden as you type)");
    t.send("\x04");
    t.expect("no answer to the UDS prompt (end of input); nothing was written");
    assert!(t.is_cooked(), "the terminal was left without echo");
    let (code, shown) = t.finish();
    assert_eq!(code, 2, "{shown}");
    assert!(written_files(dir.path()).is_empty());
    // A terminal without NO_COLOR gets colour.
    assert!(shown.contains("\x1b["), "no colour on a terminal:\n{shown}");
    let error_lines: Vec<&str> = shown.lines().filter(|l| l.contains("error")).collect();
    assert_eq!(error_lines.len(), 1, "{shown}");
}

#[test]
fn ctrl_c_at_the_hidden_prompt_stops_and_restores_the_terminal() {
    let case = case("shared-0");
    let dir = project_dir("devkit-a", "");
    let mut t = Pty::spawn(&["-i", "my-device-01"], dir.path(), NO_COLOR);
    t.expect("Project name");
    t.send_line("");
    t.expect("hidden as you type): ");
    t.send(&case.uds[..20]);
    t.send("\x03");
    t.expect("error: interrupted; nothing was written");
    assert!(t.is_cooked(), "the terminal was left without echo");
    let (code, shown) = t.finish();
    assert_eq!(code, 130, "{shown}");
    assert_hidden(&shown, &case.uds);
    assert!(written_files(dir.path()).is_empty());
}

#[test]
fn an_existing_file_is_kept_unless_the_user_agrees() {
    let case = case("shared-0");
    let dir = project_dir("devkit-a", "");
    let out = dir.path().join(format!("{}.pem", case.expected_id));
    std::fs::write(&out, "keep me").unwrap();
    let env = [("NO_COLOR", "1"), ("DPS_UDS", case.uds.as_str())];
    let mut t = Pty::spawn(&[], dir.path(), &env);
    t.expect("Project name");
    t.send_line("");
    t.expect("Registration ID (empty: build it");
    t.send_line(&case.expected_id);
    t.expect(&format!(
        "{} already exists. Overwrite it? [y/N]: ",
        out.file_name().unwrap().to_string_lossy()
    ));
    t.send_line("");
    // Declined: another name is offered (a free one beside it), nothing typed is lost.
    let other = format!("{}-2.pem", case.expected_id);
    t.expect(&format!("File to write instead [{other}]: "));
    t.send_line("");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    assert!(shown.contains(&format!("Wrote {other}\r\n")), "{shown}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    assert_eq!(certificate(&dir.path().join(&other)), case.der());

    let mut t = Pty::spawn(&[], dir.path(), &env);
    t.expect("Project name");
    t.send_line("");
    t.expect("Registration ID (empty: build it");
    t.send_line(&case.expected_id);
    t.expect("Overwrite it? [y/N]: ");
    t.send_line("y");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    assert_eq!(certificate(&out), case.der());

    // The file holds this very certificate now: nothing is asked, nothing written.
    let before = std::fs::metadata(&out).unwrap().modified().unwrap();
    let mut t = Pty::spawn(&[], dir.path(), &env);
    t.expect("Project name");
    t.send_line("");
    t.expect("Registration ID (empty: build it");
    t.send_line(&case.expected_id);
    t.expect(&format!(
        "{}.pem holds this certificate already, byte for byte: nothing written\r\n",
        case.expected_id
    ));
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    assert!(!shown.contains("Overwrite it?"), "{shown}");
    assert!(!shown.contains("-3.pem"), "{shown}");
    assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), before);
}

#[cfg(target_os = "linux")]
#[test]
fn at_the_id_prompt_holding_the_uds_the_process_writes_no_core() {
    let case = case("shared-0");
    let dir = project_dir("devkit-a", ".build");
    let uds = common::uds_file(&case.uds).display().to_string();
    let mut t = Pty::spawn(
        &["-p", "DevKitDPS", "--uds-file", &uds],
        dir.path(),
        NO_COLOR,
    );
    t.expect("Registration ID (");
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", t.pid())).unwrap();
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
        ["0", "0"],
        "{core}"
    );
    // (Non-dumpable is checked in src/cli/sys/core_dumps.rs: /proc does not show it.)
    t.send_line("dev-1");
    let (code, _) = t.finish();
    assert_eq!(code, 0);
}

#[test]
fn uds_on_a_terminal_shows_the_line_to_type() {
    let dir = tempfile::tempdir().unwrap();
    let t = Pty::spawn(&["uds"], dir.path(), NO_COLOR);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown}");
    let mut lines = shown.split("\r\n");
    let value = lines.next().unwrap();
    assert_eq!(value.len(), 64, "{shown}");
    assert!(value.bytes().all(|b| b.is_ascii_hexdigit()), "{shown}");
    assert_eq!(
        lines.collect::<Vec<_>>().join("\n"),
        format!(
            "Set it on the board in configuration mode\n\
             (hold A, press and release Reset, let go of A):\n  \
             set_dps_uds {value}\n\
             Keep it secret: anyone who has it can make certificates in the board's name.\n"
        )
    );
}

#[test]
fn verify_dash_on_a_terminal_names_verify_in_its_hint() {
    let dir = tempfile::tempdir().unwrap();
    let t = Pty::spawn(&["verify", "-", "-p", "DevKitDPS"], dir.path(), NO_COLOR);
    let (code, shown) = t.finish();
    assert_eq!(code, 2, "{shown}");
    assert_eq!(
        shown,
        "error: no certificate given: name a file (verify cert.pem), or pipe one in (... | dps-cert-gen verify -)\r\n"
    );
}

#[test]
fn batch_progress_fits_the_terminal_and_is_cleared_after_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("uds,registration_id\n");
    for i in 1..=20_000 {
        text.push_str(&format!("{i:064x},dev-{i}\n"));
    }
    std::fs::write(dir.path().join("m.csv"), text).unwrap();
    let elf = common::fixtures()
        .join("devkit-a")
        .join("DevKitDPS.ino.elf");
    let elf = elf.display().to_string();
    let args = [
        "batch",
        "-e",
        &elf,
        "--manifest",
        "m.csv",
        "--out-dir",
        "out",
        "-j",
        "1",
    ];
    let mut t = Pty::spawn(&args, dir.path(), NO_COLOR);
    t.expect("/20000 certificates");
    t.send("\x03");
    let (code, shown) = t.finish();
    assert_eq!(code, 130, "{shown}");
    // The bar is drawn in the 200 columns of the test terminal, without grouping digits, as
    // the final line writes its numbers.
    assert!(!shown.contains("20,000"), "{shown}");
    // After the interrupt, the bar's line is cleared before the final lines are written.
    let last_clear = shown.rfind("\x1b[2K").unwrap();
    let after = &shown[last_clear + "\x1b[2K".len()..];
    let after = after.trim_start_matches("\x1b[1A");
    assert!(after.starts_with("Wrote "), "{after:?}");
    assert!(
        after.contains(" of 20000 certificates to out in "),
        "{after:?}"
    );
    assert!(
        after.contains("error: interrupted after writing "),
        "{after:?}"
    );
    assert!(
        !after.contains('\u{2591}'),
        "the bar is still shown: {after:?}"
    );
}
