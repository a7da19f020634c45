//! `inspect`: the facts of a certificate. For a DevKit alias certificate: the registration ID,
//! the alias key, the DeviceID key and FWID from the RIoT extension, whether the signature
//! verifies under that DeviceID key, and whether the fixed nonce exposes the DeviceID private
//! key. For any other certificate: the general fields.

use crate::cert::oid::{
    COMMON_NAME, EC_PUBLIC_KEY, ECDSA_WITH_SHA256, ED25519, ORGANIZATION_NAME, RSA_ENCRYPTION,
    SUBJECT_ALT_NAME, curve_name, signature_algorithm_name,
};
use crate::cert::reader::{CertReadError, InputEncoding, decode_certificate};
use crate::cert::riot_extension::{
    RiotIdentity, p256_public_key_from_spki, riot_identity_from_san,
};
use crate::cert::signature_check::SignedParts;
use crate::cert::template::{ISSUER_CN, ORGANIZATION};
use crate::encoding::Thumbprints;
use crate::riot::keys::{Fwid, uncompressed};
use p256::PublicKey;
use serde::Serialize;
use std::fmt::Write as _;
use thiserror::Error;
use x509_cert::certificate::{CertificateInner, Raw};
use x509_cert::der::asn1::{AnyRef, ObjectIdentifier, UintRef};
use x509_cert::der::{Decode, Encode, Reader};
use x509_cert::name::Name;

/// The organisation Microsoft's RIoT reference code and its emulator put in their names.
const RIOT_TEST_ORGANIZATION: &str = "MSR_TEST";
/// The subject CN RIoT's reference code gives the DeviceID certificate.
const RIOT_DEVICE_ID_CN: &str = "RIoT Core";

/// What kind of certificate it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// A RIoT alias certificate issued by `CN=devkitdice, O=DEVKIT_TEST`: what a DevKit
    /// presents to DPS.
    DevkitAlias,
    /// The DevKit's self-signed DeviceID certificate (spec section 6).
    DevkitDeviceId,
    /// A RIoT alias certificate (it carries the RIoT extension) of another issuer: Microsoft's
    /// RIoT emulator or reference code, not a DevKit.
    RiotAlias,
    /// A self-signed RIoT DeviceID certificate (`CN=RIoT Core`) of another origin than a
    /// DevKit.
    RiotDeviceId,
    /// Another certificate of Microsoft's RIoT test names (`O=MSR_TEST`): a RIoT root, or an
    /// alias or DeviceID certificate whose extension or issuer's key is not at hand.
    RiotOther,
    /// Anything else.
    Other,
}

impl CertKind {
    /// The kind in words.
    pub fn describe(self) -> &'static str {
        match self {
            CertKind::DevkitAlias => "DevKit RIoT alias certificate",
            CertKind::DevkitDeviceId => {
                "DevKit DeviceID certificate (self-signed; not the alias certificate the board presents)"
            }
            CertKind::RiotAlias => {
                "RIoT alias certificate, not from a DevKit (its issuer is not CN=devkitdice, O=DEVKIT_TEST)"
            }
            CertKind::RiotDeviceId => "RIoT DeviceID certificate (self-signed), not from a DevKit",
            CertKind::RiotOther => {
                "RIoT certificate (Microsoft's RIoT test names, O=MSR_TEST), not from a DevKit"
            }
            CertKind::Other => "not a DevKit RIoT alias certificate",
        }
    }

    /// Whether the key that signed it is a DeviceID key (an alias certificate's issuer, or a
    /// self-signed DeviceID certificate's own).
    fn signed_by_device_id(self) -> bool {
        matches!(
            self,
            CertKind::DevkitAlias
                | CertKind::DevkitDeviceId
                | CertKind::RiotAlias
                | CertKind::RiotDeviceId
        )
    }
}

/// A public key, described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyFacts {
    /// "EC P-256", "RSA 2048 bits", or the algorithm's OID.
    pub algorithm: String,
    /// For EC keys, the point as hex (`04 || X || Y` for P-256); otherwise null.
    pub point: Option<String>,
}

/// The signature, and what was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureFacts {
    /// "ecdsa-with-SHA256", another name, or the OID.
    pub algorithm: String,
    /// The key it was checked with: "device-id" (from the RIoT extension), "own" (a
    /// self-signed certificate), or null when no key was at hand.
    pub checked_with: Option<&'static str>,
    /// Whether it verifies under that key; null when not checked.
    pub verifies: Option<bool>,
    /// Whether `r` is that of a known fixed nonce: the DevKit's (spec section 5), or the
    /// 2017 RIoT emulator's.
    pub fixed_nonce: bool,
    /// That fixed nonce, in words ("the fixed nonce of ..."); none when none.
    #[serde(skip)]
    pub fixed_nonce_name: Option<&'static str>,
}

/// The facts of one certificate.
#[derive(Debug, Clone, Serialize)]
pub struct Inspection {
    /// The file name, or "standard input".
    pub source: String,
    /// How the input was encoded.
    pub encoding: InputEncoding,
    /// What kind of certificate this is.
    pub kind: CertKind,
    /// The subject CN of a DevKit alias certificate; null for other kinds.
    pub registration_id: Option<String>,
    /// The subject, as `CN=..., C=..., O=...` in certificate order.
    pub subject: String,
    /// The issuer, likewise.
    pub issuer: String,
    /// The serial number, upper-case hex.
    pub serial: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// The subject's public key (the alias key for an alias certificate).
    pub public_key: KeyFacts,
    /// The DeviceID public key from the RIoT extension (or the subject key of a DeviceID
    /// certificate), hex; null otherwise.
    pub device_id_public_key: Option<String>,
    /// The FWID from the RIoT extension, hex; null otherwise.
    pub fwid: Option<String>,
    /// SHA-1 and SHA-256 of the DER, upper-case hex.
    pub thumbprints: Thumbprints,
    /// The signature.
    pub signature: SignatureFacts,
    /// Whether anyone can compute the DeviceID private key from this certificate (checked by
    /// computing it and comparing its public half).
    pub device_id_private_key_exposed: bool,
    /// Notes for the user.
    pub warnings: Vec<String>,
    /// The certificate's DER.
    #[serde(skip)]
    pub der: Vec<u8>,
    /// The RIoT identity, for an alias certificate.
    #[serde(skip)]
    pub riot: Option<RiotIdentity>,
    /// The subject's P-256 key, when it is one.
    #[serde(skip)]
    pub subject_key: Option<PublicKey>,
    /// Whether issuer and subject are the same name.
    #[serde(skip)]
    pub self_issued: bool,
}

/// Why a certificate could not be inspected or compared.
#[derive(Debug, Error)]
pub enum CertificateError {
    /// The input is not a certificate.
    #[error(transparent)]
    Read(#[from] CertReadError),
    /// `verify` was given a certificate that is not an alias certificate.
    #[error(
        "{source_name} is {what}; verify compares the alias certificate the board presents (the one enrolled in DPS)"
    )]
    NotAlias {
        /// The file name, or "standard input".
        source_name: String,
        /// What it is.
        what: &'static str,
    },
}

/// Inspects a certificate in any accepted encoding.
pub fn inspect_bytes(bytes: &[u8], source_name: &str) -> Result<Inspection, CertReadError> {
    let input = decode_certificate(bytes, source_name)?;
    let mut inspection = inspect_der(&input.der, source_name, input.encoding)?;
    if input.ignored_certificates > 0 {
        inspection.warnings.insert(
            0,
            format!(
                "{source_name} holds {} more certificate(s) after the first; only the first is shown",
                input.ignored_certificates
            ),
        );
    }
    Ok(inspection)
}

fn name_text(name: &Name) -> String {
    name.iter_rdn()
        .map(|rdn| rdn.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn common_name(name: &Name) -> Option<String> {
    attribute(name, COMMON_NAME)
}

fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.iter().find(|atv| atv.oid == oid).and_then(|atv| {
        x509_cert::ext::pkix::name::DirectoryString::try_from(&atv.value)
            .ok()
            .map(|s| s.value().into_owned())
    })
}

/// The bit length of an RSA modulus in the DER of `RSAPublicKey`
/// (`SEQUENCE { INTEGER modulus, INTEGER publicExponent }`).
fn rsa_bits(key: &[u8]) -> Option<usize> {
    let modulus = AnyRef::from_der(key)
        .ok()?
        .sequence(|r| {
            let n: UintRef<'_> = r.decode()?;
            let _e: AnyRef<'_> = r.decode()?;
            Ok::<_, x509_cert::der::Error>(n.as_bytes())
        })
        .ok()?;
    let first = modulus.iter().position(|b| *b != 0)?;
    let top = *modulus.get(first)?;
    Some((modulus.len() - first - 1) * 8 + (8 - top.leading_zeros() as usize))
}

fn key_facts(cert: &CertificateInner<Raw>) -> (KeyFacts, Option<PublicKey>) {
    let spki = cert.tbs_certificate().subject_public_key_info();
    let alg = spki.algorithm.oid.to_string();
    let key_bytes = spki.subject_public_key.raw_bytes();
    if spki.algorithm.oid == EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .map(|o| curve_name(&o))
            .unwrap_or_else(|| "(no curve)".to_string());
        let p256 = spki
            .to_der()
            .ok()
            .and_then(|der| p256_public_key_from_spki(&der).ok());
        return (
            KeyFacts {
                algorithm: format!("EC {curve}"),
                point: Some(hex::encode(key_bytes)),
            },
            p256,
        );
    }
    let algorithm = match spki.algorithm.oid {
        RSA_ENCRYPTION => match rsa_bits(key_bytes) {
            Some(bits) => format!("RSA {bits} bits"),
            None => "RSA".to_string(),
        },
        ED25519 => "Ed25519".to_string(),
        _ => alg,
    };
    (
        KeyFacts {
            algorithm,
            point: None,
        },
        None,
    )
}

fn riot_from_extensions(
    cert: &CertificateInner<Raw>,
    warnings: &mut Vec<String>,
) -> Option<RiotIdentity> {
    let extensions = cert.tbs_certificate().extensions()?;
    for ext in extensions.iter().filter(|e| e.extn_id == SUBJECT_ALT_NAME) {
        match riot_identity_from_san(ext.extn_value.as_bytes()) {
            Ok(Some(identity)) => return Some(identity),
            Ok(None) => {}
            Err(e) => warnings.push(e.to_string()),
        }
    }
    None
}

/// Inspects a certificate's DER.
pub fn inspect_der(
    der: &[u8],
    source_name: &str,
    encoding: InputEncoding,
) -> Result<Inspection, CertReadError> {
    let not_x509 = || CertReadError::NotX509 {
        source_name: source_name.to_string(),
        encoding,
    };
    let cert = CertificateInner::<Raw>::from_der(der).map_err(|_| not_x509())?;
    let parts = SignedParts::of(der).ok_or_else(not_x509)?;
    let tbs = cert.tbs_certificate();
    let mut warnings = Vec::new();
    let (public_key, subject_key) = key_facts(&cert);
    let riot = riot_from_extensions(&cert, &mut warnings);
    let subject_cn = common_name(tbs.subject());
    let self_issued = tbs.subject() == tbs.issuer();
    let sig_oid = cert.signature_algorithm().oid;
    let is_ecdsa_p256 = sig_oid == ECDSA_WITH_SHA256;

    // The key the signature can be checked with: the DeviceID key an alias certificate
    // carries, or the own key of a self-signed certificate.
    // Only the DevKit's issuer name makes a DevKit certificate: RIoT's emulator and
    // reference code make certificates of the same shape under their own names.
    let issuer_cn = common_name(tbs.issuer());
    let issuer_o = attribute(tbs.issuer(), ORGANIZATION_NAME);
    let devkit_issuer =
        issuer_cn.as_deref() == Some(ISSUER_CN) && issuer_o.as_deref() == Some(ORGANIZATION);
    let riot_names = issuer_o.as_deref() == Some(RIOT_TEST_ORGANIZATION)
        || attribute(tbs.subject(), ORGANIZATION_NAME).as_deref() == Some(RIOT_TEST_ORGANIZATION);
    let (kind, signer, checked_with) = match (&riot, &subject_key) {
        (Some(identity), _) => (
            if devkit_issuer {
                CertKind::DevkitAlias
            } else {
                CertKind::RiotAlias
            },
            Some(identity.device_id),
            Some("device-id"),
        ),
        (None, Some(own)) if self_issued && is_ecdsa_p256 => {
            let verifies = parts.verifies_under(own);
            let kind = if devkit_issuer && subject_cn.as_deref() == Some(ISSUER_CN) && verifies {
                CertKind::DevkitDeviceId
            } else if riot_names && subject_cn.as_deref() == Some(RIOT_DEVICE_ID_CN) && verifies {
                CertKind::RiotDeviceId
            } else if riot_names {
                CertKind::RiotOther
            } else {
                CertKind::Other
            };
            (kind, Some(*own), Some("own"))
        }
        _ if riot_names => (CertKind::RiotOther, None, None),
        _ => (CertKind::Other, None, None),
    };
    let verifies = match signer {
        Some(key) if is_ecdsa_p256 => Some(parts.verifies_under(&key)),
        Some(_) => Some(false),
        None => None,
    };
    let fixed_nonce_name = if is_ecdsa_p256 {
        parts.fixed_nonce().map(|n| n.name)
    } else {
        None
    };
    let fixed_nonce = fixed_nonce_name.is_some();
    let device_id_private_key_exposed = kind.signed_by_device_id()
        && is_ecdsa_p256
        && signer.is_some_and(|key| parts.exposes_private_key_of(&key));
    if kind == CertKind::DevkitAlias {
        match crate::registration_id::RegistrationId::new(subject_cn.as_deref().unwrap_or_default())
        {
            Ok(id) => warnings.extend(id.warning()),
            Err(e) => warnings.push(format!(
                "the subject CN is not a registration ID the board can use: {e}"
            )),
        }
    }
    let device_id_public_key = match kind {
        CertKind::DevkitAlias | CertKind::RiotAlias => riot
            .as_ref()
            .map(|r| hex::encode(uncompressed(&r.device_id))),
        CertKind::DevkitDeviceId | CertKind::RiotDeviceId => {
            subject_key.as_ref().map(|k| hex::encode(uncompressed(k)))
        }
        CertKind::RiotOther | CertKind::Other => None,
    };
    Ok(Inspection {
        source: source_name.to_string(),
        encoding,
        kind,
        registration_id: if kind == CertKind::DevkitAlias {
            subject_cn
        } else {
            None
        },
        subject: name_text(tbs.subject()),
        issuer: name_text(tbs.issuer()),
        serial: hex::encode_upper(tbs.serial_number().as_bytes()),
        not_before: tbs.validity().not_before.to_string(),
        not_after: tbs.validity().not_after.to_string(),
        public_key,
        device_id_public_key,
        fwid: riot.as_ref().map(|r| hex::encode(r.fwid.as_bytes())),
        thumbprints: Thumbprints::of(der),
        signature: SignatureFacts {
            algorithm: signature_algorithm_name(&sig_oid),
            checked_with,
            verifies,
            fixed_nonce,
            fixed_nonce_name,
        },
        device_id_private_key_exposed,
        warnings,
        der: der.to_vec(),
        riot,
        subject_key,
        self_issued,
    })
}

impl Inspection {
    /// The FWID, for an alias certificate.
    pub fn fwid(&self) -> Option<Fwid> {
        self.riot.as_ref().map(|r| r.fwid)
    }

    /// What the signature check found, in words.
    fn signature_text(&self) -> String {
        let alg = &self.signature.algorithm;
        match (self.signature.checked_with, self.signature.verifies) {
            (Some("device-id"), Some(true)) => {
                format!("{alg}, verifies under the DeviceID key it carries")
            }
            (Some("device-id"), _) => format!(
                "{alg}, does NOT verify under the DeviceID key it carries: the certificate was altered, or no DevKit made it"
            ),
            (Some(_), Some(true)) => format!("{alg}, verifies under its own key (self-signed)"),
            (Some(_), _) => format!("{alg}, does NOT verify under its own key"),
            (None, _) if self.self_issued => {
                format!("{alg}, not checked (only ECDSA P-256 signatures are checked)")
            }
            (None, _) => format!("{alg}, not checked (the issuer's key is not in the certificate)"),
        }
    }

    /// The text report. Every text taken from the certificate (or its file name) is
    /// made printable: a subject CN holding escape sequences cannot retitle or clear the
    /// terminal; the only control characters are the line ends written here.
    pub fn render(&self) -> String {
        use crate::text::printable::without_controls;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} ({}): {}",
            without_controls(&self.source),
            self.encoding,
            self.kind.describe()
        );
        let mut field = |label: &str, value: &str| {
            let value = without_controls(value);
            let _ = writeln!(out, "  {:<21}{value}", format!("{label}:"));
        };
        if let Some(id) = &self.registration_id {
            field("registration ID", &format!("{id} (subject CN)"));
        }
        field("subject", &self.subject);
        field("issuer", &self.issuer);
        field("serial", &self.serial);
        field(
            "validity",
            &format!("{} to {}", self.not_before, self.not_after),
        );
        let key_label = match self.kind {
            CertKind::DevkitAlias | CertKind::RiotAlias => "alias public key",
            CertKind::DevkitDeviceId | CertKind::RiotDeviceId => "DeviceID public key",
            CertKind::RiotOther | CertKind::Other => "public key",
        };
        let key = match &self.public_key.point {
            Some(point) => format!("{} {point}", self.public_key.algorithm),
            None => self.public_key.algorithm.clone(),
        };
        field(key_label, &key);
        if let (CertKind::DevkitAlias | CertKind::RiotAlias, Some(device_id)) =
            (self.kind, &self.device_id_public_key)
        {
            field("DeviceID public key", &format!("EC P-256 {device_id}"));
        }
        if let Some(fwid) = &self.fwid {
            field("FWID", &format!("{fwid} (SHA-256 of riot_fw)"));
        }
        field("SHA-1 thumbprint", &self.thumbprints.sha1);
        field("SHA-256 thumbprint", &self.thumbprints.sha256);
        field("signature", &self.signature_text());
        match self.signature.fixed_nonce_name {
            Some(nonce) if self.device_id_private_key_exposed => {
                out.push('\n');
                out.push_str(&exposure_text(nonce));
            }
            Some(nonce) => {
                let _ = writeln!(
                    out,
                    "\nIts signature uses {nonce}:\nanyone can compute the signer's private key."
                );
            }
            None => {}
        }
        for w in &self.warnings {
            let _ = writeln!(out, "\nwarning: {}", without_controls(w));
        }
        out
    }
}

/// What a fixed nonce (spec section 5; `nonce` is its [`KnownNonce::name`]) means for the
/// user, in plain words.
///
/// [`KnownNonce::name`]: crate::cert::fixed_nonce::KnownNonce::name
pub fn exposure_text(nonce: &str) -> String {
    let r = crate::cert::fixed_nonce::KNOWN_FIXED_NONCES
        .iter()
        .find(|n| n.name == nonce)
        .map(|n| hex::encode_upper(n.r))
        .unwrap_or_default();
    let (head, tail) = (
        r.get(..8).unwrap_or_default(),
        r.get(60..).unwrap_or_default(),
    );
    format!(
        "\
This certificate exposes its DeviceID private key. It was signed with
{nonce} (r = {head}...{tail}),
so anyone who holds it can compute the DeviceID private key:
d = (s*k - z) / r mod n (checked: that key matches the DeviceID key above).
  - Individual enrollment is still sound: DPS checks the alias key, and the alias
    private key is not exposed (it signs nothing that leaves the board).
  - Do not trust the DeviceID key as a long-term identity: anyone can sign as it,
    so it must not anchor a group enrollment or a CA chain.
"
    )
}
