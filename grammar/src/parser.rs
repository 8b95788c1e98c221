//! The parser driver: tokens in, a tree and diagnostics out.
//!
//! Takes: one file of a [`SourceMap`].
//! Gives: the [`SpecFile`] (or one [`Expr`]) built by the LALRPOP grammar
//! (`grammar.lalrpop`), with every lexing and parsing problem as a [`Diagnostic`]:
//! `E0001` unexpected token, `E0002` unexpected end of file, `E0003` invalid token,
//! `E0004` invalid number, `E0005` input beyond the parser's limits (brackets nested
//! deeper than [`MAX_NESTING`], an item with more than [`MAX_ITEM_OPERATORS`] binary
//! operators): such a
//! file is reported once and not parsed, so no later stage recurses that deep.
//! Invariant: never panics and always returns a tree; a part that failed to parse is an
//! `Error` node, and is reported exactly once. `///` comments directly above an item
//! become its `doc`.

use std::collections::{HashMap, HashSet};
use std::fmt;

use lalrpop_util::{ErrorRecovery, ParseError};

use crate::ast::{BinaryOp, Dim, Expr, ExprKind, Item, SpecFile};
use crate::diagnostic::Diagnostic;
use crate::grammar;
use crate::lexer::{self, Spanned, Token};
use crate::span::{FileId, SourceMap, Span};

/// The parser's user error type: the grammar raises none of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Never {}

impl fmt::Display for Never {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {}
    }
}

type Recovery<'s> = ErrorRecovery<usize, Token<'s>, Never>;
type PError<'s> = ParseError<usize, Token<'s>, Never>;

/// State shared by the grammar actions.
pub struct Ctx<'s> {
    file: FileId,
    text: &'s str,
    /// Tokens the parser sees (no comments), to find unclosed brackets.
    tokens: Vec<Spanned<'s>>,
    /// Doc comment text by the start offset of the token it documents.
    docs: HashMap<usize, String>,
    /// Starts of tokens right after a lexing error: a parse error there is a
    /// consequence of the lexing error, already reported.
    after_lex_error: HashSet<usize>,
    diags: Vec<Diagnostic>,
}

impl<'s> Ctx<'s> {
    fn new(file: FileId, text: &'s str) -> Ctx<'s> {
        let (all, lex_errors) = lexer::lex(text);
        let mut diags: Vec<Diagnostic> = lex_errors
            .iter()
            .map(|e| e.to_diagnostic(file, text))
            .collect();
        let mut tokens = Vec::with_capacity(all.len());
        let mut docs = HashMap::new();
        let mut run: Vec<&str> = Vec::new();
        for (i, &(l, tok, r)) in all.iter().enumerate() {
            match tok {
                Token::DocComment(s) => {
                    run.push(lexer::doc_text(s));
                    match all.get(i + 1) {
                        Some((next, Token::DocComment(_), _)) if only_newline(text, r, *next) => {}
                        Some((next, t, _)) if t.starts_item() && only_newline(text, r, *next) => {
                            docs.insert(*next, run.join("\n"));
                            run.clear();
                        }
                        _ => {
                            diags.push(
                                Diagnostic::warning("W0001", "doc comment not attached to an item")
                                    .with_label(Span::new(file, l, r), "this comment documents nothing")
                                    .with_help(
                                        "put `///` comments directly above an item, or write `//` for a plain comment",
                                    ),
                            );
                            run.clear();
                        }
                    }
                }
                t if t.is_comment() => {}
                t => tokens.push((l, t, r)),
            }
        }
        let mut after_lex_error = HashSet::new();
        for e in &lex_errors {
            if let Some(&(l, _, _)) = tokens.iter().find(|(l, _, _)| *l >= e.end) {
                after_lex_error.insert(l);
            }
        }
        Ctx {
            file,
            text,
            tokens,
            docs,
            after_lex_error,
            diags,
        }
    }

    // ---- helpers for the grammar's actions ----

    pub fn span(&self, l: usize, r: usize) -> Span {
        Span::new(self.file, l, r.max(l))
    }

    /// The doc comment of the item starting at `l`.
    pub fn doc(&mut self, l: usize) -> Option<String> {
        self.docs.remove(&l)
    }

    pub fn binary(&self, op: BinaryOp, lhs: Expr, rhs: Expr, l: usize, r: usize) -> Expr {
        Expr::new(
            ExprKind::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            self.span(l, r),
        )
    }

    pub fn int(&mut self, s: &str, l: usize, r: usize) -> Expr {
        let span = self.span(l, r);
        match s.parse::<i64>() {
            Ok(v) => Expr::new(ExprKind::Int(v), span),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error("E0004", format!("integer literal `{s}` is too large"))
                        .with_label(span, "does not fit in a 64-bit integer")
                        .with_help(format!(
                            "integers go up to {}; write `{s}.0` for a real number",
                            i64::MAX
                        )),
                );
                Expr::new(ExprKind::Error, span)
            }
        }
    }

    pub fn real(&mut self, s: &str, l: usize, r: usize) -> Expr {
        let span = self.span(l, r);
        match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Expr::new(ExprKind::Real(v), span),
            _ => {
                self.diags.push(
                    Diagnostic::error("E0004", format!("number `{s}` is too large"))
                        .with_label(span, "out of the range of a 64-bit float")
                        .with_help("write a smaller number"),
                );
                Expr::new(ExprKind::Error, span)
            }
        }
    }

    pub fn dim(&mut self, s: &str, l: usize, r: usize) -> Dim {
        let span = self.span(l, r);
        match s.parse::<u64>() {
            Ok(v) => Dim::Lit(v, span),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error("E0004", format!("dimension `{s}` is too large"))
                        .with_label(span, "does not fit in a 64-bit integer")
                        .with_help("write a smaller dimension"),
                );
                Dim::Lit(0, span)
            }
        }
    }

    /// The value of a string literal (quotes removed, escapes resolved).
    pub fn string(&self, s: &str) -> String {
        let inner = s.strip_prefix('"').unwrap_or(s);
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(other) => out.push(other),
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Reports a recovered parse error.
    pub fn recovered(&mut self, rec: Recovery<'s>) {
        self.report(rec.error);
    }

    fn report(&mut self, error: PError<'s>) {
        let d = match error {
            ParseError::UnrecognizedToken {
                token: (l, tok, r),
                expected,
            } => {
                if self.after_lex_error.contains(&l) {
                    return;
                }
                self.unexpected(Some((l, tok, r)), &expected)
            }
            ParseError::ExtraToken { token: (l, tok, r) } => {
                if self.after_lex_error.contains(&l) {
                    return;
                }
                self.unexpected(Some((l, tok, r)), &[])
            }
            ParseError::UnrecognizedEof {
                location: _,
                expected,
            } => self.unexpected(None, &expected),
            ParseError::InvalidToken { location } => Diagnostic::error("E0003", "invalid token")
                .with_label(self.span(location, location), "not a token")
                .with_help("remove it"),
            ParseError::User { error } => match error {},
        };
        self.diags.push(d);
    }

    /// The diagnostic for an unexpected token (`None`: the end of the file).
    fn unexpected(&self, found: Option<Spanned<'s>>, expected: &[String]) -> Diagnostic {
        let words = expected_words(expected);
        let list = join_or(&words);
        let expects = |what: &str| expected.iter().any(|e| e == what);
        let eof = self.text.len();
        let (l, r) = found.map(|(l, _, r)| (l, r)).unwrap_or((eof, eof));
        let span = self.span(l, r);
        let label = if words.is_empty() {
            "unexpected here".to_string()
        } else {
            format!("expected {list}")
        };

        // An unclosed bracket, found at the next item or the end of the file.
        let at_boundary = found.is_none_or(|(_, t, _)| t.starts_item());
        if at_boundary
            && (expects("\")\"") || expects("\"]\""))
            && let Some((ol, open, or)) = self.unclosed_before(l)
        {
            let close = if open == Token::LParen { ")" } else { "]" };
            let (code, message) = match found {
                None => ("E0002", "unexpected end of file".to_string()),
                Some((_, t, _)) => ("E0001", format!("expected `{close}`, found `{t}`")),
            };
            return Diagnostic::error(code, message)
                .with_label(span, label)
                .with_secondary(self.span(ol, or), format!("this `{open}` is never closed"))
                .with_help(format!("close it with `{close}`"));
        }

        let Some((_, tok, _)) = found else {
            return Diagnostic::error("E0002", "unexpected end of file")
                .with_label(span, label)
                .with_help(if words.is_empty() {
                    "complete the item".to_string()
                } else {
                    format!("the file ends in the middle of an item: complete it with {list}")
                });
        };
        let shown = shown(self.text.get(l..r).unwrap_or(""), tok);
        let message = if !words.is_empty() && words.len() <= 2 {
            format!("expected {list}, found `{shown}`")
        } else {
            format!("unexpected `{shown}`")
        };
        let help = if tok == Token::Assign && expects("\"==\"") {
            "write `==` to compare for equality".to_string()
        } else if tok == Token::Dot && expects("\"..\"") {
            "write `..` for a range: `0..10`".to_string()
        } else if expects("\".\"")
            && (tok.starts_item() || matches!(tok, Token::Comma | Token::Colon))
        {
            "a quantifier's binders and domain end with `.`: `forall x in D. body`".to_string()
        } else if expects("\".\"") && !expects("IDENT") && !expects("\"(\"") {
            "end the quantifier's domain with `.` before its body: `forall x in D. body`"
                .to_string()
        } else if tok.starts_item() && !expects("\"network\"") {
            format!("the item before `{shown}` is incomplete: complete it first")
        } else if words.first().is_some_and(|w| w == EXPRESSION) {
            if is_binary_operator(tok) {
                format!("`{shown}` needs an operand on each side")
            } else {
                "write an expression here: a name, a number, a call, `(...)` or `[...]`".to_string()
            }
        } else if expects("\"network\"") && expects("\"property\"") {
            "every item starts with a keyword: `import`, `network`, `param`, `dataset`, `let`, `def`, `property` or `query`"
                .to_string()
        } else if words.is_empty() {
            format!("remove `{shown}`")
        } else {
            format!("remove `{shown}`, or write {list} before it")
        };
        Diagnostic::error("E0001", message)
            .with_label(span, label)
            .with_help(help)
    }

    /// The innermost `(` or `[` before offset `at` that is not closed before it.
    fn unclosed_before(&self, at: usize) -> Option<Spanned<'s>> {
        let mut stack: Vec<Spanned<'s>> = Vec::new();
        for &(l, t, r) in self.tokens.iter().take_while(|(l, _, _)| *l < at) {
            match t {
                Token::LParen | Token::LBracket => stack.push((l, t, r)),
                Token::RParen | Token::RBracket => {
                    stack.pop();
                }
                t if t.starts_item() => stack.clear(),
                _ => {}
            }
        }
        stack.pop()
    }
}

/// Only whitespace with exactly one newline between `a` and `b`.
fn only_newline(text: &str, a: usize, b: usize) -> bool {
    text.get(a..b)
        .is_some_and(|s| s.trim().is_empty() && s.matches('\n').count() == 1)
}

fn is_binary_operator(t: Token<'_>) -> bool {
    use Token::*;
    matches!(
        t,
        Implies
            | Iff
            | And
            | Or
            | Plus
            | Star
            | Slash
            | Le
            | Lt
            | Ge
            | Gt
            | EqEq
            | NotEq
            | DotDot
            | Assign
    )
}

/// A token as shown in a message: its text, shortened.
fn shown(text: &str, tok: Token<'_>) -> String {
    let s = if text.is_empty() { tok.text() } else { text };
    let first_line = s.lines().next().unwrap_or("");
    if first_line.chars().count() > 24 || first_line.len() < s.len() {
        let short: String = first_line.chars().take(20).collect();
        format!("{short}...")
    } else {
        first_line.to_string()
    }
}

const EXPRESSION: &str = "an expression";

/// Groups of terminals shown as one phrase when all the key ones are expected.
const GROUPS: &[(&str, &[&str], &[&str])] = &[
    (
        EXPRESSION,
        &["IDENT", "INT", "\"(\""],
        &[
            "IDENT",
            "INT",
            "REAL",
            "\"(\"",
            "\"[\"",
            "\"-\"",
            "\"not\"",
            "\"true\"",
            "\"false\"",
            "\"forall\"",
            "\"exists\"",
            "\"for\"",
        ],
    ),
    (
        "a type",
        &["\"Real\"", "\"Int\""],
        &[
            "\"Real\"",
            "\"Int\"",
            "\"Bool\"",
            "\"Class\"",
            "\"Index\"",
            "\"Domain\"",
            "\"(\"",
        ],
    ),
    (
        "an operator",
        &["\"+\"", "\"*\""],
        &[
            "\"+\"", "\"-\"", "\"*\"", "\"/\"", "\"[\"", "\"<=\"", "\"<\"", "\">=\"", "\">\"",
            "\"==\"", "\"!=\"", "\"and\"", "\"or\"", "\"=>\"", "\"<=>\"", "\"(\"",
        ],
    ),
    (
        "an item",
        &["\"network\"", "\"property\""],
        &[
            "\"import\"",
            "\"network\"",
            "\"param\"",
            "\"dataset\"",
            "\"let\"",
            "\"def\"",
            "\"property\"",
            "\"query\"",
        ],
    ),
    (
        "a comparison",
        &["\"<=\"", "\"==\""],
        &["\"<=\"", "\"<\"", "\">=\"", "\">\"", "\"==\"", "\"!=\""],
    ),
];

/// lalrpop's expected terminals as words for a person, grouped and shortened.
fn expected_words(expected: &[String]) -> Vec<String> {
    let mut rest: Vec<&str> = expected.iter().map(String::as_str).collect();
    let mut words = Vec::new();
    for (phrase, keys, members) in GROUPS {
        if keys.iter().all(|k| rest.contains(k)) {
            words.push(phrase.to_string());
            rest.retain(|t| !members.contains(t));
        }
    }
    // Specific tokens (closing brackets, separators) read best first.
    let mut specific: Vec<String> = rest
        .iter()
        .map(|t| match *t {
            "IDENT" => "a name".to_string(),
            "INT" => "an integer".to_string(),
            "REAL" => "a number".to_string(),
            "STR" => "a string".to_string(),
            other => format!("`{}`", other.trim_matches('"')),
        })
        .collect();
    specific.append(&mut words);
    const MAX: usize = 6;
    if specific.len() > MAX {
        specific.truncate(MAX - 1);
        specific.push("...".to_string());
    }
    specific
}

fn join_or(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] if last == "..." => format!("one of {}, ...", init.join(", ")),
        [init @ .., last] => {
            let head = init.join(", ");
            if init.len() == 1 {
                format!("{head} or {last}")
            } else {
                format!("one of {head} or {last}")
            }
        }
    }
}

/// Parses one file: every item, with diagnostics for every problem (see the module doc).
pub fn parse(sources: &SourceMap, file: FileId) -> (SpecFile, Vec<Diagnostic>) {
    let text = sources.text(file);
    let mut ctx = Ctx::new(file, text);
    if let Some(d) = beyond_limits(&ctx.tokens, file) {
        ctx.diags.push(d);
        let tree = SpecFile {
            items: vec![Item::Error {
                span: Span::new(file, 0, text.len()),
            }],
        };
        return (tree, finish(ctx));
    }
    let tokens: Vec<Spanned<'_>> = ctx.tokens.clone();
    let result =
        grammar::SpecFileParser::new().parse(&mut ctx, tokens.into_iter().map(Ok::<_, Never>));
    let tree = match result {
        Ok(tree) => tree,
        Err(e) => {
            ctx.report(e);
            SpecFile {
                items: vec![Item::Error {
                    span: Span::new(file, 0, text.len()),
                }],
            }
        }
    };
    (tree, finish(ctx))
}

/// Brackets nested deeper than this are refused (`E0005`).
pub const MAX_NESTING: usize = 256;

/// An item (`property`, `def`, ...) with more binary operators than this is refused
/// (`E0005`): a chain like `a and b and ...` nests one tree level per operator. Long
/// flat lists (`[0.1, -0.2, ...]`) are not limited.
pub const MAX_ITEM_OPERATORS: usize = 20_000;

/// Whether `tok` is a binary operator, given the token before it (a `-` after an
/// operand is a subtraction, otherwise a negation).
fn is_chain_operator(tok: Token<'_>, prev: Option<Token<'_>>) -> bool {
    use Token::*;
    match tok {
        And | Or | Plus | Star | Slash | Implies | Iff | EqEq | NotEq | Le | Lt | Ge | Gt => true,
        Minus => matches!(
            prev,
            Some(Ident(_) | Int(_) | Real(_) | RParen | RBracket | True | False)
        ),
        _ => false,
    }
}

/// The first place where `tokens` exceed the parser's limits, as a diagnostic.
fn beyond_limits(tokens: &[Spanned<'_>], file: FileId) -> Option<Diagnostic> {
    let mut depth = 0usize;
    let mut item_start: Option<(usize, usize)> = None;
    let mut operators = 0usize;
    let mut prev: Option<Token<'_>> = None;
    for &(l, tok, r) in tokens {
        if tok.starts_item() && depth == 0 {
            item_start = Some((l, r));
            operators = 0;
        }
        if is_chain_operator(tok, prev) {
            operators += 1;
        }
        prev = Some(tok);
        match tok {
            Token::LParen | Token::LBracket | Token::LBrace => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::error(
                            "E0005",
                            format!("brackets nested more than {MAX_NESTING} deep"),
                        )
                        .with_label(Span::new(file, l, r), "this bracket is too deep")
                        .with_help(
                            "name inner parts with `let` or `def` to flatten the expression",
                        ),
                    );
                }
            }
            Token::RParen | Token::RBracket | Token::RBrace => depth = depth.saturating_sub(1),
            _ => {}
        }
        if operators > MAX_ITEM_OPERATORS {
            let (sl, sr) = item_start.unwrap_or((l, r));
            return Some(
                Diagnostic::error(
                    "E0005",
                    format!("item with more than {MAX_ITEM_OPERATORS} operators"),
                )
                .with_label(Span::new(file, sl, sr), "this item is too long")
                .with_help("split it into several `def`s or properties, or use a dataset or a finite quantifier"),
            );
        }
    }
    None
}

/// Parses one expression (the whole file's text), for tests and tools.
pub fn parse_expr(sources: &SourceMap, file: FileId) -> (Expr, Vec<Diagnostic>) {
    let text = sources.text(file);
    let mut ctx = Ctx::new(file, text);
    if let Some(d) = beyond_limits(&ctx.tokens, file) {
        ctx.diags.push(d);
        return (
            Expr::new(ExprKind::Error, Span::new(file, 0, text.len())),
            finish(ctx),
        );
    }
    let tokens: Vec<Spanned<'_>> = ctx.tokens.clone();
    let result = grammar::ExprParser::new().parse(&mut ctx, tokens.into_iter().map(Ok::<_, Never>));
    let expr = match result {
        Ok(e) => e,
        Err(e) => {
            ctx.report(e);
            Expr::new(ExprKind::Error, Span::new(file, 0, text.len()))
        }
    };
    (expr, finish(ctx))
}

/// The diagnostics in source order (errors before warnings at one place).
fn finish(ctx: Ctx<'_>) -> Vec<Diagnostic> {
    let mut diags = ctx.diags;
    diags.sort_by_key(|d| {
        d.primary_span()
            .map(|s| (s.start, s.end))
            .unwrap_or((u32::MAX, u32::MAX))
    });
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn expected_words_group_and_shorten() {
        let e = strs(&[
            "\")\"", "\",\"", "\"+\"", "\"*\"", "\"-\"", "\"/\"", "\"and\"",
        ]);
        assert_eq!(
            join_or(&expected_words(&e)),
            "one of `)`, `,` or an operator"
        );
        let e = strs(&["IDENT", "INT", "REAL", "\"(\"", "\"[\"", "\"-\"", "\"not\""]);
        assert_eq!(join_or(&expected_words(&e)), "an expression");
        let e = strs(&["\"=\""]);
        assert_eq!(join_or(&expected_words(&e)), "`=`");
        let e = strs(&[
            "\"a\"", "\"b\"", "\"c\"", "\"d\"", "\"e\"", "\"f\"", "\"g\"",
        ]);
        assert_eq!(
            join_or(&expected_words(&e)),
            "one of `a`, `b`, `c`, `d`, `e`, ..."
        );
    }
}
