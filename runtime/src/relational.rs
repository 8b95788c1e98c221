//! The relational stage of the portfolio: bounds of a problem with several network
//! applications taken jointly, over one graph ([`JointNetwork`]).
//!
//! Takes: an IR [`Problem`] with at least two applications, its networks, a deadline.
//! Gives: a [`JointRoot`]: the joint graph's CROWN boxes over the variables' boxes (and
//! the premise's variable-only atoms), each application's boxes from them, and sound
//! ranges of any linear expression of variables and outputs
//! ([`JointRoot::ranges`]), which `crate::verify` uses to refute goal disjuncts, to
//! bound a query's objective, and to tighten the MILP's boxes.
//! Invariant: every range is sound for the real-arithmetic networks and for their f64
//! evaluation as the concrete check computes it (the joint bound's own error terms,
//! each application's f64 error bound, and the expression's evaluation error are all
//! charged).

use crate::bounds::crown::CrownOptions;
use crate::bounds::joint::JointNetwork;
use crate::bounds::{Interval, ProblemBounds, down, sum_error, up};
use crate::network::Network;
use propc_compiler::ir::{LinExpr, Problem};
use std::time::Instant;

/// The joint bounds of a problem at its root box.
pub struct JointRoot {
    pub joint: JointNetwork,
    pub values: Vec<Interval>,
    /// Each application's boxes, from the joint ones.
    pub bounds: ProblemBounds,
    errors: Vec<Vec<f64>>,
}

/// The joint bounds of `problem` over its variables' boxes (`twins: false`: the plain
/// product, every application own); `None` with fewer than two applications or if
/// the graph cannot be built.
pub fn joint_root(
    problem: &Problem,
    networks: &[&Network],
    twins: bool,
    deadline: Option<Instant>,
) -> Option<JointRoot> {
    if problem.applications.len() < 2 {
        return None;
    }
    let joint = JointNetwork::build(problem, networks, twins)?;
    let vars = Interval::new(
        problem.vars.iter().map(|v| v.lo).collect(),
        problem.vars.iter().map(|v| v.hi).collect(),
    );
    let opts = CrownOptions {
        deadline,
        ..CrownOptions::default()
    };
    let values = joint.values(&vars, None, &opts);
    let bounds = joint.problem_bounds(&vars, &values);
    let errors = joint.eval_errors(&bounds);
    Some(JointRoot {
        joint,
        values,
        bounds,
        errors,
    })
}

impl JointRoot {
    /// Sound `[lo, hi]` of each expression over the root box and the premise's
    /// variable-only atoms, never looser than intervals on [`JointRoot::bounds`].
    pub fn ranges(&self, exprs: &[&LinExpr]) -> Vec<(f64, f64)> {
        let negs: Vec<LinExpr> = exprs.iter().map(|e| e.scale(-1.0)).collect();
        let mut rows: Vec<&LinExpr> = exprs.to_vec();
        rows.extend(negs.iter());
        let (low, _) = self.joint.lower_bounds(&self.values, &rows, &self.errors);
        let n = exprs.len();
        exprs
            .iter()
            .enumerate()
            .map(|(k, e)| {
                let mut mag = e.constant.abs();
                for (r, c) in &e.terms {
                    let (l, h) = self.bounds.scalar(*r);
                    mag += c.abs() * l.abs().max(h.abs());
                }
                let e_eval = sum_error(e.terms.len() + 1, mag);
                let (ilo, ihi) = self.bounds.expr(e);
                let lo = down(low[k], e_eval);
                let hi = up(-low[n + k], e_eval);
                (
                    if lo.is_nan() { ilo } else { lo.max(ilo) },
                    if hi.is_nan() { ihi } else { hi.min(ihi) },
                )
            })
            .collect()
    }

    /// `bounds` (each application's boxes, e.g. per-application CROWN) intersected
    /// with the joint ones: both are sound, so the intersection is.
    pub fn tighten(&self, bounds: &ProblemBounds) -> ProblemBounds {
        let mut out = bounds.clone();
        for (app, joint) in out.apps.iter_mut().zip(&self.bounds.apps) {
            for (b, j) in app.iter_mut().zip(joint) {
                if b.len() != j.len() {
                    continue;
                }
                for i in 0..b.len() {
                    let (l, h) = (b.lo[i].max(j.lo[i]), b.hi[i].min(j.hi[i]));
                    if l <= h {
                        b.lo[i] = l;
                        b.hi[i] = h;
                    }
                }
            }
        }
        out
    }
}
