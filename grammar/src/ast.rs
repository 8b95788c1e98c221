//! The syntax tree of a `.prop` file.
//!
//! Takes: nothing (data only); built by the parser.
//! Gives: `SpecFile`, a list of items; every node carries its `Span`.
//! Invariant: the parser always returns a tree, even with errors: a part that did not
//! parse is an `ExprKind::Error` / `TypeKind::Error` / `Item::Error` node at the place
//! of the error, so later stages can skip it without reporting again.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct SpecFile {
    pub items: Vec<Item>,
}

/// `///` comment lines directly above an item, without the slashes, joined by `\n`.
pub type Doc = Option<String>;

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `import std.relations` (path of identifiers) or `import "defs.prop"`.
    Import { target: ImportTarget, span: Span },
    /// `network f : Real[7] -> Real[1]`
    Network {
        doc: Doc,
        name: Ident,
        input: TypeExpr,
        output: TypeExpr,
        span: Span,
    },
    /// `param eps : Real = 0.01` (the default is optional)
    Param {
        doc: Doc,
        name: Ident,
        ty: TypeExpr,
        default: Option<Expr>,
        span: Span,
    },
    /// `dataset test : (Real[784], Class[10])`
    Dataset {
        doc: Doc,
        name: Ident,
        fields: Vec<TypeExpr>,
        span: Span,
    },
    /// `let X = box(lo = zeros(7), hi = ones(7))`
    Let {
        doc: Doc,
        name: Ident,
        value: Expr,
        span: Span,
    },
    /// `def name(a: T, ...) : T = expr` (the result type is optional)
    Def {
        doc: Doc,
        name: Ident,
        params: Vec<Param>,
        ret: Option<TypeExpr>,
        body: Expr,
        span: Span,
    },
    /// `property name = formula`
    Property {
        doc: Doc,
        name: Ident,
        body: Expr,
        span: Span,
    },
    /// `query name = maximize expr over x, y in D where formula`
    Query {
        doc: Doc,
        name: Ident,
        sense: Sense,
        objective: Expr,
        binders: Vec<Ident>,
        domain: Expr,
        condition: Option<Expr>,
        span: Span,
    },
    /// An item that did not parse (already reported).
    Error { span: Span },
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Import { span, .. }
            | Item::Network { span, .. }
            | Item::Param { span, .. }
            | Item::Dataset { span, .. }
            | Item::Let { span, .. }
            | Item::Def { span, .. }
            | Item::Property { span, .. }
            | Item::Query { span, .. }
            | Item::Error { span } => *span,
        }
    }

    /// The declared name, for items that declare one.
    pub fn name(&self) -> Option<&Ident> {
        match self {
            Item::Network { name, .. }
            | Item::Param { name, .. }
            | Item::Dataset { name, .. }
            | Item::Let { name, .. }
            | Item::Def { name, .. }
            | Item::Property { name, .. }
            | Item::Query { name, .. } => Some(name),
            Item::Import { .. } | Item::Error { .. } => None,
        }
    }

    pub fn doc(&self) -> Option<&str> {
        match self {
            Item::Network { doc, .. }
            | Item::Param { doc, .. }
            | Item::Dataset { doc, .. }
            | Item::Let { doc, .. }
            | Item::Def { doc, .. }
            | Item::Property { doc, .. }
            | Item::Query { doc, .. } => doc.as_deref(),
            Item::Import { .. } | Item::Error { .. } => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportTarget {
    /// `std.relations` → ["std", "relations"]
    Module(Vec<Ident>),
    /// `"defs.prop"`, relative to the importing file
    Path { path: String, span: Span },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    Maximize,
    Minimize,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub ty: TypeExpr,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub kind: TypeKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    /// `Real`, `Real[7]`, `Real[n, 3]` (empty dims = scalar)
    Real(Vec<Dim>),
    /// `Int`, `Int[k]`
    Int(Vec<Dim>),
    Bool,
    /// `Class[10]`: an integer label in 0..10
    Class(Dim),
    /// `Index[n]`: an integer in 0..n
    Index(Dim),
    /// `Domain[n]`: a set of `Real[n]` points (a box, a ball, ...)
    Domain(Vec<Dim>),
    /// `Real[n] -> Real[m]`: a network (in `def` parameters)
    Function(Box<TypeExpr>, Box<TypeExpr>),
    /// `(T, U)`: dataset samples
    Tuple(Vec<TypeExpr>),
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Dim {
    Lit(u64, Span),
    /// A dimension variable, bound by its first use in a `def`'s parameter types, or a
    /// named integer constant (`let`/`param`) elsewhere.
    Var(Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantifier {
    Forall,
    Exists,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    And,
    Or,
    Implies,
    Iff,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Le,
    Lt,
    Ge,
    Gt,
    Eq,
    Ne,
}

impl CmpOp {
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Le => "<=",
            CmpOp::Lt => "<",
            CmpOp::Ge => ">=",
            CmpOp::Gt => ">",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Positional(Expr),
    /// `lo = zeros(7)`
    Named(Ident, Expr),
}

impl Arg {
    pub fn expr(&self) -> &Expr {
        match self {
            Arg::Positional(e) | Arg::Named(_, e) => e,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum IndexArg {
    /// `x[i]`
    At(Expr),
    /// `x[2..5]` (end exclusive)
    Slice(Expr, Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// A literal without `.` or exponent: `3`, `784`
    Int(i64),
    /// `0.01`, `1e-3`
    Real(f64),
    Bool(bool),
    Name(Ident),
    /// `f(x)`, `box(lo = a, hi = b)`, `abs(e)`; the callee is a name (a network, a
    /// `def`, or a builtin).
    Call {
        callee: Ident,
        args: Vec<Arg>,
    },
    /// `e[i]`, `e[2..5]`, `e[i, j]`
    Index {
        base: Box<Expr>,
        indices: Vec<IndexArg>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `a <= b < c`: `first`, then each operator with its right operand.
    Compare {
        first: Box<Expr>,
        rest: Vec<(CmpOp, Span, Expr)>,
    },
    /// `[a, b, c]`
    Vector(Vec<Expr>),
    /// `a..b` (only as a finite quantifier's domain)
    Range {
        lo: Box<Expr>,
        hi: Box<Expr>,
    },
    /// `forall x, y in D where c. body`; a `Range` domain makes it finite.
    Quant {
        quantifier: Quantifier,
        binders: Vec<Ident>,
        domain: Box<Expr>,
        condition: Option<Box<Expr>>,
        body: Box<Expr>,
    },
    /// `for (x0, c) in test. body`
    ForData {
        pattern: Vec<Ident>,
        dataset: Ident,
        body: Box<Expr>,
    },
    /// A part that did not parse (already reported).
    Error,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }
}
