//! IBP rule of `Reshape` (Flatten, Identity, Squeeze, Unsqueeze).
//!
//! Takes: the box of `x`.
//! Gives: the same box (the data is unchanged in C order).
//! Invariant: exact.

use super::{BoundRule, Interval};

pub(crate) struct Reshape;

impl BoundRule for Reshape {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        inputs
            .first()
            .map(|x| (*x).clone())
            .unwrap_or_else(|| Interval::new(Vec::new(), Vec::new()))
    }
}
