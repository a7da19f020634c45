//! Which serial port is the DevKit: the one port with the ST-LINK's USB ID 0483:374B when
//! asked for `auto`, or the port named (spec 1).

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The ST-LINK/V2-1's USB vendor ID.
pub const DEVKIT_VID: u16 = 0x0483;
/// The ST-LINK/V2-1's USB product ID.
pub const DEVKIT_PID: u16 = 0x374B;

/// A serial port as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortCandidate {
    /// The name to open (`/dev/ttyACM0`, `/dev/cu.usbmodem1203`, `COM3`).
    pub name: String,
    /// USB vendor and product ID, for a USB port.
    pub usb: Option<(u16, u16)>,
    /// Product or manufacturer, when known (to help the user choose).
    pub description: Option<String>,
}

impl PortCandidate {
    /// Whether it has the DevKit's USB ID (a candidate, not a proof: other ST boards too).
    pub fn is_devkit(&self) -> bool {
        self.usb == Some((DEVKIT_VID, DEVKIT_PID))
    }
}

impl fmt::Display for PortCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if let Some((vid, pid)) = self.usb {
            write!(f, " (USB {vid:04x}:{pid:04x}")?;
            if let Some(d) = &self.description {
                write!(f, ", {}", crate::text::printable::printable(d))?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// What the user asked for: `auto` (the default) or a port's name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PortRequest {
    /// The one port with the DevKit's USB ID.
    #[default]
    Auto,
    /// This port (a path or a COM name), whatever it is.
    Named(String),
}

impl FromStr for PortRequest {
    type Err = PortChoiceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            Err(PortChoiceError::EmptyName)
        } else if s.eq_ignore_ascii_case("auto") {
            Ok(Self::Auto)
        } else {
            Ok(Self::Named(s.to_string()))
        }
    }
}

/// Why no port was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PortChoiceError {
    /// An empty port name.
    #[error("the port name is empty")]
    EmptyName,
    /// No port has the DevKit's USB ID.
    #[error("no serial port has the DevKit's USB ID 0483:374B{}", others_text(.others))]
    NoDevKit {
        /// The other ports listed, as shown.
        others: Vec<String>,
    },
    /// More than one port has it.
    #[error("{} serial ports have the DevKit's USB ID 0483:374B: {}", .candidates.len(), .candidates.join(", "))]
    Several {
        /// The matching ports, as shown.
        candidates: Vec<String>,
    },
}

fn others_text(others: &[String]) -> String {
    if others.is_empty() {
        " (no serial port was found at all)".to_string()
    } else {
        format!(" (serial ports found: {})", others.join(", "))
    }
}

/// The port to open. macOS lists each device twice (`/dev/cu.X` and `/dev/tty.X`): the
/// `cu` one is kept, since opening the `tty` one waits for a carrier.
pub fn choose(request: &PortRequest, ports: &[PortCandidate]) -> Result<String, PortChoiceError> {
    match request {
        PortRequest::Named(name) if name.is_empty() => return Err(PortChoiceError::EmptyName),
        PortRequest::Named(name) => return Ok(name.clone()),
        PortRequest::Auto => {}
    }
    let listed: Vec<&PortCandidate> = ports
        .iter()
        .filter(|p| {
            !p.name.strip_prefix("/dev/tty.").is_some_and(|rest| {
                ports
                    .iter()
                    .any(|q| q.name.strip_prefix("/dev/cu.") == Some(rest))
            })
        })
        .collect();
    let devkits: Vec<&PortCandidate> = listed.iter().copied().filter(|p| p.is_devkit()).collect();
    match devkits.as_slice() {
        [one] => Ok(one.name.clone()),
        [] => Err(PortChoiceError::NoDevKit {
            others: listed.iter().map(|p| p.to_string()).collect(),
        }),
        several => Err(PortChoiceError::Several {
            candidates: several.iter().map(|p| p.to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(name: &str, usb: Option<(u16, u16)>, d: Option<&str>) -> PortCandidate {
        PortCandidate {
            name: name.into(),
            usb,
            description: d.map(Into::into),
        }
    }

    #[test]
    fn auto_takes_the_one_devkit() {
        let ports = [
            port("/dev/ttyS0", None, None),
            port("/dev/ttyACM0", Some((0x0483, 0x374b)), Some("STM32 STLink")),
            port("/dev/ttyUSB0", Some((0x10c4, 0xea60)), Some("CP2102")),
        ];
        assert_eq!(choose(&PortRequest::Auto, &ports).unwrap(), "/dev/ttyACM0");
    }

    #[test]
    fn none_lists_the_others() {
        let ports = [port("/dev/ttyUSB0", Some((0x10c4, 0xea60)), Some("CP2102"))];
        let e = choose(&PortRequest::Auto, &ports).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no serial port has the DevKit's USB ID 0483:374B (serial ports found: /dev/ttyUSB0 (USB 10c4:ea60, CP2102))"
        );
        assert_eq!(
            choose(&PortRequest::Auto, &[]).unwrap_err().to_string(),
            "no serial port has the DevKit's USB ID 0483:374B (no serial port was found at all)"
        );
    }

    #[test]
    fn several_are_listed() {
        let ports = [
            port("COM3", Some((0x0483, 0x374b)), Some("STMicroelectronics")),
            port("COM7", Some((0x0483, 0x374b)), None),
        ];
        let e = choose(&PortRequest::Auto, &ports).unwrap_err();
        assert_eq!(
            e.to_string(),
            "2 serial ports have the DevKit's USB ID 0483:374B: COM3 (USB 0483:374b, STMicroelectronics), COM7 (USB 0483:374b)"
        );
    }

    #[test]
    fn macos_cu_and_tty_are_one_device() {
        let ports = [
            port("/dev/tty.usbmodem1203", Some((0x0483, 0x374b)), None),
            port("/dev/cu.usbmodem1203", Some((0x0483, 0x374b)), None),
        ];
        assert_eq!(
            choose(&PortRequest::Auto, &ports).unwrap(),
            "/dev/cu.usbmodem1203"
        );
    }

    #[test]
    fn a_named_port_is_taken_as_given() {
        let r: PortRequest = "/dev/pts/7".parse().unwrap();
        assert_eq!(choose(&r, &[]).unwrap(), "/dev/pts/7");
        assert_eq!("AUTO".parse::<PortRequest>().unwrap(), PortRequest::Auto);
        assert_eq!(
            "COM4".parse::<PortRequest>().unwrap(),
            PortRequest::Named("COM4".into())
        );
        assert_eq!("  ".parse::<PortRequest>(), Err(PortChoiceError::EmptyName));
    }
}
