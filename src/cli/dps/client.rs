//! The HTTPS client: one `ureq` agent on rustls, HTTPS only, `HTTPS_PROXY` (and `NO_PROXY`)
//! honoured, no redirect followed (a token never goes elsewhere), and one deadline for the
//! whole conversation (`--timeout`): each request gets what is left of it. Transient answers
//! (408, 429, 5xx) are retried after `Retry-After` or a backoff, as long as the deadline
//! allows; the answer handed back is final. Service requests carry a fresh SAS token; device
//! requests present the alias certificate alone as the TLS client certificate.

use crate::cli::dps::error::DpsError;
use crate::cli::dps::retry;
use dps_cert_gen::dps::connection_string::ConnectionString;
use dps_cert_gen::dps::request::{Method, Request};
use dps_cert_gen::dps::sas;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use ureq::Agent;
use ureq::tls::{ClientCert, TlsConfig};

/// Largest answer body read.
const MAX_BODY_BYTES: u64 = 1 << 20;

/// The end of the time allowed for the whole conversation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    end: Instant,
    seconds: u64,
}

impl Deadline {
    /// `seconds` from now.
    pub(crate) fn after(seconds: u64) -> Self {
        Self {
            end: Instant::now() + Duration::from_secs(seconds),
            seconds,
        }
    }

    /// What is left, if anything.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.end
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
    }

    /// The error for a conversation with `host` out of time.
    pub(crate) fn expired(&self, host: &str) -> DpsError {
        DpsError::Timeout {
            host: host.to_string(),
            seconds: self.seconds,
        }
    }
}

/// A final answer.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// `Retry-After`, in seconds.
    pub retry_after: Option<u64>,
    /// The body (at most 1 MiB).
    pub body: Vec<u8>,
}

/// How requests authenticate.
enum Auth<'a> {
    /// A SAS token from the connection string, fresh for each request.
    Sas(&'a ConnectionString),
    /// The TLS client certificate (set on the agent).
    ClientCertificate,
}

/// A client for one host.
pub(crate) struct Client<'a> {
    agent: Agent,
    host: String,
    deadline: Deadline,
    auth: Auth<'a>,
    host_advice: &'static str,
}

fn agent(tls: TlsConfig) -> Agent {
    Agent::config_builder()
        .https_only(true)
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .user_agent(concat!("dps-cert-gen/", env!("CARGO_PKG_VERSION")))
        .tls_config(tls)
        .build()
        .new_agent()
}

impl<'a> Client<'a> {
    /// A client of the service API at the connection string's `HostName`.
    pub(crate) fn service(
        connection: &'a ConnectionString,
        ca_file: Option<&Path>,
        deadline: Deadline,
    ) -> Result<Self, DpsError> {
        let tls = TlsConfig::builder()
            .root_certs(crate::cli::dps::trust::roots(ca_file)?)
            .build();
        Ok(Self {
            agent: agent(tls),
            host: connection.host().to_string(),
            deadline,
            auth: Auth::Sas(connection),
            host_advice: "check the HostName in the DPS connection string, and the network",
        })
    }

    /// A client of the device API at `host` (`HOST[:PORT]`), presenting `certificate_der`
    /// with its key (`key_pem`, SEC1 PEM) as the TLS client certificate, and nothing else.
    pub(crate) fn device(
        host: &str,
        certificate_der: &[u8],
        key_pem: &[u8],
        ca_file: Option<&Path>,
        deadline: Deadline,
    ) -> Result<Client<'static>, DpsError> {
        let chain = [ureq::tls::Certificate::from_der(certificate_der).to_owned()];
        let key = ureq::tls::PrivateKey::from_pem(key_pem).map_err(|_| DpsError::Network {
            host: host.to_string(),
            reason: "the alias key could not be given to TLS".to_string(),
        })?;
        let tls = TlsConfig::builder()
            .root_certs(crate::cli::dps::trust::roots(ca_file)?)
            .client_cert(Some(ClientCert::new_with_certs(&chain, key)))
            .build();
        Ok(Client {
            agent: agent(tls),
            host: host.to_string(),
            deadline,
            auth: Auth::ClientCertificate,
            host_advice: "check --provisioning-host, and the network",
        })
    }

    /// The host, for messages.
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The deadline.
    pub(crate) fn deadline(&self) -> &Deadline {
        &self.deadline
    }

    /// Sends `request`, retrying transient answers while the deadline allows; a 401 from
    /// the service API ends the run.
    pub(crate) fn send(&self, request: &Request) -> Result<Answer, DpsError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let answer = self.send_once(request)?;
            if !retry::is_transient(answer.status) || tries >= retry::MAX_TRIES {
                return self.check_authorised(answer);
            }
            let wait = retry::wait(tries, answer.retry_after);
            if self.deadline.remaining().is_none_or(|left| left <= wait) {
                // No time for another try: the last answer is the final one.
                return self.check_authorised(answer);
            }
            std::thread::sleep(wait);
        }
    }

    fn check_authorised(&self, answer: Answer) -> Result<Answer, DpsError> {
        match (&self.auth, answer.status) {
            (Auth::Sas(connection), 401) => {
                let e = dps_cert_gen::dps::service_answer::ServiceError::parse(401, &answer.body);
                Err(DpsError::Unauthorized {
                    host: self.host.clone(),
                    policy: connection.key_name().to_string(),
                    code: e.code.map(|c| format!(" {c}")).unwrap_or_default(),
                })
            }
            _ => Ok(answer),
        }
    }

    fn send_once(&self, request: &Request) -> Result<Answer, DpsError> {
        let Some(left) = self.deadline.remaining() else {
            return Err(self.deadline.expired(&self.host));
        };
        let url = format!("https://{}{}", self.host, request.path);
        let token = match &self.auth {
            Auth::Sas(connection) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                Some(sas::token(connection, now + sas::TOKEN_LIFETIME_SECS))
            }
            Auth::ClientCertificate => None,
        };
        let headers = {
            let mut h: Vec<(&str, &str)> = vec![("Accept", "application/json")];
            if let Some(t) = &token {
                h.push(("Authorization", t.as_str()));
            }
            if let Some(m) = &request.if_match {
                h.push(("If-Match", m.as_str()));
            }
            h
        };
        let result = match (request.method, &request.body) {
            (Method::Get, _) => {
                let mut b = self.agent.get(&url);
                for (k, v) in &headers {
                    b = b.header(*k, *v);
                }
                b.config().timeout_global(Some(left)).build().call()
            }
            (method, body) => {
                let mut b = match method {
                    Method::Post => self.agent.post(&url),
                    _ => self.agent.put(&url),
                };
                for (k, v) in &headers {
                    b = b.header(*k, *v);
                }
                b.header("Content-Type", "application/json; charset=utf-8")
                    .config()
                    .timeout_global(Some(left))
                    .build()
                    .send(body.as_deref().unwrap_or_default())
            }
        };
        let mut response = result.map_err(|e| self.network_error(e))?;
        let status = response.status().as_u16();
        let retry_after = retry::retry_after_seconds(
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
        );
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()
            .map_err(|e| self.network_error(e))?;
        Ok(Answer {
            status,
            retry_after,
            body,
        })
    }

    /// Whether the host's name resolves to an address (after a failure, to name it).
    fn resolves(&self) -> bool {
        use std::net::ToSocketAddrs;
        let with_port = if self
            .host
            .rsplit_once(':')
            .is_some_and(|(h, _)| !h.contains(':') || h.ends_with(']'))
        {
            self.host.clone()
        } else {
            format!("{}:443", self.host)
        };
        with_port
            .to_socket_addrs()
            .is_ok_and(|mut addrs| addrs.next().is_some())
    }

    /// A ureq failure in plain words naming the host.
    fn network_error(&self, e: ureq::Error) -> DpsError {
        let host = self.host.clone();
        match e {
            ureq::Error::HostNotFound => DpsError::UnknownHost {
                host,
                advice: self.host_advice,
            },
            ureq::Error::ConnectionFailed => DpsError::Refused {
                host,
                advice: self.host_advice,
            },
            ureq::Error::Timeout(_) => self.deadline.expired(&host),
            ureq::Error::Io(io) => match io.kind() {
                std::io::ErrorKind::ConnectionRefused => DpsError::Refused {
                    host,
                    advice: self.host_advice,
                },
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                    self.deadline.expired(&host)
                }
                // A failed name lookup comes as a plain I/O error: ask again to tell.
                _ if !self.resolves() => DpsError::UnknownHost {
                    host,
                    advice: self.host_advice,
                },
                _ => DpsError::Network {
                    host,
                    reason: crate::cli::sys::io_words::network(&io),
                },
            },
            ureq::Error::Rustls(rustls::Error::InvalidCertificate(c)) => DpsError::Untrusted {
                host,
                reason: dps_cert_gen::text::printable::printable(&c.to_string()),
            },
            other => DpsError::Network {
                host,
                reason: dps_cert_gen::text::printable::printable(&other.to_string()),
            },
        }
    }
}
