//! Lowering of elaborated properties and queries into the IR.
//!
//! Takes: the elaborated formula of a property instance (or a query's objective and
//! region) with its variables and network applications.
//! Gives: an [`ir::Problem`]: the counterexample query `premise and (g1 or g2 ...)`,
//! each `g` a conjunction of linear atoms; or a query's pieces and regions.
//! Invariant: exact. Steps: split the property into branches `(premises => conclusion)`;
//! normalize each premise and each negated conclusion with egg (`rewrite`); expand to
//! disjunctive normal form; linearize atoms; move atoms shared by every disjunct into
//! the premise; merge variables the premise makes equal (`agree_except`), intersecting
//! their boxes.

use crate::elab::ProblemState;
use crate::formula::{Cmp, Formula, Term};
use crate::ir::{self, Goal, LinAtom, LinExpr, Problem, QuantVar, Ref, Rel, Sense};
use crate::rewrite::{self, NormalizeError, Target};

/// Most disjuncts a problem may expand to.
const MAX_DISJUNCTS: usize = 4096;

/// Splits a property into `(premises, conclusion)` branches: the property holds iff
/// every branch's premises imply its conclusion.
fn branches(f: Formula, premises: Vec<Formula>, out: &mut Vec<(Vec<Formula>, Formula)>) {
    match f {
        Formula::Implies(a, b) => {
            let mut p = premises;
            p.push(*a);
            branches(*b, p, out);
        }
        Formula::And(parts) => {
            for part in parts {
                branches(part, premises.clone(), out);
            }
        }
        Formula::True => {}
        other => out.push((premises, other)),
    }
}

/// Disjunctive normal form of an NNF formula over comparisons.
fn dnf(f: &Formula) -> Result<Vec<Vec<Formula>>, NormalizeError> {
    let too_many = || NormalizeError {
        message: format!("the property expands to more than {MAX_DISJUNCTS} cases"),
    };
    Ok(match f {
        Formula::True => vec![vec![]],
        Formula::False => vec![],
        Formula::Cmp(..) => vec![vec![f.clone()]],
        Formula::Or(ps) => {
            let mut out = Vec::new();
            for p in ps {
                out.extend(dnf(p)?);
                if out.len() > MAX_DISJUNCTS {
                    return Err(too_many());
                }
            }
            out
        }
        Formula::And(ps) => {
            let mut acc: Vec<Vec<Formula>> = vec![vec![]];
            for p in ps {
                let d = dnf(p)?;
                let mut next = Vec::with_capacity(acc.len() * d.len());
                for a in &acc {
                    for b in &d {
                        let mut c = a.clone();
                        c.extend(b.iter().cloned());
                        next.push(c);
                    }
                }
                if next.len() > MAX_DISJUNCTS {
                    return Err(too_many());
                }
                acc = next;
            }
            acc
        }
        Formula::Not(_) | Formula::Implies(..) | Formula::Iff(..) => {
            return Err(NormalizeError {
                message: "a connective was left after normalization".into(),
            });
        }
    })
}

/// A linear expression of an affine term.
pub fn linearize(t: &Term) -> Result<LinExpr, NormalizeError> {
    Ok(match t {
        Term::Const(c) => LinExpr::constant(*c),
        Term::Ref(r) => LinExpr::var(*r),
        Term::Add(a, b) => linearize(a)?.add(&linearize(b)?),
        Term::Scale(k, t) => linearize(t)?.scale(*k),
        Term::Abs(_) | Term::Max(..) | Term::Min(..) => {
            return Err(NormalizeError {
                message: "a non-linear term was left after normalization".into(),
            });
        }
    })
}

/// `Some(atom)`, or `None` for an atom that is constantly true; `Err(())` inside the
/// result for constantly false.
fn atom(f: &Formula) -> Result<Option<Result<LinAtom, ()>>, NormalizeError> {
    let Formula::Cmp(op, a, b) = f else {
        return Err(NormalizeError {
            message: "expected a comparison".into(),
        });
    };
    let e = linearize(a)?.sub(&linearize(b)?);
    let rel = match op {
        Cmp::Le => Rel::Le,
        Cmp::Lt => Rel::Lt,
        Cmp::Eq => Rel::Eq,
        Cmp::Ne => {
            return Err(NormalizeError {
                message: "`!=` was left after normalization".into(),
            });
        }
    };
    if e.is_constant() {
        let v = e.constant;
        let holds = match rel {
            Rel::Le => v <= 0.0,
            Rel::Lt => v < 0.0,
            Rel::Eq => v == 0.0,
        };
        return Ok(if holds { None } else { Some(Err(())) });
    }
    Ok(Some(Ok(LinAtom { expr: e, rel })))
}

/// Linear atoms of a conjunction; `None` if it is constantly false.
fn conjunction(fs: &[Formula]) -> Result<Option<Vec<LinAtom>>, NormalizeError> {
    let mut out: Vec<LinAtom> = Vec::new();
    for f in fs {
        match atom(f)? {
            None => {}
            Some(Err(())) => return Ok(None),
            Some(Ok(a)) if !out.contains(&a) => out.push(a),
            Some(Ok(_)) => {}
        }
    }
    Ok(Some(out))
}

fn normal_dnf(f: &Formula) -> Result<Vec<Vec<LinAtom>>, NormalizeError> {
    let nnf = rewrite::normalize_formula(f)?;
    let mut out = Vec::new();
    for c in dnf(&nnf)? {
        if let Some(atoms) = conjunction(&c)? {
            out.push(atoms);
        }
    }
    Ok(out)
}

/// Splits `(premise_atoms, goal_atoms)` disjuncts into a common premise and goals.
fn factor(disjuncts: Vec<(Vec<LinAtom>, Vec<LinAtom>)>) -> (Vec<LinAtom>, Vec<Vec<LinAtom>>) {
    let Some((first, _)) = disjuncts.first() else {
        return (Vec::new(), Vec::new());
    };
    let common: Vec<LinAtom> = first
        .iter()
        .filter(|a| disjuncts.iter().all(|(p, _)| p.contains(a)))
        .cloned()
        .collect();
    let mut goals: Vec<Vec<LinAtom>> = Vec::new();
    for (p, g) in disjuncts {
        let mut goal: Vec<LinAtom> = p.into_iter().filter(|a| !common.contains(a)).collect();
        for a in g {
            if !goal.contains(&a) {
                goal.push(a);
            }
        }
        if !goals.contains(&goal) {
            goals.push(goal);
        }
    }
    (common, goals)
}

fn base_problem(
    name: &str,
    sample: Option<usize>,
    state: &ProblemState,
) -> Result<Problem, NormalizeError> {
    let inputs = state
        .inputs
        .iter()
        .map(|(n, shape, ids)| QuantVar {
            name: n.clone(),
            shape: shape.clone(),
            coords: ids.iter().map(|i| LinExpr::var(Ref::Var(*i))).collect(),
        })
        .collect();
    let mut applications = Vec::new();
    for (net, terms) in &state.applications {
        let input = terms.iter().map(linearize).collect::<Result<Vec<_>, _>>()?;
        applications.push(ir::Application {
            network: *net,
            input,
            outputs: 0,
        });
    }
    Ok(Problem {
        name: name.to_string(),
        sample,
        vars: state.vars.clone(),
        inputs,
        applications,
        premise: Vec::new(),
        goal: Goal::Violation(Vec::new()),
    })
}

/// Lowers an elaborated property instance.
pub fn lower_property(
    name: &str,
    sample: Option<usize>,
    f: Formula,
    state: &ProblemState,
    output_sizes: &[usize],
) -> Result<Problem, NormalizeError> {
    let mut problem = base_problem(name, sample, state)?;
    set_outputs(&mut problem, state, output_sizes);
    let mut bs = Vec::new();
    branches(f, Vec::new(), &mut bs);
    let mut disjuncts = Vec::new();
    for (premises, conclusion) in bs {
        let ps = normal_dnf(&Formula::and(premises))?;
        if ps.is_empty() {
            continue;
        }
        let gs = normal_dnf(&Formula::negate(conclusion))?;
        for p in &ps {
            for g in &gs {
                disjuncts.push((p.clone(), g.clone()));
                if disjuncts.len() > MAX_DISJUNCTS {
                    return Err(NormalizeError {
                        message: format!("the property expands to more than {MAX_DISJUNCTS} cases"),
                    });
                }
            }
        }
    }
    let (premise, goals) = factor(disjuncts);
    problem.premise = premise;
    problem.goal = Goal::Violation(goals);
    merge_equalities(&mut problem);
    Ok(problem)
}

/// Lowers an elaborated query.
pub fn lower_query(
    name: &str,
    sense: Sense,
    objective: &Term,
    region: Formula,
    state: &ProblemState,
    output_sizes: &[usize],
) -> Result<Problem, NormalizeError> {
    let mut problem = base_problem(name, None, state)?;
    set_outputs(&mut problem, state, output_sizes);
    let regions = normal_dnf(&region)?;
    let (premise, regions) = factor(regions.into_iter().map(|r| (r, Vec::new())).collect());
    let target = match sense {
        Sense::Maximize => Target::MaxOfAffine,
        Sense::Minimize => Target::MinOfAffine,
    };
    let pieces = rewrite::normalize_objective(objective, target)?;
    let mut objectives = Vec::new();
    for p in &pieces {
        let l = linearize(p)?;
        if !objectives.contains(&l) {
            objectives.push(l);
        }
    }
    problem.premise = premise;
    problem.goal = Goal::Optimize {
        sense,
        objectives,
        regions,
    };
    merge_equalities(&mut problem);
    Ok(problem)
}

fn set_outputs(problem: &mut Problem, state: &ProblemState, output_sizes: &[usize]) {
    for (a, (net, _)) in problem.applications.iter_mut().zip(&state.applications) {
        a.outputs = output_sizes.get(*net).copied().unwrap_or(0);
    }
}

fn find(parent: &mut [usize], i: usize) -> usize {
    let mut r = i;
    while parent[r] != r {
        r = parent[r];
    }
    let mut j = i;
    while parent[j] != r {
        let next = parent[j];
        parent[j] = r;
        j = next;
    }
    r
}

/// Merges variables that the premise makes equal (`v_a - v_b == 0`) and fixes variables
/// the premise pins (`k * v_a + c == 0`), intersecting boxes. An empty intersection
/// makes the premise unsatisfiable: no counterexample (and the region of a query is
/// empty).
pub fn merge_equalities(p: &mut Problem) {
    let n = p.vars.len();
    let mut parent: Vec<usize> = (0..n).collect();
    let mut lo: Vec<f64> = p.vars.iter().map(|v| v.lo).collect();
    let mut hi: Vec<f64> = p.vars.iter().map(|v| v.hi).collect();
    let mut merged_any = false;
    for a in &p.premise {
        if a.rel != Rel::Eq {
            continue;
        }
        match a.expr.terms.as_slice() {
            [(Ref::Var(i), c1), (Ref::Var(j), c2)] if a.expr.constant == 0.0 && *c1 == -*c2 => {
                let (ri, rj) = (find(&mut parent, *i), find(&mut parent, *j));
                if ri != rj {
                    let (keep, drop) = if ri < rj { (ri, rj) } else { (rj, ri) };
                    parent[drop] = keep;
                    lo[keep] = lo[keep].max(lo[drop]);
                    hi[keep] = hi[keep].min(hi[drop]);
                    merged_any = true;
                }
            }
            [(Ref::Var(i), c)] => {
                let v = -a.expr.constant / c;
                let r = find(&mut parent, *i);
                lo[r] = lo[r].max(v);
                hi[r] = hi[r].min(v);
            }
            _ => {}
        }
    }
    if !merged_any && (0..n).all(|i| lo[i] == p.vars[i].lo && hi[i] == p.vars[i].hi) {
        return;
    }
    // Renumber the representatives.
    let mut new_index = vec![usize::MAX; n];
    let mut vars: Vec<ir::Var> = Vec::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        if r == i {
            new_index[i] = vars.len();
            vars.push(ir::Var {
                name: p.vars[i].name.clone(),
                lo: lo[i],
                hi: hi[i],
            });
        }
    }
    for i in 0..n {
        let r = find(&mut parent, i);
        if r != i {
            new_index[i] = new_index[r];
            let v = &mut vars[new_index[r]];
            v.name = format!("{}={}", v.name, p.vars[i].name);
        }
    }
    let empty = vars.iter().any(|v| v.lo > v.hi);
    let map = |e: &LinExpr| -> LinExpr {
        LinExpr {
            terms: e
                .terms
                .iter()
                .map(|(r, c)| match r {
                    Ref::Var(i) => (Ref::Var(new_index[*i]), *c),
                    other => (*other, *c),
                })
                .collect(),
            constant: e.constant,
        }
        .canonicalize()
    };
    let map_atoms = |atoms: &[LinAtom]| -> Option<Vec<LinAtom>> {
        let mut out = Vec::new();
        for a in atoms {
            let e = map(&a.expr);
            if e.is_constant() {
                let ok = match a.rel {
                    Rel::Le => e.constant <= 0.0,
                    Rel::Lt => e.constant < 0.0,
                    Rel::Eq => e.constant == 0.0,
                };
                if !ok {
                    return None;
                }
                continue;
            }
            let atom = LinAtom {
                expr: e,
                rel: a.rel,
            };
            if !out.contains(&atom) {
                out.push(atom);
            }
        }
        Some(out)
    };
    let premise = map_atoms(&p.premise);
    for q in &mut p.inputs {
        q.coords = q.coords.iter().map(map).collect();
    }
    for a in &mut p.applications {
        a.input = a.input.iter().map(map).collect();
    }
    p.vars = vars;
    match premise {
        Some(pr) if !empty => p.premise = pr,
        _ => {
            // Unsatisfiable premise: keep the boxes valid and drop every case.
            for v in &mut p.vars {
                if v.lo > v.hi {
                    v.hi = v.lo;
                }
            }
            p.premise = Vec::new();
            match &mut p.goal {
                Goal::Violation(g) => g.clear(),
                Goal::Optimize { regions, .. } => regions.clear(),
            }
            return;
        }
    }
    match &mut p.goal {
        Goal::Violation(goals) | Goal::Optimize { regions: goals, .. } => {
            let mut out = Vec::new();
            for g in goals.iter() {
                if let Some(m) = map_atoms(g)
                    && !out.contains(&m)
                {
                    out.push(m);
                }
            }
            *goals = out;
        }
    }
    if let Goal::Optimize { objectives, .. } = &mut p.goal {
        *objectives = objectives.iter().map(map).collect();
    }
}
