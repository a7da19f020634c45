//! `inspect`: explains a certificate (registration ID, keys, FWID, thumbprints, signature).

use crate::cli::error::Error;
use crate::cli::error::Finish;
use crate::cli::input::cert_input::{CertSource, inspect_source};
use crate::cli::output::stdout;

/// The arguments of `inspect`.
#[derive(Debug, Clone, Default, clap::Args)]
#[command(after_help = "\
Examples:
  dps-cert-gen inspect my-device-01.pem
  pbpaste | dps-cert-gen inspect -")]
pub(crate) struct InspectArgs {
    /// The certificate: PEM, bare base64 or DER, detected automatically [default: '-',
    /// standard input].
    #[arg(value_name = "FILE|-")]
    file: Option<std::path::PathBuf>,
    /// Print one JSON object on standard output instead of text.
    #[arg(long = "json")]
    json: bool,
}

/// Reads the certificate and prints what it is (text, or JSON with `--json`).
pub(crate) fn exec(args: &InspectArgs) -> Result<Finish, Error> {
    let source = CertSource::from_arg(args.file.as_deref());
    let inspection = inspect_source(&source, "inspect")?;
    if args.json {
        stdout::print_json(&inspection)?;
    } else {
        stdout::write(inspection.render().as_bytes())?;
    }
    Ok(Finish::Success)
}
