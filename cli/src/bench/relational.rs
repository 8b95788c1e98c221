//! `propc bench relational SPEC --net ...`: how tight the relational bounds are, problem
//! by problem, against the independent (naive) bound and the exact MILP optimum.
//!
//! Takes: a spec and its bindings (as `propc check`), a time budget for branch and
//! bound and one for the MILP, and where to write the rows (CSV).
//! Gives: for each query, the proven end (upper for `maximize`, lower for `minimize`)
//! of its objective by (1) *independent* bounds: each application bounded on its own
//! (CROWN boxes, then CROWN on its part of the objective), summed; (2) the *joint*
//! graph: every application in one graph over the shared variables (one CROWN pass,
//! the premise's variable-only atoms used); (3) the *twin* graph (close runs as a base
//! plus a difference); (4) *best*, the tightest of (1)–(3) end by end (what `propc
//! check` uses); (5) branch and bound for `--bab-seconds`; and (6) the MILP alone
//! (exact when it finishes within `--milp-seconds`), each with its time and the best
//! point found. For each property instance (e.g. one dataset sample of
//! `std.compare.implies`), the range `[min, max]` of each goal atom's expression by
//! (1)–(4) (the paper's *independent* and *joint* analyses are (1) and (2)), reduced
//! to the smallest lower end and the largest upper end over the atoms, with the time.
//! Invariant: every number printed is a sound bound (or a checked point's value);
//! nothing here decides a verdict.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use propc_compiler::ir::{Goal, LinExpr, Problem, Sense};
use propc_runtime::bab::{self, BabOptions};
use propc_runtime::bounds::ProblemBounds;
use propc_runtime::bounds::crown::CrownOptions;
use propc_runtime::milp::{MilpProblem, ObjectiveResult, Solver};
use propc_runtime::network::Network;
use propc_runtime::relational;
use propc_runtime::verify::{self, Options, Outcome};

use crate::bind::{BindArgs, bind};
use crate::check::SolverArg;

#[derive(Args, Debug)]
pub struct RelationalArgs {
    #[command(flatten)]
    pub bind: BindArgs,
    /// Branch and bound's budget per query, in seconds
    #[arg(long, default_value_t = 1.0)]
    pub bab_seconds: f64,
    /// The MILP's budget per query, in seconds (0: skip the MILP)
    #[arg(long, default_value_t = 120.0)]
    pub milp_seconds: f64,
    /// Write one CSV row per problem and method here
    #[arg(long, value_name = "RESULTS.csv")]
    pub out: Option<PathBuf>,
    /// For property instances, also solve the LP of the joint graph's relaxation (the
    /// MILP with its binaries relaxed, on the same boxes) and check that the joint
    /// CROWN bounds enclose its optima
    #[arg(long)]
    pub lp: bool,
    /// Solver of the MILP and the LP
    #[arg(long, value_enum, default_value = "microlp")]
    pub solver: SolverArg,
}

/// One bound of one problem.
struct Row {
    problem: String,
    method: &'static str,
    /// Queries: the proven end; properties: the smallest lower end over the atoms.
    lower: f64,
    upper: f64,
    seconds: f64,
    note: String,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed().as_secs_f64())
}

/// Ranges of `exprs` with each application bounded on its own (CROWN boxes, then
/// CROWN on each application's part of the expression).
fn naive_ranges(
    problem: &Problem,
    nets: &[&Network],
    exprs: &[&LinExpr],
) -> Option<Vec<(f64, f64)>> {
    let b = ProblemBounds::compute(problem, nets).ok()?;
    let b = b.with_crown(problem, nets, &CrownOptions::default());
    Some(relational::independent_ranges(problem, nets, &b, exprs))
}

fn joint_ranges(
    problem: &Problem,
    nets: &[&Network],
    exprs: &[&LinExpr],
    twins: bool,
) -> Option<Vec<(f64, f64)>> {
    let root = relational::joint_root(problem, nets, twins, None)?;
    Some(root.ranges(exprs))
}

/// The smallest lower end and the largest upper end.
fn hull(r: &[(f64, f64)]) -> (f64, f64) {
    r.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), (a, b)| {
            (l.min(*a), h.max(*b))
        })
}

fn name_of(p: &Problem) -> String {
    match p.sample {
        Some(s) => format!("{}[{s}]", p.name),
        None => p.name.clone(),
    }
}

fn query_rows(p: &Problem, nets: &[&Network], args: &RelationalArgs, rows: &mut Vec<Row>) {
    let Goal::Optimize {
        sense,
        objectives,
        regions,
    } = &p.goal
    else {
        return;
    };
    let maximize = *sense == Sense::Maximize;
    let sign = if maximize { 1.0 } else { -1.0 };
    let exprs: Vec<&LinExpr> = objectives.iter().collect();
    let end = |r: &[(f64, f64)]| {
        let (lo, hi) = hull(r);
        if maximize { hi } else { lo }
    };
    let name = name_of(p);
    let mut push = |method, value: f64, seconds, note: String| {
        let (lower, upper) = if maximize {
            (f64::NAN, value)
        } else {
            (value, f64::NAN)
        };
        rows.push(Row {
            problem: name.clone(),
            method,
            lower,
            upper,
            seconds,
            note,
        });
    };
    let (naive, t) = timed(|| naive_ranges(p, nets, &exprs));
    push(
        "independent",
        naive.as_deref().map_or(f64::NAN, end),
        t,
        String::new(),
    );
    let (joint, tj) = timed(|| joint_ranges(p, nets, &exprs, false));
    push(
        "joint",
        joint.as_deref().map_or(f64::NAN, end),
        tj,
        String::new(),
    );
    let (twin, tt) = timed(|| joint_ranges(p, nets, &exprs, true));
    push(
        "twin",
        twin.as_deref().map_or(f64::NAN, end),
        tt,
        String::new(),
    );
    if let (Some(a), Some(b), Some(c)) = (&joint, &twin, &naive) {
        let best = relational::tighter(&relational::tighter(a, b), c);
        push("best", end(&best), t + tj + tt, String::new());
    }
    let opts = BabOptions::new(Instant::now() + Duration::from_secs_f64(args.bab_seconds));
    let (opt, t) =
        timed(|| bab::optimize::maximize(p, regions, objectives, sign, nets, &opts, None));
    let best = opt.best.as_ref().map_or(f64::NAN, |(w, _)| w.value);
    push(
        "bab",
        sign * opt.upper,
        t,
        format!(
            "best point {best}; {} domains{}",
            opt.domains,
            if opt.closed { "; gap closed" } else { "" }
        ),
    );
    if args.milp_seconds > 0.0 {
        let options = Options {
            timeout: Duration::from_secs_f64(args.milp_seconds),
            bab: false,
            solver: args.solver.into(),
            ..Options::default()
        };
        let (out, t) = timed(|| verify::verify(p, nets, &options));
        if let Outcome::Bound {
            lower,
            upper,
            exact,
            ..
        } = out
        {
            let v = if maximize { upper } else { lower };
            let w = if maximize { lower } else { upper };
            push(
                "milp",
                v.unwrap_or(f64::NAN),
                t,
                format!(
                    "best point {}{}",
                    w.unwrap_or(f64::NAN),
                    if exact {
                        "; exact"
                    } else {
                        "; not proven optimal"
                    }
                ),
            );
        }
    }
}

/// The LP optima (min and max) of each expression over the joint graph's relaxation;
/// `None` where the LP did not reach an optimum.
fn lp_ranges(
    p: &Problem,
    nets: &[&Network],
    exprs: &[&LinExpr],
    solver: Solver,
    seconds: f64,
) -> Vec<Option<(f64, f64)>> {
    let Some(root) = relational::joint_root(p, nets, false, None) else {
        return vec![None; exprs.len()];
    };
    let Ok(b) = ProblemBounds::compute(p, nets) else {
        return vec![None; exprs.len()];
    };
    let boxes = root.tighten(&b.with_crown(p, nets, &CrownOptions::default()));
    exprs
        .iter()
        .map(|e| {
            let mut ends = [0.0; 2];
            for (slot, sense) in ends.iter_mut().zip([Sense::Minimize, Sense::Maximize]) {
                let q = Problem {
                    goal: Goal::Optimize {
                        sense,
                        objectives: vec![(*e).clone()],
                        regions: vec![vec![]],
                    },
                    ..p.clone()
                };
                let lp = MilpProblem::new(&q, nets, &boxes).ok()?.relaxed();
                let deadline = Instant::now() + Duration::from_secs_f64(seconds);
                match lp.optimize(&q, nets, 0, 0, solver, deadline, None) {
                    ObjectiveResult::Optimum {
                        value,
                        optimal: true,
                        ..
                    } => *slot = value,
                    _ => return None,
                }
            }
            Some((ends[0], ends[1]))
        })
        .collect()
}

fn range_row(name: &str, method: &'static str, r: Option<Vec<(f64, f64)>>, seconds: f64) -> Row {
    let (lower, upper) = r.as_deref().map_or((f64::NAN, f64::NAN), hull);
    Row {
        problem: name.to_string(),
        method,
        lower,
        upper,
        seconds,
        note: String::new(),
    }
}

fn property_rows(p: &Problem, nets: &[&Network], args: &RelationalArgs, rows: &mut Vec<Row>) {
    let Goal::Violation(goals) = &p.goal else {
        return;
    };
    let exprs: Vec<&LinExpr> = goals.iter().flatten().map(|a| &a.expr).collect();
    if exprs.is_empty() {
        return;
    }
    let name = name_of(p);
    let (naive, t) = timed(|| naive_ranges(p, nets, &exprs));
    let (joint, tj) = timed(|| joint_ranges(p, nets, &exprs, false));
    let (twin, tt) = timed(|| joint_ranges(p, nets, &exprs, true));
    let best = match (&joint, &twin, &naive) {
        (Some(a), Some(b), Some(c)) => Some(relational::tighter(&relational::tighter(a, b), c)),
        _ => None,
    };
    let lp_row = if args.lp {
        let (lp, tl) = timed(|| {
            lp_ranges(
                p,
                nets,
                &exprs,
                args.solver.into(),
                args.milp_seconds.max(1.0),
            )
        });
        // Every joint CROWN range must enclose the LP range (same relaxation, weaker
        // dual), up to the LP solver's tolerance.
        let inside = match &joint {
            Some(j) => j.iter().zip(&lp).all(|((l, h), r)| {
                r.is_none_or(|(a, b)| {
                    *l <= a + 1e-6 * (1.0 + a.abs()) && *h >= b - 1e-6 * (1.0 + b.abs())
                })
            }),
            None => false,
        };
        let solved: Vec<(f64, f64)> = lp.iter().flatten().copied().collect();
        let (lower, upper) = if solved.len() == lp.len() {
            hull(&solved)
        } else {
            (f64::NAN, f64::NAN)
        };
        Some(Row {
            problem: name.clone(),
            method: "lp",
            lower,
            upper,
            seconds: tl,
            note: format!(
                "{} of {} atoms solved; joint CROWN encloses the LP optima: {}",
                solved.len(),
                lp.len(),
                if inside { "yes" } else { "NO" }
            ),
        })
    } else {
        None
    };
    let push = |method, r: Option<Vec<(f64, f64)>>, seconds| range_row(&name, method, r, seconds);
    rows.push(push("independent", naive, t));
    rows.extend(lp_row);
    rows.push(push("joint", joint, tj));
    rows.push(push("twin", twin, tt));
    rows.push(push("best", best, t + tj + tt));
}

pub fn relational(args: RelationalArgs) -> u8 {
    let bound = match bind(&args.bind, true) {
        Ok(b) => b,
        Err(code) => return code,
    };
    let nets: Vec<&Network> = bound.networks.iter().collect();
    let mut rows = Vec::new();
    for p in &bound.program.problems {
        if p.applications.len() < 2 {
            continue;
        }
        let start = rows.len();
        match p.goal {
            Goal::Optimize { .. } => query_rows(p, &nets, &args, &mut rows),
            Goal::Violation(_) => property_rows(p, &nets, &args, &mut rows),
        }
        for r in &rows[start..] {
            println!(
                "{:<40} {:<8} lower {:>14.8} upper {:>14.8} {:>9.4}s  {}",
                r.problem, r.method, r.lower, r.upper, r.seconds, r.note
            );
        }
    }
    if let Some(path) = &args.out {
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(path)?;
            writeln!(f, "problem,method,lower,upper,seconds,note")?;
            for r in &rows {
                writeln!(
                    f,
                    "{},{},{},{},{},\"{}\"",
                    r.problem, r.method, r.lower, r.upper, r.seconds, r.note
                )?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            return 2;
        }
    }
    0
}
