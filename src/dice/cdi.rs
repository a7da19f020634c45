//! The DICE layer (spec section 3): UDS + riot_core -> CDI, with [`dice_hash`].

use crate::dice::hash::dice_hash;
use crate::dice::uds::Uds;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// DiceHash of the `riot_core` bytes ("rDigest"): what the board measures of its RIoT code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiotCoreMeasure([u8; 32]);

impl RiotCoreMeasure {
    /// Measures the `riot_core` bytes.
    pub fn of(riot_core: &[u8]) -> Self {
        Self(dice_hash(riot_core))
    }

    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// The Compound Device Identifier: a secret, zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Cdi([u8; 32]);

impl Cdi {
    /// `CDI = DiceHash(DiceHash(UDS) || measure)`.
    pub fn derive(uds: &Uds, measure: &RiotCoreMeasure) -> Self {
        let uds_digest = Zeroizing::new(dice_hash(uds.as_bytes()));
        let mut input = Zeroizing::new([0u8; 64]);
        for (d, s) in input
            .iter_mut()
            .zip(uds_digest.iter().chain(measure.as_bytes()))
        {
            *d = *s;
        }
        Self(dice_hash(input.as_ref()))
    }

    /// The secret bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for Cdi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cdi(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first vector (`fixtures/cases.json`, "shared-0"): its UDS and DiceHash(riot_core)
    /// give its CDI.
    #[test]
    fn cdi_known_answer() {
        let uds = Uds::from_hex("19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae")
            .unwrap();
        let mut measure = [0u8; 32];
        hex::decode_to_slice(
            "b23a21c33d6213699f80035211d330bcb7e9e7dbbef8a7e4975c2f4ade05192f",
            &mut measure,
        )
        .unwrap();
        let cdi = Cdi::derive(&uds, &RiotCoreMeasure(measure));
        assert_eq!(
            hex::encode(cdi.as_bytes()),
            "9d9193d1328a5803daec8400ef3ab363e38c41537390146a50fbc941db6f7510"
        );
    }
}
