//! The attack's vector-Jacobian product against central finite differences.

mod common;

use common::*;
use propc_runtime::gradient::input_gradient;
use propc_runtime::network::{Network, Node, Op};
use rand::Rng;

#[test]
fn vjp_matches_finite_differences() {
    let mut r = rng(9);
    for t in 0..10 {
        let base = random_mlp(&mut r, &[3, 6, 4, 2]);
        // Append elementwise ops so every op kind is differentiated.
        let k = base.nodes.len();
        let mut nodes = base.nodes.clone();
        let n = |name: &str, op: Op| Node {
            name: name.into(),
            op,
            shape: vec![2],
        };
        nodes.push(n(
            "mul",
            Op::MulConst {
                input: k,
                constant: vec![-1.5, 0.5],
            },
        ));
        nodes.push(n(
            "div",
            Op::DivConst {
                input: k + 1,
                constant: vec![2.0, -4.0],
            },
        ));
        nodes.push(n(
            "csub",
            Op::ConstSub {
                input: k + 2,
                constant: vec![1.0, 1.0],
            },
        ));
        nodes.push(n("add", Op::Add { lhs: k + 3, rhs: k }));
        nodes.push(n(
            "sub",
            Op::Sub {
                lhs: k + 4,
                rhs: k + 1,
            },
        ));
        nodes.push(n(
            "addc",
            Op::AddConst {
                input: k + 5,
                constant: vec![0.1, 0.2],
            },
        ));
        nodes.push(n(
            "subc",
            Op::SubConst {
                input: k + 6,
                constant: vec![0.1, 0.2],
            },
        ));
        nodes.push(n("flat", Op::Reshape { input: k + 7 }));
        let net = Network { nodes, ..base };
        let x: Vec<f64> = (0..3).map(|_| r.random_range(-1.0..1.0)).collect();
        let w: Vec<f64> = (0..2).map(|_| r.random_range(-1.0..1.0)).collect();
        let values = net.eval_all(&x).expect("eval");
        let g = input_gradient(&net, &values, &w);
        let f = |x: &[f64]| -> f64 {
            net.eval(x)
                .expect("eval")
                .iter()
                .zip(&w)
                .map(|(a, b)| a * b)
                .sum()
        };
        let h = 1e-6;
        for i in 0..3 {
            let mut xp = x.clone();
            let mut xm = x.clone();
            xp[i] += h;
            xm[i] -= h;
            let fd = (f(&xp) - f(&xm)) / (2.0 * h);
            // Piecewise linear: exact away from kinks (random points avoid them).
            assert!(
                (fd - g[i]).abs() < 1e-5,
                "case {t}, coord {i}: fd {fd} vs vjp {}",
                g[i]
            );
        }
    }
}
