//! Interval bound propagation (IBP): sound boxes for every value of a network, and for
//! every scalar of an IR problem, from the boxes of its variables.
//!
//! Takes: a [`Network`] and an input box (`lo`, `hi`, flattened), or an IR [`Problem`]
//! with its networks.
//! Gives: one [`Interval`] per network value (input first, like
//! [`Network::eval_all`]); for a problem, [`ProblemBounds`] with the boxes of every
//! application's values and the range of any [`LinExpr`] over the problem's scalars.
//! Invariant: sound in floating point. Every computed bound is rounded outward, so the
//! interval contains both the real-arithmetic value and the f64 value that
//! [`Network::eval`] computes at any point of the input box:
//! - single-rounding ops (add/sub/mul/div by a constant, sum or difference of two
//!   values) are monotone under round-to-nearest, so one `next_down` / `next_up` of
//!   the computed endpoint suffices;
//! - sums of `n` products (linear layers, affine maps) are widened by
//!   `1.5 (n + 2) eps · mag + 2 (n + 1) · 2^-1074` where `mag = Σ |w_i| max(|lo_i|,
//!   |hi_i|) + |b|` bounds every partial sum (a standard `γ_n` rounding-error bound,
//!   doubled to cover both the bound computation and the concrete evaluation),
//!   then rounded once more outward;
//! - ReLU and reshapes are exact.
//!
//! Each operator's rule lives in its own file behind [`BoundRule`]; the tighter
//! linear relaxations (CROWN, α-CROWN) live in [`crown`], one file per operator too.

pub mod crown;
mod elementwise;
pub mod joint;
mod linear;
mod relu;
mod relu_diff;
mod reshape;

use crate::network::{Network, Op};
use propc_compiler::ir::{LinExpr, Problem, Ref};

/// A box over a flattened tensor: `lo[i] <= x[i] <= hi[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Interval {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl Interval {
    pub fn new(lo: Vec<f64>, hi: Vec<f64>) -> Interval {
        Interval { lo, hi }
    }

    /// The degenerate box of one point.
    pub fn point(x: &[f64]) -> Interval {
        Interval {
            lo: x.to_vec(),
            hi: x.to_vec(),
        }
    }

    pub fn len(&self) -> usize {
        self.lo.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lo.is_empty()
    }

    /// Narrows the box to its intersection with `other`, another sound box of the same
    /// value (coordinates where they do not overlap, which sound boxes never do, and a
    /// box of another length are left alone).
    pub fn intersect(&mut self, other: &Interval) {
        if self.len() != other.len() {
            return;
        }
        for j in 0..self.len() {
            let (l, h) = (self.lo[j].max(other.lo[j]), self.hi[j].min(other.hi[j]));
            if l <= h {
                self.lo[j] = l;
                self.hi[j] = h;
            }
        }
    }

    /// Whether `x` lies in the box (coordinate-wise, closed).
    pub fn contains(&self, x: &[f64]) -> bool {
        x.len() == self.len()
            && x.iter()
                .zip(self.lo.iter().zip(&self.hi))
                .all(|(v, (l, h))| *l <= *v && *v <= *h)
    }
}

/// How one operator maps the boxes of its operands (in [`Op::inputs`] order) to the
/// box of its result.
pub trait BoundRule {
    fn interval(&self, inputs: &[&Interval]) -> Interval;
}

impl BoundRule for Op {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        match self {
            Op::Linear {
                weight,
                bias,
                in_features,
                out_features,
                ..
            } => linear::Linear {
                weight,
                bias: bias.as_deref(),
                in_features: *in_features,
                out_features: *out_features,
            }
            .interval(inputs),
            Op::AddConst { constant, .. } => elementwise::Const {
                kind: elementwise::ConstKind::Add,
                constant,
            }
            .interval(inputs),
            Op::SubConst { constant, .. } => elementwise::Const {
                kind: elementwise::ConstKind::Sub,
                constant,
            }
            .interval(inputs),
            Op::ConstSub { constant, .. } => elementwise::Const {
                kind: elementwise::ConstKind::ConstSub,
                constant,
            }
            .interval(inputs),
            Op::MulConst { constant, .. } => elementwise::Const {
                kind: elementwise::ConstKind::Mul,
                constant,
            }
            .interval(inputs),
            Op::DivConst { constant, .. } => elementwise::Const {
                kind: elementwise::ConstKind::Div,
                constant,
            }
            .interval(inputs),
            Op::Add { .. } => elementwise::Binary { subtract: false }.interval(inputs),
            Op::Sub { .. } => elementwise::Binary { subtract: true }.interval(inputs),
            Op::Relu { .. } => relu::Relu.interval(inputs),
            Op::Reshape { .. } => reshape::Reshape.interval(inputs),
            Op::ReluDiff { .. } => relu_diff::ReluDiff.interval(inputs),
        }
    }
}

/// The box of every value of `net` (input first) when its flattened input ranges over
/// `[lo, hi]`. `lo` and `hi` must have the network's input size (shorter or longer
/// slices are truncated / padded with an unbounded range, which stays sound).
pub fn interval_bounds(net: &Network, lo: &[f64], hi: &[f64]) -> Vec<Interval> {
    let n = net.input_size();
    let pad = |v: &[f64], fill: f64| -> Vec<f64> {
        (0..n).map(|i| v.get(i).copied().unwrap_or(fill)).collect()
    };
    let mut values: Vec<Interval> = Vec::with_capacity(net.nodes.len() + 1);
    values.push(Interval::new(
        pad(lo, f64::NEG_INFINITY),
        pad(hi, f64::INFINITY),
    ));
    for node in &net.nodes {
        let ids = node.op.inputs();
        let out = {
            let operands: Vec<&Interval> = ids.iter().map(|&v| &values[v]).collect();
            node.op.interval(&operands)
        };
        values.push(out);
    }
    values
}

// ----------------------------------------------------------------------------------
// Outward rounding helpers, shared by the rules.

/// Smallest positive subnormal, the absolute error of an underflowing product.
const TINY: f64 = f64::from_bits(1);

/// Rounding-error bound for an f64 sum of `n` products whose partial sums are bounded
/// by `mag` in absolute value (see the module doc).
pub(crate) fn sum_error(n: usize, mag: f64) -> f64 {
    1.5 * (n as f64 + 2.0) * f64::EPSILON * mag + 2.0 * (n as f64 + 1.0) * TINY
}

/// `x - err`, rounded down once more.
pub(crate) fn down(x: f64, err: f64) -> f64 {
    if x == f64::NEG_INFINITY {
        x
    } else {
        (x - err).next_down()
    }
}

/// `x + err`, rounded up once more.
pub(crate) fn up(x: f64, err: f64) -> f64 {
    if x == f64::INFINITY {
        x
    } else {
        (x + err).next_up()
    }
}

/// Range of `constant + Σ coef_i · x_i` for `x_i ∈ [lo_i, hi_i]`, rounded outward.
pub(crate) fn affine_range(
    terms: impl Iterator<Item = (f64, f64, f64)>,
    constant: f64,
) -> (f64, f64) {
    let (mut lo, mut hi, mut mag, mut n) = (constant, constant, constant.abs(), 0usize);
    for (c, l, h) in terms {
        if c == 0.0 {
            continue;
        }
        n += 1;
        if c > 0.0 {
            lo += c * l;
            hi += c * h;
        } else {
            lo += c * h;
            hi += c * l;
        }
        mag += c.abs() * l.abs().max(h.abs());
    }
    if n == 0 {
        return (constant, constant);
    }
    let err = sum_error(n, mag);
    (down(lo, err), up(hi, err))
}

// ----------------------------------------------------------------------------------
// Problem-level bounds.

/// IBP bounds of an IR problem: the variables' boxes, every application's values, and
/// hence the range of any linear expression over variables and outputs.
#[derive(Clone, Debug)]
pub struct ProblemBounds {
    /// The variables' boxes.
    pub vars: Interval,
    /// For each application, the box of every network value (input first).
    pub apps: Vec<Vec<Interval>>,
    /// Pairs of applications of one graph whose value-by-value difference is bounded
    /// (twin bounds, [`joint`]); the MILP adds the difference relaxation as cuts.
    pub twins: Vec<TwinDiff>,
}

/// Sound boxes of `b`'s values minus `a`'s, value by value (`None`: not bounded).
#[derive(Clone, Debug, PartialEq)]
pub struct TwinDiff {
    pub a: usize,
    pub b: usize,
    pub delta: Vec<Option<Interval>>,
}

impl ProblemBounds {
    /// Propagates the variables' boxes through every application. The premise is not
    /// used (a sound over-approximation). Fails if an application does not fit its
    /// network (see [`crate::verify::check_networks`]).
    pub fn compute(problem: &Problem, networks: &[&Network]) -> Result<ProblemBounds, String> {
        crate::verify::check_networks(problem, networks)?;
        let vars = Interval::new(
            problem.vars.iter().map(|v| v.lo).collect(),
            problem.vars.iter().map(|v| v.hi).collect(),
        );
        let mut apps = Vec::with_capacity(problem.applications.len());
        for app in &problem.applications {
            let (lo, hi): (Vec<f64>, Vec<f64>) =
                app.input.iter().map(|c| var_expr_range(&vars, c)).unzip();
            apps.push(interval_bounds(networks[app.network], &lo, &hi));
        }
        Ok(ProblemBounds {
            vars,
            apps,
            twins: Vec::new(),
        })
    }

    /// The box of application `app`'s outputs.
    pub fn output(&self, app: usize) -> Option<&Interval> {
        self.apps.get(app).and_then(|v| v.last())
    }

    /// The range of a scalar.
    pub fn scalar(&self, r: Ref) -> (f64, f64) {
        let get = |iv: Option<&Interval>, i: usize| -> (f64, f64) {
            match iv {
                Some(iv) if i < iv.len() => (iv.lo[i], iv.hi[i]),
                _ => (f64::NEG_INFINITY, f64::INFINITY),
            }
        };
        match r {
            Ref::Var(i) => get(Some(&self.vars), i),
            Ref::Out { app, index } => get(self.output(app), index),
        }
    }

    /// The range of `e` over the boxes, rounded outward.
    pub fn expr(&self, e: &LinExpr) -> (f64, f64) {
        affine_range(
            e.terms.iter().map(|(r, c)| {
                let (l, h) = self.scalar(*r);
                (*c, l, h)
            }),
            e.constant,
        )
    }
}

/// Range of an expression that reads only variables (an application input).
pub(crate) fn var_expr_range(vars: &Interval, e: &LinExpr) -> (f64, f64) {
    affine_range(
        e.terms.iter().map(|(r, c)| match *r {
            Ref::Var(i) if i < vars.len() => (*c, vars.lo[i], vars.hi[i]),
            _ => (*c, f64::NEG_INFINITY, f64::INFINITY),
        }),
        e.constant,
    )
}
