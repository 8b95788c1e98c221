//! IBP soundness: the intervals contain every sampled value, for every op kind.

mod common;

use common::*;
use propc_runtime::bounds::{ProblemBounds, interval_bounds};
use propc_runtime::network::{Network, Node, Op};
use rand::Rng;

/// A network using every op kind: Linear, the const ops, Add/Sub, ReLU, Reshape.
fn every_op_network() -> Network {
    let n = |name: &str, op: Op, size: usize| Node {
        name: name.into(),
        op,
        shape: vec![size],
    };
    let nodes = vec![
        // v1 = x · W + b : 3 -> 4
        n(
            "fc",
            Op::Linear {
                input: 0,
                weight: vec![
                    0.5, -1.0, 0.25, 2.0, -0.75, 0.3, 1.1, -0.2, 0.9, 0.0, -1.3, 0.7,
                ],
                bias: Some(vec![0.1, -0.2, 0.0, 0.05]),
                in_features: 3,
                out_features: 4,
            },
            4,
        ),
        n("relu", Op::Relu { input: 1 }, 4), // v2
        n(
            "addc",
            Op::AddConst {
                input: 2,
                constant: vec![0.1, -0.3, 1e-17, 0.7],
            },
            4,
        ), // v3
        n(
            "subc",
            Op::SubConst {
                input: 1,
                constant: vec![0.2, 0.1, -0.4, 1.0 / 3.0],
            },
            4,
        ), // v4
        n(
            "csub",
            Op::ConstSub {
                input: 4,
                constant: vec![1.0, 2.0, -1.0, 0.1],
            },
            4,
        ), // v5
        n(
            "mulc",
            Op::MulConst {
                input: 5,
                constant: vec![-2.0, 0.3, 0.0, 1.0 / 7.0],
            },
            4,
        ), // v6
        n(
            "divc",
            Op::DivConst {
                input: 3,
                constant: vec![3.0, -0.7, 1.1, -9.0],
            },
            4,
        ), // v7
        n("add", Op::Add { lhs: 6, rhs: 7 }, 4), // v8
        n("sub", Op::Sub { lhs: 8, rhs: 2 }, 4), // v9
        n("flat", Op::Reshape { input: 9 }, 4), // v10
        n("relu2", Op::Relu { input: 10 }, 4), // v11
        n(
            "out",
            Op::Linear {
                input: 11,
                weight: vec![1.0, -1.0, 0.5, 0.5, -0.25, 2.0, 1.0, 1.0],
                bias: None,
                in_features: 4,
                out_features: 2,
            },
            2,
        ),
    ];
    Network {
        source: "every_op".into(),
        input_shape: vec![3],
        nodes,
    }
}

fn assert_contains(net: &Network, lo: &[f64], hi: &[f64], samples: usize, seed: u64) {
    let bounds = interval_bounds(net, lo, hi);
    assert_eq!(bounds.len(), net.nodes.len() + 1);
    let mut r = rng(seed);
    let mut pts: Vec<Vec<f64>> = (0..samples)
        .map(|_| {
            lo.iter()
                .zip(hi)
                .map(|(l, h)| l + r.random::<f64>() * (h - l))
                .collect()
        })
        .collect();
    // The corners too (where the bounds are attained for a linear map).
    pts.push(lo.to_vec());
    pts.push(hi.to_vec());
    for x in pts {
        let values = net.eval_all(&x).expect("eval");
        for (k, (val, iv)) in values.iter().zip(&bounds).enumerate() {
            for (i, y) in val.iter().enumerate() {
                assert!(
                    iv.lo[i] <= *y && *y <= iv.hi[i],
                    "value {k}[{i}] = {y} outside [{}, {}]",
                    iv.lo[i],
                    iv.hi[i]
                );
            }
        }
    }
}

#[test]
fn ibp_contains_samples_for_every_op() {
    let net = every_op_network();
    assert_contains(&net, &[-1.0, 0.0, -0.5], &[1.0, 0.5, 2.0], 2000, 1);
    assert_contains(&net, &[0.3, 0.3, 0.3], &[0.3, 0.3, 0.3], 1, 2);
}

#[test]
fn ibp_contains_samples_for_random_mlps() {
    let mut r = rng(7);
    for t in 0..20 {
        let widths = [1 + t % 4, 2 + t % 5, 3, 1 + t % 3];
        let net = random_mlp(&mut r, &widths);
        let lo: Vec<f64> = (0..widths[0]).map(|_| r.random_range(-2.0..0.0)).collect();
        let hi: Vec<f64> = lo.iter().map(|l| l + r.random_range(0.0..2.0)).collect();
        assert_contains(&net, &lo, &hi, 300, t as u64);
    }
}

#[test]
fn ibp_of_a_point_is_tight_and_contains_it() {
    let mut r = rng(3);
    let net = random_mlp(&mut r, &[3, 8, 8, 2]);
    let x = [0.1, -0.7, 0.4];
    let b = interval_bounds(&net, &x, &x);
    let y = net.eval(&x).expect("eval");
    let last = b.last().expect("bounds");
    for (i, yi) in y.iter().enumerate() {
        assert!(last.lo[i] <= *yi && *yi <= last.hi[i]);
        assert!(
            last.hi[i] - last.lo[i] < 1e-12,
            "point box should stay tiny"
        );
    }
}

#[test]
fn relu_lower_bound_is_exactly_zero() {
    let net = mlp(&[(vec![vec![1.0]], vec![-5.0])]);
    let relu = Network {
        nodes: {
            let mut n = net.nodes.clone();
            n.push(Node {
                name: "r".into(),
                op: Op::Relu { input: 1 },
                shape: vec![1],
            });
            n
        },
        ..net
    };
    let b = interval_bounds(&relu, &[0.0], &[1.0]);
    assert_eq!(b[2].lo[0], 0.0);
    assert_eq!(b[2].hi[0], 0.0);
}

#[test]
fn problem_bounds_contain_outputs_and_expressions() {
    let mut r = rng(11);
    let net = random_mlp(&mut r, &[2, 5, 2]);
    // x = (v0, v1), y = (v0 + v2, 0.5 v1 - v2 + 0.1)
    let p = two_application_problem();
    let nets = [&net];
    let pb = ProblemBounds::compute(&p, &nets).expect("bounds");
    let e = lin(&[(o(0, 0), 1.0), (o(1, 1), -2.0), (v(2), 3.0)], 0.25);
    let (elo, ehi) = pb.expr(&e);
    for x in grid(&[(-1.0, 1.0), (0.0, 2.0), (-0.1, 0.1)], 9) {
        let outs = propc_runtime::verify::evaluate(&p, &nets, &x).expect("eval");
        for (a, out) in outs.iter().enumerate() {
            let iv = pb.output(a).expect("app");
            assert!(iv.contains(out));
        }
        let val = e.eval(&x, &outs);
        assert!(elo <= val && val <= ehi);
    }
}
