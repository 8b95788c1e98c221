//! IBP rule of `Relu`.
//!
//! Takes: the box of `x`.
//! Gives: `[max(lo, 0), max(hi, 0)]`, exact (no rounding happens).
//! Invariant: a lower bound `>= 0` stays exactly `0` or above, so facts like
//! `relu(x) >= 0` are proved without slack.

use super::{BoundRule, Interval};

pub(crate) struct Relu;

impl BoundRule for Relu {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        let Some(x) = inputs.first() else {
            return Interval::new(Vec::new(), Vec::new());
        };
        Interval::new(
            x.lo.iter().map(|v| v.max(0.0)).collect(),
            x.hi.iter().map(|v| v.max(0.0)).collect(),
        )
    }
}
