//! CROWN rule of `Reshape` (Flatten, Identity, Squeeze, Unsqueeze).
//!
//! Takes: the coefficients of the output.
//! Gives: the same coefficients for the operand (the data is unchanged in C order);
//! forward: the same point.
//! Invariant: exact, no error term.

use super::{Acc, Ctx, LinearRule, Mat};

pub(crate) struct Reshape;

impl LinearRule for Reshape {
    fn backward(&self, a: &Mat, _ctx: &Ctx, _acc: &mut Acc) -> Vec<Mat> {
        vec![a.clone()]
    }

    fn forward(&self, _a: &Mat, _ctx: &Ctx, inputs: &[&Mat]) -> Mat {
        inputs
            .first()
            .map(|x| (*x).clone())
            .unwrap_or_else(|| Mat::zeros(0, 0))
    }
}
