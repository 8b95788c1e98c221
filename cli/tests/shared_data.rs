//! Opt-in end to end on the shared benchmark data: COMET's Auto-MPG network against
//! `specs/auto_mpg/monotone.prop` (the constraint of COMET's config) and
//! `specs/auto_mpg/monotone_domain.prop` (the further domain constraints).
//!
//! The data is read from `PROPC_DATA` (default `../shared/data` from the workspace root)
//! and never copied into the repo; without it every test prints a `skip:` line and
//! passes. Counterexamples and witnesses are re-evaluated here with
//! `propc_runtime::network::onnx::load` + `Network::eval`, by a direct Rust statement of
//! each property (not through the compiler's IR). When
//! `bench/cross_check/comet_auto_mpg_expected.json` (the output of the independent
//! highspy MILP, `bench/cross_check/comet_monotone_highspy.py`) exists, every query's
//! enclosure must contain its optimum, and an `exact` one must match it to 1e-4 relative.

use std::path::{Path, PathBuf};
use std::process::Command;

use propc_runtime::network::{Network, onnx};
use serde_json::Value;

/// The box of both specs: per-feature min and max of the training data.
const LO: [f64; 7] = [3.0, 68.0, 46.0, 1613.0, 8.0, 70.0, 1.0];
const HI: [f64; 7] = [8.0, 455.0, 230.0, 4997.0, 24.8, 82.0, 3.0];

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    /// mpg must not increase with the feature: violated where f(x) < f(y).
    Decreasing,
    /// mpg must not decrease with the feature: violated where f(x) > f(y).
    Increasing,
}

/// One monotonicity constraint: its property, its query, the input it is about and the
/// key of `comet_auto_mpg_expected.json`.
struct Constraint {
    property: &'static str,
    query: &'static str,
    feature: usize,
    dir: Dir,
    key: &'static str,
}

const CONFIG: &[Constraint] = &[Constraint {
    property: "mpg_falls_with_displacement",
    query: "displacement_violation",
    feature: 1,
    dir: Dir::Decreasing,
    key: "Displacement",
}];

const DOMAIN: &[Constraint] = &[
    Constraint {
        property: "mpg_falls_with_cylinders",
        query: "cylinders_violation",
        feature: 0,
        dir: Dir::Decreasing,
        key: "Cylinders",
    },
    Constraint {
        property: "mpg_falls_with_horsepower",
        query: "horsepower_violation",
        feature: 2,
        dir: Dir::Decreasing,
        key: "Horsepower",
    },
    Constraint {
        property: "mpg_falls_with_weight",
        query: "weight_violation",
        feature: 3,
        dir: Dir::Decreasing,
        key: "Weight",
    },
    Constraint {
        property: "mpg_rises_with_model_year",
        query: "model_year_violation",
        feature: 5,
        dir: Dir::Increasing,
        key: "Model Year",
    },
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The shared network, or `None` (after printing why) when the data is absent.
fn shared_network() -> Option<PathBuf> {
    let data = match std::env::var_os("PROPC_DATA") {
        Some(d) => PathBuf::from(d),
        None => root().join("../shared/data"),
    };
    let net = data.join("networks/comet_auto_mpg.onnx");
    if net.is_file() {
        Some(net)
    } else {
        println!(
            "skip: shared data not found ({} is missing; set PROPC_DATA to the shared data folder)",
            net.display()
        );
        None
    }
}

fn expected() -> Option<Value> {
    let path = root().join("bench/cross_check/comet_auto_mpg_expected.json");
    let text = std::fs::read_to_string(&path).ok()?;
    Some(serde_json::from_str(&text).expect("comet_auto_mpg_expected.json parses"))
}

fn run(spec: &str, net: &Path) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .arg("check")
        .arg(spec)
        .arg("--net")
        .arg(format!("f={}", net.display()))
        .args(["--format", "json", "--timeout", "300"])
        .output()
        .expect("propc runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{spec}: not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

fn vector(v: &Value, what: &str) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("{what} is not an array: {v}"))
        .iter()
        .map(|x| {
            x.as_f64()
                .unwrap_or_else(|| panic!("{what} has a non-number: {v}"))
        })
        .collect()
}

fn result<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result `{name}` in {report}"))
}

/// The two inputs of a point, checked to lie in the region of `c`: both in the box,
/// equal except at `c.feature`, and `x[feature] <= y[feature]`.
fn pair(point: &Value, c: &Constraint, what: &str) -> (Vec<f64>, Vec<f64>) {
    let x = vector(&point["inputs"]["x"], what);
    let y = vector(&point["inputs"]["y"], what);
    assert_eq!((x.len(), y.len()), (7, 7), "{what}: inputs of size 7");
    for j in 0..7 {
        for v in [x[j], y[j]] {
            assert!(
                LO[j] - 1e-9 <= v && v <= HI[j] + 1e-9,
                "{what}: input {j} = {v} outside the box"
            );
        }
        if j != c.feature {
            assert_eq!(x[j], y[j], "{what}: x and y differ at input {j}");
        }
    }
    assert!(
        x[c.feature] <= y[c.feature],
        "{what}: x[{0}] > y[{0}]",
        c.feature
    );
    (x, y)
}

/// The violation at `(x, y)`: how much mpg moves the wrong way, > 0 when violated.
fn violation(f: &Network, c: &Constraint, x: &[f64], y: &[f64]) -> f64 {
    let fx = f.eval(x).expect("eval")[0];
    let fy = f.eval(y).expect("eval")[0];
    match c.dir {
        Dir::Decreasing => fy - fx,
        Dir::Increasing => fx - fy,
    }
}

fn check_spec(spec: &str, constraints: &[Constraint], require_exact: bool) {
    let Some(net_path) = shared_network() else {
        return;
    };
    let f = onnx::load(&net_path).expect("network loads");
    let expected = expected();
    if expected.is_none() {
        println!(
            "note: bench/cross_check/comet_auto_mpg_expected.json absent; optima not compared"
        );
    }
    let (code, report) = run(spec, &net_path);
    assert_eq!(
        code, 1,
        "{spec}: exit code 1 (some property violated):\n{report:#}"
    );
    assert_eq!(
        report["results"].as_array().expect("results").len(),
        2 * constraints.len(),
        "{spec}: one property and one query per constraint"
    );
    for c in constraints {
        // The property: violated, with a counterexample that really violates it.
        let p = result(&report, c.property);
        assert_eq!(p["kind"], "property");
        assert_eq!(p["verdict"], "violated", "{}: {p:#}", c.property);
        let (x, y) = pair(&p["counterexample"], c, c.property);
        let v = violation(&f, c, &x, &y);
        assert!(
            v > 0.0,
            "{}: the counterexample does not violate it (violation {v})",
            c.property
        );

        // The query: a sound enclosure [lower, upper] of a positive optimum.
        let q = result(&report, c.query);
        assert_eq!(q["kind"], "query");
        let lower = q["lower"]
            .as_f64()
            .unwrap_or_else(|| panic!("{}: no lower: {q:#}", c.query));
        let upper = q["upper"]
            .as_f64()
            .unwrap_or_else(|| panic!("{}: no upper: {q:#}", c.query));
        assert!(lower > 0.0, "{}: lower {lower} <= 0", c.query);
        assert!(upper >= lower, "{}: upper {upper} < lower {lower}", c.query);
        let (wx, wy) = pair(&q["witness"], c, c.query);
        let wv = violation(&f, c, &wx, &wy);
        assert!(
            (wv - lower).abs() <= 1e-6 * lower.max(1.0),
            "{}: the witness's value {wv} is not lower {lower}",
            c.query
        );
        let exact = q["exact"].as_bool().expect("exact");
        if require_exact {
            assert!(exact, "{}: not exact: {q:#}", c.query);
        }
        if let Some(e) = &expected {
            let best = e[c.key]["max_violation"]
                .as_f64()
                .unwrap_or_else(|| panic!("expected.json has no {}", c.key));
            let tol = 1e-4 * best.abs().max(1e-9);
            // Soundness, exact or not: the enclosure contains the true optimum.
            assert!(
                lower <= best + tol && upper >= best - tol,
                "{}: propc's [{lower}, {upper}] excludes the highspy optimum {best}",
                c.query
            );
            if exact {
                assert!(
                    (lower - best).abs() <= tol && (upper - best).abs() <= tol,
                    "{}: propc's exact [{lower}, {upper}] differs from the highspy optimum {best}",
                    c.query
                );
            } else {
                println!(
                    "note: {} not exact: [{lower}, {upper}] contains the highspy optimum {best} ({})",
                    c.query,
                    q["reason"].as_str().unwrap_or("no reason given")
                );
            }
        }
    }
}

/// The constraint of COMET's config: every query must be exact and match highspy.
#[test]
fn comet_config_monotonicity() {
    check_spec("specs/auto_mpg/monotone.prop", CONFIG, true);
}

/// The domain constraints: every query exact and matching highspy too (Horsepower
/// needed row equilibration in the MILP backend to get past microlp's singular bases).
#[test]
fn domain_monotonicity() {
    check_spec("specs/auto_mpg/monotone_domain.prop", DOMAIN, true);
}
