//! A DPS registration ID as an individual enrollment's ID: 1 to 64 characters (the X.509 CN
//! limit) of letters, digits, `-`, `.`, `_` and `:`, the last a letter, a digit or `-`
//! (the DPS note, section 2.2). DPS compares them without regard to case.

use std::fmt;
use thiserror::Error;

/// Longest registration ID for X.509 attestation: the subject CN's limit.
pub const MAX_LEN: usize = 64;

/// Why a certificate's CN cannot be a DPS registration ID.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EnrollmentIdError {
    /// No CN, or an empty one.
    #[error("the certificate has no subject CN, and DPS takes the registration ID from it")]
    Empty,
    /// Too long.
    #[error(
        "its subject CN is {len} characters long, and DPS takes at most {MAX_LEN} for an X.509 registration ID"
    )]
    TooLong {
        /// Its length in characters.
        len: usize,
    },
    /// A character DPS does not allow.
    #[error(
        "its subject CN {id:?} holds {ch:?}, and a DPS registration ID is letters, digits, '-', '.', '_' and ':' only"
    )]
    BadChar {
        /// The CN, made printable.
        id: String,
        /// The first character refused.
        ch: char,
    },
    /// Ends in a character DPS does not allow last.
    #[error(
        "its subject CN {id:?} ends in {ch:?}, and a DPS registration ID ends in a letter, a digit or '-'"
    )]
    BadLast {
        /// The CN.
        id: String,
        /// Its last character.
        ch: char,
    },
}

/// A valid DPS registration ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnrollmentId(String);

impl EnrollmentId {
    /// Checks `id` against DPS's rules.
    pub fn new(id: &str) -> Result<Self, EnrollmentIdError> {
        let len = id.chars().count();
        if len == 0 {
            return Err(EnrollmentIdError::Empty);
        }
        if len > MAX_LEN {
            return Err(EnrollmentIdError::TooLong { len });
        }
        if let Some(ch) = id
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':')))
        {
            return Err(EnrollmentIdError::BadChar {
                id: crate::text::printable::printable(id),
                ch,
            });
        }
        match id.chars().last() {
            Some(ch) if !(ch.is_ascii_alphanumeric() || ch == '-') => {
                Err(EnrollmentIdError::BadLast {
                    id: id.to_string(),
                    ch,
                })
            }
            _ => Ok(Self(id.to_string())),
        }
    }

    /// The ID.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether DPS takes `other` for the same ID (case is ignored).
    pub fn same_as(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Display for EnrollmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dps_rules() {
        for ok in ["az-c89346854138v1v4v1", "A.b_c:d-", "x", &"a".repeat(64)] {
            assert!(EnrollmentId::new(ok).is_ok(), "{ok}");
        }
        assert_eq!(EnrollmentId::new(""), Err(EnrollmentIdError::Empty));
        assert_eq!(
            EnrollmentId::new(&"a".repeat(65)),
            Err(EnrollmentIdError::TooLong { len: 65 })
        );
        assert_eq!(
            EnrollmentId::new("my device").unwrap_err().to_string(),
            "its subject CN \"my device\" holds ' ', and a DPS registration ID is letters, digits, '-', '.', '_' and ':' only"
        );
        assert_eq!(
            EnrollmentId::new("dev.").unwrap_err().to_string(),
            "its subject CN \"dev.\" ends in '.', and a DPS registration ID ends in a letter, a digit or '-'"
        );
        assert!(EnrollmentId::new("Dev-1").unwrap().same_as("dev-1"));
    }
}
