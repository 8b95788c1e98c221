//! What the command line binds to a spec: network shapes, parameter values, datasets.
//!
//! Takes: shapes read from ONNX files (by the caller: the compiler never opens ONNX),
//! `--param NAME=VALUE` texts, and dataset files (CSV, read here).
//! Gives: [`Bindings`], which elaboration reads.
//! Invariant: every dataset row has only finite numbers; the column count is checked
//! against the declared dataset type during elaboration, with the file and row named.

use std::collections::HashMap;
use std::path::Path;

/// The static shapes of a bound ONNX network.
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkShape {
    pub source: String,
    pub input: Vec<usize>,
    pub output: Vec<usize>,
}

/// Rows of numbers from a dataset file.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct DatasetRows {
    pub source: String,
    /// Column names when the file has a header.
    pub header: Option<Vec<String>>,
    pub rows: Vec<Vec<f64>>,
}

#[derive(Clone, Debug, Default)]
pub struct Bindings {
    pub networks: HashMap<String, NetworkShape>,
    /// `--param NAME=VALUE`, in command-line order.
    pub params: Vec<(String, String)>,
    pub datasets: HashMap<String, DatasetRows>,
}

/// Reads a CSV file of numbers. A first line with a non-number is a header. Errors
/// name the file, the line and the column.
pub fn read_csv(path: &Path) -> Result<DatasetRows, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    parse_csv(&text, &path.display().to_string())
}

/// Parses CSV text (see [`read_csv`]).
pub fn parse_csv(text: &str, source: &str) -> Result<DatasetRows, String> {
    let mut out = DatasetRows {
        source: source.to_string(),
        header: None,
        rows: Vec::new(),
    };
    let mut width: Option<usize> = None;
    for (lineno, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let parsed: Result<Vec<f64>, usize> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| c.parse::<f64>().map_err(|_| i))
            .collect();
        match parsed {
            Err(col) if out.rows.is_empty() && out.header.is_none() => {
                let _ = col;
                out.header = Some(cells.iter().map(|c| c.to_string()).collect());
                width = Some(cells.len());
            }
            Err(col) => {
                return Err(format!(
                    "`{source}` line {}: column {} is `{}`, not a number",
                    lineno + 1,
                    col + 1,
                    cells[col]
                ));
            }
            Ok(values) => {
                if let Some(bad) = values.iter().position(|v| !v.is_finite()) {
                    return Err(format!(
                        "`{source}` line {}: column {} is not finite",
                        lineno + 1,
                        bad + 1
                    ));
                }
                if let Some(w) = width
                    && w != values.len()
                {
                    return Err(format!(
                        "`{source}` line {}: {} columns, but the file started with {w}",
                        lineno + 1,
                        values.len()
                    ));
                }
                width = Some(values.len());
                out.rows.push(values);
            }
        }
    }
    Ok(out)
}

pub type ParamOverrides = HashMap<String, String>;
