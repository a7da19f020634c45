//! The object identifiers the certificates are made of and read for, in one table: those the
//! writers put into the DevKit's certificates and the readers look for, and the names
//! `inspect` gives the algorithms and curves of other certificates.

use der::asn1::ObjectIdentifier;

/// The RIoT composite device ID (the otherName in the alias certificate's subjectAltName).
pub(crate) const RIOT_COMPOSITE_ID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.89.3.1");
/// subjectAltName.
pub(crate) const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// basicConstraints.
pub(crate) const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// extKeyUsage.
pub(crate) const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// TLS client authentication (in extKeyUsage).
pub(crate) const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
/// SHA-256 (the FWID's hash).
pub(crate) const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// An elliptic-curve public key.
pub(crate) const EC_PUBLIC_KEY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// The curve P-256.
pub(crate) const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// An RSA public key.
pub(crate) const RSA_ENCRYPTION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// An Ed25519 public key, and its signature.
pub(crate) const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// The DevKit's signature algorithm.
pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
/// A name's common name (CN).
pub(crate) const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// A name's organisation (O).
pub(crate) const ORGANIZATION_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// The curves `inspect` names.
const CURVES: [(ObjectIdentifier, &str); 3] = [
    (PRIME256V1, "P-256"),
    (ObjectIdentifier::new_unwrap("1.3.132.0.34"), "P-384"),
    (ObjectIdentifier::new_unwrap("1.3.132.0.35"), "P-521"),
];

/// The signature algorithms `inspect` names.
const SIGNATURE_ALGORITHMS: [(ObjectIdentifier, &str); 9] = [
    (ECDSA_WITH_SHA256, "ecdsa-with-SHA256"),
    (
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3"),
        "ecdsa-with-SHA384",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4"),
        "ecdsa-with-SHA512",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5"),
        "sha1WithRSAEncryption",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        "sha256WithRSAEncryption",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12"),
        "sha384WithRSAEncryption",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13"),
        "sha512WithRSAEncryption",
    ),
    (
        ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
        "RSASSA-PSS",
    ),
    (ED25519, "Ed25519"),
];

/// `oid`'s name in `table`, or the dotted OID.
fn name_in(table: &[(ObjectIdentifier, &str)], oid: &ObjectIdentifier) -> String {
    table
        .iter()
        .find(|(known, _)| known == oid)
        .map_or_else(|| oid.to_string(), |(_, name)| (*name).to_string())
}

/// A curve's name (`P-256`), or its dotted OID.
pub(crate) fn curve_name(oid: &ObjectIdentifier) -> String {
    name_in(&CURVES, oid)
}

/// A signature algorithm's name (`ecdsa-with-SHA256`), or its dotted OID.
pub(crate) fn signature_algorithm_name(oid: &ObjectIdentifier) -> String {
    name_in(&SIGNATURE_ALGORITHMS, oid)
}

/// The arcs of `oid`, as `rcgen` takes an extension's OID.
pub(crate) fn arcs(oid: &ObjectIdentifier) -> Vec<u64> {
    oid.arcs().map(u64::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_arcs() {
        assert_eq!(curve_name(&PRIME256V1), "P-256");
        assert_eq!(
            signature_algorithm_name(&ECDSA_WITH_SHA256),
            "ecdsa-with-SHA256"
        );
        assert_eq!(signature_algorithm_name(&PRIME256V1), "1.2.840.10045.3.1.7");
        assert_eq!(curve_name(&COMMON_NAME), "2.5.4.3");
        assert_eq!(arcs(&RIOT_COMPOSITE_ID), [1, 3, 6, 1, 4, 1, 311, 89, 3, 1]);
        assert_eq!(arcs(&CLIENT_AUTH), [1, 3, 6, 1, 5, 5, 7, 3, 2]);
    }
}
