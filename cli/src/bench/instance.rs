//! One VNN-COMP instance, in process: load the network (cached), import the VNN-LIB
//! file, verify its input regions under one deadline, and classify.
//!
//! Takes: an [`Instance`] (paths relative to the benchmark folder), the timeout scale,
//! the verifier's options and a stop flag (Ctrl-C).
//! Gives: a [`Finished`]: the results row (verdict, wall seconds from the start of the
//! instance, loading included, method, note) and, for `sat`, the counterexample's
//! network input and output ([`Cex`], written in VNN-COMP's format by
//! [`Cex::vnncomp`]).
//! Invariant: `sat` only from a region whose counterexample the runtime re-checked on
//! the network in f64 (`Outcome::Violated`), `unsat` only when every region holds; the
//! regions share one deadline, start + timeout × scale, and each region gets an equal
//! share of what is left when it starts (as `propc check` on a `.vnnlib` file). A
//! network is loaded once per path (its load error too).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use propc_compiler::Session;
use propc_runtime::network::{Network, onnx};
use propc_runtime::verify::{self, Outcome};

use super::csv::{Instance, key, lower};
use super::summary::{Row, Verdict};

/// A counterexample: the network's flattened input and output (C order).
#[derive(Clone, Debug, PartialEq)]
pub struct Cex {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Cex {
    /// VNN-COMP's counterexample file: `sat`, then `((X_0 v)`, ` (X_1 v)`, ...,
    /// ` (Y_m v))`, one value a line, each in Rust's shortest round-trip form.
    pub fn vnncomp(&self) -> String {
        let entries: Vec<String> = self
            .x
            .iter()
            .enumerate()
            .map(|(i, v)| format!("(X_{i} {v:?})"))
            .chain(
                self.y
                    .iter()
                    .enumerate()
                    .map(|(j, v)| format!("(Y_{j} {v:?})")),
            )
            .collect();
        format!("sat\n({})\n", entries.join("\n "))
    }
}

/// The result of one instance. `row.expected` is left empty (the caller fills it).
#[derive(Clone, Debug)]
pub struct Finished {
    pub row: Row,
    pub cex: Option<Cex>,
}

/// Loaded networks by path, and the verifier's options.
pub struct Runner {
    folder: PathBuf,
    scale: f64,
    options: verify::Options,
    networks: HashMap<PathBuf, Result<Arc<Network>, String>>,
}

/// A bound for "no limit" that `Instant` arithmetic cannot overflow.
const YEAR: Duration = Duration::from_secs(86_400 * 365);

/// A region that used this share of its time budget counted as timed out, whatever
/// the reason it gives.
const TIMED_OUT_SHARE: f64 = 0.98;

/// Notes longer than this are cut.
const NOTE_CHARS: usize = 400;

fn cut(s: String) -> String {
    match s.char_indices().nth(NOTE_CHARS) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

impl Runner {
    /// `folder` is the folder of `instances.csv`; `scale` multiplies every timeout.
    pub fn new(folder: &Path, scale: f64, options: verify::Options) -> Runner {
        Runner {
            folder: folder.to_path_buf(),
            scale,
            options,
            networks: HashMap::new(),
        }
    }

    fn network(&mut self, path: &Path) -> Result<Arc<Network>, String> {
        self.networks
            .entry(path.to_path_buf())
            .or_insert_with(|| match onnx::load(path) {
                Ok(n) => Ok(Arc::new(n)),
                Err(e) => {
                    let node = e
                        .node
                        .as_ref()
                        .map(|n| format!(" (in node `{n}`)"))
                        .unwrap_or_default();
                    let shown = path.display().to_string();
                    // An I/O error's message names the file already.
                    let what = if e.message.contains(&shown) {
                        String::new()
                    } else {
                        format!("network `{shown}`: ")
                    };
                    Err(format!("[E0602] {what}{}{node}", e.message))
                }
            })
            .clone()
    }

    /// Verifies one instance; `stop` (Ctrl-C) is checked between regions.
    pub fn run(&mut self, inst: &Instance, stop: &AtomicBool) -> Finished {
        let start = Instant::now();
        let limit = Duration::try_from_secs_f64(inst.timeout * self.scale).unwrap_or(YEAR);
        let deadline = start.checked_add(limit).unwrap_or(start + YEAR);
        let row = |verdict: Verdict, method: String, note: String| Row {
            instance: inst.name.clone(),
            onnx: inst.onnx.clone(),
            vnnlib: inst.vnnlib.clone(),
            verdict,
            seconds: start.elapsed().as_secs_f64(),
            expected: String::new(),
            method,
            note: cut(note),
        };
        let error = |note: String| Finished {
            row: row(Verdict::Error, String::new(), note),
            cex: None,
        };
        let onnx_path = self.folder.join(key(&inst.onnx));
        let vnnlib_path = self.folder.join(key(&inst.vnnlib));
        let net = match self.network(&onnx_path) {
            Ok(n) => n,
            Err(e) => return error(e),
        };
        let problems = match import(&vnnlib_path, &net) {
            Ok(p) => p,
            Err(e) => return error(e),
        };
        let nets = [net.as_ref()];
        let n = problems.len();
        let mut methods: Vec<&'static str> = Vec::new();
        let mut undecided: Vec<String> = Vec::new();
        let mut timed_out = false;
        let region = |j: usize, what: &str| {
            if n > 1 {
                format!("region {j}: {what}")
            } else {
                what.to_string()
            }
        };
        for (j, p) in problems.iter().enumerate() {
            if stop.load(Ordering::SeqCst) {
                undecided.push(region(j, "interrupted"));
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                timed_out = true;
                undecided.push(if n - j > 1 {
                    format!(
                        "regions {j} to {}: time limit reached before they started",
                        n - 1
                    )
                } else {
                    region(j, "time limit reached before it started")
                });
                break;
            }
            let budget = left.div_f64((n - j) as f64);
            let began = Instant::now();
            let outcome = verify::verify(
                p,
                &nets,
                &verify::Options {
                    timeout: budget,
                    ..self.options.clone()
                },
            );
            let used = began.elapsed();
            match outcome {
                Outcome::Holds { method, .. } => {
                    if !methods.contains(&method.name()) {
                        methods.push(method.name());
                    }
                }
                Outcome::Violated {
                    counterexample,
                    method,
                    ..
                } => {
                    let x = match counterexample.applications.first() {
                        Some(app) => app.input.clone(),
                        None => counterexample
                            .inputs
                            .iter()
                            .flat_map(|(_, v)| v.iter().copied())
                            .collect(),
                    };
                    let y = match net.eval(&x) {
                        Ok(y) => y,
                        Err(_) => counterexample
                            .applications
                            .first()
                            .map(|a| a.output.clone())
                            .unwrap_or_default(),
                    };
                    let note = if n > 1 {
                        format!("region {j} of {n}")
                    } else {
                        String::new()
                    };
                    return Finished {
                        row: row(Verdict::Sat, method.name().to_string(), note),
                        cex: Some(Cex { x, y }),
                    };
                }
                Outcome::Unknown { reason, .. } => {
                    if reason.to_lowercase().contains("time limit")
                        || used.as_secs_f64() >= TIMED_OUT_SHARE * budget.as_secs_f64()
                        || Instant::now() >= deadline
                    {
                        timed_out = true;
                    }
                    undecided.push(region(j, &reason));
                }
                Outcome::Bound { .. } => {
                    undecided.push(region(j, "internal error: a query result for a property"));
                }
            }
        }
        if undecided.is_empty() {
            return Finished {
                row: row(Verdict::Unsat, methods.join("+"), String::new()),
                cex: None,
            };
        }
        let verdict = if timed_out {
            Verdict::Timeout
        } else {
            Verdict::Unknown
        };
        Finished {
            row: row(verdict, String::new(), undecided.join("; ")),
            cex: None,
        }
    }
}

/// Reads a VNN-LIB file and fits it to the network: one problem per input region. The
/// error is the first diagnostic, located (`path:line:col`).
fn import(path: &Path, net: &Network) -> Result<Vec<propc_compiler::ir::Problem>, String> {
    let shown = path.display();
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        return Err(format!(
            "[E0601] `{shown}` is compressed: unpack the benchmark first (`gunzip -k`)"
        ));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| format!("[E0601] cannot read `{shown}`: {}", lower(&e.to_string())))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("[E0601] `{shown}` is not UTF-8 text"))?;
    let mut session = Session::new();
    let file = session.add_text(&shown.to_string(), &text);
    let name = path.file_stem().map_or_else(
        || "property".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    propc_runtime::vnnlib::import(
        &session.sources,
        file,
        &name,
        net.input_size(),
        net.output_size(),
    )
    .map_err(|diags| {
        let Some(d) = diags.first() else {
            return "the VNN-LIB file could not be read".to_string();
        };
        let place = d.primary_span().map_or_else(
            || format!("`{shown}`"),
            |s| {
                let (line, col) = session.sources.line_col(s.file, s.start);
                format!("`{shown}`:{line}:{col}")
            },
        );
        let more = match diags.len() {
            1 => String::new(),
            k => format!(" (and {} more errors)", k - 1),
        };
        format!("[{}] {place}: {}{more}", d.code, d.message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counterexample_file_layout() {
        let c = Cex {
            x: vec![0.1, -2.0],
            y: vec![1e-7, 3.5],
        };
        assert_eq!(
            c.vnncomp(),
            "sat\n((X_0 0.1)\n (X_1 -2.0)\n (Y_0 1e-7)\n (Y_1 3.5))\n"
        );
    }
}
