//! Bounding one branch-and-bound domain: a sub-box of the IR variables.
//!
//! Takes: a [`Plan`] (the problem's atoms sorted by application, built once) and a
//! [`Domain`].
//! Gives: a [`Step`]: the domain is verified (the premise is empty on it, or every
//! open goal disjunct is refuted), holds a concretely checked counterexample, or is
//! split in two along the variable with the largest score `width_i · Σ |∂bound/∂x_i|`
//! (the sensitivity of each open disjunct's binding atom's linear bound, as in
//! ReluVal's smear), or cannot be split further.
//! Invariant: a disjunct is dropped from a domain only when a sound lower bound proves
//! it has no point there (`crate::verify`'s atom rules); the premise's variable-only
//! atoms shrink the box only by outward-rounded bound tightening, so no point that
//! satisfies the premise in real arithmetic is ever dropped. Bounds: the boxes of every
//! application by CROWN ([`crown::crown_intervals_within`]) inside the parent's boxes
//! (a child's box is inside its parent's, so the parent's bounds stay valid and
//! neurons they make stable need no backward pass), then one batched CROWN backward
//! pass per application for all open atoms.

use crate::bounds::crown::{self, CrownOptions, Mat};
use crate::bounds::joint::JointNetwork;
use crate::bounds::{Interval, ProblemBounds, affine_range, down, sum_error, up};
use crate::network::Network;
use crate::verify::{self, Counterexample};
use propc_compiler::ir::{EQ_TOLERANCE, LinAtom, LinExpr, Problem, Ref, Rel};
use std::sync::Arc;

/// A sub-box of the variables with the goal disjuncts still open on it.
#[derive(Clone, Debug)]
pub(crate) struct Domain {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// Indices of the goal disjuncts not yet refuted on this box.
    pub open: Vec<usize>,
    /// A lower bound of the violation margin on this box (from its parent).
    pub bound: f64,
    pub depth: u32,
    /// Sound boxes of every application's values on a box containing this one (the
    /// parent's), shared by siblings.
    pub prior: Option<Arc<Vec<Vec<Interval>>>>,
}

/// What bounding a domain decided.
pub(crate) enum Step {
    Verified,
    Violated(Box<Counterexample>),
    Split(Box<[Domain; 2]>),
    /// Open disjuncts remain and the box cannot be split further.
    Stuck(Domain),
}

/// An atom, its output part grouped by application.
pub(super) struct AtomPlan {
    pub(super) rel: Rel,
    /// `(application, coefficients over its outputs)`.
    apps: Vec<(usize, Vec<f64>)>,
}

/// The problem's atoms prepared once for every domain.
pub(crate) struct Plan<'a> {
    pub problem: &'a Problem,
    pub goals: &'a [Vec<LinAtom>],
    pub networks: &'a [&'a Network],
    goal_plans: Vec<Vec<AtomPlan>>,
    /// Premise atoms that read network outputs.
    pub(super) output_premise: Vec<(&'a LinAtom, AtomPlan)>,
    /// Premise atoms over variables only (used to shrink boxes).
    var_premise: Vec<&'a LinAtom>,
    /// Each variable's width in the problem (1 where it is 0).
    pub(super) root_width: Vec<f64>,
    /// For several applications: all of them in one graph over the variables (twins
    /// where runs are close), bounded jointly instead of one application at a time.
    joint: Option<JointNetwork>,
}

/// The bounds of one domain.
pub(crate) struct Bounded {
    pub pb: ProblemBounds,
    /// The joint graph's boxes (with [`Plan::joint`]).
    joint_values: Option<Vec<Interval>>,
    /// Each application's f64 evaluation error bound (with [`Plan::joint`]).
    errors: Vec<Vec<f64>>,
}

impl Bounded {
    /// What a child domain starts from: the joint boxes, or each application's.
    pub(super) fn into_prior(self) -> Vec<Vec<Interval>> {
        match self.joint_values {
            Some(v) => vec![v],
            None => self.pb.apps,
        }
    }
}

/// The variable to split a box `[lo, hi]` along: the largest `width_i · score_i`,
/// unless some variable is more than `lag` times wider relative to its range in the
/// problem (`root_width`), then the widest relative to its range; `None` if no
/// variable can be halved in f64.
pub(super) fn split_variable(
    lo: &[f64],
    hi: &[f64],
    root_width: &[f64],
    score: &[f64],
    lag: f64,
) -> Option<usize> {
    let splittable = |i: usize| {
        let mid = 0.5 * (lo[i] + hi[i]);
        lo[i] < mid && mid < hi[i]
    };
    let rel = |i: usize| (hi[i] - lo[i]) / root_width[i];
    let best_by = |key: &dyn Fn(usize) -> f64| {
        (0..lo.len())
            .filter(|&i| splittable(i))
            .map(|i| (i, key(i)))
            .filter(|(_, v)| !v.is_nan())
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    };
    let widest = best_by(&|i| rel(i));
    match (best_by(&|i| (hi[i] - lo[i]) * score[i]), widest) {
        (Some((i, s)), Some((_, r))) if s > 0.0 && rel(i) * lag >= r => Some(i),
        (_, w) => w.map(|(i, _)| i),
    }
}

/// See the split rule in [`Plan::process`].
pub(super) const LAG: f64 = 200.0;

pub(super) fn plan_atom(problem: &Problem, a: &LinAtom) -> AtomPlan {
    let mut apps: Vec<(usize, Vec<f64>)> = Vec::new();
    for (r, c) in &a.expr.terms {
        if let Ref::Out { app, index } = *r {
            let size = problem.applications.get(app).map_or(0, |p| p.outputs);
            let slot = match apps.iter().position(|(k, _)| *k == app) {
                Some(p) => p,
                None => {
                    apps.push((app, vec![0.0; size]));
                    apps.len() - 1
                }
            };
            if let Some(v) = apps[slot].1.get_mut(index) {
                *v += c;
            }
        }
    }
    AtomPlan { rel: a.rel, apps }
}

impl<'a> Plan<'a> {
    pub fn new(
        problem: &'a Problem,
        goals: &'a [Vec<LinAtom>],
        networks: &'a [&'a Network],
    ) -> Plan<'a> {
        let reads_outputs = |a: &LinAtom| {
            a.expr
                .terms
                .iter()
                .any(|(r, _)| matches!(r, Ref::Out { .. }))
        };
        Plan {
            problem,
            goals,
            networks,
            goal_plans: goals
                .iter()
                .map(|g| g.iter().map(|a| plan_atom(problem, a)).collect())
                .collect(),
            output_premise: problem
                .premise
                .iter()
                .filter(|a| reads_outputs(a))
                .map(|a| (a, plan_atom(problem, a)))
                .collect(),
            var_premise: problem
                .premise
                .iter()
                .filter(|a| !reads_outputs(a))
                .collect(),
            root_width: problem
                .vars
                .iter()
                .map(|v| if v.hi > v.lo { v.hi - v.lo } else { 1.0 })
                .collect(),
            joint: (problem.applications.len() >= 2)
                .then(|| JointNetwork::build(problem, networks, true))
                .flatten(),
        }
    }

    /// Shrinks `[lo, hi]` with the variable-only premise atoms (a few rounds of
    /// interval bound tightening, rounded outward). `false` if the box becomes empty.
    pub(super) fn tighten(&self, lo: &mut [f64], hi: &mut [f64]) -> bool {
        for _ in 0..3 {
            let mut changed = false;
            for a in &self.var_premise {
                // `e <= ub` with `ub = 0` (`<=`, `<`) or `EQ_TOLERANCE`; `Eq` also
                // `-e <= EQ_TOLERANCE`.
                let sides: &[f64] = if a.rel == Rel::Eq {
                    &[1.0, -1.0]
                } else {
                    &[1.0]
                };
                for &sign in sides {
                    let ub = if a.rel == Rel::Eq { EQ_TOLERANCE } else { 0.0 };
                    for (i, (r, c)) in a.expr.terms.iter().enumerate() {
                        let Ref::Var(v) = *r else { continue };
                        let ci = sign * c;
                        if ci == 0.0 || v >= lo.len() {
                            continue;
                        }
                        // ci x_v <= ub - (sign·constant + Σ_{k≠i} sign c_k x_k)
                        let rest = affine_range(
                            a.expr
                                .terms
                                .iter()
                                .enumerate()
                                .filter(|(k, _)| *k != i)
                                .map(|(_, (r, c))| match *r {
                                    Ref::Var(k) if k < lo.len() => (sign * c, lo[k], hi[k]),
                                    _ => (sign * c, f64::NEG_INFINITY, f64::INFINITY),
                                }),
                            sign * a.expr.constant,
                        )
                        .0;
                        if !rest.is_finite() {
                            continue;
                        }
                        let room = (ub - rest).next_up();
                        if ci > 0.0 {
                            let b = (room / ci).next_up();
                            if b < hi[v] {
                                hi[v] = b;
                                changed = true;
                            }
                        } else {
                            let b = (room / ci).next_down();
                            if b > lo[v] {
                                lo[v] = b;
                                changed = true;
                            }
                        }
                        if lo[v] > hi[v] {
                            return false;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        true
    }

    /// Sound boxes of every application's values over the variable box, within the
    /// `prior` boxes when known.
    /// Keeps, of the twin graph and the plain joint one, the graph whose lower bounds
    /// of `exprs` over the root box sum higher (a twin counts its base's relaxation
    /// twice, so the plain graph wins when the runs are far apart).
    pub(super) fn prefer_tighter(&mut self, exprs: &[&LinExpr]) {
        let Some(twin) = &self.joint else { return };
        if !twin.has_twins() || exprs.is_empty() {
            return;
        }
        let Some(plain) = JointNetwork::build(self.problem, self.networks, false) else {
            return;
        };
        let vars = Interval::new(
            self.problem.vars.iter().map(|v| v.lo).collect(),
            self.problem.vars.iter().map(|v| v.hi).collect(),
        );
        let score = |j: &JointNetwork| -> f64 {
            let values = j.values(&vars, None, &CrownOptions::default());
            let pb = j.problem_bounds(&vars, &values);
            let errors = j.eval_errors(&pb);
            let (low, _) = j.lower_bounds(&values, exprs, &errors);
            low.iter()
                .map(|l| if l.is_finite() { *l } else { -1e300 })
                .sum()
        };
        if score(&plain) > score(twin) {
            self.joint = Some(plain);
        }
    }

    /// The goal disjuncts' atom plans (for a query: its regions').
    pub(super) fn goal_plans(&self) -> &[Vec<AtomPlan>] {
        &self.goal_plans
    }

    pub(super) fn boxes(&self, vars: &Interval, prior: Option<&[Vec<Interval>]>) -> Bounded {
        let opts = CrownOptions::default();
        if let Some(j) = &self.joint {
            let values = j.values(vars, prior.and_then(|p| p.first()).map(|v| &v[..]), &opts);
            let pb = j.problem_bounds(vars, &values);
            let errors = j.eval_errors(&pb);
            let pb = j.widen_outputs(pb, &errors);
            return Bounded {
                pb,
                joint_values: Some(values),
                errors,
            };
        }
        let apps = self
            .problem
            .applications
            .iter()
            .enumerate()
            .map(|(k, app)| {
                let (lo, hi): (Vec<f64>, Vec<f64>) = app
                    .input
                    .iter()
                    .map(|c| crate::bounds::var_expr_range(vars, c))
                    .unzip();
                let net = self.networks[app.network];
                let prior = prior.and_then(|p| p.get(k)).map(|v| &v[..]);
                crown::crown_intervals_within(net, &lo, &hi, prior, &opts).values
            })
            .collect();
        Bounded {
            pb: ProblemBounds {
                vars: vars.clone(),
                apps,
                twins: Vec::new(),
            },
            joint_values: None,
            errors: Vec::new(),
        }
    }

    /// Sound ranges (lower end, and upper end for `Eq` atoms) of the atoms' expressions,
    /// with each lower bound's gradient with respect to the variables.
    pub(super) fn atom_ranges(
        &self,
        bounded: &Bounded,
        atoms: &[(&LinExpr, &AtomPlan)],
    ) -> Vec<(f64, f64, Vec<f64>)> {
        if let (Some(j), Some(values)) = (&self.joint, &bounded.joint_values) {
            return joint_atom_ranges(j, values, bounded, atoms);
        }
        let bounds = &bounded.pb;
        let nv = bounds.vars.len();
        // Rows per application: (atom, sign) → row.
        let napps = self.problem.applications.len();
        let mut rows: Vec<Vec<f64>> = vec![Vec::new(); napps];
        let mut row_count = vec![0usize; napps];
        let mut where_: Vec<Vec<(usize, usize, f64)>> = vec![Vec::new(); atoms.len()];
        for (i, (_, plan)) in atoms.iter().enumerate() {
            let signs: &[f64] = if plan.rel == Rel::Eq {
                &[1.0, -1.0]
            } else {
                &[1.0]
            };
            for &s in signs {
                for (app, c) in &plan.apps {
                    rows[*app].extend(c.iter().map(|v| s * v));
                    where_[i].push((*app, row_count[*app], s));
                    row_count[*app] += 1;
                }
            }
        }
        let mut low: Vec<Vec<f64>> = vec![Vec::new(); napps];
        let mut coef: Vec<Option<Mat>> = vec![None; napps];
        for app in 0..napps {
            if row_count[app] == 0 {
                continue;
            }
            let a = &self.problem.applications[app];
            let net = self.networks[a.network];
            let values = &bounds.apps[app];
            let cm = Mat::from_vec(row_count[app], a.outputs, std::mem::take(&mut rows[app]));
            let (l, m) = match cm {
                Some(cm) => crown::lower_bounds_with_input_coef(net, values, net.nodes.len(), &cm),
                None => (vec![f64::NEG_INFINITY; row_count[app]], Mat::zeros(0, 0)),
            };
            low[app] = l;
            coef[app] = Some(m);
        }
        atoms
            .iter()
            .enumerate()
            .map(|(i, (expr, plan))| {
                // The variable part and the constant, by intervals.
                let (vlo, vhi) = affine_range(
                    expr.terms.iter().filter_map(|(r, c)| match *r {
                        Ref::Var(j) if j < nv => Some((*c, bounds.vars.lo[j], bounds.vars.hi[j])),
                        Ref::Var(_) => Some((*c, f64::NEG_INFINITY, f64::INFINITY)),
                        Ref::Out { .. } => None,
                    }),
                    expr.constant,
                );
                // The f64 evaluation of the whole expression (the concrete check).
                let mut mag = expr.constant.abs();
                for (r, c) in &expr.terms {
                    let (l, h) = bounds.scalar(*r);
                    mag += c.abs() * l.abs().max(h.abs());
                }
                let mut grad = vec![0.0; nv];
                for (r, c) in &expr.terms {
                    if let Ref::Var(j) = *r
                        && j < nv
                    {
                        grad[j] += c;
                    }
                }
                let (mut lo_sum, mut hi_sum) = (vlo, -vhi);
                let (mut lo_mag, mut hi_mag) = (vlo.abs(), vhi.abs());
                for &(app, row, s) in &where_[i] {
                    let v = low[app][row];
                    if s > 0.0 {
                        lo_sum += v;
                        lo_mag += v.abs();
                        if let Some(m) = &coef[app] {
                            let a = &self.problem.applications[app];
                            for (k, lam) in m.row(row).iter().enumerate() {
                                if *lam == 0.0 {
                                    continue;
                                }
                                for (r, c) in a.input.get(k).map_or(&[][..], |e| &e.terms[..]) {
                                    if let Ref::Var(j) = *r
                                        && j < nv
                                    {
                                        grad[j] += lam * c;
                                    }
                                }
                            }
                        }
                    } else {
                        hi_sum += v;
                        hi_mag += v.abs();
                    }
                }
                let n = where_[i].len() + 2;
                let e_eval = sum_error(expr.terms.len() + 1, mag);
                let lo = down(lo_sum, sum_error(n, lo_mag) + e_eval);
                let hi = if plan.rel == Rel::Eq {
                    up(-hi_sum, sum_error(n, hi_mag) + e_eval)
                } else {
                    f64::INFINITY
                };
                // Never looser than intervals on the output boxes.
                let (ilo, ihi) = bounds.expr(expr);
                let lo = if lo.is_nan() { ilo } else { lo.max(ilo) };
                let hi = if hi.is_nan() { ihi } else { hi.min(ihi) };
                (lo, hi, grad)
            })
            .collect()
    }

    /// The disjuncts of `still_open` (each at its position in the atom list of
    /// `all_open`, whose ranges are `ranges`) refuted by a convex combination
    /// `w e_a + (1 - w) e_b` (w in 1/4, 1/2, 3/4) of the two atoms with the highest lower
    /// bounds: its lower bound must exceed both atoms' f64 evaluation errors, so that at
    /// every point one of them evaluates `> 0` (see the module doc).
    fn refuted_by_combinations(
        &self,
        bounded: &Bounded,
        all_open: &[usize],
        still_open: &[usize],
        ranges: &[(f64, f64, Vec<f64>)],
    ) -> Vec<usize> {
        let mut combos: Vec<(usize, LinAtom, f64)> = Vec::new();
        let mut k = 0;
        for &g in all_open {
            let atoms = &self.goals[g];
            let start = k;
            k += atoms.len();
            if !still_open.contains(&g) || atoms.len() < 2 || atoms.iter().any(|a| a.rel == Rel::Eq)
            {
                continue;
            }
            let mut order: Vec<usize> = (0..atoms.len()).collect();
            order.sort_by(|&i, &j| ranges[start + j].0.total_cmp(&ranges[start + i].0));
            let (a, b) = (&atoms[order[0]], &atoms[order[1]]);
            let slack =
                self.eval_error(&bounded.pb, &a.expr) + self.eval_error(&bounded.pb, &b.expr);
            for w in [0.5, 0.25, 0.75] {
                combos.push((
                    g,
                    LinAtom {
                        expr: a.expr.scale(w).add(&b.expr.scale(1.0 - w)),
                        rel: Rel::Le,
                    },
                    slack,
                ));
            }
        }
        if combos.is_empty() {
            return Vec::new();
        }
        let plans: Vec<AtomPlan> = combos
            .iter()
            .map(|(_, a, _)| plan_atom(self.problem, a))
            .collect();
        let list: Vec<(&LinExpr, &AtomPlan)> = combos
            .iter()
            .zip(&plans)
            .map(|((_, a, _), p)| (&a.expr, p))
            .collect();
        let mut out: Vec<usize> = Vec::new();
        for ((g, _, slack), (lo, _, _)) in combos.iter().zip(self.atom_ranges(bounded, &list)) {
            if lo > *slack && !out.contains(g) {
                out.push(*g);
            }
        }
        out
    }

    /// A bound of the rounding error of evaluating `e` in f64 on the boxes.
    fn eval_error(&self, bounds: &ProblemBounds, e: &LinExpr) -> f64 {
        let mut mag = e.constant.abs();
        for (r, c) in &e.terms {
            let (l, h) = bounds.scalar(*r);
            mag += c.abs() * l.abs().max(h.abs());
        }
        up(sum_error(e.terms.len() + 1, mag), 0.0)
    }

    /// Bounds one domain.
    pub fn process(&self, mut d: Domain) -> Step {
        if !self.tighten(&mut d.lo, &mut d.hi) {
            return Step::Verified;
        }
        let vars = Interval::new(d.lo.clone(), d.hi.clone());
        let prior = d.prior.as_deref().map(|v| &v[..]);
        let bounded = self.boxes(&vars, prior);
        let bounds = &bounded;
        // The premise's output atoms: one refuted makes the domain empty.
        if !self.output_premise.is_empty() {
            let atoms: Vec<(&LinExpr, &AtomPlan)> = self
                .output_premise
                .iter()
                .map(|(a, p)| (&a.expr, p))
                .collect();
            for ((lo, hi, _), (a, _)) in self
                .atom_ranges(bounds, &atoms)
                .iter()
                .zip(&self.output_premise)
            {
                if verify::atom_facts(a.rel, *lo, *hi).0 {
                    return Step::Verified;
                }
            }
        }
        let mut atoms: Vec<(&LinExpr, &AtomPlan)> = Vec::new();
        let mut owner: Vec<usize> = Vec::new();
        for &g in &d.open {
            for (a, p) in self.goals[g].iter().zip(&self.goal_plans[g]) {
                atoms.push((&a.expr, p));
                owner.push(g);
            }
        }
        let ranges = self.atom_ranges(bounds, &atoms);
        // Per open disjunct: refuted, margin lower bound, binding atom.
        let mut open = Vec::new();
        let mut bound = f64::INFINITY;
        let mut binding: Vec<usize> = Vec::new();
        let (mut open_margin, mut open_binding) = (Vec::new(), Vec::new());
        let mut k = 0;
        for &g in &d.open {
            let n = self.goals[g].len();
            let mut refuted = false;
            let mut margin = f64::NEG_INFINITY;
            let mut best = k;
            for (j, a) in self.goals[g].iter().enumerate() {
                let (lo, hi, _) = &ranges[k + j];
                let (r, m) = verify::atom_facts(a.rel, *lo, *hi);
                refuted |= r;
                if m > margin || j == 0 {
                    margin = margin.max(m);
                    best = k + j;
                }
            }
            if n == 0 {
                margin = 0.0;
            }
            k += n;
            if !refuted {
                open.push(g);
                bound = bound.min(margin);
                open_margin.push(margin);
                open_binding.push((n > 0).then_some(best));
                if n > 0 {
                    binding.push(best);
                }
            }
        }
        // A conjunction is also refuted where a convex combination of two of its atoms
        // is positive: then one of them is (on each point, not the same one), which a
        // bound per atom cannot show where they trade places.
        let combined = self.refuted_by_combinations(bounds, &d.open, &open, &ranges);
        let (open, bound, binding): (Vec<usize>, f64, Vec<usize>) = if combined.is_empty() {
            (open, bound, binding)
        } else {
            let keep: Vec<usize> = (0..open.len())
                .filter(|i| !combined.contains(&open[*i]))
                .collect();
            let bound = keep
                .iter()
                .map(|&i| open_margin[i])
                .fold(f64::INFINITY, f64::min);
            (
                keep.iter().map(|&i| open[i]).collect(),
                bound,
                keep.iter().filter_map(|&i| open_binding[i]).collect(),
            )
        };
        if open.is_empty() {
            return Step::Verified;
        }
        // Candidate points: the centre and, per open disjunct, the vertex minimizing
        // its binding atom's linear bound.
        let mut candidates: Vec<Vec<f64>> =
            vec![d.lo.iter().zip(&d.hi).map(|(l, h)| 0.5 * (l + h)).collect()];
        for &b in &binding {
            let g = &ranges[b].2;
            candidates.push(
                (0..d.lo.len())
                    .map(|i| if g[i] >= 0.0 { d.lo[i] } else { d.hi[i] })
                    .collect(),
            );
        }
        for c in &candidates {
            let c = verify::nudge_into_premise(self.problem, c);
            if let Some(cex) = verify::confirm_counterexample(self.problem, self.networks, &c) {
                return Step::Violated(Box::new(cex));
            }
        }
        // Split along the variable with the largest score: its width times the
        // sensitivity of the linear bounds of every atom of the open disjuncts; but
        // never let one variable stay more than `LAG` times wider (relative to its
        // range in the problem) than the widest, so a disjunct whose atoms trade
        // places along a flat direction still gets that direction split.
        let mut score = vec![0.0; d.lo.len()];
        for (k, g) in owner.iter().enumerate() {
            if open.contains(g) {
                for (s, v) in score.iter_mut().zip(&ranges[k].2) {
                    *s += v.abs();
                }
            }
        }
        let pick = split_variable(&d.lo, &d.hi, &self.root_width, &score, LAG);
        let prior = bounded.into_prior();
        let d = Domain {
            open,
            bound,
            prior: Some(Arc::new(prior)),
            ..d
        };
        match pick {
            Some(i) => {
                let mid = 0.5 * (d.lo[i] + d.hi[i]);
                let mut left = d.clone();
                left.hi[i] = mid;
                left.depth += 1;
                let mut right = d;
                right.lo[i] = mid;
                right.depth += 1;
                Step::Split(Box::new([left, right]))
            }
            None => Step::Stuck(d),
        }
    }
}

/// [`Plan::atom_ranges`] on the joint graph: one batched backward pass for every atom
/// (and the negation of each `Eq` atom), the variables' coefficients being the
/// gradient.
fn joint_atom_ranges(
    j: &JointNetwork,
    values: &[Interval],
    bounded: &Bounded,
    atoms: &[(&LinExpr, &AtomPlan)],
) -> Vec<(f64, f64, Vec<f64>)> {
    let exprs: Vec<&LinExpr> = atoms.iter().map(|(e, _)| *e).collect();
    j.expr_ranges(values, &bounded.pb, &bounded.errors, &exprs, &|k| {
        atoms[k].1.rel == Rel::Eq
    })
}
