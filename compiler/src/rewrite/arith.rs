//! Rule family `arith`: units of `+` and `*`, and constant folding (done by the
//! [`Folding`](super::Folding) analysis, which adds the constant of every constant
//! e-class; these rules remove the units left behind).
//!
//! Takes/gives: e-graph rewrites over [`Prop`]; each is an equivalence of terms.

use egg::rewrite as rw;

use super::PropRewrite;

pub fn rules() -> Vec<PropRewrite> {
    vec![
        rw!("arith/add-zero-l"; "(+ 0 ?a)" => "?a"),
        rw!("arith/add-zero-r"; "(+ ?a 0)" => "?a"),
        rw!("arith/scale-one"; "(* 1 ?a)" => "?a"),
        rw!("arith/scale-zero"; "(* 0 ?a)" => "0"),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::testing::check;

    #[test]
    fn units_disappear() {
        check(
            &super::rules(),
            "(<= (+ (* 1 v0) 0) (+ 2 (* 0 v1)))",
            "(<= v0 2)",
            2,
        );
    }

    #[test]
    fn constant_subterms_fold() {
        check(
            &super::rules(),
            "(<= (+ v0 (+ 1 2)) (* 2 3))",
            "(<= (+ v0 3) 6)",
            1,
        );
    }
}
