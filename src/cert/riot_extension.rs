//! The RIoT composite device ID (OID 1.3.6.1.4.1.311.89.3.1), written into and read back
//! out of a subjectAltName: the DeviceID public key and the FWID. Written as the device
//! writes it: the otherName value without RFC 5280's `[0] EXPLICIT` wrapper. Read leniently,
//! as spec section 5 asks: the device's form and the RFC form are both accepted.

use crate::cert::oid::{EC_PUBLIC_KEY, PRIME256V1, RIOT_COMPOSITE_ID, SHA256};
use crate::riot::keys::{Fwid, uncompressed};
use der::asn1::{AnyRef, BitStringRef, IntRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use p256::PublicKey;
use thiserror::Error;
use x509_cert::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};

/// `[0]`, constructed: the tag of an otherName in a GeneralName, and of RFC 5280's
/// `[0] EXPLICIT` wrapper around its value.
const CONTEXT_0: Tag = Tag::ContextSpecific {
    constructed: true,
    number: TagNumber(0),
};

/// One DER element: `tag` around the concatenation of `parts` (each already DER).
fn element(tag: Tag, parts: &[&[u8]]) -> der::Result<Vec<u8>> {
    AnyRef::new(tag, &parts.concat())?.to_der()
}

/// The DER of the `SubjectPublicKeyInfo` of a P-256 key (uncompressed point).
pub(crate) fn spki_der(public: &PublicKey) -> der::Result<Vec<u8>> {
    let point = uncompressed(public);
    SubjectPublicKeyInfoRef {
        algorithm: AlgorithmIdentifierRef {
            oid: EC_PUBLIC_KEY,
            parameters: Some(AnyRef::from(&PRIME256V1)),
        },
        subject_public_key: BitStringRef::from_bytes(&point)?,
    }
    .to_der()
}

/// The subjectAltName value the device writes: one otherName-like `[0]` holding the RIoT
/// composite device ID (`INTEGER 1`, the DeviceID SPKI, and `{sha256, FWID}`), without RFC
/// 5280's `[0] EXPLICIT` around the value. (Encoding fails only on lengths no certificate
/// has.)
pub(crate) fn riot_san_der(device_id: &PublicKey, fwid: &Fwid) -> der::Result<Vec<u8>> {
    let fwid = element(
        Tag::Sequence,
        &[
            &SHA256.to_der()?,
            &OctetStringRef::new(fwid.as_bytes())?.to_der()?,
        ],
    )?;
    let composite = element(
        Tag::Sequence,
        &[&1u8.to_der()?, &spki_der(device_id)?, &fwid],
    )?;
    let other_name = element(CONTEXT_0, &[&RIOT_COMPOSITE_ID.to_der()?, &composite])?;
    element(Tag::Sequence, &[&other_name])
}

/// What the RIoT extension carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiotIdentity {
    /// The DeviceID public key (the key that signed the alias certificate).
    pub device_id: PublicKey,
    /// SHA-256 of the board's `riot_fw` region.
    pub fwid: Fwid,
}

/// A RIoT otherName was found but could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("the RIoT extension (1.3.6.1.4.1.311.89.3.1) is malformed: {0}")]
pub(crate) struct RiotExtensionError(pub String);

impl RiotExtensionError {
    fn new(what: &str) -> Self {
        Self(what.to_string())
    }
}

/// The `type-id` and `value` of an otherName (`[0] IMPLICIT SEQUENCE { OID, ANY }`), or
/// `None` when `name` is another kind of GeneralName or not that shape.
fn other_name(name: AnyRef<'_>) -> Option<(ObjectIdentifier, AnyRef<'_>)> {
    if name.tag() != CONTEXT_0 {
        return None;
    }
    let mut reader = SliceReader::new(name.value()).ok()?;
    let oid = ObjectIdentifier::decode(&mut reader).ok()?;
    let value = AnyRef::decode(&mut reader).ok()?;
    reader.finish().ok()?;
    Some((oid, value))
}

/// Looks for the RIoT otherName in the DER of a subjectAltName extension value. `Ok(None)`:
/// the extension holds no RIoT name.
pub(crate) fn riot_identity_from_san(
    san: &[u8],
) -> Result<Option<RiotIdentity>, RiotExtensionError> {
    let names = Vec::<AnyRef<'_>>::from_der(san).map_err(|_| {
        RiotExtensionError::new("the subjectAltName is not a DER SEQUENCE of names")
    })?;
    let Some(value) = names
        .into_iter()
        .filter_map(other_name)
        .find_map(|(oid, value)| (oid == RIOT_COMPOSITE_ID).then_some(value))
    else {
        return Ok(None);
    };
    let composite = if value.tag() == CONTEXT_0 {
        // RFC 5280 form: [0] EXPLICIT around the value.
        AnyRef::from_der(value.value()).map_err(|_| {
            RiotExtensionError::new(
                "the [0] EXPLICIT wrapper of the composite device ID does not hold exactly one DER value",
            )
        })?
    } else {
        // The device's form: the value itself.
        value
    };
    parse_composite(composite).map(Some)
}

/// `SEQUENCE { INTEGER version, SubjectPublicKeyInfo DeviceID, SEQUENCE { OID, OCTET STRING } }`.
fn parse_composite(composite: AnyRef<'_>) -> Result<RiotIdentity, RiotExtensionError> {
    let (spki, hash_oid, digest) = composite
        .sequence(|r| {
            let _version: IntRef<'_> = r.decode()?;
            let spki = r.tlv_bytes()?;
            let (oid, digest) = r.sequence(|r| {
                let oid: ObjectIdentifier = r.decode()?;
                let digest: &OctetStringRef = r.decode()?;
                Ok::<_, der::Error>((oid, digest.as_bytes()))
            })?;
            Ok::<_, der::Error>((spki, oid, digest))
        })
        .map_err(|_| {
            RiotExtensionError::new(
                "the composite device ID is not a DER SEQUENCE of version, key and FWID",
            )
        })?;
    if hash_oid != SHA256 {
        return Err(RiotExtensionError(format!(
            "the FWID uses hash {hash_oid}, not SHA-256"
        )));
    }
    let fwid: [u8; 32] = digest.try_into().map_err(|_| {
        RiotExtensionError(format!(
            "the FWID is {} bytes, not the 32 of SHA-256",
            digest.len()
        ))
    })?;
    Ok(RiotIdentity {
        device_id: p256_public_key_from_spki(spki)?,
        fwid: Fwid::from_bytes(fwid),
    })
}

/// The P-256 public key in a `SubjectPublicKeyInfo` DER.
pub(crate) fn p256_public_key_from_spki(der: &[u8]) -> Result<PublicKey, RiotExtensionError> {
    let spki = SubjectPublicKeyInfoRef::from_der(der).map_err(|_| {
        RiotExtensionError::new("the DeviceID key is not a DER SubjectPublicKeyInfo")
    })?;
    let alg = spki.algorithm.oid;
    let curve = spki
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    match curve {
        Some(curve) if alg == EC_PUBLIC_KEY && curve == PRIME256V1 => {}
        Some(curve) => {
            return Err(RiotExtensionError(format!(
                "the DeviceID key is {alg} on {curve}, not a P-256 EC key"
            )));
        }
        None => {
            return Err(RiotExtensionError(format!(
                "the DeviceID key is {alg} without a named curve, not a P-256 EC key"
            )));
        }
    }
    PublicKey::from_sec1_bytes(spki.subject_public_key.raw_bytes())
        .map_err(|_| RiotExtensionError::new("the DeviceID key is not a point on P-256"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::pkcs8::EncodePublicKey;

    const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");

    fn key() -> PublicKey {
        let d = p256::SecretKey::from_bytes(&[7u8; 32].into()).unwrap();
        d.public_key()
    }

    fn spki(key: &PublicKey) -> Vec<u8> {
        key.to_public_key_der().unwrap().as_bytes().to_vec()
    }

    /// `SEQUENCE { INTEGER 1, spki, SEQUENCE { hash, OCTET STRING digest } }`.
    fn composite(spki: &[u8], hash: &ObjectIdentifier, digest: &[u8]) -> Vec<u8> {
        let hash = element(
            Tag::Sequence,
            &[
                &hash.to_der().unwrap(),
                &OctetStringRef::new(digest).unwrap().to_der().unwrap(),
            ],
        )
        .unwrap();
        element(Tag::Sequence, &[&[2, 1, 1], spki, &hash]).unwrap()
    }

    /// A subjectAltName with one otherName of `oid` around `value`: bare as the device
    /// writes it, or inside RFC 5280's `[0] EXPLICIT`.
    fn san(oid: &ObjectIdentifier, value: &[u8], rfc_5280: bool) -> Vec<u8> {
        let value = if rfc_5280 {
            element(CONTEXT_0, &[value]).unwrap()
        } else {
            value.to_vec()
        };
        let other_name = element(CONTEXT_0, &[&oid.to_der().unwrap(), &value]).unwrap();
        element(Tag::Sequence, &[&other_name]).unwrap()
    }

    fn riot_san(value: &[u8], rfc_5280: bool) -> Vec<u8> {
        san(&RIOT_COMPOSITE_ID, value, rfc_5280)
    }

    fn error_of(san: &[u8]) -> String {
        riot_identity_from_san(san).unwrap_err().to_string()
    }

    #[test]
    fn what_is_written_reads_back() {
        for (scalar, fwid) in [(7u8, 0x2eu8), (1, 0), (0x42, 0xff)] {
            let device_id = p256::SecretKey::from_bytes(&[scalar; 32].into())
                .unwrap()
                .public_key();
            let fwid = Fwid::from_bytes([fwid; 32]);
            let san = riot_san_der(&device_id, &fwid).unwrap();
            assert_eq!(
                riot_identity_from_san(&san).unwrap(),
                Some(RiotIdentity { device_id, fwid })
            );
        }
    }

    #[test]
    fn the_spki_is_the_standard_encoding() {
        assert_eq!(spki_der(&key()).unwrap(), spki(&key()));
    }

    #[test]
    fn the_device_form_and_the_rfc_5280_form_give_the_same_identity() {
        let fwid = Fwid::from_bytes([0x11; 32]);
        let value = composite(&spki(&key()), &SHA256, fwid.as_bytes());
        let device_form = riot_san(&value, false);
        let rfc_form = riot_san(&value, true);
        // The test's device form is the device's own bytes; the RFC form differs from it.
        assert_eq!(device_form, riot_san_der(&key(), &fwid).unwrap());
        assert_ne!(rfc_form, device_form);
        let expected = RiotIdentity {
            device_id: key(),
            fwid,
        };
        assert_eq!(
            riot_identity_from_san(&device_form).unwrap(),
            Some(expected.clone())
        );
        assert_eq!(riot_identity_from_san(&rfc_form).unwrap(), Some(expected));
    }

    #[test]
    fn other_names_are_not_riot() {
        let dns_name = Tag::ContextSpecific {
            constructed: false,
            number: TagNumber(2),
        };
        let dns = element(
            Tag::Sequence,
            &[&element(dns_name, &[b"a.example"]).unwrap()],
        )
        .unwrap();
        assert_eq!(riot_identity_from_san(&dns).unwrap(), None);
        // An otherName of another type, holding something that is not a composite ID.
        let upn = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2.3");
        let upn = san(&upn, &[0x0c, 1, b'a'], true);
        assert_eq!(riot_identity_from_san(&upn).unwrap(), None);
    }

    #[test]
    fn malformed_parts_are_named_in_words() {
        let prefix = "the RIoT extension (1.3.6.1.4.1.311.89.3.1) is malformed: ";
        let key = spki(&key());
        let cases: [(Vec<u8>, &str); 7] = [
            (
                vec![0x04, 0x00],
                "the subjectAltName is not a DER SEQUENCE of names",
            ),
            (
                riot_san(&[0x04, 0x01, 0x00], false),
                "the composite device ID is not a DER SEQUENCE of version, key and FWID",
            ),
            (
                riot_san(&[0x30, 0x03, 0x02, 0x01, 0x01], false),
                "the composite device ID is not a DER SEQUENCE of version, key and FWID",
            ),
            (
                riot_san(&[0x05, 0x00, 0x05, 0x00], true),
                "the [0] EXPLICIT wrapper of the composite device ID does not hold exactly one DER value",
            ),
            (
                riot_san(&composite(&key, &SHA1, &[0; 20]), false),
                "the FWID uses hash 1.3.14.3.2.26, not SHA-256",
            ),
            (
                riot_san(&composite(&key, &SHA256, &[0; 20]), false),
                "the FWID is 20 bytes, not the 32 of SHA-256",
            ),
            (
                riot_san(&composite(&[0x30, 0x00], &SHA256, &[0; 32]), false),
                "the DeviceID key is not a DER SubjectPublicKeyInfo",
            ),
        ];
        for (san, message) in cases {
            assert_eq!(error_of(&san), format!("{prefix}{message}"));
        }
    }

    /// A SubjectPublicKeyInfo of `algorithm` with `parameters` (DER) around `key`.
    fn spki_of(algorithm: &ObjectIdentifier, parameters: &[u8], key: &[u8]) -> Vec<u8> {
        let algorithm =
            element(Tag::Sequence, &[&algorithm.to_der().unwrap(), parameters]).unwrap();
        let key = BitStringRef::from_bytes(key).unwrap().to_der().unwrap();
        element(Tag::Sequence, &[&algorithm, &key]).unwrap()
    }

    #[test]
    fn a_key_that_is_not_p256_is_named() {
        let prefix = "the RIoT extension (1.3.6.1.4.1.311.89.3.1) is malformed: ";
        let point = crate::riot::keys::uncompressed(&key());
        let secp384r1 = [0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
        let ec_public_key = EC_PUBLIC_KEY;
        let cases = [
            (
                spki_of(&ec_public_key, &secp384r1, &point),
                "the DeviceID key is 1.2.840.10045.2.1 on 1.3.132.0.34, not a P-256 EC key",
            ),
            (
                spki_of(&crate::cert::oid::RSA_ENCRYPTION, &[0x05, 0x00], &point),
                "the DeviceID key is 1.2.840.113549.1.1.1 without a named curve, not a P-256 EC key",
            ),
        ];
        for (spki, message) in cases {
            assert_eq!(
                p256_public_key_from_spki(&spki).unwrap_err().to_string(),
                format!("{prefix}{message}")
            );
        }
        let mut off_curve = point.clone();
        off_curve[64] ^= 1;
        let prime256v1 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        assert_eq!(
            p256_public_key_from_spki(&spki_of(&ec_public_key, &prime256v1, &off_curve))
                .unwrap_err()
                .to_string(),
            format!("{prefix}the DeviceID key is not a point on P-256")
        );
        assert_eq!(
            p256_public_key_from_spki(&spki_of(&ec_public_key, &prime256v1, &point)).unwrap(),
            key()
        );
    }
}
