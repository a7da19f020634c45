//! Which server certificates are trusted: the system's (through rustls-platform-verifier,
//! which asks the operating system: a company's TLS-inspecting proxy CA installed on Windows
//! works), and with `--ca-file` the CA certificates of that file besides the system's roots
//! (read with rustls-native-certs).

use crate::cli::dps::error::DpsError;
use std::path::Path;
use ureq::tls::{Certificate, PemItem, RootCerts};

/// Largest CA file read.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// The roots for the client: the platform's verifier, or the system's roots and those of
/// `ca_file`.
pub(crate) fn roots(ca_file: Option<&Path>) -> Result<RootCerts, DpsError> {
    let Some(path) = ca_file else {
        return Ok(RootCerts::PlatformVerifier);
    };
    let mut certs = read_ca_file(path)?;
    // The system's roots, as far as they can be read: with --ca-file the file's are enough
    // for the hosts it was given for.
    let system = rustls_native_certs::load_native_certs();
    certs.extend(
        system
            .certs
            .into_iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned()),
    );
    Ok(RootCerts::new_with_certs(&certs))
}

fn read_ca_file(path: &Path) -> Result<Vec<Certificate<'static>>, DpsError> {
    let fail = |reason: String| DpsError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_CA_FILE_BYTES), &mut bytes)
        })
        .map_err(|e| {
            fail(match e.kind() {
                std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => crate::cli::sys::io_words::read(&e),
            })
        })?;
    let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(&bytes)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err(fail(
            "it holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_string(),
        ));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "nothing here\n").unwrap();
        let e = roots(Some(&empty)).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "cannot use the CA file {}: it holds no PEM certificate (-----BEGIN CERTIFICATE-----); give a PEM file of CA certificates to --ca-file",
                empty.display()
            )
        );
        let missing = dir.path().join("missing.pem");
        assert!(
            roots(Some(&missing))
                .unwrap_err()
                .to_string()
                .contains("no such file")
        );
    }
}
