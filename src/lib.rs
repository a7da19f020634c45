//! dps-cert-gen: the X.509 alias certificate that an MXChip AZ3166 DevKit presents to Azure
//! IoT Hub Device Provisioning Service, derived on a PC byte for byte as the board does it
//! (DICE/RIoT: `docs/derivation.md`).
//!
//! The folders follow the data, and each imports only from those before it:
//! [`firmware`] (map, ELF, `.bin`: the measured regions) -> [`dice`] (UDS, DiceHash, CDI)
//! -> [`riot`] (KDF, the DeviceID and alias keys) -> [`cert`] (the alias and DeviceID
//! certificates, reading and checking certificates) -> [`encoding`] (PEM, DER, base64,
//! thumbprints). [`derivation`] runs the whole chain; [`batch`] runs it for many devices.
//! [`dps`] is what goes to and comes from Azure DPS (enrollments, registration), sans-IO.
//! The library does no printing, no terminal or platform work: the command line
//! (`src/cli/`, binary only) does.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod batch;
pub mod board;
pub mod cert;
pub mod curve;
pub mod derivation;
pub mod dice;
pub mod dps;
pub mod encoding;
pub mod firmware;
pub(crate) mod limits;
pub mod registration_id;
pub mod riot;
pub mod text;

pub use derivation::{AliasCertificate, FirmwareMeasurements, generate};
pub use dice::uds::Uds;
pub use registration_id::{FirmwareVersion, Mac, RegistrationId};
