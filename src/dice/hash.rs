//! DiceHash: the DICE layer's byte-swapped SHA-256 (spec section 3).
//!
//! The device's DICE code runs the SHA-256 compression function on message words read
//! little-endian, pads with a little-endian bit length, and writes the state out
//! little-endian. It is built here on [`sha2::block_api::compress256`], so it runs at the
//! speed of the real SHA-256.

use sha2::block_api::compress256;
use zeroize::Zeroize;

/// SHA-256's initial hash value (FIPS 180-4, 5.3.3).
const H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// Blocks byte-swapped and compressed per call to `compress256`.
const BATCH: usize = 16;

/// Compresses one 64-byte block whose 32-bit words the device reads little-endian:
/// byte-swaps each word so that `compress256` (which reads big-endian) sees the same words.
fn compress_le(state: &mut [u32; 8], block: &[u8]) {
    let mut swapped = [[0u8; 64]];
    swap_words(&mut swapped[0], block);
    compress256(state, &swapped);
    // The block may be secret (the UDS is hashed with this function): wipe the copy.
    swapped.zeroize();
}

/// `dst` = `src` with the bytes of each 32-bit word reversed.
fn swap_words(dst: &mut [u8; 64], src: &[u8]) {
    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
        let mut word = [0u8; 4];
        word.copy_from_slice(s);
        d.copy_from_slice(&u32::from_le_bytes(word).to_be_bytes());
    }
}

/// DiceHash of `message` (spec section 3). Not SHA-256: see the module documentation.
pub fn dice_hash(message: &[u8]) -> [u8; 32] {
    let mut state = H0;
    let mut blocks = message.chunks_exact(64);
    // Swap many blocks at a time, so that `compress256` runs over them in one call.
    let mut swapped = [[0u8; 64]; BATCH];
    loop {
        let mut n = 0;
        for (dst, block) in swapped.iter_mut().zip(blocks.by_ref()) {
            swap_words(dst, block);
            n += 1;
        }
        compress256(&mut state, swapped.get(..n).unwrap_or_default());
        if n < BATCH {
            break;
        }
    }
    // The copies may be secret (the UDS is hashed with this function).
    swapped.zeroize();
    let rest = blocks.remainder();

    // Padding: 0x80, zeros to 56 mod 64, then the bit length as a LITTLE-endian u64.
    let mut tail = [0u8; 128];
    for (d, s) in tail
        .iter_mut()
        .zip(rest.iter().chain(std::iter::once(&0x80)))
    {
        *d = *s;
    }
    let tail_len = if rest.len() < 56 { 64 } else { 128 };
    let bit_len = (message.len() as u64).wrapping_mul(8);
    for (d, s) in tail
        .iter_mut()
        .skip(tail_len - 8)
        .zip(bit_len.to_le_bytes())
    {
        *d = s;
    }
    for block in tail.chunks_exact(64).take(tail_len / 64) {
        compress_le(&mut state, block);
    }

    let mut out = [0u8; 32];
    for (dst, word) in out.chunks_exact_mut(4).zip(state) {
        dst.copy_from_slice(&word.to_le_bytes());
    }
    // The tail holds the message's last bytes (all of a UDS), the state its digest.
    tail.zeroize();
    state.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::dice_hash;

    fn hx(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    #[test]
    fn known_answers_from_the_spec() {
        assert_eq!(
            dice_hash(b"").to_vec(),
            hx("08c5a54e766e56a6f8430524d46fb0fee37b775701c44995daaf36640e33d265")
        );
        assert_eq!(
            dice_hash(b"abc").to_vec(),
            hx("bb392cd2622eecbce49cd242285d0009ef70eae1a3e43e5ec8eae7c779b9f600")
        );
        let counting: Vec<u8> = (0u8..=0x92).collect();
        assert_eq!(counting.len(), 147);
        assert_eq!(
            dice_hash(&counting).to_vec(),
            hx("0505fa8671202b5751aee063c7300b67e47add74777577de8079400eba2100cb")
        );
        assert_eq!(
            dice_hash(&[0u8; 64]).to_vec(),
            hx("4d1e2f0521e9b19d8dd7b5414d5e81aa9fbfe0935c8ad6c4d187a60b35d857a7")
        );
    }

    #[test]
    fn long_messages_across_the_block_batches() {
        // Answers from an independent implementation (the SHA-256 compression function
        // written out in Python, words and length read little-endian).
        let data: Vec<u8> = (0..3000u32).map(|i| (i * 7 + 3) as u8).collect();
        for (len, expected) in [
            (
                1024,
                "bafd455e343536e9c3e7ae1bcec0e167c56abc9f3aa6fea36167bdbecab49ee2",
            ),
            (
                1025,
                "11a15822322f1007e1512a950f5bd8f861cf8366b313e0e5253982dffcce2154",
            ),
            (
                2111,
                "c30a897e4a4349e4141795b9a8ab79b5506ad9887ea71725acc67fd64f06dd01",
            ),
            (
                3000,
                "210d054d5da4de29d3a58432346c6157d7070d1e297b1d9bc72ed9ff0014aba8",
            ),
        ] {
            assert_eq!(dice_hash(&data[..len]).to_vec(), hx(expected), "{len}");
        }
    }

    #[test]
    fn differs_from_sha256() {
        use sha2::Digest;
        assert_ne!(
            dice_hash(b"abc").to_vec(),
            sha2::Sha256::digest(b"abc").to_vec()
        );
    }
}
