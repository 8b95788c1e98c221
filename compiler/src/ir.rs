//! The constraint IR: the one thing the runtime reads from the compiler.
//!
//! Takes: nothing (data only); built by `normalize`.
//! Gives: for every property instance, a counterexample query
//! `exists vars in boxes. premise and (goal_1 or goal_2 or ...)` where each goal is a
//! conjunction of linear atoms over the variables and the outputs of network
//! applications; for every query, a linear objective to optimize over such a region.
//! Invariant: every `Ref::Var(i)` has `i < vars.len()`; every `Ref::Out { app, index }`
//! has `app < applications.len()` and `index < outputs` of that application; every
//! application's `input` has exactly the network's flattened input size, and its
//! network index is in `Program::networks`. Atoms are `expr REL 0`. `abs`, `min`,
//! `max`, norms, implications and negations are gone. The encoding is exact: a point
//! satisfies the premise and a goal iff it violates the property.

use std::fmt;

/// A compiled spec: its networks and one problem per property instance or query.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub networks: Vec<NetworkSig>,
    pub problems: Vec<Problem>,
}

/// A network the spec declares, with its (static) shapes.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkSig {
    pub name: String,
    pub input: Vec<usize>,
    pub output: Vec<usize>,
}

impl NetworkSig {
    pub fn input_size(&self) -> usize {
        self.input.iter().product()
    }
    pub fn output_size(&self) -> usize {
        self.output.iter().product()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sense {
    Maximize,
    Minimize,
}

/// One counterexample query (a property, or one dataset sample of it) or one query.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The property or query name as declared.
    pub name: String,
    /// For `for (x0, c) in data` properties: the sample's row index (0-based).
    pub sample: Option<usize>,
    /// Scalar decision variables, each ranging over a closed interval.
    pub vars: Vec<Var>,
    /// The user's quantified variables, each coordinate an affine map of `vars` (after
    /// equality merging, two coordinates can be the same variable).
    pub inputs: Vec<QuantVar>,
    /// Network applications; several of one network are the twin / k-copy encoding.
    pub applications: Vec<Application>,
    /// Linear atoms every counterexample (or query point) must satisfy.
    pub premise: Vec<LinAtom>,
    pub goal: Goal,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    /// What the variable stands for, e.g. `x[3]` or `x[0]=y[0]` after merging.
    pub name: String,
    pub lo: f64,
    pub hi: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QuantVar {
    pub name: String,
    pub shape: Vec<usize>,
    /// Coordinate `j` (C order) of the variable.
    pub coords: Vec<LinExpr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Application {
    /// Index into `Program::networks`.
    pub network: usize,
    /// The flattened input (C order), each coordinate affine in the variables.
    pub input: Vec<LinExpr>,
    /// Number of (flattened) outputs; referred to as `Ref::Out { app, index }`.
    pub outputs: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Goal {
    /// The property is violated at a point satisfying the premise and every atom of at
    /// least one of these conjunctions. No conjunction: the property holds trivially;
    /// one empty conjunction: any point of the premise violates it.
    Violation(Vec<Vec<LinAtom>>),
    /// A query: the optimum of `max_k objectives[k]` (maximize) or `min_k` (minimize)
    /// over the premise and the union of the regions (one empty region = the premise).
    Optimize {
        sense: Sense,
        objectives: Vec<LinExpr>,
        regions: Vec<Vec<LinAtom>>,
    },
}

/// A reference to a scalar: a variable or an output of a network application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ref {
    Var(usize),
    Out { app: usize, index: usize },
}

/// `sum(coef * ref) + constant`, with refs sorted and distinct, no zero coefficient.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct LinExpr {
    pub terms: Vec<(Ref, f64)>,
    pub constant: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rel {
    /// `expr <= 0`
    Le,
    /// `expr < 0`
    Lt,
    /// `expr == 0`
    Eq,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LinAtom {
    pub expr: LinExpr,
    pub rel: Rel,
}

/// Tolerance used when an `Eq` atom is checked on a concrete point (solvers return
/// points that satisfy equalities only up to rounding). `Le`/`Lt` atoms are checked
/// exactly.
pub const EQ_TOLERANCE: f64 = 1e-9;

impl LinExpr {
    pub fn constant(c: f64) -> LinExpr {
        LinExpr {
            terms: Vec::new(),
            constant: c,
        }
    }

    pub fn var(r: Ref) -> LinExpr {
        LinExpr {
            terms: vec![(r, 1.0)],
            constant: 0.0,
        }
    }

    /// Sorts the terms, merges duplicates and drops zero coefficients.
    pub fn canonicalize(mut self) -> LinExpr {
        self.terms.sort_by_key(|t| t.0);
        let mut out: Vec<(Ref, f64)> = Vec::with_capacity(self.terms.len());
        for (r, c) in self.terms {
            match out.last_mut() {
                Some((lr, lc)) if *lr == r => *lc += c,
                _ => out.push((r, c)),
            }
        }
        out.retain(|(_, c)| *c != 0.0);
        LinExpr {
            terms: out,
            constant: self.constant,
        }
    }

    pub fn scale(&self, k: f64) -> LinExpr {
        LinExpr {
            terms: self.terms.iter().map(|(r, c)| (*r, c * k)).collect(),
            constant: self.constant * k,
        }
        .canonicalize()
    }

    pub fn add(&self, other: &LinExpr) -> LinExpr {
        let mut terms = self.terms.clone();
        terms.extend_from_slice(&other.terms);
        LinExpr {
            terms,
            constant: self.constant + other.constant,
        }
        .canonicalize()
    }

    pub fn sub(&self, other: &LinExpr) -> LinExpr {
        self.add(&other.scale(-1.0))
    }

    pub fn is_constant(&self) -> bool {
        self.terms.is_empty()
    }

    /// Value at a point: `vars[i]` for `Ref::Var(i)`, `outputs[app][index]` for outputs.
    pub fn eval(&self, vars: &[f64], outputs: &[Vec<f64>]) -> f64 {
        let mut s = self.constant;
        for (r, c) in &self.terms {
            s += c * match *r {
                Ref::Var(i) => vars[i],
                Ref::Out { app, index } => outputs[app][index],
            };
        }
        s
    }
}

impl LinAtom {
    /// Whether the atom holds at a concrete point (exactly for `Le`/`Lt`).
    pub fn holds(&self, vars: &[f64], outputs: &[Vec<f64>]) -> bool {
        let v = self.expr.eval(vars, outputs);
        match self.rel {
            Rel::Le => v <= 0.0,
            Rel::Lt => v < 0.0,
            Rel::Eq => v.abs() <= EQ_TOLERANCE,
        }
    }
}

impl Problem {
    /// Values of every quantified variable's coordinates at a point of `vars`.
    pub fn input_values(&self, vars: &[f64]) -> Vec<Vec<f64>> {
        self.inputs
            .iter()
            .map(|q| q.coords.iter().map(|c| c.eval(vars, &[])).collect())
            .collect()
    }

    /// The concrete inputs of every application at a point of `vars`.
    pub fn application_inputs(&self, vars: &[f64]) -> Vec<Vec<f64>> {
        self.applications
            .iter()
            .map(|a| a.input.iter().map(|c| c.eval(vars, &[])).collect())
            .collect()
    }

    /// Whether the point lies in the variables' boxes and satisfies the premise.
    pub fn premise_holds(&self, vars: &[f64], outputs: &[Vec<f64>]) -> bool {
        vars.len() == self.vars.len()
            && self
                .vars
                .iter()
                .zip(vars)
                .all(|(v, x)| v.lo <= *x && *x <= v.hi)
            && self.premise.iter().all(|a| a.holds(vars, outputs))
    }

    /// For a `Violation` goal: the index of a goal conjunction the point satisfies,
    /// together with the premise (`None` if the point is not a counterexample).
    pub fn violated_goal(&self, vars: &[f64], outputs: &[Vec<f64>]) -> Option<usize> {
        let Goal::Violation(goals) = &self.goal else {
            return None;
        };
        if !self.premise_holds(vars, outputs) {
            return None;
        }
        goals
            .iter()
            .position(|g| g.iter().all(|a| a.holds(vars, outputs)))
    }

    pub fn is_query(&self) -> bool {
        matches!(self.goal, Goal::Optimize { .. })
    }
}

// ----------------------------------------------------------------------------------
// Printing (`propc compile --emit ir`). Floats are printed rounded so snapshots are
// stable across platforms.

/// Rounds to 9 significant decimals for display.
pub fn fmt_num(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{:.9}", x);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

struct ExprDisplay<'a> {
    e: &'a LinExpr,
}

impl fmt::Display for ExprDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (r, c) in &self.e.terms {
            let name = match *r {
                Ref::Var(i) => format!("v{i}"),
                Ref::Out { app, index } => format!("a{app}[{index}]"),
            };
            let (sign, mag) = if *c < 0.0 { ("-", -c) } else { ("+", *c) };
            if first {
                if sign == "-" {
                    write!(f, "-")?;
                }
            } else {
                write!(f, " {sign} ")?;
            }
            if mag == 1.0 {
                write!(f, "{name}")?;
            } else {
                write!(f, "{}*{name}", fmt_num(mag))?;
            }
            first = false;
        }
        if first {
            write!(f, "{}", fmt_num(self.e.constant))?;
        } else if self.e.constant != 0.0 {
            let (sign, mag) = if self.e.constant < 0.0 {
                ("-", -self.e.constant)
            } else {
                ("+", self.e.constant)
            };
            write!(f, " {sign} {}", fmt_num(mag))?;
        }
        Ok(())
    }
}

fn fmt_atom(a: &LinAtom) -> String {
    let rel = match a.rel {
        Rel::Le => "<=",
        Rel::Lt => "<",
        Rel::Eq => "==",
    };
    format!("{} {rel} 0", ExprDisplay { e: &a.expr })
}

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.networks {
            writeln!(f, "network {} : {:?} -> {:?}", n.name, n.input, n.output)?;
        }
        for p in &self.problems {
            writeln!(f)?;
            write!(f, "{}", p.display(&self.networks))?;
        }
        Ok(())
    }
}

impl Problem {
    /// The IR text of this problem, with network names.
    pub fn display(&self, networks: &[NetworkSig]) -> String {
        let mut s = String::new();
        let kind = if self.is_query() { "query" } else { "property" };
        match self.sample {
            Some(i) => s.push_str(&format!("{kind} {} [sample {i}]\n", self.name)),
            None => s.push_str(&format!("{kind} {}\n", self.name)),
        }
        s.push_str(&format!("  vars ({}):\n", self.vars.len()));
        for (i, v) in self.vars.iter().enumerate() {
            s.push_str(&format!(
                "    v{i} in [{}, {}]  ; {}\n",
                fmt_num(v.lo),
                fmt_num(v.hi),
                v.name
            ));
        }
        for q in &self.inputs {
            let coords: Vec<String> = q
                .coords
                .iter()
                .map(|c| ExprDisplay { e: c }.to_string())
                .collect();
            s.push_str(&format!(
                "  input {} : {:?} = [{}]\n",
                q.name,
                q.shape,
                coords.join(", ")
            ));
        }
        for (k, a) in self.applications.iter().enumerate() {
            let name = networks
                .get(a.network)
                .map(|n| n.name.as_str())
                .unwrap_or("?");
            let coords: Vec<String> = a
                .input
                .iter()
                .map(|c| ExprDisplay { e: c }.to_string())
                .collect();
            s.push_str(&format!(
                "  a{k} = {name}([{}]) : {} outputs\n",
                coords.join(", "),
                a.outputs
            ));
        }
        s.push_str(&format!("  premise ({}):\n", self.premise.len()));
        for a in &self.premise {
            s.push_str(&format!("    {}\n", fmt_atom(a)));
        }
        match &self.goal {
            Goal::Violation(goals) => {
                s.push_str(&format!("  violated if any of ({}):\n", goals.len()));
                for (i, g) in goals.iter().enumerate() {
                    let atoms: Vec<String> = g.iter().map(fmt_atom).collect();
                    if atoms.is_empty() {
                        s.push_str(&format!("    g{i}: true\n"));
                    } else {
                        s.push_str(&format!("    g{i}: {}\n", atoms.join(" and ")));
                    }
                }
            }
            Goal::Optimize {
                sense,
                objectives,
                regions,
            } => {
                let word = match sense {
                    Sense::Maximize => "maximize max of",
                    Sense::Minimize => "minimize min of",
                };
                s.push_str(&format!("  {word} ({}):\n", objectives.len()));
                for o in objectives {
                    s.push_str(&format!("    {}\n", ExprDisplay { e: o }))
                }
                s.push_str(&format!("  over any of ({}):\n", regions.len()));
                for (i, g) in regions.iter().enumerate() {
                    let atoms: Vec<String> = g.iter().map(fmt_atom).collect();
                    if atoms.is_empty() {
                        s.push_str(&format!("    r{i}: true\n"));
                    } else {
                        s.push_str(&format!("    r{i}: {}\n", atoms.join(" and ")));
                    }
                }
            }
        }
        s
    }
}
