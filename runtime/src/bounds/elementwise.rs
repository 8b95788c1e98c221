//! IBP rules of the elementwise ops: a value with a constant (`x + c`, `x - c`,
//! `c - x`, `x * c`, `x / c`) and the sum or difference of two values.
//!
//! Takes: the box(es) of the operand(s), and the constant already broadcast.
//! Gives: the box of the result.
//! Invariant: each result coordinate is one correctly rounded f64 operation, monotone
//! in each operand, so the computed endpoints rounded one step outward
//! (`next_down` / `next_up`) contain both the real and the f64 value.

use super::{BoundRule, Interval};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConstKind {
    Add,
    Sub,
    ConstSub,
    Mul,
    Div,
}

pub(crate) struct Const<'a> {
    pub kind: ConstKind,
    pub constant: &'a [f64],
}

/// Rounds a pair of candidate endpoints outward (keeps exact zeros of an exact op).
fn outward(a: f64, b: f64) -> (f64, f64) {
    let (l, h) = if a <= b { (a, b) } else { (b, a) };
    let l = if l == f64::NEG_INFINITY {
        l
    } else {
        l.next_down()
    };
    let h = if h == f64::INFINITY { h } else { h.next_up() };
    (l, h)
}

impl BoundRule for Const<'_> {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        let Some(x) = inputs.first() else {
            return Interval::new(Vec::new(), Vec::new());
        };
        let n = x.len();
        let mut lo = Vec::with_capacity(n);
        let mut hi = Vec::with_capacity(n);
        for i in 0..n {
            let (a, b) = (x.lo[i], x.hi[i]);
            let c = self.constant.get(i).copied().unwrap_or(f64::NAN);
            let (l, h) = match self.kind {
                ConstKind::Add => outward(a + c, b + c),
                ConstKind::Sub => outward(a - c, b - c),
                ConstKind::ConstSub => outward(c - b, c - a),
                ConstKind::Mul if c == 0.0 => (0.0, 0.0),
                ConstKind::Mul => outward(a * c, b * c),
                ConstKind::Div => outward(a / c, b / c),
            };
            // A NaN (missing constant, `inf - inf`) widens to the whole line.
            lo.push(if l.is_nan() { f64::NEG_INFINITY } else { l });
            hi.push(if h.is_nan() { f64::INFINITY } else { h });
        }
        Interval::new(lo, hi)
    }
}

pub(crate) struct Binary {
    pub subtract: bool,
}

impl BoundRule for Binary {
    fn interval(&self, inputs: &[&Interval]) -> Interval {
        let (Some(x), Some(y)) = (inputs.first(), inputs.get(1)) else {
            return Interval::new(Vec::new(), Vec::new());
        };
        let n = x.len().min(y.len());
        let mut lo = Vec::with_capacity(n);
        let mut hi = Vec::with_capacity(n);
        for i in 0..n {
            let (l, h) = if self.subtract {
                (x.lo[i] - y.hi[i], x.hi[i] - y.lo[i])
            } else {
                (x.lo[i] + y.lo[i], x.hi[i] + y.hi[i])
            };
            let (l, h) = outward(l, h);
            lo.push(if l.is_nan() { f64::NEG_INFINITY } else { l });
            hi.push(if h.is_nan() { f64::INFINITY } else { h });
        }
        Interval::new(lo, hi)
    }
}
