//! dps-cert-gen: the X.509 alias certificate that an MXChip AZ3166 DevKit presents to Azure
//! IoT Hub Device Provisioning Service, derived on a PC byte for byte as the board does it
//! (DICE/RIoT, `shared/spec/alias-cert.md`).
//!
//! The modules follow the data: firmware image ([`firmware`], [`map_file`], [`elf_file`],
//! checked by [`consistency`], measured by [`measurement`]) -> measured regions
//! ([`regions`]) -> DICE ([`dice_hash`], [`dice`]) -> RIoT keys ([`kdf`], [`riot`])
//! -> certificate ([`alias_cert`], [`device_cert`], [`fixed_nonce`]) -> encodings
//! ([`encoding`]) -> output ([`output`]). [`derivation`] runs the whole chain.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::allow_attributes
    )
)]

pub mod alias_cert;
pub mod args;
pub mod atomic_file;
pub mod base_point;
pub mod batch;
pub mod batch_command;
pub mod batch_summary;
pub mod board;
pub mod cert_reader;
pub mod cert_template;
pub mod consistency;
pub mod derivation;
pub mod device_cert;
pub mod dice;
pub mod dice_hash;
pub mod elf_file;
pub mod encoding;
pub mod error;
pub mod extra_outputs;
pub mod firmware;
pub mod fixed_nonce;
pub mod generate;
pub mod generate_json;
pub mod inputs;
pub mod inspect;
pub mod kdf;
pub mod limits;
pub mod manifest;
pub mod map_file;
pub mod measurement;
pub mod next_steps;
pub mod output;
pub mod output_set;
pub mod prompt;
pub mod regions;
pub mod registration_id;
pub mod riot;
pub mod riot_extension;
pub mod sample_uds;
pub mod signature_check;
pub mod style;
pub mod terminal;
pub mod uds;
pub mod uds_command;
pub mod uds_source;
pub mod untrusted_text;
pub mod verify;

pub use derivation::{AliasCertificate, FirmwareMeasurements, generate};
pub use error::Error;
pub use registration_id::{FirmwareVersion, Mac, RegistrationId};
pub use uds::Uds;
