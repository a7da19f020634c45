//! The system's reason for a failed read or write, in plain words: no error number, no
//! temporary file name, lower case to sit inside a sentence. The library's errors keep the
//! `io::Error` itself; the command line words it here, once.

use std::io;

/// The system's reason for a failed write, in the words of the message around it
/// (`cannot write PATH: REASON; ...`): no error number, no temporary file name.
pub(crate) fn write(e: &io::Error) -> String {
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
        _ => system_words(e),
    }
}

/// The system's reason for a failed read of a file named in the message
/// (`cannot read PATH: REASON; ...`).
pub(crate) fn read(e: &io::Error) -> String {
    use io::ErrorKind as K;
    match e.kind() {
        K::NotFound => "no such file".to_string(),
        K::IsADirectory => "it is a folder, not a file".to_string(),
        K::UnexpectedEof => "the file ended early".to_string(),
        _ => write(e),
    }
}

/// The system's reason for a failed connection (`cannot reach HOST: REASON`): its own words.
pub(crate) fn network(e: &io::Error) -> String {
    system_words(e)
}

/// The system's own message, without the path and error number it may carry, lower case.
fn system_words(e: &io::Error) -> String {
    let text = e.to_string();
    let text = text
        .split_once(" at path ")
        .map_or(text.as_str(), |(a, _)| a);
    let text = text.split_once(" (os error").map_or(text, |(a, _)| a);
    // Windows' messages end with a full stop; the sentence around goes on after them.
    let text = text.trim_end().trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_in_words() {
        let kind = io::Error::from;
        assert_eq!(read(&kind(io::ErrorKind::NotFound)), "no such file");
        assert_eq!(
            write(&kind(io::ErrorKind::NotFound)),
            "the folder does not exist"
        );
        assert_eq!(
            read(&kind(io::ErrorKind::IsADirectory)),
            "it is a folder, not a file"
        );
        assert_eq!(
            read(&kind(io::ErrorKind::UnexpectedEof)),
            "the file ended early"
        );
        assert_eq!(
            read(&kind(io::ErrorKind::PermissionDenied)),
            "permission denied"
        );
        assert_eq!(
            write(&io::Error::other("Broken thing (os error 99)")),
            "broken thing"
        );
        // Windows' own message, full stop and all, inside a sentence.
        assert_eq!(
            network(&io::Error::other(
                "The network location cannot be reached. (os error 1231)"
            )),
            "the network location cannot be reached"
        );
        assert_eq!(
            write(&io::Error::other("Bad name at path \"/tmp/.x\"")),
            "bad name"
        );
        assert_eq!(write(&io::Error::other("")), "");
    }
}
