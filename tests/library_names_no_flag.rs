#![cfg(test)]
//! No message of the library names a command-line flag: every string literal in `src/`
//! outside the command line (`src/cli/`, `src/main.rs`) and outside test code
//! (`#[cfg(test)]` items) is read, and none may hold `--name` or a short flag such as `-i`.
//! The library says what is wrong in its own terms; the command line adds the flag advice.

use std::path::{Path, PathBuf};

/// The string literals of Rust source, comments skipped, with the 1-based line each starts
/// on. Handles `"..."` with escapes, raw strings `r#"..."#`, byte strings, and character
/// literals (so that `'"'` does not open a string).
fn string_literals(source: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            '/' if at(i + 1) == '/' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if at(i + 1) == '*' => {
                let mut depth = 0;
                loop {
                    if at(i) == '/' && at(i + 1) == '*' {
                        depth += 1;
                        i += 2;
                    } else if at(i) == '*' && at(i + 1) == '/' {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        if at(i) == '\n' {
                            line += 1;
                        }
                        i += 1;
                    }
                }
            }
            'r' if (at(i + 1) == '"' || at(i + 1) == '#')
                && !at(i.wrapping_sub(1)).is_alphanumeric() =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while at(j) == '#' {
                    hashes += 1;
                    j += 1;
                }
                if at(j) != '"' {
                    i += 1;
                    continue;
                }
                let start_line = line;
                let mut text = String::new();
                j += 1;
                loop {
                    if at(j) == '"' && (1..=hashes).all(|k| at(j + k) == '#') {
                        j += 1 + hashes;
                        break;
                    }
                    if at(j) == '\n' {
                        line += 1;
                    }
                    text.push(at(j));
                    j += 1;
                }
                out.push((start_line, text));
                i = j;
            }
            '"' => {
                let start_line = line;
                let mut text = String::new();
                let mut j = i + 1;
                while at(j) != '"' {
                    if at(j) == '\\' {
                        // A line continuation (`\` + line break) drops the break and the
                        // indentation after it.
                        if at(j + 1) == '\n' {
                            line += 1;
                            j += 2;
                            while at(j).is_whitespace() {
                                if at(j) == '\n' {
                                    line += 1;
                                }
                                j += 1;
                            }
                            continue;
                        }
                        text.push(at(j + 1));
                        j += 2;
                        continue;
                    }
                    if at(j) == '\n' {
                        line += 1;
                    }
                    text.push(at(j));
                    j += 1;
                }
                out.push((start_line, text));
                i = j + 1;
            }
            '\'' => {
                // A character literal ('a', '\'', '"'), or a lifetime ('a): skip the literal.
                if at(i + 1) == '\\' {
                    let mut j = i + 2;
                    while at(j) != '\'' {
                        j += 1;
                    }
                    i = j + 1;
                } else if at(i + 2) == '\'' {
                    i += 3;
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// `source` with every `#[cfg(test)]` item blanked out (its lines kept, so that the line
/// numbers stay): the item ends at its matching `}`, or at `;` when no block comes first.
fn without_test_code(source: &str) -> String {
    let mut out = source.to_string();
    let mut from = 0;
    while let Some(found) = out[from..].find("#[cfg(test)]") {
        let start = from + found;
        let rest = &out[start..];
        let end = match (rest.find('{'), rest.find(';')) {
            (Some(open), semi) if semi.is_none_or(|s| open < s) => {
                let mut depth = 0;
                let mut end = rest.len();
                for (k, c) in rest[open..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = open + k + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (_, Some(semi)) => semi + 1,
            _ => rest.len(),
        };
        let blank: String = out[start..start + end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        out.replace_range(start..start + end, &blank);
        from = start + blank.len();
    }
    out
}

/// Where a flag is named in `text`: `--name`, or a short flag `-x` standing alone, each after
/// a space, a bracket, a quote or the start (never inside a word or a run of dashes, as in
/// `-----BEGIN`, `non-zero` or `x-y`).
fn flags_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    for i in 0..chars.len() {
        let before = if i == 0 { ' ' } else { chars[i - 1] };
        if chars[i] != '-' || !(before.is_whitespace() || "([{`'\"/".contains(before)) {
            continue;
        }
        let long = chars.get(i + 1) == Some(&'-');
        let name_at = if long { i + 2 } else { i + 1 };
        let name: String = chars[name_at.min(chars.len())..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == '-')
            .collect();
        let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if !starts_with_letter {
            continue;
        }
        // A short flag is one letter standing alone (`-i`, `-b and -m`).
        if long || name.len() == 1 {
            found.push(format!("{}{name}", if long { "--" } else { "-" }));
        }
    }
    found
}

fn library_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().unwrap() != "cli" || dir != src() {
                library_files(&path, files);
            }
        } else if path.extension().is_some_and(|e| e == "rs") && path != src().join("main.rs") {
            files.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_library_string_names_a_flag() {
    let mut files = Vec::new();
    library_files(&src(), &mut files);
    files.sort();
    assert!(
        files.len() > 40,
        "the library's files were not found: {files:?}"
    );
    let mut named = Vec::new();
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        for (line, text) in string_literals(&without_test_code(&source)) {
            for flag in flags_in(&text) {
                named.push(format!(
                    "{}:{line}: {flag} in {text:?}",
                    file.strip_prefix(src()).unwrap().display()
                ));
            }
        }
    }
    assert!(
        named.is_empty(),
        "library messages name command-line flags (the command line adds that advice):\n{}",
        named.join("\n")
    );
}

#[test]
fn the_reader_finds_flags_in_literals_only() {
    let source = r####"
        // "--comment" is not a literal
        /* "--block" neither */
        const A: &str = "give it with --out-dir";
        const B: char = '"';
        const C: &str = r#"raw -i here"#;
        const D: &str = "-----BEGIN CERTIFICATE----- non-zero x-y -1 --";
        fn f<'a>(x: &'a str) -> &'a str { "a\"b -u" }
        #[cfg(test)]
        mod tests {
            const E: &str = "--force in a test";
        }
        #[cfg(test)]
        use something::{a, b};
        const F: &str = "two \
                         lines --jsonl";
    "####;
    let found: Vec<(usize, Vec<String>)> = string_literals(&without_test_code(source))
        .into_iter()
        .map(|(line, text)| (line, flags_in(&text)))
        .filter(|(_, flags)| !flags.is_empty())
        .collect();
    assert_eq!(
        found,
        vec![
            (4, vec!["--out-dir".to_string()]),
            (6, vec!["-i".to_string()]),
            (8, vec!["-u".to_string()]),
            (15, vec!["--jsonl".to_string()]),
        ]
    );
}
