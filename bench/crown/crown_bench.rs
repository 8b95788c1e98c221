//! propc's side of the auto_LiRPA cross-check: IBP, CROWN and α-CROWN output bounds of
//! one ONNX network over one input box, with median times.
//!
//! Takes: `crown_bench NET.onnx LO HI [RUNS]`, `LO` and `HI` comma-separated (the
//! flattened input box).
//! Gives: one JSON object on stdout: the bounds (`ibp`, `crown` = pure CROWN as in
//! auto_LiRPA, `crown_ibp` = CROWN intersected with IBP as `verify` uses it, `alpha` =
//! α-CROWN of every output, both directions, on the `crown_ibp` intermediate boxes)
//! and the median wall time of each over `RUNS` (default 5) runs, in milliseconds.
//! Invariant: reads only; the bounds are those of `propc_runtime::bounds`.

use propc_runtime::bounds::crown::{
    AlphaOptions, CrownOptions, Mat, alpha_lower_bounds, crown_intervals,
};
use propc_runtime::bounds::{Interval, interval_bounds};
use std::time::Instant;

fn parse(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .map(|t| t.trim().parse::<f64>().map_err(|e| format!("{t}: {e}")))
        .collect()
}

fn median_ms(mut f: impl FnMut(), runs: usize) -> f64 {
    let mut t: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

fn json(iv: &Interval) -> serde_json::Value {
    serde_json::json!({ "lo": iv.lo, "hi": iv.hi })
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err("usage: crown_bench NET.onnx LO HI [RUNS]".into());
    }
    let net =
        propc_runtime::network::load(std::path::Path::new(&args[1])).map_err(|e| e.to_string())?;
    let (lo, hi) = (parse(&args[2])?, parse(&args[3])?);
    let runs: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
    let pure_opts = CrownOptions {
        intersect_ibp: false,
        ..CrownOptions::default()
    };
    let ibp = interval_bounds(&net, &lo, &hi);
    let pure = crown_intervals(&net, &lo, &hi, &pure_opts);
    let tight = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
    let m = net.output_size();
    let all: Vec<usize> = (0..m).collect();
    let c = Mat::plus_minus_identity(m, &all);
    let target = net.nodes.len();
    let alpha_opts = AlphaOptions::default();
    let low = alpha_lower_bounds(&net, &tight.values, target, &c, &alpha_opts);
    let alpha = Interval::new(low[..m].to_vec(), low[m..].iter().map(|v| -v).collect());
    let t_ibp = median_ms(|| drop(interval_bounds(&net, &lo, &hi)), runs);
    let t_pure = median_ms(|| drop(crown_intervals(&net, &lo, &hi, &pure_opts)), runs);
    let t_tight = median_ms(
        || drop(crown_intervals(&net, &lo, &hi, &CrownOptions::default())),
        runs,
    );
    let t_alpha = median_ms(
        || {
            let t = crown_intervals(&net, &lo, &hi, &CrownOptions::default());
            drop(alpha_lower_bounds(&net, &t.values, target, &c, &alpha_opts));
        },
        runs,
    );
    let out = serde_json::json!({
        "network": args[1],
        "ibp": ibp.last().map(json),
        "crown": json(&pure.crown_output),
        "crown_ibp": tight.values.last().map(json),
        "alpha": json(&alpha),
        "alpha_iterations": alpha_opts.iterations,
        "ms": { "ibp": t_ibp, "crown": t_pure, "crown_ibp": t_tight, "alpha": t_alpha },
        "runs": runs,
    });
    println!("{out}");
    Ok(())
}
