//! Scale-out through the `propc` binary: `--shard i/n` and `propc report merge` give
//! the unsharded report, `--threads N` does not change the report, `--timeout-total`
//! bounds the run, and Ctrl-C (SIGINT) prints a partial report and exits with 130.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tmp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("propc-shard-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn propc(args: &[&str]) -> Out {
    let out = Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("propc runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

fn json(out: &Out) -> Value {
    serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out.stdout, out.stderr))
}

/// The report without its times.
fn timeless(mut v: Value) -> Value {
    if let Some(results) = v["results"].as_array_mut() {
        for r in results {
            if let Some(o) = r.as_object_mut() {
                o.remove("seconds");
            }
        }
    }
    v
}

const LOCAL: &[&str] = &[
    "specs/local_robustness.prop",
    "--net",
    "specs/networks/classifier.onnx",
    "--data",
    "points=specs/data/points.csv",
];

const IMPLICATION: &[&str] = &[
    "specs/implication.prop",
    "--net",
    "original=specs/networks/original.onnx",
    "--net",
    "pruned=specs/networks/pruned.onnx",
    "--data",
    "points=specs/data/implication_points.csv",
];

const QUERY: &[&str] = &[
    "specs/global_robustness.prop",
    "--net",
    "specs/networks/smooth.onnx",
];

fn check(spec: &[&str], extra: &[&str]) -> Out {
    let mut args = vec!["check"];
    args.extend_from_slice(spec);
    args.extend_from_slice(&["--format", "json", "--timeout", "120"]);
    args.extend_from_slice(extra);
    propc(&args)
}

fn results(v: &Value) -> &Vec<Value> {
    v["results"].as_array().expect("results")
}

/// Runs every shard of `n`, checks each shard's report, and merges them.
fn sharded_then_merged(spec: &[&str], n: usize, dir: &Path) -> (Out, Vec<PathBuf>) {
    let mut files = Vec::new();
    for i in 1..=n {
        let shard = format!("{i}/{n}");
        let out = check(spec, &["--shard", &shard]);
        let report = json(&out);
        assert_eq!(report["shard"]["index"], i, "{shard}");
        assert_eq!(report["shard"]["count"], n, "{shard}");
        let units = report["units"].as_u64().expect("units") as usize;
        let mine: Vec<usize> = results(&report)
            .iter()
            .map(|r| r["unit"].as_u64().expect("unit") as usize)
            .collect();
        let expected: Vec<usize> = (0..units).filter(|k| k % n + 1 == i).collect();
        assert_eq!(mine, expected, "units of shard {shard}");
        let path = dir.join(format!("shard-{i}-of-{n}.json"));
        std::fs::write(&path, &out.stdout).expect("write shard");
        files.push(path);
    }
    // Merge in reverse order: the order of the files does not matter.
    let mut args = vec!["report".to_string(), "merge".to_string()];
    args.extend(files.iter().rev().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (propc(&args), files)
}

#[test]
fn sharded_runs_merge_to_the_unsharded_report() {
    let dir = tmp_dir("merge");
    for (name, spec) in [
        ("local", LOCAL),
        ("implication", IMPLICATION),
        ("query", QUERY),
    ] {
        let whole = check(spec, &[]);
        let whole_json = json(&whole);
        assert!(whole_json.get("shard").is_none());
        let units = whole_json["units"].as_u64().expect("units") as usize;
        assert_eq!(results(&whole_json).len(), units);
        for (k, r) in results(&whole_json).iter().enumerate() {
            assert_eq!(r["unit"], k, "{name}: unit numbers of an unsharded run");
        }
        for n in [1, 2, 3, 7] {
            let sub = dir.join(format!("{name}-{n}"));
            std::fs::create_dir_all(&sub).expect("dir");
            let (merged, files) = sharded_then_merged(spec, n, &sub);
            assert_eq!(
                merged.code, whole.code,
                "{name} in {n} shards: exit code of merge\n{}",
                merged.stderr
            );
            let merged_json = json(&merged);
            assert!(merged_json.get("shard").is_none());
            assert_eq!(
                timeless(merged_json),
                timeless(whole_json.clone()),
                "{name} in {n} shards"
            );
            // `-o` writes the same document.
            let out_path = sub.join("merged.json");
            let mut args = vec!["report".to_string(), "merge".to_string()];
            args.extend(files.iter().map(|p| p.display().to_string()));
            args.extend(["-o".to_string(), out_path.display().to_string()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let written = propc(&args);
            assert_eq!(written.code, whole.code);
            assert!(written.stdout.is_empty());
            let text = std::fs::read_to_string(&out_path).expect("merged file");
            assert_eq!(text.trim_end(), merged.stdout.trim_end());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn local_robustness_has_six_units_and_exit_codes_follow_the_shard() {
    let whole = json(&check(LOCAL, &[]));
    assert_eq!(whole["units"], 6);
    // Shard 1/2 holds samples 0, 2, 4 (all hold), shard 2/2 samples 1, 3, 5 (violated).
    let first = check(LOCAL, &["--shard", "1/2"]);
    let second = check(LOCAL, &["--shard", "2/2"]);
    let verdicts = |o: &Out| -> Vec<String> {
        results(&json(o))
            .iter()
            .map(|r| r["verdict"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    assert_eq!(verdicts(&first), ["holds", "holds", "holds"]);
    assert_eq!(first.code, 0);
    assert_eq!(verdicts(&second), ["violated", "violated", "violated"]);
    assert_eq!(second.code, 1);
    // A shard without units: an empty report, exit code 0.
    let empty = check(LOCAL, &["--shard", "7/7"]);
    assert_eq!(empty.code, 0);
    assert!(results(&json(&empty)).is_empty());
}

#[test]
fn human_output_names_the_shard() {
    let mut args = vec!["check"];
    args.extend_from_slice(LOCAL);
    args.extend_from_slice(&["--shard", "2/3"]);
    let out = propc(&args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].contains("6 properties and queries; shard 2/3: 2 of them"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("robust [sample 1]"));
    assert!(out.stdout.contains("robust [sample 4]"));
    assert!(!out.stdout.contains("robust [sample 0]"));
    let summary = lines.last().expect("summary");
    assert_eq!(
        *summary, "summary: 1 holds, 1 violated, 0 unknown (shard 2/3)",
        "{}",
        out.stdout
    );
}

#[test]
fn bad_shards_are_argument_errors() {
    for (shard, says) in [
        ("0/4", "numbered 1 to 4"),
        ("5/4", "shard 5 of 4 does not exist"),
        ("a/b", "`a` is not a whole number"),
        ("2", "is not `I/N`"),
        ("1/0", "at least 1"),
        ("-1/4", "not a whole number"),
    ] {
        let flag = format!("--shard={shard}");
        let mut args = vec!["check"];
        args.extend_from_slice(LOCAL);
        args.push(&flag);
        let out = propc(&args);
        assert_eq!(out.code, 2, "--shard {shard}: {}", out.stderr);
        assert!(out.stderr.contains(says), "--shard {shard}: {}", out.stderr);
        assert!(out.stdout.is_empty());
    }
}

/// Writes the shard reports of LOCAL in `n` shards and returns their paths.
fn shard_files(dir: &Path, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let out = check(LOCAL, &["--shard", &format!("{i}/{n}")]);
            let path = dir.join(format!("local-{i}-of-{n}.json"));
            std::fs::write(&path, &out.stdout).expect("write");
            path.display().to_string()
        })
        .collect()
}

fn merge_fails(files: &[&str], says: &str) {
    let mut args = vec!["report", "merge"];
    args.extend_from_slice(files);
    let out = propc(&args);
    assert_eq!(out.code, 2, "merge {files:?}: {}", out.stderr);
    assert!(out.stderr.contains("E0605"), "{}", out.stderr);
    assert!(
        out.stderr.contains(says),
        "merge {files:?}: expected `{says}` in\n{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
}

/// A copy of a report with `edit` applied.
fn edited(dir: &Path, from: &str, name: &str, edit: impl Fn(&mut Value)) -> String {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(from).expect("read")).expect("json");
    edit(&mut v);
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json")).expect("write");
    path.display().to_string()
}

#[test]
fn merge_refuses_reports_that_do_not_fit() {
    let dir = tmp_dir("merge-errors");
    let three = shard_files(&dir, 3);
    let two = shard_files(&dir, 2);
    let (s1, s2, s3) = (three[0].as_str(), three[1].as_str(), three[2].as_str());

    merge_fails(&[s1, s2], "shard 3/3 is missing");
    merge_fails(&[s1], "shards 2/3, 3/3 are missing");
    merge_fails(&[s1, s2, s2, s3], "shard 2/3 is given twice");
    merge_fails(&[s1, s2, &two[1]], "is shard 2/2");

    let whole = dir.join("whole.json");
    std::fs::write(&whole, check(LOCAL, &[]).stdout).expect("write");
    let whole = whole.display().to_string();
    merge_fails(&[&whole, s1], "is an unsharded report");

    let other_spec = edited(&dir, s3, "other-spec.json", |v| {
        v["spec"] = Value::from("specs/other.prop");
    });
    merge_fails(&[s1, s2, &other_spec], "is a report of `specs/other.prop`");

    let other_version = edited(&dir, s3, "other-version.json", |v| {
        v["propc_version"] = Value::from("0.0.1");
    });
    merge_fails(&[s1, s2, &other_version], "written by propc 0.0.1");

    let other_units = edited(&dir, s3, "other-units.json", |v| {
        v["units"] = Value::from(9);
    });
    merge_fails(&[s1, s2, &other_units], "with 9 units");

    let no_units = edited(&dir, s3, "no-units.json", |v| {
        if let Some(o) = v.as_object_mut() {
            o.remove("units");
        }
    });
    merge_fails(&[s1, s2, &no_units], "has no `units` field");

    // A unit twice within one report, a unit in the wrong shard, a unit missing.
    let twice = edited(&dir, s3, "twice.json", |v| {
        let r = v["results"][0].clone();
        if let Some(a) = v["results"].as_array_mut() {
            a.push(r);
        }
    });
    merge_fails(&[s1, s2, &twice], "unit 2 appears twice");
    let wrong_shard = edited(&dir, s3, "wrong-shard.json", |v| {
        v["results"][0]["unit"] = Value::from(0);
    });
    merge_fails(
        &[s1, s2, &wrong_shard],
        "unit 0 does not belong to shard 3/3",
    );
    let cut = edited(&dir, s3, "cut.json", |v| {
        if let Some(a) = v["results"].as_array_mut() {
            a.pop();
        }
    });
    merge_fails(&[s1, s2, &cut], "unit 5 is missing");
    let no_unit = edited(&dir, s3, "no-unit.json", |v| {
        if let Some(o) = v["results"][0].as_object_mut() {
            o.remove("unit");
        }
    });
    merge_fails(&[s1, s2, &no_unit], "has no `unit` field");

    let not_json = dir.join("not.json");
    std::fs::write(&not_json, "summary: 3 holds").expect("write");
    merge_fails(
        &[s1, s2, &not_json.display().to_string()],
        "is not a propc JSON report",
    );
    merge_fails(
        &[s1, s2, "no/such/file.json"],
        "cannot read `no/such/file.json`",
    );

    // A single unsharded report merges to itself.
    let out = propc(&["report", "merge", &whole]);
    assert_eq!(out.code, 1);
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(&whole).expect("read")).expect("json");
    assert_eq!(json(&out), again);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CSV of `n` points of the local robustness spec (deterministic).
fn many_points(dir: &Path, n: usize) -> String {
    let mut text = String::from("x1,x2,label\n");
    let mut s: u64 = 12345;
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..n {
        let (a, b, c) = (next(), next(), (next() * 3.0) as usize % 3);
        text.push_str(&format!("{a:.3},{b:.3},{c}\n"));
    }
    let path = dir.join("points.csv");
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

#[test]
fn threads_do_not_change_the_report() {
    let dir = tmp_dir("threads");
    let points = format!("points={}", many_points(&dir, 24));
    let many: &[&str] = &[
        "specs/local_robustness.prop",
        "--net",
        "specs/networks/classifier.onnx",
        "--data",
        &points,
        "--param",
        "eps=0.2",
    ];
    for spec in [LOCAL, IMPLICATION, QUERY, many] {
        let one = check(spec, &["--threads", "1"]);
        for threads in ["2", "3", "0"] {
            let other = check(spec, &["--threads", threads]);
            assert_eq!(other.code, one.code, "--threads {threads}");
            assert_eq!(
                timeless(json(&other)),
                timeless(json(&one)),
                "--threads {threads} on {}",
                spec[0]
            );
        }
        // Sharded and threaded at once.
        let sharded = check(spec, &["--threads", "2", "--shard", "1/2"]);
        let plain = check(spec, &["--shard", "1/2"]);
        assert_eq!(timeless(json(&sharded)), timeless(json(&plain)));
    }
    // Human output: the same lines in the same order, times aside.
    let human = |threads: &str| -> Vec<String> {
        let mut args = vec!["check"];
        args.extend_from_slice(many);
        args.extend_from_slice(&["--threads", threads]);
        propc(&args)
            .stdout
            .lines()
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| !(w.ends_with('s') && w[..w.len() - 1].parse::<f64>().is_ok()))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let one = human("1");
    assert!(one.len() > 25, "{one:?}");
    assert_eq!(human("4"), one);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn timeout_total_zero_leaves_every_unit_unknown() {
    let out = check(LOCAL, &["--timeout-total", "0"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    let report = json(&out);
    assert_eq!(results(&report).len(), 6);
    for r in results(&report) {
        assert_eq!(r["verdict"], "unknown");
        assert_eq!(r["reason"], "total time limit reached");
    }
    for bad in ["-1", "nan", "inf"] {
        let out = check(LOCAL, &[&format!("--timeout-total={bad}")]);
        assert_eq!(out.code, 2, "--timeout-total {bad}");
        assert!(out.stderr.contains("--timeout-total"), "{}", out.stderr);
    }
}

/// A spec of `n` copies of the transitivity property: each copy is a genuine MILP proof
/// of about a second (debug build), so a run of many copies is slow.
fn slow_spec(dir: &Path, n: usize) -> String {
    let mut text = String::from("network pref : Real[4] -> Real[1]\n");
    for i in 0..n {
        text.push_str(&format!(
            "property transitive_{i} =\n  forall a, b, c in box(zeros(2), ones(2)).\n    \
             pref(concat(a, b))[0] >= 0.1 and pref(concat(b, c))[0] >= 0.1 => \
             pref(concat(a, c))[0] >= 0\n"
        ));
    }
    let path = dir.join("slow.prop");
    std::fs::write(&path, text).expect("write");
    path.display().to_string()
}

fn spawn_slow(spec: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_propc"))
        .current_dir(root())
        .args(["check", spec, "--net", "specs/networks/pref.onnx"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("propc starts")
}

fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -INT failed");
}

/// Waits for the child at most `limit` (then kills it and fails); gives the exit code,
/// stdout (unless the caller took it) and stderr.
fn wait_for(mut child: Child, limit: Duration) -> (i32, String, String) {
    let start = Instant::now();
    let stdout = child.stdout.take();
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        if let Some(mut stdout) = stdout {
            let _ = stdout.read_to_string(&mut s);
        }
        s
    });
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let out = reader.join().expect("stdout reader");
            let mut err = String::new();
            let _ = stderr.read_to_string(&mut err);
            return (status.code().unwrap_or(-1), out, err);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("propc did not stop within {limit:?} after SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn ctrl_c_prints_a_partial_json_report_and_exits_130() {
    let dir = tmp_dir("sigint-json");
    let spec = slow_spec(&dir, 40);
    let child = spawn_slow(&spec, &["--format", "json", "--timeout", "120"]);
    // Let a unit or two finish (each takes about a second; 40 would take ~40 s).
    std::thread::sleep(Duration::from_millis(2500));
    sigint(&child);
    let (code, stdout, stderr) = wait_for(child, Duration::from_secs(30));
    assert_eq!(code, 130, "stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("partial report is not JSON ({e}):\n{stdout}"));
    assert_eq!(report["units"], 40);
    let r = results(&report);
    assert_eq!(r.len(), 40);
    let mut interrupted = 0;
    for (k, entry) in r.iter().enumerate() {
        assert_eq!(entry["unit"], k);
        match entry["verdict"].as_str() {
            Some("holds") => assert_eq!(interrupted, 0, "a result after an interrupted unit"),
            Some("unknown") => {
                assert_eq!(entry["reason"], "interrupted", "{entry}");
                interrupted += 1;
            }
            other => panic!("unexpected verdict {other:?}: {entry}"),
        }
    }
    assert!(interrupted >= 30, "{interrupted} interrupted units of 40");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ctrl_c_in_human_format_prints_the_lines_so_far_and_a_summary() {
    let dir = tmp_dir("sigint-human");
    let spec = slow_spec(&dir, 40);
    let mut child = spawn_slow(&spec, &["--threads", "2", "--timeout", "120"]);
    // Wait for the first verdict line: verification is under way.
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("line");
        let first_verdict = line.contains("transitive_");
        seen.push(line);
        if first_verdict {
            break;
        }
    }
    sigint(&child);
    let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    let (code, _, stderr) = wait_for(child, Duration::from_secs(30));
    seen.extend(rest.join().expect("reader"));
    assert_eq!(code, 130, "stderr:\n{stderr}\nstdout:\n{}", seen.join("\n"));
    let text = seen.join("\n");
    assert!(
        text.contains("transitive_0 ") && text.contains("holds"),
        "{text}"
    );
    assert!(
        text.contains("unknown") && text.contains("(interrupted)"),
        "{text}"
    );
    assert!(
        text.contains("transitive_39"),
        "every unit has a line: {text}"
    );
    let summary = seen.last().expect("summary");
    assert!(summary.starts_with("summary: "), "{text}");
    assert!(summary.contains(" 0 violated"), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn timeout_total_stops_a_slow_run() {
    let dir = tmp_dir("total");
    let spec = slow_spec(&dir, 40);
    let start = Instant::now();
    let child = spawn_slow(
        &spec,
        &["--format", "json", "--timeout-total", "2", "--threads", "2"],
    );
    let (code, stdout, stderr) = wait_for(child, Duration::from_secs(60));
    let took = start.elapsed();
    assert_eq!(code, 3, "{stderr}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let report: Value = serde_json::from_str(&stdout).expect("json");
    let r = results(&report);
    assert_eq!(r.len(), 40);
    let total = r
        .iter()
        .filter(|e| e["reason"] == "total time limit reached")
        .count();
    assert!(total >= 30, "{total} units stopped by the total limit");
    for e in r {
        // A unit that ran was capped by what remained of the budget.
        assert!(e["seconds"].as_f64().expect("seconds") < 4.0, "{e}");
        assert_ne!(e["verdict"], "violated");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
