// Part of the soundness suite (`main.rs`), included textually: the property families and their generator.

// ----------------------------------------------------------------------------------
// Properties

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Family {
    /// `forall x in box. f(x)[o] <= t`
    BoundLe,
    /// `forall x in box. f(x)[o] >= -t`
    BoundGe,
    /// `forall x in box. f(x)[o] >= f(x)[j] - t`
    Compare,
    /// `std.robustness.local(f, center, o, eps)` (strict: a tie violates)
    Local,
    /// `std.relations.monotone(f, box, i, o)` (or `antitone` when `down`) on a network
    /// built monotone in `x[i]`, half of them then broken by a weight of the wrong sign
    MonotoneStd,
    /// written out: `x[i] <= y[i] and x[k] == y[k] (k != i) => f(x)[o] <= f(y)[o] + t`
    /// (`f(x)[o] >= f(y)[o] - t` when `down`), in the direction that is violated
    MonotoneSlack,
    /// `norm_inf(x - y) <= d => abs(f(x)[o] - f(y)[o]) <= t`
    Global,
    /// `std.fairness.individual(f, box, [i], o, t)`
    Fairness,
    /// `std.compare.equivalent(f, g, box, t)`, `g` a perturbed copy of `f`
    Equivalent,
    /// `forall x in box. g(x)[0] >= a => f(x)[0] >= -t`, `g` a perturbed copy of `f`
    Implies,
}

const FAMILIES: [Family; 10] = [
    Family::BoundLe,
    Family::Global,
    Family::Compare,
    Family::MonotoneStd,
    Family::Local,
    Family::Equivalent,
    Family::MonotoneSlack,
    Family::Implies,
    Family::BoundGe,
    Family::Fairness,
];

/// One property instance: what the test knows about it, independently of the IR.
/// Its violation measure is `score - t`: positive is a violation (zero too for the
/// strict `Local`), and it is on the scale of the goal atoms, so `holds` allows it up
/// to `TOL`.
#[derive(Clone, Debug)]
struct Prop {
    family: Family,
    /// `("f", ..)` and, for two-network families, `("g", ..)`.
    nets: Vec<(&'static str, Mlp)>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    /// The output (the class `c` for `Local`).
    o: usize,
    /// `Compare`: the other output.
    j: usize,
    /// `MonotoneStd`, `MonotoneSlack`: the input that grows; `Fairness`: the sensitive one.
    i: usize,
    /// `MonotoneStd`, `MonotoneSlack`: the property says non-increasing.
    down: bool,
    /// `Global`: the input distance.
    d: f64,
    /// `Implies`: the premise threshold on `g(x)[0]`.
    a: f64,
    /// `Local`: the center and radius (`lo`, `hi` are `center -+ eps`).
    center: Vec<f64>,
    eps: f64,
    t: f64,
    /// Where the score reached the estimate the threshold was chosen from (checked
    /// again against `holds`).
    known: Vec<Vec<f64>>,
}

impl Prop {
    fn n(&self) -> usize {
        self.lo.len()
    }

    fn net(&self, name: &str) -> &Mlp {
        &self
            .nets
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("no network `{name}`"))
            .1
    }

    fn vars(&self) -> &'static [&'static str] {
        match self.family {
            Family::MonotoneStd | Family::MonotoneSlack | Family::Global | Family::Fairness => {
                &["x", "y"]
            }
            _ => &["x"],
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        match self.family {
            Family::Local => s.push_str("import std.robustness\n"),
            Family::MonotoneStd => s.push_str("import std.relations\n"),
            Family::Fairness => s.push_str("import std.fairness\n"),
            Family::Equivalent => s.push_str("import std.compare\n"),
            _ => {}
        }
        for (name, m) in &self.nets {
            let _ = writeln!(
                s,
                "network {name} : Real[{}] -> Real[{}]",
                m.inputs(),
                m.outputs()
            );
        }
        let dom = format!("box({}, {})", vec_lit(&self.lo), vec_lit(&self.hi));
        let (o, j, i, t) = (self.o, self.j, self.i, self.t);
        let body = match self.family {
            Family::BoundLe => format!("forall x in {dom}. f(x)[{o}] <= {}", num(t)),
            Family::BoundGe => format!("forall x in {dom}. f(x)[{o}] >= {}", num(-t)),
            Family::Compare => format!("forall x in {dom}. f(x)[{o}] >= f(x)[{j}] {}", plus(-t)),
            Family::Local => format!(
                "local(f, {}, {o}, {})",
                vec_lit(&self.center),
                num(self.eps)
            ),
            Family::MonotoneStd if self.down => format!("antitone(f, {dom}, {i}, {o})"),
            Family::MonotoneStd => format!("monotone(f, {dom}, {i}, {o})"),
            Family::MonotoneSlack => format!(
                "forall x, y in {dom}.\n    x[{i}] <= y[{i}] and (forall k in 0..{} where k != {i}. x[k] == y[k])\n      => {}",
                self.n(),
                if self.down {
                    format!("f(x)[{o}] >= f(y)[{o}] {}", plus(-t))
                } else {
                    format!("f(x)[{o}] <= f(y)[{o}] {}", plus(t))
                }
            ),
            Family::Global => format!(
                "forall x, y in {dom}.\n    norm_inf(x - y) <= {} => abs(f(x)[{o}] - f(y)[{o}]) <= {}",
                num(self.d),
                num(t)
            ),
            Family::Fairness => format!("individual(f, {dom}, [{i}], {o}, {})", num(t)),
            Family::Equivalent => format!("equivalent(f, g, {dom}, {})", num(t)),
            Family::Implies => format!(
                "forall x in {dom}. g(x)[0] >= {} => f(x)[0] >= {}",
                num(self.a),
                num(-t)
            ),
        };
        let _ = writeln!(s, "property p =\n  {body}");
        s
    }
}

impl Sampled for Prop {
    fn dims(&self) -> usize {
        let n = self.n();
        match self.family {
            Family::MonotoneStd | Family::MonotoneSlack | Family::Fairness => n + 1,
            Family::Global => 2 * n,
            _ => n,
        }
    }

    fn decode(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let n = self.n();
        let x: Vec<f64> = (0..n).map(|k| lerp(self.lo[k], self.hi[k], u[k])).collect();
        match self.family {
            Family::MonotoneStd | Family::MonotoneSlack => {
                let mut y = x.clone();
                y[self.i] = lerp(x[self.i], self.hi[self.i], u[n]);
                vec![x, y]
            }
            Family::Fairness => {
                let mut y = x.clone();
                y[self.i] = lerp(self.lo[self.i], self.hi[self.i], u[n]);
                vec![x, y]
            }
            Family::Global => {
                let y = (0..n)
                    .map(|k| {
                        let v = x[k] + self.d * (2.0 * u[n + k] - 1.0);
                        v.clamp(self.lo[k], self.hi[k])
                    })
                    .collect();
                vec![x, y]
            }
            _ => vec![x],
        }
    }

    /// `(premise slack, violation)` from the test's own evaluation.
    fn eval(&self, pt: &[Vec<f64>]) -> (f64, f64) {
        let x = &pt[0];
        let f = self.net("f");
        let mut prem = box_slack(x, &self.lo, &self.hi);
        let (o, j, i) = (self.o, self.j, self.i);
        let score = match self.family {
            Family::BoundLe => f.eval(x)[o],
            Family::BoundGe => -f.eval(x)[o],
            Family::Compare => {
                let fx = f.eval(x);
                fx[j] - fx[o]
            }
            Family::Local => {
                let fx = f.eval(x);
                (0..fx.len())
                    .filter(|k| *k != o)
                    .map(|k| fx[k] - fx[o])
                    .fold(f64::NEG_INFINITY, f64::max)
            }
            Family::MonotoneStd | Family::MonotoneSlack => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                prem = prem.max(x[i] - y[i]);
                for k in (0..self.n()).filter(|k| *k != i) {
                    prem = prem.max((x[k] - y[k]).abs());
                }
                let diff = f.eval(x)[o] - f.eval(y)[o];
                if self.down { -diff } else { diff }
            }
            Family::Fairness => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                for k in (0..self.n()).filter(|k| *k != i) {
                    prem = prem.max((x[k] - y[k]).abs());
                }
                (f.eval(x)[o] - f.eval(y)[o]).abs()
            }
            Family::Global => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                prem = prem.max(norm_inf_diff(x, y) - self.d);
                (f.eval(x)[o] - f.eval(y)[o]).abs()
            }
            Family::Equivalent => norm_inf_diff(&f.eval(x), &self.net("g").eval(x)),
            Family::Implies => {
                prem = prem.max(self.a - self.net("g").eval(x)[0]);
                -f.eval(x)[0]
            }
        };
        (prem, score - self.t)
    }
}

/// A threshold near the estimated optimum `est` of the score: a little above (likely
/// holds) or a little below (violated, sometimes barely) at random. `nonneg`: the
/// score is `>= 0` somewhere for sure (an `abs`, or `x = y`), keep `t >= 0`.
///
/// A quarter of the thresholds are within `2e-7` to `3e-5` of `est`, printed exactly:
/// `est` is attained at a known point, so below it the property is violated by
/// exactly that much there, on either side of the `TOL = 1e-6` that `holds` allows.
fn pick_threshold(rng: &mut ChaCha8Rng, est: f64, spread: f64, nonneg: bool) -> f64 {
    let below = rng.random_bool(0.5);
    if rng.random_bool(0.25) {
        let delta = 10f64.powf(rng.random_range(-6.7..-4.5));
        let t = if below { est - delta } else { est + delta };
        if !nonneg || t >= 0.0 {
            return t;
        }
    }
    let delta = spread.max(1e-3) * 10f64.powf(rng.random_range(-3.5..-1.0));
    let mut t = if below { est - delta } else { est + delta };
    if nonneg && t < 0.0 {
        t = if est > 0.0 { est * 0.5 } else { delta };
    }
    sig6(t)
}

fn case_rng(seed: u64, case: usize, stream: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(
        seed ^ (case as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03),
    )
}

fn gen_prop(seed: u64, case: usize) -> Prop {
    let family = FAMILIES[case % FAMILIES.len()];
    let mut rng = case_rng(seed, case, 1);
    let n = rng.random_range(1..=4usize);
    let needs_two = matches!(family, Family::Compare | Family::Local);
    let m = rng.random_range(if needs_two { 2 } else { 1 }..=3usize);
    let (lo, hi) = random_box(&mut rng, n);
    let i = rng.random_range(0..n);
    let o = rng.random_range(0..m);
    let j = (o + rng.random_range(1..m.max(2))) % m;
    let down = rng.random_bool(0.5);
    let f = match family {
        Family::MonotoneStd => {
            let mut f = random_mlp(&mut rng, n, m, Some(i));
            if down {
                for row in &mut f.layers[0].w {
                    row[i] = -row[i];
                }
            }
            f
        }
        _ => random_mlp(&mut rng, n, m, None),
    };
    let mut nets = vec![("f", f.clone())];
    if matches!(family, Family::Equivalent | Family::Implies) {
        let sigma = log_uniform(&mut rng, 0.01, 0.3);
        nets.push(("g", perturb(&mut rng, &f, sigma)));
    }
    let mut p = Prop {
        family,
        nets,
        lo,
        hi,
        o,
        j,
        i,
        down,
        d: r3(rng.random_range(0.02..0.3)),
        a: 0.0,
        center: Vec::new(),
        eps: 0.0,
        t: 0.0,
        known: Vec::new(),
    };
    match family {
        Family::MonotoneStd => {
            if rng.random_bool(0.5) {
                break_monotone(&mut rng, &mut p);
            }
        }
        Family::Local => choose_local(&mut rng, &mut p),
        _ => {
            if family == Family::Implies {
                let g = p.net("g").clone();
                let vals: Vec<f64> = (0..200)
                    .map(|_| {
                        let x: Vec<f64> = (0..n)
                            .map(|k| lerp(p.lo[k], p.hi[k], rng.random()))
                            .collect();
                        g.eval(&x)[0]
                    })
                    .collect();
                // Rounded down, so the premise region is not empty.
                let q = quantile(&vals, rng.random_range(0.2..0.8));
                p.a = (q * 1e6).floor() / 1e6;
            }
            if family == Family::MonotoneSlack {
                // The direction in which the network is not monotone (if any).
                let up = search(&p, &mut rng, ESTIMATE).best;
                p.down = true;
                let down = search(&p, &mut rng, ESTIMATE).best;
                p.down = down > up;
            }
            let est = search(&p, &mut rng, ESTIMATE);
            let spread = quantile(&est.values, 0.9) - quantile(&est.values, 0.1);
            let nonneg = matches!(
                family,
                Family::MonotoneSlack | Family::Global | Family::Fairness | Family::Equivalent
            );
            let best = if est.best.is_finite() { est.best } else { 0.0 };
            p.t = pick_threshold(&mut rng, best, spread, nonneg);
            p.known = est.best_pt;
        }
    }
    p
}

/// `MonotoneStd`: flip a weight on a path from `x[i]` to the wrong sign (and make it
/// larger), until sampling sees a violation (at most a few tries).
fn break_monotone(rng: &mut ChaCha8Rng, p: &mut Prop) {
    let i = p.i;
    let original = p.nets[0].1.clone();
    for _ in 0..8 {
        let mut f = original.clone();
        let k = rng.random_range(0..f.layers.len());
        let layer = &mut f.layers[k];
        let row = rng.random_range(0..layer.w.len());
        let col = if k == 0 {
            i
        } else {
            rng.random_range(0..layer.w[row].len())
        };
        layer.w[row][col] = -2.0 * layer.w[row][col] - layer.w[row][col].signum() * 0.1;
        p.nets[0].1 = f;
        if search(p, rng, LIGHT).best > 1e-4 {
            return;
        }
    }
}

/// `Local`: a center whose class wins there, and a radius near the (sampled)
/// robustness radius, found by bisection.
fn choose_local(rng: &mut ChaCha8Rng, p: &mut Prop) {
    let n = p.n();
    let (lo, hi) = (p.lo.clone(), p.hi.clone());
    // Center the outputs on the box, so that no class wins everywhere (plus a small
    // offset per class: where every ReLU is off, exact ties would be uninteresting).
    let mut f = p.net("f").clone();
    let samples: Vec<Vec<f64>> = (0..200)
        .map(|_| {
            let x: Vec<f64> = (0..n).map(|k| lerp(lo[k], hi[k], rng.random())).collect();
            f.eval(&x)
        })
        .collect();
    let shift: Vec<f64> = (0..f.outputs())
        .map(|k| {
            let col: Vec<f64> = samples.iter().map(|v| v[k]).collect();
            let spread = quantile(&col, 0.9) - quantile(&col, 0.1);
            quantile(&col, 0.5) + rng.random_range(-0.2..0.2) * spread.max(0.05)
        })
        .collect();
    if let Some(last) = f.layers.last_mut() {
        for (b, m) in last.b.iter_mut().zip(&shift) {
            *b -= m;
        }
    }
    p.nets[0].1 = f.clone();
    let set_eps = |p: &mut Prop, eps: f64| {
        p.eps = eps;
        p.lo = p.center.iter().map(|c| c - eps).collect();
        p.hi = p.center.iter().map(|c| c + eps).collect();
    };
    const MAX_EPS: f64 = 4.0;
    // A center whose class wins there, preferably close to a decision boundary (so
    // the radius is finite), but not on it.
    let mut centers: Vec<(f64, Vec<f64>, usize)> = (0..60)
        .filter_map(|_| {
            let x: Vec<f64> = (0..n)
                .map(|k| r3(lerp(lo[k], hi[k], rng.random())))
                .collect();
            let fx = f.eval(&x);
            let c = (0..fx.len()).max_by(|a, b| fx[*a].total_cmp(&fx[*b]))?;
            let gap = (0..fx.len())
                .filter(|k| *k != c)
                .map(|k| fx[c] - fx[k])
                .fold(f64::INFINITY, f64::min);
            (gap > 1e-3).then_some((gap, x, c))
        })
        .collect();
    centers.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pick = rng.random_range(0..centers.len().div_ceil(3).max(1));
    let (_, center, c) = centers.get(pick).cloned().unwrap_or((0.0, p.lo.clone(), 0));
    p.center = center;
    p.o = c;
    set_eps(p, MAX_EPS);
    if search(p, rng, LIGHT).best < 0.0 {
        // Robust on the whole ball as far as sampling sees: keep it.
        let eps = sig6(rng.random_range(0.5..MAX_EPS));
        set_eps(p, eps);
        return;
    }
    let (mut good, mut bad) = (0.0, MAX_EPS);
    for _ in 0..16 {
        let mid: f64 = 0.5 * (good + bad);
        set_eps(p, mid);
        let b = search(p, rng, LIGHT).best;
        if b < 0.0 {
            good = mid;
        } else {
            bad = mid;
        }
    }
    let r = 0.5 * (good + bad);
    let factor = 10f64.powf(rng.random_range(-2.5..-0.7));
    let eps = if rng.random_bool(0.5) {
        r * (1.0 + factor)
    } else {
        r * (1.0 - factor)
    };
    set_eps(p, sig6(eps.max(1e-4)));
}

