//! The verification portfolio: one IR problem in, one verdict (or bound) out.
//!
//! Takes: a [`Problem`], its networks (`networks[i]` is `Program::networks[i]`) and
//! [`Options`] (time limit for the whole problem, solver, seed, attack on/off).
//! Gives: an [`Outcome`]: `Holds`, `Violated` (with a concretely checked
//! counterexample), `Unknown` (with a reason and the best known lower bound of the
//! violation margin), or, for queries, a sound `Bound` with the best point found.
//! Invariant (soundness first): `Holds` comes only from (a) a property with no goal
//! disjunct, (b) interval (IBP) or linear (CROWN, α-CROWN) bounds refuting the premise
//! or every disjunct, (c) the MILP
//! proving every remaining disjunct's minimum margin `s* > milp::TOL` (or infeasible),
//! or (d) for a disjunct made only of strict atoms `e < 0`, the MILP proving
//! `s* >= -milp::TOL` with no concrete counterexample found at its optimum.
//!
//! ## What holds means
//! Floating-point solvers decide comparisons only up to a tolerance. propc's `holds`
//! therefore certifies: no point violates the property by more than `milp::TOL`
//! (1e-6, absolute, on the goal atoms), and no concrete counterexample was found.
//! Case (d) is where this matters: a conclusion `f(x) <= f(y)` whose boundary is
//! reached (e.g. at `x = y` in a monotonicity property) has optimum exactly 0, which a
//! solver reports as `±1e-12`; any counterexample propc finds there, however small, is
//! still reported as `violated` after its exact f64 re-check.
//! A counterexample is returned only after [`Problem::violated_goal`] accepted it on
//! exact f64 network outputs. Time-outs and solver errors give `Unknown` / a looser
//! bound, never `Holds`.
//!
//! Order: trivial cases, input checks, IBP (always, it is linear-time), CROWN (the
//! boxes of every application tightened by [`crate::bounds::crown`]; then, for each
//! atom linear in the outputs of one application, α-CROWN on the atom's expression
//! itself), the attack (at most [`ATTACK_SHARE`] of the time limit), then one MILP per
//! remaining disjunct (or per objective × region), its big-M constants from the
//! CROWN-tightened boxes, until the deadline. The method of a proof is the cheapest
//! stage that completed it: `ibp`, else `crown`, else `milp`.

use crate::attack::{self, AttackOptions};
use crate::bab::{self, BabOptions, BabOutcome};
use crate::bounds::ProblemBounds;
use crate::bounds::crown::{self, AlphaOptions, CrownOptions, Mat};
use crate::milp::{self, MarginResult, MilpProblem, ObjectiveResult, Solver};
use crate::network::Network;
use crate::relational::{self, JointRoot};
use propc_compiler::ir::{EQ_TOLERANCE, Goal, LinAtom, LinExpr, Problem, Program, Ref, Rel, Sense};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a long stage reports how it is going: a one-line status such as branch and
/// bound's domain counts and bound, at most a few times per second.
#[derive(Clone)]
pub struct ProgressSink(pub Arc<dyn Fn(&str) + Send + Sync>);

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProgressSink")
    }
}

impl PartialEq for ProgressSink {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Wall-clock budget for one problem (attack + solver).
    pub timeout: Duration,
    pub solver: Solver,
    /// Seed of the attack's random number generator.
    pub seed: u64,
    /// Run the attack before the solver.
    pub attack: bool,
    /// Run the MILP (off: IBP, CROWN and attack only).
    pub milp: bool,
    /// Run CROWN / α-CROWN after IBP (off: IBP boxes for the MILP too).
    pub crown: bool,
    /// Run input branch and bound (for problems with at most [`BAB_MAX_VARS`]
    /// variables).
    pub bab: bool,
    /// Threads for branch and bound.
    pub threads: usize,
    /// Branch and bound's memory cap in bytes (see [`crate::bab::BabOptions::max_memory`]).
    pub bab_memory: usize,
    /// Attack budget (its `seed` is overridden by `seed` above).
    pub attack_budget: AttackOptions,
    /// Progress reports of long stages (none by default).
    pub progress: Option<ProgressSink>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            timeout: Duration::from_secs(60),
            solver: Solver::Microlp,
            seed: 0,
            attack: true,
            milp: true,
            crown: true,
            bab: true,
            threads: 1,
            bab_memory: crate::bab::DEFAULT_MEMORY,
            attack_budget: AttackOptions::default(),
            progress: None,
        }
    }
}

/// How a verdict or bound was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// No goal disjunct (or an empty query region).
    Trivial,
    /// Interval bound propagation.
    Ibp,
    /// Linear bounds (CROWN / α-CROWN) on top of IBP.
    Crown,
    /// Sampling / gradient search.
    Attack,
    /// Input branch and bound over linear bounds.
    Bab,
    /// The MILP encoding and a solver.
    Milp,
    /// Derived from two proved properties (a chain of network implications, see
    /// `propc check`).
    Transitivity,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Trivial => "trivial",
            Method::Ibp => "ibp",
            Method::Crown => "crown",
            Method::Attack => "attack",
            Method::Bab => "bab",
            Method::Milp => "milp",
            Method::Transitivity => "transitivity",
        }
    }
}

/// One network application at a point.
#[derive(Clone, Debug, PartialEq)]
pub struct AppValue {
    /// Index into `Program::networks` (the report turns it into the network's name).
    pub network: usize,
    pub input: Vec<f64>,
    pub output: Vec<f64>,
}

/// A concretely checked counterexample.
#[derive(Clone, Debug, PartialEq)]
pub struct Counterexample {
    /// Values of the IR variables.
    pub vars: Vec<f64>,
    /// Each quantified variable (by its name in the spec) with its coordinates.
    pub inputs: Vec<(String, Vec<f64>)>,
    pub applications: Vec<AppValue>,
    /// The goal disjunct the point satisfies.
    pub goal_index: usize,
    /// `max` over that disjunct's atoms of `e` (`|e| - EQ_TOLERANCE` for `Eq`): how
    /// deep inside the violation the point is (`<= 0`; `0` for a disjunct without
    /// atoms).
    pub margin: f64,
}

/// A concretely checked query point.
#[derive(Clone, Debug, PartialEq)]
pub struct Witness {
    pub vars: Vec<f64>,
    pub inputs: Vec<(String, Vec<f64>)>,
    pub applications: Vec<AppValue>,
    /// The query's value there (`max_k` / `min_k` of the objectives).
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Holds {
        method: Method,
        seconds: f64,
    },
    Violated {
        counterexample: Counterexample,
        method: Method,
        seconds: f64,
    },
    Unknown {
        reason: String,
        /// A lower bound on `min` over the premise of the violation margin (the
        /// `s*` the MILP minimizes, see `milp`); positive would mean "holds".
        margin_lower_bound: Option<f64>,
        seconds: f64,
    },
    /// A query: the optimum lies in `[lower, upper]`. When maximizing, `lower` is the
    /// value of `witness` and `upper` is proven; when minimizing, the reverse. `None`
    /// when unknown (or when the region is empty: then both are `None` and `reason`
    /// says so).
    Bound {
        lower: Option<f64>,
        upper: Option<f64>,
        witness: Option<Witness>,
        /// The proven end is the solver's optimum (up to `milp::query_safety`) and the
        /// witness attains it.
        exact: bool,
        method: Method,
        reason: Option<String>,
        seconds: f64,
    },
}

impl Outcome {
    /// The same outcome with its time set.
    fn with_seconds(mut self, s: f64) -> Outcome {
        match &mut self {
            Outcome::Holds { seconds, .. }
            | Outcome::Violated { seconds, .. }
            | Outcome::Unknown { seconds, .. }
            | Outcome::Bound { seconds, .. } => *seconds = s,
        }
        self
    }

    pub fn seconds(&self) -> f64 {
        match self {
            Outcome::Holds { seconds, .. }
            | Outcome::Violated { seconds, .. }
            | Outcome::Unknown { seconds, .. }
            | Outcome::Bound { seconds, .. } => *seconds,
        }
    }

    pub fn is_holds(&self) -> bool {
        matches!(self, Outcome::Holds { .. })
    }

    pub fn is_violated(&self) -> bool {
        matches!(self, Outcome::Violated { .. })
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Outcome::Unknown { .. })
    }
}

/// Checks that the networks fit the problem: every application's network exists,
/// takes the application's number of inputs and gives its number of outputs.
pub fn check_networks(problem: &Problem, networks: &[&Network]) -> Result<(), String> {
    for (k, app) in problem.applications.iter().enumerate() {
        let Some(net) = networks.get(app.network) else {
            return Err(format!(
                "application {k} uses network {} but only {} are bound",
                app.network,
                networks.len()
            ));
        };
        if net.input_size() != app.input.len() {
            return Err(format!(
                "network `{}` takes {} inputs but application {k} gives {}",
                net.source,
                net.input_size(),
                app.input.len()
            ));
        }
        if net.output_size() != app.outputs {
            return Err(format!(
                "network `{}` gives {} outputs but application {k} expects {}",
                net.source,
                net.output_size(),
                app.outputs
            ));
        }
    }
    Ok(())
}

/// Checks the IR invariants the runtime relies on: every reference is in range and
/// application inputs and quantified-variable coordinates read only variables.
pub fn check_refs(problem: &Problem) -> Result<(), String> {
    let n = problem.vars.len();
    let var_only = |e: &LinExpr, what: &str| -> Result<(), String> {
        for (r, _) in &e.terms {
            match *r {
                Ref::Var(i) if i < n => {}
                Ref::Var(i) => return Err(format!("{what} reads variable {i} but there are {n}")),
                Ref::Out { .. } => return Err(format!("{what} reads a network output")),
            }
        }
        Ok(())
    };
    for q in &problem.inputs {
        for c in &q.coords {
            var_only(c, &format!("quantified variable `{}`", q.name))?;
        }
    }
    for (k, app) in problem.applications.iter().enumerate() {
        for c in &app.input {
            var_only(c, &format!("the input of application {k}"))?;
        }
    }
    let check = |e: &LinExpr| -> Result<(), String> {
        for (r, _) in &e.terms {
            match *r {
                Ref::Var(i) if i >= n => {
                    return Err(format!("an atom reads variable {i} but there are {n}"));
                }
                Ref::Out { app, index }
                    if problem
                        .applications
                        .get(app)
                        .is_none_or(|a| index >= a.outputs) =>
                {
                    return Err(format!(
                        "an atom reads output {index} of application {app}, which does not exist"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    };
    let atoms: Vec<&LinAtom> = match &problem.goal {
        Goal::Violation(goals) => goals.iter().flatten().collect(),
        Goal::Optimize {
            objectives,
            regions,
            ..
        } => {
            for o in objectives {
                check(o)?;
            }
            regions.iter().flatten().collect()
        }
    };
    for a in problem.premise.iter().chain(atoms) {
        check(&a.expr)?;
    }
    Ok(())
}

/// Checks the references, the networks and the variables' boxes (finite, non-empty).
pub(crate) fn check_problem(problem: &Problem, networks: &[&Network]) -> Result<(), String> {
    check_refs(problem)?;
    for (i, v) in problem.vars.iter().enumerate() {
        if v.lo.is_nan() || v.hi.is_nan() || v.lo > v.hi {
            return Err(format!(
                "variable {i} (`{}`) has an empty range [{}, {}]",
                v.name, v.lo, v.hi
            ));
        }
        if !v.lo.is_finite() || !v.hi.is_finite() {
            return Err(format!(
                "variable {i} (`{}`) has an unbounded range",
                v.name
            ));
        }
    }
    check_networks(problem, networks)
}

/// The outputs of every application at `vars`, in exact f64 evaluation.
pub fn evaluate(
    problem: &Problem,
    networks: &[&Network],
    vars: &[f64],
) -> Result<Vec<Vec<f64>>, String> {
    check_networks(problem, networks)?;
    problem
        .application_inputs(vars)
        .iter()
        .zip(&problem.applications)
        .map(|(inp, app)| networks[app.network].eval(inp).map_err(|e| e.to_string()))
        .collect()
}

fn apps_at(problem: &Problem, vars: &[f64], outputs: &[Vec<f64>]) -> Vec<AppValue> {
    problem
        .application_inputs(vars)
        .into_iter()
        .zip(&problem.applications)
        .zip(outputs)
        .map(|((input, app), output)| AppValue {
            network: app.network,
            input,
            output: output.clone(),
        })
        .collect()
}

fn named_inputs(problem: &Problem, vars: &[f64]) -> Vec<(String, Vec<f64>)> {
    problem
        .inputs
        .iter()
        .map(|q| q.name.clone())
        .zip(problem.input_values(vars))
        .collect()
}

/// Builds the counterexample if `vars` is one (concrete check), else `None`.
pub fn confirm_counterexample(
    problem: &Problem,
    networks: &[&Network],
    vars: &[f64],
) -> Option<Counterexample> {
    let outputs = evaluate(problem, networks, vars).ok()?;
    let goal_index = problem.violated_goal(vars, &outputs)?;
    let Goal::Violation(goals) = &problem.goal else {
        return None;
    };
    let margin = goals[goal_index]
        .iter()
        .map(|a| {
            let e = a.expr.eval(vars, &outputs);
            if a.rel == Rel::Eq {
                e.abs() - EQ_TOLERANCE
            } else {
                e
            }
        })
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
        .unwrap_or(0.0);
    Some(Counterexample {
        vars: vars.to_vec(),
        inputs: named_inputs(problem, vars),
        applications: apps_at(problem, vars, &outputs),
        goal_index,
        margin,
    })
}

/// Builds the witness if `vars` is admissible for the query (concrete check).
pub fn confirm_witness(problem: &Problem, networks: &[&Network], vars: &[f64]) -> Option<Witness> {
    let outputs = evaluate(problem, networks, vars).ok()?;
    if !attack::in_query_region(problem, vars, &outputs) {
        return None;
    }
    let value = attack::query_value(problem, vars, &outputs)?;
    Some(Witness {
        vars: vars.to_vec(),
        inputs: named_inputs(problem, vars),
        applications: apps_at(problem, vars, &outputs),
        value,
    })
}

pub(crate) fn clamp_to_boxes(problem: &Problem, vars: &[f64]) -> Vec<f64> {
    problem
        .vars
        .iter()
        .zip(vars)
        .map(|(v, x)| {
            if x.is_nan() {
                v.lo
            } else {
                x.clamp(v.lo, v.hi)
            }
        })
        .collect()
}

/// Moves a solver's point into the premise when it misses input-only atoms by rounding
/// (a solver's `x - y <= delta` can come back as `1e-12` over): clamp to the boxes, then
/// for each violated premise atom over variables only, step along its normal just past
/// the boundary, a few rounds. The result is only a candidate: callers re-check it
/// exactly, so this can never make an answer unsound.
pub(crate) fn nudge_into_premise(problem: &Problem, vars: &[f64]) -> Vec<f64> {
    let mut x = clamp_to_boxes(problem, vars);
    for _ in 0..20 {
        let mut moved = false;
        for atom in &problem.premise {
            if atom
                .expr
                .terms
                .iter()
                .any(|(r, _)| !matches!(r, Ref::Var(_)))
            {
                continue;
            }
            let e = atom.expr.eval(&x, &[]);
            let target = match atom.rel {
                Rel::Le if e > 0.0 => -1e-12 * (1.0 + atom.expr.constant.abs()),
                Rel::Lt if e >= 0.0 => -1e-12 * (1.0 + atom.expr.constant.abs()),
                Rel::Eq if e.abs() > EQ_TOLERANCE / 2.0 => 0.0,
                _ => continue,
            };
            let norm2: f64 = atom.expr.terms.iter().map(|(_, c)| c * c).sum();
            if norm2 == 0.0 {
                continue;
            }
            let step = (e - target) / norm2;
            for (r, c) in &atom.expr.terms {
                if let Ref::Var(i) = r {
                    x[*i] -= c * step;
                }
            }
            x = clamp_to_boxes(problem, &x);
            moved = true;
        }
        if !moved {
            break;
        }
    }
    x
}

/// [`nudge_into_premise`] for the premise atoms that read network outputs (e.g.
/// `g(x)[0] >= a`, which a solver's optimum can miss by `1e-16`): a few Newton steps
/// along the atom's gradient (networks differentiated at the point, ReLU subgradient)
/// to just past its boundary, then the variable-only atoms again. Only a candidate: the
/// caller re-checks it exactly.
fn nudge_into_output_premise(problem: &Problem, networks: &[&Network], vars: &[f64]) -> Vec<f64> {
    let mut x = vars.to_vec();
    for _ in 0..10 {
        let Ok(outputs) = evaluate(problem, networks, &x) else {
            return x;
        };
        let mut moved = false;
        for atom in &problem.premise {
            if !atom
                .expr
                .terms
                .iter()
                .any(|(r, _)| matches!(r, Ref::Out { .. }))
            {
                continue;
            }
            let e = atom.expr.eval(&x, &outputs);
            let scale = 1e-12 * (1.0 + atom.expr.constant.abs());
            let target = match atom.rel {
                Rel::Le | Rel::Lt if e >= 0.0 => -scale,
                Rel::Eq if e.abs() > EQ_TOLERANCE / 2.0 => 0.0,
                _ => continue,
            };
            let g = expr_gradient(problem, networks, &x, &atom.expr);
            let norm2: f64 = g.iter().map(|v| v * v).sum();
            if !(norm2 > 0.0 && norm2.is_finite()) {
                continue;
            }
            let step = (e - target) / norm2;
            for (xi, gi) in x.iter_mut().zip(&g) {
                *xi -= step * gi;
            }
            x = nudge_into_premise(problem, &x);
            moved = true;
            break; // re-evaluate the networks at the new point
        }
        if !moved {
            break;
        }
    }
    x
}

/// The gradient of `e` with respect to the variables at `vars` (networks
/// differentiated at the point).
fn expr_gradient(problem: &Problem, networks: &[&Network], vars: &[f64], e: &LinExpr) -> Vec<f64> {
    let mut g = vec![0.0; vars.len()];
    let inputs = problem.application_inputs(vars);
    for (app, (a, input)) in problem.applications.iter().zip(&inputs).enumerate() {
        let mut out_grad = vec![0.0; a.outputs];
        let mut any = false;
        for (r, c) in &e.terms {
            if let Ref::Out { app: k, index } = *r
                && k == app
                && index < out_grad.len()
            {
                out_grad[index] += c;
                any = true;
            }
        }
        let Some(net) = networks.get(a.network) else {
            continue;
        };
        if !any {
            continue;
        }
        let Ok(values) = net.eval_all(input) else {
            continue;
        };
        let gin = crate::gradient::input_gradient(net, &values, &out_grad);
        for (coord, gi) in a.input.iter().zip(&gin) {
            for (r, c) in &coord.terms {
                if let Ref::Var(j) = *r
                    && j < g.len()
                {
                    g[j] += c * gi;
                }
            }
        }
    }
    for (r, c) in &e.terms {
        if let Ref::Var(j) = *r
            && j < g.len()
        {
            g[j] += c;
        }
    }
    g
}

/// Interval facts about one atom: `(refuted, lower bound of its violation measure)`.
/// The measure is `e` (`Le`/`Lt`) or `|e|` (`Eq`); refuted means no point of the
/// boxes satisfies the atom, not even within the concrete check's `EQ_TOLERANCE`.
fn atom_ibp(bounds: &ProblemBounds, a: &LinAtom) -> (bool, f64) {
    let (lo, hi) = bounds.expr(&a.expr);
    atom_facts(a.rel, lo, hi)
}

/// [`atom_ibp`] from a sound range `[lo, hi]` of the atom's expression.
pub(crate) fn atom_facts(rel: Rel, lo: f64, hi: f64) -> (bool, f64) {
    match rel {
        Rel::Le => (lo > 0.0, lo),
        Rel::Lt => (lo >= 0.0, lo),
        Rel::Eq => (
            lo > EQ_TOLERANCE || hi < -EQ_TOLERANCE,
            lo.max(-hi).max(0.0),
        ),
    }
}

fn min_finite(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let m = xs.fold(f64::INFINITY, f64::min);
    m.is_finite().then_some(m)
}

/// Share of the time left that CROWN and α-CROWN may use.
pub const CROWN_SHARE: f64 = 0.25;

fn crown_deadline(deadline: Instant) -> Instant {
    let now = Instant::now();
    now + deadline.saturating_duration_since(now).mul_f64(CROWN_SHARE)
}

fn crown_options(deadline: Instant) -> CrownOptions {
    CrownOptions {
        deadline: Some(crown_deadline(deadline)),
        ..CrownOptions::default()
    }
}

/// The application whose outputs `e` reads, if it reads outputs of exactly one.
fn single_app(e: &LinExpr) -> Option<usize> {
    let mut app = None;
    for (r, _) in &e.terms {
        if let Ref::Out { app: a, .. } = *r {
            match app {
                None => app = Some(a),
                Some(b) if b != a => return None,
                _ => {}
            }
        }
    }
    app
}

/// Sound ranges of the atoms' expressions from linear bounds: for an atom that reads
/// the outputs of one application, its output part `c · y` is bounded directly by
/// CROWN (α-CROWN when `alpha` is given) over that application's input box, the
/// variable part and constant by intervals; the f64 evaluation of the whole
/// expression is covered by one more `sum_error` widening. `None` for other atoms.
/// Only the lower end is computed for `Le`/`Lt` atoms (the upper one is `+inf`).
fn crown_atom_ranges(
    problem: &Problem,
    networks: &[&Network],
    bounds: &ProblemBounds,
    atoms: &[&LinAtom],
    alpha: Option<&AlphaOptions>,
) -> Vec<Option<(f64, f64)>> {
    use crate::bounds::{affine_range, down, sum_error, up};
    let mut out: Vec<Option<(f64, f64)>> = vec![None; atoms.len()];
    // Group the atoms by application; rows: each atom's `c`, and `-c` for `Eq` atoms.
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); problem.applications.len()];
    for (i, a) in atoms.iter().enumerate() {
        if let Some(app) = single_app(&a.expr)
            && app < groups.len()
        {
            groups[app].push(i);
        }
    }
    for (app, idx) in groups.iter().enumerate() {
        if idx.is_empty() {
            continue;
        }
        let (Some(net), Some(values)) = (
            networks.get(problem.applications[app].network),
            bounds.apps.get(app),
        ) else {
            continue;
        };
        let m = net.output_size();
        let target = net.nodes.len();
        let mut rows: Vec<f64> = Vec::new();
        let mut row_of: Vec<(usize, Option<usize>)> = Vec::new();
        let mut k = 0;
        for &i in idx {
            let mut c = vec![0.0; m];
            for (r, coef) in &atoms[i].expr.terms {
                if let Ref::Out { index, .. } = *r
                    && index < m
                {
                    c[index] += coef;
                }
            }
            let neg = (atoms[i].rel == Rel::Eq).then(|| {
                rows.extend(c.iter().map(|v| -v));
                k += 1;
                k - 1
            });
            rows.extend(&c);
            k += 1;
            row_of.push((k - 1, neg));
        }
        let Some(cm) = Mat::from_vec(k, m, rows) else {
            continue;
        };
        let low = match alpha {
            Some(o) => crown::alpha_lower_bounds(net, values, target, &cm, o),
            None => crown::lower_bounds(net, values, target, &cm),
        };
        let Some(ybox) = values.last() else { continue };
        for (&i, (r, neg)) in idx.iter().zip(&row_of) {
            let e = &atoms[i].expr;
            // The variable part with the constant, by intervals.
            let (vlo, vhi) = affine_range(
                e.terms.iter().filter_map(|(r, c)| match *r {
                    Ref::Var(j) if j < bounds.vars.len() => {
                        Some((*c, bounds.vars.lo[j], bounds.vars.hi[j]))
                    }
                    Ref::Var(_) => Some((*c, f64::NEG_INFINITY, f64::INFINITY)),
                    Ref::Out { .. } => None,
                }),
                e.constant,
            );
            let mut mag = e.constant.abs();
            for (r, c) in &e.terms {
                let h = match *r {
                    Ref::Var(j) if j < bounds.vars.len() => {
                        bounds.vars.lo[j].abs().max(bounds.vars.hi[j].abs())
                    }
                    Ref::Out { index, .. } if index < ybox.len() => {
                        ybox.lo[index].abs().max(ybox.hi[index].abs())
                    }
                    _ => f64::INFINITY,
                };
                mag += c.abs() * h;
            }
            let err = sum_error(e.terms.len() + 1, mag);
            let lo = down(low[*r] + vlo, err);
            let hi = match neg {
                Some(n) => up(-low[*n] + vhi, err),
                None => f64::INFINITY,
            };
            let lo = if lo.is_nan() { f64::NEG_INFINITY } else { lo };
            let hi = if hi.is_nan() { f64::INFINITY } else { hi };
            out[i] = Some((lo, hi));
        }
    }
    out
}

/// Per disjunct, `(refuted, margin lower bound)` from the CROWN-tightened boxes and
/// from CROWN then α-CROWN on the atoms (only for disjuncts still open), merged with
/// the IBP facts `ibp`.
fn crown_disjuncts(
    problem: &Problem,
    goals: &[Vec<LinAtom>],
    networks: &[&Network],
    tight: &ProblemBounds,
    ibp: &[(bool, f64)],
    deadline: Instant,
) -> Vec<(bool, f64)> {
    let merge = |facts: &mut Vec<(bool, f64)>, d: usize, f: (bool, f64)| {
        facts[d].0 |= f.0;
        facts[d].1 = facts[d].1.max(f.1);
    };
    let mut facts: Vec<(bool, f64)> = ibp.to_vec();
    for (d, g) in goals.iter().enumerate() {
        for a in g {
            merge(&mut facts, d, atom_ibp(tight, a));
        }
    }
    let alpha = AlphaOptions {
        deadline: Some(crown_deadline(deadline)),
        ..AlphaOptions::default()
    };
    for stage in [None, Some(&alpha)] {
        let open: Vec<usize> = (0..goals.len()).filter(|d| !facts[*d].0).collect();
        let atoms: Vec<(usize, &LinAtom)> = open
            .iter()
            .flat_map(|&d| goals[d].iter().map(move |a| (d, a)))
            .collect();
        if atoms.is_empty() || Instant::now() >= deadline {
            break;
        }
        let list: Vec<&LinAtom> = atoms.iter().map(|(_, a)| *a).collect();
        let ranges = crown_atom_ranges(problem, networks, tight, &list, stage);
        for ((d, a), r) in atoms.iter().zip(ranges) {
            if let Some((lo, hi)) = r {
                merge(&mut facts, *d, atom_facts(a.rel, lo, hi));
            }
        }
    }
    facts
}

/// Verifies one problem (property instance or query).
pub fn verify(problem: &Problem, networks: &[&Network], options: &Options) -> Outcome {
    let start = Instant::now();
    let deadline = start
        .checked_add(options.timeout)
        .unwrap_or(start + Duration::from_secs(86_400 * 365));
    let secs = || start.elapsed().as_secs_f64();
    match &problem.goal {
        Goal::Violation(goals) => {
            verify_property(problem, goals, networks, options, deadline, &secs)
        }
        Goal::Optimize {
            sense,
            objectives,
            regions,
        } => verify_query(
            problem, *sense, objectives, regions, networks, options, deadline, &secs,
        ),
    }
}

/// Verifies every problem of a program; `networks[i]` is `program.networks[i]`.
pub fn verify_program(program: &Program, networks: &[&Network], options: &Options) -> Vec<Outcome> {
    program
        .problems
        .iter()
        .map(|p| verify(p, networks, options))
        .collect()
}

/// Share of the time limit the attack may use before the solver runs (all of it when
/// the MILP is off).
pub const ATTACK_SHARE: f64 = 0.25;

fn attack_deadline(options: &Options, deadline: Instant) -> Instant {
    if !options.milp {
        return deadline;
    }
    let now = Instant::now();
    let left = deadline.saturating_duration_since(now);
    now + left.mul_f64(ATTACK_SHARE)
}

fn attack_options(options: &Options) -> AttackOptions {
    AttackOptions {
        seed: options.seed,
        ..options.attack_budget.clone()
    }
}

fn verify_property(
    problem: &Problem,
    goals: &[Vec<LinAtom>],
    networks: &[&Network],
    options: &Options,
    deadline: Instant,
    secs: &dyn Fn() -> f64,
) -> Outcome {
    let unknown = |reason: String, margin: Option<f64>| Outcome::Unknown {
        reason,
        margin_lower_bound: margin,
        seconds: secs(),
    };
    if goals.is_empty() {
        return Outcome::Holds {
            method: Method::Trivial,
            seconds: secs(),
        };
    }
    if let Err(e) = check_problem(problem, networks) {
        return unknown(e, None);
    }
    let bounds = match ProblemBounds::compute(problem, networks) {
        Ok(b) => b,
        Err(e) => return unknown(e, None),
    };
    // IBP: a refuted premise atom makes the property hold vacuously.
    if problem.premise.iter().any(|a| atom_ibp(&bounds, a).0) {
        return Outcome::Holds {
            method: Method::Ibp,
            seconds: secs(),
        };
    }
    // Per disjunct: refuted, and a lower bound on its margin (max over its atoms).
    let ibp: Vec<(bool, f64)> = goals
        .iter()
        .map(|g| {
            g.iter()
                .map(|a| atom_ibp(&bounds, a))
                .fold((false, f64::NEG_INFINITY), |(r, m), (ra, ma)| {
                    (r || ra, m.max(ma))
                })
        })
        .collect();
    if ibp.iter().all(|(r, _)| *r) {
        return Outcome::Holds {
            method: Method::Ibp,
            seconds: secs(),
        };
    }
    // CROWN: tighter boxes for every application, then linear bounds of the atoms.
    let (bounds, ibp) = if options.crown {
        let tight = bounds.with_crown(problem, networks, &crown_options(deadline));
        if problem.premise.iter().any(|a| atom_ibp(&tight, a).0) {
            return Outcome::Holds {
                method: Method::Crown,
                seconds: secs(),
            };
        }
        let mut facts = crown_disjuncts(problem, goals, networks, &tight, &ibp, deadline);
        if facts.iter().all(|(r, _)| *r) {
            return Outcome::Holds {
                method: Method::Crown,
                seconds: secs(),
            };
        }
        // Several applications: bound them jointly (shared variables, the premise's
        // variable-only atoms, twins for close runs).
        let roots = relational::joint_roots(problem, networks, Some(crown_deadline(deadline)));
        let tight = if roots.is_empty() {
            tight
        } else {
            let refined = joint_disjuncts(&roots, problem, networks, &tight, goals, &facts);
            if refined.iter().all(|(r, _)| *r) {
                return Outcome::Holds {
                    method: Method::Crown,
                    seconds: secs(),
                };
            }
            facts = refined;
            roots.iter().fold(tight, |t, r| r.tighten(&t))
        };
        (tight, facts)
    } else {
        (bounds, ibp)
    };
    let ibp_margin = || min_finite(ibp.iter().map(|(_, m)| *m));

    if options.attack
        && Instant::now() < deadline
        && let Some(found) = attack::find_violation(
            problem,
            networks,
            &attack_options(options),
            attack_deadline(options, deadline),
            None,
        )
        && let Some(cex) = confirm_counterexample(problem, networks, &found.vars)
    {
        return Outcome::Violated {
            counterexample: cex,
            method: Method::Attack,
            seconds: secs(),
        };
    }
    // Branch and bound and the MILP: a small MILP (few unstable ReLUs) first, as it is
    // exact and quick; otherwise branch and bound first, with most of the time left.
    let open: Vec<usize> = (0..goals.len()).filter(|d| !ibp[*d].0).collect();
    let use_bab = options.bab && problem.vars.len() <= BAB_MAX_VARS && !open.is_empty();
    let milp_ready = options.milp && options.solver.check_available().is_ok();
    let milp = if milp_ready {
        MilpProblem::new(problem, networks, &bounds)
    } else {
        Err(String::new())
    };
    let milp_first = matches!(&milp, Ok(m) if m.binaries() <= milp_first_binaries(options.solver));
    let mut reasons: Vec<String> = Vec::new();
    let mut margin = ibp_margin();
    let raise = |margin: &mut Option<f64>, m: Option<f64>| {
        if let Some(m) = m {
            *margin = Some(margin.map_or(m, |v| v.max(m)));
        }
    };
    let bab_stage = |share: f64, reasons: &mut Vec<String>, margin: &mut Option<f64>| {
        let opts = bab_options(options, deadline, share);
        match bab::input_split(problem, goals, &open, networks, &opts) {
            BabOutcome::Verified { .. } => Some(Outcome::Holds {
                method: Method::Bab,
                seconds: secs(),
            }),
            BabOutcome::Violated { counterexample, .. } => Some(Outcome::Violated {
                counterexample: *counterexample,
                method: Method::Bab,
                seconds: secs(),
            }),
            BabOutcome::Stopped {
                reason,
                margin_lower_bound,
                ..
            } => {
                reasons.push(reason);
                raise(margin, margin_lower_bound);
                None
            }
        }
    };
    if use_bab && !milp_first {
        let share = if milp.is_ok() { BAB_SHARE } else { 1.0 };
        if let Some(o) = bab_stage(share, &mut reasons, &mut margin) {
            return o;
        }
    }
    match milp {
        Ok(milp) if Instant::now() < deadline => {
            match milp_stage(problem, goals, networks, options, deadline, &milp, &ibp) {
                Ok(o) => return o.with_seconds(secs()),
                Err((why, m)) => {
                    reasons.extend(why);
                    raise(&mut margin, m);
                }
            }
        }
        Ok(_) => reasons.push("time limit reached before the MILP".into()),
        Err(e) if !e.is_empty() => reasons.push(format!("cannot encode the MILP: {e}")),
        Err(_) if !options.milp => reasons.push("the MILP is off".into()),
        Err(_) => {
            if let Err(e) = options.solver.check_available() {
                reasons.push(e);
            }
        }
    }
    if use_bab
        && milp_first
        && Instant::now() < deadline
        && let Some(o) = bab_stage(1.0, &mut reasons, &mut margin)
    {
        return o;
    }
    if reasons.is_empty() {
        reasons.push(
            "interval and linear bounds are inconclusive and the attack found nothing".into(),
        );
    }
    unknown(reasons.join("; "), margin)
}

/// Per disjunct, `facts` (refuted, margin lower bound) refined by the joint bounds of
/// its atoms.
/// (The ranges are the tighter of the joint roots' and the independent analysis on
/// `bounds`, each application's part of an atom bounded by CROWN on its own.)
fn joint_disjuncts(
    roots: &[JointRoot],
    problem: &Problem,
    networks: &[&Network],
    bounds: &ProblemBounds,
    goals: &[Vec<LinAtom>],
    facts: &[(bool, f64)],
) -> Vec<(bool, f64)> {
    goals
        .iter()
        .zip(facts)
        .map(|(g, &(refuted, margin))| {
            if refuted || g.is_empty() {
                return (refuted, margin);
            }
            let exprs: Vec<&LinExpr> = g.iter().map(|a| &a.expr).collect();
            let independent = relational::independent_ranges(problem, networks, bounds, &exprs);
            let ranges = match relational::best_ranges(roots, &exprs) {
                Some(r) => relational::tighter(&r, &independent),
                None => independent,
            };
            let (r, m) = ranges
                .iter()
                .zip(g)
                .map(|((lo, hi), a)| atom_facts(a.rel, *lo, *hi))
                .fold((false, f64::NEG_INFINITY), |(r, m), (ra, ma)| {
                    (r || ra, m.max(ma))
                });
            (r, margin.max(m))
        })
        .collect()
}

/// Branch and bound's options: `share` of the time left before `deadline`.
fn bab_options(options: &Options, deadline: Instant, share: f64) -> BabOptions {
    let now = Instant::now();
    BabOptions {
        deadline: now + deadline.saturating_duration_since(now).mul_f64(share),
        threads: options.threads.max(1),
        max_memory: options.bab_memory,
        progress: options.progress.clone(),
    }
}

/// Variables up to which input branch and bound runs.
pub const BAB_MAX_VARS: usize = 24;

/// A MILP with at most this many binaries runs before branch and bound (microlp).
pub const MILP_FIRST_BINARIES: usize = 48;

/// A MILP with at most this many binaries runs before branch and bound with HiGHS or
/// SCIP: they solve COMET's heart-disease twin MILPs (64 binaries, with the twin cuts)
/// in 3-9 s, where branch and bound is still far from the optimum.
pub const MILP_FIRST_BINARIES_FAST_SOLVER: usize = 128;

/// The MILP-first threshold of `solver` (microlp is much slower on larger MILPs).
pub fn milp_first_binaries(solver: Solver) -> usize {
    match solver {
        Solver::Microlp => MILP_FIRST_BINARIES,
        _ => MILP_FIRST_BINARIES_FAST_SOLVER,
    }
}

/// Share of the time left that a query's branch and bound gets before the MILP (it
/// runs again with the rest if the MILP does not reach its optimum): a query's
/// branch and bound closes its gap slowly on wide boxes, where the MILP is exact in
/// seconds (COMET's heart network: HiGHS in 7-10 s), so the MILP should not wait long.
pub const QUERY_BAB_SHARE: f64 = 0.25;

/// Share of the time left that branch and bound may use when the MILP runs after it.
pub const BAB_SHARE: f64 = 0.8;

/// The MILP on every open disjunct: `Ok` with the verdict (its `seconds` set by the
/// caller), or `Err` with the reasons and the best margin lower bound.
#[allow(clippy::type_complexity)]
fn milp_stage(
    problem: &Problem,
    goals: &[Vec<LinAtom>],
    networks: &[&Network],
    options: &Options,
    deadline: Instant,
    milp: &MilpProblem,
    ibp: &[(bool, f64)],
) -> Result<Outcome, (Vec<String>, Option<f64>)> {
    let mut margins: Vec<f64> = ibp
        .iter()
        .map(|(r, m)| if *r { f64::INFINITY } else { *m })
        .collect();
    let mut reasons: Vec<String> = Vec::new();
    for d in 0..goals.len() {
        if ibp[d].0 {
            continue;
        }
        match milp.minimize_margin(problem, d, options.solver, deadline) {
            MarginResult::NoCounterexample { margin } => {
                margins[d] = margins[d].max(margin - milp::TOL);
            }
            MarginResult::Candidate {
                vars,
                margin,
                optimal,
            } => {
                if optimal {
                    margins[d] = margins[d].max(margin - milp::TOL);
                }
                if let Some(cex) = repair(problem, networks, &vars, options, deadline) {
                    return Ok(Outcome::Violated {
                        counterexample: cex,
                        method: Method::Milp,
                        seconds: 0.0,
                    });
                }
                // Strict goals (`e < 0`, from a negated `<=` conclusion) whose proven
                // optimum is 0 up to the solver's tolerance: the violation set is empty
                // or only violates by less than `TOL` (see "What holds means" in the
                // module doc). No concrete counterexample was found above.
                let strict_only = !goals[d].is_empty() && goals[d].iter().all(|a| a.rel == Rel::Lt);
                if optimal && strict_only && margin >= -milp::TOL {
                    margins[d] = margins[d].max(margin - milp::TOL);
                    continue;
                }
                reasons.push(format!(
                    "disjunct {d}: the solver's point (margin {margin:e}{}) is not a counterexample when re-evaluated exactly",
                    if optimal { ", optimal" } else { ", not proven optimal" }
                ));
            }
            MarginResult::Stopped { reason } => reasons.push(format!("disjunct {d}: {reason}")),
        }
    }
    if reasons.is_empty() {
        return Ok(Outcome::Holds {
            method: Method::Milp,
            seconds: 0.0,
        });
    }
    Err((reasons, min_finite(margins.into_iter())))
}

/// Tries the solver's point, the point clamped to the boxes, the point nudged into
/// the premise, then a short attack
/// started from it.
fn repair(
    problem: &Problem,
    networks: &[&Network],
    vars: &[f64],
    options: &Options,
    deadline: Instant,
) -> Option<Counterexample> {
    if let Some(c) = confirm_counterexample(problem, networks, vars) {
        return Some(c);
    }
    let clamped = clamp_to_boxes(problem, vars);
    if let Some(c) = confirm_counterexample(problem, networks, &clamped) {
        return Some(c);
    }
    let nudged = nudge_into_premise(problem, vars);
    if let Some(c) = confirm_counterexample(problem, networks, &nudged) {
        return Some(c);
    }
    let nudged = nudge_into_output_premise(problem, networks, &nudged);
    if let Some(c) = confirm_counterexample(problem, networks, &nudged) {
        return Some(c);
    }
    let budget = AttackOptions {
        seed: options.seed,
        samples: 0,
        restarts: 1,
        steps: 50,
    };
    let found = attack::find_violation(problem, networks, &budget, deadline, Some(&clamped))?;
    confirm_counterexample(problem, networks, &found.vars)
}

#[allow(clippy::too_many_arguments)]
fn verify_query(
    problem: &Problem,
    sense: Sense,
    objectives: &[propc_compiler::ir::LinExpr],
    regions: &[Vec<LinAtom>],
    networks: &[&Network],
    options: &Options,
    deadline: Instant,
    secs: &dyn Fn() -> f64,
) -> Outcome {
    let maximize = sense == Sense::Maximize;
    let empty = |method: Method, why: &str| Outcome::Bound {
        lower: None,
        upper: None,
        witness: None,
        exact: true,
        method,
        reason: Some(format!("{why}: the query has no admissible point")),
        seconds: secs(),
    };
    if objectives.is_empty() {
        return empty(Method::Trivial, "no objective");
    }
    if regions.is_empty() {
        return empty(Method::Trivial, "no region");
    }
    if let Err(e) = check_problem(problem, networks) {
        return Outcome::Unknown {
            reason: e,
            margin_lower_bound: None,
            seconds: secs(),
        };
    }
    let bounds = match ProblemBounds::compute(problem, networks) {
        Ok(b) => b,
        Err(e) => {
            return Outcome::Unknown {
                reason: e,
                margin_lower_bound: None,
                seconds: secs(),
            };
        }
    };
    if problem.premise.iter().any(|a| atom_ibp(&bounds, a).0) {
        return empty(Method::Ibp, "interval bounds refute the premise");
    }
    let live: Vec<usize> = (0..regions.len())
        .filter(|r| !regions[*r].iter().any(|a| atom_ibp(&bounds, a).0))
        .collect();
    if live.is_empty() {
        return empty(Method::Ibp, "interval bounds refute every region");
    }
    // The proven end, per objective, from IBP: hi (maximize) or lo (minimize).
    let end_of = |b: &ProblemBounds| -> Vec<f64> {
        objectives
            .iter()
            .map(|o| {
                let (lo, hi) = b.expr(o);
                if maximize { hi } else { lo }
            })
            .collect()
    };
    let mut ibp_end = end_of(&bounds);
    // `better(a, b)`: a is the better (more extreme) value in the query's sense.
    let sign = if maximize { 1.0 } else { -1.0 };
    let extreme = |xs: &mut dyn Iterator<Item = f64>| -> f64 {
        xs.fold(-sign * f64::INFINITY, |a, b| {
            if sign * b > sign * a { b } else { a }
        })
    };
    let mut ibp_bound = extreme(&mut ibp_end.iter().copied());
    let mut bound_method = Method::Ibp;
    // CROWN-tightened boxes: for the MILP's big-M constants, the regions and the ends.
    let (bounds, live) = if options.crown {
        let tight = bounds.with_crown(problem, networks, &crown_options(deadline));
        if problem.premise.iter().any(|a| atom_ibp(&tight, a).0) {
            return empty(Method::Crown, "linear bounds refute the premise");
        }
        let live: Vec<usize> = live
            .into_iter()
            .filter(|r| !regions[*r].iter().any(|a| atom_ibp(&tight, a).0))
            .collect();
        if live.is_empty() {
            return empty(Method::Crown, "linear bounds refute every region");
        }
        let mut crown_end = end_of(&tight);
        let roots = relational::joint_roots(problem, networks, Some(crown_deadline(deadline)));
        let exprs: Vec<&LinExpr> = objectives.iter().collect();
        let independent = relational::independent_ranges(problem, networks, &tight, &exprs);
        let best = relational::best_ranges(&roots, &exprs);
        if let Some(ranges) = best.map(|r| relational::tighter(&r, &independent)) {
            for (e, (lo, hi)) in crown_end.iter_mut().zip(ranges) {
                let j = if maximize { hi } else { lo };
                if sign * j < sign * *e {
                    *e = j;
                }
            }
        }
        let tight = roots.iter().fold(tight, |t, r| r.tighten(&t));
        let crown_bound = extreme(&mut crown_end.iter().copied());
        if sign * crown_bound < sign * ibp_bound {
            bound_method = Method::Crown;
            ibp_bound = crown_bound;
        }
        for (e, c) in ibp_end.iter_mut().zip(crown_end) {
            if sign * c < sign * *e {
                *e = c;
            }
        }
        (tight, live)
    } else {
        (bounds, live)
    };

    let mut best: Option<Witness> = None;
    let consider = |w: Witness, best: &mut Option<Witness>| {
        if best
            .as_ref()
            .is_none_or(|b| sign * w.value > sign * b.value)
        {
            *best = Some(w);
        }
    };
    if options.attack
        && Instant::now() < deadline
        && let Some(w) = attack::best_witness(
            problem,
            networks,
            &attack_options(options),
            attack_deadline(options, deadline),
        )
        && let Some(w) = confirm_witness(problem, networks, &w.vars)
    {
        consider(w, &mut best);
    }

    let mut proven = ibp_bound;
    let mut method = bound_method;
    let mut reasons: Vec<String> = Vec::new();
    let mut all_optimal = false;
    // Branch and bound on the inputs (few variables): anytime, its upper bound sound at
    // every moment. A small MILP (exact, quick) runs first; otherwise branch and bound
    // gets most of the time and the MILP the rest.
    let use_bab = options.bab && problem.vars.len() <= BAB_MAX_VARS;
    // The MILP is encoded once, for the MILP-first rule and the MILP stage.
    let setup = options.milp.then(|| {
        options.solver.check_available().and_then(|_| {
            MilpProblem::new(problem, networks, &bounds)
                .map_err(|e| format!("cannot encode the MILP: {e}"))
        })
    });
    let milp_first =
        matches!(&setup, Some(Ok(m)) if m.binaries() <= milp_first_binaries(options.solver));
    let mut bab_closed = false;
    let bab_query =
        |share: f64, best: &mut Option<Witness>, proven: &mut f64, method: &mut Method| {
            let opts = bab_options(options, deadline, share);
            let known = best.clone().map(|w| {
                let v = sign * w.value;
                (w, v)
            });
            let opt =
                bab::optimize::maximize(problem, regions, objectives, sign, networks, &opts, known);
            if let Some((w, _)) = opt.best {
                consider(w, best);
            }
            let end = sign * opt.upper;
            if sign * end < sign * *proven {
                *proven = end;
                *method = Method::Bab;
            }
            opt.closed
        };
    if use_bab && !milp_first {
        let share = if options.milp { QUERY_BAB_SHARE } else { 1.0 };
        bab_closed = bab_query(share, &mut best, &mut proven, &mut method);
    }
    if let Some(setup) = setup.filter(|_| !bab_closed) {
        match setup {
            Err(e) => reasons.push(e),
            Ok(milp) => {
                all_optimal = true;
                let mut ends: Vec<f64> = Vec::new();
                for (k, ibp_k) in ibp_end.iter().enumerate() {
                    for &r in &live {
                        let start = best.as_ref().map(|w| w.vars.clone());
                        match milp.optimize(
                            problem,
                            networks,
                            k,
                            r,
                            options.solver,
                            deadline,
                            start.as_deref(),
                        ) {
                            ObjectiveResult::Optimum {
                                value,
                                vars,
                                optimal,
                            } => {
                                if optimal {
                                    ends.push(value + sign * milp::query_safety(value));
                                } else {
                                    all_optimal = false;
                                    ends.push(*ibp_k);
                                    reasons.push(format!("objective {k}, region {r}: the solver stopped before proving optimality"));
                                }
                                let w = confirm_witness(problem, networks, &vars)
                                    .or_else(|| {
                                        confirm_witness(
                                            problem,
                                            networks,
                                            &clamp_to_boxes(problem, &vars),
                                        )
                                    })
                                    .or_else(|| {
                                        confirm_witness(
                                            problem,
                                            networks,
                                            &nudge_into_premise(problem, &vars),
                                        )
                                    });
                                if let Some(w) = w {
                                    consider(w, &mut best);
                                }
                            }
                            ObjectiveResult::Infeasible => {}
                            ObjectiveResult::Stopped { reason } => {
                                all_optimal = false;
                                ends.push(*ibp_k);
                                reasons.push(format!("objective {k}, region {r}: {reason}"));
                            }
                        }
                    }
                }
                if ends.is_empty() && all_optimal {
                    return empty(Method::Milp, "the solver proves every region empty");
                }
                let milp_end = extreme(&mut ends.into_iter());
                // Every end is sound: keep the tightest. A MILP that reached its
                // optimum decided the query (its end may be a safety margin looser).
                if sign * milp_end < sign * proven {
                    proven = milp_end;
                    method = Method::Milp;
                } else if all_optimal {
                    method = Method::Milp;
                }
            }
        }
    } else if !options.milp {
        reasons.push("the MILP is off".into());
    }
    if use_bab && !bab_closed && !all_optimal && Instant::now() < deadline {
        bab_closed = bab_query(1.0, &mut best, &mut proven, &mut method);
    }
    let found = best.as_ref().map(|w| w.value);
    // A concrete point can never beat a sound bound; if rounding says otherwise,
    // widen the bound to the point.
    if let Some(v) = found
        && sign * v > sign * proven
    {
        proven = v;
    }
    let proven = proven.is_finite().then_some(proven);
    let exact = (all_optimal || bab_closed)
        && match (found, proven) {
            (Some(v), Some(p)) => (p - v).abs() <= 2.0 * milp::query_safety(p),
            _ => false,
        };
    let (lower, upper) = if maximize {
        (found, proven)
    } else {
        (proven, found)
    };
    Outcome::Bound {
        lower,
        upper,
        witness: best,
        exact,
        method,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
        seconds: secs(),
    }
}
