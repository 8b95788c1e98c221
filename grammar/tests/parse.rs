//! Parser tests: the design's examples, precedence, docs, and spans.

use propc_syntax::ast::{Expr, ExprKind, Item};
use propc_syntax::dump::{dump_expr, dump_file};
use propc_syntax::{Diagnostic, SourceMap, parse, parse_expr, render};

fn file(text: &str) -> String {
    let mut sources = SourceMap::new();
    let id = sources.add("test.prop", text);
    let (tree, diags) = parse(&sources, id);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics:\n{}",
        render(&sources, &diags, false)
    );
    dump_file(&tree)
}

fn expr(text: &str) -> String {
    let mut sources = SourceMap::new();
    let id = sources.add("expr.prop", text);
    let (e, diags) = parse_expr(&sources, id);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics:\n{}",
        render(&sources, &diags, false)
    );
    dump_expr(&e)
}

fn parse_ok(text: &str) -> (SourceMap, propc_syntax::ast::SpecFile) {
    let mut sources = SourceMap::new();
    let id = sources.add("test.prop", text);
    let (tree, diags): (_, Vec<Diagnostic>) = parse(&sources, id);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics:\n{}",
        render(&sources, &diags, false)
    );
    (sources, tree)
}

const MONOTONE: &str = r#"// specs/auto_mpg/monotone.prop
import std.relations

network f : Real[7] -> Real[1]            // bound at the command line: --net f=mpg.onnx

let X = box(lo = zeros(7), hi = ones(7))  // normalized feature space
let WEIGHT = 3

/// Heavier cars never get a better predicted mpg.
property mpg_falls_with_weight =
  forall x, y in X.
    x[WEIGHT] <= y[WEIGHT] and agree_except(x, y, [WEIGHT]) => f(x)[0] >= f(y)[0]
"#;

const SEEDS: &str = r#"// global robustness, as in the twin-network (ITNE / GROCET) papers
param delta : Real = 0.01
query output_variation =
  maximize abs(f(x)[0] - f(y)[0]) over x, y in box(zeros(784), ones(784))
  where norm_inf(x - y) <= delta

// individual fairness: only the sensitive feature differs
property fair =
  forall x, y in X. agree_except(x, y, [SEX]) => abs(f(x)[0] - f(y)[0]) <= 0.05

// formal local implication between two networks (LROM >= 0 for every other class)
network original : Real[784] -> Real[10]
network compact  : Real[784] -> Real[10]
property compact_implies_original =
  for (x0, c) in test.
    forall x in ball(x0, delta).
      forall j in 0..10 where j != c.
        (original(x)[c] - original(x)[j]) - (compact(x)[c] - compact(x)[j]) >= 0

// a 3-ary relation: a pairwise preference network must be transitive
network pref : Real[8] -> Real[1]          // pref(concat(a, b)) > 0 : a preferred to b
property transitive =
  forall a, b, c in box(zeros(4), ones(4)).
    pref(concat(a, b))[0] >= 0.1 and pref(concat(b, c))[0] >= 0.1
      => pref(concat(a, c))[0] >= 0
"#;

#[test]
fn design_monotone() {
    insta::assert_snapshot!(file(MONOTONE));
}

#[test]
fn design_seed_properties() {
    insta::assert_snapshot!(file(SEEDS));
}

#[test]
fn declarations() {
    insta::assert_snapshot!(file(
        r#"import std.robustness
import "defs.prop"
network f : Real[784] -> Real[10]
network g : Real[n, 3] -> (Real[2], Bool)
param eps : Real = 0.01
param k : Int
dataset test : (Real[784], Class[10])
dataset xs : Real[4]
def local(g: Real[n] -> Real[m], x0: Real[n], c: Index[m], eps: Real) : Bool =
  forall x in ball(x0, eps). argmax(g(x)) == c
def twice(x: Real) = 2 * x
def none() : Domain[3] = box(zeros(3), ones(3))
def ints(a: Int[k], b: Int, d: Domain) = a
query q = minimize f(x)[0] over x in X
"#
    ));
}

#[test]
fn precedence() {
    let cases = [
        "a + b * c",
        "a * b + c",
        "a - b - c",
        "a / b / c",
        "not a and b",
        "not a < b",
        "a => b => c",
        "a <=> b <=> c",
        "a or b and c",
        "a and b or c => d <=> e",
        "-x[0]",
        "--x",
        "-a * b",
        "a - -b",
        "(a + b) * c",
        "f(x)[0][1]",
        "x[i, j]",
        "x[2..5]",
        "x[i, 0..n]",
        "[a, b, c]",
        "[]",
        "[1, 2.5, -3,]",
        "box(lo = zeros(7), hi = ones(7))",
        "ball(x0, 0.1, norm = 1)",
        "f()",
        "true and not false",
        "0 <= x[i] <= 1",
        "a < b == c != d >= e > f",
        "a + 1 <= b * 2",
        "1e-3 + 2.5e+3 + 0.01 + 784",
    ];
    let mut out = String::new();
    for c in cases {
        out.push_str(&format!("{c}\n  {}\n", expr(c).replace('\n', "\n  ")));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn quantifiers_as_right_operands() {
    let cases = [
        "a => forall j in 0..10 where j != c. f(x)[c] > f(x)[j]",
        "a and exists x in X. p(x) or q",
        "a or forall x in X. b",
        "a <=> forall x in X. b",
        "not forall x in X. b",
        "(forall x in X. a) and b",
        "forall x in X. a => b",
        "forall x in X. forall y in Y. a",
        "forall x in X where x[0] <= 0. a and b",
        "forall i in 0..n - 1. x[i] <= x[i + 1]",
        "exists x in box(zeros(2), ones(2)) where 0 <= x[0] <= 1. f(x)[0] > 0",
        "for x0 in test. f(x0)[0] >= 0",
        "for (x0, c) in test. argmax(f(x0)) == c",
        "f(forall x in X. a)",
    ];
    let mut out = String::new();
    for c in cases {
        out.push_str(&format!("{c}\n  {}\n", expr(c).replace('\n', "\n  ")));
    }
    insta::assert_snapshot!(out);
}

#[test]
fn doc_comments() {
    insta::assert_snapshot!(file(
        r#"/// One line.
let a = 1

/// First line.
///   indented second line.
///
/// After an empty line.
property p = true

let b = 2
// plain comment
/* block
   comment */ let c = 3
//// four slashes: a plain comment
let d = 4
"#
    ));
}

#[test]
fn doc_comment_not_attached_warns() {
    let mut sources = SourceMap::new();
    let id = sources.add(
        "doc.prop",
        "/// Not directly above.\n\nlet b = 2\nproperty p = a /// trailing\n",
    );
    let (tree, diags) = parse(&sources, id);
    assert_eq!(tree.items.len(), 2);
    assert!(tree.items.iter().all(|i| i.doc().is_none()));
    assert_eq!(diags.len(), 2);
    assert!(diags.iter().all(|d| !d.is_error() && d.code == "W0001"));
    insta::assert_snapshot!(render(&sources, &diags, false));
}

/// Every node's span covers exactly its source text.
#[test]
fn spans() {
    let text = "property p =\n  forall x in X. 0 <= x[i] <= 1 and f(x + y)[0] > -2 => (a)\n";
    let (sources, tree) = parse_ok(text);
    let Item::Property {
        body, span, name, ..
    } = &tree.items[0]
    else {
        panic!("not a property")
    };
    assert_eq!(sources.snippet(*span), text.trim_end());
    assert_eq!(sources.snippet(name.span), "p");
    assert_eq!(
        sources.snippet(body.span),
        "forall x in X. 0 <= x[i] <= 1 and f(x + y)[0] > -2 => (a)"
    );
    let ExprKind::Quant {
        body,
        binders,
        domain,
        ..
    } = &body.kind
    else {
        panic!("not a quantifier")
    };
    assert_eq!(sources.snippet(binders[0].span), "x");
    assert_eq!(sources.snippet(domain.span), "X");
    assert_eq!(
        sources.snippet(body.span),
        "0 <= x[i] <= 1 and f(x + y)[0] > -2 => (a)"
    );
    let ExprKind::Binary { lhs, rhs, .. } = &body.kind else {
        panic!("not =>")
    };
    assert_eq!(sources.snippet(rhs.span), "(a)");
    let ExprKind::Binary {
        lhs: chain,
        rhs: cmp2,
        ..
    } = &lhs.kind
    else {
        panic!("not and")
    };
    let ExprKind::Compare { first, rest } = &chain.kind else {
        panic!("not a chain")
    };
    assert_eq!(sources.snippet(first.span), "0");
    let ops: Vec<(&str, &str)> = rest
        .iter()
        .map(|(_, s, e)| (sources.snippet(*s), sources.snippet(e.span)))
        .collect();
    assert_eq!(ops, vec![("<=", "x[i]"), ("<=", "1")]);
    assert_eq!(sources.snippet(cmp2.span), "f(x + y)[0] > -2");

    // Every expression node: a non-empty span inside its parent's.
    fn walk(e: &Expr, outer: propc_syntax::Span, n: &mut usize) {
        assert!(
            e.span.start < e.span.end && outer.start <= e.span.start && e.span.end <= outer.end
        );
        *n += 1;
        let mut kids: Vec<&Expr> = Vec::new();
        match &e.kind {
            ExprKind::Call { args, .. } => kids.extend(args.iter().map(|a| a.expr())),
            ExprKind::Index { base, indices } => {
                kids.push(base);
                for i in indices {
                    match i {
                        propc_syntax::ast::IndexArg::At(e) => kids.push(e),
                        propc_syntax::ast::IndexArg::Slice(a, b) => kids.extend([a, b]),
                    }
                }
            }
            ExprKind::Unary { operand, .. } => kids.push(operand),
            ExprKind::Binary { lhs, rhs, .. } => kids.extend([&**lhs, &**rhs]),
            ExprKind::Compare { first, rest } => {
                kids.push(first);
                kids.extend(rest.iter().map(|(_, _, e)| e));
            }
            ExprKind::Vector(v) => kids.extend(v),
            ExprKind::Range { lo, hi } => kids.extend([&**lo, &**hi]),
            ExprKind::Quant {
                domain,
                condition,
                body,
                ..
            } => {
                kids.push(domain);
                kids.extend(condition.as_deref());
                kids.push(body);
            }
            ExprKind::ForData { body, .. } => kids.push(body),
            _ => {}
        }
        for k in kids {
            walk(k, e.span, n);
        }
    }
    let (_, tree) = parse_ok(SEEDS);
    let mut n = 0;
    for item in &tree.items {
        match item {
            Item::Property { body, span, .. } => walk(body, *span, &mut n),
            Item::Query {
                objective,
                domain,
                condition,
                span,
                ..
            } => {
                walk(objective, *span, &mut n);
                walk(domain, *span, &mut n);
                if let Some(c) = condition {
                    walk(c, *span, &mut n);
                }
            }
            _ => {}
        }
    }
    assert!(n > 50);
}

#[test]
fn stdlib_and_specs_parse() {
    // Whatever `.prop` files the repository has must parse without errors.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut count = 0;
    for dir in ["stdlib", "specs"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "prop") {
                let text = std::fs::read_to_string(&path).expect("readable spec file");
                let mut sources = SourceMap::new();
                let id = sources.add(path.display().to_string(), text);
                let (_, diags) = parse(&sources, id);
                let errors: Vec<Diagnostic> =
                    diags.into_iter().filter(Diagnostic::is_error).collect();
                assert!(errors.is_empty(), "{}", render(&sources, &errors, false));
                count += 1;
            }
        }
    }
    eprintln!("{count} .prop files parsed");
}
