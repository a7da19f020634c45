//! The help's examples: every command has some, and each is a command line the parser
//! accepts, for that command (a renamed or dropped flag fails here, not on a user's screen).
#![cfg(test)]

use crate::cli::Cli;
use clap::{CommandFactory, Parser};

/// The command lines among `text`'s example lines (after a line starting `Example`),
/// without shell redirections, pipes, `source <(...)` and descriptions; a line ending in
/// `\` goes on with the next.
fn examples(text: &str) -> Vec<String> {
    let mut lines = text
        .lines()
        .skip_while(|l| !l.starts_with("Example"))
        .skip(1);
    let mut found = Vec::new();
    while let Some(line) = lines.next() {
        let mut line = line.trim().to_string();
        while let Some(start) = line.strip_suffix('\\') {
            line = format!(
                "{} {}",
                start.trim_end(),
                lines.next().unwrap_or_default().trim()
            );
        }
        let line = match line.find("<(") {
            Some(i) => line[i + 2..]
                .split(')')
                .next()
                .unwrap_or_default()
                .to_string(),
            None => match line.find("| dps-cert-gen") {
                Some(i) => line[i + 2..].to_string(),
                None => line,
            },
        };
        if !line.starts_with("dps-cert-gen") {
            continue;
        }
        let end = [" |", " >", "   "]
            .iter()
            .filter_map(|cut| line.find(cut))
            .min()
            .unwrap_or(line.len());
        found.push(line[..end].to_string());
    }
    found
}

#[test]
fn every_command_has_examples_the_parser_accepts() {
    let mut root = Cli::command();
    root.build();
    let mut pending = vec![(Vec::<String>::new(), root)];
    let mut checked = 0;
    while let Some((path, cmd)) = pending.pop() {
        let after = cmd
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        let found = examples(&after);
        assert!(!found.is_empty(), "no examples in the help of {path:?}");
        for example in found {
            let mut words: Vec<&str> = example.split_whitespace().collect();
            // As a Windows user types it.
            if words.first() == Some(&"dps-cert-gen.exe") {
                words[0] = "dps-cert-gen";
            }
            assert_eq!(
                &words[1..=path.len()],
                path.iter().map(String::as_str).collect::<Vec<_>>(),
                "{example}: an example of another command in {path:?}"
            );
            if let Err(e) = Cli::try_parse_from(&words) {
                panic!("{example}: {e}");
            }
            checked += 1;
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut sub_path = path.clone();
            sub_path.push(sub.get_name().to_string());
            pending.push((sub_path, sub.clone()));
        }
    }
    assert!(checked >= 20, "{checked} examples");
}

#[test]
fn example_lines_are_cut_to_the_command() {
    let text = "Examples:\n  dps-cert-gen uds                     a new UDS\n  source <(dps-cert-gen completions bash)   in ~/.bashrc\n  pbpaste | dps-cert-gen inspect -\n  dps-cert-gen.exe completions powershell | Out-String\n  dps-cert-gen batch -p X \\\n    --jsonl a.jsonl\n  dps-cert-gen completions zsh > ~/.zfunc/_dps-cert-gen";
    assert_eq!(
        examples(text),
        [
            "dps-cert-gen uds",
            "dps-cert-gen completions bash",
            "dps-cert-gen inspect -",
            "dps-cert-gen.exe completions powershell",
            "dps-cert-gen batch -p X --jsonl a.jsonl",
            "dps-cert-gen completions zsh",
        ]
    );
}
