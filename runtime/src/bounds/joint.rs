//! Joint networks of an IR problem: every network application in one graph over the
//! problem's variables, with close pairs of runs as twins (ITNE / GROCET difference
//! propagation).
//!
//! Takes: a [`Problem`] and its networks.
//! Gives: a [`JointNetwork`]: one [`Network`] whose input is the vector of the IR
//! variables. Each application is either *own* (an affine layer from the variables to
//! its input, then a copy of its network: the product encoding) or a *twin* of an
//! earlier application `A` of a network with the same structure: it is carried as
//! `A`'s values plus a difference stream `Δ` (`Δ` of a linear layer is `W_B Δ +
//! (W_B - W_A) a + (b_B - b_A)`, of a ReLU the [`Op::ReluDiff`] of `A`'s pre-activation
//! and its change). CROWN over this graph ([`JointNetwork::values`],
//! [`JointNetwork::lower_bounds`]) bounds any linear expression of variables and
//! outputs with the correlations between runs kept: shared variables are one input,
//! the premise's variable-only atoms are used when concretizing
//! ([`InputConstraints`]), and a twin's output is `A`'s output plus a difference that
//! stays narrow when the runs are close, however wide each run's range is.
//! Invariant: in real arithmetic the joint graph computes exactly the applications'
//! values (twin weight and constant differences are built only when exact in f64,
//! else the application is own); bounds are first sound for real arithmetic, then
//! widened by a bound on the f64 evaluation error of each application
//! ([`JointNetwork::lower_bounds`]), so they also hold for the values the concrete
//! check computes.

use super::crown::{self, CrownOptions, InputConstraints, Mat};
use super::{Interval, ProblemBounds, down, sum_error, up, var_expr_range};
use crate::network::{Network, Node, Op, ValueId};
use propc_compiler::ir::{LinExpr, Problem, Ref};
use std::sync::Arc;

/// How one application's values appear in the joint graph.
#[derive(Clone, Debug, PartialEq)]
pub struct JointApp {
    /// For each value of the application's network (input first): its id in the joint
    /// graph, or for a twin the id of the base application's value.
    pub base: Vec<ValueId>,
    /// For a twin: each value's difference from the base (`None`: identically 0).
    pub delta: Option<Vec<Option<ValueId>>>,
    /// The application this one is a twin of.
    pub twin_of: Option<usize>,
}

impl JointApp {
    fn output_parts(&self) -> (ValueId, Option<ValueId>) {
        let last = self.base.len() - 1;
        let d = self.delta.as_ref().and_then(|d| d[last]);
        (self.base[last], d)
    }
}

/// Every application of a problem in one graph (see the module doc).
#[derive(Clone, Debug)]
pub struct JointNetwork {
    pub net: Network,
    pub apps: Vec<JointApp>,
    /// The premise's variable-only atoms.
    pub constraints: Arc<InputConstraints>,
    /// Each application's network, for the f64 error bound.
    networks: Vec<Network>,
    /// Each application's input map, for the f64 error bound.
    inputs: Vec<Vec<LinExpr>>,
}

/// `b - a` when it is exact in f64 (Knuth's two-sum error is zero).
fn exact_diff(b: f64, a: f64) -> Option<f64> {
    let s = b - a;
    let bv = s + a;
    let av = bv - s;
    let err = (b - bv) + (av - a);
    (s.is_finite() && err == 0.0 && bv == b).then_some(s)
}

fn exact_diffs(b: &[f64], a: &[f64]) -> Option<Vec<f64>> {
    (a.len() == b.len())
        .then(|| b.iter().zip(a).map(|(x, y)| exact_diff(*x, *y)).collect())
        .flatten()
}

/// Two networks with the same graph: op kinds, operands, shapes and layer sizes.
fn same_structure(a: &Network, b: &Network) -> bool {
    a.input_size() == b.input_size()
        && a.nodes.len() == b.nodes.len()
        && a.nodes.iter().zip(&b.nodes).all(|(x, y)| {
            x.op.kind() == y.op.kind()
                && x.op.inputs() == y.op.inputs()
                && x.size() == y.size()
                && match (&x.op, &y.op) {
                    (
                        Op::Linear {
                            in_features: i1,
                            out_features: o1,
                            ..
                        },
                        Op::Linear {
                            in_features: i2,
                            out_features: o2,
                            ..
                        },
                    ) => i1 == i2 && o1 == o2,
                    _ => true,
                }
        })
}

/// The affine map `vars -> input` of an application as a dense layer (`None`: the
/// identity, the input is the variable vector itself).
fn input_layer(nv: usize, input: &[LinExpr]) -> Option<(Vec<f64>, Option<Vec<f64>>)> {
    let identity = input.len() == nv
        && input.iter().enumerate().all(|(j, e)| {
            e.constant == 0.0 && e.terms.len() == 1 && e.terms[0] == (Ref::Var(j), 1.0)
        });
    if identity {
        return None;
    }
    let m = input.len();
    let mut w = vec![0.0; nv * m];
    for (j, e) in input.iter().enumerate() {
        for (r, c) in &e.terms {
            if let Ref::Var(i) = *r
                && i < nv
            {
                w[i * m + j] += c;
            }
        }
    }
    let bias: Vec<f64> = input.iter().map(|e| e.constant).collect();
    let bias = bias.iter().any(|b| *b != 0.0).then_some(bias);
    Some((w, bias))
}

struct Builder {
    nodes: Vec<Node>,
}

impl Builder {
    fn push(&mut self, name: String, op: Op, size: usize) -> ValueId {
        self.nodes.push(Node {
            name,
            op,
            shape: vec![size],
        });
        self.nodes.len()
    }

    /// The application's input, then a copy of its network; the ids of its values.
    fn own(&mut self, k: usize, nv: usize, net: &Network, input: &[LinExpr]) -> Vec<ValueId> {
        let first = match input_layer(nv, input) {
            None => 0,
            Some((weight, bias)) => self.push(
                format!("app{k}/input"),
                Op::Linear {
                    input: 0,
                    weight,
                    bias,
                    in_features: nv,
                    out_features: input.len(),
                },
                input.len(),
            ),
        };
        let mut ids = vec![first];
        for node in &net.nodes {
            let mut op = node.op.clone();
            op.map_inputs(|v| ids[v]);
            let id = self.push(format!("app{k}/{}", node.name), op, node.size());
            ids.push(id);
        }
        ids
    }

    /// The difference stream of application `k` against the base `a` (ids `base`);
    /// `None` (nothing pushed) if some difference is not exact or not supported.
    fn twin(
        &mut self,
        k: usize,
        nv: usize,
        (net_a, in_a): (&Network, &[LinExpr]),
        (net_b, in_b): (&Network, &[LinExpr]),
        base: &[ValueId],
    ) -> Option<Vec<Option<ValueId>>> {
        let mark = self.nodes.len();
        let out = self.twin_nodes(k, nv, (net_a, in_a), (net_b, in_b), base);
        if out.is_none() {
            self.nodes.truncate(mark);
        }
        out
    }

    fn twin_nodes(
        &mut self,
        k: usize,
        nv: usize,
        (net_a, in_a): (&Network, &[LinExpr]),
        (net_b, in_b): (&Network, &[LinExpr]),
        base: &[ValueId],
    ) -> Option<Vec<Option<ValueId>>> {
        // The input's difference, coefficient by coefficient.
        let mut dinput = Vec::with_capacity(in_b.len());
        for (eb, ea) in in_b.iter().zip(in_a) {
            let mut terms: Vec<(Ref, f64)> = Vec::new();
            let mut all: Vec<Ref> = eb.terms.iter().chain(&ea.terms).map(|t| t.0).collect();
            all.sort();
            all.dedup();
            for r in all {
                let get = |e: &LinExpr| e.terms.iter().find(|t| t.0 == r).map_or(0.0, |t| t.1);
                let d = exact_diff(get(eb), get(ea))?;
                if d != 0.0 {
                    terms.push((r, d));
                }
            }
            dinput.push(LinExpr {
                terms,
                constant: exact_diff(eb.constant, ea.constant)?,
            });
        }
        let mut delta: Vec<Option<ValueId>> = Vec::with_capacity(base.len());
        let zero = dinput
            .iter()
            .all(|e| e.terms.is_empty() && e.constant == 0.0);
        delta.push(if zero {
            None
        } else {
            let (weight, bias) = input_layer(nv, &dinput).unwrap_or_else(|| {
                // Never the identity: the identity's difference is not zero here only
                // when it has terms; build it densely.
                let mut w = vec![0.0; nv * dinput.len()];
                for j in 0..dinput.len().min(nv) {
                    w[j * dinput.len() + j] = 1.0;
                }
                (w, None)
            });
            Some(self.push(
                format!("app{k}/input.delta"),
                Op::Linear {
                    input: 0,
                    weight,
                    bias,
                    in_features: nv,
                    out_features: dinput.len(),
                },
                dinput.len(),
            ))
        });
        for (i, (na, nb)) in net_a.nodes.iter().zip(&net_b.nodes).enumerate() {
            let name = format!("app{k}/{}.delta", nb.name);
            let size = nb.size();
            let d_of = |v: ValueId| delta[v];
            let new = match (&na.op, &nb.op) {
                (
                    Op::Linear {
                        input,
                        weight: wa,
                        bias: ba,
                        in_features,
                        out_features,
                    },
                    Op::Linear {
                        weight: wb,
                        bias: bb,
                        ..
                    },
                ) => {
                    let dw = exact_diffs(wb, wa)?;
                    let zeros = vec![0.0; *out_features];
                    let db = exact_diffs(
                        bb.as_deref().unwrap_or(&zeros),
                        ba.as_deref().unwrap_or(&zeros),
                    )?;
                    let db = db.iter().any(|v| *v != 0.0).then_some(db);
                    let lin =
                        |input: ValueId, weight: Vec<f64>, bias: Option<Vec<f64>>| Op::Linear {
                            input,
                            weight,
                            bias,
                            in_features: *in_features,
                            out_features: *out_features,
                        };
                    let through = d_of(*input);
                    let cross = dw.iter().any(|v| *v != 0.0);
                    match (through, cross) {
                        (None, false) => db.map(|db| {
                            self.push(name, lin(base[*input], vec![0.0; dw.len()], Some(db)), size)
                        }),
                        (Some(d), false) => Some(self.push(name, lin(d, wb.clone(), db), size)),
                        (None, true) => Some(self.push(name, lin(base[*input], dw, db), size)),
                        (Some(d), true) => {
                            let t1 =
                                self.push(format!("{name}.through"), lin(d, wb.clone(), db), size);
                            let t2 = self.push(
                                format!("{name}.cross"),
                                lin(base[*input], dw, None),
                                size,
                            );
                            Some(self.push(name, Op::Add { lhs: t1, rhs: t2 }, size))
                        }
                    }
                }
                (Op::Relu { input }, Op::Relu { .. }) => match d_of(*input) {
                    None => None,
                    Some(d) => {
                        let z = base[*input];
                        let w = self.push(format!("{name}.pre"), Op::Add { lhs: z, rhs: d }, size);
                        Some(self.push(name, Op::ReluDiff { z, d, w }, size))
                    }
                },
                // The ops with a constant: the same constant in both runs, and the
                // difference goes through the op's linear part.
                (
                    Op::AddConst { input, .. }
                    | Op::SubConst { input, .. }
                    | Op::ConstSub { input, .. }
                    | Op::MulConst { input, .. }
                    | Op::DivConst { input, .. },
                    _,
                ) => {
                    if na.op != nb.op {
                        return None;
                    }
                    let linear = |d: ValueId| match &na.op {
                        Op::ConstSub { .. } => Some(Op::MulConst {
                            input: d,
                            constant: vec![-1.0; size],
                        }),
                        Op::MulConst { constant, .. } => Some(Op::MulConst {
                            input: d,
                            constant: constant.clone(),
                        }),
                        Op::DivConst { constant, .. } => Some(Op::DivConst {
                            input: d,
                            constant: constant.clone(),
                        }),
                        _ => None,
                    };
                    d_of(*input).map(|d| match linear(d) {
                        Some(op) => self.push(name, op, size),
                        None => d,
                    })
                }
                (Op::Add { lhs, rhs }, Op::Add { .. }) => match (d_of(*lhs), d_of(*rhs)) {
                    (None, None) => None,
                    (Some(x), None) | (None, Some(x)) => Some(x),
                    (Some(x), Some(y)) => Some(self.push(name, Op::Add { lhs: x, rhs: y }, size)),
                },
                (Op::Sub { lhs, rhs }, Op::Sub { .. }) => match (d_of(*lhs), d_of(*rhs)) {
                    (None, None) => None,
                    (Some(x), None) => Some(x),
                    (None, Some(y)) => Some(self.push(
                        name,
                        Op::MulConst {
                            input: y,
                            constant: vec![-1.0; size],
                        },
                        size,
                    )),
                    (Some(x), Some(y)) => Some(self.push(name, Op::Sub { lhs: x, rhs: y }, size)),
                },
                (Op::Reshape { input }, Op::Reshape { .. }) => d_of(*input),
                _ => return None,
            };
            debug_assert_eq!(delta.len(), i + 1);
            delta.push(new);
        }
        Some(delta)
    }
}

impl JointNetwork {
    /// The joint graph of `problem`; `twins: false` builds the plain product (every
    /// application own). `None` if an application does not fit its network.
    pub fn build(problem: &Problem, networks: &[&Network], twins: bool) -> Option<JointNetwork> {
        crate::verify::check_networks(problem, networks).ok()?;
        let nv = problem.vars.len();
        let vars = Interval::new(
            problem.vars.iter().map(|v| v.lo).collect(),
            problem.vars.iter().map(|v| v.hi).collect(),
        );
        let constraints = InputConstraints::from_premise(problem);
        // The width of an affine expression of the variables over their box and the
        // premise's variable-only atoms (`x - y` is narrow where the premise says so).
        let width = |e: &LinExpr| {
            let mut a = vec![0.0; nv];
            for (r, c) in &e.terms {
                match *r {
                    Ref::Var(i) if i < nv => a[i] += c,
                    _ => return f64::INFINITY,
                }
            }
            let neg: Vec<f64> = a.iter().map(|v| -v).collect();
            let lo = constraints.concretize(&a, &vars, 0.0, 0.0);
            let hi = -constraints.concretize(&neg, &vars, 0.0, 0.0);
            let (il, ih) = var_expr_range(&vars, e);
            (hi.min(ih - e.constant) - lo.max(il - e.constant)).max(0.0)
        };
        let mut b = Builder { nodes: Vec::new() };
        let mut apps: Vec<JointApp> = Vec::with_capacity(problem.applications.len());
        for (k, app) in problem.applications.iter().enumerate() {
            let net = networks[app.network];
            // The closest earlier own application of a network with the same graph.
            let partner = if twins {
                (0..k)
                    .filter(|&a| apps[a].twin_of.is_none())
                    .filter(|&a| same_structure(networks[problem.applications[a].network], net))
                    .filter_map(|a| {
                        let pa = &problem.applications[a];
                        let own: f64 = pa.input.iter().map(width).sum();
                        let diff: f64 = app
                            .input
                            .iter()
                            .zip(&pa.input)
                            .map(|(x, y)| width(&x.sub(y)))
                            .sum();
                        (diff < own || diff == 0.0).then_some((a, diff))
                    })
                    .min_by(|x, y| x.1.total_cmp(&y.1))
                    .map(|(a, _)| a)
            } else {
                None
            };
            let twin = partner.and_then(|a| {
                let pa = &problem.applications[a];
                let base = apps[a].base.clone();
                b.twin(
                    k,
                    nv,
                    (networks[pa.network], &pa.input),
                    (net, &app.input),
                    &base,
                )
                .map(|d| JointApp {
                    base,
                    delta: Some(d),
                    twin_of: Some(a),
                })
            });
            apps.push(twin.unwrap_or_else(|| JointApp {
                base: b.own(k, nv, net, &app.input),
                delta: None,
                twin_of: None,
            }));
        }
        Some(JointNetwork {
            net: Network {
                source: "joint network".into(),
                input_shape: vec![nv],
                nodes: b.nodes,
            },
            apps,
            constraints: Arc::new(constraints),
            networks: problem
                .applications
                .iter()
                .map(|a| networks[a.network].clone())
                .collect(),
            inputs: problem
                .applications
                .iter()
                .map(|a| a.input.clone())
                .collect(),
        })
    }

    /// Whether some application is a twin.
    pub fn has_twins(&self) -> bool {
        self.apps.iter().any(|a| a.twin_of.is_some())
    }

    /// CROWN boxes of every joint value over the variable box `vars` (and the
    /// premise's variable-only atoms), within `prior` when given.
    pub fn values(
        &self,
        vars: &Interval,
        prior: Option<&[Interval]>,
        opts: &CrownOptions,
    ) -> Vec<Interval> {
        let opts = CrownOptions {
            input_constraints: Some(self.constraints.clone()),
            ..opts.clone()
        };
        crown::crown_intervals_within(&self.net, &vars.lo, &vars.hi, prior, &opts).values
    }

    /// Each application's values' boxes, from the joint boxes (a twin's value is in
    /// the sum of its base's and its difference's boxes), as [`ProblemBounds`].
    pub fn problem_bounds(&self, vars: &Interval, values: &[Interval]) -> ProblemBounds {
        let apps = self
            .apps
            .iter()
            .map(|app| {
                app.base
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| {
                        let b = &values[v];
                        match app.delta.as_ref().and_then(|d| d[i]) {
                            None => b.clone(),
                            Some(d) => {
                                let d = &values[d];
                                let lo =
                                    b.lo.iter()
                                        .zip(&d.lo)
                                        .map(|(x, y)| (x + y).next_down())
                                        .collect();
                                let hi =
                                    b.hi.iter()
                                        .zip(&d.hi)
                                        .map(|(x, y)| (x + y).next_up())
                                        .collect();
                                Interval::new(lo, hi)
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let twins = self
            .apps
            .iter()
            .enumerate()
            .filter_map(|(b, app)| {
                let a = app.twin_of?;
                let delta = app.delta.as_ref()?;
                Some(super::TwinDiff {
                    a,
                    b,
                    delta: delta
                        .iter()
                        .zip(&app.base)
                        .map(|(d, base)| match d {
                            Some(d) => Some(values[*d].clone()),
                            // Identically zero.
                            None => Some(Interval::new(
                                vec![0.0; values[*base].len()],
                                vec![0.0; values[*base].len()],
                            )),
                        })
                        .collect(),
                })
            })
            .collect();
        ProblemBounds {
            vars: vars.clone(),
            apps,
            twins,
        }
    }

    /// A bound on `|f64 output - real output|` of each application's outputs over the
    /// boxes `pb` (per layer: the operands' error carried through, plus the rounding of
    /// the layer; the input map's own rounding first).
    pub fn eval_errors(&self, pb: &ProblemBounds) -> Vec<Vec<f64>> {
        self.networks
            .iter()
            .zip(&self.inputs)
            .zip(&pb.apps)
            .map(|((net, input), boxes)| forward_error(net, input, &pb.vars, boxes))
            .collect()
    }

    /// `pb` with each application's output box widened by its f64 evaluation error
    /// bound (`errors` from [`JointNetwork::eval_errors`] on `pb`): the joint boxes
    /// hold for real arithmetic, these also for the values the concrete check computes.
    pub fn widen_outputs(&self, mut pb: ProblemBounds, errors: &[Vec<f64>]) -> ProblemBounds {
        for (boxes, err) in pb.apps.iter_mut().zip(errors) {
            if let Some(out) = boxes.last_mut() {
                for (j, e) in err.iter().enumerate().take(out.len()) {
                    out.lo[j] = (out.lo[j] - e).next_down();
                    out.hi[j] = (out.hi[j] + e).next_up();
                }
            }
        }
        pb
    }

    /// Sound lower bounds of each expression (variables and outputs; the constant
    /// included) over the variable box, with the coefficients of the variables in each
    /// bound. `values` from [`JointNetwork::values`] on that box; `errors` from
    /// [`JointNetwork::eval_errors`]: each output term `c · out` is charged `|c| e`.
    pub fn lower_bounds(
        &self,
        values: &[Interval],
        exprs: &[&LinExpr],
        errors: &[Vec<f64>],
    ) -> (Vec<f64>, Mat) {
        let rows = exprs.len();
        let nv = self.net.input_size();
        let mut seeds: Vec<(ValueId, Mat)> = Vec::new();
        let seed_of = |v: ValueId, seeds: &mut Vec<(ValueId, Mat)>| -> usize {
            match seeds.iter().position(|s| s.0 == v) {
                Some(p) => p,
                None => {
                    seeds.push((v, Mat::zeros(rows, values[v].len())));
                    seeds.len() - 1
                }
            }
        };
        let mut slack = vec![0.0; rows];
        for (r, e) in exprs.iter().enumerate() {
            for (rf, c) in &e.terms {
                match *rf {
                    Ref::Var(j) if j < nv => {
                        let p = seed_of(0, &mut seeds);
                        seeds[p].1.data[r * nv + j] += c;
                    }
                    Ref::Var(_) => slack[r] = f64::INFINITY,
                    Ref::Out { app, index } => {
                        let Some(ja) = self.apps.get(app) else {
                            slack[r] = f64::INFINITY;
                            continue;
                        };
                        let (b, d) = ja.output_parts();
                        for v in std::iter::once(b).chain(d) {
                            let p = seed_of(v, &mut seeds);
                            let cols = seeds[p].1.cols;
                            if index < cols {
                                seeds[p].1.data[r * cols + index] += c;
                            } else {
                                slack[r] = f64::INFINITY;
                            }
                        }
                        let err = errors.get(app).and_then(|e| e.get(index)).copied();
                        slack[r] += c.abs() * err.unwrap_or(f64::INFINITY);
                    }
                }
            }
        }
        if seeds.is_empty() {
            seed_of(0, &mut seeds);
        }
        let (low, coef) =
            crown::seeded_lower_bounds(&self.net, values, seeds, Some(&self.constraints));
        let out = low
            .iter()
            .zip(exprs)
            .zip(&slack)
            .map(|((l, e), s)| {
                // A coefficient summed from two terms of one expression (a variable and
                // an output that shares it) is exact in the seed up to one rounding,
                // covered by the 2x margins of the error terms; the constant is added
                // with one more rounding.
                let v = down(l + e.constant, sum_error(2, l.abs() + e.constant.abs()) + s);
                if v.is_nan() { f64::NEG_INFINITY } else { v }
            })
            .collect();
        (out, coef)
    }
}

impl JointNetwork {
    /// Sound ranges of each expression as the concrete check evaluates it, with the
    /// variables' coefficients of its lower bound (its sensitivity, for splitting):
    /// the lower end from [`JointNetwork::lower_bounds`], the upper end (only where
    /// `upper(k)`, else `+inf`) from the negated expression, both widened by the
    /// expression's own f64 evaluation error and never looser than intervals on `pb`
    /// (the boxes of [`JointNetwork::problem_bounds`], widened by `errors`).
    pub fn expr_ranges(
        &self,
        values: &[Interval],
        pb: &ProblemBounds,
        errors: &[Vec<f64>],
        exprs: &[&LinExpr],
        upper: &dyn Fn(usize) -> bool,
    ) -> Vec<(f64, f64, Vec<f64>)> {
        let negs: Vec<LinExpr> = exprs.iter().map(|e| e.scale(-1.0)).collect();
        let mut rows: Vec<&LinExpr> = exprs.to_vec();
        let mut neg_row: Vec<Option<usize>> = vec![None; exprs.len()];
        for (k, neg) in negs.iter().enumerate() {
            if upper(k) {
                neg_row[k] = Some(rows.len());
                rows.push(neg);
            }
        }
        let (low, coef) = self.lower_bounds(values, &rows, errors);
        exprs
            .iter()
            .enumerate()
            .map(|(k, e)| {
                // The f64 evaluation of the expression itself (the concrete check).
                let mut mag = e.constant.abs();
                for (r, c) in &e.terms {
                    let (l, h) = pb.scalar(*r);
                    mag += c.abs() * l.abs().max(h.abs());
                }
                let e_eval = sum_error(e.terms.len() + 1, mag);
                let lo = down(low[k], e_eval);
                let hi = neg_row[k].map_or(f64::INFINITY, |r| up(-low[r], e_eval));
                let (ilo, ihi) = pb.expr(e);
                let lo = if lo.is_nan() { ilo } else { lo.max(ilo) };
                let hi = if hi.is_nan() { ihi } else { hi.min(ihi) };
                let grad = if coef.rows > k {
                    coef.row(k).to_vec()
                } else {
                    vec![0.0; pb.vars.len()]
                };
                (lo, hi, grad)
            })
            .collect()
    }
}

/// See [`JointNetwork::eval_errors`].
fn forward_error(
    net: &Network,
    input: &[LinExpr],
    vars: &Interval,
    boxes: &[Interval],
) -> Vec<f64> {
    let mag = |iv: &Interval| -> Vec<f64> {
        iv.lo
            .iter()
            .zip(&iv.hi)
            .map(|(l, h)| l.abs().max(h.abs()))
            .collect()
    };
    let eps = f64::EPSILON;
    let tiny = f64::from_bits(1);
    let mut err: Vec<Vec<f64>> = Vec::with_capacity(net.nodes.len() + 1);
    err.push(
        input
            .iter()
            .map(|e| {
                let m: f64 = e.constant.abs()
                    + e.terms
                        .iter()
                        .map(|(r, c)| match *r {
                            Ref::Var(i) if i < vars.len() => {
                                c.abs() * vars.lo[i].abs().max(vars.hi[i].abs())
                            }
                            _ => f64::INFINITY,
                        })
                        .sum::<f64>();
                sum_error(e.terms.len() + 1, m)
            })
            .collect(),
    );
    for (k, node) in net.nodes.iter().enumerate() {
        let out_mag = boxes.get(k + 1).map(mag).unwrap_or_default();
        let om = |j: usize| out_mag.get(j).copied().unwrap_or(f64::INFINITY);
        let e: Vec<f64> = match &node.op {
            Op::Linear {
                input,
                weight,
                bias,
                in_features,
                out_features,
            } => {
                let (nin, nout) = (*in_features, *out_features);
                let ein = &err[*input];
                let xin = boxes.get(*input).map(mag).unwrap_or_default();
                let rows = ein.len().checked_div(nin).unwrap_or(0);
                let mut out = vec![0.0; rows * nout];
                for r in 0..rows {
                    for j in 0..nout {
                        let (mut carried, mut m) = (0.0, bias.as_ref().map_or(0.0, |b| b[j].abs()));
                        for i in 0..nin {
                            let w = weight[i * nout + j].abs();
                            carried += w * ein[r * nin + i];
                            m += w
                                * (xin.get(r * nin + i).copied().unwrap_or(f64::INFINITY)
                                    + ein[r * nin + i]);
                        }
                        out[r * nout + j] = carried + sum_error(nin + 1, m);
                    }
                }
                out
            }
            Op::Relu { input } | Op::Reshape { input } => err[*input].clone(),
            Op::AddConst { input, .. }
            | Op::SubConst { input, .. }
            | Op::ConstSub { input, .. } => err[*input]
                .iter()
                .enumerate()
                .map(|(j, e)| e + eps * (om(j) + e) + tiny)
                .collect(),
            Op::MulConst { input, constant } | Op::DivConst { input, constant } => {
                let div = matches!(node.op, Op::DivConst { .. });
                err[*input]
                    .iter()
                    .enumerate()
                    .map(|(j, e)| {
                        let c = constant.get(j).copied().unwrap_or(f64::NAN).abs();
                        let f = if div { 1.0 / c } else { c };
                        e * f * (1.0 + eps) + eps * (om(j) + e * f) + tiny
                    })
                    .collect()
            }
            Op::Add { lhs, rhs } | Op::Sub { lhs, rhs } => err[*lhs]
                .iter()
                .zip(&err[*rhs])
                .enumerate()
                .map(|(j, (a, b))| a + b + eps * (om(j) + a + b) + tiny)
                .collect(),
            Op::ReluDiff { z, w, .. } => err[*z]
                .iter()
                .zip(&err[*w])
                .enumerate()
                .map(|(j, (a, b))| a + b + eps * (om(j) + a + b) + tiny)
                .collect(),
        };
        // Twice the estimate: the same margin as the other rounding bounds.
        err.push(
            e.into_iter()
                .map(|v| if v.is_nan() { f64::INFINITY } else { 2.0 * v })
                .collect(),
        );
    }
    err.pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::seeded::{Lcg, mlp};
    use propc_compiler::ir::{Application, Goal, LinAtom, QuantVar, Rel, Var};

    fn var(i: usize) -> LinExpr {
        LinExpr::var(Ref::Var(i))
    }

    /// `f(x)` and `g(y)` with `x, y` in `[0, 1]^n` and `|x_j - y_j| <= delta` (`g = f`:
    /// a twin; `delta = 0`: one shared input).
    fn problem(n: usize, delta: f64, shared: bool) -> Problem {
        let nv = if shared { n } else { 2 * n };
        let mut premise = Vec::new();
        if !shared {
            for j in 0..n {
                let d = var(j).sub(&var(n + j));
                premise.push(LinAtom {
                    expr: d.add(&LinExpr::constant(-delta)),
                    rel: Rel::Le,
                });
                premise.push(LinAtom {
                    expr: d.scale(-1.0).add(&LinExpr::constant(-delta)),
                    rel: Rel::Le,
                });
            }
        }
        let off = if shared { 0 } else { n };
        Problem {
            name: "t".into(),
            sample: None,
            vars: (0..nv)
                .map(|i| Var {
                    name: format!("v{i}"),
                    lo: 0.0,
                    hi: 1.0,
                })
                .collect(),
            inputs: vec![QuantVar {
                name: "x".into(),
                shape: vec![n],
                coords: (0..n).map(var).collect(),
            }],
            applications: vec![
                Application {
                    network: 0,
                    input: (0..n).map(var).collect(),
                    outputs: 2,
                },
                Application {
                    network: 1,
                    input: (0..n).map(|j| var(off + j)).collect(),
                    outputs: 2,
                },
            ],
            premise,
            goal: Goal::Violation(vec![]),
        }
    }

    fn out(app: usize, index: usize) -> LinExpr {
        LinExpr::var(Ref::Out { app, index })
    }

    /// Joint ranges contain every sampled value of `g(y)[0] - f(x)[0]` and
    /// `f(x)[1] + g(y)[1] - x_0`; the twin graph is used and beats the naive bound.
    #[test]
    fn joint_ranges_contain_samples_and_twins_are_tighter() {
        let mut tighter = 0;
        for seed in 0..8u64 {
            let n = 3;
            let f = mlp(&[n, 8, 8, 2], 11 + seed * 7, 0.5);
            // `g`: `f` (a twin of one network) or `f` with a few weights changed (two
            // networks on a shared input, as a pruned copy).
            let mut g = f.clone();
            let shared = seed % 2 == 1;
            if shared && let Op::Linear { weight, .. } = &mut g.nodes[2].op {
                weight[0] = 0.0;
                weight[3] *= 0.5;
            }
            let delta = if shared { 0.0 } else { 0.05 };
            let p = problem(n, delta, shared);
            let nets = [&f, &g];
            let joint = JointNetwork::build(&p, &nets, true).expect("joint");
            assert!(
                joint.has_twins(),
                "seed {seed}: the two runs should be twins"
            );
            let vars = Interval::new(vec![0.0; p.vars.len()], vec![1.0; p.vars.len()]);
            let values = joint.values(&vars, None, &CrownOptions::default());
            let pb = joint.problem_bounds(&vars, &values);
            let errors = joint.eval_errors(&pb);
            let e1 = out(1, 0).sub(&out(0, 0));
            let e2 = out(0, 1).add(&out(1, 1)).sub(&var(0));
            let exprs = [&e1, &e2, &e1.scale(-1.0), &e2.scale(-1.0)];
            let (low, _) = joint.lower_bounds(&values, &exprs, &errors);
            let naive = crate::bounds::ProblemBounds::compute(&p, &nets)
                .expect("bounds")
                .with_crown(&p, &nets, &CrownOptions::default());
            if -low[2] < naive.expr(&e1).1 - 1e-9 {
                tighter += 1;
            }
            let mut rnd = Lcg(seed + 100);
            for _ in 0..400 {
                let x: Vec<f64> = (0..n).map(|_| 0.5 + 0.5 * rnd.next()).collect();
                let y: Vec<f64> = if shared {
                    x.clone()
                } else {
                    x.iter()
                        .map(|v| (v + delta * rnd.next()).clamp(0.0, 1.0))
                        .collect()
                };
                let (fx, gy) = (f.eval(&x).expect("eval"), g.eval(&y).expect("eval"));
                let v1 = gy[0] - fx[0];
                let v2 = fx[1] + gy[1] - x[0];
                assert!(
                    low[0] <= v1 && v1 <= -low[2],
                    "seed {seed}: {v1} outside [{}, {}]",
                    low[0],
                    -low[2]
                );
                assert!(
                    low[1] <= v2 && v2 <= -low[3],
                    "seed {seed}: {v2} outside [{}, {}]",
                    low[1],
                    -low[3]
                );
            }
        }
        assert!(
            tighter >= 6,
            "the twin bound beat the naive one on only {tighter} of 8"
        );
    }

    #[test]
    fn inexact_weight_differences_fall_back_to_own_copies() {
        let f = mlp(&[2, 4, 1], 5, 0.5);
        let mut g = f.clone();
        if let Op::Linear { weight, .. } = &mut g.nodes[0].op {
            weight[0] = 1e300;
        }
        if let Op::Linear { weight, .. } = &mut g.nodes[0].op {
            weight[1] += 1e-300;
        }
        let p = problem(2, 0.0, true);
        let mut p = p;
        p.applications[0].outputs = 1;
        p.applications[1].outputs = 1;
        let mut f2 = f.clone();
        if let Op::Linear { weight, .. } = &mut f2.nodes[0].op {
            weight[0] = 1e-300;
        }
        let joint = JointNetwork::build(&p, &[&f2, &g], true).expect("joint");
        assert!(!joint.has_twins());
        assert_eq!(exact_diff(1e300, 1e-300), None);
        assert_eq!(exact_diff(0.75, 0.5), Some(0.25));
    }
}
