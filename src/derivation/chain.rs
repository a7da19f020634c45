//! The whole derivation the board runs, from measured regions, UDS and registration ID to
//! the alias certificate: regions -> DICE (CDI) -> RIoT keys -> certificate.

use crate::cert::alias::{CertBuildError, alias_certificate};
use crate::dice::cdi::{Cdi, RiotCoreMeasure};
use crate::dice::uds::Uds;
use crate::encoding::Thumbprints;
use crate::firmware::regions::MeasuredRegions;
use crate::registration_id::RegistrationId;
use crate::riot::keys::{Fwid, KeyError, RiotKeys, RiotSecrets};
use thiserror::Error;

/// Why the derivation failed.
#[derive(Debug, Error)]
pub enum DeriveError {
    /// A derived key is unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The certificate could not be encoded.
    #[error(transparent)]
    Cert(#[from] CertBuildError),
}

/// What the board measures of its firmware: computed once per firmware build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirmwareMeasurements {
    /// DiceHash(riot_core).
    pub riot_core_measure: RiotCoreMeasure,
    /// SHA-256(riot_fw).
    pub fwid: Fwid,
}

impl FirmwareMeasurements {
    /// Measures both regions.
    pub fn of(regions: &MeasuredRegions) -> Self {
        Self {
            riot_core_measure: RiotCoreMeasure::of(regions.riot_core()),
            fwid: Fwid::of(regions.riot_fw()),
        }
    }
}

/// The keys a board with this UDS derives from this firmware.
pub fn derive_keys(uds: &Uds, firmware: &FirmwareMeasurements) -> Result<RiotKeys, KeyError> {
    let cdi = Cdi::derive(uds, &firmware.riot_core_measure);
    RiotKeys::derive_with_fwid(&cdi, firmware.fwid)
}

/// A generated alias certificate and what was derived along the way (no secrets but the
/// keys, which zeroize on drop).
#[derive(Debug, Clone)]
pub struct AliasCertificate {
    /// The registration ID in the subject CN.
    pub registration_id: RegistrationId,
    /// The derived keys and FWID.
    pub keys: RiotKeys,
    /// The certificate's DER.
    pub der: Vec<u8>,
}

impl AliasCertificate {
    /// Thumbprints of the DER.
    pub fn thumbprints(&self) -> Thumbprints {
        Thumbprints::of(&self.der)
    }
}

/// Derives the alias certificate the board presents.
pub fn generate(
    uds: &Uds,
    firmware: &FirmwareMeasurements,
    registration_id: &RegistrationId,
) -> Result<AliasCertificate, DeriveError> {
    let keys = derive_keys(uds, firmware)?;
    let der = alias_certificate(registration_id, &keys)?;
    Ok(AliasCertificate {
        registration_id: registration_id.clone(),
        keys,
        der,
    })
}

/// As [`derive_keys`], with the public keys computed from precomputed tables: faster for
/// many devices, same keys (see [`crate::riot::base_point`]).
pub fn derive_keys_with_tables(
    uds: &Uds,
    firmware: &FirmwareMeasurements,
) -> Result<RiotKeys, KeyError> {
    let cdi = Cdi::derive(uds, &firmware.riot_core_measure);
    Ok(RiotSecrets::derive(&cdi, firmware.fwid)?.into_keys_with_tables())
}

/// As [`generate`], for one device of many: the same certificate, derived with
/// [`derive_keys_with_tables`].
pub fn generate_with_tables(
    uds: &Uds,
    firmware: &FirmwareMeasurements,
    registration_id: &RegistrationId,
) -> Result<AliasCertificate, DeriveError> {
    let keys = derive_keys_with_tables(uds, firmware)?;
    let der = alias_certificate(registration_id, &keys)?;
    Ok(AliasCertificate {
        registration_id: registration_id.clone(),
        keys,
        der,
    })
}

/// [`generate_with_tables`] for many devices at once: the same certificates, with one field
/// inversion for all the public keys. One result per device, in order.
pub fn generate_many(
    devices: &[(&Uds, &RegistrationId)],
    firmware: &FirmwareMeasurements,
) -> Vec<Result<AliasCertificate, DeriveError>> {
    let mut results: Vec<Option<Result<AliasCertificate, DeriveError>>> =
        (0..devices.len()).map(|_| None).collect();
    let mut secrets = Vec::with_capacity(devices.len());
    let mut slots = Vec::with_capacity(devices.len());
    for (i, (uds, _)) in devices.iter().enumerate() {
        let cdi = Cdi::derive(uds, &firmware.riot_core_measure);
        match RiotSecrets::derive(&cdi, firmware.fwid) {
            Ok(s) => {
                secrets.push(s);
                slots.push(i);
            }
            Err(e) => {
                if let Some(r) = results.get_mut(i) {
                    *r = Some(Err(e.into()));
                }
            }
        }
    }
    for (i, keys) in slots.into_iter().zip(RiotSecrets::into_keys_many(secrets)) {
        if let (Some(r), Some((_, id))) = (results.get_mut(i), devices.get(i)) {
            *r = Some(alias_certificate(id, &keys).map_err(Into::into).map(|der| {
                AliasCertificate {
                    registration_id: (*id).clone(),
                    keys,
                    der,
                }
            }));
        }
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(DeriveError::Cert(CertBuildError("no result".into())))))
        .collect()
}
