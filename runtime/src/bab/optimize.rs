//! Branch and bound for queries: the anytime maximum of an objective over the
//! variables' box, the premise and the query's regions.
//!
//! Takes: a query [`Problem`] (its `Goal::Optimize` regions), the objectives oriented
//! so that the query *maximizes* `max_k objectives[k]` (a minimizing query passes the
//! negated objectives), its networks and [`BabOptions`], and a known witness value.
//! Gives: an [`Optimum`]: a sound upper bound of the maximum (the largest bound over the
//! domains still open), the best concretely checked point found
//! ([`crate::verify::confirm_witness`]), whether the gap closed, and the domains
//! bounded. Progress lines show the upper bound and the best value as they meet.
//! Invariant: a domain is dropped only when the premise or every region is refuted on
//! it by sound bounds, or when its sound upper bound is at most the best value already
//! found by a concretely checked point (it cannot hold a better one); so the returned
//! upper bound is always sound, whatever stopped the search. Domains are bounded with
//! the same [`Plan`] as property branch and bound (joint twin bounds for several
//! applications).

use super::domain::{AtomPlan, Plan, plan_atom, split_variable};
use super::{BabOptions, PROGRESS_EVERY, Queued};
use crate::bounds::Interval;
use crate::network::Network;
use crate::verify::{self, Witness};
use propc_compiler::ir::{LinAtom, LinExpr, Problem, Rel};
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::Instant;

/// What the search established.
#[derive(Clone, Debug)]
pub struct Optimum {
    /// Sound upper bound of the (oriented) maximum; `-inf` if no admissible point.
    pub upper: f64,
    /// The best point found, with its (oriented) value.
    pub best: Option<(Witness, f64)>,
    /// The gap `upper - best` closed to the tolerance.
    pub closed: bool,
    pub domains: usize,
}

struct OptDomain {
    lo: Vec<f64>,
    hi: Vec<f64>,
    upper: f64,
    prior: Option<Arc<Vec<Vec<Interval>>>>,
}

enum OptStep {
    Dropped,
    Open {
        d: OptDomain,
        /// The split variable, if the box can still be split.
        split: Option<usize>,
    },
}

/// The split rule's lag (see [`super::domain::LAG`]) for queries: smaller than for
/// properties. On COMET's Auto-MPG monotonicity queries it lowered the bound after 1 s
/// by 2-3x on three of four features (`bench/relational/README.md`); the bound of an
/// objective over a wide box depends on every variable's width, not only on the
/// directions its linear bound is most sensitive to.
const QUERY_LAG: f64 = 10.0;

/// The gap below which the search stops: `gap <= TOL_REL · (1 + |best|)`.
pub const TOL_REL: f64 = 1e-6;

struct Search<'a> {
    plan: Plan<'a>,
    problem: &'a Problem,
    networks: &'a [&'a Network],
    /// `-objective_k <= 0` atoms, whose lower bounds give each objective's upper bound.
    neg: Vec<(LinExpr, AtomPlan)>,
    /// Oriented: `value = sign · witness value`.
    sign: f64,
}

impl Search<'_> {
    /// Bounds one domain; `found` collects checked points.
    fn process(&self, mut d: OptDomain, found: &mut Vec<(Witness, f64)>) -> OptStep {
        if !self.plan.tighten(&mut d.lo, &mut d.hi) {
            return OptStep::Dropped;
        }
        let vars = Interval::new(d.lo.clone(), d.hi.clone());
        let prior = d.prior.as_deref().map(|v| &v[..]);
        let bounded = self.plan.boxes(&vars, prior);
        let prem: Vec<(&LinExpr, &AtomPlan)> = self
            .plan
            .output_premise
            .iter()
            .map(|(a, p)| (&a.expr, p))
            .collect();
        if !prem.is_empty() {
            for ((lo, hi, _), (a, _)) in self
                .plan
                .atom_ranges(&bounded, &prem)
                .iter()
                .zip(&self.plan.output_premise)
            {
                if verify::atom_facts(a.rel, *lo, *hi).0 {
                    return OptStep::Dropped;
                }
            }
        }
        // Regions: alive unless one of their atoms is refuted.
        let regions = self.plan.goals;
        let mut atoms: Vec<(&LinExpr, &AtomPlan)> = Vec::new();
        for (g, plans) in regions.iter().zip(self.plan.goal_plans()) {
            for (a, p) in g.iter().zip(plans) {
                atoms.push((&a.expr, p));
            }
        }
        let ranges = self.plan.atom_ranges(&bounded, &atoms);
        let mut k = 0;
        let mut alive = false;
        for g in regions {
            let refuted = g
                .iter()
                .enumerate()
                .any(|(j, a)| verify::atom_facts(a.rel, ranges[k + j].0, ranges[k + j].1).0);
            k += g.len();
            alive |= !refuted;
        }
        if !alive {
            return OptStep::Dropped;
        }
        let objs: Vec<(&LinExpr, &AtomPlan)> = self.neg.iter().map(|(e, p)| (e, p)).collect();
        let obj_ranges = self.plan.atom_ranges(&bounded, &objs);
        let (mut upper, mut binding) = (f64::NEG_INFINITY, 0);
        for (i, (lo, _, _)) in obj_ranges.iter().enumerate() {
            if -lo > upper || i == 0 {
                upper = upper.max(-lo);
                binding = i;
            }
        }
        d.upper = upper.min(d.upper);
        // Candidates: the centre and each objective's maximizing vertex.
        let mut cands: Vec<Vec<f64>> =
            vec![d.lo.iter().zip(&d.hi).map(|(l, h)| 0.5 * (l + h)).collect()];
        for (_, _, g) in &obj_ranges {
            cands.push(
                (0..d.lo.len())
                    .map(|i| if g[i] >= 0.0 { d.lo[i] } else { d.hi[i] })
                    .collect(),
            );
        }
        for c in cands {
            let c = verify::nudge_into_premise(self.problem, &c);
            if let Some(w) = verify::confirm_witness(self.problem, self.networks, &c) {
                let v = self.sign * w.value;
                found.push((w, v));
            }
        }
        // Split: width times the binding objective's sensitivity, with the lag rule.
        let grad = &obj_ranges[binding].2;
        let score: Vec<f64> = grad.iter().map(|g| g.abs()).collect();
        let split = split_variable(&d.lo, &d.hi, &self.plan.root_width, &score, QUERY_LAG);
        let prior = bounded.into_prior();
        d.prior = Some(Arc::new(prior));
        OptStep::Open { d, split }
    }
}

/// Maximizes `sign · (query value)` (see the module doc); `known`: the oriented value
/// of a point already found, if any.
pub fn maximize(
    problem: &Problem,
    regions: &[Vec<LinAtom>],
    objectives: &[LinExpr],
    sign: f64,
    networks: &[&Network],
    options: &BabOptions,
    known: Option<(Witness, f64)>,
) -> Optimum {
    let mut plan = Plan::new(problem, regions, networks);
    let neg: Vec<(LinExpr, AtomPlan)> = objectives
        .iter()
        .map(|o| {
            let e = o.scale(-sign);
            let p = plan_atom(
                problem,
                &LinAtom {
                    expr: e.clone(),
                    rel: Rel::Le,
                },
            );
            (e, p)
        })
        .collect();
    plan.prefer_tighter(&neg.iter().map(|(e, _)| e).collect::<Vec<_>>());
    let search = Search {
        plan,
        problem,
        networks,
        neg,
        sign,
    };
    let mut best = known;
    let root = OptDomain {
        lo: problem.vars.iter().map(|v| v.lo).collect(),
        hi: problem.vars.iter().map(|v| v.hi).collect(),
        upper: f64::INFINITY,
        prior: None,
    };
    if root.lo.iter().chain(&root.hi).any(|v| !v.is_finite()) {
        return Optimum {
            upper: f64::INFINITY,
            best,
            closed: false,
            domains: 0,
        };
    }
    let mut queue = BinaryHeap::new();
    let mut seq = 0u64;
    // Keyed by minus the upper bound: the largest upper bound first.
    queue.push(Queued {
        key: f64::NEG_INFINITY,
        seq,
        domain: root,
    });
    let mut stuck_upper = f64::NEG_INFINITY;
    // The largest upper bound of a domain dropped because a found point was within the
    // tolerance of it: the optimum may still lie there, up to that bound.
    let mut pruned_upper = f64::NEG_INFINITY;
    let mut done = 0usize;
    let threads = options.threads.max(1);
    let start = Instant::now();
    let mut last_report = start;
    let best_value = |b: &Option<(Witness, f64)>| b.as_ref().map_or(f64::NEG_INFINITY, |x| x.1);
    let upper_now = |q: &BinaryHeap<Queued<OptDomain>>, stuck: f64| {
        q.peek().map_or(f64::NEG_INFINITY, |x| -x.key).max(stuck)
    };
    let tol = |b: f64| TOL_REL * (1.0 + b.abs());
    loop {
        let (u, b) = (upper_now(&queue, stuck_upper), best_value(&best));
        if u <= b + tol(b) || queue.is_empty() {
            break;
        }
        if Instant::now() >= options.deadline {
            break;
        }
        let per_domain = 16 * problem.vars.len() + 256;
        if queue.len() * per_domain > options.max_memory {
            break;
        }
        if let Some(p) = &options.progress
            && last_report.elapsed().as_secs_f64() >= PROGRESS_EVERY
        {
            last_report = Instant::now();
            (p.0)(&format!(
                "branch and bound {:.1}s: {done} domains, {} waiting, optimum in [{b:.6e}, {u:.6e}]",
                start.elapsed().as_secs_f64(),
                queue.len(),
            ));
        }
        let take = (threads * super::BATCH_PER_THREAD).min(queue.len());
        let batch: Vec<OptDomain> = (0..take)
            .filter_map(|_| queue.pop().map(|q| q.domain))
            .collect();
        let Some(results) = super::run_parallel(batch, threads, |d| {
            let mut found = Vec::new();
            let step = search.process(d, &mut found);
            (step, found)
        }) else {
            // A worker panicked: the bound of its domains is lost.
            return Optimum {
                upper: f64::INFINITY,
                best,
                closed: false,
                domains: done,
            };
        };
        done += results.len();
        let mut opened = Vec::new();
        for (step, found) in results {
            for (w, v) in found {
                if v > best_value(&best) {
                    best = Some((w, v));
                }
            }
            if let OptStep::Open { d, split } = step {
                opened.push((d, split));
            }
        }
        let b = best_value(&best);
        for (d, split) in opened {
            if d.upper <= b + tol(b) {
                pruned_upper = pruned_upper.max(d.upper);
                continue;
            }
            match split {
                None => stuck_upper = stuck_upper.max(d.upper),
                Some(i) => {
                    let mid = 0.5 * (d.lo[i] + d.hi[i]);
                    let mut left = OptDomain {
                        lo: d.lo.clone(),
                        hi: d.hi.clone(),
                        upper: d.upper,
                        prior: d.prior.clone(),
                    };
                    left.hi[i] = mid;
                    let mut right = d;
                    right.lo[i] = mid;
                    for child in [left, right] {
                        seq += 1;
                        queue.push(Queued {
                            key: -child.upper,
                            seq,
                            domain: child,
                        });
                    }
                }
            }
        }
    }
    let b = best_value(&best);
    let upper = upper_now(&queue, stuck_upper).max(pruned_upper).max(b);
    let closed = upper <= b + tol(b);
    Optimum {
        upper,
        best,
        closed,
        domains: done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::seeded::{Lcg, mlp};
    use propc_compiler::ir::{Application, Goal, QuantVar, Ref, Var};
    use std::time::Duration;

    /// `maximize f(y)[0] - f(x)[0]` over `x, y` in `[0, 1]^2` with `|x_j - y_j| <= d`:
    /// the bound is above every sampled pair, the best point is a real one below it,
    /// and on these small networks the gap closes.
    #[test]
    fn query_bound_covers_samples_and_closes() {
        for seed in 0..4u64 {
            let net = mlp(&[2, 6, 6, 1], 3 + 17 * seed, 0.5);
            let d = 0.1;
            let v = |i: usize| LinExpr::var(Ref::Var(i));
            let mut premise = Vec::new();
            for j in 0..2 {
                let diff = v(j).sub(&v(2 + j));
                premise.push(LinAtom {
                    expr: diff.add(&LinExpr::constant(-d)),
                    rel: Rel::Le,
                });
                premise.push(LinAtom {
                    expr: diff.scale(-1.0).add(&LinExpr::constant(-d)),
                    rel: Rel::Le,
                });
            }
            let objective = LinExpr::var(Ref::Out { app: 1, index: 0 })
                .sub(&LinExpr::var(Ref::Out { app: 0, index: 0 }));
            let p = Problem {
                name: "q".into(),
                sample: None,
                vars: (0..4)
                    .map(|i| Var {
                        name: format!("v{i}"),
                        lo: 0.0,
                        hi: 1.0,
                    })
                    .collect(),
                inputs: vec![
                    QuantVar {
                        name: "x".into(),
                        shape: vec![2],
                        coords: vec![v(0), v(1)],
                    },
                    QuantVar {
                        name: "y".into(),
                        shape: vec![2],
                        coords: vec![v(2), v(3)],
                    },
                ],
                applications: vec![
                    Application {
                        network: 0,
                        input: vec![v(0), v(1)],
                        outputs: 1,
                    },
                    Application {
                        network: 0,
                        input: vec![v(2), v(3)],
                        outputs: 1,
                    },
                ],
                premise,
                goal: Goal::Optimize {
                    sense: propc_compiler::ir::Sense::Maximize,
                    objectives: vec![objective.clone()],
                    regions: vec![vec![]],
                },
            };
            let nets = [&net];
            let opts = BabOptions::new(Instant::now() + Duration::from_secs(20));
            let opt = maximize(&p, &[vec![]], &[objective], 1.0, &nets, &opts, None);
            let (w, best) = opt.best.clone().expect("a point");
            assert!(best <= opt.upper && (w.value - best).abs() < 1e-12);
            let mut rnd = Lcg(seed);
            let mut sampled = f64::NEG_INFINITY;
            for _ in 0..20000 {
                let x = [0.5 + 0.5 * rnd.next(), 0.5 + 0.5 * rnd.next()];
                let y = [
                    (x[0] + d * rnd.next()).clamp(0.0, 1.0),
                    (x[1] + d * rnd.next()).clamp(0.0, 1.0),
                ];
                let (fy, fx) = (net.eval(&y).expect("eval"), net.eval(&x).expect("eval"));
                sampled = sampled.max(fy[0] - fx[0]);
            }
            assert!(
                opt.upper >= sampled,
                "seed {seed}: bound {} below a sampled value {sampled}",
                opt.upper
            );
            assert!(
                opt.closed,
                "seed {seed}: gap [{best}, {}] still open",
                opt.upper
            );
        }
    }
}
