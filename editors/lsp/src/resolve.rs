//! Name resolution over the syntax tree, for hover, definition, completion and tokens.
//!
//! Takes: a [`Session`] that has checked a file (so the file and its imports are
//! parsed), and that file.
//! Gives: the global scope the compiler sees ([`globals`]: imports first, the file's own
//! items shadowing them) and a [`Resolution`]: every name occurrence of the file with
//! what it names (a global item, a local — `def` parameter, dimension variable,
//! quantifier binder, `for` pattern, query variable — a builtin, an imported module),
//! and every local with the span where it is visible.
//! Invariant: lookup follows the compiler's order — innermost local, then global, then
//! builtin — and a `def` body sees only its parameters, its dimension variables and the
//! globals (the scopes are lexical, as in elaboration).

use std::collections::HashMap;
use std::path::Path;

use propc_compiler::Session;
use propc_compiler::elab::builtins::NAMES;
use propc_syntax::ast::{
    Arg, Dim, Expr, ExprKind, Ident, ImportTarget, IndexArg, Item, Quantifier, SpecFile, TypeExpr,
    TypeKind,
};
use propc_syntax::{FileId, Span};

/// A global item and the file declaring it.
#[derive(Clone, Copy)]
pub struct Global<'a> {
    pub file: FileId,
    pub item: &'a Item,
}

/// The file an import names, if the session loaded it.
pub fn import_file(session: &Session, from: FileId, target: &ImportTarget) -> Option<FileId> {
    match target {
        ImportTarget::Module(path) => {
            let module = path
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(".");
            session.stdlib_file_id(&module)
        }
        ImportTarget::Path { path, .. } => {
            let name = session.sources.name(from);
            let base = Path::new(name)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            session.sources.find(&base.join(path).display().to_string())
        }
    }
}

/// Files in import order (dependencies first), `file` last: the order the compiler used
/// in its last run on `file`.
pub fn import_order(session: &Session, file: FileId) -> Vec<FileId> {
    session
        .import_order(file)
        .map_or_else(|| vec![file], <[FileId]>::to_vec)
}

/// The global scope of `file`, as the compiler builds it.
pub fn globals(session: &Session, file: FileId) -> HashMap<String, Global<'_>> {
    let mut out = HashMap::new();
    for f in import_order(session, file) {
        let Some(ast) = session.ast(f) else { continue };
        let mut local = std::collections::HashSet::new();
        for item in &ast.items {
            let Some(name) = item.name() else { continue };
            if local.insert(name.name.as_str()) {
                out.insert(name.name.clone(), Global { file: f, item });
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalKind {
    DefParam,
    DimVar,
    Binder(Quantifier),
    QueryVar,
    Pattern,
}

/// What is known of a local's type.
#[derive(Clone, Copy)]
pub enum LocalTy<'a> {
    /// A `def` parameter's declared type.
    Declared(&'a TypeExpr),
    /// A point of this domain (quantifier binders, query variables).
    In(&'a Expr),
    /// Field `index` of a dataset.
    Field(&'a Ident, usize),
    /// A dimension variable (an integer).
    Dim,
}

#[derive(Clone)]
pub struct Local<'a> {
    pub name: &'a str,
    pub decl: Span,
    pub kind: LocalKind,
    pub ty: LocalTy<'a>,
    /// Where the local is visible.
    pub scope: Span,
    /// The `def` (or item) it belongs to.
    pub owner: &'a str,
}

#[derive(Clone, Copy)]
pub enum Target<'a> {
    Global(Global<'a>),
    /// Index into [`Resolution::locals`].
    Local(usize),
    Builtin(&'static str),
    /// An imported file.
    Module(FileId),
    Unresolved,
}

#[derive(Clone, Copy)]
pub struct Occurrence<'a> {
    pub span: Span,
    pub target: Target<'a>,
    /// The declaring occurrence itself.
    pub decl: bool,
}

#[derive(Default)]
pub struct Resolution<'a> {
    pub locals: Vec<Local<'a>>,
    /// In source order.
    pub occurrences: Vec<Occurrence<'a>>,
}

impl<'a> Resolution<'a> {
    /// The occurrence under a byte offset (its end included, for a cursor after a name).
    pub fn at(&self, offset: usize) -> Option<&Occurrence<'a>> {
        let o = offset as u32;
        self.occurrences
            .iter()
            .find(|x| x.span.start <= o && o < x.span.end)
            .or_else(|| {
                self.occurrences
                    .iter()
                    .find(|x| x.span.start <= o && o == x.span.end)
            })
    }

    /// The locals visible at a byte offset, innermost last.
    pub fn locals_at(&self, offset: usize) -> Vec<&Local<'a>> {
        let o = offset as u32;
        self.locals
            .iter()
            .filter(|l| l.scope.start <= o && o <= l.scope.end)
            .collect()
    }
}

struct Resolver<'a, 'g> {
    session: &'a Session,
    file: FileId,
    globals: &'g HashMap<String, Global<'a>>,
    out: Resolution<'a>,
    scope: Vec<usize>,
    owner: &'a str,
}

/// Resolves every name of `file` (which `session` has parsed).
pub fn resolve<'a>(
    session: &'a Session,
    file: FileId,
    globals: &HashMap<String, Global<'a>>,
) -> Resolution<'a> {
    let mut r = Resolver {
        session,
        file,
        globals,
        out: Resolution::default(),
        scope: Vec::new(),
        owner: "",
    };
    if let Some(ast) = session.ast(file) {
        r.file(ast);
    }
    r.out
        .occurrences
        .sort_by_key(|o| (o.span.start, o.span.end));
    r.out
}

impl<'a> Resolver<'a, '_> {
    fn file(&mut self, ast: &'a SpecFile) {
        for item in &ast.items {
            self.scope.clear();
            self.item(item);
        }
    }

    fn push(&mut self, span: Span, target: Target<'a>, decl: bool) {
        self.out.occurrences.push(Occurrence { span, target, decl });
    }

    fn declare(&mut self, id: &'a Ident, item: &'a Item) {
        self.owner = id.name.as_str();
        self.push(
            id.span,
            Target::Global(Global {
                file: self.file,
                item,
            }),
            true,
        );
    }

    fn bind(&mut self, id: &'a Ident, kind: LocalKind, ty: LocalTy<'a>, scope: Span) {
        self.out.locals.push(Local {
            name: &id.name,
            decl: id.span,
            kind,
            ty,
            scope,
            owner: self.owner,
        });
        let index = self.out.locals.len() - 1;
        self.scope.push(index);
        self.push(id.span, Target::Local(index), true);
    }

    fn lookup(&self, name: &str) -> Target<'a> {
        if let Some(i) = self
            .scope
            .iter()
            .rev()
            .find(|i| self.out.locals[**i].name == name)
        {
            return Target::Local(*i);
        }
        if let Some(g) = self.globals.get(name) {
            return Target::Global(*g);
        }
        match NAMES.iter().find(|n| **n == name) {
            Some(n) => Target::Builtin(n),
            None => Target::Unresolved,
        }
    }

    fn name(&mut self, id: &'a Ident) {
        let t = self.lookup(&id.name);
        self.push(id.span, t, false);
    }

    fn item(&mut self, item: &'a Item) {
        match item {
            Item::Import { target, .. } => {
                let t = match import_file(self.session, self.file, target) {
                    Some(f) => Target::Module(f),
                    None => Target::Unresolved,
                };
                match target {
                    ImportTarget::Module(path) => {
                        if let (Some(first), Some(last)) = (path.first(), path.last()) {
                            self.push(first.span.to(last.span), t, false);
                        }
                    }
                    ImportTarget::Path { span, .. } => self.push(*span, t, false),
                }
            }
            Item::Network {
                name,
                input,
                output,
                ..
            } => {
                self.declare(name, item);
                self.ty(input, None);
                self.ty(output, None);
            }
            Item::Param {
                name, ty, default, ..
            } => {
                self.declare(name, item);
                self.ty(ty, None);
                if let Some(d) = default {
                    self.expr(d);
                }
            }
            Item::Dataset { name, fields, .. } => {
                self.declare(name, item);
                for f in fields {
                    self.ty(f, None);
                }
            }
            Item::Let { name, value, .. }
            | Item::Property {
                name, body: value, ..
            } => {
                self.declare(name, item);
                self.expr(value);
            }
            Item::Def {
                name,
                params,
                ret,
                body,
                span,
                ..
            } => {
                self.declare(name, item);
                for p in params {
                    self.ty(&p.ty, Some(*span));
                }
                for p in params {
                    self.bind(
                        &p.name,
                        LocalKind::DefParam,
                        LocalTy::Declared(&p.ty),
                        *span,
                    );
                }
                if let Some(r) = ret {
                    self.ty(r, None);
                }
                self.expr(body);
            }
            Item::Query {
                name,
                objective,
                binders,
                domain,
                condition,
                span,
                ..
            } => {
                self.declare(name, item);
                self.expr(domain);
                for b in binders {
                    self.bind(b, LocalKind::QueryVar, LocalTy::In(domain), *span);
                }
                self.expr(objective);
                if let Some(c) = condition {
                    self.expr(c);
                }
            }
            Item::Error { .. } => {}
        }
    }

    /// The dimension names of a type; `bind_in`: unknown names become dimension
    /// variables visible there (a `def`'s parameter types).
    fn ty(&mut self, t: &'a TypeExpr, bind_in: Option<Span>) {
        let dim = |r: &mut Self, d: &'a Dim| {
            let Dim::Var(id) = d else { return };
            match (r.lookup(&id.name), bind_in) {
                (Target::Unresolved | Target::Builtin(_), Some(scope)) => {
                    r.bind(id, LocalKind::DimVar, LocalTy::Dim, scope)
                }
                (t, _) => r.push(id.span, t, false),
            }
        };
        match &t.kind {
            TypeKind::Real(ds) | TypeKind::Int(ds) | TypeKind::Domain(ds) => {
                for d in ds {
                    dim(self, d);
                }
            }
            TypeKind::Class(d) | TypeKind::Index(d) => dim(self, d),
            TypeKind::Function(a, b) => {
                self.ty(a, bind_in);
                self.ty(b, bind_in);
            }
            TypeKind::Tuple(ts) => {
                for t in ts {
                    self.ty(t, bind_in);
                }
            }
            TypeKind::Bool | TypeKind::Error => {}
        }
    }

    fn expr(&mut self, e: &'a Expr) {
        match &e.kind {
            ExprKind::Int(_) | ExprKind::Real(_) | ExprKind::Bool(_) | ExprKind::Error => {}
            ExprKind::Name(id) => self.name(id),
            ExprKind::Call { callee, args } => {
                self.name(callee);
                for a in args {
                    match a {
                        Arg::Positional(x) => self.expr(x),
                        Arg::Named(_, x) => self.expr(x),
                    }
                }
            }
            ExprKind::Index { base, indices } => {
                self.expr(base);
                for i in indices {
                    match i {
                        IndexArg::At(x) => self.expr(x),
                        IndexArg::Slice(a, b) => {
                            self.expr(a);
                            self.expr(b);
                        }
                    }
                }
            }
            ExprKind::Unary { operand, .. } => self.expr(operand),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
            ExprKind::Compare { first, rest } => {
                self.expr(first);
                for (_, _, x) in rest {
                    self.expr(x);
                }
            }
            ExprKind::Vector(xs) => {
                for x in xs {
                    self.expr(x);
                }
            }
            ExprKind::Range { lo, hi } => {
                self.expr(lo);
                self.expr(hi);
            }
            ExprKind::Quant {
                quantifier,
                binders,
                domain,
                condition,
                body,
            } => {
                self.expr(domain);
                let depth = self.scope.len();
                for b in binders {
                    self.bind(
                        b,
                        LocalKind::Binder(*quantifier),
                        LocalTy::In(domain),
                        e.span,
                    );
                }
                if let Some(c) = condition {
                    self.expr(c);
                }
                self.expr(body);
                self.scope.truncate(depth);
            }
            ExprKind::ForData {
                pattern,
                dataset,
                body,
            } => {
                self.name(dataset);
                let depth = self.scope.len();
                for (i, p) in pattern.iter().enumerate() {
                    self.bind(p, LocalKind::Pattern, LocalTy::Field(dataset, i), e.span);
                }
                self.expr(body);
                self.scope.truncate(depth);
            }
        }
    }
}
