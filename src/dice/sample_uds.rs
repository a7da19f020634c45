//! The sample UDS published in the DevKit tutorial, and how close a given UDS is to it.
//!
//! The tutorial tells users to make their UDS by changing a few characters of the sample, so
//! many boards share guessable secrets. A UDS equal to the sample, or differing from it in
//! [`NEAR_SAMPLE_DIGITS`] hex digits or fewer, earns a warning (never a refusal).

use crate::dice::uds::{SAMPLE_UDS_HEX, Uds};

/// A UDS differing from the sample in this many hex digits or fewer is "near" it.
pub const NEAR_SAMPLE_DIGITS: usize = 4;

/// How many of the 64 hex digits of `uds` differ from the sample's (either case is the same
/// digit).
pub fn digits_from_sample(uds: &Uds) -> usize {
    let mut sample = [0u8; 32];
    if hex::decode_to_slice(SAMPLE_UDS_HEX, &mut sample).is_err() {
        return usize::MAX;
    }
    uds.as_bytes()
        .iter()
        .zip(sample.iter())
        .map(|(a, b)| {
            let x = a ^ b;
            usize::from(x & 0xf0 != 0) + usize::from(x & 0x0f != 0)
        })
        .sum()
}

/// The warning for a UDS that is the sample or near it; `None` for any other UDS. The text
/// never contains the UDS or any of its digits.
pub fn warning(uds: &Uds) -> Option<String> {
    const ADVICE: &str =
        "make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`";
    match digits_from_sample(uds) {
        0 => Some(format!(
            "this UDS is the sample published in the DevKit tutorial, so anyone can look it up; {ADVICE}"
        )),
        n if n <= NEAR_SAMPLE_DIGITS => Some(format!(
            "this UDS differs from the sample published in the DevKit tutorial in only {n} of its 64 hex digits, so it is easy to guess; {ADVICE}"
        )),
        _ if is_one_digit_repeated(uds) => Some(format!(
            "this UDS is one hex digit repeated 64 times (such as all zeros), so it is easy to guess; {ADVICE}"
        )),
        _ => None,
    }
}

/// Whether all 64 hex digits of `uds` are the same (all zeros, all `f` ...).
fn is_one_digit_repeated(uds: &Uds) -> bool {
    let bytes = uds.as_bytes();
    let first = bytes.first().map_or(0, |b| b >> 4);
    bytes.iter().all(|b| b >> 4 == first && b & 0x0f == first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_digits_changed(n: usize) -> Uds {
        let mut s: Vec<char> = SAMPLE_UDS_HEX.chars().collect();
        for c in s.iter_mut().take(n) {
            *c = if *c == '0' { '1' } else { '0' };
        }
        Uds::from_hex(&s.into_iter().collect::<String>()).unwrap()
    }

    #[test]
    fn one_digit_repeated_is_warned_about_without_the_digit() {
        for digit in ["0", "7", "f"] {
            let uds = Uds::from_hex(&digit.repeat(64)).unwrap();
            assert_eq!(
                warning(&uds).unwrap(),
                "this UDS is one hex digit repeated 64 times (such as all zeros), so it is easy to guess; make a real one with `dps-cert-gen uds` and set it on the board with `set_dps_uds`"
            );
        }
        let mut almost = "0".repeat(63);
        almost.push('1');
        assert_eq!(warning(&Uds::from_hex(&almost).unwrap()), None);
    }

    #[test]
    fn counts_hex_digits_not_bytes() {
        for n in 0..=8 {
            assert_eq!(digits_from_sample(&with_digits_changed(n)), n);
        }
        let upper = Uds::from_hex(&SAMPLE_UDS_HEX.to_uppercase()).unwrap();
        assert_eq!(digits_from_sample(&upper), 0);
        let zero = Uds::from_bytes([0; 32]);
        assert_eq!(
            digits_from_sample(&zero),
            SAMPLE_UDS_HEX.chars().filter(|&c| c != '0').count()
        );
    }

    #[test]
    fn warns_up_to_four_digits() {
        assert!(
            warning(&with_digits_changed(0))
                .unwrap()
                .contains("is the sample")
        );
        for n in 1..=4 {
            let w = warning(&with_digits_changed(n)).unwrap();
            assert!(w.contains(&format!("only {n} of its 64")), "{w}");
        }
        assert_eq!(warning(&with_digits_changed(5)), None);
        assert_eq!(warning(&Uds::from_bytes([0x5a; 32])), None);
    }
}
