//! Rule family `logic`: implication and equivalence elimination, negation normal form,
//! and the units of `and`/`or`.
//!
//! Takes/gives: e-graph rewrites over [`Prop`]; each is an equivalence of formulas.

use egg::rewrite as rw;

use super::PropRewrite;

pub fn rules() -> Vec<PropRewrite> {
    vec![
        rw!("logic/implies-elim"; "(=> ?a ?b)" => "(or (not ?a) ?b)"),
        rw!("logic/iff-elim"; "(<=> ?a ?b)" => "(and (or (not ?a) ?b) (or ?a (not ?b)))"),
        rw!("logic/not-not"; "(not (not ?a))" => "?a"),
        rw!("logic/not-and"; "(not (and ?a ?b))" => "(or (not ?a) (not ?b))"),
        rw!("logic/not-or"; "(not (or ?a ?b))" => "(and (not ?a) (not ?b))"),
        rw!("logic/and-true-l"; "(and true ?a)" => "?a"),
        rw!("logic/and-true-r"; "(and ?a true)" => "?a"),
        rw!("logic/or-false-l"; "(or false ?a)" => "?a"),
        rw!("logic/or-false-r"; "(or ?a false)" => "?a"),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;
    use super::super::{compare, logic};

    fn rules() -> Vec<super::PropRewrite> {
        let mut r = logic::rules();
        r.extend(compare::rules());
        r
    }

    #[test]
    fn implication_is_eliminated() {
        check(
            &rules(),
            "(=> (<= v0 1) (<= v1 2))",
            "(or (< 1 v0) (<= v1 2))",
            2,
        );
    }

    #[test]
    fn negation_goes_through_and_or() {
        check(
            &rules(),
            "(not (and (<= v0 1) (or (< v1 0) (== v0 v1))))",
            "(or (< 1 v0) (and (<= 0 v1) (or (< v0 v1) (< v1 v0))))",
            2,
        );
    }

    #[test]
    fn equivalence_is_eliminated() {
        check(
            &rules(),
            "(<=> (<= v0 0) (<= v1 0))",
            "(and (or (< 0 v0) (<= v1 0)) (or (<= v0 0) (< 0 v1)))",
            2,
        );
    }

    #[test]
    fn constants_fold_away() {
        check(&rules(), "(and (<= 1 2) (<= v0 0))", "(<= v0 0)", 1);
        check(&rules(), "(or (<= 3 2) (<= v0 0))", "(<= v0 0)", 1);
        check(&rules(), "(and (<= 3 2) (<= v0 0))", "false", 1);
        check(&rules(), "(=> (<= 3 2) (<= v0 0))", "true", 1);
    }
}
