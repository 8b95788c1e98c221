//! Vector-Jacobian products through a [`Network`] (reverse mode), for the attack.
//!
//! Takes: a network, every value at a concrete input (from [`Network::eval_all`]) and
//! the gradient of a scalar loss with respect to the network output.
//! Gives: the gradient of that loss with respect to the flattened network input.
//! Invariant: ReLU uses the subgradient `1` for `x > 0` and `0` otherwise; results are
//! only a search direction, never part of a proof.

use crate::network::{Network, Op};

/// `output_grad · J(input)`: the gradient with respect to the input, given the
/// gradient with respect to the output. `values` must come from `net.eval_all`.
pub fn input_gradient(net: &Network, values: &[Vec<f64>], output_grad: &[f64]) -> Vec<f64> {
    let mut grads: Vec<Vec<f64>> = values.iter().map(|v| vec![0.0; v.len()]).collect();
    if let Some(last) = grads.last_mut() {
        for (g, o) in last.iter_mut().zip(output_grad) {
            *g = *o;
        }
    }
    for (k, node) in net.nodes.iter().enumerate().rev() {
        let gy = std::mem::take(&mut grads[k + 1]);
        if gy.iter().all(|g| *g == 0.0) {
            continue;
        }
        match &node.op {
            Op::Linear {
                input,
                weight,
                in_features,
                out_features,
                ..
            } => {
                let gx = &mut grads[*input];
                let (nin, nout) = (*in_features, *out_features);
                let rows = gx.len().checked_div(nin).unwrap_or(0);
                for r in 0..rows {
                    let gyr = &gy[r * nout..(r + 1) * nout];
                    for i in 0..nin {
                        let wrow = &weight[i * nout..(i + 1) * nout];
                        gx[r * nin + i] += wrow.iter().zip(gyr).map(|(w, g)| w * g).sum::<f64>();
                    }
                }
            }
            Op::AddConst { input, .. } | Op::SubConst { input, .. } | Op::Reshape { input } => {
                add_into(&mut grads[*input], &gy, |g, _| g)
            }
            Op::ConstSub { input, .. } => add_into(&mut grads[*input], &gy, |g, _| -g),
            Op::MulConst { input, constant } => add_into(&mut grads[*input], &gy, |g, i| {
                g * constant.get(i).copied().unwrap_or(0.0)
            }),
            Op::DivConst { input, constant } => add_into(&mut grads[*input], &gy, |g, i| {
                g / constant.get(i).copied().unwrap_or(f64::INFINITY)
            }),
            Op::Add { lhs, rhs } => {
                add_into(&mut grads[*lhs], &gy, |g, _| g);
                add_into(&mut grads[*rhs], &gy, |g, _| g);
            }
            Op::Sub { lhs, rhs } => {
                add_into(&mut grads[*lhs], &gy, |g, _| g);
                add_into(&mut grads[*rhs], &gy, |g, _| -g);
            }
            Op::Relu { input } => {
                let x = &values[*input];
                add_into(&mut grads[*input], &gy, |g, i| {
                    if x.get(i).copied().unwrap_or(0.0) > 0.0 {
                        g
                    } else {
                        0.0
                    }
                })
            }
            Op::ReluDiff { z, d, w } => {
                let (zv, wv) = (&values[*z], &values[*w]);
                let on = |v: &[f64], i: usize| v.get(i).copied().unwrap_or(0.0) > 0.0;
                // y = relu(w) - relu(z), read through `w` only (`d` feeds `w`).
                let _ = d;
                add_into(&mut grads[*w], &gy, |g, i| if on(wv, i) { g } else { 0.0 });
                add_into(&mut grads[*z], &gy, |g, i| if on(zv, i) { -g } else { 0.0 });
            }
        }
    }
    grads.into_iter().next().unwrap_or_default()
}

fn add_into(dst: &mut [f64], src: &[f64], f: impl Fn(f64, usize) -> f64) {
    for (i, (d, s)) in dst.iter_mut().zip(src).enumerate() {
        *d += f(*s, i);
    }
}
