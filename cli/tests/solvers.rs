//! The MILP solvers against each other through the `propc` binary: every shipped spec
//! (`specs/*.prop`, networks and data as in `specs/expected.json`) with `--no-attack`,
//! so the MILP decides, gives the same verdicts and bounds with `--solver scip` as with
//! the default solver, and the verdicts of `specs/expected.json`. In a build without
//! SCIP (`cargo test -p propc --features scip` builds it; see `.ci/setup-scip.sh`),
//! `--solver scip` is an input error (exit code 2) that says how to get it.

use std::path::{Path, PathBuf};
use std::process::Command;

use propc_runtime::milp::Solver;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn expected() -> Value {
    let text = std::fs::read_to_string(root().join("specs/expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// `propc check specs/SPEC.prop` with the spec's networks and data and `extra`.
fn command(spec: &str, extra: &[&str]) -> Command {
    let e = expected();
    let entry = &e[spec];
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_propc"));
    cmd.current_dir(root())
        .arg("check")
        .arg(format!("specs/{spec}.prop"))
        .args(["--format", "json", "--timeout", "120", "--no-attack"]);
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
    cmd
}

/// The JSON report's results, with the exit code.
fn results(spec: &str, extra: &[&str]) -> (i32, Vec<Value>) {
    let out = command(spec, extra).output().expect("propc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{spec} {extra:?}: not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let rs = json["results"].as_array().expect("results").clone();
    (out.status.code().unwrap_or(-1), rs)
}

/// The verdicts `specs/expected.json` gives a spec's single property: one, or one per
/// sample.
fn expected_verdicts(spec: &str) -> Vec<String> {
    let e = expected();
    let (_, v) = e[spec]
        .as_object()
        .expect("entry")
        .iter()
        .find(|(k, _)| !matches!(k.as_str(), "networks" | "witness" | "data"))
        .expect("a property");
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Object(o) if o.contains_key("samples") => o["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .map(|s| s.as_str().expect("verdict").to_string())
            .collect(),
        // A query: its result is a bound.
        _ => vec!["bound".to_string()],
    }
}

fn close(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= 1e-5 * (1.0 + x.abs().max(y.abs())),
        _ => a == b,
    }
}

#[test]
fn scip_gives_the_verdicts_of_the_default_solver() {
    if !Solver::Scip.is_available() {
        eprintln!(
            "skipped: this build has no SCIP (eval \"$(.ci/setup-scip.sh)\" && \
             cargo test -p propc --features scip --test solvers)"
        );
        return;
    }
    let e = expected();
    let specs: Vec<&String> = e.as_object().expect("specs").keys().collect();
    assert!(specs.len() >= 9, "{specs:?}");
    let mut by_milp = 0;
    for spec in specs {
        let (code, scip) = results(spec, &["--solver", "scip"]);
        let (default_code, default) = results(spec, &[]);
        assert_eq!(code, default_code, "{spec}: exit codes differ");
        assert_eq!(scip.len(), default.len(), "{spec}");
        let want = expected_verdicts(spec);
        assert_eq!(scip.len(), want.len(), "{spec}: {scip:?}");
        for ((s, d), w) in scip.iter().zip(&default).zip(&want) {
            assert_eq!(s["name"], d["name"], "{spec}");
            assert_eq!(s["sample"], d["sample"], "{spec}");
            assert_eq!(s["kind"], d["kind"], "{spec}");
            assert_eq!(s["method"], d["method"], "{spec}: scip {s}\ndefault {d}");
            by_milp += usize::from(s["method"] == "milp");
            assert_eq!(s["verdict"], d["verdict"], "{spec}: scip {s}\ndefault {d}");
            if w == "bound" {
                assert_eq!(s["kind"], "query", "{spec}: {s}");
                assert_eq!(s["exact"], true, "{spec}: {s}");
            } else {
                assert_eq!(s["verdict"], w.as_str(), "{spec}: {s}");
            }
            // Queries: the same sound bound (both solvers prove the optimum).
            for key in ["lower", "upper", "exact"] {
                assert!(
                    close(&s[key], &d[key]),
                    "{spec}: {key} differs: scip {s}\ndefault {d}"
                );
            }
        }
    }
    // The comparison means something only if the MILP decided most results (not
    // interval bounds or branch and bound).
    assert!(by_milp >= 10, "only {by_milp} results decided by the MILP");
}

#[test]
fn scip_in_a_build_without_it_is_an_input_error() {
    if Solver::Scip.is_available() {
        return;
    }
    let out = command("monotone_holds", &["--solver", "scip"])
        .output()
        .expect("propc runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error[E0404]"), "{stderr}");
    assert!(stderr.contains("--features scip"), "{stderr}");
    assert!(stderr.contains(".ci/setup-scip.sh"), "{stderr}");
    assert!(out.stdout.is_empty());
}
