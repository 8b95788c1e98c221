//! Bad input never panics: each case exits with code 2 and a message that names the
//! problem and its place (snapshot of stderr, which reads on its own).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("propc-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// Runs propc from the repository root; returns (exit code, stderr with the temp dir
/// replaced by `<tmp>`).
fn propc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("propc runs");
    let dir = std::env::temp_dir().join(format!("propc-bad-input-{}", std::process::id()));
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "<tmp>");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

fn expect_error(name: &str, args: &[&str]) {
    let (code, stderr) = propc(args);
    assert_eq!(code, 2, "{name}: exit code {code}, stderr:\n{stderr}");
    assert!(stderr.to_lowercase().contains("error"), "{name}: {stderr}");
    assert!(
        stderr.to_lowercase().contains("help"),
        "{name}: no help line: {stderr}"
    );
    insta::assert_snapshot!(name, stderr);
}

const MONO: &str = "specs/monotone_holds.prop";

#[test]
fn truncated_onnx() {
    expect_error(
        "truncated_onnx",
        &[
            "check",
            MONO,
            "--net",
            "f=specs/networks/bad/truncated.onnx",
        ],
    );
}

#[test]
fn unsupported_operator() {
    expect_error(
        "unsupported_operator",
        &[
            "check",
            MONO,
            "--net",
            "f=specs/networks/bad/unsupported_op.onnx",
        ],
    );
}

#[test]
fn nan_weight() {
    expect_error(
        "nan_weight",
        &[
            "check",
            MONO,
            "--net",
            "f=specs/networks/bad/nan_weight.onnx",
        ],
    );
}

#[test]
fn missing_network_file() {
    expect_error(
        "missing_network_file",
        &["check", MONO, "--net", "f=specs/networks/none.onnx"],
    );
}

#[test]
fn missing_spec() {
    expect_error(
        "missing_spec",
        &[
            "check",
            "specs/none.prop",
            "--net",
            "specs/networks/mono_up.onnx",
        ],
    );
}

#[test]
fn network_signature_mismatch() {
    expect_error(
        "network_signature_mismatch",
        &["check", MONO, "--net", "f=specs/networks/fair.onnx"],
    );
}

#[test]
fn unbound_network() {
    expect_error("unbound_network", &["check", MONO]);
}

#[test]
fn bare_net_with_two_networks() {
    expect_error(
        "bare_net_with_two_networks",
        &[
            "check",
            "specs/implication.prop",
            "--net",
            "specs/networks/original.onnx",
        ],
    );
}

#[test]
fn malformed_spec() {
    let p = tmp(
        "malformed.prop",
        "network f : Real[2] -> Real[1]\nproperty p = forall x in box(zeros(2), ones(2)). f(x)[0] <=\nlet = 3\n",
    );
    expect_error(
        "malformed_spec",
        &[
            "check",
            p.to_str().expect("utf-8"),
            "--net",
            "specs/networks/smooth.onnx",
        ],
    );
}

#[test]
fn empty_domain() {
    let p = tmp(
        "empty.prop",
        "network f : Real[2] -> Real[1]\nproperty p = forall x in box([0, 1], [1, 0.5]). f(x)[0] <= 1\n",
    );
    expect_error(
        "empty_domain",
        &[
            "check",
            p.to_str().expect("utf-8"),
            "--net",
            "specs/networks/smooth.onnx",
        ],
    );
}

#[test]
fn param_of_the_wrong_type() {
    expect_error(
        "param_of_the_wrong_type",
        &[
            "check",
            "specs/fairness.prop",
            "--net",
            "specs/networks/fair.onnx",
            "--param",
            "tolerance=high",
        ],
    );
}

#[test]
fn dataset_with_wrong_column_count() {
    let p = tmp("short.csv", "1,2\n3,4\n");
    let data = format!("points={}", p.display());
    expect_error(
        "dataset_with_wrong_column_count",
        &[
            "check",
            "specs/local_robustness.prop",
            "--net",
            "specs/networks/classifier.onnx",
            "--data",
            &data,
        ],
    );
}

#[test]
fn dataset_with_non_numbers() {
    let p = tmp("words.csv", "x1,x2,label\n0.1,0.2,0\n0.3,oops,1\n");
    let data = format!("points={}", p.display());
    expect_error(
        "dataset_with_non_numbers",
        &[
            "check",
            "specs/local_robustness.prop",
            "--net",
            "specs/networks/classifier.onnx",
            "--data",
            &data,
        ],
    );
}

#[test]
fn unbound_dataset() {
    expect_error(
        "unbound_dataset",
        &[
            "check",
            "specs/local_robustness.prop",
            "--net",
            "specs/networks/classifier.onnx",
        ],
    );
}

#[test]
fn binary_garbage_spec() {
    let dir = std::env::temp_dir().join(format!("propc-bad-input-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join("garbage.prop");
    std::fs::write(&p, [0u8, 159, 146, 150, 255, 0, 1, 2]).expect("write");
    expect_error(
        "binary_garbage_spec",
        &[
            "check",
            p.to_str().expect("utf-8"),
            "--net",
            "specs/networks/smooth.onnx",
        ],
    );
}

#[test]
fn empty_spec_checks_nothing() {
    let p = tmp("empty_file.prop", "");
    let (code, stderr) = propc(&["check", p.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn deeply_nested_expression_does_not_overflow() {
    let depth = 5000;
    let text = format!(
        "network f : Real[1] -> Real[1]\nproperty p = forall x in box([0], [1]). f(x)[0] <= {}1{}\n",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let p = tmp("deep.prop", &text);
    let (code, stderr) = propc(&["compile", p.to_str().expect("utf-8"), "--emit", "ir"]);
    assert_eq!(code, 2, "exit {code}: {stderr}");
    assert!(
        stderr.contains("E0005") && stderr.contains("nested more than 256 deep"),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("help"), "{stderr}");
}

/// A chain of more operators than the parser's limit is refused with `E0005`, named
/// at its item, before any stage recurses through it.
#[test]
fn overlong_operator_chain_is_refused() {
    let text = format!(
        "network f : Real[1] -> Real[1]\nproperty p = {}true\n",
        "true and ".repeat(30_000)
    );
    let p = tmp("long_chain.prop", &text);
    let (code, stderr) = propc(&["check", p.to_str().expect("utf-8")]);
    assert_eq!(code, 2, "exit {code}: {stderr}");
    assert!(
        stderr.contains("E0005") && stderr.contains("more than 20000 operators"),
        "{stderr}"
    );
    assert!(stderr.contains("property p"), "the item is named: {stderr}");
}

/// A 10 MB spec (a long flat list and many properties) compiles, and checks within
/// the time limits: large files are not refused, only deep ones.
#[test]
fn ten_megabyte_spec_is_handled() {
    let mut text = String::from("network f : Real[2] -> Real[3]\n");
    let n = 600_000;
    text.push_str("let W = [");
    for i in 0..n {
        text.push_str(&format!("{:.6}, ", (i as f64 * 0.37).sin()));
    }
    text.push_str("0.0]\n");
    let mut k = 0;
    while text.len() < 10_000_000 {
        text.push_str(&format!(
            "// property number {k}, a padding comment to reach ten megabytes of source text\n"
        ));
        k += 1;
    }
    text.push_str("property p = forall x in box(zeros(2), ones(2)). f(x)[0] <= W[5] + 100\n");
    assert!(text.len() >= 10_000_000);
    let p = tmp("ten_mb.prop", &text);
    let path = p.to_str().expect("utf-8");
    let (code, stderr) = propc(&["compile", path, "--emit", "ir"]);
    assert_eq!(code, 0, "exit {code}: {stderr}");
    let (code, stderr) = propc(&[
        "check",
        path,
        "--net",
        "specs/networks/classifier.onnx",
        "--timeout",
        "10",
    ]);
    assert!(code <= 3, "exit {code}: {stderr}");
}

#[test]
fn zero_timeout_is_unknown_never_holds() {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args([
            "check",
            MONO,
            "--net",
            "specs/networks/mono_up.onnx",
            "--timeout",
            "0",
            "--format",
            "json",
        ])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["results"][0]["verdict"], "unknown", "{json}");
    assert_eq!(out.status.code(), Some(3));
}

/// Long operator chains (each operand one tree level deeper) must not overflow the
/// stack in any pass: parse, elaboration, normalization, formatting. Found with the
/// fuzz targets (`fuzz/README.md`).
#[test]
fn long_operator_chains_do_not_overflow() {
    for (name, body) in [
        (
            "and_chain.prop",
            format!("{}true", "true and ".repeat(5000)),
        ),
        (
            "implies_chain.prop",
            format!("{}true", "true => ".repeat(5000)),
        ),
        (
            "plus_chain.prop",
            format!(
                "forall x in box([0], [1]). f(x)[0] <= {}1",
                "1 + ".repeat(5000)
            ),
        ),
    ] {
        let text = format!("network f : Real[1] -> Real[1]\nproperty p = {body}\n");
        let p = tmp(name, &text);
        let path = p.to_str().expect("utf-8");
        let (code, stderr) = propc(&["compile", path, "--emit", "ir"]);
        assert!(code == 0 || code == 2, "{name}: exit {code}: {stderr}");
        let (code, stderr) = propc(&["fmt", "--check", path]);
        assert!(code <= 2, "{name}: fmt exit {code}: {stderr}");
    }
}
