//! `propc report merge A.json B.json ...`: combines the JSON reports of the shards of
//! one `propc check --shard i/n` run into the report of the unsharded run.
//!
//! Takes: the shard reports (`propc check --shard I/N --format json`, in any order) and
//! an optional output path.
//! Gives: the merged report (results in unit order, `units` kept, no `shard`) on stdout
//! or in the output file; exit code 0 / 1 / 3 by the merged verdicts, as `check`, or 2
//! with an `E0605` message naming the problem.
//! Invariant: a merge is refused unless the reports are of the same spec and propc
//! version, agree on the number of shards and units, cover every shard once, and hold
//! every unit exactly once, each in the shard it belongs to (`k mod n = i - 1`); so the
//! output equals the unsharded run's report, times aside.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use propc_runtime::report::{Report, ResultEntry, Shard};

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Subcommand, Debug)]
pub enum ReportCommand {
    /// Combine the JSON reports of the shards of one run into the unsharded report
    Merge(MergeArgs),
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shard reports (`propc check --shard I/N --format json`), in any order
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,
    /// Write the merged report to this file instead of stdout
    #[arg(short, long, value_name = "OUT.json")]
    pub output: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> u8 {
    match args.command {
        ReportCommand::Merge(m) => merge_command(m),
    }
}

fn merge_command(args: MergeArgs) -> u8 {
    let mut reports = Vec::new();
    for path in &args.reports {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => return fail(format!("cannot read `{}`: {e}", path.display())),
        };
        match serde_json::from_str::<Report>(&text) {
            Ok(r) => reports.push((path.display().to_string(), r)),
            Err(e) => {
                return fail(format!(
                    "`{}` is not a propc JSON report: {e}",
                    path.display()
                ));
            }
        }
    }
    let merged = match merge(reports) {
        Ok(r) => r,
        Err(message) => return fail(message),
    };
    let json = merged.to_json();
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, format!("{json}\n")) {
                return fail(format!("cannot write `{}`: {e}", path.display()));
            }
        }
        None => outln!("{json}"),
    }
    if merged.any_violated() {
        1
    } else if merged.any_unsettled() {
        3
    } else {
        0
    }
}

fn fail(message: String) -> u8 {
    eprintln!(
        "error[E0605]: {message}\n  = help: give every shard report of one run, \
         e.g. `propc report merge shard-*.json`"
    );
    2
}

/// Merges `(name, report)` pairs; the error names the problem and the files.
pub fn merge(reports: Vec<(String, Report)>) -> Result<Report, String> {
    let Some((first_name, first)) = reports.first() else {
        return Err("no report to merge".into());
    };
    let (first_name, spec, version) = (
        first_name.clone(),
        first.spec.clone(),
        first.propc_version.clone(),
    );
    let units_of = |name: &str, r: &Report| {
        r.units.ok_or_else(|| {
            format!("`{name}` has no `units` field: it was not written by `propc check --shard`")
        })
    };
    let units = units_of(&first_name, first)?;
    let shard_of = |r: &Report| r.shard.unwrap_or(Shard { index: 1, count: 1 });
    let first_shard = first.shard;
    let count = shard_of(first).count;
    let mut shards: BTreeMap<usize, String> = BTreeMap::new();
    let mut owner: BTreeMap<usize, String> = BTreeMap::new();
    let mut results: Vec<(usize, ResultEntry)> = Vec::new();
    for (name, report) in reports {
        if report.spec != spec {
            return Err(format!(
                "`{name}` is a report of `{}`, but `{first_name}` is of `{spec}`",
                report.spec
            ));
        }
        if report.propc_version != version {
            return Err(format!(
                "`{name}` was written by propc {}, but `{first_name}` by propc {version}",
                report.propc_version
            ));
        }
        let n = units_of(&name, &report)?;
        if n != units {
            return Err(format!(
                "`{name}` is of a run with {n} units, but `{first_name}` of one with {units}: \
                 the spec, its data or its params differ"
            ));
        }
        let shard = shard_of(&report);
        if shard.count != count {
            let what = |r: Option<Shard>| match r {
                Some(s) => format!("shard {}/{}", s.index, s.count),
                None => "an unsharded report".to_string(),
            };
            return Err(format!(
                "`{name}` is {}, but `{first_name}` is {}: merge the shards of one run",
                what(report.shard),
                what(first_shard)
            ));
        }
        if let Some(other) = shards.insert(shard.index, name.clone()) {
            return Err(format!(
                "shard {}/{count} is given twice: `{other}` and `{name}`",
                shard.index
            ));
        }
        for r in report.results {
            let Some(k) = r.unit() else {
                return Err(format!(
                    "`{name}`: the result `{}` has no `unit` field",
                    r.name()
                ));
            };
            if k >= units {
                return Err(format!(
                    "`{name}`: unit {k} is out of range (the run has {units} units)"
                ));
            }
            if k % count + 1 != shard.index {
                return Err(format!(
                    "`{name}`: unit {k} does not belong to shard {}/{count} (it is in shard {}/{count})",
                    shard.index,
                    k % count + 1
                ));
            }
            if let Some(other) = owner.insert(k, name.clone()) {
                return Err(if other == name {
                    format!("`{name}`: unit {k} appears twice")
                } else {
                    format!("unit {k} appears twice: in `{other}` and in `{name}`")
                });
            }
            results.push((k, r));
        }
    }
    let missing_shards: Vec<String> = (1..=count)
        .filter(|i| !shards.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing_shards.is_empty() {
        return Err(format!(
            "shard{} {} {} missing",
            if missing_shards.len() == 1 { "" } else { "s" },
            missing_shards.join(", "),
            if missing_shards.len() == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    let missing_units: Vec<String> = (0..units)
        .filter(|k| !owner.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing_units.is_empty() {
        return Err(format!(
            "unit{} {} {} missing (a shard report was cut short?)",
            if missing_units.len() == 1 { "" } else { "s" },
            missing_units.join(", "),
            if missing_units.len() == 1 {
                "is"
            } else {
                "are"
            }
        ));
    }
    results.sort_by_key(|(k, _)| *k);
    let results: Vec<_> = results.into_iter().map(|(_, r)| r).collect();
    Ok(Report {
        propc_version: version,
        spec,
        shard: None,
        units: Some(units),
        datasets: propc_runtime::report::DatasetSummary::of(&results),
        results,
    })
}
