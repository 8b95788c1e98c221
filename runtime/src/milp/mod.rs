//! The exact MILP backend: big-M encoding of an IR problem, solved through good_lp
//! (microlp, HiGHS) or SCIP's C API.
//!
//! Takes: a [`Problem`], its networks (`networks[i]` is `Program::networks[i]`), sound
//! [`ProblemBounds`] (IBP, tightened by CROWN in `verify`: the big-M constants), a
//! [`Solver`] and a deadline.
//! Gives: per goal disjunct, the minimum violation margin `s*` (or a point to check);
//! per objective × region, the optimum and its point; and [`to_lp_text`], the models as
//! CPLEX LP text (`propc compile --emit lp`).
//! Invariant: solver-neutral (every backend sees the same [`model::Model`]); a result
//! is flagged a proof only when the solver proved optimality or infeasibility. Points
//! are the solver's, unchecked: callers re-evaluate them concretely (see `verify`).
//!
//! ## Tolerances
//! - [`TOL`] = `1e-6`: a disjunct has no counterexample only if `s* > TOL`. LP solvers
//!   work with feasibility tolerances around `1e-7..1e-9` and integrality tolerance
//!   `1e-6`, both of which *relax* the model (so `s*` can only come out lower than the
//!   exact optimum, never higher, up to those tolerances); `1e-6` keeps a margin
//!   above that noise while still being far below any meaningful property slack.
//! - [`query_safety`]`(v)` = `1e-6 · (1 + |v|)`: added to (subtracted from) an optimum to
//!   make it a sound upper (lower) bound despite the same solver tolerances.

mod backend;
mod encode;
pub(crate) mod model;
#[cfg(feature = "scip")]
mod scip;

pub(crate) use backend::Solved;
pub use backend::Solver;

use crate::bounds::ProblemBounds;
use crate::bounds::crown::CrownOptions;
use crate::network::Network;
use encode::Base;
use propc_compiler::ir::{Goal, Problem, Sense};
use std::time::Instant;

/// A disjunct whose minimum margin `s*` exceeds this has no counterexample.
pub const TOL: f64 = 1e-6;

/// Safety margin added to a query optimum `v` (maximize) or subtracted from it
/// (minimize) to make it a sound bound.
pub fn query_safety(v: f64) -> f64 {
    1e-6 * (1.0 + v.abs())
}

/// The outcome of minimizing the violation margin of one goal disjunct.
#[derive(Clone, Debug, PartialEq)]
pub enum MarginResult {
    /// Proven: no point of the premise satisfies the disjunct. `margin` is `s*`
    /// (`+inf` when the premise with the networks is infeasible).
    NoCounterexample { margin: f64 },
    /// The solver's best point (values of the IR variables) with margin `s`, optimal
    /// or not; it still has to be checked concretely.
    Candidate {
        vars: Vec<f64>,
        margin: f64,
        optimal: bool,
    },
    /// No answer (time limit, solver error).
    Stopped { reason: String },
}

/// The outcome of optimizing one objective over one region.
#[derive(Clone, Debug, PartialEq)]
pub enum ObjectiveResult {
    /// The solver's optimum value and point (IR variables); `optimal` when proven.
    Optimum {
        value: f64,
        vars: Vec<f64>,
        optimal: bool,
    },
    /// The region (with the premise) is empty.
    Infeasible,
    Stopped {
        reason: String,
    },
}

/// An encoded problem, shared by its disjuncts / objectives.
#[derive(Clone, Debug)]
pub struct MilpProblem {
    base: Base,
}

impl MilpProblem {
    /// Encodes the variables, applications and premise. Fails on an unbounded
    /// variable or pre-activation, or on networks that do not fit the problem.
    pub fn new(
        problem: &Problem,
        networks: &[&Network],
        bounds: &ProblemBounds,
    ) -> Result<MilpProblem, String> {
        crate::verify::check_networks(problem, networks)?;
        Ok(MilpProblem {
            base: encode::encode_base(problem, networks, bounds)?,
        })
    }

    /// The LP relaxation: every ReLU binary continuous in `[0, 1]`. With the big-M rows
    /// built from the boxes, each unstable ReLU's feasible set is then its triangle
    /// relaxation on those boxes, the relaxation CROWN bounds from the dual side: an LP
    /// optimum is never looser than CROWN's bound with the same boxes (a cross-check,
    /// not a proof method: its optimum may be no real point).
    pub fn relaxed(mut self) -> MilpProblem {
        for &(d, ..) in &self.base.binaries {
            if let Some(v) = self.base.model.vars.get_mut(d) {
                v.integer = false;
            }
        }
        self.base.n_binaries = 0;
        self
    }

    /// Number of binary variables (unstable ReLUs).
    pub fn binaries(&self) -> usize {
        self.base.n_binaries
    }

    /// Number of model variables before any goal is added.
    pub fn variables(&self) -> usize {
        self.base.model.vars.len()
    }

    /// Minimizes the violation margin of goal disjunct `d` (`Lt` atoms as `Le`).
    pub fn minimize_margin(
        &self,
        problem: &Problem,
        d: usize,
        solver: Solver,
        deadline: Instant,
    ) -> MarginResult {
        let (model, _) = encode::violation_model(problem, &self.base, d);
        match backend::solve(model, solver, deadline) {
            Solved::Infeasible => MarginResult::NoCounterexample {
                margin: f64::INFINITY,
            },
            Solved::Point {
                optimal,
                values,
                objective,
            } => {
                if optimal && objective > TOL {
                    MarginResult::NoCounterexample { margin: objective }
                } else {
                    MarginResult::Candidate {
                        vars: ir_values(&values, self.base.n_vars),
                        margin: objective,
                        optimal,
                    }
                }
            }
            Solved::Stopped(reason) => MarginResult::Stopped { reason },
        }
    }

    /// Warm-start values from a concrete point of the IR variables: the variables
    /// themselves and every ReLU binary's phase there (the solver completes the rest,
    /// and drops the hint if it is not feasible).
    fn hint(&self, problem: &Problem, networks: &[&Network], vars: &[f64]) -> Vec<(usize, f64)> {
        let mut hint: Vec<(usize, f64)> = vars
            .iter()
            .copied()
            .enumerate()
            .take(self.base.n_vars)
            .collect();
        let values: Option<Vec<Vec<Vec<f64>>>> = problem
            .application_inputs(vars)
            .iter()
            .zip(&problem.applications)
            .map(|(inp, app)| networks.get(app.network).and_then(|n| n.eval_all(inp).ok()))
            .collect();
        let Some(values) = values else { return hint };
        for &(d, app, value, c) in &self.base.binaries {
            if let Some(x) = values
                .get(app)
                .and_then(|v| v.get(value))
                .and_then(|v| v.get(c))
            {
                hint.push((d, if *x > 0.0 { 1.0 } else { 0.0 }));
            }
        }
        hint
    }

    /// Optimizes objective `k` (in the query's sense) over the premise and region `r`.
    /// `start`, a point of the IR variables (e.g. the attack's best), may speed the
    /// solver up; it is only advisory.
    #[allow(clippy::too_many_arguments)]
    pub fn optimize(
        &self,
        problem: &Problem,
        networks: &[&Network],
        k: usize,
        r: usize,
        solver: Solver,
        deadline: Instant,
        start: Option<&[f64]>,
    ) -> ObjectiveResult {
        let mut model = encode::objective_model(problem, &self.base, k, r);
        if let Some(x) = start {
            model.hint = self.hint(problem, networks, x);
        }
        match backend::solve(model, solver, deadline) {
            Solved::Infeasible => ObjectiveResult::Infeasible,
            Solved::Point {
                optimal,
                values,
                objective,
            } => ObjectiveResult::Optimum {
                value: objective,
                vars: ir_values(&values, self.base.n_vars),
                optimal,
            },
            Solved::Stopped(reason) => ObjectiveResult::Stopped { reason },
        }
    }
}

/// The MILP of every goal disjunct (or objective × region) of `problem`, as CPLEX LP
/// text with `\` comments naming the problem, the disjunct and the variables.
/// Deterministic. Fails if the networks do not fit or a variable is unbounded.
pub fn to_lp_text(problem: &Problem, networks: &[&Network]) -> Result<String, String> {
    // The same boxes as `verify` (with its default options) gives the MILP.
    let bounds = ProblemBounds::compute(problem, networks)?.with_crown(
        problem,
        networks,
        &CrownOptions::default(),
    );
    let enc = MilpProblem::new(problem, networks, &bounds)?;
    let base = &enc.base;
    let title = match problem.sample {
        Some(i) => format!("{} [sample {i}]", problem.name),
        None => problem.name.clone(),
    };
    let mut header = vec![format!("problem {title}")];
    for (i, v) in problem.vars.iter().enumerate() {
        header.push(format!("x{i} = {}", v.name));
    }
    header.push(format!(
        "{} variables, {} binaries (unstable relus), big-M from CROWN and interval bounds",
        base.model.vars.len(),
        base.n_binaries
    ));
    let mut out = String::new();
    let emit = |mut m: model::Model, what: String| -> String {
        m.comments = header.clone();
        m.comments.push(what);
        m.lp_text() + "\n"
    };
    match &problem.goal {
        Goal::Violation(goals) => {
            if goals.is_empty() {
                out.push_str(&format!(
                    "\\ problem {title}: no goal disjunct, the property holds trivially\n\n"
                ));
            }
            for d in 0..goals.len() {
                let (m, _) = encode::violation_model(problem, base, d);
                out += &emit(
                    m,
                    format!(
                        "disjunct g{d} of {}: minimize the margin s; s* > {TOL} proves no counterexample",
                        goals.len()
                    ),
                );
            }
        }
        Goal::Optimize {
            sense,
            objectives,
            regions,
        } => {
            let word = if *sense == Sense::Maximize {
                "maximize"
            } else {
                "minimize"
            };
            for k in 0..objectives.len() {
                for r in 0..regions.len() {
                    out += &emit(
                        encode::objective_model(problem, base, k, r),
                        format!("{word} objective {k} over region r{r}"),
                    );
                }
            }
        }
    }
    Ok(out)
}

/// The IR variables' values from a solver point (`-0.0` printed as `0`).
fn ir_values(values: &[f64], n: usize) -> Vec<f64> {
    values.iter().take(n).map(|v| v + 0.0).collect()
}
