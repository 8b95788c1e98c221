//! End to end: every shipped spec through the `propc` binary, against the verdicts of
//! `specs/expected.json`, which the fixture generator computed independently (by
//! construction, or by grid search with a Lipschitz margin). Every counterexample is
//! re-checked here by a direct Rust statement of the property on the networks' f64
//! evaluation, not through the compiler's IR.

use std::path::{Path, PathBuf};
use std::process::Command;

use propc_runtime::network::{Network, onnx};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(root().join("specs/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

struct Run {
    code: i32,
    json: Value,
}

fn check(spec: &str, extra: &[&str]) -> Run {
    let e = expected();
    let entry = &e[spec];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_propc"));
    cmd.current_dir(root())
        .arg("check")
        .arg(format!("specs/{spec}.prop"))
        .args(["--format", "json", "--timeout", "120"]);
    for (name, file) in entry["networks"].as_object().expect("networks") {
        cmd.arg("--net").arg(format!(
            "{name}=specs/networks/{}",
            file.as_str().expect("file")
        ));
    }
    if let Some(data) = entry.get("data").and_then(|d| d.as_object()) {
        for (name, file) in data {
            cmd.arg("--data").arg(format!(
                "{name}=specs/data/{}",
                file.as_str().expect("file")
            ));
        }
    }
    cmd.args(extra);
    let out = cmd.output().expect("propc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{spec}: not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
    }
}

fn net(file: &str) -> Network {
    onnx::load(&root().join("specs/networks").join(file)).expect("network loads")
}

fn input(result: &Value, name: &str) -> Vec<f64> {
    result["counterexample"]["inputs"][name]
        .as_array()
        .unwrap_or_else(|| panic!("input `{name}` in {result}"))
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect()
}

fn results(run: &Run) -> &Vec<Value> {
    run.json["results"].as_array().expect("results")
}

fn single_verdict(spec: &str, property: &str) -> (Run, Option<Value>) {
    let run = check(spec, &[]);
    let want = expected()[spec][property]
        .as_str()
        .expect("verdict")
        .to_string();
    let rs = results(&run);
    assert_eq!(rs.len(), 1, "{spec}: {}", run.json);
    assert_eq!(rs[0]["name"], property);
    assert_eq!(rs[0]["verdict"], want.as_str(), "{spec}: {}", run.json);
    assert_eq!(
        run.code,
        if want == "holds" { 0 } else { 1 },
        "{spec}: exit code"
    );
    let cex = if want == "violated" {
        Some(rs[0].clone())
    } else {
        None
    };
    (run, cex)
}

fn in_box(x: &[f64], lo: f64, hi: f64) -> bool {
    x.iter().all(|v| (lo..=hi).contains(v))
}

#[test]
fn monotone_holds() {
    single_verdict("monotone_holds", "increasing_in_x0");
}

#[test]
fn monotone_violated_with_a_real_counterexample() {
    let (_, cex) = single_verdict("monotone_violated", "increasing_in_x0");
    let r = cex.expect("a counterexample");
    let (x, y) = (input(&r, "x"), input(&r, "y"));
    let f = net("mono_broken.onnx");
    assert!(in_box(&x, 0.0, 1.0) && in_box(&y, 0.0, 1.0));
    assert!(
        x[0] <= y[0] && x[1] == y[1] && x[2] == y[2],
        "premise: {x:?} {y:?}"
    );
    let (fx, fy) = (f.eval(&x).expect("eval")[0], f.eval(&y).expect("eval")[0]);
    assert!(fx > fy, "not a violation: f(x) = {fx}, f(y) = {fy}");
}

#[test]
fn fairness_holds() {
    single_verdict("fairness", "fair_in_x3");
}

#[test]
fn fairness_violated_with_a_real_counterexample() {
    let (_, cex) = single_verdict("fairness_violated", "fair_in_x3");
    let r = cex.expect("a counterexample");
    let (x, y) = (input(&r, "x"), input(&r, "y"));
    let f = net("unfair.onnx");
    assert!(in_box(&x, 0.0, 1.0) && in_box(&y, 0.0, 1.0));
    assert!((0..3).all(|i| x[i] == y[i]));
    let d = (f.eval(&x).expect("eval")[0] - f.eval(&y).expect("eval")[0]).abs();
    assert!(d > 0.05, "not a violation: |f(x) - f(y)| = {d}");
}

#[test]
fn global_robustness_bound_brackets_the_independent_optimum() {
    // With the attack, and with the MILP alone (its optimal point, repaired into the
    // premise, must serve as the witness).
    for extra in [&[][..], &["--no-attack"][..]] {
        global_robustness_case(extra);
    }
}

fn global_robustness_case(extra: &[&str]) {
    let run = check("global_robustness", extra);
    assert_eq!(run.code, 0, "{}", run.json);
    let r = &results(&run)[0];
    let want = &expected()["global_robustness"]["output_variation"];
    let (lo, hi) = (
        r["lower"].as_f64().expect("lower"),
        r["upper"].as_f64().expect("upper"),
    );
    let (wlo, whi) = (
        want["lower"].as_f64().expect("lower"),
        want["upper"].as_f64().expect("upper"),
    );
    // The sound upper bound is at least the best value found independently, and the
    // witness value cannot beat the independent sound upper bound.
    assert!(hi >= wlo, "upper bound {hi} below an attained value {wlo}");
    assert!(
        lo <= whi + 1e-12,
        "witness value {lo} above the independent upper bound {whi}"
    );
    assert!(hi - lo <= 1e-4, "gap too wide: [{lo}, {hi}]");
    // The witness really attains its value.
    let w = &r["witness"];
    let get = |n: &str| -> Vec<f64> {
        w["inputs"][n]
            .as_array()
            .expect("input")
            .iter()
            .map(|v| v.as_f64().expect("num"))
            .collect()
    };
    let (x, y) = (get("x"), get("y"));
    assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() <= 0.05));
    let f = net("smooth.onnx");
    let v = (f.eval(&x).expect("eval")[0] - f.eval(&y).expect("eval")[0]).abs();
    assert!((v - lo).abs() <= 1e-9, "witness value {v} vs reported {lo}");
}

fn per_sample(spec: &str, property: &str, check_cex: impl Fn(usize, &Value)) {
    let run = check(spec, &[]);
    let want: Vec<String> = expected()[spec][property]["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|v| v.as_str().expect("verdict").to_string())
        .collect();
    let rs = results(&run);
    assert_eq!(rs.len(), want.len());
    for (i, (r, w)) in rs.iter().zip(&want).enumerate() {
        assert_eq!(r["sample"], i);
        assert_eq!(r["verdict"], w.as_str(), "{spec} sample {i}: {r}");
        if w == "violated" {
            check_cex(i, r);
        }
    }
    let any_violated = want.iter().any(|w| w == "violated");
    assert_eq!(run.code, if any_violated { 1 } else { 0 });
}

fn samples(file: &str) -> Vec<(Vec<f64>, usize)> {
    let text = std::fs::read_to_string(root().join("specs/data").join(file)).expect("data");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l
                .split(',')
                .map(|c| c.trim().parse().expect("number"))
                .collect();
            (v[..2].to_vec(), v[2] as usize)
        })
        .collect()
}

#[test]
fn local_robustness_per_sample() {
    let f = net("classifier.onnx");
    let data = samples("points.csv");
    per_sample("local_robustness", "robust", |i, r| {
        let x = input(r, "x");
        let (x0, c) = &data[i];
        assert!(
            x.iter().zip(x0).all(|(a, b)| (a - b).abs() <= 0.05),
            "outside the ball"
        );
        let out = f.eval(&x).expect("eval");
        assert!(
            (0..3).any(|j| j != *c && out[j] >= out[*c]),
            "class {c} still wins at {x:?}: {out:?}"
        );
    });
}

#[test]
fn implication_per_sample() {
    let (g, h) = (net("pruned.onnx"), net("original.onnx"));
    let data = samples("implication_points.csv");
    per_sample("implication", "pruned_implies_original", |i, r| {
        let x = input(r, "x");
        let (x0, c) = &data[i];
        assert!(
            x.iter().zip(x0).all(|(a, b)| (a - b).abs() <= 0.02),
            "outside the ball"
        );
        let (go, ho) = (g.eval(&x).expect("eval"), h.eval(&x).expect("eval"));
        let bad = (0..3).any(|j| j != *c && (ho[*c] - ho[j]) - (go[*c] - go[j]) < 0.0);
        assert!(
            bad,
            "no class margin of the original falls below the pruned one's at {x:?}"
        );
    });
}

#[test]
fn transitivity_holds() {
    single_verdict("transitivity", "transitive");
}

#[test]
fn transitivity_violated_with_a_real_counterexample() {
    let (_, cex) = single_verdict("transitivity_violated", "transitive");
    let r = cex.expect("a counterexample");
    let (a, b, c) = (input(&r, "a"), input(&r, "b"), input(&r, "c"));
    let p = net("pref_bad.onnx");
    let pref = |u: &[f64], v: &[f64]| p.eval(&[u, v].concat()).expect("eval")[0];
    assert!(pref(&a, &b) >= 0.1 && pref(&b, &c) >= 0.1, "premise fails");
    assert!(pref(&a, &c) < 0.0, "not a violation");
}

#[test]
fn transitivity_chain_holds() {
    single_verdict("transitivity_chain", "chain");
}

#[test]
fn transitivity_chain_violated_with_a_real_counterexample() {
    let (_, cex) = single_verdict("transitivity_chain_violated", "chain");
    let r = cex.expect("a counterexample");
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|v| input(&r, v));
    assert!([&a, &b, &c, &d].iter().all(|v| in_box(v, 0.0, 1.0)));
    let p = net("pref_bad.onnx");
    let pref = |u: &[f64], v: &[f64]| p.eval(&[u, v].concat()).expect("eval")[0];
    assert!(
        pref(&a, &b) >= 0.1 && pref(&b, &c) >= 0.1 && pref(&c, &d) >= 0.1,
        "premise fails"
    );
    assert!(pref(&a, &d) < 0.0, "not a violation");
    // The generator's own witness is one too, by this evaluation.
    let w = &expected()["transitivity_chain_violated"]["witness"];
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|v| {
        w[v].as_array()
            .expect("witness point")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect::<Vec<f64>>()
    });
    assert!(pref(&a, &b) >= 0.1 && pref(&b, &c) >= 0.1 && pref(&c, &d) >= 0.1);
    assert!(pref(&a, &d) < 0.0);
}

#[test]
fn verdicts_are_the_same_with_and_without_the_attack() {
    // The MILP alone must reach the same verdicts (the attack is only a shortcut).
    for spec in [
        "monotone_violated",
        "transitivity_violated",
        "transitivity_chain_violated",
        "monotone_holds",
    ] {
        let run = check(spec, &["--no-attack"]);
        let want = expected()[spec]
            .as_object()
            .expect("entry")
            .iter()
            .find_map(|(k, v)| {
                (k != "networks" && k != "witness" && k != "data")
                    .then(|| v.as_str().map(str::to_string))
                    .flatten()
            });
        assert_eq!(
            results(&run)[0]["verdict"].as_str(),
            want.as_deref(),
            "{spec} without attack: {}",
            run.json
        );
    }
}

/// The JSON report of a spec with a violation, times redacted.
#[test]
fn json_report_snapshot() {
    let mut run = check("fairness_violated", &["--no-attack"]);
    for r in run.json["results"].as_array_mut().expect("results") {
        r["seconds"] = Value::from("[seconds]");
    }
    round_floats(&mut run.json);
    insta::assert_snapshot!(serde_json::to_string_pretty(&run.json).expect("json"));
}

/// Rounds every float to 6 decimals, so the snapshot does not depend on the last bits of
/// a solver's arithmetic.
fn round_floats(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let x = n.as_f64().unwrap_or_default();
            *v = Value::from((x * 1e6).round() / 1e6);
        }
        Value::Array(items) => items.iter_mut().for_each(round_floats),
        Value::Object(map) => map.values_mut().for_each(round_floats),
        _ => {}
    }
}

/// Same spec, same networks, same seed: the same report, times aside.
#[test]
fn reports_are_deterministic() {
    for spec in [
        "local_robustness",
        "transitivity_violated",
        "global_robustness",
    ] {
        let strip = |mut run: Run| {
            for r in run.json["results"].as_array_mut().expect("results") {
                r["seconds"] = Value::Null;
            }
            run.json
        };
        let a = strip(check(spec, &["--seed", "7"]));
        let b = strip(check(spec, &["--seed", "7"]));
        assert_eq!(a, b, "{spec} differs between two runs");
    }
}
