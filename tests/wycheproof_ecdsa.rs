//! The signature check of `inspect` and `verify` (src/cert/signature_check.rs) against every
//! Wycheproof ECDSA P-256/SHA-256 vector (DER signatures): 484 of 484 give Wycheproof's
//! answer (issue 14, item 7).
#![cfg(test)]

use dps_cert_gen::cert::signature_check::SignedParts;
use p256::PublicKey;
use wycheproof::TestResult;
use wycheproof::ecdsa::{TestName, TestSet};

#[test]
fn every_wycheproof_p256_sha256_vector() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256).unwrap();
    let (mut checked, mut wrong) = (0, Vec::new());
    for group in &set.test_groups {
        let key = PublicKey::from_sec1_bytes(&group.key.key).unwrap();
        for test in &group.tests {
            let parts = SignedParts {
                tbs: test.msg.to_vec(),
                signature: test.sig.to_vec(),
            };
            let verifies = parts.verifies_under(&key);
            let right = match test.result {
                TestResult::Valid => verifies,
                TestResult::Invalid => !verifies,
                // (None in this set today; either answer is allowed.)
                TestResult::Acceptable => true,
            };
            if !right {
                wrong.push(format!(
                    "tcId {} ({}): verifies = {verifies}",
                    test.tc_id, test.comment
                ));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 484);
    assert_eq!(set.number_of_tests, 484);
    assert!(
        wrong.is_empty(),
        "{} of 484 wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
