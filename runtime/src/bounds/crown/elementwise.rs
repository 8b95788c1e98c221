//! CROWN rules of the elementwise ops: a value with a constant (`x + c`, `x - c`,
//! `c - x`, `x * c`, `x / c`) and the sum or difference of two values.
//!
//! Takes: the coefficients `Λ_y` of the output, the boxes of the operand(s) and of the
//! output, the constant already broadcast.
//! Gives: `Λ_x = ±Λ_y` (add/sub, exact), `Λ_y ⊙ c` or `Λ_y ⊘ c` (mul/div, one
//! rounding each); the constant `±Σ Λ_y c` for add/sub; the error bound of the
//! rounded coefficients and of the f64 evaluation of the op (each output coordinate is
//! one correctly rounded operation: error `≤ eps |y_j| + 2^-1074`); forward: the op
//! itself on `x̂`.
//! Invariant: a missing constant is NaN, which makes the bound `-inf`.

use super::{Acc, Ctx, LinearRule, Mat, TINY, magnitudes};

pub(crate) use crate::bounds::elementwise::ConstKind;

pub(crate) struct Const<'a> {
    pub kind: ConstKind,
    pub constant: &'a [f64],
}

/// `[Σ a_j c_j, Σ |a_j c_j|, Σ |a_j| w_j]` with four independent partial sums per
/// total (the rounding-error bounds used with them hold for any summation order).
#[allow(clippy::needless_range_loop)] // four lanes indexed in step
fn weighted_sums(a: &[f64], c: &[f64], w: &[f64]) -> [f64; 3] {
    let n = a.len().min(c.len()).min(w.len());
    let mut acc = [[0.0f64; 4]; 3];
    let chunks = n / 4;
    for q in 0..chunks {
        for t in 0..4 {
            let j = q * 4 + t;
            let p = a[j] * c[j];
            acc[0][t] += p;
            acc[1][t] += p.abs();
            // A zero coefficient adds nothing, even against an infinite `w`.
            acc[2][t] += if a[j] == 0.0 { 0.0 } else { a[j].abs() * w[j] };
        }
    }
    let mut out = [0.0; 3];
    for (o, l) in out.iter_mut().zip(&acc) {
        *o = (l[0] + l[1]) + (l[2] + l[3]);
    }
    for j in chunks * 4..n {
        let p = a[j] * c[j];
        out[0] += p;
        out[1] += p.abs();
        out[2] += if a[j] == 0.0 { 0.0 } else { a[j].abs() * w[j] };
    }
    out
}

impl LinearRule for Const<'_> {
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat> {
        let n = a.cols;
        let mut out = Mat::zeros(a.rows, n);
        if self.constant.len() < n {
            // A missing constant: no sound bound.
            for k in 0..a.rows {
                acc.add_err(k, f64::INFINITY);
            }
            return vec![out];
        }
        let c = &self.constant[..n];
        let hx = ctx
            .inputs
            .first()
            .map(|x| magnitudes(x))
            .unwrap_or_else(|| vec![f64::INFINITY; n]);
        // Per coordinate, the f64 evaluation error per unit of |Λ_y|.
        let w: Vec<f64> = magnitudes(ctx.output)
            .iter()
            .map(|h| f64::EPSILON * h + TINY)
            .collect();
        let sum_hx: f64 = hx.iter().sum();
        for k in 0..a.rows {
            let arow = a.row(k);
            let orow = out.row_mut(k);
            match self.kind {
                ConstKind::Add | ConstKind::Sub | ConstKind::ConstSub => {
                    if self.kind == ConstKind::ConstSub {
                        for (o, av) in orow.iter_mut().zip(arow) {
                            *o = -av;
                        }
                    } else {
                        orow.copy_from_slice(arow);
                    }
                    let [s, mag, e] = weighted_sums(arow, c, &w);
                    let sign = if self.kind == ConstKind::Sub {
                        -1.0
                    } else {
                        1.0
                    };
                    let terms = arow.iter().filter(|v| **v != 0.0).count();
                    acc.add_bias(k, sign * s, mag, terms);
                    acc.add_err(k, e);
                }
                ConstKind::Mul | ConstKind::Div => {
                    let mut e = 0.0;
                    for (j, av) in arow.iter().enumerate() {
                        if *av == 0.0 {
                            continue;
                        }
                        let p = if self.kind == ConstKind::Mul {
                            av * c[j]
                        } else {
                            av / c[j]
                        };
                        orow[j] = p;
                        e += av.abs() * w[j];
                        if p != 0.0 {
                            e += f64::EPSILON
                                * p.abs()
                                * hx.get(j).copied().unwrap_or(f64::INFINITY);
                        }
                    }
                    acc.add_err(k, e + TINY * sum_hx);
                }
            }
        }
        vec![out]
    }

    fn forward(&self, _a: &Mat, _ctx: &Ctx, inputs: &[&Mat]) -> Mat {
        let Some(x) = inputs.first() else {
            return Mat::zeros(0, 0);
        };
        let mut out = (*x).clone();
        for k in 0..x.rows {
            for (j, v) in out.row_mut(k).iter_mut().enumerate() {
                let c = self.constant.get(j).copied().unwrap_or(f64::NAN);
                *v = match self.kind {
                    ConstKind::Add => *v + c,
                    ConstKind::Sub => *v - c,
                    ConstKind::ConstSub => c - *v,
                    ConstKind::Mul => *v * c,
                    ConstKind::Div => *v / c,
                };
            }
        }
        out
    }
}

pub(crate) struct Binary {
    pub subtract: bool,
}

impl LinearRule for Binary {
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat> {
        let hy = magnitudes(ctx.output);
        for k in 0..a.rows {
            let e: f64 = a
                .row(k)
                .iter()
                .zip(&hy)
                .filter(|(v, _)| **v != 0.0)
                .map(|(v, h)| v.abs() * (f64::EPSILON * h + TINY))
                .sum();
            acc.add_err(k, e);
        }
        let rhs = if self.subtract { a.neg() } else { a.clone() };
        vec![a.clone(), rhs]
    }

    fn forward(&self, _a: &Mat, _ctx: &Ctx, inputs: &[&Mat]) -> Mat {
        let (Some(x), Some(y)) = (inputs.first(), inputs.get(1)) else {
            return Mat::zeros(0, 0);
        };
        let mut out = (*x).clone();
        for (o, v) in out.data.iter_mut().zip(&y.data) {
            if self.subtract {
                *o -= v;
            } else {
                *o += v;
            }
        }
        out
    }
}
