//! Scalar symbolic terms and formulas: what elaboration produces and normalization reads.
//!
//! Takes: nothing (data only); built by `elab` from the checked AST.
//! Gives: [`Term`] (real-valued, over scalar variables and network outputs) and
//! [`Formula`] (boolean), both evaluable at a concrete point, so every rewrite of
//! normalization can be cross-checked against this meaning.
//! Invariant: terms are linear except for `Abs`, `Max` and `Min` (products of two
//! non-constant terms are rejected during elaboration); quantifiers are gone: the
//! quantified variables are free variables of the formula (all existential in the
//! counterexample query).

use crate::ir::Ref;

#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Const(f64),
    Ref(Ref),
    Add(Box<Term>, Box<Term>),
    /// `k * t`
    Scale(f64, Box<Term>),
    Abs(Box<Term>),
    Max(Box<Term>, Box<Term>),
    Min(Box<Term>, Box<Term>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Le,
    Lt,
    Eq,
    Ne,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Formula {
    True,
    False,
    /// `lhs CMP rhs`
    Cmp(Cmp, Term, Term),
    And(Vec<Formula>),
    Or(Vec<Formula>),
    Not(Box<Formula>),
    Implies(Box<Formula>, Box<Formula>),
    Iff(Box<Formula>, Box<Formula>),
}

impl Term {
    pub fn constant(&self) -> Option<f64> {
        match self {
            Term::Const(c) => Some(*c),
            _ => None,
        }
    }

    pub fn plus(a: Term, b: Term) -> Term {
        match (&a, &b) {
            (Term::Const(x), Term::Const(y)) => Term::Const(x + y),
            (Term::Const(x), _) if *x == 0.0 => b,
            (_, Term::Const(y)) if *y == 0.0 => a,
            _ => Term::Add(Box::new(a), Box::new(b)),
        }
    }

    pub fn scale(k: f64, t: Term) -> Term {
        match t {
            Term::Const(c) => Term::Const(k * c),
            _ if k == 1.0 => t,
            Term::Scale(k2, inner) => Term::scale(k * k2, *inner),
            _ => Term::Scale(k, Box::new(t)),
        }
    }

    pub fn minus(a: Term, b: Term) -> Term {
        Term::plus(a, Term::scale(-1.0, b))
    }

    /// Whether the term is affine (no abs/max/min).
    pub fn is_affine(&self) -> bool {
        match self {
            Term::Const(_) | Term::Ref(_) => true,
            Term::Add(a, b) => a.is_affine() && b.is_affine(),
            Term::Scale(_, t) => t.is_affine(),
            Term::Abs(_) | Term::Max(..) | Term::Min(..) => false,
        }
    }

    /// Value at a point (`vars`, and `outputs[app][index]`).
    pub fn eval(&self, vars: &[f64], outputs: &[Vec<f64>]) -> f64 {
        match self {
            Term::Const(c) => *c,
            Term::Ref(Ref::Var(i)) => vars[*i],
            Term::Ref(Ref::Out { app, index }) => outputs[*app][*index],
            Term::Add(a, b) => a.eval(vars, outputs) + b.eval(vars, outputs),
            Term::Scale(k, t) => k * t.eval(vars, outputs),
            Term::Abs(t) => t.eval(vars, outputs).abs(),
            Term::Max(a, b) => a.eval(vars, outputs).max(b.eval(vars, outputs)),
            Term::Min(a, b) => a.eval(vars, outputs).min(b.eval(vars, outputs)),
        }
    }
}

impl Formula {
    pub fn and(parts: Vec<Formula>) -> Formula {
        let mut out = Vec::new();
        for p in parts {
            match p {
                Formula::True => {}
                Formula::False => return Formula::False,
                Formula::And(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Formula::True,
            1 => out.pop().unwrap_or(Formula::True),
            _ => Formula::And(out),
        }
    }

    pub fn or(parts: Vec<Formula>) -> Formula {
        let mut out = Vec::new();
        for p in parts {
            match p {
                Formula::False => {}
                Formula::True => return Formula::True,
                Formula::Or(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Formula::False,
            1 => out.pop().unwrap_or(Formula::False),
            _ => Formula::Or(out),
        }
    }

    pub fn negate(f: Formula) -> Formula {
        match f {
            Formula::True => Formula::False,
            Formula::False => Formula::True,
            Formula::Not(inner) => *inner,
            other => Formula::Not(Box::new(other)),
        }
    }

    pub fn implies(a: Formula, b: Formula) -> Formula {
        match (&a, &b) {
            (Formula::True, _) => b,
            (Formula::False, _) | (_, Formula::True) => Formula::True,
            _ => Formula::Implies(Box::new(a), Box::new(b)),
        }
    }

    /// `lhs CMP rhs`, folded when both sides are constants.
    pub fn cmp(op: Cmp, lhs: Term, rhs: Term) -> Formula {
        if let (Some(a), Some(b)) = (lhs.constant(), rhs.constant()) {
            let v = match op {
                Cmp::Le => a <= b,
                Cmp::Lt => a < b,
                Cmp::Eq => a == b,
                Cmp::Ne => a != b,
            };
            return if v { Formula::True } else { Formula::False };
        }
        Formula::Cmp(op, lhs, rhs)
    }

    /// Truth value at a point.
    pub fn eval(&self, vars: &[f64], outputs: &[Vec<f64>]) -> bool {
        match self {
            Formula::True => true,
            Formula::False => false,
            Formula::Cmp(op, a, b) => {
                let (a, b) = (a.eval(vars, outputs), b.eval(vars, outputs));
                match op {
                    Cmp::Le => a <= b,
                    Cmp::Lt => a < b,
                    Cmp::Eq => a == b,
                    Cmp::Ne => a != b,
                }
            }
            Formula::And(ps) => ps.iter().all(|p| p.eval(vars, outputs)),
            Formula::Or(ps) => ps.iter().any(|p| p.eval(vars, outputs)),
            Formula::Not(p) => !p.eval(vars, outputs),
            Formula::Implies(a, b) => !a.eval(vars, outputs) || b.eval(vars, outputs),
            Formula::Iff(a, b) => a.eval(vars, outputs) == b.eval(vars, outputs),
        }
    }
}
