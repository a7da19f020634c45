//! The DPS service connection string, a secret:
//! `HostName=<name>.azure-devices-provisioning.net;SharedAccessKeyName=<policy>;SharedAccessKey=<base64>`.
//! Parsed as `az` parses it: split on `;`, pieces without `=` dropped, each piece split at its
//! first `=` only (the key ends in `=` padding), the names matched without regard to case.
//! The key is kept decoded, wiped when dropped, and never shown: not by `Debug`, not in an
//! error.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::fmt;
use thiserror::Error;
use zeroize::Zeroizing;

/// The three properties a connection string must have, in the order they are named.
const NAMES: [&str; 3] = ["HostName", "SharedAccessKeyName", "SharedAccessKey"];

/// Longest connection string read (a real one is about 150 characters).
pub const MAX_LEN: usize = 4096;

/// Why a connection string was refused. Never carries the key, nor any part of the text
/// that could be it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConnectionStringError {
    /// Nothing but white space.
    #[error(
        "the DPS connection string is empty; it looks like HostName=<name>.azure-devices-provisioning.net;SharedAccessKeyName=<policy>;SharedAccessKey=<key>"
    )]
    Empty,
    /// Far too long to be one.
    #[error("the DPS connection string is longer than {MAX_LEN} characters, which is not one")]
    TooLong,
    /// Properties missing (named, in the order of the format).
    #[error(
        "the DPS connection string has no {}; it looks like HostName=<name>.azure-devices-provisioning.net;SharedAccessKeyName=<policy>;SharedAccessKey=<key>: copy the whole of it again",
        names(.missing)
    )]
    Missing {
        /// The properties not found.
        missing: Vec<&'static str>,
    },
    /// The key is not base64 (said without a word of it).
    #[error(
        "the SharedAccessKey of the DPS connection string is not base64; copy the whole connection string again"
    )]
    KeyNotBase64,
    /// The host name is not a host name (a URL, a path, spaces).
    #[error(
        "the HostName of the DPS connection string, {host:?}, is not a host name (NAME.azure-devices-provisioning.net, optionally with :PORT)"
    )]
    BadHostName {
        /// The host name as given, made printable.
        host: String,
    },
}

fn names(missing: &[&str]) -> String {
    match missing {
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
        [] => String::new(),
    }
}

/// A parsed DPS service connection string.
pub struct ConnectionString {
    host: String,
    key_name: String,
    key: Zeroizing<Vec<u8>>,
}

impl ConnectionString {
    /// Parses `text` (white space around it ignored).
    pub fn parse(text: &str) -> Result<Self, ConnectionStringError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(ConnectionStringError::Empty);
        }
        if text.len() > MAX_LEN {
            return Err(ConnectionStringError::TooLong);
        }
        let mut found: [Option<&str>; 3] = [None, None, None];
        for piece in text.split(';') {
            let Some((name, value)) = piece.split_once('=') else {
                continue;
            };
            let name = name.trim();
            if let Some(slot) = NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
                .and_then(|i| found.get_mut(i))
            {
                *slot = Some(value.trim());
            }
        }
        let missing: Vec<&'static str> = NAMES
            .iter()
            .zip(found.iter())
            .filter(|(_, v)| v.is_none_or(str::is_empty))
            .map(|(n, _)| *n)
            .collect();
        let [Some(host), Some(key_name), Some(key)] = found else {
            return Err(ConnectionStringError::Missing { missing });
        };
        if !missing.is_empty() {
            return Err(ConnectionStringError::Missing { missing });
        }
        if !is_host_name(host) {
            return Err(ConnectionStringError::BadHostName {
                host: crate::text::printable::printable(host),
            });
        }
        let mut decoded = Zeroizing::new(Vec::with_capacity(key.len()));
        STANDARD
            .decode_vec(key.as_bytes(), &mut decoded)
            .map_err(|_| ConnectionStringError::KeyNotBase64)?;
        if decoded.is_empty() {
            return Err(ConnectionStringError::KeyNotBase64);
        }
        Ok(Self {
            host: host.to_string(),
            key_name: key_name.to_string(),
            key: decoded,
        })
    }

    /// The `HostName`, exactly as given (it may carry a port: `127.0.0.1:8443`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The `SharedAccessKeyName`: the policy whose key signs.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// The decoded `SharedAccessKey`.
    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }
}

/// A host name with an optional port: letters, digits, `-`, `.`, and one `:PORT` at the end
/// (or an IPv6 address in brackets).
/// Whether `host` is `NAME[:PORT]` (or `[IPv6][:PORT]`): no scheme, no path, no spaces.
pub(crate) fn is_host_name(host: &str) -> bool {
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') || name.ends_with(']') => (name, Some(port)),
        _ => (host, None),
    };
    let name_ok = if let Some(inner) = name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !name.is_empty()
            && name.len() <= 253
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
    name_ok && port_ok
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionString")
            .field("host", &self.host)
            .field("key_name", &self.key_name)
            .field("key", &"<secret>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn example() -> String {
        format!(
            "HostName=my-dps.azure-devices-provisioning.net;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey={KEY}"
        )
    }

    #[test]
    fn parses_as_az_does() {
        let cs = ConnectionString::parse(&example()).unwrap();
        assert_eq!(cs.host(), "my-dps.azure-devices-provisioning.net");
        assert_eq!(cs.key_name(), "provisioningserviceowner");
        assert_eq!(cs.key(), (0u8..32).collect::<Vec<_>>().as_slice());
        // Names in any case, any order, stray pieces, a trailing ';' and a line end.
        let cs = ConnectionString::parse(&format!(
            "sharedaccesskey={KEY};junk;HOSTNAME=127.0.0.1:8443;SharedAccessKeyName=p;\n"
        ))
        .unwrap();
        assert_eq!((cs.host(), cs.key_name()), ("127.0.0.1:8443", "p"));
    }

    #[test]
    fn missing_parts_are_named_and_the_key_never_shown() {
        let e = ConnectionString::parse(&format!("SharedAccessKey={KEY}")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the DPS connection string has no HostName or SharedAccessKeyName; it looks like HostName=<name>.azure-devices-provisioning.net;SharedAccessKeyName=<policy>;SharedAccessKey=<key>: copy the whole of it again"
        );
        let e = ConnectionString::parse("HostName=h;SharedAccessKeyName=p").unwrap_err();
        assert_eq!(
            e,
            ConnectionStringError::Missing {
                missing: vec!["SharedAccessKey"]
            }
        );
        let e = ConnectionString::parse("just some text").unwrap_err();
        assert!(e.to_string().starts_with(
            "the DPS connection string has no HostName, SharedAccessKeyName or SharedAccessKey;"
        ));
        let e = ConnectionString::parse("HostName=h;SharedAccessKeyName=p;SharedAccessKey=")
            .unwrap_err();
        assert_eq!(
            e,
            ConnectionStringError::Missing {
                missing: vec!["SharedAccessKey"]
            }
        );
        let secret = "c2VjcmV0IGtleSE*";
        let e = ConnectionString::parse(&format!(
            "HostName=h;SharedAccessKeyName=p;SharedAccessKey={secret}"
        ))
        .unwrap_err();
        assert_eq!(e, ConnectionStringError::KeyNotBase64);
        assert!(!e.to_string().contains("c2Vj"));
        assert_eq!(
            ConnectionString::parse("  ").unwrap_err(),
            ConnectionStringError::Empty
        );
    }

    #[test]
    fn host_names() {
        let with = |h: &str| {
            ConnectionString::parse(&format!(
                "HostName={h};SharedAccessKeyName=p;SharedAccessKey={KEY}"
            ))
        };
        assert!(with("[::1]:8443").is_ok());
        let e = with("https://my-dps.azure-devices-provisioning.net/").unwrap_err();
        assert_eq!(
            e.to_string(),
            "the HostName of the DPS connection string, \"https://my-dps.azure-devices-provisioning.net/\", is not a host name (NAME.azure-devices-provisioning.net, optionally with :PORT)"
        );
        assert!(with("h:0").is_err() && with("h:99999").is_err() && with("a b").is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let cs = ConnectionString::parse(&example()).unwrap();
        let shown = format!("{cs:?}");
        assert!(
            shown.contains("<secret>") && !shown.contains("AAEC"),
            "{shown}"
        );
    }
}
