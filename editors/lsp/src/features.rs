//! The answers to editor requests, from a [`Document`] and its [`Analysis`].
//!
//! Takes: a checked document, LSP request parameters (positions in UTF-16).
//! Gives: diagnostics (secondary labels as related information, help and notes appended
//! to the message), hover, definition (into imports and the materialized stdlib),
//! completion (locals in scope, globals, builtins, keywords, and the output indices of a
//! network after `f(x)[`), document symbols, formatting and semantic tokens.
//! Invariant: every answer is computed from the document's current text; a position
//! that names nothing gives an empty answer (`null`), never an error.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use lsp_types::{
    CompletionItem, CompletionItemKind, DiagnosticRelatedInformation, DiagnosticSeverity,
    DocumentSymbol, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    Position, Range, SemanticTokens, SymbolKind, TextEdit, Uri,
};
use propc_compiler::elab::types;
use propc_syntax::ast::{Item, TypeKind};
use propc_syntax::{FileId, Span};

use crate::analysis::{Analysis, Described};
use crate::builtins::{BUILTINS, KEYWORDS, TYPES};
use crate::document::Document;
use crate::resolve::{Global, LocalKind, Target};
use crate::semantic;
use crate::stdlib;
use crate::text::{LineIndex, path_to_uri};

/// Where the stdlib files are (for URIs into them).
pub struct Env {
    pub stdlib_dir: Option<PathBuf>,
}

impl Env {
    /// The URI of a file of a document's session.
    pub fn file_uri(&self, doc: &Document, file: FileId) -> Option<Uri> {
        if file == doc.file {
            return Some(doc.uri.clone());
        }
        let name = doc.session.sources.name(file);
        if let Some(m) = stdlib::module_of_file_name(name) {
            return path_to_uri(&self.stdlib_dir.as_ref()?.join(format!("{m}.prop")));
        }
        let p = Path::new(name);
        if p.is_absolute() {
            path_to_uri(p)
        } else {
            path_to_uri(&std::env::current_dir().ok()?.join(p))
        }
    }

    pub fn location(&self, doc: &Document, span: Span) -> Option<Location> {
        let uri = self.file_uri(doc, span.file)?;
        let text = doc.session.sources.text(span.file);
        let range = LineIndex::new(text).range(text, span.start as usize, span.end as usize);
        Some(Location { uri, range })
    }
}

/// The LSP diagnostics of a document.
pub fn diagnostics(env: &Env, doc: &Document) -> Vec<lsp_types::Diagnostic> {
    let text = doc.text();
    let index = LineIndex::new(text);
    let mut out = Vec::new();
    for d in &doc.diagnostics {
        // The range: the primary label if it is in this file, else the first label that is
        // (a use of a `def` whose body fails), else the start of the file.
        let primary = d.primary_span();
        let here = primary
            .filter(|s| s.file == doc.file)
            .or_else(|| d.labels.iter().map(|l| l.span).find(|s| s.file == doc.file));
        let range = here
            .map(|s| index.range(text, s.start as usize, s.end as usize))
            .unwrap_or_default();
        // The message: the diagnostic's, the label shown at the range, notes, help.
        let mut message = d.message.clone();
        let mut related = Vec::new();
        let mut shown = false;
        for l in &d.labels {
            if Some(l.span) == here && !shown {
                shown = true;
                if !l.message.is_empty() {
                    message.push_str(&format!("\n{}", l.message));
                }
                continue;
            }
            if let Some(location) = env.location(doc, l.span) {
                related.push(DiagnosticRelatedInformation {
                    location,
                    message: l.message.clone(),
                });
            }
        }
        for n in &d.notes {
            message.push_str(&format!("\nnote: {n}"));
        }
        if let Some(h) = &d.help {
            message.push_str(&format!("\nhelp: {h}"));
        }
        out.push(lsp_types::Diagnostic {
            range,
            severity: Some(if d.is_error() {
                DiagnosticSeverity::ERROR
            } else {
                DiagnosticSeverity::WARNING
            }),
            code: Some(NumberOrString::String(d.code.to_string())),
            source: Some("propc".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        });
    }
    out
}

fn markdown(d: &Described) -> String {
    let mut s = format!("```prop\n{}\n```", d.signature);
    if let Some(o) = &d.origin {
        s.push_str(&format!("\n*{o}*"));
    }
    if let Some(doc) = &d.doc {
        s.push_str(&format!("\n\n---\n\n{doc}"));
    }
    s
}

pub fn hover(doc: &Document, pos: Position) -> Option<Hover> {
    let a = Analysis::new(&doc.session, doc.file);
    let text = a.text();
    let index = LineIndex::new(text);
    let offset = index.offset(text, pos);
    let occ = a.res.at(offset)?;
    let d = a.describe(occ.target)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown(&d),
        }),
        range: Some(index.range(text, occ.span.start as usize, occ.span.end as usize)),
    })
}

pub fn definition(env: &Env, doc: &Document, pos: Position) -> Option<Location> {
    let a = Analysis::new(&doc.session, doc.file);
    let text = a.text();
    let offset = LineIndex::new(text).offset(text, pos);
    let occ = a.res.at(offset)?;
    let span = match occ.target {
        Target::Global(g) => g.item.name().map(|n| n.span)?,
        Target::Local(i) => a.res.locals.get(i)?.decl,
        Target::Module(f) => Span::new(f, 0, 0),
        Target::Builtin(_) | Target::Unresolved => return None,
    };
    env.location(doc, span)
}

fn item_kind(item: &Item) -> (CompletionItemKind, SymbolKind) {
    match item {
        Item::Network { .. } => (CompletionItemKind::INTERFACE, SymbolKind::INTERFACE),
        Item::Param { .. } => (CompletionItemKind::CONSTANT, SymbolKind::CONSTANT),
        Item::Dataset { .. } => (CompletionItemKind::STRUCT, SymbolKind::ARRAY),
        Item::Let { .. } => (CompletionItemKind::VARIABLE, SymbolKind::VARIABLE),
        Item::Def { .. } => (CompletionItemKind::FUNCTION, SymbolKind::FUNCTION),
        Item::Property { .. } => (CompletionItemKind::PROPERTY, SymbolKind::PROPERTY),
        Item::Query { .. } => (CompletionItemKind::EVENT, SymbolKind::EVENT),
        Item::Import { .. } | Item::Error { .. } => {
            (CompletionItemKind::MODULE, SymbolKind::MODULE)
        }
    }
}

/// The network called in `name(...)[` right before `offset`, with the partial index.
fn index_context(text: &str, offset: usize) -> Option<&str> {
    let before = text.get(..offset)?;
    let before = before.trim_end_matches(|c: char| c.is_ascii_digit() || c == ' ');
    let before = before.strip_suffix('[')?.trim_end();
    let before = before.strip_suffix(')')?;
    // Back to the matching `(`.
    let mut depth = 1usize;
    let mut open = None;
    for (i, c) in before.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth -= 1;
                if depth == 0 {
                    open = Some(i);
                    break;
                }
            }
            '\n' if depth > 8 => return None,
            _ => {}
        }
    }
    let callee_end = before[..open?].trim_end();
    let start = callee_end
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map(|i| i + 1)
        .unwrap_or(0);
    let name = &callee_end[start..];
    (!name.is_empty()).then_some(name)
}

pub fn completion(doc: &Document, pos: Position) -> Vec<CompletionItem> {
    let a = Analysis::new(&doc.session, doc.file);
    let text = a.text();
    let offset = LineIndex::new(text).offset(text, pos);
    if let Some(net) = index_context(text, offset) {
        return output_indices(&a, net, offset);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for l in a.res.locals_at(offset).into_iter().rev() {
        if !seen.insert(l.name) {
            continue;
        }
        let kind = if l.kind == LocalKind::DimVar {
            CompletionItemKind::TYPE_PARAMETER
        } else {
            CompletionItemKind::VARIABLE
        };
        out.push(item(
            l.name,
            kind,
            a.local_type(l).map(|t| format!("{} : {t}", l.name)),
            "0",
        ));
    }
    let mut globals: Vec<(&String, &Global<'_>)> = a.globals.iter().collect();
    globals.sort_by_key(|(n, _)| n.as_str());
    for (name, g) in globals {
        if matches!(g.item, Item::Property { .. } | Item::Query { .. })
            || !seen.insert(name.as_str())
        {
            continue;
        }
        let detail = a
            .describe(Target::Global(*g))
            .map(|d| match a.origin_of(g.file) {
                Some(o) => format!("{} ({o})", d.signature),
                None => d.signature,
            });
        let mut it = item(name, item_kind(g.item).0, detail, "1");
        it.documentation = g
            .item
            .doc()
            .map(|d| lsp_types::Documentation::String(d.to_string()));
        out.push(it);
    }
    for (name, sig, doc) in BUILTINS {
        if seen.insert(name) {
            let mut it = item(
                name,
                CompletionItemKind::FUNCTION,
                Some(sig.to_string()),
                "2",
            );
            it.documentation = Some(lsp_types::Documentation::String(doc.to_string()));
            out.push(it);
        }
    }
    for (k, d) in KEYWORDS {
        out.push(item(
            k,
            CompletionItemKind::KEYWORD,
            Some(d.to_string()),
            "3",
        ));
    }
    for (k, d) in TYPES {
        out.push(item(k, CompletionItemKind::CLASS, Some(d.to_string()), "3"));
    }
    out
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<String>,
    group: &str,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        sort_text: Some(format!("{group}{label}")),
        ..Default::default()
    }
}

/// `0`, `1`, ... for the outputs of network `net` (declared `Real[k]`).
fn output_indices(a: &Analysis<'_>, net: &str, offset: usize) -> Vec<CompletionItem> {
    // A network parameter of a `def` has no fixed size.
    if a.res.locals_at(offset).iter().any(|l| l.name == net) {
        return Vec::new();
    }
    let Some(Global {
        item: Item::Network { output, .. },
        ..
    }) = a.globals.get(net)
    else {
        return Vec::new();
    };
    let TypeKind::Real(dims) = &output.kind else {
        return Vec::new();
    };
    let Some(shape) = a.with_elaborator(|el| types::resolve_dims(el, dims).ok()) else {
        return Vec::new();
    };
    let size: usize = shape.iter().product();
    if shape.len() > 1 || size > 1000 {
        return Vec::new();
    }
    (0..size)
        .map(|i| {
            let mut it = item(
                &i.to_string(),
                CompletionItemKind::VALUE,
                Some(format!("output {i} of `{net}` (of {size})")),
                "0",
            );
            it.sort_text = Some(format!("{i:06}"));
            it
        })
        .collect()
}

#[allow(deprecated)]
fn symbol(
    name: String,
    detail: Option<String>,
    kind: SymbolKind,
    range: Range,
    selection: Range,
    children: Option<Vec<DocumentSymbol>>,
) -> DocumentSymbol {
    DocumentSymbol {
        name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children,
    }
}

pub fn document_symbols(doc: &Document) -> Vec<DocumentSymbol> {
    let a = Analysis::new(&doc.session, doc.file);
    let text = a.text();
    let index = LineIndex::new(text);
    let range = |s: Span| index.range(text, s.start as usize, s.end as usize);
    let mut out = Vec::new();
    let Some(ast) = doc.session.ast(doc.file) else {
        return out;
    };
    for it in &ast.items {
        match it {
            Item::Import { span, .. } => {
                let name = text
                    .get(span.range())
                    .unwrap_or("")
                    .trim_start_matches("import")
                    .trim()
                    .to_string();
                out.push(symbol(
                    name,
                    None,
                    SymbolKind::MODULE,
                    range(*span),
                    range(*span),
                    None,
                ));
            }
            Item::Error { .. } => {}
            _ => {
                let Some(name) = it.name() else { continue };
                let detail = a
                    .describe(Target::Global(Global {
                        file: doc.file,
                        item: it,
                    }))
                    .map(|d| d.signature);
                let children = match it {
                    Item::Def { params, .. } => Some(
                        params
                            .iter()
                            .map(|p| {
                                symbol(
                                    p.name.name.clone(),
                                    Some(types::type_text(&p.ty)),
                                    SymbolKind::VARIABLE,
                                    range(p.name.span.to(p.ty.span)),
                                    range(p.name.span),
                                    None,
                                )
                            })
                            .collect(),
                    ),
                    _ => None,
                };
                out.push(symbol(
                    name.name.clone(),
                    detail,
                    item_kind(it).1,
                    range(it.span()),
                    range(name.span),
                    children,
                ));
            }
        }
    }
    out
}

pub fn semantic_tokens(doc: &Document) -> SemanticTokens {
    let a = Analysis::new(&doc.session, doc.file);
    let text = a.text();
    let data = semantic::tokens(text, &a.res, &LineIndex::new(text));
    SemanticTokens {
        result_id: None,
        data,
    }
}

/// The edits formatting the document: one edit replacing the whole text, none when the
/// text is already formatted or does not parse.
pub fn formatting(doc: &Document) -> Vec<TextEdit> {
    let text = doc.text();
    match propc_syntax::format_source(text) {
        Ok(formatted) if formatted != text => {
            let index = LineIndex::new(text);
            vec![TextEdit {
                range: index.range(text, 0, text.len()),
                new_text: formatted,
            }]
        }
        _ => Vec::new(),
    }
}
