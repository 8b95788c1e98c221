//! Branch and bound on the inputs: the IR variables' box split until every piece is
//! proved or a counterexample is found.
//!
//! Takes: a property [`Problem`] (its goal disjuncts), its networks and [`BabOptions`]
//! (deadline, threads, frontier cap).
//! Gives: a [`BabOutcome`]: `Verified` (no point of the box satisfies the premise and
//! a goal disjunct), `Violated` with a counterexample re-checked in f64
//! ([`crate::verify::confirm_counterexample`]), or `Stopped` with the reason and the
//! best lower bound of the violation margin over the domains left (anytime).
//! Invariant: `Verified` only when every domain of a partition of the box was
//! verified by [`domain`]'s sound rules; a time-out, the frontier cap or a domain too
//! small to split give `Stopped`, never `Verified`. Domains wait in a priority queue,
//! the lowest margin bound first (the most violated region is explored first, so
//! counterexamples come early and the global bound rises); each round takes a batch
//! of them and bounds it on `threads` threads; the result does not depend on the
//! number of threads (batches are formed and merged in a fixed order).
//!
//! Input splitting pays when the variables are few (ACAS Xu's 5, the relational
//! properties of small tabular networks); `crate::verify` calls it only then.

mod domain;
pub mod optimize;

use crate::network::Network;
use crate::verify::{Counterexample, ProgressSink};
use domain::{Domain, Plan, Step};
use propc_compiler::ir::{LinAtom, Problem};
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Settings of one branch-and-bound run.
#[derive(Clone, Debug)]
pub struct BabOptions {
    pub deadline: Instant,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Memory cap in bytes: stop (`Stopped`, never a verdict) when the waiting domains
    /// would take more than this. A domain keeps its box (`16 · variables` bytes) and
    /// shares its parent's boxes of every network value (`16 · values / 2` bytes).
    pub max_memory: usize,
    /// Status lines (domains bounded, waiting, margin bound), a few per second.
    pub progress: Option<ProgressSink>,
}

impl BabOptions {
    pub fn new(deadline: Instant) -> BabOptions {
        BabOptions {
            deadline,
            threads: 1,
            max_memory: DEFAULT_MEMORY,
            progress: None,
        }
    }
}

/// What branch and bound decided.
#[derive(Clone, Debug)]
pub enum BabOutcome {
    Verified {
        domains: usize,
    },
    Violated {
        counterexample: Box<Counterexample>,
        domains: usize,
    },
    Stopped {
        reason: String,
        /// The smallest lower bound of the violation margin over the domains left.
        margin_lower_bound: Option<f64>,
        domains: usize,
    },
}

/// A domain in a queue: the smallest `key` first, then the oldest (`seq`). Property
/// domains are keyed by their margin lower bound, query domains by minus their upper
/// bound.
pub(crate) struct Queued<D> {
    pub key: f64,
    pub seq: u64,
    pub domain: D,
}

impl<D> PartialEq for Queued<D> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl<D> Eq for Queued<D> {}
impl<D> PartialOrd for Queued<D> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<D> Ord for Queued<D> {
    fn cmp(&self, other: &Self) -> Ordering {
        // BinaryHeap pops the greatest: the smallest key, then the smallest seq.
        other
            .key
            .total_cmp(&self.key)
            .then(other.seq.cmp(&self.seq))
    }
}

/// The default memory cap of branch and bound: 2 GiB.
pub const DEFAULT_MEMORY: usize = 2 << 30;

/// Seconds between two progress reports.
const PROGRESS_EVERY: f64 = 0.5;

/// Domains per thread in one round.
const BATCH_PER_THREAD: usize = 16;

/// Runs input branch and bound on the goal disjuncts `open` (indices into `goals`)
/// over the problem's variable boxes.
pub fn input_split(
    problem: &Problem,
    goals: &[Vec<LinAtom>],
    open: &[usize],
    networks: &[&Network],
    options: &BabOptions,
) -> BabOutcome {
    let mut plan = Plan::new(problem, goals, networks);
    let atoms: Vec<&propc_compiler::ir::LinExpr> = open
        .iter()
        .filter_map(|g| goals.get(*g))
        .flatten()
        .map(|a| &a.expr)
        .collect();
    plan.prefer_tighter(&atoms);
    // Bytes per waiting domain (see `BabOptions::max_memory`), hence the frontier cap.
    let values: usize = problem
        .applications
        .iter()
        .filter_map(|a| networks.get(a.network))
        .map(|n| n.input_size() + n.nodes.iter().map(|x| x.size()).sum::<usize>())
        .sum();
    let per_domain = 16 * problem.vars.len() + 8 * values + 128;
    let max_frontier = (options.max_memory / per_domain).max(1);
    let root = Domain {
        lo: problem.vars.iter().map(|v| v.lo).collect(),
        hi: problem.vars.iter().map(|v| v.hi).collect(),
        open: open.to_vec(),
        bound: f64::NEG_INFINITY,
        depth: 0,
        prior: None,
    };
    if root.lo.iter().chain(&root.hi).any(|v| !v.is_finite()) {
        return BabOutcome::Stopped {
            reason: "a variable has an unbounded range".into(),
            margin_lower_bound: None,
            domains: 0,
        };
    }
    let mut queue = BinaryHeap::new();
    let mut seq = 0u64;
    queue.push(Queued {
        key: root.bound,
        seq,
        domain: root,
    });
    let mut stuck: Vec<Domain> = Vec::new();
    let mut done = 0usize;
    let threads = options.threads.max(1);
    let low = |queue: &BinaryHeap<Queued<Domain>>, stuck: &[Domain]| -> Option<f64> {
        let m = queue
            .iter()
            .map(|q| q.key)
            .chain(stuck.iter().map(|d| d.bound))
            .fold(f64::INFINITY, f64::min);
        m.is_finite().then_some(m)
    };
    let start = Instant::now();
    let mut last_report = start;
    while !queue.is_empty() {
        if let Some(p) = &options.progress
            && last_report.elapsed().as_secs_f64() >= PROGRESS_EVERY
        {
            last_report = Instant::now();
            let bound = low(&queue, &stuck).map_or("-inf".to_string(), |m| format!("{m:.4e}"));
            (p.0)(&format!(
                "branch and bound {:.0}s: {done} domains bounded, {} waiting, margin >= {bound}",
                start.elapsed().as_secs_f64(),
                queue.len() + stuck.len(),
            ));
        }
        if Instant::now() >= options.deadline {
            return BabOutcome::Stopped {
                reason: format!(
                    "time limit reached in branch and bound ({done} domains bounded, {} left)",
                    queue.len() + stuck.len()
                ),
                margin_lower_bound: low(&queue, &stuck),
                domains: done,
            };
        }
        if queue.len() > max_frontier {
            return BabOutcome::Stopped {
                reason: format!(
                    "branch and bound stopped at its memory cap of {} MiB ({max_frontier} waiting domains)",
                    options.max_memory >> 20
                ),
                margin_lower_bound: low(&queue, &stuck),
                domains: done,
            };
        }
        let take = (threads * BATCH_PER_THREAD).min(queue.len());
        let batch: Vec<Domain> = (0..take)
            .filter_map(|_| queue.pop().map(|q| q.domain))
            .collect();
        let Some(steps) = run_batch(&plan, batch, threads) else {
            // A worker panicked: its domains are lost, so nothing may be concluded.
            return BabOutcome::Stopped {
                reason: "internal error: a branch-and-bound worker failed".into(),
                margin_lower_bound: None,
                domains: done,
            };
        };
        done += steps.len();
        for step in steps {
            match step {
                Step::Verified => {}
                Step::Violated(cex) => {
                    return BabOutcome::Violated {
                        counterexample: cex,
                        domains: done,
                    };
                }
                Step::Split(children) => {
                    for child in *children {
                        seq += 1;
                        queue.push(Queued {
                            key: child.bound,
                            seq,
                            domain: child,
                        });
                    }
                }
                Step::Stuck(d) => stuck.push(d),
            }
        }
    }
    if stuck.is_empty() {
        BabOutcome::Verified { domains: done }
    } else {
        BabOutcome::Stopped {
            reason: format!(
                "{} domains are too small to split and still undecided",
                stuck.len()
            ),
            margin_lower_bound: low(&queue, &stuck),
            domains: done,
        }
    }
}

/// Bounds a batch of domains on `threads` threads; the steps come back in batch order
/// (`None` if a worker panicked).
fn run_batch(plan: &Plan, batch: Vec<Domain>, threads: usize) -> Option<Vec<Step>> {
    run_parallel(batch, threads, |d| plan.process(d))
}

/// `f` on every item, on `threads` threads in contiguous chunks; the results in item
/// order (`None` if a worker panicked).
fn run_parallel<T: Send, R: Send>(
    batch: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> R + Sync,
) -> Option<Vec<R>> {
    if threads <= 1 || batch.len() <= 1 {
        return Some(batch.into_iter().map(&f).collect());
    }
    let f = &f;
    let per = batch.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut it = batch.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(per).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| s.spawn(move || chunk.into_iter().map(f).collect::<Vec<_>>()))
            .collect();
        let mut steps = Vec::new();
        for h in handles {
            steps.extend(h.join().ok()?);
        }
        Some(steps)
    })
}

#[cfg(test)]
mod tests;
