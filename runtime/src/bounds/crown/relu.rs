//! CROWN rule of `Relu`.
//!
//! Takes: the coefficients `Λ_y` of the output, the pre-activation box `[l, u]`, and
//! optionally the lower slopes `α` (`k × n`, one per row and neuron).
//! Gives: stable neurons exactly (`u <= 0`: 0; `l >= 0`: identity); an unstable one
//! (`l < 0 < u`) through `y ≥ α x` when `Λ_y ≥ 0` and `y ≤ s x + t` when `Λ_y < 0`
//! (then `Λ_y t` goes to the constant); the error of the rounded products
//! `Λ_y α`, `Λ_y s`, `Λ_y t`. Forward: the chosen line at `x̂`.
//! Invariant: `s = fl(u / (u - l))` and `t = max(-s l, u (1 - s))` rounded up, so the
//! upper line is valid at both ends of `[l, u]` whatever the rounding of `s`; `α` is
//! clamped to `[0, 1]` (NaN: 0), where `y ≥ α x` always holds. An unstable neuron with
//! an infinite end has no upper line: a negative coefficient there makes the bound
//! `-inf`.

use super::{Acc, Ctx, LinearRule, Mat, TINY, magnitudes};

pub(crate) struct Relu<'a> {
    pub alpha: Option<&'a Mat>,
}

/// The upper line `(s, t)` of an unstable neuron, valid on `[l, u]`.
pub(crate) fn upper_line(l: f64, u: f64) -> Option<(f64, f64)> {
    if !(l.is_finite() && u.is_finite() && l < 0.0 && u > 0.0) {
        return None;
    }
    let s = u / (u - l);
    if !(s.is_finite() && s >= 0.0) {
        return None;
    }
    let t1 = (-s * l).next_up();
    let om = 1.0 - s;
    let t2 = if om > 0.0 {
        (u * om.next_up()).next_up()
    } else {
        0.0
    };
    let t = t1.max(t2).max(0.0);
    t.is_finite().then_some((s, t))
}

/// CROWN's adaptive lower slope.
pub(crate) fn adaptive_alpha(l: f64, u: f64) -> f64 {
    if u > -l { 1.0 } else { 0.0 }
}

impl Relu<'_> {
    fn alpha(&self, k: usize, j: usize, l: f64, u: f64) -> f64 {
        match self.alpha {
            Some(m) if k < m.rows && j < m.cols => {
                let v = m.get(k, j);
                if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) }
            }
            _ => adaptive_alpha(l, u),
        }
    }
}

impl LinearRule for Relu<'_> {
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat> {
        let n = a.cols;
        let Some(pre) = ctx.inputs.first() else {
            return vec![Mat::zeros(a.rows, n)];
        };
        let hx = magnitudes(pre);
        // Neurons by state: active ones pass their coefficient exactly, dead ones
        // drop it, unstable ones go through a line.
        let (mut active, mut unstable) = (Vec::new(), Vec::new());
        for j in 0..n.min(pre.len()) {
            let (l, u) = (pre.lo[j], pre.hi[j]);
            if u <= 0.0 {
                continue;
            }
            if l >= 0.0 {
                active.push(j);
            } else {
                unstable.push((j, l, u, upper_line(l, u)));
            }
        }
        let mut out = Mat::zeros(a.rows, n);
        for k in 0..a.rows {
            let arow = a.row(k);
            let orow = &mut out.data[k * n..(k + 1) * n];
            // Underflow: `TINY · |x_j|` per non-zero coefficient of a live neuron (an
            // infinite `|x_j|` only where the coefficient is used).
            let mut e = 0.0;
            for &j in &active {
                orow[j] = arow[j];
                if arow[j] != 0.0 {
                    e += TINY * hx[j];
                }
            }
            let (mut bs, mut bmag, mut cnt) = (0.0, 0.0, 0usize);
            for &(j, l, u, line) in &unstable {
                let av = arow[j];
                if av == 0.0 {
                    continue;
                }
                e += TINY * hx[j];
                let p = if av >= 0.0 {
                    av * self.alpha(k, j, l, u)
                } else if let Some((s, t)) = line {
                    bs += av * t;
                    bmag += (av * t).abs();
                    cnt += 1;
                    av * s
                } else {
                    e = f64::INFINITY;
                    0.0
                };
                orow[j] = p;
                if p != 0.0 {
                    e += f64::EPSILON * p.abs() * hx[j];
                }
            }
            acc.add_bias(k, bs, bmag, cnt);
            acc.add_err(k, e);
        }
        vec![out]
    }

    fn forward(&self, a: &Mat, ctx: &Ctx, inputs: &[&Mat]) -> Mat {
        let (Some(x), Some(pre)) = (inputs.first(), ctx.inputs.first()) else {
            return Mat::zeros(0, 0);
        };
        let n = x.cols;
        let mut out = Mat::zeros(x.rows, n);
        for k in 0..x.rows {
            for j in 0..n {
                let (l, u) = (pre.lo[j], pre.hi[j]);
                let xv = x.get(k, j);
                let av = if k < a.rows && j < a.cols {
                    a.get(k, j)
                } else {
                    0.0
                };
                out.data[k * n + j] = if u <= 0.0 {
                    0.0
                } else if l >= 0.0 {
                    xv
                } else if av >= 0.0 {
                    self.alpha(k, j, l, u) * xv
                } else {
                    match upper_line(l, u) {
                        Some((s, t)) => s * xv + t,
                        None => xv.max(0.0),
                    }
                };
            }
        }
        out
    }
}
