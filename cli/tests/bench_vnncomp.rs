//! `propc bench vnncomp` and `propc bench merge` end to end, on a tiny benchmark built
//! in a temp dir from the shipped `specs/networks/classifier.onnx`: a `sat` instance
//! (one input box, an output bound that the box's centre meets), an `unsat` one (two
//! input boxes, an output bound far above anything the network gives there) and an
//! instance whose network is missing (`error`), with an `expected_dev.csv`.
//!
//! Checked: `results.csv` (verdicts, expected, methods, notes), the counterexample file
//! (VNN-COMP layout, parsed back; the network re-evaluated at X here gives Y to 1e-9,
//! and X, Y satisfy the property), the summary, shards merged back, `--filter` /
//! `--limit`, `--format json`, and the exit codes: 0, 1 for a planted contradiction, 2
//! for a malformed or missing csv (located messages).

use std::path::{Path, PathBuf};
use std::process::Command;

use propc_runtime::network::{Network, onnx};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh temp dir for one test.
fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("propc-bench-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs propc from the repository root: (exit code, stdout, stderr with `dir`
/// replaced by `<tmp>`).
fn propc(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("propc runs");
    let stderr = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "<tmp>");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

fn network() -> Network {
    onnx::load(&root().join("specs/networks/classifier.onnx")).expect("classifier loads")
}

/// The centre of the `sat` box and the half-width of every box.
const CENTRE: [f64; 2] = [0.5, 0.5];
const RADIUS: f64 = 0.01;
/// The `sat` property: `Y_0 <= y0(centre) + SLACK` (the centre itself is a model).
const SLACK: f64 = 1e-3;

fn declarations() -> String {
    let mut s = String::new();
    for i in 0..2 {
        s.push_str(&format!("(declare-const X_{i} Real)\n"));
    }
    for j in 0..3 {
        s.push_str(&format!("(declare-const Y_{j} Real)\n"));
    }
    s
}

fn box_atoms(c: [f64; 2]) -> String {
    (0..2)
        .map(|i| {
            format!(
                "(>= X_{i} {:?}) (<= X_{i} {:?})",
                c[i] - RADIUS,
                c[i] + RADIUS
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds the benchmark in `dir`; `expected_sat` is what `expected_dev.csv` says of the
/// `sat` instance (plant `unsat` for a contradiction).
fn benchmark(dir: &Path, expected_sat: &str) -> PathBuf {
    let net = network();
    let y = net.eval(&CENTRE).expect("eval");
    std::fs::create_dir_all(dir.join("onnx")).expect("onnx dir");
    std::fs::create_dir_all(dir.join("vnnlib")).expect("vnnlib dir");
    std::fs::copy(
        root().join("specs/networks/classifier.onnx"),
        dir.join("onnx/classifier.onnx"),
    )
    .expect("copy the network");
    let sat = format!(
        "; the centre is a model\n{}(assert (and {}))\n(assert (<= Y_0 {:?}))\n",
        declarations(),
        box_atoms(CENTRE),
        y[0] + SLACK
    );
    std::fs::write(dir.join("vnnlib/sat.vnnlib"), sat).expect("write");
    let unsat = format!(
        "; two input regions, each refuted\n{}(assert (or (and {}) (and {})))\n(assert (>= Y_0 {:?}))\n",
        declarations(),
        box_atoms(CENTRE),
        box_atoms([0.2, 0.7]),
        y[0] + 1000.0
    );
    std::fs::write(dir.join("vnnlib/unsat.vnnlib"), unsat).expect("write");
    std::fs::write(
        dir.join("instances.csv"),
        "onnx/classifier.onnx,vnnlib/sat.vnnlib,30\n\
         onnx/classifier.onnx,vnnlib/unsat.vnnlib,30\n\
         onnx/missing.onnx,vnnlib/unsat.vnnlib,30\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("expected_dev.csv"),
        format!(
            "onnx,vnnlib,expected\n\
             onnx/classifier.onnx,vnnlib/sat.vnnlib,{expected_sat}\n\
             ./onnx/classifier.onnx,vnnlib/unsat.vnnlib,unsat\n"
        ),
    )
    .expect("write");
    dir.join("instances.csv")
}

/// A CSV line's fields (double quotes may surround a field).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                out.last_mut().expect("field").push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(String::new()),
            c => out.last_mut().expect("field").push(c),
        }
    }
    out
}

/// `results.csv` as rows of fields, the header checked.
fn results(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).expect("results.csv");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("instance,onnx,vnnlib,verdict,seconds,expected,method,note")
    );
    lines.map(fields).collect()
}

/// Parses a VNN-COMP counterexample file into (X, Y), checking the layout.
fn parse_cex(text: &str) -> (Vec<f64>, Vec<f64>) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("sat"), "{text}");
    let body: Vec<&str> = lines.collect();
    assert!(body[0].starts_with("(("), "{text}");
    assert!(body[body.len() - 1].ends_with("))"), "{text}");
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (k, line) in body.iter().enumerate() {
        assert!(k == 0 || line.starts_with(" ("), "line {k}: {line}");
        let entry = line.trim().trim_start_matches('(').trim_end_matches(')');
        let (name, value) = entry.split_once(' ').expect("`(NAME VALUE)`");
        let value: f64 = value.parse().expect("a number");
        let (list, index) = match name.split_once('_') {
            Some(("X", i)) => (&mut x, i),
            Some(("Y", i)) => (&mut y, i),
            _ => panic!("bad name `{name}`"),
        };
        assert_eq!(index.parse::<usize>().expect("index"), list.len(), "{text}");
        list.push(value);
    }
    (x, y)
}

#[test]
fn a_small_benchmark_end_to_end() {
    let dir = tmp_dir("main");
    let csv = benchmark(&dir, "sat");
    let (out, cex) = (dir.join("results.csv"), dir.join("cex"));
    // A stale file from an earlier run is removed for an instance that is not sat.
    std::fs::create_dir_all(&cex).expect("cex dir");
    std::fs::write(cex.join("classifier+unsat.counterexample"), "sat\n").expect("write");
    let (code, stdout, stderr) = propc(
        &dir,
        &[
            "bench",
            "vnncomp",
            &csv.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--cex-dir",
            &cex.display().to_string(),
            "--timeout-scale",
            "0.5",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let rows = results(&out);
    let brief: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| (r[0].as_str(), r[3].as_str(), r[5].as_str()))
        .collect();
    assert_eq!(
        brief,
        [
            ("classifier+sat", "sat", "sat"),
            ("classifier+unsat", "unsat", "unsat"),
            ("missing+unsat", "error", ""),
        ]
    );
    assert_eq!(rows[0][1], "onnx/classifier.onnx");
    assert_eq!(rows[0][2], "vnnlib/sat.vnnlib");
    assert!(!rows[0][6].is_empty(), "the method of a sat instance");
    assert!(
        rows[1][6]
            .split('+')
            .all(|m| ["trivial", "ibp", "crown"].contains(&m)),
        "unsat by bounds: {:?}",
        rows[1]
    );
    assert!(rows[2][6].is_empty());
    assert!(
        rows[2][7].contains("missing.onnx") && rows[2][7].contains("E0602"),
        "{:?}",
        rows[2]
    );
    for r in &rows {
        let s: f64 = r[4].parse().expect("seconds");
        assert!((0.0..15.0).contains(&s), "{r:?}");
    }
    // Progress: one line per instance on stderr.
    for (k, name) in ["classifier+sat", "classifier+unsat", "missing+unsat"]
        .iter()
        .enumerate()
    {
        assert!(
            stderr.contains(&format!("[{}/3] {name}  ", k + 1)),
            "{stderr}"
        );
    }
    // The summary: one line per property, the totals, no contradiction.
    assert!(
        stdout.contains("| sat | 1 | 1 / 0 | 1 | 0 | 0 | 0 | 0 |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("| unsat | 2 | 0 / 1 | 0 | 1 | 0 | 0 | 1 |"),
        "{stdout}"
    );
    assert!(
        stdout.contains("solved 2 of 3 (1 sat, 1 unsat)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("contradictions with the expected verdicts: 0"),
        "{stdout}"
    );

    // The counterexample, re-evaluated here.
    assert!(!cex.join("classifier+unsat.counterexample").exists());
    let text = std::fs::read_to_string(cex.join("classifier+sat.counterexample"))
        .expect("the counterexample file");
    let (x, y) = parse_cex(&text);
    assert_eq!((x.len(), y.len()), (2, 3), "{text}");
    let net = network();
    let again = net.eval(&x).expect("eval");
    for (a, b) in y.iter().zip(&again) {
        assert!(
            (a - b).abs() <= 1e-9,
            "Y {y:?} but the network gives {again:?}"
        );
    }
    for (xi, ci) in x.iter().zip(CENTRE) {
        assert!(
            (ci - RADIUS..=ci + RADIUS).contains(xi),
            "X {x:?} outside the box"
        );
    }
    let y0 = net.eval(&CENTRE).expect("eval")[0];
    assert!(y[0] <= y0 + SLACK, "Y_0 = {} is not a model", y[0]);
}

#[test]
fn a_contradiction_exits_with_1() {
    let dir = tmp_dir("contradiction");
    let csv = benchmark(&dir, "unsat");
    let out = dir.join("results.csv");
    let (code, stdout, stderr) = propc(
        &dir,
        &[
            "bench",
            "vnncomp",
            &csv.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--filter",
            "classifier",
        ],
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("CONTRADICTIONS with the expected verdicts: 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains("classifier+sat: propc says sat, expected unsat"),
        "{stdout}"
    );
    assert!(stderr.contains("<-- CONTRADICTION"), "{stderr}");
    assert_eq!(results(&out).len(), 2);
    // `bench merge` of that results.csv finds it too.
    let (code, stdout, _) = propc(&dir, &["bench", "merge", &out.display().to_string()]);
    assert_eq!(code, 1, "{stdout}");
}

#[test]
fn shards_merge_back_and_the_selection_options() {
    let dir = tmp_dir("shards");
    let csv = benchmark(&dir, "sat");
    let csv = csv.display().to_string();
    let path = |name: &str| dir.join(name).display().to_string();
    let (code, _, stderr) = propc(
        &dir,
        &["bench", "vnncomp", &csv, "--out", &path("all.csv"), "-q"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "--quiet: {stderr}");
    for i in 1..=2 {
        let shard = format!("{i}/2");
        let out = path(&format!("shard-{i}.csv"));
        let (code, _, stderr) = propc(
            &dir,
            &[
                "bench", "vnncomp", &csv, "--shard", &shard, "--out", &out, "-q",
            ],
        );
        assert_eq!(code, 0, "{stderr}");
    }
    assert_eq!(results(&dir.join("shard-1.csv")).len(), 2);
    assert_eq!(results(&dir.join("shard-2.csv")).len(), 1);
    let (code, stdout, stderr) = propc(
        &dir,
        &[
            "bench",
            "merge",
            &path("shard-2.csv"),
            &path("shard-1.csv"),
            "--out",
            &path("merged.csv"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("solved 2 of 3"), "{stdout}");
    let key = |rows: Vec<Vec<String>>| {
        let mut k: Vec<(String, String, String)> = rows
            .into_iter()
            .map(|r| (r[0].clone(), r[3].clone(), r[5].clone()))
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        key(results(&dir.join("merged.csv"))),
        key(results(&dir.join("all.csv")))
    );
    // The same shard twice is refused.
    let (code, _, stderr) = propc(
        &dir,
        &["bench", "merge", &path("shard-1.csv"), &path("shard-1.csv")],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("appears twice"), "{stderr}");

    // --filter (text or regex) then --limit; --format json.
    let (code, stdout, stderr) = propc(
        &dir,
        &[
            "bench",
            "vnncomp",
            &csv,
            "--out",
            &path("f.csv"),
            "--filter",
            "unsat",
            "--limit",
            "1",
            "--format",
            "json",
            "-q",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).expect("json");
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{stdout}");
    assert_eq!(results[0]["instance"], "classifier+unsat");
    assert_eq!(results[0]["verdict"], "unsat");
    assert_eq!(doc["summary"]["total"]["unsat"], 1);
    let (code, _, stderr) = propc(
        &dir,
        &[
            "bench",
            "vnncomp",
            &csv,
            "--out",
            &path("g.csv"),
            "--filter",
            r"^onnx/m.*\+",
            "-q",
        ],
    );
    assert_eq!(code, 2, "a regex that matches nothing: {stderr}");
    let (code, _, _) = propc(
        &dir,
        &[
            "bench",
            "vnncomp",
            &csv,
            "--out",
            &path("g.csv"),
            "--filter",
            r"missing\.onnx",
            "-q",
        ],
    );
    assert_eq!(code, 0);
    assert_eq!(self::results(&dir.join("g.csv"))[0][0], "missing+unsat");
}

#[test]
fn bad_csv_files_exit_with_2() {
    let dir = tmp_dir("bad");
    let csv = benchmark(&dir, "sat");
    let out = dir.join("results.csv").display().to_string();
    std::fs::write(
        &csv,
        "onnx,vnnlib,timeout\n\nonnx/classifier.onnx,vnnlib/sat.vnnlib\n",
    )
    .expect("write");
    let run = |csv: &Path| {
        propc(
            &dir,
            &[
                "bench",
                "vnncomp",
                &csv.display().to_string(),
                "--out",
                &out,
            ],
        )
    };
    let (code, _, stderr) = run(&csv);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error[E0606]: `<tmp>/instances.csv` line 3: expected 3 columns `onnx,vnnlib,timeout`, found 2\n  \
         = help: each row of an instances.csv is `ONNX,VNNLIB,TIMEOUT` with paths relative to the \
         csv's folder, e.g. `onnx/net.onnx,vnnlib/prop_1.vnnlib,116`\n"
    );
    std::fs::write(&csv, "onnx/classifier.onnx,vnnlib/sat.vnnlib,soon\n").expect("write");
    let (code, _, stderr) = run(&csv);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(
            "error[E0606]: `<tmp>/instances.csv` line 1: the timeout `soon` is not a number of seconds\n  = help: "
        ),
        "{stderr}"
    );
    let (code, _, stderr) = run(&dir.join("nowhere.csv"));
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error[E0606]: cannot read `<tmp>/nowhere.csv`: no such file"),
        "{stderr}"
    );
    assert!(stderr.contains("\n  = help: "), "{stderr}");
    // A malformed expected_dev.csv is bad input too.
    std::fs::write(&csv, "onnx/classifier.onnx,vnnlib/sat.vnnlib,5\n").expect("write");
    std::fs::write(dir.join("expected_dev.csv"), "network,property,verdict\n").expect("write");
    let (code, _, stderr) = run(&csv);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`<tmp>/expected_dev.csv` line 1: the header does not name"),
        "{stderr}"
    );
}

#[test]
fn time_limits_and_bad_vnnlib_files() {
    let dir = tmp_dir("limits");
    let csv = benchmark(&dir, "sat");
    std::fs::write(
        dir.join("vnnlib/bad.vnnlib"),
        "(declare-const X_0 Real)\n(assert (<= X_0 1)\n",
    )
    .expect("write");
    let mut rows = std::fs::read_to_string(&csv).expect("read");
    rows.push_str("onnx/classifier.onnx,vnnlib/bad.vnnlib,30\n");
    std::fs::write(&csv, rows).expect("write");
    let out = dir.join("results.csv");
    // `--timeout-scale 0`: no region may start, so the loaded instances time out.
    let (code, stdout, stderr) = propc(
        &dir,
        &[
            "bench",
            "vnncomp",
            &csv.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--timeout-scale",
            "0",
        ],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let rows = results(&out);
    let verdicts: Vec<&str> = rows.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(verdicts, ["timeout", "timeout", "error", "error"]);
    assert!(rows[0][7].contains("time limit"), "{:?}", rows[0]);
    assert!(rows[1][7].contains("regions 0 to 1"), "{:?}", rows[1]);
    assert!(
        rows[3][7].starts_with("[E0701] `") && rows[3][7].contains("bad.vnnlib`:"),
        "{:?}",
        rows[3]
    );
}
