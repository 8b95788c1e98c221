//! Chains of network implications in a spec: `implies(a, b, ...)` and `implies(b, c,
//! ...)` over the same dataset and arguments give `implies(a, c, ...)` sample by sample
//! (Theorem 3 of "Formal Local Implication Between Two Neural Networks").
//!
//! Takes: the parsed spec and its source text.
//! Gives: [`Chain`]s: a property `for (x0, c) in D. implies(a, c, x0, c, delta)` (the
//! *derived* one) with two properties of the same form, `implies(a, b, ...)` and
//! `implies(b, c, ...)`, whose dataset, pattern and last three arguments are the same
//! text.
//! Invariant: only properties whose whole body is one call of `implies` (the standard
//! library's `std.compare.implies`, imported) qualify, so the margins telescope:
//! `(c_c - c_j) - (a_c - a_j) = [(c_c - c_j) - (b_c - b_j)] + [(b_c - b_j) - (a_c -
//! a_j)]` at every point of the same ball, and both terms `>= 0` give the derived one.
//! `propc check` uses a chain for a sample only when both premises were proved there by
//! sound bounds (not by the MILP, whose `holds` allows a `1e-6` tolerance that two
//! premises would double).

use propc_syntax::ast::{ExprKind, Item, SpecFile};

/// `derived` holds on a sample where `first` and `second` hold by bounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub derived: String,
    pub first: String,
    pub second: String,
}

/// One `for (..) in D. implies(g, f, rest...)` property.
struct Implication {
    name: String,
    g: String,
    f: String,
    /// The dataset, the pattern and the other arguments, as source text.
    key: String,
}

fn implication(item: &Item, text: &str) -> Option<Implication> {
    let Item::Property { name, body, .. } = item else {
        return None;
    };
    let ExprKind::ForData {
        pattern,
        dataset,
        body,
    } = &body.kind
    else {
        return None;
    };
    let ExprKind::Call { callee, args } = &body.kind else {
        return None;
    };
    if callee.name != "implies" || args.len() != 5 {
        return None;
    }
    let name_of = |k: usize| match &args[k].expr().kind {
        ExprKind::Name(id) => Some(id.name.clone()),
        _ => None,
    };
    let (g, f) = (name_of(0)?, name_of(1)?);
    let rest: Vec<&str> = args[2..]
        .iter()
        .map(|a| text.get(a.expr().span.range()).unwrap_or("?"))
        .collect();
    let pattern: Vec<&str> = pattern.iter().map(|p| p.name.as_str()).collect();
    Some(Implication {
        name: name.name.clone(),
        g,
        f,
        key: format!(
            "{} in {}: {}",
            pattern.join(","),
            dataset.name,
            rest.join(",")
        ),
    })
}

/// The chains of `file` (text `text`), each derived property once.
pub fn chains(file: &SpecFile, text: &str) -> Vec<Chain> {
    let imps: Vec<Implication> = file
        .items
        .iter()
        .filter_map(|i| implication(i, text))
        .collect();
    let mut out: Vec<Chain> = Vec::new();
    for d in &imps {
        if d.g == d.f || out.iter().any(|c| c.derived == d.name) {
            continue;
        }
        let found = imps.iter().find_map(|p1| {
            if p1.key != d.key || p1.g != d.g || p1.f == d.f || p1.f == d.g || p1.name == d.name {
                return None;
            }
            imps.iter()
                .find(|p2| p2.key == d.key && p2.g == p1.f && p2.f == d.f && p2.name != d.name)
                .map(|p2| (p1.name.clone(), p2.name.clone()))
        });
        if let Some((first, second)) = found {
            out.push(Chain {
                derived: d.name.clone(),
                first,
                second,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use propc_syntax::span::SourceMap;

    fn chains_of(src: &str) -> Vec<Chain> {
        let mut sources = SourceMap::default();
        let file = sources.add("t.prop", src);
        let (ast, _) = propc_syntax::parse(&sources, file);
        chains(&ast, src)
    }

    #[test]
    fn finds_a_chain_of_three_networks() {
        let src = "import std.compare
network n1 : Real[2] -> Real[3]
network n2 : Real[2] -> Real[3]
network n3 : Real[2] -> Real[3]
dataset d : (Real[2], Class[3])
property p32 = for (x0, c) in d. implies(n3, n2, x0, c, 0.01)
property p21 = for (x0, c) in d. implies(n2, n1, x0, c, 0.01)
property p31 = for (x0, c) in d. implies(n3, n1, x0, c, 0.01)
property other = for (x0, c) in d. implies(n3, n1, x0, c, 0.02)
";
        assert_eq!(
            chains_of(src),
            vec![Chain {
                derived: "p31".into(),
                first: "p32".into(),
                second: "p21".into(),
            }]
        );
    }

    #[test]
    fn different_radius_or_dataset_is_no_chain() {
        let src = "import std.compare
network n1 : Real[2] -> Real[3]
network n2 : Real[2] -> Real[3]
network n3 : Real[2] -> Real[3]
dataset d : (Real[2], Class[3])
dataset e : (Real[2], Class[3])
property p32 = for (x0, c) in d. implies(n3, n2, x0, c, 0.01)
property p21 = for (x0, c) in e. implies(n2, n1, x0, c, 0.01)
property p31 = for (x0, c) in d. implies(n3, n1, x0, c, 0.02)
";
        assert!(chains_of(src).is_empty());
    }
}
