//! `dps-cert-gen enroll FILE...`: each alias certificate becomes an individual X.509
//! enrollment in DPS, under its CN as the registration ID, through the service API and the
//! DPS service connection string.

use crate::cli::dps::args::{DEFAULT_TIMEOUT_SECS, DpsArgs};
use crate::cli::dps::error::DpsError;
use crate::cli::error::Error;
use crate::cli::error::Finish;
use crate::cli::output::stdout;
use crate::cli::pipeline::enroll_step::{self, OutcomeJson};
use std::path::PathBuf;

/// The arguments of `enroll`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Each certificate's subject CN is its registration ID. Per certificate: created; already
enrolled with this certificate (success); enrolled with another certificate (exit status 1,
both SHA-1 thumbprints named; --force replaces it).
The connection string: Azure portal, your DPS instance, Settings, Shared access policies,
provisioningserviceowner (or a policy with EnrollmentWrite), Primary connection string.

Examples:
  dps-cert-gen enroll az-c89346aabbccv1v6v2.pem --dps-connection-string-file dps.txt
  DPS_CONNECTION_STRING=\"$(pass show dps)\" dps-cert-gen enroll certs/*.pem --json")]
pub(crate) struct EnrollArgs {
    /// The alias certificates (PEM, bare base64 or DER; '-' reads one from standard input).
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// The connection string and trust.
    #[command(flatten)]
    pub dps: DpsArgs,
    /// Replace an enrollment that holds another certificate (If-Match: *).
    #[arg(long = "force")]
    pub force: bool,
    /// Print one JSON object a line per certificate: registration_id, outcome, sha1_thumbprint, ... (errorCode and message on failure).
    #[arg(long = "json")]
    pub json: bool,
    /// Give up on DPS after this many seconds in all (retries included).
    #[arg(long = "timeout", value_name = "SECS", default_value_t = DEFAULT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
}

/// Reads every certificate (all before any request), enrolls each, reports each.
pub(crate) fn exec(args: &EnrollArgs) -> Result<Finish, Error> {
    let dash = |p: &std::path::Path| p.as_os_str() == "-";
    if args.files.iter().filter(|p| dash(p)).count() > 1
        || (args.files.iter().any(|p| dash(p))
            && args.dps.connection_string_file.as_deref().is_some_and(dash))
    {
        return Err(DpsError::StdinTwice.into());
    }
    let items = args
        .files
        .iter()
        .map(|p| enroll_step::read_certificate(p))
        .collect::<Result<Vec<_>, _>>()?;
    let items = enroll_step::distinct(items)?;
    let connection = enroll_step::connection_string(&args.dps)?;
    let client = enroll_step::service(&connection, &args.dps, args.timeout)?;
    let host = client.host().to_string();
    let done = enroll_step::enroll_each(&client, &items, args.force, &mut |e| {
        if args.json {
            Ok(stdout::print_json_line(&OutcomeJson::of(e))?)
        } else {
            let mut line = enroll_step::outcome_line(e, &host);
            line.push('\n');
            Ok(stdout::write(line.as_bytes())?)
        }
    })?;
    let failed = done.iter().filter(|e| !e.outcome.is_success()).count();
    if failed > 0 {
        return Err(DpsError::NotAllEnrolled {
            failed,
            total: done.len(),
        }
        .into());
    }
    Ok(Finish::Success)
}
