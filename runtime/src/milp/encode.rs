//! The exact big-M MILP encoding of an IR problem.
//!
//! Takes: a [`Problem`], its networks and sound [`ProblemBounds`] (IBP, or IBP
//! tightened by CROWN: any sound boxes keep the encoding exact).
//! Gives: a [`Base`] model (one continuous variable per IR variable, every
//! application's network, the premise) and, from it, one [`Model`] per goal
//! disjunct (minimize the violation margin `s`) or per objective × region.
//! Invariant: the feasible set of the base model projected on the IR variables is
//! exactly the premise (with `Lt` relaxed to `Le`) intersected with the boxes, and the
//! output expressions equal the networks' outputs there:
//! - affine ops stay expressions; an expression with more than [`MAX_INLINE_TERMS`]
//!   terms is materialized as a new variable bounded by its box;
//! - a ReLU whose pre-activation box is `[l, u]` is `0` if `u <= 0`, the identity
//!   if `l >= 0`, and otherwise `y >= x`, `y <= x - l (1 - d)`, `y <= u d`,
//!   `0 <= y <= u` with a binary `d`.

use super::model::{Lin, Model, RowRel};
use crate::bounds::ProblemBounds;
use crate::network::{Network, Op};
use propc_compiler::ir::{Goal, LinAtom, LinExpr, Problem, Ref, Rel, Sense};

/// Expressions with more terms than this are replaced by a fresh variable.
pub(crate) const MAX_INLINE_TERMS: usize = 4;

/// The model shared by every disjunct / objective of one problem.
#[derive(Clone, Debug)]
pub(crate) struct Base {
    pub model: Model,
    /// `outputs[app][index]`: the expression of `Ref::Out { app, index }`.
    pub outputs: Vec<Vec<Lin>>,
    /// Number of IR variables: model variables `0..n_vars` are `Ref::Var(0..n_vars)`.
    pub n_vars: usize,
    pub n_binaries: usize,
    /// For each ReLU binary: (model variable, application, pre-activation value id,
    /// coordinate), to derive warm-start hints from a concrete point.
    pub binaries: Vec<(usize, usize, usize, usize)>,
}

impl Base {
    pub fn lin(&self, e: &LinExpr) -> Lin {
        let mut acc = Lin::constant(e.constant);
        for (r, c) in &e.terms {
            let term = match *r {
                Ref::Var(i) => Lin::var(i),
                Ref::Out { app, index } => self
                    .outputs
                    .get(app)
                    .and_then(|o| o.get(index))
                    .cloned()
                    .unwrap_or_else(|| Lin::constant(f64::NAN)),
            };
            acc = acc.add_scaled(&term, *c);
        }
        acc
    }

    /// Adds `atom` as rows named `name` (`Lt` relaxed to `Le`).
    fn add_atom(&self, model: &mut Model, name: String, atom: &LinAtom) {
        let e = self.lin(&atom.expr);
        let rel = if atom.rel == Rel::Eq {
            RowRel::Eq
        } else {
            RowRel::Le
        };
        model.add_row(name, e, rel);
    }
}

pub(crate) fn encode_base(
    problem: &Problem,
    networks: &[&Network],
    bounds: &ProblemBounds,
) -> Result<Base, String> {
    let mut model = Model::default();
    for (i, v) in problem.vars.iter().enumerate() {
        if !(v.lo.is_finite() && v.hi.is_finite()) {
            return Err(format!(
                "variable {} (`{}`) has an unbounded range",
                i, v.name
            ));
        }
        model.add_var(format!("x{i}"), v.lo, v.hi, false);
    }
    let n_vars = problem.vars.len();
    let mut base = Base {
        model,
        outputs: Vec::new(),
        n_vars,
        n_binaries: 0,
        binaries: Vec::new(),
    };
    let mut all_values: Vec<Vec<Vec<Lin>>> = Vec::with_capacity(problem.applications.len());
    for (k, app) in problem.applications.iter().enumerate() {
        let net = networks[app.network];
        let input: Vec<Lin> = app.input.iter().map(|c| base.lin(c)).collect();
        let values = encode_network(&mut base, k, net, input, &bounds.apps[k])?;
        base.outputs
            .push(values.last().cloned().unwrap_or_default());
        all_values.push(values);
    }
    for t in &bounds.twins {
        add_twin_cuts(&mut base, problem, networks, &all_values, t);
    }
    let rows: Vec<(String, &LinAtom)> = problem
        .premise
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("p{i}"), a))
        .collect();
    let mut model = std::mem::take(&mut base.model);
    for (name, a) in rows {
        base.add_atom(&mut model, name, a);
    }
    base.model = model;
    Ok(base)
}

fn encode_network(
    base: &mut Base,
    app: usize,
    net: &Network,
    input: Vec<Lin>,
    ibp: &[crate::bounds::Interval],
) -> Result<Vec<Vec<Lin>>, String> {
    let mut values: Vec<Vec<Lin>> = Vec::with_capacity(net.nodes.len() + 1);
    values.push(input);
    for (j, node) in net.nodes.iter().enumerate() {
        let bound = &ibp[j + 1];
        let out: Vec<Lin> = match &node.op {
            Op::Linear {
                input,
                weight,
                bias,
                in_features,
                out_features,
            } => {
                let x = &values[*input];
                let (nin, nout) = (*in_features, *out_features);
                let rows = x.len().checked_div(nin).unwrap_or(0);
                let mut y = Vec::with_capacity(rows * nout);
                for r in 0..rows {
                    for o in 0..nout {
                        let mut terms = Vec::new();
                        let mut constant = bias.as_ref().map(|b| b[o]).unwrap_or(0.0);
                        for i in 0..nin {
                            let w = weight[i * nout + o];
                            if w == 0.0 {
                                continue;
                            }
                            let xi = &x[r * nin + i];
                            terms.extend(xi.terms.iter().map(|(v, c)| (*v, c * w)));
                            constant += w * xi.constant;
                        }
                        y.push(Lin::from_terms(terms, constant));
                    }
                }
                y
            }
            Op::AddConst { input, constant } => map_const(&values[*input], constant, |e, c| {
                e.add_scaled(&Lin::constant(c), 1.0)
            }),
            Op::SubConst { input, constant } => map_const(&values[*input], constant, |e, c| {
                e.add_scaled(&Lin::constant(c), -1.0)
            }),
            Op::ConstSub { input, constant } => map_const(&values[*input], constant, |e, c| {
                Lin::constant(c).add_scaled(e, -1.0)
            }),
            Op::MulConst { input, constant } => {
                map_const(&values[*input], constant, |e, c| e.scale(c))
            }
            Op::DivConst { input, constant } => {
                map_const(&values[*input], constant, |e, c| e.scale(1.0 / c))
            }
            Op::Add { lhs, rhs } => values[*lhs]
                .iter()
                .zip(&values[*rhs])
                .map(|(a, b)| a.add_scaled(b, 1.0))
                .collect(),
            Op::Sub { lhs, rhs } => values[*lhs]
                .iter()
                .zip(&values[*rhs])
                .map(|(a, b)| a.add_scaled(b, -1.0))
                .collect(),
            Op::Relu { input } => {
                let pre = &ibp[*input];
                let mut y = Vec::with_capacity(values[*input].len());
                for (c, x) in values[*input].iter().enumerate() {
                    let (l, u) = (pre.lo[c], pre.hi[c]);
                    if u <= 0.0 {
                        y.push(Lin::constant(0.0));
                    } else if l >= 0.0 {
                        y.push(x.clone());
                    } else {
                        if !(l.is_finite() && u.is_finite()) {
                            return Err(format!(
                                "node `{}` has an unbounded pre-activation; cannot encode it",
                                node.name
                            ));
                        }
                        let m = &mut base.model;
                        let yv = m.add_var(format!("a{app}_r{j}_{c}"), 0.0, u, false);
                        let d = m.add_var(format!("a{app}_d{j}_{c}"), 0.0, 1.0, true);
                        let yl = Lin::var(yv);
                        // y - x >= 0
                        m.add_row(
                            format!("a{app}_r{j}_{c}_ge"),
                            yl.add_scaled(x, -1.0),
                            RowRel::Ge,
                        );
                        // y - x - l d <= -l
                        let act = yl
                            .add_scaled(x, -1.0)
                            .add_scaled(&Lin::var(d), -l)
                            .add_scaled(&Lin::constant(l), 1.0);
                        m.add_row(format!("a{app}_r{j}_{c}_act"), act, RowRel::Le);
                        // y - u d <= 0
                        m.add_row(
                            format!("a{app}_r{j}_{c}_off"),
                            yl.add_scaled(&Lin::var(d), -u),
                            RowRel::Le,
                        );
                        base.n_binaries += 1;
                        base.binaries.push((d, app, *input, c));
                        y.push(yl);
                    }
                }
                y
            }
            Op::Reshape { input } => values[*input].clone(),
            Op::ReluDiff { .. } => {
                return Err(format!(
                    "node `{}` is a twin-network difference, which the MILP encodes as the two networks themselves",
                    node.name
                ));
            }
        };
        // Materialize large expressions (a ReLU output is already one variable).
        let out = out
            .into_iter()
            .enumerate()
            .map(|(c, e)| {
                if e.terms.len() <= MAX_INLINE_TERMS {
                    return e;
                }
                let (lo, hi) = (
                    bound.lo.get(c).copied().unwrap_or(f64::NEG_INFINITY),
                    bound.hi.get(c).copied().unwrap_or(f64::INFINITY),
                );
                let m = &mut base.model;
                let v = m.add_var(format!("a{app}_n{j}_{c}"), lo, hi, false);
                m.add_row(
                    format!("a{app}_n{j}_{c}_def"),
                    Lin::var(v).add_scaled(&e, -1.0),
                    RowRel::Eq,
                );
                Lin::var(v)
            })
            .collect();
        values.push(out);
    }
    Ok(values)
}

/// The difference relaxation of two runs of one graph (see
/// `bounds::crown::relu_diff`), as valid inequalities: for each ReLU whose runs are not
/// both stable, with `X = x_b - x_a` (the pre-activations' difference, in `[dl, du]`
/// by the twin bounds) and `D = y_b - y_a`: `min(0, X) <= D <= max(0, X)`, each side
/// relaxed by its chord on `[dl, du]` (or exact when `X` has one sign). Every feasible
/// point of the exact encoding satisfies them, so the MILP stays exact; its LP
/// relaxation gets the twin bounds' tightness.
fn add_twin_cuts(
    base: &mut Base,
    problem: &Problem,
    networks: &[&Network],
    values: &[Vec<Vec<Lin>>],
    t: &crate::bounds::TwinDiff,
) {
    use crate::bounds::crown::relu::upper_line;
    let (Some(pa), Some(pb)) = (problem.applications.get(t.a), problem.applications.get(t.b))
    else {
        return;
    };
    let (Some(net), Some(va), Some(vb)) =
        (networks.get(pa.network), values.get(t.a), values.get(t.b))
    else {
        return;
    };
    if networks
        .get(pb.network)
        .is_none_or(|n| n.nodes.len() != net.nodes.len())
    {
        return;
    }
    for (j, node) in net.nodes.iter().enumerate() {
        let Op::Relu { input } = node.op else {
            continue;
        };
        let (Some(Some(dbox)), Some(xa), Some(xb), Some(ya), Some(yb)) = (
            t.delta.get(input),
            va.get(input),
            vb.get(input),
            va.get(j + 1),
            vb.get(j + 1),
        ) else {
            continue;
        };
        for c in 0..dbox
            .len()
            .min(xa.len())
            .min(xb.len())
            .min(ya.len())
            .min(yb.len())
        {
            // Both runs' ReLUs exactly encoded (no binary): nothing to add.
            if ya[c].terms.len() <= 1
                && yb[c].terms.len() <= 1
                && ya[c] == xa[c].clone()
                && yb[c] == xb[c].clone()
            {
                continue;
            }
            let (dl, du) = (dbox.lo[c], dbox.hi[c]);
            if !(dl.is_finite() && du.is_finite()) {
                continue;
            }
            let x = xb[c].add_scaled(&xa[c], -1.0);
            let d = yb[c].add_scaled(&ya[c], -1.0);
            let name = |s: &str| format!("t{}_{}_{j}_{c}_{s}", t.a, t.b);
            if d.terms.is_empty() {
                // Both outputs are the same expression (or constants): nothing to cut.
                continue;
            }
            let m = &mut base.model;
            if dl >= 0.0 {
                m.add_row(name("sign"), d.scale(-1.0), RowRel::Le);
                m.add_row(name("lip"), d.add_scaled(&x, -1.0), RowRel::Le);
            } else if du <= 0.0 {
                m.add_row(name("sign"), d.clone(), RowRel::Le);
                m.add_row(name("lip"), x.add_scaled(&d, -1.0), RowRel::Le);
            } else {
                // D <= s X + t;  D >= s' X - t'.
                if let Some((s, tt)) = upper_line(dl, du) {
                    m.add_row(
                        name("up"),
                        d.add_scaled(&x, -s).add_scaled(&Lin::constant(-tt), 1.0),
                        RowRel::Le,
                    );
                }
                if let Some((s, tt)) = upper_line(-du, -dl) {
                    m.add_row(
                        name("low"),
                        x.scale(s)
                            .add_scaled(&d, -1.0)
                            .add_scaled(&Lin::constant(-tt), 1.0),
                        RowRel::Le,
                    );
                }
            }
        }
    }
}

fn map_const(x: &[Lin], constant: &[f64], f: impl Fn(&Lin, f64) -> Lin) -> Vec<Lin> {
    x.iter()
        .enumerate()
        .map(|(i, e)| f(e, constant.get(i).copied().unwrap_or(f64::NAN)))
        .collect()
}

/// Name of the margin variable in violation models.
pub(crate) const MARGIN_VAR: &str = "s";

/// Lower bound of the margin variable: only whether `s* > TOL` matters, and a bounded
/// `s` keeps an empty goal conjunction (no atom) from making the model unbounded.
pub(crate) const MARGIN_FLOOR: f64 = -1.0;

/// Minimize `s` subject to the base, and every atom of goal disjunct `d` as `e <= s`
/// (`Le`/`Lt`) or `e <= s`, `-e <= s` (`Eq`). Returns the model and the index of `s`.
pub(crate) fn violation_model(problem: &Problem, base: &Base, d: usize) -> (Model, usize) {
    let mut m = base.model.clone();
    let s = m.add_var(MARGIN_VAR.to_string(), MARGIN_FLOOR, f64::INFINITY, false);
    if let Goal::Violation(goals) = &problem.goal
        && let Some(g) = goals.get(d)
    {
        for (i, a) in g.iter().enumerate() {
            let e = base.lin(&a.expr);
            m.add_row(
                format!("g{d}_{i}"),
                e.add_scaled(&Lin::var(s), -1.0),
                RowRel::Le,
            );
            if a.rel == Rel::Eq {
                m.add_row(
                    format!("g{d}_{i}_neg"),
                    e.scale(-1.0).add_scaled(&Lin::var(s), -1.0),
                    RowRel::Le,
                );
            }
        }
    }
    m.objective = Lin::var(s);
    m.maximize = false;
    (m, s)
}

/// Optimize objective `k` over the base and region `r` of a query.
pub(crate) fn objective_model(problem: &Problem, base: &Base, k: usize, r: usize) -> Model {
    let mut m = base.model.clone();
    if let Goal::Optimize {
        sense,
        objectives,
        regions,
    } = &problem.goal
    {
        if let Some(region) = regions.get(r) {
            for (i, a) in region.iter().enumerate() {
                base.add_atom(&mut m, format!("r{r}_{i}"), a);
            }
        }
        if let Some(o) = objectives.get(k) {
            m.objective = base.lin(o);
        }
        m.maximize = *sense == Sense::Maximize;
    }
    m
}
