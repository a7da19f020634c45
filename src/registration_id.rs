//! The registration ID: what the board puts in its certificate's subject CN (spec section 7),
//! either given, or built from the board's MAC address and firmware version.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Longest ID the device's DER encoder can put in a certificate.
pub const DEVICE_MAX_LEN: usize = 126;
/// Longest registration ID that DPS documents for X.509 attestation (the CN limit).
pub const DPS_X509_MAX_LEN: usize = 64;

/// Why a registration ID, MAC address or firmware version was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IdError {
    /// Empty registration ID.
    #[error("the registration ID is empty")]
    EmptyId,
    /// A character outside `a-z 0-9 -`.
    #[error(
        "the registration ID {id:?} contains {ch:?} at position {position}; only lower-case letters a-z, digits 0-9 and '-' are allowed"
    )]
    BadIdChar {
        /// The ID as given.
        id: String,
        /// The first offending character.
        ch: char,
        /// Its 1-based position.
        position: usize,
    },
    /// Upper-case letters in an ID otherwise valid: the lower-case form is the one to use.
    #[error(
        "the registration ID {id:?} has upper-case letters, and only lower-case letters a-z, digits 0-9 and '-' are allowed; use {lower:?}"
    )]
    UpperCaseId {
        /// The ID as given.
        id: String,
        /// The same ID in lower case.
        lower: String,
    },
    /// Longer than the device can encode.
    #[error(
        "the registration ID is {len} characters long; the board cannot put more than 126 in its certificate (it would never register), and DPS accepts at most 64 for X.509: use a shorter ID"
    )]
    IdTooLong {
        /// Its length.
        len: usize,
    },
    /// The registration ID given is the board's UDS (neither is repeated in the message).
    #[error(
        "the registration ID given is the UDS: the ID goes into the public certificate, its file name and the DPS portal, so it must never be the secret"
    )]
    IsTheUds,
    /// Not a MAC address.
    #[error(
        "{mac:?} is not a MAC address; give the 12 hex digits the board prints at boot, like c89346000001 or C8:93:46:00:00:01"
    )]
    BadMac {
        /// What was given.
        mac: String,
    },
    /// Not `digits.digits.digits`.
    #[error(
        "{version:?} is not a firmware version; give the DevKit firmware version the board prints at boot as major.minor.patch, like 1.3.0"
    )]
    BadVersion {
        /// What was given.
        version: String,
    },
}

/// The warning for a registration ID of 64 hex digits: it looks like a UDS.
pub const UDS_LIKE_WARNING: &str = "the registration ID is 64 hex digits, as a UDS is: it goes into the public certificate, its file name and the DPS portal, so check it is not the board's secret";

/// A validated registration ID: 1 to 126 characters of `a-z`, `0-9` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId(String);

impl RegistrationId {
    /// Validates `id` as the device would accept it.
    pub fn new(id: &str) -> Result<Self, IdError> {
        if id.is_empty() {
            return Err(IdError::EmptyId);
        }
        if id.len() > DEVICE_MAX_LEN {
            return Err(IdError::IdTooLong { len: id.len() });
        }
        if let Some((i, ch)) = id
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            let lower = id.to_ascii_lowercase();
            if ch.is_ascii_uppercase() && Self::new(&lower).is_ok() {
                return Err(IdError::UpperCaseId {
                    id: id.to_string(),
                    lower,
                });
            }
            return Err(IdError::BadIdChar {
                id: id.to_string(),
                ch,
                position: i + 1,
            });
        }
        Ok(Self(id.to_string()))
    }

    /// The ID the board builds when none is set: `az-` + MAC + `v` + version with `.` as `v`.
    pub fn from_board(mac: &Mac, version: &FirmwareVersion) -> Self {
        let version = version.0.replace('.', "v");
        // 3 + 12 + 1 + (at most a few digits): always valid.
        Self(format!("az-{}v{}", mac.0, version))
    }

    /// The ID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A warning to show when the ID works on the device but is longer than DPS's X.509 limit.
    pub fn warning(&self) -> Option<String> {
        if crate::text::uds_like::looks_like_uds(&self.0) {
            return Some(UDS_LIKE_WARNING.to_string());
        }
        (self.0.len() > DPS_X509_MAX_LEN).then(|| {
            format!(
                "the registration ID is {} characters long: the board accepts up to 126, but DPS documents 64 as the limit for X.509 registration IDs, so the enrollment may be refused",
                self.0.len()
            )
        })
    }
}

impl fmt::Display for RegistrationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegistrationId {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// A board's MAC address, normalised to 12 lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mac(String);

impl Mac {
    /// Accepts `c89346000001`, `C8:93:46:00:00:01` or `c8-93-46-00-00-01`.
    pub fn new(text: &str) -> Result<Self, IdError> {
        let bad = || IdError::BadMac {
            mac: crate::text::printable::printable(text),
        };
        let t = text.trim();
        let digits: String = if t.len() == 17 {
            let sep = *t.as_bytes().get(2).ok_or_else(bad)?;
            if sep != b':' && sep != b'-' {
                return Err(bad());
            }
            let groups: Vec<&str> = t.split(sep as char).collect();
            if groups.len() != 6 || groups.iter().any(|g| g.len() != 2) {
                return Err(bad());
            }
            groups.concat()
        } else if t.len() == 12 {
            t.to_string()
        } else {
            return Err(bad());
        };
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad());
        }
        Ok(Self(digits.to_ascii_lowercase()))
    }

    /// The 12 lower-case hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Mac {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

/// The DevKit firmware version printed at boot: `major.minor.patch`, digits only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareVersion(String);

impl FirmwareVersion {
    /// Validates `digits.digits.digits` (each part 1 to 9 digits).
    pub fn new(text: &str) -> Result<Self, IdError> {
        let t = text.trim();
        let parts: Vec<&str> = t.split('.').collect();
        let ok = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 9 && p.chars().all(|c| c.is_ascii_digit()));
        if ok {
            Ok(Self(t.to_string()))
        } else {
            Err(IdError::BadVersion {
                version: crate::text::printable::printable(text),
            })
        }
    }

    /// The version as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for FirmwareVersion {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_board_default_id() {
        let mac = Mac::new("C8:93:46:00:00:01").unwrap();
        let v = FirmwareVersion::new("1.3.0").unwrap();
        assert_eq!(
            RegistrationId::from_board(&mac, &v).as_str(),
            "az-c89346000001v1v3v0"
        );
    }

    #[test]
    fn mac_forms() {
        for m in [
            "c89346000001",
            "C8:93:46:00:00:01",
            "c8-93-46-00-00-01",
            "C89346000001",
        ] {
            assert_eq!(Mac::new(m).unwrap().as_str(), "c89346000001", "{m}");
        }
        for m in [
            "c8934600000",
            "c8:93:46:00:00",
            "c8:93-46:00:00:01",
            "g89346000001",
            "c8.93.46.00.00.01",
            "",
        ] {
            assert!(Mac::new(m).is_err(), "{m}");
        }
    }

    #[test]
    fn versions() {
        assert!(FirmwareVersion::new("1.6.2").is_ok());
        assert!(FirmwareVersion::new("10.20.300").is_ok());
        for v in ["1.6", "1.6.2.1", "v1.6.2", "1..2", "1.6.x", ""] {
            assert!(FirmwareVersion::new(v).is_err(), "{v}");
        }
    }

    #[test]
    fn id_rules() {
        assert_eq!(RegistrationId::new("").unwrap_err(), IdError::EmptyId);
        assert_eq!(
            RegistrationId::new("My-Device").unwrap_err(),
            IdError::UpperCaseId {
                id: "My-Device".to_string(),
                lower: "my-device".to_string()
            }
        );
        assert!(matches!(
            RegistrationId::new("My_Device").unwrap_err(),
            IdError::BadIdChar {
                ch: 'M',
                position: 1,
                ..
            }
        ));
        assert!(RegistrationId::new(&"a".repeat(126)).is_ok());
        assert_eq!(
            RegistrationId::new(&"a".repeat(127)).unwrap_err(),
            IdError::IdTooLong { len: 127 }
        );
        assert!(
            RegistrationId::new(&"g".repeat(64))
                .unwrap()
                .warning()
                .is_none()
        );
        // 64 hex digits look like a UDS.
        assert_eq!(
            RegistrationId::new(&"a".repeat(64))
                .unwrap()
                .warning()
                .as_deref(),
            Some(UDS_LIKE_WARNING)
        );
        assert!(
            RegistrationId::new(&"a".repeat(65))
                .unwrap()
                .warning()
                .is_some()
        );
    }
}
