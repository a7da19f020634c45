//! `enroll` (and the DPS client under it) through the binary, against the stand-in DPS of
//! `tests/common/dps_standin.rs` over real TLS: created, already enrolled, another
//! certificate (and `--force`), retries, refusals worded, a server that never answers, the
//! connection string in no output, malformed connection strings.
#![cfg(test)]

mod common;
#[path = "common/dps_standin.rs"]
mod dps_standin;

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
    let cs = dir.join("cs.txt");
    std::fs::write(&cs, standin.connection_string()).unwrap();
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
