//! Writing an IR problem as a VNN-LIB file.
//!
//! Takes: a [`Problem`] with one application of one network whose input is exactly the
//! problem's variables in order, and that network's input and output sizes.
//! Gives: the VNN-LIB text: a `; propc: property NAME` comment, the declarations
//! `X_0 ..` and `Y_0 ..`, the variables' boxes, one assert per premise atom and the goal
//! as `(or (and ...) ...)`.
//! Invariant: numbers are printed in Rust's shortest round-trip form, and an atom
//! `e REL 0` is printed as `(REL lhs rhs)` with `lhs - rhs` equal to `e` exactly, so
//! importing the text gives back the same problem for any problem that came from an
//! import (see `vnnlib::import`).

use std::fmt::Write;

use propc_compiler::ir::{Goal, LinAtom, LinExpr, Problem, Ref, Rel};

/// A number VNN-LIB readers accept (`-0.5`, `1e-7`), round-tripping exactly.
fn num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || (1e-5..1e16).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

fn name(r: Ref) -> String {
    match r {
        Ref::Var(i) => format!("X_{i}"),
        Ref::Out { index, .. } => format!("Y_{index}"),
    }
}

/// A sum of `coef * ref` terms and a constant (every coefficient and the constant
/// non-negative).
fn sum(terms: &[(Ref, f64)], constant: f64) -> String {
    let mut parts: Vec<String> = terms
        .iter()
        .map(|(r, c)| {
            if *c == 1.0 {
                name(*r)
            } else {
                format!("(* {} {})", num(*c), name(*r))
            }
        })
        .collect();
    if constant != 0.0 || parts.is_empty() {
        parts.push(num(constant));
    }
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("(+ {})", parts.join(" "))
    }
}

fn atom(a: &LinAtom) -> String {
    let pos: Vec<(Ref, f64)> = a
        .expr
        .terms
        .iter()
        .filter(|(_, c)| *c > 0.0)
        .copied()
        .collect();
    let neg: Vec<(Ref, f64)> = a
        .expr
        .terms
        .iter()
        .filter(|(_, c)| *c < 0.0)
        .map(|(r, c)| (*r, -c))
        .collect();
    let k = a.expr.constant;
    let lhs = sum(&pos, if k > 0.0 { k } else { 0.0 });
    let rhs = sum(&neg, if k < 0.0 { -k } else { 0.0 });
    let rel = match a.rel {
        Rel::Le => "<=",
        Rel::Lt => "<",
        Rel::Eq => "=",
    };
    format!("({rel} {lhs} {rhs})")
}

fn finite(e: &LinExpr) -> bool {
    e.constant.is_finite() && e.terms.iter().all(|(_, c)| c.is_finite())
}

/// The VNN-LIB text of `problem` (see the module doc); `Err` says why the problem
/// cannot be written (a query, several applications, an input that is not exactly the
/// variables, sizes that do not match, an unbounded variable).
pub fn to_vnnlib(
    problem: &Problem,
    network_input: usize,
    network_output: usize,
) -> Result<String, String> {
    let what = format!("property `{}`", problem.name);
    let Goal::Violation(goals) = &problem.goal else {
        return Err(format!(
            "`{}` is a query; VNN-LIB describes properties only",
            problem.name
        ));
    };
    let [app] = problem.applications.as_slice() else {
        return Err(format!(
            "{what} has {} network applications; VNN-LIB describes one application of one network",
            problem.applications.len()
        ));
    };
    if app.input.len() != network_input || problem.vars.len() != network_input {
        return Err(format!(
            "{what} has {} variables and an application input of size {}, but the network takes {network_input} inputs",
            problem.vars.len(),
            app.input.len()
        ));
    }
    if app.outputs != network_output {
        return Err(format!(
            "{what} reads {} outputs but the network gives {network_output}",
            app.outputs
        ));
    }
    for (i, c) in app.input.iter().enumerate() {
        if *c != LinExpr::var(Ref::Var(i)) {
            return Err(format!(
                "{what}: network input {i} is not the variable v{i}; VNN-LIB needs the network input to be the variables in order (an input region over other quantities, e.g. two inputs tied together, cannot be written)"
            ));
        }
    }
    let atoms: Vec<&LinAtom> = problem
        .premise
        .iter()
        .chain(goals.iter().flatten())
        .collect();
    for a in &atoms {
        if !finite(&a.expr) {
            return Err(format!("{what} has a non-finite coefficient"));
        }
        for (r, _) in &a.expr.terms {
            match *r {
                Ref::Var(i) if i < network_input => {}
                Ref::Out { app: 0, index } if index < network_output => {}
                r => return Err(format!("{what} reads {r:?}, which is out of range")),
            }
        }
    }
    let mut s = String::new();
    let label = match problem.sample {
        Some(i) => format!("{} [sample {i}]", problem.name),
        None => problem.name.clone(),
    };
    let _ = writeln!(s, "; propc: property {}", label.replace(['\n', '\r'], " "));
    for i in 0..network_input {
        let _ = writeln!(s, "(declare-const X_{i} Real)");
    }
    for j in 0..network_output {
        let _ = writeln!(s, "(declare-const Y_{j} Real)");
    }
    s.push('\n');
    for (i, v) in problem.vars.iter().enumerate() {
        if !(v.lo.is_finite() && v.hi.is_finite()) {
            return Err(format!("{what}: variable v{i} (`{}`) is unbounded", v.name));
        }
        let _ = writeln!(s, "(assert (<= X_{i} {}))", num(v.hi));
        let _ = writeln!(s, "(assert (>= X_{i} {}))", num(v.lo));
    }
    for a in &problem.premise {
        let _ = writeln!(s, "(assert {})", atom(a));
    }
    s.push_str("\n(assert (or");
    for g in goals {
        let parts: Vec<String> = g.iter().map(atom).collect();
        let _ = write!(s, "\n  (and {})", parts.join(" "));
    }
    s.push_str("\n))\n");
    Ok(s)
}
