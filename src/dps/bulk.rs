//! The bulk operation (the DPS note, section 3): `POST /enrollments` with
//! `{"mode": "create", "enrollments": [...]}`, at most 10 a request, and its answer
//! `{"isSuccessful", "errors": [{"registrationId", "errorCode", "errorStatus"}]}`. An item the
//! answer lists failed; a conflict (a 409 code) is then resolved one by one, as
//! [`crate::dps::enroll_flow`] does. Requests are paced to stay under the service's 1,000
//! operations a minute.

use crate::dps::SERVICE_API_VERSION;
use crate::dps::enrollment::{EnrollmentBody, EnrollmentCertificate, to_json};
use crate::dps::request::{Method, Request};
use crate::dps::service_answer::{ServiceError, printable_message};
use serde::Serialize;
use std::time::Duration;
use thiserror::Error;

/// Most enrollments a bulk request may carry.
pub const MAX_PER_REQUEST: usize = 10;

/// The rate the requests are paced to: under the service's 1,000 operations a minute, with
/// room for other clients of the same DPS.
pub const OPERATIONS_PER_MINUTE: u32 = 900;

/// Why a bulk request was not made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BulkError {
    /// More than [`MAX_PER_REQUEST`] (or none).
    #[error("a bulk request carries 1 to {MAX_PER_REQUEST} enrollments, not {0}")]
    Size(usize),
}

#[derive(Debug, Serialize)]
struct BulkBody<'a> {
    mode: &'static str,
    enrollments: &'a [EnrollmentBody],
}

/// `POST /enrollments` creating `chunk` (1 to 10 certificates).
pub fn create_request(chunk: &[EnrollmentCertificate]) -> Result<Request, BulkError> {
    if chunk.is_empty() || chunk.len() > MAX_PER_REQUEST {
        return Err(BulkError::Size(chunk.len()));
    }
    let enrollments: Vec<EnrollmentBody> = chunk.iter().map(EnrollmentCertificate::body).collect();
    Ok(Request {
        method: Method::Post,
        path: format!("/enrollments?api-version={SERVICE_API_VERSION}"),
        if_match: None,
        body: Some(to_json(&BulkBody {
            mode: "create",
            enrollments: &enrollments,
        })),
    })
}

/// How long `operations` take at the paced rate.
pub fn pause_after(operations: usize) -> Duration {
    let ops = u64::try_from(operations).unwrap_or(u64::MAX);
    Duration::from_millis(ops.saturating_mul(60_000) / u64::from(OPERATIONS_PER_MINUTE))
}

/// How long to wait, `elapsed` after the first request, before a request when
/// `operations_done` operations were sent: so that the rate never passes
/// [`OPERATIONS_PER_MINUTE`].
pub fn pacing_wait(operations_done: usize, elapsed: Duration) -> Duration {
    pause_after(operations_done).saturating_sub(elapsed)
}

/// What became of one item of a bulk request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkItem {
    /// Created.
    Created,
    /// The ID exists: to be resolved one by one.
    Conflict,
    /// Refused.
    Failed(ServiceError),
}

/// The items of `chunk`, in order, from the answer to its request. A 200 answer whose body
/// cannot be read leaves every item failed; any other status fails them all with it.
pub fn outcomes(chunk: &[EnrollmentCertificate], status: u16, body: &[u8]) -> Vec<BulkItem> {
    if status != 200 {
        let e = ServiceError::parse(status, body);
        return chunk.iter().map(|_| BulkItem::Failed(e.clone())).collect();
    }
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        let e = ServiceError {
            status,
            code: None,
            message: Some("the bulk answer is not JSON".to_string()),
            tracking_id: None,
        };
        return chunk.iter().map(|_| BulkItem::Failed(e.clone())).collect();
    };
    let errors: &[serde_json::Value] = json
        .get("errors")
        .and_then(|e| e.as_array())
        .map_or(&[], Vec::as_slice);
    chunk
        .iter()
        .map(|c| {
            let listed = errors.iter().find(|e| {
                e.get("registrationId")
                    .and_then(|v| v.as_str())
                    .is_some_and(|id| c.id.same_as(id))
            });
            let Some(listed) = listed else {
                return BulkItem::Created;
            };
            let code = match listed.get("errorCode") {
                Some(serde_json::Value::Number(n)) => n.as_u64(),
                Some(serde_json::Value::String(s)) => s.parse().ok(),
                _ => None,
            };
            match code {
                // Java's documentation shows an entry for every item, successes as 200.
                Some(200) => BulkItem::Created,
                Some(c) if c / 1000 == 409 || c == 409 => BulkItem::Conflict,
                _ => BulkItem::Failed(ServiceError {
                    status,
                    code,
                    message: listed
                        .get("errorStatus")
                        .and_then(|s| s.as_str())
                        .map(printable_message),
                    tracking_id: None,
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dps::enrollment_id::EnrollmentId;

    fn certs(n: usize) -> Vec<EnrollmentCertificate> {
        (0..n)
            .map(|i| {
                EnrollmentCertificate::new(
                    EnrollmentId::new(&format!("dev-{i}")).unwrap(),
                    vec![0x30, i as u8],
                )
            })
            .collect()
    }

    #[test]
    fn at_most_ten() {
        assert_eq!(create_request(&certs(11)), Err(BulkError::Size(11)));
        assert_eq!(create_request(&[]), Err(BulkError::Size(0)));
        let r = create_request(&certs(10)).unwrap();
        assert_eq!(r.path, "/enrollments?api-version=2021-10-01");
        let json: serde_json::Value = serde_json::from_slice(&r.body.unwrap()).unwrap();
        assert_eq!(json["mode"], "create");
        assert_eq!(json["enrollments"].as_array().unwrap().len(), 10);
        assert_eq!(json["enrollments"][3]["registrationId"], "dev-3");
    }

    #[test]
    fn paced_under_a_thousand_a_minute() {
        assert_eq!(pause_after(10), Duration::from_millis(666));
        // 1,000 operations take more than a minute.
        assert!(pause_after(10) * 100 > Duration::from_secs(60));
        assert_eq!(pacing_wait(0, Duration::ZERO), Duration::ZERO);
        assert_eq!(
            pacing_wait(20, Duration::from_millis(333)),
            Duration::from_millis(1000)
        );
        assert_eq!(pacing_wait(20, Duration::from_secs(5)), Duration::ZERO);
    }

    #[test]
    fn items_from_the_answer() {
        let c = certs(3);
        let body = br#"{"isSuccessful":false,"errors":[{"registrationId":"DEV-1","errorCode":409201,"errorStatus":"Conflict"},{"registrationId":"dev-2","errorCode":400004,"errorStatus":"The certificate is not a valid base64 string value"}]}"#;
        let items = outcomes(&c, 200, body);
        assert_eq!(items[0], BulkItem::Created);
        assert_eq!(items[1], BulkItem::Conflict);
        let BulkItem::Failed(e) = &items[2] else {
            panic!("{items:?}")
        };
        assert_eq!(
            e.summary(),
            "400004 The certificate is not a valid base64 string value"
        );
        assert!(
            outcomes(&c, 429, b"")
                .iter()
                .all(|i| matches!(i, BulkItem::Failed(_)))
        );
    }
}
