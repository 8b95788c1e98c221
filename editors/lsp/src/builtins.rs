//! Documentation of the builtin functions and keywords, for hover and completion.
//!
//! Takes: nothing (static tables).
//! Gives: for each builtin of the compiler (`propc_compiler::elab::builtins::NAMES`) its
//! signature and a one-paragraph description; the keywords with a short description.
//! Invariant: every builtin the compiler knows has an entry here (a unit test checks).

/// (name, signature, description)
pub const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "abs",
        "abs(x)",
        "Absolute value, elementwise on tensors. Stays exact: normalization splits it into cases.",
    ),
    (
        "min",
        "min(a, b?)",
        "The smaller of `a` and `b` (elementwise, a scalar broadcasts), or the smallest element of `a` alone.",
    ),
    (
        "max",
        "max(a, b?)",
        "The larger of `a` and `b` (elementwise, a scalar broadcasts), or the largest element of `a` alone.",
    ),
    ("sum", "sum(x)", "The sum of the elements of a tensor."),
    (
        "norm_inf",
        "norm_inf(x)",
        "The L-infinity norm: the largest absolute value of the elements of `x`.",
    ),
    (
        "norm_1",
        "norm_1(x)",
        "The L1 norm: the sum of the absolute values of the elements of `x`.",
    ),
    (
        "concat",
        "concat(a, b, ...)",
        "Joins vectors (and scalars) into one vector, e.g. to feed two inputs to a network.",
    ),
    (
        "zeros",
        "zeros(n, ...)",
        "A tensor of the given shape filled with 0.",
    ),
    (
        "ones",
        "ones(n, ...)",
        "A tensor of the given shape filled with 1.",
    ),
    (
        "argmax",
        "argmax(scores)",
        "The index of the largest score; only meaningful compared with a class (`argmax(f(x)) == c`).",
    ),
    (
        "box",
        "box(lo, hi)",
        "The box domain `lo <= x <= hi` (elementwise; a scalar bound broadcasts). Bounds are constants.",
    ),
    (
        "ball",
        "ball(center, radius, norm?, lo?, hi?)",
        "The ball of `radius` around `center`: L-infinity by default, L1 with `norm = 1`; `lo`/`hi` clip it to a box.",
    ),
    (
        "contains",
        "contains(list, item)",
        "Whether the constant integer list contains `item` (e.g. in a `where` condition).",
    ),
    (
        "len",
        "len(x)",
        "The length of the first dimension of a tensor (1 for a scalar).",
    ),
];

pub fn builtin(name: &str) -> Option<(&'static str, &'static str)> {
    BUILTINS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, s, d)| (*s, *d))
}

/// (keyword, description)
pub const KEYWORDS: &[(&str, &str)] = &[
    (
        "import",
        "import a stdlib module (`import std.relations`) or a file (`import \"defs.prop\"`)",
    ),
    (
        "network",
        "declare a network and its shape: `network f : Real[3] -> Real[1]`",
    ),
    (
        "param",
        "a parameter settable with `--param`: `param eps : Real = 0.01`",
    ),
    (
        "dataset",
        "a dataset bound with `--data`: `dataset test : (Real[2], Class[3])`",
    ),
    ("let", "a named value: `let X = box(zeros(3), ones(3))`"),
    (
        "def",
        "a reusable definition, inlined at each use: `def name(a: T) : T = expr`",
    ),
    (
        "property",
        "a property to verify: `property name = formula`",
    ),
    (
        "query",
        "an optimization query: `query q = maximize expr over x in D`",
    ),
    ("forall", "universal quantifier: `forall x in D. formula`"),
    ("exists", "existential quantifier: `exists x in D. formula`"),
    (
        "for",
        "iterate over a dataset: `for (x0, c) in data. formula`",
    ),
    ("in", "the domain of a quantifier"),
    ("where", "a condition on the quantified variables"),
    ("maximize", "the sense of a query"),
    ("minimize", "the sense of a query"),
    ("over", "the variables of a query"),
    ("and", "conjunction"),
    ("or", "disjunction"),
    ("not", "negation"),
    ("true", "the true formula"),
    ("false", "the false formula"),
];

/// The type names.
pub const TYPES: &[(&str, &str)] = &[
    (
        "Real",
        "a real number or tensor: `Real`, `Real[7]`, `Real[n, 3]`",
    ),
    ("Int", "an integer or integer tensor: `Int`, `Int[k]`"),
    ("Bool", "a formula"),
    ("Class", "an integer label: `Class[10]` is 0..10"),
    ("Index", "an integer index: `Index[n]` is 0..n"),
    ("Domain", "a set of points: `Domain[n]` (a box, a ball)"),
];

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_is_documented() {
        for n in propc_compiler::elab::builtins::NAMES {
            assert!(super::builtin(n).is_some(), "{n}");
        }
    }
}
