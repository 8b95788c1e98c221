//! S-expressions of a VNN-LIB (SMT-LIB) text, with byte spans.
//!
//! Takes: the text of one file in a [`SourceMap`].
//! Gives: its top-level [`SExpr`]s; atoms keep only their span (their text is a slice of
//! the source). Comments (`;` to the end of the line) and whitespace are skipped;
//! `|quoted symbols|` and `"strings"` are single atoms.
//! Invariant: never panics and never recurses (an explicit stack), so huge files are
//! fine; the first unbalanced parenthesis is an `E0701` diagnostic pointing at it. Lists
//! nested more than [`MAX_NESTING`] deep are an `E0701` too: the tree's `Drop` (and the
//! formula reader) recurse, and a file of a million `(` would overflow the stack.

use propc_syntax::{Diagnostic, FileId, SourceMap, Span};

/// Lists nested deeper than this are refused. Well above the formula reader's own
/// limit (256), so a deep formula still gets that reader's message.
pub const MAX_NESTING: usize = 1024;

/// An atom (symbol, number, keyword) or a parenthesized list.
#[derive(Clone, Debug, PartialEq)]
pub enum SExpr {
    Atom(Span),
    /// The span covers the parentheses.
    List(Vec<SExpr>, Span),
}

impl SExpr {
    pub fn span(&self) -> Span {
        match self {
            SExpr::Atom(s) | SExpr::List(_, s) => *s,
        }
    }
}

/// Parses every top-level s-expression of `file`.
pub fn parse(sources: &SourceMap, file: FileId) -> Result<Vec<SExpr>, Diagnostic> {
    let text = sources.text(file).as_bytes();
    let mut top: Vec<SExpr> = Vec::new();
    // Open lists: their start offset and the items read so far.
    let mut stack: Vec<(usize, Vec<SExpr>)> = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let b = text[i];
        match b {
            b';' => {
                while i < text.len() && text[i] != b'\n' {
                    i += 1;
                }
            }
            b'(' => {
                if stack.len() >= MAX_NESTING {
                    return Err(Diagnostic::error(
                        "E0701",
                        format!("lists nested more than {MAX_NESTING} levels deep"),
                    )
                    .with_label(Span::new(file, i, i + 1), "too deep")
                    .with_help("flatten the formula"));
                }
                stack.push((i, Vec::new()));
                i += 1;
            }
            b')' => {
                let Some((start, items)) = stack.pop() else {
                    return Err(Diagnostic::error(
                        "E0701",
                        "unbalanced parentheses: `)` closes nothing",
                    )
                    .with_label(Span::new(file, i, i + 1), "this `)` has no matching `(`")
                    .with_help("remove it, or add the missing `(` before it"));
                };
                i += 1;
                let list = SExpr::List(items, Span::new(file, start, i));
                match stack.last_mut() {
                    Some((_, parent)) => parent.push(list),
                    None => top.push(list),
                }
            }
            _ if b.is_ascii_whitespace() => i += 1,
            _ => {
                let start = i;
                if b == b'|' || b == b'"' {
                    i += 1;
                    while i < text.len() && text[i] != b {
                        i += 1;
                    }
                    if i >= text.len() {
                        let what = if b == b'|' { "quoted symbol" } else { "string" };
                        return Err(Diagnostic::error("E0701", format!("unterminated {what}"))
                            .with_label(
                                Span::new(file, start, start + 1),
                                format!("this {what} is never closed"),
                            )
                            .with_help(format!("add the closing `{}`", b as char)));
                    }
                    i += 1;
                } else {
                    while i < text.len()
                        && !matches!(text[i], b'(' | b')' | b';')
                        && !text[i].is_ascii_whitespace()
                    {
                        i += 1;
                    }
                }
                let atom = SExpr::Atom(Span::new(file, start, i));
                match stack.last_mut() {
                    Some((_, parent)) => parent.push(atom),
                    None => top.push(atom),
                }
            }
        }
    }
    if let Some((start, _)) = stack.last() {
        return Err(Diagnostic::error(
            "E0701",
            "unbalanced parentheses: the file ends inside a list",
        )
        .with_label(
            Span::new(file, *start, start + 1),
            "this `(` is never closed",
        )
        .with_help("add the missing `)`"));
    }
    Ok(top)
}
