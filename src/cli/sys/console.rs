//! Where questions are asked and answers read, as the prompts see it: the [`Console`] trait
//! (the terminal implements it; tests script it) and the [`Reply`] a question gets.

use zeroize::Zeroizing;

/// What a prompt got back.
#[derive(Debug)]
pub(crate) enum Reply {
    /// A line, without its line end. Wiped from memory when dropped (it may be a secret).
    Line(Zeroizing<String>),
    /// End of input (Ctrl-D, or the terminal went away).
    End,
    /// Ctrl-C.
    Interrupted,
}

/// Where questions are asked and answers read.
pub(crate) trait Console {
    /// Shows `question` (and `default`, if any) and reads a line, echoing what is typed.
    fn ask(&mut self, question: &str, default: Option<&str>) -> std::io::Result<Reply>;
    /// Shows `question` and reads a line without echoing anything typed.
    fn ask_hidden(&mut self, question: &str) -> std::io::Result<Reply>;
    /// Shows a line of good news (a file found, an answer accepted).
    fn confirm(&mut self, text: &str);
    /// Shows a `warning:` line.
    fn warn(&mut self, text: &str);
    /// Explains why an answer was refused, before the question is asked again.
    fn refuse(&mut self, text: &str);
}
