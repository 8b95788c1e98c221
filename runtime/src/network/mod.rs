//! Networks as small op graphs with f64 weights, and their concrete evaluation.
//!
//! Takes: an ONNX file (through [`load`] in `onnx.rs`, built on the `onnx-ir` crate).
//! Gives: a [`Network`]: a topologically ordered list of [`Node`]s over flattened f64
//! tensors, evaluated exactly in f64 by [`Network::eval`].
//! Invariant: `nodes[k]` reads only values `< k + 1` (value 0 is the network input,
//! value `k + 1` is the output of `nodes[k]`); every node's `shape` is static and its
//! constant operands are already broadcast to that shape; the last node's value is the
//! network output. Node names are the user's ONNX node names, so errors can name them.

use std::fmt;

pub mod onnx;
#[cfg(test)]
pub(crate) mod seeded;
mod shapes;

pub use onnx::{LoadError, LoadErrorKind, load, load_bytes};

/// Index of a value: 0 is the input, `k + 1` the output of node `k`.
pub type ValueId = usize;

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// `y = x · W + b` over the last axis; `weight` is `[in_features, out_features]`
    /// row-major (ONNX MatMul layout; Gemm with `transB` is transposed at load time).
    Linear {
        input: ValueId,
        weight: Vec<f64>,
        bias: Option<Vec<f64>>,
        in_features: usize,
        out_features: usize,
    },
    /// `y = x + c`, `c` broadcast to the output shape (Sub by a constant is stored as
    /// `c` negated only when exact; otherwise see `SubConst`).
    AddConst {
        input: ValueId,
        constant: Vec<f64>,
    },
    /// `y = x - c`
    SubConst {
        input: ValueId,
        constant: Vec<f64>,
    },
    /// `y = c - x`
    ConstSub {
        input: ValueId,
        constant: Vec<f64>,
    },
    /// `y = x * c`
    MulConst {
        input: ValueId,
        constant: Vec<f64>,
    },
    /// `y = x / c` (no zero in `c`: checked at load time)
    DivConst {
        input: ValueId,
        constant: Vec<f64>,
    },
    /// `y = a + b` (same shape)
    Add {
        lhs: ValueId,
        rhs: ValueId,
    },
    /// `y = a - b` (same shape)
    Sub {
        lhs: ValueId,
        rhs: ValueId,
    },
    Relu {
        input: ValueId,
    },
    /// Flatten, Reshape, Identity, Squeeze, Unsqueeze: the data is unchanged in C order.
    Reshape {
        input: ValueId,
    },
    /// `y = relu(w) - relu(z)` where `w = z + d` (value `w` is that sum): the change of
    /// a ReLU between two runs, in the twin networks that relational bounds build
    /// ([`crate::bounds::joint`]). ONNX files never produce it.
    ReluDiff {
        z: ValueId,
        d: ValueId,
        w: ValueId,
    },
}

impl Op {
    /// The values this op reads.
    pub fn inputs(&self) -> Vec<ValueId> {
        match self {
            Op::Linear { input, .. }
            | Op::AddConst { input, .. }
            | Op::SubConst { input, .. }
            | Op::ConstSub { input, .. }
            | Op::MulConst { input, .. }
            | Op::DivConst { input, .. }
            | Op::Relu { input }
            | Op::Reshape { input } => vec![*input],
            Op::Add { lhs, rhs } | Op::Sub { lhs, rhs } => vec![*lhs, *rhs],
            Op::ReluDiff { z, d, w } => vec![*z, *d, *w],
        }
    }

    /// Renumbers the values this op reads.
    pub fn map_inputs(&mut self, f: impl Fn(ValueId) -> ValueId) {
        match self {
            Op::Linear { input, .. }
            | Op::AddConst { input, .. }
            | Op::SubConst { input, .. }
            | Op::ConstSub { input, .. }
            | Op::MulConst { input, .. }
            | Op::DivConst { input, .. }
            | Op::Relu { input }
            | Op::Reshape { input } => *input = f(*input),
            Op::Add { lhs, rhs } | Op::Sub { lhs, rhs } => {
                *lhs = f(*lhs);
                *rhs = f(*rhs);
            }
            Op::ReluDiff { z, d, w } => {
                *z = f(*z);
                *d = f(*d);
                *w = f(*w);
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Op::Linear { .. } => "Linear",
            Op::AddConst { .. } => "AddConst",
            Op::SubConst { .. } => "SubConst",
            Op::ConstSub { .. } => "ConstSub",
            Op::MulConst { .. } => "MulConst",
            Op::DivConst { .. } => "DivConst",
            Op::Add { .. } => "Add",
            Op::Sub { .. } => "Sub",
            Op::Relu { .. } => "Relu",
            Op::Reshape { .. } => "Reshape",
            Op::ReluDiff { .. } => "ReluDiff",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The ONNX node name (or `op_type#index` when the file has none).
    pub name: String,
    pub op: Op,
    /// Static output shape.
    pub shape: Vec<usize>,
}

impl Node {
    pub fn size(&self) -> usize {
        self.shape.iter().product()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Where it came from (a path), for messages.
    pub source: String,
    pub input_shape: Vec<usize>,
    pub nodes: Vec<Node>,
}

impl Network {
    pub fn input_size(&self) -> usize {
        self.input_shape.iter().product()
    }

    pub fn output_shape(&self) -> &[usize] {
        self.nodes
            .last()
            .map(|n| n.shape.as_slice())
            .unwrap_or(&self.input_shape)
    }

    pub fn output_size(&self) -> usize {
        self.output_shape().iter().product()
    }

    /// Shape of value `v`.
    pub fn value_shape(&self, v: ValueId) -> &[usize] {
        if v == 0 {
            &self.input_shape
        } else {
            &self.nodes[v - 1].shape
        }
    }

    /// Every value (input first) at a concrete input, in exact f64 arithmetic.
    pub fn eval_all(&self, input: &[f64]) -> Result<Vec<Vec<f64>>, EvalError> {
        if input.len() != self.input_size() {
            return Err(EvalError {
                expected: self.input_size(),
                got: input.len(),
            });
        }
        let mut values: Vec<Vec<f64>> = Vec::with_capacity(self.nodes.len() + 1);
        values.push(input.to_vec());
        for node in &self.nodes {
            let out = match &node.op {
                Op::Linear {
                    input,
                    weight,
                    bias,
                    in_features,
                    out_features,
                } => {
                    let x = &values[*input];
                    let rows = x.len() / in_features;
                    let mut y = vec![0.0; rows * out_features];
                    for r in 0..rows {
                        let xr = &x[r * in_features..(r + 1) * in_features];
                        let yr = &mut y[r * out_features..(r + 1) * out_features];
                        if let Some(b) = bias {
                            yr.copy_from_slice(b);
                        }
                        for (i, xi) in xr.iter().enumerate() {
                            let wrow = &weight[i * out_features..(i + 1) * out_features];
                            for (yj, wij) in yr.iter_mut().zip(wrow) {
                                *yj += xi * wij;
                            }
                        }
                    }
                    y
                }
                Op::AddConst { input, constant } => zip(&values[*input], constant, |a, c| a + c),
                Op::SubConst { input, constant } => zip(&values[*input], constant, |a, c| a - c),
                Op::ConstSub { input, constant } => zip(&values[*input], constant, |a, c| c - a),
                Op::MulConst { input, constant } => zip(&values[*input], constant, |a, c| a * c),
                Op::DivConst { input, constant } => zip(&values[*input], constant, |a, c| a / c),
                Op::Add { lhs, rhs } => zip(&values[*lhs], &values[*rhs], |a, b| a + b),
                Op::Sub { lhs, rhs } => zip(&values[*lhs], &values[*rhs], |a, b| a - b),
                Op::Relu { input } => values[*input].iter().map(|a| a.max(0.0)).collect(),
                Op::Reshape { input } => values[*input].clone(),
                Op::ReluDiff { z, w, .. } => {
                    zip(&values[*w], &values[*z], |w, z| w.max(0.0) - z.max(0.0))
                }
            };
            values.push(out);
        }
        Ok(values)
    }

    /// The flattened output at a concrete (flattened) input.
    pub fn eval(&self, input: &[f64]) -> Result<Vec<f64>, EvalError> {
        let mut all = self.eval_all(input)?;
        Ok(all.pop().unwrap_or_default())
    }
}

fn zip(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| f(*x, *y)).collect()
}

/// An input of the wrong size was given to [`Network::eval`].
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    pub expected: usize,
    pub got: usize,
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the network takes {} inputs but was given {}",
            self.expected, self.got
        )
    }
}
