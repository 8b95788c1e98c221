//! CROWN and α-CROWN against sampling, IBP and hand computation, and their use in the
//! portfolio (`Method::Crown`).

mod common;

use common::*;
use propc_runtime::bounds::crown::{
    AlphaOptions, CrownOptions, Mat, alpha_lower_bounds, crown_intervals, lower_bounds,
    objective_range,
};
use propc_runtime::bounds::{Interval, ProblemBounds, interval_bounds};
use propc_runtime::network::{Network, Node, Op};
use propc_runtime::verify::{Method, Options, Outcome, verify};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

fn random_box(r: &mut ChaCha8Rng, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut lo = Vec::with_capacity(n);
    let mut hi = Vec::with_capacity(n);
    for _ in 0..n {
        let c: f64 = r.random_range(-1.0..1.0);
        let w: f64 = r.random_range(0.05..0.6);
        lo.push(c - w);
        hi.push(c + w);
    }
    (lo, hi)
}

fn sample(r: &mut ChaCha8Rng, lo: &[f64], hi: &[f64]) -> Vec<f64> {
    lo.iter()
        .zip(hi)
        .map(|(l, h)| {
            // A tenth of the coordinates at a corner: the extremes of a ReLU net are
            // often there.
            match r.random_range(0..10) {
                0 => *l,
                1 => *h,
                _ => r.random_range(*l..=*h),
            }
        })
        .collect()
}

/// The sampled outputs of `net` lie in `b`, and the checks run on 10k samples.
fn assert_contains_samples(net: &Network, lo: &[f64], hi: &[f64], b: &Interval, seed: u64) {
    let mut r = rng(seed);
    for _ in 0..10_000 {
        let x = sample(&mut r, lo, hi);
        let y = net.eval(&x).expect("eval");
        assert!(b.contains(&y), "{y:?} not in {b:?} at {x:?}");
    }
}

fn width(b: &Interval) -> f64 {
    b.lo.iter().zip(&b.hi).map(|(l, h)| h - l).sum()
}

const SHAPES: &[&[usize]] = &[
    &[3, 8, 8, 2],
    &[4, 10, 6, 3],
    &[2, 16, 16, 16, 1],
    &[5, 20, 4],
];

#[test]
fn crown_contains_samples_and_is_tighter_than_ibp() {
    let mut crown_total = 0.0;
    let mut ibp_total = 0.0;
    for seed in 0..12u64 {
        let mut r = rng(100 + seed);
        let shape = SHAPES[seed as usize % SHAPES.len()];
        let net = random_mlp(&mut r, shape);
        let (lo, hi) = random_box(&mut r, shape[0]);
        let ibp = interval_bounds(&net, &lo, &hi);
        let ibp_out = ibp.last().expect("output");
        let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
        let tight = c.values.last().expect("output");
        // Both the pure CROWN box and the intersected one are sound.
        assert_contains_samples(&net, &lo, &hi, &c.crown_output, seed);
        assert_contains_samples(&net, &lo, &hi, tight, seed);
        // Intermediate boxes too, and never looser than IBP.
        for (v, (t, i)) in c.values.iter().zip(&ibp).enumerate() {
            for j in 0..t.len() {
                assert!(t.lo[j] >= i.lo[j] && t.hi[j] <= i.hi[j], "value {v}");
            }
        }
        let mut samp = rng(seed);
        for _ in 0..2000 {
            let x = sample(&mut samp, &lo, &hi);
            let all = net.eval_all(&x).expect("eval");
            for (v, val) in all.iter().enumerate() {
                assert!(c.values[v].contains(val), "value {v} at {x:?}");
            }
        }
        for j in 0..tight.len() {
            assert!(tight.lo[j] >= ibp_out.lo[j] && tight.hi[j] <= ibp_out.hi[j]);
        }
        crown_total += width(&c.crown_output);
        ibp_total += width(ibp_out);
    }
    // Pure CROWN (not intersected) is much tighter than IBP on these nets overall.
    assert!(
        crown_total < 0.8 * ibp_total,
        "crown {crown_total} vs ibp {ibp_total}"
    );
}

#[test]
fn alpha_crown_is_at_least_as_tight_as_crown_and_sound() {
    for seed in 0..8u64 {
        let mut r = rng(200 + seed);
        let shape = SHAPES[seed as usize % SHAPES.len()];
        let net = random_mlp(&mut r, shape);
        let (lo, hi) = random_box(&mut r, shape[0]);
        let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
        let target = net.nodes.len();
        let m = net.output_size();
        // Objectives: every output, both directions, and a random combination.
        let mut rows: Vec<f64> = Vec::new();
        let idx: Vec<usize> = (0..m).collect();
        rows.extend(Mat::plus_minus_identity(m, &idx).data);
        let comb: Vec<f64> = (0..m).map(|_| r.random_range(-1.0..1.0)).collect();
        rows.extend(&comb);
        rows.extend(comb.iter().map(|v| -v));
        let k = rows.len() / m;
        let cm = Mat::from_vec(k, m, rows).expect("matrix");
        let crown = lower_bounds(&net, &c.values, target, &cm);
        let alpha = alpha_lower_bounds(&net, &c.values, target, &cm, &AlphaOptions::default());
        let mut gain = 0.0;
        for (a, b) in alpha.iter().zip(&crown) {
            assert!(a >= b, "alpha {a} < crown {b}");
            gain += a - b;
        }
        assert!(gain >= 0.0);
        let mut s = rng(seed);
        for _ in 0..10_000 {
            let x = sample(&mut s, &lo, &hi);
            let y = net.eval(&x).expect("eval");
            for (row, bound) in alpha.iter().enumerate() {
                let v: f64 = cm.row(row).iter().zip(&y).map(|(a, b)| a * b).sum();
                assert!(v >= *bound - 1e-12, "row {row}: {v} < {bound}");
            }
        }
    }
}

#[test]
fn alpha_crown_improves_somewhere() {
    // Over several random nets, α-CROWN tightens at least one bound strictly.
    let mut improved = false;
    for seed in 0..8u64 {
        let mut r = rng(300 + seed);
        let net = random_mlp(&mut r, &[3, 12, 12, 2]);
        let (lo, hi) = random_box(&mut r, 3);
        let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
        let cm = Mat::plus_minus_identity(2, &[0, 1]);
        let t = net.nodes.len();
        let a = lower_bounds(&net, &c.values, t, &cm);
        let b = alpha_lower_bounds(&net, &c.values, t, &cm, &AlphaOptions::default());
        improved |= a.iter().zip(&b).any(|(x, y)| *y > *x + 1e-9);
    }
    assert!(improved);
}

/// `y = relu(x0 + x1) + relu(x0 - x1)` on `[-1, 1]^2`: both pre-activations are in
/// `[-2, 2]`, the upper line is `0.5 h + 1`, so CROWN's upper bound is
/// `0.5 (x0 + x1) + 0.5 (x0 - x1) + 2 = x0 + 2 <= 3` (IBP: 4, truth: 2); the lower
/// slope is 0 (`u = -l`), so the lower bound is 0 (exact).
fn two_neuron_net() -> Network {
    mlp(&[
        (vec![vec![1.0, 1.0], vec![1.0, -1.0]], vec![0.0, 0.0]),
        (vec![vec![1.0, 1.0]], vec![0.0]),
    ])
}

#[test]
fn hand_computed_two_neuron_example() {
    let net = two_neuron_net();
    let (lo, hi) = ([-1.0, -1.0], [1.0, 1.0]);
    let ibp = interval_bounds(&net, &lo, &hi);
    let ibp_out = ibp.last().expect("out");
    assert!((ibp_out.hi[0] - 4.0).abs() < 1e-12);
    let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
    let (l, h) = (c.crown_output.lo[0], c.crown_output.hi[0]);
    assert!(l <= 0.0 && l > -1e-12, "lower {l}");
    assert!((3.0..3.0 + 1e-12).contains(&h), "upper {h}");
    // The objective y - 0.5 x... only outputs: -y gives -3 as its lower bound.
    let t = net.nodes.len();
    let low = lower_bounds(
        &net,
        &c.values,
        t,
        &Mat::from_vec(1, 1, vec![-1.0]).expect("m"),
    );
    assert!(low[0] <= -3.0 && low[0] > -3.0 - 1e-12);
}

/// A DAG with every op kind: normalization, a residual add, a reshape, mul/div and
/// const-sub.
fn dag_net(r: &mut ChaCha8Rng) -> Network {
    let w = |r: &mut ChaCha8Rng, nin: usize, nout: usize| -> Vec<f64> {
        (0..nin * nout).map(|_| r.random_range(-1.0..1.0)).collect()
    };
    let b = |r: &mut ChaCha8Rng, n: usize| -> Vec<f64> {
        (0..n).map(|_| r.random_range(-0.5..0.5)).collect()
    };
    let node = |name: &str, op: Op, n: usize| Node {
        name: name.into(),
        op,
        shape: vec![1, n],
    };
    let nodes = vec![
        // 1: x - mean
        node(
            "sub",
            Op::SubConst {
                input: 0,
                constant: vec![0.1, -0.2, 0.3],
            },
            3,
        ),
        // 2: / std
        node(
            "div",
            Op::DivConst {
                input: 1,
                constant: vec![0.7, 1.3, 3.0],
            },
            3,
        ),
        // 3: linear 3 -> 6 (no bias)
        node(
            "fc1",
            Op::Linear {
                input: 2,
                weight: w(r, 3, 6),
                bias: None,
                in_features: 3,
                out_features: 6,
            },
            6,
        ),
        // 4: + b
        node(
            "add",
            Op::AddConst {
                input: 3,
                constant: b(r, 6),
            },
            6,
        ),
        // 5: relu
        node("relu1", Op::Relu { input: 4 }, 6),
        // 6: linear 6 -> 6
        node(
            "fc2",
            Op::Linear {
                input: 5,
                weight: w(r, 6, 6),
                bias: Some(b(r, 6)),
                in_features: 6,
                out_features: 6,
            },
            6,
        ),
        // 7: relu
        node("relu2", Op::Relu { input: 6 }, 6),
        // 8: residual: relu2 + relu1
        node("res", Op::Add { lhs: 7, rhs: 5 }, 6),
        // 9: 0.5 * res
        node(
            "mul",
            Op::MulConst {
                input: 8,
                constant: vec![0.5, -1.5, 2.0, 0.25, 1.0, -0.75],
            },
            6,
        ),
        // 10: c - .
        node(
            "csub",
            Op::ConstSub {
                input: 9,
                constant: b(r, 6),
            },
            6,
        ),
        // 11: difference with the pre-activation of relu2
        node("diff", Op::Sub { lhs: 10, rhs: 6 }, 6),
        // 12: reshape
        node("flat", Op::Reshape { input: 11 }, 6),
        // 13: relu
        node("relu3", Op::Relu { input: 12 }, 6),
        // 14: linear 6 -> 2
        node(
            "fc3",
            Op::Linear {
                input: 13,
                weight: w(r, 6, 2),
                bias: Some(b(r, 2)),
                in_features: 6,
                out_features: 2,
            },
            2,
        ),
    ];
    Network {
        source: "dag".into(),
        input_shape: vec![1, 3],
        nodes,
    }
}

#[test]
fn every_op_kind_is_sound() {
    for seed in 0..6u64 {
        let mut r = rng(400 + seed);
        let net = dag_net(&mut r);
        let (lo, hi) = random_box(&mut r, 3);
        let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
        assert_contains_samples(&net, &lo, &hi, &c.crown_output, seed);
        let mut s = rng(seed);
        for _ in 0..2000 {
            let x = sample(&mut s, &lo, &hi);
            let all = net.eval_all(&x).expect("eval");
            for (v, val) in all.iter().enumerate() {
                assert!(c.values[v].contains(val), "value {v}");
            }
        }
        let cm = Mat::plus_minus_identity(2, &[0, 1]);
        let t = net.nodes.len();
        let a = lower_bounds(&net, &c.values, t, &cm);
        let b = alpha_lower_bounds(&net, &c.values, t, &cm, &AlphaOptions::default());
        for (x, y) in a.iter().zip(&b) {
            assert!(y >= x);
        }
        assert_contains_samples(
            &net,
            &lo,
            &hi,
            &Interval::new(vec![b[0], b[1]], vec![-b[2], -b[3]]),
            seed,
        );
    }
}

#[test]
fn unbounded_or_degenerate_inputs_stay_sound() {
    let net = two_neuron_net();
    // A point box: the bounds contain the value.
    let x = [0.3, -0.7];
    let c = crown_intervals(&net, &x, &x, &CrownOptions::default());
    let y = net.eval(&x).expect("eval");
    assert!(c.crown_output.contains(&y));
    // An infinite box: no NaN, bounds are infinite or sound.
    let c = crown_intervals(
        &net,
        &[f64::NEG_INFINITY, 0.0],
        &[f64::INFINITY, 1.0],
        &CrownOptions::default(),
    );
    for iv in &c.values {
        assert!(iv.lo.iter().chain(&iv.hi).all(|v| !v.is_nan()));
    }
    assert_eq!(c.crown_output.lo[0], f64::NEG_INFINITY);
}

#[test]
fn problem_bounds_with_crown_contain_outputs() {
    let mut r = rng(11);
    let net = random_mlp(&mut r, &[2, 8, 8, 2]);
    let p = two_application_problem();
    let nets = [&net];
    let ibp = ProblemBounds::compute(&p, &nets).expect("bounds");
    let pb = ibp.with_crown(&p, &nets, &CrownOptions::default());
    let mut tighter = false;
    for (a, (t, i)) in pb.apps.iter().zip(&ibp.apps).enumerate() {
        for (v, (tv, iv)) in t.iter().zip(i).enumerate() {
            for j in 0..tv.len() {
                assert!(
                    tv.lo[j] >= iv.lo[j] && tv.hi[j] <= iv.hi[j],
                    "app {a} value {v}"
                );
                tighter |= tv.lo[j] > iv.lo[j] || tv.hi[j] < iv.hi[j];
            }
        }
    }
    assert!(tighter);
    for x in grid(&[(-1.0, 1.0), (0.0, 2.0), (-0.1, 0.1)], 9) {
        let outs = propc_runtime::verify::evaluate(&p, &nets, &x).expect("eval");
        for (a, out) in outs.iter().enumerate() {
            assert!(pb.output(a).expect("app").contains(out));
        }
    }
}

fn box2_problem(goal: propc_compiler::ir::Goal) -> propc_compiler::ir::Problem {
    problem(
        &[(-1.0, 1.0), (-1.0, 1.0)],
        vec![(
            "x",
            vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
        )],
        vec![(
            0,
            vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
            1,
        )],
        vec![],
        goal,
    )
}

#[test]
fn crown_proves_what_ibp_cannot() {
    let net = two_neuron_net();
    let nets = [&net];
    // y <= 3.5: IBP gives y <= 4, CROWN y <= 3. The goal (violation) is y - 3.5 > 0,
    // i.e. the atom 3.5 - y < 0.
    let p = box2_problem(violation(vec![vec![lt(lin(&[(o(0, 0), -1.0)], 3.5))]]));
    let ibp = ProblemBounds::compute(&p, &nets).expect("bounds");
    let (lo, _) = ibp.expr(&p_goal_expr(&p));
    assert!(lo < 0.0, "IBP alone must not refute it");
    let out = verify(
        &p,
        &nets,
        &Options {
            attack: false,
            milp: false,
            ..Options::default()
        },
    );
    assert!(
        matches!(
            out,
            Outcome::Holds {
                method: Method::Crown,
                ..
            }
        ),
        "{out:?}"
    );
    assert_eq!(Method::Crown.name(), "crown");
    // y <= 1.5 is false (y = 2 at x = (1, 0)): never proved.
    let p = box2_problem(violation(vec![vec![lt(lin(&[(o(0, 0), -1.0)], 1.5))]]));
    let out = verify(&p, &nets, &Options::default());
    assert!(out.is_violated(), "{out:?}");
}

fn p_goal_expr(p: &propc_compiler::ir::Problem) -> propc_compiler::ir::LinExpr {
    match &p.goal {
        propc_compiler::ir::Goal::Violation(g) => g[0][0].expr.clone(),
        _ => panic!("not a property"),
    }
}

#[test]
fn alpha_crown_proves_what_crown_cannot() {
    // Search seeded random nets for a threshold between the CROWN and α-CROWN upper
    // bounds of output 0; the property `y0 <= threshold` must then be proved with
    // method crown (α-CROWN is part of it) and never violated by sampling.
    for seed in 0..20u64 {
        let mut r = rng(500 + seed);
        let net = random_mlp(&mut r, &[2, 10, 10, 1]);
        let (lo, hi) = ([-0.5, -0.5], [0.5, 0.5]);
        let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
        let t = net.nodes.len();
        let neg = Mat::from_vec(1, 1, vec![-1.0]).expect("m");
        let crown_hi = -lower_bounds(&net, &c.values, t, &neg)[0];
        let alpha_hi = -alpha_lower_bounds(&net, &c.values, t, &neg, &AlphaOptions::default())[0];
        if alpha_hi >= crown_hi - 1e-6 {
            continue;
        }
        let thr = 0.5 * (alpha_hi + crown_hi);
        let p = problem(
            &[(-0.5, 0.5), (-0.5, 0.5)],
            vec![(
                "x",
                vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
            )],
            vec![(
                0,
                vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
                1,
            )],
            vec![],
            violation(vec![vec![lt(lin(&[(o(0, 0), -1.0)], thr))]]),
        );
        let nets = [&net];
        let out = verify(
            &p,
            &nets,
            &Options {
                attack: false,
                milp: false,
                ..Options::default()
            },
        );
        assert!(
            matches!(
                out,
                Outcome::Holds {
                    method: Method::Crown,
                    ..
                }
            ),
            "{out:?}"
        );
        return;
    }
    panic!("no seed where α-CROWN beats CROWN by 1e-6");
}

#[test]
fn linear_over_several_rows_is_sound() {
    // Input [2, 3]; a Linear over the last axis applies to both rows.
    for seed in 0..4u64 {
        let mut r = rng(600 + seed);
        let w1: Vec<f64> = (0..12).map(|_| r.random_range(-1.0..1.0)).collect();
        let b1: Vec<f64> = (0..4).map(|_| r.random_range(-0.3..0.3)).collect();
        let w2: Vec<f64> = (0..16).map(|_| r.random_range(-1.0..1.0)).collect();
        let net = Network {
            source: "rows".into(),
            input_shape: vec![2, 3],
            nodes: vec![
                Node {
                    name: "fc1".into(),
                    op: Op::Linear {
                        input: 0,
                        weight: w1,
                        bias: Some(b1),
                        in_features: 3,
                        out_features: 4,
                    },
                    shape: vec![2, 4],
                },
                Node {
                    name: "relu".into(),
                    op: Op::Relu { input: 1 },
                    shape: vec![2, 4],
                },
                Node {
                    name: "flat".into(),
                    op: Op::Reshape { input: 2 },
                    shape: vec![8],
                },
                Node {
                    name: "fc2".into(),
                    op: Op::Linear {
                        input: 3,
                        weight: w2,
                        bias: None,
                        in_features: 8,
                        out_features: 2,
                    },
                    shape: vec![2],
                },
            ],
        };
        let (lo, hi) = random_box(&mut r, 6);
        let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
        assert_contains_samples(&net, &lo, &hi, &c.crown_output, seed);
        let ibp = interval_bounds(&net, &lo, &hi);
        assert!(width(&c.crown_output) <= width(ibp.last().expect("out")) + 1e-9);
    }
}

#[test]
fn objective_range_is_tighter_than_separate_output_bounds() {
    // y0 - y1 bounded as one objective vs from the two output boxes.
    let mut r = rng(700);
    let net = random_mlp(&mut r, &[3, 10, 10, 2]);
    let (lo, hi) = random_box(&mut r, 3);
    let c = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
    let t = net.nodes.len();
    let out = c.values.last().expect("out");
    let sep = (out.lo[0] - out.hi[1], out.hi[0] - out.lo[1]);
    let (l, h) = objective_range(&net, &c.values, t, &[1.0, -1.0], None);
    let (la, ha) = objective_range(
        &net,
        &c.values,
        t,
        &[1.0, -1.0],
        Some(&AlphaOptions::default()),
    );
    assert!(l >= sep.0 && h <= sep.1, "[{l}, {h}] vs {sep:?}");
    assert!(la >= l && ha <= h);
    let mut s = rng(1);
    for _ in 0..10_000 {
        let x = sample(&mut s, &lo, &hi);
        let y = net.eval(&x).expect("eval");
        let d = y[0] - y[1];
        assert!(la <= d && d <= ha);
    }
}
