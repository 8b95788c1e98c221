//! Lowering of BatchNormalization, Clip, Max and Min into propc's piecewise-linear ops.
//!
//! Takes: one ONNX node of these types (inputs already lowered to values or constants).
//! Gives: the same function as a chain of existing [`Op`]s, so every engine (IBP, CROWN,
//! branch and bound, the MILP, the attack) handles it without a rule of its own:
//! - `BatchNormalization` (inference, constant statistics): `x · a + b` per channel
//!   (axis 1), `a = scale / sqrt(var + epsilon)`, `b = B - mean · a`, as `MulConst` then
//!   `AddConst` with the per-channel constants broadcast to the input's shape;
//! - `Clip(x, lo, hi)`: `lo + relu(x - lo)`, then `hi - relu(hi - t)` (a missing bound is
//!   skipped);
//! - `Max(a, b) = b + relu(a - b)`, `Min(a, b) = a - relu(a - b)`, for two values of one
//!   shape or a value and a constant broadcast to it (variadic forms fold pairwise).
//!
//! Invariant: each rewrite equals the ONNX operator in exact arithmetic; in f64 it may
//! differ by a rounding, and the bound rules and the concrete re-check both use the
//! rewritten graph, so verdicts stay consistent. Errors name the node.

use super::{At, LoadError, LoadErrorKind, Lowering, Tensor, Val, attr, shapes, show};
use crate::network::{Op, ValueId};

impl Lowering<'_> {
    /// The constant input `k`, or an error naming the node.
    pub(super) fn const_input(&self, at: &At, k: usize, what: &str) -> Result<Tensor, LoadError> {
        match self.required(at, k)? {
            Val::Const(t) => {
                self.finite(at, &t)?;
                Ok(t)
            }
            Val::Var(_) => Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("the {what} of {} is computed from the input", at.here()),
                format!("propc needs the {what} of {} to be a constant", at.op()),
            )),
        }
    }

    /// `c` broadcast to the shape of `v`, or a shape error.
    fn broadcast_const(&self, at: &At, v: ValueId, c: &Tensor) -> Result<Vec<f64>, LoadError> {
        let shape = self.shape_of(v).to_vec();
        match shapes::broadcast(&shape, &c.shape) {
            Some(out) if out == shape => shapes::broadcast_to(&c.data, &c.shape, &shape),
            _ => None,
        }
        .ok_or_else(|| self.broadcast_err(at, &shape, &c.shape))
    }

    fn unary(&mut self, at: &At, v: ValueId, op: Op) -> ValueId {
        let shape = self.shape_of(v).to_vec();
        self.push(at, op, shape)
    }

    pub(super) fn batch_norm(&mut self, at: &At) -> Result<Val, LoadError> {
        let x = self.required(at, 0)?;
        let [scale, bias, mean, var] = [
            self.const_input(at, 1, "scale")?,
            self.const_input(at, 2, "bias")?,
            self.const_input(at, 3, "mean")?,
            self.const_input(at, 4, "variance")?,
        ];
        let eps = f64::from(attr(at.node, "epsilon").map_or(1e-5, |a| a.f));
        let shape = match &x {
            Val::Var(v) => self.shape_of(*v).to_vec(),
            Val::Const(t) => t.shape.clone(),
        };
        let channels = shape.get(1).copied().unwrap_or(1);
        let per = |t: &Tensor| t.data.len() == channels;
        if shape.len() < 2 || ![&scale, &bias, &mean, &var].iter().all(|t| per(t)) {
            return Err(self.err(
                Some(at),
                LoadErrorKind::ShapeMismatch,
                format!(
                    "{} has input shape {} and statistics that are not one per channel",
                    at.here(),
                    show(&shape)
                ),
                "the model is malformed; re-export it",
            ));
        }
        let mut a = vec![0.0; channels];
        let mut b = vec![0.0; channels];
        for c in 0..channels {
            let d = (var.data[c] + eps).sqrt();
            if !(d > 0.0 && d.is_finite()) {
                return Err(self.err(
                    Some(at),
                    LoadErrorKind::Malformed,
                    format!(
                        "{} has a variance of {} in channel {c}",
                        at.here(),
                        var.data[c]
                    ),
                    "the statistics must give var + epsilon > 0; re-export the model",
                ));
            }
            a[c] = scale.data[c] / d;
            b[c] = bias.data[c] - mean.data[c] * a[c];
        }
        // Per-channel constants spread over the full shape (axis 1 is the channel).
        let inner: usize = shape[2..].iter().product();
        let spread = |k: &[f64]| -> Vec<f64> {
            let n: usize = shape.iter().product();
            (0..n).map(|i| k[(i / inner.max(1)) % channels]).collect()
        };
        let (full_a, full_b) = (spread(&a), spread(&b));
        match x {
            Val::Var(v) => {
                let m = self.unary(
                    at,
                    v,
                    Op::MulConst {
                        input: v,
                        constant: full_a,
                    },
                );
                Ok(Val::Var(self.unary(
                    at,
                    m,
                    Op::AddConst {
                        input: m,
                        constant: full_b,
                    },
                )))
            }
            Val::Const(t) => Ok(Val::Const(Tensor {
                data: t
                    .data
                    .iter()
                    .zip(full_a.iter().zip(&full_b))
                    .map(|(x, (a, b))| x * a + b)
                    .collect(),
                origin: format!("constant computed by {}", at.here()),
                ..t
            })),
        }
    }

    pub(super) fn clip(&mut self, at: &At) -> Result<Val, LoadError> {
        let x = self.required(at, 0)?;
        // Opset >= 11: optional inputs 1 and 2; before: attributes `min` and `max`.
        let bound = |k: usize, name: &str| -> Result<Option<Tensor>, LoadError> {
            if self.input(at, k).is_some() {
                return self.const_input(at, k, name).map(Some);
            }
            Ok(attr(at.node, name).map(|a| Tensor {
                shape: vec![],
                data: vec![f64::from(a.f)],
                origin: format!("attribute `{name}` of {}", at.here()),
            }))
        };
        let (lo, hi) = (bound(1, "min")?, bound(2, "max")?);
        let v = match x {
            Val::Var(v) => v,
            Val::Const(t) => {
                let l = lo.as_ref().and_then(|t| t.data.first().copied());
                let h = hi.as_ref().and_then(|t| t.data.first().copied());
                return Ok(Val::Const(Tensor {
                    data: t
                        .data
                        .iter()
                        .map(|x| {
                            let x = l.map_or(*x, |l| x.max(l));
                            h.map_or(x, |h| x.min(h))
                        })
                        .collect(),
                    origin: format!("constant computed by {}", at.here()),
                    ..t
                }));
            }
        };
        let mut cur = v;
        if let Some(lo) = lo {
            let c = self.broadcast_const(at, cur, &lo)?;
            let d = self.unary(
                at,
                cur,
                Op::SubConst {
                    input: cur,
                    constant: c.clone(),
                },
            );
            let r = self.unary(at, d, Op::Relu { input: d });
            cur = self.unary(
                at,
                r,
                Op::AddConst {
                    input: r,
                    constant: c,
                },
            );
        }
        if let Some(hi) = hi {
            let c = self.broadcast_const(at, cur, &hi)?;
            let d = self.unary(
                at,
                cur,
                Op::ConstSub {
                    input: cur,
                    constant: c.clone(),
                },
            );
            let r = self.unary(at, d, Op::Relu { input: d });
            cur = self.unary(
                at,
                r,
                Op::ConstSub {
                    input: r,
                    constant: c,
                },
            );
        }
        Ok(Val::Var(cur))
    }

    /// `Max` / `Min` of any number of inputs, folded pairwise.
    pub(super) fn max_min(&mut self, at: &At) -> Result<Val, LoadError> {
        let is_max = at.op() == "Max";
        let n = at.node.input.len();
        let mut acc = self.required(at, 0)?;
        for k in 1..n {
            let b = self.required(at, k)?;
            acc = self.max_min_pair(at, acc, b, is_max)?;
        }
        Ok(acc)
    }

    fn max_min_pair(&mut self, at: &At, a: Val, b: Val, is_max: bool) -> Result<Val, LoadError> {
        match (a, b) {
            (Val::Const(x), Val::Const(y)) => {
                let shape = shapes::broadcast(&x.shape, &y.shape)
                    .ok_or_else(|| self.broadcast_err(at, &x.shape, &y.shape))?;
                let xs = shapes::broadcast_to(&x.data, &x.shape, &shape).unwrap_or_default();
                let ys = shapes::broadcast_to(&y.data, &y.shape, &shape).unwrap_or_default();
                Ok(Val::Const(Tensor {
                    shape,
                    data: xs
                        .iter()
                        .zip(&ys)
                        .map(|(p, q)| if is_max { p.max(*q) } else { p.min(*q) })
                        .collect(),
                    origin: format!("constant computed by {}", at.here()),
                }))
            }
            (Val::Var(p), Val::Var(q)) => {
                let (sp, sq) = (self.shape_of(p).to_vec(), self.shape_of(q).to_vec());
                if sp != sq {
                    return Err(self.err(
                        Some(at),
                        LoadErrorKind::ShapeMismatch,
                        format!(
                            "shape mismatch in {}: its operands have shapes {} and {}",
                            at.here(),
                            show(&sp),
                            show(&sq)
                        ),
                        "propc needs both operands of a Max or Min of two computed values to have the same shape",
                    ));
                }
                let d = self.unary(at, p, Op::Sub { lhs: p, rhs: q });
                let r = self.unary(at, d, Op::Relu { input: d });
                let out = if is_max {
                    Op::Add { lhs: q, rhs: r }
                } else {
                    Op::Sub { lhs: p, rhs: r }
                };
                Ok(Val::Var(self.unary(at, r, out)))
            }
            (Val::Var(v), Val::Const(c)) | (Val::Const(c), Val::Var(v)) => {
                self.finite(at, &c)?;
                let full = self.broadcast_const(at, v, &c)?;
                let d = self.unary(
                    at,
                    v,
                    Op::SubConst {
                        input: v,
                        constant: full.clone(),
                    },
                );
                let r = self.unary(at, d, Op::Relu { input: d });
                Ok(Val::Var(if is_max {
                    // c + relu(v - c)
                    self.unary(
                        at,
                        r,
                        Op::AddConst {
                            input: r,
                            constant: full,
                        },
                    )
                } else {
                    // v - relu(v - c)
                    self.unary(at, r, Op::Sub { lhs: v, rhs: r })
                }))
            }
        }
    }
}
