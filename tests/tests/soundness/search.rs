// Part of the soundness suite (`main.rs`), included textually: sampling and hill climbing for the optima.

// ----------------------------------------------------------------------------------
// Sampling and hill climbing, shared by properties and queries

/// Something to maximize over a domain parametrized by `[0, 1]^dims`.
trait Sampled {
    fn dims(&self) -> usize;
    /// The quantified variables (`x`, or `x` and `y`) at a parameter point.
    fn decode(&self, u: &[f64]) -> Vec<Vec<f64>>;
    /// `(premise slack, value)`: the point is admissible when the slack is `<= 0`;
    /// the value is what the search maximizes.
    fn eval(&self, pt: &[Vec<f64>]) -> (f64, f64);
}

#[derive(Clone, Copy)]
struct Budget {
    random: usize,
    grid: usize,
    starts: usize,
    climb: usize,
}

const ESTIMATE: Budget = Budget {
    random: 1500,
    grid: 500,
    starts: 8,
    climb: 300,
};
const LIGHT: Budget = Budget {
    random: 250,
    grid: 100,
    starts: 2,
    climb: 80,
};
const DENSE: Budget = Budget {
    random: 3000,
    grid: 1500,
    starts: 12,
    climb: 400,
};

struct Found {
    /// The largest admissible value (`-inf` when no admissible point was seen).
    best: f64,
    best_pt: Vec<Vec<f64>>,
    /// Every admissible value seen before climbing (for spreads and quantiles).
    values: Vec<f64>,
    points: usize,
}

fn value_at(s: &dyn Sampled, u: &[f64]) -> f64 {
    let (p, v) = s.eval(&s.decode(u));
    if p <= PREMISE_OK {
        v
    } else {
        f64::NEG_INFINITY
    }
}

/// Pattern search from `u` (coordinate steps, halved when nothing improves).
fn climb(s: &dyn Sampled, mut u: Vec<f64>, mut best: f64, budget: usize) -> (Vec<f64>, f64) {
    let mut step = 0.125;
    let mut evals = 0;
    while step > 1e-7 && evals < budget {
        let mut improved = false;
        for i in 0..u.len() {
            for d in [step, -step] {
                let mut v = u.clone();
                v[i] = (v[i] + d).clamp(0.0, 1.0);
                if v[i] == u[i] {
                    continue;
                }
                let val = value_at(s, &v);
                evals += 1;
                if val > best {
                    best = val;
                    u = v;
                    improved = true;
                    break;
                }
            }
        }
        if !improved {
            step *= 0.5;
        }
    }
    (u, best)
}

/// Corners, a grid, random points (some pushed to faces), then hill climbing from the
/// best few.
fn search(s: &dyn Sampled, rng: &mut ChaCha8Rng, b: Budget) -> Found {
    let k = s.dims();
    let mut cands: Vec<Vec<f64>> = Vec::new();
    if k <= 10 {
        for mask in 0..(1usize << k) {
            cands.push((0..k).map(|i| ((mask >> i) & 1) as f64).collect());
        }
    }
    let levels = (b.grid as f64).powf(1.0 / k as f64).floor() as usize;
    if levels >= 3 {
        let total = levels.pow(k as u32);
        for idx in 0..total {
            let mut r = idx;
            let u = (0..k)
                .map(|_| {
                    let l = r % levels;
                    r /= levels;
                    l as f64 / (levels - 1) as f64
                })
                .collect();
            cands.push(u);
        }
    }
    for _ in 0..b.random {
        let u = (0..k)
            .map(|_| {
                let r: f64 = rng.random();
                if r < 0.1 {
                    0.0
                } else if r < 0.2 {
                    1.0
                } else {
                    rng.random()
                }
            })
            .collect();
        cands.push(u);
    }
    let mut scored: Vec<(f64, Vec<f64>)> =
        cands.into_iter().map(|u| (value_at(s, &u), u)).collect();
    let points = scored.len();
    let values: Vec<f64> = scored
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| v.is_finite())
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut best = f64::NEG_INFINITY;
    let mut best_u: Vec<f64> = vec![0.0; k];
    for (v, u) in scored.into_iter().take(b.starts) {
        if !v.is_finite() {
            continue;
        }
        let (u, v) = climb(s, u, v, b.climb);
        if v > best {
            best = v;
            best_u = u;
        }
    }
    Found {
        best,
        best_pt: s.decode(&best_u),
        values,
        points,
    }
}

fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

