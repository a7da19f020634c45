//! Stage: Azure IoT Hub Device Provisioning Service, sans-IO. What goes over the wire and
//! what comes back, as values: the service connection string (a secret) and its SAS token,
//! the individual-enrollment and bulk bodies, the device registration, the service's answers
//! parsed, and the outcomes a user is told about. No socket, no clock, no printing: the
//! command line sends the [`request::Request`]s these modules make and hands them the answers.
//!
//! The facts follow the DPS note of this project (`docs/dps.md`): API version 2021-10-01,
//! the SAS of its section 1.2, the ETag rules of 2.5, bulk of at most 10, the device API
//! with the alias certificate as the TLS client certificate.

pub mod bulk;
pub mod connection_string;
pub mod device;
pub mod enroll_flow;
pub mod enrollment;
pub mod enrollment_id;
pub mod request;
pub mod sas;
pub mod service_answer;

/// The service API's version (individual enrollments, bulk).
pub const SERVICE_API_VERSION: &str = "2021-10-01";
/// The device API's version (registration, operation status).
pub const DEVICE_API_VERSION: &str = "2021-10-01";
/// The global device endpoint, where boards register.
pub const GLOBAL_DEVICE_HOST: &str = "global.azure-devices-provisioning.net";
