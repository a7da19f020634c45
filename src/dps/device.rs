//! The board's own registration over HTTPS (the DPS note, section 5): `PUT
//! /{idScope}/registrations/{id}/register` with `{"registrationId": id}`, authenticated by
//! the alias certificate alone as the TLS client certificate; a 202 carries an operation
//! that is polled (`GET .../operations/{operationId}`) while it is `assigning`, until 200
//! with `assigned`, `failed` or `disabled`. A 401 (401002) means DPS does not hold this
//! certificate for the ID.

use crate::dps::enrollment::to_json;
use crate::dps::enrollment_id::EnrollmentId;
use crate::dps::request::{Method, Request, url_encode};
use crate::dps::service_answer::{ServiceError, printable_message};
use crate::dps::{DEVICE_API_VERSION, GLOBAL_DEVICE_HOST};
use serde_json::Value;
use std::fmt;
use std::time::Duration;
use thiserror::Error;

/// Most status polls before giving up (the wait between them is at least a second).
pub const MAX_POLLS: u32 = 60;

/// A DPS ID scope (`0ne00111111`): letters and digits, from the portal's overview page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdScope(String);

/// Why an ID scope was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{scope:?} is not a DPS ID scope; it is letters and digits like 0ne00111111, shown as \"ID Scope\" on the DPS instance's overview page"
)]
pub struct IdScopeError {
    /// What was given, made printable.
    pub scope: String,
}

impl IdScope {
    /// Checks `scope`: 3 to 64 letters and digits.
    pub fn new(scope: &str) -> Result<Self, IdScopeError> {
        let ok =
            (3..=64).contains(&scope.len()) && scope.chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            Ok(Self(scope.to_string()))
        } else {
            Err(IdScopeError {
                scope: crate::text::printable::printable(scope),
            })
        }
    }

    /// The scope.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The device API's host, `HOST[:PORT]` (the global endpoint, or a stand-in's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningHost(String);

/// Why a provisioning host was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "{host:?} is not a host name: give HOST or HOST:PORT, such as {GLOBAL_DEVICE_HOST} (no https://, no path)"
)]
pub struct ProvisioningHostError {
    /// What was given, made printable.
    pub host: String,
}

impl ProvisioningHost {
    /// Checks `host`: a host name or address, optionally with `:PORT`.
    pub fn new(host: &str) -> Result<Self, ProvisioningHostError> {
        if crate::dps::connection_string::is_host_name(host) {
            Ok(Self(host.to_string()))
        } else {
            Err(ProvisioningHostError {
                host: crate::text::printable::printable(host),
            })
        }
    }

    /// The host, as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ProvisioningHost {
    fn default() -> Self {
        Self(GLOBAL_DEVICE_HOST.to_string())
    }
}

impl fmt::Display for ProvisioningHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a registration ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationOutcome {
    /// Assigned to a hub.
    Assigned {
        /// `assignedHub`.
        hub: String,
        /// `deviceId`.
        device_id: String,
        /// `substatus` (`initialAssignment`, ...), when given.
        substatus: Option<String>,
    },
    /// The enrollment is disabled.
    Disabled,
    /// The operation ended `failed` (400208: no hub; 401002 in the older form), or in a
    /// status this tool does not know.
    Failed(ServiceError),
    /// Refused before any operation began (401002: DPS does not hold the certificate).
    Refused(ServiceError),
    /// Still assigning after [`MAX_POLLS`] polls.
    StillAssigning,
}

/// The next thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Wait this long, then send the request and give its answer to
    /// [`RegistrationFlow::answer`].
    Send(Duration, Request),
    /// Finished.
    Done(RegistrationOutcome),
}

/// One registration in progress.
#[derive(Debug, Clone)]
pub struct RegistrationFlow {
    scope: IdScope,
    id: EnrollmentId,
    polls: u32,
}

/// The wait before a poll: `Retry-After` seconds, kept between 1 and 10 (DPS allows 5
/// polls in 10 s per device), 2 when not given.
pub fn poll_wait(retry_after: Option<u64>) -> Duration {
    Duration::from_secs(retry_after.unwrap_or(2).clamp(1, 10))
}

impl RegistrationFlow {
    /// Starts registering `id` in `scope`; returns the flow and the `register` request.
    pub fn start(scope: IdScope, id: EnrollmentId) -> (Self, Request) {
        let path = format!(
            "/{}/registrations/{}/register?api-version={DEVICE_API_VERSION}",
            url_encode(scope.as_str()),
            url_encode(id.as_str())
        );
        let body = to_json(&serde_json::json!({ "registrationId": id.as_str() }));
        let request = Request {
            method: Method::Put,
            path,
            if_match: None,
            body: Some(body),
        };
        (
            Self {
                scope,
                id,
                polls: 0,
            },
            request,
        )
    }

    /// Takes the final answer (`status`, `retry_after` seconds, `body`) to the last request.
    pub fn answer(&mut self, status: u16, retry_after: Option<u64>, body: &[u8]) -> Step {
        if !(200..300).contains(&status) {
            let e = ServiceError::parse(status, body);
            return Step::Done(if self.polls == 0 {
                RegistrationOutcome::Refused(e)
            } else {
                RegistrationOutcome::Failed(e)
            });
        }
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(printable_message);
        let status_text = text(json.get("status")).unwrap_or_default();
        match status_text.as_str() {
            "assigned" => {
                let state = json.get("registrationState");
                let field = |n: &str| text(state.and_then(|s| s.get(n)));
                Step::Done(RegistrationOutcome::Assigned {
                    hub: field("assignedHub").unwrap_or_default(),
                    device_id: field("deviceId").unwrap_or_else(|| self.id.as_str().to_string()),
                    substatus: field("substatus"),
                })
            }
            "disabled" => Step::Done(RegistrationOutcome::Disabled),
            "assigning" | "unassigned" => {
                let Some(operation) = text(json.get("operationId")) else {
                    return Step::Done(RegistrationOutcome::Failed(ServiceError {
                        status,
                        code: None,
                        message: Some("the answer names no operationId".to_string()),
                        tracking_id: None,
                    }));
                };
                if self.polls >= MAX_POLLS {
                    return Step::Done(RegistrationOutcome::StillAssigning);
                }
                self.polls += 1;
                let path = format!(
                    "/{}/registrations/{}/operations/{}?api-version={DEVICE_API_VERSION}",
                    url_encode(self.scope.as_str()),
                    url_encode(self.id.as_str()),
                    url_encode(&operation)
                );
                Step::Send(
                    poll_wait(retry_after),
                    Request {
                        method: Method::Get,
                        path,
                        if_match: None,
                        body: None,
                    },
                )
            }
            other => {
                let state = json.get("registrationState");
                let code = state
                    .and_then(|s| s.get("errorCode"))
                    .and_then(|c| match c {
                        Value::Number(n) => n.as_u64(),
                        Value::String(s) => s.parse().ok(),
                        _ => None,
                    });
                let message = text(state.and_then(|s| s.get("errorMessage")))
                    .or_else(|| (!other.is_empty()).then(|| format!("status {other}")));
                Step::Done(RegistrationOutcome::Failed(ServiceError {
                    status,
                    code,
                    message,
                    tracking_id: None,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_hosts_are_names_with_an_optional_port() {
        for ok in [
            GLOBAL_DEVICE_HOST,
            "127.0.0.1:8443",
            "[::1]:443",
            "dps.example",
        ] {
            assert_eq!(ProvisioningHost::new(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "https://x.example",
            "x.example/path",
            "",
            "a b",
            "x:0",
            "x:99999",
        ] {
            assert!(ProvisioningHost::new(bad).is_err(), "{bad}");
        }
        assert_eq!(
            ProvisioningHost::new("https://x").unwrap_err().to_string(),
            "\"https://x\" is not a host name: give HOST or HOST:PORT, such as global.azure-devices-provisioning.net (no https://, no path)"
        );
        assert_eq!(ProvisioningHost::default().as_str(), GLOBAL_DEVICE_HOST);
    }

    fn start() -> (RegistrationFlow, Request) {
        RegistrationFlow::start(
            IdScope::new("0ne00111111").unwrap(),
            EnrollmentId::new("dev-1").unwrap(),
        )
    }

    #[test]
    fn registered_after_polls() {
        let (mut flow, first) = start();
        assert_eq!(first.method, Method::Put);
        assert_eq!(
            first.path,
            "/0ne00111111/registrations/dev-1/register?api-version=2021-10-01"
        );
        assert_eq!(
            first.body.as_deref(),
            Some(br#"{"registrationId":"dev-1"}"#.as_slice())
        );
        let accepted = br#"{"operationId":"5.5066.b360","status":"assigning"}"#;
        let Step::Send(wait, poll) = flow.answer(202, Some(3), accepted) else {
            panic!("no poll")
        };
        assert_eq!(wait, Duration::from_secs(3));
        assert_eq!(
            poll.path,
            "/0ne00111111/registrations/dev-1/operations/5.5066.b360?api-version=2021-10-01"
        );
        assert!(matches!(flow.answer(202, None, accepted), Step::Send(_, _)));
        let done = br#"{"operationId":"5.5066.b360","status":"assigned","registrationState":{"registrationId":"dev-1","assignedHub":"hub-1.azure-devices.net","deviceId":"dev-1","status":"assigned","substatus":"initialAssignment"}}"#;
        assert_eq!(
            flow.answer(200, None, done),
            Step::Done(RegistrationOutcome::Assigned {
                hub: "hub-1.azure-devices.net".into(),
                device_id: "dev-1".into(),
                substatus: Some("initialAssignment".into())
            })
        );
    }

    #[test]
    fn refused_and_failed() {
        let (mut flow, _) = start();
        let Step::Done(RegistrationOutcome::Refused(e)) = flow.answer(
            401,
            None,
            br#"{"errorCode":401002,"trackingId":"t","message":"Invalid certificate"}"#,
        ) else {
            panic!("not refused")
        };
        assert_eq!(e.summary(), "401002 Invalid certificate");
        let (mut flow, _) = start();
        flow.answer(202, None, br#"{"operationId":"o","status":"assigning"}"#);
        let failed = br#"{"operationId":"o","status":"failed","registrationState":{"status":"failed","errorCode":400208,"errorMessage":"no hub"}}"#;
        let Step::Done(RegistrationOutcome::Failed(e)) = flow.answer(200, None, failed) else {
            panic!("not failed")
        };
        assert_eq!(e.summary(), "400208 no hub");
        let (mut flow, _) = start();
        assert_eq!(
            flow.answer(200, None, br#"{"operationId":"o","status":"disabled"}"#),
            Step::Done(RegistrationOutcome::Disabled)
        );
    }

    #[test]
    fn scopes_and_waits() {
        assert!(IdScope::new("0ne0099C5CB").is_ok());
        assert!(IdScope::new("0ne/../x").is_err());
        assert_eq!(poll_wait(Some(0)), Duration::from_secs(1));
        assert_eq!(poll_wait(Some(3600)), Duration::from_secs(10));
    }
}
