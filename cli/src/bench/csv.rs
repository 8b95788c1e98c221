//! The CSV files of `propc bench`: a benchmark's `instances.csv` and `expected_dev.csv`
//! (read), and the `results.csv` that `propc bench vnncomp` writes and `propc bench
//! merge` reads back.
//!
//! Takes: file paths.
//! Gives: [`read_instances`] (rows `onnx,vnnlib,timeout`, an optional header, each with
//! its 1-based line and a unique instance name), [`read_expected`] (`(onnx, vnnlib)` →
//! `sat` / `unsat` / ...), [`read_results`] and [`write_row`] for `results.csv`.
//! Invariant: every problem in a file read here is a [`CsvError`] naming the file and
//! the 1-based line, never a panic; a row written by [`write_row`] reads back the same
//! with [`read_results`] (fields with commas or quotes are quoted, notes are one line).

use std::collections::HashMap;
use std::path::Path;

use super::summary::{Row, Verdict};

/// The columns of `results.csv`, in order.
pub const RESULT_COLUMNS: [&str; 8] = [
    "instance", "onnx", "vnnlib", "verdict", "seconds", "expected", "method", "note",
];

/// A problem in a CSV file: the message (names the file and line) and what to do.
#[derive(Debug)]
pub struct CsvError {
    pub message: String,
    pub help: String,
}

/// One row of `instances.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// `ONNX-STEM+VNNLIB-STEM`, made unique within the file by a `~2`, `~3`, ... suffix.
    pub name: String,
    /// As written in the file (relative to the file's folder).
    pub onnx: String,
    pub vnnlib: String,
    /// Seconds, before `--timeout-scale`.
    pub timeout: f64,
    /// 1-based line in the file.
    pub line: usize,
}

const INSTANCES_HELP: &str = "each row of an instances.csv is `ONNX,VNNLIB,TIMEOUT` with paths \
    relative to the csv's folder, e.g. `onnx/net.onnx,vnnlib/prop_1.vnnlib,116`";

/// Splits one CSV line into fields: commas separate; a field in double quotes may hold
/// commas and doubled quotes (`""`); spaces around a field are dropped.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("a quoted field is not closed".into()),
                }
            }
            while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(',') => fields.push(field),
                Some(c) => return Err(format!("`{c}` after a quoted field")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim().to_string());
                        return Ok(fields);
                    }
                    Some(',') => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim().to_string());
        }
    }
}

/// One field, quoted when it holds a comma, a quote or a line break (which become
/// spaces: every row is one line).
pub fn field(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    if s.contains([',', '"']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The non-empty, non-comment lines of a file with their 1-based numbers.
fn lines(path: &Path, what: &str) -> Result<Vec<(usize, String)>, CsvError> {
    let text = std::fs::read_to_string(path).map_err(|e| CsvError {
        message: format!(
            "cannot read `{}`: {}",
            path.display(),
            lower(&e.to_string())
        ),
        help: format!("give the path of {what}"),
    })?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}').trim().to_string()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect())
}

/// The first character in lower case (`std::io::Error` messages start in upper case).
pub fn lower(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A path as a key: `./` and backslashes do not matter.
pub fn key(path: &str) -> String {
    let p = path.trim().replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

/// The file name without its folders and its extension (`.gz` too).
fn stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let name = name.strip_suffix(".gz").unwrap_or(name);
    match name.rsplit_once('.') {
        Some((s, _)) if !s.is_empty() => s.to_string(),
        _ => name.to_string(),
    }
}

/// Reads `instances.csv`: rows `onnx,vnnlib,timeout`, an optional header row starting
/// with `onnx`, blank lines and `#` comments skipped.
pub fn read_instances(path: &Path) -> Result<Vec<Instance>, CsvError> {
    let shown = path.display();
    let located = |line: usize, message: String| CsvError {
        message: format!("`{shown}` line {line}: {message}"),
        help: INSTANCES_HELP.into(),
    };
    let mut out: Vec<Instance> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (k, (line, text)) in lines(path, "a benchmark's instances.csv")?
        .into_iter()
        .enumerate()
    {
        let fields = split(&text).map_err(|e| located(line, e))?;
        if k == 0
            && fields
                .first()
                .is_some_and(|f| f.eq_ignore_ascii_case("onnx"))
        {
            continue;
        }
        let [onnx, vnnlib, timeout] = fields.as_slice() else {
            return Err(located(
                line,
                format!(
                    "expected 3 columns `onnx,vnnlib,timeout`, found {}",
                    fields.len()
                ),
            ));
        };
        if onnx.is_empty() || vnnlib.is_empty() {
            return Err(located(line, "an empty path".into()));
        }
        let seconds = timeout
            .parse::<f64>()
            .ok()
            .filter(|t| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| {
                located(
                    line,
                    format!("the timeout `{timeout}` is not a number of seconds"),
                )
            })?;
        let base = format!("{}+{}", stem(onnx), stem(vnnlib));
        let count = seen.entry(base.clone()).or_insert(0);
        *count += 1;
        let name = if *count == 1 {
            base
        } else {
            format!("{base}~{count}")
        };
        out.push(Instance {
            name,
            onnx: onnx.clone(),
            vnnlib: vnnlib.clone(),
            timeout: seconds,
            line,
        });
    }
    Ok(out)
}

/// Reads `expected_dev.csv`: a header naming the columns `onnx`, `vnnlib` and
/// `expected` (in any order), then one row per instance; values are lower-cased.
pub fn read_expected(path: &Path) -> Result<HashMap<(String, String), String>, CsvError> {
    let shown = path.display();
    let help = "an expected_dev.csv has the header `onnx,vnnlib,expected` and rows such as \
                `onnx/net.onnx,vnnlib/prop_1.vnnlib,unsat`";
    let located = |line: usize, message: String| CsvError {
        message: format!("`{shown}` line {line}: {message}"),
        help: help.into(),
    };
    let rows = lines(path, "an expected_dev.csv")?;
    let Some((header_line, header)) = rows.first() else {
        return Ok(HashMap::new());
    };
    let header = split(header).map_err(|e| located(*header_line, e))?;
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(onnx), Some(vnnlib), Some(expected)) =
        (column("onnx"), column("vnnlib"), column("expected"))
    else {
        return Err(located(
            *header_line,
            "the header does not name the columns `onnx`, `vnnlib` and `expected`".into(),
        ));
    };
    let mut out = HashMap::new();
    for (line, text) in &rows[1..] {
        let fields = split(text).map_err(|e| located(*line, e))?;
        if fields.len() != header.len() {
            return Err(located(
                *line,
                format!(
                    "expected {} columns like the header, found {}",
                    header.len(),
                    fields.len()
                ),
            ));
        }
        out.insert(
            (key(&fields[onnx]), key(&fields[vnnlib])),
            fields[expected].to_ascii_lowercase(),
        );
    }
    Ok(out)
}

/// Reads a `results.csv` written by `propc bench vnncomp`.
pub fn read_results(path: &Path) -> Result<Vec<Row>, CsvError> {
    let shown = path.display();
    let help = "give results.csv files written by `propc bench vnncomp --out`";
    let located = |line: usize, message: String| CsvError {
        message: format!("`{shown}` line {line}: {message}"),
        help: help.into(),
    };
    let rows = lines(path, "a results.csv")?;
    let Some((header_line, header)) = rows.first() else {
        return Err(CsvError {
            message: format!("`{shown}` is empty"),
            help: help.into(),
        });
    };
    if split(header).ok().as_deref() != Some(RESULT_COLUMNS.map(String::from).as_slice()) {
        return Err(located(
            *header_line,
            format!("the header is not `{}`", RESULT_COLUMNS.join(",")),
        ));
    }
    let mut out = Vec::new();
    for (line, text) in &rows[1..] {
        let fields = split(text).map_err(|e| located(*line, e))?;
        let [
            instance,
            onnx,
            vnnlib,
            verdict,
            seconds,
            expected,
            method,
            note,
        ] = fields.as_slice()
        else {
            return Err(located(
                *line,
                format!("expected 8 columns, found {}", fields.len()),
            ));
        };
        let verdict = Verdict::parse(verdict).ok_or_else(|| {
            located(
                *line,
                format!(
                    "`{verdict}` is not a verdict (`sat`, `unsat`, `timeout`, `unknown`, `error`)"
                ),
            )
        })?;
        let seconds = seconds
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| located(*line, format!("`{seconds}` is not a number of seconds")))?;
        out.push(Row {
            instance: instance.clone(),
            onnx: onnx.clone(),
            vnnlib: vnnlib.clone(),
            verdict,
            seconds,
            expected: expected.clone(),
            method: method.clone(),
            note: note.clone(),
        });
    }
    Ok(out)
}

/// One `results.csv` line (with its line break).
pub fn write_row(row: &Row) -> String {
    let fields = [
        field(&row.instance),
        field(&row.onnx),
        field(&row.vnnlib),
        row.verdict.as_str().to_string(),
        format!("{:.3}", row.seconds),
        field(&row.expected),
        field(&row.method),
        field(&row.note),
    ];
    format!("{}\n", fields.join(","))
}

/// The header line of `results.csv`.
pub fn header() -> String {
    format!("{}\n", RESULT_COLUMNS.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        for s in [
            "plain",
            "a,b",
            "say \"hi\"",
            "",
            "x, \"y\", z",
            "line\nbreak",
        ] {
            let line = format!("{},{}", field(s), field("end"));
            let back = split(&line).expect("splits");
            assert_eq!(back, vec![s.replace('\n', " "), "end".to_string()], "{s}");
        }
        assert_eq!(
            split(" a , b ,c").expect("splits"),
            vec!["a".to_string(), "b".into(), "c".into()]
        );
        assert!(split("\"open").is_err());
    }

    #[test]
    fn names_drop_folders_and_extensions() {
        assert_eq!(
            stem("onnx/ACASXU_run2a_1_1_batch_2000.onnx"),
            "ACASXU_run2a_1_1_batch_2000"
        );
        assert_eq!(stem("vnnlib/prop_1.vnnlib.gz"), "prop_1");
        assert_eq!(key("./onnx\\a.onnx"), "onnx/a.onnx");
    }
}
