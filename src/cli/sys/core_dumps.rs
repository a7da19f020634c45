//! Keeping secrets out of core dumps: while the process holds a UDS or a private key, a crash
//! or a `kill -ABRT` (at a prompt, say) must not write its memory to a core file. On Linux the
//! process is made non-dumpable (`PR_SET_DUMPABLE` 0, which also keeps other processes of the
//! same user from reading its memory) and its core size limit set to 0; on other Unix systems
//! only the limit; elsewhere nothing.

/// Makes this process non-dumpable and its core size limit 0, as far as the system allows.
/// Failing quietly is right: the limits are a second line of defence, and nothing the user
/// can do would change the outcome.
pub(crate) fn keep_secrets_out_of_core_dumps() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    }
    #[cfg(unix)]
    {
        let none = rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        let _ = rustix::process::setrlimit(rustix::process::Resource::Core, none);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn the_process_is_not_dumpable_and_writes_no_core() {
        keep_secrets_out_of_core_dumps();
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
        let limit = rustix::process::getrlimit(rustix::process::Resource::Core);
        assert_eq!((limit.current, limit.maximum), (Some(0), Some(0)));
    }
}
