//! The DPS steps below the commands, in this process, against the stand-in DPS
//! (`tests/common/dps_standin.rs`) over real TLS: the board's registration with the alias
//! certificate as the client certificate (assigned after polls; 401002 for a certificate
//! DPS does not hold), and bulk enrollment (at most 10 a request, paced; a second run
//! changes nothing; conflicts resolved one by one).
#![cfg(test)]

use crate::cli::dps::client::{Client, Deadline};
use crate::cli::dps::dps_standin::{self, Faults, StandIn};
use crate::cli::pipeline::enroll_step::{Enrolled, ToEnroll, of_der};
use dps_cert_gen::derivation::AliasCertificate;
use dps_cert_gen::dps::connection_string::ConnectionString;
use dps_cert_gen::dps::device::{IdScope, RegistrationOutcome};
use dps_cert_gen::dps::enroll_flow::EnrollmentOutcome;
use dps_cert_gen::dps::enrollment_id::EnrollmentId;
use dps_cert_gen::{RegistrationId, Uds};

/// The alias certificate of the test firmware (devkit-a) for `uds` and `id`.
fn alias(uds_hex: &str, id: &str) -> AliasCertificate {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/devkit-a");
    let measured = dps_cert_gen::firmware::measurement::measure_bin_map(
        &dir.join("DevKitDPS.ino.bin"),
        &dir.join("DevKitDPS.ino.map"),
        None,
    )
    .unwrap();
    let fw = dps_cert_gen::FirmwareMeasurements::of(&measured.regions);
    let uds = Uds::from_hex(uds_hex).unwrap();
    dps_cert_gen::generate(&uds, &fw, &RegistrationId::new(id).unwrap()).unwrap()
}

const UDS: &str = "4f6d0b3c8e21a95d7c04b6e3f1a28d5960c7e4b13a8f2d6e9b05c1748a3e6f20";
const OTHER_UDS: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn scope() -> IdScope {
    IdScope::new(dps_standin::ID_SCOPE).unwrap()
}

#[test]
fn the_board_registration_is_assigned_for_the_enrolled_certificate() {
    let standin = StandIn::start();
    standin.set_polls_before_assigned(2);
    let cert = alias(UDS, "dev-register-1");
    standin.enroll("dev-register-1", &cert.der);
    let ca = dps_standin::ca_file();
    let outcome =
        crate::cli::dps::register::register(&cert, scope(), &standin.device_host(), Some(&ca), 30)
            .unwrap();
    assert_eq!(
        outcome,
        RegistrationOutcome::Assigned {
            hub: dps_standin::HUB.to_string(),
            device_id: "dev-register-1".to_string(),
            substatus: Some("initialAssignment".to_string()),
        }
    );
    let requests = standin.requests();
    let seen: Vec<(&str, u16, usize)> = requests
        .iter()
        .map(|r| (r.method.as_str(), r.status, r.client_chain_len))
        .collect();
    // The alias certificate alone, on every request: PUT, two polls, the result.
    assert_eq!(
        seen,
        [
            ("PUT", 202, 1),
            ("GET", 202, 1),
            ("GET", 202, 1),
            ("GET", 200, 1)
        ]
    );
    let sha1 = cert.thumbprints().sha1;
    assert!(
        requests
            .iter()
            .all(|r| r.client_sha1.as_deref() == Some(sha1.as_str()))
    );
    assert!(requests.iter().all(|r| r.header("authorization").is_none()));
    assert!(standin.registration("dev-register-1").is_some());
    assert_eq!(
        crate::cli::dps::register::outcome_text(&outcome, "dev-register-1", "h"),
        format!(
            "dev-register-1: assigned by h to the hub {} as device dev-register-1 (initialAssignment)",
            dps_standin::HUB
        )
    );
}

#[test]
fn a_certificate_dps_does_not_hold_is_refused_with_401002() {
    let standin = StandIn::start();
    standin.enroll("dev-register-2", &alias(UDS, "dev-register-2").der);
    // The same ID, another UDS: another certificate.
    let wrong = alias(OTHER_UDS, "dev-register-2");
    let ca = dps_standin::ca_file();
    let outcome =
        crate::cli::dps::register::register(&wrong, scope(), &standin.device_host(), Some(&ca), 30)
            .unwrap();
    let RegistrationOutcome::Refused(e) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((e.status, e.code), (401, Some(401_002)));
    assert_eq!(
        crate::cli::dps::register::outcome_text(&outcome, "dev-register-2", "h"),
        "dev-register-2: refused by h: 401002 Invalid certificate; DPS holds no certificate, or another one, for this registration ID: enroll this one with `dps-cert-gen enroll`, or check the enrolled one with `dps-cert-gen verify`"
    );
    assert!(standin.registration("dev-register-2").is_none());
}

#[test]
fn a_throttled_registration_is_retried() {
    let standin = StandIn::start();
    let cert = alias(UDS, "dev-register-3");
    standin.enroll("dev-register-3", &cert.der);
    standin.set_faults(Faults {
        throttle: 1,
        throttle_seconds: 1,
        ..Faults::default()
    });
    let ca = dps_standin::ca_file();
    let outcome =
        crate::cli::dps::register::register(&cert, scope(), &standin.device_host(), Some(&ca), 30)
            .unwrap();
    assert!(
        matches!(outcome, RegistrationOutcome::Assigned { .. }),
        "{outcome:?}"
    );
    assert_eq!(standin.requests().first().map(|r| r.status), Some(429));
}

fn items(n: usize) -> Vec<ToEnroll> {
    (0..n)
        .map(|i| {
            let id = format!("dev-bulk-{i:02}");
            let cert = alias(UDS, &id);
            of_der(id.clone(), EnrollmentId::new(&id).unwrap(), cert.der)
        })
        .collect()
}

fn bulk(standin: &StandIn, items: &[ToEnroll], replace: bool) -> Vec<Enrolled> {
    let connection = ConnectionString::parse(&standin.connection_string()).unwrap();
    let ca = dps_standin::ca_file();
    let client = Client::service(&connection, Some(&ca), Deadline::after(60)).unwrap();
    crate::cli::pipeline::bulk_enroll::enroll_in_bulk(&client, items, replace, &mut |_| Ok(()))
        .unwrap()
}

#[test]
fn twenty_three_in_requests_of_at_most_ten_and_a_rerun_changes_nothing() {
    let standin = StandIn::start();
    let all = items(23);
    let done = bulk(&standin, &all, false);
    assert!(done.iter().all(|e| e.outcome == EnrollmentOutcome::Created));
    assert_eq!(standin.bulk_sizes(), [10, 10, 3]);
    assert_eq!(standin.enrollment_count(), 23);
    let etags: Vec<String> = (0..23)
        .map(|i| {
            standin
                .enrollment(&format!("dev-bulk-{i:02}"))
                .unwrap()
                .etag
        })
        .collect();
    // Again: every one already enrolled, nothing written.
    let done = bulk(&standin, &all, false);
    assert!(
        done.iter()
            .all(|e| e.outcome == EnrollmentOutcome::AlreadyEnrolled)
    );
    let after: Vec<String> = (0..23)
        .map(|i| {
            standin
                .enrollment(&format!("dev-bulk-{i:02}"))
                .unwrap()
                .etag
        })
        .collect();
    assert_eq!(etags, after);
    assert!(standin.requests().iter().all(|r| r.method != "PUT"));
}

#[test]
fn bulk_conflicts_are_resolved_one_by_one() {
    let standin = StandIn::start();
    let all = items(3);
    // dev-bulk-01 is enrolled with another certificate.
    let other = alias(OTHER_UDS, "dev-bulk-01");
    standin.enroll("dev-bulk-01", &other.der);
    let done = bulk(&standin, &all, false);
    let names: Vec<&str> = done.iter().map(|e| e.outcome.name()).collect();
    assert_eq!(
        names,
        ["created", "enrolled_with_other_certificate", "created"]
    );
    let EnrollmentOutcome::EnrolledWithOther(o) = &done[1].outcome else {
        panic!()
    };
    assert_eq!(o.sha1.as_deref(), Some(other.thumbprints().sha1.as_str()));
    let done = bulk(&standin, &all, true);
    assert_eq!(done[1].outcome.name(), "replaced");
    assert_eq!(
        standin.enrollment("dev-bulk-01").unwrap().der,
        all[1].certificate.der
    );
}
