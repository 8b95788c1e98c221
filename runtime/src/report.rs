//! The machine-readable report of a `propc verify` run, and its stable JSON schema.
//!
//! Takes: the spec path, the compiled [`Program`] and one [`Outcome`] per problem
//! (same order as `Program::problems`), or the outcomes of some work units with their
//! indices (`Report::from_units`, for `--shard`).
//! Gives: [`Report`], serializable with serde (`serde_json::to_string_pretty`).
//! Invariant: the field names and shapes below are a stable interface; new fields may
//! be added, existing ones are never renamed or repurposed. Floats are plain JSON
//! numbers (a non-finite value, which the runtime avoids, would print as `null`).
//!
//! ## Schema
//!
//! ```text
//! {
//!   "propc_version": "0.1.0",
//!   "spec": "specs/auto_mpg/monotone.prop",
//!   "shard": { "index": 2, "count": 4 },   // only for `propc check --shard 2/4`
//!   "units": 6,                         // number of work units of the whole spec
//!   "results": [ <property result> | <query result>, ... ],
//!   "datasets": [                       // only when the results have dataset properties
//!     { "name": "robust", "samples": 6, "holds": 3, "violated": 2, "unknown": 1,
//!       "violated_samples": [1, 4], "unknown_samples": [5] }
//!   ]
//! }
//! ```
//!
//! `datasets` (added later, optional for readers) summarizes each dataset property's
//! samples of this report (of this shard, for a shard's report).
//!
//! A *work unit* is one property instance or query: `results` of an unsharded run has
//! one entry per unit, in program order, and each entry's `unit` is its 0-based global
//! index. A shard's report (`shard` present) has only the entries of its units; `propc
//! report merge` combines the shards of one run into the unsharded report. `shard`,
//! `units` and `unit` were added after the first version of the schema, so a reader
//! treats them as optional.
//!
//! A property result (one per property instance; one per dataset sample for
//! `for (x0, c) in data` properties):
//!
//! ```text
//! {
//!   "name": "mpg_falls_with_weight",
//!   "sample": 3,                        // only for dataset properties (0-based row)
//!   "unit": 7,                          // the global index of the work unit
//!   "kind": "property",
//!   "verdict": "holds" | "violated" | "unknown",
//!   "method": "trivial" | "ibp" | "crown" | "attack" | "bab" | "milp" | "transitivity",
//!   "seconds": 0.42,
//!   "counterexample": {                 // only when violated
//!     "inputs": { "x": [0.1, ...], "y": [0.1, ...] },  // quantified variables, spec order
//!     "applications": [ { "network": "f", "input": [...], "output": [...] } ],
//!     "goal": 0,                        // index of the violated goal disjunct
//!     "margin": -0.03                   // max over its atoms of e (|e| - 1e-9 for ==), <= 0
//!   },
//!   "reason": "...",                    // only when unknown
//!   "margin_lower_bound": -0.5          // only when unknown and known
//! }
//! ```
//!
//! A query result:
//!
//! ```text
//! {
//!   "name": "output_variation",
//!   "unit": 8,                          // the global index of the work unit
//!   "kind": "query",
//!   "lower": 0.12,                      // null when unknown
//!   "upper": 0.13,                      // null when unknown
//!   "witness": {                        // null when no admissible point was found
//!     "inputs": { ... }, "applications": [ ... ],
//!     "value": 0.12                     // the query's value at the witness
//!   },
//!   "exact": true,                      // the proven end is attained by the witness
//!   "method": "milp",                   // how the proven end was obtained
//!   "seconds": 1.5,
//!   "reason": "..."                     // only when some part timed out or failed
//! }
//! ```
//!
//! When maximizing, `lower` is the witness's value and `upper` is the proven bound;
//! when minimizing, the reverse. An empty query region gives `lower` = `upper` =
//! `null`, `exact` = `true` and a `reason`.

use crate::verify::{AppValue, Outcome};
use propc_compiler::ir::{Problem, Program};
use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub propc_version: String,
    pub spec: String,
    /// Present in the report of one shard of a run (`propc check --shard i/n`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The number of work units (property instances and queries) of the whole spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub units: Option<usize>,
    pub results: Vec<ResultEntry>,
    /// One summary per dataset property (`for (x0, c) in data`) of the results, in
    /// order of first appearance; absent when there is none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetSummary>,
}

/// The samples of one dataset property by verdict.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetSummary {
    pub name: String,
    pub samples: usize,
    pub holds: usize,
    pub violated: usize,
    pub unknown: usize,
    /// The rows (0-based) of the violated samples, each with a counterexample in its
    /// result entry.
    pub violated_samples: Vec<usize>,
    pub unknown_samples: Vec<usize>,
}

impl DatasetSummary {
    /// The summaries of `results`' dataset properties.
    pub fn of(results: &[ResultEntry]) -> Vec<DatasetSummary> {
        let mut out: Vec<DatasetSummary> = Vec::new();
        for r in results {
            let ResultEntry::Property(p) = r else {
                continue;
            };
            let Some(sample) = p.sample else { continue };
            let k = match out.iter().position(|d| d.name == p.name) {
                Some(k) => k,
                None => {
                    out.push(DatasetSummary {
                        name: p.name.clone(),
                        samples: 0,
                        holds: 0,
                        violated: 0,
                        unknown: 0,
                        violated_samples: Vec::new(),
                        unknown_samples: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let d = &mut out[k];
            d.samples += 1;
            match p.verdict {
                Verdict::Holds => d.holds += 1,
                Verdict::Violated => {
                    d.violated += 1;
                    d.violated_samples.push(sample);
                }
                Verdict::Unknown => {
                    d.unknown += 1;
                    d.unknown_samples.push(sample);
                }
            }
        }
        out
    }
}

/// Which shard of a run a report covers: `index` is 1-based, `1..=count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ResultEntry {
    Property(PropertyResult),
    Query(QueryResult),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Holds,
    Violated,
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PropertyResult {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<usize>,
    /// The global index of the work unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<usize>,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterexample: Option<PointJson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin_lower_bound: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<usize>,
    /// The global index of the work unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<usize>,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
    pub witness: Option<PointJson>,
    pub exact: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub seconds: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A point: the quantified variables and every network application there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointJson {
    pub inputs: NamedValues,
    pub applications: Vec<AppJson>,
    /// Counterexamples: the violated goal disjunct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<usize>,
    /// Counterexamples: how deep inside the violation the point is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
    /// Witnesses: the query's value at the point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppJson {
    pub network: String,
    pub input: Vec<f64>,
    pub output: Vec<f64>,
}

/// `name -> values`, serialized as a JSON object in the spec's order.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct NamedValues(pub Vec<(String, Vec<f64>)>);

impl Serialize for NamedValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for NamedValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NamedValues, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = NamedValues;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of number arrays")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<NamedValues, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = a.next_entry::<String, Vec<f64>>()? {
                    out.push((k, v));
                }
                Ok(NamedValues(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn apps_json(program: &Program, apps: &[AppValue]) -> Vec<AppJson> {
    apps.iter()
        .map(|a| AppJson {
            network: program
                .networks
                .get(a.network)
                .map(|n| n.name.clone())
                .unwrap_or_else(|| format!("#{}", a.network)),
            input: a.input.clone(),
            output: a.output.clone(),
        })
        .collect()
}

/// The report entry of one problem and its outcome (`unit` not set).
fn entry(program: &Program, p: &Problem, o: &Outcome) -> ResultEntry {
    let (name, sample) = (p.name.clone(), p.sample);
    if p.is_query() {
        let q = QueryResult {
            name,
            sample,
            unit: None,
            lower: None,
            upper: None,
            witness: None,
            exact: false,
            method: None,
            seconds: o.seconds(),
            reason: None,
        };
        return ResultEntry::Query(match o {
            Outcome::Bound {
                lower,
                upper,
                witness,
                exact,
                method,
                reason,
                ..
            } => QueryResult {
                lower: *lower,
                upper: *upper,
                witness: witness.as_ref().map(|w| PointJson {
                    inputs: NamedValues(w.inputs.clone()),
                    applications: apps_json(program, &w.applications),
                    goal: None,
                    margin: None,
                    value: Some(w.value),
                }),
                exact: *exact,
                method: Some(method.name().to_string()),
                reason: reason.clone(),
                ..q
            },
            Outcome::Unknown { reason, .. } => QueryResult {
                reason: Some(reason.clone()),
                ..q
            },
            Outcome::Holds { .. } | Outcome::Violated { .. } => QueryResult {
                reason: Some("internal error: a query got a property verdict".into()),
                ..q
            },
        });
    }
    let r = PropertyResult {
        name,
        sample,
        unit: None,
        verdict: Verdict::Unknown,
        method: None,
        seconds: o.seconds(),
        counterexample: None,
        reason: None,
        margin_lower_bound: None,
    };
    ResultEntry::Property(match o {
        Outcome::Holds { method, .. } => PropertyResult {
            verdict: Verdict::Holds,
            method: Some(method.name().to_string()),
            ..r
        },
        Outcome::Violated {
            counterexample: c,
            method,
            ..
        } => PropertyResult {
            verdict: Verdict::Violated,
            method: Some(method.name().to_string()),
            counterexample: Some(PointJson {
                inputs: NamedValues(c.inputs.clone()),
                applications: apps_json(program, &c.applications),
                goal: Some(c.goal_index),
                margin: Some(c.margin),
                value: None,
            }),
            ..r
        },
        Outcome::Unknown {
            reason,
            margin_lower_bound,
            ..
        } => PropertyResult {
            reason: Some(reason.clone()),
            margin_lower_bound: *margin_lower_bound,
            ..r
        },
        Outcome::Bound { .. } => PropertyResult {
            reason: Some("internal error: a property got a query bound".into()),
            ..r
        },
    })
}

impl Report {
    /// One entry per problem; `outcomes[i]` belongs to `program.problems[i]` (extra
    /// problems or outcomes are ignored).
    pub fn from_outcomes(spec: &str, program: &Program, outcomes: &[Outcome]) -> Report {
        let results = program
            .problems
            .iter()
            .zip(outcomes)
            .map(|(p, o)| entry(program, p, o))
            .collect::<Vec<_>>();
        Report {
            propc_version: env!("CARGO_PKG_VERSION").to_string(),
            spec: spec.to_string(),
            shard: None,
            units: None,
            datasets: DatasetSummary::of(&results),
            results,
        }
    }

    /// The report of some work units: `units[j] = (k, outcome)` gives the outcome of
    /// `program.problems[k]`; every entry carries its `unit` index and the report the
    /// program's number of units. Indices out of range are skipped.
    pub fn from_units(spec: &str, program: &Program, units: &[(usize, &Outcome)]) -> Report {
        let mut results = Vec::with_capacity(units.len());
        for &(k, o) in units {
            let Some(p) = program.problems.get(k) else {
                continue;
            };
            let mut e = entry(program, p, o);
            e.set_unit(Some(k));
            results.push(e);
        }
        Report {
            units: Some(program.problems.len()),
            datasets: DatasetSummary::of(&results),
            results,
            ..Report::from_outcomes(spec, program, &[])
        }
    }

    /// Whether some property is violated.
    pub fn any_violated(&self) -> bool {
        self.results
            .iter()
            .any(|r| matches!(r, ResultEntry::Property(p) if p.verdict == Verdict::Violated))
    }

    /// Whether some property is unknown or some query has no proven bound.
    pub fn any_unsettled(&self) -> bool {
        self.results.iter().any(|r| match r {
            ResultEntry::Property(p) => p.verdict == Verdict::Unknown,
            ResultEntry::Query(q) => !q.is_bounded(),
        })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

impl ResultEntry {
    /// The global index of the work unit, when the report records it.
    pub fn unit(&self) -> Option<usize> {
        match self {
            ResultEntry::Property(p) => p.unit,
            ResultEntry::Query(q) => q.unit,
        }
    }

    pub fn set_unit(&mut self, unit: Option<usize>) {
        match self {
            ResultEntry::Property(p) => p.unit = unit,
            ResultEntry::Query(q) => q.unit = unit,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            ResultEntry::Property(p) => &p.name,
            ResultEntry::Query(q) => &q.name,
        }
    }
}

impl QueryResult {
    /// Whether the query's proven end is known (or its region is empty), read from the
    /// report alone: the witness supplies one end (`lower` when maximizing, `upper`
    /// when minimizing), so an end beyond the witness's is the proven one.
    pub fn is_bounded(&self) -> bool {
        let ends = usize::from(self.lower.is_some()) + usize::from(self.upper.is_some());
        if ends == 0 {
            // An empty region (exact) or an unknown query.
            return self.exact;
        }
        ends > usize::from(self.witness.is_some())
    }
}
