//! Elaboration: the checked meaning of a spec, property by property.
//!
//! Takes: the spec's items with the stdlib's and imports' (flattened into one global
//! scope by `session`), the network signatures, and the command-line [`Bindings`].
//! Gives: for a property, a [`Formula`] over scalar variables and network outputs, with
//! the variables' boxes and the network applications; for a query, its objective and
//! region. Along the way it type-checks: names, shapes (with `def` dimension
//! variables), linearity, bounded quantifiers, quantifier polarity.
//! Invariant: every error is reported once as a located [`Diagnostic`] and elaboration
//! returns `Err(Reported)`; the caller never reports it again. Every continuous
//! quantifier that survives is existential in the counterexample query (a `forall` in
//! positive position or an `exists` in negative position).

pub mod builtins;
pub mod types;
pub mod value;

use std::collections::{HashMap, HashSet};

use propc_syntax::Diagnostic;
use propc_syntax::Span;
use propc_syntax::ast::{BinaryOp, CmpOp, Expr, ExprKind, IndexArg, Item, Quantifier, UnaryOp};

use crate::bindings::Bindings;
use crate::formula::{Cmp, Formula, Term};
use crate::ir::{self, NetworkSig, Ref};
pub use value::{Domain, Value, broadcast, shape_text, tensor_value};

/// An error that has already been reported as a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reported;

pub type R<T> = Result<T, Reported>;

/// Where a sub-formula sits: positive (as stated), negative (under `not` or left of
/// `=>`), or both (under `<=>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    Positive,
    Negative,
    Both,
}

impl Polarity {
    fn flip(self) -> Polarity {
        match self {
            Polarity::Positive => Polarity::Negative,
            Polarity::Negative => Polarity::Positive,
            Polarity::Both => Polarity::Both,
        }
    }
}

/// Maximum depth of `def` inlining.
const MAX_CALL_DEPTH: usize = 64;
/// Maximum number of instances a finite quantifier may expand to.
const MAX_FINITE: i64 = 100_000;

/// The problem being built: variables, quantified inputs and network applications.
#[derive(Clone, Debug, Default)]
pub struct ProblemState {
    pub vars: Vec<ir::Var>,
    pub inputs: Vec<(String, Vec<usize>, Vec<usize>)>,
    /// (network index, input terms)
    pub applications: Vec<(usize, Vec<Term>)>,
}

pub struct Elaborator<'a> {
    pub globals: &'a HashMap<String, &'a Item>,
    pub bindings: &'a Bindings,
    pub networks: &'a [NetworkSig],
    pub network_index: HashMap<String, usize>,
    pub diagnostics: Vec<Diagnostic>,
    seen: HashSet<(&'static str, Span)>,
    global_values: HashMap<String, Value>,
    in_progress: HashSet<String>,
    pub locals: Vec<(String, Value)>,
    call_stack: Vec<(String, Span)>,
    pub state: ProblemState,
}

impl<'a> Elaborator<'a> {
    pub fn new(
        globals: &'a HashMap<String, &'a Item>,
        bindings: &'a Bindings,
        networks: &'a [NetworkSig],
    ) -> Self {
        let network_index = networks
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.clone(), i))
            .collect();
        Elaborator {
            globals,
            bindings,
            networks,
            network_index,
            diagnostics: Vec::new(),
            seen: HashSet::new(),
            global_values: HashMap::new(),
            in_progress: HashSet::new(),
            locals: Vec::new(),
            call_stack: Vec::new(),
            state: ProblemState::default(),
        }
    }

    /// Reports a diagnostic (once per code and place), adding the `def` call chain.
    pub fn report(&mut self, mut d: Diagnostic) -> Reported {
        let key = (d.code, d.primary_span().unwrap_or_default());
        if self.seen.insert(key) {
            for (name, span) in self.call_stack.iter().rev() {
                d = d.with_secondary(*span, format!("in this use of `{name}`"));
            }
            self.diagnostics.push(d);
        }
        Reported
    }

    pub fn error<T>(&mut self, d: Diagnostic) -> R<T> {
        Err(self.report(d))
    }

    /// Starts a new problem (property instance or query).
    pub fn reset_problem(&mut self) -> ProblemState {
        self.locals.clear();
        std::mem::take(&mut self.state)
    }

    fn lookup_local(&self, name: &str) -> Option<Value> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    /// The value of a global name (`let`, `param`, `network`, `def`, `dataset`).
    pub fn global(&mut self, name: &str, span: Span) -> R<Option<Value>> {
        if let Some(v) = self.global_values.get(name) {
            return Ok(Some(v.clone()));
        }
        let Some(item) = self.globals.get(name).copied() else {
            return Ok(None);
        };
        let value = match item {
            Item::Network { .. } => match self.network_index.get(name) {
                Some(i) => Value::Network(*i),
                None => return Err(Reported),
            },
            Item::Def { .. } => Value::Def(name.to_string()),
            Item::Dataset { .. } => Value::Dataset(name.to_string()),
            Item::Property { name: n, .. } | Item::Query { name: n, .. } => {
                return self.error(
                    Diagnostic::error("E0201", format!("`{name}` is a property, not a value"))
                        .with_label(span, "used here as a value")
                        .with_secondary(n.span, "declared here")
                        .with_help("properties are checked by `propc check`; use a `def` for a reusable formula"),
                );
            }
            Item::Let { value, .. }
            | Item::Param {
                default: Some(value),
                ..
            } => {
                if !self.in_progress.insert(name.to_string()) {
                    return self.error(
                        Diagnostic::error(
                            "E0104",
                            format!("`{name}` is defined in terms of itself"),
                        )
                        .with_label(
                            span,
                            "this use refers back to the definition being computed",
                        )
                        .with_help(
                            "break the cycle: a `let` may only use names defined without it",
                        ),
                    );
                }
                let saved_locals = std::mem::take(&mut self.locals);
                let result = match (item, self.param_override(item)) {
                    (_, Some(over)) => over,
                    _ => self.expr(value, Polarity::Positive),
                };
                self.locals = saved_locals;
                self.in_progress.remove(name);
                let v = result?;
                if let Item::Param { ty, .. } = item {
                    self.check_param_type(v, ty, value.span)?
                } else {
                    v
                }
            }
            Item::Param { name: n, ty, .. } => match self.param_override(item) {
                Some(v) => {
                    let v = v?;
                    self.check_param_type(v, ty, n.span)?
                }
                None => {
                    return self.error(
                        Diagnostic::error("E0402", format!("parameter `{name}` has no value"))
                            .with_label(n.span, "declared without a default")
                            .with_help(format!(
                                "give it a default (`= ...`) or pass `--param {name}=VALUE`"
                            )),
                    );
                }
            },
            Item::Import { .. } | Item::Error { .. } => return Ok(None),
        };
        self.global_values.insert(name.to_string(), value.clone());
        Ok(Some(value))
    }

    /// A `--param` override of a `param` item, parsed by its declared type.
    fn param_override(&mut self, item: &Item) -> Option<R<Value>> {
        let Item::Param { name, ty, .. } = item else {
            return None;
        };
        let text = self
            .bindings
            .params
            .iter()
            .rev()
            .find(|(n, _)| n == &name.name)
            .map(|(_, t)| t.clone())?;
        Some(types::parse_param_text(self, &name.name, &text, ty))
    }

    fn check_param_type(
        &mut self,
        v: Value,
        ty: &propc_syntax::ast::TypeExpr,
        span: Span,
    ) -> R<Value> {
        let mut dims = HashMap::new();
        types::check_value(self, &v, ty, span, &mut dims, true)?;
        Ok(match (v, &ty.kind) {
            (Value::Int(i), propc_syntax::ast::TypeKind::Real(d)) if d.is_empty() => {
                Value::Real(Term::Const(i as f64))
            }
            (v, _) => v,
        })
    }

    fn unknown_name(&mut self, name: &str, span: Span) -> Reported {
        let mut candidates: Vec<&str> = self.globals.keys().map(|s| s.as_str()).collect();
        candidates.extend(self.locals.iter().map(|(n, _)| n.as_str()));
        candidates.extend(builtins::NAMES.iter().copied());
        // Close names only: one edit per four characters, none for names of two or less.
        let allowed = if name.chars().count() <= 2 {
            0
        } else {
            (name.chars().count() / 4).max(1)
        };
        let suggestion = candidates
            .iter()
            .filter(|c| **c != name && edit_distance(c, name) <= allowed)
            .min_by_key(|c| edit_distance(c, name));
        let help = match suggestion {
            Some(s) => format!("did you mean `{s}`?"),
            None => "declare it with `let`, `param`, `network` or `def`, or import the module that defines it".to_string(),
        };
        self.report(
            Diagnostic::error("E0101", format!("unknown name `{name}`"))
                .with_label(span, "not found in this scope")
                .with_help(help),
        )
    }

    /// Elaborates an expression.
    pub fn expr(&mut self, e: &Expr, pol: Polarity) -> R<Value> {
        match &e.kind {
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Real(x) => Ok(Value::Real(Term::Const(*x))),
            ExprKind::Bool(b) => Ok(Value::Bool(if *b { Formula::True } else { Formula::False })),
            ExprKind::Error => Err(Reported),
            ExprKind::Name(id) => {
                if let Some(v) = self.lookup_local(&id.name) {
                    return Ok(v);
                }
                match self.global(&id.name, id.span)? {
                    Some(v) => Ok(v),
                    None => Err(self.unknown_name(&id.name, id.span)),
                }
            }
            ExprKind::Call { callee, args } => self.call(callee, args, e.span, pol),
            ExprKind::Index { base, indices } => {
                let b = self.expr(base, pol)?;
                self.index(b, indices, base.span, e.span)
            }
            ExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                let v = self.expr(operand, pol)?;
                match v {
                    Value::Int(i) => Ok(Value::Int(-i)),
                    Value::Real(t) => Ok(Value::Real(Term::scale(-1.0, t))),
                    Value::Tensor(s, ts) => Ok(Value::Tensor(
                        s,
                        ts.into_iter().map(|t| Term::scale(-1.0, t)).collect(),
                    )),
                    other => self.type_error(&other, "a number or a tensor", operand.span),
                }
            }
            ExprKind::Unary {
                op: UnaryOp::Not,
                operand,
            } => {
                let f = self.formula(operand, pol.flip())?;
                Ok(Value::Bool(Formula::negate(f)))
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, e.span, pol),
            ExprKind::Compare { first, rest } => self.compare_chain(first, rest, pol),
            ExprKind::Vector(elems) => self.vector(elems, e.span, pol),
            ExprKind::Range { lo, hi } => {
                let lo = self.int(lo)?;
                let hi = self.int(hi)?;
                Ok(Value::Range(lo, hi))
            }
            ExprKind::Quant {
                quantifier,
                binders,
                domain,
                condition,
                body,
            } => self.quant(
                *quantifier,
                binders,
                domain,
                condition.as_deref(),
                body,
                e.span,
                pol,
            ),
            ExprKind::ForData { .. } => self.error(
                Diagnostic::error(
                    "E0306",
                    "a `for` over a dataset must be the whole body of a property",
                )
                .with_label(e.span, "nested here")
                .with_help("move `for (...) in data.` to the start of the property"),
            ),
        }
    }

    pub fn type_error<T>(&mut self, got: &Value, expected: &str, span: Span) -> R<T> {
        self.error(
            Diagnostic::error(
                "E0201",
                format!("expected {expected}, found {}", got.describe()),
            )
            .with_label(span, format!("this is {}", got.describe()))
            .with_help(format!("write {expected} here")),
        )
    }

    /// Elaborates an expression that must be a formula.
    pub fn formula(&mut self, e: &Expr, pol: Polarity) -> R<Formula> {
        match self.expr(e, pol)? {
            Value::Bool(f) => Ok(f),
            other => self.type_error(&other, "a formula", e.span),
        }
    }

    /// Elaborates an expression that must be a compile-time integer.
    pub fn int(&mut self, e: &Expr) -> R<i64> {
        match self.expr(e, Polarity::Positive)? {
            Value::Int(i) => Ok(i),
            Value::Real(Term::Const(c)) if c == c.trunc() && c.abs() < 1e15 => Ok(c as i64),
            other => self.error(
                Diagnostic::error("E0205", format!("expected an integer known before verification, found {}", other.describe()))
                    .with_label(e.span, "not a constant integer")
                    .with_help("indices, classes and ranges must be integers fixed by the spec, a param or a dataset"),
            ),
        }
    }

    /// Elaborates an expression that must be a real constant (box bounds, radii).
    pub fn constant_tensor(&mut self, e: &Expr) -> R<(Vec<usize>, Vec<f64>)> {
        let v = self.expr(e, Polarity::Positive)?;
        let Some((shape, terms)) = v.as_tensor() else {
            return self.type_error(&v, "a constant tensor", e.span);
        };
        let mut out = Vec::with_capacity(terms.len());
        for t in terms {
            match t.constant() {
                Some(c) if c.is_finite() => out.push(c),
                Some(_) => {
                    return self.error(
                        Diagnostic::error("E0207", "this bound is not a finite number")
                            .with_label(e.span, "infinite or not a number")
                            .with_help("domains must be bounded: give finite bounds"),
                    );
                }
                None => {
                    return self.error(
                        Diagnostic::error(
                            "E0205",
                            "expected a constant, found an expression of quantified variables",
                        )
                        .with_label(e.span, "depends on a quantified variable")
                        .with_help(
                            "bounds of a domain must be constants (or come from a dataset sample)",
                        ),
                    );
                }
            }
        }
        Ok((shape, out))
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        span: Span,
        pol: Polarity,
    ) -> R<Value> {
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let a = self.formula(lhs, pol);
                let b = self.formula(rhs, pol);
                let (a, b) = (a?, b?);
                Ok(Value::Bool(if op == BinaryOp::And {
                    Formula::and(vec![a, b])
                } else {
                    Formula::or(vec![a, b])
                }))
            }
            BinaryOp::Implies => {
                let a = self.formula(lhs, pol.flip());
                let b = self.formula(rhs, pol);
                Ok(Value::Bool(Formula::implies(a?, b?)))
            }
            BinaryOp::Iff => {
                let a = self.formula(lhs, Polarity::Both);
                let b = self.formula(rhs, Polarity::Both);
                Ok(Value::Bool(Formula::Iff(Box::new(a?), Box::new(b?))))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let a = self.expr(lhs, pol);
                let b = self.expr(rhs, pol);
                let (a, b) = (a?, b?);
                self.arith(op, a, b, lhs.span, rhs.span, span)
            }
        }
    }

    /// Arithmetic on integers, scalars and tensors (elementwise, scalars broadcast).
    pub fn arith(
        &mut self,
        op: BinaryOp,
        a: Value,
        b: Value,
        ls: Span,
        rs: Span,
        span: Span,
    ) -> R<Value> {
        if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
            let (x, y) = (*x, *y);
            return match op {
                BinaryOp::Add => Ok(Value::Int(x.wrapping_add(y))),
                BinaryOp::Sub => Ok(Value::Int(x.wrapping_sub(y))),
                BinaryOp::Mul => Ok(Value::Int(x.wrapping_mul(y))),
                _ if y == 0 => self.error(
                    Diagnostic::error("E0206", "division by zero")
                        .with_label(rs, "this is zero")
                        .with_help("divide by a non-zero constant"),
                ),
                _ if x % y == 0 => Ok(Value::Int(x / y)),
                _ => Ok(Value::Real(Term::Const(x as f64 / y as f64))),
            };
        }
        let Some((sa, ta)) = a.as_tensor() else {
            return self.type_error(&a, "a number or a tensor", ls);
        };
        let Some((sb, tb)) = b.as_tensor() else {
            return self.type_error(&b, "a number or a tensor", rs);
        };
        let shape = if sa == sb || sb.is_empty() {
            sa.clone()
        } else if sa.is_empty() {
            sb.clone()
        } else {
            return self.error(
                Diagnostic::error(
                    "E0202",
                    format!(
                        "shape mismatch: `{}` and `{}`",
                        shape_text(&sa),
                        shape_text(&sb)
                    ),
                )
                .with_label(ls, format!("this has shape `{}`", shape_text(&sa)))
                .with_secondary(rs, format!("this has shape `{}`", shape_text(&sb)))
                .with_help("elementwise arithmetic needs equal shapes, or a scalar on one side"),
            );
        };
        let n: usize = shape.iter().product();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let (x, y) = (broadcast(&ta, i), broadcast(&tb, i));
            out.push(match op {
                BinaryOp::Add => Term::plus(x, y),
                BinaryOp::Sub => Term::minus(x, y),
                BinaryOp::Mul => match (x.constant(), y.constant()) {
                    (Some(k), _) => Term::scale(k, y),
                    (_, Some(k)) => Term::scale(k, x),
                    _ => {
                        return self.error(
                            Diagnostic::error("E0301", "product of two quantities that depend on quantified variables")
                                .with_label(span, "this product is not linear")
                                .with_secondary(ls, "depends on a quantified variable")
                                .with_secondary(rs, "depends on a quantified variable")
                                .with_help("verification needs linear arithmetic: multiply only by constants"),
                        );
                    }
                },
                _ => match y.constant() {
                    Some(k) if k != 0.0 => Term::scale(1.0 / k, x),
                    Some(_) => {
                        return self.error(
                            Diagnostic::error("E0206", "division by zero")
                                .with_label(rs, "this is zero")
                                .with_help("divide by a non-zero constant"),
                        );
                    }
                    None => {
                        return self.error(
                            Diagnostic::error("E0301", "division by a quantity that depends on quantified variables")
                                .with_label(rs, "not a constant")
                                .with_help("verification needs linear arithmetic: divide only by constants"),
                        );
                    }
                },
            });
        }
        Ok(tensor_value(shape, out))
    }

    fn compare_chain(
        &mut self,
        first: &Expr,
        rest: &[(CmpOp, Span, Expr)],
        pol: Polarity,
    ) -> R<Value> {
        let mut left = self.expr(first, pol)?;
        let mut left_span = first.span;
        let mut parts = Vec::new();
        for (op, op_span, rhs) in rest {
            let right = self.expr(rhs, pol)?;
            parts.push(self.compare(*op, &left, &right, left_span, rhs.span, *op_span)?);
            left = right;
            left_span = rhs.span;
        }
        Ok(Value::Bool(Formula::and(parts)))
    }

    /// One comparison `a OP b` (elementwise over tensors, `argmax` against a class).
    pub fn compare(
        &mut self,
        op: CmpOp,
        a: &Value,
        b: &Value,
        ls: Span,
        rs: Span,
        op_span: Span,
    ) -> R<Formula> {
        match (a, b) {
            (Value::Argmax(v), Value::Int(c)) | (Value::Int(c), Value::Argmax(v)) => {
                let c = *c;
                if c < 0 || c as usize >= v.len() {
                    return self.error(
                        Diagnostic::error(
                            "E0204",
                            format!(
                                "class {c} is out of range for a vector of {} scores",
                                v.len()
                            ),
                        )
                        .with_label(
                            if matches!(a, Value::Int(_)) { ls } else { rs },
                            "this class",
                        )
                        .with_help(format!("classes of this network are 0..{}", v.len())),
                    );
                }
                let is_max = Formula::and(
                    (0..v.len())
                        .filter(|j| *j != c as usize)
                        .map(|j| Formula::cmp(Cmp::Lt, v[j].clone(), v[c as usize].clone()))
                        .collect(),
                );
                return match op {
                    CmpOp::Eq => Ok(is_max),
                    CmpOp::Ne => Ok(Formula::negate(is_max)),
                    _ => self.error(
                        Diagnostic::error(
                            "E0305",
                            "`argmax` can only be compared with `==` or `!=`",
                        )
                        .with_label(op_span, "this comparison")
                        .with_help("write `argmax(v) == c` or `argmax(v) != c`"),
                    ),
                };
            }
            (Value::Argmax(_), other) | (other, Value::Argmax(_)) => {
                let span = if matches!(a, Value::Argmax(_)) {
                    rs
                } else {
                    ls
                };
                return self.type_error(other, "a class (an integer)", span);
            }
            (Value::Int(x), Value::Int(y)) => {
                let (x, y) = (*x, *y);
                let v = match op {
                    CmpOp::Le => x <= y,
                    CmpOp::Lt => x < y,
                    CmpOp::Ge => x >= y,
                    CmpOp::Gt => x > y,
                    CmpOp::Eq => x == y,
                    CmpOp::Ne => x != y,
                };
                return Ok(if v { Formula::True } else { Formula::False });
            }
            _ => {}
        }
        let Some((sa, ta)) = a.as_tensor() else {
            return self.type_error(a, "a number or a tensor", ls);
        };
        let Some((sb, tb)) = b.as_tensor() else {
            return self.type_error(b, "a number or a tensor", rs);
        };
        if !(sa == sb || sa.is_empty() || sb.is_empty()) {
            return self.error(
                Diagnostic::error(
                    "E0202",
                    format!(
                        "cannot compare shapes `{}` and `{}`",
                        shape_text(&sa),
                        shape_text(&sb)
                    ),
                )
                .with_label(ls, format!("shape `{}`", shape_text(&sa)))
                .with_secondary(rs, format!("shape `{}`", shape_text(&sb)))
                .with_help("compare tensors of the same shape, or a tensor with a scalar"),
            );
        }
        let n = ta.len().max(tb.len());
        let atom = |x: Term, y: Term| match op {
            CmpOp::Le => Formula::cmp(Cmp::Le, x, y),
            CmpOp::Lt => Formula::cmp(Cmp::Lt, x, y),
            CmpOp::Ge => Formula::cmp(Cmp::Le, y, x),
            CmpOp::Gt => Formula::cmp(Cmp::Lt, y, x),
            CmpOp::Eq | CmpOp::Ne => Formula::cmp(Cmp::Eq, x, y),
        };
        let all = Formula::and(
            (0..n)
                .map(|i| atom(broadcast(&ta, i), broadcast(&tb, i)))
                .collect(),
        );
        Ok(if op == CmpOp::Ne {
            Formula::negate(all)
        } else {
            all
        })
    }

    fn vector(&mut self, elems: &[Expr], span: Span, pol: Polarity) -> R<Value> {
        let mut values = Vec::with_capacity(elems.len());
        let mut failed = false;
        for e in elems {
            match self.expr(e, pol) {
                Ok(v) => values.push((v, e.span)),
                Err(_) => failed = true,
            }
        }
        if failed {
            return Err(Reported);
        }
        let mut inner: Option<Vec<usize>> = None;
        let mut out = Vec::new();
        for (v, s) in values {
            let Some((shape, ts)) = v.as_tensor() else {
                return self.type_error(&v, "a number or a tensor", s);
            };
            match &inner {
                None => inner = Some(shape),
                Some(prev) if *prev != shape => {
                    return self.error(
                        Diagnostic::error(
                            "E0202",
                            "the elements of a vector literal have different shapes",
                        )
                        .with_label(s, format!("shape `{}`", shape_text(&shape)))
                        .with_secondary(
                            span,
                            format!("earlier elements have shape `{}`", shape_text(prev)),
                        )
                        .with_help("give every element the same shape"),
                    );
                }
                Some(_) => {}
            }
            out.extend(ts);
        }
        let mut shape = vec![elems.len()];
        shape.extend(inner.unwrap_or_default());
        Ok(Value::Tensor(shape, out))
    }

    fn index(
        &mut self,
        base: Value,
        indices: &[IndexArg],
        base_span: Span,
        span: Span,
    ) -> R<Value> {
        let (mut shape, mut elems) = match base {
            Value::Tensor(s, e) => (s, e),
            other => return self.type_error(&other, "a tensor to index", base_span),
        };
        // Each index consumes the leading dimension; a slice keeps it.
        let mut kept: Vec<usize> = Vec::new();
        let mut axis_sel: Vec<Vec<usize>> = Vec::new();
        for (axis, ix) in indices.iter().enumerate() {
            if axis >= shape.len() {
                return self.error(
                    Diagnostic::error(
                        "E0204",
                        format!(
                            "too many indices for a tensor of shape `{}`",
                            shape_text(&shape)
                        ),
                    )
                    .with_label(span, format!("{} indices", indices.len()))
                    .with_help(format!("this tensor has {} dimension(s)", shape.len())),
                );
            }
            let dim = shape[axis];
            match ix {
                IndexArg::At(e) => {
                    let i = self.int(e)?;
                    if i < 0 || i as usize >= dim {
                        return self.error(
                            Diagnostic::error(
                                "E0204",
                                format!("index {i} is out of range for dimension of size {dim}"),
                            )
                            .with_label(e.span, format!("valid indices are 0..{dim}"))
                            .with_help(format!(
                                "use an index between 0 and {}",
                                dim.saturating_sub(1)
                            )),
                        );
                    }
                    axis_sel.push(vec![i as usize]);
                }
                IndexArg::Slice(a, b) => {
                    let lo = self.int(a)?;
                    let hi = self.int(b)?;
                    if lo < 0 || hi < lo || hi as usize > dim {
                        return self.error(
                            Diagnostic::error(
                                "E0204",
                                format!(
                                    "slice {lo}..{hi} is out of range for dimension of size {dim}"
                                ),
                            )
                            .with_label(a.span.to(b.span), "this slice")
                            .with_help(format!("a slice `a..b` needs 0 <= a <= b <= {dim}")),
                        );
                    }
                    kept.push(axis);
                    axis_sel.push((lo as usize..hi as usize).collect());
                }
            }
        }
        // Gather.
        let rest: Vec<usize> = shape[indices.len()..].to_vec();
        let rest_size: usize = rest.iter().product();
        let strides: Vec<usize> = (0..shape.len())
            .map(|a| shape[a + 1..].iter().product())
            .collect();
        let mut out = Vec::new();
        let mut counters = vec![0usize; axis_sel.len()];
        'outer: loop {
            let mut offset = 0;
            for (a, c) in counters.iter().enumerate() {
                offset += axis_sel[a][*c] * strides[a];
            }
            out.extend_from_slice(&elems[offset..offset + rest_size]);
            for a in (0..counters.len()).rev() {
                counters[a] += 1;
                if counters[a] < axis_sel[a].len() {
                    continue 'outer;
                }
                counters[a] = 0;
            }
            break;
        }
        let mut new_shape: Vec<usize> = kept.iter().map(|a| axis_sel[*a].len()).collect();
        new_shape.extend(rest);
        shape = new_shape;
        elems = out;
        Ok(tensor_value(shape, elems))
    }

    /// Allocates scalar variables for a quantified variable over a domain.
    pub fn bind_continuous(&mut self, name: &str, d: &Domain) -> Value {
        let n: usize = d.shape.iter().product();
        let start = self.state.vars.len();
        for i in 0..n {
            let label = if d.shape.is_empty() {
                name.to_string()
            } else {
                format!("{name}[{i}]")
            };
            self.state.vars.push(ir::Var {
                name: label,
                lo: d.lo[i],
                hi: d.hi[i],
            });
        }
        let ids: Vec<usize> = (start..start + n).collect();
        self.state
            .inputs
            .push((name.to_string(), d.shape.clone(), ids.clone()));
        tensor_value(
            d.shape.clone(),
            ids.into_iter().map(|i| Term::Ref(Ref::Var(i))).collect(),
        )
    }

    /// The extra constraint of a domain on a variable's terms (an L1 ball).
    pub fn domain_constraint(d: &Domain, v: &Value) -> Formula {
        let Some((center, radius)) = &d.l1_ball else {
            return Formula::True;
        };
        let Some((_, terms)) = v.as_tensor() else {
            return Formula::True;
        };
        let sum = terms
            .iter()
            .zip(center)
            .map(|(t, c)| Term::Abs(Box::new(Term::minus(t.clone(), Term::Const(*c)))))
            .reduce(Term::plus)
            .unwrap_or(Term::Const(0.0));
        Formula::cmp(Cmp::Le, sum, Term::Const(*radius))
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors the fields of the quantifier node"
    )]
    fn quant(
        &mut self,
        q: Quantifier,
        binders: &[propc_syntax::ast::Ident],
        domain: &Expr,
        condition: Option<&Expr>,
        body: &Expr,
        span: Span,
        pol: Polarity,
    ) -> R<Value> {
        let dom = self.expr(domain, Polarity::Positive)?;
        // Finite quantifiers: a range or a vector of integers.
        let finite: Option<Vec<i64>> = match &dom {
            Value::Range(a, b) => {
                if b - a > MAX_FINITE {
                    return self.error(
                        Diagnostic::error(
                            "E0303",
                            format!("this finite quantifier would expand to {} instances", b - a),
                        )
                        .with_label(domain.span, "too large")
                        .with_help(format!(
                            "finite quantifiers expand to at most {MAX_FINITE} instances"
                        )),
                    );
                }
                Some((*a..*b).collect())
            }
            Value::Tensor(s, ts)
                if s.len() == 1
                    && ts
                        .iter()
                        .all(|t| t.constant().is_some_and(|c| c == c.trunc())) =>
            {
                Some(
                    ts.iter()
                        .filter_map(|t| t.constant())
                        .map(|c| c as i64)
                        .collect(),
                )
            }
            _ => None,
        };
        if let Some(values) = finite {
            return self.finite_quant(q, binders, &values, condition, body, pol);
        }
        let d = match dom {
            Value::Domain(d) => d,
            other => {
                return self.error(
                    Diagnostic::error(
                        "E0303",
                        format!(
                            "a quantifier needs a bounded domain, found {}",
                            other.describe()
                        ),
                    )
                    .with_label(domain.span, "not a domain")
                    .with_help(
                        "quantify over `box(lo, hi)`, `ball(center, radius)`, or a range `a..b`",
                    ),
                );
            }
        };
        let allowed = matches!(
            (q, pol),
            (Quantifier::Forall, Polarity::Positive) | (Quantifier::Exists, Polarity::Negative)
        );
        if !allowed {
            let (word, why) = match q {
                Quantifier::Exists => (
                    "exists",
                    "an `exists` in a property would need a search for a witness at every point",
                ),
                Quantifier::Forall => (
                    "forall",
                    "a `forall` in a premise (or under `not`) would need a proof inside the counterexample search",
                ),
            };
            return self.error(
                Diagnostic::error("E0302", format!("`{word}` is not supported in this position"))
                    .with_label(span, "quantifier alternation")
                    .with_note(why)
                    .with_help("state the property with `forall` at the top, or ask a `query` for the best value instead"),
            );
        }
        let mark = self.locals.len();
        let mut extra = Vec::new();
        for b in binders {
            let v = self.bind_continuous(&b.name, &d);
            extra.push(Self::domain_constraint(&d, &v));
            self.locals.push((b.name.clone(), v));
        }
        let result = (|| {
            let cond = match condition {
                Some(c) => {
                    let p = if q == Quantifier::Forall {
                        pol.flip()
                    } else {
                        pol
                    };
                    self.formula(c, p)?
                }
                None => Formula::True,
            };
            extra.push(cond);
            let body = self.formula(body, pol)?;
            Ok(match q {
                Quantifier::Forall => Formula::implies(Formula::and(extra), body),
                Quantifier::Exists => {
                    extra.push(body);
                    Formula::and(extra)
                }
            })
        })();
        self.locals.truncate(mark);
        result.map(Value::Bool)
    }

    fn finite_quant(
        &mut self,
        q: Quantifier,
        binders: &[propc_syntax::ast::Ident],
        values: &[i64],
        condition: Option<&Expr>,
        body: &Expr,
        pol: Polarity,
    ) -> R<Value> {
        // Several binders: the product of the ranges.
        let mut parts = Vec::new();
        let mut counters = vec![0usize; binders.len()];
        if values.is_empty() {
            return Ok(Value::Bool(if q == Quantifier::Forall {
                Formula::True
            } else {
                Formula::False
            }));
        }
        loop {
            let mark = self.locals.len();
            for (b, c) in binders.iter().zip(&counters) {
                self.locals.push((b.name.clone(), Value::Int(values[*c])));
            }
            let keep = match condition {
                Some(c) => match self.expr(c, pol) {
                    Ok(Value::Bool(Formula::True)) => true,
                    Ok(Value::Bool(Formula::False)) => false,
                    Ok(_) => {
                        self.locals.truncate(mark);
                        return self.error(
                            Diagnostic::error("E0205", "the condition of a finite quantifier must be known before verification")
                                .with_label(c.span, "depends on a quantified variable")
                                .with_help("filter the index with conditions on integers only, like `j != c`"),
                        );
                    }
                    Err(r) => {
                        self.locals.truncate(mark);
                        return Err(r);
                    }
                },
                None => true,
            };
            if keep {
                let f = self.formula(body, pol);
                match f {
                    Ok(f) => parts.push(f),
                    Err(r) => {
                        self.locals.truncate(mark);
                        return Err(r);
                    }
                }
            }
            self.locals.truncate(mark);
            let mut k = counters.len();
            loop {
                if k == 0 {
                    let f = if q == Quantifier::Forall {
                        Formula::and(parts)
                    } else {
                        Formula::or(parts)
                    };
                    return Ok(Value::Bool(f));
                }
                k -= 1;
                counters[k] += 1;
                if counters[k] < values.len() {
                    break;
                }
                counters[k] = 0;
            }
        }
    }

    /// Calls of networks, `def`s and builtins.
    fn call(
        &mut self,
        callee: &propc_syntax::ast::Ident,
        args: &[propc_syntax::ast::Arg],
        span: Span,
        pol: Polarity,
    ) -> R<Value> {
        let target = match self.lookup_local(&callee.name) {
            Some(v) => Some(v),
            None => self.global(&callee.name, callee.span)?,
        };
        match target {
            Some(Value::Network(n)) => self.apply_network(n, callee, args, span, pol),
            Some(Value::Def(name)) => types::call_def(self, &name, callee, args, span, pol),
            Some(other) => self.error(
                Diagnostic::error(
                    "E0201",
                    format!("`{}` is {}, not a function", callee.name, other.describe()),
                )
                .with_label(callee.span, "called here")
                .with_help("only networks, `def`s and builtins can be called"),
            ),
            None if builtins::NAMES.contains(&callee.name.as_str()) => {
                builtins::call(self, callee, args, span, pol)
            }
            None => Err(self.unknown_name(&callee.name, callee.span)),
        }
    }

    fn apply_network(
        &mut self,
        n: usize,
        callee: &propc_syntax::ast::Ident,
        args: &[propc_syntax::ast::Arg],
        span: Span,
        pol: Polarity,
    ) -> R<Value> {
        let sig = self.networks[n].clone();
        if args.len() != 1 {
            return self.error(
                Diagnostic::error(
                    "E0203",
                    format!(
                        "network `{}` takes one input, {} given",
                        callee.name,
                        args.len()
                    ),
                )
                .with_label(span, "this application")
                .with_help("pass one tensor; use `concat(a, b)` to join several"),
            );
        }
        let arg = args[0].expr();
        let v = self.expr(arg, pol)?;
        let Some((shape, terms)) = v.as_tensor() else {
            return self.type_error(
                &v,
                &format!("a tensor `Real{}`", shape_text(&sig.input)),
                arg.span,
            );
        };
        let same = shape == sig.input
            || (shape.iter().product::<usize>() == sig.input_size()
                && squeeze(&shape) == squeeze(&sig.input));
        if !same {
            return self.error(
                Diagnostic::error(
                    "E0202",
                    format!(
                        "network `{}` takes `Real{}`, found `Real{}`",
                        callee.name,
                        shape_text(&sig.input),
                        shape_text(&shape)
                    ),
                )
                .with_label(arg.span, format!("shape `{}`", shape_text(&shape)))
                .with_help(format!(
                    "pass a tensor of shape `{}`",
                    shape_text(&sig.input)
                )),
            );
        }
        if terms.iter().any(|t| !t.is_affine()) {
            return self.error(
                Diagnostic::error("E0301", "the input of a network must be linear in the quantified variables")
                    .with_label(arg.span, "contains `abs`, `min` or `max`")
                    .with_help("apply networks to affine expressions such as `x`, `(x + y) / 2` or `concat(a, b)`"),
            );
        }
        let app = match self
            .state
            .applications
            .iter()
            .position(|(m, t)| *m == n && *t == terms)
        {
            Some(i) => i,
            None => {
                self.state.applications.push((n, terms));
                self.state.applications.len() - 1
            }
        };
        let outs: Vec<Term> = (0..sig.output_size())
            .map(|index| Term::Ref(Ref::Out { app, index }))
            .collect();
        Ok(tensor_value(sig.output.clone(), outs))
    }

    pub fn push_call(&mut self, name: &str, span: Span) -> R<()> {
        if self.call_stack.len() >= MAX_CALL_DEPTH {
            return self.error(
                Diagnostic::error("E0104", format!("`{name}` calls itself too deeply"))
                    .with_label(span, "this call")
                    .with_help("a `def` cannot be recursive"),
            );
        }
        self.call_stack.push((name.to_string(), span));
        Ok(())
    }

    pub fn pop_call(&mut self) {
        self.call_stack.pop();
    }
}

/// A shape without its size-1 dimensions (`[1, 784, 1]` → `[784]`).
pub fn squeeze(shape: &[usize]) -> Vec<usize> {
    shape.iter().copied().filter(|d| *d != 1).collect()
}

pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
