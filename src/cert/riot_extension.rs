//! Reading the RIoT composite device ID (OID 1.3.6.1.4.1.311.89.3.1) back out of a
//! subjectAltName: the DeviceID public key and the FWID. Lenient, as spec section 5 asks: the
//! device writes the otherName value without RFC 5280's `[0] EXPLICIT` wrapper, and the
//! RFC form is accepted too.

use crate::cert::alias::RIOT_OID;
use crate::riot::keys::Fwid;
use p256::PublicKey;
use thiserror::Error;
use yasna::Tag;
use yasna::models::ObjectIdentifier;

const SHA256_OID: [u64; 9] = [2, 16, 840, 1, 101, 3, 4, 2, 1];
const EC_PUBLIC_KEY: [u64; 6] = [1, 2, 840, 10045, 2, 1];
const PRIME256V1: [u64; 7] = [1, 2, 840, 10045, 3, 1, 7];

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

fn asn1(e: yasna::ASN1Error) -> RiotExtensionError {
    RiotExtensionError(format!("{e:?}"))
}

/// Looks for the RIoT otherName in the DER of a subjectAltName extension value. `Ok(None)`:
/// the extension holds no RIoT name.
pub(crate) fn riot_identity_from_san(
    san: &[u8],
) -> Result<Option<RiotIdentity>, RiotExtensionError> {
    let names = yasna::parse_ber(san, |r| r.collect_sequence_of(|r| r.read_der()))
        .map_err(|e| RiotExtensionError(format!("the subjectAltName does not parse ({e:?})")))?;
    let riot = ObjectIdentifier::from_slice(&RIOT_OID);
    for name in names {
        // otherName is [0], constructed: A0.
        if name.first() != Some(&0xa0) {
            continue;
        }
        let Ok((oid, value)) = yasna::parse_ber(&name, |r| {
            r.read_tagged_implicit(Tag::context(0), |r| {
                r.read_sequence(|r| {
                    let oid = r.next().read_oid()?;
                    let value = r.next().read_der()?;
                    Ok((oid, value))
                })
            })
        }) else {
            continue;
        };
        if oid != riot {
            continue;
        }
        let composite = if value.first() == Some(&0xa0) {
            // RFC 5280 form: [0] EXPLICIT around the value.
            yasna::parse_ber(&value, |r| r.read_tagged(Tag::context(0), |r| r.read_der()))
                .map_err(asn1)?
        } else {
            value
        };
        return parse_composite(&composite).map(Some);
    }
    Ok(None)
}

/// `SEQUENCE { INTEGER version, SubjectPublicKeyInfo DeviceID, SEQUENCE { OID, OCTET STRING } }`.
fn parse_composite(der: &[u8]) -> Result<RiotIdentity, RiotExtensionError> {
    let (spki, hash_oid, digest) = yasna::parse_ber(der, |r| {
        r.read_sequence(|r| {
            let _version = r.next().read_i64()?;
            let spki = r.next().read_der()?;
            let (oid, digest) = r.next().read_sequence(|r| {
                let oid = r.next().read_oid()?;
                let digest = r.next().read_bytes()?;
                Ok((oid, digest))
            })?;
            Ok((spki, oid, digest))
        })
    })
    .map_err(|e| RiotExtensionError(format!("the composite device ID does not parse ({e:?})")))?;
    if hash_oid != ObjectIdentifier::from_slice(&SHA256_OID) {
        return Err(RiotExtensionError(format!(
            "the FWID uses hash {hash_oid}, not SHA-256"
        )));
    }
    let fwid: [u8; 32] = digest.as_slice().try_into().map_err(|_| {
        RiotExtensionError(format!(
            "the FWID is {} bytes, not the 32 of SHA-256",
            digest.len()
        ))
    })?;
    Ok(RiotIdentity {
        device_id: p256_public_key_from_spki(&spki)?,
        fwid: Fwid::from_bytes(fwid),
    })
}

/// The P-256 public key in a `SubjectPublicKeyInfo` DER.
pub(crate) fn p256_public_key_from_spki(der: &[u8]) -> Result<PublicKey, RiotExtensionError> {
    let (alg, curve, point) = yasna::parse_ber(der, |r| {
        r.read_sequence(|r| {
            let (alg, curve) = r.next().read_sequence(|r| {
                let alg = r.next().read_oid()?;
                let curve = r.next().read_oid()?;
                Ok((alg, curve))
            })?;
            let (point, _bits) = r.next().read_bitvec_bytes()?;
            Ok((alg, curve, point))
        })
    })
    .map_err(|e| RiotExtensionError(format!("the DeviceID key does not parse ({e:?})")))?;
    if alg != ObjectIdentifier::from_slice(&EC_PUBLIC_KEY)
        || curve != ObjectIdentifier::from_slice(&PRIME256V1)
    {
        return Err(RiotExtensionError(format!(
            "the DeviceID key is {alg} on {curve}, not a P-256 EC key"
        )));
    }
    PublicKey::from_sec1_bytes(&point)
        .map_err(|_| RiotExtensionError("the DeviceID key is not a point on P-256".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cert::alias::riot_san_der;

    fn key() -> PublicKey {
        let d = p256::SecretKey::from_bytes(&[7u8; 32].into()).unwrap();
        d.public_key()
    }

    #[test]
    fn reads_what_the_device_writes() {
        let fwid = Fwid::from_bytes([0x2e; 32]);
        let san = riot_san_der(&key(), &fwid);
        let id = riot_identity_from_san(&san).unwrap().unwrap();
        assert_eq!(id.device_id, key());
        assert_eq!(id.fwid, fwid);
    }

    #[test]
    fn reads_the_rfc_5280_form_too() {
        let fwid = Fwid::from_bytes([0x11; 32]);
        let device_form = riot_san_der(&key(), &fwid);
        // Rebuild with [0] EXPLICIT around the composite.
        let (oid, value) = yasna::parse_der(&device_form, |r| {
            r.read_sequence(|r| {
                r.next().read_tagged_implicit(Tag::context(0), |r| {
                    r.read_sequence(|r| Ok((r.next().read_oid()?, r.next().read_der()?)))
                })
            })
        })
        .unwrap();
        let rfc = yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next().write_tagged_implicit(Tag::context(0), |w| {
                    w.write_sequence(|w| {
                        w.next().write_oid(&oid);
                        w.next()
                            .write_tagged(Tag::context(0), |w| w.write_der(&value));
                    })
                })
            })
        });
        let id = riot_identity_from_san(&rfc).unwrap().unwrap();
        assert_eq!(id.fwid, fwid);
    }

    #[test]
    fn other_names_are_not_riot() {
        let san = yasna::construct_der(|w| {
            w.write_sequence(|w| {
                w.next()
                    .write_tagged_implicit(Tag::context(2), |w| w.write_ia5_string("a.example"));
            })
        });
        assert_eq!(riot_identity_from_san(&san).unwrap(), None);
    }
}
