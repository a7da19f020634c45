//! Rows that share a UDS (one secret on two boards): found through a fingerprint of each
//! row's UDS, never by keeping a second copy of the secret. The fingerprint is a
//! domain-separated SHA-256 cut to 128 bits (not the DICE code's hash of the UDS, so not a
//! value the derivation uses), held only while the rows are compared, and wiped after.

use crate::batch::manifest::Manifest;
use crate::dice::uds::Uds;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use zeroize::Zeroize;

/// Put before the UDS in its fingerprint: no other hash of a UDS is this one.
const DOMAIN: &[u8] = b"dps-cert-gen: is this UDS on another row of the manifest?\0";

/// The 128-bit fingerprint of a UDS: two UDSs collide by chance with odds of about
/// 2^-128 per pair, never in a manifest a person can write.
fn fingerprint(uds: &Uds) -> [u8; 16] {
    let mut digest: [u8; 32] = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(uds.as_bytes())
        .finalize()
        .into();
    let mut print = [0u8; 16];
    print.copy_from_slice(digest.get(..16).unwrap_or_default());
    digest.zeroize();
    print
}

/// Every row (by index) whose UDS another valid row has too, with the line of another row
/// with it: the earliest such row other than itself. Rows that are invalid already are not
/// compared. Empty when every board has its own UDS.
pub fn shared(manifest: &Manifest) -> HashMap<usize, u64> {
    let mut prints: Vec<([u8; 16], usize)> = manifest
        .rows
        .par_iter()
        .enumerate()
        .filter_map(|(index, row)| Some((fingerprint(&row.device.as_ref().ok()?.uds), index)))
        .collect();
    // By fingerprint, then row: each group of equal fingerprints starts with its first row.
    prints.par_sort_unstable();
    let line = |index: usize| manifest.rows.get(index).map_or(0, |row| row.line);
    let mut shared = HashMap::new();
    for group in prints.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, first), (_, second), ..] = group {
            for (_, index) in group {
                let other = if index == first { *second } else { *first };
                shared.insert(*index, line(other));
            }
        }
    }
    for (print, _) in &mut prints {
        print.zeroize();
    }
    shared
}
