//! Stopping a batch cleanly: the first Ctrl-C (or termination request) sets a flag, a second
//! one ends the process at once with status 130.
//!
//! Unix: `SIGINT` and `SIGTERM` (signal-hook: the flag is set, and the exit made, inside the
//! signal handler). Windows: the console's control events through `SetConsoleCtrlHandler`
//! (the `ctrlc` crate, which handles them on a thread of its own): Ctrl-C and Ctrl-Break set
//! the flag, the second exits 130. The C runtime's `signal` (signal-hook's Windows support) is
//! not used there: under Wine's msvcrt the first `SIGINT` jumped to address 2, which is
//! `SIG_GET`, the value signal-hook passes to `signal` to read the current handler. Closing the console window, logging
//! off or `taskkill /F` end the process at once: the files already written are whole (each is
//! named only when complete), the summary is not written.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// A flag set by the first Ctrl-C (or termination request); a second one ends the process at
/// once (status 130).
#[cfg(unix)]
pub(crate) fn on_interrupt() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        let _ = signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag));
        let _ = signal_hook::flag::register(signal, Arc::clone(&flag));
    }
    flag
}

/// A flag set by the first Ctrl-C (or Ctrl-Break); a second one ends the process at once
/// (status 130).
#[cfg(windows)]
pub(crate) fn on_interrupt() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&flag);
    // Fails only if a handler is already set (it is set once per run) or the console refuses
    // it; the batch then simply runs without one, as it would without a console.
    let _ = ctrlc::try_set_handler(move || {
        if seen.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    flag
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    // Only one test raises: once the flag is set, a second signal would end the test process
    // (that is the point of it). Unix only: Windows' console events cannot be raised here
    // without `unsafe` (GenerateConsoleCtrlEvent), and Wine gives a test no console.
    #[test]
    fn the_first_ctrl_c_only_sets_the_flag() {
        let flag = on_interrupt();
        assert!(!flag.load(Ordering::SeqCst));
        signal_hook::low_level::raise(signal_hook::consts::SIGINT).unwrap();
        assert!(flag.load(Ordering::SeqCst));
    }
}
