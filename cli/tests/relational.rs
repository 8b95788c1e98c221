//! Relational checks through the `propc` binary: the dataset summary of a network
//! implication spec (JSON and human, and after sharding and merging), and `propc bench
//! relational` on the shipped global-robustness spec (the twin bound strictly tighter
//! than the independent one, every bound above the exact optimum).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn propc(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("propc runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const IMPLICATION: &[&str] = &[
    "specs/implication.prop",
    "--net",
    "original=specs/networks/original.onnx",
    "--net",
    "pruned=specs/networks/pruned.onnx",
    "--data",
    "points=specs/data/implication_points.csv",
];

#[test]
fn dataset_properties_are_summarized() {
    let mut args = vec!["check"];
    args.extend_from_slice(IMPLICATION);
    args.extend_from_slice(&["--format", "json"]);
    let (code, out) = propc(&args);
    assert_eq!(code, 1, "{out}");
    let json: Value = serde_json::from_str(&out).expect("json");
    let d = &json["datasets"][0];
    assert_eq!(d["name"], "pruned_implies_original");
    assert_eq!(d["samples"], 6);
    // The per-sample verdicts and the summary agree.
    let results = json["results"].as_array().expect("results");
    let violated: Vec<u64> = results
        .iter()
        .filter(|r| r["verdict"] == "violated")
        .map(|r| r["sample"].as_u64().expect("sample"))
        .collect();
    assert_eq!(d["violated_samples"], serde_json::json!(violated));
    assert_eq!(d["violated"], violated.len());
    assert_eq!(
        d["holds"],
        results.iter().filter(|r| r["verdict"] == "holds").count()
    );
    assert_eq!(
        d["holds"].as_u64().unwrap_or(0) + d["violated"].as_u64().unwrap_or(0),
        6
    );

    // Human: one line per dataset property.
    let mut args = vec!["check"];
    args.extend_from_slice(IMPLICATION);
    let (_, human) = propc(&args);
    let rows = violated
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let line = format!(
        "dataset property pruned_implies_original: {} of 6 samples established, {} violated (rows {rows}), 0 unknown",
        6 - violated.len(),
        violated.len()
    );
    assert!(human.contains(&line), "{human}");

    // Shards: each summarizes its own samples; the merge summarizes them all.
    let dir = std::env::temp_dir().join(format!("propc-relational-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let mut paths = Vec::new();
    for i in 1..=2 {
        let shard = format!("{i}/2");
        let mut args = vec!["check"];
        args.extend_from_slice(IMPLICATION);
        args.extend_from_slice(&["--format", "json", "--shard", &shard]);
        let (_, out) = propc(&args);
        let part: Value = serde_json::from_str(&out).expect("json");
        assert_eq!(part["datasets"][0]["samples"], 3);
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, out).expect("write");
        paths.push(path.display().to_string());
    }
    let mut args = vec!["report", "merge"];
    args.extend(paths.iter().map(String::as_str));
    let (_, merged) = propc(&args);
    let merged: Value = serde_json::from_str(&merged).expect("json");
    assert_eq!(merged["datasets"], json["datasets"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_relational_twin_bound_is_tighter_and_sound() {
    let (code, out) = propc(&[
        "bench",
        "relational",
        "specs/global_robustness.prop",
        "--net",
        "specs/networks/smooth.onnx",
        "--bab-seconds",
        "5",
        "--milp-seconds",
        "60",
    ]);
    assert_eq!(code, 0, "{out}");
    let upper = |method: &str| -> f64 {
        let line = out
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(method))
            .unwrap_or_else(|| panic!("no `{method}` row in\n{out}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        let k = words.iter().position(|w| *w == "upper").expect("upper");
        words[k + 1].parse().expect("number")
    };
    let (independent, twin, best, bab, milp) = (
        upper("independent"),
        upper("twin"),
        upper("best"),
        upper("bab"),
        upper("milp"),
    );
    assert!(
        twin < independent,
        "twin {twin} vs independent {independent}"
    );
    assert!(best <= twin && best <= upper("joint"));
    // The MILP is exact on this 2 -> 6 -> 6 -> 1 network: every sound bound is above
    // its optimum (up to its safety margin), and branch and bound closes on it.
    for b in [independent, twin, best, bab] {
        assert!(
            b >= milp - 1e-5 * (1.0 + milp.abs()),
            "{b} below the optimum {milp}"
        );
    }
    assert!(
        bab <= milp + 1e-5 * (1.0 + milp.abs()),
        "branch and bound {bab} vs {milp}"
    );
    assert!(out.contains("gap closed"), "{out}");
}

const CHAIN: &[&str] = &[
    "check",
    "specs/implication_chain.prop",
    "--net",
    "original=specs/networks/original.onnx",
    "--net",
    "x2=specs/networks/original_x2.onnx",
    "--net",
    "x4=specs/networks/original_x4.onnx",
    "--data",
    "points=specs/data/implication_points.csv",
    "--format",
    "json",
];

/// The derived property's samples: (verdict, method).
fn derived(out: &str) -> Vec<(String, String)> {
    let json: Value = serde_json::from_str(out).expect("json");
    json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["name"] == "original_to_x4")
        .map(|r| {
            (
                r["verdict"].as_str().unwrap_or("").to_string(),
                r["method"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn a_chain_of_implications_is_used_only_where_both_links_are_proved() {
    // Every link proved by bounds: the third property follows on every sample.
    let (code, out) = propc(CHAIN);
    assert_eq!(code, 0, "{out}");
    let d = derived(&out);
    assert_eq!(d.len(), 6);
    assert!(
        d.iter().all(|(v, m)| v == "holds" && m == "transitivity"),
        "{d:?}"
    );
    // The same with several threads (the derived samples wait for their links).
    let mut args = CHAIN.to_vec();
    args.extend_from_slice(&["--threads", "4"]);
    assert_eq!(derived(&propc(&args).1), d);
    // Far from the samples the links are violated: the third property is checked on
    // its own, and it is violated too (with its own counterexample).
    let mut args = CHAIN.to_vec();
    args.extend_from_slice(&["--param", "delta=1.0"]);
    let (code, out) = propc(&args);
    assert_eq!(code, 1, "{out}");
    let d = derived(&out);
    assert!(
        d.iter()
            .all(|(v, m)| v == "violated" && m != "transitivity"),
        "{d:?}"
    );
}
