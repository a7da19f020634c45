//! The first vector (`fixtures/cases.json`, "shared-0") as the certificate tests need it.

use crate::dice::cdi::{Cdi, RiotCoreMeasure};
use crate::dice::uds::Uds;
use crate::riot::keys::{Fwid, RiotKeys};

/// The keys of the first vector (`fixtures/cases.json`, "shared-0"), from its UDS, its
/// measured riot_core (DiceHash) and its FWID.
pub(crate) fn vector_keys() -> RiotKeys {
    let uds =
        Uds::from_hex("19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae").unwrap();
    let cdi = Cdi::derive(&uds, &RiotCoreMeasure::of(&vector_riot_core()));
    let mut fwid = [0u8; 32];
    hex::decode_to_slice(
        "2e791b73368545bf45a614513f4f613331f1963a2d2c07467e4f79012e495fd1",
        &mut fwid,
    )
    .unwrap();
    RiotKeys::derive(&cdi, Fwid::from_bytes(fwid)).unwrap()
}

/// The vector's riot_core bytes: [0x2d, 0xc0) of its `.bin`.
fn vector_riot_core() -> Vec<u8> {
    include_bytes!("../../fixtures/devkit-a/DevKitDPS.ino.bin")[0x2d..0xc0].to_vec()
}
