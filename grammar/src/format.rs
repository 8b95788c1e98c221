//! The formatter of `.prop` files (`propc fmt`, the language server's formatting).
//!
//! Takes: the text of one file.
//! Gives: the same file in the canonical layout ([`format_source`]), or the parse
//! diagnostics when the text has syntax errors (it never formats a broken file).
//! Invariant: the output parses to the same tree (spans aside: `dump::dump_file` is
//! equal); formatting is idempotent; every comment (`//`, `///`, `/* */`) appears in
//! the output, in order, at the same place relative to the tokens around it (above an
//! item, at the end of a line, or inside an expression); the user's parentheses are
//! kept (one layer).
//!
//! The layout:
//! - one item after the other, one blank line between them; consecutive one-line
//!   declarations of the same kind (`import`, `network`, `param`, `dataset`, `let`)
//!   keep the user's choice of none or one; comments between items keep at most one
//!   of the user's blank lines;
//! - 2-space indentation, lines of at most [`WIDTH`] columns where the breaking rules
//!   allow it, no trailing whitespace, one final newline;
//! - canonical spacing: `a + b`, `f(x, y)`, `x[0..2]`, `box(lo = a, hi = b)`,
//!   `x: Real[n]`, `network f : Real[2] -> Real[1]`;
//! - the body of an item (`property p =`, `let`, `def`, `param`) goes on the next line,
//!   indented, when the item does not fit on one line, except a call or a vector that
//!   does not fit there either: it stays after the `=` and breaks inside; a `def` whose
//!   header does not fit gets one parameter per line (with a trailing comma); a `query`
//!   that does not fit puts `maximize`, `over` and `where` on their own lines;
//! - a formula that does not fit breaks after `=>` and `<=>`, before `and`/`or` (and
//!   before comparison and arithmetic operators), after a quantifier's `.`; continuation
//!   lines are indented, and the right side of `=>` (the body of a quantifier) further
//!   still when its left side (the quantifier's header) had to break;
//! - the quantifiers at the top of an item's body whose body is a connective or another
//!   quantifier break after their `.` together with the item (one per line, each body
//!   indented), so `for (x0, c) in d.` / `forall x in B.` / `forall j ...` read as steps;
//! - calls and vectors that do not fit break after `(`/`[`, one argument per line with
//!   a trailing comma; vectors of numbers and names fill their lines;
//! - comments: own-line comments stay on their own line (indented with the code that
//!   follows), end-of-line comments stay at the end of the line (after an operator or
//!   comma that now ends that line), block comments inside a line stay inside it.
//!
//! The method: a Wadler-style document (`Doc`: text, breakable lines, groups that
//! break together, nesting) is built from the tree, and printed by a greedy printer
//! that lays a group on one line when it fits. Comments are re-attached from the
//! lexer's token stream: a cursor walks the source tokens as the document emits them,
//! and the comments before each token are emitted just before it.

use std::collections::HashMap;

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{self, Spanned, Token};
use crate::span::{SourceMap, Span};

/// The line width the formatter aims at.
pub const WIDTH: usize = 100;

/// Formats one file (see the module doc). On syntax errors, returns every diagnostic of
/// the parse (errors and warnings), with spans in `FileId(0)`: add the text as the first
/// file of a fresh [`SourceMap`] to render them.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let mut sources = SourceMap::new();
    let file = sources.add("<input>", text);
    let (tree, diags) = crate::parse(&sources, file);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(Fmt::new(text).file(&tree))
}

// ---------------------------------------------------------------- documents

#[derive(Clone, Debug)]
enum Doc {
    Text(String),
    /// A space on one line, a newline when its group breaks.
    Line,
    /// Nothing on one line, a newline when its group breaks.
    SoftLine,
    /// A newline (breaks every enclosing group).
    Hard,
    /// A newline and one blank line (breaks every enclosing group).
    Blank,
    Concat(Vec<Doc>),
    Nest(usize, Box<Doc>),
    /// Nests only when the group with this id was printed broken.
    NestIfBroken(usize, usize, Box<Doc>),
    /// A group: its lines break together. `hard`: it contains a forced newline.
    Group {
        id: usize,
        hard: bool,
        doc: Box<Doc>,
    },
    /// The first document when the enclosing group breaks, else the second.
    IfBreak(Box<Doc>, Box<Doc>),
    /// Content, separator, content, ...: as many contents on a line as fit.
    Fill(Vec<Doc>),
    /// A comment that ends a line: appended to the line before, then a newline.
    Trailing(String),
    /// A newline unless the output is at the start of a line (does not break groups).
    LineStart,
    /// A block comment inside a line; `true`: at the start of a line.
    Inline(String, bool),
    /// The comments before a token (hoisted out of the groups the token starts).
    Comments(Vec<Doc>),
    /// The value of `name = value` when it is a call or a vector: on the next line,
    /// indented, if it fits there, else on the line of the `=` (breaking inside).
    Hug(Box<Doc>),
}

/// Takes the comments before the first token of `doc` out of it.
fn take_leading_comments(doc: &mut Doc) -> Option<Doc> {
    match doc {
        Doc::Comments(_) => Some(std::mem::replace(doc, Doc::Concat(Vec::new()))),
        Doc::Concat(v) => {
            for d in v.iter_mut() {
                if let Some(c) = take_leading_comments(d) {
                    return Some(c);
                }
                if !is_empty(d) {
                    return None;
                }
            }
            None
        }
        Doc::Nest(_, d) | Doc::NestIfBroken(_, _, d) => take_leading_comments(d),
        _ => None,
    }
}

/// A token whose comments all end their line: the token, then the comments (an
/// operator that ends a line stays before the comment ending it).
fn after_trailing_comments(tok: Doc) -> Doc {
    match tok {
        Doc::Concat(mut v)
            if matches!(v.as_slice(), [Doc::Comments(c), Doc::Text(_)]
                if c.iter().all(|d| matches!(d, Doc::Trailing(_)))) =>
        {
            v.swap(0, 1);
            Doc::Concat(v)
        }
        other => other,
    }
}

/// Whether a document prints nothing on one line.
fn is_empty(doc: &Doc) -> bool {
    match doc {
        Doc::Text(s) => s.is_empty(),
        Doc::SoftLine => true,
        Doc::Concat(v) => v.iter().all(is_empty),
        Doc::Nest(_, d) | Doc::NestIfBroken(_, _, d) => is_empty(d),
        _ => false,
    }
}

fn text(s: impl Into<String>) -> Doc {
    Doc::Text(s.into())
}

fn cat(v: Vec<Doc>) -> Doc {
    Doc::Concat(v)
}

fn nest(doc: Doc) -> Doc {
    Doc::Nest(2, Box::new(doc))
}

/// Whether a document forces a newline (a group inside answers for itself).
fn has_hard(doc: &Doc) -> bool {
    match doc {
        Doc::Hard | Doc::Blank | Doc::Trailing(_) => true,
        Doc::Text(s) | Doc::Inline(s, _) => s.contains('\n'),
        Doc::Line | Doc::SoftLine | Doc::LineStart => false,
        Doc::Concat(v) | Doc::Fill(v) | Doc::Comments(v) => v.iter().any(has_hard),
        Doc::Nest(_, d) | Doc::NestIfBroken(_, _, d) | Doc::Hug(d) => has_hard(d),
        Doc::Group { hard, .. } => *hard,
        Doc::IfBreak(a, b) => has_hard(a) || has_hard(b),
    }
}

// ---------------------------------------------------------------- printing

/// The output being written: newlines are kept pending until the next text, so that
/// several requests make one newline (or one blank line) and no line ends in spaces.
struct Writer {
    out: String,
    col: usize,
    /// Newlines requested (1 or 2) and the indentation of the next line.
    pending: Option<(usize, usize)>,
    /// A space owed after an inline comment.
    space: bool,
    /// The last line written ends in a `//` comment: nothing can be appended to it.
    line_comment: bool,
}

impl Writer {
    fn trim_end(&mut self) {
        let n = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(n);
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
        match s.rfind('\n') {
            Some(i) => self.col = s[i + 1..].chars().count(),
            None => self.col += s.chars().count(),
        }
    }

    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if let Some((n, indent)) = self.pending {
            let s = s.trim_start_matches(' ');
            if s.is_empty() {
                return;
            }
            self.pending = None;
            self.space = false;
            self.line_comment = false;
            self.trim_end();
            for _ in 0..n {
                self.out.push('\n');
            }
            self.col = 0;
            self.push(&" ".repeat(indent));
            self.push(s);
            return;
        }
        if self.space {
            self.space = false;
            if !s.starts_with([' ', ')', ']', ',', '.']) && !self.out.ends_with(' ') {
                self.push(" ");
            }
        }
        if s == " " && self.out.ends_with(' ') {
            return;
        }
        self.push(s);
    }

    fn newline(&mut self, n: usize, indent: usize) {
        if self.out.is_empty() {
            return;
        }
        let n = self.pending.map_or(n, |(m, _)| m.max(n));
        self.pending = Some((n, indent));
    }

    /// The column the next text starts at.
    fn column(&self) -> usize {
        self.pending.map_or(self.col, |(_, indent)| indent)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Flat,
    Break,
}

#[derive(Clone, Copy)]
enum Part<'d> {
    Doc(&'d Doc),
    /// The rest of a fill, from a content.
    Fill(&'d [Doc]),
}

type Cmd<'d> = (usize, Mode, Part<'d>);

/// Whether `first`, then the rest of the commands up to their first newline, fits in
/// `room` columns.
fn fits(first: Cmd<'_>, rest: &[Cmd<'_>], room: usize) -> bool {
    let mut room = room as isize;
    let mut local: Vec<(Mode, Part<'_>)> = vec![(first.1, first.2)];
    let mut rest_at = rest.len();
    loop {
        let (mode, part) = match local.pop() {
            Some(x) => x,
            None => {
                if rest_at == 0 {
                    return true;
                }
                rest_at -= 1;
                (rest[rest_at].1, rest[rest_at].2)
            }
        };
        let doc = match part {
            Part::Fill(parts) => {
                local.extend(parts.iter().rev().map(|d| (mode, Part::Doc(d))));
                continue;
            }
            Part::Doc(d) => d,
        };
        match doc {
            Doc::Text(s) => {
                if let Some(i) = s.find('\n') {
                    return room >= s[..i].chars().count() as isize;
                }
                room -= s.chars().count() as isize;
            }
            Doc::Inline(s, _) => room -= s.chars().count() as isize + 1,
            Doc::Line => match mode {
                Mode::Break => return true,
                Mode::Flat => room -= 1,
            },
            Doc::SoftLine => {
                if mode == Mode::Break {
                    return true;
                }
            }
            Doc::Hard | Doc::Blank | Doc::Trailing(_) => return true,
            Doc::LineStart => {}
            Doc::Concat(v) | Doc::Fill(v) | Doc::Comments(v) => {
                local.extend(v.iter().rev().map(|d| (mode, Part::Doc(d))));
            }
            Doc::Nest(_, d) | Doc::NestIfBroken(_, _, d) => local.push((mode, Part::Doc(d))),
            Doc::Hug(d) => {
                if mode == Mode::Break {
                    return true;
                }
                room -= 1;
                local.push((mode, Part::Doc(d)));
            }
            Doc::Group { hard, doc, .. } => {
                let m = if *hard { Mode::Break } else { mode };
                local.push((m, Part::Doc(doc)));
            }
            Doc::IfBreak(a, b) => {
                let d = if mode == Mode::Break { a } else { b };
                local.push((mode, Part::Doc(d)));
            }
        }
        if room < 0 {
            return false;
        }
    }
}

/// Prints a document at column 0, without a final newline.
fn print(doc: &Doc) -> String {
    let mut w = Writer {
        out: String::new(),
        col: 0,
        pending: None,
        space: false,
        line_comment: false,
    };
    let mut broken: HashMap<usize, bool> = HashMap::new();
    let mut stack: Vec<Cmd<'_>> = vec![(0, Mode::Break, Part::Doc(doc))];
    while let Some((indent, mode, part)) = stack.pop() {
        let doc = match part {
            Part::Fill(parts) => {
                fill(&mut stack, &w, indent, mode, parts);
                continue;
            }
            Part::Doc(d) => d,
        };
        match doc {
            Doc::Text(s) => {
                w.text(s);
                if s.starts_with("//") {
                    w.line_comment = true;
                }
            }
            Doc::Line => match mode {
                Mode::Flat => w.text(" "),
                Mode::Break => w.newline(1, indent),
            },
            Doc::SoftLine => {
                if mode == Mode::Break {
                    w.newline(1, indent);
                }
            }
            Doc::Hard => w.newline(1, indent),
            Doc::Blank => w.newline(2, indent),
            Doc::Concat(v) | Doc::Comments(v) => {
                stack.extend(v.iter().rev().map(|d| (indent, mode, Part::Doc(d))));
            }
            Doc::Hug(d) => {
                let next_line = WIDTH.saturating_sub(indent + 2);
                if mode == Mode::Flat {
                    w.text(" ");
                    stack.push((indent, mode, Part::Doc(d)));
                } else if !has_hard(d)
                    && fits((indent + 2, Mode::Flat, Part::Doc(d)), &stack, next_line)
                {
                    w.newline(1, indent + 2);
                    stack.push((indent + 2, Mode::Break, Part::Doc(d)));
                } else {
                    w.text(" ");
                    stack.push((indent, Mode::Break, Part::Doc(d)));
                }
            }
            Doc::Nest(n, d) => stack.push((indent + n, mode, Part::Doc(d))),
            Doc::NestIfBroken(id, n, d) => {
                let extra = if broken.get(id).copied().unwrap_or(false) {
                    *n
                } else {
                    0
                };
                stack.push((indent + extra, mode, Part::Doc(d)));
            }
            Doc::Group { id, hard, doc } => {
                let m = if *hard {
                    Mode::Break
                } else if mode == Mode::Flat {
                    Mode::Flat
                } else {
                    let room = WIDTH.saturating_sub(w.column());
                    if fits((indent, Mode::Flat, Part::Doc(doc)), &stack, room) {
                        Mode::Flat
                    } else {
                        Mode::Break
                    }
                };
                broken.insert(*id, m == Mode::Break);
                stack.push((indent, m, Part::Doc(doc)));
            }
            Doc::IfBreak(a, b) => {
                let d = if mode == Mode::Break { a } else { b };
                stack.push((indent, mode, Part::Doc(d)));
            }
            Doc::Fill(parts) => fill(&mut stack, &w, indent, mode, parts),
            Doc::Trailing(s) if w.line_comment => {
                // The line already ends in a comment: this one goes on the next line.
                w.text(s);
                w.line_comment = s.starts_with("//");
                w.newline(1, indent);
            }
            Doc::Trailing(s) => {
                let indent = w.pending.map_or(indent, |(_, i)| i);
                let n = w.pending.map_or(1, |(n, _)| n);
                w.pending = None;
                w.space = false;
                w.trim_end();
                w.push(" ");
                w.push(s);
                w.line_comment = s.starts_with("//");
                w.pending = Some((n, indent));
            }
            Doc::LineStart => {
                if w.pending.is_none() && !w.out.is_empty() {
                    w.newline(1, indent);
                }
            }
            Doc::Inline(s, false) if w.pending.is_some() && !w.line_comment => {
                // Stays at the end of the line it followed.
                w.trim_end();
                w.push(" ");
                w.push(s);
            }
            Doc::Inline(s, _) => {
                if w.pending.is_none() && !w.out.is_empty() && !w.out.ends_with([' ', '(', '[']) {
                    w.push(" ");
                }
                w.space = false;
                w.text(s);
                w.space = true;
            }
        }
    }
    let mut out = String::with_capacity(w.out.len());
    for line in w.out.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// One step of a fill: its first content, flat if it fits, then the separator, flat
/// if the next content fits after it too.
fn fill<'d>(stack: &mut Vec<Cmd<'d>>, w: &Writer, indent: usize, mode: Mode, parts: &'d [Doc]) {
    let Some(content) = parts.first() else {
        return;
    };
    let room = WIDTH.saturating_sub(w.column());
    let flat = |d: &'d Doc| (indent, Mode::Flat, Part::Doc(d));
    let content_mode = if fits(flat(content), &[], room) {
        Mode::Flat
    } else {
        Mode::Break
    };
    match parts {
        [] | [_] => {}
        [_, sep] => stack.push((indent, content_mode, Part::Doc(sep))),
        [_, sep, next, ..] => {
            stack.push((indent, mode, Part::Fill(&parts[2..])));
            let pair = [flat(next), flat(sep)];
            let sep_mode = if fits(flat(content), &pair, room) {
                Mode::Flat
            } else {
                Mode::Break
            };
            stack.push((indent, sep_mode, Part::Doc(sep)));
        }
    }
    stack.push((indent, content_mode, Part::Doc(content)));
}

// ---------------------------------------------------------------- building

/// A comment of the source, with the newlines around it.
#[derive(Clone, Copy, Debug)]
struct Comment<'s> {
    start: usize,
    end: usize,
    text: &'s str,
    /// A newline separates it from what comes before (or it starts the file).
    nl_before: bool,
    /// A blank line separates it from what comes before.
    blank_before: bool,
    /// A newline separates it from what comes after (or it ends the file).
    nl_after: bool,
}

struct Fmt<'s> {
    text: &'s str,
    /// The tokens the parser sees (no comments).
    toks: Vec<Spanned<'s>>,
    /// For each `(` token, the index of its `)`.
    close_of: HashMap<usize, usize>,
    comments: Vec<Comment<'s>>,
    /// The first comment not yet emitted.
    next_comment: usize,
    /// The first source token not yet emitted.
    cursor: usize,
    next_id: usize,
    /// The next quantifier built is on the spine of an item's body (see `quant_body`).
    spine: bool,
}

fn newlines(text: &str, a: usize, b: usize) -> usize {
    text.get(a..b).map_or(0, |s| s.matches('\n').count())
}

fn trim_comment(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim_end).collect();
    lines.join("\n")
}

fn prec(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Quant { .. } | ExprKind::ForData { .. } => 0,
        ExprKind::Binary { op, .. } => match op {
            BinaryOp::Iff => 1,
            BinaryOp::Implies => 2,
            BinaryOp::Or => 3,
            BinaryOp::And => 4,
            BinaryOp::Add | BinaryOp::Sub => 7,
            BinaryOp::Mul | BinaryOp::Div => 8,
        },
        ExprKind::Unary {
            op: UnaryOp::Not, ..
        } => 5,
        ExprKind::Compare { .. } => 6,
        ExprKind::Range { .. } => 7,
        ExprKind::Unary {
            op: UnaryOp::Neg, ..
        } => 9,
        ExprKind::Call { .. } | ExprKind::Index { .. } => 10,
        _ => 11,
    }
}

const NOT: u8 = 5;
const ARITH: u8 = 7;
const TERM: u8 = 8;
const UNARY: u8 = 9;
const POSTFIX: u8 = 10;

fn same_kind_declarations(a: &Item, b: &Item) -> bool {
    let decl = |i: &Item| {
        matches!(
            i,
            Item::Import { .. }
                | Item::Network { .. }
                | Item::Param { .. }
                | Item::Dataset { .. }
                | Item::Let { .. }
        )
    };
    decl(a) && std::mem::discriminant(a) == std::mem::discriminant(b)
}

impl<'s> Fmt<'s> {
    fn new(text: &'s str) -> Fmt<'s> {
        let (all, _) = lexer::lex(text);
        let mut toks = Vec::new();
        let mut comments = Vec::new();
        for (i, &(l, tok, r)) in all.iter().enumerate() {
            match tok {
                Token::LineComment(s) | Token::DocComment(s) | Token::BlockComment(s) => {
                    let prev_end = i.checked_sub(1).and_then(|p| all.get(p)).map(|t| t.2);
                    let next_start = all.get(i + 1).map_or(text.len(), |t| t.0);
                    let before = prev_end.map_or(usize::MAX, |p| newlines(text, p, l));
                    let doc = matches!(tok, Token::DocComment(_));
                    comments.push(Comment {
                        start: l,
                        end: r,
                        text: s,
                        nl_before: before > 0 || doc,
                        blank_before: before > 1 && prev_end.is_some(),
                        nl_after: !matches!(tok, Token::BlockComment(_))
                            || newlines(text, r, next_start) > 0
                            || i + 1 == all.len(),
                    });
                }
                _ => toks.push((l, tok, r)),
            }
        }
        let mut close_of = HashMap::new();
        let mut open = Vec::new();
        for (i, (_, t, _)) in toks.iter().enumerate() {
            match t {
                Token::LParen => open.push(i),
                Token::RParen => {
                    if let Some(o) = open.pop() {
                        close_of.insert(o, i);
                    }
                }
                _ => {}
            }
        }
        Fmt {
            text,
            toks,
            close_of,
            comments,
            next_comment: 0,
            cursor: 0,
            next_id: 0,
            spine: false,
        }
    }

    fn group(&mut self, doc: Doc) -> Doc {
        let id = self.fresh_id();
        self.group_with(id, doc)
    }

    /// A group; the comments before its first token go before it, so that they do not
    /// break it.
    fn group_with(&mut self, id: usize, mut doc: Doc) -> Doc {
        let lead = take_leading_comments(&mut doc);
        let group = Doc::Group {
            id,
            hard: has_hard(&doc),
            doc: Box::new(doc),
        };
        match lead {
            Some(c) => cat(vec![c, group]),
            None => group,
        }
    }

    fn fresh_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    // ---- comments and tokens

    /// The comments before source offset `pos` not yet emitted, as documents.
    fn comments_before(&mut self, pos: usize) -> Vec<Doc> {
        let mut docs = Vec::new();
        while let Some(c) = self.comments.get(self.next_comment).copied() {
            if c.start >= pos {
                break;
            }
            self.next_comment += 1;
            let t = trim_comment(c.text);
            match (c.nl_before, c.nl_after) {
                (true, true) => {
                    docs.push(if c.blank_before {
                        Doc::Blank
                    } else {
                        Doc::Hard
                    });
                    docs.push(text(t));
                    docs.push(Doc::Hard);
                }
                (false, true) => docs.push(Doc::Trailing(t)),
                (true, false) => {
                    docs.push(Doc::LineStart);
                    docs.push(Doc::Inline(t, true));
                }
                (false, false) => docs.push(Doc::Inline(t, false)),
            }
        }
        docs
    }

    /// A token of the source: the comments before it, then its text. Tokens the
    /// formatter leaves out (extra parentheses, trailing commas) are skipped over.
    fn tok(&mut self, s: &str) -> Doc {
        let mut j = self.cursor;
        while let Some(&(l, t, _)) = self.toks.get(j) {
            if t.text() == s {
                self.cursor = j + 1;
                let docs = self.comments_before(l);
                if docs.is_empty() {
                    return text(s);
                }
                return cat(vec![Doc::Comments(docs), text(s)]);
            }
            if !matches!(t, Token::LParen | Token::RParen | Token::Comma) {
                break;
            }
            j += 1;
        }
        text(s)
    }

    /// The token indices `i..=j` of a span.
    fn tok_range(&self, span: Span) -> Option<(usize, usize)> {
        let i = self
            .toks
            .binary_search_by_key(&(span.start as usize), |t| t.0)
            .ok()?;
        let j = self
            .toks
            .binary_search_by_key(&(span.end as usize), |t| t.2)
            .ok()?;
        (i <= j).then_some((i, j))
    }

    /// How many pairs of parentheses enclose the whole of `span`, and the token range
    /// inside them.
    fn parens(&self, span: Span) -> (usize, Option<(usize, usize)>) {
        let Some((mut i, mut j)) = self.tok_range(span) else {
            return (0, None);
        };
        let mut n = 0;
        while i < j && self.toks[i].1 == Token::LParen && self.close_of.get(&i) == Some(&j) {
            n += 1;
            i += 1;
            j -= 1;
        }
        (n, Some((i, j)))
    }

    /// The source text of a literal (its one token), or `fallback`.
    fn literal(&self, span: Span, fallback: String) -> String {
        match self.parens(span) {
            (_, Some((i, j))) if i == j => self.toks[i].1.text().to_string(),
            _ => fallback,
        }
    }

    // ---- items

    fn file(mut self, tree: &SpecFile) -> String {
        let mut out = String::new();
        let mut prev: Option<(&Item, bool)> = None;
        let mut prev_end = 0;
        for item in &tree.items {
            let start = item.span().start as usize;
            let mut leading = Vec::new();
            while let Some(c) = self.comments.get(self.next_comment).copied() {
                if c.start >= start {
                    break;
                }
                leading.push(c);
                self.next_comment += 1;
            }
            let doc = self.item(item);
            let mut s = print(&doc);
            // Comments left inside the item, and those ending its last line.
            let end = item.span().end as usize;
            let mut new_end = end;
            let next_token = self
                .toks
                .iter()
                .find(|t| t.0 >= end)
                .map_or(self.text.len(), |t| t.0);
            while let Some(c) = self.comments.get(self.next_comment).copied() {
                if c.start >= end && (c.nl_before || c.start >= next_token) {
                    break;
                }
                s.push(' ');
                s.push_str(&trim_comment(c.text));
                new_end = c.end;
                self.next_comment += 1;
            }
            let multiline = s.contains('\n');
            if let Some((p, p_multiline)) = prev {
                let short = same_kind_declarations(p, item)
                    && !p_multiline
                    && !multiline
                    && !leading.iter().any(|c| c.text.starts_with("///"));
                let src_blank = match leading.first() {
                    Some(c) => c.blank_before,
                    None => newlines(self.text, prev_end, start) > 1,
                };
                out.push_str(if !short || src_blank { "\n\n" } else { "\n" });
            }
            self.leading(&mut out, &leading, start);
            out.push_str(&s);
            prev = Some((item, multiline));
            prev_end = new_end;
        }
        let rest: Vec<Comment<'_>> = self.comments[self.next_comment..].to_vec();
        for (k, c) in rest.iter().enumerate() {
            if !out.is_empty() {
                out.push_str(if k == 0 && prev.is_some() || c.nl_before {
                    if c.blank_before { "\n\n" } else { "\n" }
                } else {
                    " "
                });
            }
            out.push_str(&trim_comment(c.text));
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Comments above an item: each on its own line (or as they were, for block
    /// comments on the item's line), keeping one of the user's blank lines.
    fn leading(&self, out: &mut String, leading: &[Comment<'_>], item_start: usize) {
        for (k, c) in leading.iter().enumerate() {
            if k > 0 {
                out.push_str(match (c.nl_before, c.blank_before) {
                    (false, _) => " ",
                    (true, false) => "\n",
                    (true, true) => "\n\n",
                });
            }
            out.push_str(&trim_comment(c.text));
        }
        if let Some(last) = leading.last() {
            out.push_str(if !last.nl_after {
                " "
            } else if newlines(self.text, last.end, item_start) > 1 {
                "\n\n"
            } else {
                "\n"
            });
        }
    }

    fn item(&mut self, item: &Item) -> Doc {
        match item {
            Item::Import { target, .. } => {
                let mut v = vec![self.tok("import"), text(" ")];
                match target {
                    ImportTarget::Module(path) => {
                        for (k, id) in path.iter().enumerate() {
                            if k > 0 {
                                v.push(self.tok("."));
                            }
                            v.push(self.tok(&id.name));
                        }
                    }
                    ImportTarget::Path { path, span } => {
                        let lit = self.literal(*span, format!("{path:?}"));
                        v.push(self.tok(&lit));
                    }
                }
                cat(v)
            }
            Item::Network {
                name,
                input,
                output,
                ..
            } => {
                let v = vec![
                    self.tok("network"),
                    text(" "),
                    self.tok(&name.name),
                    text(" "),
                    self.tok(":"),
                    text(" "),
                    self.ty(input, true),
                    text(" "),
                    self.tok("->"),
                    text(" "),
                    self.ty(output, true),
                ];
                self.group(cat(v))
            }
            Item::Param {
                name, ty, default, ..
            } => {
                let mut v = vec![
                    self.tok("param"),
                    text(" "),
                    self.tok(&name.name),
                    text(" "),
                    self.tok(":"),
                    text(" "),
                    self.ty(ty, false),
                ];
                if let Some(d) = default {
                    v.push(text(" "));
                    v.push(self.tok("="));
                    let d = self.operand(d, 0, false);
                    v.push(nest(cat(vec![Doc::Line, d])));
                }
                self.group(cat(v))
            }
            Item::Dataset { name, fields, .. } => {
                let mut v = vec![
                    self.tok("dataset"),
                    text(" "),
                    self.tok(&name.name),
                    text(" "),
                    self.tok(":"),
                    text(" "),
                ];
                if let [one] = fields.as_slice() {
                    v.push(self.ty(one, false));
                } else {
                    v.push(self.tok("("));
                    for (k, f) in fields.iter().enumerate() {
                        if k > 0 {
                            v.push(self.tok(","));
                            v.push(text(" "));
                        }
                        v.push(self.ty(f, false));
                    }
                    v.push(self.tok(")"));
                }
                self.group(cat(v))
            }
            Item::Let { name, value, .. } => {
                let head = cat(vec![self.tok("let"), text(" "), self.tok(&name.name)]);
                self.binding(head, value)
            }
            Item::Property { name, body, .. } => {
                let head = cat(vec![self.tok("property"), text(" "), self.tok(&name.name)]);
                self.binding(head, body)
            }
            Item::Def {
                name,
                params,
                ret,
                body,
                ..
            } => {
                let mut head = vec![self.tok("def"), text(" "), self.tok(&name.name)];
                head.push(self.tok("("));
                let mut ps = vec![Doc::SoftLine];
                for (k, p) in params.iter().enumerate() {
                    if k > 0 {
                        ps.push(self.tok(","));
                        ps.push(Doc::Line);
                    }
                    ps.push(self.tok(&p.name.name));
                    ps.push(self.tok(":"));
                    ps.push(text(" "));
                    ps.push(self.ty(&p.ty, false));
                }
                if !params.is_empty() {
                    ps.push(Doc::IfBreak(Box::new(text(",")), Box::new(text(""))));
                }
                head.push(nest(cat(ps)));
                head.push(Doc::SoftLine);
                head.push(self.tok(")"));
                if let Some(ret) = ret {
                    head.push(text(" "));
                    head.push(self.tok(":"));
                    head.push(text(" "));
                    head.push(self.ty(ret, false));
                }
                let head = self.group(cat(head));
                self.binding(head, body)
            }
            Item::Query {
                name,
                sense,
                objective,
                binders,
                domain,
                condition,
                ..
            } => {
                let head = vec![
                    self.tok("query"),
                    text(" "),
                    self.tok(&name.name),
                    text(" "),
                    self.tok("="),
                ];
                let sense = match sense {
                    Sense::Maximize => "maximize",
                    Sense::Minimize => "minimize",
                };
                let mut body = vec![Doc::Line, self.tok(sense), text(" ")];
                body.push(self.operand(objective, ARITH, true));
                body.push(Doc::Line);
                body.push(self.tok("over"));
                body.push(text(" "));
                body.push(self.binders(binders));
                body.push(text(" "));
                body.push(self.tok("in"));
                body.push(text(" "));
                body.push(self.domain(domain));
                if let Some(c) = condition {
                    body.push(Doc::Line);
                    body.push(self.tok("where"));
                    body.push(text(" "));
                    body.push(self.operand(c, 0, false));
                }
                let mut v = head;
                v.push(nest(cat(body)));
                self.group(cat(v))
            }
            Item::Error { span } => text(self.text.get(span.range()).unwrap_or("").trim()),
        }
    }

    /// `head = value`, the value on the next line, indented, when it does not fit.
    /// Calls and vectors are hugged: see [`Doc::Hug`].
    fn binding(&mut self, head: Doc, value: &Expr) -> Doc {
        let eq = self.tok("=");
        let hug = matches!(value.kind, ExprKind::Call { .. } | ExprKind::Vector(_))
            && self.parens(value.span).0 == 0;
        self.spine = self.parens(value.span).0 == 0;
        let value = self.operand(value, 0, false);
        self.spine = false;
        let tail = if hug {
            let mut value = value;
            let lead = take_leading_comments(&mut value);
            let hug = Doc::Hug(Box::new(value));
            match lead {
                Some(c) => cat(vec![c, hug]),
                None => hug,
            }
        } else {
            nest(cat(vec![Doc::Line, value]))
        };
        let v = vec![head, text(" "), eq, tail];
        self.group(cat(v))
    }

    fn binders(&mut self, binders: &[Ident]) -> Doc {
        let mut v = Vec::new();
        for (k, b) in binders.iter().enumerate() {
            if k > 0 {
                v.push(self.tok(","));
                v.push(text(" "));
            }
            v.push(self.tok(&b.name));
        }
        cat(v)
    }

    // ---- types

    fn ty(&mut self, t: &TypeExpr, atom: bool) -> Doc {
        match &t.kind {
            TypeKind::Real(d) => self.ty_dims("Real", d),
            TypeKind::Int(d) => self.ty_dims("Int", d),
            TypeKind::Domain(d) => self.ty_dims("Domain", d),
            TypeKind::Bool => self.tok("Bool"),
            TypeKind::Class(d) => self.ty_dims("Class", std::slice::from_ref(d)),
            TypeKind::Index(d) => self.ty_dims("Index", std::slice::from_ref(d)),
            TypeKind::Function(a, b) => {
                let mut v = Vec::new();
                if atom {
                    v.push(self.tok("("));
                }
                v.push(self.ty(a, true));
                v.push(text(" "));
                v.push(self.tok("->"));
                v.push(text(" "));
                v.push(self.ty(b, false));
                if atom {
                    v.push(self.tok(")"));
                }
                cat(v)
            }
            TypeKind::Tuple(ts) => {
                let mut v = vec![self.tok("(")];
                for (k, t) in ts.iter().enumerate() {
                    if k > 0 {
                        v.push(self.tok(","));
                        v.push(text(" "));
                    }
                    v.push(self.ty(t, false));
                }
                if ts.len() == 1 {
                    v.push(self.tok(","));
                }
                v.push(self.tok(")"));
                cat(v)
            }
            TypeKind::Error => text(self.text.get(t.span.range()).unwrap_or("").trim()),
        }
    }

    fn ty_dims(&mut self, name: &str, dims: &[Dim]) -> Doc {
        let mut v = vec![self.tok(name)];
        if !dims.is_empty() {
            v.push(self.tok("["));
            for (k, d) in dims.iter().enumerate() {
                if k > 0 {
                    v.push(self.tok(","));
                    v.push(text(" "));
                }
                let s = match d {
                    Dim::Lit(n, span) => self
                        .text
                        .get(span.range())
                        .map_or_else(|| n.to_string(), str::to_string),
                    Dim::Var(id) => id.name.clone(),
                };
                v.push(self.tok(&s));
            }
            v.push(self.tok("]"));
        }
        cat(v)
    }

    // ---- expressions

    /// Whether `e`, printed without its own parentheses, ends in a quantifier.
    fn ends_in_quant(&self, e: &Expr) -> bool {
        if self.parens(e.span).0 > 0 {
            return false;
        }
        match &e.kind {
            ExprKind::Quant { .. } | ExprKind::ForData { .. } => true,
            ExprKind::Binary { rhs, .. } => self.ends_in_quant(rhs),
            ExprKind::Unary { operand, .. } => self.ends_in_quant(operand),
            _ => false,
        }
    }

    /// `e` where the grammar wants a level of at least `min`; `closed`: it must not end
    /// in a quantifier (something follows it). Keeps the user's parentheses, and adds
    /// those the tree needs.
    fn operand(&mut self, e: &Expr, min: u8, closed: bool) -> Doc {
        if self.parens(e.span).0 > 0 {
            let open = self.tok("(");
            let inner = self.expr(e);
            let close = self.tok(")");
            return cat(vec![open, inner, close]);
        }
        let needs = match &e.kind {
            ExprKind::Quant { .. } | ExprKind::ForData { .. } => closed || min > NOT,
            _ => prec(e) < min || (closed && self.ends_in_quant(e)),
        };
        if needs {
            let inner = self.expr(e);
            cat(vec![text("("), inner, text(")")])
        } else {
            self.expr(e)
        }
    }

    fn expr(&mut self, e: &Expr) -> Doc {
        match &e.kind {
            ExprKind::Int(v) => {
                let s = self.literal(e.span, v.to_string());
                self.tok(&s)
            }
            ExprKind::Real(v) => {
                let s = self.literal(e.span, format!("{v:?}"));
                self.tok(&s)
            }
            ExprKind::Bool(b) => self.tok(if *b { "true" } else { "false" }),
            ExprKind::Name(n) => self.tok(&n.name),
            ExprKind::Call { callee, args } => {
                let name = self.tok(&callee.name);
                let open = self.tok("(");
                let mut parts = Vec::new();
                for (k, a) in args.iter().enumerate() {
                    parts.push(match a {
                        Arg::Positional(e) => self.operand(e, 0, false),
                        Arg::Named(n, e) => {
                            let n = self.tok(&n.name);
                            let eq = self.tok("=");
                            let e = self.operand(e, 0, false);
                            cat(vec![n, text(" "), eq, text(" "), e])
                        }
                    });
                    if k + 1 < args.len() {
                        parts.push(self.comma());
                    }
                }
                let list = self.list(parts, false);
                let close = self.tok(")");
                let inner = cat(vec![name, open, list, close]);
                self.group(inner)
            }
            ExprKind::Index { base, indices } => {
                let mut v = vec![self.operand(base, POSTFIX, true), self.tok("[")];
                for (k, i) in indices.iter().enumerate() {
                    if k > 0 {
                        v.push(self.tok(","));
                        v.push(text(" "));
                    }
                    match i {
                        IndexArg::At(e) => v.push(self.operand(e, 0, false)),
                        IndexArg::Slice(lo, hi) => {
                            v.push(self.operand(lo, ARITH, true));
                            v.push(self.tok(".."));
                            v.push(self.operand(hi, ARITH, true));
                        }
                    }
                }
                v.push(self.tok("]"));
                cat(v)
            }
            ExprKind::Unary { op, operand } => match op {
                UnaryOp::Neg => {
                    let m = self.tok("-");
                    // `- -x`, not `--x`.
                    let space = matches!(
                        operand.kind,
                        ExprKind::Unary {
                            op: UnaryOp::Neg,
                            ..
                        }
                    ) && self.parens(operand.span).0 == 0;
                    let o = self.operand(operand, UNARY, true);
                    cat(vec![m, text(if space { " " } else { "" }), o])
                }
                UnaryOp::Not => {
                    let n = self.tok("not");
                    let o = self.operand(operand, NOT, false);
                    cat(vec![n, text(" "), o])
                }
            },
            ExprKind::Binary { op, .. } => match op {
                BinaryOp::And | BinaryOp::Or => self.chain(e, *op),
                BinaryOp::Implies => self.implies(e),
                BinaryOp::Iff => self.iff(e),
                BinaryOp::Add | BinaryOp::Sub => {
                    self.arith(e, ARITH, [BinaryOp::Add, BinaryOp::Sub])
                }
                BinaryOp::Mul | BinaryOp::Div => {
                    self.arith(e, TERM, [BinaryOp::Mul, BinaryOp::Div])
                }
            },
            ExprKind::Compare { first, rest } => {
                let first = self.operand(first, ARITH, true);
                let mut tail = Vec::new();
                for (op, _, e) in rest {
                    tail.push(Doc::Line);
                    tail.push(self.tok(op.symbol()));
                    tail.push(text(" "));
                    tail.push(self.operand(e, ARITH, true));
                }
                let v = cat(vec![first, nest(cat(tail))]);
                self.group(v)
            }
            ExprKind::Vector(es) => {
                let open = self.tok("[");
                let simple = es.iter().all(|e| self.simple(e));
                let mut parts = Vec::new();
                for (k, e) in es.iter().enumerate() {
                    parts.push(self.operand(e, 0, false));
                    if k + 1 < es.len() {
                        parts.push(self.comma());
                    }
                }
                let list = self.list(parts, simple);
                let close = self.tok("]");
                self.group(cat(vec![open, list, close]))
            }
            ExprKind::Range { .. } => self.domain(e),
            ExprKind::Quant {
                quantifier,
                binders,
                domain,
                condition,
                body,
            } => {
                let spine = std::mem::take(&mut self.spine);
                let q = match quantifier {
                    Quantifier::Forall => "forall",
                    Quantifier::Exists => "exists",
                };
                let mut head = vec![self.tok(q), text(" ")];
                head.push(self.binders(binders));
                head.push(text(" "));
                head.push(self.tok("in"));
                head.push(text(" "));
                head.push(self.domain(domain));
                if let Some(c) = condition {
                    let w = self.tok("where");
                    let c = self.operand(c, 1, true);
                    head.push(nest(cat(vec![Doc::Line, w, text(" "), c])));
                }
                head.push(self.tok("."));
                self.quant_body(head, body, spine)
            }
            ExprKind::ForData {
                pattern,
                dataset,
                body,
            } => {
                let spine = std::mem::take(&mut self.spine);
                let mut head = vec![self.tok("for"), text(" ")];
                if let [one] = pattern.as_slice() {
                    head.push(self.tok(&one.name));
                } else {
                    head.push(self.tok("("));
                    head.push(self.binders(pattern));
                    head.push(self.tok(")"));
                }
                head.push(text(" "));
                head.push(self.tok("in"));
                head.push(text(" "));
                head.push(self.tok(&dataset.name));
                head.push(self.tok("."));
                self.quant_body(head, body, spine)
            }
            ExprKind::Error => text(self.text.get(e.span.range()).unwrap_or("").trim()),
        }
    }

    /// A quantifier: its header, then its body after a breakable line, indented (twice
    /// when the header itself broke). On the spine of an item's body (the body itself, or
    /// the body of a quantifier on the spine), a quantifier whose body is a connective or
    /// another quantifier breaks with the item: when the item does not fit on one line.
    fn quant_body(&mut self, head: Vec<Doc>, body: &Expr, spine: bool) -> Doc {
        let id = self.fresh_id();
        let head = self.group_with(id, cat(head));
        let bare = self.parens(body.span).0 == 0;
        let compound = spine
            && bare
            && matches!(
                body.kind,
                ExprKind::Quant { .. }
                    | ExprKind::ForData { .. }
                    | ExprKind::Binary {
                        op: BinaryOp::And | BinaryOp::Or | BinaryOp::Implies | BinaryOp::Iff,
                        ..
                    }
            );
        self.spine = compound;
        let body = self.operand(body, 0, false);
        self.spine = false;
        let tail = Doc::NestIfBroken(id, 2, Box::new(cat(vec![Doc::Line, body])));
        let v = cat(vec![head, nest(tail)]);
        if compound { v } else { self.group(v) }
    }

    /// A quantifier's or query's domain: an expression or a range `a..b`.
    fn domain(&mut self, d: &Expr) -> Doc {
        match &d.kind {
            ExprKind::Range { lo, hi } if self.parens(d.span).0 == 0 => {
                let lo = self.operand(lo, ARITH, true);
                let dots = self.tok("..");
                let hi = self.operand(hi, ARITH, true);
                cat(vec![lo, dots, hi])
            }
            _ => self.operand(d, ARITH, true),
        }
    }

    /// The separator of a list: `,` and a breakable line (a comment ending the line
    /// goes after the comma).
    fn comma(&mut self) -> Doc {
        let comma = self.tok(",");
        cat(vec![after_trailing_comments(comma), Doc::Line])
    }

    /// The items of a call or vector between their brackets (`parts`: items and
    /// [`Fmt::comma`]s): on one line, or one per line (`fill`: as many per line as fit)
    /// with a trailing comma.
    fn list(&mut self, parts: Vec<Doc>, fill: bool) -> Doc {
        if parts.is_empty() {
            return text("");
        }
        let body = if fill { Doc::Fill(parts) } else { cat(parts) };
        cat(vec![
            nest(cat(vec![Doc::SoftLine, body])),
            Doc::IfBreak(Box::new(text(",")), Box::new(text(""))),
            Doc::SoftLine,
        ])
    }

    /// A vector element that fills lines: a number, a name, a negated number.
    fn simple(&self, e: &Expr) -> bool {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Real(_) | ExprKind::Bool(_) | ExprKind::Name(_) => true,
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => matches!(operand.kind, ExprKind::Int(_) | ExprKind::Real(_)),
            _ => false,
        }
    }

    /// `a and b and c` (or `or`): breaks before each operator, continuation indented.
    fn chain(&mut self, e: &Expr, op: BinaryOp) -> Doc {
        let mut operands = Vec::new();
        self.collect_left(e, &[op], &mut operands);
        let min = if op == BinaryOp::And { NOT } else { 4 };
        let word = if op == BinaryOp::And { "and" } else { "or" };
        let n = operands.len();
        let first = self.operand(operands[0].1, min - 1, true);
        let mut tail = Vec::new();
        for (k, (_, o)) in operands.iter().enumerate().skip(1) {
            tail.push(Doc::Line);
            tail.push(self.tok(word));
            tail.push(text(" "));
            tail.push(self.operand(o, min, k + 1 < n));
        }
        let v = cat(vec![first, nest(cat(tail))]);
        self.group(v)
    }

    /// `a + b - c` or `a * b / c`: breaks before each operator.
    fn arith(&mut self, e: &Expr, level: u8, ops: [BinaryOp; 2]) -> Doc {
        let mut operands = Vec::new();
        self.collect_left(e, &ops, &mut operands);
        let first = self.operand(operands[0].1, level, true);
        let mut tail = Vec::new();
        for (op, o) in operands.iter().skip(1) {
            let sym = match op {
                BinaryOp::Add => "+",
                BinaryOp::Sub => "-",
                BinaryOp::Mul => "*",
                _ => "/",
            };
            tail.push(Doc::Line);
            tail.push(self.tok(sym));
            tail.push(text(" "));
            tail.push(self.operand(o, level + 1, true));
        }
        let v = cat(vec![first, nest(cat(tail))]);
        self.group(v)
    }

    /// The operands of a left-associative chain of `ops`, each with the operator
    /// before it (the first one's is meaningless).
    fn collect_left<'e>(&self, e: &'e Expr, ops: &[BinaryOp], out: &mut Vec<(BinaryOp, &'e Expr)>) {
        if let ExprKind::Binary { op, lhs, rhs } = &e.kind
            && ops.contains(op)
        {
            if self.parens(lhs.span).0 == 0 {
                self.collect_left(lhs, ops, out);
            } else {
                out.push((*op, lhs));
            }
            out.push((*op, rhs));
        } else {
            out.push((ops[0], e));
        }
    }

    /// `a => b => c` (right associative): breaks after each `=>`; the right sides are
    /// indented, twice when the first left side broke.
    fn implies(&mut self, e: &Expr) -> Doc {
        let mut operands = vec![];
        let mut cur = e;
        loop {
            match &cur.kind {
                ExprKind::Binary {
                    op: BinaryOp::Implies,
                    lhs,
                    rhs,
                } if std::ptr::eq(cur, e) || self.parens(cur.span).0 == 0 => {
                    operands.push(lhs.as_ref());
                    cur = rhs;
                }
                _ => {
                    operands.push(cur);
                    break;
                }
            }
        }
        self.infix_right(&operands, "=>", [3, 3, 2])
    }

    /// `a <=> b <=> c` (left associative): breaks after each `<=>`.
    fn iff(&mut self, e: &Expr) -> Doc {
        let mut operands = Vec::new();
        self.collect_left(e, &[BinaryOp::Iff], &mut operands);
        let operands: Vec<&Expr> = operands.into_iter().map(|(_, o)| o).collect();
        self.infix_right(&operands, "<=>", [1, 2, 2])
    }

    /// Operands joined by `sym`, breaking after it; `min`: the levels the grammar wants
    /// of the first, middle and last operands.
    fn infix_right(&mut self, operands: &[&Expr], sym: &str, min: [u8; 3]) -> Doc {
        let n = operands.len();
        let id = self.fresh_id();
        let first = self.operand(operands[0], min[0], true);
        let first = self.group_with(id, first);
        let mut tail = Vec::new();
        for (k, o) in operands.iter().enumerate().skip(1) {
            tail.push(text(" "));
            let op = self.tok(sym);
            tail.push(after_trailing_comments(op));
            tail.push(Doc::Line);
            let level = if k + 1 < n { min[1] } else { min[2] };
            tail.push(self.operand(o, level, k + 1 < n));
        }
        let tail = Doc::NestIfBroken(id, 2, Box::new(cat(tail)));
        let v = cat(vec![first, nest(tail)]);
        self.group(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_syntax_errors() {
        let r = format_source("property p = forall x in . 1");
        assert!(r.is_err());
    }

    #[test]
    fn simple() {
        let out = format_source("property   p=a  and b=>c").expect("formats");
        assert_eq!(out, "property p = a and b => c\n");
    }
}
