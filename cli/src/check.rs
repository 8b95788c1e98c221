//! `propc check SPEC --net ...`: verifies every property and query of a spec (or of a
//! VNN-LIB file, see `crate::vnnlib`).
//!
//! Takes: a spec, its bindings, a time limit per property and the output format; a
//! shard `i/n`, a number of worker threads and a total time budget.
//! Gives: one line per property instance / query (verdict, time, method), the
//! counterexample of each violation as a table (human format), or the JSON report
//! (schema in `propc_runtime::report`); exit code 0 / 1 / 3 (see `main`), 130 after
//! Ctrl-C (the partial report: unfinished units are `unknown`, "interrupted").
//! Invariant: a violation is printed only after the runtime re-checked it concretely;
//! a time-out is `unknown`, never `holds`. A *unit* is one property instance or query;
//! units are numbered in program order, shard `i/n` runs the units `k` with
//! `k mod n = i - 1`, and the output (lines, report) is in unit order whatever the
//! number of threads.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use propc_compiler::ir::{Goal, Problem, Program, Sense, fmt_num};
use propc_runtime::milp::Solver;
use propc_runtime::network::Network;
use propc_runtime::report::{Report, Shard};
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
    Scip,
}

impl From<SolverArg> for Solver {
    fn from(s: SolverArg) -> Solver {
        match s {
            SolverArg::Microlp => Solver::Microlp,
            SolverArg::Highs => Solver::Highs,
            SolverArg::Scip => Solver::Scip,
        }
    }
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
    /// Memory cap of each property's branch and bound, in MiB (beyond it: `unknown`)
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub bab_memory: usize,
    /// Run only shard I of N (1-based): unit k (0-based, in program order) belongs to
    /// shard (k mod N) + 1; merge the JSON reports with `propc report merge`
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<Shard>,
    /// Verify this many units in parallel (0: one per core); the output is the same
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub threads: usize,
    /// Time budget of the whole run, in seconds: units not started by then are
    /// unknown, and each unit's `--timeout` is capped by what remains
    #[arg(long, value_name = "SECONDS")]
    pub timeout_total: Option<f64>,
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

/// The human lines of one unit: the verdict line and its counterexample or witness
/// table.
fn human_lines(p: &Problem, outcome: &Outcome, program: &Program, width: usize) -> String {
    let mut s = String::new();
    let name = label(p);
    match outcome {
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
    s
}

/// Set by the SIGINT handler; the run stops starting units and reports the rest as
/// `unknown` ("interrupted"). A second SIGINT exits at once with 130.
pub(crate) static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The exit code of an interrupted run (128 + SIGINT), as shells use.
pub const EXIT_INTERRUPTED: u8 = 130;

const REASON_INTERRUPTED: &str = "interrupted";
const REASON_TOTAL: &str = "total time limit reached";

/// `I/N` with `1 <= I <= N`.
pub(crate) fn parse_shard(s: &str) -> Result<Shard, String> {
    let example =
        "write `--shard I/N` with 1 <= I <= N, e.g. `--shard 2/4` for the second of four shards";
    let Some((i, n)) = s.split_once('/') else {
        return Err(format!("`{s}` is not `I/N`; {example}"));
    };
    let number = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{x}` is not a whole number; {example}"))
    };
    let (index, count) = (number(i)?, number(n)?);
    if count == 0 {
        return Err(format!("the shard count must be at least 1; {example}"));
    }
    if index == 0 || index > count {
        return Err(format!(
            "shard {index} of {count} does not exist: shards are numbered 1 to {count} \
             (1-based; for a 0-based index such as `JOB_COMPLETION_INDEX`, add 1)"
        ));
    }
    Ok(Shard { index, count })
}

/// The global indices of the units of a shard, in program order: unit `k` belongs to
/// shard `(k mod n) + 1` (round robin, so a shard gets samples from every property).
pub fn shard_units(units: usize, shard: Option<Shard>) -> Vec<usize> {
    (0..units)
        .filter(|k| shard.is_none_or(|s| k % s.count + 1 == s.index))
        .collect()
}

/// Everything the worker threads share.
struct Plan {
    program: Program,
    networks: Vec<Network>,
    /// The global indices of this run's units, in order.
    mine: Vec<usize>,
    options: verify::Options,
    /// `--timeout-total`: no unit starts after it, and none runs past it.
    total_deadline: Option<Instant>,
    /// A VNN-LIB file's time limit is for the whole file, shared by its input regions.
    file_deadline: Option<Instant>,
    /// The position in `mine` of the next unit to start.
    next: AtomicUsize,
    /// Show progress lines on stderr (human format on a terminal).
    progress: bool,
    /// Per position in `mine`: for a sample of a property derived by a chain of
    /// implications, the positions of its two premises' samples (both earlier).
    derived: Vec<Option<(usize, usize)>>,
    /// Per position in `mine`, once known: whether the unit holds by sound bounds
    /// (any method but the MILP, whose `holds` has a tolerance).
    proved: Mutex<Vec<Option<bool>>>,
    proved_changed: Condvar,
}

impl Plan {
    /// Records whether the unit at position `j` holds by bounds.
    fn record(&self, j: usize, o: &Outcome) {
        let by_bounds =
            matches!(o, Outcome::Holds { method, .. } if *method != verify::Method::Milp);
        if let Ok(mut p) = self.proved.lock() {
            if let Some(slot) = p.get_mut(j) {
                *slot = Some(by_bounds);
            }
            self.proved_changed.notify_all();
        }
    }

    /// For a derived unit: waits for its premises and says whether both hold by bounds
    /// (`false` on an interrupt).
    fn premises_hold(&self, j: usize) -> bool {
        let Some(Some((a, b))) = self.derived.get(j) else {
            return false;
        };
        let Ok(mut p) = self.proved.lock() else {
            return false;
        };
        // The premises started earlier and stop within their time limits; a worker
        // that died without an outcome must not hold this one forever.
        let give_up =
            Instant::now() + self.options.timeout.saturating_mul(2) + Duration::from_secs(5);
        loop {
            match (p.get(*a).copied().flatten(), p.get(*b).copied().flatten()) {
                (Some(x), Some(y)) => return x && y,
                _ if INTERRUPTED.load(Ordering::SeqCst) || Instant::now() >= give_up => {
                    return false;
                }
                _ => match self
                    .proved_changed
                    .wait_timeout(p, Duration::from_millis(50))
                {
                    Ok((guard, _)) => p = guard,
                    Err(_) => return false,
                },
            }
        }
    }
}

/// For each position of `mine`: the premises of a derived sample (see
/// [`crate::chain`]), when both are in `mine` before it.
fn derived_positions(
    program: &Program,
    mine: &[usize],
    chains: &[crate::chain::Chain],
) -> Vec<Option<(usize, usize)>> {
    let position = |name: &str, sample: Option<usize>| {
        mine.iter().position(|&k| {
            program
                .problems
                .get(k)
                .is_some_and(|p| p.name == name && p.sample == sample)
        })
    };
    mine.iter()
        .enumerate()
        .map(|(j, &k)| {
            let p = program.problems.get(k)?;
            p.sample?;
            let c = chains.iter().find(|c| c.derived == p.name)?;
            let a = position(&c.first, p.sample)?;
            let b = position(&c.second, p.sample)?;
            (a < j && b < j).then_some((a, b))
        })
        .collect()
}

impl Plan {
    /// The time limit of the unit at position `j` of `mine`, or `None` when the total
    /// budget is spent.
    fn budget(&self, j: usize) -> Option<Duration> {
        let now = Instant::now();
        let mut limit = self.options.timeout;
        if let Some(d) = self.file_deadline {
            let left = d.saturating_duration_since(now);
            limit = left.div_f64(self.mine.len().saturating_sub(j).max(1) as f64);
        }
        if let Some(d) = self.total_deadline {
            let left = d.saturating_duration_since(now);
            if left.is_zero() {
                return None;
            }
            limit = limit.min(left);
        }
        Some(limit)
    }
}

fn unknown(reason: &str) -> Outcome {
    Outcome::Unknown {
        reason: reason.to_string(),
        margin_lower_bound: None,
        seconds: 0.0,
    }
}

/// One worker: takes the next unit until none is left or the run is interrupted, and
/// sends `(position in mine, outcome)`.
fn worker(plan: &Plan, tx: &mpsc::Sender<(usize, Outcome)>) {
    let nets: Vec<&Network> = plan.networks.iter().collect();
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return;
        }
        let j = plan.next.fetch_add(1, Ordering::SeqCst);
        let Some(p) = plan.mine.get(j).and_then(|&k| plan.program.problems.get(k)) else {
            return;
        };
        // On a terminal, long stages show a status line on stderr (cleared by the main
        // thread before it prints results).
        let progress = plan.progress.then(|| {
            let name = label(p);
            verify::ProgressSink(Arc::new(move |msg: &str| {
                eprint!("\r\x1b[2K  {name}: {msg}");
                let _ = std::io::stderr().flush();
            }))
        });
        let started = Instant::now();
        let derived = plan.derived.get(j).is_some_and(Option::is_some) && plan.premises_hold(j);
        let outcome = match plan.budget(j) {
            _ if derived => Outcome::Holds {
                method: verify::Method::Transitivity,
                seconds: started.elapsed().as_secs_f64(),
            },
            None => unknown(REASON_TOTAL),
            Some(timeout) => verify::verify(
                p,
                &nets,
                &verify::Options {
                    timeout,
                    progress,
                    ..plan.options.clone()
                },
            ),
        };
        plan.record(j, &outcome);
        if tx.send((j, outcome)).is_err() {
            return;
        }
    }
}

/// Installs the SIGINT handler (once per process; a failure only loses Ctrl-C
/// handling).
pub(crate) fn install_interrupt_handler() {
    let installed = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will not print a partial report: {e}");
    }
}

fn seconds_arg(flag: &str, value: f64) -> Result<Duration, u8> {
    if value.is_finite() && value >= 0.0 {
        // Beyond `Duration`'s range means no limit.
        return Ok(Duration::try_from_secs_f64(value).unwrap_or(Duration::MAX));
    }
    eprintln!(
        "error[E0404]: `{flag} {value}` is not a number of seconds\n  = help: pass e.g. `{flag} 60`"
    );
    Err(2)
}

pub fn run(args: CheckArgs) -> u8 {
    let started = Instant::now();
    install_interrupt_handler();
    let timeout = match seconds_arg("--timeout", args.timeout) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let total_deadline = match args
        .timeout_total
        .map(|t| seconds_arg("--timeout-total", t))
    {
        None => None,
        Some(Ok(t)) => Some(started.checked_add(t).unwrap_or(started + YEAR)),
        Some(Err(code)) => return code,
    };
    let solver = Solver::from(args.solver);
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
    let options = verify::Options {
        timeout,
        solver,
        seed: args.seed,
        attack: !args.no_attack,
        bab_memory: args.bab_memory.saturating_mul(1 << 20),
        ..verify::Options::default()
    };
    let units = bound.program.problems.len();
    let mine = shard_units(units, args.shard);
    let all_threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .max(1);
    let threads = all_threads.min(mine.len()).max(1);
    // Threads beyond one per unit go to each unit's branch and bound.
    let options = verify::Options {
        threads: (all_threads / threads).max(1),
        ..options
    };
    let now = Instant::now();
    let derived = derived_positions(&bound.program, &mine, &bound.chains);
    let proved = Mutex::new(vec![None; mine.len()]);
    let plan = Arc::new(Plan {
        derived,
        proved,
        proved_changed: Condvar::new(),
        program: bound.program,
        networks: bound.networks,
        mine,
        options,
        total_deadline,
        file_deadline: vnnlib.then(|| now.checked_add(timeout).unwrap_or(now + YEAR)),
        next: AtomicUsize::new(0),
        progress: args.format == Format::Human
            && std::io::stderr().is_terminal()
            && std::env::var_os("PROPC_NO_PROGRESS").is_none(),
    });
    let program = &plan.program;
    let width = program
        .problems
        .iter()
        .map(|p| label(p).len())
        .max()
        .unwrap_or(0)
        .max(8);
    let human = args.format == Format::Human;
    if human {
        match args.shard {
            Some(s) => outln!(
                "checking {} ({} properties and queries; shard {}/{}: {} of them)",
                args.bind.spec.display(),
                units,
                s.index,
                s.count,
                plan.mine.len()
            ),
            None => outln!(
                "checking {} ({} properties and queries)",
                args.bind.spec.display(),
                units
            ),
        }
    }

    // Workers take units in order; the results are shown in order as soon as every
    // earlier one is in, so the output does not depend on the number of threads.
    let (tx, rx) = mpsc::channel::<(usize, Outcome)>();
    let mut spawned = 0;
    for t in 0..threads {
        let (plan, tx) = (Arc::clone(&plan), tx.clone());
        match std::thread::Builder::new()
            .name(format!("propc-check-{t}"))
            .spawn(move || worker(&plan, &tx))
        {
            Ok(_) => spawned += 1,
            Err(e) => eprintln!("warning: cannot start worker thread {t}: {e}"),
        }
    }
    drop(tx);
    if spawned == 0 {
        eprintln!("error[E0404]: no worker thread could be started");
        return 2;
    }
    let n = plan.mine.len();
    let mut slots: Vec<Option<Outcome>> = (0..n).map(|_| None).collect();
    let mut shown = 0;
    let mut interrupted = false;
    let show = |j: usize, o: &Outcome| {
        if plan.progress {
            eprint!("\r\x1b[2K");
        }
        if let Some(p) = plan.mine.get(j).and_then(|&k| program.problems.get(k)) {
            out!("{}", human_lines(p, o, program, width));
            let _ = std::io::stdout().flush();
        }
    };
    while shown < n {
        if INTERRUPTED.load(Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok((j, o)) => {
                if let Some(slot) = slots.get_mut(j) {
                    *slot = Some(o);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        while let Some(Some(o)) = slots.get(shown) {
            if human {
                show(shown, o);
            }
            shown += 1;
        }
    }
    // Units finished just before an interrupt count; the others are abandoned.
    while let Ok((j, o)) = rx.try_recv() {
        if let Some(slot) = slots.get_mut(j) {
            *slot = Some(o);
        }
    }
    let missing = slots.iter().filter(|s| s.is_none()).count();
    let outcomes: Vec<Outcome> = slots
        .into_iter()
        .map(|s| {
            s.unwrap_or_else(|| {
                unknown(if interrupted {
                    REASON_INTERRUPTED
                } else {
                    "internal error: a worker thread stopped"
                })
            })
        })
        .collect();
    if human {
        for (j, o) in outcomes.iter().enumerate().skip(shown) {
            show(j, o);
        }
    }

    let (mut holds, mut violated, mut unknown) = (0, 0, 0);
    let (mut bounded, mut exact_bounds, mut unbounded) = (0, 0, 0);
    for (&k, outcome) in plan.mine.iter().zip(&outcomes) {
        let Some(p) = program.problems.get(k) else {
            continue;
        };
        match outcome {
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
    }
    if human {
        // Dataset properties: one line each, with the rows that are not established.
        let pairs: Vec<(usize, &Outcome)> = plan.mine.iter().copied().zip(&outcomes).collect();
        let report = Report::from_units(&args.bind.spec.display().to_string(), program, &pairs);
        for d in &report.datasets {
            let rows = |v: &[usize]| {
                let shown: Vec<String> = v.iter().take(10).map(|k| k.to_string()).collect();
                let more = if v.len() > 10 { ", ..." } else { "" };
                format!(" (rows {}{more})", shown.join(", "))
            };
            outln!(
                "dataset property {}: {} of {} samples established, {} violated{}, {} unknown{}",
                d.name,
                d.holds,
                d.samples,
                d.violated,
                if d.violated > 0 {
                    rows(&d.violated_samples)
                } else {
                    String::new()
                },
                d.unknown,
                if d.unknown > 0 {
                    rows(&d.unknown_samples)
                } else {
                    String::new()
                },
            );
        }
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
        if let Some(s) = args.shard {
            line.push_str(&format!(" (shard {}/{})", s.index, s.count));
        }
        outln!("{line}");
    } else {
        let pairs: Vec<(usize, &Outcome)> = plan.mine.iter().copied().zip(&outcomes).collect();
        let mut report = Report::from_units(&args.bind.spec.display().to_string(), program, &pairs);
        report.shard = args.shard;
        outln!("{}", report.to_json());
    }
    if interrupted {
        eprintln!("interrupted: {missing} of {n} units did not finish and are reported as unknown");
        EXIT_INTERRUPTED
    } else if violated > 0 {
        1
    } else if unknown > 0 || unbounded > 0 {
        3
    } else {
        0
    }
}

/// A bound for "no limit" that `Instant` arithmetic cannot overflow.
const YEAR: Duration = Duration::from_secs(86_400 * 365);
