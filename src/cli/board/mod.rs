//! Talking to a DevKit over its serial port: opening the port ([`link`]) and the
//! conversations with the board ([`session`]). The parsing is the library's
//! (`dps_cert_gen::board`).

pub(crate) mod link;
pub(crate) mod session;

// The simulated board: Linux only, since on macOS serialport sets the speed with an ioctl
// that a pty refuses (ENOTTY), so a pty cannot be opened as a serial port there.
#[cfg(all(test, target_os = "linux"))]
#[path = "../../../tests/common/sim_board.rs"]
mod sim_board;
#[cfg(all(test, target_os = "linux"))]
mod sim_tests;
