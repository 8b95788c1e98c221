//! Semantic tokens: the whole file classified from the lexer and name resolution.
//!
//! Takes: a file's text, its [`Resolution`] and [`LineIndex`].
//! Gives: the legend ([`legend`]) and the LSP-encoded token list (relative positions,
//! UTF-16 lengths): keywords, type names, numbers, strings, comments (doc comments with
//! the `documentation` modifier), operators, and names classified by what they denote
//! (network → `interface`, `def` and builtin → `function`, `def` parameter, binder and
//! dataset field → `parameter`, dimension variable → `typeParameter`, `let`/`param`/
//! `dataset` → `variable`, property/query → `property`, imported module → `namespace`).
//! Invariant: tokens never span lines (a block comment is split per line), and come in
//! source order.

use std::collections::HashMap;

use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};
use propc_syntax::ast::Item;
use propc_syntax::lexer::{Token, lex};

use crate::resolve::{Global, LocalKind, Resolution, Target};
use crate::text::LineIndex;

const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::TYPE,
    SemanticTokenType::NUMBER,
    SemanticTokenType::STRING,
    SemanticTokenType::COMMENT,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::INTERFACE,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::TYPE_PARAMETER,
    SemanticTokenType::NAMESPACE,
];

const KEYWORD: u32 = 0;
const TYPE: u32 = 1;
const NUMBER: u32 = 2;
const STRING: u32 = 3;
const COMMENT: u32 = 4;
const OPERATOR: u32 = 5;
const NETWORK: u32 = 6;
const FUNCTION: u32 = 7;
const PARAMETER: u32 = 8;
const VARIABLE: u32 = 9;
const PROPERTY: u32 = 10;
const TYPE_PARAMETER: u32 = 11;
const NAMESPACE: u32 = 12;

const MODIFIERS: &[SemanticTokenModifier] = &[
    SemanticTokenModifier::DECLARATION,
    SemanticTokenModifier::READONLY,
    SemanticTokenModifier::DEFAULT_LIBRARY,
    SemanticTokenModifier::DOCUMENTATION,
];
const DECLARATION: u32 = 1;
const READONLY: u32 = 2;
const DEFAULT_LIBRARY: u32 = 4;
const DOCUMENTATION: u32 = 8;

pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: MODIFIERS.to_vec(),
    }
}

fn name_class(target: Target<'_>, res: &Resolution<'_>) -> Option<(u32, u32)> {
    Some(match target {
        Target::Global(Global { item, file: _ }) => match item {
            Item::Network { .. } => (NETWORK, READONLY),
            Item::Def { .. } => (FUNCTION, 0),
            Item::Param { .. } => (VARIABLE, READONLY),
            Item::Let { .. } | Item::Dataset { .. } => (VARIABLE, 0),
            Item::Property { .. } | Item::Query { .. } => (PROPERTY, 0),
            Item::Import { .. } | Item::Error { .. } => return None,
        },
        Target::Local(i) => match res.locals.get(i)?.kind {
            LocalKind::DimVar => (TYPE_PARAMETER, 0),
            _ => (PARAMETER, 0),
        },
        Target::Builtin(_) => (FUNCTION, DEFAULT_LIBRARY),
        Target::Module(_) => (NAMESPACE, 0),
        Target::Unresolved => return None,
    })
}

/// The encoded tokens of a whole file.
pub fn tokens(text: &str, res: &Resolution<'_>, index: &LineIndex) -> Vec<SemanticToken> {
    let names: HashMap<u32, (u32, u32)> = res
        .occurrences
        .iter()
        .filter_map(|o| {
            name_class(o.target, res)
                .map(|(t, m)| (o.span.start, (t, m | if o.decl { DECLARATION } else { 0 })))
        })
        .collect();
    let modules: HashMap<u32, u32> = res
        .occurrences
        .iter()
        .filter(|o| matches!(o.target, Target::Module(_)))
        .map(|o| (o.span.start, o.span.end))
        .collect();
    let (toks, _) = lex(text);
    let mut raw: Vec<(usize, usize, u32, u32)> = Vec::new();
    let mut module_until = 0;
    for (start, tok, end) in toks {
        let class = match tok {
            Token::LineComment(_) | Token::BlockComment(_) => Some((COMMENT, 0)),
            Token::DocComment(_) => Some((COMMENT, DOCUMENTATION)),
            Token::Int(_) | Token::Real(_) => Some((NUMBER, 0)),
            Token::Str(_) => names.get(&(start as u32)).copied().or(Some((STRING, 0))),
            Token::Ident(_) => {
                if start < module_until {
                    Some((NAMESPACE, 0))
                } else {
                    names.get(&(start as u32)).copied()
                }
            }
            t if t.is_type_name() => Some((TYPE, 0)),
            t if t.is_keyword() => Some((KEYWORD, 0)),
            Token::EqEq
            | Token::NotEq
            | Token::Le
            | Token::Lt
            | Token::Ge
            | Token::Gt
            | Token::Plus
            | Token::Minus
            | Token::Star
            | Token::Slash
            | Token::Implies
            | Token::Iff
            | Token::Arrow
            | Token::Assign
            | Token::DotDot => Some((OPERATOR, 0)),
            _ => None,
        };
        // An import path `std.relations` is one occurrence: colour all its parts.
        if let Some(end) = modules.get(&(start as u32)) {
            module_until = *end as usize;
        }
        let Some((ty, mods)) = class else { continue };
        // One token per line.
        let mut s = start;
        for line in text[start..end].split_inclusive('\n') {
            let e = s + line.trim_end_matches(['\n', '\r']).len();
            if e > s {
                raw.push((s, e, ty, mods));
            }
            s += line.len();
        }
    }
    let mut out = Vec::with_capacity(raw.len());
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for (s, e, ty, mods) in raw {
        let p = index.position(text, s);
        let q = index.position(text, e);
        let length = q.character.saturating_sub(p.character);
        let delta_line = p.line - prev_line;
        let delta_start = if delta_line == 0 {
            p.character - prev_col
        } else {
            p.character
        };
        out.push(SemanticToken {
            delta_line,
            delta_start,
            length,
            token_type: ty,
            token_modifiers_bitset: mods,
        });
        prev_line = p.line;
        prev_col = p.character;
    }
    out
}
