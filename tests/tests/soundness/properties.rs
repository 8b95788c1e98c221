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
    /// three variables, three applications to affine inputs (`concat`):
    /// `f(concat(a, b))[0] >= a' and f(concat(b, c))[0] >= a' => f(concat(a, c))[0] >= -t`;
    /// half of the networks are transitive by construction (`s(u) - s(v)`)
    Transitive,
    /// four applications, two of them to shifted inputs (`x + h`, `h` a constant vector):
    /// `forall x, y in box where x <= y. f(x + h)[o] - f(x)[o] <= f(y + h)[o] - f(y)[o] + t`;
    /// a third of the networks satisfy it by construction (see `increasing_differences_mlp`)
    IncDiff,
    /// `std.compare.implies(g, f, center, c, eps)`: a ball and a finite class quantifier,
    /// `g` a perturbed copy of `f`, the radius near the (sampled) critical one
    LocalImplies,
}

const FAMILIES: [Family; 13] = [
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
    Family::Transitive,
    Family::IncDiff,
    Family::LocalImplies,
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
    /// `Implies`: the premise threshold on `g(x)[0]`; `Transitive`: on the two
    /// premises' `f(concat(..))[0]`.
    a: f64,
    /// `IncDiff`: the shift `h`.
    shift: Vec<f64>,
    /// `Local`, `LocalImplies`: the center and radius (`lo`, `hi` are `center -+ eps`).
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
            Family::MonotoneStd
            | Family::MonotoneSlack
            | Family::Global
            | Family::Fairness
            | Family::IncDiff => &["x", "y"],
            Family::Transitive => &["a", "b", "c"],
            _ => &["x"],
        }
    }

    /// The inputs of the network applications at a point (`pt` in `vars()` order),
    /// computed here from the family's definition.
    fn app_inputs(&self, pt: &[Vec<f64>]) -> Vec<Vec<f64>> {
        match self.family {
            Family::Transitive => {
                let (a, b, c) = (&pt[0][..], &pt[1][..], &pt[2][..]);
                vec![[a, b].concat(), [b, c].concat(), [a, c].concat()]
            }
            Family::IncDiff => {
                let mut v = pt.to_vec();
                v.extend(pt.iter().map(|x| add(x, &self.shift)));
                v
            }
            _ => pt.to_vec(),
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        match self.family {
            Family::Local => s.push_str("import std.robustness\n"),
            Family::MonotoneStd => s.push_str("import std.relations\n"),
            Family::Fairness => s.push_str("import std.fairness\n"),
            Family::Equivalent | Family::LocalImplies => s.push_str("import std.compare\n"),
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
            Family::Transitive => format!(
                "forall a, b, c in {dom}.\n    f(concat(a, b))[0] >= {a} and f(concat(b, c))[0] >= {a}\n      => f(concat(a, c))[0] >= {}",
                num(-t),
                a = num(self.a)
            ),
            Family::IncDiff => format!(
                "forall x, y in {dom} where x <= y.\n    f(x + {h})[{o}] - f(x)[{o}] <= f(y + {h})[{o}] - f(y)[{o}] {}",
                plus(t),
                h = vec_lit(&self.shift)
            ),
            Family::LocalImplies => format!(
                "implies(g, f, {}, {o}, {})",
                vec_lit(&self.center),
                num(self.eps)
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
            Family::Global | Family::IncDiff => 2 * n,
            Family::Transitive => 3 * n,
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
            Family::IncDiff => {
                let y = (0..n).map(|k| lerp(x[k], self.hi[k], u[n + k])).collect();
                vec![x, y]
            }
            Family::Transitive => {
                let var = |v: usize| -> Vec<f64> {
                    (0..n)
                        .map(|k| lerp(self.lo[k], self.hi[k], u[v * n + k]))
                        .collect()
                };
                vec![x, var(1), var(2)]
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
            Family::Transitive => {
                let (b, c) = (&pt[1], &pt[2]);
                prem = prem.max(box_slack(b, &self.lo, &self.hi));
                prem = prem.max(box_slack(c, &self.lo, &self.hi));
                let pref = |u: &[f64], v: &[f64]| f.eval(&[u, v].concat())[0];
                prem = prem.max(self.a - pref(x, b));
                prem = prem.max(self.a - pref(b, c));
                -pref(x, c)
            }
            Family::IncDiff => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                for k in 0..self.n() {
                    prem = prem.max(x[k] - y[k]);
                }
                let step = |z: &[f64]| f.eval(&add(z, &self.shift))[o] - f.eval(z)[o];
                step(x) - step(y)
            }
            Family::LocalImplies => {
                let (fx, gx) = (f.eval(x), self.net("g").eval(x));
                (0..fx.len())
                    .filter(|k| *k != o)
                    .map(|k| (gx[o] - gx[k]) - (fx[o] - fx[k]))
                    .fold(f64::NEG_INFINITY, f64::max)
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
    gen_prop_of(FAMILIES[case % FAMILIES.len()], seed, case)
}

/// The instance of `family` for `(seed, case)`. The random draws depend on the family
/// and the case only, not on the position of the family in `FAMILIES`.
fn gen_prop_of(family: Family, seed: u64, case: usize) -> Prop {
    let mut rng = case_rng(seed, case, 1);
    let n = if family == Family::Transitive {
        // Three variables, and the network reads two side by side.
        rng.random_range(1..=2usize)
    } else {
        rng.random_range(1..=4usize)
    };
    let needs_two = matches!(
        family,
        Family::Compare | Family::Local | Family::LocalImplies
    );
    let m = rng.random_range(if needs_two { 2 } else { 1 }..=3usize);
    let (lo, hi) = random_box(&mut rng, n);
    let i = rng.random_range(0..n);
    let o = rng.random_range(0..m);
    let j = (o + rng.random_range(1..m.max(2))) % m;
    let down = rng.random_bool(0.5);
    // Relational families: is the network built to satisfy the property?
    let built = match family {
        Family::Transitive => rng.random_bool(0.5),
        Family::IncDiff => rng.random_bool(1.0 / 3.0),
        _ => false,
    };
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
        Family::Transitive if built => paired(&random_mlp(&mut rng, n, 1, None)),
        Family::Transitive => random_mlp(&mut rng, 2 * n, 1, None),
        Family::IncDiff if built => increasing_differences_mlp(&mut rng, n, m),
        _ => random_mlp(&mut rng, n, m, None),
    };
    // The shift of `IncDiff`: non-negative for the networks built to satisfy it.
    let shift: Vec<f64> = if family == Family::IncDiff {
        let lo = if built { 0.0 } else { -0.5 };
        let mut h: Vec<f64> = (0..n).map(|_| r3(rng.random_range(lo..0.5))).collect();
        if h.iter().all(|v| *v == 0.0) {
            h[0] = 0.1;
        }
        h
    } else {
        Vec::new()
    };
    let mut nets = vec![("f", f.clone())];
    if matches!(
        family,
        Family::Equivalent | Family::Implies | Family::LocalImplies
    ) {
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
        shift,
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
        Family::LocalImplies => choose_implies(&mut rng, &mut p),
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
            if family == Family::Transitive {
                p.o = 0;
                let f = p.net("f").clone();
                let vals: Vec<f64> = (0..200)
                    .map(|_| {
                        let uv: Vec<f64> = (0..2 * n)
                            .map(|k| lerp(p.lo[k % n], p.hi[k % n], rng.random()))
                            .collect();
                        f.eval(&uv)[0]
                    })
                    .collect();
                // Both premises hold together somewhere: rounded down, and not too high.
                let q = quantile(&vals, rng.random_range(0.3..0.7));
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
                Family::MonotoneSlack
                    | Family::Global
                    | Family::Fairness
                    | Family::Equivalent
                    | Family::IncDiff
            );
            let mut best = if est.best.is_finite() { est.best } else { 0.0 };
            if family == Family::IncDiff && best.abs() <= 1e-12 {
                // `x = y` scores exactly 0; a best of a few ulps is rounding (the
                // network is affine where sampled), not a distinct optimum.
                best = 0.0;
            }
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
    pick_radius(rng, p);
}

/// The radius of a ball around `p.center` near the largest one on which sampling sees
/// no violation (found by bisection), a little above or below at random; a random
/// large one when sampling sees none on the largest ball tried.
fn pick_radius(rng: &mut ChaCha8Rng, p: &mut Prop) {
    const MAX_EPS: f64 = 4.0;
    let set_eps = |p: &mut Prop, eps: f64| {
        p.eps = eps;
        p.lo = p.center.iter().map(|c| c - eps).collect();
        p.hi = p.center.iter().map(|c| c + eps).collect();
    };
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


/// `LocalImplies`: a center in the box, `f`'s class-`o` score moved so that at the
/// center `f`'s margins for `o` exceed `g`'s by a random amount (the property holds
/// there), and a radius near the critical one.
fn choose_implies(rng: &mut ChaCha8Rng, p: &mut Prop) {
    let n = p.n();
    let center: Vec<f64> = (0..n)
        .map(|k| r3(lerp(p.lo[k], p.hi[k], rng.random())))
        .collect();
    p.center = center.clone();
    p.eps = 0.0;
    p.lo = center.clone();
    p.hi = center.clone();
    let (_, at_center) = p.eval(std::slice::from_ref(&center));
    let margin = log_uniform(rng, 1e-3, 0.3);
    let o = p.o;
    if let Some(last) = p.nets[0].1.layers.last_mut() {
        last.b[o] += at_center + margin;
    }
    pick_radius(rng, p);
}

/// `Transitive`: the network `(u, v) -> s(u) - s(v)` for a one-output `s` (both halves
/// of every layer are `s`'s, block-diagonal; the output row is `[w, -w]`, bias 0). Its
/// `f(concat(a, b)) + f(concat(b, c)) = f(concat(a, c))`, so it is transitive for every
/// premise threshold `>= 0`.
fn paired(s: &Mlp) -> Mlp {
    let last = s.layers.len() - 1;
    let layers = s
        .layers
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let nin = l.w[0].len();
            if k == last {
                let row: Vec<f64> = l.w[0].iter().copied().chain(l.w[0].iter().map(|v| -v)).collect();
                return Layer {
                    w: vec![row],
                    b: vec![0.0],
                };
            }
            let mut w = Vec::new();
            for half in 0..2 {
                for row in &l.w {
                    let mut r = vec![0.0; 2 * nin];
                    r[half * nin..(half + 1) * nin].copy_from_slice(row);
                    w.push(r);
                }
            }
            Layer {
                w,
                b: [l.b.clone(), l.b.clone()].concat(),
            }
        })
        .collect();
    Mlp { layers }
}

/// `IncDiff`: one hidden layer, every weight `>= 0` (ReLU kinks inside the boxes used
/// here). With a shift `h >= 0` it has increasing differences: each term
/// `v relu(w.z + b)` with `v >= 0` adds `v (relu(w.x + b + w.h) - relu(w.x + b))`,
/// which does not decrease in `w.x + b` (a convex function's increments over a fixed
/// step `w.h >= 0`), and `w.x <= w.y` when `x <= y`, as `w >= 0`.
fn increasing_differences_mlp(rng: &mut ChaCha8Rng, n_in: usize, n_out: usize) -> Mlp {
    let width = rng.random_range(2..=8);
    let s = log_uniform(rng, 0.3, 3.0) / (n_in as f64).sqrt();
    let hidden = (0..width)
        .map(|_| {
            let w: Vec<f64> = (0..n_in).map(|_| rng.random_range(0.0..1.0) * s).collect();
            // The kink at a random point of [-1, 1]^n.
            let b = -w.iter().map(|v| v * rng.random_range(-1.0..1.0)).sum::<f64>();
            (w, b)
        })
        .collect::<Vec<_>>();
    let s2 = log_uniform(rng, 0.3, 3.0) / (width as f64).sqrt();
    let out = Layer {
        w: (0..n_out)
            .map(|_| (0..width).map(|_| rng.random_range(0.0..1.0) * s2).collect())
            .collect(),
        b: (0..n_out).map(|_| rng.random_range(-0.5..0.5)).collect(),
    };
    Mlp {
        layers: vec![
            Layer {
                w: hidden.iter().map(|(w, _)| w.clone()).collect(),
                b: hidden.iter().map(|(_, b)| *b).collect(),
            },
            out,
        ],
    }
}
