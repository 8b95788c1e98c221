//! The results of a VNN-COMP run and their summary: the per-property table, the totals
//! and the contradictions with the expected verdicts.
//!
//! Takes: one [`Row`] per instance (from a run, or read back from `results.csv` files).
//! Gives: [`Summary`]: per VNN-LIB property (the file's stem) the instances, the
//! expected `sat` / `unsat` counts, the verdict counts and the time of the solved
//! instances; the totals; and every contradiction. [`Summary::human`] renders it as a
//! Markdown table, [`Summary::json`] as JSON.
//! Invariant: a contradiction is an instance solved `sat` where `unsat` is expected or
//! the reverse (a soundness bug); `timeout`, `unknown` and `error` never contradict.

use serde::Serialize;
use serde_json::{Value, json};

/// The verdict of one instance, in VNN-COMP's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Some input region has a counterexample, re-checked on the network in f64.
    Sat,
    /// Every input region holds.
    Unsat,
    /// The time limit passed with some region undecided.
    Timeout,
    /// Some region undecided for another reason (a solver failure, an interruption).
    Unknown,
    /// The network or the VNN-LIB file could not be loaded.
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Sat => "sat",
            Verdict::Unsat => "unsat",
            Verdict::Timeout => "timeout",
            Verdict::Unknown => "unknown",
            Verdict::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [
            Verdict::Sat,
            Verdict::Unsat,
            Verdict::Timeout,
            Verdict::Unknown,
            Verdict::Error,
        ]
        .into_iter()
        .find(|v| v.as_str() == s.trim())
    }

    pub fn solved(self) -> bool {
        matches!(self, Verdict::Sat | Verdict::Unsat)
    }
}

/// One line of `results.csv`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Row {
    pub instance: String,
    pub onnx: String,
    pub vnnlib: String,
    pub verdict: Verdict,
    /// Wall-clock seconds, loading included.
    pub seconds: f64,
    /// From `expected_dev.csv` (`sat`, `unsat`, ...), empty when unknown.
    pub expected: String,
    /// The method that decided (`attack`, `ibp+milp`, ...), empty when undecided.
    pub method: String,
    /// The reason of a `timeout` / `unknown`, the message of an `error`.
    pub note: String,
}

impl Row {
    /// `Some(expected)` when the row contradicts its expected verdict.
    pub fn contradiction(&self) -> Option<&str> {
        let want = self.expected.as_str();
        let opposite = match self.verdict {
            Verdict::Sat => "unsat",
            Verdict::Unsat => "sat",
            _ => return None,
        };
        (want == opposite).then_some(want)
    }

    /// The VNN-LIB file's stem: the property the row is an instance of.
    pub fn property(&self) -> String {
        let name = self
            .vnnlib
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&self.vnnlib);
        let name = name.strip_suffix(".gz").unwrap_or(name);
        name.strip_suffix(".vnnlib").unwrap_or(name).to_string()
    }
}

/// The counts of one property, or of all.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Counts {
    pub property: String,
    pub instances: usize,
    pub expected_sat: usize,
    pub expected_unsat: usize,
    pub sat: usize,
    pub unsat: usize,
    pub timeout: usize,
    pub unknown: usize,
    pub error: usize,
    /// Seconds of the solved (`sat` / `unsat`) instances.
    pub solved_seconds: f64,
    /// Seconds of all instances.
    pub seconds: f64,
}

impl Counts {
    fn add(&mut self, r: &Row) {
        self.instances += 1;
        self.expected_sat += usize::from(r.expected == "sat");
        self.expected_unsat += usize::from(r.expected == "unsat");
        match r.verdict {
            Verdict::Sat => self.sat += 1,
            Verdict::Unsat => self.unsat += 1,
            Verdict::Timeout => self.timeout += 1,
            Verdict::Unknown => self.unknown += 1,
            Verdict::Error => self.error += 1,
        }
        if r.verdict.solved() {
            self.solved_seconds += r.seconds;
        }
        self.seconds += r.seconds;
    }

    pub fn solved(&self) -> usize {
        self.sat + self.unsat
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Contradiction {
    pub instance: String,
    pub verdict: Verdict,
    pub expected: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// In natural order of the property names (`prop_2` before `prop_10`).
    pub properties: Vec<Counts>,
    pub total: Counts,
    pub contradictions: Vec<Contradiction>,
}

/// Natural order: digit runs compare as numbers.
fn natural_key(s: &str) -> Vec<(u8, u128, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            let (d, r) = rest.split_at(digits);
            out.push((0, d.parse().unwrap_or(u128::MAX), d.to_string()));
            rest = r;
        } else {
            let end = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let (t, r) = rest.split_at(end);
            out.push((1, 0, t.to_string()));
            rest = r;
        }
    }
    out
}

impl Summary {
    pub fn of(rows: &[Row]) -> Summary {
        let mut properties: Vec<Counts> = Vec::new();
        let mut total = Counts {
            property: "total".into(),
            ..Counts::default()
        };
        let mut contradictions = Vec::new();
        for r in rows {
            let name = r.property();
            let i = match properties.iter().position(|p| p.property == name) {
                Some(i) => i,
                None => {
                    properties.push(Counts {
                        property: name,
                        ..Counts::default()
                    });
                    properties.len() - 1
                }
            };
            properties[i].add(r);
            total.add(r);
            if let Some(want) = r.contradiction() {
                contradictions.push(Contradiction {
                    instance: r.instance.clone(),
                    verdict: r.verdict,
                    expected: want.to_string(),
                });
            }
        }
        properties.sort_by_key(|p| natural_key(&p.property));
        Summary {
            properties,
            total,
            contradictions,
        }
    }

    /// The Markdown table, the totals and the contradictions.
    pub fn human(&self) -> String {
        let mut s = String::from(
            "| property | instances | expected sat / unsat | solved sat | solved unsat \
             | timeout | unknown | error | solved time (s) |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
        );
        let line = |c: &Counts, bold: bool| {
            let (b, name) = if bold {
                ("**", format!("**{}**", c.property))
            } else {
                ("", c.property.clone())
            };
            format!(
                "| {name} | {} | {} / {} | {b}{}{b} | {b}{}{b} | {} | {} | {} | {:.1} |\n",
                c.instances,
                c.expected_sat,
                c.expected_unsat,
                c.sat,
                c.unsat,
                c.timeout,
                c.unknown,
                c.error,
                c.solved_seconds
            )
        };
        for p in &self.properties {
            s.push_str(&line(p, false));
        }
        s.push_str(&line(&self.total, true));
        let t = &self.total;
        s.push_str(&format!(
            "\nsolved {} of {} ({} sat, {} unsat); timeout {}, unknown {}, error {}\n\
             time of the solved instances: {:.1}s; of all instances: {:.1}s\n",
            t.solved(),
            t.instances,
            t.sat,
            t.unsat,
            t.timeout,
            t.unknown,
            t.error,
            t.solved_seconds,
            t.seconds
        ));
        if self.contradictions.is_empty() {
            s.push_str("contradictions with the expected verdicts: 0\n");
        } else {
            s.push_str(&format!(
                "CONTRADICTIONS with the expected verdicts: {} (a soundness bug)\n",
                self.contradictions.len()
            ));
            for c in &self.contradictions {
                s.push_str(&format!(
                    "  {}: propc says {}, expected {}\n",
                    c.instance,
                    c.verdict.as_str(),
                    c.expected
                ));
            }
        }
        s
    }

    /// `properties`, `total` and `contradictions` as JSON values.
    pub fn json(&self) -> Value {
        json!({
            "properties": self.properties,
            "total": self.total,
            "contradictions": self.contradictions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(vnnlib: &str, verdict: Verdict, expected: &str, seconds: f64) -> Row {
        Row {
            instance: format!("net+{vnnlib}"),
            onnx: "onnx/net.onnx".into(),
            vnnlib: format!("vnnlib/{vnnlib}.vnnlib"),
            verdict,
            seconds,
            expected: expected.into(),
            method: String::new(),
            note: String::new(),
        }
    }

    #[test]
    fn counts_properties_in_natural_order_and_finds_contradictions() {
        let rows = [
            row("prop_10", Verdict::Sat, "sat", 1.0),
            row("prop_2", Verdict::Unsat, "sat", 2.0),
            row("prop_2", Verdict::Timeout, "unsat", 5.0),
            row("prop_2", Verdict::Sat, "", 0.5),
        ];
        let s = Summary::of(&rows);
        let names: Vec<&str> = s.properties.iter().map(|p| p.property.as_str()).collect();
        assert_eq!(names, ["prop_2", "prop_10"]);
        assert_eq!(s.properties[0].instances, 3);
        assert_eq!(s.properties[0].expected_sat, 1);
        assert_eq!(s.properties[0].solved_seconds, 2.5);
        assert_eq!(s.total.solved(), 3);
        assert_eq!(s.total.seconds, 8.5);
        assert_eq!(s.contradictions.len(), 1);
        assert_eq!(s.contradictions[0].instance, "net+prop_2");
        assert!(s.human().contains("CONTRADICTIONS"));
    }
}
