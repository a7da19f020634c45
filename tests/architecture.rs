//! The layering of `src/` (see `docs/architecture.md`), checked from the source: every file's
//! imports (`use crate::…`, `super::…`, paths in code, attributes and macros; test modules
//! left out) form a graph of files, which must have no circle; a command imports no other
//! command; `cli/sys/` imports nothing of `cli/` outside it; each layer of `cli/` imports only
//! the layers below it; and the library uses no clap, no printing, no standard streams and no
//! platform `cfg`.

#![cfg(test)]

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which crate a file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Crate {
    Lib,
    Bin,
}

/// A source file: its path under `src/`, its crate and its module path in that crate.
#[derive(Clone)]
struct SourceFile {
    rel: String,
    krate: Crate,
    module: Vec<String>,
    ast: syn::File,
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn is_test_cfg(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && {
            let text = a.meta.to_token_stream().to_string();
            // `cfg(test)`, `cfg(all(test, …))`; not `cfg(not(test))`.
            text.contains("test") && !text.contains("not (test")
        }
    })
}

/// The files of `src/`, each parsed, with the files only tests compile left out.
fn sources() -> Vec<SourceFile> {
    let root = src();
    let mut paths = Vec::new();
    rust_files(&root, &mut paths);
    let mut files: Vec<SourceFile> = paths
        .iter()
        .map(|path| {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let krate = if rel == "main.rs" || rel.starts_with("cli/") {
                Crate::Bin
            } else {
                Crate::Lib
            };
            let mut module: Vec<String> = rel
                .trim_end_matches(".rs")
                .split('/')
                .map(str::to_string)
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            let text = std::fs::read_to_string(path).unwrap();
            let ast = syn::parse_file(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
            SourceFile {
                rel,
                krate,
                module,
                ast,
            }
        })
        .collect();
    // A file declared only under `cfg(test)` is test code as a whole.
    let test_only: BTreeSet<(Crate, Vec<String>)> = files
        .iter()
        .flat_map(|f| {
            f.ast.items.iter().filter_map(|item| match item {
                syn::Item::Mod(m) if m.content.is_none() && is_test_cfg(&m.attrs) => {
                    let mut module = f.module.clone();
                    module.push(m.ident.to_string());
                    Some((f.krate, module))
                }
                _ => None,
            })
        })
        .collect();
    files.retain(|f| !test_only.contains(&(f.krate, f.module.clone())));
    files
}

/// The module paths (crate, absolute segments) that one file refers to.
struct Refs<'a> {
    file: &'a SourceFile,
    found: BTreeSet<(Crate, Vec<String>)>,
}

impl Refs<'_> {
    /// Makes `path` (as written in module `scope`, whose child modules are `children`)
    /// absolute, if it names something of this crate or of the library.
    fn add(&mut self, path: &[String], scope: &[String], children: &BTreeSet<String>) {
        let Some(first) = path.first() else { return };
        let (krate, absolute) = match first.as_str() {
            "crate" => (self.file.krate, path.get(1..).unwrap_or_default().to_vec()),
            "dps_cert_gen" => (Crate::Lib, path.get(1..).unwrap_or_default().to_vec()),
            "self" | "super" => {
                let mut base = scope.to_vec();
                let mut rest = path;
                while let Some(s) = rest.first() {
                    match s.as_str() {
                        "self" => {}
                        "super" => {
                            base.pop();
                        }
                        _ => break,
                    }
                    rest = rest.get(1..).unwrap_or_default();
                }
                base.extend(rest.iter().cloned());
                (self.file.krate, base)
            }
            name if children.contains(name) => {
                let mut base = scope.to_vec();
                base.extend(path.iter().cloned());
                (self.file.krate, base)
            }
            _ => return,
        };
        self.found.insert((krate, absolute));
    }

    fn items(&mut self, items: &[syn::Item], scope: &[String]) {
        let children: BTreeSet<String> = items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) if !is_test_cfg(&m.attrs) => Some(m.ident.to_string()),
                _ => None,
            })
            .collect();
        for item in items {
            match item {
                syn::Item::Mod(m) if is_test_cfg(&m.attrs) => {}
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        let mut inner_scope = scope.to_vec();
                        inner_scope.push(m.ident.to_string());
                        self.items(inner, &inner_scope);
                    }
                }
                syn::Item::Use(u) if !is_test_cfg(&u.attrs) => {
                    let mut paths = Vec::new();
                    use_paths(&u.tree, &mut Vec::new(), &mut paths);
                    for p in paths {
                        self.add(&p, scope, &children);
                    }
                }
                syn::Item::Fn(f) if is_test_cfg(&f.attrs) => {}
                syn::Item::Impl(i) if is_test_cfg(&i.attrs) => {}
                syn::Item::Use(_) => {}
                other => {
                    for p in token_paths(other.to_token_stream()) {
                        self.add(&p, scope, &children);
                    }
                }
            }
        }
    }
}

/// Every path a `use` tree imports, segment by segment (`*` and renames left out).
fn use_paths(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            use_paths(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut p = prefix.clone();
            if n.ident != "self" {
                p.push(n.ident.to_string());
            }
            out.push(p);
        }
        syn::UseTree::Rename(r) => {
            let mut p = prefix.clone();
            if r.ident != "self" {
                p.push(r.ident.to_string());
            }
            out.push(p);
        }
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_paths(t, prefix, out);
            }
        }
    }
}

/// Every `a::b::c` in a token stream (code, attributes and macro arguments alike).
fn token_paths(tokens: TokenStream) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        match &trees[i] {
            TokenTree::Group(g) => {
                out.extend(token_paths(g.stream()));
                i += 1;
            }
            TokenTree::Ident(first) => {
                // Not a path's middle: `x::a` after `::` was taken with its head.
                let mut path = vec![first.to_string()];
                let mut j = i + 1;
                while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b))) =
                    (trees.get(j), trees.get(j + 1))
                {
                    if a.as_char() != ':' || b.as_char() != ':' {
                        break;
                    }
                    match trees.get(j + 2) {
                        Some(TokenTree::Ident(next)) => {
                            path.push(next.to_string());
                            j += 3;
                        }
                        _ => break,
                    }
                }
                if path.len() > 1 {
                    out.push(path);
                }
                i = j;
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => i += 1,
        }
    }
    out
}

/// The graph of `src/`, made once for all the tests.
fn src_graph() -> &'static BTreeMap<String, BTreeSet<String>> {
    static GRAPH: std::sync::OnceLock<BTreeMap<String, BTreeSet<String>>> =
        std::sync::OnceLock::new();
    GRAPH.get_or_init(|| graph(&sources()))
}

/// The graph of files: for each file (its path under `src/`), the files it imports.
fn graph(files: &[SourceFile]) -> BTreeMap<String, BTreeSet<String>> {
    let by_module: BTreeMap<(Crate, Vec<String>), &str> = files
        .iter()
        .map(|f| ((f.krate, f.module.clone()), f.rel.as_str()))
        .collect();
    files
        .iter()
        .map(|f| {
            let mut refs = Refs {
                file: f,
                found: BTreeSet::new(),
            };
            refs.items(&f.ast.items, &f.module);
            let targets = refs
                .found
                .into_iter()
                .filter_map(|(krate, path)| {
                    // The longest prefix of the path that is a file's module.
                    (0..=path.len())
                        .rev()
                        .find_map(|n| by_module.get(&(krate, path[..n].to_vec())).copied())
                })
                .filter(|target| *target != f.rel)
                .map(str::to_string)
                .collect();
            (f.rel.clone(), targets)
        })
        .collect()
}

/// A circle of imports, if there is one: the files along it, the first repeated at the end.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next.as_str()) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(c) = visit(next, graph, marks, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if !marks.contains_key(node)
            && let Some(c) = visit(node, graph, &mut marks, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_file_imports_in_a_circle() {
    let g = src_graph();
    if let Some(cycle) = find_cycle(g) {
        panic!("import circle: {}", cycle.join(" -> "));
    }
}

/// The command a file of `cli/commands/` belongs to (`commands/generate/inputs.rs`:
/// `generate`).
fn command_of(rel: &str) -> Option<&str> {
    let rest = rel.strip_prefix("cli/commands/")?;
    let name = rest.split('/').next()?.trim_end_matches(".rs");
    (name != "mod").then_some(name)
}

#[test]
fn no_command_imports_another() {
    let g = src_graph();
    let mut bad = Vec::new();
    for (from, targets) in g {
        let Some(own) = command_of(from) else {
            continue;
        };
        for to in targets {
            if command_of(to).is_some_and(|other| other != own) {
                bad.push(format!("{from} imports {to}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "a command imports another:\n{}",
        bad.join("\n")
    );
}

/// The layers of `cli/`, top first: a file may import only files of its own layer or of
/// layers below it (and the library).
fn layer_of(rel: &str) -> Option<(usize, &'static str)> {
    const LAYERS: &[(&str, &str)] = &[
        ("main.rs", "main"),
        ("cli/mod.rs", "cli::main"),
        ("cli/commands/", "commands"),
        ("cli/pipeline/", "pipeline"),
        ("cli/error.rs", "error"),
        ("cli/input/", "input/output/board"),
        ("cli/output/", "input/output/board"),
        ("cli/board/", "input/output/board"),
        ("cli/dps/", "input/output/board"),
        ("cli/sys/", "sys"),
    ];
    let mut rank = 0;
    let mut last = "";
    for (prefix, name) in LAYERS {
        if *name != last {
            rank += 1;
            last = name;
        }
        if rel == *prefix || (prefix.ends_with('/') && rel.starts_with(prefix)) {
            return Some((rank, name));
        }
    }
    None
}

#[test]
fn cli_layers_import_only_downwards() {
    let g = src_graph();
    let mut bad = Vec::new();
    for (from, targets) in g {
        if !(from.starts_with("cli/") || from == "main.rs") {
            continue;
        }
        let Some((rank, name)) = layer_of(from) else {
            bad.push(format!("{from} is in no layer of cli/"));
            continue;
        };
        for to in targets.iter().filter(|t| t.starts_with("cli/")) {
            match layer_of(to) {
                Some((to_rank, to_name)) if to_rank < rank => bad.push(format!(
                    "{from} ({name}) imports {to} ({to_name}), a layer above"
                )),
                _ => {}
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports running upwards:\n{}",
        bad.join("\n")
    );
}

#[test]
fn sys_imports_nothing_of_cli_outside_it() {
    let g = src_graph();
    let bad: Vec<String> = g
        .iter()
        .filter(|(from, _)| from.starts_with("cli/sys/"))
        .flat_map(|(from, targets)| {
            targets
                .iter()
                .filter(|t| t.starts_with("cli/") && !t.starts_with("cli/sys/"))
                .map(move |t| format!("{from} imports {t}"))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "cli/sys/ imports from above:\n{}",
        bad.join("\n")
    );
}

/// What the library must not use, found in a file's tokens (test modules left out).
fn platform_or_io(tokens: TokenStream, out: &mut BTreeSet<String>) {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => {
                // `cfg(unix)`, `cfg!(windows)`, `cfg(target_os = …)`.
                let is_cfg = i > 0
                    && matches!(trees.get(i - 1), Some(TokenTree::Ident(id)) if id == "cfg")
                    || i > 1
                        && matches!(trees.get(i - 2), Some(TokenTree::Ident(id)) if id == "cfg")
                        && matches!(trees.get(i - 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                if is_cfg {
                    for t in g.stream().into_iter().flat_map(flatten) {
                        if let TokenTree::Ident(id) = t {
                            let id = id.to_string();
                            if matches!(
                                id.as_str(),
                                "unix" | "windows" | "target_os" | "target_family"
                            ) {
                                out.insert(format!("cfg({id})"));
                            }
                        }
                    }
                }
                platform_or_io(g.stream(), out);
            }
            TokenTree::Ident(id) => {
                let id = id.to_string();
                let is_macro =
                    matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                match id.as_str() {
                    "println" | "eprintln" | "print" | "eprint" | "dbg" if is_macro => {
                        out.insert(format!("{id}!"));
                    }
                    "clap" | "stdin" | "stdout" | "stderr" | "Stdin" | "Stdout" | "Stderr" => {
                        out.insert(id);
                    }
                    _ => {}
                }
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
    }
}

fn flatten(tree: TokenTree) -> Vec<TokenTree> {
    match tree {
        TokenTree::Group(g) => g.stream().into_iter().flat_map(flatten).collect(),
        other => vec![other],
    }
}

fn without_tests(items: &[syn::Item]) -> TokenStream {
    let mut tokens = TokenStream::new();
    for item in items {
        let attrs = match item {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            syn::Item::Struct(s) => &s.attrs,
            syn::Item::Enum(e) => &e.attrs,
            syn::Item::Const(c) => &c.attrs,
            _ => {
                item.to_tokens(&mut tokens);
                continue;
            }
        };
        if is_test_cfg(attrs) {
            continue;
        }
        match item {
            syn::Item::Mod(m) if m.content.is_some() => {
                if let Some((_, inner)) = &m.content {
                    tokens.extend(without_tests(inner));
                }
            }
            _ => item.to_tokens(&mut tokens),
        }
    }
    tokens
}

#[test]
fn the_library_has_no_platform_code_printing_or_clap() {
    let mut bad = Vec::new();
    for f in sources().iter().filter(|f| f.krate == Crate::Lib) {
        let mut found = BTreeSet::new();
        platform_or_io(without_tests(&f.ast.items), &mut found);
        for what in found {
            bad.push(format!("src/{}: {what}", f.rel));
        }
    }
    assert!(
        bad.is_empty(),
        "the library must stay pure:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_look_for() {
    // A check that sees no import would pass on any source: these are known edges.
    let g = src_graph();
    let has = |from: &str, to: &str| g.get(from).is_some_and(|t| t.contains(to));
    assert!(has("main.rs", "cli/mod.rs"), "{:?}", g.get("main.rs"));
    assert!(has("lib.rs", "dice/uds.rs"), "{:?}", g.get("lib.rs"));
    // A path inside an attribute (`#[error(...)]`) counts.
    assert!(
        has("cli/output/files.rs", "cli/sys/folder_lock.rs"),
        "{:?}",
        g.get("cli/output/files.rs")
    );
    let cycle = find_cycle(&BTreeMap::from([
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]));
    assert_eq!(
        cycle,
        Some(vec!["a".to_string(), "b".to_string(), "a".to_string()])
    );
    let mut found = BTreeSet::new();
    platform_or_io(
        "#[cfg(unix)] fn f() { println!(\"x\"); let _ = std::io::stdin(); }"
            .parse()
            .unwrap(),
        &mut found,
    );
    assert_eq!(
        found,
        BTreeSet::from([
            "cfg(unix)".to_string(),
            "println!".to_string(),
            "stdin".to_string()
        ])
    );
}
