//! The system's reason for a failed read or write, in plain words: no error number, no
//! temporary file name, lower case to sit inside a sentence.

use std::io;

/// The system's reason for a failed write, in the words of the message around it
/// (`cannot write PATH: REASON; ...`): no error number, no temporary file name.
pub fn reason(e: &io::Error) -> String {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "the folder does not exist".to_string(),
        K::PermissionDenied => "permission denied".to_string(),
        K::ReadOnlyFilesystem => "the file system is read-only".to_string(),
        K::StorageFull => "no space left on the device".to_string(),
        K::QuotaExceeded => "disk quota exceeded".to_string(),
        K::FileTooLarge => "the file is larger than allowed (file size limit)".to_string(),
        K::NotADirectory => "a part of the path is not a folder".to_string(),
        K::IsADirectory => "it is a folder".to_string(),
        _ => {
            let text = e.to_string();
            let text = text.split(" at path ").next().unwrap_or_default();
            let text = text.split(" (os error").next().unwrap_or_default();
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_lowercase().chain(chars).collect())
                .unwrap_or_default()
        }
    }
}
