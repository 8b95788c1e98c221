//! propc-syntax: the front end of propc.
//!
//! Takes: `.prop` source text.
//! Gives: tokens ([`lexer`]), a syntax tree ([`ast`]) with spans, and renderer-free
//! [`Diagnostic`]s for every problem found, several per file (the parser recovers).
//! Invariant: [`parse`] never panics and always returns a tree.

pub mod ast;
pub mod diagnostic;
pub mod dump;
pub mod format;
pub mod lexer;
mod parser;
pub mod span;

lalrpop_util::lalrpop_mod!(
    #[allow(
        clippy::all,
        clippy::pedantic,
        clippy::unwrap_used,
        clippy::nursery,
        unused,
        missing_docs
    )]
    grammar
);

pub use diagnostic::{Diagnostic, Label, Severity, render};
pub use format::format_source;
pub use parser::{parse, parse_expr};
pub use span::{FileId, SourceMap, Span};
