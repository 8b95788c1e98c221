//! The book (`book/src/**/*.md`) against the compiler and the standard library.
//!
//! - Every ```` ```prop ```` block is a complete spec: it parses and type-checks
//!   (`Mode::Check`, networks unbound), and, when it declares no dataset, also
//!   normalizes (`Mode::Compile`), so queries and the case limit are checked too.
//!   Blocks marked ```` ```prop,ignore ```` are skipped; they must stay rare.
//! - The standard library page lists every `def` of `propc_compiler::STDLIB`: a heading,
//!   its exact one-line signature (`def name(a: T, ...) : R`), and its definition in a
//!   prop block with the same doc comment and the same tokens as `stdlib/*.prop`
//!   (layout may differ).
//! - A prop block that opens with the first line of a shipped spec (`specs/**/*.prop`)
//!   quotes that spec: it has the same tokens (comments and layout aside).

use std::path::{Path, PathBuf};

use propc_compiler::{Bindings, Mode, STDLIB, Session};
use propc_syntax::ast::Item;

fn book_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book/src")
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "md") {
            out.push(p);
        }
    }
}

/// A fenced code block: its info string, its first line (1-based) and its text.
struct Block {
    info: String,
    line: usize,
    text: String,
}

/// The fenced code blocks of a Markdown text (``` fences, possibly indented).
fn code_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String, usize)> = None; // info, line, text, fence length
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|c| *c == '`').count();
        match &mut open {
            None if ticks >= 3 => {
                open = Some((
                    trimmed[ticks..].trim().to_string(),
                    i + 2,
                    String::new(),
                    ticks,
                ));
            }
            None => {}
            Some((info, start, text, fence)) => {
                if ticks >= *fence && trimmed[ticks..].trim().is_empty() {
                    blocks.push(Block {
                        info: info.clone(),
                        line: *start,
                        text: text.clone(),
                    });
                    open = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    assert!(open.is_none(), "an unclosed code fence");
    blocks
}

/// `prop`, `prop,ignore`, `prop ignore`: (is a prop block, is ignored).
fn prop_kind(info: &str) -> (bool, bool) {
    let mut words = info.split([',', ' ']).filter(|w| !w.is_empty());
    let is_prop = words.next() == Some("prop");
    let ignored = is_prop && words.any(|w| w == "ignore");
    (is_prop, ignored)
}

fn relative(path: &Path) -> String {
    path.strip_prefix(book_src())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_prop_block_in_the_book_compiles() {
    let mut files = Vec::new();
    markdown_files(&book_src(), &mut files);
    assert!(!files.is_empty(), "no Markdown files under book/src");
    let (mut checked, mut ignored) = (0, 0);
    let mut failures = Vec::new();
    for path in &files {
        let markdown = std::fs::read_to_string(path).expect("chapter reads");
        let mut n = 0;
        for block in code_blocks(&markdown) {
            let (is_prop, is_ignored) = prop_kind(&block.info);
            if !is_prop {
                continue;
            }
            n += 1;
            if is_ignored {
                ignored += 1;
                continue;
            }
            checked += 1;
            let name = format!(
                "book/src/{} (prop block {n}, line {})",
                relative(path),
                block.line
            );
            let mut session = Session::new();
            let file = session.add_text(&name, &block.text);
            let mut compiled = session.compile(file, &Bindings::default(), Mode::Check);
            let uses_data = session
                .ast(file)
                .is_some_and(|ast| ast.items.iter().any(|i| matches!(i, Item::Dataset { .. })));
            if !compiled.has_errors() && !uses_data {
                compiled = session.compile(file, &Bindings::default(), Mode::Compile);
            }
            if compiled.has_errors() {
                let rendered = propc_syntax::render(&session.sources, &compiled.diagnostics, false);
                failures.push(format!("{name}:\n{rendered}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} prop block(s) of the book do not compile:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        checked >= 30,
        "expected the book's examples, found only {checked} prop blocks"
    );
    assert!(
        ignored <= 3,
        "{ignored} blocks are marked `prop,ignore`: keep those rare"
    );
}

/// The tokens of a piece of source, without comments and without a comma right before
/// a closing bracket, so that layout (and the formatter's trailing commas) does not
/// matter but every name, type and operator does.
fn tokens(text: &str) -> Vec<String> {
    let (toks, errors) = propc_syntax::lexer::lex(text);
    assert!(errors.is_empty(), "lexing errors in:\n{text}");
    let toks: Vec<String> = toks
        .iter()
        .filter(|(_, t, _)| !t.is_comment())
        .map(|(_, t, _)| t.text().to_string())
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(toks.len());
    for (i, t) in toks.iter().enumerate() {
        let next = toks.get(i + 1).map(String::as_str);
        if t == "," && matches!(next, Some(")" | "]")) {
            continue;
        }
        out.push(t.clone());
    }
    out
}

/// The one-line signature of a `def`: `def name(a: T, ...) : R`.
fn signature_line(
    name: &str,
    params: &[propc_syntax::ast::Param],
    ret: Option<&propc_syntax::ast::TypeExpr>,
) -> String {
    use propc_compiler::elab::types::type_text;
    let params: Vec<String> = params
        .iter()
        .map(|p| format!("{}: {}", p.name.name, type_text(&p.ty)))
        .collect();
    let ret = ret
        .map(|r| format!(" : {}", type_text(r)))
        .unwrap_or_default();
    format!("def {name}({}){ret}", params.join(", "))
}

/// Every `def` of a text: name -> (doc, tokens of the whole definition, signature line).
fn defs_of(name: &str, text: &str) -> Vec<(String, Option<String>, Vec<String>, String)> {
    let mut session = Session::new();
    let file = session.add_text(name, text);
    let (ast, diags) = propc_syntax::parse(&session.sources, file);
    assert!(diags.iter().all(|d| !d.is_error()), "{name} does not parse");
    ast.items
        .iter()
        .filter_map(|item| match item {
            Item::Def {
                name,
                doc,
                params,
                ret,
                span,
                ..
            } => Some((
                name.name.clone(),
                doc.clone(),
                tokens(&text[span.start as usize..span.end as usize]),
                signature_line(&name.name, params, ret.as_ref()),
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn the_stdlib_page_lists_every_def_with_its_signature_doc_and_definition() {
    let page_path = book_src().join("reference/stdlib.md");
    let page = std::fs::read_to_string(&page_path).expect("book/src/reference/stdlib.md reads");
    let page_lines: Vec<&str> = page.lines().map(str::trim).collect();
    // The definitions the page shows, from its prop blocks.
    let mut shown = Vec::new();
    for (i, block) in code_blocks(&page).iter().enumerate() {
        if prop_kind(&block.info).0 {
            shown.extend(defs_of(&format!("stdlib.md block {}", i + 1), &block.text));
        }
    }
    let mut problems = Vec::new();
    let mut count = 0;
    for (module, text) in STDLIB {
        if !page.contains(&format!("`{module}`")) {
            problems.push(format!("module `{module}` is not named"));
        }
        for (name, doc, toks, signature) in defs_of(module, text) {
            count += 1;
            if !page.contains(&format!("### `{name}`")) {
                problems.push(format!("`{name}` ({module}): no heading \"### `{name}`\""));
            }
            if !page_lines.contains(&signature.as_str()) {
                problems.push(format!(
                    "`{name}` ({module}): no line with the exact signature\n    {signature}"
                ));
            }
            match shown.iter().find(|(n, ..)| *n == name) {
                None => problems.push(format!(
                    "`{name}` ({module}): the definition is not shown in a prop block"
                )),
                Some((_, shown_doc, shown_toks, _)) => {
                    if *shown_doc != doc {
                        problems.push(format!(
                            "`{name}` ({module}): the doc comment differs from the stdlib's:\n{}",
                            doc.clone().unwrap_or_default()
                        ));
                    }
                    if *shown_toks != toks {
                        problems.push(format!("`{name}` ({module}): the definition differs from the stdlib's:\n    {}", toks.join(" ")));
                    }
                }
            }
        }
    }
    assert!(
        count >= 8,
        "expected the stdlib's definitions, found {count}"
    );
    assert!(
        problems.is_empty(),
        "book/src/reference/stdlib.md is out of date with stdlib/*.prop:\n{}",
        problems.join("\n")
    );
}

fn spec_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            spec_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "prop") {
            out.push(p);
        }
    }
}

#[test]
fn quoted_specs_match_the_shipped_files() {
    let mut specs = Vec::new();
    spec_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs"),
        &mut specs,
    );
    let specs: Vec<(PathBuf, String)> = specs
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("spec reads");
            (p, text)
        })
        .collect();
    let mut files = Vec::new();
    markdown_files(&book_src(), &mut files);
    let (mut quoted, mut problems) = (0, Vec::new());
    for path in &files {
        let markdown = std::fs::read_to_string(path).expect("chapter reads");
        for block in code_blocks(&markdown) {
            if !prop_kind(&block.info).0 {
                continue;
            }
            let Some(first) = block.text.lines().next().filter(|l| l.starts_with("//")) else {
                continue;
            };
            for (spec, text) in &specs {
                if text.lines().next() != Some(first) {
                    continue;
                }
                quoted += 1;
                if tokens(&block.text) != tokens(text) {
                    problems.push(format!(
                        "book/src/{} line {}: the quote of {} differs from the file",
                        relative(path),
                        block.line,
                        spec.display()
                    ));
                }
            }
        }
    }
    assert!(
        quoted >= 9,
        "expected the tutorials to quote the shipped specs, found {quoted} quotes"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every diagnostic code the sources can emit is documented on the diagnostics page.
#[test]
fn every_diagnostic_code_is_documented() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let page =
        std::fs::read_to_string(root.join("book/src/reference/diagnostics.md")).expect("page");
    let mut missing = Vec::new();
    let mut stack: Vec<std::path::PathBuf> = [
        "grammar/src",
        "compiler/src",
        "runtime/src",
        "cli/src",
        "editors/lsp/src",
    ]
    .iter()
    .map(|d| root.join(d))
    .collect();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("source");
                for (i, _) in text.match_indices("\"E0") {
                    let code = &text[i + 1..(i + 6).min(text.len())];
                    if code.len() == 5
                        && code[1..].chars().all(|c| c.is_ascii_digit())
                        && !page.contains(&format!("`{code}`"))
                    {
                        missing.push(format!("{code} ({})", path.display()));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented diagnostic codes: {missing:?}"
    );
}
