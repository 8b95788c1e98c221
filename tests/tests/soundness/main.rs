//! Soundness regression suite: random small ReLU networks and random properties,
//! through the whole pipeline (`.prop` text → `Session` → IR → `verify`), with every
//! verdict checked against the test's own statement of the property.
//!
//! Each instance is a random MLP (1–4 inputs, 1–2 hidden layers of 2–8 ReLUs, 1–3
//! outputs, weights of varied scale, biases that make some ReLUs stable and some not)
//! and a property from one of thirteen families (output bounds, output comparisons,
//! local robustness, monotonicity with and without slack, global robustness, individual
//! fairness, equivalence and implication of two networks, and three relational ones
//! whose networks read affine maps of the variables: transitivity over three points
//! with `concat` (three applications), increasing differences `f(x + h) - f(x) <=
//! f(y + h) - f(y)` (four applications), and `std.compare.implies` on a ball with its
//! class quantifier). Some relational networks satisfy their property by construction
//! (`paired`, `increasing_differences_mlp`). Its threshold is put near
//! the optimum the test estimates by sampling and hill climbing, a little above or a
//! little below at random, so both verdicts occur and the MILP has real work to do.
//! A smaller set of `maximize` / `minimize` queries is generated the same way.
//!
//! Every instance runs under four option sets (default, no attack, no MILP, no CROWN).
//! The checks, none of which goes through the IR:
//! - a `violated` counterexample lies in the domain, satisfies the premise and violates
//!   the conclusion when the networks are evaluated by the test's own evaluator (and
//!   `Network::eval` reproduces the reported outputs, whose inputs must be the
//!   application inputs the test computes from the point);
//! - a `holds` survives dense sampling (corners, a grid, random points, boundary pairs
//!   such as `x = y` or `|x - y| = d`, then hill climbing) and every counterexample the
//!   other option sets found: no violation larger than `milp::TOL`;
//! - an `unknown`'s margin lower bound is below every sampled margin;
//! - queries: no sampled value beats the proven end, the witness is admissible and its
//!   value is right, and the intervals of all option sets intersect.
//!
//! A `holds` next to a `violated` whose counterexample violates by at most `TOL` is
//! allowed by the contract ("What holds means" in `runtime/src/verify.rs`); it is
//! counted and printed, not failed.
//!
//! Run the summary with `cargo test -p propc-tests --test soundness -- --nocapture`.
//! Environment: `PROPC_SOUNDNESS_CASES` (property instances; queries are a quarter of
//! that), `PROPC_SOUNDNESS_SEED`, `PROPC_SOUNDNESS_TIMEOUT` (seconds per `verify` call),
//! `PROPC_SOUNDNESS_ONLY=k` (only case `k`, printing its spec). The `#[ignore]`d
//! `soundness_long` runs 2000 instances with another seed.
//!
//! The suite can fail. Planted bugs, each tried once on the default run (seed 0, 200
//! instances of the first ten families, 50 queries) and then removed:
//! - the test's evaluator without its ReLU (`Mlp::eval`): 760 failures (271 bad
//!   counterexamples, 170 refuted `holds`, 196 bad query witnesses, 123 beaten query
//!   bounds);
//! - the threshold of `BoundLe` printed into the spec with a flipped sign
//!   (`f(x)[o] <= -t` while the test checks `<= t`): 43 failures (27 bad
//!   counterexamples, 16 refuted `holds`);
//! - the thresholds of `BoundLe` / `BoundGe` printed 5e-6 more lenient than the test
//!   checks (5 `TOL`): 11 refuted `holds` (57 on 1000 instances). The thresholds put
//!   within a few `TOL` of a known value (see `pick_threshold`) are what catches this.
//!
//! And in the relational families, on the default run of thirteen (seed 0, 208
//! instances, 52 queries):
//! - `Transitive`'s conclusion printed as `f(concat(c, a))` (the test checks
//!   `f(concat(a, c))`): 63 failures (bad counterexamples);
//! - `IncDiff`'s shift printed as `h / 2` in `y`'s application: 37 failures (28 bad
//!   counterexamples, 9 refuted `holds`);
//! - `LocalImplies` with `g` and `f` swapped in the call: 64 bad counterexamples; with
//!   the radius printed at half the test's: 23 refuted `holds`.
//!
//! Also found (not a soundness bug, now fixed): an implication whose premise reads a
//! network (`g(x)[0] >= a => ...`) stayed `unknown` under every option set although a
//! counterexample exists; see `implication_on_an_output_premise_boundary` below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use propc_compiler::ir::Program;
use propc_compiler::{Bindings, Mode, Session};
use propc_runtime::milp::TOL;
use propc_runtime::network::{Network, Node, Op};
use propc_runtime::verify::{Counterexample, Options, Outcome, Witness, verify};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Slack for rounding differences between the test's f64 evaluation and the engine's
/// (the same operations in another order, or `c - r` computed twice).
const ROUND: f64 = 1e-9;

/// A point outside the premise by less than this still counts as inside for sampling.
const PREMISE_OK: f64 = 1e-12;

include!("networks.rs");
include!("search.rs");
include!("properties.rs");
include!("queries.rs");

// ----------------------------------------------------------------------------------
// Running and checking

fn compile(text: &str) -> Result<Program, String> {
    let mut s = Session::new();
    let f = s.add_text("soundness.prop", text);
    let c = s.compile(f, &Bindings::default(), Mode::Compile);
    if c.has_errors() {
        return Err(propc_syntax::render(&s.sources, &c.diagnostics, false));
    }
    c.program.ok_or_else(|| "no program".to_string())
}

/// The runtime networks in the program's order.
fn networks_for(program: &Program, nets: &[(&'static str, Mlp)]) -> Vec<(Network, Mlp)> {
    program
        .networks
        .iter()
        .map(|sig| {
            let (_, m) = nets
                .iter()
                .find(|(n, _)| *n == sig.name)
                .unwrap_or_else(|| panic!("no network `{}`", sig.name));
            assert_eq!(
                (sig.input_size(), sig.output_size()),
                (m.inputs(), m.outputs())
            );
            (m.network(&sig.name), m.clone())
        })
        .collect()
}

const OPTION_SETS: [&str; 4] = ["default", "no-attack", "no-milp", "no-crown"];

fn options(set: &str, timeout: Duration, seed: u64) -> Options {
    let base = Options {
        timeout,
        seed,
        ..Options::default()
    };
    match set {
        "no-attack" => Options {
            attack: false,
            ..base
        },
        "no-milp" => Options {
            milp: false,
            ..base
        },
        "no-crown" => Options {
            crown: false,
            ..base
        },
        _ => base,
    }
}

/// The quantified variables of a counterexample or witness, in `names` order.
fn point_of(
    inputs: &[(String, Vec<f64>)],
    names: &[&str],
    n: usize,
) -> Result<Vec<Vec<f64>>, String> {
    names
        .iter()
        .map(|name| {
            let (_, v) = inputs
                .iter()
                .find(|(k, _)| k == name)
                .ok_or_else(|| format!("no input `{name}` among {inputs:?}"))?;
            if v.len() != n {
                return Err(format!(
                    "input `{name}` has {} coordinates, not {n}",
                    v.len()
                ));
            }
            Ok(v.clone())
        })
        .collect()
}

/// The reported applications: `Network::eval` reproduces each output exactly, the
/// test's evaluator up to rounding, and each input is one of `inputs`, the application
/// inputs the test computes at the point (the quantified variables themselves, or
/// affine maps of them such as `concat(a, b)` and `x + h`).
fn check_apps(
    apps: &[propc_runtime::verify::AppValue],
    nets: &[(Network, Mlp)],
    inputs: &[Vec<f64>],
) -> Result<(), String> {
    for a in apps {
        let (net, mlp) = nets
            .get(a.network)
            .ok_or_else(|| format!("application of unknown network {}", a.network))?;
        let exact = net.eval(&a.input).map_err(|e| e.to_string())?;
        if exact != a.output {
            return Err(format!(
                "reported outputs {:?} but Network::eval gives {exact:?} at {:?}",
                a.output, a.input
            ));
        }
        let own = mlp.eval(&a.input);
        if norm_inf_diff(&own, &a.output)
            > ROUND * (1.0 + own.iter().fold(0.0, |m, v| f64::max(m, v.abs())))
        {
            return Err(format!(
                "reported outputs {:?} but the test's evaluator gives {own:?} at {:?}",
                a.output, a.input
            ));
        }
        if !inputs
            .iter()
            .any(|v| v.len() == a.input.len() && norm_inf_diff(v, &a.input) <= ROUND)
        {
            return Err(format!(
                "application input {:?} is none of {inputs:?}",
                a.input
            ));
        }
    }
    Ok(())
}

/// The independent re-check of a counterexample: `(point, violation)`.
fn check_cex(
    p: &Prop,
    nets: &[(Network, Mlp)],
    c: &Counterexample,
) -> Result<(Vec<Vec<f64>>, f64), String> {
    let pt = point_of(&c.inputs, p.vars(), p.n())?;
    let (prem, viol) = p.eval(&pt);
    if prem > ROUND {
        return Err(format!(
            "the point {pt:?} is outside the domain or premise by {prem:e}"
        ));
    }
    // Violated means `viol > 0` (`>= 0` when strict); allow the rounding slack.
    if viol < -ROUND {
        return Err(format!(
            "the point {pt:?} satisfies the property (violation measure {viol:e})"
        ));
    }
    check_apps(&c.applications, nets, &p.app_inputs(&pt))?;
    if c.margin > 0.0 || c.margin.is_nan() {
        return Err(format!("the reported margin {} is positive", c.margin));
    }
    Ok((pt, viol))
}

#[derive(Default)]
struct Tally {
    holds: usize,
    violated: usize,
    unknown: usize,
    /// Queries: a bound with a proven end.
    bounded: usize,
    exact: usize,
    other: usize,
    seconds: f64,
    methods: BTreeMap<&'static str, usize>,
}

/// One property family's instances and verdicts.
#[derive(Default)]
struct FamilyTally {
    instances: usize,
    /// A violation > TOL seen (by sampling or in a counterexample).
    seen_violated: usize,
    /// Holds, violated, unknown under the default options.
    default: [usize; 3],
    /// The same without the MILP.
    no_milp: [usize; 3],
    /// Wall time of the instances: generation, sampling and all four option sets.
    seconds: f64,
}

/// The index of an outcome in `[holds, violated, unknown]` (a bound counts as unknown).
fn verdict_index(out: &Outcome) -> usize {
    match out {
        Outcome::Holds { .. } => 0,
        Outcome::Violated { .. } => 1,
        _ => 2,
    }
}

#[derive(Default)]
struct Report {
    cases: usize,
    queries: usize,
    failures: Vec<String>,
    failure_kinds: BTreeMap<&'static str, usize>,
    /// `holds` and `violated` on one instance with a violation `<= TOL`.
    tol_disagreements: Vec<String>,
    tallies: BTreeMap<&'static str, Tally>,
    qtallies: BTreeMap<&'static str, Tally>,
    families: BTreeMap<String, FamilyTally>,
    /// Instances on which every option set is `unknown`.
    undecided: Vec<String>,
    cex_violation_min: f64,
    /// ReLUs of every generated network.
    relus: Vec<usize>,
}

impl Report {
    fn fail(&mut self, kind: &'static str, message: String) {
        *self.failure_kinds.entry(kind).or_default() += 1;
        self.failures.push(format!("[{kind}] {message}"));
    }
}

struct Config {
    cases: usize,
    queries: usize,
    seed: u64,
    timeout: Duration,
    only: Option<usize>,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} does not parse")),
        Err(_) => default,
    }
}

fn config(default_cases: usize, default_seed: u64) -> Config {
    let cases = env_or("PROPC_SOUNDNESS_CASES", default_cases);
    Config {
        cases,
        queries: cases.div_ceil(4),
        seed: env_or("PROPC_SOUNDNESS_SEED", default_seed),
        timeout: Duration::from_secs_f64(env_or("PROPC_SOUNDNESS_TIMEOUT", 3.0)),
        only: std::env::var("PROPC_SOUNDNESS_ONLY")
            .ok()
            .map(|v| v.parse().expect("PROPC_SOUNDNESS_ONLY is a case number")),
    }
}

fn reproducer(
    kind: &str,
    cfg: &Config,
    case: usize,
    text: &str,
    nets: &[(&'static str, Mlp)],
) -> String {
    let mut s = format!(
        "{kind} case {case} (PROPC_SOUNDNESS_SEED={} PROPC_SOUNDNESS_ONLY={case})\n--- spec ---\n{text}--- networks ---\n",
        cfg.seed
    );
    for (name, m) in nets {
        let _ = writeln!(s, "{name} = {m:?}");
    }
    s
}

/// Compiles one case's spec (a failure is recorded) and binds its networks; the program
/// must have exactly one problem.
fn compile_case(
    text: &str,
    nets: &[(&'static str, Mlp)],
    rep: &mut Report,
    repro: &dyn Fn() -> String,
) -> Option<(Program, Vec<(Network, Mlp)>)> {
    let program = match compile(text) {
        Ok(pr) => pr,
        Err(e) => {
            rep.fail("does not compile", format!("{e}\n{}", repro()));
            return None;
        }
    };
    assert_eq!(program.problems.len(), 1, "{}", repro());
    let nets = networks_for(&program, nets);
    Some((program, nets))
}

fn run_property(cfg: &Config, case: usize, rep: &mut Report) {
    let start = Instant::now();
    let p = gen_prop(cfg.seed, case);
    let text = p.text();
    let repro = || reproducer("property", cfg, case, &text, &p.nets);
    if cfg.only.is_some() {
        println!("{}", repro());
    }
    let Some((program, nets)) = compile_case(&text, &p.nets, rep, &repro) else {
        return;
    };
    let problem = &program.problems[0];
    let refs: Vec<&Network> = nets.iter().map(|(n, _)| n).collect();
    rep.cases += 1;
    rep.relus.extend(p.nets.iter().map(|(_, m)| m.relus()));
    let mut outcomes: Vec<(&'static str, Outcome)> = Vec::new();
    for set in OPTION_SETS {
        let out = verify(
            problem,
            &refs,
            &options(set, cfg.timeout, cfg.seed ^ case as u64),
        );
        outcomes.push((set, out));
    }

    // Violated: the independent re-check.
    let mut cex_points: Vec<(&'static str, Vec<Vec<f64>>, f64)> = Vec::new();
    let mut fails: Vec<(&'static str, String)> = Vec::new();
    for (set, out) in &outcomes {
        match out {
            Outcome::Violated { counterexample, .. } => {
                match check_cex(&p, &nets, counterexample) {
                    Ok((pt, v)) => {
                        rep.cex_violation_min = rep.cex_violation_min.min(v);
                        cex_points.push((set, pt, v));
                    }
                    Err(e) => {
                        fails.push(("bad counterexample", format!("{set}: violated, but {e}")))
                    }
                }
            }
            Outcome::Bound { .. } => fails.push((
                "wrong outcome kind",
                format!("{set}: a bound for a property: {out:?}"),
            )),
            _ => {}
        }
    }

    // Dense sampling, plus every verified counterexample.
    let dense = search(&p, &mut case_rng(cfg.seed, case, 3), DENSE);
    let (mut worst, mut worst_pt, mut worst_from) = (dense.best, dense.best_pt.clone(), "sampling");
    if !p.known.is_empty() {
        let (prem, v) = p.eval(&p.known);
        if prem <= PREMISE_OK && v > worst {
            worst = v;
            worst_pt = p.known.clone();
            worst_from = "the threshold's estimate";
        }
    }
    for (set, pt, v) in &cex_points {
        if *v > worst {
            worst = *v;
            worst_pt = pt.clone();
            worst_from = set;
        }
    }
    let fam = rep.families.entry(format!("{:?}", p.family)).or_default();
    fam.instances += 1;
    if worst > TOL {
        fam.seen_violated += 1;
    }
    for (set, out) in &outcomes {
        match *set {
            "default" => fam.default[verdict_index(out)] += 1,
            "no-milp" => fam.no_milp[verdict_index(out)] += 1,
            _ => {}
        }
    }
    for (set, out) in &outcomes {
        match out {
            Outcome::Holds { method, .. } if worst > TOL + ROUND => fails.push((
                "holds refuted",
                format!(
                    "{set}: holds (by {}), but the point {worst_pt:?} (from {worst_from}) violates it by {worst:e}",
                    method.name()
                ),
            )),
            Outcome::Unknown {
                margin_lower_bound: Some(m),
                ..
            } if worst.is_finite() && *m > -worst + ROUND * (1.0 + worst.abs()) => fails.push((
                "unknown margin bound refuted",
                format!(
                    "{set}: unknown with margin lower bound {m:e}, but the point {worst_pt:?} (from {worst_from}) has margin {:e}",
                    -worst
                ),
            )),
            _ => {}
        }
    }
    let any_holds = outcomes.iter().any(|(_, o)| o.is_holds());
    if any_holds && let Some((set, _, v)) = cex_points.first() {
        rep.tol_disagreements.push(format!(
            "property case {case} ({:?}): holds by some option set, violated by {set} with a violation of {v:e} <= TOL",
            p.family
        ));
    }
    if outcomes.iter().all(|(_, o)| o.is_unknown()) {
        let reason = match &outcomes[0].1 {
            Outcome::Unknown { reason, .. } => reason.clone(),
            _ => String::new(),
        };
        rep.undecided.push(format!(
            "property case {case} ({:?}, sampled worst violation {worst:e}): {reason}",
            p.family
        ));
    }
    for (set, out) in &outcomes {
        let t = rep.tallies.entry(set).or_default();
        t.seconds += out.seconds();
        match out {
            Outcome::Holds { method, .. } => {
                t.holds += 1;
                *t.methods.entry(method.name()).or_default() += 1;
            }
            Outcome::Violated { method, .. } => {
                t.violated += 1;
                *t.methods.entry(method.name()).or_default() += 1;
            }
            Outcome::Unknown { .. } => t.unknown += 1,
            Outcome::Bound { .. } => t.other += 1,
        }
    }
    if cfg.only.is_some() {
        for (set, out) in &outcomes {
            println!("{set}: {out:?}");
        }
        println!(
            "sampled worst violation {worst:e} at {worst_pt:?} ({} points)",
            dense.points
        );
    }
    for (kind, f) in fails {
        rep.fail(kind, format!("{f}\n{}", repro()));
    }
    if let Some(fam) = rep.families.get_mut(&format!("{:?}", p.family)) {
        fam.seconds += start.elapsed().as_secs_f64();
    }
}

/// The witness of a bound: admissible, its value right, and equal to the found end.
fn check_witness(q: &Query, nets: &[(Network, Mlp)], w: &Witness) -> Result<f64, String> {
    let pt = point_of(&w.inputs, q.vars(), q.n())?;
    let (prem, v) = q.objective(&pt);
    if prem > ROUND {
        return Err(format!("witness {pt:?} is outside the region by {prem:e}"));
    }
    if (v - w.value).abs() > ROUND * (1.0 + v.abs()) {
        return Err(format!(
            "witness {pt:?} has value {v} by the test's evaluation, {} reported",
            w.value
        ));
    }
    check_apps(&w.applications, nets, &pt)?;
    Ok(w.value)
}

fn run_query(cfg: &Config, case: usize, rep: &mut Report) {
    let q = gen_query(cfg.seed, case);
    let text = q.text();
    let repro = || reproducer("query", cfg, case, &text, &q.nets);
    if cfg.only.is_some() {
        println!("{}", repro());
    }
    let Some((program, nets)) = compile_case(&text, &q.nets, rep, &repro) else {
        return;
    };
    let problem = &program.problems[0];
    let refs: Vec<&Network> = nets.iter().map(|(n, _)| n).collect();
    rep.queries += 1;
    rep.relus.extend(q.nets.iter().map(|(_, m)| m.relus()));
    let max = q.maximize();
    // In the maximizing orientation: `s * value`.
    let s = if max { 1.0 } else { -1.0 };
    let dense = search(&q, &mut case_rng(cfg.seed, case, 4), DENSE);
    let sampled = s * dense.best; // the best sampled objective value
    let mut fails: Vec<(&'static str, String)> = Vec::new();
    let mut found_ends: Vec<(&str, f64)> = Vec::new();
    let mut proven_ends: Vec<(&str, f64)> = Vec::new();
    for set in OPTION_SETS {
        let out = verify(
            problem,
            &refs,
            &options(set, cfg.timeout, cfg.seed ^ case as u64),
        );
        let t = rep.qtallies.entry(set).or_default();
        t.seconds += out.seconds();
        if cfg.only.is_some() {
            println!("{set}: {out:?}");
        }
        match &out {
            Outcome::Bound {
                lower,
                upper,
                witness,
                exact,
                method,
                ..
            } => {
                let (found, proven) = if max {
                    (*lower, *upper)
                } else {
                    (*upper, *lower)
                };
                if proven.is_some() {
                    t.bounded += 1;
                    *t.methods.entry(method.name()).or_default() += 1;
                } else {
                    t.unknown += 1;
                }
                if *exact {
                    t.exact += 1;
                }
                if let Some(pe) = proven {
                    if s * sampled > s * pe + ROUND * (1.0 + pe.abs()) {
                        fails.push((
                            "proven end beaten",
                            format!(
                                "{set}: proven end {pe} but the point {:?} has value {sampled}",
                                dense.best_pt
                            ),
                        ));
                    }
                    proven_ends.push((set, pe));
                }
                match (witness, found) {
                    (Some(w), Some(fe)) => match check_witness(&q, &nets, w) {
                        Ok(v) if v == fe => found_ends.push((set, v)),
                        Ok(v) => fails.push((
                            "bad witness",
                            format!("{set}: found end {fe} but the witness has value {v}"),
                        )),
                        Err(e) => fails.push(("bad witness", format!("{set}: {e}"))),
                    },
                    (None, None) => {}
                    _ => fails.push((
                        "bad witness",
                        format!("{set}: found end and witness disagree: {out:?}"),
                    )),
                }
            }
            Outcome::Unknown { .. } => t.unknown += 1,
            _ => {
                t.other += 1;
                fails.push((
                    "wrong outcome kind",
                    format!("{set}: a verdict for a query: {out:?}"),
                ));
            }
        }
    }
    // Every option set's interval contains every witness value.
    for (a, fe) in &found_ends {
        for (b, pe) in &proven_ends {
            if s * fe > s * pe + ROUND * (1.0 + pe.abs()) {
                fails.push((
                    "proven end beaten",
                    format!("{a} found the value {fe}, beyond the end {pe} that {b} proved"),
                ));
            }
        }
    }
    for (kind, f) in fails {
        rep.fail(kind, format!("{f}\n{}", repro()));
    }
}

fn print_summary(cfg: &Config, rep: &Report, elapsed: f64) {
    println!(
        "\nsoundness: {} property instances, {} queries (seed {}, timeout {:?} per call), {elapsed:.1} s",
        rep.cases, rep.queries, cfg.seed, cfg.timeout
    );
    if !rep.relus.is_empty() {
        println!(
            "  networks: {} to {} ReLUs, {:.1} on average",
            rep.relus.iter().min().unwrap_or(&0),
            rep.relus.iter().max().unwrap_or(&0),
            rep.relus.iter().sum::<usize>() as f64 / rep.relus.len() as f64
        );
    }
    println!(
        "  {:<10} {:>6} {:>8} {:>8} {:>8}   methods",
        "options", "holds", "violated", "unknown", "seconds"
    );
    for set in OPTION_SETS {
        if let Some(t) = rep.tallies.get(set) {
            let methods: Vec<String> = t.methods.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!(
                "  {:<10} {:>6} {:>8} {:>8} {:>8.1}   {}",
                set,
                t.holds,
                t.violated,
                t.unknown,
                t.seconds,
                methods.join(", ")
            );
        }
    }
    println!("  undecided by every option set: {}", rep.undecided.len());
    for u in &rep.undecided {
        println!("    {u}");
    }
    println!(
        "  per family: instances, holds / violated / unknown (default options; without the MILP), violation > TOL seen (sampling or a counterexample), seconds"
    );
    for (k, t) in &rep.families {
        let [h, v, u] = t.default;
        let [nh, nv, nu] = t.no_milp;
        println!(
            "    {k:<14} {:>4}   {h:>3} / {v:>3} / {u:>3}   {nh:>3} / {nv:>3} / {nu:>3}   {:>4} {:>7.1}",
            t.instances, t.seen_violated, t.seconds
        );
    }
    if rep.cex_violation_min.is_finite() {
        println!(
            "  smallest counterexample violation: {:e}",
            rep.cex_violation_min
        );
    }
    println!(
        "  holds/violated within TOL: {}",
        rep.tol_disagreements.len()
    );
    for d in &rep.tol_disagreements {
        println!("    {d}");
    }
    println!(
        "  {:<10} {:>7} {:>6} {:>8} {:>8}   methods",
        "queries", "bounded", "exact", "unknown", "seconds"
    );
    for set in OPTION_SETS {
        if let Some(t) = rep.qtallies.get(set) {
            let methods: Vec<String> = t.methods.iter().map(|(k, v)| format!("{k} {v}")).collect();
            println!(
                "  {:<10} {:>7} {:>6} {:>8} {:>8.1}   {}",
                set,
                t.bounded,
                t.exact,
                t.unknown,
                t.seconds,
                methods.join(", ")
            );
        }
    }
    let kinds: Vec<String> = rep
        .failure_kinds
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    println!("  failures: {} {}", rep.failures.len(), kinds.join(", "));
}

fn run_suite(default_cases: usize, default_seed: u64) {
    let cfg = config(default_cases, default_seed);
    let start = Instant::now();
    let mut rep = Report {
        cex_violation_min: f64::INFINITY,
        ..Report::default()
    };
    for case in 0..cfg.cases {
        if cfg.only.is_none_or(|k| k == case) {
            run_property(&cfg, case, &mut rep);
        }
    }
    for case in 0..cfg.queries {
        if cfg.only.is_none_or(|k| k == case) {
            run_query(&cfg, case, &mut rep);
        }
    }
    print_summary(&cfg, &rep, start.elapsed().as_secs_f64());
    if !rep.failures.is_empty() {
        let shown: Vec<&String> = rep.failures.iter().take(5).collect();
        panic!(
            "{} soundness failure(s); the first ones:\n\n{}",
            rep.failures.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    if cfg.only.is_some() || rep.cases < 20 {
        return;
    }
    // Not vacuous: most instances are decided, and both verdicts occur often.
    let d = &rep.tallies["default"];
    let n = rep.cases as f64;
    assert!(
        (d.holds + d.violated) as f64 >= 0.8 * n,
        "the default options decide only {} of {} instances",
        d.holds + d.violated,
        rep.cases
    );
    assert!(
        d.holds as f64 >= 0.2 * n && d.violated as f64 >= 0.2 * n,
        "verdicts too one-sided: {} holds, {} violated of {}",
        d.holds,
        d.violated,
        rep.cases
    );
    let exact = &rep.tallies["no-attack"];
    assert!(
        (exact.holds + exact.violated) as f64 >= 0.6 * n,
        "without the attack only {} of {} instances are decided",
        exact.holds + exact.violated,
        rep.cases
    );
    let qd = &rep.qtallies["default"];
    assert!(
        qd.bounded as f64 >= 0.8 * rep.queries as f64,
        "only {} of {} queries bounded",
        qd.bounded,
        rep.queries
    );
}

/// The CI-size run (a few minutes in a debug build): 16 instances per family.
#[test]
fn soundness() {
    run_suite(16 * FAMILIES.len(), 0);
}

/// A longer run with another seed: `cargo test -p propc-tests --test soundness --
/// --ignored --nocapture` (or set `PROPC_SOUNDNESS_CASES` on the default test).
#[test]
#[ignore = "long: 2000 instances, run by hand"]
fn soundness_long() {
    run_suite(2000, 1_000_003);
}

/// Was an incompleteness (not unsoundness): the MILP's optimum lies on the boundary of
/// the premise `g(x)[0] >= a`, which reads a network output; re-evaluated in f64 it
/// missed the premise by about 3e-16 and was rejected, and every option set answered
/// `unknown` although a counterexample violating the conclusion by 7.9e-3 exists
/// strictly inside the premise (checked here). Found by `soundness_long`
/// (`PROPC_SOUNDNESS_SEED=1000003 PROPC_SOUNDNESS_ONLY=977`, when case 977 was of this
/// family: there were ten then); fixed by the repair
/// step's Newton steps into premise atoms over network outputs
/// (`nudge_into_output_premise` in `runtime/src/verify.rs`).
#[test]
fn implication_on_an_output_premise_boundary() {
    let p = gen_prop_of(Family::Implies, 1_000_003, 977);
    let known = vec![vec![0.111, -0.25610666823387146, -0.09539344953322991]];
    let (prem, viol) = p.eval(&known);
    assert!(prem <= 0.0 && viol > 7e-3, "{prem} {viol}");
    let program = compile(&p.text()).expect("compiles");
    let nets = networks_for(&program, &p.nets);
    let refs: Vec<&Network> = nets.iter().map(|(n, _)| n).collect();
    let out = verify(
        &program.problems[0],
        &refs,
        &options("default", Duration::from_secs(10), 0),
    );
    assert!(out.is_violated(), "{}\n{out:?}", p.text());
}
