//! `propc check x.vnnlib --net n.onnx` and `propc compile SPEC --emit vnnlib` end to
//! end: the local-robustness spec exported to VNN-LIB gives the same verdicts as the
//! spec itself; an input disjunction is checked region by region; bad files and bad
//! uses exit with code 2 and a located message (snapshots of stderr).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("propc-vnnlib-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let p = tmp_dir().join(name);
    std::fs::write(&p, text).expect("write");
    p
}

/// Runs propc from the repository root: (exit code, stdout, stderr with the temp dir
/// replaced by `<tmp>`).
fn propc(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("propc runs");
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&tmp_dir().display().to_string(), "<tmp>");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

const NET: &str = "specs/networks/classifier.onnx";

fn verdicts(json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).expect("json report");
    v["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["verdict"].as_str().expect("verdict").to_string())
        .collect()
}

#[test]
fn exported_local_robustness_gives_the_same_verdicts() {
    let bind = ["--net", NET, "--data", "points=specs/data/points.csv"];
    let mut args = vec!["compile", "specs/local_robustness.prop", "--emit", "vnnlib"];
    args.extend(bind);
    let (code, text, stderr) = propc(&args);
    assert_eq!(code, 0, "{stderr}");
    let mut args = vec!["check", "specs/local_robustness.prop", "--format", "json"];
    args.extend(bind);
    let (_, json, stderr) = propc(&args);
    let expected = verdicts(&json);
    assert_eq!(expected.len(), 6, "{stderr}");
    assert!(expected.iter().any(|v| v == "holds") && expected.iter().any(|v| v == "violated"));

    // One VNN-LIB text per property instance, each starting with its `; propc:` line.
    let files: Vec<String> = text
        .split("; propc: property")
        .skip(1)
        .map(|t| format!("; propc: property{t}"))
        .collect();
    assert_eq!(files.len(), 6);
    for (k, (file, want)) in files.iter().zip(&expected).enumerate() {
        let path = tmp(&format!("robust_{k}.vnnlib"), file);
        let path = path.display().to_string();
        let (code, json, stderr) = propc(&["check", &path, "--net", NET, "--format", "json"]);
        assert_eq!(
            verdicts(&json),
            vec![want.clone()],
            "sample {k}: {stderr}\n{file}"
        );
        let want_code = if want == "holds" { 0 } else { 1 };
        assert_eq!(code, want_code, "sample {k}");
    }
}

/// Two input boxes of the classifier; the second is the region around a sample that
/// `local_robustness` finds violated, so the file is violated and the exit code is 1.
#[test]
fn an_input_disjunction_is_checked_region_by_region() {
    let (_, text, _) = propc(&[
        "compile",
        "specs/local_robustness.prop",
        "--emit",
        "vnnlib",
        "--net",
        NET,
        "--data",
        "points=specs/data/points.csv",
    ]);
    let (_, json, _) = propc(&[
        "check",
        "specs/local_robustness.prop",
        "--format",
        "json",
        "--net",
        NET,
        "--data",
        "points=specs/data/points.csv",
    ]);
    let expected = verdicts(&json);
    let files: Vec<&str> = text.split("; propc: property").skip(1).collect();
    let holds = expected
        .iter()
        .position(|v| v == "holds")
        .expect("a sample holds");
    let violated = expected
        .iter()
        .position(|v| v == "violated")
        .expect("a sample is violated");
    // The box asserts of a file, as one `(and ...)`.
    let boxes = |t: &str| -> String {
        let atoms: Vec<&str> = t
            .lines()
            .filter(|l| l.starts_with("(assert (<= X_") || l.starts_with("(assert (>= X_"))
            .map(|l| &l["(assert ".len()..l.len() - 1])
            .collect();
        format!("(and {})", atoms.join(" "))
    };
    // The goal `(or ...)` of a file.
    let goal = |t: &str| -> String {
        let g = t[t.find("(assert (or").expect("goal") + "(assert ".len()..].trim_end();
        g[..g.len() - 1].to_string()
    };
    // Each region with its own sample's goal.
    let text = format!(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(declare-const Y_2 Real)\n\
         (assert (or (and {} {}) (and {} {})))\n",
        boxes(files[holds]),
        goal(files[holds]),
        boxes(files[violated]),
        goal(files[violated]),
    );
    let path = tmp("two_regions.vnnlib", &text);
    let path = path.display().to_string();
    let (code, json, stderr) = propc(&["check", &path, "--net", NET, "--format", "json"]);
    assert_eq!(
        verdicts(&json),
        vec!["holds".to_string(), "violated".to_string()],
        "{stderr}\n{text}"
    );
    assert_eq!(code, 1);
    let (code, human, _) = propc(&["check", &path, "--net", NET]);
    assert_eq!(code, 1);
    assert!(
        human.contains("two_regions[0]") && human.contains("two_regions[1]"),
        "{human}"
    );
}

fn expect_error(name: &str, args: &[&str]) {
    let (code, _, stderr) = propc(args);
    assert_eq!(code, 2, "{name}: exit code {code}, stderr:\n{stderr}");
    assert!(
        stderr.to_lowercase().contains("help"),
        "{name}: no help line: {stderr}"
    );
    insta::assert_snapshot!(name, stderr);
}

#[test]
fn bad_vnnlib_file_is_located() {
    let p = tmp(
        "bad.vnnlib",
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (and (<= X_1 1) (>= X_1 0))\n(assert (<= Y_3 0))\n",
    );
    expect_error(
        "vnnlib_unbalanced",
        &["check", &p.display().to_string(), "--net", NET],
    );
}

#[test]
fn vnnlib_that_does_not_fit_the_network() {
    let p = tmp(
        "wrong_size.vnnlib",
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)\n(assert (<= Y_0 0))\n",
    );
    expect_error(
        "vnnlib_wrong_size",
        &["check", &p.display().to_string(), "--net", NET],
    );
}

#[test]
fn vnnlib_needs_exactly_one_net() {
    let p = tmp("no_net.vnnlib", "(declare-const X_0 Real)\n");
    expect_error("vnnlib_no_net", &["check", &p.display().to_string()]);
}

#[test]
fn emit_vnnlib_refuses_two_applications() {
    expect_error(
        "emit_vnnlib_two_applications",
        &["compile", "specs/monotone_holds.prop", "--emit", "vnnlib"],
    );
}
