//! VNN-LIB 1.0 import and export: the property format of VNN-COMP.
//!
//! Takes: a VNN-LIB file in a [`SourceMap`] (import), or an IR [`Problem`] over one
//! network application (export, [`to_vnnlib`]).
//! Gives: [`parse`] reads the file into a [`Vnnlib`]; [`Vnnlib::problems`] fits it to a
//! network (input and output sizes) and gives one IR [`Problem`] per input region;
//! [`import`] does both. Every error is a located [`Diagnostic`] (`E0701`–`E0707`).
//! Invariant: the problems' counterexamples are exactly the file's models: a point is
//! a model of the file (satisfies every `assert`) iff it is a counterexample of one of
//! the problems. So the file is `sat` (violated) iff some problem is violated, and
//! `unsat` (holds) iff every problem holds.
//!
//! ## The accepted language
//!
//! `(declare-const X_i Real)` for the network inputs (index `i` in the C-order
//! flattening of the ONNX input), `(declare-const Y_j Real)` for its outputs
//! (`declare-fun NAME () Real` too), and `(assert F)` where `F` is built from
//! `(and ...)`, `(or ...)`, `true`, `false` and comparisons `(<= a b ...)`, `(>= ...)`,
//! `(< ...)`, `(> ...)`, `(= ...)` (chained comparisons are conjunctions) between linear
//! terms: variables, numbers (`1`, `-0.5`, `1.5e-3`), `(+ ...)`, `(- ...)`,
//! `(* ...)` with at most one non-constant factor, `(/ t c)`. `set-logic`, `set-info`,
//! `set-option`, `check-sat`, `get-model` and `exit` are ignored; comments start with
//! `;`. Anything else is an error (`not`, `=>`, non-linear products, other sorts).
//!
//! ## From a file to problems
//!
//! The asserts form one conjunction; its top-level conjuncts are split in two:
//! *input* conjuncts (every comparison reads only `X` variables) and *output* conjuncts
//! (the rest: some comparison reads a `Y`, or reads no variable at all). Both are put in
//! disjunctive normal form. Each disjunct of the output DNF is split again into its
//! input-only comparisons (its *key*) and the others; output disjuncts are grouped by
//! key. There is one problem per (input disjunct, key) pair — for ACAS Xu property 6
//! (a top-level `or` of two input boxes), two problems — with:
//! - the box of each `X_i` from the region's comparisons of the form `X_i <= c`,
//!   `X_i >= c`, `X_i = c` (and `k * X_i <= c`, rounded outwards and kept as a premise
//!   atom too, so the encoding stays exact); a strict bound `X_i < c` gives the closed
//!   box bound and stays a premise atom;
//! - every other comparison of the region as a premise atom;
//! - the group's output conjunctions as the goal disjuncts (`Y_j` is
//!   `Ref::Out { app: 0, index: j }`).
//!
//! An `X_i` without both bounds in some region is an error (`E0704`); so is an input
//! DNF with no disjunct (contradictory input constraints) and more than
//! [`MAX_PROBLEMS`] problems or [`MAX_DISJUNCTS`] disjuncts (`E0706`). An empty box
//! (`lo > hi`) is kept as the point `lo` with the false premise atom `1 <= 0`, which
//! interval bounds refute (the region holds).

mod export;
mod sexpr;

use std::collections::{BTreeMap, HashMap, HashSet};

use propc_compiler::ir::{Application, Goal, LinAtom, LinExpr, Problem, QuantVar, Ref, Rel, Var};
use propc_syntax::{Diagnostic, FileId, SourceMap, Span};

pub use export::to_vnnlib;
use sexpr::SExpr;

/// At most this many problems (input regions) per file.
pub const MAX_PROBLEMS: usize = 4096;
/// At most this many disjuncts in any intermediate DNF.
pub const MAX_DISJUNCTS: usize = 1 << 16;
/// Formulas and terms nested deeper than this are refused (no stack overflow).
const MAX_DEPTH: usize = 256;

/// A parsed VNN-LIB file, not yet fitted to a network.
#[derive(Clone, Debug)]
pub struct Vnnlib {
    file: FileId,
    /// Declared inputs `X_i`: index → span of the declaration.
    pub inputs: BTreeMap<usize, Span>,
    /// Declared outputs `Y_j`: index → span of the declaration.
    pub outputs: BTreeMap<usize, Span>,
    atoms: Vec<(LinAtom, Span)>,
    /// The top-level conjuncts of all asserts, in file order.
    conjuncts: Vec<Formula>,
}

#[derive(Clone, Debug)]
enum Formula {
    /// Index into `Vnnlib::atoms`.
    Atom(usize),
    /// `true` is `And([])`.
    And(Vec<Formula>),
    /// `false` is `Or([])`.
    Or(Vec<Formula>),
}

/// Reads and fits a file in one go (see the module doc); `name` becomes the problems'
/// name (suffixed `[k]` when there are several regions).
pub fn import(
    sources: &SourceMap,
    file: FileId,
    name: &str,
    network_input: usize,
    network_output: usize,
) -> Result<Vec<Problem>, Vec<Diagnostic>> {
    parse(sources, file)?.problems(name, network_input, network_output)
}

/// Parses a VNN-LIB file: syntax, declarations, and asserts.
pub fn parse(sources: &SourceMap, file: FileId) -> Result<Vnnlib, Vec<Diagnostic>> {
    let top = sexpr::parse(sources, file).map_err(|d| vec![d])?;
    let mut r = Reader {
        text: sources.text(file),
        inputs: BTreeMap::new(),
        outputs: BTreeMap::new(),
        names: HashMap::new(),
        atoms: Vec::new(),
        interned: HashMap::new(),
        errors: Vec::new(),
    };
    let mut conjuncts = Vec::new();
    for cmd in &top {
        r.command(cmd, &mut conjuncts);
    }
    if !r.errors.is_empty() {
        return Err(r.errors);
    }
    Ok(Vnnlib {
        file,
        inputs: r.inputs,
        outputs: r.outputs,
        atoms: r.atoms,
        conjuncts,
    })
}

struct Reader<'a> {
    text: &'a str,
    inputs: BTreeMap<usize, Span>,
    outputs: BTreeMap<usize, Span>,
    /// Declared name → its reference.
    names: HashMap<&'a str, Ref>,
    atoms: Vec<(LinAtom, Span)>,
    interned: HashMap<AtomKey, usize>,
    errors: Vec<Diagnostic>,
}

/// An atom by value: relation, terms and constant (floats by their bits).
type AtomKey = (u8, Vec<(Ref, u64)>, u64);

fn err(
    code: &'static str,
    span: Span,
    message: impl Into<String>,
    label: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, message)
        .with_label(span, label)
        .with_help(help)
}

/// `X_12` → `(true, 12)`, `Y_3` → `(false, 3)`.
fn var_name(s: &str) -> Option<(bool, usize)> {
    let (input, rest) = if let Some(r) = s.strip_prefix("X_") {
        (true, r)
    } else {
        (false, s.strip_prefix("Y_")?)
    };
    if rest.is_empty()
        || !rest.bytes().all(|b| b.is_ascii_digit())
        || (rest.len() > 1 && rest.starts_with('0'))
    {
        return None;
    }
    Some((input, rest.parse().ok()?))
}

/// Whether a token is meant as a number (then it must parse as a finite one).
fn looks_numeric(s: &str) -> bool {
    let b = s.as_bytes();
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'-' | b'+' | b'.') => b.get(1).is_some_and(|c| c.is_ascii_digit() || *c == b'.'),
        _ => false,
    }
}

impl<'a> Reader<'a> {
    fn slice(&self, span: Span) -> &'a str {
        &self.text[span.range()]
    }

    fn head<'e>(&self, e: &'e SExpr) -> Option<(&'a str, Span, &'e [SExpr])> {
        match e {
            SExpr::List(items, _) => match items.first() {
                Some(SExpr::Atom(s)) => Some((self.slice(*s), *s, &items[1..])),
                _ => None,
            },
            SExpr::Atom(_) => None,
        }
    }

    fn command(&mut self, cmd: &SExpr, conjuncts: &mut Vec<Formula>) {
        let Some((head, head_span, args)) = self.head(cmd) else {
            self.errors.push(err(
                "E0701",
                cmd.span(),
                "expected a command such as `(declare-const X_0 Real)` or `(assert ...)`",
                "not a command",
                "VNN-LIB files are a list of `(declare-const ...)` and `(assert ...)`",
            ));
            return;
        };
        match head {
            "declare-const" | "declare-fun" => self.declare(head, cmd, args),
            "assert" => {
                if args.len() != 1 {
                    self.errors.push(err(
                        "E0701",
                        cmd.span(),
                        format!("`assert` takes one formula, found {}", args.len()),
                        "here",
                        "write `(assert F)`; combine formulas with `(and ...)`",
                    ));
                    return;
                }
                if let Some(f) = self.formula(&args[0], 0) {
                    match f {
                        Formula::And(children) => conjuncts.extend(children),
                        f => conjuncts.push(f),
                    }
                }
            }
            "set-logic" | "set-info" | "set-option" | "check-sat" | "get-model" | "exit" => {}
            other => self.errors.push(err(
                "E0703",
                head_span,
                format!("unsupported command `{other}`"),
                "not supported",
                "propc reads `declare-const` and `assert` (VNN-LIB 1.0)",
            )),
        }
    }

    fn declare(&mut self, head: &str, cmd: &SExpr, args: &[SExpr]) {
        let shape_ok = match (head, args) {
            ("declare-const", [SExpr::Atom(_), SExpr::Atom(_)]) => true,
            ("declare-fun", [SExpr::Atom(_), SExpr::List(params, _), SExpr::Atom(_)]) => {
                params.is_empty()
            }
            _ => false,
        };
        if !shape_ok {
            self.errors.push(err(
                "E0701",
                cmd.span(),
                format!("malformed `{head}`"),
                "expected `(declare-const NAME Real)`",
                "declare each input as `(declare-const X_i Real)` and each output as `(declare-const Y_j Real)`",
            ));
            return;
        }
        let (name_span, sort_span) = (args[0].span(), args[args.len() - 1].span());
        let name = self.slice(name_span);
        let sort = self.slice(sort_span);
        if sort != "Real" {
            self.errors.push(err(
                "E0703",
                sort_span,
                format!("unsupported sort `{sort}`"),
                "only `Real` is supported",
                "declare the variable as `Real`",
            ));
            return;
        }
        let Some((input, index)) = var_name(name) else {
            self.errors.push(err(
                "E0703",
                name_span,
                format!("unsupported variable name `{name}`"),
                "not `X_i` or `Y_j`",
                "VNN-LIB names the network inputs `X_0, X_1, ...` and its outputs `Y_0, Y_1, ...`",
            ));
            return;
        };
        if self.names.contains_key(name) {
            let first = if input {
                self.inputs.get(&index)
            } else {
                self.outputs.get(&index)
            };
            let mut d = Diagnostic::error("E0707", format!("`{name}` is declared twice"))
                .with_label(name_span, "declared again here")
                .with_help("remove the second declaration");
            if let Some(first) = first {
                d = d.with_secondary(*first, "first declared here");
            }
            self.errors.push(d);
            return;
        }
        let r = if input {
            self.inputs.insert(index, name_span);
            Ref::Var(index)
        } else {
            self.outputs.insert(index, name_span);
            Ref::Out { app: 0, index }
        };
        self.names.insert(name, r);
    }

    /// The index of `atom`, the same for equal atoms (so that input regions written
    /// twice are recognized as one).
    fn intern(&mut self, atom: LinAtom, span: Span) -> usize {
        // `+ 0.0` makes `-0.0` and `0.0` one key.
        let bits = |x: f64| (x + 0.0).to_bits();
        let key = (
            atom.rel as u8,
            atom.expr
                .terms
                .iter()
                .map(|(r, c)| (*r, bits(*c)))
                .collect::<Vec<_>>(),
            bits(atom.expr.constant),
        );
        let next = self.atoms.len();
        let id = *self.interned.entry(key).or_insert(next);
        if id == next {
            self.atoms.push((atom, span));
        }
        id
    }

    fn too_deep(&mut self, e: &SExpr) {
        self.errors.push(err(
            "E0703",
            e.span(),
            format!("the formula is nested more than {MAX_DEPTH} levels deep"),
            "too deep",
            "flatten the formula",
        ));
    }

    fn formula(&mut self, e: &SExpr, depth: usize) -> Option<Formula> {
        if depth > MAX_DEPTH {
            self.too_deep(e);
            return None;
        }
        if let SExpr::Atom(s) = e {
            return match self.slice(*s) {
                "true" => Some(Formula::And(Vec::new())),
                "false" => Some(Formula::Or(Vec::new())),
                t => {
                    self.errors.push(err(
                        "E0701",
                        *s,
                        format!("expected a formula, found `{t}`"),
                        "not a formula",
                        "write a comparison such as `(<= X_0 1.0)`, or `(and ...)` / `(or ...)`",
                    ));
                    None
                }
            };
        }
        let Some((head, head_span, args)) = self.head(e) else {
            self.errors.push(err(
                "E0701",
                e.span(),
                "expected a formula",
                "not a formula",
                "write a comparison such as `(<= X_0 1.0)`, or `(and ...)` / `(or ...)`",
            ));
            return None;
        };
        match head {
            "and" | "or" => {
                let mut children = Vec::with_capacity(args.len());
                let mut ok = true;
                for a in args {
                    match self.formula(a, depth + 1) {
                        // Flatten nested connectives of the same kind.
                        Some(Formula::And(c)) if head == "and" => children.extend(c),
                        Some(Formula::Or(c)) if head == "or" => children.extend(c),
                        Some(f) => children.push(f),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                Some(if head == "and" {
                    Formula::And(children)
                } else {
                    Formula::Or(children)
                })
            }
            "<=" | ">=" | "<" | ">" | "=" => {
                if args.len() < 2 {
                    self.errors.push(err(
                        "E0701",
                        e.span(),
                        format!("`{head}` compares at least two terms, found {}", args.len()),
                        "here",
                        format!("write e.g. `({head} X_0 0.5)`"),
                    ));
                    return None;
                }
                let mut terms = Vec::with_capacity(args.len());
                for a in args {
                    terms.push(self.term(a, depth + 1));
                }
                let terms: Option<Vec<LinExpr>> = terms.into_iter().collect();
                let terms = terms?;
                let mut atoms: Vec<Formula> = terms
                    .windows(2)
                    .map(|w| {
                        let (expr, rel) = match head {
                            "<=" => (w[0].sub(&w[1]), Rel::Le),
                            ">=" => (w[1].sub(&w[0]), Rel::Le),
                            "<" => (w[0].sub(&w[1]), Rel::Lt),
                            ">" => (w[1].sub(&w[0]), Rel::Lt),
                            _ => (w[0].sub(&w[1]), Rel::Eq),
                        };
                        Formula::Atom(self.intern(LinAtom { expr, rel }, e.span()))
                    })
                    .collect();
                Some(if atoms.len() == 1 {
                    atoms.remove(0)
                } else {
                    Formula::And(atoms)
                })
            }
            other => {
                let help = match other {
                    "not" | "=>" | "xor" | "distinct" => {
                        "negations and implications are not supported: write the formula with `and`, `or` and comparisons".to_string()
                    }
                    _ => "formulas are `(and ...)`, `(or ...)` and comparisons `<=`, `>=`, `<`, `>`, `=`".to_string(),
                };
                self.errors.push(err(
                    "E0703",
                    head_span,
                    format!("unsupported operator `{other}`"),
                    "not supported in a formula",
                    help,
                ));
                None
            }
        }
    }

    fn term(&mut self, e: &SExpr, depth: usize) -> Option<LinExpr> {
        if depth > MAX_DEPTH {
            self.too_deep(e);
            return None;
        }
        let expr = match e {
            SExpr::Atom(s) => {
                let t = self.slice(*s);
                if looks_numeric(t) {
                    match t.parse::<f64>() {
                        Ok(x) if x.is_finite() => LinExpr::constant(x),
                        _ => {
                            self.errors.push(err(
                                "E0701",
                                *s,
                                format!("malformed number `{t}`"),
                                "not a finite number",
                                "write numbers as `3`, `-0.25` or `1.5e-3`",
                            ));
                            return None;
                        }
                    }
                } else if let Some(r) = self.names.get(t) {
                    LinExpr::var(*r)
                } else {
                    let help = match var_name(t) {
                        Some(_) => format!("declare it first: `(declare-const {t} Real)`"),
                        None => "variables are the declared `X_i` (inputs) and `Y_j` (outputs)"
                            .to_string(),
                    };
                    self.errors.push(err(
                        "E0702",
                        *s,
                        format!("unknown variable `{t}`"),
                        "not declared",
                        help,
                    ));
                    return None;
                }
            }
            SExpr::List(..) => {
                let Some((head, head_span, args)) = self.head(e) else {
                    self.errors.push(err(
                        "E0701",
                        e.span(),
                        "expected a term",
                        "not a term",
                        "terms are variables, numbers, `(+ ...)`, `(- ...)`, `(* ...)`, `(/ t c)`",
                    ));
                    return None;
                };
                let mut vals = Vec::with_capacity(args.len());
                if !matches!(head, "+" | "-" | "*" | "/") {
                    self.errors.push(err(
                        "E0703",
                        head_span,
                        format!("unsupported operator `{head}`"),
                        "not supported in a term",
                        "terms are variables, numbers, `(+ ...)`, `(- ...)`, `(* ...)`, `(/ t c)`",
                    ));
                    return None;
                }
                for a in args {
                    vals.push(self.term(a, depth + 1));
                }
                let vals: Vec<LinExpr> = vals.into_iter().collect::<Option<_>>()?;
                let Some((first, rest)) = vals.split_first() else {
                    self.errors.push(err(
                        "E0701",
                        e.span(),
                        format!("`{head}` needs an argument"),
                        "empty",
                        "give it at least one term",
                    ));
                    return None;
                };
                match head {
                    "+" => rest.iter().fold(first.clone(), |acc, t| acc.add(t)),
                    "-" if rest.is_empty() => first.scale(-1.0),
                    "-" => rest.iter().fold(first.clone(), |acc, t| acc.sub(t)),
                    "*" => {
                        let mut acc = first.clone();
                        for t in rest {
                            acc = if acc.is_constant() {
                                t.scale(acc.constant)
                            } else if t.is_constant() {
                                acc.scale(t.constant)
                            } else {
                                self.errors.push(err(
                                    "E0703",
                                    e.span(),
                                    "non-linear term: a product of two variables",
                                    "not linear",
                                    "VNN-LIB properties are linear: multiply variables by numbers only",
                                ));
                                return None;
                            };
                        }
                        acc
                    }
                    _ => {
                        if rest.len() != 1 || !rest[0].is_constant() || rest[0].constant == 0.0 {
                            self.errors.push(err(
                                "E0703",
                                e.span(),
                                "unsupported division",
                                "not a division by a non-zero number",
                                "write `(/ t c)` with `c` a non-zero number",
                            ));
                            return None;
                        }
                        first.scale(1.0 / rest[0].constant)
                    }
                }
            }
        };
        if !expr.constant.is_finite() || expr.terms.iter().any(|(_, c)| !c.is_finite()) {
            self.errors.push(err(
                "E0701",
                e.span(),
                "number out of range",
                "overflows",
                "use smaller numbers",
            ));
            return None;
        }
        Some(expr)
    }
}

/// Whether an atom is an input comparison: it reads some variable and only `X`s.
fn is_input_atom(a: &LinAtom) -> bool {
    !a.expr.terms.is_empty() && a.expr.terms.iter().all(|(r, _)| matches!(r, Ref::Var(_)))
}

/// Atom indices of a formula (for the input / output split).
fn collect_atoms(f: &Formula, out: &mut Vec<usize>) {
    match f {
        Formula::Atom(i) => out.push(*i),
        Formula::And(c) | Formula::Or(c) => c.iter().for_each(|g| collect_atoms(g, out)),
    }
}

/// The DNF is too large (over [`MAX_DISJUNCTS`]).
struct TooLarge;

fn dnf(f: &Formula) -> Result<Vec<Vec<usize>>, TooLarge> {
    match f {
        Formula::Atom(i) => Ok(vec![vec![*i]]),
        Formula::And(c) => dnf_and(&c.iter().collect::<Vec<_>>()),
        Formula::Or(c) => {
            let mut out = Vec::new();
            for g in c {
                out.extend(dnf(g)?);
                if out.len() > MAX_DISJUNCTS {
                    return Err(TooLarge);
                }
            }
            Ok(out)
        }
    }
}

fn dnf_and(children: &[&Formula]) -> Result<Vec<Vec<usize>>, TooLarge> {
    // Single-disjunct children are concatenated once; the others multiply.
    let mut common = Vec::new();
    let mut multi = Vec::new();
    for c in children {
        let d = dnf(c)?;
        match d.len() {
            0 => return Ok(Vec::new()),
            1 => common.extend(d.into_iter().flatten()),
            _ => multi.push(d),
        }
    }
    let mut acc = vec![common];
    for m in multi {
        if acc.len().saturating_mul(m.len()) > MAX_DISJUNCTS {
            return Err(TooLarge);
        }
        let mut next = Vec::with_capacity(acc.len() * m.len());
        for a in &acc {
            for d in &m {
                let mut v = a.clone();
                v.extend_from_slice(d);
                next.push(v);
            }
        }
        acc = next;
    }
    Ok(acc)
}

/// Removes repeated indices, keeping the first occurrence's order.
fn dedup(v: &[usize]) -> Vec<usize> {
    let mut seen = HashSet::new();
    v.iter().copied().filter(|i| seen.insert(*i)).collect()
}

impl Vnnlib {
    /// The number of inputs the file declares (`1 + ` the largest `X` index).
    pub fn input_count(&self) -> usize {
        self.inputs.keys().next_back().map_or(0, |i| i + 1)
    }

    /// The number of outputs the file declares (`1 + ` the largest `Y` index).
    pub fn output_count(&self) -> usize {
        self.outputs.keys().next_back().map_or(0, |i| i + 1)
    }

    fn file_span(&self) -> Span {
        Span::new(self.file, 0, 0)
    }

    /// Fits the file to a network with `network_input` inputs and `network_output`
    /// outputs: one problem per input region (see the module doc).
    pub fn problems(
        &self,
        name: &str,
        network_input: usize,
        network_output: usize,
    ) -> Result<Vec<Problem>, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        for (&i, &span) in &self.inputs {
            if i >= network_input {
                errors.push(err(
                    "E0705",
                    span,
                    format!("`X_{i}` is not an input of the network"),
                    format!(
                        "the network takes {network_input} inputs (X_0 .. X_{})",
                        network_input.saturating_sub(1)
                    ),
                    "check that the property is meant for this network",
                ));
            }
        }
        for (&j, &span) in &self.outputs {
            if j >= network_output {
                errors.push(err(
                    "E0705",
                    span,
                    format!("`Y_{j}` is not an output of the network"),
                    format!(
                        "the network gives {network_output} outputs (Y_0 .. Y_{})",
                        network_output.saturating_sub(1)
                    ),
                    "check that the property is meant for this network",
                ));
            }
        }
        if let Some(missing) = (0..network_input).find(|i| !self.inputs.contains_key(i)) {
            let span = self
                .inputs
                .values()
                .next_back()
                .copied()
                .unwrap_or_else(|| self.file_span());
            errors.push(err(
                "E0705",
                span,
                format!(
                    "the network takes {network_input} inputs but the file declares {} (`X_{missing}` is missing)",
                    self.inputs.len()
                ),
                "the declared inputs end here",
                format!(
                    "declare and bound every input `X_0` .. `X_{}` of the network (the C-order flattening of its input)",
                    network_input - 1
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let too_large = |what: &str| {
            vec![
                Diagnostic::error(
                    "E0706",
                    format!(
                        "the {what} constraints have too many disjuncts (more than {MAX_DISJUNCTS})"
                    ),
                )
                .with_label(self.file_span(), "in this file")
                .with_help("split the file into several properties"),
            ]
        };
        let is_input: Vec<bool> = self.atoms.iter().map(|(a, _)| is_input_atom(a)).collect();
        let (mut input_conj, mut output_conj) = (Vec::new(), Vec::new());
        for c in &self.conjuncts {
            let mut ids = Vec::new();
            collect_atoms(c, &mut ids);
            if !ids.is_empty() && ids.iter().all(|i| is_input[*i]) {
                input_conj.push(c);
            } else {
                output_conj.push(c);
            }
        }
        let input_dnf = dnf_and(&input_conj).map_err(|_| too_large("input"))?;
        let output_dnf = dnf_and(&output_conj).map_err(|_| too_large("output"))?;
        if input_dnf.is_empty() {
            return Err(vec![
                Diagnostic::error("E0706", "the input constraints are contradictory (`false`)")
                    .with_label(self.file_span(), "in this file")
                    .with_help("the property holds trivially; give at least one input region"),
            ]);
        }
        // Group the output disjuncts by their input-only comparisons.
        let mut groups: Vec<(Vec<usize>, Vec<Vec<usize>>)> = Vec::new();
        let mut group_of: HashMap<Vec<usize>, usize> = HashMap::new();
        let mut seen_goals: HashSet<(usize, Vec<usize>)> = HashSet::new();
        for d in &output_dnf {
            let d = dedup(d);
            let key: Vec<usize> = d.iter().copied().filter(|i| is_input[*i]).collect();
            let rest: Vec<usize> = d.iter().copied().filter(|i| !is_input[*i]).collect();
            let mut sorted_key = key.clone();
            sorted_key.sort_unstable();
            let g = *group_of.entry(sorted_key).or_insert_with(|| {
                groups.push((key, Vec::new()));
                groups.len() - 1
            });
            let mut sorted_rest = rest.clone();
            sorted_rest.sort_unstable();
            if seen_goals.insert((g, sorted_rest)) {
                groups[g].1.push(rest);
            }
        }
        if groups.is_empty() {
            // The output constraints are `false`: no counterexample anywhere.
            groups.push((Vec::new(), Vec::new()));
        }
        let count = input_dnf.len().saturating_mul(groups.len());
        if count > MAX_PROBLEMS {
            return Err(vec![
                Diagnostic::error(
                    "E0706",
                    format!("the file describes {count} input regions (at most {MAX_PROBLEMS})"),
                )
                .with_label(self.file_span(), "in this file")
                .with_help("split the file into several properties"),
            ]);
        }
        let mut problems = Vec::with_capacity(count);
        for region in &input_dnf {
            for (key, goals) in &groups {
                let mut atoms = region.clone();
                atoms.extend_from_slice(key);
                let k = problems.len();
                let label = if count == 1 {
                    name.to_string()
                } else {
                    format!("{name}[{k}]")
                };
                match self.problem(
                    label,
                    k,
                    count,
                    network_input,
                    network_output,
                    &dedup(&atoms),
                    goals,
                ) {
                    Ok(p) => problems.push(p),
                    Err(mut e) => {
                        errors.append(&mut e);
                        break;
                    }
                }
            }
            if !errors.is_empty() {
                break;
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(problems)
    }

    #[allow(clippy::too_many_arguments)]
    fn problem(
        &self,
        name: String,
        k: usize,
        count: usize,
        n: usize,
        m: usize,
        region: &[usize],
        goals: &[Vec<usize>],
    ) -> Result<Problem, Vec<Diagnostic>> {
        let mut lo = vec![f64::NEG_INFINITY; n];
        let mut hi = vec![f64::INFINITY; n];
        let mut premise = Vec::new();
        for &a in region {
            let atom = &self.atoms[a].0;
            let single = match atom.expr.terms.as_slice() {
                [(Ref::Var(i), c)] => Some((*i, *c)),
                _ => None,
            };
            let Some((i, c)) = single else {
                premise.push(atom.clone());
                continue;
            };
            // c * x + k REL 0  <=>  x REL' -k / c.
            let exact = c.abs() == 1.0;
            let b = -atom.expr.constant / c;
            let (up, down) = if exact {
                (b, b)
            } else {
                (b.next_up(), b.next_down())
            };
            let (upper, lower) = match atom.rel {
                Rel::Eq => (true, true),
                _ => (c > 0.0, c < 0.0),
            };
            if upper {
                hi[i] = hi[i].min(up);
            }
            if lower {
                lo[i] = lo[i].max(down);
            }
            if !exact || atom.rel == Rel::Lt {
                premise.push(atom.clone());
            }
        }
        let mut errors = Vec::new();
        for i in 0..n {
            let (missing, needs) = match (lo[i].is_finite(), hi[i].is_finite()) {
                (true, true) => continue,
                (false, false) => ("no bounds", "a lower and an upper bound"),
                (false, true) => ("no lower bound", "a lower bound"),
                (true, false) => ("no upper bound", "an upper bound"),
            };
            let region = if count == 1 {
                String::new()
            } else {
                format!(" in input region {k}")
            };
            errors.push(err(
                "E0704",
                self.inputs
                    .get(&i)
                    .copied()
                    .unwrap_or_else(|| self.file_span()),
                format!("input `X_{i}` is unbounded{region}: it has {missing}"),
                format!("`X_{i}` needs {needs}"),
                format!("add e.g. `(assert (>= X_{i} LOW))` and `(assert (<= X_{i} HIGH))`"),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        if (0..n).any(|i| lo[i] > hi[i]) {
            for i in 0..n {
                hi[i] = hi[i].max(lo[i]);
            }
            premise.push(LinAtom {
                expr: LinExpr::constant(1.0),
                rel: Rel::Le,
            });
        }
        let coords: Vec<LinExpr> = (0..n).map(|i| LinExpr::var(Ref::Var(i))).collect();
        Ok(Problem {
            name,
            sample: None,
            vars: (0..n)
                .map(|i| Var {
                    name: format!("X_{i}"),
                    lo: lo[i],
                    hi: hi[i],
                })
                .collect(),
            inputs: vec![QuantVar {
                name: "X".into(),
                shape: vec![n],
                coords: coords.clone(),
            }],
            applications: vec![Application {
                network: 0,
                input: coords,
                outputs: m,
            }],
            premise,
            goal: Goal::Violation(
                goals
                    .iter()
                    .map(|g| g.iter().map(|a| self.atoms[*a].0.clone()).collect())
                    .collect(),
            ),
        })
    }
}
