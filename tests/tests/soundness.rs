//! Soundness regression suite: random small ReLU networks and random properties,
//! through the whole pipeline (`.prop` text → `Session` → IR → `verify`), with every
//! verdict checked against the test's own statement of the property.
//!
//! Each instance is a random MLP (1–4 inputs, 1–2 hidden layers of 2–8 ReLUs, 1–3
//! outputs, weights of varied scale, biases that make some ReLUs stable and some not)
//! and a property from one of ten families (output bounds, output comparisons, local
//! robustness, monotonicity with and without slack, global robustness, individual
//! fairness, equivalence and implication of two networks). Its threshold is put near
//! the optimum the test estimates by sampling and hill climbing, a little above or a
//! little below at random, so both verdicts occur and the MILP has real work to do.
//! A smaller set of `maximize` / `minimize` queries is generated the same way.
//!
//! Every instance runs under four option sets (default, no attack, no MILP, no CROWN).
//! The checks, none of which goes through the IR:
//! - a `violated` counterexample lies in the domain, satisfies the premise and violates
//!   the conclusion when the networks are evaluated by the test's own evaluator (and
//!   `Network::eval` reproduces the reported outputs);
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
//! instances, 50 queries) and then removed:
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
//! Also found (not a soundness bug): an implication whose premise reads a network
//! (`g(x)[0] >= a => ...`) can stay `unknown` under every option set although a
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

// ----------------------------------------------------------------------------------
// Networks

/// A fully connected layer: `w[out][in]`, `b[out]`.
#[derive(Clone, Debug)]
struct Layer {
    w: Vec<Vec<f64>>,
    b: Vec<f64>,
}

/// A ReLU MLP: ReLU after every layer but the last.
#[derive(Clone, Debug)]
struct Mlp {
    layers: Vec<Layer>,
}

impl Mlp {
    fn inputs(&self) -> usize {
        self.layers[0].w[0].len()
    }

    fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.b.len())
    }

    fn relus(&self) -> usize {
        let hidden = self.layers.len() - 1;
        self.layers[..hidden].iter().map(|l| l.b.len()).sum()
    }

    /// The test's own evaluator (shares no code with `Network::eval`).
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        let mut h = x.to_vec();
        for (k, l) in self.layers.iter().enumerate() {
            let mut y: Vec<f64> =
                l.w.iter()
                    .zip(&l.b)
                    .map(|(row, b)| row.iter().zip(&h).fold(*b, |s, (w, v)| s + w * v))
                    .collect();
            if k + 1 < self.layers.len() {
                for v in &mut y {
                    *v = v.max(0.0);
                }
            }
            h = y;
        }
        h
    }

    /// The runtime's `Network`: Linear (+ Relu) nodes, weights `[in, out]` row-major.
    fn network(&self, name: &str) -> Network {
        let mut nodes = Vec::new();
        let mut cur = 0;
        for (k, l) in self.layers.iter().enumerate() {
            let (nout, nin) = (l.w.len(), l.w[0].len());
            let mut weight = vec![0.0; nin * nout];
            for (j, row) in l.w.iter().enumerate() {
                for (i, v) in row.iter().enumerate() {
                    weight[i * nout + j] = *v;
                }
            }
            nodes.push(Node {
                name: format!("fc{k}"),
                op: Op::Linear {
                    input: cur,
                    weight,
                    bias: Some(l.b.clone()),
                    in_features: nin,
                    out_features: nout,
                },
                shape: vec![nout],
            });
            cur = nodes.len();
            if k + 1 < self.layers.len() {
                nodes.push(Node {
                    name: format!("relu{k}"),
                    op: Op::Relu { input: cur },
                    shape: vec![nout],
                });
                cur = nodes.len();
            }
        }
        Network {
            source: name.to_string(),
            input_shape: vec![self.inputs()],
            nodes,
        }
    }
}

fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (rng.random_range(lo.ln()..hi.ln())).exp()
}

/// A random MLP. `mono = Some(i)`: every path from input `i` has non-negative weights
/// (so the network is non-decreasing in `x[i]`), before the caller perhaps breaks it.
fn random_mlp(rng: &mut ChaCha8Rng, n_in: usize, n_out: usize, mono: Option<usize>) -> Mlp {
    let depth = rng.random_range(1..=2);
    let mut widths = vec![n_in];
    for _ in 0..depth {
        widths.push(rng.random_range(2..=8));
    }
    widths.push(n_out);
    let scale = log_uniform(rng, 0.3, 3.0);
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(k, wd)| {
            let (nin, nout) = (wd[0], wd[1]);
            let s = scale * log_uniform(rng, 0.5, 2.0) / (nin as f64).sqrt();
            let w: Vec<Vec<f64>> = (0..nout)
                .map(|_| {
                    (0..nin)
                        .map(|i| {
                            let v = rng.random_range(-1.0..1.0) * s;
                            match mono {
                                Some(m) if k > 0 || i == m => v.abs(),
                                _ => v,
                            }
                        })
                        .collect()
                })
                .collect();
            // Typical pre-activation size on the boxes used here (|x| <= 2).
            let reach = s * nin as f64;
            let b = (0..nout)
                .map(|_| {
                    let r: f64 = rng.random();
                    if r < 0.15 {
                        reach * rng.random_range(1.0..2.5) // stably active (mostly)
                    } else if r < 0.3 {
                        -reach * rng.random_range(1.0..2.5) // stably inactive (mostly)
                    } else {
                        reach * rng.random_range(-0.5..0.5)
                    }
                })
                .collect();
            Layer { w, b }
        })
        .collect();
    Mlp { layers }
}

/// `m` with every weight and bias moved by a relative amount of about `sigma`.
fn perturb(rng: &mut ChaCha8Rng, m: &Mlp, sigma: f64) -> Mlp {
    let mut jiggle = |v: f64| v + rng.random_range(-1.0..1.0) * sigma * (v.abs() + 0.1);
    Mlp {
        layers: m
            .layers
            .iter()
            .map(|l| Layer {
                w: l.w
                    .iter()
                    .map(|row| row.iter().map(|v| jiggle(*v)).collect())
                    .collect(),
                b: l.b.iter().map(|v| jiggle(*v)).collect(),
            })
            .collect(),
    }
}

/// A box of side 0.1 to 1.5 somewhere in [-1, 2], bounds with 3 decimals.
fn random_box(rng: &mut ChaCha8Rng, n: usize) -> (Vec<f64>, Vec<f64>) {
    let lo: Vec<f64> = (0..n).map(|_| r3(rng.random_range(-1.0..0.5))).collect();
    let hi = lo
        .iter()
        .map(|l| r3(l + rng.random_range(0.1..1.5)))
        .collect();
    (lo, hi)
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `x` rounded to 6 significant digits (so the spec text is short and exact).
fn sig6(x: f64) -> f64 {
    format!("{x:.5e}").parse().expect("a float")
}

/// A real literal of the language: Rust's shortest round-trip decimal, with a dot.
fn num(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// `+ c` or `- |c|`.
fn plus(c: f64) -> String {
    if c < 0.0 {
        format!("- {}", num(-c))
    } else {
        format!("+ {}", num(c))
    }
}

fn vec_lit(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| num(*x)).collect();
    format!("[{}]", items.join(", "))
}

/// `u` in [0, 1] mapped to [a, b], exactly `a` and `b` at the ends.
fn lerp(a: f64, b: f64, u: f64) -> f64 {
    if u <= 0.0 {
        a
    } else if u >= 1.0 {
        b
    } else {
        (a + (b - a) * u).clamp(a, b)
    }
}

/// How far `x` is outside `[lo, hi]` (<= 0 inside).
fn box_slack(x: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    x.iter()
        .zip(lo.iter().zip(hi))
        .map(|(v, (l, h))| (l - v).max(v - h))
        .fold(f64::NEG_INFINITY, f64::max)
}

fn norm_inf_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

// ----------------------------------------------------------------------------------
// Sampling and hill climbing, shared by properties and queries

/// Something to maximize over a domain parametrized by `[0, 1]^dims`.
trait Sampled {
    fn dims(&self) -> usize;
    /// The quantified variables (`x`, or `x` and `y`) at a parameter point.
    fn decode(&self, u: &[f64]) -> Vec<Vec<f64>>;
    /// `(premise slack, value)`: the point is admissible when the slack is `<= 0`;
    /// the value is what the search maximizes.
    fn eval(&self, pt: &[Vec<f64>]) -> (f64, f64);
}

#[derive(Clone, Copy)]
struct Budget {
    random: usize,
    grid: usize,
    starts: usize,
    climb: usize,
}

const ESTIMATE: Budget = Budget {
    random: 1500,
    grid: 500,
    starts: 8,
    climb: 300,
};
const LIGHT: Budget = Budget {
    random: 250,
    grid: 100,
    starts: 2,
    climb: 80,
};
const DENSE: Budget = Budget {
    random: 3000,
    grid: 1500,
    starts: 12,
    climb: 400,
};

struct Found {
    /// The largest admissible value (`-inf` when no admissible point was seen).
    best: f64,
    best_pt: Vec<Vec<f64>>,
    /// Every admissible value seen before climbing (for spreads and quantiles).
    values: Vec<f64>,
    points: usize,
}

fn value_at(s: &dyn Sampled, u: &[f64]) -> f64 {
    let (p, v) = s.eval(&s.decode(u));
    if p <= PREMISE_OK {
        v
    } else {
        f64::NEG_INFINITY
    }
}

/// Pattern search from `u` (coordinate steps, halved when nothing improves).
fn climb(s: &dyn Sampled, mut u: Vec<f64>, mut best: f64, budget: usize) -> (Vec<f64>, f64) {
    let mut step = 0.125;
    let mut evals = 0;
    while step > 1e-7 && evals < budget {
        let mut improved = false;
        for i in 0..u.len() {
            for d in [step, -step] {
                let mut v = u.clone();
                v[i] = (v[i] + d).clamp(0.0, 1.0);
                if v[i] == u[i] {
                    continue;
                }
                let val = value_at(s, &v);
                evals += 1;
                if val > best {
                    best = val;
                    u = v;
                    improved = true;
                    break;
                }
            }
        }
        if !improved {
            step *= 0.5;
        }
    }
    (u, best)
}

/// Corners, a grid, random points (some pushed to faces), then hill climbing from the
/// best few.
fn search(s: &dyn Sampled, rng: &mut ChaCha8Rng, b: Budget) -> Found {
    let k = s.dims();
    let mut cands: Vec<Vec<f64>> = Vec::new();
    if k <= 10 {
        for mask in 0..(1usize << k) {
            cands.push((0..k).map(|i| ((mask >> i) & 1) as f64).collect());
        }
    }
    let levels = (b.grid as f64).powf(1.0 / k as f64).floor() as usize;
    if levels >= 3 {
        let total = levels.pow(k as u32);
        for idx in 0..total {
            let mut r = idx;
            let u = (0..k)
                .map(|_| {
                    let l = r % levels;
                    r /= levels;
                    l as f64 / (levels - 1) as f64
                })
                .collect();
            cands.push(u);
        }
    }
    for _ in 0..b.random {
        let u = (0..k)
            .map(|_| {
                let r: f64 = rng.random();
                if r < 0.1 {
                    0.0
                } else if r < 0.2 {
                    1.0
                } else {
                    rng.random()
                }
            })
            .collect();
        cands.push(u);
    }
    let mut scored: Vec<(f64, Vec<f64>)> =
        cands.into_iter().map(|u| (value_at(s, &u), u)).collect();
    let points = scored.len();
    let values: Vec<f64> = scored
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| v.is_finite())
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = f64::NEG_INFINITY;
    let mut best_u: Vec<f64> = vec![0.0; k];
    for (v, u) in scored.into_iter().take(b.starts) {
        if !v.is_finite() {
            continue;
        }
        let (u, v) = climb(s, u, v, b.climb);
        if v > best {
            best = v;
            best_u = u;
        }
    }
    Found {
        best,
        best_pt: s.decode(&best_u),
        values,
        points,
    }
}

fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

// ----------------------------------------------------------------------------------
// Properties

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    /// `forall x in box. f(x)[o] <= t`
    BoundLe,
    /// `forall x in box. f(x)[o] >= -t`
    BoundGe,
    /// `forall x in box. f(x)[o] >= f(x)[j] - t`
    Compare,
    /// `std.robustness.local(f, center, o, eps)` (strict: a tie violates)
    Local,
    /// `std.relations.monotone(f, box, i, o)` (or `antitone` when `down`) on a network
    /// built monotone in `x[i]`, half of them then broken by a weight of the wrong sign
    MonotoneStd,
    /// written out: `x[i] <= y[i] and x[k] == y[k] (k != i) => f(x)[o] <= f(y)[o] + t`
    /// (`f(x)[o] >= f(y)[o] - t` when `down`), in the direction that is violated
    MonotoneSlack,
    /// `norm_inf(x - y) <= d => abs(f(x)[o] - f(y)[o]) <= t`
    Global,
    /// `std.fairness.individual(f, box, [i], o, t)`
    Fairness,
    /// `std.compare.equivalent(f, g, box, t)`, `g` a perturbed copy of `f`
    Equivalent,
    /// `forall x in box. g(x)[0] >= a => f(x)[0] >= -t`, `g` a perturbed copy of `f`
    Implies,
}

const FAMILIES: [Family; 10] = [
    Family::BoundLe,
    Family::Global,
    Family::Compare,
    Family::MonotoneStd,
    Family::Local,
    Family::Equivalent,
    Family::MonotoneSlack,
    Family::Implies,
    Family::BoundGe,
    Family::Fairness,
];

/// One property instance: what the test knows about it, independently of the IR.
/// Its violation measure is `score - t`: positive is a violation (zero too for the
/// strict `Local`), and it is on the scale of the goal atoms, so `holds` allows it up
/// to `TOL`.
#[derive(Clone, Debug)]
struct Prop {
    family: Family,
    /// `("f", ..)` and, for two-network families, `("g", ..)`.
    nets: Vec<(&'static str, Mlp)>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// The output (the class `c` for `Local`).
    o: usize,
    /// `Compare`: the other output.
    j: usize,
    /// `MonotoneStd`, `MonotoneSlack`: the input that grows; `Fairness`: the sensitive one.
    i: usize,
    /// `MonotoneStd`, `MonotoneSlack`: the property says non-increasing.
    down: bool,
    /// `Global`: the input distance.
    d: f64,
    /// `Implies`: the premise threshold on `g(x)[0]`.
    a: f64,
    /// `Local`: the center and radius (`lo`, `hi` are `center -+ eps`).
    center: Vec<f64>,
    eps: f64,
    t: f64,
    /// Where the score reached the estimate the threshold was chosen from (checked
    /// again against `holds`).
    known: Vec<Vec<f64>>,
}

impl Prop {
    fn n(&self) -> usize {
        self.lo.len()
    }

    fn net(&self, name: &str) -> &Mlp {
        &self
            .nets
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no network `{name}`"))
            .1
    }

    fn vars(&self) -> &'static [&'static str] {
        match self.family {
            Family::MonotoneStd | Family::MonotoneSlack | Family::Global | Family::Fairness => {
                &["x", "y"]
            }
            _ => &["x"],
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        match self.family {
            Family::Local => s.push_str("import std.robustness\n"),
            Family::MonotoneStd => s.push_str("import std.relations\n"),
            Family::Fairness => s.push_str("import std.fairness\n"),
            Family::Equivalent => s.push_str("import std.compare\n"),
            _ => {}
        }
        for (name, m) in &self.nets {
            let _ = writeln!(
                s,
                "network {name} : Real[{}] -> Real[{}]",
                m.inputs(),
                m.outputs()
            );
        }
        let dom = format!("box({}, {})", vec_lit(&self.lo), vec_lit(&self.hi));
        let (o, j, i, t) = (self.o, self.j, self.i, self.t);
        let body = match self.family {
            Family::BoundLe => format!("forall x in {dom}. f(x)[{o}] <= {}", num(t)),
            Family::BoundGe => format!("forall x in {dom}. f(x)[{o}] >= {}", num(-t)),
            Family::Compare => format!("forall x in {dom}. f(x)[{o}] >= f(x)[{j}] {}", plus(-t)),
            Family::Local => format!(
                "local(f, {}, {o}, {})",
                vec_lit(&self.center),
                num(self.eps)
            ),
            Family::MonotoneStd if self.down => format!("antitone(f, {dom}, {i}, {o})"),
            Family::MonotoneStd => format!("monotone(f, {dom}, {i}, {o})"),
            Family::MonotoneSlack => format!(
                "forall x, y in {dom}.\n    x[{i}] <= y[{i}] and (forall k in 0..{} where k != {i}. x[k] == y[k])\n      => {}",
                self.n(),
                if self.down {
                    format!("f(x)[{o}] >= f(y)[{o}] {}", plus(-t))
                } else {
                    format!("f(x)[{o}] <= f(y)[{o}] {}", plus(t))
                }
            ),
            Family::Global => format!(
                "forall x, y in {dom}.\n    norm_inf(x - y) <= {} => abs(f(x)[{o}] - f(y)[{o}]) <= {}",
                num(self.d),
                num(t)
            ),
            Family::Fairness => format!("individual(f, {dom}, [{i}], {o}, {})", num(t)),
            Family::Equivalent => format!("equivalent(f, g, {dom}, {})", num(t)),
            Family::Implies => format!(
                "forall x in {dom}. g(x)[0] >= {} => f(x)[0] >= {}",
                num(self.a),
                num(-t)
            ),
        };
        let _ = writeln!(s, "property p =\n  {body}");
        s
    }
}

impl Sampled for Prop {
    fn dims(&self) -> usize {
        let n = self.n();
        match self.family {
            Family::MonotoneStd | Family::MonotoneSlack | Family::Fairness => n + 1,
            Family::Global => 2 * n,
            _ => n,
        }
    }

    fn decode(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let n = self.n();
        let x: Vec<f64> = (0..n).map(|k| lerp(self.lo[k], self.hi[k], u[k])).collect();
        match self.family {
            Family::MonotoneStd | Family::MonotoneSlack => {
                let mut y = x.clone();
                y[self.i] = lerp(x[self.i], self.hi[self.i], u[n]);
                vec![x, y]
            }
            Family::Fairness => {
                let mut y = x.clone();
                y[self.i] = lerp(self.lo[self.i], self.hi[self.i], u[n]);
                vec![x, y]
            }
            Family::Global => {
                let y = (0..n)
                    .map(|k| {
                        let v = x[k] + self.d * (2.0 * u[n + k] - 1.0);
                        v.clamp(self.lo[k], self.hi[k])
                    })
                    .collect();
                vec![x, y]
            }
            _ => vec![x],
        }
    }

    /// `(premise slack, violation)` from the test's own evaluation.
    fn eval(&self, pt: &[Vec<f64>]) -> (f64, f64) {
        let x = &pt[0];
        let f = self.net("f");
        let mut prem = box_slack(x, &self.lo, &self.hi);
        let (o, j, i) = (self.o, self.j, self.i);
        let score = match self.family {
            Family::BoundLe => f.eval(x)[o],
            Family::BoundGe => -f.eval(x)[o],
            Family::Compare => {
                let fx = f.eval(x);
                fx[j] - fx[o]
            }
            Family::Local => {
                let fx = f.eval(x);
                (0..fx.len())
                    .filter(|k| *k != o)
                    .map(|k| fx[k] - fx[o])
                    .fold(f64::NEG_INFINITY, f64::max)
            }
            Family::MonotoneStd | Family::MonotoneSlack => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                prem = prem.max(x[i] - y[i]);
                for k in (0..self.n()).filter(|k| *k != i) {
                    prem = prem.max((x[k] - y[k]).abs());
                }
                let diff = f.eval(x)[o] - f.eval(y)[o];
                if self.down { -diff } else { diff }
            }
            Family::Fairness => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                for k in (0..self.n()).filter(|k| *k != i) {
                    prem = prem.max((x[k] - y[k]).abs());
                }
                (f.eval(x)[o] - f.eval(y)[o]).abs()
            }
            Family::Global => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                prem = prem.max(norm_inf_diff(x, y) - self.d);
                (f.eval(x)[o] - f.eval(y)[o]).abs()
            }
            Family::Equivalent => norm_inf_diff(&f.eval(x), &self.net("g").eval(x)),
            Family::Implies => {
                prem = prem.max(self.a - self.net("g").eval(x)[0]);
                -f.eval(x)[0]
            }
        };
        (prem, score - self.t)
    }
}

/// A threshold near the estimated optimum `est` of the score: a little above (likely
/// holds) or a little below (violated, sometimes barely) at random. `nonneg`: the
/// score is `>= 0` somewhere for sure (an `abs`, or `x = y`), keep `t >= 0`.
///
/// A quarter of the thresholds are within `2e-7` to `3e-5` of `est`, printed exactly:
/// `est` is attained at a known point, so below it the property is violated by
/// exactly that much there, on either side of the `TOL = 1e-6` that `holds` allows.
fn pick_threshold(rng: &mut ChaCha8Rng, est: f64, spread: f64, nonneg: bool) -> f64 {
    let below = rng.random_bool(0.5);
    if rng.random_bool(0.25) {
        let delta = 10f64.powf(rng.random_range(-6.7..-4.5));
        let t = if below { est - delta } else { est + delta };
        if !nonneg || t >= 0.0 {
            return t;
        }
    }
    let delta = spread.max(1e-3) * 10f64.powf(rng.random_range(-3.5..-1.0));
    let mut t = if below { est - delta } else { est + delta };
    if nonneg && t < 0.0 {
        t = if est > 0.0 { est * 0.5 } else { delta };
    }
    sig6(t)
}

fn case_rng(seed: u64, case: usize, stream: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        seed ^ (case as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03),
    )
}

fn gen_prop(seed: u64, case: usize) -> Prop {
    let family = FAMILIES[case % FAMILIES.len()];
    let mut rng = case_rng(seed, case, 1);
    let n = rng.random_range(1..=4usize);
    let needs_two = matches!(family, Family::Compare | Family::Local);
    let m = rng.random_range(if needs_two { 2 } else { 1 }..=3usize);
    let (lo, hi) = random_box(&mut rng, n);
    let i = rng.random_range(0..n);
    let o = rng.random_range(0..m);
    let j = (o + rng.random_range(1..m.max(2))) % m;
    let down = rng.random_bool(0.5);
    let f = match family {
        Family::MonotoneStd => {
            let mut f = random_mlp(&mut rng, n, m, Some(i));
            if down {
                for row in &mut f.layers[0].w {
                    row[i] = -row[i];
                }
            }
            f
        }
        _ => random_mlp(&mut rng, n, m, None),
    };
    let mut nets = vec![("f", f.clone())];
    if matches!(family, Family::Equivalent | Family::Implies) {
        let sigma = log_uniform(&mut rng, 0.01, 0.3);
        nets.push(("g", perturb(&mut rng, &f, sigma)));
    }
    let mut p = Prop {
        family,
        nets,
        lo,
        hi,
        o,
        j,
        i,
        down,
        d: r3(rng.random_range(0.02..0.3)),
        a: 0.0,
        center: Vec::new(),
        eps: 0.0,
        t: 0.0,
        known: Vec::new(),
    };
    match family {
        Family::MonotoneStd => {
            if rng.random_bool(0.5) {
                break_monotone(&mut rng, &mut p);
            }
        }
        Family::Local => choose_local(&mut rng, &mut p),
        _ => {
            if family == Family::Implies {
                let g = p.net("g").clone();
                let vals: Vec<f64> = (0..200)
                    .map(|_| {
                        let x: Vec<f64> = (0..n)
                            .map(|k| lerp(p.lo[k], p.hi[k], rng.random()))
                            .collect();
                        g.eval(&x)[0]
                    })
                    .collect();
                // Rounded down, so the premise region is not empty.
                let q = quantile(&vals, rng.random_range(0.2..0.8));
                p.a = (q * 1e6).floor() / 1e6;
            }
            if family == Family::MonotoneSlack {
                // The direction in which the network is not monotone (if any).
                let up = search(&p, &mut rng, ESTIMATE).best;
                p.down = true;
                let down = search(&p, &mut rng, ESTIMATE).best;
                p.down = down > up;
            }
            let est = search(&p, &mut rng, ESTIMATE);
            let spread = quantile(&est.values, 0.9) - quantile(&est.values, 0.1);
            let nonneg = matches!(
                family,
                Family::MonotoneSlack | Family::Global | Family::Fairness | Family::Equivalent
            );
            let best = if est.best.is_finite() { est.best } else { 0.0 };
            p.t = pick_threshold(&mut rng, best, spread, nonneg);
            p.known = est.best_pt;
        }
    }
    p
}

/// `MonotoneStd`: flip a weight on a path from `x[i]` to the wrong sign (and make it
/// larger), until sampling sees a violation (at most a few tries).
fn break_monotone(rng: &mut ChaCha8Rng, p: &mut Prop) {
    let i = p.i;
    let original = p.nets[0].1.clone();
    for _ in 0..8 {
        let mut f = original.clone();
        let k = rng.random_range(0..f.layers.len());
        let layer = &mut f.layers[k];
        let row = rng.random_range(0..layer.w.len());
        let col = if k == 0 {
            i
        } else {
            rng.random_range(0..layer.w[row].len())
        };
        layer.w[row][col] = -2.0 * layer.w[row][col] - layer.w[row][col].signum() * 0.1;
        p.nets[0].1 = f;
        if search(p, rng, LIGHT).best > 1e-4 {
            return;
        }
    }
}

/// `Local`: a center whose class wins there, and a radius near the (sampled)
/// robustness radius, found by bisection.
fn choose_local(rng: &mut ChaCha8Rng, p: &mut Prop) {
    let n = p.n();
    let (lo, hi) = (p.lo.clone(), p.hi.clone());
    // Center the outputs on the box, so that no class wins everywhere (plus a small
    // offset per class: where every ReLU is off, exact ties would be uninteresting).
    let mut f = p.net("f").clone();
    let samples: Vec<Vec<f64>> = (0..200)
        .map(|_| {
            let x: Vec<f64> = (0..n).map(|k| lerp(lo[k], hi[k], rng.random())).collect();
            f.eval(&x)
        })
        .collect();
    let shift: Vec<f64> = (0..f.outputs())
        .map(|k| {
            let col: Vec<f64> = samples.iter().map(|v| v[k]).collect();
            let spread = quantile(&col, 0.9) - quantile(&col, 0.1);
            quantile(&col, 0.5) + rng.random_range(-0.2..0.2) * spread.max(0.05)
        })
        .collect();
    if let Some(last) = f.layers.last_mut() {
        for (b, m) in last.b.iter_mut().zip(&shift) {
            *b -= m;
        }
    }
    p.nets[0].1 = f.clone();
    let set_eps = |p: &mut Prop, eps: f64| {
        p.eps = eps;
        p.lo = p.center.iter().map(|c| c - eps).collect();
        p.hi = p.center.iter().map(|c| c + eps).collect();
    };
    const MAX_EPS: f64 = 4.0;
    // A center whose class wins there, preferably close to a decision boundary (so
    // the radius is finite), but not on it.
    let mut centers: Vec<(f64, Vec<f64>, usize)> = (0..60)
        .filter_map(|_| {
            let x: Vec<f64> = (0..n)
                .map(|k| r3(lerp(lo[k], hi[k], rng.random())))
                .collect();
            let fx = f.eval(&x);
            let c = (0..fx.len()).max_by(|a, b| fx[*a].total_cmp(&fx[*b]))?;
            let gap = (0..fx.len())
                .filter(|k| *k != c)
                .map(|k| fx[c] - fx[k])
                .fold(f64::INFINITY, f64::min);
            (gap > 1e-3).then_some((gap, x, c))
        })
        .collect();
    centers.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pick = rng.random_range(0..centers.len().div_ceil(3).max(1));
    let (_, center, c) = centers.get(pick).cloned().unwrap_or((0.0, p.lo.clone(), 0));
    p.center = center;
    p.o = c;
    set_eps(p, MAX_EPS);
    if search(p, rng, LIGHT).best < 0.0 {
        // Robust on the whole ball as far as sampling sees: keep it.
        let eps = sig6(rng.random_range(0.5..MAX_EPS));
        set_eps(p, eps);
        return;
    }
    let (mut good, mut bad) = (0.0, MAX_EPS);
    for _ in 0..16 {
        let mid: f64 = 0.5 * (good + bad);
        set_eps(p, mid);
        let b = search(p, rng, LIGHT).best;
        if b < 0.0 {
            good = mid;
        } else {
            bad = mid;
        }
    }
    let r = 0.5 * (good + bad);
    let factor = 10f64.powf(rng.random_range(-2.5..-0.7));
    let eps = if rng.random_bool(0.5) {
        r * (1.0 + factor)
    } else {
        r * (1.0 - factor)
    };
    set_eps(p, sig6(eps.max(1e-4)));
}

// ----------------------------------------------------------------------------------
// Queries

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum QFamily {
    /// `maximize f(x)[o] over x in box`
    MaxOut,
    /// `minimize f(x)[o] over x in box where x[i] >= w`
    MinOutWhere,
    /// `maximize abs(f(x)[o] - f(y)[o]) over x, y in box where norm_inf(x - y) <= d`
    MaxDiff,
    /// `maximize norm_inf(f(x) - g(x)) over x in box`, `g` a perturbed copy of `f`
    MaxGap,
}

const QFAMILIES: [QFamily; 4] = [
    QFamily::MaxOut,
    QFamily::MaxDiff,
    QFamily::MinOutWhere,
    QFamily::MaxGap,
];

#[derive(Clone, Debug)]
struct Query {
    family: QFamily,
    nets: Vec<(&'static str, Mlp)>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    o: usize,
    i: usize,
    w: f64,
    d: f64,
}

impl Query {
    fn maximize(&self) -> bool {
        self.family != QFamily::MinOutWhere
    }

    fn n(&self) -> usize {
        self.lo.len()
    }

    fn net(&self, name: &str) -> &Mlp {
        &self
            .nets
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no network `{name}`"))
            .1
    }

    fn vars(&self) -> &'static [&'static str] {
        if self.family == QFamily::MaxDiff {
            &["x", "y"]
        } else {
            &["x"]
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for (name, m) in &self.nets {
            let _ = writeln!(
                s,
                "network {name} : Real[{}] -> Real[{}]",
                m.inputs(),
                m.outputs()
            );
        }
        let dom = format!("box({}, {})", vec_lit(&self.lo), vec_lit(&self.hi));
        let o = self.o;
        let body = match self.family {
            QFamily::MaxOut => format!("maximize f(x)[{o}] over x in {dom}"),
            QFamily::MinOutWhere => format!(
                "minimize f(x)[{o}] over x in {dom} where x[{}] >= {}",
                self.i,
                num(self.w)
            ),
            QFamily::MaxDiff => format!(
                "maximize abs(f(x)[{o}] - f(y)[{o}]) over x, y in {dom} where norm_inf(x - y) <= {}",
                num(self.d)
            ),
            QFamily::MaxGap => format!("maximize norm_inf(f(x) - g(x)) over x in {dom}"),
        };
        let _ = writeln!(s, "query q =\n  {body}");
        s
    }

    /// `(premise slack, objective)`.
    fn objective(&self, pt: &[Vec<f64>]) -> (f64, f64) {
        let x = &pt[0];
        let f = self.net("f");
        let mut prem = box_slack(x, &self.lo, &self.hi);
        let v = match self.family {
            QFamily::MaxOut => f.eval(x)[self.o],
            QFamily::MinOutWhere => {
                prem = prem.max(self.w - x[self.i]);
                f.eval(x)[self.o]
            }
            QFamily::MaxDiff => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                prem = prem.max(norm_inf_diff(x, y) - self.d);
                (f.eval(x)[self.o] - f.eval(y)[self.o]).abs()
            }
            QFamily::MaxGap => norm_inf_diff(&f.eval(x), &self.net("g").eval(x)),
        };
        (prem, v)
    }
}

impl Sampled for Query {
    fn dims(&self) -> usize {
        if self.family == QFamily::MaxDiff {
            2 * self.n()
        } else {
            self.n()
        }
    }

    fn decode(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let n = self.n();
        let x: Vec<f64> = (0..n)
            .map(|k| {
                let lo = if self.family == QFamily::MinOutWhere && k == self.i {
                    self.w
                } else {
                    self.lo[k]
                };
                lerp(lo, self.hi[k], u[k])
            })
            .collect();
        if self.family == QFamily::MaxDiff {
            let y = (0..n)
                .map(|k| (x[k] + self.d * (2.0 * u[n + k] - 1.0)).clamp(self.lo[k], self.hi[k]))
                .collect();
            vec![x, y]
        } else {
            vec![x]
        }
    }

    /// The objective, negated when minimizing, so the search always maximizes.
    fn eval(&self, pt: &[Vec<f64>]) -> (f64, f64) {
        let (p, v) = self.objective(pt);
        (p, if self.maximize() { v } else { -v })
    }
}

fn gen_query(seed: u64, case: usize) -> Query {
    let family = QFAMILIES[case % QFAMILIES.len()];
    let mut rng = case_rng(seed, case, 2);
    let n = rng.random_range(1..=4usize);
    let m = rng.random_range(1..=3usize);
    let (lo, hi) = random_box(&mut rng, n);
    let f = random_mlp(&mut rng, n, m, None);
    let mut nets = vec![("f", f.clone())];
    if family == QFamily::MaxGap {
        let sigma = log_uniform(&mut rng, 0.01, 0.3);
        nets.push(("g", perturb(&mut rng, &f, sigma)));
    }
    let i = rng.random_range(0..n);
    let w = r3(lerp(lo[i], hi[i], rng.random_range(0.2..0.8)));
    Query {
        family,
        nets,
        o: rng.random_range(0..m),
        i,
        w,
        d: r3(rng.random_range(0.02..0.3)),
        lo,
        hi,
    }
}

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
/// test's evaluator up to rounding, and each input is one of the quantified variables.
fn check_apps(
    apps: &[propc_runtime::verify::AppValue],
    nets: &[(Network, Mlp)],
    pt: &[Vec<f64>],
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
        if !pt.iter().any(|v| norm_inf_diff(v, &a.input) <= ROUND) {
            return Err(format!("application input {:?} is none of {pt:?}", a.input));
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
    check_apps(&c.applications, nets, &pt)?;
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
    /// Per family: instances, sampled a violation > TOL, default holds, default violated.
    families: BTreeMap<String, [usize; 4]>,
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

fn run_property(cfg: &Config, case: usize, rep: &mut Report) {
    let p = gen_prop(cfg.seed, case);
    let text = p.text();
    let repro = || reproducer("property", cfg, case, &text, &p.nets);
    if cfg.only.is_some() {
        println!("{}", repro());
    }
    let program = match compile(&text) {
        Ok(pr) => pr,
        Err(e) => {
            rep.fail("does not compile", format!("{e}\n{}", repro()));
            return;
        }
    };
    assert_eq!(program.problems.len(), 1, "{}", repro());
    let problem = &program.problems[0];
    let nets = networks_for(&program, &p.nets);
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
    fam[0] += 1;
    if worst > TOL {
        fam[1] += 1;
    }
    match &outcomes[0].1 {
        Outcome::Holds { .. } => fam[2] += 1,
        Outcome::Violated { .. } => fam[3] += 1,
        _ => {}
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
    let program = match compile(&text) {
        Ok(pr) => pr,
        Err(e) => {
            rep.fail("does not compile", format!("{e}\n{}", repro()));
            return;
        }
    };
    assert_eq!(program.problems.len(), 1, "{}", repro());
    let problem = &program.problems[0];
    let nets = networks_for(&program, &q.nets);
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
        "  per family: instances, holds and violated (default options), violation > TOL seen (sampling or a counterexample)"
    );
    for (k, [n, sv, h, v]) in &rep.families {
        println!("    {k:<14} {n:>4} {h:>6} {v:>8} {sv:>6}");
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

/// The CI-size run (a few minutes in a debug build).
#[test]
fn soundness() {
    run_suite(200, 0);
}

/// A longer run with another seed: `cargo test -p propc-tests --test soundness --
/// --ignored --nocapture` (or set `PROPC_SOUNDNESS_CASES` on the default test).
#[test]
#[ignore = "long: 2000 instances, run by hand"]
fn soundness_long() {
    run_suite(2000, 1_000_003);
}

/// Incompleteness, not unsoundness: the MILP's optimum lies on the boundary of the
/// premise `g(x)[0] >= a`, which reads a network output; re-evaluated in f64 it misses
/// the premise by about 3e-16 and is rejected, `nudge_into_premise` only moves points
/// into premise atoms over variables, and the short repair attack and the main attack
/// find nothing, so every option set answers `unknown`. A counterexample that violates
/// the conclusion by 7.9e-3 exists strictly inside the premise (checked here). Found by
/// `soundness_long` (`PROPC_SOUNDNESS_SEED=1000003 PROPC_SOUNDNESS_ONLY=977`).
#[test]
#[ignore = "incomplete: a solver point on the boundary of a premise atom over network outputs is never repaired into a counterexample (unknown instead of violated)"]
fn implication_on_an_output_premise_boundary() {
    let p = gen_prop(1_000_003, 977);
    assert_eq!(p.family, Family::Implies);
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
