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

use crate::bounds::crown::{self, CrownOptions, Mat};
use crate::bounds::joint::JointNetwork;
use crate::bounds::{Interval, ProblemBounds, down, sum_error, up};
use crate::network::Network;
use propc_compiler::ir::{LinExpr, Problem, Ref};
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
    let bounds = joint.widen_outputs(bounds, &errors);
    Some(JointRoot {
        joint,
        values,
        bounds,
        errors,
    })
}

/// The joint roots worth computing: the twin graph, and when it has twins also the
/// plain product (a twin's output is its base's plus a difference, so the base's
/// relaxation counts twice; when the runs are far apart the product is tighter).
pub fn joint_roots(
    problem: &Problem,
    networks: &[&Network],
    deadline: Option<Instant>,
) -> Vec<JointRoot> {
    let Some(twin) = joint_root(problem, networks, true, deadline) else {
        return Vec::new();
    };
    let product = twin
        .joint
        .has_twins()
        .then(|| joint_root(problem, networks, false, deadline))
        .flatten();
    std::iter::once(twin).chain(product).collect()
}

/// The tightest ranges over several roots (see [`JointRoot::ranges`]).
pub fn best_ranges(roots: &[JointRoot], exprs: &[&LinExpr]) -> Option<Vec<(f64, f64)>> {
    roots
        .iter()
        .map(|r| r.ranges(exprs))
        .reduce(|a, b| tighter(&a, &b))
}

impl JointRoot {
    /// Sound `[lo, hi]` of each expression over the root box and the premise's
    /// variable-only atoms, never looser than intervals on [`JointRoot::bounds`].
    pub fn ranges(&self, exprs: &[&LinExpr]) -> Vec<(f64, f64)> {
        self.joint
            .expr_ranges(&self.values, &self.bounds, &self.errors, exprs, &|_| true)
            .into_iter()
            .map(|(lo, hi, _)| (lo, hi))
            .collect()
    }

    /// `bounds` (each application's boxes, e.g. per-application CROWN) intersected
    /// with the joint ones: both are sound, so the intersection is.
    pub fn tighten(&self, bounds: &ProblemBounds) -> ProblemBounds {
        let mut out = bounds.clone();
        out.twins.extend(self.bounds.twins.iter().cloned());
        for (app, joint) in out.apps.iter_mut().zip(&self.bounds.apps) {
            for (b, j) in app.iter_mut().zip(joint) {
                b.intersect(j);
            }
        }
        out
    }
}

/// Sound `[lo, hi]` of each expression with every application bounded on its own (the
/// *independent* analysis): the part of the expression over application `k`'s outputs
/// by CROWN over `k`'s input box in `bounds` (e.g. [`ProblemBounds::with_crown`]), the
/// variables by intervals, then summed. Correlations between applications are lost.
pub fn independent_ranges(
    problem: &Problem,
    networks: &[&Network],
    bounds: &ProblemBounds,
    exprs: &[&LinExpr],
) -> Vec<(f64, f64)> {
    let napps = problem.applications.len();
    exprs
        .iter()
        .map(|e| {
            // Per application: its output coefficients.
            let mut rows: Vec<Option<Vec<f64>>> = vec![None; napps];
            let (mut lo, mut hi, mut mag, mut n) =
                (e.constant, e.constant, e.constant.abs(), 1usize);
            for (r, c) in &e.terms {
                match *r {
                    Ref::Out { app, index } if app < napps => {
                        let size = problem.applications[app].outputs;
                        let row = rows[app].get_or_insert_with(|| vec![0.0; size]);
                        if index < size {
                            row[index] += c;
                        }
                    }
                    _ => {
                        let (l, h) = bounds.scalar(*r);
                        let (a, b) = if *c >= 0.0 {
                            (c * l, c * h)
                        } else {
                            (c * h, c * l)
                        };
                        lo += a;
                        hi += b;
                        mag += c.abs() * l.abs().max(h.abs());
                        n += 1;
                    }
                }
            }
            for (k, row) in rows.iter().enumerate() {
                let Some(row) = row else { continue };
                let net = networks[problem.applications[k].network];
                let values = &bounds.apps[k];
                let pos = Mat {
                    rows: 1,
                    cols: row.len(),
                    data: row.clone(),
                };
                let Some(cm) = pos.stack(&pos.neg()) else {
                    return (f64::NEG_INFINITY, f64::INFINITY);
                };
                let low = crown::lower_bounds(net, values, net.nodes.len(), &cm);
                // Never looser than intervals on the output box.
                let (il, ih) = crate::bounds::affine_range(
                    row.iter().enumerate().map(|(i, c)| {
                        let (l, h) = bounds.scalar(Ref::Out { app: k, index: i });
                        (*c, l, h)
                    }),
                    0.0,
                );
                let (l, h) = (low[0].max(il), (-low[1]).min(ih));
                lo += l;
                hi += h;
                mag += l.abs().max(h.abs());
                n += 1;
            }
            let err = sum_error(n, mag);
            (down(lo, err), up(hi, err))
        })
        .collect()
}

/// The tighter of two sound ranges, end by end.
pub fn tighter(a: &[(f64, f64)], b: &[(f64, f64)]) -> Vec<(f64, f64)> {
    a.iter()
        .zip(b)
        .map(|((l1, h1), (l2, h2))| (l1.max(*l2), h1.min(*h2)))
        .collect()
}
