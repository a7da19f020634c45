//! What can go wrong talking to DPS, in plain words naming the host: the connection string
//! (never quoted), the CA file, the network (unknown host, refused, timeout, TLS), and
//! answers that end the run (401: the key). Per-certificate refusals are outcomes, not
//! errors (`enroll`).

use dps_cert_gen::dps::connection_string::ConnectionStringError;
use std::path::PathBuf;
use thiserror::Error;

/// Where the connection string came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CsOrigin {
    /// `--dps-connection-string-file PATH`.
    File(PathBuf),
    /// `--dps-connection-string-file -`.
    Stdin,
    /// `DPS_CONNECTION_STRING`.
    Env,
}

impl std::fmt::Display for CsOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsOrigin::File(p) => write!(f, "{} (--dps-connection-string-file)", p.display()),
            CsOrigin::Stdin => f.write_str("standard input (--dps-connection-string-file -)"),
            CsOrigin::Env => f.write_str("the DPS_CONNECTION_STRING environment variable"),
        }
    }
}

/// A failure talking to DPS. No variant holds the connection string, its key or a token.
#[derive(Debug, Error)]
pub(crate) enum DpsError {
    /// No connection string given, and no terminal to ask on.
    #[error(
        "missing the DPS service connection string: give --dps-connection-string-file PATH ('-' for standard input) or set DPS_CONNECTION_STRING (Azure portal: your DPS instance, Settings, Shared access policies, provisioningserviceowner, Primary connection string)"
    )]
    NoConnectionString,
    /// The connection string could not be read.
    #[error("cannot read the DPS connection string from {origin}: {reason}")]
    ReadConnectionString {
        /// Where.
        origin: CsOrigin,
        /// The system's words.
        reason: String,
    },
    /// The connection string is malformed (what is missing, never the key).
    #[error("{origin}: {source}")]
    ConnectionString {
        /// Where it came from.
        origin: CsOrigin,
        /// What is wrong.
        source: ConnectionStringError,
    },
    /// `--ca-file` could not be read or holds no certificate.
    #[error("cannot use the CA file {}: {reason}; give a PEM file of CA certificates to --ca-file", path.display())]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The host name does not resolve.
    #[error("cannot find the host {host}: {advice}")]
    UnknownHost {
        /// The host.
        host: String,
        /// What to check.
        advice: &'static str,
    },
    /// Nothing listens there.
    #[error("{host} refused the connection: nothing answers on that port; {advice}")]
    Refused {
        /// The host.
        host: String,
        /// What to check.
        advice: &'static str,
    },
    /// No answer in time.
    #[error(
        "no answer from {host} within the {seconds} s allowed; check the network (and HTTPS_PROXY), or allow longer with --timeout"
    )]
    Timeout {
        /// The host.
        host: String,
        /// The whole conversation's allowance.
        seconds: u64,
    },
    /// The server's TLS certificate is not trusted.
    #[error(
        "the TLS certificate of {host} is not trusted ({reason}); behind a proxy that inspects TLS, give its CA certificate with --ca-file PATH"
    )]
    Untrusted {
        /// The host.
        host: String,
        /// The TLS library's words.
        reason: String,
    },
    /// Any other network or TLS failure.
    #[error("cannot talk to {host}: {reason}")]
    Network {
        /// The host.
        host: String,
        /// What failed.
        reason: String,
    },
    /// The service refused the SAS token: the key is wrong, or its policy lacks the right.
    #[error(
        "DPS at {host} refused the connection string (401{code}): its key is wrong or out of date, or its policy ({policy}) lacks the EnrollmentWrite permission; copy the Primary connection string of a policy with EnrollmentWrite (provisioningserviceowner has it)"
    )]
    Unauthorized {
        /// The host.
        host: String,
        /// The policy named in the connection string.
        policy: String,
        /// ` 401002` or empty.
        code: String,
    },
    /// Some certificates are not enrolled (each was reported).
    #[error("{failed} of {total} certificates are not enrolled (see above)")]
    NotAllEnrolled {
        /// How many were not.
        failed: usize,
        /// How many were asked for.
        total: usize,
    },
    /// The board's registration, done from the PC, did not end assigned (the outcome,
    /// worded with its advice).
    #[error("{0}")]
    NotAssigned(String),
    /// Two files hold different certificates for one registration ID.
    #[error(
        "{first} and {second} hold different certificates for the same registration ID {id}; DPS keeps one per ID: enroll one of them"
    )]
    DuplicateId {
        /// The first file.
        first: String,
        /// The other file.
        second: String,
        /// The ID.
        id: String,
    },
    /// Standard input named twice.
    #[error(
        "standard input ('-') can give one certificate or the connection string, not two of them; name a file for the others"
    )]
    StdinTwice,
    /// Standard input named for the manifest and the connection string.
    #[error(
        "standard input ('-') can give the manifest or the connection string, not both; name a file for one of them"
    )]
    StdinManifestAndConnectionString,
    /// Standard input named for the UDS and the connection string.
    #[error(
        "standard input ('-') can give the UDS or the connection string, not both; name a file for one of them"
    )]
    StdinUdsAndConnectionString,
    /// A certificate's CN cannot be a DPS registration ID.
    #[error("{file}: {source}; DPS would refuse it")]
    BadId {
        /// The file.
        file: String,
        /// Why.
        source: dps_cert_gen::dps::enrollment_id::EnrollmentIdError,
    },
}

impl DpsError {
    /// Whether the user's input is at fault (exit status 2).
    pub(crate) fn is_input_error(&self) -> bool {
        matches!(
            self,
            DpsError::NoConnectionString
                | DpsError::ReadConnectionString { .. }
                | DpsError::ConnectionString { .. }
                | DpsError::CaFile { .. }
                | DpsError::DuplicateId { .. }
                | DpsError::BadId { .. }
                | DpsError::StdinTwice
                | DpsError::StdinManifestAndConnectionString
                | DpsError::StdinUdsAndConnectionString
        )
    }
}
