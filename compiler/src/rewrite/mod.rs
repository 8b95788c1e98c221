//! Normalization of scalar formulas and objectives by equality saturation (egg).
//!
//! Takes: a [`Formula`] (or an objective [`Term`]) from elaboration.
//! Gives: an equivalent formula in negation normal form whose atoms are comparisons of
//! affine terms (no `=>`, `<=>`, `not`, `!=`, `abs`, `max`, `min`), or an objective that
//! is a `max` (for maximize) / `min` (for minimize) of affine terms.
//! Invariant: every rule is an equivalence (checked by the family tests, which evaluate
//! before and after on random points); extraction only chooses among equivalent forms,
//! so normalization never changes the meaning of a property.
//!
//! Rules live in tables by family: [`logic`], [`compare`], [`norms`], [`arith`]; each
//! rule is named `family/what`.

pub mod arith;
pub mod compare;
pub mod logic;
pub mod norms;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::time::Duration;

use egg::{
    Analysis, CostFunction, DidMerge, EGraph, Extractor, Id, Language, RecExpr, Rewrite, Runner,
    Symbol, define_language,
};

use crate::formula::{Cmp, Formula, Term};
use crate::ir::Ref;

/// An f64 usable as an e-graph leaf (total order, `-0` normalized to `0`).
#[derive(Clone, Copy, Debug)]
pub struct Num(pub f64);

impl PartialEq for Num {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0) == Ordering::Equal
    }
}
impl Eq for Num {}
impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}
impl Hash for Num {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state)
    }
}
impl FromStr for Num {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let v: f64 = s.parse().map_err(|_| ())?;
        Ok(Num::new(v))
    }
}
impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl Num {
    pub fn new(v: f64) -> Num {
        Num(if v == 0.0 { 0.0 } else { v })
    }
}

define_language! {
    /// Scalar formulas and terms. `(* k t)` always has a constant `k`.
    pub enum Prop {
        "true" = True,
        "false" = False,
        "+" = Add([Id; 2]),
        "*" = Scale([Id; 2]),
        "abs" = Abs(Id),
        "max" = Max([Id; 2]),
        "min" = Min([Id; 2]),
        "<=" = Le([Id; 2]),
        "<" = Lt([Id; 2]),
        "==" = Eq([Id; 2]),
        "!=" = Ne([Id; 2]),
        "and" = And([Id; 2]),
        "or" = Or([Id; 2]),
        "not" = Not(Id),
        "=>" = Implies([Id; 2]),
        "<=>" = Iff([Id; 2]),
        Num(Num),
        Leaf(Symbol),
    }
}

/// A constant an e-class is known to equal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Constant {
    Real(f64),
    Bool(bool),
}

/// Constant folding: every e-class that is provably a constant gets that constant as a
/// node, so rules such as `logic/and-false` fire on folded comparisons.
#[derive(Default)]
pub struct Folding;

impl Analysis<Prop> for Folding {
    type Data = Option<Constant>;

    fn merge(&mut self, to: &mut Self::Data, from: Self::Data) -> DidMerge {
        match (to.as_ref(), from) {
            (None, Some(f)) => {
                *to = Some(f);
                DidMerge(true, false)
            }
            (Some(_), None) => DidMerge(false, true),
            _ => DidMerge(false, false),
        }
    }

    fn make(egraph: &mut EGraph<Prop, Self>, enode: &Prop, _id: Id) -> Self::Data {
        let real = |i: &Id| match egraph[*i].data {
            Some(Constant::Real(v)) => Some(v),
            _ => None,
        };
        let boolean = |i: &Id| match egraph[*i].data {
            Some(Constant::Bool(v)) => Some(v),
            _ => None,
        };
        use Constant::{Bool, Real};
        Some(match enode {
            Prop::Num(n) => Real(n.0),
            Prop::True => Bool(true),
            Prop::False => Bool(false),
            Prop::Add([a, b]) => Real(real(a)? + real(b)?),
            Prop::Scale([k, t]) => {
                let k = real(k)?;
                if k == 0.0 {
                    Real(0.0)
                } else {
                    Real(k * real(t)?)
                }
            }
            Prop::Abs(a) => Real(real(a)?.abs()),
            Prop::Max([a, b]) => Real(real(a)?.max(real(b)?)),
            Prop::Min([a, b]) => Real(real(a)?.min(real(b)?)),
            Prop::Le([a, b]) => Bool(real(a)? <= real(b)?),
            Prop::Lt([a, b]) => Bool(real(a)? < real(b)?),
            Prop::Eq([a, b]) => Bool(real(a)? == real(b)?),
            Prop::Ne([a, b]) => Bool(real(a)? != real(b)?),
            Prop::And([a, b]) => match (boolean(a), boolean(b)) {
                (Some(false), _) | (_, Some(false)) => Bool(false),
                (Some(true), Some(true)) => Bool(true),
                _ => return None,
            },
            Prop::Or([a, b]) => match (boolean(a), boolean(b)) {
                (Some(true), _) | (_, Some(true)) => Bool(true),
                (Some(false), Some(false)) => Bool(false),
                _ => return None,
            },
            Prop::Not(a) => Bool(!boolean(a)?),
            Prop::Implies([a, b]) => match (boolean(a), boolean(b)) {
                (Some(false), _) | (_, Some(true)) => Bool(true),
                (Some(true), Some(false)) => Bool(false),
                _ => return None,
            },
            Prop::Iff([a, b]) => Bool(boolean(a)? == boolean(b)?),
            Prop::Leaf(_) => return None,
        })
    }

    fn modify(egraph: &mut EGraph<Prop, Self>, id: Id) {
        if let Some(c) = egraph[id].data {
            let node = match c {
                Constant::Real(v) if v.is_finite() => Prop::Num(Num::new(v)),
                Constant::Real(_) => return,
                Constant::Bool(true) => Prop::True,
                Constant::Bool(false) => Prop::False,
            };
            let added = egraph.add(node);
            egraph.union(id, added);
        }
    }
}

pub type PropRewrite = Rewrite<Prop, Folding>;

/// Every rule, family by family.
pub fn all_rules() -> Vec<PropRewrite> {
    let mut rules = logic::rules();
    rules.extend(compare::rules());
    rules.extend(norms::rules());
    rules.extend(arith::rules());
    rules
}

/// What the extracted form may contain at its root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A formula in NNF over affine comparisons.
    Formula,
    /// `max` of affine terms (for maximize).
    MaxOfAffine,
    /// `min` of affine terms (for minimize).
    MinOfAffine,
}

/// Extraction cost: first the number of forbidden constructs, then size.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub struct NormalCost {
    pub forbidden: u64,
    pub size: u64,
    has_max: bool,
    has_min: bool,
}

struct NormalFormCost;

impl CostFunction<Prop> for NormalFormCost {
    type Cost = NormalCost;

    fn cost<C>(&mut self, enode: &Prop, mut costs: C) -> NormalCost
    where
        C: FnMut(Id) -> NormalCost,
    {
        let mut forbidden = 0u64;
        let mut size = 1u64;
        let mut has_max = false;
        let mut has_min = false;
        let mut child_max = false;
        let mut child_min = false;
        for c in enode.children() {
            let cc = costs(*c);
            forbidden = forbidden.saturating_add(cc.forbidden);
            size = size.saturating_add(cc.size);
            child_max |= cc.has_max;
            child_min |= cc.has_min;
        }
        match enode {
            Prop::Max(_) => {
                has_max = true;
                has_min = child_min;
                forbidden += u64::from(child_min);
            }
            Prop::Min(_) => {
                has_min = true;
                has_max = child_max;
                forbidden += u64::from(child_max);
            }
            Prop::Add(_) | Prop::Scale(_) | Prop::Le(_) | Prop::Lt(_) | Prop::Eq(_) => {
                forbidden += u64::from(child_max || child_min);
            }
            Prop::Abs(_) | Prop::Not(_) | Prop::Ne(_) | Prop::Implies(_) | Prop::Iff(_) => {
                forbidden += 1
            }
            Prop::And(_) | Prop::Or(_) => {
                has_max = child_max;
                has_min = child_min;
            }
            Prop::True | Prop::False | Prop::Num(_) | Prop::Leaf(_) => {}
        }
        NormalCost {
            forbidden,
            size,
            has_max,
            has_min,
        }
    }
}

/// Normalization ran out of its budget or the result still has forbidden constructs.
#[derive(Clone, Debug, PartialEq)]
pub struct NormalizeError {
    pub message: String,
}

fn leaf_name(r: Ref) -> String {
    match r {
        Ref::Var(i) => format!("v{i}"),
        Ref::Out { app, index } => format!("o{app}_{index}"),
    }
}

fn parse_leaf(s: &str) -> Option<Ref> {
    if let Some(rest) = s.strip_prefix('v') {
        return rest.parse().ok().map(Ref::Var);
    }
    let rest = s.strip_prefix('o')?;
    let (a, i) = rest.split_once('_')?;
    Some(Ref::Out {
        app: a.parse().ok()?,
        index: i.parse().ok()?,
    })
}

/// Adds a term to a RecExpr.
pub fn add_term(expr: &mut RecExpr<Prop>, t: &Term) -> Id {
    match t {
        Term::Const(c) => expr.add(Prop::Num(Num::new(*c))),
        Term::Ref(r) => expr.add(Prop::Leaf(Symbol::from(leaf_name(*r)))),
        Term::Add(a, b) => {
            let a = add_term(expr, a);
            let b = add_term(expr, b);
            expr.add(Prop::Add([a, b]))
        }
        Term::Scale(k, t) => {
            let k = expr.add(Prop::Num(Num::new(*k)));
            let t = add_term(expr, t);
            expr.add(Prop::Scale([k, t]))
        }
        Term::Abs(a) => {
            let a = add_term(expr, a);
            expr.add(Prop::Abs(a))
        }
        Term::Max(a, b) => {
            let a = add_term(expr, a);
            let b = add_term(expr, b);
            expr.add(Prop::Max([a, b]))
        }
        Term::Min(a, b) => {
            let a = add_term(expr, a);
            let b = add_term(expr, b);
            expr.add(Prop::Min([a, b]))
        }
    }
}

fn fold_binary(
    expr: &mut RecExpr<Prop>,
    ids: Vec<Id>,
    empty: Prop,
    make: fn([Id; 2]) -> Prop,
) -> Id {
    let mut it = ids.into_iter();
    match it.next() {
        None => expr.add(empty),
        Some(first) => it.fold(first, |acc, x| expr.add(make([acc, x]))),
    }
}

/// Adds a formula to a RecExpr.
pub fn add_formula(expr: &mut RecExpr<Prop>, f: &Formula) -> Id {
    match f {
        Formula::True => expr.add(Prop::True),
        Formula::False => expr.add(Prop::False),
        Formula::Cmp(op, a, b) => {
            let a = add_term(expr, a);
            let b = add_term(expr, b);
            expr.add(match op {
                Cmp::Le => Prop::Le([a, b]),
                Cmp::Lt => Prop::Lt([a, b]),
                Cmp::Eq => Prop::Eq([a, b]),
                Cmp::Ne => Prop::Ne([a, b]),
            })
        }
        Formula::And(ps) => {
            let ids = ps.iter().map(|p| add_formula(expr, p)).collect();
            fold_binary(expr, ids, Prop::True, Prop::And)
        }
        Formula::Or(ps) => {
            let ids = ps.iter().map(|p| add_formula(expr, p)).collect();
            fold_binary(expr, ids, Prop::False, Prop::Or)
        }
        Formula::Not(p) => {
            let p = add_formula(expr, p);
            expr.add(Prop::Not(p))
        }
        Formula::Implies(a, b) => {
            let a = add_formula(expr, a);
            let b = add_formula(expr, b);
            expr.add(Prop::Implies([a, b]))
        }
        Formula::Iff(a, b) => {
            let a = add_formula(expr, a);
            let b = add_formula(expr, b);
            expr.add(Prop::Iff([a, b]))
        }
    }
}

fn read_term(expr: &RecExpr<Prop>, id: Id) -> Result<Term, NormalizeError> {
    let bad = |what: &str| NormalizeError {
        message: format!("unexpected `{what}` in a term"),
    };
    Ok(match &expr[id] {
        Prop::Num(n) => Term::Const(n.0),
        Prop::Leaf(s) => Term::Ref(parse_leaf(s.as_str()).ok_or_else(|| bad(s.as_str()))?),
        Prop::Add([a, b]) => Term::plus(read_term(expr, *a)?, read_term(expr, *b)?),
        Prop::Scale([k, t]) => {
            let Term::Const(k) = read_term(expr, *k)? else {
                return Err(bad("*"));
            };
            Term::scale(k, read_term(expr, *t)?)
        }
        Prop::Abs(a) => Term::Abs(Box::new(read_term(expr, *a)?)),
        Prop::Max([a, b]) => Term::Max(
            Box::new(read_term(expr, *a)?),
            Box::new(read_term(expr, *b)?),
        ),
        Prop::Min([a, b]) => Term::Min(
            Box::new(read_term(expr, *a)?),
            Box::new(read_term(expr, *b)?),
        ),
        other => return Err(bad(&other.to_string())),
    })
}

fn read_formula(expr: &RecExpr<Prop>, id: Id) -> Result<Formula, NormalizeError> {
    Ok(match &expr[id] {
        Prop::True => Formula::True,
        Prop::False => Formula::False,
        Prop::Le([a, b]) => Formula::Cmp(Cmp::Le, read_term(expr, *a)?, read_term(expr, *b)?),
        Prop::Lt([a, b]) => Formula::Cmp(Cmp::Lt, read_term(expr, *a)?, read_term(expr, *b)?),
        Prop::Eq([a, b]) => Formula::Cmp(Cmp::Eq, read_term(expr, *a)?, read_term(expr, *b)?),
        Prop::Ne([a, b]) => Formula::Cmp(Cmp::Ne, read_term(expr, *a)?, read_term(expr, *b)?),
        Prop::And([a, b]) => Formula::and(vec![read_formula(expr, *a)?, read_formula(expr, *b)?]),
        Prop::Or([a, b]) => Formula::or(vec![read_formula(expr, *a)?, read_formula(expr, *b)?]),
        Prop::Not(a) => Formula::Not(Box::new(read_formula(expr, *a)?)),
        Prop::Implies([a, b]) => Formula::Implies(
            Box::new(read_formula(expr, *a)?),
            Box::new(read_formula(expr, *b)?),
        ),
        Prop::Iff([a, b]) => Formula::Iff(
            Box::new(read_formula(expr, *a)?),
            Box::new(read_formula(expr, *b)?),
        ),
        other => {
            return Err(NormalizeError {
                message: format!("unexpected `{other}` where a formula was expected"),
            });
        }
    })
}

/// Budget of one saturation run.
const NODE_LIMIT: usize = 200_000;
const ITER_LIMIT: usize = 60;
const TIME_LIMIT: Duration = Duration::from_secs(10);

fn saturate(expr: &RecExpr<Prop>, rules: &[PropRewrite]) -> (RecExpr<Prop>, NormalCost) {
    let runner = Runner::<Prop, Folding, ()>::default()
        .with_node_limit(NODE_LIMIT)
        .with_iter_limit(ITER_LIMIT)
        .with_time_limit(TIME_LIMIT)
        .with_expr(expr)
        .run(rules);
    let root = runner.roots[0];
    let extractor = Extractor::new(&runner.egraph, NormalFormCost);
    let (cost, best) = extractor.find_best(root);
    (best, cost)
}

/// Normalizes a formula into NNF over affine comparisons.
pub fn normalize_formula(f: &Formula) -> Result<Formula, NormalizeError> {
    let mut expr = RecExpr::default();
    let root = add_formula(&mut expr, f);
    let _ = root;
    let (best, cost) = saturate(&expr, &all_rules());
    if cost.forbidden > 0 || cost.has_max || cost.has_min {
        return Err(NormalizeError {
            message: "the formula has too many `abs`/`max`/`min` cases to eliminate".to_string(),
        });
    }
    let root = Id::from(best.as_ref().len() - 1);
    read_formula(&best, root)
}

/// Normalizes an objective into a list of affine pieces whose max (or min) it is.
pub fn normalize_objective(t: &Term, target: Target) -> Result<Vec<Term>, NormalizeError> {
    let mut expr = RecExpr::default();
    add_term(&mut expr, t);
    let (best, cost) = saturate(&expr, &all_rules());
    let ok = cost.forbidden == 0
        && match target {
            Target::MaxOfAffine => !cost.has_min,
            Target::MinOfAffine => !cost.has_max,
            Target::Formula => !cost.has_max && !cost.has_min,
        };
    if !ok {
        let msg = match target {
            Target::MaxOfAffine => {
                "a maximized objective must be a maximum of linear pieces (convex)"
            }
            Target::MinOfAffine => {
                "a minimized objective must be a minimum of linear pieces (concave)"
            }
            Target::Formula => "the objective could not be made linear",
        };
        return Err(NormalizeError {
            message: msg.to_string(),
        });
    }
    let root = Id::from(best.as_ref().len() - 1);
    let term = read_term(&best, root)?;
    let mut pieces = Vec::new();
    split_pieces(term, &mut pieces);
    Ok(pieces)
}

fn split_pieces(t: Term, out: &mut Vec<Term>) {
    match t {
        Term::Max(a, b) | Term::Min(a, b) => {
            split_pieces(*a, out);
            split_pieces(*b, out);
        }
        other => out.push(other),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers for the family tests: a rule set must turn `before` into `after`
    //! (compared after extraction), and both must agree on random points.
    use super::*;

    /// Runs only the given rules and returns the extracted normal form as text.
    pub fn normal_text(src: &str, rules: &[PropRewrite]) -> String {
        let expr: RecExpr<Prop> = src.parse().expect("test expression parses");
        let (best, _) = saturate(&expr, rules);
        best.to_string()
    }

    /// Evaluates a formula or term in s-expression form at a point (`v0`, `v1`, ...).
    pub fn eval_text(src: &str, point: &[f64]) -> Constant {
        let expr: RecExpr<Prop> = src.parse().expect("test expression parses");
        eval_id(&expr, Id::from(expr.as_ref().len() - 1), point)
    }

    fn eval_id(expr: &RecExpr<Prop>, id: Id, point: &[f64]) -> Constant {
        use Constant::{Bool, Real};
        let r = |i: &Id| match eval_id(expr, *i, point) {
            Real(v) => v,
            Bool(_) => panic!("expected a term"),
        };
        let b = |i: &Id| match eval_id(expr, *i, point) {
            Bool(v) => v,
            Real(_) => panic!("expected a formula"),
        };
        match &expr[id] {
            Prop::True => Bool(true),
            Prop::False => Bool(false),
            Prop::Num(n) => Real(n.0),
            Prop::Leaf(s) => match parse_leaf(s.as_str()) {
                Some(Ref::Var(i)) => Real(point[i]),
                _ => panic!("unknown leaf"),
            },
            Prop::Add([x, y]) => Real(r(x) + r(y)),
            Prop::Scale([k, t]) => Real(r(k) * r(t)),
            Prop::Abs(x) => Real(r(x).abs()),
            Prop::Max([x, y]) => Real(r(x).max(r(y))),
            Prop::Min([x, y]) => Real(r(x).min(r(y))),
            Prop::Le([x, y]) => Bool(r(x) <= r(y)),
            Prop::Lt([x, y]) => Bool(r(x) < r(y)),
            Prop::Eq([x, y]) => Bool(r(x) == r(y)),
            Prop::Ne([x, y]) => Bool(r(x) != r(y)),
            Prop::And([x, y]) => Bool(b(x) && b(y)),
            Prop::Or([x, y]) => Bool(b(x) || b(y)),
            Prop::Not(x) => Bool(!b(x)),
            Prop::Implies([x, y]) => Bool(!b(x) || b(y)),
            Prop::Iff([x, y]) => Bool(b(x) == b(y)),
        }
    }

    /// Asserts the family turns `before` into `after` and that both agree on a grid of
    /// points over `v0..v{n-1}` (values chosen to hit ties and both signs).
    pub fn check(rules: &[PropRewrite], before: &str, after: &str, nvars: usize) {
        let got = normal_text(before, rules);
        assert_eq!(got, after, "normal form of {before}");
        let values = [-2.0, -0.5, 0.0, 0.5, 1.0, 3.0];
        let total = values.len().pow(nvars as u32);
        for k in 0..total {
            let mut point = Vec::with_capacity(nvars);
            let mut rest = k;
            for _ in 0..nvars {
                point.push(values[rest % values.len()]);
                rest /= values.len();
            }
            assert_eq!(
                eval_text(before, &point),
                eval_text(&got, &point),
                "{before} vs {got} at {point:?}"
            );
        }
    }
}
