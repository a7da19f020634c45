//! The board's boot output in normal mode (spec 2): an incremental parser that recognises,
//! line by line and never by position, the MAC address, the firmware version, the
//! registration ID in the HTTP trace and what DPS answered, and the rule for when the
//! registration ID is known. Text the board printed is kept only as [`board_text`]: long
//! hex runs hidden, printable, short; and an ID holding 64 hex digits in a row (a sketch
//! registering with its UDS) is never taken as the registration ID.

use crate::board::lines::LineSplitter;
use crate::registration_id::{FirmwareVersion, Mac, RegistrationId};
use crate::text::printable::board_text;
use thiserror::Error;

/// The line of stars' middle line, printed at every boot in every mode (spec 2.1).
pub const BANNER: &str = "** MXChip - Microsoft IoT Developer Kit **";

/// The mode the board booted in, from the lines that only that mode prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootMode {
    /// `You can 1. press Button A and reset to enter configuration mode.`: the sketch runs.
    Normal,
    /// `Configuration console:`: Button A was held at reset.
    Configuration,
    /// `Soft AP AZ-<mac> is running...`: Button B was held at reset.
    AccessPoint,
}

/// A DPS error reply: a `4xxxxx` `errorCode` and its `message` (spec 2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpsError {
    /// The code, such as 401002.
    pub code: u32,
    /// The message, such as `Invalid certificate`, made printable; `None` if not seen.
    pub message: Option<String>,
}

impl DpsError {
    /// The code DPS gives for a certificate it does not accept (or does not know).
    pub const INVALID_CERTIFICATE: u32 = 401002;
}

/// One fact recognised in a line, in the order the lines came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootEvent {
    /// The banner (spec 2.1): a board booted.
    Banner,
    /// A line only one boot mode prints.
    Mode(BootMode),
    /// `Info: DevKit MAC Address: <12 hex>`.
    Mac(Mac),
    /// `Info: DevKit Firmware Version: <x.y.z>`.
    FirmwareVersion(FirmwareVersion),
    /// `Info:    DPS Version: <v>` (printable).
    DpsVersion(String),
    /// The registration ID in the HTTP trace (`PUT /<scope>/registrations/<id>/...` or
    /// `"registrationId":"<id>"`).
    TracedId(RegistrationId),
    /// An ID in the HTTP trace that the certificate cannot hold (printable).
    UnusableTracedId(String),
    /// An ID in the HTTP trace that holds a run of 64 or more hex digits, as a UDS is: not
    /// taken (and not kept: it may be the board's secret).
    SecretLikeTracedId,
    /// `DiceInit failed!`: no UDS set, or an unusable one.
    DiceInitFailed,
    /// A `4xxxxx` error reply from DPS.
    DpsError(DpsError),
    /// `Failure encountered on registration!` or `registration failed!`.
    RegistrationFailed,
    /// The hub DPS assigned (printable).
    AssignedHub(String),
    /// The device ID DPS gave (printable).
    DeviceId(String),
    /// `Soft AP AZ-<mac> is running`: the MAC, from AP mode.
    ApMac(Mac),
}

/// Everything recognised so far. The first value seen of each kind is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootReport {
    /// How many non-empty lines came (whatever they said).
    pub lines: usize,
    /// Whether the banner was seen.
    pub banner: bool,
    /// The boot mode, from the last mode line seen.
    pub mode: Option<BootMode>,
    /// The MAC address line.
    pub mac: Option<Mac>,
    /// The firmware version line.
    pub firmware_version: Option<FirmwareVersion>,
    /// The DPS client version line.
    pub dps_version: Option<String>,
    /// The registration ID in the HTTP trace.
    pub traced_id: Option<RegistrationId>,
    /// An ID in the HTTP trace that is not a valid registration ID for the certificate.
    pub unusable_traced_id: Option<String>,
    /// An ID in the HTTP trace held 64 or more hex digits in a row (maybe the UDS): refused.
    pub secret_like_traced_id: bool,
    /// A second, different ID in the HTTP trace (another sketch, after a reset).
    pub other_traced_id: Option<RegistrationId>,
    /// `DiceInit failed!` was seen.
    pub dice_init_failed: bool,
    /// A DPS error reply.
    pub dps_error: Option<DpsError>,
    /// `registration failed!` was seen.
    pub registration_failed: bool,
    /// The hub DPS assigned.
    pub assigned_hub: Option<String>,
    /// The device ID DPS gave.
    pub device_id: Option<String>,
    /// The MAC from AP mode's `Soft AP AZ-<mac>` line.
    pub ap_mac: Option<Mac>,
}

/// Where a known registration ID came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSource {
    /// Built from the MAC address and firmware version lines.
    MacAndVersion,
    /// Read from the HTTP trace only (a sketch that sets its own ID, or lines missed).
    HttpTrace,
    /// Built from the two lines, and the HTTP trace repeats it.
    Both,
}

/// A registration ID the board uses, and how it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownId {
    /// The ID.
    pub id: RegistrationId,
    /// Where it came from.
    pub source: IdSource,
}

/// The board gave two different registration IDs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "the board's MAC address and firmware version give the registration ID {built}, but its HTTP trace uses {traced}"
)]
pub struct IdConflict {
    /// Built from the MAC and version lines (or the first ID traced).
    pub built: RegistrationId,
    /// The other one, from the HTTP trace.
    pub traced: RegistrationId,
}

/// What DPS answered, as far as the boot output tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DpsOutcome {
    /// `DiceInit failed!`: the board has no usable UDS, so it did not even try.
    DiceInitFailed,
    /// DPS refused the registration with this error (401002: invalid certificate).
    Refused(DpsError),
    /// `registration failed!` with no error reply seen.
    Failed,
    /// Registered: the hub, and the device ID when seen.
    Assigned {
        /// The IoT hub's host name.
        hub: String,
        /// The device ID DPS gave.
        device_id: Option<String>,
    },
}

impl BootReport {
    /// The ID the board builds from its MAC address and firmware version, when both were seen.
    pub fn built_id(&self) -> Option<RegistrationId> {
        Some(RegistrationId::from_board(
            self.mac.as_ref()?,
            self.firmware_version.as_ref()?,
        ))
    }

    /// The registration ID, once known: built from the two lines, or taken from the HTTP
    /// trace; when both are seen (or the trace showed two IDs) they must agree. Never known
    /// once the trace showed an ID holding 64 hex digits in a row: the board registers with
    /// that one, which may be its UDS.
    pub fn registration_id(&self) -> Result<Option<KnownId>, IdConflict> {
        if self.secret_like_traced_id {
            return Ok(None);
        }
        if let (Some(first), Some(other)) = (&self.traced_id, &self.other_traced_id) {
            return Err(IdConflict {
                built: first.clone(),
                traced: other.clone(),
            });
        }
        match (self.built_id(), &self.traced_id) {
            (Some(built), Some(traced)) if built != *traced => Err(IdConflict {
                built,
                traced: traced.clone(),
            }),
            (Some(built), Some(_)) => Ok(Some(KnownId {
                id: built,
                source: IdSource::Both,
            })),
            (Some(built), None) => Ok(Some(KnownId {
                id: built,
                source: IdSource::MacAndVersion,
            })),
            (None, Some(traced)) => Ok(Some(KnownId {
                id: traced.clone(),
                source: IdSource::HttpTrace,
            })),
            (None, None) => Ok(None),
        }
    }

    /// What DPS answered, if the output said so.
    pub fn outcome(&self) -> Option<DpsOutcome> {
        if self.dice_init_failed {
            return Some(DpsOutcome::DiceInitFailed);
        }
        if let Some(e) = &self.dps_error {
            return Some(DpsOutcome::Refused(e.clone()));
        }
        if let Some(hub) = &self.assigned_hub {
            return Some(DpsOutcome::Assigned {
                hub: hub.clone(),
                device_id: self.device_id.clone(),
            });
        }
        self.registration_failed.then_some(DpsOutcome::Failed)
    }

    fn record(&mut self, event: &BootEvent) {
        match event {
            BootEvent::Banner => self.banner = true,
            BootEvent::Mode(m) => self.mode = Some(*m),
            BootEvent::Mac(m) => {
                self.mac.get_or_insert_with(|| m.clone());
            }
            BootEvent::FirmwareVersion(v) => {
                self.firmware_version.get_or_insert_with(|| v.clone());
            }
            BootEvent::DpsVersion(v) => {
                self.dps_version.get_or_insert_with(|| v.clone());
            }
            BootEvent::TracedId(id) => match &self.traced_id {
                None => self.traced_id = Some(id.clone()),
                Some(first) if first != id && self.other_traced_id.is_none() => {
                    self.other_traced_id = Some(id.clone());
                }
                Some(_) => {}
            },
            BootEvent::UnusableTracedId(id) => {
                self.unusable_traced_id.get_or_insert_with(|| id.clone());
            }
            BootEvent::SecretLikeTracedId => self.secret_like_traced_id = true,
            BootEvent::DiceInitFailed => self.dice_init_failed = true,
            BootEvent::DpsError(e) => {
                self.dps_error.get_or_insert_with(|| e.clone());
            }
            BootEvent::RegistrationFailed => self.registration_failed = true,
            BootEvent::AssignedHub(h) => {
                self.assigned_hub.get_or_insert_with(|| h.clone());
            }
            BootEvent::DeviceId(d) => {
                self.device_id.get_or_insert_with(|| d.clone());
            }
            BootEvent::ApMac(m) => {
                self.ap_mac.get_or_insert_with(|| m.clone());
            }
        }
    }
}

/// The incremental parser: feed it what the port delivers, in pieces of any size.
#[derive(Debug, Default, Clone)]
pub struct BootLog {
    lines: LineSplitter,
    report: BootReport,
    /// A DPS error whose `message` has not been seen yet (a reply split over lines).
    awaiting_message: bool,
}

impl BootLog {
    /// A parser that has seen nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes bytes from the port; returns the facts recognised in the lines they ended.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<BootEvent> {
        let mut events = Vec::new();
        for line in self.lines.feed(bytes) {
            self.line(&line, &mut events);
        }
        events
    }

    /// Ends the input: a last line with no line end is parsed too.
    pub fn finish(&mut self) -> Vec<BootEvent> {
        let mut events = Vec::new();
        if let Some(line) = self.lines.push(b'\n')
            && !line.is_empty()
        {
            self.line(&line, &mut events);
        }
        events
    }

    /// What has been recognised so far.
    pub fn report(&self) -> &BootReport {
        &self.report
    }

    fn line(&mut self, line: &str, events: &mut Vec<BootEvent>) {
        if !line.trim().is_empty() {
            self.report.lines += 1;
        }
        let start = events.len();
        if self.awaiting_message
            && let Some(message) = json_string(line, "message")
            && let Some(e) = self.report.dps_error.as_mut()
            && e.message.is_none()
        {
            e.message = Some(board_text(message));
            self.awaiting_message = false;
        }
        let known: Vec<RegistrationId> = self
            .report
            .traced_id
            .iter()
            .cloned()
            .chain(self.report.built_id())
            .collect();
        recognise_with(line, events, &known);
        for event in events.iter().skip(start) {
            if let BootEvent::DpsError(e) = event {
                self.awaiting_message |= e.message.is_none() && self.report.dps_error.is_none();
            }
            self.report.record(event);
        }
    }
}

/// The facts in one line (no line end), in the order [`BootEvent`] lists them.
pub fn recognise(line: &str, events: &mut Vec<BootEvent>) {
    recognise_with(line, events, &[]);
}

/// [`recognise`], with the registration IDs already known: a device ID equal to one of them
/// (or to an ID traced in the same line) is kept whole; any other is [`board_text`].
fn recognise_with(line: &str, events: &mut Vec<BootEvent>, known: &[RegistrationId]) {
    if line.contains(BANNER) {
        events.push(BootEvent::Banner);
    }
    let trimmed = line.trim();
    if trimmed.starts_with("You can 1. press Button A") {
        events.push(BootEvent::Mode(BootMode::Normal));
    }
    if trimmed == "Configuration console:" {
        events.push(BootEvent::Mode(BootMode::Configuration));
    }
    if let Some(rest) = after(line, "Soft AP AZ-")
        && let Some(mac) = first_word(rest).and_then(|w| Mac::new(w).ok())
    {
        events.push(BootEvent::Mode(BootMode::AccessPoint));
        events.push(BootEvent::ApMac(mac));
    }
    if let Some(mac) = after(line, "DevKit MAC Address:")
        .and_then(first_word)
        .and_then(|w| Mac::new(w).ok())
    {
        events.push(BootEvent::Mac(mac));
    }
    if let Some(v) = after(line, "DevKit Firmware Version:")
        .and_then(first_word)
        .and_then(|w| FirmwareVersion::new(w).ok())
    {
        events.push(BootEvent::FirmwareVersion(v));
    }
    if let Some(v) = after(line, "DPS Version:").and_then(first_word) {
        events.push(BootEvent::DpsVersion(board_text(v)));
    }
    let mut traced = Vec::new();
    for id in traced_ids(line) {
        events.push(if crate::text::uds_like::holds_uds_like(id) {
            BootEvent::SecretLikeTracedId
        } else {
            match RegistrationId::new(id) {
                Ok(id) => {
                    traced.push(id.clone());
                    BootEvent::TracedId(id)
                }
                Err(_) => BootEvent::UnusableTracedId(board_text(id)),
            }
        });
    }
    if line.contains("DiceInit failed!") {
        events.push(BootEvent::DiceInitFailed);
    }
    if let Some(code) = json_number(line, "errorCode")
        && (400_000..500_000).contains(&code)
    {
        events.push(BootEvent::DpsError(DpsError {
            code,
            message: json_string(line, "message").map(board_text),
        }));
    }
    if line.contains("Failure encountered on registration!")
        || line.contains("registration failed!")
    {
        events.push(BootEvent::RegistrationFailed);
    }
    let hub = after(line, "Registration Information received from service:")
        .map(|rest| rest.trim().trim_end_matches('!').trim())
        .or_else(|| json_string(line, "assignedHub"));
    if let Some(hub) = hub.filter(|h| !h.is_empty()) {
        events.push(BootEvent::AssignedHub(board_text(hub)));
    }
    if let Some(d) = json_string(line, "deviceId").filter(|d| !d.is_empty()) {
        let is_known = known.iter().chain(&traced).any(|id| id.as_str() == d);
        events.push(BootEvent::DeviceId(if is_known {
            d.to_string()
        } else {
            board_text(d)
        }));
    }
}

/// The registration IDs in an HTTP trace line: the path's `/registrations/<id>/` and the
/// JSON's `"registrationId":"<id>"`, each once.
fn traced_ids(line: &str) -> Vec<&str> {
    let mut ids = Vec::new();
    if let Some(rest) = after(line, "/registrations/") {
        let id = rest.split(['/', '?', ' ', '"']).next().unwrap_or_default();
        if !id.is_empty() {
            ids.push(id);
        }
    }
    if let Some(id) = json_string(line, "registrationId").filter(|id| !id.is_empty())
        && !ids.contains(&id)
    {
        ids.push(id);
    }
    ids
}

fn after<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    line.find(marker).and_then(|i| line.get(i + marker.len()..))
}

fn first_word(text: &str) -> Option<&str> {
    text.split_whitespace().next()
}

/// The value after `"key"`, `:` and optional spaces, up to the next `,`, `}` or space, when
/// it is not a string.
fn json_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let quoted = format!("\"{key}\"");
    let rest = after(line, &quoted)?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    Some(rest)
}

/// A JSON string field in one line; no escapes are expected in what DPS sends here.
fn json_string<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let rest = json_value(line, key)?.strip_prefix('"')?;
    rest.split('"').next()
}

/// A JSON number field in one line.
fn json_number(line: &str, key: &str) -> Option<u32> {
    let rest = json_value(line, key)?;
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest.get(..end)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC_LINE: &str = "Info: DevKit MAC Address: c8934680ec24\r\n";
    const VERSION_LINE: &str = "Info: DevKit Firmware Version: 1.3.0\r\n";
    const PUT_LINE: &str = "PUT /0ne00000A0A/registrations/az-c8934680ec24v1v3v0/register?api-version=2019-03-31 HTTP/1.1\r\n";
    const BODY_LINE: &str = "{ \"registrationId\":\"az-c8934680ec24v1v3v0\" }\r\n";
    const REFUSED: &str = "{\"errorCode\":401002,\"trackingId\":\"0c1c2d3e-4f50-6172-8394-a5b6c7d8e9f0\",\"message\":\"Invalid certificate\",\"timestampUtc\":\"2024-05-01T10:00:00.123Z\"}\r\n";
    const BOOT_HEAD: &str = "\r\n************************************************\r\n** MXChip - Microsoft IoT Developer Kit **\r\n************************************************\r\nYou can 1. press Button A and reset to enter configuration mode.\r\n        2. press Button B and reset to enter AP mode.\r\n\r\n";

    fn id(s: &str) -> RegistrationId {
        RegistrationId::new(s).unwrap()
    }

    fn parse_in_pieces(text: &str, piece: usize) -> BootLog {
        let mut log = BootLog::new();
        for chunk in text.as_bytes().chunks(piece) {
            log.feed(chunk);
        }
        log
    }

    #[test]
    fn both_orders_among_noise_in_every_piece_size() {
        let noise =
            "WiFi[1] connected\r\nIP address: 192.168.1.23\r\nInfo:    DPS Version: 1.1.0\r\n";
        for text in [
            format!("{BOOT_HEAD}{noise}{MAC_LINE}Time: 2024\r\n{VERSION_LINE}{PUT_LINE}"),
            format!("{BOOT_HEAD}{VERSION_LINE}{noise}{MAC_LINE}{PUT_LINE}{BODY_LINE}"),
        ] {
            for piece in [1, 2, 3, 7, 64, 10_000] {
                let log = parse_in_pieces(&text, piece);
                let r = log.report();
                assert!(r.banner);
                assert_eq!(r.mode, Some(BootMode::Normal));
                assert_eq!(r.mac.as_ref().unwrap().as_str(), "c8934680ec24");
                assert_eq!(r.firmware_version.as_ref().unwrap().as_str(), "1.3.0");
                assert_eq!(r.dps_version.as_deref(), Some("1.1.0"));
                assert_eq!(
                    r.registration_id().unwrap(),
                    Some(KnownId {
                        id: id("az-c8934680ec24v1v3v0"),
                        source: IdSource::Both
                    })
                );
                assert_eq!(r.outcome(), None);
            }
        }
    }

    #[test]
    fn cr_only_and_lf_only_line_ends() {
        let text = "Info: DevKit MAC Address: c8934680ec24\rInfo: DevKit Firmware Version: 1.6.5\n";
        let mut log = BootLog::new();
        let events = log.feed(text.as_bytes());
        assert_eq!(events.len(), 2);
        assert_eq!(
            log.report().registration_id().unwrap().unwrap(),
            KnownId {
                id: id("az-c8934680ec24v1v6v5"),
                source: IdSource::MacAndVersion
            }
        );
    }

    #[test]
    fn events_are_reported_as_lines_end() {
        let mut log = BootLog::new();
        assert!(log.feed(b"Info: DevKit MAC Address: c89346").is_empty());
        assert_eq!(
            log.feed(b"80ec24\r"),
            [BootEvent::Mac(Mac::new("c8934680ec24").unwrap())]
        );
        assert!(log.feed(b"\n").is_empty());
        assert!(log.report().registration_id().unwrap().is_none());
    }

    #[test]
    fn custom_id_from_the_trace_only() {
        let text = format!(
            "{BOOT_HEAD}PUT /0ne00000A0A/registrations/my-device-01/register?api-version=2019-03-31 HTTP/1.1\r\nContent-Type: application/json\r\n"
        );
        let log = parse_in_pieces(&text, 5);
        let r = log.report();
        assert_eq!(r.mac, None);
        assert_eq!(
            r.registration_id().unwrap().unwrap(),
            KnownId {
                id: id("my-device-01"),
                source: IdSource::HttpTrace
            }
        );
        let mut log = BootLog::new();
        log.feed(b"{ \"registrationId\" : \"my-device-02\" }\r\n");
        assert_eq!(log.report().traced_id, Some(id("my-device-02")));
    }

    #[test]
    fn a_trace_that_disagrees_is_a_conflict() {
        let text = format!(
            "{MAC_LINE}{VERSION_LINE}PUT /s/registrations/other-id/register?x HTTP/1.1\r\n"
        );
        let log = parse_in_pieces(&text, 4);
        let e = log.report().registration_id().unwrap_err();
        assert_eq!(e.built, id("az-c8934680ec24v1v3v0"));
        assert_eq!(e.traced, id("other-id"));
        assert_eq!(
            e.to_string(),
            "the board's MAC address and firmware version give the registration ID az-c8934680ec24v1v3v0, but its HTTP trace uses other-id"
        );
    }

    #[test]
    fn an_id_the_certificate_cannot_hold_is_kept_apart() {
        let mut log = BootLog::new();
        log.feed(b"PUT /s/registrations/My_Device/register?x HTTP/1.1\r\n");
        let r = log.report();
        assert_eq!(r.unusable_traced_id.as_deref(), Some("My_Device"));
        assert_eq!(r.registration_id().unwrap(), None);
    }

    #[test]
    fn invalid_certificate() {
        let text = format!(
            "{MAC_LINE}{VERSION_LINE}{PUT_LINE}HTTP/1.1 401 Unauthorized\r\n{REFUSED}Failure encountered on registration!\r\nregistration failed!\r\n"
        );
        let log = parse_in_pieces(&text, 3);
        assert_eq!(
            log.report().outcome(),
            Some(DpsOutcome::Refused(DpsError {
                code: DpsError::INVALID_CERTIFICATE,
                message: Some("Invalid certificate".into())
            }))
        );
    }

    #[test]
    fn error_message_on_a_later_line() {
        let mut log = BootLog::new();
        log.feed(b"{\r\n  \"errorCode\": 401002,\r\n  \"trackingId\": \"x\",\r\n  \"message\": \"Invalid certificate\"\r\n}\r\n");
        assert_eq!(
            log.report().dps_error,
            Some(DpsError {
                code: 401002,
                message: Some("Invalid certificate".into())
            })
        );
    }

    #[test]
    fn codes_outside_4xxxxx_are_not_dps_errors() {
        let mut log = BootLog::new();
        log.feed(b"{\"errorCode\":500000,\"message\":\"x\"}\r\n{\"errorCode\":40100,\"message\":\"y\"}\r\n");
        assert_eq!(log.report().dps_error, None);
        log.feed(b"registration failed!\r\n");
        assert_eq!(log.report().outcome(), Some(DpsOutcome::Failed));
    }

    #[test]
    fn dice_init_failed() {
        let mut log = BootLog::new();
        log.feed(
            b"ERROR: DiceInit failed! Check UDS string provided or set on configuration mode\r\n",
        );
        assert_eq!(log.report().outcome(), Some(DpsOutcome::DiceInitFailed));
    }

    #[test]
    fn registered_to_a_hub() {
        let text = "{\"operationId\":\"4.abc\",\"status\":\"assigned\",\"registrationState\":{\"registrationId\":\"az-c8934680ec24v1v3v0\",\"assignedHub\":\"myhub.azure-devices.net\",\"deviceId\":\"az-c8934680ec24v1v3v0\",\"status\":\"assigned\"}}\r\nRegistration Information received from service: myhub.azure-devices.net!\r\n";
        let log = parse_in_pieces(text, 9);
        let r = log.report();
        assert_eq!(r.traced_id, Some(id("az-c8934680ec24v1v3v0")));
        assert_eq!(
            r.outcome(),
            Some(DpsOutcome::Assigned {
                hub: "myhub.azure-devices.net".into(),
                device_id: Some("az-c8934680ec24v1v3v0".into())
            })
        );
        let mut log = BootLog::new();
        log.feed(b"Registration Information received from service: other.azure-devices.net!\r\n");
        assert_eq!(
            log.report().outcome(),
            Some(DpsOutcome::Assigned {
                hub: "other.azure-devices.net".into(),
                device_id: None
            })
        );
    }

    #[test]
    fn ap_mode_and_configuration_mode() {
        let mut log = BootLog::new();
        log.feed(format!("{BOOT_HEAD}Soft AP AZ-c8934680ec24 is running...\r\n").as_bytes());
        let r = log.report();
        assert_eq!(r.mode, Some(BootMode::AccessPoint));
        assert_eq!(r.ap_mac.as_ref().unwrap().as_str(), "c8934680ec24");
        assert_eq!(r.mac, None);
        let mut log = BootLog::new();
        log.feed(b"\r\n** MXChip - Microsoft IoT Developer Kit **\r\nConfiguration console:\r\n - help: Help document.\r\n\r\n# ");
        assert_eq!(log.report().mode, Some(BootMode::Configuration));
        assert_eq!(log.report().lines, 3, "blank lines are not counted");
    }

    #[test]
    fn malformed_values_are_not_taken() {
        let mut log = BootLog::new();
        log.feed(b"Info: DevKit MAC Address: c8934680ec2\r\nInfo: DevKit MAC Address: zz934680ec24\r\nInfo: DevKit Firmware Version: 1.3\r\nInfo: DevKit Firmware Version:\r\n\"errorCode\":\r\n\"registrationId\":\"\"\r\n/registrations/\r\n");
        let nothing_but_lines = BootReport {
            lines: 7,
            ..BootReport::default()
        };
        assert_eq!(log.report(), &nothing_but_lines);
    }

    #[test]
    fn the_first_value_is_kept() {
        let mut log = BootLog::new();
        log.feed(format!("{MAC_LINE}Info: DevKit MAC Address: 000000000000\r\n").as_bytes());
        assert_eq!(log.report().mac.as_ref().unwrap().as_str(), "c8934680ec24");
    }

    #[test]
    fn finish_parses_a_last_line_with_no_end() {
        let mut log = BootLog::new();
        assert!(log.feed(VERSION_LINE.trim_end().as_bytes()).is_empty());
        assert_eq!(log.finish().len(), 1);
        assert!(log.finish().is_empty());
    }

    #[test]
    fn untrusted_text_is_made_printable() {
        let mut log = BootLog::new();
        log.feed(b"Registration Information received from service: evil\x1b[2Jhub!\r\n");
        assert_eq!(log.report().assigned_hub.as_deref(), Some("evil?[2Jhub"));
    }

    const UDS: &str = "19e25a259d0c2be03a02d416c05c48ccd0cc7d1743458aae1cb488b074993eae";

    #[test]
    fn an_id_holding_a_uds_is_never_the_registration_id() {
        for traced in [
            UDS.to_string(),
            format!("dev-{UDS}"),
            format!("{UDS}0"),
            UDS.to_uppercase(),
        ] {
            let text = format!(
                "PUT /s/registrations/{traced}/register?x HTTP/1.1\r\n{{ \"registrationId\":\"{traced}\" }}\r\n"
            );
            let log = parse_in_pieces(&text, 7);
            let r = log.report();
            assert!(r.secret_like_traced_id, "{traced}");
            assert_eq!(r.traced_id, None);
            assert_eq!(r.unusable_traced_id, None);
            assert_eq!(r.registration_id().unwrap(), None);
            assert!(!format!("{r:?}").contains(&UDS[..12]), "{r:?}");
        }
        // Even with the MAC and version seen: the board registers with the traced ID, so the
        // one built from them is not its ID either.
        let text =
            format!("{MAC_LINE}{VERSION_LINE}PUT /s/registrations/{UDS}/register HTTP/1.1\r\n");
        let r = parse_in_pieces(&text, 5).report().clone();
        assert!(r.built_id().is_some());
        assert_eq!(r.registration_id().unwrap(), None);
    }

    #[test]
    fn board_text_hides_hex_runs_and_invisible_characters() {
        let groups = "19e25a259d0c2be-03a02d416c05c48-ccd0cc7d1743458-aae1cb488b07499-3eae";
        let text = format!(
            "{{\"errorCode\":401002,\"message\":\"{groups}\"}}\r\nRegistration Information received from service: hub\u{202e}ten.{UDS}!\r\n{{\"deviceId\":\"x{groups}\u{200b}\"}}\r\nInfo:    DPS Version: 1.1.0\u{2066}{UDS}\r\n"
        );
        let log = parse_in_pieces(&text, 3);
        let r = log.report();
        assert_eq!(
            r.dps_error.as_ref().unwrap().message.as_deref(),
            Some("<hidden>-<hidden>-<hidden>-<hidden>-3eae")
        );
        assert_eq!(r.assigned_hub.as_deref(), Some("hub?ten.<hidden>"));
        assert_eq!(
            r.device_id.as_deref(),
            Some("x<hidden>-<hidden>-<hidden>-<hidden>-3eae?")
        );
        assert_eq!(r.dps_version.as_deref(), Some("1.1.0?<hidden>"));
        // The device ID that is the board's registration ID is kept whole.
        let text = "{\"registrationId\":\"az-c8934680ec24v1v3v0\",\"deviceId\":\"az-c8934680ec24v1v3v0\"}\r\n";
        assert_eq!(
            parse_in_pieces(text, 4).report().device_id.as_deref(),
            Some("az-c8934680ec24v1v3v0")
        );
    }

    #[test]
    fn noise_does_not_panic() {
        let mut log = BootLog::new();
        let mut x: u32 = 1;
        let bytes: Vec<u8> = (0..20_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x % 256) as u8
            })
            .collect();
        log.feed(&bytes);
        log.finish();
    }
}
