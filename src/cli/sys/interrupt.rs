//! Stopping a batch cleanly: the first Ctrl-C (or termination request) sets a flag, a second
//! one ends the process at once with status 130.
//!
//! Unix: `SIGINT` and `SIGTERM`. Windows: the C runtime turns the console's Ctrl-C into
//! `SIGINT` and Ctrl-Break into `SIGBREAK`; `SIGTERM` is only raised by the process itself.
//! Closing the console window or `taskkill /F` ends the process without a signal: the files
//! already written are whole (each is named only when complete), the summary is not written.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

#[cfg(unix)]
const SIGNALS: [std::ffi::c_int; 2] = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM];
#[cfg(windows)]
const SIGNALS: [std::ffi::c_int; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGBREAK,
];

/// A flag set by the first Ctrl-C (or termination request); a second one ends the process at
/// once (status 130).
pub(crate) fn on_interrupt() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in SIGNALS {
        // Registered first, so it sees the flag as the previous signal left it.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag));
        let _ = signal_hook::flag::register(signal, Arc::clone(&flag));
    }
    flag
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    // Only one test raises: once the flag is set, a second signal would end the test process
    // (that is the point of it).
    #[test]
    fn the_first_ctrl_c_only_sets_the_flag() {
        let flag = on_interrupt();
        assert!(!flag.load(Ordering::SeqCst));
        signal_hook::low_level::raise(signal_hook::consts::SIGINT).unwrap();
        assert!(flag.load(Ordering::SeqCst));
    }
}
