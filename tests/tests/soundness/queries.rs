// Part of the soundness suite (`main.rs`), included textually: the query families and their generator.

// ----------------------------------------------------------------------------------
// Queries

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum QFamily {
    /// `maximize f(x)[o] over x in box`
    MaxOut,
    /// `minimize f(x)[o] over x in box where x[i] >= w`
    MinOutWhere,
    /// `maximize abs(f(x)[o] - f(y)[o]) over x, y in box where norm_inf(x - y) <= d`
    MaxDiff,
    /// `maximize norm_inf(f(x) - g(x)) over x in box`, `g` a perturbed copy of `f`
    MaxGap,
}

const QFAMILIES: [QFamily; 4] = [
    QFamily::MaxOut,
    QFamily::MaxDiff,
    QFamily::MinOutWhere,
    QFamily::MaxGap,
];

#[derive(Clone, Debug)]
struct Query {
    family: QFamily,
    nets: Vec<(&'static str, Mlp)>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    o: usize,
    i: usize,
    w: f64,
    d: f64,
}

impl Query {
    fn maximize(&self) -> bool {
        self.family != QFamily::MinOutWhere
    }

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
        if self.family == QFamily::MaxDiff {
            &["x", "y"]
        } else {
            &["x"]
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        for (name, m) in &self.nets {
            let _ = writeln!(
                s,
                "network {name} : Real[{}] -> Real[{}]",
                m.inputs(),
                m.outputs()
            );
        }
        let dom = format!("box({}, {})", vec_lit(&self.lo), vec_lit(&self.hi));
        let o = self.o;
        let body = match self.family {
            QFamily::MaxOut => format!("maximize f(x)[{o}] over x in {dom}"),
            QFamily::MinOutWhere => format!(
                "minimize f(x)[{o}] over x in {dom} where x[{}] >= {}",
                self.i,
                num(self.w)
            ),
            QFamily::MaxDiff => format!(
                "maximize abs(f(x)[{o}] - f(y)[{o}]) over x, y in {dom} where norm_inf(x - y) <= {}",
                num(self.d)
            ),
            QFamily::MaxGap => format!("maximize norm_inf(f(x) - g(x)) over x in {dom}"),
        };
        let _ = writeln!(s, "query q =\n  {body}");
        s
    }

    /// `(premise slack, objective)`.
    fn objective(&self, pt: &[Vec<f64>]) -> (f64, f64) {
        let x = &pt[0];
        let f = self.net("f");
        let mut prem = box_slack(x, &self.lo, &self.hi);
        let v = match self.family {
            QFamily::MaxOut => f.eval(x)[self.o],
            QFamily::MinOutWhere => {
                prem = prem.max(self.w - x[self.i]);
                f.eval(x)[self.o]
            }
            QFamily::MaxDiff => {
                let y = &pt[1];
                prem = prem.max(box_slack(y, &self.lo, &self.hi));
                prem = prem.max(norm_inf_diff(x, y) - self.d);
                (f.eval(x)[self.o] - f.eval(y)[self.o]).abs()
            }
            QFamily::MaxGap => norm_inf_diff(&f.eval(x), &self.net("g").eval(x)),
        };
        (prem, v)
    }
}

impl Sampled for Query {
    fn dims(&self) -> usize {
        if self.family == QFamily::MaxDiff {
            2 * self.n()
        } else {
            self.n()
        }
    }

    fn decode(&self, u: &[f64]) -> Vec<Vec<f64>> {
        let n = self.n();
        let x: Vec<f64> = (0..n)
            .map(|k| {
                let lo = if self.family == QFamily::MinOutWhere && k == self.i {
                    self.w
                } else {
                    self.lo[k]
                };
                lerp(lo, self.hi[k], u[k])
            })
            .collect();
        if self.family == QFamily::MaxDiff {
            let y = (0..n)
                .map(|k| (x[k] + self.d * (2.0 * u[n + k] - 1.0)).clamp(self.lo[k], self.hi[k]))
                .collect();
            vec![x, y]
        } else {
            vec![x]
        }
    }

    /// The objective, negated when minimizing, so the search always maximizes.
    fn eval(&self, pt: &[Vec<f64>]) -> (f64, f64) {
        let (p, v) = self.objective(pt);
        (p, if self.maximize() { v } else { -v })
    }
}

fn gen_query(seed: u64, case: usize) -> Query {
    let family = QFAMILIES[case % QFAMILIES.len()];
    let mut rng = case_rng(seed, case, 2);
    let n = rng.random_range(1..=4usize);
    let m = rng.random_range(1..=3usize);
    let (lo, hi) = random_box(&mut rng, n);
    let f = random_mlp(&mut rng, n, m, None);
    let mut nets = vec![("f", f.clone())];
    if family == QFamily::MaxGap {
        let sigma = log_uniform(&mut rng, 0.01, 0.3);
        nets.push(("g", perturb(&mut rng, &f, sigma)));
    }
    let i = rng.random_range(0..n);
    let w = r3(lerp(lo[i], hi[i], rng.random_range(0.2..0.8)));
    Query {
        family,
        nets,
        o: rng.random_range(0..m),
        i,
        w,
        d: r3(rng.random_range(0.02..0.3)),
        lo,
        hi,
    }
}

