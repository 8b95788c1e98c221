//! Loading ONNX files into a [`Network`].
//!
//! Takes: the bytes of an ONNX model (a file path or a buffer). The protobuf is decoded
//! with the `ModelProto` types that `onnx-ir` exposes; the graph is then lowered here,
//! node by node, rather than through `onnx-ir`'s own pipeline, because that pipeline
//! renames nodes, folds and fuses them, and leaves some shapes unknown, while propc's
//! errors must name the user's nodes and every shape must be static.
//! Gives: a [`Network`] whose nodes carry the original ONNX node names (or
//! `OpType#index` for unnamed nodes), with static shapes and constants broadcast to
//! the node's output shape; or a [`LoadError`] (never a panic) naming the node.
//! Invariant: constant subgraphs (initializers, `Constant` nodes and ops on them) are
//! folded away; only values that depend on the input become nodes; nodes that do not
//! reach the output are dropped, so the last node is the output.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use onnx_ir::{
    AttributeProto, GraphProto, Message, ModelProto, NodeProto, TensorProto, ValueInfoProto,
};

use super::shapes::{self, show};

mod activations;
mod spatial;
use super::{Network, Node, Op, ValueId};

/// Largest tensor (in elements) the loader accepts.
const MAX_ELEMENTS: usize = 1 << 26;

const SUPPORTED: &str = "propc supports the operators MatMul, Gemm, Add, Sub, Mul, Div, Neg, Relu, \
     BatchNormalization, Clip, Max, Min, Conv, AveragePool, MaxPool, Transpose, Concat, \
     Flatten, Reshape, Identity, Dropout, Squeeze, Unsqueeze, Shape and Constant \
     (Mul and Div need a constant operand, MatMul and Gemm a constant weight)";

/// What went wrong, for callers that branch on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadErrorKind {
    /// The file could not be read.
    Io,
    /// Not an ONNX model: not a protobuf, truncated, or without a graph.
    InvalidModel,
    /// An operator propc does not implement.
    UnsupportedOperator,
    /// A supported operator used in a way propc does not implement (an attribute
    /// value, two non-constant operands of `Mul`, external data, ...).
    UnsupportedUsage,
    /// The shapes of a node's operands do not fit.
    ShapeMismatch,
    /// A weight (initializer or constant) is NaN or infinite.
    NonFinite,
    /// `Div` by a constant that contains a zero.
    DivisionByZero,
    /// The graph's inputs or outputs are not one float tensor in and one out, or the
    /// input shape is not static.
    Signature,
    /// A dangling reference, a cycle, or tensor data that does not match its dims.
    Malformed,
}

/// A network file that propc cannot use. `Display` prints the lowercase message.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadError {
    pub kind: LoadErrorKind,
    /// The ONNX name of the node at fault (`OpType#index` when it has none).
    pub node: Option<String>,
    /// The ONNX operator type of that node.
    pub op_type: Option<String>,
    pub message: String,
    /// One line on what to do about it.
    pub help: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LoadError {}

/// Load the ONNX network at `path`.
pub fn load(path: &Path) -> Result<Network, LoadError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LoadError {
        kind: LoadErrorKind::Io,
        node: None,
        op_type: None,
        message: format!(
            "cannot read the network file `{file}`: {}",
            lower(&e.to_string())
        ),
        help: "check the path given for the network".into(),
    })?;
    load_bytes(&bytes, &file)
}

/// Load an ONNX network from its bytes; `source_name` becomes [`Network::source`].
pub fn load_bytes(bytes: &[u8], source_name: &str) -> Result<Network, LoadError> {
    let model = ModelProto::parse_from_bytes(bytes).map_err(|e| {
        top(
            LoadErrorKind::InvalidModel,
            format!("the file is not a valid onnx model: {}", lower(&e.to_string())),
            "propc reads ONNX models (protobuf `.onnx` files); the file may be truncated or of another format",
        )
    })?;
    let Some(graph) = model.graph.as_ref() else {
        return Err(top(
            LoadErrorKind::InvalidModel,
            "the file is not a valid onnx model: it has no graph".into(),
            "propc reads ONNX models (protobuf `.onnx` files); the file may be truncated or of another format",
        ));
    };
    Lowering::new(source_name).run(graph)
}

fn top(kind: LoadErrorKind, message: String, help: &str) -> LoadError {
    LoadError {
        kind,
        node: None,
        op_type: None,
        message,
        help: help.into(),
    }
}

/// Error texts from other crates start with a capital; ours are lowercase.
fn lower(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A constant tensor with where it came from (for messages).
#[derive(Clone, Debug)]
struct Tensor {
    shape: Vec<usize>,
    data: Vec<f64>,
    /// "initializer `W1`", "constant `c`", ...
    origin: String,
}

#[derive(Clone, Debug)]
enum Val {
    Var(ValueId),
    Const(Tensor),
}

struct Lowering<'a> {
    file: &'a str,
    input_shape: Vec<usize>,
    nodes: Vec<Node>,
    /// The ONNX op type behind each of `nodes`.
    op_types: Vec<String>,
    values: HashMap<String, Val>,
}

/// The node being lowered, for error messages.
struct At<'n> {
    name: String,
    node: &'n NodeProto,
}

impl At<'_> {
    fn op(&self) -> &str {
        &self.node.op_type
    }

    /// "node `fc1` (MatMul)"
    fn here(&self) -> String {
        format!("node `{}` ({})", self.name, self.node.op_type)
    }
}

impl<'a> Lowering<'a> {
    fn new(file: &'a str) -> Self {
        Lowering {
            file,
            input_shape: Vec::new(),
            nodes: Vec::new(),
            op_types: Vec::new(),
            values: HashMap::new(),
        }
    }

    fn err(
        &self,
        at: Option<&At>,
        kind: LoadErrorKind,
        message: String,
        help: impl Into<String>,
    ) -> LoadError {
        LoadError {
            kind,
            node: at.map(|a| a.name.clone()),
            op_type: at.map(|a| a.op().to_string()),
            message,
            help: help.into(),
        }
    }

    fn run(mut self, graph: &GraphProto) -> Result<Network, LoadError> {
        let mut init_names = HashSet::new();
        for t in &graph.initializer {
            let origin = format!("initializer `{}`", t.name);
            let tensor = self.decode(t, origin, None)?;
            init_names.insert(t.name.clone());
            self.values.insert(t.name.clone(), Val::Const(tensor));
        }
        if !graph.sparse_initializer.is_empty() {
            return Err(self.err(
                None,
                LoadErrorKind::UnsupportedUsage,
                "the model has sparse initializers, which propc does not read".into(),
                "store the weights as dense initializers",
            ));
        }
        self.read_input(graph, &init_names)?;
        let output = self.read_output(graph)?;

        // ONNX requires topological order; accept any order whose references resolve.
        let mut pending: Vec<(usize, &NodeProto)> = graph.node.iter().enumerate().collect();
        while !pending.is_empty() {
            let before = pending.len();
            let mut rest = Vec::new();
            for (index, node) in pending {
                if node
                    .input
                    .iter()
                    .all(|i| i.is_empty() || self.values.contains_key(i))
                {
                    self.lower_node(index, node)?;
                } else {
                    rest.push((index, node));
                }
            }
            if rest.len() == before {
                let (index, node) = rest[0];
                let at = At {
                    name: node_name(index, node),
                    node,
                };
                let missing = node
                    .input
                    .iter()
                    .find(|i| !i.is_empty() && !self.values.contains_key(*i))
                    .cloned()
                    .unwrap_or_default();
                return Err(self.err(
                    Some(&at),
                    LoadErrorKind::Malformed,
                    format!(
                        "{} reads `{missing}`, which is neither the input, an initializer nor the output of another node (or the graph has a cycle)",
                        at.here()
                    ),
                    "the model is malformed; re-export it",
                ));
            }
            pending = rest;
        }
        self.finish(&output)
    }

    fn read_input(
        &mut self,
        graph: &GraphProto,
        init_names: &HashSet<String>,
    ) -> Result<(), LoadError> {
        let inputs: Vec<&ValueInfoProto> = graph
            .input
            .iter()
            .filter(|i| !init_names.contains(&i.name))
            .collect();
        let [input] = inputs.as_slice() else {
            let names: Vec<String> = inputs.iter().map(|i| format!("`{}`", i.name)).collect();
            return Err(self.err(
                None,
                LoadErrorKind::Signature,
                format!("the network has {} inputs ({}); propc supports networks with exactly one input", inputs.len(), names.join(", ")),
                "export the network with a single input tensor (concatenate the inputs)",
            ));
        };
        let name = &input.name;
        let Some(ty) = input.type_.as_ref().filter(|t| t.has_tensor_type()) else {
            return Err(self.err(
                None,
                LoadErrorKind::Signature,
                format!("the network input `{name}` is not a tensor"),
                "propc reads networks whose input is one float tensor",
            ));
        };
        let tensor = ty.tensor_type();
        if tensor.elem_type != 1 && tensor.elem_type != 11 {
            return Err(self.err(
                None,
                LoadErrorKind::Signature,
                format!("the network input `{name}` has element type {}; propc supports float and double inputs", dtype_name(tensor.elem_type)),
                "export the network with a float32 input",
            ));
        }
        let Some(shape) = tensor.shape.as_ref() else {
            return Err(self.err(
                None,
                LoadErrorKind::Signature,
                format!("the network input `{name}` has no shape"),
                "export the network with a static input shape, e.g. [1, n]",
            ));
        };
        let mut dims = Vec::with_capacity(shape.dim.len());
        for (k, d) in shape.dim.iter().enumerate() {
            if d.has_dim_value() && d.dim_value() > 0 {
                dims.push(usize::try_from(d.dim_value()).unwrap_or(usize::MAX));
            } else if k == 0 {
                dims.push(1); // a symbolic (or unset) batch dimension
            } else {
                let what = if d.has_dim_param() {
                    format!("the symbolic dimension `{}`", d.dim_param())
                } else {
                    "an unknown dimension".into()
                };
                return Err(self.err(
                    None,
                    LoadErrorKind::Signature,
                    format!("the network input `{name}` has {what} at axis {k}; propc needs static shapes"),
                    "only the first (batch) dimension may be symbolic; export the network with a fixed input shape",
                ));
            }
        }
        if shapes::numel(&dims).is_none_or(|n| n > MAX_ELEMENTS) {
            return Err(self.err(
                None,
                LoadErrorKind::Signature,
                format!(
                    "the network input `{name}` of shape {} is too large",
                    show(&dims)
                ),
                "propc verifies small networks",
            ));
        }
        self.input_shape = dims;
        self.values.insert(name.clone(), Val::Var(0));
        Ok(())
    }

    fn read_output(&self, graph: &GraphProto) -> Result<ValueInfoProto, LoadError> {
        let [output] = graph.output.as_slice() else {
            let names: Vec<String> = graph
                .output
                .iter()
                .map(|i| format!("`{}`", i.name))
                .collect();
            return Err(self.err(
                None,
                LoadErrorKind::Signature,
                format!("the network has {} outputs ({}); propc supports networks with exactly one output", graph.output.len(), names.join(", ")),
                "export the network with a single output tensor",
            ));
        };
        Ok(output.clone())
    }

    /// Drop what does not reach the output and check the declared output shape.
    fn finish(mut self, output: &ValueInfoProto) -> Result<Network, LoadError> {
        let out = match self.values.get(&output.name) {
            Some(Val::Var(v)) => *v,
            Some(Val::Const(_)) => {
                return Err(self.err(
                    None,
                    LoadErrorKind::Signature,
                    format!(
                        "the network output `{}` does not depend on the network input",
                        output.name
                    ),
                    "the model computes a constant; check the export",
                ));
            }
            None => {
                return Err(self.err(
                    None,
                    LoadErrorKind::Malformed,
                    format!(
                        "the network output `{}` is not produced by any node",
                        output.name
                    ),
                    "the model is malformed; re-export it",
                ));
            }
        };
        let out = if out == 0 {
            self.nodes.push(Node {
                name: output.name.clone(),
                op: Op::Reshape { input: 0 },
                shape: self.input_shape.clone(),
            });
            self.op_types.push("Identity".into());
            self.nodes.len()
        } else {
            out
        };
        // liveness from the output
        let mut live = vec![false; out + 1];
        live[out] = true;
        for v in (1..=out).rev() {
            if live[v] {
                for i in self.nodes[v - 1].op.inputs() {
                    live[i] = true;
                }
            }
        }
        let last_op_type = self.op_types.get(out - 1).cloned();
        let mut map = vec![None; out + 1];
        map[0] = Some(0);
        let mut nodes = Vec::new();
        for (k, node) in self.nodes.into_iter().take(out).enumerate() {
            if live[k + 1] {
                let op = remap(node.op, &map);
                nodes.push(Node { op, ..node });
                map[k + 1] = Some(nodes.len());
            }
        }
        let network = Network {
            source: self.file.to_string(),
            input_shape: self.input_shape,
            nodes,
        };
        // the declared output shape, when it is fully static, must agree
        let declared: Option<Vec<usize>> = output
            .type_
            .as_ref()
            .filter(|t| t.has_tensor_type())
            .and_then(|t| {
                let shape = t.tensor_type().shape.as_ref()?;
                shape
                    .dim
                    .iter()
                    .map(|d| {
                        if d.has_dim_value() {
                            usize::try_from(d.dim_value()).ok()
                        } else {
                            None
                        }
                    })
                    .collect()
            });
        if let Some(declared) = declared
            && shapes::numel(&declared) != Some(network.output_size())
        {
            let last = network.nodes.last();
            return Err(LoadError {
                kind: LoadErrorKind::ShapeMismatch,
                node: last.map(|n| n.name.clone()),
                op_type: last_op_type,
                message: format!(
                    "the network output `{}` is declared with shape {} but is computed with shape {}",
                    output.name,
                    show(&declared),
                    show(network.output_shape())
                ),
                help: "the model's declared output shape is wrong; re-export it".into(),
            });
        }
        Ok(network)
    }

    fn shape_of(&self, v: ValueId) -> &[usize] {
        if v == 0 {
            &self.input_shape
        } else {
            self.nodes
                .get(v - 1)
                .map(|n| n.shape.as_slice())
                .unwrap_or(&[])
        }
    }

    fn push(&mut self, at: &At, op: Op, shape: Vec<usize>) -> ValueId {
        self.nodes.push(Node {
            name: at.name.clone(),
            op,
            shape,
        });
        self.op_types.push(at.op().to_string());
        self.nodes.len()
    }

    fn set_output(&mut self, at: &At, k: usize, val: Val) -> Result<(), LoadError> {
        match at.node.output.get(k) {
            Some(name) if !name.is_empty() => {
                self.values.insert(name.clone(), val);
                Ok(())
            }
            _ => Err(self.err(
                Some(at),
                LoadErrorKind::Malformed,
                format!("{} has no output", at.here()),
                "the model is malformed; re-export it",
            )),
        }
    }

    /// Input `k` of the node (`None` when absent or empty).
    fn input(&self, at: &At, k: usize) -> Option<Val> {
        let name = at.node.input.get(k).filter(|n| !n.is_empty())?;
        self.values.get(name).cloned()
    }

    fn required(&self, at: &At, k: usize) -> Result<Val, LoadError> {
        self.input(at, k).ok_or_else(|| {
            self.err(
                Some(at),
                LoadErrorKind::Malformed,
                format!("{} lacks its input number {}", at.here(), k + 1),
                "the model is malformed; re-export it",
            )
        })
    }

    fn lower_node(&mut self, index: usize, node: &NodeProto) -> Result<(), LoadError> {
        let at = At {
            name: node_name(index, node),
            node,
        };
        let domain = node.domain.as_str();
        if !(domain.is_empty() || domain == "ai.onnx") {
            return Err(self.err(
                Some(&at),
                LoadErrorKind::UnsupportedOperator,
                format!(
                    "unsupported operator `{}::{}` in node `{}`",
                    domain, node.op_type, at.name
                ),
                SUPPORTED,
            ));
        }
        let val = match node.op_type.as_str() {
            "Constant" => Val::Const(self.constant(&at)?),
            "Identity" | "Dropout" => match self.required(&at, 0)? {
                Val::Var(v) => {
                    Val::Var(self.push(&at, Op::Reshape { input: v }, self.shape_of(v).to_vec()))
                }
                c => c,
            },
            "Relu" => match self.required(&at, 0)? {
                Val::Var(v) => {
                    Val::Var(self.push(&at, Op::Relu { input: v }, self.shape_of(v).to_vec()))
                }
                Val::Const(t) => Val::Const(Tensor {
                    data: t.data.iter().map(|x| x.max(0.0)).collect(),
                    ..t
                }),
            },
            "Neg" => match self.required(&at, 0)? {
                Val::Var(v) => {
                    let shape = self.shape_of(v).to_vec();
                    let n = shapes::numel(&shape).unwrap_or(0);
                    Val::Var(self.push(
                        &at,
                        Op::MulConst {
                            input: v,
                            constant: vec![-1.0; n],
                        },
                        shape,
                    ))
                }
                Val::Const(t) => Val::Const(Tensor {
                    data: t.data.iter().map(|x| -x).collect(),
                    ..t
                }),
            },
            "Flatten" | "Reshape" | "Squeeze" | "Unsqueeze" => self.reshape(&at)?,
            "Shape" => {
                let shape = match self.required(&at, 0)? {
                    Val::Var(v) => self.shape_of(v).to_vec(),
                    Val::Const(t) => t.shape,
                };
                let data = shape.iter().map(|&d| d as f64).collect();
                Val::Const(Tensor {
                    shape: vec![shape.len()],
                    data,
                    origin: format!("the output of {}", at.here()),
                })
            }
            "MatMul" => self.matmul(&at)?,
            "Gemm" => self.gemm(&at)?,
            "Add" | "Sub" | "Mul" | "Div" => self.binary(&at)?,
            "BatchNormalization" => self.batch_norm(&at)?,
            "Clip" => self.clip(&at)?,
            "Max" | "Min" => self.max_min(&at)?,
            "Conv" => self.conv(&at)?,
            "AveragePool" => self.average_pool(&at)?,
            "MaxPool" => self.max_pool(&at)?,
            "Transpose" => self.transpose(&at)?,
            "Concat" => self.concat(&at)?,
            other => {
                return Err(self.err(
                    Some(&at),
                    LoadErrorKind::UnsupportedOperator,
                    format!("unsupported operator `{other}` in node `{}`", at.name),
                    SUPPORTED,
                ));
            }
        };
        self.set_output(&at, 0, val)
    }

    fn constant(&self, at: &At) -> Result<Tensor, LoadError> {
        let origin = format!("constant `{}`", at.name);
        for a in &at.node.attribute {
            match a.name.as_str() {
                "value" => {
                    if let Some(t) = a.t.as_ref() {
                        return self.decode(t, origin, Some(at));
                    }
                }
                "value_float" => {
                    return Ok(Tensor {
                        shape: vec![],
                        data: vec![f64::from(a.f)],
                        origin,
                    });
                }
                "value_floats" => {
                    return Ok(Tensor {
                        shape: vec![a.floats.len()],
                        data: a.floats.iter().map(|&x| f64::from(x)).collect(),
                        origin,
                    });
                }
                "value_int" => {
                    return Ok(Tensor {
                        shape: vec![],
                        data: vec![a.i as f64],
                        origin,
                    });
                }
                "value_ints" => {
                    return Ok(Tensor {
                        shape: vec![a.ints.len()],
                        data: a.ints.iter().map(|&x| x as f64).collect(),
                        origin,
                    });
                }
                _ => {}
            }
        }
        Err(self.err(
            Some(at),
            LoadErrorKind::UnsupportedUsage,
            format!("{} has no numeric value propc can read", at.here()),
            "constants must be float or integer tensors",
        ))
    }

    /// Decode a tensor; the data must match the dims.
    fn decode(
        &self,
        t: &TensorProto,
        origin: String,
        at: Option<&At>,
    ) -> Result<Tensor, LoadError> {
        let malformed = |msg: String| {
            self.err(
                at,
                LoadErrorKind::Malformed,
                msg,
                "the model is malformed; re-export it",
            )
        };
        if t.data_location.value() == 1 || !t.external_data.is_empty() {
            return Err(self.err(
                at,
                LoadErrorKind::UnsupportedUsage,
                format!("the {origin} is stored as external data, which propc does not read"),
                "save the model with its weights inside the .onnx file",
            ));
        }
        let mut shape = Vec::with_capacity(t.dims.len());
        for &d in &t.dims {
            match usize::try_from(d) {
                Ok(d) => shape.push(d),
                Err(_) => {
                    return Err(malformed(format!(
                        "the {origin} has the negative dimension {d}"
                    )));
                }
            }
        }
        let n = match shapes::numel(&shape) {
            Some(n) if n <= MAX_ELEMENTS => n,
            _ => {
                return Err(self.err(
                    at,
                    LoadErrorKind::UnsupportedUsage,
                    format!("the {origin} of shape {} is too large", show(&shape)),
                    "propc verifies small networks",
                ));
            }
        };
        let raw: &[u8] = &t.raw_data;
        let data: Vec<f64> = match t.data_type {
            1 if !raw.is_empty() => read_raw::<4>(raw, n, |b| f64::from(f32::from_le_bytes(b))),
            1 => (t.float_data.len() == n).then(|| t.float_data.iter().map(|&x| f64::from(x)).collect()),
            11 if !raw.is_empty() => read_raw::<8>(raw, n, f64::from_le_bytes),
            11 => (t.double_data.len() == n).then(|| t.double_data.clone()),
            7 if !raw.is_empty() => read_raw::<8>(raw, n, |b| i64::from_le_bytes(b) as f64),
            7 => (t.int64_data.len() == n).then(|| t.int64_data.iter().map(|&x| x as f64).collect()),
            6 if !raw.is_empty() => read_raw::<4>(raw, n, |b| f64::from(i32::from_le_bytes(b))),
            6 => (t.int32_data.len() == n).then(|| t.int32_data.iter().map(|&x| f64::from(x)).collect()),
            other => {
                return Err(self.err(
                    at,
                    LoadErrorKind::UnsupportedUsage,
                    format!("the {origin} has element type {}; propc reads float, double, int32 and int64 tensors", dtype_name(other)),
                    "export the network in float32",
                ));
            }
        }
        .ok_or_else(|| malformed(format!("the {origin} declares shape {} but its data has a different size", show(&shape))))?;
        Ok(Tensor {
            shape,
            data,
            origin,
        })
    }

    /// Constant data used as a weight: it must be finite.
    fn finite(&self, at: &At, t: &Tensor) -> Result<(), LoadError> {
        if let Some(bad) = t.data.iter().find(|x| !x.is_finite()) {
            let what = if bad.is_nan() {
                "nan"
            } else {
                "an infinite value"
            };
            return Err(self.err(
                Some(at),
                LoadErrorKind::NonFinite,
                format!("the {} used by {} contains {what}", t.origin, at.here()),
                "every weight must be a finite number; check the training run that produced the model",
            ));
        }
        Ok(())
    }

    fn ints(&self, at: &At, t: &Tensor) -> Result<Vec<i64>, LoadError> {
        t.data
            .iter()
            .map(|&x| {
                if x.fract() == 0.0 && x.abs() < 9.0e15 {
                    Ok(x as i64)
                } else {
                    Err(self.err(
                        Some(at),
                        LoadErrorKind::Malformed,
                        format!("the {} used by {} must hold integers", t.origin, at.here()),
                        "the model is malformed; re-export it",
                    ))
                }
            })
            .collect()
    }

    fn reshape(&mut self, at: &At) -> Result<Val, LoadError> {
        let x = self.required(at, 0)?;
        let in_shape = match &x {
            Val::Var(v) => self.shape_of(*v).to_vec(),
            Val::Const(t) => t.shape.clone(),
        };
        let shape_err = |msg: String| {
            self.err(
                Some(at),
                LoadErrorKind::ShapeMismatch,
                format!("{}: {msg}", at.here()),
                "check the model's shapes",
            )
        };
        let axes_of = |this: &Self| -> Result<Option<Vec<i64>>, LoadError> {
            match this.input(at, 1) {
                Some(Val::Const(t)) => Ok(Some(this.ints(at, &t)?)),
                Some(Val::Var(_)) => Err(this.err(
                    Some(at),
                    LoadErrorKind::UnsupportedUsage,
                    format!(
                        "{} takes its axes from a value computed from the input",
                        at.here()
                    ),
                    "propc needs static shapes: make the axes a constant",
                )),
                None => Ok(attr(at.node, "axes").map(|a| a.ints.clone())),
            }
        };
        let out_shape = match at.op() {
            "Flatten" => {
                let axis = attr(at.node, "axis").map_or(1, |a| a.i);
                shapes::flatten(&in_shape, axis).ok_or_else(|| {
                    shape_err(format!(
                        "axis {axis} is out of range for {}",
                        show(&in_shape)
                    ))
                })?
            }
            "Reshape" => {
                let spec = match self.input(at, 1) {
                    Some(Val::Const(t)) => self.ints(at, &t)?,
                    Some(Val::Var(_)) => {
                        return Err(self.err(
                            Some(at),
                            LoadErrorKind::UnsupportedUsage,
                            format!(
                                "{} takes its target shape from a value computed from the input",
                                at.here()
                            ),
                            "propc needs static shapes: make the target shape a constant",
                        ));
                    }
                    None => match attr(at.node, "shape") {
                        Some(a) => a.ints.clone(),
                        None => {
                            return Err(self.err(
                                Some(at),
                                LoadErrorKind::Malformed,
                                format!("{} has no target shape", at.here()),
                                "the model is malformed; re-export it",
                            ));
                        }
                    },
                };
                let allowzero = attr(at.node, "allowzero").is_some_and(|a| a.i != 0);
                shapes::reshape_target(&in_shape, &spec, allowzero).map_err(shape_err)?
            }
            "Squeeze" => {
                let axes = axes_of(self)?.unwrap_or_default();
                shapes::squeeze(&in_shape, &axes).map_err(shape_err)?
            }
            _ => {
                let Some(axes) = axes_of(self)? else {
                    return Err(self.err(
                        Some(at),
                        LoadErrorKind::Malformed,
                        format!("{} has no axes", at.here()),
                        "the model is malformed; re-export it",
                    ));
                };
                shapes::unsqueeze(&in_shape, &axes).map_err(shape_err)?
            }
        };
        Ok(match x {
            Val::Var(v) => Val::Var(self.push(at, Op::Reshape { input: v }, out_shape)),
            Val::Const(t) => Val::Const(Tensor {
                shape: out_shape,
                ..t
            }),
        })
    }

    fn matmul(&mut self, at: &At) -> Result<Val, LoadError> {
        let a = self.required(at, 0)?;
        let b = self.required(at, 1)?;
        match (a, b) {
            (Val::Var(v), Val::Const(w)) => {
                self.finite(at, &w)?;
                let x = self.shape_of(v).to_vec();
                let (k, n, keep_last) = match w.shape.as_slice() {
                    [k] => (*k, 1, false),
                    [k, n] => (*k, *n, true),
                    _ => {
                        return Err(self.err(
                            Some(at),
                            LoadErrorKind::UnsupportedUsage,
                            format!("{} has a weight of rank {}; propc supports rank-2 weights", at.here(), w.shape.len()),
                            "export fully connected layers as MatMul with a [in, out] weight",
                        ));
                    }
                };
                if x.last() != Some(&k) {
                    return Err(self.mismatch(at, &x, &w));
                }
                let mut shape = x[..x.len() - 1].to_vec();
                if keep_last {
                    shape.push(n);
                }
                let op = Op::Linear { input: v, weight: w.data, bias: None, in_features: k, out_features: n };
                Ok(Val::Var(self.push(at, op, shape)))
            }
            (Val::Const(w), Val::Var(v)) => {
                // W · x with x a column vector: a Linear with the transposed weight
                self.finite(at, &w)?;
                let x = self.shape_of(v).to_vec();
                let (k, column) = match x.as_slice() {
                    [k] => (*k, false),
                    [k, 1] => (*k, true),
                    _ => {
                        return Err(self.err(
                            Some(at),
                            LoadErrorKind::UnsupportedUsage,
                            format!("{} multiplies a constant by a value of shape {}; propc supports this only for column vectors", at.here(), show(&x)),
                            "export the layer as x · W (MatMul with the weight second)",
                        ));
                    }
                };
                let (m, kw) = match w.shape.as_slice() {
                    [kw] => (1, *kw),
                    [m, kw] => (*m, *kw),
                    _ => return Err(self.mismatch(at, &w.shape, &Tensor { shape: x.clone(), data: vec![], origin: String::new() })),
                };
                if kw != k {
                    return Err(self.err(
                        Some(at),
                        LoadErrorKind::ShapeMismatch,
                        format!("shape mismatch in {}: the {} of shape {} cannot multiply a value of shape {}", at.here(), w.origin, show(&w.shape), show(&x)),
                        "the model's layer sizes do not fit together",
                    ));
                }
                let mut weight = vec![0.0; k * m];
                for (i, row) in w.data.chunks(k.max(1)).enumerate() {
                    for (j, &value) in row.iter().enumerate() {
                        if let Some(slot) = weight.get_mut(j * m + i) {
                            *slot = value;
                        }
                    }
                }
                let mut shape = if w.shape.len() == 2 { vec![m] } else { vec![] };
                if column {
                    shape.push(1);
                }
                let op = Op::Linear { input: v, weight, bias: None, in_features: k, out_features: m };
                Ok(Val::Var(self.push(at, op, shape)))
            }
            (Val::Var(_), Val::Var(_)) => Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("{} multiplies two values computed from the input, which is not piecewise linear", at.here()),
                "propc verifies piecewise-linear networks; MatMul needs a constant weight",
            )),
            (Val::Const(_), Val::Const(_)) => Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("{} multiplies two constants, which propc does not fold", at.here()),
                "simplify the model first (e.g. onnxsim) so that constant products are folded",
            )),
        }
    }

    fn mismatch(&self, at: &At, x: &[usize], w: &Tensor) -> LoadError {
        self.err(
            Some(at),
            LoadErrorKind::ShapeMismatch,
            format!(
                "shape mismatch in {}: a value of shape {} cannot be multiplied by the {} of shape {}",
                at.here(),
                show(x),
                w.origin,
                show(&w.shape)
            ),
            "the model's layer sizes do not fit together",
        )
    }

    fn gemm(&mut self, at: &At) -> Result<Val, LoadError> {
        let alpha = f64::from(attr(at.node, "alpha").map_or(1.0, |a| a.f));
        let beta = f64::from(attr(at.node, "beta").map_or(1.0, |a| a.f));
        let trans_a = attr(at.node, "transA").is_some_and(|a| a.i != 0);
        let trans_b = attr(at.node, "transB").is_some_and(|a| a.i != 0);
        let Val::Var(v) = self.required(at, 0)? else {
            return Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!(
                    "{} has a constant first operand; propc needs the input there",
                    at.here()
                ),
                "export the layer as Gemm(x, W, b)",
            ));
        };
        let Val::Const(b) = self.required(at, 1)? else {
            return Err(self.err(
                Some(at),
                LoadErrorKind::UnsupportedUsage,
                format!("{} multiplies two values computed from the input, which is not piecewise linear", at.here()),
                "propc verifies piecewise-linear networks; Gemm needs a constant weight",
            ));
        };
        self.finite(at, &b)?;
        let x = self.shape_of(v).to_vec();
        let (m, k) = match (x.as_slice(), trans_a) {
            ([m, k], false) => (*m, *k),
            ([k, 1], true) => (1, *k), // a column vector transposed: the same data
            (_, true) => {
                return Err(self.err(
                    Some(at),
                    LoadErrorKind::UnsupportedUsage,
                    format!(
                        "{} has transA = 1 with an input of shape {}",
                        at.here(),
                        show(&x)
                    ),
                    "export the layer without transA",
                ));
            }
            _ => {
                return Err(self.err(
                    Some(at),
                    LoadErrorKind::ShapeMismatch,
                    format!("shape mismatch in {}: its first operand has shape {} but gemm needs a matrix", at.here(), show(&x)),
                    "insert a Flatten before the Gemm",
                ));
            }
        };
        let [b0, b1] = b.shape.as_slice() else {
            return Err(self.mismatch(at, &x, &b));
        };
        let (kb, n) = if trans_b { (*b1, *b0) } else { (*b0, *b1) };
        if kb != k {
            return Err(self.mismatch(at, &[m, k], &b));
        }
        let mut weight = vec![0.0; k * n];
        for i in 0..k {
            for j in 0..n {
                let src = if trans_b { j * k + i } else { i * n + j };
                weight[i * n + j] = alpha * b.data.get(src).copied().unwrap_or(0.0);
            }
        }
        if weight.iter().any(|w| !w.is_finite()) {
            return Err(self.err(
                Some(at),
                LoadErrorKind::NonFinite,
                format!(
                    "alpha times the {} used by {} overflows",
                    b.origin,
                    at.here()
                ),
                "every weight must be a finite number",
            ));
        }
        let out_shape = vec![m, n];
        let (bias, extra) = match self.input(at, 2) {
            None => (None, None),
            Some(Val::Var(_)) => {
                return Err(self.err(
                    Some(at),
                    LoadErrorKind::UnsupportedUsage,
                    format!(
                        "{} adds a value computed from the input as its bias",
                        at.here()
                    ),
                    "propc needs a constant Gemm bias; use a separate Add",
                ));
            }
            Some(Val::Const(c)) => {
                self.finite(at, &c)?;
                let full = shapes::broadcast_to(&c.data, &c.shape, &out_shape).ok_or_else(|| {
                    self.err(
                        Some(at),
                        LoadErrorKind::ShapeMismatch,
                        format!("shape mismatch in {}: the bias {} of shape {} does not broadcast to {}", at.here(), c.origin, show(&c.shape), show(&out_shape)),
                        "the model's layer sizes do not fit together",
                    )
                })?;
                let full: Vec<f64> = full.iter().map(|x| beta * x).collect();
                let first: Vec<f64> = full.iter().take(n).copied().collect();
                if full.chunks(n.max(1)).all(|row| row == first.as_slice()) {
                    (Some(first), None)
                } else {
                    (None, Some(full))
                }
            }
        };
        let op = Op::Linear {
            input: v,
            weight,
            bias,
            in_features: k,
            out_features: n,
        };
        let y = self.push(at, op, out_shape.clone());
        Ok(Val::Var(match extra {
            Some(constant) => self.push(at, Op::AddConst { input: y, constant }, out_shape),
            None => y,
        }))
    }

    fn binary(&mut self, at: &At) -> Result<Val, LoadError> {
        let a = self.required(at, 0)?;
        let b = self.required(at, 1)?;
        let op = at.op().to_string();
        match (a, b) {
            (Val::Const(x), Val::Const(y)) => {
                let shape = shapes::broadcast(&x.shape, &y.shape)
                    .ok_or_else(|| self.broadcast_err(at, &x.shape, &y.shape))?;
                let xs = shapes::broadcast_to(&x.data, &x.shape, &shape).unwrap_or_default();
                let ys = shapes::broadcast_to(&y.data, &y.shape, &shape).unwrap_or_default();
                if op == "Div" && ys.contains(&0.0) {
                    return Err(self.div_zero(at, &y));
                }
                let data = xs
                    .iter()
                    .zip(&ys)
                    .map(|(p, q)| match op.as_str() {
                        "Add" => p + q,
                        "Sub" => p - q,
                        "Mul" => p * q,
                        _ => p / q,
                    })
                    .collect();
                Ok(Val::Const(Tensor {
                    shape,
                    data,
                    origin: format!("constant computed by {}", at.here()),
                }))
            }
            (Val::Var(p), Val::Var(q)) => {
                if op == "Mul" || op == "Div" {
                    return Err(self.err(
                        Some(at),
                        LoadErrorKind::UnsupportedUsage,
                        format!("{} combines two values computed from the input, which is not piecewise linear", at.here()),
                        format!("propc verifies piecewise-linear networks; {op} needs a constant operand"),
                    ));
                }
                let (sp, sq) = (self.shape_of(p).to_vec(), self.shape_of(q).to_vec());
                if sp != sq {
                    return Err(self.err(
                        Some(at),
                        LoadErrorKind::ShapeMismatch,
                        format!("shape mismatch in {}: its operands have shapes {} and {}", at.here(), show(&sp), show(&sq)),
                        "propc needs both operands of an Add or Sub of two computed values to have the same shape",
                    ));
                }
                let node = if op == "Add" {
                    Op::Add { lhs: p, rhs: q }
                } else {
                    Op::Sub { lhs: p, rhs: q }
                };
                Ok(Val::Var(self.push(at, node, sp)))
            }
            (Val::Var(v), Val::Const(c)) => self.with_const(at, v, c, false),
            (Val::Const(c), Val::Var(v)) => self.with_const(at, v, c, true),
        }
    }

    /// `v op c` (or `c op v` when `const_first`).
    fn with_const(
        &mut self,
        at: &At,
        v: ValueId,
        c: Tensor,
        const_first: bool,
    ) -> Result<Val, LoadError> {
        self.finite(at, &c)?;
        let shape = self.shape_of(v).to_vec();
        let full = match shapes::broadcast(&shape, &c.shape) {
            Some(out) if out == shape => shapes::broadcast_to(&c.data, &c.shape, &shape),
            _ => None,
        }
        .ok_or_else(|| self.broadcast_err(at, &shape, &c.shape))?;
        let op = match (at.op(), const_first) {
            ("Add", _) => Op::AddConst {
                input: v,
                constant: full,
            },
            ("Mul", _) => Op::MulConst {
                input: v,
                constant: full,
            },
            ("Sub", false) => Op::SubConst {
                input: v,
                constant: full,
            },
            ("Sub", true) => Op::ConstSub {
                input: v,
                constant: full,
            },
            ("Div", false) => {
                if full.contains(&0.0) {
                    return Err(self.div_zero(at, &c));
                }
                Op::DivConst {
                    input: v,
                    constant: full,
                }
            }
            _ => {
                return Err(self.err(
                    Some(at),
                    LoadErrorKind::UnsupportedUsage,
                    format!("{} divides a constant by a value computed from the input, which is not piecewise linear", at.here()),
                    "propc verifies piecewise-linear networks; Div needs a constant divisor",
                ));
            }
        };
        Ok(Val::Var(self.push(at, op, shape)))
    }

    fn div_zero(&self, at: &At, c: &Tensor) -> LoadError {
        self.err(
            Some(at),
            LoadErrorKind::DivisionByZero,
            format!(
                "{} divides by the {}, which contains zero",
                at.here(),
                c.origin
            ),
            "a normalisation constant is zero; fix it (e.g. a standard deviation of 0 should be 1)",
        )
    }

    fn broadcast_err(&self, at: &At, a: &[usize], b: &[usize]) -> LoadError {
        self.err(
            Some(at),
            LoadErrorKind::ShapeMismatch,
            format!("shape mismatch in {}: shapes {} and {} do not broadcast to the shape of the computed operand", at.here(), show(a), show(b)),
            "the model's shapes do not fit together",
        )
    }
}

fn node_name(index: usize, node: &NodeProto) -> String {
    if node.name.is_empty() {
        format!("{}#{index}", node.op_type)
    } else {
        node.name.clone()
    }
}

fn attr<'n>(node: &'n NodeProto, name: &str) -> Option<&'n AttributeProto> {
    node.attribute.iter().find(|a| a.name == name)
}

fn read_raw<const N: usize>(raw: &[u8], n: usize, f: impl Fn([u8; N]) -> f64) -> Option<Vec<f64>> {
    if raw.len() != n.checked_mul(N)? {
        return None;
    }
    raw.chunks_exact(N)
        .map(|c| <[u8; N]>::try_from(c).ok().map(&f))
        .collect()
}

fn dtype_name(t: i32) -> String {
    let name = match t {
        0 => "undefined",
        1 => "float",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "double",
        12 => "uint32",
        13 => "uint64",
        14 => "complex64",
        15 => "complex128",
        16 => "bfloat16",
        _ => return format!("#{t}"),
    };
    name.into()
}

/// `op` with its inputs renumbered through `map` (every input of a live node is live).
fn remap(mut op: Op, map: &[Option<ValueId>]) -> Op {
    op.map_inputs(|v| map.get(v).copied().flatten().unwrap_or(v));
    op
}
