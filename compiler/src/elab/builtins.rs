//! Builtin functions: arithmetic helpers, norms, tensor constructors, domains.
//!
//! Takes: a call of a builtin name (not shadowed by a declaration) and its arguments.
//! Gives: the value, or a located diagnostic (wrong count, wrong type, bad bound).
//! Invariant: norms and `abs`/`min`/`max` stay symbolic (`Term::Abs`, `Max`, `Min`) for
//! normalization to eliminate exactly; domains are checked non-empty here.

use propc_syntax::Diagnostic;
use propc_syntax::Span;
use propc_syntax::ast::{Arg, Expr, Ident};

use super::{
    Domain, Elaborator, Polarity, R, Reported, Value, broadcast, shape_text, tensor_value,
};
use crate::formula::{Formula, Term};

pub const NAMES: &[&str] = &[
    "abs", "min", "max", "sum", "norm_inf", "norm_1", "concat", "zeros", "ones", "argmax", "box",
    "ball", "contains", "len",
];

/// Matches positional and named arguments against parameter names.
fn match_args<'e>(
    el: &mut Elaborator<'_>,
    callee: &Ident,
    args: &'e [Arg],
    names: &[&str],
    required: usize,
    span: Span,
) -> R<Vec<Option<&'e Expr>>> {
    let mut out: Vec<Option<&Expr>> = vec![None; names.len()];
    let mut pos = 0;
    for a in args {
        match a {
            Arg::Positional(e) => {
                if pos >= names.len() {
                    return el.error(
                        Diagnostic::error(
                            "E0203",
                            format!("`{}` takes at most {} arguments", callee.name, names.len()),
                        )
                        .with_label(e.span, "extra argument")
                        .with_help(format!(
                            "`{}` takes ({})",
                            callee.name,
                            names.join(", ")
                        )),
                    );
                }
                out[pos] = Some(e);
                pos += 1;
            }
            Arg::Named(n, e) => match names.iter().position(|x| *x == n.name) {
                Some(i) if out[i].is_none() => out[i] = Some(e),
                Some(_) => {
                    return el.error(
                        Diagnostic::error("E0203", format!("argument `{}` is given twice", n.name))
                            .with_label(n.span, "given again here")
                            .with_help("give each argument once"),
                    );
                }
                None => {
                    return el.error(
                        Diagnostic::error(
                            "E0203",
                            format!("`{}` has no argument named `{}`", callee.name, n.name),
                        )
                        .with_label(n.span, "unknown argument")
                        .with_help(format!(
                            "`{}` takes ({})",
                            callee.name,
                            names.join(", ")
                        )),
                    );
                }
            },
        }
    }
    if let Some(missing) = (0..required).find(|i| out[*i].is_none()) {
        return el.error(
            Diagnostic::error(
                "E0203",
                format!("`{}` needs the argument `{}`", callee.name, names[missing]),
            )
            .with_label(span, "missing an argument")
            .with_help(format!("`{}` takes ({})", callee.name, names.join(", "))),
        );
    }
    Ok(out)
}

fn terms_of(el: &mut Elaborator<'_>, e: &Expr, pol: Polarity) -> R<(Vec<usize>, Vec<Term>)> {
    let v = el.expr(e, pol)?;
    match v.as_tensor() {
        Some(t) => Ok(t),
        None => el.type_error(&v, "a number or a tensor", e.span),
    }
}

fn reduce(terms: Vec<Term>, f: fn(Term, Term) -> Term) -> Term {
    terms.into_iter().reduce(f).unwrap_or(Term::Const(0.0))
}

fn max2(a: Term, b: Term) -> Term {
    match (a.constant(), b.constant()) {
        (Some(x), Some(y)) => Term::Const(x.max(y)),
        _ => Term::Max(Box::new(a), Box::new(b)),
    }
}

fn min2(a: Term, b: Term) -> Term {
    match (a.constant(), b.constant()) {
        (Some(x), Some(y)) => Term::Const(x.min(y)),
        _ => Term::Min(Box::new(a), Box::new(b)),
    }
}

fn abs1(t: Term) -> Term {
    match t.constant() {
        Some(x) => Term::Const(x.abs()),
        None => Term::Abs(Box::new(t)),
    }
}

pub fn call(
    el: &mut Elaborator<'_>,
    callee: &Ident,
    args: &[Arg],
    span: Span,
    pol: Polarity,
) -> R<Value> {
    match callee.name.as_str() {
        "abs" => {
            let a = match_args(el, callee, args, &["x"], 1, span)?;
            let (shape, ts) = terms_of(el, a[0].ok_or(Reported)?, pol)?;
            Ok(tensor_value(shape, ts.into_iter().map(abs1).collect()))
        }
        "min" | "max" => {
            let a = match_args(el, callee, args, &["a", "b"], 1, span)?;
            let f = if callee.name == "max" { max2 } else { min2 };
            let (sa, ta) = terms_of(el, a[0].ok_or(Reported)?, pol)?;
            match a[1] {
                None => {
                    if ta.is_empty() {
                        return el.error(
                            Diagnostic::error(
                                "E0202",
                                format!("`{}` of an empty tensor", callee.name),
                            )
                            .with_label(span, "empty")
                            .with_help("reduce a non-empty tensor"),
                        );
                    }
                    Ok(Value::Real(reduce(ta, f)))
                }
                Some(b) => {
                    let (sb, tb) = terms_of(el, b, pol)?;
                    if sa != sb && !sa.is_empty() && !sb.is_empty() {
                        return el.error(
                            Diagnostic::error(
                                "E0202",
                                format!(
                                    "`{}` of shapes `{}` and `{}`",
                                    callee.name,
                                    shape_text(&sa),
                                    shape_text(&sb)
                                ),
                            )
                            .with_label(span, "shape mismatch")
                            .with_help("give both arguments the same shape"),
                        );
                    }
                    let n = ta.len().max(tb.len());
                    let shape = if sa.is_empty() { sb } else { sa };
                    Ok(tensor_value(
                        shape,
                        (0..n)
                            .map(|i| f(broadcast(&ta, i), broadcast(&tb, i)))
                            .collect(),
                    ))
                }
            }
        }
        "sum" | "norm_inf" | "norm_1" => {
            let a = match_args(el, callee, args, &["x"], 1, span)?;
            let (_, ts) = terms_of(el, a[0].ok_or(Reported)?, pol)?;
            Ok(Value::Real(match callee.name.as_str() {
                "sum" => reduce(ts, Term::plus),
                "norm_inf" => reduce(ts.into_iter().map(abs1).collect(), max2),
                _ => reduce(ts.into_iter().map(abs1).collect(), Term::plus),
            }))
        }
        "concat" => {
            if args.is_empty() {
                return el.error(
                    Diagnostic::error("E0203", "`concat` needs at least one argument")
                        .with_label(span, "no arguments")
                        .with_help("write `concat(a, b)`"),
                );
            }
            let mut out = Vec::new();
            for a in args {
                let e = a.expr();
                let (s, ts) = terms_of(el, e, pol)?;
                if s.len() > 1 {
                    return el.error(
                        Diagnostic::error(
                            "E0202",
                            format!("`concat` joins vectors, found shape `{}`", shape_text(&s)),
                        )
                        .with_label(e.span, "not a vector")
                        .with_help("flatten it first or index a row"),
                    );
                }
                out.extend(ts);
            }
            Ok(Value::Tensor(vec![out.len()], out))
        }
        "zeros" | "ones" => {
            if args.is_empty() {
                return el.error(
                    Diagnostic::error("E0203", format!("`{}` needs a size", callee.name))
                        .with_label(span, "no size")
                        .with_help(format!("write `{}(7)`", callee.name)),
                );
            }
            let mut shape = Vec::new();
            for a in args {
                let n = el.int(a.expr())?;
                if n < 0 {
                    return el.error(
                        Diagnostic::error("E0202", "a size cannot be negative")
                            .with_label(a.expr().span, "negative")
                            .with_help("use a size >= 0"),
                    );
                }
                shape.push(n as usize);
            }
            let v = if callee.name == "zeros" { 0.0 } else { 1.0 };
            let n: usize = shape.iter().product();
            Ok(Value::Tensor(shape, vec![Term::Const(v); n]))
        }
        "argmax" => {
            let a = match_args(el, callee, args, &["scores"], 1, span)?;
            let (s, ts) = terms_of(el, a[0].ok_or(Reported)?, pol)?;
            if s.len() != 1 {
                return el.error(
                    Diagnostic::error(
                        "E0202",
                        format!("`argmax` takes a vector, found shape `{}`", shape_text(&s)),
                    )
                    .with_label(span, "not a vector")
                    .with_help("apply `argmax` to a network's score vector"),
                );
            }
            Ok(Value::Argmax(ts))
        }
        "len" => {
            let a = match_args(el, callee, args, &["x"], 1, span)?;
            let (s, _) = terms_of(el, a[0].ok_or(Reported)?, pol)?;
            Ok(Value::Int(s.first().copied().unwrap_or(1) as i64))
        }
        "contains" => {
            let a = match_args(el, callee, args, &["list", "item"], 2, span)?;
            let list = a[0].ok_or(Reported)?;
            let (_, ts) = terms_of(el, list, pol)?;
            let item = el.int(a[1].ok_or(Reported)?)?;
            let mut found = false;
            for t in ts {
                match t.constant() {
                    Some(c) => found |= c == item as f64,
                    None => {
                        return el.error(
                            Diagnostic::error("E0205", "`contains` needs a list of constants")
                                .with_label(list.span, "depends on a quantified variable")
                                .with_help("pass a list of indices such as `[3, 5]`"),
                        );
                    }
                }
            }
            Ok(Value::Bool(if found {
                Formula::True
            } else {
                Formula::False
            }))
        }
        "box" => {
            let a = match_args(el, callee, args, &["lo", "hi"], 2, span)?;
            let (lo_e, hi_e) = (a[0].ok_or(Reported)?, a[1].ok_or(Reported)?);
            let (sl, lo) = el.constant_tensor(lo_e)?;
            let (sh, hi) = el.constant_tensor(hi_e)?;
            let (shape, lo, hi) = broadcast_bounds(el, sl, lo, sh, hi, lo_e.span, hi_e.span)?;
            check_nonempty(el, &lo, &hi, span)?;
            Ok(Value::Domain(Domain {
                shape,
                lo,
                hi,
                l1_ball: None,
            }))
        }
        "ball" => {
            let a = match_args(
                el,
                callee,
                args,
                &["center", "radius", "norm", "lo", "hi"],
                2,
                span,
            )?;
            let center_e = a[0].ok_or(Reported)?;
            let (shape, center) = el.constant_tensor(center_e)?;
            let radius_e = a[1].ok_or(Reported)?;
            let (rs, r) = el.constant_tensor(radius_e)?;
            if !rs.is_empty() || r[0] < 0.0 {
                return el.error(
                    Diagnostic::error("E0304", "the radius of a ball must be a number >= 0")
                        .with_label(radius_e.span, "invalid radius")
                        .with_help("give a non-negative radius such as `0.05`"),
                );
            }
            let r = r[0];
            let l1 = match a[2] {
                None => false,
                Some(e) => {
                    match el.expr(e, Polarity::Positive)? {
                        Value::Int(1) => true,
                        Value::Real(Term::Const(1.0)) => true,
                        Value::Real(Term::Const(c)) if c.is_infinite() => false,
                        _ => {
                            return el.error(
                            Diagnostic::error("E0201", "the norm of a ball must be `1` (L1); the default is L-infinity")
                                .with_label(e.span, "unsupported norm")
                                .with_help("write `norm = 1` or leave it out"),
                        );
                        }
                    }
                }
            };
            let mut lo: Vec<f64> = center.iter().map(|c| c - r).collect();
            let mut hi: Vec<f64> = center.iter().map(|c| c + r).collect();
            for (k, slot) in [(3usize, &mut lo), (4usize, &mut hi)] {
                if let Some(e) = a[k] {
                    let (s, b) = el.constant_tensor(e)?;
                    if s != shape && !s.is_empty() {
                        return el.error(
                            Diagnostic::error(
                                "E0202",
                                format!(
                                    "the clip bound has shape `{}`, the ball `{}`",
                                    shape_text(&s),
                                    shape_text(&shape)
                                ),
                            )
                            .with_label(e.span, "shape mismatch")
                            .with_help("give the clip bounds the shape of the center"),
                        );
                    }
                    for (i, x) in slot.iter_mut().enumerate() {
                        let bi = if b.len() == 1 { b[0] } else { b[i] };
                        *x = if k == 3 { x.max(bi) } else { x.min(bi) };
                    }
                }
            }
            check_nonempty(el, &lo, &hi, span)?;
            Ok(Value::Domain(Domain {
                shape,
                lo,
                hi,
                l1_ball: if l1 { Some((center, r)) } else { None },
            }))
        }
        _ => Err(Reported),
    }
}

fn broadcast_bounds(
    el: &mut Elaborator<'_>,
    sl: Vec<usize>,
    lo: Vec<f64>,
    sh: Vec<usize>,
    hi: Vec<f64>,
    ls: Span,
    hs: Span,
) -> R<(Vec<usize>, Vec<f64>, Vec<f64>)> {
    if sl == sh {
        return Ok((sl, lo, hi));
    }
    if sl.is_empty() {
        return Ok((sh, vec![lo[0]; hi.len()], hi));
    }
    if sh.is_empty() {
        return Ok((sl, lo.clone(), vec![hi[0]; lo.len()]));
    }
    el.error(
        Diagnostic::error(
            "E0202",
            format!(
                "the bounds of a box have shapes `{}` and `{}`",
                shape_text(&sl),
                shape_text(&sh)
            ),
        )
        .with_label(ls, format!("shape `{}`", shape_text(&sl)))
        .with_secondary(hs, format!("shape `{}`", shape_text(&sh)))
        .with_help("give `lo` and `hi` the same shape"),
    )
}

fn check_nonempty(el: &mut Elaborator<'_>, lo: &[f64], hi: &[f64], span: Span) -> R<()> {
    if let Some(i) = (0..lo.len()).find(|i| lo[*i] > hi[*i]) {
        return el.error(
            Diagnostic::error(
                "E0304",
                format!(
                    "empty domain: coordinate {i} has lower bound {} above upper bound {}",
                    lo[i], hi[i]
                ),
            )
            .with_label(span, "this domain is empty")
            .with_help("make every lower bound at most the upper bound"),
        );
    }
    Ok(())
}
