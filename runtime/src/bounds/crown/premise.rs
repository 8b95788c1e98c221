//! Linear constraints on the input of a backward pass beyond its box: the premise's
//! atoms over the IR variables (`x[i] <= y[i]`, `norm_inf(x - y) <= delta`, ...), which
//! relate the inputs of several network applications.
//!
//! Takes: constraints `lo_k <= g_k · x <= hi_k` (from [`InputConstraints::from_premise`]
//! or pushed one by one) and, per bound, the input coefficients `a` of a linear lower
//! bound with its constant and error.
//! Gives: a sound lower bound of `min a · x` over the box intersected with the
//! constraints ([`InputConstraints::concretize`]), by Lagrangian relaxation: for any
//! multipliers `t_k`, `a · x = (a - Σ t_k g_k) · x + Σ t_k g_k · x`, and the last term
//! is at least `t_k lo_k` (`t_k >= 0`) or `t_k hi_k` (`t_k <= 0`). The multipliers are
//! chosen by two sweeps of exact one-dimensional maximization (the dual function is
//! concave and piecewise linear in each `t_k`, with kinks where a coefficient of the
//! residual changes sign); with one constraint direction per group of variables, as
//! in monotonicity and global robustness, that is the exact minimum over the
//! polytope.
//! Invariant: the multipliers only choose which valid inequality is used: the final
//! bound recomputes the residual in f64 with an error term for its rounding, so it is
//! sound whatever the search did, and never below the plain box bound.

use super::concretize;
use crate::bounds::{Interval, down, sum_error};
use propc_compiler::ir::{EQ_TOLERANCE, Problem, Ref, Rel};

/// `lo <= Σ coef · x[var] <= hi` in real arithmetic.
#[derive(Clone, Debug, PartialEq)]
struct Group {
    terms: Vec<(usize, f64)>,
    lo: f64,
    hi: f64,
}

/// Linear constraints on an input vector, grouped by direction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputConstraints {
    groups: Vec<Group>,
}

impl InputConstraints {
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Adds `lo <= Σ coef · x[var] <= hi`; a constraint along a direction already
    /// present (up to sign) narrows that range instead.
    pub fn push(&mut self, mut terms: Vec<(usize, f64)>, lo: f64, hi: f64) {
        terms.retain(|(_, c)| *c != 0.0);
        terms.sort_by_key(|t| t.0);
        if terms.is_empty()
            || terms.iter().any(|(_, c)| !c.is_finite())
            || lo.is_nan()
            || hi.is_nan()
        {
            return;
        }
        // One sign per direction: the first coefficient positive (negation is exact).
        let (terms, lo, hi) = if terms[0].1 < 0.0 {
            (terms.into_iter().map(|(j, c)| (j, -c)).collect(), -hi, -lo)
        } else {
            (terms, lo, hi)
        };
        match self.groups.iter_mut().find(|g| g.terms == terms) {
            Some(g) => {
                g.lo = g.lo.max(lo);
                g.hi = g.hi.min(hi);
            }
            None => self.groups.push(Group { terms, lo, hi }),
        }
    }

    /// The premise's atoms that read only variables (`Eq` atoms with the tolerance
    /// the concrete check allows).
    pub fn from_premise(problem: &Problem) -> InputConstraints {
        let mut out = InputConstraints::default();
        for a in &problem.premise {
            let mut terms = Vec::with_capacity(a.expr.terms.len());
            let mut var_only = true;
            for (r, c) in &a.expr.terms {
                match *r {
                    Ref::Var(i) => terms.push((i, *c)),
                    Ref::Out { .. } => var_only = false,
                }
            }
            if !var_only {
                continue;
            }
            let rhs = -a.expr.constant;
            match a.rel {
                Rel::Le | Rel::Lt => out.push(terms, f64::NEG_INFINITY, rhs),
                Rel::Eq => out.push(
                    terms,
                    (rhs - EQ_TOLERANCE).next_down(),
                    (rhs + EQ_TOLERANCE).next_up(),
                ),
            }
        }
        out
    }

    /// The penalty `min(t lo, t hi)` of multiplier `t` (`-inf` where that side is open).
    fn penalty(g: &Group, t: f64) -> f64 {
        if t > 0.0 {
            t * g.lo
        } else if t < 0.0 {
            t * g.hi
        } else {
            0.0
        }
    }

    /// A sound lower bound of `a · x + bias - err` over `x` in the box and the
    /// constraints (see the module doc); `-inf` on NaN.
    pub fn concretize(&self, a: &[f64], x: &Interval, bias: f64, err: f64) -> f64 {
        let plain = concretize(a, x, bias, err);
        if self.groups.is_empty() || a.len() != x.len() {
            return plain;
        }
        let in_range = |j: usize| j < a.len();
        if self
            .groups
            .iter()
            .any(|g| g.terms.iter().any(|(j, _)| !in_range(*j)))
        {
            return plain;
        }
        // Search: coordinate ascent on the multipliers (plain f64, not trusted).
        let mut t = vec![0.0; self.groups.len()];
        let mut r = a.to_vec();
        for _sweep in 0..2 {
            for (k, g) in self.groups.iter().enumerate() {
                for (j, c) in &g.terms {
                    r[*j] += t[k] * c;
                }
                let phi = |tk: f64| -> f64 {
                    let mut s = Self::penalty(g, tk);
                    for (j, c) in &g.terms {
                        let rj = r[*j] - tk * c;
                        s += (rj * x.lo[*j]).min(rj * x.hi[*j]);
                    }
                    if s.is_nan() { f64::NEG_INFINITY } else { s }
                };
                let mut best = (0.0, phi(0.0));
                for (j, c) in &g.terms {
                    let cand = r[*j] / c;
                    let allowed = cand.is_finite()
                        && !(cand > 0.0 && g.lo == f64::NEG_INFINITY)
                        && !(cand < 0.0 && g.hi == f64::INFINITY);
                    if allowed {
                        let v = phi(cand);
                        if v > best.1 {
                            best = (cand, v);
                        }
                    }
                }
                t[k] = best.0;
                for (j, c) in &g.terms {
                    r[*j] -= t[k] * c;
                }
            }
        }
        if t.iter().all(|v| *v == 0.0) {
            return plain;
        }
        // Sound evaluation: the residual recomputed from `a`, with its rounding error.
        let mut res = a.to_vec();
        let mut mag: Vec<f64> = a.iter().map(|v| v.abs()).collect();
        let mut count = vec![0usize; a.len()];
        for (g, tk) in self.groups.iter().zip(&t) {
            if *tk == 0.0 {
                continue;
            }
            for (j, c) in &g.terms {
                let p = tk * c;
                res[*j] -= p;
                mag[*j] += p.abs();
                count[*j] += 1;
            }
        }
        let mut extra = 0.0;
        for j in 0..a.len() {
            if count[j] > 0 {
                let h = x.lo[j].abs().max(x.hi[j].abs());
                extra += sum_error(count[j] + 1, mag[j]) * h;
            }
        }
        let (mut pen, mut pmag, mut n) = (0.0, 0.0, 0usize);
        for (g, tk) in self.groups.iter().zip(&t) {
            if *tk != 0.0 {
                let p = Self::penalty(g, *tk);
                pen += p;
                pmag += p.abs();
                n += 1;
            }
        }
        let pen = down(pen, sum_error(n, pmag));
        let base = concretize(&res, x, bias, err + extra);
        let v = (base + pen).next_down();
        if v.is_nan() { plain } else { v.max(plain) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force over a fine grid of the 2-D polytope.
    type Constraint = (Vec<(usize, f64)>, f64, f64);

    fn grid_min(a: &[f64], x: &Interval, cons: &[Constraint]) -> f64 {
        let mut best = f64::INFINITY;
        let steps = 400;
        for i in 0..=steps {
            for k in 0..=steps {
                let p = [
                    x.lo[0] + (x.hi[0] - x.lo[0]) * i as f64 / steps as f64,
                    x.lo[1] + (x.hi[1] - x.lo[1]) * k as f64 / steps as f64,
                ];
                let ok = cons.iter().all(|(t, lo, hi)| {
                    let v: f64 = t.iter().map(|(j, c)| c * p[*j]).sum();
                    *lo - 1e-12 <= v && v <= *hi + 1e-12
                });
                if ok {
                    best = best.min(a[0] * p[0] + a[1] * p[1]);
                }
            }
        }
        best
    }

    #[test]
    fn lagrangian_bound_is_sound_and_exact_for_one_direction() {
        let x = Interval::new(vec![-1.0, -1.0], vec![2.0, 1.5]);
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        for _ in 0..200 {
            let a = [next(), next()];
            let g = vec![(0usize, 1.0), (1usize, -1.0)];
            let (lo, hi) = if next() > 0.0 {
                (f64::NEG_INFINITY, 0.0)
            } else {
                (-0.3, 0.3)
            };
            let mut ic = InputConstraints::default();
            ic.push(g.clone(), lo, hi);
            let bound = ic.concretize(&a, &x, 0.0, 0.0);
            let exact = grid_min(&a, &x, &[(g, lo, hi)]);
            assert!(bound <= exact + 1e-12, "unsound: {bound} > {exact}");
            // The grid's minimum is at a vertex on the grid here, so exactness shows.
            assert!(bound >= exact - 1e-2, "loose: {bound} vs {exact}");
            assert!(bound >= concretize(&a, &x, 0.0, 0.0));
        }
    }

    #[test]
    fn several_directions_stay_sound() {
        let x = Interval::new(vec![0.0, 0.0], vec![1.0, 1.0]);
        let cons = vec![
            (vec![(0usize, 1.0), (1usize, -1.0)], f64::NEG_INFINITY, 0.1),
            (vec![(0usize, 1.0), (1usize, 1.0)], 0.5, 1.2),
            (vec![(0usize, 2.0), (1usize, 1.0)], f64::NEG_INFINITY, 1.5),
        ];
        let mut ic = InputConstraints::default();
        for (t, lo, hi) in &cons {
            ic.push(t.clone(), *lo, *hi);
        }
        assert_eq!(ic.len(), 3);
        for s in 0..40 {
            let ang = s as f64 * 0.157;
            let a = [ang.cos(), ang.sin()];
            let bound = ic.concretize(&a, &x, 0.25, 0.0);
            let exact = grid_min(&a, &x, &cons) + 0.25;
            assert!(bound <= exact + 1e-12, "unsound at {s}: {bound} > {exact}");
        }
    }

    #[test]
    fn opposite_directions_merge_into_one_range() {
        let mut ic = InputConstraints::default();
        ic.push(vec![(0, 1.0), (1, -1.0)], f64::NEG_INFINITY, 0.2);
        ic.push(vec![(1, 1.0), (0, -1.0)], f64::NEG_INFINITY, 0.2);
        assert_eq!(ic.len(), 1);
        assert_eq!(ic.groups[0].lo, -0.2);
        assert_eq!(ic.groups[0].hi, 0.2);
    }
}
