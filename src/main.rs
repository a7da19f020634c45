//! The `dps-cert-gen` binary: the command line (`cli`) around the `dps_cert_gen` library.

#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
