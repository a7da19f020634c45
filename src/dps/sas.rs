//! The service API's shared access signature (the DPS note, section 1.2): `sr` is the
//! connection string's `HostName` URL-encoded, the string to sign `sr + "\n" + se`, the
//! signature HMAC-SHA256 keyed with the decoded key, in standard base64, URL-encoded in the
//! token. The token is a credential for its lifetime: it is wiped when dropped and `Debug`
//! does not show it.

use crate::dps::connection_string::ConnectionString;
use crate::dps::request::url_encode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use zeroize::Zeroizing;

/// How long a token is valid (a fresh one is made for each run).
pub const TOKEN_LIFETIME_SECS: u64 = 3600;

/// The value of the `Authorization` header.
pub struct SasToken(Zeroizing<String>);

impl SasToken {
    /// The header value: `SharedAccessSignature sr=...&sig=...&se=...&skn=...`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SasToken(<secret>)")
    }
}

/// The string that is signed: the encoded resource URI, one LF, the expiry.
pub fn string_to_sign(encoded_sr: &str, expiry: u64) -> String {
    format!("{encoded_sr}\n{expiry}")
}

/// The signature over `to_sign`, standard base64 with padding.
pub fn signature(key: &[u8], to_sign: &str) -> Zeroizing<String> {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Zeroizing::new(String::new());
    };
    mac.update(to_sign.as_bytes());
    Zeroizing::new(STANDARD.encode(mac.finalize().into_bytes()))
}

/// A token for `connection` that expires at `expiry` (Unix seconds), whose resource is the
/// connection string's `HostName`.
pub fn token(connection: &ConnectionString, expiry: u64) -> SasToken {
    token_for(connection, connection.host(), expiry)
}

/// A token for the resource URI `resource` (a host name, or a host name and a path).
pub fn token_for(connection: &ConnectionString, resource: &str, expiry: u64) -> SasToken {
    let sr = url_encode(resource);
    let sig = signature(connection.key(), &string_to_sign(&sr, expiry));
    SasToken(Zeroizing::new(format!(
        "SharedAccessSignature sr={sr}&sig={}&se={expiry}&skn={}",
        url_encode(&sig),
        url_encode(connection.key_name())
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DPS note's worked example (section 1.4, `sas_example.py`).
    const EXAMPLE: &str = "HostName=my-dps.azure-devices-provisioning.net;SharedAccessKeyName=provisioningserviceowner;SharedAccessKey=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const SE: u64 = 1_767_225_600;

    #[test]
    fn the_worked_example() {
        let cs = ConnectionString::parse(EXAMPLE).unwrap();
        let to_sign = string_to_sign(&url_encode(cs.host()), SE);
        assert_eq!(to_sign, "my-dps.azure-devices-provisioning.net\n1767225600");
        assert_eq!(
            signature(cs.key(), &to_sign).as_str(),
            "OLsA4IGD9QyxH//DE5FDG8braPUJUL1i2LdO4s8YOqA="
        );
        assert_eq!(
            token(&cs, SE).as_str(),
            "SharedAccessSignature sr=my-dps.azure-devices-provisioning.net&sig=OLsA4IGD9QyxH%2F%2FDE5FDG8braPUJUL1i2LdO4s8YOqA%3D&se=1767225600&skn=provisioningserviceowner"
        );
    }

    #[test]
    fn the_worked_example_with_a_path() {
        let cs = ConnectionString::parse(EXAMPLE).unwrap();
        let resource = "my-dps.azure-devices-provisioning.net/enrollments";
        assert_eq!(
            string_to_sign(&url_encode(resource), SE),
            "my-dps.azure-devices-provisioning.net%2Fenrollments\n1767225600"
        );
        assert_eq!(
            token_for(&cs, resource, SE).as_str(),
            "SharedAccessSignature sr=my-dps.azure-devices-provisioning.net%2Fenrollments&sig=KATPl7%2FtjGiOrfN%2FAUC%2FQKExew4R81dHihF95FOMc2w%3D&se=1767225600&skn=provisioningserviceowner"
        );
    }

    #[test]
    fn debug_hides_the_token() {
        let cs = ConnectionString::parse(EXAMPLE).unwrap();
        assert_eq!(format!("{:?}", token(&cs, SE)), "SasToken(<secret>)");
    }
}
