//! Types against values: `def` parameters (with dimension variables), `param`
//! declarations and their command-line overrides, network signatures.
//!
//! Takes: a declared [`TypeExpr`] and an elaborated [`Value`].
//! Gives: `Ok` with dimension variables bound (`n := 7`), or a located diagnostic.
//! Invariant: a dimension variable, once bound in a call, keeps its value for the whole
//! call (every use must agree).

use std::collections::HashMap;

use propc_syntax::Diagnostic;
use propc_syntax::Span;
use propc_syntax::ast::{Arg, Dim, Ident, Item, TypeExpr, TypeKind};

use super::{Elaborator, Polarity, R, Reported, Value, shape_text};
use crate::formula::Term;

/// The text of a type, for messages.
pub fn type_text(t: &TypeExpr) -> String {
    let dims = |ds: &[Dim]| {
        let s: Vec<String> = ds
            .iter()
            .map(|d| match d {
                Dim::Lit(n, _) => n.to_string(),
                Dim::Var(id) => id.name.clone(),
            })
            .collect();
        s.join(", ")
    };
    match &t.kind {
        TypeKind::Real(d) if d.is_empty() => "Real".into(),
        TypeKind::Real(d) => format!("Real[{}]", dims(d)),
        TypeKind::Int(d) if d.is_empty() => "Int".into(),
        TypeKind::Int(d) => format!("Int[{}]", dims(d)),
        TypeKind::Bool => "Bool".into(),
        TypeKind::Class(d) => format!("Class[{}]", dims(std::slice::from_ref(d))),
        TypeKind::Index(d) => format!("Index[{}]", dims(std::slice::from_ref(d))),
        TypeKind::Domain(d) => format!("Domain[{}]", dims(d)),
        TypeKind::Function(a, b) => format!("{} -> {}", type_text(a), type_text(b)),
        TypeKind::Tuple(ts) => format!(
            "({})",
            ts.iter().map(type_text).collect::<Vec<_>>().join(", ")
        ),
        TypeKind::Error => "?".into(),
    }
}

/// Resolves dimensions: literals, bound dimension variables, or global integer names.
/// With `bind`, an unbound variable is bound to `actual`.
fn unify_dims(
    el: &mut Elaborator<'_>,
    dims: &[Dim],
    actual: &[usize],
    dimvars: &mut HashMap<String, usize>,
    span: Span,
    ty: &TypeExpr,
) -> R<bool> {
    if dims.len() != actual.len() {
        return Ok(false);
    }
    for (d, a) in dims.iter().zip(actual) {
        match d {
            Dim::Lit(n, _) => {
                if *n as usize != *a {
                    return Ok(false);
                }
            }
            Dim::Var(id) => {
                if let Some(v) = dimvars.get(&id.name) {
                    if v != a {
                        return Ok(false);
                    }
                    continue;
                }
                // A global integer constant?
                if el.globals.contains_key(&id.name) {
                    let n = match el.global(&id.name, id.span)? {
                        Some(Value::Int(n)) => n,
                        _ => {
                            return el.error(
                                Diagnostic::error("E0201", format!("dimension `{}` is not an integer", id.name))
                                    .with_label(id.span, "used as a dimension")
                                    .with_help("dimensions are integer literals, integer `let`s, or dimension variables of a `def`"),
                            );
                        }
                    };
                    if n as usize != *a {
                        return Ok(false);
                    }
                    continue;
                }
                dimvars.insert(id.name.clone(), *a);
            }
        }
    }
    let _ = (span, ty);
    Ok(true)
}

/// Resolves a type's dimensions to numbers (no unbound variables allowed).
pub fn resolve_dims(el: &mut Elaborator<'_>, dims: &[Dim]) -> R<Vec<usize>> {
    let mut out = Vec::new();
    for d in dims {
        match d {
            Dim::Lit(n, _) => out.push(*n as usize),
            Dim::Var(id) => match el.global(&id.name, id.span)? {
                Some(Value::Int(n)) if n >= 0 => out.push(n as usize),
                Some(_) => {
                    return el.error(
                        Diagnostic::error(
                            "E0201",
                            format!("dimension `{}` is not a non-negative integer", id.name),
                        )
                        .with_label(id.span, "used as a dimension")
                        .with_help("use an integer literal or an integer `let`"),
                    );
                }
                None => {
                    return el.error(
                        Diagnostic::error("E0101", format!("unknown dimension `{}`", id.name))
                            .with_label(id.span, "not found")
                            .with_help("declare it with `let` or write the number"),
                    );
                }
            },
        }
    }
    Ok(out)
}

/// Checks a value against a declared type, binding dimension variables.
pub fn check_value(
    el: &mut Elaborator<'_>,
    v: &Value,
    ty: &TypeExpr,
    span: Span,
    dimvars: &mut HashMap<String, usize>,
    _strict: bool,
) -> R<()> {
    let ok = match (&ty.kind, v) {
        (TypeKind::Error, _) => return Err(Reported),
        (TypeKind::Real(d), Value::Real(_) | Value::Int(_)) if d.is_empty() => true,
        (TypeKind::Real(d), Value::Tensor(s, _)) => unify_dims(el, d, s, dimvars, span, ty)?,
        (TypeKind::Int(d), Value::Int(_)) if d.is_empty() => true,
        (TypeKind::Int(d), Value::Tensor(s, ts)) => {
            ts.iter()
                .all(|t| t.constant().is_some_and(|c| c == c.trunc()))
                && unify_dims(el, d, s, dimvars, span, ty)?
        }
        (TypeKind::Bool, Value::Bool(_)) => true,
        (TypeKind::Class(d) | TypeKind::Index(d), Value::Int(i)) => {
            let mut tmp = dimvars.clone();
            // An unbound dimension variable cannot bound an index: accept and leave it.
            let bound = match d {
                Dim::Lit(n, _) => Some(*n as usize),
                Dim::Var(id) => tmp.remove(&id.name).or_else(|| {
                    if el.globals.contains_key(&id.name) {
                        match el.global(&id.name, id.span) {
                            Ok(Some(Value::Int(n))) => Some(n as usize),
                            _ => None,
                        }
                    } else {
                        None
                    }
                }),
            };
            match bound {
                Some(n) if *i < 0 || *i as usize >= n => {
                    return el.error(
                        Diagnostic::error(
                            "E0204",
                            format!("{i} is out of range for `{}`", type_text(ty)),
                        )
                        .with_label(span, format!("must be in 0..{n}"))
                        .with_help(format!(
                            "give a value between 0 and {}",
                            n.saturating_sub(1)
                        )),
                    );
                }
                _ => true,
            }
        }
        (TypeKind::Domain(d), Value::Domain(dom)) => {
            unify_dims(el, d, &dom.shape, dimvars, span, ty)?
        }
        (TypeKind::Function(a, b), Value::Network(n)) => {
            let sig = el.networks[*n].clone();
            let ins = match &a.kind {
                TypeKind::Real(d) => unify_dims(el, d, &sig.input, dimvars, span, ty)?,
                _ => false,
            };
            let outs = match &b.kind {
                TypeKind::Real(d) => unify_dims(el, d, &sig.output, dimvars, span, ty)?,
                _ => false,
            };
            ins && outs
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let found = match v {
        Value::Network(n) => {
            let sig = &el.networks[*n];
            format!(
                "a network `Real{} -> Real{}`",
                shape_text(&sig.input),
                shape_text(&sig.output)
            )
        }
        other => other.describe(),
    };
    el.error(
        Diagnostic::error(
            "E0201",
            format!("expected `{}`, found {found}", type_text(ty)),
        )
        .with_label(span, format!("this is {found}"))
        .with_secondary(ty.span, "expected because of this type")
        .with_help(format!("pass a value of type `{}`", type_text(ty))),
    )
}

/// Inlines a call of a `def`.
pub fn call_def(
    el: &mut Elaborator<'_>,
    name: &str,
    callee: &Ident,
    args: &[Arg],
    span: Span,
    pol: Polarity,
) -> R<Value> {
    let Some(Item::Def {
        params,
        ret,
        body,
        name: def_name,
        ..
    }) = el.globals.get(name).copied()
    else {
        return Err(Reported);
    };
    if args.len() != params.len() {
        return el.error(
            Diagnostic::error(
                "E0203",
                format!(
                    "`{name}` takes {} arguments, {} given",
                    params.len(),
                    args.len()
                ),
            )
            .with_label(span, "this call")
            .with_secondary(def_name.span, "defined here")
            .with_help(format!(
                "`{name}` takes ({})",
                params
                    .iter()
                    .map(|p| format!("{}: {}", p.name.name, type_text(&p.ty)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
    // Arguments in the caller's scope, by position or name.
    let mut values: Vec<Option<Value>> = vec![None; params.len()];
    let mut pos = 0;
    let mut failed = false;
    for a in args {
        let (slot, e) = match a {
            Arg::Positional(e) => {
                pos += 1;
                (pos - 1, e)
            }
            Arg::Named(n, e) => match params.iter().position(|p| p.name.name == n.name) {
                Some(i) => (i, e),
                None => {
                    return el.error(
                        Diagnostic::error(
                            "E0203",
                            format!("`{name}` has no parameter `{}`", n.name),
                        )
                        .with_label(n.span, "unknown parameter")
                        .with_secondary(def_name.span, "defined here")
                        .with_help("use the parameter names of the definition"),
                    );
                }
            },
        };
        match el.expr(e, pol) {
            Ok(v) => {
                if slot < values.len() {
                    values[slot] = Some(v);
                }
            }
            Err(_) => failed = true,
        }
    }
    if failed {
        return Err(Reported);
    }
    let mut dimvars = HashMap::new();
    let mut bound = Vec::new();
    for (i, p) in params.iter().enumerate() {
        let Some(v) = values[i].take() else {
            return Err(Reported);
        };
        let arg_span = args.get(i).map(|a| a.expr().span).unwrap_or(span);
        check_value(el, &v, &p.ty, arg_span, &mut dimvars, false)?;
        let v = match (v, &p.ty.kind) {
            (Value::Int(k), TypeKind::Real(d)) if d.is_empty() => {
                Value::Real(Term::Const(k as f64))
            }
            (v, _) => v,
        };
        bound.push((p.name.name.clone(), v));
    }
    // The body sees the globals, the parameters and the dimension variables only.
    let saved = std::mem::take(&mut el.locals);
    for (n, v) in dimvars.iter() {
        el.locals.push((n.clone(), Value::Int(*v as i64)));
    }
    el.locals.extend(bound);
    el.push_call(name, callee.span)?;
    let result = el.expr(body, pol);
    el.pop_call();
    // Fresh variables allocated inside stay in the problem; only the scope is restored.
    el.locals = saved;
    let v = result?;
    if let Some(rt) = ret {
        check_value(el, &v, rt, body.span, &mut dimvars, false)?;
    }
    Ok(v)
}

/// Parses the text of a `--param NAME=VALUE` override by the declared type.
pub fn parse_param_text(
    el: &mut Elaborator<'_>,
    name: &str,
    text: &str,
    ty: &TypeExpr,
) -> R<Value> {
    let bad = |el: &mut Elaborator<'_>, what: &str| -> R<Value> {
        el.error(
            Diagnostic::error("E0402", format!("`--param {name}={text}`: expected {what}"))
                .with_label(ty.span, format!("`{name}` is declared `{}`", type_text(ty)))
                .with_help(format!(
                    "pass {what}, e.g. `--param {name}={}`",
                    example(&ty.kind)
                )),
        )
    };
    let t = text.trim();
    match &ty.kind {
        TypeKind::Real(d) if d.is_empty() => match t.parse::<f64>() {
            Ok(x) if x.is_finite() => Ok(Value::Real(Term::Const(x))),
            _ => bad(el, "a real number"),
        },
        TypeKind::Int(d) if d.is_empty() => match t.parse::<i64>() {
            Ok(x) => Ok(Value::Int(x)),
            Err(_) => bad(el, "an integer"),
        },
        TypeKind::Class(_) | TypeKind::Index(_) => match t.parse::<i64>() {
            Ok(x) if x >= 0 => Ok(Value::Int(x)),
            _ => bad(el, "a non-negative integer"),
        },
        TypeKind::Bool => match t {
            "true" => Ok(Value::Bool(crate::formula::Formula::True)),
            "false" => Ok(Value::Bool(crate::formula::Formula::False)),
            _ => bad(el, "`true` or `false`"),
        },
        TypeKind::Real(d) | TypeKind::Int(d) if d.len() == 1 => {
            let inner = t.trim_start_matches('[').trim_end_matches(']');
            let parsed: Result<Vec<f64>, _> =
                inner.split(',').map(|s| s.trim().parse::<f64>()).collect();
            match parsed {
                Ok(xs) if xs.iter().all(|x| x.is_finite()) => Ok(Value::Tensor(
                    vec![xs.len()],
                    xs.into_iter().map(Term::Const).collect(),
                )),
                _ => bad(el, "a comma-separated list of numbers"),
            }
        }
        _ => {
            let _ = Reported;
            bad(
                el,
                "a value this type can take from the command line (a number, an integer, a boolean or a vector)",
            )
        }
    }
}

fn example(k: &TypeKind) -> &'static str {
    match k {
        TypeKind::Real(d) if d.is_empty() => "0.05",
        TypeKind::Int(d) if d.is_empty() => "3",
        TypeKind::Class(_) | TypeKind::Index(_) => "2",
        TypeKind::Bool => "true",
        _ => "1,2,3",
    }
}
