//! Seeded random MLPs for the crate's unit tests.
//!
//! Takes: layer widths, the initial state of a 64-bit LCG, and the scale of the biases.
//! Gives: a `Linear`/`Relu` network with weights uniform in `[-1, 1)` and biases uniform
//! in `[-bias_scale, bias_scale)`, drawn layer by layer (weights, then biases).
//! Invariant: the same arguments give the same network.

use super::{Network, Node, Op};

/// A Knuth MMIX linear congruential generator mapped to `[-1, 1)`.
pub(crate) struct Lcg(pub u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    }
}

/// An MLP with `widths[0]` inputs, ReLU after every layer but the last.
pub(crate) fn mlp(widths: &[usize], state: u64, bias_scale: f64) -> Network {
    let mut rnd = Lcg(state);
    let mut nodes = Vec::new();
    let mut cur = 0;
    for (k, w) in widths.windows(2).enumerate() {
        let weight: Vec<f64> = (0..w[0] * w[1]).map(|_| rnd.next()).collect();
        let bias: Vec<f64> = (0..w[1]).map(|_| bias_scale * rnd.next()).collect();
        nodes.push(Node {
            name: format!("fc{k}"),
            op: Op::Linear {
                input: cur,
                weight,
                bias: Some(bias),
                in_features: w[0],
                out_features: w[1],
            },
            shape: vec![w[1]],
        });
        cur = nodes.len();
        if k + 2 < widths.len() {
            nodes.push(Node {
                name: format!("relu{k}"),
                op: Op::Relu { input: cur },
                shape: vec![w[1]],
            });
            cur = nodes.len();
        }
    }
    Network {
        source: "t".into(),
        input_shape: vec![widths[0]],
        nodes,
    }
}
