//! The lexer of `.prop` files.
//!
//! Takes: the text of one file.
//! Gives: [`Token`]s with byte ranges ([`lex`]), comments included (an editor colours
//! them; the parser drops `//` and `/* */` comments and attaches `///` doc comments to
//! items), and a [`LexError`] for every piece of text that is not a token.
//! Invariant: lexing never panics; tokens and errors are in source order, do not
//! overlap, and lie on `char` boundaries of the text.

use std::fmt;

use logos::Logos;

use crate::diagnostic::Diagnostic;
use crate::span::{FileId, Span};

/// What went wrong while lexing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LexErrorKind {
    /// A character that starts no token.
    #[default]
    InvalidChar,
    /// `/*` without its `*/`.
    UnterminatedComment,
    /// `"` without its closing `"` on the same line.
    UnterminatedString,
}

/// A lexing error at a byte range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LexError {
    pub kind: LexErrorKind,
    pub start: usize,
    pub end: usize,
}

impl LexError {
    /// The diagnostic for this error (code `E0003`), `text` being the file's text.
    pub fn to_diagnostic(&self, file: FileId, text: &str) -> Diagnostic {
        let span = Span::new(file, self.start, self.end);
        let slice = text.get(self.start..self.end).unwrap_or("");
        match self.kind {
            LexErrorKind::InvalidChar => {
                let c = slice.chars().next().unwrap_or('?');
                let shown = if c.is_control() || c.is_whitespace() {
                    format!("{}", c.escape_unicode())
                } else {
                    c.to_string()
                };
                Diagnostic::error("E0003", format!("invalid character `{shown}`"))
                    .with_label(span, "this character cannot start a token")
                    .with_help(invalid_char_help(c))
            }
            LexErrorKind::UnterminatedComment => {
                Diagnostic::error("E0003", "unterminated block comment")
                    .with_label(
                        Span::new(file, self.start, (self.start + 2).min(self.end)),
                        "this comment is never closed",
                    )
                    .with_help("close the comment with `*/`")
            }
            LexErrorKind::UnterminatedString => Diagnostic::error("E0003", "unterminated string")
                .with_label(span, "this string is not closed on its line")
                .with_help("close the string with `\"`"),
        }
    }
}

fn invalid_char_help(c: char) -> String {
    match c {
        '!' => "write `not` for negation and `!=` for inequality".into(),
        '&' => "write `and` for conjunction".into(),
        '|' => "write `or` for disjunction".into(),
        '%' | '^' => "`+ - * /` are the arithmetic operators of the language".into(),
        ';' => "items need no separator: remove the `;`".into(),
        '\'' => "strings are written between double quotes: `\"...\"`".into(),
        '≤' => "write `<=`".into(),
        '≥' => "write `>=`".into(),
        '≠' => "write `!=`".into(),
        '→' | '⇒' => "write `=>` for implication, `->` in a function type".into(),
        '∀' => "write `forall`".into(),
        '∃' => "write `exists`".into(),
        '∧' => "write `and`".into(),
        '∨' => "write `or`".into(),
        '¬' => "write `not`".into(),
        _ => "remove this character".into(),
    }
}

/// Skips a block comment after its opening `/*` (no nesting).
fn block_comment<'s>(lex: &mut logos::Lexer<'s, Token<'s>>) -> Result<&'s str, LexErrorKind> {
    let rest = lex.remainder();
    match rest.find("*/") {
        Some(i) => {
            lex.bump(i + 2);
            Ok(lex.slice())
        }
        None => {
            lex.bump(rest.len());
            Err(LexErrorKind::UnterminatedComment)
        }
    }
}

fn unterminated_string<'s>(_: &mut logos::Lexer<'s, Token<'s>>) -> Result<&'s str, LexErrorKind> {
    Err(LexErrorKind::UnterminatedString)
}

/// A token of `.prop` source. Slices borrow the text.
#[derive(Logos, Clone, Copy, Debug, PartialEq)]
#[logos(error = LexErrorKind)]
#[logos(skip r"[ \t\r\n\f]+")]
pub enum Token<'s> {
    // ---- comments (dropped or attached by the parser) ----
    /// `// ...` (but not `///`)
    #[regex(r"//([^/\n][^\n]*)?", |lex| lex.slice(), allow_greedy = true)]
    #[regex(r"////[^\n]*", |lex| lex.slice(), allow_greedy = true)]
    LineComment(&'s str),
    /// `/// ...`: documents the item below.
    #[regex(r"///([^/\n][^\n]*)?", |lex| lex.slice(), allow_greedy = true)]
    DocComment(&'s str),
    /// `/* ... */`
    #[token("/*", block_comment)]
    BlockComment(&'s str),

    // ---- keywords ----
    #[token("import")]
    Import,
    #[token("network")]
    Network,
    #[token("param")]
    Param,
    #[token("dataset")]
    Dataset,
    #[token("let")]
    Let,
    #[token("def")]
    Def,
    #[token("property")]
    Property,
    #[token("query")]
    Query,
    #[token("forall")]
    Forall,
    #[token("exists")]
    Exists,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("where")]
    Where,
    #[token("maximize")]
    Maximize,
    #[token("minimize")]
    Minimize,
    #[token("over")]
    Over,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("true")]
    True,
    #[token("false")]
    False,

    // ---- type names (keywords too) ----
    #[token("Real")]
    TyReal,
    #[token("Int")]
    TyInt,
    #[token("Bool")]
    TyBool,
    #[token("Class")]
    TyClass,
    #[token("Index")]
    TyIndex,
    #[token("Domain")]
    TyDomain,

    // ---- punctuation ----
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("=")]
    Assign,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<=")]
    Le,
    #[token("<")]
    Lt,
    #[token(">=")]
    Ge,
    #[token(">")]
    Gt,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("=>")]
    Implies,
    #[token("<=>")]
    Iff,
    #[token("->")]
    Arrow,

    // ---- literals and names ----
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice())]
    Ident(&'s str),
    /// `784` (the parser checks the range)
    #[regex(r"[0-9]+", |lex| lex.slice())]
    Int(&'s str),
    /// `0.01`, `1e-3`, `2.5e+3`
    #[regex(r"[0-9]+\.[0-9]+([eE][+-]?[0-9]+)?", |lex| lex.slice())]
    #[regex(r"[0-9]+[eE][+-]?[0-9]+", |lex| lex.slice())]
    Real(&'s str),
    /// `"defs.prop"`, quotes included
    #[regex(r#""([^"\\\n]|\\[^\n])*""#, |lex| lex.slice())]
    #[regex(r#""([^"\\\n]|\\[^\n])*"#, unterminated_string)]
    Str(&'s str),
}

impl Token<'_> {
    /// `//` and `/* */` comments, which the parser never sees.
    pub fn is_comment(&self) -> bool {
        matches!(self, Token::LineComment(_) | Token::BlockComment(_))
    }

    pub fn is_keyword(&self) -> bool {
        use Token::*;
        matches!(
            self,
            Import
                | Network
                | Param
                | Dataset
                | Let
                | Def
                | Property
                | Query
                | Forall
                | Exists
                | For
                | In
                | Where
                | Maximize
                | Minimize
                | Over
                | And
                | Or
                | Not
                | True
                | False
        )
    }

    /// `Real`, `Int`, `Bool`, `Class`, `Index`, `Domain`.
    pub fn is_type_name(&self) -> bool {
        use Token::*;
        matches!(self, TyReal | TyInt | TyBool | TyClass | TyIndex | TyDomain)
    }

    /// A keyword that starts an item (error recovery resumes at these).
    pub fn starts_item(&self) -> bool {
        use Token::*;
        matches!(
            self,
            Import | Network | Param | Dataset | Let | Def | Property | Query
        )
    }

    /// The source form of a token (literals and names: their text).
    pub fn text(&self) -> &str {
        use Token::*;
        match self {
            LineComment(s) | DocComment(s) | BlockComment(s) | Ident(s) | Int(s) | Real(s)
            | Str(s) => s,
            Import => "import",
            Network => "network",
            Param => "param",
            Dataset => "dataset",
            Let => "let",
            Def => "def",
            Property => "property",
            Query => "query",
            Forall => "forall",
            Exists => "exists",
            For => "for",
            In => "in",
            Where => "where",
            Maximize => "maximize",
            Minimize => "minimize",
            Over => "over",
            And => "and",
            Or => "or",
            Not => "not",
            True => "true",
            False => "false",
            TyReal => "Real",
            TyInt => "Int",
            TyBool => "Bool",
            TyClass => "Class",
            TyIndex => "Index",
            TyDomain => "Domain",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Comma => ",",
            Colon => ":",
            Dot => ".",
            DotDot => "..",
            Assign => "=",
            EqEq => "==",
            NotEq => "!=",
            Le => "<=",
            Lt => "<",
            Ge => ">=",
            Gt => ">",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Implies => "=>",
            Iff => "<=>",
            Arrow => "->",
        }
    }
}

impl fmt::Display for Token<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text())
    }
}

/// A token with its byte range `start..end`.
pub type Spanned<'s> = (usize, Token<'s>, usize);

/// Lexes a whole text: every token (comments included) and every error, in order.
pub fn lex(text: &str) -> (Vec<Spanned<'_>>, Vec<LexError>) {
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut lexer = Token::lexer(text);
    while let Some(result) = lexer.next() {
        let range = lexer.span();
        match result {
            Ok(tok) => tokens.push((range.start, tok, range.end)),
            Err(kind) => {
                errors.push(LexError {
                    kind,
                    start: range.start,
                    end: range.end,
                });
            }
        }
    }
    (tokens, errors)
}

/// The text of a doc comment line: without `///` and one following space.
pub fn doc_text(comment: &str) -> &str {
    let s = comment.strip_prefix("///").unwrap_or(comment);
    let s = s.strip_prefix(' ').unwrap_or(s);
    s.trim_end_matches(['\r', ' ', '\t'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Token<'_>> {
        lex(text).0.into_iter().map(|(_, t, _)| t).collect()
    }

    #[test]
    fn range_is_int_dotdot_int() {
        assert_eq!(
            kinds("0..10"),
            vec![Token::Int("0"), Token::DotDot, Token::Int("10")]
        );
        assert_eq!(
            kinds("x[2..5]")[2..5],
            [Token::Int("2"), Token::DotDot, Token::Int("5")]
        );
    }

    #[test]
    fn reals() {
        assert_eq!(
            kinds("0.01 1e-3 2.5e+3 7E2"),
            vec![
                Token::Real("0.01"),
                Token::Real("1e-3"),
                Token::Real("2.5e+3"),
                Token::Real("7E2")
            ]
        );
        assert_eq!(kinds("1."), vec![Token::Int("1"), Token::Dot]);
        assert_eq!(
            kinds("10. x"),
            vec![Token::Int("10"), Token::Dot, Token::Ident("x")]
        );
    }

    #[test]
    fn comments() {
        let toks = kinds("a // c\n/// doc\n//// not doc\n/* b\n */ b /**/ c //");
        assert_eq!(
            toks,
            vec![
                Token::Ident("a"),
                Token::LineComment("// c"),
                Token::DocComment("/// doc"),
                Token::LineComment("//// not doc"),
                Token::BlockComment("/* b\n */"),
                Token::Ident("b"),
                Token::BlockComment("/**/"),
                Token::Ident("c"),
                Token::LineComment("//"),
            ]
        );
        assert_eq!(doc_text("/// doc "), "doc");
        assert_eq!(doc_text("///"), "");
        assert_eq!(doc_text("///  two"), " two");
    }

    #[test]
    fn operators_longest_match() {
        assert_eq!(
            kinds("<=> <= < => == = != -> - >= >"),
            vec![
                Token::Iff,
                Token::Le,
                Token::Lt,
                Token::Implies,
                Token::EqEq,
                Token::Assign,
                Token::NotEq,
                Token::Arrow,
                Token::Minus,
                Token::Ge,
                Token::Gt
            ]
        );
    }

    #[test]
    fn keywords_and_idents() {
        assert_eq!(
            kinds("forall forall_x Real Realx in_"),
            vec![
                Token::Forall,
                Token::Ident("forall_x"),
                Token::TyReal,
                Token::Ident("Realx"),
                Token::Ident("in_")
            ]
        );
    }

    #[test]
    fn errors_do_not_stop_lexing() {
        let (toks, errs) = lex("a # b /* open");
        assert_eq!(
            toks,
            vec![(0, Token::Ident("a"), 1), (4, Token::Ident("b"), 5)]
        );
        assert_eq!(
            errs,
            vec![
                LexError {
                    kind: LexErrorKind::InvalidChar,
                    start: 2,
                    end: 3
                },
                LexError {
                    kind: LexErrorKind::UnterminatedComment,
                    start: 6,
                    end: 13
                },
            ]
        );
        let (toks, errs) = lex("import \"abc\nx");
        assert_eq!(
            toks,
            vec![(0, Token::Import, 6), (12, Token::Ident("x"), 13)]
        );
        assert_eq!(errs[0].kind, LexErrorKind::UnterminatedString);
        let (_, errs) = lex("é≤");
        assert_eq!(errs.len(), 2);
        assert_eq!((errs[1].start, errs[1].end), (2, 5));
    }

    #[test]
    fn strings() {
        assert_eq!(
            kinds(r#""defs.prop" "a\"b""#),
            vec![Token::Str("\"defs.prop\""), Token::Str(r#""a\"b""#)]
        );
    }
}
