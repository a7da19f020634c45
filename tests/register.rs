//! `register --id-scope SCOPE` through the binary, against the device API of the stand-in
//! DPS (`tests/common/dps_standin.rs`) over real TLS: assigned for the enrolled certificate
//! (the right UDS), the 401002 advice for another one (a wrong UDS), a throttled request
//! retried, the note that a success provisions the device said before anything is sent,
//! bad input refused with status 2 before any request.
#![cfg(test)]

use crate::common;
use crate::common::dps_standin::{self, Faults, StandIn, ca_file};

const UDS: &str = "4f6d0b3c8e21a95d7c04b6e3f1a28d5960c7e4b13a8f2d6e9b05c1748a3e6f20";
const WRONG_UDS: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const NOTE: &str = "note: a successful registration really provisions the device: DPS creates (or updates) it in the IoT hub it assigns, as the board's own first boot would\n";

/// What standard error says first: where the UDS came from, then the note.
fn notes(uds: &str) -> String {
    format!(
        "note: UDS read from {} (--uds-file)\n{NOTE}",
        common::uds_file(uds).display()
    )
}

/// The alias certificate's DER the devkit-a firmware gives for `uds` and `id`.
fn alias_der(uds: &str, id: &str) -> Vec<u8> {
    let dir = common::fixtures().join("devkit-a");
    let measured = dps_cert_gen::firmware::measurement::measure_bin_map(
        &dir.join("DevKitDPS.ino.bin"),
        &dir.join("DevKitDPS.ino.map"),
        None,
    )
    .unwrap();
    let fw = dps_cert_gen::FirmwareMeasurements::of(&measured.regions);
    let uds = dps_cert_gen::Uds::from_hex(uds).unwrap();
    dps_cert_gen::generate(&uds, &fw, &dps_cert_gen::RegistrationId::new(id).unwrap())
        .unwrap()
        .der
}

/// `register` with the devkit-a firmware, `uds` and `-i id`, at the stand-in's device host.
fn register(standin: &StandIn, uds: &str, id: &str, extra: &[&str]) -> assert_cmd::assert::Assert {
    let mut cmd = common::bin();
    cmd.arg("register")
        .args(["--id-scope", dps_standin::ID_SCOPE])
        .arg("--provisioning-host")
        .arg(standin.device_host())
        .arg("--ca-file")
        .arg(ca_file())
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(common::uds_file(uds))
        .args(["-i", id])
        .args(extra)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .timeout(std::time::Duration::from_secs(60));
    cmd.assert()
}

fn output(a: &assert_cmd::assert::Assert) -> (String, String) {
    let o = a.get_output();
    (
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

#[test]
fn the_right_uds_is_assigned_a_hub() {
    let standin = StandIn::start();
    let id = "dev-cli-register-1";
    let der = alias_der(UDS, id);
    standin.enroll(id, &der);
    let a = register(&standin, UDS, id, &[]).success();
    let (out, err) = output(&a);
    assert_eq!(
        out,
        format!(
            "{id}: assigned by {} to the hub {} as device {id} (initialAssignment)\n",
            standin.device_host(),
            dps_standin::HUB
        )
    );
    assert_eq!(err, notes(UDS));
    // The board's conversation: the alias certificate alone, no token.
    let requests = standin.requests();
    let seen: Vec<(&str, u16, usize)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.status, r.client_chain_len))
        .collect();
    assert_eq!(seen, [("PUT", 202, 1), ("GET", 202, 1), ("GET", 200, 1)]);
    assert_eq!(
        requests[0].path,
        format!("/{}/registrations/{id}/register", dps_standin::ID_SCOPE)
    );
    let sha1 = dps_cert_gen::encoding::Thumbprints::of(&der).sha1;
    assert!(
        requests
            .iter()
            .all(|r| r.client_sha1.as_deref() == Some(sha1.as_str()))
    );
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
    assert!(standin.registration(id).is_some());
}

#[test]
fn a_wrong_uds_is_refused_with_the_401002_advice() {
    let standin = StandIn::start();
    let id = "dev-cli-register-2";
    standin.enroll(id, &alias_der(UDS, id));
    let a = register(&standin, WRONG_UDS, id, &[]).code(1);
    let (out, err) = output(&a);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(
            "{}error: {id}: refused by {}: 401002 Invalid certificate; DPS holds no certificate, or another one, for this registration ID: enroll this one with `dps-cert-gen enroll`, or check the enrolled one with `dps-cert-gen verify`\n",
            notes(WRONG_UDS),
            standin.device_host()
        )
    );
    assert!(standin.registration(id).is_none());
    // Not enrolled at all: the same answer.
    let a = register(&standin, UDS, "dev-cli-register-none", &[]).code(1);
    assert!(
        output(&a)
            .1
            .contains(": 401002 Invalid certificate; DPS holds no certificate")
    );
}

#[test]
fn a_throttled_registration_is_retried() {
    let standin = StandIn::start();
    let id = "dev-cli-register-3";
    standin.enroll(id, &alias_der(UDS, id));
    standin.set_polls_before_assigned(0);
    standin.set_faults(Faults {
        throttle: 2,
        throttle_seconds: 1,
        ..Faults::default()
    });
    let a = register(&standin, UDS, id, &[]).success();
    assert_eq!(
        output(&a).0,
        format!(
            "{id}: assigned by {} to the hub {} as device {id} (initialAssignment)\n",
            standin.device_host(),
            dps_standin::HUB
        )
    );
    let statuses: Vec<u16> = standin.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 202, 200]);
}

#[test]
fn a_device_endpoint_that_never_answers_times_out() {
    let standin = StandIn::start();
    standin.set_faults(Faults {
        silent: true,
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let a = register(&standin, UDS, "dev-cli-register-4", &["--timeout", "2"]).code(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(
        output(&a).1,
        format!(
            "{}error: no answer from {} within the 2 s allowed; check the network (and HTTPS_PROXY), or allow longer with --timeout\n",
            notes(UDS),
            standin.device_host()
        )
    );
}

#[test]
fn bad_input_is_refused_with_status_2_and_nothing_sent() {
    let standin = StandIn::start();
    let a = common::bin()
        .args(["register", "--id-scope", "0ne-bad!"])
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(common::uds_file(UDS))
        .args(["-i", "dev-x"])
        .assert()
        .code(2);
    let (out, err) = output(&a);
    assert_eq!(out, "");
    assert!(
        err.starts_with("error: invalid value '0ne-bad!' for '--id-scope <SCOPE>': \"0ne-bad!\" is not a DPS ID scope; it is letters and digits like 0ne00111111, shown as \"ID Scope\" on the DPS instance's overview page\n"),
        "{err}"
    );
    let a = common::bin()
        .args(["register", "--id-scope", dps_standin::ID_SCOPE])
        .args(["--provisioning-host", "https://x/y", "-i", "dev-x"])
        .args(common::devkit_a_bin_map())
        .arg("--uds-file")
        .arg(common::uds_file(UDS))
        .assert()
        .code(2);
    assert!(
        output(&a).1.starts_with("error: invalid value 'https://x/y' for '--provisioning-host <HOST[:PORT]>': \"https://x/y\" is not a host name: give HOST or HOST:PORT, such as global.azure-devices-provisioning.net (no https://, no path)\n"),
        "{}",
        output(&a).1
    );
    // No UDS, no terminal: the missing input named, nothing said about provisioning.
    let a = common::bin()
        .args([
            "register",
            "--id-scope",
            dps_standin::ID_SCOPE,
            "-i",
            "dev-x",
        ])
        .args(common::devkit_a_bin_map())
        .assert()
        .code(2);
    assert_eq!(
        output(&a).1,
        "error: missing -u/--uds (or --uds-file, or DPS_UDS); give it on the command line, or run in a terminal to be asked (see --help)\n"
    );
    assert!(standin.requests().is_empty());
}
