//! Command-line code that only the binary needs.

// Until the `board` subcommands are wired in (issue 12, phase 2), only the tests use it.
#[cfg(test)]
pub(crate) mod board;
