//! `--enroll` after generation (the default command) and after `board provision`, through
//! the binary, against the stand-in DPS (`tests/common/dps_standin.rs`) and, for
//! `board provision`, the simulated DevKit (`tests/common/sim_board.rs`, Linux only): the
//! certificate written then enrolled; a re-run finds it already enrolled; another
//! certificate left as it is (exit status 1); no connection string: nothing written; the
//! board's next boot read for its own DPS answer.
#![cfg(test)]

use crate::common;
use crate::common::dps_standin::{StandIn, ca_file};
use std::path::{Path, PathBuf};

/// The connection string in an owner-only file of `dir`.
fn connection_file(standin: &StandIn, dir: &Path) -> PathBuf {
    let path = dir.join("dps.txt");
    let file = tempfile::NamedTempFile::new_in(dir).unwrap();
    std::fs::write(file.path(), standin.connection_string()).unwrap();
    file.persist(&path).unwrap();
    path
}

fn dps_args(standin: &StandIn, dir: &Path) -> Vec<String> {
    vec![
        "--enroll".to_string(),
        "--dps-connection-string-file".to_string(),
        connection_file(standin, dir).display().to_string(),
        "--ca-file".to_string(),
        ca_file().display().to_string(),
    ]
}

fn run(args: &[String]) -> (i32, String, String) {
    let out = common::bin()
        .args(args)
        .env_remove("DPS_CONNECTION_STRING")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .write_stdin("")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        common::stderr_without_sample_warning(&out.stderr),
    )
}

fn sha1(der: &[u8]) -> String {
    dps_cert_gen::encoding::Thumbprints::of(der).sha1
}

#[test]
fn generation_enrolls_what_it_wrote_and_a_rerun_finds_it_enrolled() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let c = common::case(&common::cases()[0].name);
    let out = dir.path().join("board.pem");
    let mut args = c.input_args();
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(dps_args(&standin, dir.path()));
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "");
    let id = &c.expected_id;
    let host = standin.service_host();
    assert!(
        stderr.ends_with(&format!(
            "{id}: enrolled in {host} (created), SHA-1 {}\n",
            sha1(&c.der())
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("Wrote {}\n", out.display())),
        "{stderr}"
    );
    assert_eq!(standin.enrollment(id).unwrap().der, c.der());
    // Again: the file holds this very certificate, DPS too.
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.ends_with(&format!(
            "{id}: already enrolled in {host} with this certificate, SHA-1 {}\n",
            sha1(&c.der())
        )),
        "{stderr}"
    );
    assert_eq!(standin.enrollment_count(), 1);
}

#[test]
fn generation_leaves_another_certificate_enrolled_and_fails() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let cases = common::cases();
    let c = common::case(&cases[0].name);
    let other = cases[1].der();
    standin.enroll(&c.expected_id, &other);
    let out = dir.path().join("board.pem");
    let mut args = c.input_args();
    args.extend(["-o".to_string(), out.display().to_string()]);
    args.extend(dps_args(&standin, dir.path()));
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.ends_with(&format!(
            "error: {}: enrolled in {} with another certificate (SHA-1 {}), not this one (SHA-1 {}); left as it is: check which one the board presents with `dps-cert-gen verify`, or replace it with `dps-cert-gen enroll {} --force`\n",
            c.expected_id,
            standin.service_host(),
            sha1(&other),
            sha1(&c.der()),
            out.display()
        )),
        "{stderr}"
    );
    // The certificate is written all the same; DPS keeps the other one.
    assert!(out.exists());
    assert_eq!(standin.enrollment(&c.expected_id).unwrap().der, other);
}

#[test]
fn generation_without_a_connection_string_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = common::case(&common::cases()[0].name);
    let out = dir.path().join("board.pem");
    let mut args = c.input_args();
    args.extend([
        "-o".to_string(),
        out.display().to_string(),
        "--enroll".to_string(),
    ]);
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 2);
    assert!(
        stderr.ends_with("error: missing the DPS service connection string: give --dps-connection-string-file PATH ('-' for standard input) or set DPS_CONNECTION_STRING (Azure portal: your DPS instance, Settings, Shared access policies, provisioningserviceowner, Primary connection string)\n"),
        "{stderr}"
    );
    assert!(!out.exists());
    // The UDS and the connection string cannot both come from standard input.
    let mut args: Vec<String> = c
        .input_args()
        .into_iter()
        .map(|a| {
            if a.ends_with(".uds") {
                "-".to_string()
            } else {
                a
            }
        })
        .collect();
    args.extend(
        ["--enroll", "--dps-connection-string-file", "-"]
            .iter()
            .map(|s| s.to_string()),
    );
    let (code, _, stderr) = run(&args);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: standard input ('-') can give the UDS or the connection string, not both; name a file for one of them\n"
    );
    // The DPS flags only with --enroll.
    let mut args = c.input_args();
    args.extend(["--ca-file".to_string(), "ca.pem".to_string()]);
    assert_eq!(run(&args).0, 2);
}

#[cfg(target_os = "linux")]
mod board_provision {
    use super::*;
    use crate::common::sim_board::{Boot, Firmware, Mode, Outcome, SimBoard};
    use std::sync::Arc;

    /// `board provision --enroll` of the vectors' case `shared-3` on a simulated board
    /// whose next boot, once the enrollment exists, is answered by `answer`.
    fn provision(
        answer: impl Fn(&[u8], &[u8]) -> Outcome + Send + 'static,
    ) -> (i32, String, String, Arc<StandIn>, String) {
        let c = common::case("shared-3");
        let standin = Arc::new(StandIn::start());
        let boot = Boot::new(
            c.mac.as_deref().unwrap(),
            c.firmware_version.as_deref().unwrap(),
        );
        let sim = SimBoard::start(Mode::Configuration {
            firmware: Firmware::Quirk,
            sdk_version: c.firmware_version.clone().unwrap(),
            // The boot right after the UDS is set: not enrolled yet.
            after_exit: Boot {
                outcome: Outcome::InvalidCertificate,
                ..boot.clone()
            },
        });
        let (watched, id, der) = (Arc::clone(&standin), c.expected_id.clone(), c.der());
        sim.then_boot(move || {
            let enrolled = watched.enrollment(&id)?;
            Some(Boot {
                outcome: answer(&enrolled.der, &der),
                ..boot.clone()
            })
        });
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("board.pem");
        let mut args: Vec<String> = [
            "board",
            "provision",
            "--port",
            sim.path(),
            "-b",
            c.bin.to_str().unwrap(),
            "-m",
            c.map.to_str().unwrap(),
            "--uds-file",
            common::uds_file(&c.uds).to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--timeout",
            "10",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.extend(dps_args(&standin, dir.path()));
        let (code, stdout, stderr) = run(&args);
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            dps_cert_gen::encoding::pem_certificate(&c.der())
        );
        (code, stdout, stderr, standin, sim.path().to_string())
    }

    #[test]
    fn provision_enrolls_and_reports_the_boards_own_assignment() {
        let c = common::case("shared-3");
        let (code, stdout, stderr, standin, port) = provision(|enrolled, ours| {
            if enrolled == ours {
                Outcome::Assigned
            } else {
                Outcome::InvalidCertificate
            }
        });
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout, "");
        let id = &c.expected_id;
        assert!(
            stderr.ends_with(&format!(
                "{id}: enrolled in {} (created), SHA-1 {}\n\
                 Press Reset on the board: it registers with DPS as it boots (listening on {port} for up to 10 s)...\n\
                 The board's own DPS registration: registered to {} as device {id}\n",
                standin.service_host(),
                sha1(&c.der()),
                crate::common::sim_board::HUB
            )),
            "{stderr}"
        );
    }

    #[test]
    fn provision_explains_a_board_that_presents_another_certificate() {
        // The board runs another build than the one given: DPS refuses what it presents.
        let (code, _, stderr, _, _) = provision(|_, _| Outcome::InvalidCertificate);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.ends_with(
                "error: the board's own DPS registration: refused: 401002 Invalid certificate; DPS holds the certificate just enrolled, so the board presents another one: is the firmware given (-p, -e or -b) the build flashed on the board?\n"
            ),
            "{stderr}"
        );
    }
}
