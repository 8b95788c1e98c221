//! `propc check SPEC --net ...`: verifies every property and query of a spec (or of a
//! VNN-LIB file, see `crate::vnnlib`).
//!
//! Takes: a spec, its bindings, a time limit per property and the output format.
//! Gives: one line per property instance / query (verdict, time, method), the
//! counterexample of each violation as a table (human format), or the JSON report
//! (schema in `propc_runtime::report`); exit code 0 / 1 / 3 (see `main`).
//! Invariant: a violation is printed only after the runtime re-checked it concretely;
//! a time-out is `unknown`, never `holds`.

use std::io::Write;
use std::time::Duration;

use clap::{Args, ValueEnum};
use propc_compiler::ir::{Goal, Program, Sense, fmt_num};
use propc_runtime::milp::Solver;
use propc_runtime::network::Network;
use propc_runtime::report::Report;
use propc_runtime::verify::{self, AppValue, Outcome};

use crate::bind::{self, BindArgs};

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SolverArg {
    Microlp,
    Highs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub bind: BindArgs,
    /// Time limit per property instance or query, in seconds (for a `.vnnlib` file:
    /// for the whole file)
    #[arg(long, default_value_t = 60.0)]
    pub timeout: f64,
    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// MILP solver
    #[arg(long, value_enum, default_value = "microlp")]
    pub solver: SolverArg,
    /// Seed of the counterexample search
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Skip the counterexample search before the solver
    #[arg(long)]
    pub no_attack: bool,
}

fn fmt_vec(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| fmt_short(*x)).collect();
    if parts.len() > 12 {
        format!("[{}, ... ({} values)]", parts[..12].join(", "), parts.len())
    } else {
        format!("[{}]", parts.join(", "))
    }
}

fn fmt_short(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e12 {
        format!("{}", x as i64)
    } else if x.abs() >= 1e-3 && x.abs() < 1e6 {
        let s = format!("{x:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{x:.4e}")
    }
}

fn point_table(
    out: &mut String,
    inputs: &[(String, Vec<f64>)],
    apps: &[AppValue],
    program: &Program,
    problem_inputs: &[String],
) {
    let mut rows: Vec<(String, String)> = inputs
        .iter()
        .map(|(n, v)| (n.clone(), fmt_vec(v)))
        .collect();
    for a in apps {
        let net = program
            .networks
            .get(a.network)
            .map(|n| n.name.as_str())
            .unwrap_or("?");
        // Name the application by its input when that input is one quantified variable.
        let arg = inputs
            .iter()
            .find(|(_, v)| *v == a.input)
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| fmt_vec(&a.input));
        rows.push((format!("{net}({arg})"), fmt_vec(&a.output)));
    }
    let _ = problem_inputs;
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (n, v) in rows {
        out.push_str(&format!("      {n:<width$} = {v}\n"));
    }
}

fn label(p: &propc_compiler::ir::Problem) -> String {
    match p.sample {
        Some(i) => format!("{} [sample {i}]", p.name),
        None => p.name.clone(),
    }
}

pub fn run(args: CheckArgs) -> u8 {
    if !(args.timeout.is_finite() && args.timeout >= 0.0) {
        eprintln!(
            "error[E0404]: `--timeout {}` is not a number of seconds\n  = help: pass e.g. `--timeout 60`",
            args.timeout
        );
        return 2;
    }
    let solver = match args.solver {
        SolverArg::Microlp => Solver::Microlp,
        SolverArg::Highs => Solver::Highs,
    };
    if let Err(e) = solver.check_available() {
        eprintln!("error[E0404]: {e}");
        return 2;
    }
    let vnnlib = crate::vnnlib::is_vnnlib(&args.bind.spec);
    let bound = if vnnlib {
        crate::vnnlib::bind(&args.bind)
    } else {
        bind::bind(&args.bind, true)
    };
    let bound = match bound {
        Ok(b) => b,
        Err(code) => return code,
    };
    let nets: Vec<&Network> = bound.networks.iter().collect();
    let mut options = verify::Options {
        timeout: Duration::from_secs_f64(args.timeout),
        solver,
        seed: args.seed,
        attack: !args.no_attack,
        ..verify::Options::default()
    };
    let program = &bound.program;
    let width = program
        .problems
        .iter()
        .map(|p| label(p).len())
        .max()
        .unwrap_or(0)
        .max(8);
    let human = args.format == Format::Human;
    if human {
        outln!(
            "checking {} ({} properties and queries)",
            args.bind.spec.display(),
            program.problems.len()
        );
    }
    let mut outcomes = Vec::new();
    let (mut holds, mut violated, mut unknown) = (0, 0, 0);
    let (mut bounded, mut exact_bounds, mut unbounded) = (0, 0, 0);
    // A VNN-LIB file's time limit is for the whole file, shared by its input regions.
    let file_deadline = std::time::Instant::now() + options.timeout;
    for (k, p) in program.problems.iter().enumerate() {
        if vnnlib {
            let left = file_deadline.saturating_duration_since(std::time::Instant::now());
            options.timeout = left.div_f64((program.problems.len() - k) as f64);
        }
        let outcome = verify::verify(p, &nets, &options);
        match &outcome {
            Outcome::Holds { .. } => holds += 1,
            Outcome::Violated { .. } => violated += 1,
            Outcome::Unknown { .. } => unknown += 1,
            Outcome::Bound {
                lower,
                upper,
                exact,
                ..
            } => {
                let proven = match &p.goal {
                    Goal::Optimize {
                        sense: Sense::Maximize,
                        ..
                    } => upper.is_some(),
                    _ => lower.is_some(),
                };
                let empty = matches!(&p.goal, Goal::Optimize { regions, .. } if regions.is_empty());
                if proven || empty {
                    bounded += 1;
                    exact_bounds += usize::from(*exact);
                } else {
                    unbounded += 1;
                }
            }
        }
        if human {
            let mut s = String::new();
            let name = label(p);
            match &outcome {
                Outcome::Holds { method, seconds } => {
                    s.push_str(&format!(
                        "  {name:<width$}  holds      {seconds:>7.2}s  ({})\n",
                        method.name()
                    ));
                }
                Outcome::Violated {
                    counterexample,
                    method,
                    seconds,
                } => {
                    s.push_str(&format!(
                        "  {name:<width$}  VIOLATED   {seconds:>7.2}s  ({})\n",
                        method.name()
                    ));
                    s.push_str("    counterexample (re-checked in f64):\n");
                    let inputs: Vec<String> = p.inputs.iter().map(|q| q.name.clone()).collect();
                    point_table(
                        &mut s,
                        &counterexample.inputs,
                        &counterexample.applications,
                        program,
                        &inputs,
                    );
                }
                Outcome::Unknown {
                    reason,
                    seconds,
                    margin_lower_bound,
                } => {
                    s.push_str(&format!(
                        "  {name:<width$}  unknown    {seconds:>7.2}s  ({reason})\n"
                    ));
                    if let Some(m) = margin_lower_bound {
                        s.push_str(&format!(
                            "    best bound on the violation margin: {}\n",
                            fmt_short(*m)
                        ));
                    }
                }
                Outcome::Bound {
                    lower,
                    upper,
                    witness,
                    exact,
                    method,
                    reason,
                    seconds,
                } => {
                    let lo = lower.map(fmt_num).unwrap_or_else(|| "?".into());
                    let hi = upper.map(fmt_num).unwrap_or_else(|| "?".into());
                    let tag = if *exact { "exact" } else { "bounds" };
                    s.push_str(&format!(
                        "  {name:<width$}  in [{lo}, {hi}] {tag}  {seconds:.2}s  ({})\n",
                        method.name()
                    ));
                    if let Some(r) = reason {
                        s.push_str(&format!("    note: {r}\n"));
                    }
                    if let Some(w) = witness {
                        s.push_str(&format!("    best point (value {}):\n", fmt_short(w.value)));
                        let inputs: Vec<String> = p.inputs.iter().map(|q| q.name.clone()).collect();
                        point_table(&mut s, &w.inputs, &w.applications, program, &inputs);
                    }
                }
            }
            out!("{s}");
            let _ = std::io::stdout().flush();
        }
        outcomes.push(outcome);
    }
    if human {
        let properties = holds + violated + unknown;
        let queries = bounded + unbounded;
        let mut line = String::from("summary:");
        if properties > 0 || queries == 0 {
            line.push_str(&format!(
                " {holds} holds, {violated} violated, {unknown} unknown"
            ));
        }
        if queries > 0 {
            if properties > 0 {
                line.push(';');
            }
            line.push_str(&format!(
                " {bounded} of {queries} queries bounded ({exact_bounds} exact)"
            ));
        }
        outln!("{line}");
    } else {
        let report =
            Report::from_outcomes(&args.bind.spec.display().to_string(), program, &outcomes);
        outln!("{}", report.to_json());
    }
    if violated > 0 {
        1
    } else if unknown > 0 || unbounded > 0 {
        3
    } else {
        0
    }
}
