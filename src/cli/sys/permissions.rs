//! Whether a file holding a secret can be read by other users (as ssh checks for its keys):
//! on Unix, its group or other read bit; elsewhere the tool cannot tell, and says nothing.

/// Whether users other than the owner may read the file described by `meta`.
pub(crate) fn readable_by_others(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o044 != 0
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        false
    }
}
