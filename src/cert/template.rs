//! What the device's two certificates share (spec sections 5 and 6): the DevKit issuer name,
//! the validity, and the name layout (UTF8String values in the order CN, C, O).

use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, SerialNumber, date_time_ymd};

/// Common name of the DeviceID (the alias certificate's issuer).
pub(crate) const ISSUER_CN: &str = "devkitdice";
/// Country in every DevKit name.
pub(crate) const COUNTRY: &str = "US";
/// Organisation in every DevKit name.
pub(crate) const ORGANIZATION: &str = "DEVKIT_TEST";

/// A DevKit name: `{CN cn, C "US", O "DEVKIT_TEST"}`, all UTF8String.
pub(crate) fn devkit_name(cn: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, DnValue::Utf8String(cn.to_string()));
    name.push(
        DnType::CountryName,
        DnValue::Utf8String(COUNTRY.to_string()),
    );
    name.push(
        DnType::OrganizationName,
        DnValue::Utf8String(ORGANIZATION.to_string()),
    );
    name
}

/// Parameters with the DevKit validity (2017-01-01 to 2037-01-01), the given serial and
/// subject CN, and no extensions yet.
pub(crate) fn devkit_params(serial: &[u8], subject_cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.serial_number = Some(SerialNumber::from_slice(serial));
    params.not_before = date_time_ymd(2017, 1, 1);
    params.not_after = date_time_ymd(2037, 1, 1);
    params.distinguished_name = devkit_name(subject_cn);
    params
}
