//! The ONNX loader against the generated example networks and the files it must reject.
//!
//! Takes: `specs/networks/*.onnx` with `reference.json` (onnxruntime float32 outputs and
//! the generator's float64 evaluation), `specs/networks/bad/*.onnx`; opt-in, the shared
//! benchmark networks under `$PROPC_DATA` (default `../shared/data` from the workspace).
//! Gives: evaluation agreement, the exact error kinds/messages, and no panics on
//! corrupted files.
//! Invariant: the project's own tests never need the shared data; those tests print a
//! skip message when it is absent.

use std::path::{Path, PathBuf};

use propc_runtime::network::{LoadErrorKind, Network, Op, load, load_bytes};
use serde_json::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn networks() -> PathBuf {
    workspace().join("specs").join("networks")
}

fn net(name: &str) -> Network {
    match load(&networks().join(name)) {
        Ok(n) => n,
        Err(e) => panic!("{name}: {e} (help: {})", e.help),
    }
}

fn reference() -> Value {
    let text = std::fs::read_to_string(networks().join("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("reference.json parses")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn shape(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("dim") as usize)
        .collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

#[test]
fn generated_networks_match_onnxruntime() {
    let refs = reference();
    let refs = refs.as_object().expect("object");
    assert!(
        refs.len() >= 10,
        "expected every generated network in reference.json"
    );
    for (name, r) in refs {
        let network = net(name);
        assert_eq!(
            network.input_shape,
            shape(&r["input_shape"]),
            "{name} input shape"
        );
        assert_eq!(
            network.output_shape(),
            shape(&r["output_shape"]).as_slice(),
            "{name} output shape"
        );
        let cases = r["cases"].as_array().expect("cases");
        assert_eq!(cases.len(), 20);
        for case in cases {
            let y = network.eval(&floats(&case["input"])).expect("eval");
            let ort = floats(&case["output"]);
            let exact = floats(&case["output_f64"]);
            assert_eq!(y.len(), ort.len());
            for ((a, b), c) in y.iter().zip(&ort).zip(&exact) {
                assert!(close(*a, *b, 1e-5), "{name}: {a} vs onnxruntime {b}");
                assert!(close(*a, *c, 1e-12), "{name}: {a} vs float64 reference {c}");
            }
        }
    }
}

fn kinds(n: &Network) -> Vec<(&str, &str)> {
    n.nodes
        .iter()
        .map(|node| (node.name.as_str(), node.op.kind()))
        .collect()
}

#[test]
fn node_names_and_ops_follow_the_file() {
    assert_eq!(
        kinds(&net("mono_up.onnx")),
        [
            ("fc1", "Linear"),
            ("bias1", "AddConst"),
            ("relu1", "Relu"),
            ("fc2", "Linear"),
            ("bias2", "AddConst"),
            ("relu2", "Relu"),
            ("fc3", "Linear"),
            ("bias3", "AddConst")
        ]
    );
    let c = net("classifier.onnx");
    assert_eq!(
        &kinds(&c)[..3],
        [
            ("norm_sub", "SubConst"),
            ("norm_div", "DivConst"),
            ("flatten", "Reshape")
        ]
    );
    assert_eq!(c.input_shape, [1, 2]);
    assert_eq!(c.output_shape(), [1, 3]);
    assert_eq!(
        kinds(&net("smooth.onnx")).last(),
        Some(&("scale", "MulConst"))
    );
    assert_eq!(kinds(&net("unfair.onnx"))[1], ("bias1", "AddConst"));
    let bad = net("pref_bad.onnx");
    assert_eq!(
        bad.input_shape,
        [1, 4],
        "a symbolic batch dimension is read as 1"
    );
    assert_eq!(kinds(&bad).last(), Some(&("flip", "ConstSub")));
    // Gemm with alpha = 0.5, beta = 2 and transB = 0: folded into the Linear weights.
    let fair = net("fair.onnx");
    assert_eq!(
        kinds(&fair),
        [("fc1", "Linear"), ("relu1", "Relu"), ("fc2", "Linear")]
    );
    match &fair.nodes[0].op {
        Op::Linear {
            in_features,
            out_features,
            bias,
            ..
        } => {
            assert_eq!((*in_features, *out_features), (4, 8));
            assert!(bias.as_ref().is_some_and(|b| b.len() == 8));
        }
        other => panic!("expected a Linear, got {other:?}"),
    }
    // Every shape is static and every constant has the node's size.
    for name in [
        "mono_up.onnx",
        "classifier.onnx",
        "pref.onnx",
        "pruned.onnx",
    ] {
        let n = net(name);
        for node in &n.nodes {
            if let Op::AddConst { constant, .. }
            | Op::DivConst { constant, .. }
            | Op::SubConst { constant, .. } = &node.op
            {
                assert_eq!(constant.len(), node.size(), "{name}: {}", node.name);
            }
        }
    }
}

#[test]
fn less_common_operators() {
    let n = net("loader/ops.onnx");
    assert_eq!(
        kinds(&n),
        [
            ("to_2x3", "Reshape"),
            ("unsq", "Reshape"),
            ("sq", "Reshape"),
            ("id", "Reshape"),
            ("gemm_rows", "Linear"),
            ("gemm_rows", "AddConst"),
            ("Relu#7", "Relu"),
            ("flat", "Reshape"),
            ("col", "Reshape"),
            ("left", "Linear"),
            ("half", "MulConst"),
            ("div", "DivConst"),
            ("diff", "Sub"),
            ("neg", "MulConst"),
            ("sum", "Add")
        ],
        "the dead node `unused` is dropped and the Constant folded"
    );
    let shapes: Vec<&[usize]> = n.nodes.iter().map(|node| node.shape.as_slice()).collect();
    assert_eq!(
        shapes[..5],
        [&[2, 3][..], &[1, 2, 3], &[2, 3], &[2, 3], &[2, 4]]
    );
    assert_eq!(shapes[7..10], [&[1, 8][..], &[8, 1], &[5, 1]]);
    assert_eq!(n.input_shape, [1, 6]);
}

fn load_err(name: &str) -> propc_runtime::network::LoadError {
    match load(&networks().join("bad").join(name)) {
        Ok(_) => panic!("{name} should not load"),
        Err(e) => e,
    }
}

#[test]
fn unsupported_operator_names_the_node() {
    let e = load_err("unsupported_op.onnx");
    assert_eq!(e.kind, LoadErrorKind::UnsupportedOperator);
    assert_eq!(
        e.to_string(),
        "unsupported operator `Sigmoid` in node `squash`"
    );
    assert_eq!(e.node.as_deref(), Some("squash"));
    assert_eq!(e.op_type.as_deref(), Some("Sigmoid"));
    assert!(
        e.help.contains("MatMul") && e.help.contains("Relu"),
        "{}",
        e.help
    );
}

#[test]
fn truncated_and_garbage_files_are_not_onnx() {
    let e = load_err("truncated.onnx");
    assert_eq!(e.kind, LoadErrorKind::InvalidModel, "{e}");
    assert!(
        e.to_string()
            .starts_with("the file is not a valid onnx model: "),
        "{e}"
    );
    for bytes in [
        &b"\xff\xff\xff\xff garbage \x00\x01"[..],
        b"",
        b"hello, world\n",
        &[0x0a, 0x80],
    ] {
        let e = load_bytes(bytes, "garbage.onnx").expect_err("garbage must not load");
        assert_eq!(e.kind, LoadErrorKind::InvalidModel, "{e}");
        assert!(
            e.to_string()
                .starts_with("the file is not a valid onnx model"),
            "{e}"
        );
    }
}

#[test]
fn missing_file_is_an_io_error() {
    let e = load(Path::new("/nonexistent/propc/net.onnx")).expect_err("missing");
    assert_eq!(e.kind, LoadErrorKind::Io);
    assert!(
        e.to_string()
            .starts_with("cannot read the network file `/nonexistent/propc/net.onnx`"),
        "{e}"
    );
}

#[test]
fn non_finite_weights_name_node_and_initializer() {
    let e = load_err("nan_weight.onnx");
    assert_eq!(e.kind, LoadErrorKind::NonFinite);
    assert_eq!(
        e.to_string(),
        "the initializer `W1` used by node `fc1` (MatMul) contains nan"
    );
    assert_eq!(e.node.as_deref(), Some("fc1"));
    let e = load_err("inf_bias.onnx");
    assert_eq!(e.kind, LoadErrorKind::NonFinite);
    assert_eq!(
        e.to_string(),
        "the initializer `b1` used by node `bias1` (Add) contains an infinite value"
    );
}

#[test]
fn other_rejections() {
    let e = load_err("div_zero.onnx");
    assert_eq!(e.kind, LoadErrorKind::DivisionByZero);
    assert_eq!(
        e.to_string(),
        "node `normalise` (Div) divides by the initializer `s`, which contains zero"
    );
    let e = load_err("shape_mismatch.onnx");
    assert_eq!(e.kind, LoadErrorKind::ShapeMismatch);
    assert_eq!(e.node.as_deref(), Some("fc2"));
    assert_eq!(
        e.to_string(),
        "shape mismatch in node `fc2` (MatMul): a value of shape [1, 4] cannot be multiplied by the initializer `W2` of shape [5, 2]"
    );
    let e = load_err("two_inputs.onnx");
    assert_eq!(e.kind, LoadErrorKind::Signature);
    assert_eq!(
        e.to_string(),
        "the network has 2 inputs (`x`, `z`); propc supports networks with exactly one input"
    );
    let e = load_err("int_input.onnx");
    assert_eq!(e.kind, LoadErrorKind::Signature);
    assert_eq!(
        e.to_string(),
        "the network input `x` has element type int64; propc supports float and double inputs"
    );
}

/// Corrupting bytes of valid files gives errors or networks, never a panic.
#[test]
fn corrupted_files_never_panic() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for name in [
        "mono_up.onnx",
        "classifier.onnx",
        "fair.onnx",
        "smooth.onnx",
    ] {
        let bytes = std::fs::read(networks().join(name)).expect("read");
        for _ in 0..400 {
            let mut b = bytes.clone();
            let flips = 1 + next() % 4;
            for _ in 0..flips {
                let i = (next() % b.len() as u64) as usize;
                b[i] = (next() & 0xff) as u8;
            }
            let cut = if next() % 4 == 0 {
                (next() % b.len() as u64) as usize
            } else {
                b.len()
            };
            if let Ok(n) = load_bytes(&b[..cut], name) {
                let _ = n.eval(&vec![0.5; n.input_size()]);
            }
        }
    }
}

// ---- opt-in: the shared benchmark networks -------------------------------------------

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("PROPC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("..").join("shared").join("data"));
    if dir.join("vnncomp").is_dir() || dir.join("networks").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: shared data not found at {} (set PROPC_DATA)",
            dir.display()
        );
        None
    }
}

fn shared_networks(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["vnncomp/acasxu/onnx", "vnncomp/mnist_fc/onnx", "networks"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".onnx"))
                .collect();
            names.sort();
            out.extend(names.into_iter().map(|n| format!("{sub}/{n}")));
        }
    }
    out
}

#[test]
fn shared_networks_load_with_their_shapes() {
    let Some(dir) = shared_data() else { return };
    let nets = shared_networks(&dir);
    for rel in &nets {
        let n = match load(&dir.join(rel)) {
            Ok(n) => n,
            Err(e) => panic!("{rel}: {e} (help: {})", e.help),
        };
        let (input, output): (&[usize], &[usize]) = if rel.contains("acasxu") {
            (&[1, 1, 1, 5], &[1, 5])
        } else if rel.contains("mnist") {
            (&[1, 784, 1], &[1, 10])
        } else if rel.contains("auto_mpg") {
            (&[1, 7], &[1, 1])
        } else {
            (&[1, 13], &[1, 1])
        };
        assert_eq!(n.input_shape, input, "{rel}");
        assert_eq!(n.output_shape(), output, "{rel}");
        assert!(n.nodes.iter().all(|node| !node.name.is_empty()), "{rel}");
    }
    eprintln!("loaded {} shared networks", nets.len());
}

/// Reference outputs come from `$PROPC_SHARED_REFERENCE` or from running the generator
/// (`generate.py --shared-reference`, needs python3 with onnxruntime).
#[test]
fn shared_networks_match_onnxruntime() {
    let Some(dir) = shared_data() else { return };
    let (path, temporary) = match std::env::var_os("PROPC_SHARED_REFERENCE") {
        Some(p) => (PathBuf::from(p), false),
        None => {
            let out = std::env::temp_dir().join(format!(
                "propc-shared-reference-{}.json",
                std::process::id()
            ));
            let status = std::process::Command::new("python3")
                .arg(networks().join("generate.py"))
                .arg("--shared-reference")
                .arg(&out)
                .arg("--data")
                .arg(&dir)
                .status();
            if !status.is_ok_and(|s| s.success()) {
                eprintln!(
                    "skipping: could not compute onnxruntime references (python3 with onnxruntime needed)"
                );
                return;
            }
            (out, true)
        }
    };
    let text = std::fs::read_to_string(&path).expect("reference file");
    if temporary {
        let _ = std::fs::remove_file(&path);
    }
    let refs: Value = serde_json::from_str(&text).expect("json");
    let refs = refs.as_object().expect("object");
    assert!(!refs.is_empty());
    for (rel, r) in refs {
        let n = load(&dir.join(rel)).expect("load");
        assert_eq!(n.input_shape, shape(&r["input_shape"]), "{rel}");
        for case in r["cases"].as_array().expect("cases") {
            let y = n.eval(&floats(&case["input"])).expect("eval");
            for (a, b) in y.iter().zip(floats(&case["output"])) {
                assert!(close(*a, b, 1e-5), "{rel}: {a} vs onnxruntime {b}");
            }
        }
    }
    eprintln!("checked {} shared networks against onnxruntime", refs.len());
}

/// Interval and CROWN bounds of `n` over the box `[lo, hi]` contain `n.eval` at `count`
/// seeded random points of it.
fn bounds_contain_samples(n: &Network, lo: &[f64], hi: &[f64], count: usize, seed: u64) {
    use propc_runtime::bounds::crown::{CrownOptions, crown_intervals};
    use propc_runtime::bounds::interval_bounds;
    let ibp = interval_bounds(n, lo, hi);
    let crown = crown_intervals(n, lo, hi, &CrownOptions::default());
    let mut state = seed;
    for _ in 0..count {
        let x: Vec<f64> = (0..lo.len())
            .map(|i| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                lo[i] + (hi[i] - lo[i]) * ((state >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect();
        let y = n.eval(&x).expect("evaluates");
        for (b, name) in [
            (ibp.last().expect("ibp"), "ibp"),
            (&crown.crown_output, "crown"),
        ] {
            for (j, v) in y.iter().enumerate() {
                assert!(
                    b.lo[j] <= *v && *v <= b.hi[j],
                    "{name}: {v} not in [{}, {}]",
                    b.lo[j],
                    b.hi[j]
                );
            }
        }
    }
}

/// BatchNormalization, Clip, Max and Min are rewritten into constant ops and ReLUs
/// (`runtime/src/network/onnx/activations.rs`): the op list names the ONNX nodes, the
/// values match onnxruntime (`generated_networks_match_onnxruntime`), and interval and
/// CROWN bounds of the rewritten graph contain the outputs at sampled points.
#[test]
fn activation_operators_are_rewritten_into_relus() {
    let n = net("loader/activations.onnx");
    let k = kinds(&n);
    for (name, op) in [
        ("bn", "MulConst"),
        ("bn", "AddConst"),
        ("clip", "Relu"),
        ("max", "Relu"),
        ("max", "Add"),
        ("min", "Relu"),
        ("min", "Sub"),
    ] {
        assert!(k.contains(&(name, op)), "{name} {op} missing in {k:?}");
    }
    bounds_contain_samples(&n, &[-0.25; 4], &[1.25; 4], 500, 7);
}

/// Conv (with padding and groups), MaxPool, AveragePool, Transpose and Concat are
/// lowered into dense `Linear` layers and ReLUs (`runtime/src/network/onnx/spatial.rs`):
/// the values match onnxruntime (`generated_networks_match_onnxruntime`), and interval
/// and CROWN bounds of the lowered graph contain the outputs at sampled points.
#[test]
fn spatial_operators_are_lowered_to_dense_layers() {
    let n = net("loader/spatial.onnx");
    let k = kinds(&n);
    for (name, op) in [
        ("conv", "Linear"),
        ("maxpool", "Relu"),
        ("gconv", "Linear"),
        ("avgpool", "Linear"),
        ("transpose", "Linear"),
        ("concat", "Add"),
        ("concat", "AddConst"),
    ] {
        assert!(k.contains(&(name, op)), "{name} {op} missing in {k:?}");
    }
    bounds_contain_samples(&n, &[-0.25; 36], &[1.25; 36], 300, 11);
}
