//! The DPS arguments shared by the commands that talk to the service: where the connection
//! string comes from, and extra CA certificates. (`--timeout` is each command's own.)

use std::path::PathBuf;

/// The default of `--timeout` for a DPS conversation, in seconds.
pub(crate) const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// The service connection string's source and the trust anchors.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct DpsArgs {
    /// Read the DPS service connection string from this file ('-' for standard input)
    /// [default: the DPS_CONNECTION_STRING environment variable, else asked for, hidden].
    #[arg(long = "dps-connection-string-file", value_name = "PATH")]
    pub connection_string_file: Option<PathBuf>,
    /// Also trust the CA certificates in this PEM file (a TLS-inspecting proxy's, a local
    /// stand-in's), besides the system's.
    #[arg(long = "ca-file", value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
}
