//! Shared builders for the runtime tests: tiny networks and IR problems by hand.
#![allow(dead_code)]

use propc_compiler::ir::{
    Application, Goal, LinAtom, LinExpr, Problem, QuantVar, Ref, Rel, Sense, Var,
};
use propc_runtime::network::{Network, Node, Op};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A fully connected ReLU network; `layers[k] = (W [out][in], b)`, ReLU between layers.
pub fn mlp(layers: &[(Vec<Vec<f64>>, Vec<f64>)]) -> Network {
    let n_in = layers[0].0[0].len();
    let mut nodes = Vec::new();
    let mut cur = 0;
    for (k, (w, b)) in layers.iter().enumerate() {
        let (nout, nin) = (w.len(), w[0].len());
        let mut weight = vec![0.0; nin * nout];
        for (j, row) in w.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                weight[i * nout + j] = *v;
            }
        }
        nodes.push(Node {
            name: format!("fc{k}"),
            op: Op::Linear {
                input: cur,
                weight,
                bias: Some(b.clone()),
                in_features: nin,
                out_features: nout,
            },
            shape: vec![nout],
        });
        cur = nodes.len();
        if k + 1 < layers.len() {
            nodes.push(Node {
                name: format!("relu{k}"),
                op: Op::Relu { input: cur },
                shape: vec![nout],
            });
            cur = nodes.len();
        }
    }
    Network {
        source: "test".into(),
        input_shape: vec![n_in],
        nodes,
    }
}

/// A random ReLU MLP with the given widths.
pub fn random_mlp(rng: &mut ChaCha8Rng, widths: &[usize]) -> Network {
    let layers: Vec<(Vec<Vec<f64>>, Vec<f64>)> = widths
        .windows(2)
        .map(|w| {
            let m = (0..w[1])
                .map(|_| (0..w[0]).map(|_| rng.random_range(-1.0..1.0)).collect())
                .collect();
            let b = (0..w[1]).map(|_| rng.random_range(-0.5..0.5)).collect();
            (m, b)
        })
        .collect();
    mlp(&layers)
}

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

pub fn v(i: usize) -> Ref {
    Ref::Var(i)
}

pub fn o(app: usize, index: usize) -> Ref {
    Ref::Out { app, index }
}

pub fn lin(terms: &[(Ref, f64)], constant: f64) -> LinExpr {
    LinExpr {
        terms: terms.to_vec(),
        constant,
    }
    .canonicalize()
}

pub fn le(e: LinExpr) -> LinAtom {
    LinAtom {
        expr: e,
        rel: Rel::Le,
    }
}

pub fn lt(e: LinExpr) -> LinAtom {
    LinAtom {
        expr: e,
        rel: Rel::Lt,
    }
}

pub fn eq(e: LinExpr) -> LinAtom {
    LinAtom {
        expr: e,
        rel: Rel::Eq,
    }
}

/// One application per entry of `apps` (network index, input expressions, outputs).
pub fn problem(
    vars: &[(f64, f64)],
    inputs: Vec<(&str, Vec<LinExpr>)>,
    apps: Vec<(usize, Vec<LinExpr>, usize)>,
    premise: Vec<LinAtom>,
    goal: Goal,
) -> Problem {
    Problem {
        name: "p".into(),
        sample: None,
        vars: vars
            .iter()
            .enumerate()
            .map(|(i, (lo, hi))| Var {
                name: format!("v{i}"),
                lo: *lo,
                hi: *hi,
            })
            .collect(),
        inputs: inputs
            .into_iter()
            .map(|(n, coords)| QuantVar {
                name: n.into(),
                shape: vec![coords.len()],
                coords,
            })
            .collect(),
        applications: apps
            .into_iter()
            .map(|(network, input, outputs)| Application {
                network,
                input,
                outputs,
            })
            .collect(),
        premise,
        goal,
    }
}

pub fn violation(goals: Vec<Vec<LinAtom>>) -> Goal {
    Goal::Violation(goals)
}

pub fn maximize(objectives: Vec<LinExpr>, regions: Vec<Vec<LinAtom>>) -> Goal {
    Goal::Optimize {
        sense: Sense::Maximize,
        objectives,
        regions,
    }
}

pub fn minimize(objectives: Vec<LinExpr>, regions: Vec<Vec<LinAtom>>) -> Goal {
    Goal::Optimize {
        sense: Sense::Minimize,
        objectives,
        regions,
    }
}

/// Every point of a regular grid over the boxes (`n` points per axis).
pub fn grid(boxes: &[(f64, f64)], n: usize) -> Vec<Vec<f64>> {
    let mut pts = vec![Vec::new()];
    for (lo, hi) in boxes {
        let mut next = Vec::new();
        for p in &pts {
            for k in 0..n {
                let t = if n == 1 {
                    0.5
                } else {
                    k as f64 / (n - 1) as f64
                };
                let mut q = p.clone();
                q.push(lo + t * (hi - lo));
                next.push(q);
            }
        }
        pts = next;
    }
    pts
}

/// Two applications of network 0 (2 inputs, 2 outputs) with a shared variable:
/// `x = (v0, v1)`, `y = (v0 + v2, 0.5 v1 - v2 + 0.1)`, no premise, no goal.
pub fn two_application_problem() -> Problem {
    problem(
        &[(-1.0, 1.0), (0.0, 2.0), (-0.1, 0.1)],
        vec![],
        vec![
            (
                0,
                vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
                2,
            ),
            (
                0,
                vec![
                    lin(&[(v(0), 1.0), (v(2), 1.0)], 0.0),
                    lin(&[(v(1), 0.5), (v(2), -1.0)], 0.1),
                ],
                2,
            ),
        ],
        vec![],
        violation(vec![]),
    )
}
