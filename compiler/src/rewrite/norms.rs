//! Rule family `norms`: `abs`, `max` and `min` elimination.
//!
//! `abs(a)` is `max(a, -a)`; `max`/`min` are lifted over sums and scalings to the top of
//! a term, then a comparison with a `max`/`min` on one side splits into a conjunction or
//! a disjunction of comparisons. Every rule is an equivalence over the reals, so the
//! elimination is exact (no relaxation). `norm_inf`/`norm_1` arrive here already
//! expanded into `max`/`+` of `abs` by elaboration.

use egg::{EGraph, Id, Subst, Var, rewrite as rw};

use super::{Constant, Folding, Prop, PropRewrite};

/// `?k` is a known constant with the given sign.
fn sign_is(var: &str, nonneg: bool) -> impl Fn(&mut EGraph<Prop, Folding>, Id, &Subst) -> bool {
    let var: Var = var.parse().expect("pattern variable");
    move |egraph, _, subst| match egraph[subst[var]].data {
        Some(Constant::Real(k)) => (k >= 0.0) == nonneg,
        _ => false,
    }
}

pub fn rules() -> Vec<PropRewrite> {
    vec![
        rw!("norms/abs-as-max"; "(abs ?a)" => "(max ?a (* -1 ?a))"),
        rw!("norms/max-add-l"; "(+ (max ?a ?b) ?c)" => "(max (+ ?a ?c) (+ ?b ?c))"),
        rw!("norms/max-add-r"; "(+ ?c (max ?a ?b))" => "(max (+ ?c ?a) (+ ?c ?b))"),
        rw!("norms/min-add-l"; "(+ (min ?a ?b) ?c)" => "(min (+ ?a ?c) (+ ?b ?c))"),
        rw!("norms/min-add-r"; "(+ ?c (min ?a ?b))" => "(min (+ ?c ?a) (+ ?c ?b))"),
        rw!("norms/scale-max-pos"; "(* ?k (max ?a ?b))" => "(max (* ?k ?a) (* ?k ?b))" if sign_is("?k", true)),
        rw!("norms/scale-max-neg"; "(* ?k (max ?a ?b))" => "(min (* ?k ?a) (* ?k ?b))" if sign_is("?k", false)),
        rw!("norms/scale-min-pos"; "(* ?k (min ?a ?b))" => "(min (* ?k ?a) (* ?k ?b))" if sign_is("?k", true)),
        rw!("norms/scale-min-neg"; "(* ?k (min ?a ?b))" => "(max (* ?k ?a) (* ?k ?b))" if sign_is("?k", false)),
        rw!("norms/le-max-l"; "(<= (max ?a ?b) ?c)" => "(and (<= ?a ?c) (<= ?b ?c))"),
        rw!("norms/le-max-r"; "(<= ?c (max ?a ?b))" => "(or (<= ?c ?a) (<= ?c ?b))"),
        rw!("norms/le-min-l"; "(<= (min ?a ?b) ?c)" => "(or (<= ?a ?c) (<= ?b ?c))"),
        rw!("norms/le-min-r"; "(<= ?c (min ?a ?b))" => "(and (<= ?c ?a) (<= ?c ?b))"),
        rw!("norms/lt-max-l"; "(< (max ?a ?b) ?c)" => "(and (< ?a ?c) (< ?b ?c))"),
        rw!("norms/lt-max-r"; "(< ?c (max ?a ?b))" => "(or (< ?c ?a) (< ?c ?b))"),
        rw!("norms/lt-min-l"; "(< (min ?a ?b) ?c)" => "(or (< ?a ?c) (< ?b ?c))"),
        rw!("norms/lt-min-r"; "(< ?c (min ?a ?b))" => "(and (< ?c ?a) (< ?c ?b))"),
        rw!("norms/eq-max-l"; "(== (max ?a ?b) ?c)" => "(or (and (== ?a ?c) (<= ?b ?a)) (and (== ?b ?c) (<= ?a ?b)))"),
        rw!("norms/eq-max-r"; "(== ?c (max ?a ?b))" => "(or (and (== ?a ?c) (<= ?b ?a)) (and (== ?b ?c) (<= ?a ?b)))"),
        rw!("norms/eq-min-l"; "(== (min ?a ?b) ?c)" => "(or (and (== ?a ?c) (<= ?a ?b)) (and (== ?b ?c) (<= ?b ?a)))"),
        rw!("norms/eq-min-r"; "(== ?c (min ?a ?b))" => "(or (and (== ?a ?c) (<= ?a ?b)) (and (== ?b ?c) (<= ?b ?a)))"),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;
    use super::super::{arith, compare, logic, norms};

    fn rules() -> Vec<super::PropRewrite> {
        let mut r = norms::rules();
        r.extend(logic::rules());
        r.extend(compare::rules());
        r.extend(arith::rules());
        r
    }

    #[test]
    fn abs_below_a_bound_is_a_conjunction() {
        check(
            &rules(),
            "(<= (abs v0) 1)",
            "(and (<= v0 1) (<= (* -1 v0) 1))",
            1,
        );
    }

    #[test]
    fn abs_above_a_bound_is_a_disjunction() {
        check(
            &rules(),
            "(< 1 (abs (+ v0 (* -1 v1))))",
            "(or (< 1 (+ v0 (* -1 v1))) (< 1 (* -1 (+ v0 (* -1 v1)))))",
            2,
        );
    }

    #[test]
    fn max_lifts_over_sums_and_negative_scales() {
        check(
            &rules(),
            "(<= (+ (* -2 (max v0 v1)) v1) 0)",
            "(or (<= (+ (* -2 v0) v1) 0) (<= (+ (* -2 v1) v1) 0))",
            2,
        );
    }

    #[test]
    fn min_in_an_equality_splits_by_cases() {
        check(
            &rules(),
            "(== (min v0 v1) 0.5)",
            "(or (and (== v0 0.5) (<= v0 v1)) (and (== v1 0.5) (<= v1 v0)))",
            2,
        );
    }

    #[test]
    fn negated_abs_bound() {
        check(
            &rules(),
            "(not (<= (abs v0) 1))",
            "(or (< 1 v0) (< 1 (* -1 v0)))",
            1,
        );
    }
}
