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

/// `Σ_j |a_j| (eps |y_j| + TINY)`: the f64 evaluation error of a single-rounding op
/// weighted by the coefficients of its output.
fn eval_error(a: &[f64], hy: &[f64]) -> f64 {
    a.iter()
        .zip(hy)
        .filter(|(v, _)| **v != 0.0)
        .map(|(v, h)| v.abs() * (f64::EPSILON * h + TINY))
        .sum()
}

impl LinearRule for Const<'_> {
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat> {
        let n = a.cols;
        let c = |j: usize| self.constant.get(j).copied().unwrap_or(f64::NAN);
        let hx = ctx
            .inputs
            .first()
            .map(|x| magnitudes(x))
            .unwrap_or_else(|| vec![f64::INFINITY; n]);
        let hy = magnitudes(ctx.output);
        let sum_hx: f64 = hx.iter().sum();
        let mut out = Mat::zeros(a.rows, n);
        for k in 0..a.rows {
            let arow = a.row(k);
            let orow = out.row_mut(k);
            let mut e = eval_error(arow, &hy);
            match self.kind {
                ConstKind::Add | ConstKind::Sub | ConstKind::ConstSub => {
                    let sign = if self.kind == ConstKind::Sub {
                        -1.0
                    } else {
                        1.0
                    };
                    let (mut s, mut mag, mut cnt) = (0.0, 0.0, 0usize);
                    for (j, av) in arow.iter().enumerate() {
                        orow[j] = if self.kind == ConstKind::ConstSub {
                            -av
                        } else {
                            *av
                        };
                        if *av != 0.0 {
                            s += av * c(j);
                            mag += (av * c(j)).abs();
                            cnt += 1;
                        }
                    }
                    acc.add_bias(k, sign * s, mag, cnt);
                }
                ConstKind::Mul | ConstKind::Div => {
                    for (j, av) in arow.iter().enumerate() {
                        if *av == 0.0 {
                            continue;
                        }
                        let p = if self.kind == ConstKind::Mul {
                            av * c(j)
                        } else {
                            av / c(j)
                        };
                        orow[j] = p;
                        if p != 0.0 {
                            e += f64::EPSILON
                                * p.abs()
                                * hx.get(j).copied().unwrap_or(f64::INFINITY);
                        }
                    }
                    e += TINY * sum_hx;
                }
            }
            acc.add_err(k, e);
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
            acc.add_err(k, eval_error(a.row(k), &hy));
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
