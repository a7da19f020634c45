//! Several output files written as one: all of them, or none. Every destination is checked
//! before any is written; each file is first written in full beside its destination, unnamed
//! (created with its final permissions, so a secret is never readable by others: see
//! [`crate::cli::sys::staged_file`]), then all are given their names; if that fails for one, the files
//! this run already put in place are removed again.

use crate::cli::output::files::{OutputError, Written, check_writable};
use crate::cli::sys::staged_file::StagedFile;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// One file to write.
pub(crate) struct PlannedFile {
    /// Where it goes.
    pub path: PathBuf,
    /// Its bytes (wiped from memory when dropped: some outputs are secrets).
    pub bytes: Zeroizing<Vec<u8>>,
    /// Permission bits (before umask).
    pub mode: u32,
}

impl std::fmt::Debug for PlannedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedFile")
            .field("path", &self.path)
            .field("bytes", &self.bytes.len())
            .field("mode", &format_args!("{:o}", self.mode))
            .finish()
    }
}

/// Fails when any of `paths` exists and `force` is off.
pub(crate) fn check_all<'a>(
    paths: impl IntoIterator<Item = &'a Path>,
    force: bool,
) -> Result<(), OutputError> {
    paths
        .into_iter()
        .try_for_each(|path| check_writable(path, force))
}

fn write_error(path: &Path, e: std::io::Error) -> OutputError {
    crate::cli::output::files::write_error(path, &e, Written::Out)
}

fn stage(file: &PlannedFile) -> Result<StagedFile, OutputError> {
    crate::cli::sys::staged_file::stage(&file.path, &file.bytes, file.mode)
        .map_err(|e| write_error(&file.path, e))
}

/// Writes every file, or none: see the module documentation.
pub(crate) fn write_all_or_none(files: &[PlannedFile], force: bool) -> Result<(), OutputError> {
    write_all_or_none_observed(files, force, &mut |_| Ok(()))
}

/// [`write_all_or_none`], calling `after_placing` with each file's path as soon as it is in
/// place. An error from it is handled as a failed rename: what this run placed is undone and
/// the error is returned. Tests use it to inject a failure between the files.
pub(crate) fn write_all_or_none_observed(
    files: &[PlannedFile],
    force: bool,
    after_placing: &mut dyn FnMut(&Path) -> std::io::Result<()>,
) -> Result<(), OutputError> {
    check_all(files.iter().map(|f| f.path.as_path()), force)?;
    // Phase 1: every file complete, not yet named. A failure drops (deletes) them all.
    let staged = files
        .iter()
        .map(|f| stage(f).map(|tmp| (f, tmp)))
        .collect::<Result<Vec<_>, _>>()?;
    // Phase 2: name each, keeping (with --force) a second name for the file it replaces;
    // on failure, undo this run's placements and put the replaced files back.
    let mut placed: Vec<Placed> = Vec::new();
    for (file, tmp) in staged {
        let result = keep_old(&file.path, force).and_then(|old| {
            let done = tmp.persist(&file.path, force);
            placed.push(Placed {
                path: &file.path,
                old,
                new_in_place: done.is_ok(),
            });
            done?;
            after_placing(&file.path)
        });
        if let Err(e) = result {
            for p in placed.into_iter().rev() {
                p.undo();
            }
            return Err(if e.kind() == std::io::ErrorKind::AlreadyExists {
                OutputError::Exists {
                    path: file.path.clone(),
                }
            } else {
                write_error(&file.path, e)
            });
        }
    }
    for p in placed {
        if let Some(old) = p.old {
            let _ = std::fs::remove_file(old);
        }
    }
    Ok(())
}

/// One destination of phase 2: whether the new file is in place, and where the file it
/// replaced (if any) is kept until all are done.
struct Placed<'a> {
    path: &'a Path,
    old: Option<PathBuf>,
    new_in_place: bool,
}

impl Placed<'_> {
    fn undo(self) {
        match (self.old, self.new_in_place) {
            (Some(old), _) => {
                let _ = std::fs::rename(old, self.path);
            }
            (None, true) => {
                let _ = std::fs::remove_file(self.path);
            }
            (None, false) => {}
        }
    }
}

/// With `force`, a second (hidden) name for the file at `path`, if there is one, so that
/// it can be put back if a later file fails. `None` too where no hard link can be made.
fn keep_old(path: &Path, force: bool) -> std::io::Result<Option<PathBuf>> {
    if !force || path.symlink_metadata().is_err() {
        return Ok(None);
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let old = dir.join(format!(".{name}.{}.old", hex::encode(random)));
    match std::fs::hard_link(path, &old) {
        Ok(()) => Ok(Some(old)),
        // A folder is not replaced anyway (its rename fails next); a file system without
        // hard links (FAT) cannot keep the old file: it is replaced without a way back.
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(unix)]
    use std::os::unix::fs::PermissionsExt;

    fn planned(path: PathBuf, text: &str, mode: u32) -> PlannedFile {
        PlannedFile {
            path,
            bytes: Zeroizing::new(text.as_bytes().to_vec()),
            mode,
        }
    }

    #[test]
    fn writes_all_with_their_modes() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            planned(dir.path().join("a.pem"), "a", 0o644),
            planned(dir.path().join("k.pem"), "k", 0o600),
        ];
        write_all_or_none(&files, false).unwrap();
        assert_eq!(std::fs::read(dir.path().join("a.pem")).unwrap(), b"a");
        #[cfg(unix)]
        {
            let mode = std::fs::metadata(dir.path().join("k.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn one_existing_file_means_none_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k.pem"), "old").unwrap();
        let files = [
            planned(dir.path().join("a.pem"), "a", 0o644),
            planned(dir.path().join("k.pem"), "k", 0o600),
        ];
        let err = write_all_or_none(&files, false).unwrap_err();
        assert!(matches!(err, OutputError::Exists { .. }));
        assert!(!dir.path().join("a.pem").exists());
        assert_eq!(std::fs::read(dir.path().join("k.pem")).unwrap(), b"old");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn a_failing_later_file_removes_the_earlier_ones() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            planned(dir.path().join("a.pem"), "a", 0o644),
            planned(dir.path().join("missing-dir").join("k.pem"), "k", 0o600),
        ];
        let err = write_all_or_none(&files, false).unwrap_err();
        assert!(matches!(err, OutputError::Write { .. }));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_folder_or_fifo_in_the_way_is_refused_even_with_force_before_any_write() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("k.pem")).unwrap();
        let files = [
            planned(dir.path().join("a.pem"), "a", 0o644),
            planned(dir.path().join("k.pem"), "k", 0o600),
        ];
        let err = write_all_or_none(&files, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{} is a folder, not a regular file; the tool never replaces one (not even with --force): give the path of a file, or -o - to write to standard output",
                dir.path().join("k.pem").display()
            )
        );
        assert!(!dir.path().join("a.pem").exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_crash_before_the_rename_leaves_nothing_behind() {
        // `forget` runs no clean-up code at all, as when the process is killed: the staged
        // file holding the secret must have no name to be found by.
        let dir = tempfile::tempdir().unwrap();
        let staged =
            crate::cli::sys::staged_file::stage(&dir.path().join("key.pem"), b"SECRET", 0o600)
                .unwrap();
        assert!(
            staged.is_unnamed(),
            "O_TMPFILE is expected on this Linux file system"
        );
        std::mem::forget(staged);
        assert!(
            crate::cli::test_support::names_in(dir.path()).is_empty(),
            "{:?}",
            crate::cli::test_support::names_in(dir.path())
        );
    }

    #[test]
    fn a_failure_between_the_files_undoes_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            planned(dir.path().join("alias.pem"), "cert", 0o644),
            planned(dir.path().join("device.pem"), "device", 0o644),
            planned(dir.path().join("alias-key.pem"), "key", 0o600),
        ];
        for fail_after in 0..files.len() {
            let mut count = 0;
            let err = write_all_or_none_observed(&files, false, &mut |_| {
                count += 1;
                if count > fail_after {
                    Err(std::io::Error::other("injected failure"))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
            assert!(err.to_string().contains("injected failure"), "{err}");
            assert!(
                crate::cli::test_support::names_in(dir.path()).is_empty(),
                "{:?}",
                crate::cli::test_support::names_in(dir.path())
            );
        }
    }

    #[test]
    fn a_failure_between_the_files_with_force_puts_the_old_files_back() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("alias.pem"), "old cert").unwrap();
        std::fs::write(dir.path().join("alias-key.pem"), "old key").unwrap();
        let files = [
            planned(dir.path().join("alias.pem"), "cert", 0o644),
            planned(dir.path().join("device.pem"), "device", 0o644),
            planned(dir.path().join("alias-key.pem"), "key", 0o600),
        ];
        for fail_after in 0..files.len() {
            let mut count = 0;
            write_all_or_none_observed(&files, true, &mut |_| {
                count += 1;
                if count > fail_after {
                    Err(std::io::Error::other("injected failure"))
                } else {
                    Ok(())
                }
            })
            .unwrap_err();
            assert_eq!(
                crate::cli::test_support::names_in(dir.path()),
                ["alias-key.pem", "alias.pem"]
            );
            assert_eq!(
                std::fs::read_to_string(dir.path().join("alias.pem")).unwrap(),
                "old cert"
            );
            assert_eq!(
                std::fs::read_to_string(dir.path().join("alias-key.pem")).unwrap(),
                "old key"
            );
        }
        // And without a failure, all three are replaced and nothing else is left.
        write_all_or_none_observed(&files, true, &mut |_| Ok(())).unwrap();
        assert_eq!(
            crate::cli::test_support::names_in(dir.path()),
            ["alias-key.pem", "alias.pem", "device.pem"]
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("alias-key.pem")).unwrap(),
            "key"
        );
    }

    // Unix only: /dev paths and a symbolic link made without privileges.
    #[cfg(unix)]
    #[test]
    fn devices_and_links_are_refused_before_any_write() {
        // Only checked: check_writable writes nothing, so /dev/null is never touched.
        for path in ["/dev/null", "/dev/stdout", "/dev/stderr"] {
            for force in [false, true] {
                let err = check_writable(Path::new(path), force).unwrap_err();
                assert!(matches!(err, OutputError::NotAFile { .. }), "{path}: {err}");
                assert!(err.is_input_error());
                assert!(!err.to_string().contains("use --force"), "{err}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("elsewhere.pem", dir.path().join("link.pem")).unwrap();
        let err = check_writable(&dir.path().join("link.pem"), true).unwrap_err();
        assert!(
            err.to_string()
                .contains("is a symbolic link, not a regular file"),
            "{err}"
        );
        assert!(check_writable(&dir.path().join("new.pem"), false).is_ok());
    }

    #[test]
    fn write_atomic_writes_whole_files_and_never_replaces_without_force() {
        use crate::cli::output::files::write_atomic;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        write_atomic(&path, b"first", false, 0o600, Written::Out).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        #[cfg(unix)]
        {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = write_atomic(&path, b"second", false, 0o600, Written::Out).unwrap_err();
        assert!(matches!(err, OutputError::Exists { .. }));
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        write_atomic(&path, b"second", true, 0o600, Written::Out).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["key.pem"]);
        let missing = dir.path().join("no-such-folder").join("key.pem");
        let err = write_atomic(&missing, b"x", false, 0o600, Written::Out).unwrap_err();
        assert_eq!(
            crate::cli::error::Error::from(err).to_string(),
            format!(
                "cannot write {}: the folder does not exist; choose a folder you can write to with -o",
                missing.display()
            )
        );
        assert_eq!(crate::cli::test_support::names_in(dir.path()), ["key.pem"]);
    }
}
