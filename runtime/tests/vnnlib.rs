//! VNN-LIB import and export: parsing of hand-written files (boxes, nested `and`/`or`,
//! input disjunctions, numbers, comments), located diagnostics for bad files
//! (snapshots of the rendered errors), the semantics (a point is a model of the file iff
//! it is a counterexample of one of the problems, checked against a direct Rust
//! statement of each file on random points), and the round trip import → export →
//! import. Opt-in: every VNN-LIB file of the shared ACAS Xu and MNIST benchmarks parses
//! and fits its networks (skipped with a `skip:` line when `PROPC_DATA` is absent).

use std::path::{Path, PathBuf};

use propc_compiler::ir::{Goal, LinAtom, LinExpr, Problem, Ref, Rel};
use propc_runtime::vnnlib::{self, to_vnnlib};
use propc_syntax::{Diagnostic, SourceMap};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn import(text: &str, n: usize, m: usize) -> Result<Vec<Problem>, Vec<Diagnostic>> {
    let mut sources = SourceMap::new();
    let file = sources.add("test.vnnlib", text);
    vnnlib::import(&sources, file, "p", n, m)
}

fn ok(text: &str, n: usize, m: usize) -> Vec<Problem> {
    match import(text, n, m) {
        Ok(p) => p,
        Err(d) => {
            let mut sources = SourceMap::new();
            sources.add("test.vnnlib", text);
            panic!("{}", propc_syntax::render(&sources, &d, false))
        }
    }
}

/// The rendered diagnostics of a bad file (no colour).
fn rendered_errors(text: &str, n: usize, m: usize) -> String {
    let mut sources = SourceMap::new();
    let file = sources.add("bad.vnnlib", text);
    match vnnlib::import(&sources, file, "p", n, m) {
        Ok(p) => panic!("expected an error, got {p:?}"),
        Err(d) => {
            assert!(
                d.iter().all(|d| d.is_error() && d.primary_span().is_some()),
                "unlocated: {d:?}"
            );
            propc_syntax::render(&sources, &d, false)
        }
    }
}

fn decls(n: usize, m: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!("(declare-const X_{i} Real)\n"));
    }
    for j in 0..m {
        s.push_str(&format!("(declare-const Y_{j} Real)\n"));
    }
    s
}

fn goals(p: &Problem) -> &[Vec<LinAtom>] {
    match &p.goal {
        Goal::Violation(g) => g,
        Goal::Optimize { .. } => panic!("a query"),
    }
}

fn le(terms: &[(Ref, f64)], constant: f64) -> LinAtom {
    LinAtom {
        expr: LinExpr {
            terms: terms.to_vec(),
            constant,
        }
        .canonicalize(),
        rel: Rel::Le,
    }
}

const Y0: Ref = Ref::Out { app: 0, index: 0 };
const Y1: Ref = Ref::Out { app: 0, index: 1 };

#[test]
fn a_box_and_one_output_constraint() {
    let text = format!(
        "; a comment\n{}\n(assert (<= X_0 0.5))\n(assert (>= X_0 -0.5)) ; trailing\n(assert (<= X_1 1e-1))\n(assert (>= X_1 -2.5E-1))\n(assert (>= Y_0 Y_1))\n",
        decls(2, 2)
    );
    let ps = ok(&text, 2, 2);
    assert_eq!(ps.len(), 1);
    let p = &ps[0];
    assert_eq!(p.name, "p");
    let boxes: Vec<(f64, f64)> = p.vars.iter().map(|v| (v.lo, v.hi)).collect();
    assert_eq!(boxes, vec![(-0.5, 0.5), (-0.25, 0.1)]);
    assert_eq!(p.vars[1].name, "X_1");
    assert!(p.premise.is_empty());
    assert_eq!(p.applications.len(), 1);
    assert_eq!(p.applications[0].outputs, 2);
    assert_eq!(
        p.applications[0].input,
        vec![LinExpr::var(Ref::Var(0)), LinExpr::var(Ref::Var(1))]
    );
    // Y_1 - Y_0 <= 0.
    assert_eq!(goals(p), &[vec![le(&[(Y1, 1.0), (Y0, -1.0)], 0.0)]]);
}

#[test]
fn nested_and_or_is_put_in_dnf() {
    let text = format!(
        "{}(assert (and (<= X_0 1) (>= X_0 0)))\n(assert (and (<= X_1 1) (>= X_1 0)))\n\
         (assert (or (and (<= Y_0 Y_1) (or (>= Y_2 1) (< Y_0 -2.5e-1))) (> Y_1 3)))\n\
         (assert (or (<= Y_2 100) (<= Y_0 100)))\n",
        decls(2, 3)
    );
    let ps = ok(&text, 2, 3);
    assert_eq!(ps.len(), 1);
    // (a and (b or c) or d) and (e or f): 3 x 2 disjuncts.
    assert_eq!(goals(&ps[0]).len(), 6);
    assert!(goals(&ps[0]).iter().all(|g| !g.is_empty()));
}

#[test]
fn a_top_level_or_of_input_boxes_gives_one_problem_per_box() {
    // ACAS Xu property 6: two disjoint input boxes, output constraints shared.
    let text = format!(
        "{}(assert (or\n  (and (<= X_0 0.7) (>= X_0 -0.1) (<= X_1 0.5) (>= X_1 0.1))\n  (and (<= X_0 0.7) (>= X_0 -0.1) (<= X_1 -0.1) (>= X_1 -0.5))\n))\n\
         (assert (or (and (<= Y_1 Y_0)) (and (<= Y_2 Y_0))))\n",
        decls(2, 3)
    );
    let ps = ok(&text, 2, 3);
    assert_eq!(ps.len(), 2);
    assert_eq!((ps[0].name.as_str(), ps[1].name.as_str()), ("p[0]", "p[1]"));
    assert_eq!((ps[0].vars[1].lo, ps[0].vars[1].hi), (0.1, 0.5));
    assert_eq!((ps[1].vars[1].lo, ps[1].vars[1].hi), (-0.5, -0.1));
    for p in &ps {
        assert_eq!((p.vars[0].lo, p.vars[0].hi), (-0.1, 0.7));
        assert_eq!(goals(p).len(), 2);
    }
}

#[test]
fn input_bounds_inside_an_output_or_split_the_region() {
    // Both the input box and the output constraint inside each disjunct (a form several
    // VNN-COMP benchmarks use).
    let text = format!(
        "{}(assert (or\n  (and (>= X_0 0) (<= X_0 1) (<= Y_0 0))\n  (and (>= X_0 2) (<= X_0 3) (<= Y_0 0))\n  (and (>= X_0 2) (<= X_0 3) (>= Y_0 5))))\n",
        decls(1, 1)
    );
    let ps = ok(&text, 1, 1);
    assert_eq!(ps.len(), 2);
    assert_eq!((ps[0].vars[0].lo, ps[0].vars[0].hi), (0.0, 1.0));
    assert_eq!(goals(&ps[0]).len(), 1);
    assert_eq!((ps[1].vars[0].lo, ps[1].vars[0].hi), (2.0, 3.0));
    assert_eq!(goals(&ps[1]).len(), 2);
}

#[test]
fn numbers_terms_and_other_commands() {
    let text = "(set-logic QF_LRA)\n; inputs\n(declare-const X_0 Real)\n(declare-fun X_1 () Real)\n(declare-const Y_0 Real)\n\
                (assert (<= -1.5e+2 X_0 (- 2.5)))  ; chained: -150 <= X_0 <= -2.5\n\
                (assert (>= X_1 .5)) (assert (<= X_1 +7))\n\
                (assert (<= (+ X_0 (* 2 X_1)) 3))\n\
                (assert (< (* -1 Y_0) (/ 1 4)))\n(check-sat)\n(get-model)\n";
    let ps = ok(text, 2, 1);
    let p = &ps[0];
    assert_eq!((p.vars[0].lo, p.vars[0].hi), (-150.0, -2.5));
    assert_eq!((p.vars[1].lo, p.vars[1].hi), (0.5, 7.0));
    assert_eq!(
        p.premise,
        vec![le(&[(Ref::Var(0), 1.0), (Ref::Var(1), 2.0)], -3.0)]
    );
    assert_eq!(
        goals(p),
        &[vec![LinAtom {
            expr: LinExpr {
                terms: vec![(Y0, -1.0)],
                constant: -0.25
            },
            rel: Rel::Lt
        }]]
    );
}

#[test]
fn strict_and_scaled_bounds_stay_exact() {
    let text = format!(
        "{}(assert (< X_0 1))\n(assert (> X_0 0))\n(assert (<= (* 3 X_1) 1))\n(assert (>= X_1 0))\n(assert (= X_2 0.25))\n(assert (<= Y_0 0))\n",
        decls(3, 1)
    );
    let p = &ok(&text, 3, 1)[0];
    assert_eq!((p.vars[0].lo, p.vars[0].hi), (0.0, 1.0));
    // 1/3 rounded outwards; the atom stays.
    assert!(p.vars[1].hi >= 1.0 / 3.0 && p.vars[1].hi < 0.3334);
    assert_eq!((p.vars[2].lo, p.vars[2].hi), (0.25, 0.25));
    // x0 < 1, 0 < x0 (strict) and 3 x1 <= 1 (scaled) are kept.
    assert_eq!(p.premise.len(), 3);
    assert!(!p.premise_holds(&[1.0, 0.0, 0.25], &[vec![0.0]]));
    assert!(p.premise_holds(&[0.5, 1.0 / 3.0, 0.25], &[vec![0.0]]));
}

#[test]
fn an_empty_box_holds_trivially() {
    let text = format!(
        "{}(assert (<= X_0 0))\n(assert (>= X_0 1))\n(assert (<= Y_0 0))\n",
        decls(1, 1)
    );
    let p = &ok(&text, 1, 1)[0];
    assert!(p.vars[0].lo <= p.vars[0].hi);
    assert!(!p.premise_holds(&[p.vars[0].lo], &[vec![0.0]]));
}

#[test]
fn false_outputs_give_no_goal() {
    let text = format!(
        "{}(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (or))\n",
        decls(1, 1)
    );
    let ps = ok(&text, 1, 1);
    assert_eq!(ps.len(), 1);
    assert!(goals(&ps[0]).is_empty());
    let text = format!("{}(assert (<= X_0 1))\n(assert (>= X_0 0))\n", decls(1, 1));
    assert_eq!(goals(&ok(&text, 1, 1)[0]), &[Vec::<LinAtom>::new()]);
}

// ------------------------------------------------------------------------------------
// Semantics on random points: model of the file <=> counterexample of some problem.

fn any_counterexample(ps: &[Problem], x: &[f64], y: &[f64]) -> bool {
    ps.iter()
        .any(|p| p.violated_goal(x, &[y.to_vec()]).is_some())
}

fn check_semantics(text: &str, n: usize, m: usize, model: impl Fn(&[f64], &[f64]) -> bool) {
    let ps = ok(text, n, m);
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut hits = 0;
    for _ in 0..20_000 {
        // A coarse grid so that boundaries are hit exactly.
        let x: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(-8i32..=8)) / 4.0)
            .collect();
        let y: Vec<f64> = (0..m)
            .map(|_| f64::from(rng.random_range(-8i32..=8)) / 4.0)
            .collect();
        let expected = model(&x, &y);
        hits += usize::from(expected);
        assert_eq!(
            any_counterexample(&ps, &x, &y),
            expected,
            "x = {x:?}, y = {y:?}"
        );
    }
    assert!(hits > 100, "too few models hit: {hits}");
}

#[test]
fn semantics_of_nested_formulas() {
    let text = format!(
        "{}(assert (or (and (<= X_0 1) (>= X_0 -1) (<= X_1 0.5) (>= X_1 -1)) (and (>= X_0 0.5) (<= X_0 2) (>= X_1 0) (<= X_1 2))))\n\
         (assert (or (and (<= Y_0 Y_1) (or (>= Y_1 0.5) (< Y_0 -0.25))) (> Y_1 (+ X_0 1))))\n\
         (assert (or (<= X_0 X_1) (<= Y_0 0) (< 1.5 X_1)))\n",
        decls(2, 2)
    );
    check_semantics(&text, 2, 2, |x, y| {
        let region = (-1.0..=1.0).contains(&x[0]) && (-1.0..=0.5).contains(&x[1])
            || (0.5..=2.0).contains(&x[0]) && (0.0..=2.0).contains(&x[1]);
        let a = y[0] <= y[1] && (y[1] >= 0.5 || y[0] < -0.25) || y[1] > x[0] + 1.0;
        let b = x[0] <= x[1] || y[0] <= 0.0 || 1.5 < x[1];
        region && a && b
    });
}

#[test]
fn semantics_of_strict_and_scaled_bounds() {
    let text = format!(
        "{}(assert (< X_0 1))\n(assert (> X_0 -1))\n(assert (<= (* 2 X_1) 1.5))\n(assert (>= (* -4 X_1) -6))\n(assert (>= X_1 -2))\n(assert (or (< Y_0 0) (= Y_0 X_0)))\n",
        decls(2, 1)
    );
    check_semantics(&text, 2, 1, |x, y| {
        -1.0 < x[0]
            && x[0] < 1.0
            && 2.0 * x[1] <= 1.5
            && -4.0 * x[1] >= -6.0
            && x[1] >= -2.0
            && (y[0] < 0.0 || y[0] == x[0])
    });
}

// ------------------------------------------------------------------------------------
// Round trip.

fn round_trip(text: &str, n: usize, m: usize) {
    let first = ok(text, n, m);
    for p in &first {
        let out = to_vnnlib(p, n, m).expect("exportable");
        let again = ok(&out, n, m);
        assert_eq!(again.len(), 1, "{out}");
        let mut renamed = again[0].clone();
        renamed.name = p.name.clone();
        assert_eq!(&renamed, p, "exported text:\n{out}");
    }
}

#[test]
fn round_trip_of_hand_written_files() {
    let files = [
        format!(
            "{}(assert (<= X_0 0.1))\n(assert (>= X_0 -3.3e20))\n(assert (<= X_1 1e-7))\n(assert (>= X_1 -0))\n(assert (>= Y_0 Y_1))\n",
            decls(2, 2)
        ),
        format!(
            "{}(assert (or (and (<= X_0 0.7) (>= X_0 -0.1) (<= X_1 0.5) (>= X_1 0.1)) (and (<= X_0 0.7) (>= X_0 -0.1) (<= X_1 -0.1) (>= X_1 -0.5))))\n\
             (assert (or (and (<= Y_1 Y_0)) (and (<= Y_2 Y_0) (> (+ Y_1 (* 0.3 Y_2)) -1.25))))\n",
            decls(2, 3)
        ),
        format!(
            "{}(assert (< X_0 1))\n(assert (> X_0 0))\n(assert (<= (* 3 X_1) 1))\n(assert (>= X_1 0))\n(assert (= X_2 0.25))\n(assert (<= X_0 (- X_1 0.125)))\n(assert (= Y_0 (* 2 X_2)))\n",
            decls(3, 1)
        ),
        format!(
            "{}(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (or))\n",
            decls(1, 1)
        ),
        format!("{}(assert (<= X_0 1))\n(assert (>= X_0 0))\n", decls(1, 1)),
    ];
    for f in &files {
        let n = (0..)
            .take_while(|i| f.contains(&format!("X_{i} Real")))
            .count();
        let m = (0..)
            .take_while(|j| f.contains(&format!("Y_{j} Real")))
            .count();
        round_trip(f, n, m);
    }
}

#[test]
fn export_refuses_what_vnnlib_cannot_say() {
    let text = format!(
        "{}(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= Y_0 0))\n",
        decls(1, 1)
    );
    let p = ok(&text, 1, 1).remove(0);
    assert!(to_vnnlib(&p, 2, 1).is_err());
    assert!(to_vnnlib(&p, 1, 2).is_err());
    let mut twice = p.clone();
    twice.applications.push(twice.applications[0].clone());
    assert!(
        to_vnnlib(&twice, 1, 1)
            .expect_err("not exportable")
            .contains("2 network applications")
    );
    let mut shifted = p.clone();
    shifted.applications[0].input[0].constant = 1.0;
    assert!(
        to_vnnlib(&shifted, 1, 1)
            .expect_err("not exportable")
            .contains("variables in order")
    );
}

// ------------------------------------------------------------------------------------
// Bad files.

#[test]
fn bad_unbalanced_close() {
    insta::assert_snapshot!(rendered_errors("(declare-const X_0 Real))\n", 1, 1));
}

#[test]
fn bad_unclosed_open() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1)\n(assert (>= X_0 0))\n",
        1,
        1
    ));
}

#[test]
fn bad_unknown_variable() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= Y_1 Y_0))\n(assert (<= Z 0))\n",
        1,
        2
    ));
}

#[test]
fn bad_unsupported_operator() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (not (<= Y_0 0)))\n(assert (<= (* X_0 Y_0) 1))\n(push 1)\n",
        1,
        1
    ));
}

#[test]
fn bad_index_out_of_the_network() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)\n(declare-const Y_5 Real)\n(assert (<= X_0 1))\n",
        2,
        3
    ));
}

#[test]
fn bad_missing_input_declaration() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n",
        3,
        1
    ));
}

#[test]
fn bad_unbounded_input() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert (<= X_1 1))\n(assert (<= Y_0 0))\n",
        2,
        1
    ));
}

#[test]
fn bad_numbers_sorts_and_declarations() {
    insta::assert_snapshot!(rendered_errors(
        "(declare-const X_0 Real)\n(declare-const X_0 Real)\n(declare-const X_1 Int)\n(declare-const Y_0 Real)\n(assert (<= X_0 1.5.2))\n(assert (>= X_0 1e999))\n",
        1,
        1
    ));
}

// ------------------------------------------------------------------------------------

/// Found by `fuzz/` (target `vnnlib`, inputs under `fuzz/regressions/vnnlib/`): a file
/// of deeply nested lists overflowed the stack when its tree was dropped. It is an
/// `E0701` now; a formula within the reader's limit still reads.
#[test]
fn deeply_nested_lists_are_an_error_not_a_stack_overflow() {
    let n = 200_000;
    for text in [
        format!("{}{}", "(".repeat(n), ")".repeat(n)),
        format!("(assert {}{})", "(and ".repeat(n), ")".repeat(n + 1)),
        // Unbalanced too: the depth is refused before the end of the file is seen.
        "(".repeat(n),
    ] {
        let d = import(&text, 1, 1).expect_err("refused");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "E0701");
        assert!(
            d[0].message.contains("nested more than"),
            "{}",
            d[0].message
        );
    }
    let deep_ok = format!(
        "{}(assert (<= X_0 1))\n(assert (>= X_0 0))\n(assert {}(<= Y_0 0){})\n",
        decls(1, 1),
        "(and ".repeat(200),
        ")".repeat(200)
    );
    assert_eq!(ok(&deep_ok, 1, 1).len(), 1);
}
// Opt-in: the shared VNN-COMP benchmarks.

fn data_dir() -> Option<PathBuf> {
    let data = match std::env::var_os("PROPC_DATA") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"),
    };
    let dir = data.join("vnncomp");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skip: shared data not found ({} is missing; set PROPC_DATA to the shared data folder)",
            dir.display()
        );
        None
    }
}

fn vnnlib_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "vnnlib"))
        .collect();
    files.sort();
    files
}

fn import_file(path: &Path, n: usize, m: usize) -> Vec<Problem> {
    let mut sources = SourceMap::new();
    let text = std::fs::read_to_string(path).expect("readable");
    let file = sources.add(path.display().to_string(), text);
    let parsed = vnnlib::parse(&sources, file)
        .unwrap_or_else(|d| panic!("{}", propc_syntax::render(&sources, &d, false)));
    assert_eq!(
        (parsed.input_count(), parsed.output_count()),
        (n, m),
        "{}",
        path.display()
    );
    parsed
        .problems("p", n, m)
        .unwrap_or_else(|d| panic!("{}", propc_syntax::render(&sources, &d, false)))
}

#[test]
fn shared_acasxu_files_parse_and_fit_five_inputs() {
    let Some(dir) = data_dir() else { return };
    let files = vnnlib_files(&dir.join("acasxu/vnnlib"));
    assert_eq!(files.len(), 10);
    for f in &files {
        let ps = import_file(f, 5, 5);
        let expected = if f.ends_with("prop_6.vnnlib") { 2 } else { 1 };
        assert_eq!(ps.len(), expected, "{}", f.display());
        for p in &ps {
            assert_eq!(p.vars.len(), 5);
            for v in &p.vars {
                // ACAS Xu inputs are normalized to about [-0.5, 0.5] (X_0 up to 0.68).
                assert!(
                    v.lo <= v.hi && v.lo >= -0.51 && v.hi <= 0.71,
                    "{}: {v:?}",
                    f.display()
                );
            }
            assert!(!goals(p).is_empty());
            assert!(p.premise.is_empty());
            round_trip_problem(p, 5, 5);
        }
    }
}

fn round_trip_problem(p: &Problem, n: usize, m: usize) {
    let text = to_vnnlib(p, n, m).expect("exportable");
    let mut again = ok(&text, n, m);
    assert_eq!(again.len(), 1);
    again[0].name = p.name.clone();
    assert_eq!(&again[0], p);
}

#[test]
fn shared_mnist_files_parse_and_fit_784_inputs() {
    let Some(dir) = data_dir() else { return };
    let files = vnnlib_files(&dir.join("mnist_fc/vnnlib"));
    assert_eq!(files.len(), 30);
    for f in &files {
        let ps = import_file(f, 784, 10);
        assert_eq!(ps.len(), 1);
        assert_eq!(goals(&ps[0]).len(), 9, "{}", f.display());
        assert!(
            ps[0]
                .vars
                .iter()
                .all(|v| 0.0 <= v.lo && v.lo <= v.hi && v.hi <= 1.0)
        );
        round_trip_problem(&ps[0], 784, 10);
    }
}
