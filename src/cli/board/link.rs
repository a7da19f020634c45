//! The serial port: found (`auto`: the port `DPS_CERT_GEN_PORT` names, else the one port with
//! the DevKit's USB ID) and opened at 115200 8N1 with no flow control; a port another program
//! holds gets its own error.

use crate::cli::board::session::Link;
use dps_cert_gen::board::port_choice::{self, PortCandidate, PortChoiceError, PortRequest};
use serialport::{DataBits, ErrorKind, FlowControl, Parity, SerialPort, StopBits};
use std::io::{self, Read, Write};
use std::path::Path;
use std::time::Duration;
use thiserror::Error;

/// The board's console speed (spec 1).
pub(crate) const BAUD: u32 = 115_200;
/// How long one write may take before it is an error.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the port could not be found or opened.
#[derive(Debug, Error)]
pub(crate) enum LinkError {
    /// Another program (a serial monitor) has the port open.
    #[error(
        "the serial port {port} is in use by another program: close the serial monitor (VS Code, Arduino IDE, PuTTY, screen) and try again"
    )]
    Busy {
        /// The port.
        port: String,
    },
    /// The system refused access.
    #[error(
        "permission to open the serial port {port} was denied: another program may hold it (close the serial monitor), or your user may not be allowed to use serial ports (on Linux, join the dialout group)"
    )]
    PermissionDenied {
        /// The port.
        port: String,
    },
    /// No such port.
    #[error("there is no serial port {port}: check the name, or plug the board in")]
    NotFound {
        /// The port.
        port: String,
    },
    /// Any other failure to open or set up the port.
    #[error("the serial port {port} could not be opened: {reason}")]
    Open {
        /// The port.
        port: String,
        /// The system's reason.
        reason: String,
    },
    /// The ports could not be listed.
    #[error("the serial ports could not be listed: {reason}")]
    List {
        /// The system's reason.
        reason: String,
    },
    /// `auto` found none or several.
    #[error(transparent)]
    Choice(#[from] PortChoiceError),
}

/// The serial ports the system lists, as the library's port choice takes them.
pub(crate) fn list_ports() -> Result<Vec<PortCandidate>, LinkError> {
    // Where listing would fail (see the platform layer), there are no ports to offer.
    if !crate::cli::sys::serial_ports_listable() {
        return Ok(Vec::new());
    }
    let ports = serialport::available_ports().map_err(|e| LinkError::List {
        reason: e.description,
    })?;
    Ok(ports
        .into_iter()
        .map(|p| {
            let (usb, description) = match p.port_type {
                serialport::SerialPortType::UsbPort(u) => {
                    (Some((u.vid, u.pid)), u.product.or(u.manufacturer))
                }
                _ => (None, None),
            };
            PortCandidate {
                name: p.port_name,
                usb,
                description,
            }
        })
        .collect())
}

/// The environment variable naming the port `auto` stands for (set once in a shell profile).
pub(crate) const PORT_ENV_VAR: &str = "DPS_CERT_GEN_PORT";

/// The port's name for `request`: as given, else the one [`PORT_ENV_VAR`] names, else the
/// one DevKit found.
pub(crate) fn resolve(request: &PortRequest) -> Result<String, LinkError> {
    let ports = match request {
        PortRequest::Auto => {
            if let Some(port) = port_from_env() {
                return Ok(port);
            }
            list_ports()?
        }
        PortRequest::Named(_) => Vec::new(),
    };
    Ok(port_choice::choose(request, &ports)?)
}

/// The port [`PORT_ENV_VAR`] names, if it is set to something other than blanks.
fn port_from_env() -> Option<String> {
    let value = std::env::var_os(PORT_ENV_VAR)?;
    let value = value.to_string_lossy().trim().to_string();
    (!value.is_empty()).then_some(value)
}

/// An open serial port. Its terminal settings as they were before are put back when it is
/// dropped (after the port is closed); a Ctrl-C or termination request while it is open
/// makes its reads fail with [`io::ErrorKind::Interrupted`], so that every wait ends and the
/// port is dropped on the way out.
pub(crate) struct SerialLink {
    port: Box<dyn SerialPort>,
    interrupted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    // Declared after `port`: dropped after it, so the settings are put back last.
    _settings: crate::cli::sys::port_settings::SavedPortSettings,
}

impl SerialLink {
    /// Opens `name` at 115200 8N1, no flow control, for this program alone.
    pub(crate) fn open(name: &str) -> Result<Self, LinkError> {
        let settings = crate::cli::sys::port_settings::SavedPortSettings::save(name);
        let port = serialport::new(name, BAUD)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(Duration::from_millis(50))
            .open()
            .map_err(|e| open_error(name, &e))?;
        Ok(Self {
            port,
            interrupted: std::sync::Arc::default(),
            _settings: settings,
        })
    }

    /// From now on, a Ctrl-C or termination request ends every wait on the port (see
    /// [`crate::cli::sys::on_interrupt`]; a second one ends the process at once).
    pub(crate) fn stop_on_interrupt(mut self) -> Self {
        self.interrupted = crate::cli::sys::on_interrupt();
        self
    }
}

/// serialport reports a busy port (`EBUSY`, a held lock, Windows' access denied) and a
/// missing one (Windows' file not found) both as `NoDevice`: a port that exists is busy.
fn open_error(name: &str, e: &serialport::Error) -> LinkError {
    let port = name.to_string();
    match e.kind {
        ErrorKind::NoDevice if port_exists(name) => LinkError::Busy { port },
        ErrorKind::NoDevice | ErrorKind::Io(io::ErrorKind::NotFound) => {
            LinkError::NotFound { port }
        }
        ErrorKind::Io(io::ErrorKind::PermissionDenied) => LinkError::PermissionDenied { port },
        _ => LinkError::Open {
            port,
            reason: e.description.clone(),
        },
    }
}

fn port_exists(name: &str) -> bool {
    Path::new(name).exists()
        || list_ports()
            .unwrap_or_default()
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(name))
}

impl Link for SerialLink {
    fn read_within(&mut self, buf: &mut [u8], wait: Duration) -> io::Result<usize> {
        if self.interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
        }
        self.port
            .set_timeout(wait.max(Duration::from_millis(1)))
            .map_err(io::Error::from)?;
        match self.port.read(buf) {
            Ok(n) => Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(0)
            }
            Err(e) => Err(e),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.port
            .set_timeout(WRITE_TIMEOUT)
            .map_err(io::Error::from)?;
        self.port.write_all(bytes)?;
        self.port.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_resolved_and_listed() {
        let named = PortRequest::Named("/dev/pts/7".into());
        assert_eq!(resolve(&named).unwrap(), "/dev/pts/7");
        // Whatever this machine has, listing works and `auto` only fails by the port choice.
        list_ports().unwrap();
        match resolve(&PortRequest::Auto) {
            Ok(_) | Err(LinkError::Choice(_)) => {}
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_missing_port_is_not_found() {
        let e = SerialLink::open("no-such-serial-port-4711").err().unwrap();
        assert!(matches!(e, LinkError::NotFound { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            "there is no serial port no-such-serial-port-4711: check the name, or plug the board in"
        );
    }

    #[test]
    fn open_errors_are_told_apart() {
        let here = env!("CARGO_MANIFEST_DIR");
        let err = |kind| serialport::Error::new(kind, "system text");
        assert!(matches!(
            open_error(here, &err(ErrorKind::NoDevice)),
            LinkError::Busy { .. }
        ));
        assert!(matches!(
            open_error("no-such-serial-port-4711", &err(ErrorKind::NoDevice)),
            LinkError::NotFound { .. }
        ));
        let e = open_error(here, &err(ErrorKind::Io(io::ErrorKind::PermissionDenied)));
        assert!(e.to_string().contains("close the serial monitor"), "{e}");
        let e = open_error("p", &err(ErrorKind::Unknown));
        assert_eq!(
            e.to_string(),
            "the serial port p could not be opened: system text"
        );
    }
}
