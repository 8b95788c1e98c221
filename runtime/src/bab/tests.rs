//! Branch and bound against brute force on tiny seeded networks.

use super::*;
use crate::network::{Network, Node, Op};
use propc_compiler::ir::{Application, Goal, LinExpr, QuantVar, Ref, Rel, Var};
use std::time::Duration;

fn mlp(widths: &[usize], seed: u64) -> Network {
    crate::network::seeded::mlp(widths, seed.wrapping_mul(31).wrapping_add(7), 0.3)
}

fn var_expr(i: usize) -> LinExpr {
    LinExpr {
        terms: vec![(Ref::Var(i), 1.0)],
        constant: 0.0,
    }
}

/// `forall x in [-1, 1]^d: f(x)[0] <= t`, as IR: violated iff `t - f(x)[0] < 0`.
fn threshold_problem(d: usize, t: f64) -> Problem {
    Problem {
        name: "p".into(),
        sample: None,
        vars: (0..d)
            .map(|i| Var {
                name: format!("x[{i}]"),
                lo: -1.0,
                hi: 1.0,
            })
            .collect(),
        inputs: vec![QuantVar {
            name: "x".into(),
            shape: vec![d],
            coords: (0..d).map(var_expr).collect(),
        }],
        applications: vec![Application {
            network: 0,
            input: (0..d).map(var_expr).collect(),
            outputs: 1,
        }],
        premise: vec![],
        goal: Goal::Violation(vec![vec![LinAtom {
            expr: LinExpr {
                terms: vec![(Ref::Out { app: 0, index: 0 }, -1.0)],
                constant: t,
            },
            rel: Rel::Lt,
        }]]),
    }
}

fn run(problem: &Problem, net: &Network, threads: usize) -> BabOutcome {
    let Goal::Violation(goals) = &problem.goal else {
        unreachable!()
    };
    let open: Vec<usize> = (0..goals.len()).collect();
    let mut o = BabOptions::new(Instant::now() + Duration::from_secs(20));
    o.threads = threads;
    input_split(problem, goals, &open, &[net], &o)
}

/// The maximum of `f(x)[0]` on a fine grid of `[-1, 1]^2`.
fn grid_max(net: &Network) -> f64 {
    let n = 400;
    let mut best = f64::NEG_INFINITY;
    for i in 0..=n {
        for j in 0..=n {
            let x = [
                -1.0 + 2.0 * i as f64 / n as f64,
                -1.0 + 2.0 * j as f64 / n as f64,
            ];
            best = best.max(net.eval(&x).expect("evaluates")[0]);
        }
    }
    best
}

#[test]
fn verdicts_match_brute_force_on_both_sides_of_the_maximum() {
    let (mut verified, mut violated) = (0, 0);
    for seed in 0..12 {
        let net = mlp(&[2, 8, 8, 1], seed);
        let m = grid_max(&net);
        // Above the grid maximum by more than the grid's Lipschitz slack: holds, and
        // branch and bound must prove it. Below: a counterexample exists.
        let lip: f64 = 30.0 * 2.0 / 400.0;
        match run(&threshold_problem(2, m + lip.max(0.05)), &net, 1) {
            BabOutcome::Verified { .. } => verified += 1,
            other => panic!("seed {seed}: expected a proof, got {other:?}"),
        }
        match run(&threshold_problem(2, m - 1e-3), &net, 1) {
            BabOutcome::Violated { counterexample, .. } => {
                let y = net.eval(&counterexample.vars).expect("evaluates")[0];
                assert!(y > m - 1e-3, "seed {seed}: {y} is no counterexample");
                violated += 1;
            }
            other => panic!("seed {seed}: expected a counterexample, got {other:?}"),
        }
    }
    assert_eq!((verified, violated), (12, 12));
}

#[test]
fn the_result_does_not_depend_on_the_number_of_threads() {
    let net = mlp(&[3, 10, 10, 1], 5);
    let p = threshold_problem(3, 2.0);
    let a = run(&p, &net, 1);
    let b = run(&p, &net, 2);
    match (a, b) {
        (BabOutcome::Verified { domains: x }, BabOutcome::Verified { domains: y })
        | (BabOutcome::Violated { domains: x, .. }, BabOutcome::Violated { domains: y, .. }) => {
            assert_eq!(x, y)
        }
        (a, b) => panic!("{a:?} vs {b:?}"),
    }
}

/// Two applications and a variable-only premise `x0 <= y0` (monotonicity of a
/// one-input network): the premise shrinks boxes, and a decreasing network violates.
#[test]
fn relational_premise_is_respected() {
    // f(x) = relu(x) - 2 relu(-x): increasing; g = -f: decreasing.
    let make = |s: f64| Network {
        source: "t".into(),
        input_shape: vec![1],
        nodes: vec![
            Node {
                name: "fc0".into(),
                op: Op::Linear {
                    input: 0,
                    weight: vec![1.0, -1.0],
                    bias: Some(vec![0.0, 0.0]),
                    in_features: 1,
                    out_features: 2,
                },
                shape: vec![2],
            },
            Node {
                name: "r".into(),
                op: Op::Relu { input: 1 },
                shape: vec![2],
            },
            Node {
                name: "fc1".into(),
                op: Op::Linear {
                    input: 2,
                    weight: vec![s, -2.0 * s],
                    bias: Some(vec![0.0]),
                    in_features: 2,
                    out_features: 1,
                },
                shape: vec![1],
            },
        ],
    };
    // vars: x, y in [-1, 1]; premise x - y + 0.1 <= 0; violated iff f(x) - f(y) > 0.
    let problem = Problem {
        name: "mono".into(),
        sample: None,
        vars: vec![
            Var {
                name: "x".into(),
                lo: -1.0,
                hi: 1.0,
            },
            Var {
                name: "y".into(),
                lo: -1.0,
                hi: 1.0,
            },
        ],
        inputs: vec![],
        applications: vec![
            Application {
                network: 0,
                input: vec![var_expr(0)],
                outputs: 1,
            },
            Application {
                network: 0,
                input: vec![var_expr(1)],
                outputs: 1,
            },
        ],
        premise: vec![LinAtom {
            expr: LinExpr {
                terms: vec![(Ref::Var(0), 1.0), (Ref::Var(1), -1.0)],
                constant: 0.1,
            },
            rel: Rel::Le,
        }],
        goal: Goal::Violation(vec![vec![LinAtom {
            expr: LinExpr {
                terms: vec![
                    (Ref::Out { app: 0, index: 0 }, -1.0),
                    (Ref::Out { app: 1, index: 0 }, 1.0),
                ],
                constant: 0.0,
            },
            rel: Rel::Lt,
        }]]),
    };
    let up = make(1.0);
    assert!(matches!(run(&problem, &up, 2), BabOutcome::Verified { .. }));
    let down = make(-1.0);
    match run(&problem, &down, 2) {
        BabOutcome::Violated { counterexample, .. } => {
            let (x, y) = (counterexample.vars[0], counterexample.vars[1]);
            assert!(x - y + 0.1 <= 0.0);
            assert!(
                down.eval(&[x]).expect("evaluates")[0] > down.eval(&[y]).expect("evaluates")[0]
            );
        }
        other => panic!("expected a counterexample, got {other:?}"),
    }
}

#[test]
fn the_frontier_cap_and_the_deadline_stop_without_a_verdict() {
    let net = mlp(&[2, 16, 16, 1], 3);
    let m = grid_max(&net);
    let p = threshold_problem(2, m + 1e-9);
    let Goal::Violation(goals) = &p.goal else {
        unreachable!()
    };
    let mut o = BabOptions::new(Instant::now() + Duration::from_secs(20));
    o.max_memory = 4 * 200;
    assert!(matches!(
        input_split(&p, goals, &[0], &[&net], &o),
        BabOutcome::Stopped { .. } | BabOutcome::Violated { .. }
    ));
    let o = BabOptions::new(Instant::now());
    assert!(matches!(
        input_split(&p, goals, &[0], &[&net], &o),
        BabOutcome::Stopped { .. }
    ));
}
