//! Counterexample (and witness) search by sampling and projected sign-gradient
//! descent, run before any solver.
//!
//! Takes: a [`Problem`], its networks, [`AttackOptions`] (seed, budget) and a deadline.
//! Gives: for a property, a point satisfying [`Problem::violated_goal`]; for a query,
//! the best point found that satisfies the premise and a region, with its value.
//! Invariant: every returned point lies in the variables' boxes and was re-checked
//! concretely (exact f64 network evaluation, then the IR's own checks); the search is
//! deterministic for a given seed (ChaCha8). It never proves anything.
//!
//! The smooth-ish loss for a goal conjunction `g` is
//! `max_{a in g} v_a(x) + LAMBDA · Σ_{p in premise} max(0, v_p(x))`, with `v = e` for
//! `Le`/`Lt` atoms and `|e|` for `Eq`; for a query objective `o` it is
//! `∓o(x) + LAMBDA · (premise and region penalties)`. Each step moves every variable by
//! `-step · sign(∂loss/∂x)` (step decaying from 10% to 0.1% of the box width) and
//! clamps to the box; restarts start at the box center, at `start` (if given), then at
//! uniform random points.

use crate::gradient::input_gradient;
use crate::network::Network;
use propc_compiler::ir::{Goal, LinAtom, LinExpr, Problem, Ref, Rel, Sense};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

/// Weight of the premise (and region) penalties.
const LAMBDA: f64 = 10.0;

#[derive(Clone, Debug, PartialEq)]
pub struct AttackOptions {
    pub seed: u64,
    /// Uniform random points checked before descending.
    pub samples: usize,
    /// Descents (each from a fresh start).
    pub restarts: usize,
    /// Steps per descent.
    pub steps: usize,
}

impl Default for AttackOptions {
    fn default() -> AttackOptions {
        AttackOptions {
            seed: 0,
            samples: 256,
            restarts: 16,
            steps: 100,
        }
    }
}

/// A concretely checked counterexample.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub vars: Vec<f64>,
    /// Outputs of every application at `vars`.
    pub outputs: Vec<Vec<f64>>,
    pub goal_index: usize,
}

/// A concretely checked query point.
#[derive(Clone, Debug, PartialEq)]
pub struct Witness {
    pub vars: Vec<f64>,
    pub outputs: Vec<Vec<f64>>,
    /// The query's value at the point (`max_k` / `min_k` of the objectives).
    pub value: f64,
}

/// Every network value of every application at `vars`.
fn eval_apps(problem: &Problem, networks: &[&Network], vars: &[f64]) -> Option<Vec<Vec<Vec<f64>>>> {
    problem
        .application_inputs(vars)
        .iter()
        .zip(&problem.applications)
        .map(|(inp, app)| networks.get(app.network).and_then(|n| n.eval_all(inp).ok()))
        .collect()
}

fn outputs_of(all: &[Vec<Vec<f64>>]) -> Vec<Vec<f64>> {
    all.iter()
        .map(|v| v.last().cloned().unwrap_or_default())
        .collect()
}

/// The query's value at a point: `max_k` (maximize) or `min_k` (minimize).
pub fn query_value(problem: &Problem, vars: &[f64], outputs: &[Vec<f64>]) -> Option<f64> {
    let Goal::Optimize {
        sense, objectives, ..
    } = &problem.goal
    else {
        return None;
    };
    let vals = objectives.iter().map(|o| o.eval(vars, outputs));
    let v = match sense {
        Sense::Maximize => vals.fold(f64::NEG_INFINITY, f64::max),
        Sense::Minimize => vals.fold(f64::INFINITY, f64::min),
    };
    v.is_finite().then_some(v)
}

/// Whether a point is admissible for a query: in the boxes, premise and some region.
pub fn in_query_region(problem: &Problem, vars: &[f64], outputs: &[Vec<f64>]) -> bool {
    let Goal::Optimize { regions, .. } = &problem.goal else {
        return false;
    };
    problem.premise_holds(vars, outputs)
        && regions
            .iter()
            .any(|r| r.iter().all(|a| a.holds(vars, outputs)))
}

fn atom_value(a: &LinAtom, vars: &[f64], outs: &[Vec<f64>]) -> f64 {
    let e = a.expr.eval(vars, outs);
    if a.rel == Rel::Eq { e.abs() } else { e }
}

/// Gradient accumulator over the problem's scalars.
struct Grad {
    vars: Vec<f64>,
    outs: Vec<Vec<f64>>,
}

impl Grad {
    fn add_expr(&mut self, e: &LinExpr, w: f64) {
        for (r, c) in &e.terms {
            match *r {
                Ref::Var(i) => {
                    if let Some(g) = self.vars.get_mut(i) {
                        *g += w * c;
                    }
                }
                Ref::Out { app, index } => {
                    if let Some(g) = self.outs.get_mut(app).and_then(|o| o.get_mut(index)) {
                        *g += w * c;
                    }
                }
            }
        }
    }

    fn add_atom(&mut self, a: &LinAtom, w: f64, vars: &[f64], outs: &[Vec<f64>]) {
        let s = if a.rel == Rel::Eq && a.expr.eval(vars, outs) < 0.0 {
            -1.0
        } else {
            1.0
        };
        self.add_expr(&a.expr, w * s);
    }
}

/// Called at every visited point with its application outputs; `true` stops.
type Check<'c> = dyn FnMut(&[f64], &[Vec<f64>]) -> bool + 'c;

/// Whether every variable has a finite, non-empty range.
fn boxes_ok(problem: &Problem) -> bool {
    problem
        .vars
        .iter()
        .all(|v| v.lo.is_finite() && v.hi.is_finite() && v.lo <= v.hi)
}

/// What one descent minimizes.
enum Target<'a> {
    /// Violate this goal conjunction.
    Goal(&'a [LinAtom]),
    /// Push this objective in direction `sign` (+1 maximize) inside `region`.
    Objective {
        expr: &'a LinExpr,
        sign: f64,
        region: &'a [LinAtom],
    },
}

struct Search<'a> {
    problem: &'a Problem,
    networks: &'a [&'a Network],
    lo: Vec<f64>,
    hi: Vec<f64>,
    rng: ChaCha8Rng,
    deadline: Instant,
}

impl<'a> Search<'a> {
    fn new(
        problem: &'a Problem,
        networks: &'a [&'a Network],
        seed: u64,
        deadline: Instant,
    ) -> Search<'a> {
        Search {
            problem,
            networks,
            lo: problem.vars.iter().map(|v| v.lo).collect(),
            hi: problem.vars.iter().map(|v| v.hi).collect(),
            rng: ChaCha8Rng::seed_from_u64(seed),
            deadline,
        }
    }

    fn random_point(&mut self) -> Vec<f64> {
        (0..self.lo.len())
            .map(|i| {
                let t: f64 = self.rng.random();
                (self.lo[i] + t * (self.hi[i] - self.lo[i])).clamp(self.lo[i], self.hi[i])
            })
            .collect()
    }

    fn center(&self) -> Vec<f64> {
        self.lo
            .iter()
            .zip(&self.hi)
            .map(|(l, h)| (l + 0.5 * (h - l)).clamp(*l, *h))
            .collect()
    }

    fn clamp(&self, x: &mut [f64]) {
        for (i, v) in x.iter_mut().enumerate() {
            *v = if v.is_nan() {
                self.lo[i]
            } else {
                v.clamp(self.lo[i], self.hi[i])
            };
        }
    }

    /// Gradient of the target's loss at `x` (with every network value in `all`).
    fn gradient(&self, target: &Target, x: &[f64], all: &[Vec<Vec<f64>>]) -> Vec<f64> {
        let outs = outputs_of(all);
        let mut g = Grad {
            vars: vec![0.0; x.len()],
            outs: outs.iter().map(|o| vec![0.0; o.len()]).collect(),
        };
        let penalties: Vec<&LinAtom> = match target {
            Target::Goal(goal) => {
                let worst = goal
                    .iter()
                    .map(|a| (a, atom_value(a, x, &outs)))
                    .max_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(std::cmp::Ordering::Equal));
                if let Some((a, _)) = worst {
                    g.add_atom(a, 1.0, x, &outs);
                }
                self.problem.premise.iter().collect()
            }
            Target::Objective { expr, sign, region } => {
                g.add_expr(expr, -sign);
                self.problem.premise.iter().chain(region.iter()).collect()
            }
        };
        for p in penalties {
            let v = atom_value(p, x, &outs);
            if v > 0.0 || (p.rel == Rel::Lt && v >= 0.0) {
                g.add_atom(p, LAMBDA, x, &outs);
            }
        }
        let mut gv = g.vars;
        for (k, app) in self.problem.applications.iter().enumerate() {
            if g.outs[k].iter().all(|v| *v == 0.0) {
                continue;
            }
            let Some(net) = self.networks.get(app.network) else {
                continue;
            };
            let gin = input_gradient(net, &all[k], &g.outs[k]);
            for (c, gi) in gin.iter().enumerate() {
                if *gi == 0.0 {
                    continue;
                }
                if let Some(e) = app.input.get(c) {
                    for (r, coef) in &e.terms {
                        if let Ref::Var(i) = *r
                            && let Some(slot) = gv.get_mut(i)
                        {
                            *slot += gi * coef;
                        }
                    }
                }
            }
        }
        gv
    }

    /// Descends from `x`, calling `check` at every visited point; stops when `check`
    /// returns `true` or the budget / deadline runs out.
    fn descend(
        &self,
        target: &Target,
        mut x: Vec<f64>,
        steps: usize,
        check: &mut Check<'_>,
    ) -> bool {
        self.clamp(&mut x);
        for k in 0..=steps {
            if Instant::now() >= self.deadline {
                return false;
            }
            let Some(all) = eval_apps(self.problem, self.networks, &x) else {
                return false;
            };
            if check(&x, &outputs_of(&all)) {
                return true;
            }
            if k == steps {
                break;
            }
            let g = self.gradient(target, &x, &all);
            // Step decays geometrically from 10% to 0.1% of the width.
            let frac = 0.1 * (0.01f64).powf(k as f64 / steps.max(1) as f64);
            for (i, v) in x.iter_mut().enumerate() {
                let w = self.hi[i] - self.lo[i];
                if g[i] > 0.0 {
                    *v -= frac * w;
                } else if g[i] < 0.0 {
                    *v += frac * w;
                }
            }
            self.clamp(&mut x);
        }
        false
    }
}

/// Searches for a counterexample of a `Violation` problem. `start`, if given, is tried
/// (and descended from) first, e.g. a solver's point to repair.
pub fn find_violation(
    problem: &Problem,
    networks: &[&Network],
    options: &AttackOptions,
    deadline: Instant,
    start: Option<&[f64]>,
) -> Option<Found> {
    let Goal::Violation(goals) = &problem.goal else {
        return None;
    };
    if goals.is_empty() || !boxes_ok(problem) {
        return None;
    }
    let mut s = Search::new(problem, networks, options.seed, deadline);
    let mut found: Option<Found> = None;
    let mut check = |x: &[f64], outs: &[Vec<f64>]| -> bool {
        match problem.violated_goal(x, outs) {
            Some(goal_index) => {
                found = Some(Found {
                    vars: x.to_vec(),
                    outputs: outs.to_vec(),
                    goal_index,
                });
                true
            }
            None => false,
        }
    };
    let mut starts: Vec<Vec<f64>> = Vec::new();
    if let Some(p) = start {
        starts.push(p.to_vec());
    }
    starts.push(s.center());
    // Sampling: check random points, keep the best (lowest loss) as starts.
    let mut scored: Vec<(f64, Vec<f64>)> = Vec::new();
    for _ in 0..options.samples {
        if Instant::now() >= deadline {
            return None;
        }
        let x = s.random_point();
        let all = eval_apps(problem, networks, &x)?;
        let outs = outputs_of(&all);
        if check(&x, &outs) {
            return found;
        }
        let pen: f64 = problem
            .premise
            .iter()
            .map(|p| atom_value(p, &x, &outs).max(0.0))
            .sum();
        let loss = goals
            .iter()
            .map(|g| {
                g.iter()
                    .map(|a| atom_value(a, &x, &outs))
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .fold(f64::INFINITY, f64::min)
            + LAMBDA * pen;
        scored.push((loss, x));
    }
    scored.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let keep = options.restarts / 2;
    starts.extend(scored.into_iter().take(keep).map(|(_, x)| x));
    for r in 0..options.restarts.max(starts.len()) {
        let x = if r < starts.len() {
            starts[r].clone()
        } else {
            s.random_point()
        };
        for j in 0..goals.len() {
            // Each start is descended for every disjunct, rotating the first one.
            let d = (j + r) % goals.len();
            if s.descend(
                &Target::Goal(&goals[d]),
                x.clone(),
                options.steps,
                &mut check,
            ) {
                return found;
            }
            if Instant::now() >= deadline {
                return None;
            }
        }
    }
    None
}

/// Searches for the best admissible point of an `Optimize` problem (the largest value
/// when maximizing, the smallest when minimizing).
pub fn best_witness(
    problem: &Problem,
    networks: &[&Network],
    options: &AttackOptions,
    deadline: Instant,
) -> Option<Witness> {
    let Goal::Optimize {
        sense,
        objectives,
        regions,
    } = &problem.goal
    else {
        return None;
    };
    if objectives.is_empty() || regions.is_empty() || !boxes_ok(problem) {
        return None;
    }
    let sign = if *sense == Sense::Maximize { 1.0 } else { -1.0 };
    let mut s = Search::new(problem, networks, options.seed, deadline);
    let best: std::cell::RefCell<Option<Witness>> = std::cell::RefCell::new(None);
    let mut check = |x: &[f64], outs: &[Vec<f64>]| -> bool {
        if in_query_region(problem, x, outs)
            && let Some(v) = query_value(problem, x, outs)
        {
            let mut b = best.borrow_mut();
            if b.as_ref().is_none_or(|b| sign * v > sign * b.value) {
                *b = Some(Witness {
                    vars: x.to_vec(),
                    outputs: outs.to_vec(),
                    value: v,
                });
            }
        }
        false
    };
    let mut starts = vec![s.center()];
    for _ in 0..options.samples {
        if Instant::now() >= deadline {
            break;
        }
        let x = s.random_point();
        let all = eval_apps(problem, networks, &x)?;
        check(&x, &outputs_of(&all));
    }
    if let Some(b) = best.borrow().as_ref() {
        starts.push(b.vars.clone());
    }
    let combos = objectives.len() * regions.len();
    for r in 0..options.restarts.max(starts.len()) {
        if Instant::now() >= deadline {
            break;
        }
        let x = if r < starts.len() {
            starts[r].clone()
        } else {
            s.random_point()
        };
        let c = r % combos;
        let (k, reg) = (c % objectives.len(), c / objectives.len());
        let target = Target::Objective {
            expr: &objectives[k],
            sign,
            region: &regions[reg],
        };
        s.descend(&target, x, options.steps, &mut check);
    }
    best.into_inner()
}
