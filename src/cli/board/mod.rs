//! Talking to a DevKit over its serial port: opening the port ([`link`]) and the
//! conversations with the board ([`session`]). The parsing is the library's
//! (`dps_cert_gen::board`).

pub(crate) mod link;
pub(crate) mod session;

#[cfg(all(test, unix))]
#[path = "../../../tests/common/sim_board.rs"]
mod sim_board;
#[cfg(all(test, unix))]
mod sim_tests;
