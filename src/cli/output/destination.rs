//! Where the certificate goes: the `-o`, `--format`, `--force` and `--bare-base64`
//! arguments (shared by the generator and `board provision`), and the [`Destination`] they
//! name.

use clap::{Args, ValueEnum};
use dps_cert_gen::encoding::CertFormat;
use dps_cert_gen::registration_id::RegistrationId;
use std::path::PathBuf;

/// File format of the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum FormatArg {
    // PEM (RFC 7468: 64-column base64, LF line ends).
    #[default]
    Pem,
    // Raw DER bytes.
    Der,
}

impl From<FormatArg> for CertFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Pem => CertFormat::Pem,
            FormatArg::Der => CertFormat::Der,
        }
    }
}

/// Where and how the certificate is written.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct OutputArgs {
    /// Output file ('-': standard output) [default: ./<registration-id>.pem or .cer].
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Certificate file format.
    #[arg(long = "format", value_enum, default_value_t = FormatArg::Pem)]
    pub format: FormatArg,
    /// Overwrite an existing output file.
    #[arg(long = "force")]
    pub force: bool,
    /// Print the DER as base64 on one line on standard output, write no file.
    #[arg(long = "bare-base64", conflicts_with_all = ["out", "format", "force"])]
    pub bare_base64: bool,
}

/// Where the certificate goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Destination {
    /// A file, in the given format.
    File(PathBuf),
    /// Standard output, in the given format.
    Stdout,
    /// Standard output, DER as base64 on one line.
    BareBase64,
}

impl OutputArgs {
    /// The destination for a registration ID.
    pub(crate) fn destination(&self, id: &RegistrationId) -> Destination {
        if self.bare_base64 {
            return Destination::BareBase64;
        }
        match &self.out {
            Some(p) if p.as_os_str() == "-" => Destination::Stdout,
            Some(p) => Destination::File(p.clone()),
            None => Destination::File(PathBuf::from(format!(
                "{}.{}",
                id.as_str(),
                CertFormat::from(self.format).extension()
            ))),
        }
    }
}
