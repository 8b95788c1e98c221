//! IBP rule of `Linear` (`y = x · W + b` over the last axis).
//!
//! Takes: the box of `x` (any number of rows of `in_features`).
//! Gives: the box of `y`, each coordinate widened by the rounding-error bound of its
//! dot product (see [`super::sum_error`]).
//! Invariant: zero weights are skipped, so unbounded inputs never produce NaN.

use super::{BoundRule, Interval, down, sum_error, up};

pub(crate) struct Linear<'a> {
    pub weight: &'a [f64],
    pub bias: Option<&'a [f64]>,
    pub in_features: usize,
    pub out_features: usize,
}

impl BoundRule for Linear<'_> {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        let Some(x) = inputs.first() else {
            return Interval::new(Vec::new(), Vec::new());
        };
        let (nin, nout) = (self.in_features, self.out_features);
        let rows = x.len().checked_div(nin).unwrap_or(0);
        let mut lo = vec![0.0; rows * nout];
        let mut hi = vec![0.0; rows * nout];
        let mut mag = vec![0.0; nout];
        let mut count = vec![0usize; nout];
        for r in 0..rows {
            let (ylo, yhi) = (
                &mut lo[r * nout..(r + 1) * nout],
                &mut hi[r * nout..(r + 1) * nout],
            );
            mag.iter_mut().for_each(|m| *m = 0.0);
            count.iter_mut().for_each(|c| *c = 0);
            if let Some(b) = self.bias {
                ylo.copy_from_slice(b);
                yhi.copy_from_slice(b);
                for (m, bj) in mag.iter_mut().zip(b) {
                    *m = bj.abs();
                }
            }
            for i in 0..nin {
                let (xl, xh) = (x.lo[r * nin + i], x.hi[r * nin + i]);
                let xm = xl.abs().max(xh.abs());
                let wrow = &self.weight[i * nout..(i + 1) * nout];
                for j in 0..nout {
                    let w = wrow[j];
                    if w == 0.0 {
                        continue;
                    }
                    if w > 0.0 {
                        ylo[j] += w * xl;
                        yhi[j] += w * xh;
                    } else {
                        ylo[j] += w * xh;
                        yhi[j] += w * xl;
                    }
                    mag[j] += w.abs() * xm;
                    count[j] += 1;
                }
            }
            for j in 0..nout {
                if count[j] == 0 {
                    continue; // y = b exactly
                }
                let err = sum_error(count[j], mag[j]);
                ylo[j] = down(ylo[j], err);
                yhi[j] = up(yhi[j], err);
            }
        }
        Interval::new(lo, hi)
    }
}
