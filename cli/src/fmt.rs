//! `propc fmt [--check] FILES_OR_DIRS...`: formats `.prop` files in place.
//!
//! Takes: files and directories (a directory stands for every `*.prop` inside it,
//! recursively, in sorted order).
//! Gives: without `--check`, every file rewritten in the canonical layout
//! (`propc_syntax::format_source`), the names of the changed ones on stderr; with
//! `--check`, the files that would change, each with the first differing lines, on
//! stdout. Exit codes: 0 (nothing to change), 1 (`--check`: some file would change),
//! 2 (a file does not parse or cannot be read or written: its diagnostics are printed
//! and it is left untouched).
//! Invariant: a file with syntax errors is never rewritten; a file is written only when
//! its text changes; a file with a [`SKIP_DIRECTIVE`] line in its leading comment block
//! is left alone (intentionally malformed test specs and editor grammar tests carry it).

use std::path::{Path, PathBuf};

use clap::Args;
use propc_syntax::{SourceMap, format_source, render};

/// A line of the leading comment block that exempts a file from formatting.
pub const SKIP_DIRECTIVE: &str = "// fmt: off";

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Do not write: list the files that would change (exit code 1 if any)
    #[arg(long)]
    pub check: bool,
    /// Files and directories (every `*.prop` inside, recursively)
    #[arg(required = true, value_name = "FILES_OR_DIRS")]
    pub paths: Vec<PathBuf>,
}

pub fn run(args: FmtArgs) -> u8 {
    let mut files = Vec::new();
    let mut failed = false;
    for p in &args.paths {
        if p.is_dir() {
            let mut found = Vec::new();
            if let Err(e) = collect(p, &mut found) {
                eprintln!("error: cannot read `{}`: {e}", p.display());
                failed = true;
            }
            found.sort();
            files.extend(found);
        } else if p.exists() {
            files.push(p.clone());
        } else {
            eprintln!("error: `{}` does not exist", p.display());
            failed = true;
        }
    }
    let mut changed = 0;
    for path in &files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read `{}`: {e}", path.display());
                failed = true;
                continue;
            }
        };
        let mut leading = text
            .lines()
            .map(str::trim)
            .take_while(|l| l.is_empty() || l.starts_with("//"));
        if leading.any(|l| l == SKIP_DIRECTIVE) {
            continue;
        }
        let formatted = match format_source(&text) {
            Ok(f) => f,
            Err(diags) => {
                let mut sources = SourceMap::new();
                sources.add(path.display().to_string(), text);
                eprint!("{}", render(&sources, &diags, false));
                failed = true;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if args.check {
            outln!("{}", path.display());
            out!("{}", first_difference(&text, &formatted));
        } else if let Err(e) = std::fs::write(path, &formatted) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            failed = true;
        } else {
            eprintln!("formatted {}", path.display());
        }
    }
    if failed {
        2
    } else if args.check && changed > 0 {
        1
    } else {
        0
    }
}

/// Every `*.prop` under `dir`, recursively.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "prop") {
            out.push(path);
        }
    }
    Ok(())
}

/// The first differing lines of two texts, as a small unified-style hunk: a line of
/// context, then up to 6 removed (`-`) and 6 added (`+`) lines.
fn first_difference(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let start = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // The common tail, not overlapping the common head.
    let tail = a[start..]
        .iter()
        .rev()
        .zip(b[start..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a_mid, b_mid) = (&a[start..a.len() - tail], &b[start..b.len() - tail]);
    const MAX: usize = 6;
    let mut out = format!("@@ line {} @@\n", start + 1);
    if let Some(ctx) = start.checked_sub(1).and_then(|i| a.get(i)) {
        out.push_str(&format!(" {ctx}\n"));
    }
    for (sign, lines) in [('-', a_mid), ('+', b_mid)] {
        for l in lines.iter().take(MAX) {
            out.push_str(&format!("{sign}{l}\n"));
        }
        if lines.len() > MAX {
            out.push_str(&format!("{sign}... ({} more lines)\n", lines.len() - MAX));
        }
    }
    if a_mid.is_empty() && b_mid.is_empty() {
        out.push_str("  (whitespace at the end of the file)\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::first_difference;

    #[test]
    fn hunk_shows_the_first_change() {
        let d = first_difference("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(d, "@@ line 2 @@\n a\n-b\n+B\n");
    }
}
