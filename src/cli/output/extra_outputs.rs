//! More outputs of generation, each only when asked (spec section 6): the self-signed DeviceID
//! certificate (`--device-cert`, PEM) and the alias private key (`--alias-key`, SEC1 PEM,
//! mode 0600: the board's secret), plus `--json`, the report as one JSON object.

use crate::cli::output::destination::Destination;
use crate::cli::output::file_set::PlannedFile;
use clap::Args;
use dps_cert_gen::cert::device::device_id_certificate;
use dps_cert_gen::derivation::AliasCertificate;
use dps_cert_gen::encoding::{pem_certificate, sec1_private_key_pem};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;

/// Permission bits of the alias key file.
pub(crate) const ALIAS_KEY_MODE: u32 = 0o600;
/// Permission bits of certificate files.
pub(crate) const CERT_MODE: u32 = 0o644;

/// The extra outputs on the command line.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct ExtraOutputArgs {
    /// Also write the board's self-signed DeviceID certificate (PEM).
    #[arg(long = "device-cert", value_name = "PATH")]
    pub device_cert: Option<PathBuf>,
    /// Also write the alias private key (secret: lets a PC act as the board).
    #[arg(long = "alias-key", value_name = "PATH")]
    pub alias_key: Option<PathBuf>,
    /// Print the report as one JSON object on standard output (docs/json.md).
    #[arg(long = "json", conflicts_with = "bare_base64")]
    pub json: bool,
}

/// Which extra outputs were asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ExtraOutputs {
    /// Where the DeviceID certificate goes.
    pub device_cert: Option<PathBuf>,
    /// Where the alias private key goes.
    pub alias_key: Option<PathBuf>,
    /// Whether the report is JSON on standard output.
    pub json: bool,
}

impl ExtraOutputArgs {
    /// The requested outputs.
    pub(crate) fn outputs(&self) -> ExtraOutputs {
        ExtraOutputs {
            device_cert: self.device_cert.clone(),
            alias_key: self.alias_key.clone(),
            json: self.json,
        }
    }
}

/// A request for extra outputs that cannot be met.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum ExtraOutputError {
    /// A secret or a second certificate asked for standard output.
    #[error("{flag} needs a file name, not '-': standard output is for the certificate")]
    NotStdout {
        /// The flag.
        flag: &'static str,
    },
    /// The certificate and the JSON report both asked for standard output.
    #[error(
        "--json prints JSON on standard output, so the certificate cannot go there too; write it to a file with -o PATH"
    )]
    JsonAndStdout,
    /// Two outputs name the same file.
    #[error("{} is named for two outputs; give each output its own file", path.display())]
    SamePath {
        /// The file.
        path: PathBuf,
    },
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::path::absolute(a), std::path::absolute(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

impl ExtraOutputs {
    /// Checks the request against the certificate's destination, before any work.
    pub(crate) fn check(&self, destination: &Destination) -> Result<(), ExtraOutputError> {
        if self.json && *destination == Destination::Stdout {
            return Err(ExtraOutputError::JsonAndStdout);
        }
        let mut paths: Vec<&Path> = Vec::new();
        if let Destination::File(p) = destination {
            paths.push(p);
        }
        for (flag, path) in [
            ("--device-cert", &self.device_cert),
            ("--alias-key", &self.alias_key),
        ] {
            let Some(path) = path else { continue };
            if path.as_os_str() == "-" {
                return Err(ExtraOutputError::NotStdout { flag });
            }
            if paths.iter().any(|p| same_file(p, path)) {
                return Err(ExtraOutputError::SamePath { path: path.clone() });
            }
            paths.push(path);
        }
        Ok(())
    }

    /// Whether files besides the certificate are asked for.
    pub(crate) fn writes_files(&self) -> bool {
        self.device_cert.is_some() || self.alias_key.is_some()
    }

    /// The files to write besides the certificate.
    pub(crate) fn files(
        &self,
        certificate: &AliasCertificate,
    ) -> Result<Vec<PlannedFile>, dps_cert_gen::cert::alias::CertBuildError> {
        let mut files = Vec::new();
        if let Some(path) = &self.device_cert {
            let der = device_id_certificate(&certificate.keys.device_id)?;
            files.push(PlannedFile {
                path: path.clone(),
                bytes: Zeroizing::new(pem_certificate(&der).into_bytes()),
                mode: CERT_MODE,
            });
        }
        if let Some(path) = &self.alias_key {
            let pem = sec1_private_key_pem(certificate.keys.alias.secret()).ok_or_else(|| {
                dps_cert_gen::cert::alias::CertBuildError(
                    "could not encode the alias private key".to_string(),
                )
            })?;
            files.push(PlannedFile {
                path: path.clone(),
                bytes: Zeroizing::new(pem.as_bytes().to_vec()),
                mode: ALIAS_KEY_MODE,
            });
        }
        Ok(files)
    }

    /// Warnings that go with the outputs (never the secret itself).
    pub(crate) fn warnings(&self) -> Vec<String> {
        self.alias_key
            .iter()
            .map(|path| {
                format!(
                    "{} holds the alias private key, the board's secret: with it anyone can act as this board towards DPS; keep it private and delete it when you are done",
                    path.display()
                )
            })
            .collect()
    }
}
