//! IBP rule of `ReluDiff`: `y = relu(w) - relu(z)` with `w = z + d`.
//!
//! Takes: the boxes of `z`, `d` and `w` (in that order).
//! Gives: the intersection of two sound ranges: `[min(0, d_lo), max(0, d_hi)]`
//! (ReLU is monotone and 1-Lipschitz, so `y` has the sign of `d` and `|y| <= |d|`) and
//! `[relu(w_lo) - relu(z_hi), relu(w_hi) - relu(z_lo)]`, rounded one step outward
//! (the subtraction is the one rounding of the f64 evaluation).
//! Invariant: contains the real value and the f64 value of `relu(w) - relu(z)` for
//! every `z`, `d`, `w` in their boxes with `w = z + d` (in real arithmetic or after
//! the rounding of `w`: the second range only reads `w`'s box).

use super::{BoundRule, Interval};

pub(crate) struct ReluDiff;

impl BoundRule for ReluDiff {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        let (Some(z), Some(d), Some(w)) = (inputs.first(), inputs.get(1), inputs.get(2)) else {
            return Interval::new(Vec::new(), Vec::new());
        };
        let n = z.len().min(d.len()).min(w.len());
        let mut lo = Vec::with_capacity(n);
        let mut hi = Vec::with_capacity(n);
        for j in 0..n {
            let by_change = (d.lo[j].min(0.0), d.hi[j].max(0.0));
            let by_ends = (
                (w.lo[j].max(0.0) - z.hi[j].max(0.0)).next_down(),
                (w.hi[j].max(0.0) - z.lo[j].max(0.0)).next_up(),
            );
            let l = by_change.0.max(by_ends.0);
            let h = by_change.1.min(by_ends.1);
            // `d`'s box bounds the real value only; widen by the rounding of `w` and of
            // the subtraction (one ulp of the larger end each).
            let slack = |v: f64| 4.0 * f64::EPSILON * v.abs() + f64::from_bits(1);
            let scale = z.lo[j]
                .abs()
                .max(z.hi[j].abs())
                .max(w.lo[j].abs().max(w.hi[j].abs()));
            let (l, h) = if l <= h {
                (l - slack(scale), h + slack(scale))
            } else {
                by_ends
            };
            lo.push(if l.is_nan() { f64::NEG_INFINITY } else { l });
            hi.push(if h.is_nan() { f64::INFINITY } else { h });
        }
        Interval::new(lo, hi)
    }
}
