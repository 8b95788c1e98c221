//! CROWN rule of `ReluDiff`: `y = relu(w) - relu(z)` with `w = z + d`, the change of a
//! ReLU between the two runs of a twin network (the ITNE / GROCET difference
//! relaxation).
//!
//! Takes: the coefficients `Λ_y`, the boxes of `z`, `d`, `w`.
//! Gives: per neuron, one of two relaxations, each a lower and an upper line:
//! - *separate*: `relu(w)` and `relu(z)` relaxed on their own boxes as in
//!   [`super::relu`] (exact when both are stable): `y ≥ low(relu w) - up(relu z)`,
//!   `y ≤ up(relu w) - low(relu z)`;
//! - *difference*: ReLU is monotone and 1-Lipschitz, so `min(0, d) ≤ y ≤ max(0, d)`;
//!   `max(0, d) = relu(d)` is bounded above by its chord on `[d_lo, d_hi]` and
//!   `min(0, d) = -relu(-d)` below by minus the chord of `relu(-d)`.
//!
//! Both stable: the separate lines (exact). Otherwise, per side, the line whose range
//! over the boxes is better: when the two runs are close, `d` is narrow however wide
//! `z` is, and the difference lines win; when `d` is wide they lose to the separate
//! ones. Both are sound for any choice.
//! Invariant: every line comes from [`super::relu::upper_line`] (valid at both ends of
//! its interval whatever the rounding of its slope) or is `y ≥ α v` with `α ∈ {0, 1}`;
//! the error of the rounded products `Λ_y · slope` and of the f64 evaluation (`w` is
//! rounded, then the subtraction: `ε (|w| + |y|)` per unit of `|Λ_y|`) go to `err`.

use super::relu::{adaptive_alpha, upper_line};
use super::{Acc, Ctx, LinearRule, Mat, TINY, magnitudes};

pub(crate) struct ReluDiff;

/// A line `cz z + cd d + cw w + c0`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Line {
    cz: f64,
    cd: f64,
    cw: f64,
    c0: f64,
}

/// The lower and upper lines of one ReLU `relu(v)` on `[l, u]` as `(slope, const)`
/// pairs; `None` for an upper line that does not exist (an infinite end).
fn relu_lines(l: f64, u: f64) -> ((f64, f64), Option<(f64, f64)>) {
    if u <= 0.0 {
        ((0.0, 0.0), Some((0.0, 0.0)))
    } else if l >= 0.0 {
        ((1.0, 0.0), Some((1.0, 0.0)))
    } else {
        ((adaptive_alpha(l, u), 0.0), upper_line(l, u))
    }
}

/// The largest gap of a ReLU triangle on `[l, u]` (0 when stable).
fn triangle_gap(l: f64, u: f64) -> f64 {
    if u <= 0.0 || l >= 0.0 {
        0.0
    } else if l.is_finite() && u.is_finite() {
        -l * u / (u - l)
    } else {
        f64::INFINITY
    }
}

/// The range of a line over the boxes (each operand independently).
fn line_range(l: &Line, z: (f64, f64), d: (f64, f64), w: (f64, f64)) -> (f64, f64) {
    let mut lo = l.c0;
    let mut hi = l.c0;
    for (c, (a, b)) in [(l.cz, z), (l.cd, d), (l.cw, w)] {
        if c != 0.0 {
            lo += (c * a).min(c * b);
            hi += (c * a).max(c * b);
        }
    }
    (lo, hi)
}

/// The lower and upper lines of neuron `j` (`None`: that side does not exist): per
/// side, of the separate and the difference relaxation, the one whose range over the
/// boxes is better (higher least value for the lower line, lower largest value for the
/// upper one); ties go to the difference relaxation.
fn lines(z: (f64, f64), d: (f64, f64), w: (f64, f64)) -> (Option<Line>, Option<Line>) {
    let (dl, du) = d;
    let (diff_low, diff_up) = if dl >= 0.0 {
        (
            Some(Line::default()),
            Some(Line {
                cd: 1.0,
                ..Line::default()
            }),
        )
    } else if du <= 0.0 {
        (
            Some(Line {
                cd: 1.0,
                ..Line::default()
            }),
            Some(Line::default()),
        )
    } else {
        // y ≤ relu(d) ≤ s d + t;  y ≥ -relu(-d) ≥ -(s' (-d) + t') = s' d - t'.
        let up = upper_line(dl, du).map(|(s, t)| Line {
            cd: s,
            c0: t,
            ..Line::default()
        });
        let low = upper_line(-du, -dl).map(|(s, t)| Line {
            cd: s,
            c0: -t,
            ..Line::default()
        });
        (low, up)
    };
    let ((wa, _), wup) = relu_lines(w.0, w.1);
    let ((za, _), zup) = relu_lines(z.0, z.1);
    let sep_low = zup.map(|(s, t)| Line {
        cw: wa,
        cz: -s,
        c0: -t,
        ..Line::default()
    });
    let sep_up = wup.map(|(s, t)| Line {
        cw: s,
        cz: -za,
        c0: t,
        ..Line::default()
    });
    let exact = triangle_gap(z.0, z.1) == 0.0 && triangle_gap(w.0, w.1) == 0.0;
    if exact {
        return (sep_low, sep_up);
    }
    let low = match (diff_low, sep_low) {
        (Some(a), Some(b)) => {
            if line_range(&a, z, d, w).0 >= line_range(&b, z, d, w).0 {
                Some(a)
            } else {
                Some(b)
            }
        }
        (a, b) => a.or(b),
    };
    let up = match (diff_up, sep_up) {
        (Some(a), Some(b)) => {
            if line_range(&a, z, d, w).1 <= line_range(&b, z, d, w).1 {
                Some(a)
            } else {
                Some(b)
            }
        }
        (a, b) => a.or(b),
    };
    (low, up)
}

/// The boxes `(lo, hi)` of `z`, `d` and `w` at neuron `j`.
type Boxes = ((f64, f64), (f64, f64), (f64, f64));

fn boxes(ctx: &Ctx, j: usize) -> Option<Boxes> {
    let (z, d, w) = (ctx.inputs.first()?, ctx.inputs.get(1)?, ctx.inputs.get(2)?);
    (j < z.len() && j < d.len() && j < w.len())
        .then(|| ((z.lo[j], z.hi[j]), (d.lo[j], d.hi[j]), (w.lo[j], w.hi[j])))
}

impl LinearRule for ReluDiff {
    fn backward(&self, a: &Mat, ctx: &Ctx, acc: &mut Acc) -> Vec<Mat> {
        let n = a.cols;
        let (mut oz, mut od, mut ow) = (
            Mat::zeros(a.rows, n),
            Mat::zeros(a.rows, n),
            Mat::zeros(a.rows, n),
        );
        if ctx.inputs.len() < 3 {
            for k in 0..a.rows {
                acc.add_err(k, f64::INFINITY);
            }
            return vec![oz, od, ow];
        }
        let (hz, hd, hw) = (
            magnitudes(ctx.inputs[0]),
            magnitudes(ctx.inputs[1]),
            magnitudes(ctx.inputs[2]),
        );
        let hy = magnitudes(ctx.output);
        let per_neuron: Vec<(Option<Line>, Option<Line>)> = (0..n)
            .map(|j| match boxes(ctx, j) {
                Some((z, d, w)) => lines(z, d, w),
                None => (None, None),
            })
            .collect();
        for k in 0..a.rows {
            let arow = a.row(k);
            let (mut e, mut bs, mut bmag, mut cnt) = (0.0, 0.0, 0.0, 0usize);
            for j in 0..n {
                let av = arow[j];
                if av == 0.0 {
                    continue;
                }
                let line = if av >= 0.0 {
                    per_neuron[j].0
                } else {
                    per_neuron[j].1
                };
                let Some(line) = line else {
                    e = f64::INFINITY;
                    continue;
                };
                // Evaluation error of this neuron in f64 (rounded `w`, then `y`).
                e += av.abs()
                    * (f64::EPSILON
                        * (hw.get(j).copied().unwrap_or(f64::INFINITY)
                            + hy.get(j).copied().unwrap_or(f64::INFINITY))
                        + 2.0 * TINY);
                for (coef, out, h) in [
                    (line.cz, &mut oz, &hz),
                    (line.cd, &mut od, &hd),
                    (line.cw, &mut ow, &hw),
                ] {
                    if coef == 0.0 {
                        continue;
                    }
                    let p = av * coef;
                    out.data[k * n + j] = p;
                    e += (f64::EPSILON * p.abs() + TINY) * h[j];
                }
                if line.c0 != 0.0 {
                    let b = av * line.c0;
                    bs += b;
                    bmag += b.abs();
                    cnt += 1;
                }
            }
            acc.add_bias(k, bs, bmag, cnt);
            acc.add_err(k, e);
        }
        vec![oz, od, ow]
    }

    fn forward(&self, a: &Mat, ctx: &Ctx, inputs: &[&Mat]) -> Mat {
        let (Some(z), Some(d), Some(w)) = (inputs.first(), inputs.get(1), inputs.get(2)) else {
            return Mat::zeros(0, 0);
        };
        let n = z.cols;
        let mut out = Mat::zeros(z.rows, n);
        for j in 0..n {
            let Some((bz, bd, bw)) = boxes(ctx, j) else {
                continue;
            };
            let (low, up) = lines(bz, bd, bw);
            for k in 0..z.rows {
                let av = if k < a.rows && j < a.cols {
                    a.get(k, j)
                } else {
                    0.0
                };
                let (zv, dv, wv) = (z.get(k, j), d.get(k, j), w.get(k, j));
                let line = if av >= 0.0 { low } else { up };
                out.data[k * n + j] = match line {
                    Some(l) => l.cz * zv + l.cd * dv + l.cw * wv + l.c0,
                    None => wv.max(0.0) - zv.max(0.0),
                };
            }
        }
        out
    }
}
