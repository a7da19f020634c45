//! A simulated MXChip AZ3166 DevKit on a pseudo-terminal, written from the board's serial
//! protocol (`docs/board.md`): the tool opens the slave's path (`/dev/pts/N`) as its serial
//! port; a thread on the master side plays the board: a normal-mode boot (in small pieces of
//! random size, with small delays), a silent board, or the configuration console (masked echo,
//! CR-terminated commands, `set_dps_uds` in each firmware's variant, `exit` rebooting into
//! normal mode). It records what the host sent.
//!
//! Unix code; the tests that open it through `serialport` run on Linux only (on macOS,
//! serialport sets the speed with an ioctl that a pty refuses with ENOTTY). The pty comes
//! from `rustix` (already a dependency; its `pty` feature adds no crate): it gives the master
//! as a plain fd to read and write without blocking, the slave's path, and raw mode, all
//! without unsafe code. `portable-pty` is made to spawn a child on the
//! slave and hides the master's fd; `nix` would be a second crate doing what rustix does.
//!
//! The simulator keeps its own fd on the slave, set to raw mode before the tool opens it (no
//! line discipline turns CR into LF or echoes), and open for its whole life, so the master
//! never sees a hang-up while the tool opens and closes the port.
#![cfg(test)]

use rustix::fd::OwnedFd;
use rustix::fs::OFlags;
use rustix::pty::OpenptFlags;
use rustix::termios::OptionalActions;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The banner (spec 2.1), every boot, every mode.
pub(crate) const BANNER: &str = "\r\n************************************************\r\n** MXChip - Microsoft IoT Developer Kit **\r\n************************************************\r\n";
/// What normal mode prints after the banner.
pub(crate) const NORMAL_HINT: &str = "You can 1. press Button A and reset to enter configuration mode.\r\n        2. press Button B and reset to enter AP mode.\r\n\r\n";
/// The command list of the configuration console (SDK 1.6.x).
const COMMANDS: &[(&str, &str)] = &[
    ("help", "Help document"),
    ("version", "System version"),
    ("exit", "Exit and reboot"),
    ("scan", "Scan Wi-Fi AP"),
    ("set_wifissid", "Set Wi-Fi SSID"),
    ("set_wifipwd", "Set Wi-Fi password"),
    ("set_az_iothub", "Set IoT Hub device connection string"),
    (
        "set_dps_uds",
        "Set DPS Unique Device Secret (UDS) for X.509 certificates.",
    ),
    (
        "enable_secure",
        "Enable secure channel between AZ3166 and secure chip",
    ),
];
/// The DPS error reply for a certificate DPS does not accept.
pub(crate) const INVALID_CERTIFICATE_REPLY: &str = "{\"errorCode\":401002,\"trackingId\":\"5b7a6c1e-2f3d-4e5f-8a9b-0c1d2e3f4a5b\",\"message\":\"Invalid certificate\",\"timestampUtc\":\"2024-05-01T10:00:03.1234567Z\"}";
/// The hub of a successful registration.
pub(crate) const HUB: &str = "myhub.azure-devices.net";

/// What DPS answers in a normal boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The output stops after the registration request.
    NoAnswer,
    /// `DiceInit failed!`: no UDS; no HTTP trace follows.
    DiceInitFailed,
    /// A 401002 `Invalid certificate` reply.
    InvalidCertificate,
    /// Registered to [`HUB`].
    Assigned,
}

/// A normal-mode boot of the DPS sketch.
#[derive(Debug, Clone)]
pub(crate) struct Boot {
    /// The MAC as the firmware prints it (12 lower-case hex digits).
    pub(crate) mac: String,
    /// The SDK version the sketch was built with.
    pub(crate) version: String,
    /// The firmware version line before the MAC line (and the `DPS Version` line first).
    pub(crate) version_first: bool,
    /// A sketch that sets its own registration ID: no MAC and version lines.
    pub(crate) custom_id: Option<String>,
    /// What DPS answers.
    pub(crate) outcome: Outcome,
    /// Line ends `\r` and `\n` alone among the `\r\n` ones.
    pub(crate) mixed_line_ends: bool,
    /// The hub DPS assigns ([`HUB`] by default): a hostile board may print anything there.
    pub(crate) hub: String,
    /// The device ID DPS gives (the registration ID by default).
    pub(crate) device_id: Option<String>,
}

impl Boot {
    /// The tutorial's default sketch on a board with this MAC and SDK version.
    pub(crate) fn new(mac: &str, version: &str) -> Self {
        Self {
            mac: mac.into(),
            version: version.into(),
            version_first: false,
            custom_id: None,
            outcome: Outcome::NoAnswer,
            mixed_line_ends: false,
            hub: HUB.into(),
            device_id: None,
        }
    }

    /// The registration ID the board uses.
    pub(crate) fn id(&self) -> String {
        self.custom_id
            .clone()
            .unwrap_or_else(|| format!("az-{}v{}", self.mac, self.version.replace('.', "v")))
    }

    /// Everything the board prints, from reset on.
    pub(crate) fn text(&self) -> String {
        let id = self.id();
        let mut t = format!("{BANNER}{NORMAL_HINT}");
        t += "WiFi[0] connecting to MyNetwork\r\nWi-Fi MyNetwork connected.\r\nIP Address: 192.168.1.23\r\n";
        t += "Time: Wed May  1 10:00:00 2024\r\nDevKitDPS: starting\r\n";
        let mac = format!("Info: DevKit MAC Address: {}\r\n", self.mac);
        let version = format!("Info: DevKit Firmware Version: {}\r\n", self.version);
        let dps = "Info:    DPS Version: 1.1.0\r\n";
        if self.custom_id.is_none() {
            if self.version_first {
                t += &format!("{dps}{version}Info: Using the board's ID\r\n{mac}");
            } else {
                t += &format!("{mac}Info: Using the board's ID\r\n{version}{dps}");
            }
        } else {
            t += dps;
        }
        if self.outcome == Outcome::DiceInitFailed {
            t += "ERROR: DiceInit failed! Check UDS string provided or set on configuration mode\r\n";
            return self.line_ends(t);
        }
        t += &format!(
            "-> 10:00:02 CONNECT\r\nPUT /0ne00000A0A/registrations/{id}/register?api-version=2019-03-31 HTTP/1.1\r\nHost: global.azure-devices-provisioning.net\r\nContent-Type: application/json; charset=utf-8\r\nUser-Agent: prov_device_client/1.1.0\r\nContent-Length: {}\r\n\r\n{{ \"registrationId\":\"{id}\" }}\r\n",
            id.len() + 22
        );
        match self.outcome {
            Outcome::NoAnswer | Outcome::DiceInitFailed => {}
            Outcome::InvalidCertificate => {
                t += &format!(
                    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{INVALID_CERTIFICATE_REPLY}\r\nFailure encountered on registration!\r\nregistration failed!\r\n"
                );
            }
            Outcome::Assigned => {
                let hub = &self.hub;
                let device = self.device_id.clone().unwrap_or_else(|| id.clone());
                t += &format!(
                    "HTTP/1.1 202 Accepted\r\n{{\"operationId\":\"4.0b1f2c3d.9e8f\",\"status\":\"assigning\"}}\r\nGET /0ne00000A0A/registrations/{id}/operations/4.0b1f2c3d.9e8f?api-version=2019-03-31 HTTP/1.1\r\nHTTP/1.1 200 OK\r\n{{\"operationId\":\"4.0b1f2c3d.9e8f\",\"status\":\"assigned\",\"registrationState\":{{\"registrationId\":\"{id}\",\"assignedHub\":\"{hub}\",\"deviceId\":\"{device}\",\"status\":\"assigned\"}}}}\r\nRegistration Information received from service: {hub}!\r\n"
                );
            }
        }
        self.line_ends(t)
    }

    fn line_ends(&self, t: String) -> String {
        if !self.mixed_line_ends {
            return t;
        }
        let mut out = String::new();
        for (i, line) in t.split("\r\n").enumerate() {
            if i > 0 {
                out += ["\r\n", "\n", "\r"][i % 3];
            }
            out += line;
        }
        out
    }
}

/// How the firmware answers `set_dps_uds` (spec 3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Firmware {
    /// SDK 1.6.2 and later: `Invalid UDS.` then the success line for a valid UDS.
    Quirk,
    /// Older DPS firmware: the success line alone.
    Old,
    /// The write fails: `ERROR: Failed to write EEPROM: 0x06.`
    EepromFailure,
    /// The read-back differs: `ERROR: Verify failed.`
    VerifyFailure,
    /// Before SDK 1.3.0: no such command.
    NoDpsCommand,
    /// Hostile: answers `set_dps_uds` with another `INFO:` line (and invisible characters),
    /// storing nothing.
    OtherInfo,
    /// Hostile: answers `set_dps_uds` by repeating the UDS in 15-digit groups.
    GroupedEcho,
    /// Hostile: answers `set_dps_uds` with short lines, as fast as the port takes them, and
    /// never a prompt.
    Flood,
    /// Faulty: `exit` prints `Reboot`, and then the board says nothing (it did not restart).
    NoReboot,
}

/// What the board does when the tool opens the port.
#[derive(Debug, Clone)]
pub(crate) enum Mode {
    /// Boots the sketch in normal mode.
    Normal(Boot),
    /// Says nothing (no DPS sketch, Wi-Fi not set, or not reset).
    Silent,
    /// In configuration mode; `exit` reboots it into normal mode with `after_exit`.
    Configuration {
        /// How `set_dps_uds` answers.
        firmware: Firmware,
        /// What `version` prints first.
        sdk_version: String,
        /// The normal boot after `exit`.
        after_exit: Boot,
    },
}

/// Timing and randomness of the output.
#[derive(Debug, Clone)]
pub(crate) struct Timing {
    /// Delay from the start to the first byte (the user pressing Reset).
    pub(crate) start_delay: Duration,
    /// Largest piece written at once.
    pub(crate) max_piece: usize,
    /// Largest pause between pieces.
    pub(crate) max_gap: Duration,
    /// Seed of the piece sizes and pauses.
    pub(crate) seed: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            start_delay: Duration::from_millis(20),
            max_piece: 24,
            max_gap: Duration::from_micros(1500),
            seed: 0x5eed,
        }
    }
}

/// Decides the board's next boot (as if Reset were pressed), asked again and again once its
/// output is all written, until it gives one.
pub(crate) type NextBoot = Box<dyn FnMut() -> Option<Boot> + Send>;

/// A running simulated board; stops when dropped.
pub(crate) struct SimBoard {
    path: String,
    next_boot: Arc<Mutex<Option<NextBoot>>>,
    reset: Arc<Mutex<Option<Mode>>>,
    received: Arc<Mutex<Vec<u8>>>,
    stored_uds: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SimBoard {
    /// Opens a pty and starts the board with default timing.
    pub(crate) fn start(mode: Mode) -> Self {
        Self::start_with(mode, Timing::default())
    }

    /// Opens a pty and starts the board.
    pub(crate) fn start_with(mode: Mode, timing: Timing) -> Self {
        let master =
            rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
                .expect("openpt");
        rustix::pty::grantpt(&master).expect("grantpt");
        rustix::pty::unlockpt(&master).expect("unlockpt");
        let path = rustix::pty::ptsname(&master, Vec::new())
            .expect("ptsname")
            .into_string()
            .expect("pts path");
        let slave = rustix::fs::open(
            path.as_str(),
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        )
        .expect("open the slave");
        let mut termios = rustix::termios::tcgetattr(&slave).expect("tcgetattr");
        termios.make_raw();
        rustix::termios::tcsetattr(&slave, OptionalActions::Now, &termios).expect("raw mode");
        rustix::fs::fcntl_setfl(&master, OFlags::NONBLOCK).expect("non-blocking master");
        let received = Arc::new(Mutex::new(Vec::new()));
        let stored_uds = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let next_boot: Arc<Mutex<Option<NextBoot>>> = Arc::default();
        let reset: Arc<Mutex<Option<Mode>>> = Arc::default();
        let mut board = Board {
            next_boot: Arc::clone(&next_boot),
            reset: Arc::clone(&reset),
            master,
            _slave: slave,
            mode,
            timing: timing.clone(),
            rng: timing.seed | 1,
            out: VecDeque::new(),
            line: Vec::new(),
            state: State::Reset,
            received: Arc::clone(&received),
            stored_uds: Arc::clone(&stored_uds),
            flooding: false,
        };
        let stop_flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || board.run(&stop_flag));
        Self {
            path,
            next_boot,
            reset,
            received,
            stored_uds,
            stop,
            thread: Some(thread),
        }
    }

    /// Once its output is all written (in normal mode), the board boots again when `decide`
    /// gives a boot (a user pressing Reset once something happened: an enrollment made,
    /// say), half a second after; once.
    pub(crate) fn then_boot(&self, decide: impl FnMut() -> Option<Boot> + Send + 'static) {
        *self.next_boot.lock().unwrap() = Some(Box::new(decide));
    }

    /// Resets the board into `mode` (a user pressing Reset, holding button A or not) once what
    /// it is printing is written (a user presses seconds later, not mid-line); it starts
    /// again after the start delay. The UDS stored so far stays (the EEPROM).
    pub(crate) fn reset(&self, mode: Mode) {
        *self.reset.lock().unwrap() = Some(mode);
    }

    /// The slave's path, to open as the serial port.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Every byte the host sent, once the board has read them all: the board's thread may
    /// lag behind a host that has already exited (a loaded machine), so this waits until
    /// nothing more has arrived for 200 ms (at most 5 s).
    pub(crate) fn received(&self) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut last = self.received.lock().unwrap().clone();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            let now = self.received.lock().unwrap().clone();
            if now == last {
                break;
            }
            last = now;
        }
        last
    }

    /// The UDS arguments `set_dps_uds` stored, in order.
    pub(crate) fn stored_uds(&self) -> Vec<String> {
        self.stored_uds.lock().unwrap().clone()
    }
}

impl Drop for SimBoard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the start delay.
    Reset,
    /// Normal mode (or silent): input is ignored.
    Running,
    /// The configuration console reads commands.
    Console,
}

struct Board {
    next_boot: Arc<Mutex<Option<NextBoot>>>,
    reset: Arc<Mutex<Option<Mode>>>,
    master: OwnedFd,
    _slave: OwnedFd,
    mode: Mode,
    timing: Timing,
    rng: u64,
    out: VecDeque<u8>,
    line: Vec<u8>,
    state: State,
    received: Arc<Mutex<Vec<u8>>>,
    stored_uds: Arc<Mutex<Vec<String>>>,
    /// [`Firmware::Flood`] after `set_dps_uds`: the output is topped up for ever.
    flooding: bool,
}

/// What a flooding board repeats: short lines, so that each costs a host that keeps them the
/// most memory for the bytes sent.
const FLOOD: &str = "x\r\n";

impl Board {
    fn run(&mut self, stop: &AtomicBool) {
        let mut started = Instant::now();
        let mut next_write = started;
        let mut last_asked = started;
        let mut buf = [0u8; 256];
        while !stop.load(Ordering::SeqCst) {
            // A user's press comes seconds after the board said its last: once it is written.
            let pending = self.out.is_empty() && !self.flooding;
            if let Some(mode) = pending.then(|| self.reset.lock().unwrap().take()).flatten() {
                self.mode = mode;
                self.line.clear();
                self.state = State::Reset;
                started = Instant::now();
                next_write = started;
            }
            if let Ok(n) = rustix::io::read(&self.master, &mut buf) {
                let bytes = buf.get(..n).unwrap_or_default().to_vec();
                self.received.lock().unwrap().extend_from_slice(&bytes);
                if self.state == State::Console {
                    for b in bytes {
                        self.key(b);
                    }
                }
            }
            if self.state == State::Reset && started.elapsed() >= self.timing.start_delay {
                self.state = State::Running;
                match self.mode.clone() {
                    Mode::Normal(boot) => self.say(&boot.text()),
                    Mode::Silent => {}
                    Mode::Configuration { firmware, .. } => {
                        self.state = State::Console;
                        let mut t = format!("{BANNER}Configuration console:\r\n");
                        t += &command_list(firmware);
                        t += "\r\n# ";
                        self.say(&t);
                    }
                }
            }
            if self.state == State::Running
                && self.out.is_empty()
                && last_asked.elapsed() >= Duration::from_millis(50)
            {
                last_asked = Instant::now();
                let mut next = self.next_boot.lock().unwrap();
                if let Some(boot) = next.as_mut().and_then(|decide| decide()) {
                    *next = None;
                    drop(next);
                    self.say(&boot.text());
                    next_write = Instant::now() + Duration::from_millis(500);
                }
            }
            if self.flooding && self.out.len() < 1 << 16 {
                self.say(&FLOOD.repeat(4096));
            }
            let now = Instant::now();
            if !self.out.is_empty() && now >= next_write {
                let size = 1 + self.random(self.timing.max_piece as u64) as usize;
                let piece: Vec<u8> = self.out.iter().take(size).copied().collect();
                if let Ok(n) = rustix::io::write(&self.master, &piece) {
                    self.out.drain(..n);
                }
                let gap = self.random(self.timing.max_gap.as_micros() as u64 + 1);
                next_write = now + Duration::from_micros(gap);
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn random(&mut self, below: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        if below == 0 { 0 } else { self.rng % below }
    }

    fn say(&mut self, text: &str) {
        self.out.extend(text.as_bytes());
    }

    /// One byte typed at the console (spec 3.1).
    fn key(&mut self, b: u8) {
        match b {
            b'\r' => {
                let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                self.say("\r\n");
                match self.run_command(&line) {
                    Some(_) if self.flooding => {}
                    Some(answer) => self.say(&format!("{answer}\r\n# ")),
                    None => {
                        self.say("Reboot\r\n");
                        self.state = State::Running;
                        if let Mode::Configuration {
                            after_exit,
                            firmware,
                            ..
                        } = self.mode.clone()
                            && firmware != Firmware::NoReboot
                        {
                            self.say(&after_exit.text());
                        }
                    }
                }
            }
            0x08 | 0x7f => {
                if self.line.pop().is_some() {
                    self.say("\x08 \x08");
                }
            }
            b if b < 0x20 => {}
            b => {
                if self.line.len() < 1024 {
                    let text = String::from_utf8_lossy(&self.line).into_owned();
                    let masked = matches!(
                        text.split_once(' '),
                        Some(("set_dps_uds" | "set_wifipwd", _))
                    );
                    self.line.push(b);
                    if masked {
                        self.say("*");
                    } else {
                        self.out.push_back(b);
                    }
                }
            }
        }
    }

    /// The answer to a command line, or `None` for `exit`.
    fn run_command(&mut self, line: &str) -> Option<String> {
        let Mode::Configuration {
            firmware,
            sdk_version,
            ..
        } = self.mode.clone()
        else {
            return Some(String::new());
        };
        let args: Vec<&str> = line.split(' ').filter(|a| !a.is_empty()).collect();
        let Some(&name) = args.first() else {
            return Some(String::new());
        };
        Some(match name {
            "exit" => return None,
            "help" => command_list(firmware).trim_end().to_string(),
            "version" => format!(
                "DevKitSDK version: {sdk_version}\r\nMico version: 3.0.0\r\nmbed-os version: 5.4.3\r\nmbed TLS version: 2.4.0\r\nWIFI version: 1.0.0"
            ),
            "set_dps_uds" if firmware == Firmware::NoDpsCommand => {
                "Error:Invalid command: set_dps_uds".to_string()
            }
            "set_dps_uds" => match args.get(1) {
                None => "Usage: set_dps_uds [uds]. Please provide the UDS for DPS.".to_string(),
                Some(uds) => {
                    let uds = uds.to_string();
                    match firmware {
                        Firmware::OtherInfo => {
                            "INFO: Wi-Fi reconnected.\u{202e}\u{200b}".to_string()
                        }
                        Firmware::GroupedEcho => {
                            let groups: Vec<String> = uds
                                .as_bytes()
                                .chunks(15)
                                .map(|g| String::from_utf8_lossy(g).into_owned())
                                .collect();
                            format!("Got: {}", groups.join(" "))
                        }
                        Firmware::Flood => {
                            self.flooding = true;
                            String::new()
                        }
                        Firmware::EepromFailure => {
                            "ERROR: Failed to write EEPROM: 0x06.".to_string()
                        }
                        Firmware::VerifyFailure => "ERROR: Verify failed.".to_string(),
                        Firmware::Quirk => {
                            self.stored_uds.lock().unwrap().push(uds);
                            "Invalid UDS.\r\nINFO: Set DPS UDS successfully.".to_string()
                        }
                        _ => {
                            let right = uds.len() == 64;
                            self.stored_uds.lock().unwrap().push(uds);
                            if right {
                                "INFO: Set DPS UDS successfully.".to_string()
                            } else {
                                "Invalid UDS.".to_string()
                            }
                        }
                    }
                }
            },
            "set_wifissid" | "set_wifipwd" | "set_az_iothub" => {
                "INFO: Set successfully.".to_string()
            }
            other => format!("Error:Invalid command: {other}"),
        })
    }
}

fn command_list(firmware: Firmware) -> String {
    COMMANDS
        .iter()
        .filter(|(name, _)| firmware != Firmware::NoDpsCommand || *name != "set_dps_uds")
        .map(|(name, help)| format!(" - {name}: {help}.\r\n"))
        .collect()
}
