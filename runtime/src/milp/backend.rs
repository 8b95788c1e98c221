//! Solving a [`Model`] with good_lp (`microlp`, always built, or HiGHS, cargo feature
//! `highs`) or with SCIP (cargo feature `scip`, see `super::scip`), under a wall-clock
//! deadline.
//!
//! Takes: a model, a [`Solver`] and a deadline.
//! Gives: [`Solved`]: a point (flagged optimal only when the solver proved it),
//! infeasibility, or a reason it stopped.
//! Invariant: the solver's own time limit is set to the time left; in addition the
//! solve runs on a worker thread and the caller stops waiting shortly after the
//! deadline (the thread is then abandoned and finishes on its own). HiGHS and SCIP run
//! with zero MIP gaps, so "optimal" means proven optimal (a solve stopped at a positive
//! gap is reported as not optimal). Every backend sees the same rows, equilibrated by
//! [`equilibrated`].

use super::model::{Lin, Model, Row, RowRel};
use good_lp::{
    Expression, ProblemVariables, ResolutionError, Solution, SolutionStatus, SolverModel, Variable,
    variable,
};
use std::fmt;
use std::str::FromStr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A MILP backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum Solver {
    /// Pure-Rust `microlp`, always available.
    #[default]
    Microlp,
    /// HiGHS, available when propc is built with the cargo feature `highs`.
    Highs,
    /// SCIP 10, available when propc is built with the cargo feature `scip`.
    Scip,
}

impl Solver {
    pub fn name(self) -> &'static str {
        match self {
            Solver::Microlp => "microlp",
            Solver::Highs => "highs",
            Solver::Scip => "scip",
        }
    }

    /// Whether this build can run the solver.
    pub fn is_available(self) -> bool {
        match self {
            Solver::Microlp => true,
            Solver::Highs => cfg!(feature = "highs"),
            Solver::Scip => cfg!(feature = "scip"),
        }
    }

    /// Every solver this build can run.
    pub fn available() -> Vec<Solver> {
        [Solver::Microlp, Solver::Highs, Solver::Scip]
            .into_iter()
            .filter(|s| s.is_available())
            .collect()
    }

    /// `Ok` if this build can run the solver, else a message saying how to get it.
    pub fn check_available(self) -> Result<(), String> {
        if self.is_available() {
            return Ok(());
        }
        let how = match self {
            Solver::Scip => {
                "rebuild with `cargo build --features scip` and `PROPC_SCIP_LIB_DIR` set \
                 (`eval \"$(.ci/setup-scip.sh)\"` prepares a prebuilt SCIP)"
            }
            _ => "rebuild with `cargo build --features highs` (needs cmake and libclang)",
        };
        Err(format!(
            "the `{}` solver is not compiled into this build; {how} or use `--solver microlp`",
            self.name()
        ))
    }
}

impl fmt::Display for Solver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Solver {
    type Err = String;
    fn from_str(s: &str) -> Result<Solver, String> {
        match s.to_ascii_lowercase().as_str() {
            "microlp" => Ok(Solver::Microlp),
            "highs" => Ok(Solver::Highs),
            "scip" => Ok(Solver::Scip),
            other => Err(format!(
                "unknown solver `{other}` (expected `microlp`, `highs` or `scip`)"
            )),
        }
    }
}

/// What a solve produced.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Solved {
    /// A feasible point of the model (values of every model variable) and its
    /// objective value; `optimal` only when the solver proved optimality.
    Point {
        optimal: bool,
        values: Vec<f64>,
        objective: f64,
    },
    /// The solver proved the model infeasible.
    Infeasible,
    /// No usable answer: time limit, solver error, unavailable solver.
    Stopped(String),
}

/// Solves `model` by `deadline`.
pub(crate) fn solve(model: Model, solver: Solver, deadline: Instant) -> Solved {
    if let Err(e) = solver.check_available() {
        return Solved::Stopped(e);
    }
    let now = Instant::now();
    if now >= deadline {
        return Solved::Stopped("time limit reached".to_string());
    }
    let left = deadline - now;
    let grace = (left / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("propc-milp".to_string())
        .spawn(move || {
            let result = run(&model, solver, left.as_secs_f64());
            let _ = tx.send(result);
        });
    if let Err(e) = spawned {
        return Solved::Stopped(format!("could not start the solver thread: {e}"));
    }
    match rx.recv_timeout(left + grace) {
        Ok(r) => r,
        Err(mpsc::RecvTimeoutError::Timeout) => Solved::Stopped("time limit reached".to_string()),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            Solved::Stopped("the solver thread panicked".to_string())
        }
    }
}

fn expr(l: &Lin, vars: &[Variable]) -> Expression {
    let mut e = Expression::from(l.constant);
    for (v, c) in &l.terms {
        e.add_mul(*c, vars[*v]);
    }
    e
}

/// Row `r` divided by its largest coefficient magnitude (row equilibration). The
/// feasible set is the same; the simplex's LU factorizations are better conditioned
/// (raw-feature networks mix weights of 1e-3 with big-M constants of 1e3, which made
/// microlp report singular bases).
pub(super) fn equilibrated(r: &Row) -> Lin {
    let scale = r
        .expr
        .terms
        .iter()
        .map(|(_, c)| c.abs())
        .fold(0.0_f64, f64::max);
    if scale > 0.0 && scale.is_finite() {
        r.expr.scale(1.0 / scale)
    } else {
        r.expr.clone()
    }
}

fn run(model: &Model, solver: Solver, seconds: f64) -> Solved {
    if solver == Solver::Scip {
        return run_scip(model, seconds);
    }
    let mut pv = ProblemVariables::new();
    let vars: Vec<Variable> = model
        .vars
        .iter()
        .map(|v| {
            let def = variable().min(v.lo).max(v.hi);
            pv.add(if v.integer { def.integer() } else { def })
        })
        .collect();
    let objective = expr(&model.objective, &vars);
    let unsolved = if model.maximize {
        pv.maximise(objective)
    } else {
        pv.minimise(objective)
    };
    let constraints: Vec<good_lp::Constraint> = model
        .rows
        .iter()
        .map(|r| {
            let e = expr(&equilibrated(r), &vars);
            match r.rel {
                RowRel::Le => e.leq(0.0),
                RowRel::Eq => e.eq(0.0),
                RowRel::Ge => e.geq(0.0),
            }
        })
        .collect();
    let result: Result<(bool, Vec<f64>), ResolutionError> = match solver {
        Solver::Microlp => {
            use good_lp::{WithInitialSolution, WithTimeLimit};
            let mut p = unsolved.using(good_lp::microlp).with_time_limit(seconds);
            if !model.hint.is_empty() {
                p = p.with_initial_solution(
                    model
                        .hint
                        .iter()
                        .filter_map(|(v, x)| Some((*vars.get(*v)?, *x))),
                );
            }
            for c in constraints {
                p.add_constraint(c);
            }
            p.solve().map(|sol| read(&sol, &vars))
        }
        Solver::Highs => solve_highs(unsolved, constraints, &vars, seconds),
        Solver::Scip => Err(ResolutionError::Str(
            "scip is not a good_lp backend here".to_string(),
        )),
    };
    match result {
        Ok((optimal, values)) => {
            let objective = model.objective.eval(&values);
            Solved::Point {
                optimal,
                values,
                objective,
            }
        }
        Err(ResolutionError::Infeasible) => Solved::Infeasible,
        Err(ResolutionError::Unbounded) => {
            Solved::Stopped("the solver reports an unbounded model".to_string())
        }
        Err(e) => Solved::Stopped(format!(
            "{} solver: {}",
            solver.name(),
            lower_first(&e.to_string())
        )),
    }
}

fn read(sol: &impl Solution, vars: &[Variable]) -> (bool, Vec<f64>) {
    (
        matches!(sol.status(), SolutionStatus::Optimal),
        vars.iter().map(|v| sol.value(*v)).collect(),
    )
}

#[cfg(feature = "highs")]
fn solve_highs(
    unsolved: good_lp::variable::UnsolvedProblem,
    constraints: Vec<good_lp::Constraint>,
    vars: &[Variable],
    seconds: f64,
) -> Result<(bool, Vec<f64>), ResolutionError> {
    let gap_err = |e: good_lp::solvers::MipGapError| {
        ResolutionError::Str(format!("cannot set the MIP gap: {e}"))
    };
    let mut p = unsolved
        .using(good_lp::highs)
        .set_time_limit(seconds)
        .set_mip_rel_gap(0.0)
        .map_err(gap_err)?
        .set_mip_abs_gap(0.0)
        .map_err(gap_err)?;
    for c in constraints {
        p.add_constraint(c);
    }
    p.solve().map(|sol| read(&sol, vars))
}

#[cfg(not(feature = "highs"))]
fn solve_highs(
    _: good_lp::variable::UnsolvedProblem,
    _: Vec<good_lp::Constraint>,
    _: &[Variable],
    _: f64,
) -> Result<(bool, Vec<f64>), ResolutionError> {
    Err(ResolutionError::Str(
        Solver::Highs.check_available().err().unwrap_or_default(),
    ))
}

#[cfg(feature = "scip")]
fn run_scip(model: &Model, seconds: f64) -> Solved {
    super::scip::solve(model, seconds)
}

#[cfg(not(feature = "scip"))]
fn run_scip(_: &Model, _: f64) -> Solved {
    Solved::Stopped(Solver::Scip.check_available().err().unwrap_or_default())
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_lowercase()
            .chain(c)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string(),
        None => String::new(),
    }
}
