//! Enrolling one certificate, as a sequence of requests (the DPS note, section 2.5): `PUT`
//! without `If-Match`; on 409, `GET` the record and compare its thumbprints with the
//! certificate's: the same certificate is already enrolled (success), another one is
//! reported, or replaced with `If-Match: *` when the caller forces it. The transport's
//! retries (429, 5xx) happen below this: each answer given here is final.

use crate::dps::enrollment::EnrollmentCertificate;
use crate::dps::request::Request;
use crate::dps::service_answer::{CertificateOnRecord, EnrollmentRecord, ServiceError};

/// What became of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollmentOutcome {
    /// A new enrollment was created.
    Created,
    /// DPS held this very certificate for the ID already: nothing changed.
    AlreadyEnrolled,
    /// DPS holds another certificate (or another kind of attestation) for the ID, and it
    /// was left alone.
    EnrolledWithOther(Enrolled),
    /// DPS held another certificate for the ID, and it was replaced by this one.
    Replaced(Enrolled),
    /// The service refused.
    Failed(ServiceError),
}

/// What DPS held for the ID.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Enrolled {
    /// Its SHA-1 thumbprint, when it is an X.509 enrollment that says.
    pub sha1: Option<String>,
    /// Its attestation type (`x509`, `symmetricKey`, `tpm`), when given.
    pub attestation: Option<String>,
}

impl EnrollmentOutcome {
    /// Whether the certificate is enrolled now.
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            EnrollmentOutcome::Created
                | EnrollmentOutcome::AlreadyEnrolled
                | EnrollmentOutcome::Replaced(_)
        )
    }

    /// The outcome's name in JSON and summaries.
    pub fn name(&self) -> &'static str {
        match self {
            EnrollmentOutcome::Created => "created",
            EnrollmentOutcome::AlreadyEnrolled => "already_enrolled",
            EnrollmentOutcome::EnrolledWithOther(_) => "enrolled_with_other_certificate",
            EnrollmentOutcome::Replaced(_) => "replaced",
            EnrollmentOutcome::Failed(_) => "failed",
        }
    }
}

/// The next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this request and give its answer to [`EnrollFlow::answer`].
    Send(Request),
    /// Finished.
    Done(EnrollmentOutcome),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Creating,
    Reading,
    Replacing,
    Done,
}

/// One certificate's enrollment in progress.
#[derive(Debug, Clone)]
pub struct EnrollFlow<'a> {
    certificate: &'a EnrollmentCertificate,
    replace: bool,
    state: State,
    enrolled: Enrolled,
}

/// Whether the record holds `ours` (thumbprints compared without regard to case).
pub fn holds(on_record: &CertificateOnRecord, ours: &crate::encoding::Thumbprints) -> bool {
    let same = |theirs: &Option<String>, ours: &str| {
        theirs
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(ours))
    };
    same(&on_record.sha256, &ours.sha256) || same(&on_record.sha1, &ours.sha1)
}

impl<'a> EnrollFlow<'a> {
    /// Starts enrolling `certificate`; `replace` replaces another certificate enrolled for
    /// its ID. Returns the flow and the first request.
    pub fn start(certificate: &'a EnrollmentCertificate, replace: bool) -> (Self, Request) {
        let flow = Self {
            certificate,
            replace,
            state: State::Creating,
            enrolled: Enrolled::default(),
        };
        (flow, certificate.put(None))
    }

    /// Goes on from a conflict reported elsewhere (a bulk request's item): reads the record
    /// first. Returns the flow and the `GET`.
    pub fn after_conflict(
        certificate: &'a EnrollmentCertificate,
        replace: bool,
    ) -> (Self, Request) {
        let flow = Self {
            certificate,
            replace,
            state: State::Reading,
            enrolled: Enrolled::default(),
        };
        (flow, certificate.get())
    }

    /// Takes the final answer (`status`, `body`) to the last request.
    pub fn answer(&mut self, status: u16, body: &[u8]) -> Step {
        let ok = (200..300).contains(&status);
        let step = match (self.state, status) {
            (State::Creating, _) if ok => Step::Done(EnrollmentOutcome::Created),
            (State::Creating, 409) => {
                self.state = State::Reading;
                return Step::Send(self.certificate.get());
            }
            (State::Reading, _) if ok => self.compare(body),
            (State::Replacing, _) if ok => {
                Step::Done(EnrollmentOutcome::Replaced(self.enrolled.clone()))
            }
            _ => Step::Done(EnrollmentOutcome::Failed(ServiceError::parse(status, body))),
        };
        if matches!(step, Step::Done(_)) {
            self.state = State::Done;
        }
        step
    }

    fn compare(&mut self, body: &[u8]) -> Step {
        let record = EnrollmentRecord::parse(body).unwrap_or_default();
        let on_record = record.primary.clone().unwrap_or_default();
        if holds(&on_record, &self.certificate.thumbprints) {
            return Step::Done(EnrollmentOutcome::AlreadyEnrolled);
        }
        self.enrolled = Enrolled {
            sha1: on_record.sha1,
            attestation: record.attestation,
        };
        if self.replace {
            self.state = State::Replacing;
            return Step::Send(self.certificate.put(Some("*")));
        }
        Step::Done(EnrollmentOutcome::EnrolledWithOther(self.enrolled.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dps::enrollment_id::EnrollmentId;
    use crate::dps::request::Method;

    fn cert() -> EnrollmentCertificate {
        EnrollmentCertificate::new(EnrollmentId::new("dev-1").unwrap(), vec![0x30, 1, 2])
    }

    fn record(sha1: &str) -> Vec<u8> {
        format!(r#"{{"registrationId":"dev-1","etag":"e1","attestation":{{"type":"x509","x509":{{"clientCertificates":{{"primary":{{"info":{{"sha1Thumbprint":"{sha1}"}}}}}}}}}}}}"#).into_bytes()
    }

    #[test]
    fn created_at_once() {
        let c = cert();
        let (mut flow, first) = EnrollFlow::start(&c, false);
        assert_eq!((first.method, first.if_match), (Method::Put, None));
        assert_eq!(
            flow.answer(200, b"{}"),
            Step::Done(EnrollmentOutcome::Created)
        );
    }

    #[test]
    fn a_conflict_is_read_and_compared() {
        let c = cert();
        let (mut flow, _) = EnrollFlow::start(&c, false);
        let Step::Send(get) = flow.answer(409, b"{}") else {
            panic!("no GET")
        };
        assert_eq!(get.method, Method::Get);
        let ours = c.thumbprints.sha1.to_ascii_lowercase();
        assert_eq!(
            flow.answer(200, &record(&ours)),
            Step::Done(EnrollmentOutcome::AlreadyEnrolled)
        );

        let (mut flow, _) = EnrollFlow::start(&c, false);
        flow.answer(409, b"");
        assert_eq!(
            flow.answer(200, &record("ABCD")),
            Step::Done(EnrollmentOutcome::EnrolledWithOther(Enrolled {
                sha1: Some("ABCD".into()),
                attestation: Some("x509".into())
            }))
        );
    }

    #[test]
    fn replaced_with_if_match_star() {
        let c = cert();
        let (mut flow, _) = EnrollFlow::start(&c, true);
        flow.answer(409, b"");
        let Step::Send(put) = flow.answer(200, &record("ABCD")) else {
            panic!("no PUT")
        };
        assert_eq!(
            (put.method, put.if_match.as_deref()),
            (Method::Put, Some("*"))
        );
        let Step::Done(outcome) = flow.answer(200, b"{}") else {
            panic!("not done")
        };
        assert_eq!(outcome.name(), "replaced");
        assert!(outcome.is_success());
    }

    #[test]
    fn after_a_bulk_conflict_the_record_is_read_first() {
        let c = cert();
        let (mut flow, get) = EnrollFlow::after_conflict(&c, false);
        assert_eq!(get.method, Method::Get);
        assert_eq!(
            flow.answer(200, &record(&c.thumbprints.sha1)),
            Step::Done(EnrollmentOutcome::AlreadyEnrolled)
        );
    }

    #[test]
    fn other_answers_are_failures() {
        let c = cert();
        let (mut flow, _) = EnrollFlow::start(&c, false);
        let Step::Done(EnrollmentOutcome::Failed(e)) = flow.answer(
            400,
            br#"{"errorCode":400004,"message":"The certificate is not a valid base64 string value"}"#,
        ) else {
            panic!("not failed")
        };
        assert_eq!(e.code, Some(400_004));
        let (mut flow, _) = EnrollFlow::start(&c, false);
        flow.answer(409, b"");
        assert!(matches!(
            flow.answer(404, br#"{"errorCode":404201}"#),
            Step::Done(EnrollmentOutcome::Failed(_))
        ));
    }
}
