//! `inspect` through the binary: every vector in every encoding, the DeviceID certificate,
//! ordinary certificates, and input that is not a certificate.
#![cfg(test)]

use crate::common;

use common::{Case, bin, cases, fixtures};
use serde_json::Value;
use std::path::Path;

const EXPOSURE: &str = "\
This certificate exposes its DeviceID private key. It was signed with
the fixed nonce of the DevKit and of RIoT's reference code (r = 515C3D6E...035F),
so anyone who holds it can compute the DeviceID private key:
d = (s*k - z) / r mod n (checked: that key matches the DeviceID key above).
  - Individual enrollment is still sound: DPS checks the alias key, and the alias
    private key is not exposed (it signs nothing that leaves the board).
  - Do not trust the DeviceID key as a long-term identity: anyone can sign as it,
    so it must not anchor a group enrollment or a CA chain.
";

fn b64(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}

fn pem_lines(der: &[u8], width: usize, eol: &str) -> Vec<u8> {
    let body = b64(der);
    let mut text = format!("-----BEGIN CERTIFICATE-----{eol}");
    for chunk in body.as_bytes().chunks(width) {
        text.push_str(std::str::from_utf8(chunk).unwrap());
        text.push_str(eol);
    }
    text.push_str(&format!("-----END CERTIFICATE-----{eol}"));
    text.into_bytes()
}

/// Every encoding a user may hold: (name, bytes, what inspect calls it).
fn encodings(der: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        ("pem-64", pem_lines(der, 64, "\n"), "PEM"),
        ("pem-64-crlf", pem_lines(der, 64, "\r\n"), "PEM"),
        ("pem-one-line", pem_lines(der, usize::MAX, "\n"), "PEM"),
        (
            "pem-one-line-crlf",
            pem_lines(der, usize::MAX, "\r\n"),
            "PEM",
        ),
        ("base64", b64(der).into_bytes(), "bare base64"),
        (
            "base64-newline",
            format!("{}\r\n", b64(der)).into_bytes(),
            "bare base64",
        ),
        (
            "base64-76-columns",
            b64(der)
                .as_bytes()
                .chunks(76)
                .flat_map(|c| [c, b"\n"].concat())
                .collect(),
            "bare base64",
        ),
        ("der", der.to_vec(), "DER"),
        ("der-with-trailing-newline", [der, b"\n"].concat(), "DER"),
    ]
}

fn expected_alias_text(case: &Case, source: &str, encoding: &str) -> String {
    let id = &case.expected_id;
    let mut text = format!(
        "{source} ({encoding}): DevKit RIoT alias certificate
  registration ID:     {id} (subject CN)
  subject:             CN={id}, C=US, O=DEVKIT_TEST
  issuer:              CN=devkitdice, C=US, O=DEVKIT_TEST
  serial:              0A0B0C0D0E
  validity:            2017-01-01T00:00:00Z to 2037-01-01T00:00:00Z
  alias public key:    EC P-256 {}
  DeviceID public key: EC P-256 {}
  FWID:                {} (SHA-256 of riot_fw)
  SHA-1 thumbprint:    {}
  SHA-256 thumbprint:  {}
  signature:           ecdsa-with-SHA256, verifies under the DeviceID key it carries

{EXPOSURE}",
        case.field("alias_public"),
        case.field("device_id_public"),
        case.field("fwid"),
        case.field("alias_cert_sha1"),
        case.field("alias_cert_sha256"),
    );
    if id.len() > 64 {
        text.push_str(&format!(
            "\nwarning: the registration ID is {} characters long: the board accepts up to 126, but DPS documents 64 as the limit for X.509 registration IDs, so the enrollment may be refused\n",
            id.len()
        ));
    }
    text
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn every_vector_in_every_encoding() {
    let dir = tempfile::tempdir().unwrap();
    for case in cases() {
        for (name, bytes, encoding) in encodings(&case.der()) {
            let path = dir.path().join(format!("{}-{name}", case.name));
            std::fs::write(&path, &bytes).unwrap();
            let output = bin().arg("inspect").arg(&path).output().unwrap();
            assert_eq!(output.status.code(), Some(0), "{} {name}", case.name);
            assert_eq!(
                stdout_of(&output),
                expected_alias_text(&case, &path.display().to_string(), encoding),
                "{} {name}",
                case.name
            );
            assert!(output.stderr.is_empty(), "{} {name}", case.name);
        }
    }
}

#[test]
fn standard_input_with_dash_or_without_a_file() {
    for case in cases() {
        for (name, bytes, encoding) in encodings(&case.der()) {
            for args in [vec!["inspect", "-"], vec!["inspect"]] {
                let output = bin()
                    .args(&args)
                    .write_stdin(bytes.clone())
                    .output()
                    .unwrap();
                assert_eq!(output.status.code(), Some(0), "{} {name}", case.name);
                assert_eq!(
                    stdout_of(&output),
                    expected_alias_text(&case, "standard input", encoding),
                    "{} {name}",
                    case.name
                );
            }
        }
    }
}

fn inspect_json(bytes: &[u8]) -> Value {
    let output = bin()
        .args(["inspect", "--json", "-"])
        .write_stdin(bytes.to_vec())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn json_of_every_vector() {
    for case in cases() {
        let json = inspect_json(&pem_lines(&case.der(), 64, "\n"));
        let id = case.expected_id.as_str();
        let warnings: Vec<Value> = if id.len() > 64 {
            vec![Value::from(format!(
                "the registration ID is {} characters long: the board accepts up to 126, but DPS documents 64 as the limit for X.509 registration IDs, so the enrollment may be refused",
                id.len()
            ))]
        } else {
            vec![]
        };
        let expected = serde_json::json!({
            "source": "standard input",
            "encoding": "pem",
            "kind": "devkit-alias",
            "registration_id": id,
            "subject": format!("CN={id}, C=US, O=DEVKIT_TEST"),
            "issuer": "CN=devkitdice, C=US, O=DEVKIT_TEST",
            "serial": "0A0B0C0D0E",
            "not_before": "2017-01-01T00:00:00Z",
            "not_after": "2037-01-01T00:00:00Z",
            "public_key": {"algorithm": "EC P-256", "point": case.field("alias_public")},
            "device_id_public_key": case.field("device_id_public"),
            "fwid": case.field("fwid"),
            "thumbprints": {
                "sha1": case.field("alias_cert_sha1"),
                "sha256": case.field("alias_cert_sha256"),
            },
            "signature": {
                "algorithm": "ecdsa-with-SHA256",
                "checked_with": "device-id",
                "verifies": true,
                "fixed_nonce": true,
            },
            "device_id_private_key_exposed": true,
            "warnings": warnings,
        });
        assert_eq!(json, expected, "{}", case.name);
    }
}

#[test]
fn the_device_id_certificate_is_recognised() {
    for case in cases() {
        let der = common::base64_decode(case.field("device_id_cert_der_base64"));
        let json = inspect_json(&der);
        assert_eq!(json["kind"], "devkit-device-id", "{}", case.name);
        assert_eq!(json["registration_id"], Value::Null);
        assert_eq!(json["serial"], "0E0D0C0B0A");
        assert_eq!(json["subject"], "CN=devkitdice, C=US, O=DEVKIT_TEST");
        assert_eq!(json["public_key"]["point"], case.field("device_id_public"));
        assert_eq!(json["device_id_public_key"], case.field("device_id_public"));
        assert_eq!(json["fwid"], Value::Null);
        assert_eq!(json["signature"]["checked_with"], "own");
        assert_eq!(json["signature"]["verifies"], true);
        assert_eq!(json["device_id_private_key_exposed"], true);
    }
}

#[test]
fn a_tampered_signature_does_not_verify_and_exposes_nothing() {
    let case = Case::named("shared-0");
    let mut der = case.der();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let json = inspect_json(&der);
    assert_eq!(json["kind"], "devkit-alias");
    assert_eq!(json["signature"]["verifies"], false);
    assert_eq!(json["signature"]["fixed_nonce"], true);
    assert_eq!(json["device_id_private_key_exposed"], false);
    let output = bin().arg("inspect").write_stdin(der).output().unwrap();
    assert!(stdout_of(&output).contains(
        "  signature:           ecdsa-with-SHA256, does NOT verify under the DeviceID key it carries: the certificate was altered, or no DevKit made it\n"
    ));
}

#[test]
fn an_ordinary_tls_certificate_gets_the_general_fields() {
    let path = fixtures().join("tls/rsa-www.example.com.pem");
    let output = bin().arg("inspect").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout_of(&output),
        format!(
            "{} (PEM): not a DevKit RIoT alias certificate
  subject:             C=US, O=Example Org, CN=www.example.com
  issuer:              C=US, O=Example Org, CN=www.example.com
  serial:              2A053FBFEF700B31058C4D765DB326D9ADBC9990
  validity:            2026-11-26T07:22:17Z to 2036-11-23T07:22:17Z
  public key:          RSA 2048 bits
  SHA-1 thumbprint:    0D6073FC1B39842F4F1259012D53CC7B8019416C
  SHA-256 thumbprint:  038EBEBAB62F2DD212A31729A68417E07C2C5BB94A00711F19E6D53DCCD97AB6
  signature:           sha256WithRSAEncryption, not checked (only ECDSA P-256 signatures are checked)
",
            path.display()
        )
    );
}

#[test]
fn an_ordinary_self_signed_p256_certificate_is_checked_with_its_own_key() {
    let bytes = std::fs::read(fixtures().join("tls/ec-p256-self-signed.pem")).unwrap();
    let json = inspect_json(&bytes);
    assert_eq!(json["kind"], "other");
    assert_eq!(json["registration_id"], Value::Null);
    assert_eq!(json["subject"], "CN=ec.example.net");
    assert_eq!(json["serial"], "2289BFA074CB2FFC0237C3D5913F868B2BDBA8AE");
    assert_eq!(
        json["thumbprints"]["sha1"],
        "2B90D11996AE6EAFE78C4035FF045635F53C6E23"
    );
    assert_eq!(json["public_key"]["algorithm"], "EC P-256");
    assert_eq!(json["signature"]["checked_with"], "own");
    assert_eq!(json["signature"]["verifies"], true);
    assert_eq!(json["signature"]["fixed_nonce"], false);
    assert_eq!(json["device_id_private_key_exposed"], false);
}

#[test]
fn more_certificates_after_the_first_are_named_in_a_warning() {
    let case = Case::named("shared-0");
    let mut bytes = pem_lines(&case.der(), 64, "\n");
    bytes.extend(std::fs::read(fixtures().join("tls/rsa-www.example.com.pem")).unwrap());
    let json = inspect_json(&bytes);
    assert_eq!(json["registration_id"], case.expected_id.as_str());
    assert_eq!(
        json["warnings"][0],
        "standard input holds 1 more certificate(s) after the first; only the first is shown"
    );
}

fn inspect_error(bytes: &[u8], name: &str, dir: &Path) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let output = bin().arg("inspect").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{name}");
    assert!(output.stdout.is_empty(), "{name}");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn garbage_gets_a_clear_error_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // The folder with the platform's separator after it, as the message shows the path.
    let d = format!("{}{}", dir.path().display(), std::path::MAIN_SEPARATOR);
    assert_eq!(
        inspect_error(b"\x00\x01\xfe\xff garbage", "garbage.bin", dir.path()),
        format!(
            "error: {d}garbage.bin is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER\n"
        )
    );
    assert_eq!(
        inspect_error(b"hello, world\n", "hello.txt", dir.path()),
        format!(
            "error: {d}hello.txt is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER\n"
        )
    );
    // `echo hello`: five letters of base64 that do not decode, and no certificate's "MI" start:
    // not a certificate at all, not one "cut short".
    assert_eq!(
        inspect_error(b"hello\n", "echo.txt", dir.path()),
        format!(
            "error: {d}echo.txt is not a certificate: expected PEM (-----BEGIN CERTIFICATE-----), bare base64, or DER\n"
        )
    );
    assert_eq!(
        inspect_error(b" \n\r\n", "empty.pem", dir.path()),
        format!("error: {d}empty.pem is empty; give a certificate as PEM, bare base64 or DER\n")
    );
    assert_eq!(
        inspect_error(b"aGVsbG8sIHdvcmxk\n", "hello.b64", dir.path()),
        format!(
            "error: {d}hello.b64 is not an X.509 certificate: the bare base64 decodes to bytes that do not have a certificate's structure; give the certificate itself (PEM, bare base64 or DER)\n"
        )
    );
    let case = Case::named("shared-0");
    let pem = pem_lines(&case.der(), 64, "\n");
    assert_eq!(
        inspect_error(&pem[..pem.len() / 2], "cut.pem", dir.path()),
        format!(
            "error: {d}cut.pem has -----BEGIN CERTIFICATE----- but no -----END CERTIFICATE----- after it; the copy looks cut short, copy the whole certificate again\n"
        )
    );
    assert_eq!(
        inspect_error(
            b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n",
            "key.pem",
            dir.path()
        ),
        format!(
            "error: {d}key.pem holds a PEM EC PRIVATE KEY, not a certificate; give the file with -----BEGIN CERTIFICATE-----\n"
        )
    );
    // No decoder internals (`Invalid symbol 92, offset 0.`, `incorrect length for PRIVATE
    // [23] (primitive) at DER byte 2`): what the input is not, in words.
    assert_eq!(
        inspect_error(
            b"-----BEGIN CERTIFICATE-----\n\\\\\n-----END CERTIFICATE-----\n",
            "slash.pem",
            dir.path()
        ),
        format!(
            "error: {d}slash.pem is not a certificate: the PEM body is not valid base64 (it holds '\\' at character 1, and base64 is only A-Z, a-z, 0-9, '+', '/' and '='); give a certificate as PEM, bare base64 or DER\n"
        )
    );
    assert_eq!(
        inspect_error(
            b"-----BEGIN CERTIFICATE-----\nMIIB\nM\n-----END CERTIFICATE-----\n",
            "short.pem",
            dir.path()
        ),
        format!(
            "error: {d}short.pem is not a certificate: the PEM body is not valid base64 (it ends in the middle of a character group: it looks cut short); give a certificate as PEM, bare base64 or DER\n"
        )
    );
    assert_eq!(
        inspect_error(b"\x30\x03\xd7\x01\x00", "private-tag.der", dir.path()),
        format!(
            "error: {d}private-tag.der is not an X.509 certificate: the DER decodes to bytes that do not have a certificate's structure; give the certificate itself (PEM, bare base64 or DER)\n"
        )
    );
    let der = case.der();
    assert_eq!(
        inspect_error(&der[..der.len() - 10], "cut.der", dir.path()),
        format!(
            "error: {d}cut.der looks like a DER certificate but is cut short ({} of {} bytes); copy the whole file again\n",
            der.len() - 10,
            der.len()
        )
    );
}

#[test]
fn a_missing_file_is_an_input_error() {
    let output = bin()
        .args(["inspect", "/nonexistent/cert.pem"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "error: cannot read /nonexistent/cert.pem: no such file; check the path\n"
    );
}

#[test]
fn terminal_escapes_in_the_subject_cn_are_not_passed_to_the_terminal() {
    // The vector's alias certificate, its CN replaced (same length) by an escape sequence
    // that would set the window title and clear the screen, and a right-to-left override.
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/certificate/alias-escape-cn.der");
    let output = bin().arg("inspect").arg(&path).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = stdout_of(&output);
    assert!(
        text.contains("\n  registration ID:     ?]0;pwned??[2J?abxx (subject CN)\n"),
        "{text}"
    );
    assert!(
        !text
            .chars()
            .any(|c| c != '\n' && dps_cert_gen::text::printable::is_unsafe_char(c)),
        "{text:?}"
    );
    // The JSON keeps the CN as it is, escaped by JSON itself.
    let json = inspect_json(&std::fs::read(&path).unwrap());
    assert_eq!(
        json["registration_id"],
        "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}abxx"
    );
}
