//! Rule family `compare`: negated comparisons become comparisons, `!=` becomes a
//! disjunction of strict comparisons.
//!
//! Takes/gives: e-graph rewrites over [`Prop`]; each is an equivalence (for finite
//! reals; NaN never reaches the IR because constants are checked finite).

use egg::rewrite as rw;

use super::PropRewrite;

pub fn rules() -> Vec<PropRewrite> {
    vec![
        rw!("compare/not-le"; "(not (<= ?a ?b))" => "(< ?b ?a)"),
        rw!("compare/not-lt"; "(not (< ?a ?b))" => "(<= ?b ?a)"),
        rw!("compare/not-eq"; "(not (== ?a ?b))" => "(!= ?a ?b)"),
        rw!("compare/not-ne"; "(not (!= ?a ?b))" => "(== ?a ?b)"),
        rw!("compare/ne-split"; "(!= ?a ?b)" => "(or (< ?a ?b) (< ?b ?a))"),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    #[test]
    fn negated_comparisons_flip() {
        check(&super::rules(), "(not (<= v0 v1))", "(< v1 v0)", 2);
        check(&super::rules(), "(not (< v0 v1))", "(<= v1 v0)", 2);
    }

    #[test]
    fn not_equal_splits() {
        check(&super::rules(), "(!= v0 v1)", "(or (< v0 v1) (< v1 v0))", 2);
        check(
            &super::rules(),
            "(not (== v0 1))",
            "(or (< v0 1) (< 1 v0))",
            1,
        );
        check(&super::rules(), "(not (!= v0 1))", "(== v0 1)", 1);
    }
}
