// Part of the soundness suite (`main.rs`), included textually: the random networks and the test's own evaluator.

// ----------------------------------------------------------------------------------
// Networks

/// A fully connected layer: `w[out][in]`, `b[out]`.
#[derive(Clone, Debug)]
struct Layer {
    w: Vec<Vec<f64>>,
    b: Vec<f64>,
}

/// A ReLU MLP: ReLU after every layer but the last.
#[derive(Clone, Debug)]
struct Mlp {
    layers: Vec<Layer>,
}

impl Mlp {
    fn inputs(&self) -> usize {
        self.layers[0].w[0].len()
    }

    fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.b.len())
    }

    fn relus(&self) -> usize {
        let hidden = self.layers.len() - 1;
        self.layers[..hidden].iter().map(|l| l.b.len()).sum()
    }

    /// The test's own evaluator (shares no code with `Network::eval`).
    fn eval(&self, x: &[f64]) -> Vec<f64> {
        let mut h = x.to_vec();
        for (k, l) in self.layers.iter().enumerate() {
            let mut y: Vec<f64> =
                l.w.iter()
                    .zip(&l.b)
                    .map(|(row, b)| row.iter().zip(&h).fold(*b, |s, (w, v)| s + w * v))
                    .collect();
            if k + 1 < self.layers.len() {
                for v in &mut y {
                    *v = v.max(0.0);
                }
            }
            h = y;
        }
        h
    }

    /// The runtime's `Network`: Linear (+ Relu) nodes, weights `[in, out]` row-major.
    fn network(&self, name: &str) -> Network {
        let mut nodes = Vec::new();
        let mut cur = 0;
        for (k, l) in self.layers.iter().enumerate() {
            let (nout, nin) = (l.w.len(), l.w[0].len());
            let mut weight = vec![0.0; nin * nout];
            for (j, row) in l.w.iter().enumerate() {
                for (i, v) in row.iter().enumerate() {
                    weight[i * nout + j] = *v;
                }
            }
            nodes.push(Node {
                name: format!("fc{k}"),
                op: Op::Linear {
                    input: cur,
                    weight,
                    bias: Some(l.b.clone()),
                    in_features: nin,
                    out_features: nout,
                },
                shape: vec![nout],
            });
            cur = nodes.len();
            if k + 1 < self.layers.len() {
                nodes.push(Node {
                    name: format!("relu{k}"),
                    op: Op::Relu { input: cur },
                    shape: vec![nout],
                });
                cur = nodes.len();
            }
        }
        Network {
            source: name.to_string(),
            input_shape: vec![self.inputs()],
            nodes,
        }
    }
}

fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (rng.random_range(lo.ln()..hi.ln())).exp()
}

/// A random MLP. `mono = Some(i)`: every path from input `i` has non-negative weights
/// (so the network is non-decreasing in `x[i]`), before the caller perhaps breaks it.
fn random_mlp(rng: &mut ChaCha8Rng, n_in: usize, n_out: usize, mono: Option<usize>) -> Mlp {
    let depth = rng.random_range(1..=2);
    let mut widths = vec![n_in];
    for _ in 0..depth {
        widths.push(rng.random_range(2..=8));
    }
    widths.push(n_out);
    let scale = log_uniform(rng, 0.3, 3.0);
    let layers = widths
        .windows(2)
        .enumerate()
        .map(|(k, wd)| {
            let (nin, nout) = (wd[0], wd[1]);
            let s = scale * log_uniform(rng, 0.5, 2.0) / (nin as f64).sqrt();
            let w: Vec<Vec<f64>> = (0..nout)
                .map(|_| {
                    (0..nin)
                        .map(|i| {
                            let v = rng.random_range(-1.0..1.0) * s;
                            match mono {
                                Some(m) if k > 0 || i == m => v.abs(),
                                _ => v,
                            }
                        })
                        .collect()
                })
                .collect();
            // Typical pre-activation size on the boxes used here (|x| <= 2).
            let reach = s * nin as f64;
            let b = (0..nout)
                .map(|_| {
                    let r: f64 = rng.random();
                    if r < 0.15 {
                        reach * rng.random_range(1.0..2.5) // stably active (mostly)
                    } else if r < 0.3 {
                        -reach * rng.random_range(1.0..2.5) // stably inactive (mostly)
                    } else {
                        reach * rng.random_range(-0.5..0.5)
                    }
                })
                .collect();
            Layer { w, b }
        })
        .collect();
    Mlp { layers }
}

/// `m` with every weight and bias moved by a relative amount of about `sigma`.
fn perturb(rng: &mut ChaCha8Rng, m: &Mlp, sigma: f64) -> Mlp {
    let mut jiggle = |v: f64| v + rng.random_range(-1.0..1.0) * sigma * (v.abs() + 0.1);
    Mlp {
        layers: m
            .layers
            .iter()
            .map(|l| Layer {
                w: l.w
                    .iter()
                    .map(|row| row.iter().map(|v| jiggle(*v)).collect())
                    .collect(),
                b: l.b.iter().map(|v| jiggle(*v)).collect(),
            })
            .collect(),
    }
}

/// A box of side 0.1 to 1.5 somewhere in [-1, 2], bounds with 3 decimals.
fn random_box(rng: &mut ChaCha8Rng, n: usize) -> (Vec<f64>, Vec<f64>) {
    let lo: Vec<f64> = (0..n).map(|_| r3(rng.random_range(-1.0..0.5))).collect();
    let hi = lo
        .iter()
        .map(|l| r3(l + rng.random_range(0.1..1.5)))
        .collect();
    (lo, hi)
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// `x` rounded to 6 significant digits (so the spec text is short and exact).
fn sig6(x: f64) -> f64 {
    format!("{x:.5e}").parse().expect("a float")
}

/// A real literal of the language: Rust's shortest round-trip decimal, with a dot.
fn num(x: f64) -> String {
    let s = format!("{x}");
    if s.contains('.') { s } else { format!("{s}.0") }
}

/// `+ c` or `- |c|`.
fn plus(c: f64) -> String {
    if c < 0.0 {
        format!("- {}", num(-c))
    } else {
        format!("+ {}", num(c))
    }
}

fn vec_lit(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| num(*x)).collect();
    format!("[{}]", items.join(", "))
}

/// `u` in [0, 1] mapped to [a, b], exactly `a` and `b` at the ends.
fn lerp(a: f64, b: f64, u: f64) -> f64 {
    if u <= 0.0 {
        a
    } else if u >= 1.0 {
        b
    } else {
        (a + (b - a) * u).clamp(a, b)
    }
}

/// How far `x` is outside `[lo, hi]` (<= 0 inside).
fn box_slack(x: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
    x.iter()
        .zip(lo.iter().zip(hi))
        .map(|(v, (l, h))| (l - v).max(v - h))
        .fold(f64::NEG_INFINITY, f64::max)
}

/// `a + b`, elementwise.
fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn norm_inf_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

