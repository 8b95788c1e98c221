//! Lowering of Conv, AveragePool, MaxPool, Transpose and Concat into dense `Linear` ops
//! (plus ReLUs for MaxPool).
//!
//! Takes: one ONNX node of these types on values of static shape, batch size 1, with
//! constant weights.
//! Gives: the same function as existing [`Op`]s: the value is flattened, multiplied by
//! a dense matrix that encodes the operator (`[in, out]`, zeros outside the windows),
//! and reshaped to the operator's output shape:
//! - `Conv` (2-D, any `pads`, `strides`, `dilations`, `group`; `auto_pad` `NOTSET` or
//!   `VALID`): the convolution weights placed per output position, the bias added;
//! - `AveragePool` (2-D): weights `1 / count` over each window (`count_include_pad`
//!   as in ONNX);
//! - `MaxPool` (2-D): one 0/1 selection matrix per window offset, folded by
//!   `max(a, b) = b + relu(a - b)` (windows cut by padding repeat a valid element);
//! - `Transpose`: a permutation matrix;
//! - `Concat`: one 0/1 placement matrix per computed operand, summed, with the
//!   constant operands added.
//!
//! Invariant: in exact arithmetic each lowering equals the operator; the matrices are
//! dense, so a lowering larger than [`MAX_DENSE`] entries is refused with a located
//! error rather than built. Every engine then handles the operator through the
//! `Linear` / ReLU rules.

use super::{At, LoadError, LoadErrorKind, Lowering, Tensor, Val, attr, show};
use crate::network::{Op, ValueId};

/// The largest dense matrix (entries) a lowering may build.
pub const MAX_DENSE: usize = 1 << 25;

/// A pool's windows (the flattened input cells of each output position), its output
/// shape and its kernel size.
type Pool = (Vec<Vec<usize>>, Vec<usize>, usize);

/// Geometry of a 2-D sliding window over `[1, C, H, W]`.
struct Window {
    strides: [usize; 2],
    dilations: [usize; 2],
    /// top, left (the bottom and right pads only change the output size).
    pad: [usize; 2],
    out: [usize; 2],
}

impl Lowering<'_> {
    fn shape_error(&self, at: &At, msg: String) -> LoadError {
        self.err(
            Some(at),
            LoadErrorKind::ShapeMismatch,
            format!("{}: {msg}", at.here()),
            "propc lowers this operator for batch size 1 and static 2-D shapes; check the model's shapes",
        )
    }

    fn ints_attr(at: &At, name: &str, default: &[i64]) -> Vec<i64> {
        attr(at.node, name).map_or_else(|| default.to_vec(), |a| a.ints.clone())
    }

    /// The window geometry of a Conv or pool on input `[1, C, H, W]`.
    fn window(&self, at: &At, hw: [usize; 2], kernel: [usize; 2]) -> Result<Window, LoadError> {
        let auto = attr(at.node, "auto_pad")
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
            .unwrap_or_default();
        if !(auto.is_empty() || auto == "NOTSET" || auto == "VALID") {
            return Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("{} uses auto_pad `{auto}`", at.here()),
                "re-export the model with explicit `pads` (auto_pad NOTSET)",
            ));
        }
        let strides = Self::ints_attr(at, "strides", &[1, 1]);
        let dil = Self::ints_attr(at, "dilations", &[1, 1]);
        let pads = Self::ints_attr(at, "pads", &[0, 0, 0, 0]);
        // Bounded so that no index arithmetic below can overflow.
        let pos = |v: &[i64], n: usize| v.len() == n && v.iter().all(|x| (0..=1 << 20).contains(x));
        if !(pos(&strides, 2) && pos(&dil, 2) && pos(&pads, 4))
            || strides.contains(&0)
            || dil.contains(&0)
        {
            return Err(self.shape_error(
                at,
                "strides, dilations and pads must be 2, 2 and 4 numbers in 0..=2^20".into(),
            ));
        }
        let u = |x: i64| x as usize;
        let mut out = [0usize; 2];
        for d in 0..2 {
            let span = (kernel[d] - 1) * u(dil[d]) + 1;
            let padded = hw[d] + u(pads[d]) + u(pads[d + 2]);
            if padded < span {
                return Err(
                    self.shape_error(at, "the window is larger than the padded input".into())
                );
            }
            out[d] = (padded - span) / u(strides[d]) + 1;
        }
        Ok(Window {
            strides: [u(strides[0]), u(strides[1])],
            dilations: [u(dil[0]), u(dil[1])],
            pad: [u(pads[0]), u(pads[1])],
            out,
        })
    }

    /// `[1, C, H, W]` of a computed value.
    fn image(&self, at: &At, v: ValueId) -> Result<[usize; 3], LoadError> {
        match self.shape_of(v) {
            [1, c, h, w] => Ok([*c, *h, *w]),
            s => Err(self.shape_error(at, format!("input shape {} is not [1, C, H, W]", show(s)))),
        }
    }

    /// `v` flattened, times the dense `[n_in, n_out]` matrix `m`, plus `bias`, reshaped
    /// to `out_shape`.
    fn dense(
        &mut self,
        at: &At,
        v: ValueId,
        m: Vec<f64>,
        bias: Option<Vec<f64>>,
        out_shape: Vec<usize>,
    ) -> Result<ValueId, LoadError> {
        let n_in: usize = self.shape_of(v).iter().product();
        let n_out: usize = out_shape.iter().product();
        let flat = self.push(at, Op::Reshape { input: v }, vec![1, n_in]);
        let lin = self.push(
            at,
            Op::Linear {
                input: flat,
                weight: m,
                bias,
                in_features: n_in,
                out_features: n_out,
            },
            vec![1, n_out],
        );
        Ok(self.push(at, Op::Reshape { input: lin }, out_shape))
    }

    fn check_dense(&self, at: &At, n_in: usize, n_out: usize) -> Result<(), LoadError> {
        if n_in.saturating_mul(n_out) > MAX_DENSE {
            return Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!(
                    "{} would need a dense {n_in} × {n_out} matrix, more than propc's limit of {MAX_DENSE} entries",
                    at.here()
                ),
                "propc lowers convolutions and pools to dense layers; use a smaller input or layer",
            ));
        }
        Ok(())
    }

    /// Refuses a lowering whose loops (`outputs × cells per output`) exceed
    /// [`MAX_DENSE`] steps.
    fn check_work(&self, at: &At, outputs: usize, cells: usize) -> Result<(), LoadError> {
        if outputs.saturating_mul(cells) > MAX_DENSE {
            return Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!(
                    "{} has {outputs} outputs of {cells} cells each, more than propc's limit of {MAX_DENSE}",
                    at.here()
                ),
                "propc lowers convolutions and pools to dense layers; use a smaller kernel or input",
            ));
        }
        Ok(())
    }

    fn var_input(&self, at: &At, k: usize) -> Result<ValueId, LoadError> {
        match self.required(at, k)? {
            Val::Var(v) => Ok(v),
            Val::Const(_) => Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("{} is applied to a constant", at.here()),
                "fold this node into the model's constants before exporting",
            )),
        }
    }

    pub(super) fn conv(&mut self, at: &At) -> Result<Val, LoadError> {
        let v = self.var_input(at, 0)?;
        let [c, h, w] = self.image(at, v)?;
        let wt = self.const_input(at, 1, "weight")?;
        let bias = match self.input(at, 2) {
            Some(_) => Some(self.const_input(at, 2, "bias")?),
            None => None,
        };
        let group = attr(at.node, "group").map_or(1, |a| a.i).max(1) as usize;
        let [m, cg, kh, kw] = match wt.shape[..] {
            [m, cg, kh, kw] => [m, cg, kh, kw],
            _ => {
                return Err(self.shape_error(
                    at,
                    format!(
                        "weight shape {} is not [M, C/group, kH, kW]",
                        show(&wt.shape)
                    ),
                ));
            }
        };
        if kh == 0
            || kw == 0
            || cg.checked_mul(group) != Some(c)
            || m % group != 0
            || bias.as_ref().is_some_and(|b| b.data.len() != m)
        {
            return Err(self.shape_error(
                at,
                format!(
                    "input channels {c}, weight shape {} and group {group} do not fit",
                    show(&wt.shape)
                ),
            ));
        }
        let win = self.window(at, [h, w], [kh, kw])?;
        let [oh, ow] = win.out;
        let (n_in, n_out) = (c * h * w, m.saturating_mul(oh).saturating_mul(ow));
        self.check_dense(at, n_in, n_out)?;
        self.check_work(at, n_out, cg.saturating_mul(kh).saturating_mul(kw))?;
        let mut mat = vec![0.0; n_in * n_out];
        let per_group = m / group;
        for o in 0..m {
            let g = o / per_group;
            for y in 0..oh {
                for x in 0..ow {
                    let col = (o * oh + y) * ow + x;
                    for ci in 0..cg {
                        let ch = g * cg + ci;
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let iy = (y * win.strides[0] + ky * win.dilations[0]) as isize
                                    - win.pad[0] as isize;
                                let ix = (x * win.strides[1] + kx * win.dilations[1]) as isize
                                    - win.pad[1] as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                    continue;
                                }
                                let row = (ch * h + iy as usize) * w + ix as usize;
                                mat[row * n_out + col] +=
                                    wt.data[((o * cg + ci) * kh + ky) * kw + kx];
                            }
                        }
                    }
                }
            }
        }
        let bias = bias.map(|b| (0..n_out).map(|k| b.data[k / (oh * ow)]).collect());
        Ok(Val::Var(self.dense(
            at,
            v,
            mat,
            bias,
            vec![1, m, oh, ow],
        )?))
    }

    /// The input positions (flattened) of each window of a pool, per output position.
    fn pool_windows(&self, at: &At, v: ValueId) -> Result<Pool, LoadError> {
        let [c, h, w] = self.image(at, v)?;
        if attr(at.node, "ceil_mode").is_some_and(|a| a.i != 0) {
            return Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("{} uses ceil_mode", at.here()),
                "re-export the pool with ceil_mode 0 (pad the input explicitly instead)",
            ));
        }
        let k = Self::ints_attr(at, "kernel_shape", &[]);
        if k.len() != 2 || k.iter().any(|x| !(1..=1 << 20).contains(x)) {
            return Err(self.shape_error(at, "kernel_shape must be two positive numbers".into()));
        }
        let kernel = [k[0] as usize, k[1] as usize];
        let win = self.window(at, [h, w], kernel)?;
        let [oh, ow] = win.out;
        let n_out = c.saturating_mul(oh).saturating_mul(ow);
        self.check_work(at, n_out, kernel[0].saturating_mul(kernel[1]))?;
        let mut windows = Vec::with_capacity(n_out);
        for ch in 0..c {
            for y in 0..oh {
                for x in 0..ow {
                    let mut cells = Vec::new();
                    for ky in 0..kernel[0] {
                        for kx in 0..kernel[1] {
                            let iy = (y * win.strides[0] + ky * win.dilations[0]) as isize
                                - win.pad[0] as isize;
                            let ix = (x * win.strides[1] + kx * win.dilations[1]) as isize
                                - win.pad[1] as isize;
                            if iy >= 0 && ix >= 0 && iy < h as isize && ix < w as isize {
                                cells.push((ch * h + iy as usize) * w + ix as usize);
                            }
                        }
                    }
                    if cells.is_empty() {
                        return Err(
                            self.shape_error(at, "a window lies entirely in the padding".into())
                        );
                    }
                    windows.push(cells);
                }
            }
        }
        Ok((windows, vec![1, c, oh, ow], kernel[0] * kernel[1]))
    }

    pub(super) fn average_pool(&mut self, at: &At) -> Result<Val, LoadError> {
        let v = self.var_input(at, 0)?;
        let (windows, out_shape, full) = self.pool_windows(at, v)?;
        let include_pad = attr(at.node, "count_include_pad").is_some_and(|a| a.i != 0);
        let n_in: usize = self.shape_of(v).iter().product();
        let n_out = windows.len();
        self.check_dense(at, n_in, n_out)?;
        let mut mat = vec![0.0; n_in * n_out];
        for (col, cells) in windows.iter().enumerate() {
            let count = if include_pad { full } else { cells.len() };
            for &row in cells {
                mat[row * n_out + col] += 1.0 / count as f64;
            }
        }
        Ok(Val::Var(self.dense(at, v, mat, None, out_shape)?))
    }

    pub(super) fn max_pool(&mut self, at: &At) -> Result<Val, LoadError> {
        let v = self.var_input(at, 0)?;
        let (windows, out_shape, full) = self.pool_windows(at, v)?;
        let n_in: usize = self.shape_of(v).iter().product();
        let n_out = windows.len();
        self.check_dense(at, n_in, n_out.saturating_mul(full))?;
        let mut acc: Option<ValueId> = None;
        for t in 0..full {
            let mut mat = vec![0.0; n_in * n_out];
            for (col, cells) in windows.iter().enumerate() {
                // A window cut by padding repeats its first cell: the max is unchanged.
                let row = cells.get(t).copied().unwrap_or(cells[0]);
                mat[row * n_out + col] = 1.0;
            }
            let sel = self.dense(at, v, mat, None, out_shape.clone())?;
            acc = Some(match acc {
                None => sel,
                Some(a) => {
                    // max(a, sel) = sel + relu(a - sel)
                    let d = self.push(at, Op::Sub { lhs: a, rhs: sel }, out_shape.clone());
                    let r = self.push(at, Op::Relu { input: d }, out_shape.clone());
                    self.push(at, Op::Add { lhs: sel, rhs: r }, out_shape.clone())
                }
            });
        }
        let Some(out) = acc else {
            return Err(self.shape_error(at, "an empty kernel".into()));
        };
        Ok(Val::Var(out))
    }

    pub(super) fn transpose(&mut self, at: &At) -> Result<Val, LoadError> {
        let x = self.required(at, 0)?;
        let shape = match &x {
            Val::Var(v) => self.shape_of(*v).to_vec(),
            Val::Const(t) => t.shape.clone(),
        };
        let r = shape.len();
        let default: Vec<i64> = (0..r as i64).rev().collect();
        let perm = Self::ints_attr(at, "perm", &default);
        let mut seen = vec![false; r];
        if perm.len() != r
            || perm.iter().any(|p| {
                *p < 0 || *p as usize >= r || std::mem::replace(&mut seen[*p as usize], true)
            })
        {
            return Err(self.shape_error(
                at,
                format!("perm {perm:?} is not a permutation of {r} axes"),
            ));
        }
        let perm: Vec<usize> = perm.iter().map(|p| *p as usize).collect();
        let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
        let n: usize = shape.iter().product();
        // For each output index, the input index it reads.
        let strides = |s: &[usize]| -> Vec<usize> {
            let mut st = vec![1; s.len()];
            for i in (0..s.len().saturating_sub(1)).rev() {
                st[i] = st[i + 1] * s[i + 1];
            }
            st
        };
        let (ist, ost) = (strides(&shape), strides(&out_shape));
        let source: Vec<usize> = (0..n)
            .map(|o| {
                let mut rem = o;
                let mut src = 0;
                for (d, &p) in perm.iter().enumerate() {
                    let idx = rem / ost[d];
                    rem %= ost[d];
                    src += idx * ist[p];
                }
                src
            })
            .collect();
        match x {
            Val::Const(t) => Ok(Val::Const(Tensor {
                shape: out_shape,
                data: source.iter().map(|&s| t.data[s]).collect(),
                origin: format!("constant computed by {}", at.here()),
            })),
            Val::Var(v) => {
                self.check_dense(at, n, n)?;
                let mut mat = vec![0.0; n * n];
                for (o, &s) in source.iter().enumerate() {
                    mat[s * n + o] = 1.0;
                }
                Ok(Val::Var(self.dense(at, v, mat, None, out_shape)?))
            }
        }
    }

    pub(super) fn concat(&mut self, at: &At) -> Result<Val, LoadError> {
        let parts: Vec<Val> = (0..at.node.input.len())
            .map(|k| self.required(at, k))
            .collect::<Result<_, _>>()?;
        let shapes: Vec<Vec<usize>> = parts
            .iter()
            .map(|p| match p {
                Val::Var(v) => self.shape_of(*v).to_vec(),
                Val::Const(t) => t.shape.clone(),
            })
            .collect();
        let Some(first) = shapes.first().cloned() else {
            return Err(self.shape_error(at, "no inputs".into()));
        };
        let r = first.len() as i64;
        let axis = attr(at.node, "axis").map_or(0, |a| a.i);
        let axis = if axis < 0 { axis + r } else { axis };
        if !(0..r).contains(&axis)
            || shapes.iter().any(|s| {
                s.len() != first.len()
                    || s.iter()
                        .zip(&first)
                        .enumerate()
                        .any(|(d, (a, b))| d as i64 != axis && a != b)
            })
        {
            return Err(self.shape_error(
                at,
                format!(
                    "inputs of shapes {} cannot be concatenated along axis {axis}",
                    shapes
                        .iter()
                        .map(|s| show(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let axis = axis as usize;
        let outer: usize = first[..axis].iter().product();
        let inner: usize = first[axis + 1..].iter().product();
        let total: usize = shapes.iter().map(|s| s[axis]).sum();
        let mut out_shape = first.clone();
        out_shape[axis] = total;
        let n_out = outer * total * inner;
        // Output index of element `i` of part `k` (offset `off` along the axis).
        let place = |i: usize, len: usize, off: usize| -> usize {
            let o = i / (len * inner);
            let rest = i % (len * inner);
            o * total * inner + off * inner + rest
        };
        let mut constant = vec![0.0; n_out];
        let mut any_const = false;
        let mut acc: Option<ValueId> = None;
        let mut off = 0;
        for (p, s) in parts.iter().zip(&shapes) {
            let len = s[axis];
            let n: usize = s.iter().product();
            match p {
                Val::Const(t) => {
                    self.finite(at, t)?;
                    for i in 0..n {
                        constant[place(i, len, off)] = t.data[i];
                    }
                    any_const = true;
                }
                Val::Var(v) => {
                    self.check_dense(at, n, n_out)?;
                    let mut mat = vec![0.0; n * n_out];
                    for i in 0..n {
                        mat[i * n_out + place(i, len, off)] = 1.0;
                    }
                    let moved = self.dense(at, *v, mat, None, out_shape.clone())?;
                    acc = Some(match acc {
                        None => moved,
                        Some(a) => self.push(at, Op::Add { lhs: a, rhs: moved }, out_shape.clone()),
                    });
                }
            }
            off += len;
        }
        match acc {
            None => Ok(Val::Const(Tensor {
                shape: out_shape,
                data: constant,
                origin: format!("constant computed by {}", at.here()),
            })),
            Some(a) if any_const => Ok(Val::Var(self.push(
                at,
                Op::AddConst { input: a, constant },
                out_shape,
            ))),
            Some(a) => Ok(Val::Var(a)),
        }
    }
}
