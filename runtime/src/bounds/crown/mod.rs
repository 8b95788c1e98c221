//! CROWN and α-CROWN: backward linear bound propagation over a [`Network`].
//!
//! Takes: a network, sound boxes of every value (IBP, see [`super::interval_bounds`],
//! possibly already tightened) and a starting matrix `C` (`k × size` of a target
//! value), or just an input box.
//! Gives: for each row `c` of `C`, a sound lower bound of `c · v(x)` over the input box
//! ([`lower_bounds`], [`alpha_lower_bounds`] with optimized ReLU slopes, and
//! [`objective_range`] for both ends of one objective); the boxes of
//! every value with each ReLU pre-activation and the output tightened by CROWN
//! ([`crown_intervals`]); and the same per application of an IR problem
//! ([`ProblemBounds::with_crown`]).
//! Invariant: sound in floating point, like IBP: each bound holds for the
//! real-arithmetic network **and** for the f64 values [`Network::eval`] computes, at
//! every point of the input box (see "Rounding" below). Upper bounds are lower bounds
//! of `-c` (one batched pass computes both), so one rule per operator suffices.
//!
//! ## The backward pass
//! Starting from `Λ_target = C`, each operator maps the coefficients `Λ_y` of its
//! output to coefficients of its operands ([`LinearRule::backward`]) plus a constant
//! (`bias`), so that `C v ≥ Σ Λ_v · v + bias` for the values `v` on the current
//! frontier; values read by several operators sum their coefficients. At the input,
//! `Λ_0 · x` is concretized over the box (the vertex picked by the sign of each
//! coefficient). ReLU `y = max(x, 0)` with pre-activation bounds `l < 0 < u` is relaxed
//! by `y ≤ s x + t` (the line through `(l, 0)` and `(u, u)`) and `y ≥ α x` with
//! `α ∈ [0, 1]`: a coefficient `a ≥ 0` of `y` takes the lower line, `a < 0` the upper
//! one. CROWN picks `α = 1` if `u > -l` else `0`; α-CROWN optimizes `α` per row of `C`
//! and per neuron by projected Adam ascent, with the analytic gradient (below).
//! Intermediate bounds: the pre-activation of every ReLU is bounded, in order, by a
//! backward pass from it (rows `±e_j` for its IBP-unstable neurons), using the tighter
//! of IBP and CROWN for every earlier value; IBP is recomputed forward from the
//! tightened boxes.
//!
//! ## Rounding
//! Coefficients and constants are computed in f64, so they differ from the exact
//! products. Each step therefore keeps, per row, an error bound `err` such that, with
//! the *computed* coefficients taken as exact reals,
//! `C v ≥ Σ Λ_v · v + bias - err` holds on every reachable real or f64 value. A step
//! adds (`u = eps / 2` the unit roundoff, `|v|` the bound `max(|lo|, |hi|)` of a value
//! from its box, `γ(n) = 1.5 (n + 2) eps` ≥ 3× the textbook `γ_n` for `n` terms):
//! - a coefficient computed with relative error `δ` (products `a·α`, `a·s`, `a·c`,
//!   `a / c`, `Λ Wᵀ`): `δ |exact| · |v|` summed over the operand (`eps` per product,
//!   `γ(n)` per dot product of `n` terms), plus `2 (n + 1) · 2^-1074 · Σ|v|` for
//!   underflow;
//! - a constant `Σ a_j c_j` added to `bias`: `γ(n) Σ |a_j c_j| + eps |bias| +
//!   2 (n + 1) 2^-1074`;
//! - the f64 evaluation of the operator (so the bound also covers [`Network::eval`]):
//!   `Σ_j |a_j| ε_j` with `ε_j` the forward error of output `j` (`γ(n_in)` times
//!   `Σ |W||x| + |b|` for `Linear`, `eps |y_j| + 2^-1074` for the single-rounding
//!   elementwise ops, `0` for ReLU and reshapes);
//! - summing two coefficient matrices for a value read twice: `eps Σ |sum| |v|`.
//!
//! The ReLU upper line is made valid for the rounded slope `s = fl(u / (u - l))` by
//! taking `t = max(-s l, u (1 - s))` rounded up (valid at both ends, hence on `[l, u]`
//! by convexity); `y ≥ α x` is valid for any `α ∈ [0, 1]`. Concretization adds
//! `γ(n)` of `Σ |Λ_0| |x| + |bias|` and subtracts `err`, rounding down. Every term has
//! at least a factor 2 over its exact worst case; the f64 evaluation of the error
//! terms themselves (sums of non-negative numbers, fewer than `2^40`) underestimates
//! them by a relative `γ_N < 2^-12`, which that margin covers. A NaN anywhere makes the
//! bound `-inf`; an infinite box makes it `-inf` rather than NaN (zero coefficients are
//! skipped).
//!
//! ## The α gradient
//! With the sign choices fixed, the lower bound is linear in every `Λ_v`, with
//! gradient `x̂_v`: the forward evaluation, at the concretizing vertex, of the network
//! whose ReLUs are replaced by the chosen lines ([`LinearRule::forward`]). Hence
//! `∂ bound_k / ∂ α_{k,j} = Λ_y[k, j] x̂_x[k, j]` for an unstable neuron with
//! `Λ_y[k, j] ≥ 0` (and 0 otherwise). Any `α ∈ [0, 1]` is sound, so the optimization
//! never affects soundness; the best bound seen per row is kept, and iteration 0 is
//! CROWN's own choice, so α-CROWN is never looser than CROWN.

mod elementwise;
mod linear;
mod premise;
pub(crate) mod relu;
mod relu_diff;
mod reshape;

use super::{Interval, ProblemBounds, sum_error};
use crate::network::{Network, Op, ValueId};
pub use premise::InputConstraints;
use propc_compiler::ir::Problem;
use std::sync::Arc;
use std::time::Instant;

const TINY: f64 = f64::from_bits(1);

/// `γ(n)`: a rounding-error factor for a dot product of `n` terms (see the module doc).
pub(crate) fn gamma(n: usize) -> f64 {
    1.5 * (n as f64 + 2.0) * f64::EPSILON
}

/// A dense row-major matrix of `rows × cols` f64: row `k` is one objective (one row of
/// `C`), column `j` one coordinate of a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Mat {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Mat {
    pub fn zeros(rows: usize, cols: usize) -> Mat {
        Mat {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// From row-major data; `None` if the length is not `rows * cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f64>) -> Option<Mat> {
        (data.len() == rows * cols).then_some(Mat { rows, cols, data })
    }

    /// `[I; -I]` restricted to the coordinates `idx`: rows `e_j` then rows `-e_j`.
    pub fn plus_minus_identity(cols: usize, idx: &[usize]) -> Mat {
        let k = idx.len();
        let mut m = Mat::zeros(2 * k, cols);
        for (r, &j) in idx.iter().enumerate() {
            m.data[r * cols + j] = 1.0;
            m.data[(k + r) * cols + j] = -1.0;
        }
        m
    }

    pub fn row(&self, k: usize) -> &[f64] {
        &self.data[k * self.cols..(k + 1) * self.cols]
    }

    pub fn row_mut(&mut self, k: usize) -> &mut [f64] {
        &mut self.data[k * self.cols..(k + 1) * self.cols]
    }

    pub fn get(&self, k: usize, j: usize) -> f64 {
        self.data[k * self.cols + j]
    }

    /// The rows `[self; other]`; `None` if the column counts differ.
    pub fn stack(&self, other: &Mat) -> Option<Mat> {
        (self.cols == other.cols).then(|| {
            let mut data = self.data.clone();
            data.extend_from_slice(&other.data);
            Mat {
                rows: self.rows + other.rows,
                cols: self.cols,
                data,
            }
        })
    }

    /// `-self`, exact.
    pub fn neg(&self) -> Mat {
        Mat {
            rows: self.rows,
            cols: self.cols,
            data: self.data.iter().map(|v| -v).collect(),
        }
    }
}

/// The constant and the error bound of a lower bound under construction, per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Acc {
    pub bias: Vec<f64>,
    pub err: Vec<f64>,
}

impl Acc {
    pub fn new(rows: usize) -> Acc {
        Acc {
            bias: vec![0.0; rows],
            err: vec![0.0; rows],
        }
    }

    /// Adds the f64 dot product `s = Σ a_j c_j` of `n` terms with `mag = Σ |a_j c_j|`
    /// to row `k`'s constant, and its rounding error to `err`.
    pub fn add_bias(&mut self, k: usize, s: f64, mag: f64, n: usize) {
        if n == 0 {
            return;
        }
        let b = self.bias[k] + s;
        self.bias[k] = b;
        self.err[k] += sum_error(n, mag) + f64::EPSILON * b.abs();
    }

    pub fn add_err(&mut self, k: usize, e: f64) {
        self.err[k] += e;
    }
}

/// What a rule sees besides the coefficients: the boxes of its operands (in
/// [`Op::inputs`] order) and of its output.
pub struct Ctx<'a> {
    pub inputs: &'a [&'a Interval],
    pub output: &'a Interval,
}

/// The magnitude bound `max(|lo|, |hi|)` of each coordinate of a box.
pub(crate) fn magnitudes(iv: &Interval) -> Vec<f64> {
    iv.lo
        .iter()
        .zip(&iv.hi)
        .map(|(l, h)| l.abs().max(h.abs()))
        .collect()
}

/// How one operator maps linear lower bounds backward (and relaxed points forward).
///
/// Batched over the rows of the coefficient matrices; a GPU backend implements the
/// same two maps on its own buffers.
pub trait LinearRule {
    /// `a` (`k × output size`): the coefficients of the op's output in a lower bound.
    /// Returns the coefficients of each operand (in [`Op::inputs`] order), adds the
    /// constant terms and the rounding-error bounds of this step to `acc`.
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat>;

    /// The relaxed forward evaluation used by the α gradient: the points `x̂` of the
    /// operands (`k × size` each) to the output's, with the relaxation chosen by the
    /// sign of `a`, the output's coefficients in the backward pass.
    fn forward(&self, a: &Mat, ctx: &Ctx, inputs: &[&Mat]) -> Mat;
}

/// The rule of `op`, with ReLU lower slopes `alpha` (`k × size`, `None`: CROWN's
/// adaptive choice).
fn rule<'a>(op: &'a Op, alpha: Option<&'a Mat>) -> Box<dyn LinearRule + 'a> {
    use elementwise::{Binary, Const, ConstKind};
    match op {
        Op::Linear {
            weight,
            bias,
            in_features,
            out_features,
            ..
        } => Box::new(linear::Linear {
            weight,
            bias: bias.as_deref(),
            in_features: *in_features,
            out_features: *out_features,
        }),
        Op::AddConst { constant, .. } => Box::new(Const {
            kind: ConstKind::Add,
            constant,
        }),
        Op::SubConst { constant, .. } => Box::new(Const {
            kind: ConstKind::Sub,
            constant,
        }),
        Op::ConstSub { constant, .. } => Box::new(Const {
            kind: ConstKind::ConstSub,
            constant,
        }),
        Op::MulConst { constant, .. } => Box::new(Const {
            kind: ConstKind::Mul,
            constant,
        }),
        Op::DivConst { constant, .. } => Box::new(Const {
            kind: ConstKind::Div,
            constant,
        }),
        Op::Add { .. } => Box::new(Binary { subtract: false }),
        Op::Sub { .. } => Box::new(Binary { subtract: true }),
        Op::Relu { .. } => Box::new(relu::Relu { alpha }),
        Op::Reshape { .. } => Box::new(reshape::Reshape),
        Op::ReluDiff { .. } => Box::new(relu_diff::ReluDiff),
    }
}

/// ReLU lower slopes for α-CROWN: `alpha[v]` for the ReLU whose output is value `v`.
pub type Alphas = Vec<Option<Mat>>;

/// The result of one backward pass.
struct Pass {
    /// Sound lower bound per row.
    lower: Vec<f64>,
    /// The coefficients of the input.
    input_coef: Mat,
    /// The coefficients of each ReLU output (when asked for).
    relu_coef: Vec<Option<Mat>>,
}

/// Adds `m` into the coefficients of value `id`, with the rounding error of a sum.
fn accumulate(slot: &mut Option<Mat>, m: Mat, bounds: &Interval, acc: &mut Acc) {
    match slot {
        None => *slot = Some(m),
        Some(cur) => {
            let hx = magnitudes(bounds);
            for k in 0..cur.rows {
                let mut e = 0.0;
                for ((c, v), h) in cur.row_mut(k).iter_mut().zip(m.row(k)).zip(&hx) {
                    *c += v;
                    if *c != 0.0 {
                        e += c.abs() * h;
                    }
                }
                acc.add_err(k, f64::EPSILON * e);
            }
        }
    }
}

fn backward_pass(
    net: &Network,
    bounds: &[Interval],
    target: ValueId,
    c: Mat,
    alphas: Option<&Alphas>,
    keep_relu: bool,
) -> Pass {
    backward_from(net, bounds, vec![(target, c)], alphas, keep_relu, None)
}

/// The backward pass from several values at once: row `r` bounds
/// `Σ_(v, C_v) C_v[r] · v` (every `C_v` has the same number of rows, and the columns of
/// value `v`'s size); the input is concretized over its box and `cons`.
fn backward_from(
    net: &Network,
    bounds: &[Interval],
    seeds: Vec<(ValueId, Mat)>,
    alphas: Option<&Alphas>,
    keep_relu: bool,
    cons: Option<&InputConstraints>,
) -> Pass {
    let k = seeds.first().map_or(0, |s| s.1.rows);
    let target = seeds.iter().map(|s| s.0).max().unwrap_or(0);
    let mut coef: Vec<Option<Mat>> = vec![None; target + 1];
    let mut relu_coef: Vec<Option<Mat>> = vec![None; target + 1];
    let mut acc = Acc::new(k);
    for (v, c) in seeds {
        accumulate(&mut coef[v], c, &bounds[v], &mut acc);
    }
    for v in (1..=target).rev() {
        let Some(a) = coef[v].take() else { continue };
        let node = &net.nodes[v - 1];
        let ids = node.op.inputs();
        let operands: Vec<&Interval> = ids.iter().map(|&i| &bounds[i]).collect();
        let ctx = Ctx {
            inputs: &operands,
            output: &bounds[v],
        };
        let alpha = alphas.and_then(|al| al.get(v)).and_then(|m| m.as_ref());
        let outs = rule(&node.op, alpha).backward(&a, &ctx, &mut acc);
        if keep_relu && matches!(node.op, Op::Relu { .. }) {
            relu_coef[v] = Some(a);
        }
        for (&id, m) in ids.iter().zip(outs) {
            accumulate(&mut coef[id], m, &bounds[id], &mut acc);
        }
    }
    let input_coef = coef[0]
        .take()
        .unwrap_or_else(|| Mat::zeros(k, bounds[0].len()));
    let lower = (0..k)
        .map(|r| match cons {
            Some(c) if !c.is_empty() => {
                c.concretize(input_coef.row(r), &bounds[0], acc.bias[r], acc.err[r])
            }
            _ => concretize(input_coef.row(r), &bounds[0], acc.bias[r], acc.err[r]),
        })
        .collect();
    Pass {
        lower,
        input_coef,
        relu_coef,
    }
}

/// `min over the box of a · x + bias - err`, rounded down; `-inf` on NaN.
fn concretize(a: &[f64], x: &Interval, bias: f64, err: f64) -> f64 {
    let (mut s, mut mag, mut n) = (bias, bias.abs(), 0usize);
    for ((c, l), h) in a.iter().zip(&x.lo).zip(&x.hi) {
        if *c == 0.0 {
            continue;
        }
        n += 1;
        s += if *c > 0.0 { c * l } else { c * h };
        mag += c.abs() * l.abs().max(h.abs());
    }
    let v = super::down(s, sum_error(n, mag));
    let v = if v == f64::NEG_INFINITY {
        v
    } else {
        (v - err).next_down()
    };
    if v.is_nan() { f64::NEG_INFINITY } else { v }
}

/// Sound lower bounds of `C · v_target` (one per row of `c`) over the box
/// `bounds[0]`, by CROWN. `bounds` must hold a sound box for every value up to
/// `target` (e.g. [`super::interval_bounds`]); `c.cols` must be the target's size.
pub fn lower_bounds(net: &Network, bounds: &[Interval], target: ValueId, c: &Mat) -> Vec<f64> {
    if !fits(net, bounds, target, c) {
        return vec![f64::NEG_INFINITY; c.rows];
    }
    backward_pass(net, bounds, target, c.clone(), None, false).lower
}

/// [`lower_bounds`] with the coefficients of the input in each row's bound: row `k`'s
/// bound is the minimum over the input box of `coef_k · x` plus a constant, so
/// `coef_k` is the bound's sensitivity to each input coordinate (branch and bound
/// splits where it is large).
pub fn lower_bounds_with_input_coef(
    net: &Network,
    bounds: &[Interval],
    target: ValueId,
    c: &Mat,
) -> (Vec<f64>, Mat) {
    if !fits(net, bounds, target, c) {
        return (
            vec![f64::NEG_INFINITY; c.rows],
            Mat::zeros(c.rows, bounds.first().map_or(0, Interval::len)),
        );
    }
    let pass = backward_pass(net, bounds, target, c.clone(), None, false);
    (pass.lower, pass.input_coef)
}

/// Sound lower bounds of `Σ_(v, C_v) C_v[r] · v` for each row `r`, over the input box
/// `bounds[0]` and the constraints `cons`, with the input coefficients of each row
/// (see [`lower_bounds_with_input_coef`]). Each `C_v` has the same rows and value
/// `v`'s size as columns; a seed that does not fit makes every bound `-inf`.
pub fn seeded_lower_bounds(
    net: &Network,
    bounds: &[Interval],
    seeds: Vec<(ValueId, Mat)>,
    cons: Option<&InputConstraints>,
) -> (Vec<f64>, Mat) {
    let rows = seeds.first().map_or(0, |s| s.1.rows);
    let ok = seeds
        .iter()
        .all(|(v, c)| fits(net, bounds, *v, c) && c.rows == rows);
    if !ok || seeds.is_empty() {
        return (
            vec![f64::NEG_INFINITY; rows],
            Mat::zeros(rows, bounds.first().map_or(0, Interval::len)),
        );
    }
    let pass = backward_from(net, bounds, seeds, None, false, cons);
    (pass.lower, pass.input_coef)
}

fn fits(net: &Network, bounds: &[Interval], target: ValueId, c: &Mat) -> bool {
    target <= net.nodes.len()
        && bounds.len() > target
        && bounds[target].len() == c.cols
        && c.data.len() == c.rows * c.cols
}

/// Settings of α-CROWN's projected Adam ascent.
#[derive(Clone, Debug, PartialEq)]
pub struct AlphaOptions {
    pub iterations: usize,
    pub learning_rate: f64,
    /// Multiplies the learning rate after each step.
    pub decay: f64,
    /// Stop early (keeping the best so far) after this instant.
    pub deadline: Option<Instant>,
}

impl Default for AlphaOptions {
    fn default() -> AlphaOptions {
        AlphaOptions {
            iterations: 30,
            learning_rate: 0.1,
            decay: 0.98,
            deadline: None,
        }
    }
}

/// Sound lower bounds of `C · v_target` with the ReLU lower slopes optimized per row
/// (α-CROWN); never looser than [`lower_bounds`].
pub fn alpha_lower_bounds(
    net: &Network,
    bounds: &[Interval],
    target: ValueId,
    c: &Mat,
    opts: &AlphaOptions,
) -> Vec<f64> {
    if !fits(net, bounds, target, c) {
        return vec![f64::NEG_INFINITY; c.rows];
    }
    let k = c.rows;
    // CROWN's adaptive slopes, per row, for every ReLU up to the target.
    let mut alphas: Alphas = vec![None; target + 1];
    for (slot, node) in alphas.iter_mut().skip(1).zip(&net.nodes) {
        if let Op::Relu { input } = node.op {
            let pre = &bounds[input];
            let init: Vec<f64> = pre
                .lo
                .iter()
                .zip(&pre.hi)
                .map(|(l, u)| if *u > -*l { 1.0 } else { 0.0 })
                .collect();
            let mut m = Mat::zeros(k, init.len());
            for r in 0..k {
                m.row_mut(r).copy_from_slice(&init);
            }
            *slot = Some(m);
        }
    }
    let mut first = backward_pass(net, bounds, target, c.clone(), Some(&alphas), true);
    let mut best = first.lower.clone();
    if alphas.iter().all(|a| a.is_none()) {
        return best;
    }
    let mut m1: Alphas = alphas
        .iter()
        .map(|a| a.as_ref().map(|m| Mat::zeros(m.rows, m.cols)))
        .collect();
    let mut m2 = m1.clone();
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
    let mut lr = opts.learning_rate;
    for it in 0..opts.iterations {
        if opts.deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let grads = alpha_gradient(net, bounds, target, &first, &alphas);
        let t = (it + 1) as i32;
        for v in 1..=target {
            let (Some(al), Some(g), Some(ma), Some(mb)) = (
                alphas[v].as_mut(),
                grads[v].as_ref(),
                m1[v].as_mut(),
                m2[v].as_mut(),
            ) else {
                continue;
            };
            for i in 0..al.data.len() {
                let gi = g.data[i];
                ma.data[i] = b1 * ma.data[i] + (1.0 - b1) * gi;
                mb.data[i] = b2 * mb.data[i] + (1.0 - b2) * gi * gi;
                let mh = ma.data[i] / (1.0 - b1.powi(t));
                let vh = mb.data[i] / (1.0 - b2.powi(t));
                // Ascent: the bound grows along the gradient.
                let step = al.data[i] + lr * mh / (vh.sqrt() + eps);
                al.data[i] = if step.is_nan() {
                    0.0
                } else {
                    step.clamp(0.0, 1.0)
                };
            }
        }
        lr *= opts.decay;
        first = backward_pass(net, bounds, target, c.clone(), Some(&alphas), true);
        for (b, l) in best.iter_mut().zip(&first.lower) {
            if *l > *b {
                *b = *l;
            }
        }
    }
    best
}

/// A sound range `[lo, hi]` of the linear objective `c · v_target` (`c` of the
/// target's size): the lower end by CROWN, or by α-CROWN with `alpha`, and the upper
/// end as minus the lower bound of `-c` (optimized separately).
pub fn objective_range(
    net: &Network,
    bounds: &[Interval],
    target: ValueId,
    c: &[f64],
    alpha: Option<&AlphaOptions>,
) -> (f64, f64) {
    let pos = Mat {
        rows: 1,
        cols: c.len(),
        data: c.to_vec(),
    };
    let Some(cm) = pos.stack(&pos.neg()) else {
        return (f64::NEG_INFINITY, f64::INFINITY);
    };
    let low = match alpha {
        Some(o) => alpha_lower_bounds(net, bounds, target, &cm, o),
        None => lower_bounds(net, bounds, target, &cm),
    };
    (low[0], -low[1])
}

/// `∂ lower_k / ∂ α` for every ReLU (see the module doc), from a pass that kept the
/// ReLU coefficients.
fn alpha_gradient(
    net: &Network,
    bounds: &[Interval],
    target: ValueId,
    pass: &Pass,
    alphas: &Alphas,
) -> Alphas {
    let k = pass.input_coef.rows;
    // x̂ at the input: the concretizing vertex of each row.
    let x0 = &bounds[0];
    let mut xhat: Vec<Option<Mat>> = vec![None; target + 1];
    let mut m0 = Mat::zeros(k, x0.len());
    for r in 0..k {
        for (j, c) in pass.input_coef.row(r).iter().enumerate() {
            m0.data[r * x0.len() + j] = if *c >= 0.0 { x0.lo[j] } else { x0.hi[j] };
        }
    }
    xhat[0] = Some(m0);
    let mut grads: Alphas = vec![None; target + 1];
    for v in 1..=target {
        let node = &net.nodes[v - 1];
        let ids = node.op.inputs();
        let ins: Option<Vec<&Mat>> = ids.iter().map(|&i| xhat[i].as_ref()).collect();
        let Some(ins) = ins else { continue };
        let operands: Vec<&Interval> = ids.iter().map(|&i| &bounds[i]).collect();
        let ctx = Ctx {
            inputs: &operands,
            output: &bounds[v],
        };
        let size = bounds[v].len();
        let zero;
        let a = match pass.relu_coef[v].as_ref() {
            Some(a) => a,
            None => {
                zero = Mat::zeros(k, size);
                &zero
            }
        };
        let alpha = alphas.get(v).and_then(|m| m.as_ref());
        if let (Op::Relu { .. }, Some(al), Some(x)) = (&node.op, alpha, ins.first()) {
            let pre = operands[0];
            let mut g = Mat::zeros(k, size);
            for r in 0..k {
                for j in 0..size.min(al.cols) {
                    let (l, u) = (pre.lo[j], pre.hi[j]);
                    let aj = a.get(r, j);
                    if l < 0.0 && u > 0.0 && aj >= 0.0 {
                        let gv = aj * x.get(r, j);
                        g.data[r * size + j] = if gv.is_finite() { gv } else { 0.0 };
                    }
                }
            }
            grads[v] = Some(g);
        }
        let out = rule(&node.op, alpha).forward(a, &ctx, &ins);
        xhat[v] = Some(out);
    }
    grads
}

/// Settings of [`crown_intervals`].
#[derive(Clone, Debug, PartialEq)]
pub struct CrownOptions {
    /// Skip CROWN for a pre-activation (keep IBP) once the estimated multiply-adds of
    /// the remaining passes exceed this.
    pub max_work: f64,
    /// Keep IBP for everything after this instant.
    pub deadline: Option<Instant>,
    /// Intersect each CROWN box with IBP (the default). Off: "pure" CROWN, every
    /// neuron of every pre-activation bounded by CROWN alone, as in the CROWN paper and
    /// auto_LiRPA (for cross-checks; never tighter).
    pub intersect_ibp: bool,
    /// Constraints on the input beyond its box, used whenever a bound is concretized
    /// (the premise of a relational problem, over its variables).
    pub input_constraints: Option<Arc<InputConstraints>>,
}

impl Default for CrownOptions {
    fn default() -> CrownOptions {
        CrownOptions {
            max_work: 2e9,
            deadline: None,
            intersect_ibp: true,
            input_constraints: None,
        }
    }
}

/// The boxes of every value (input first) with CROWN tightening.
#[derive(Clone, Debug, PartialEq)]
pub struct CrownIntervals {
    /// Every value's box: IBP from the tightened boxes, intersected with CROWN for
    /// every ReLU pre-activation and for the output (replaced by CROWN when
    /// [`CrownOptions::intersect_ibp`] is off).
    pub values: Vec<Interval>,
    /// The output box from CROWN alone (not intersected with IBP).
    pub crown_output: Interval,
}

/// The multiply-adds of one backward pass from value `v`, per row of `C`.
fn pass_cost(net: &Network, v: ValueId) -> f64 {
    net.nodes[..v]
        .iter()
        .map(|n| match &n.op {
            Op::Linear {
                in_features,
                out_features,
                ..
            } => {
                let rows = n.size().checked_div(*out_features).unwrap_or(0);
                (rows * in_features * out_features) as f64
            }
            _ => n.size() as f64,
        })
        .sum()
}

/// CROWN bounds of every value of `net` over the input box `[lo, hi]` (same padding
/// rules as [`super::interval_bounds`]).
pub fn crown_intervals(
    net: &Network,
    lo: &[f64],
    hi: &[f64],
    opts: &CrownOptions,
) -> CrownIntervals {
    crown_intervals_within(net, lo, hi, None, opts)
}

/// [`crown_intervals`] starting from known sound boxes `prior` of every value (input
/// first), e.g. those of a larger input box that contains `[lo, hi]`: every box is
/// intersected with its prior, and neurons stable under it need no backward pass.
pub fn crown_intervals_within(
    net: &Network,
    lo: &[f64],
    hi: &[f64],
    prior: Option<&[Interval]>,
    opts: &CrownOptions,
) -> CrownIntervals {
    let n = net.nodes.len();
    let d = net.input_size();
    let pad = |v: &[f64], fill: f64| -> Vec<f64> {
        (0..d).map(|i| v.get(i).copied().unwrap_or(fill)).collect()
    };
    let mut input = Interval::new(pad(lo, f64::NEG_INFINITY), pad(hi, f64::INFINITY));
    let prior = prior.filter(|p| p.len() == n + 1);
    if let Some(p) = prior {
        input.intersect(&p[0]);
    }
    // 1: the pre-activation of a ReLU (its unstable neurons are bounded); 2: the change
    // `d` read by a twin ReLU (every neuron: its width decides the relaxation).
    let mut is_pre = vec![0u8; n + 1];
    for node in &net.nodes {
        match node.op {
            Op::Relu { input } => is_pre[input] = is_pre[input].max(1),
            Op::ReluDiff { z, d, w } => {
                is_pre[z] = is_pre[z].max(1);
                is_pre[w] = is_pre[w].max(1);
                is_pre[d] = 2;
            }
            _ => {}
        }
    }
    let cons = opts.input_constraints.as_deref();
    let mut values: Vec<Interval> = Vec::with_capacity(n + 1);
    values.push(input);
    let mut work = 0.0;
    let mut crown_output: Option<Interval> = None;
    for (node, v) in net.nodes.iter().zip(1..) {
        let operands: Vec<&Interval> = node.op.inputs().iter().map(|&i| &values[i]).collect();
        let mut iv = super::BoundRule::interval(&node.op, &operands);
        if let Some(p) = prior {
            iv.intersect(&p[v]);
        }
        let last = v == n;
        if is_pre[v] > 0 || last {
            let all = last || is_pre[v] == 2 || !opts.intersect_ibp;
            let idx: Vec<usize> = (0..iv.len())
                .filter(|&j| all || (iv.lo[j] < 0.0 && iv.hi[j] > 0.0))
                .collect();
            let cost = pass_cost(net, v) * 2.0 * idx.len() as f64;
            let in_time = opts.deadline.is_none_or(|d| Instant::now() < d);
            if !idx.is_empty() && in_time && work + cost <= opts.max_work {
                work += cost;
                let c = Mat::plus_minus_identity(iv.len(), &idx);
                values.push(iv);
                let low = backward_from(net, &values, vec![(v, c)], None, false, cons).lower;
                let Some(mut cur) = values.pop() else { break };
                let m = idx.len();
                let mut pure = cur.clone();
                for (r, &j) in idx.iter().enumerate() {
                    let (l, h) = (low[r], -low[m + r]);
                    pure.lo[j] = l;
                    pure.hi[j] = h;
                    let (nl, nh) = if opts.intersect_ibp {
                        (cur.lo[j].max(l), cur.hi[j].min(h))
                    } else {
                        (l, h)
                    };
                    if nl <= nh {
                        cur.lo[j] = nl;
                        cur.hi[j] = nh;
                    }
                }
                if last {
                    crown_output = Some(pure);
                }
                iv = cur;
            }
        }
        values.push(iv);
    }
    let crown_output = crown_output.unwrap_or_else(|| values[n].clone());
    CrownIntervals {
        values,
        crown_output,
    }
}

impl ProblemBounds {
    /// These (IBP) bounds with every application's values tightened by CROWN (see
    /// [`crown_intervals`]): each application's input box is the range of its affine
    /// input over the variables' boxes. Sound whenever `self` is.
    pub fn with_crown(
        &self,
        problem: &Problem,
        networks: &[&Network],
        opts: &CrownOptions,
    ) -> ProblemBounds {
        let mut out = self.clone();
        for (k, app) in problem.applications.iter().enumerate() {
            let (Some(net), Some(cur)) = (networks.get(app.network), out.apps.get_mut(k)) else {
                continue;
            };
            let Some(input) = cur.first() else { continue };
            let tight = crown_intervals(net, &input.lo, &input.hi, opts);
            if tight.values.len() == cur.len() {
                for (c, t) in cur.iter_mut().zip(&tight.values) {
                    c.intersect(t);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small seeded MLP (LCG weights), `widths[0]` inputs.
    fn mlp(widths: &[usize], seed: u64) -> Network {
        crate::network::seeded::mlp(
            widths,
            seed.wrapping_mul(6364136223846793005).wrapping_add(1),
            0.5,
        )
    }

    #[test]
    fn alpha_gradient_matches_finite_differences() {
        let mut checked = 0;
        for seed in 0..6 {
            let net = mlp(&[3, 8, 8, 2], seed);
            let c = crown_intervals(&net, &[-0.5; 3], &[0.5; 3], &CrownOptions::default());
            let target = net.nodes.len();
            let cm = Mat::plus_minus_identity(2, &[0, 1]);
            let mut alphas: Alphas = vec![None; target + 1];
            for (slot, node) in alphas.iter_mut().skip(1).zip(&net.nodes) {
                if let Op::Relu { input } = node.op {
                    let n = c.values[input].len();
                    let mut m = Mat::zeros(cm.rows, n);
                    for (i, x) in m.data.iter_mut().enumerate() {
                        *x = 0.2 + 0.6 * ((i * 7 + seed as usize) % 10) as f64 / 10.0;
                    }
                    *slot = Some(m);
                }
            }
            let pass = backward_pass(&net, &c.values, target, cm.clone(), Some(&alphas), true);
            let grads = alpha_gradient(&net, &c.values, target, &pass, &alphas);
            for v in 1..=target {
                let Some(g) = grads[v].as_ref() else { continue };
                for i in 0..g.data.len() {
                    let h = 1e-6;
                    let mut plus = alphas.clone();
                    if let Some(m) = plus[v].as_mut() {
                        m.data[i] += h;
                    }
                    let p2 = backward_pass(&net, &c.values, target, cm.clone(), Some(&plus), false);
                    let row = i / g.cols;
                    let fd = (p2.lower[row] - pass.lower[row]) / h;
                    assert!(
                        (fd - g.data[i]).abs() <= 1e-4 * (1.0 + fd.abs()),
                        "value {v} entry {i}: fd {fd} vs analytic {}",
                        g.data[i]
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 100);
    }
}
