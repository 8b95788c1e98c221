//! CROWN rule of `Linear` (`y = x · W + b` over the last axis).
//!
//! Takes: the coefficients `Λ_y` (`k × rows·out`) of the output, the box of `x`.
//! Gives: `Λ_x[k, (r, i)] = Σ_j Λ_y[k, (r, j)] W[i, j]`, the constant `Σ Λ_y b` and the
//! error bound of both products and of the f64 evaluation of the layer (module doc of
//! [`super`]); forward: `x̂ W + b`.
//! Invariant: zero coefficients and zero weights are skipped, so an unbounded operand
//! gives an infinite error (a `-inf` bound), never NaN.

use super::{Acc, Ctx, LinearRule, Mat, TINY, gamma, magnitudes};
use crate::bounds::sum_error;

pub(crate) struct Linear<'a> {
    pub weight: &'a [f64],
    pub bias: Option<&'a [f64]>,
    pub in_features: usize,
    pub out_features: usize,
}

impl Linear<'_> {
    fn bias_at(&self, j: usize) -> f64 {
        self.bias
            .map_or(0.0, |b| b.get(j).copied().unwrap_or(f64::NAN))
    }
}

impl LinearRule for Linear<'_> {
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat> {
        let (nin, nout) = (self.in_features, self.out_features);
        let rows = a.cols.checked_div(nout).unwrap_or(0);
        let hx = ctx
            .inputs
            .first()
            .map(|x| magnitudes(x))
            .unwrap_or_else(|| vec![f64::INFINITY; rows * nin]);
        // s[(r, j)] = Σ_i |W_ij| |x_(r,i)|: bounds |Σ_i W_ij x_i| and the products' errors.
        let mut s = vec![0.0; rows * nout];
        let mut sum_hx = 0.0;
        for r in 0..rows {
            for i in 0..nin {
                let h = hx.get(r * nin + i).copied().unwrap_or(f64::INFINITY);
                sum_hx += h;
                let wrow = &self.weight[i * nout..(i + 1) * nout];
                let srow = &mut s[r * nout..(r + 1) * nout];
                for (sj, w) in srow.iter_mut().zip(wrow) {
                    if *w != 0.0 {
                        *sj += w.abs() * h;
                    }
                }
            }
        }
        let big_n = rows * nout;
        // Per output coordinate: the error per unit of |Λ_y| (product Λ Wᵀ, the bias
        // dot product, the f64 evaluation of the layer).
        let sigma: Vec<f64> = (0..big_n)
            .map(|c| {
                let b = self.bias_at(c % nout.max(1)).abs();
                gamma(nout) * s[c] + gamma(big_n) * b + sum_error(nin, s[c] + b)
            })
            .collect();
        let underflow = 2.0 * (nout as f64 + 1.0) * TINY * sum_hx;
        let mut out = Mat::zeros(a.rows, rows * nin);
        let (k_rows, width) = (a.rows, rows * nin);
        if self.weight.len() == nin * nout && a.data.len() == k_rows * rows * nout {
            for r in 0..rows {
                // Λ_x[:, r] = Λ_y[:, r] · Wᵀ (W is [in, out] row-major, so Wᵀ has row
                // stride 1 and column stride `out`). Any summation order, FMA
                // included, stays within the `γ(out)` bound above.
                // SAFETY: the operand and result extents are checked just above:
                // `a` is `k_rows × rows·nout`, `weight` is `nin × nout` and `out` is
                // `k_rows × rows·nin`, and the strides index within them.
                unsafe {
                    matrixmultiply::dgemm(
                        k_rows,
                        nout,
                        nin,
                        1.0,
                        a.data.as_ptr().add(r * nout),
                        (rows * nout) as isize,
                        1,
                        self.weight.as_ptr(),
                        1,
                        nout as isize,
                        0.0,
                        out.data.as_mut_ptr().add(r * nin),
                        width as isize,
                        1,
                    );
                }
            }
        } else {
            // Malformed shapes (never from the loader): the bound is `-inf`.
            for k in 0..k_rows {
                acc.add_err(k, f64::INFINITY);
            }
            return vec![out];
        }
        for k in 0..a.rows {
            let arow = a.row(k);
            let (mut bs, mut bmag, mut e) = (0.0, 0.0, 0.0);
            for r in 0..rows {
                let aseg = &arow[r * nout..(r + 1) * nout];
                if aseg.iter().all(|v| *v == 0.0) {
                    continue;
                }
                for (j, av) in aseg.iter().enumerate() {
                    if *av == 0.0 {
                        continue;
                    }
                    let b = self.bias_at(j);
                    bs += av * b;
                    bmag += (av * b).abs();
                    e += av.abs() * sigma[r * nout + j];
                }
            }
            if self.bias.is_some() {
                acc.add_bias(k, bs, bmag, big_n);
            }
            acc.add_err(k, e + underflow);
        }
        vec![out]
    }

    fn forward(&self, _a: &Mat, _ctx: &Ctx, inputs: &[&Mat]) -> Mat {
        let (nin, nout) = (self.in_features, self.out_features);
        let Some(x) = inputs.first() else {
            return Mat::zeros(0, 0);
        };
        let rows = x.cols.checked_div(nin).unwrap_or(0);
        let mut out = Mat::zeros(x.rows, rows * nout);
        for k in 0..x.rows {
            let xrow = x.row(k);
            let orow = out.row_mut(k);
            for r in 0..rows {
                let yseg = &mut orow[r * nout..(r + 1) * nout];
                for (j, y) in yseg.iter_mut().enumerate() {
                    *y = self.bias_at(j);
                }
                for i in 0..nin {
                    let xi = xrow[r * nin + i];
                    let wrow = &self.weight[i * nout..(i + 1) * nout];
                    for (y, w) in yseg.iter_mut().zip(wrow) {
                        *y += xi * w;
                    }
                }
            }
        }
        out
    }
}
