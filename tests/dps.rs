//! `enroll` (and the DPS client under it) through the binary, against the stand-in DPS of
//! `tests/common/dps_standin.rs` over real TLS: created, already enrolled, another
//! certificate (and `--force`), retries, refusals worded, a server that never answers, the
//! connection string in no output, malformed connection strings.
#![cfg(test)]

use crate::common;
use crate::common::dps_standin;

use dps_standin::{Faults, StandIn, ca_file};
use std::path::{Path, PathBuf};

/// A DevKit alias certificate of the vectors, written to `dir`; its ID and SHA-1.
fn certificate(dir: &Path, case: &str) -> (PathBuf, String, String, Vec<u8>) {
    let c = common::case(case);
    let der = c.der();
    let id = c.expected_id.clone();
    let path = dir.join(format!("{id}.pem"));
    std::fs::write(&path, dps_cert_gen::encoding::pem_certificate(&der)).unwrap();
    let sha1 = dps_cert_gen::encoding::Thumbprints::of(&der).sha1;
    (path, id, sha1, der)
}

/// `enroll` with the stand-in's connection string in a file and its CA.
fn enroll(standin: &StandIn, dir: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    // Readable by the owner only (a temporary file's mode), as a secret's file should be.
    let file = tempfile::NamedTempFile::new_in(dir).unwrap();
    std::fs::write(file.path(), standin.connection_string()).unwrap();
    let (_, cs) = file.keep().unwrap();
    let mut cmd = common::bin();
    cmd.arg("enroll")
        .args(args)
        .arg("--dps-connection-string-file")
        .arg(&cs)
        .arg("--ca-file")
        .arg(ca_file())
        .env_remove("DPS_CONNECTION_STRING")
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

fn first_case() -> String {
    common::cases().first().unwrap().name.clone()
}

#[test]
fn created_then_already_enrolled() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let (path, id, sha1, der) = certificate(dir.path(), &first_case());
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap()]).success();
    let (out, _) = output(&a);
    assert_eq!(
        out,
        format!(
            "{id}: enrolled in {} (created), SHA-1 {sha1}\n",
            standin.service_host()
        )
    );
    assert_eq!(standin.enrollment(&id).unwrap().der, der);
    // What was sent: the body, the PEM, the headers.
    let requests = standin.requests();
    let put = &requests[0];
    assert_eq!((put.method.as_str(), put.status), ("PUT", 200));
    assert_eq!(put.path, format!("/enrollments/{id}"));
    assert_eq!(put.header("if-match"), None);
    assert_eq!(
        put.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let body: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    let pem = dps_cert_gen::encoding::pem_certificate(&der);
    assert_eq!(
        body,
        serde_json::json!({
            "registrationId": id,
            "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"certificate": pem.trim_end()}}}},
            "provisioningStatus": "enabled"
        })
    );
    // Again: 409, GET, the same thumbprint: success, nothing replaced.
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap(), "--json"]).success();
    let (out, _) = output(&a);
    let json: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "registration_id": id, "outcome": "already_enrolled", "sha1_thumbprint": sha1,
            "sha256_thumbprint": dps_cert_gen::encoding::Thumbprints::of(&der).sha256,
            "file": path.display().to_string()
        })
    );
    let methods: Vec<(String, u16)> = standin
        .requests()
        .iter()
        .skip(1)
        .map(|r| (r.method.clone(), r.status))
        .collect();
    assert_eq!(
        methods,
        [("PUT".to_string(), 409), ("GET".to_string(), 200)]
    );
}

#[test]
fn another_certificate_is_named_and_replaced_only_with_force() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let cases = common::cases();
    let (path, id, sha1, der) = certificate(dir.path(), &cases[0].name);
    // The ID enrolled earlier with another certificate (another case's, under this ID).
    let other = cases[1].der();
    let other_sha1 = dps_cert_gen::encoding::Thumbprints::of(&other).sha1;
    standin.enroll(&id, &other);
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap()]).code(1);
    let (out, err) = output(&a);
    assert_eq!(
        out,
        format!(
            "{id}: enrolled in {} with another certificate (SHA-1 {other_sha1}), not this one (SHA-1 {sha1}); left as it is: check which one the board presents with `dps-cert-gen verify`, or replace it with --force\n",
            standin.service_host()
        )
    );
    assert_eq!(
        err,
        "error: 1 of 1 certificates are not enrolled (see above)\n"
    );
    assert_eq!(standin.enrollment(&id).unwrap().der, other);
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap(), "--json"]).code(1);
    let json: serde_json::Value = serde_json::from_str(output(&a).0.trim()).unwrap();
    assert_eq!(json["outcome"], "enrolled_with_other_certificate");
    assert_eq!(json["sha1_thumbprint"], sha1.as_str());
    assert_eq!(json["enrolled_sha1_thumbprint"], other_sha1.as_str());

    let before = standin.requests().len();
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap(), "--force"]).success();
    assert_eq!(
        output(&a).0,
        format!(
            "{id}: enrolled in {}, replacing another certificate (SHA-1 {other_sha1}) with this one, SHA-1 {sha1}\n",
            standin.service_host()
        )
    );
    let requests = standin.requests();
    let sent: Vec<(String, Option<String>, u16)> = requests[before..]
        .iter()
        .map(|r| {
            (
                r.method.clone(),
                r.header("if-match").map(str::to_string),
                r.status,
            )
        })
        .collect();
    assert_eq!(
        sent,
        [
            ("PUT".to_string(), None, 409),
            ("GET".to_string(), None, 200),
            ("PUT".to_string(), Some("*".to_string()), 200)
        ]
    );
    assert_eq!(standin.enrollment(&id).unwrap().der, der);
}

#[test]
fn throttled_and_failing_requests_are_retried() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let (path, id, _, _) = certificate(dir.path(), &first_case());
    standin.set_faults(Faults {
        server_error: 1,
        throttle: 2,
        throttle_seconds: 1,
        ..Faults::default()
    });
    enroll(&standin, dir.path(), &[path.to_str().unwrap()]).success();
    let statuses: Vec<u16> = standin.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 429, 200]);
    assert!(standin.enrollment(&id).is_some());
}

#[test]
fn a_certificate_refused_is_worded_with_the_services_message() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let (path, id, sha1, _) = certificate(dir.path(), &first_case());
    standin.set_faults(Faults {
        bad_certificate: 2,
        ..Faults::default()
    });
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap()]).code(1);
    assert_eq!(
        output(&a).0,
        format!(
            "{id}: not enrolled: DPS at {} refused it: 400004 The certificate is not a valid base64 string value; DPS could not read the certificate sent: check the file with `dps-cert-gen inspect`\n",
            standin.service_host()
        )
    );
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap(), "--json"]).code(1);
    let json: serde_json::Value = serde_json::from_str(output(&a).0.trim()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "registration_id": id, "outcome": "failed", "sha1_thumbprint": sha1,
            "sha256_thumbprint": json["sha256_thumbprint"], "file": path.display().to_string(),
            "errorCode": 400004, "message": "The certificate is not a valid base64 string value",
            "http_status": 400
        })
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let standin = StandIn::start();
    standin.set_faults(Faults {
        silent: true,
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _, _) = certificate(dir.path(), &first_case());
    let started = std::time::Instant::now();
    let a = enroll(
        &standin,
        dir.path(),
        &[path.to_str().unwrap(), "--timeout", "2"],
    )
    .code(1);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(
        output(&a).1,
        format!(
            "error: no answer from {} within the 2 s allowed; check the network (and HTTPS_PROXY), or allow longer with --timeout\n",
            standin.service_host()
        )
    );
}

#[test]
fn a_wrong_key_is_explained_and_the_connection_string_never_shown() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _, _) = certificate(dir.path(), &first_case());
    let wrong_key = "d3JvbmcgYnV0IHdlbGwgZm9ybWVkIGtleSBvZiAzMiBieXQ=";
    let cs = format!(
        "HostName={};SharedAccessKeyName=provisioningserviceowner;SharedAccessKey={wrong_key}",
        standin.service_host()
    );
    let a = common::bin()
        .args(["enroll", path.to_str().unwrap(), "--ca-file"])
        .arg(ca_file())
        .env("DPS_CONNECTION_STRING", &cs)
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1);
    let (out, err) = output(&a);
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(
            "note: DPS connection string taken from the DPS_CONNECTION_STRING environment variable ({host})\nerror: DPS at {host} refused the connection string (401 401002): its key is wrong or out of date, or its policy (provisioningserviceowner) lacks the EnrollmentWrite permission; copy the Primary connection string of a policy with EnrollmentWrite (provisioningserviceowner has it)\n",
            host = standin.service_host()
        )
    );
    assert!(!err.contains(wrong_key) && !err.contains("SharedAccessKey="));
    // The good key through standard input: no output holds it or the token.
    let good = standin.connection_string();
    let a = common::bin()
        .args([
            "enroll",
            path.to_str().unwrap(),
            "--dps-connection-string-file",
            "-",
            "--ca-file",
        ])
        .arg(ca_file())
        .write_stdin(good.clone())
        .env_remove("DPS_CONNECTION_STRING")
        .env_remove("HTTPS_PROXY")
        .env_remove("ALL_PROXY")
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let (out, err) = output(&a);
    let key = dps_standin::PRIMARY_KEY;
    for text in [&out, &err] {
        assert!(
            !text.contains(key) && !text.contains(&key[..12]) && !text.contains("sig="),
            "{text}"
        );
    }
}

#[test]
fn malformed_connection_strings_name_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _, _) = certificate(dir.path(), &first_case());
    let key = "c2VjcmV0LWtleS1ub3Qtc2hvd24=";
    for (cs, expected) in [
        (
            format!("SharedAccessKeyName=p;SharedAccessKey={key}"),
            "the DPS connection string has no HostName;",
        ),
        (
            format!("HostName=h.azure-devices-provisioning.net;SharedAccessKey={key}"),
            "the DPS connection string has no SharedAccessKeyName;",
        ),
        (
            "HostName=h.azure-devices-provisioning.net;SharedAccessKeyName=p".to_string(),
            "the DPS connection string has no SharedAccessKey;",
        ),
        (
            format!("HostName=h;SharedAccessKeyName=p;SharedAccessKey={key}!"),
            "the SharedAccessKey of the DPS connection string is not base64;",
        ),
    ] {
        let a = common::bin()
            .args(["enroll", path.to_str().unwrap()])
            .env("DPS_CONNECTION_STRING", &cs)
            .assert()
            .code(2);
        let (out, err) = output(&a);
        assert_eq!(out, "");
        assert!(
            err.starts_with(&format!(
                "error: the DPS_CONNECTION_STRING environment variable: {expected}"
            )),
            "{err}"
        );
        assert!(!err.contains(key) && !err.contains(&key[..8]), "{err}");
    }
    // No source, no terminal.
    let a = common::bin()
        .args(["enroll", path.to_str().unwrap()])
        .env_remove("DPS_CONNECTION_STRING")
        .assert()
        .code(2);
    assert!(output(&a).1.starts_with(
        "error: missing the DPS service connection string: give --dps-connection-string-file PATH"
    ));
}

#[test]
fn network_failures_name_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _, _, _) = certificate(dir.path(), &first_case());
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let run = |host: &str| {
        let cs = format!(
            "HostName={host};SharedAccessKeyName=p;SharedAccessKey={}",
            dps_standin::PRIMARY_KEY
        );
        let a = common::bin()
            .args([
                "enroll",
                path.to_str().unwrap(),
                "--timeout",
                "10",
                "--ca-file",
            ])
            .arg(ca_file())
            .env("DPS_CONNECTION_STRING", cs)
            .env_remove("HTTPS_PROXY")
            .env_remove("ALL_PROXY")
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(1);
        output(&a).1.lines().last().unwrap_or_default().to_string()
    };
    assert_eq!(
        run(&format!("127.0.0.1:{port}")),
        format!(
            "error: 127.0.0.1:{port} refused the connection: nothing answers on that port; check the HostName in the DPS connection string, and the network"
        )
    );
    assert_eq!(
        run("no-such-host.invalid"),
        "error: cannot find the host no-such-host.invalid: check the HostName in the DPS connection string, and the network"
    );
}

#[test]
fn certificates_are_checked_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let (good, _, _, _) = certificate(dir.path(), &first_case());
    // A port nothing listens on: a request would fail with exit status 1, not 2.
    let cs = "HostName=127.0.0.1:1;SharedAccessKeyName=p;SharedAccessKey=AAAA";
    let refuse = |file: &Path| {
        let a = common::bin()
            .arg("enroll")
            .arg(&good)
            .arg(file)
            .env("DPS_CONNECTION_STRING", cs)
            .assert()
            .code(2);
        let (out, err) = output(&a);
        assert_eq!(out, "");
        err
    };
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "hello, world").unwrap();
    assert_eq!(
        refuse(&notes),
        format!(
            "error: {} is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER\n",
            notes.display()
        )
    );
    let device_id = common::fixtures().join("external-certs/riot-emulator-DeviceIDCrt-2018.pem");
    assert!(refuse(&device_id).starts_with(&format!("error: {} is a RIoT", device_id.display())));
    // A CN longer than DPS takes (the board would take it; the generator warns).
    let case = common::case(&first_case());
    let long = "a".repeat(70);
    let long_pem = dir.path().join("long.pem");
    let mut args = case.input_args();
    let i = args.iter().position(|a| a == "-i" || a == "--mac").unwrap();
    args.truncate(i);
    common::bin()
        .args(&args)
        .args(["-i", &long, "-o"])
        .arg(&long_pem)
        .assert()
        .success();
    assert_eq!(
        refuse(&long_pem),
        format!(
            "error: {}: its subject CN is 70 characters long, and DPS takes at most 64 for an X.509 registration ID; DPS would refuse it\n",
            long_pem.display()
        )
    );
}

#[test]
fn two_certificates_for_one_id_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cases = common::cases();
    let (a_path, id, _, _) = certificate(dir.path(), &cases[0].name);
    // Another certificate with the same CN: another case's firmware, the same ID.
    let other = dir.path().join("other.pem");
    let case = &cases[1];
    let mut args = case.input_args();
    let i = args.iter().position(|a| a == "-i" || a == "--mac").unwrap();
    args.truncate(i);
    common::bin()
        .args(&args)
        .args(["-i", &id, "-o"])
        .arg(&other)
        .assert()
        .success();
    let a = common::bin()
        .arg("enroll")
        .arg(&a_path)
        .arg(&other)
        .arg(&a_path)
        .env(
            "DPS_CONNECTION_STRING",
            "HostName=127.0.0.1:1;SharedAccessKeyName=p;SharedAccessKey=AAAA",
        )
        .assert()
        .code(2);
    assert_eq!(
        output(&a).1,
        format!(
            "error: {} and {} hold different certificates for the same registration ID {id}; DPS keeps one per ID: enroll one of them\n",
            a_path.display(),
            other.display()
        )
    );
}

#[test]
fn the_api_version_refused_is_reported() {
    let standin = StandIn::start();
    standin.set_api_versions(&["2026-04-01"]);
    let dir = tempfile::tempdir().unwrap();
    let (path, id, _, _) = certificate(dir.path(), &first_case());
    let a = enroll(&standin, dir.path(), &[path.to_str().unwrap()]).code(1);
    assert_eq!(
        output(&a).0,
        format!(
            "{id}: not enrolled: DPS at {host} refused it: HTTP 400 Unknown api version; uri: /enrollments/{id}?api-version=2021-10-01\n",
            host = standin.service_host()
        )
    );
}

/// On a terminal with no other source, the connection string is asked for, hidden; a bad
/// one is explained and asked again, with no piece of it shown.
#[cfg(unix)]
#[test]
fn the_connection_string_is_asked_for_hidden_on_a_terminal() {
    let standin = StandIn::start();
    let dir = tempfile::tempdir().unwrap();
    let (path, id, _, _) = certificate(dir.path(), &first_case());
    let ca = ca_file();
    let mut pty = common::pty::Pty::spawn(
        &[
            "enroll",
            path.to_str().unwrap(),
            "--ca-file",
            ca.to_str().unwrap(),
        ],
        dir.path(),
        &[("NO_COLOR", "1"), ("NO_PROXY", "127.0.0.1")],
    );
    pty.expect("DPS service connection string");
    pty.send_line("HostName=x;SharedAccessKey=c2VjcmV0LXBpZWNl");
    pty.expect("try again: the DPS connection string has no SharedAccessKeyName;");
    pty.expect("DPS service connection string");
    pty.send_line(&standin.connection_string());
    pty.expect(&format!(
        "Connection string accepted ({})",
        standin.service_host()
    ));
    let (status, shown) = pty.finish();
    assert_eq!(status, 0, "{shown}");
    assert!(shown.contains(&format!("{id}: enrolled in")), "{shown}");
    for piece in [
        dps_standin::PRIMARY_KEY,
        &dps_standin::PRIMARY_KEY[8..24],
        "c2VjcmV0",
    ] {
        assert!(!shown.contains(piece), "shown: {piece}\n{shown}");
    }
}

#[test]
fn standard_input_gives_one_thing() {
    let a = common::bin()
        .args(["enroll", "-", "--dps-connection-string-file", "-"])
        .write_stdin("")
        .assert()
        .code(2);
    assert_eq!(
        output(&a).1,
        "error: standard input ('-') can give one certificate or the connection string, not two of them; name a file for the others\n"
    );
}
