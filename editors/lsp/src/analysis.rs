//! What the server knows of one checked file: its globals, its resolved names, and the
//! types and descriptions of what the names denote.
//!
//! Takes: a [`Session`] that has just checked `file` (in `Mode::Check`).
//! Gives: an [`Analysis`] (built per request, cheap: one walk of the tree) answering
//! "what is this name": its signature line (`network f : Real[3] -> Real[1]`,
//! `let X : a domain of Real[3]`, `x : Real[3]`), its doc comment, where it comes from.
//! Invariant: read-only over the session; values of `let`s are computed by the
//! compiler's own elaborator (with no command-line bindings), so the types shown are the
//! ones the compiler checks against; anything that cannot be computed is left out rather
//! than guessed.

use std::collections::HashMap;

use propc_compiler::elab::{Elaborator, Polarity, Value, shape_text, types};
use propc_compiler::ir::NetworkSig;
use propc_compiler::{Bindings, Session};
use propc_syntax::ast::{ExprKind, Item, Sense, TypeKind};
use propc_syntax::{FileId, Span};

use crate::resolve::{self, Global, Local, LocalKind, LocalTy, Resolution, Target};
use crate::stdlib;

pub struct Analysis<'a> {
    pub session: &'a Session,
    pub file: FileId,
    pub globals: HashMap<String, Global<'a>>,
    pub res: Resolution<'a>,
}

/// A name's description, for hover and completion.
pub struct Described {
    /// One line of code: `network f : Real[3] -> Real[1]`.
    pub signature: String,
    pub doc: Option<String>,
    /// `parameter of `local``, `from std.relations`, ...
    pub origin: Option<String>,
}

impl<'a> Analysis<'a> {
    pub fn new(session: &'a Session, file: FileId) -> Analysis<'a> {
        let globals = resolve::globals(session, file);
        let res = resolve::resolve(session, file, &globals);
        Analysis {
            session,
            file,
            globals,
            res,
        }
    }

    pub fn text(&self) -> &'a str {
        self.session.sources.text(self.file)
    }

    /// Runs `f` with the compiler's elaborator over this file's globals.
    pub fn with_elaborator<T>(&self, f: impl FnOnce(&mut Elaborator<'_>) -> T) -> T {
        let map: HashMap<String, &Item> = self
            .globals
            .iter()
            .map(|(k, g)| (k.clone(), g.item))
            .collect();
        let bindings = Bindings::default();
        let sigs = {
            let mut el = Elaborator::new(&map, &bindings, &[]);
            let mut nets: Vec<Global<'_>> = self
                .globals
                .values()
                .copied()
                .filter(|g| matches!(g.item, Item::Network { .. }))
                .collect();
            nets.sort_by_key(|g| (g.file, g.item.span().start));
            let mut sigs = Vec::new();
            for g in nets {
                let Item::Network {
                    name,
                    input,
                    output,
                    ..
                } = g.item
                else {
                    continue;
                };
                let (TypeKind::Real(i), TypeKind::Real(o)) = (&input.kind, &output.kind) else {
                    continue;
                };
                if let (Ok(i), Ok(o)) = (
                    types::resolve_dims(&mut el, i),
                    types::resolve_dims(&mut el, o),
                ) {
                    sigs.push(NetworkSig {
                        name: name.name.clone(),
                        input: i,
                        output: o,
                    });
                }
            }
            sigs
        };
        let mut el = Elaborator::new(&map, &bindings, &sigs);
        f(&mut el)
    }

    /// The stdlib module or file a global comes from, when not this file.
    pub fn origin_of(&self, file: FileId) -> Option<String> {
        if file == self.file {
            return None;
        }
        let name = self.session.sources.name(file);
        Some(match stdlib::module_of_file_name(name) {
            Some(m) => format!("from `{m}`"),
            None => format!("from `{}`", self.display_name(file)),
        })
    }

    /// A file's name relative to the directory of this file when it is below it.
    pub fn display_name(&self, file: FileId) -> String {
        let name = self.session.sources.name(file);
        let here = std::path::Path::new(self.session.sources.name(self.file));
        let dir = here.parent().filter(|d| !d.as_os_str().is_empty());
        match dir.and_then(|d| std::path::Path::new(name).strip_prefix(d).ok()) {
            Some(rel) => rel.display().to_string(),
            None => name.to_string(),
        }
    }

    pub fn describe(&self, target: Target<'a>) -> Option<Described> {
        match target {
            Target::Global(g) => Some(Described {
                signature: self.with_elaborator(|el| global_signature(self.session, g.item, el)),
                doc: g.item.doc().map(str::to_string),
                origin: self.origin_of(g.file),
            }),
            Target::Local(i) => {
                let l = self.res.locals.get(i)?;
                let ty = self.local_type(l).unwrap_or_else(|| "?".into());
                let origin = match l.kind {
                    LocalKind::DefParam => format!("parameter of `{}`", l.owner),
                    LocalKind::DimVar => format!(
                        "dimension variable of `{}`, fixed by the arguments of each call",
                        l.owner
                    ),
                    LocalKind::Binder(q) => {
                        format!(
                            "bound by `{}`",
                            if q == propc_syntax::ast::Quantifier::Forall {
                                "forall"
                            } else {
                                "exists"
                            }
                        )
                    }
                    LocalKind::QueryVar => format!("variable of query `{}`", l.owner),
                    LocalKind::Pattern => match l.ty {
                        LocalTy::Field(ds, k) => {
                            format!("field {k} of the samples of dataset `{}`", ds.name)
                        }
                        _ => "a dataset field".into(),
                    },
                };
                Some(Described {
                    signature: format!("{} : {ty}", l.name),
                    doc: None,
                    origin: Some(origin),
                })
            }
            Target::Builtin(name) => {
                let (sig, doc) = crate::builtins::builtin(name)?;
                Some(Described {
                    signature: sig.to_string(),
                    doc: Some(doc.to_string()),
                    origin: Some("builtin".into()),
                })
            }
            Target::Module(f) => {
                let name = self.session.sources.name(f);
                let module = stdlib::module_of_file_name(name);
                let first_comment = self
                    .session
                    .sources
                    .text(f)
                    .lines()
                    .next()
                    .filter(|l| l.starts_with("//") && !l.starts_with("///"))
                    .map(|l| l.trim_start_matches('/').trim().to_string());
                Some(Described {
                    signature: match &module {
                        Some(m) => format!("import {m}"),
                        None => format!("import \"{}\"", self.display_name(f)),
                    },
                    doc: first_comment,
                    origin: None,
                })
            }
            Target::Unresolved => None,
        }
    }

    /// The type of a local, as text.
    pub fn local_type(&self, l: &Local<'a>) -> Option<String> {
        match l.ty {
            LocalTy::Declared(t) => Some(types::type_text(t)),
            LocalTy::Dim => Some("Int".into()),
            LocalTy::Field(ds, k) => match self.lookup_target(ds.span) {
                Some(Target::Global(Global {
                    item: Item::Dataset { fields, .. },
                    ..
                })) => fields.get(k).map(types::type_text),
                _ => None,
            },
            LocalTy::In(domain) => {
                if let ExprKind::Range { .. } = domain.kind {
                    return Some(format!(
                        "Int (in {})",
                        self.session.sources.snippet(domain.span)
                    ));
                }
                let t = self.static_type(domain)?;
                t.strip_prefix("Domain").map(|d| format!("Real{d}"))
            }
        }
    }

    fn lookup_target(&self, span: Span) -> Option<Target<'a>> {
        self.res
            .occurrences
            .iter()
            .find(|o| o.span == span)
            .map(|o| o.target)
    }

    /// The type of an expression as text, without elaborating what depends on locals.
    fn static_type(&self, e: &propc_syntax::ast::Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(id) => match self.lookup_target(id.span)? {
                Target::Local(i) => self.local_type(self.res.locals.get(i)?),
                Target::Global(g) => match g.item {
                    Item::Param { ty, .. } => Some(types::type_text(ty)),
                    Item::Network { input, output, .. } => Some(format!(
                        "{} -> {}",
                        types::type_text(input),
                        types::type_text(output)
                    )),
                    _ => self.elaborated_type(e),
                },
                _ => None,
            },
            ExprKind::Call { callee, args }
                if matches!(callee.name.as_str(), "box" | "ball")
                    && !self.globals.contains_key(&callee.name) =>
            {
                let first = args.first()?.expr();
                match self.static_type(first) {
                    Some(t) if t.starts_with("Real[") => {
                        Some(format!("Domain{}", &t["Real".len()..]))
                    }
                    _ => self.elaborated_type(e),
                }
            }
            _ => self.elaborated_type(e),
        }
    }

    /// The type of a closed expression, by elaborating it.
    fn elaborated_type(&self, e: &propc_syntax::ast::Expr) -> Option<String> {
        self.with_elaborator(|el| {
            el.expr(e, Polarity::Positive)
                .ok()
                .map(|v| value_type(&v, el))
        })
    }
}

/// The type of a value as text (`Real[3]`, `Domain[3]`, ...).
fn value_type(v: &Value, el: &Elaborator<'_>) -> String {
    match v {
        Value::Int(_) | Value::Range(..) | Value::Argmax(_) => "Int".into(),
        Value::Real(_) => "Real".into(),
        Value::Bool(_) => "Bool".into(),
        Value::Tensor(s, _) => format!("Real{}", shape_text(s)),
        Value::Domain(d) => format!("Domain{}", shape_text(&d.shape)),
        Value::Network(n) => match el.networks.get(*n) {
            Some(s) => format!(
                "Real{} -> Real{}",
                shape_text(&s.input),
                shape_text(&s.output)
            ),
            None => "a network".into(),
        },
        Value::Def(_) => "a function".into(),
        Value::Dataset(_) => "a dataset".into(),
    }
}

/// The declaration line of a global item.
fn global_signature(session: &Session, item: &Item, el: &mut Elaborator<'_>) -> String {
    match item {
        Item::Network {
            name,
            input,
            output,
            ..
        } => {
            format!(
                "network {} : {} -> {}",
                name.name,
                types::type_text(input),
                types::type_text(output)
            )
        }
        Item::Param {
            name, ty, default, ..
        } => {
            let d = default
                .as_ref()
                .map(|d| format!(" = {}", session.sources.snippet(d.span)))
                .unwrap_or_default();
            format!("param {} : {}{d}", name.name, types::type_text(ty))
        }
        Item::Dataset { name, fields, .. } => {
            let f: Vec<String> = fields.iter().map(types::type_text).collect();
            format!("dataset {} : ({})", name.name, f.join(", "))
        }
        Item::Let { name, .. } => {
            let v = el.global(&name.name, name.span).ok().flatten();
            let ty = match &v {
                Some(Value::Int(i)) => format!("Int = {i}"),
                Some(Value::Real(t)) => match t.constant() {
                    Some(c) => format!("Real = {c}"),
                    None => "Real".into(),
                },
                Some(v @ Value::Domain(_)) => v.describe().replace('`', ""),
                Some(v) => value_type(v, el),
                None => "?".into(),
            };
            format!("let {} : {ty}", name.name)
        }
        Item::Def {
            name, params, ret, ..
        } => {
            let ps: Vec<String> = params
                .iter()
                .map(|p| format!("{}: {}", p.name.name, types::type_text(&p.ty)))
                .collect();
            let r = ret
                .as_ref()
                .map(|r| format!(" : {}", types::type_text(r)))
                .unwrap_or_default();
            format!("def {}({}){r}", name.name, ps.join(", "))
        }
        Item::Property { name, .. } => format!("property {}", name.name),
        Item::Query {
            name,
            sense,
            binders,
            ..
        } => {
            let s = if *sense == Sense::Maximize {
                "maximize"
            } else {
                "minimize"
            };
            let b: Vec<&str> = binders.iter().map(|b| b.name.as_str()).collect();
            format!("query {} = {s} ... over {}", name.name, b.join(", "))
        }
        Item::Import { .. } | Item::Error { .. } => String::new(),
    }
}
