//! A stand-in Azure DPS on 127.0.0.1, written from the stand-in contract of the DPS note
//! (`docs/dps.md`, from its section 7): real TLS (rustls, with the test CA of
//! `fixtures/tls/standin/`), two hosts on two ports:
//!
//! - the service API: SAS checked as the note's 1.3 says (fields split on `&` and `=`,
//!   names in any case, `sr` kept raw and signed raw, `sig` and `se` URL-decoded, 5 minutes
//!   of clock skew, the audience compared with the configured host name without regard to
//!   case), api-version checked (the "Unknown api version" body otherwise), `PUT`/`GET`/
//!   `DELETE /enrollments/{id}` with the ETag rules of 2.5, the body validated (X.509,
//!   exactly one certificate as PEM, bare base64 DER or base64 of PEM, its CN the ID), bulk
//!   of at most 10;
//! - the device API: TLS that asks for a client certificate but does not require one, with a
//!   verifier that accepts any certificate (the DevKit's alias certificate has a critical
//!   subject-alternative-name extension some verifiers reject) and only checks the
//!   handshake's signature; the leaf's thumbprint and CN are then matched against the
//!   enrollment: 202, polls, 200 `assigned`; 401 / 401002 otherwise.
//!
//! Fault switches: the next N requests answer 429 (with `Retry-After`), 500, 409, 412 or
//! 400004; or the server accepts connections and never answers. Every request is recorded.
//! The HTTP/1.1 is a small parser of this test server's own (one request per connection,
//! `Connection: close`), bounded in size and time. Dropping the stand-in stops it and joins
//! its threads.
#![cfg(test)]
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime, pem::PemObject};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The policy of the connection string, and its keys (base64 of 0x00..0x1f and 0x20..0x3f).
pub(crate) const POLICY: &str = "provisioningserviceowner";
pub(crate) const PRIMARY_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub(crate) const SECONDARY_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";
/// The ID scope and the linked hub.
pub(crate) const ID_SCOPE: &str = "0ne00000001";
pub(crate) const HUB: &str = "standin-hub.azure-devices.net";

/// Longest request head and body read.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 1 << 20;
/// Most connections served in a stand-in's life (the tests make a few dozen): past them,
/// connections are closed unanswered, so that a client looping for ever ends.
const MAX_CONNECTIONS: usize = 2000;
/// How long a connection may stay silent before the server drops it.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The answers to force on the next requests, each a count of requests.
#[derive(Debug, Default, Clone)]
pub(crate) struct Faults {
    /// 429 with `Retry-After: throttle_seconds`.
    pub(crate) throttle: u32,
    /// Seconds in the 429's `Retry-After` (none when 0).
    pub(crate) throttle_seconds: u64,
    /// 500.
    pub(crate) server_error: u32,
    /// 409 on a PUT.
    pub(crate) conflict: u32,
    /// 412 on a PUT.
    pub(crate) precondition: u32,
    /// 400004 on a PUT.
    pub(crate) bad_certificate: u32,
    /// Accept connections and never answer.
    pub(crate) silent: bool,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// `service` or `device`.
    pub(crate) host: &'static str,
    pub(crate) method: String,
    pub(crate) path: String,
    /// Header names lower-cased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The status answered.
    pub(crate) status: u16,
    /// The SHA-1 thumbprint of the client certificate presented (device API).
    pub client_sha1: Option<String>,
    /// How many certificates the client presented.
    pub(crate) client_chain_len: usize,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A stored enrollment.
#[derive(Debug, Clone)]
pub(crate) struct Enrollment {
    pub(crate) registration_id: String,
    pub(crate) der: Vec<u8>,
    pub(crate) etag: String,
    pub(crate) created: String,
    pub(crate) updated: String,
}

#[derive(Debug, Default)]
struct State {
    enrollments: BTreeMap<String, Enrollment>,
    /// Operation ID → (registration ID, polls left before `assigned`).
    operations: BTreeMap<String, (String, u32)>,
    registrations: BTreeMap<String, Value>,
    requests: Vec<Recorded>,
    faults: Faults,
    /// Polls answered `assigning` before `assigned`.
    polls_before_assigned: u32,
    /// The device API's `Retry-After`.
    device_retry_after: u64,
    /// Accepted api-versions of the service API.
    api_versions: Vec<String>,
    /// Bulk requests received, and their sizes.
    bulk_sizes: Vec<usize>,
}

/// The running stand-in.
pub(crate) struct StandIn {
    pub(crate) service_port: u16,
    pub(crate) device_port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/tls/standin")
}

/// The test CA, for `--ca-file`.
pub(crate) fn ca_file() -> PathBuf {
    fixtures().join("ca.pem")
}

fn server_identity() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let certs = CertificateDer::pem_file_iter(fixtures().join("server.pem"))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixtures().join("server.key")).unwrap();
    (certs, key)
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts any client certificate (or none), checking only the handshake's signature with
/// its key; the certificate itself is matched against the enrollment per request.
#[derive(Debug)]
struct AnyClientCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ClientCertVerifier for AnyClientCertificate {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

impl StandIn {
    /// Starts both hosts on free ports of 127.0.0.1.
    pub(crate) fn start() -> Self {
        let (certs, key) = server_identity();
        let service_config = Arc::new(
            ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs.clone(), key.clone_key())
                .unwrap(),
        );
        let device_config = Arc::new(
            ServerConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_client_cert_verifier(Arc::new(AnyClientCertificate(provider())))
                .with_single_cert(certs, key)
                .unwrap(),
        );
        let state = Arc::new(Mutex::new(State {
            polls_before_assigned: 1,
            device_retry_after: 1,
            api_versions: vec!["2021-10-01".to_string()],
            ..State::default()
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let mut threads = Vec::new();
        let mut ports = Vec::new();
        for (host, config) in [("service", service_config), ("device", device_config)] {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            ports.push(listener.local_addr().unwrap().port());
            let server = Server {
                host,
                config,
                state: Arc::clone(&state),
                service_host: String::new(),
            };
            let stop = Arc::clone(&stop);
            let connections = Arc::clone(&connections);
            threads.push(std::thread::spawn(move || {
                accept_loop(listener, server, &stop, &connections)
            }));
        }
        Self {
            service_port: ports[0],
            device_port: ports[1],
            state,
            stop,
            threads,
            connections,
        }
    }

    /// The service host name: the connection string's `HostName`, which the SAS must sign.
    pub(crate) fn service_host(&self) -> String {
        format!("127.0.0.1:{}", self.service_port)
    }

    /// The device host (`--provisioning-host`).
    pub(crate) fn device_host(&self) -> String {
        format!("127.0.0.1:{}", self.device_port)
    }

    /// A connection string for this stand-in, with the primary key.
    pub(crate) fn connection_string(&self) -> String {
        format!(
            "HostName={};SharedAccessKeyName={POLICY};SharedAccessKey={PRIMARY_KEY}",
            self.service_host()
        )
    }

    pub(crate) fn set_faults(&self, faults: Faults) {
        self.state.lock().unwrap().faults = faults;
    }

    pub(crate) fn set_api_versions(&self, versions: &[&str]) {
        self.state.lock().unwrap().api_versions = versions.iter().map(|v| v.to_string()).collect();
    }

    pub(crate) fn set_polls_before_assigned(&self, polls: u32) {
        self.state.lock().unwrap().polls_before_assigned = polls;
    }

    /// What was received so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The sizes of the bulk requests received.
    pub(crate) fn bulk_sizes(&self) -> Vec<usize> {
        self.state.lock().unwrap().bulk_sizes.clone()
    }

    /// The enrollment for `id`, if any.
    pub(crate) fn enrollment(&self, id: &str) -> Option<Enrollment> {
        self.state
            .lock()
            .unwrap()
            .enrollments
            .get(&id.to_ascii_lowercase())
            .cloned()
    }

    pub(crate) fn enrollment_count(&self) -> usize {
        self.state.lock().unwrap().enrollments.len()
    }

    /// Enrolls `der` under `id` directly, as if done earlier through the portal.
    pub(crate) fn enroll(&self, id: &str, der: &[u8]) {
        let now = timestamp();
        self.state.lock().unwrap().enrollments.insert(
            id.to_ascii_lowercase(),
            Enrollment {
                registration_id: id.to_string(),
                der: der.to_vec(),
                etag: new_etag(),
                created: now.clone(),
                updated: now,
            },
        );
    }

    /// The registrations done through the device API.
    pub(crate) fn registration(&self, id: &str) -> Option<Value> {
        self.state
            .lock()
            .unwrap()
            .registrations
            .get(&id.to_ascii_lowercase())
            .cloned()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let connections: Vec<_> = self.connections.lock().unwrap().drain(..).collect();
        for c in connections {
            let _ = c.join();
        }
    }
}

#[derive(Clone)]
struct Server {
    host: &'static str,
    config: Arc<ServerConfig>,
    state: Arc<Mutex<State>>,
    service_host: String,
}

fn accept_loop(
    listener: TcpListener,
    mut server: Server,
    stop: &AtomicBool,
    connections: &Mutex<Vec<JoinHandle<()>>>,
) {
    server.service_host = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    // Connections held open unanswered while the server is silent.
    let mut held: Vec<TcpStream> = Vec::new();
    let mut served = 0usize;
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                served += 1;
                if served > MAX_CONNECTIONS {
                    continue;
                }
                if server.state.lock().unwrap().faults.silent {
                    held.push(stream);
                    continue;
                }
                let server = server.clone();
                let handle = std::thread::spawn(move || {
                    let _ = serve(stream, &server);
                });
                connections.lock().unwrap().push(handle);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(_) => break,
        }
    }
}

/// A request as parsed.
struct Http {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Http {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_request(stream: &mut impl Read) -> std::io::Result<Option<Http>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > MAX_HEAD || stream.read(&mut byte)? == 0 {
            return Ok(None);
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let mut lines = text.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_string();
    let target = first.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        return Ok(None);
    }
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(n, v)| (n.to_string(), decode(v)))
        .collect();
    Ok(Some(Http {
        method,
        path: decode(path),
        query,
        headers,
        body,
    }))
}

fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8_lossy()
        .to_string()
}

/// An answer: status, extra headers, JSON body (none for 204).
struct Answer {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Option<Value>,
}

fn answer(status: u16, body: Value) -> Answer {
    Answer {
        status,
        headers: Vec::new(),
        body: Some(body),
    }
}

fn error(status: u16, code: u64, message: &str) -> Answer {
    let tracking = format!("{:032x}", COUNTER.fetch_add(1, Ordering::SeqCst));
    Answer {
        status,
        headers: vec![("x-ms-request-id", tracking.clone())],
        body: Some(json!({
            "errorCode": code, "trackingId": tracking, "message": message,
            "timestampUtc": timestamp()
        })),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    }
}

fn serve(stream: TcpStream, server: &Server) -> std::io::Result<()> {
    // On Windows an accepted socket inherits the listener's non-blocking mode (on Linux it
    // does not): without this every read would end at once with `WouldBlock`.
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let conn =
        rustls::ServerConnection::new(Arc::clone(&server.config)).map_err(std::io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let Some(request) = read_request(&mut tls)? else {
        return Ok(());
    };
    let chain: Vec<Vec<u8>> = tls
        .conn
        .peer_certificates()
        .map(|c| c.iter().map(|c| c.as_ref().to_vec()).collect())
        .unwrap_or_default();
    let answer = match server.host {
        "service" => service(server, &request),
        _ => device(server, &request, chain.first().map(Vec::as_slice)),
    };
    server.state.lock().unwrap().requests.push(Recorded {
        host: server.host,
        method: request.method.clone(),
        path: request.path.clone(),
        headers: request.headers.clone(),
        body: request.body.clone(),
        status: answer.status,
        client_sha1: chain.first().map(|c| hex::encode_upper(Sha1::digest(c))),
        client_chain_len: chain.len(),
    });
    let body = answer
        .body
        .map(|b| serde_json::to_vec(&b).unwrap())
        .unwrap_or_default();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        reason(answer.status),
        body.len()
    );
    if !body.is_empty() {
        head.push_str("Content-Type: application/json; charset=utf-8\r\n");
    }
    for (n, v) in &answer.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    tls.write_all(head.as_bytes())?;
    tls.write_all(&body)?;
    tls.conn.send_close_notify();
    tls.flush()
}

fn timestamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    format!("1970-01-01T00:00:00.0000000Z+{secs}")
}

fn new_etag() -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    STANDARD.encode(format!("\"{n:08x}-0000-0300-0000-000000000000\""))
}

/// The SAS check of the note's 1.3; `Err` is the reason for the 401.
fn check_sas(header: Option<&str>, host: &str) -> Result<(), &'static str> {
    let header = header.ok_or("no Authorization")?;
    let fields = header
        .strip_prefix("SharedAccessSignature ")
        .ok_or("not a SharedAccessSignature")?;
    let mut sr = None;
    let mut sig = None;
    let mut se = None;
    let mut skn = None;
    for field in fields.split('&') {
        let (name, value) = field.split_once('=').ok_or("a field without =")?;
        match name.to_ascii_lowercase().as_str() {
            "sr" => sr = Some(value.to_string()),
            "sig" => sig = Some(decode(value)),
            "se" => se = Some(decode(value)),
            "skn" => skn = Some(value.to_string()),
            _ => {}
        }
    }
    let (sr, sig, se) = (sr.ok_or("no sr")?, sig.ok_or("no sig")?, se.ok_or("no se")?);
    let expiry: u64 = se.parse().map_err(|_| "se is not a number")?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if expiry + 300 < now {
        return Err("expired");
    }
    let audience = decode(&sr);
    if !audience.trim_end_matches('/').eq_ignore_ascii_case(host) {
        return Err("wrong audience");
    }
    if skn.as_deref().is_some_and(|p| p != POLICY) {
        return Err("unknown policy");
    }
    let to_sign = format!("{sr}\n{se}");
    for key in [PRIMARY_KEY, SECONDARY_KEY] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&STANDARD.decode(key).unwrap()).unwrap();
        mac.update(to_sign.as_bytes());
        if STANDARD.encode(mac.finalize().into_bytes()) == sig {
            return Ok(());
        }
    }
    Err("bad signature")
}

/// The one certificate in an enrollment's `certificate` string (the note's 2.2 rules for a
/// stand-in): PEM with one CERTIFICATE block (LF or CRLF), bare base64 DER (white space
/// ignored), or base64 of such a PEM. Anything else, several blocks included: `None`.
fn one_certificate(text: &str) -> Option<Vec<u8>> {
    fn from_pem(text: &str) -> Option<Vec<u8>> {
        let blocks = pem::parse_many(text).ok()?;
        match blocks.as_slice() {
            [one] if one.tag() == "CERTIFICATE" => Some(one.contents().to_vec()),
            _ => None,
        }
    }
    if text.contains("-----BEGIN") {
        return from_pem(text);
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = STANDARD.decode(compact).ok()?;
    if bytes.first() == Some(&0x30) {
        return Some(bytes);
    }
    from_pem(std::str::from_utf8(&bytes).ok()?)
}

fn subject_cn(der: &[u8]) -> Option<String> {
    use x509_cert::certificate::{CertificateInner, Raw};
    use x509_cert::der::Decode;
    let cert = CertificateInner::<Raw>::from_der(der).ok()?;
    let cn = x509_cert::der::asn1::ObjectIdentifier::new_unwrap("2.5.4.3");
    let subject = cert.tbs_certificate().subject();
    subject.iter().find(|atv| atv.oid == cn).and_then(|atv| {
        x509_cert::ext::pkix::name::DirectoryString::try_from(&atv.value)
            .ok()
            .map(|s| s.value().into_owned())
    })
}

fn record(e: &Enrollment) -> Value {
    json!({
        "registrationId": e.registration_id,
        "attestation": {"type": "x509", "x509": {"clientCertificates": {"primary": {"info": {
            "subjectName": format!("CN={}", subject_cn(&e.der).unwrap_or_default()),
            "sha1Thumbprint": hex::encode_upper(Sha1::digest(&e.der)),
            "sha256Thumbprint": hex::encode_upper(Sha256::digest(&e.der)),
            "version": 3
        }}}}},
        "etag": e.etag,
        "provisioningStatus": "enabled",
        "capabilities": {"iotEdge": false},
        "reprovisionPolicy": {"updateHubAssignment": true, "migrateDeviceData": true},
        "allocationPolicy": "hashed",
        "createdDateTimeUtc": e.created,
        "lastUpdatedDateTimeUtc": e.updated,
    })
}

/// Takes one of a fault's count; whether it applies.
fn take(count: &mut u32) -> bool {
    if *count > 0 {
        *count -= 1;
        true
    } else {
        false
    }
}

fn service(server: &Server, request: &Http) -> Answer {
    let mut state = server.state.lock().unwrap();
    let version = request.query("api-version").unwrap_or_default().to_string();
    if !state.api_versions.contains(&version) {
        return answer(
            400,
            json!({
                "Message": format!("ErrorCode:ArgumentInvalid;Unknown api version; uri: {}?api-version={version}", request.path),
                "ExceptionMessage": format!("Tracking ID:{:032x}-G2:-TimeStamp:{}", COUNTER.fetch_add(1, Ordering::SeqCst), timestamp())
            }),
        );
    }
    if check_sas(request.header("authorization"), &server.service_host).is_err() {
        return error(401, 401002, "Unauthorized");
    }
    if take(&mut state.faults.server_error) {
        return error(500, 500000, "Internal server error");
    }
    if take(&mut state.faults.throttle) {
        let mut a = error(429, 429001, "Too many requests");
        if state.faults.throttle_seconds > 0 {
            a.headers
                .push(("Retry-After", state.faults.throttle_seconds.to_string()));
        }
        return a;
    }
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("PUT", ["enrollments", id]) => put_enrollment(&mut state, id, request),
        ("GET", ["enrollments", id]) => match state.enrollments.get(&id.to_ascii_lowercase()) {
            Some(e) => answer(200, record(e)),
            None => error(404, 404201, "Enrollment not found"),
        },
        ("DELETE", ["enrollments", id]) => {
            match state.enrollments.remove(&id.to_ascii_lowercase()) {
                Some(_) => Answer {
                    status: 204,
                    headers: Vec::new(),
                    body: None,
                },
                None => error(404, 404201, "Enrollment not found"),
            }
        }
        ("POST", ["enrollments"]) => bulk(&mut state, request),
        _ => error(404, 404000, "Not found"),
    }
}

/// Checks an enrollment body for `id`; the certificate's DER, or the error.
fn validate(id: &str, body: &Value) -> Result<Option<Vec<u8>>, Answer> {
    let body_id = body["registrationId"].as_str().unwrap_or_default();
    if !body_id.eq_ignore_ascii_case(id) {
        return Err(error(400, 400000, "registrationId does not match the path"));
    }
    if body["attestation"]["type"] != "x509" {
        return Err(error(400, 400000, "attestation type must be x509 here"));
    }
    let primary = &body["attestation"]["x509"]["clientCertificates"]["primary"];
    let Some(text) = primary["certificate"].as_str() else {
        // An update carrying only `info` keeps the stored certificate.
        if primary.get("info").is_some() {
            return Ok(None);
        }
        return Err(error(400, 400000, "no primary client certificate"));
    };
    let Some(der) = one_certificate(text) else {
        return Err(error(
            400,
            400004,
            "The certificate is not a valid base64 string value",
        ));
    };
    if !subject_cn(&der).is_some_and(|cn| cn.eq_ignore_ascii_case(id)) {
        return Err(error(
            400,
            400000,
            "the certificate's CN is not the registration ID",
        ));
    }
    Ok(Some(der))
}

fn put_enrollment(state: &mut State, id: &str, request: &Http) -> Answer {
    if take(&mut state.faults.conflict) {
        return error(409, 409201, "Enrollment already exists");
    }
    if take(&mut state.faults.precondition) {
        return error(412, 412001, "Precondition failed");
    }
    if take(&mut state.faults.bad_certificate) {
        return error(
            400,
            400004,
            "The certificate is not a valid base64 string value",
        );
    }
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 400000, "the body is not JSON");
    };
    let der = match validate(id, &body) {
        Ok(der) => der,
        Err(a) => return a,
    };
    let key = id.to_ascii_lowercase();
    let now = timestamp();
    match (state.enrollments.get(&key), request.header("if-match")) {
        (Some(_), None) => error(409, 409201, "Enrollment already exists"),
        (Some(existing), Some(tag))
            if tag == "*" || tag == existing.etag || tag == format!("\"{}\"", existing.etag) =>
        {
            let mut updated = existing.clone();
            if let Some(der) = der {
                updated.der = der;
            }
            updated.etag = new_etag();
            updated.updated = now;
            let a = answer(200, record(&updated));
            state.enrollments.insert(key, updated);
            a
        }
        (Some(_), Some(_)) => error(412, 412001, "The ETag does not match"),
        (None, Some(tag)) if tag != "*" => error(404, 404201, "Enrollment not found"),
        (None, _) => {
            let Some(der) = der else {
                return error(400, 400000, "no primary client certificate");
            };
            let e = Enrollment {
                registration_id: id.to_string(),
                der,
                etag: new_etag(),
                created: now.clone(),
                updated: now,
            };
            let a = answer(200, record(&e));
            state.enrollments.insert(key, e);
            a
        }
    }
}

fn bulk(state: &mut State, request: &Http) -> Answer {
    let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
        return error(400, 400000, "the body is not JSON");
    };
    let items = body["enrollments"].as_array().cloned().unwrap_or_default();
    state.bulk_sizes.push(items.len());
    if items.len() > 10 {
        return error(
            400,
            400000,
            "Bulk enrollment operations take at most 10 enrollments",
        );
    }
    if body["mode"] != "create" {
        return error(400, 400000, "this stand-in does bulk mode create only");
    }
    let mut errors = Vec::new();
    for item in &items {
        let id = item["registrationId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = id.to_ascii_lowercase();
        let failure = match validate(&id, item) {
            _ if state.enrollments.contains_key(&key) => Some((409201, "Conflict".to_string())),
            Ok(Some(der)) => {
                let now = timestamp();
                state.enrollments.insert(
                    key,
                    Enrollment {
                        registration_id: id.clone(),
                        der,
                        etag: new_etag(),
                        created: now.clone(),
                        updated: now,
                    },
                );
                None
            }
            Ok(None) => Some((400000, "no certificate".to_string())),
            Err(a) => {
                let body = a.body.unwrap_or_default();
                Some((
                    body["errorCode"].as_u64().unwrap_or(400000),
                    body["message"].as_str().unwrap_or_default().to_string(),
                ))
            }
        };
        if let Some((code, status)) = failure {
            errors.push(json!({"registrationId": id, "errorCode": code, "errorStatus": status}));
        }
    }
    answer(
        200,
        json!({"isSuccessful": errors.is_empty(), "errors": errors}),
    )
}

const DEVICE_API_VERSIONS: [&str; 4] = [
    "2018-09-01-preview",
    "2019-03-31",
    "2021-06-01",
    "2021-10-01",
];

fn device(server: &Server, request: &Http, leaf: Option<&[u8]>) -> Answer {
    let mut state = server.state.lock().unwrap();
    let version = request.query("api-version").unwrap_or_default();
    if !DEVICE_API_VERSIONS.contains(&version) {
        return error(400, 400001, "Unknown api version");
    }
    if take(&mut state.faults.throttle) {
        let mut a = error(429, 429001, "Too many requests");
        if state.faults.throttle_seconds > 0 {
            a.headers
                .push(("retry-after", state.faults.throttle_seconds.to_string()));
        }
        return a;
    }
    if take(&mut state.faults.server_error) {
        return error(500, 500000, "Internal server error");
    }
    let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
    let (scope, id, operation) = match segments.as_slice() {
        [scope, "registrations", id, "register"] if request.method == "PUT" => (*scope, *id, None),
        [scope, "registrations", id, "operations", op] if request.method == "GET" => {
            (*scope, *id, Some(*op))
        }
        _ => return error(404, 404000, "Not found"),
    };
    let invalid = || error(401, 401002, "Invalid certificate");
    // The certificate presented must be the one enrolled for the ID, and name the ID.
    let Some(leaf) = leaf else {
        return invalid();
    };
    let Some(enrollment) = state.enrollments.get(&id.to_ascii_lowercase()).cloned() else {
        return invalid();
    };
    let same = Sha256::digest(leaf) == Sha256::digest(&enrollment.der)
        || Sha1::digest(leaf) == Sha1::digest(&enrollment.der);
    if !same || !subject_cn(leaf).is_some_and(|cn| cn.eq_ignore_ascii_case(id)) || scope != ID_SCOPE
    {
        return invalid();
    }
    let retry_after = state.device_retry_after.to_string();
    match operation {
        None => {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            if !body["registrationId"]
                .as_str()
                .is_some_and(|b| b.eq_ignore_ascii_case(id))
            {
                return error(400, 400000, "registrationId does not match the path");
            }
            let op = format!(
                "5.{:016x}.b3602f8f-76fe-4341-9214-bb6cfb891b8a",
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            let polls = state.polls_before_assigned;
            state
                .operations
                .insert(op.clone(), (id.to_ascii_lowercase(), polls));
            Answer {
                status: 202,
                headers: vec![
                    ("Retry-After", retry_after),
                    (
                        "Location",
                        format!(
                            "https://{}/{scope}/registrations/{id}/register",
                            server.service_host
                        ),
                    ),
                ],
                body: Some(json!({"operationId": op, "status": "assigning"})),
            }
        }
        Some(op) => {
            let Some((owner, left)) = state.operations.get(op).cloned() else {
                return error(404, 404000, "Unknown operation");
            };
            if owner != id.to_ascii_lowercase() {
                return error(404, 404000, "Unknown operation");
            }
            if left > 0 {
                state.operations.insert(op.to_string(), (owner, left - 1));
                return Answer {
                    status: 202,
                    headers: vec![("Retry-After", retry_after)],
                    body: Some(json!({"operationId": op, "status": "assigning"})),
                };
            }
            let now = timestamp();
            let registration = json!({
                "x509": {}, "registrationId": enrollment.registration_id,
                "createdDateTimeUtc": now, "assignedHub": HUB,
                "deviceId": enrollment.registration_id, "status": "assigned",
                "substatus": "initialAssignment", "lastUpdatedDateTimeUtc": now,
                "etag": new_etag()
            });
            state.registrations.insert(owner, registration.clone());
            answer(
                200,
                json!({"operationId": op, "status": "assigned", "registrationState": registration}),
            )
        }
    }
}
