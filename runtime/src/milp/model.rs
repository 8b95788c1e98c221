//! A solver-neutral MILP model: plain data that the encoder builds, the backends
//! translate to good_lp, and [`super::to_lp_text`] prints.
//!
//! Takes: nothing (data only).
//! Gives: [`Lin`] (sparse affine expressions), [`Model`] (variables with bounds and
//! integrality, rows `expr REL 0`, one objective) and its CPLEX-LP text.
//! Invariant: a [`Lin`]'s terms are sorted by variable index, distinct, with no zero
//! coefficient; everything is deterministic (no hash maps), so the LP text is stable.

use std::fmt::Write;

/// `Σ coef · var + constant` over model variable indices.
#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Lin {
    pub terms: Vec<(usize, f64)>,
    pub constant: f64,
}

impl Lin {
    pub fn constant(c: f64) -> Lin {
        Lin {
            terms: Vec::new(),
            constant: c,
        }
    }

    pub fn var(i: usize) -> Lin {
        Lin {
            terms: vec![(i, 1.0)],
            constant: 0.0,
        }
    }

    /// Sorts, merges and drops zero coefficients.
    pub fn from_terms(mut terms: Vec<(usize, f64)>, constant: f64) -> Lin {
        terms.sort_by_key(|t| t.0);
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(terms.len());
        for (v, c) in terms {
            match out.last_mut() {
                Some((lv, lc)) if *lv == v => *lc += c,
                _ => out.push((v, c)),
            }
        }
        out.retain(|(_, c)| *c != 0.0);
        Lin {
            terms: out,
            constant,
        }
    }

    pub fn scale(&self, k: f64) -> Lin {
        if k == 0.0 {
            return Lin::constant(0.0);
        }
        Lin {
            terms: self.terms.iter().map(|(v, c)| (*v, c * k)).collect(),
            constant: self.constant * k,
        }
    }

    /// `self + k · other`
    pub fn add_scaled(&self, other: &Lin, k: f64) -> Lin {
        let mut terms = self.terms.clone();
        terms.extend(other.terms.iter().map(|(v, c)| (*v, c * k)));
        Lin::from_terms(terms, self.constant + k * other.constant)
    }

    pub fn eval(&self, x: &[f64]) -> f64 {
        self.constant
            + self
                .terms
                .iter()
                .map(|(v, c)| c * x.get(*v).copied().unwrap_or(f64::NAN))
                .sum::<f64>()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MVar {
    pub name: String,
    pub lo: f64,
    pub hi: f64,
    pub integer: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowRel {
    Le,
    Eq,
    Ge,
}

/// `expr REL 0`
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub name: String,
    pub expr: Lin,
    pub rel: RowRel,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub(crate) struct Model {
    pub vars: Vec<MVar>,
    pub rows: Vec<Row>,
    pub objective: Lin,
    pub maximize: bool,
    /// Free-text lines printed at the top of the LP text.
    pub comments: Vec<String>,
    /// Advisory starting values (model variable, value) for backends that take them;
    /// never printed, never trusted.
    pub hint: Vec<(usize, f64)>,
}

impl Model {
    pub fn add_var(&mut self, name: String, lo: f64, hi: f64, integer: bool) -> usize {
        self.vars.push(MVar {
            name,
            lo,
            hi,
            integer,
        });
        self.vars.len() - 1
    }

    pub fn add_row(&mut self, name: String, expr: Lin, rel: RowRel) {
        self.rows.push(Row { name, expr, rel });
    }

    /// CPLEX LP format. Variable and row names are the model's; numbers use Rust's
    /// shortest round-trip formatting, so the text is deterministic and exact.
    pub fn lp_text(&self) -> String {
        let mut s = String::new();
        for c in &self.comments {
            let _ = writeln!(s, "\\ {c}");
        }
        let _ = writeln!(
            s,
            "{}",
            if self.maximize {
                "Maximize"
            } else {
                "Minimize"
            }
        );
        let obj = self.lin_text(&self.objective.terms);
        let _ = writeln!(
            s,
            " obj: {}",
            if obj.is_empty() { "0".to_string() } else { obj }
        );
        if self.objective.constant != 0.0 {
            let _ = writeln!(s, "\\ objective constant: {}", num(self.objective.constant));
        }
        let _ = writeln!(s, "Subject To");
        for r in &self.rows {
            let lhs = self.lin_text(&r.expr.terms);
            let lhs = if lhs.is_empty() {
                "0 x0".to_string()
            } else {
                lhs
            };
            let op = match r.rel {
                RowRel::Le => "<=",
                RowRel::Eq => "=",
                RowRel::Ge => ">=",
            };
            let _ = writeln!(s, " {}: {lhs} {op} {}", r.name, num(-r.expr.constant));
        }
        let _ = writeln!(s, "Bounds");
        for v in &self.vars {
            if v.integer && v.lo == 0.0 && v.hi == 1.0 {
                continue;
            }
            match (v.lo.is_finite(), v.hi.is_finite()) {
                (true, true) if v.lo == v.hi => {
                    let _ = writeln!(s, " {} = {}", v.name, num(v.lo));
                }
                (true, true) => {
                    let _ = writeln!(s, " {} <= {} <= {}", num(v.lo), v.name, num(v.hi));
                }
                (true, false) => {
                    let _ = writeln!(s, " {} >= {}", v.name, num(v.lo));
                }
                (false, true) => {
                    let _ = writeln!(s, " -inf <= {} <= {}", v.name, num(v.hi));
                }
                (false, false) => {
                    let _ = writeln!(s, " {} free", v.name);
                }
            }
        }
        let bins: Vec<&str> = self
            .vars
            .iter()
            .filter(|v| v.integer && v.lo == 0.0 && v.hi == 1.0)
            .map(|v| v.name.as_str())
            .collect();
        if !bins.is_empty() {
            let _ = writeln!(s, "Binaries");
            for chunk in bins.chunks(8) {
                let _ = writeln!(s, " {}", chunk.join(" "));
            }
        }
        let ints: Vec<&str> = self
            .vars
            .iter()
            .filter(|v| v.integer && !(v.lo == 0.0 && v.hi == 1.0))
            .map(|v| v.name.as_str())
            .collect();
        if !ints.is_empty() {
            let _ = writeln!(s, "General");
            for chunk in ints.chunks(8) {
                let _ = writeln!(s, " {}", chunk.join(" "));
            }
        }
        let _ = writeln!(s, "End");
        s
    }

    fn lin_text(&self, terms: &[(usize, f64)]) -> String {
        let mut s = String::new();
        for (k, (v, c)) in terms.iter().enumerate() {
            let name = self.vars.get(*v).map(|v| v.name.as_str()).unwrap_or("?");
            let (sign, mag) = if *c < 0.0 { ("-", -c) } else { ("+", *c) };
            if k == 0 {
                if sign == "-" {
                    s.push_str("- ");
                }
            } else {
                let _ = write!(s, " {sign} ");
            }
            if mag == 1.0 {
                s.push_str(name);
            } else {
                let _ = write!(s, "{} {name}", num(mag));
            }
            // LP files are line-oriented; keep lines readable.
            if (k + 1) % 6 == 0 && k + 1 < terms.len() {
                s.push_str("\n   ");
            }
        }
        s
    }
}

/// Shortest round-trip decimal, with infinities spelled the LP way.
pub(crate) fn num(x: f64) -> String {
    if x == f64::INFINITY {
        "inf".to_string()
    } else if x == f64::NEG_INFINITY {
        "-inf".to_string()
    } else if x == 0.0 {
        "0".to_string()
    } else {
        format!("{x}")
    }
}
