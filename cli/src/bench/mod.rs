//! `propc bench vnncomp INSTANCES_CSV`: the VNN-COMP runner, in process; `propc bench
//! merge RESULTS.csv...`: the summary of the results of several shards.
//!
//! Takes: a benchmark's `instances.csv` (rows `onnx,vnnlib,timeout`, paths relative
//! to its folder) and, beside it, an optional `expected_dev.csv`; the selection
//! (`--filter`, then `--limit`, then `--shard`), the timeout scale, the verifier's
//! options and where to write (`--out`, `--cex-dir`).
//! Gives: one verdict per selected instance (`sat`, `unsat`, `timeout`, `unknown`,
//! `error`; see `instance`), written to `results.csv` as each instance finishes, a
//! progress line on stderr per instance, VNN-COMP counterexample files for `sat`, and
//! the summary (`summary`) on stdout; exit code 1 when a solved instance contradicts
//! its expected verdict, 2 for bad input (a located `E0606` message), 130 after
//! Ctrl-C (the unfinished instances are `unknown`, "interrupted"), else 0.
//! Invariant: instances run one at a time, in file order (the time limits are
//! wall-clock); shard `i/n` runs the selected instances `k` (0-based) with
//! `k mod n = i - 1`, so the shards of one selection partition it, and their
//! `results.csv` files concatenate (header once) to the unsharded one, times aside.

mod csv;
mod instance;
mod relational;
mod summary;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use propc_runtime::milp::Solver;
use propc_runtime::report::Shard;
use propc_runtime::verify;
use serde_json::json;

use crate::check::{EXIT_INTERRUPTED, Format, INTERRUPTED, SolverArg};
use csv::{CsvError, Instance};
use instance::{Finished, Runner};
use summary::{Row, Summary, Verdict};

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Run the instances of a VNN-COMP benchmark and compare with the expected verdicts
    Vnncomp(VnncompArgs),
    /// Summarize the results.csv files of the shards of one run (and concatenate them)
    Merge(MergeArgs),
    /// Bounds of a spec's relational queries and properties: independent, joint, twin,
    /// best, branch and bound, MILP
    Relational(relational::RelationalArgs),
}

#[derive(Args, Debug)]
pub struct VnncompArgs {
    /// The benchmark's instances.csv (rows `onnx,vnnlib,timeout`, paths relative to its
    /// folder; an expected_dev.csv beside it gives the expected verdicts)
    #[arg(value_name = "INSTANCES_CSV")]
    pub instances: PathBuf,
    /// Multiply every instance's timeout by K
    #[arg(long, value_name = "K", default_value_t = 1.0)]
    pub timeout_scale: f64,
    /// Write the results here (CSV: instance,onnx,vnnlib,verdict,seconds,expected,method,note)
    #[arg(long, value_name = "RESULTS.csv", default_value = "results.csv")]
    pub out: PathBuf,
    /// Write each `sat` instance's counterexample to DIR/INSTANCE.counterexample
    #[arg(long, value_name = "DIR")]
    pub cex_dir: Option<PathBuf>,
    /// Run only the instances whose `onnx,vnnlib` or name contains TEXT or matches it
    /// as a regular expression
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Run at most the first N instances (after --filter)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Run only shard I of N (1-based): selected instance k (0-based, after --filter and
    /// --limit) belongs to shard (k mod N) + 1; combine with `propc bench merge`
    #[arg(long, value_name = "I/N", value_parser = crate::check::parse_shard)]
    pub shard: Option<Shard>,
    /// MILP solver
    #[arg(long, value_enum, default_value = "microlp")]
    pub solver: SolverArg,
    /// Seed of the counterexample search
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads for each instance's branch and bound (0: all cores)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Memory cap of each instance's branch and bound, in MiB (beyond it: `unknown`)
    #[arg(long, value_name = "MIB", default_value_t = 2048)]
    pub bab_memory: usize,
    /// Summary format on stdout
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// No progress line per instance on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The results.csv files of the shards (`propc bench vnncomp --shard I/N --out ...`)
    #[arg(required = true, value_name = "RESULTS.csv")]
    pub results: Vec<PathBuf>,
    /// Write the concatenated results here
    #[arg(long, value_name = "RESULTS.csv")]
    pub out: Option<PathBuf>,
    /// Summary format on stdout
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
}

pub fn run(args: BenchArgs) -> u8 {
    match args.command {
        BenchCommand::Vnncomp(a) => vnncomp(a),
        BenchCommand::Merge(m) => merge(m),
        BenchCommand::Relational(r) => relational::relational(r),
    }
}

/// Prints an `E0606` error with its help line; the exit code 2.
fn fail(message: &str, help: &str) -> u8 {
    eprintln!("error[E0606]: {message}\n  = help: {help}");
    2
}

fn csv_fail(e: CsvError) -> u8 {
    fail(&e.message, &e.help)
}

/// The instances `--filter` and `--limit` select, in file order.
fn select(all: Vec<Instance>, filter: Option<&str>, limit: Option<usize>) -> Vec<Instance> {
    let regex = filter.and_then(|f| regex::Regex::new(f).ok());
    all.into_iter()
        .filter(|i| {
            let Some(f) = filter else { return true };
            let text = format!("{},{}", i.onnx, i.vnnlib);
            [text.as_str(), i.name.as_str()]
                .iter()
                .any(|t| t.contains(f) || regex.as_ref().is_some_and(|r| r.is_match(t)))
        })
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

/// Creates `--out` and writes its header.
fn open_results(path: &Path) -> Result<BufWriter<File>, u8> {
    let help = "give a writable path with `--out`";
    let file = File::create(path).map_err(|e| {
        fail(
            &format!(
                "cannot write `{}`: {}",
                path.display(),
                csv::lower(&e.to_string())
            ),
            help,
        )
    })?;
    let mut w = BufWriter::new(file);
    w.write_all(csv::header().as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| fail(&format!("cannot write `{}`: {e}", path.display()), help))?;
    Ok(w)
}

/// Writes or removes (not `sat`) the counterexample file of a finished instance; a
/// failure is a warning and a note in the row.
fn write_cex(dir: &Path, f: &mut Finished) {
    let path = dir.join(format!("{}.counterexample", f.row.instance));
    match &f.cex {
        Some(cex) => {
            if let Err(e) = std::fs::write(&path, cex.vnncomp()) {
                let msg = format!(
                    "cannot write `{}`: {}",
                    path.display(),
                    csv::lower(&e.to_string())
                );
                eprintln!("warning: {msg}");
                if !f.row.note.is_empty() {
                    f.row.note.push_str("; ");
                }
                f.row.note.push_str(&msg);
            }
        }
        // A file left by an earlier run would contradict this one.
        None => {
            let _ = std::fs::remove_file(&path);
        }
    }
}

fn progress(k: usize, n: usize, row: &Row) {
    let detail = if row.verdict.solved() {
        row.method.clone()
    } else {
        row.note.clone()
    };
    let expected = if row.expected.is_empty() {
        "?"
    } else {
        &row.expected
    };
    let flag = if row.contradiction().is_some() {
        "  <-- CONTRADICTION"
    } else {
        ""
    };
    eprintln!(
        "[{k}/{n}] {}  {}  {:.2}s  expected {expected}  ({detail}){flag}",
        row.instance,
        row.verdict.as_str(),
        row.seconds
    );
}

fn vnncomp(args: VnncompArgs) -> u8 {
    let started = Instant::now();
    if !(args.timeout_scale.is_finite() && args.timeout_scale >= 0.0) {
        return fail(
            &format!(
                "`--timeout-scale {}` is not a non-negative number",
                args.timeout_scale
            ),
            "pass e.g. `--timeout-scale 0.1` for a tenth of every instance's timeout",
        );
    }
    let solver = Solver::from(args.solver);
    if let Err(e) = solver.check_available() {
        eprintln!("error[E0404]: {e}");
        return 2;
    }
    let all = match csv::read_instances(&args.instances) {
        Ok(a) => a,
        Err(e) => return csv_fail(e),
    };
    let csv_name = args.instances.display();
    if all.is_empty() {
        return fail(
            &format!("`{csv_name}` has no instance"),
            "each row of an instances.csv is `ONNX,VNNLIB,TIMEOUT`",
        );
    }
    let folder = args
        .instances
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let expected_path = folder.join("expected_dev.csv");
    let expected = if expected_path.exists() {
        match csv::read_expected(&expected_path) {
            Ok(e) => e,
            Err(e) => return csv_fail(e),
        }
    } else {
        Default::default()
    };
    let total = all.len();
    let selected = select(all, args.filter.as_deref(), args.limit);
    if selected.is_empty() && args.limit != Some(0) {
        return fail(
            &format!(
                "no instance of `{csv_name}` matches `--filter {}`",
                args.filter.as_deref().unwrap_or("")
            ),
            "the filter is looked for in `ONNX,VNNLIB` (as written in the csv) and in the \
             instance name `ONNX-STEM+VNNLIB-STEM`, as text or as a regular expression",
        );
    }
    let mine: Vec<Instance> = crate::check::shard_units(selected.len(), args.shard)
        .into_iter()
        .filter_map(|k| selected.get(k).cloned())
        .collect();
    let mut out = match open_results(&args.out) {
        Ok(w) => w,
        Err(code) => return code,
    };
    if let Some(dir) = &args.cex_dir
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        return fail(
            &format!(
                "cannot create `{}`: {}",
                dir.display(),
                csv::lower(&e.to_string())
            ),
            "give a writable folder with `--cex-dir`",
        );
    }
    let human = args.format == Format::Human;
    if human {
        let shard = args
            .shard
            .map(|s| format!(", shard {}/{}", s.index, s.count))
            .unwrap_or_default();
        outln!(
            "propc bench vnncomp {csv_name}: {} of {total} instances{shard}, timeouts x {}",
            mine.len(),
            args.timeout_scale
        );
    }
    crate::check::install_interrupt_handler();

    // One worker runs the instances in order; this thread writes each result as it
    // comes and watches for Ctrl-C (an instance under way is then abandoned).
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let options = verify::Options {
        solver,
        seed: args.seed,
        threads,
        bab_memory: args.bab_memory.saturating_mul(1 << 20),
        ..verify::Options::default()
    };
    let mut runner = Runner::new(&folder, args.timeout_scale, options);
    let (tx, rx) = mpsc::channel::<Finished>();
    let todo = mine.clone();
    let spawned = std::thread::Builder::new()
        .name("propc-bench".into())
        .stack_size(crate::STACK_BYTES)
        .spawn(move || {
            for inst in &todo {
                if INTERRUPTED.load(Ordering::SeqCst) {
                    return;
                }
                if tx.send(runner.run(inst, &INTERRUPTED)).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        eprintln!("error[E0404]: cannot start the benchmark thread: {e}");
        return 2;
    }
    let n = mine.len();
    let mut rows: Vec<Row> = Vec::with_capacity(n);
    let mut interrupted = false;
    let mut write_failed = false;
    // When the last instance finished: the one under way started then.
    let last = std::cell::Cell::new(Instant::now());
    let mut record = |mut f: Finished, rows: &mut Vec<Row>| {
        last.set(Instant::now());
        let inst = &mine[rows.len()];
        f.row.expected = expected
            .get(&(csv::key(&inst.onnx), csv::key(&inst.vnnlib)))
            .cloned()
            .unwrap_or_default();
        if let Some(dir) = &args.cex_dir {
            write_cex(dir, &mut f);
        }
        if !args.quiet {
            progress(rows.len() + 1, n, &f.row);
        }
        let written = out
            .write_all(csv::write_row(&f.row).as_bytes())
            .and_then(|()| out.flush());
        if let Err(e) = written
            && !write_failed
        {
            write_failed = true;
            eprintln!("error[E0606]: cannot write `{}`: {e}", args.out.display());
        }
        rows.push(f.row);
    };
    while rows.len() < n {
        if INTERRUPTED.load(Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(f) => record(f, &mut rows),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // Instances finished just before an interrupt count; the others are `unknown`.
    while let Ok(f) = rx.try_recv() {
        if rows.len() < n {
            record(f, &mut rows);
        }
    }
    let under_way = rows.len();
    let under_way_seconds = last.get().elapsed().as_secs_f64();
    while rows.len() < n {
        let inst = &mine[rows.len()];
        let first = rows.len() == under_way;
        let note = match (interrupted, first) {
            (true, true) => "interrupted",
            (true, false) => "interrupted before it started",
            (false, _) => "internal error: the benchmark thread stopped",
        };
        let row = Row {
            instance: inst.name.clone(),
            onnx: inst.onnx.clone(),
            vnnlib: inst.vnnlib.clone(),
            verdict: Verdict::Unknown,
            seconds: if first { under_way_seconds } else { 0.0 },
            expected: String::new(),
            method: String::new(),
            note: note.into(),
        };
        record(Finished { row, cex: None }, &mut rows);
    }
    let summary = Summary::of(&rows);
    let wall = started.elapsed().as_secs_f64();
    if human {
        outln!();
        out!("{}", summary.human());
        outln!(
            "wall time of the run: {wall:.1}s; results in `{}`",
            args.out.display()
        );
    } else {
        let doc = json!({
            "propc_version": env!("CARGO_PKG_VERSION"),
            "instances_csv": csv_name.to_string(),
            "timeout_scale": args.timeout_scale,
            "shard": args.shard,
            "wall_seconds": wall,
            "results": rows,
            "summary": summary.json(),
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
        );
    }
    if interrupted {
        eprintln!("interrupted: the unfinished instances are reported as unknown");
        EXIT_INTERRUPTED
    } else if !summary.contradictions.is_empty() {
        1
    } else if write_failed {
        2
    } else {
        0
    }
}

fn merge(args: MergeArgs) -> u8 {
    let mut rows: Vec<Row> = Vec::new();
    let mut owner: std::collections::HashMap<String, String> = Default::default();
    for path in &args.results {
        let read = match csv::read_results(path) {
            Ok(r) => r,
            Err(e) => return csv_fail(e),
        };
        let name = path.display().to_string();
        for r in read {
            if let Some(other) = owner.insert(r.instance.clone(), name.clone()) {
                return fail(
                    &format!(
                        "instance `{}` appears twice: in `{other}` and in `{name}`",
                        r.instance
                    ),
                    "give the results.csv of each shard of one run once",
                );
            }
            rows.push(r);
        }
    }
    if let Some(path) = &args.out {
        let mut text = csv::header();
        for r in &rows {
            text.push_str(&csv::write_row(r));
        }
        if let Err(e) = std::fs::write(path, text) {
            return fail(
                &format!(
                    "cannot write `{}`: {}",
                    path.display(),
                    csv::lower(&e.to_string())
                ),
                "give a writable path with `--out`",
            );
        }
    }
    let summary = Summary::of(&rows);
    if args.format == Format::Human {
        out!("{}", summary.human());
    } else {
        let doc = json!({
            "propc_version": env!("CARGO_PKG_VERSION"),
            "results": rows,
            "summary": summary.json(),
        });
        outln!(
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into())
        );
    }
    if summary.contradictions.is_empty() {
        0
    } else {
        1
    }
}
