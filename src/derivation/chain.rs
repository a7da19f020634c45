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
    RiotKeys::derive(&cdi, firmware.fwid)
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

/// [`generate`] for many devices at once: the same certificates, their public keys computed
/// from the precomputed tables of [`crate::riot::base_point`] with one field inversion for
/// all of them. One result per device, in order.
pub fn generate_many(
    devices: &[(&Uds, &RegistrationId)],
    firmware: &FirmwareMeasurements,
) -> Vec<Result<AliasCertificate, DeriveError>> {
    let secrets: Vec<Result<RiotSecrets, KeyError>> = devices
        .iter()
        .map(|(uds, _)| {
            let cdi = Cdi::derive(uds, &firmware.riot_core_measure);
            RiotSecrets::derive(&cdi, firmware.fwid)
        })
        .collect();
    let usable: Vec<&RiotSecrets> = secrets.iter().filter_map(|s| s.as_ref().ok()).collect();
    let mut keys = RiotSecrets::keys_many(&usable).into_iter();
    secrets
        .iter()
        .zip(devices)
        .map(|(secret, (_, id))| {
            let secret = secret.as_ref().map_err(|e| DeriveError::Key(e.clone()))?;
            let keys = keys.next().unwrap_or_else(|| secret.keys());
            let der = alias_certificate(id, &keys)?;
            Ok(AliasCertificate {
                registration_id: (*id).clone(),
                keys,
                der,
            })
        })
        .collect()
}
