//! Malformed inputs: several diagnostics per file, recovery, and no panics.

use propc_syntax::ast::{Item, SpecFile};
use propc_syntax::dump::dump_file;
use propc_syntax::{Diagnostic, SourceMap, parse, parse_expr, render};

fn check(text: &str) -> (SpecFile, Vec<Diagnostic>, String) {
    let mut sources = SourceMap::new();
    let id = sources.add("bad.prop", text);
    let (tree, diags) = parse(&sources, id);
    let rendered = render(&sources, &diags, false);
    (tree, diags, rendered)
}

/// The rendered diagnostics, then the recovered tree.
fn report(text: &str) -> String {
    let (tree, diags, rendered) = check(text);
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    let errors: Vec<&str> = tree
        .items
        .iter()
        .filter(|i| matches!(i, Item::Error { .. }))
        .map(|i| text.get(i.span().range()).unwrap_or("<bad span>"))
        .collect();
    format!(
        "{rendered}\ncodes: {codes:?}\ntree:\n{}error items: {errors:#?}\n",
        dump_file(&tree)
    )
}

#[test]
fn two_broken_items_around_a_good_one() {
    let text = "property p = a and => b\n\nlet good = f(x)[0] + 1\n\nproperty q = forall x in X f(x)[0] > 0\n";
    let (tree, diags, _) = check(text);
    assert_eq!(diags.len(), 2);
    assert!(matches!(tree.items[0], Item::Error { .. }));
    assert!(matches!(&tree.items[1], Item::Let { name, .. } if name.name == "good"));
    assert!(matches!(tree.items[2], Item::Error { .. }));
    insta::assert_snapshot!(report(text));
}

#[test]
fn unexpected_eof() {
    insta::assert_snapshot!(report(
        "network f : Real[7] -> Real[1]\nproperty p = f(x)[0] >="
    ));
}

#[test]
fn unexpected_eof_in_item_header() {
    insta::assert_snapshot!(report("let X = 1\ndef g(x: Real"));
}

#[test]
fn bad_character() {
    let text = "let a = 1 # 2\nproperty p = a && b\nlet ok = 3\n";
    let (tree, _, _) = check(text);
    assert!(
        tree.items
            .iter()
            .any(|i| i.name().is_some_and(|n| n.name == "ok"))
    );
    insta::assert_snapshot!(report(text));
}

#[test]
fn unclosed_paren() {
    let text = "property p = forall x in X. abs(f(x)[0] - 1 <= 0.5\n\nlet good = 1\n";
    let (tree, _, _) = check(text);
    assert!(matches!(tree.items.last(), Some(Item::Let { .. })));
    insta::assert_snapshot!(report(text));
}

#[test]
fn unclosed_paren_at_eof() {
    insta::assert_snapshot!(report("let v = [1, 2, f(3\n"));
}

#[test]
fn errors_inside_lists_recover() {
    // Each broken argument or element is one error; the rest of the item survives.
    let text = "let a = f(1 2, x)\nlet b = [1, , 3]\nlet c = x[+, 1]\nlet d = (a b) + 1\n";
    let (tree, diags, _) = check(text);
    assert_eq!(diags.len(), 4);
    assert!(tree.items.iter().all(|i| matches!(i, Item::Let { .. })));
    insta::assert_snapshot!(report(text));
}

#[test]
fn assorted_mistakes() {
    let text = r#"network f Real[7] -> Real[1]
param eps : Real = 
let x = 3 = 4
property p = forall x in X: f(x)[0] > 0
property q = forall x, in X. true
def g(x: Real[n]) : Real = x[0]
query r = maximize f(x)[0] over x in X where
dataset d : (Real[2], Class)
let y = 1 2
import 42
let big = 99999999999999999999 + 1e999
property ok = true
"#;
    let (tree, diags, _) = check(text);
    assert!(diags.len() >= 9, "{}", diags.len());
    let names: Vec<&str> = tree
        .items
        .iter()
        .filter_map(|i| i.name())
        .map(|n| n.name.as_str())
        .collect();
    assert!(names.contains(&"g") && names.contains(&"ok"), "{names:?}");
    insta::assert_snapshot!(report(text));
}

#[test]
fn lex_errors() {
    insta::assert_snapshot!(report(
        "let s = \"abc\nlet t = 1 /* never closed\nlet u = 2"
    ));
}

#[test]
fn garbage_only() {
    let (tree, diags, _) = check(") ) ] , . ..");
    assert_eq!(tree.items.len(), 1);
    assert_eq!(diags.len(), 1);
    insta::assert_snapshot!(report(") ) ] , . .."));
}

#[test]
fn parse_expr_errors() {
    let mut sources = SourceMap::new();
    let id = sources.add("e.prop", "a + * b");
    let (e, diags) = parse_expr(&sources, id);
    assert_eq!(diags.len(), 1);
    insta::assert_snapshot!(format!(
        "{}\n{}",
        render(&sources, &diags, false),
        propc_syntax::dump::dump_expr(&e)
    ));
}

#[test]
fn messages_follow_the_house_style() {
    let texts = [
        "property p = a and => b",
        "network f Real[7] -> Real[1]",
        "let x = (1 + 2",
        "let v = [1, 2",
        "query q = maximize x over y",
        "let = 3",
        "def f(x Real) = x",
        "§",
        "let a = 1e999999",
        "property p = forall x in X f(x)",
        "property p = a = b",
    ];
    for t in texts {
        let (_, diags, _) = check(t);
        assert!(!diags.is_empty(), "{t}");
        for d in &diags {
            let first = d.message.chars().next().unwrap_or('a');
            assert!(!first.is_uppercase(), "{}", d.message);
            assert!(!d.message.ends_with('.'), "{}", d.message);
            assert!(d.code.starts_with('E') && d.code.len() == 5, "{}", d.code);
            assert!(d.help.is_some(), "{t}: {}", d.message);
            assert!(d.labels.iter().any(|l| l.primary), "{t}");
            for l in &d.labels {
                assert!(
                    !l.message.contains("IDENT") && !l.message.contains('"'),
                    "{}",
                    l.message
                );
            }
        }
    }
}

const VALID: &str = r#"import std.relations
/// The network.
network f : Real[7] -> Real[1]
param delta : Real = 0.01
dataset test : (Real[7], Class[2])
let X = box(lo = zeros(7), hi = ones(7))
def local(g: Real[n] -> Real[m], x0: Real[n], c: Index[m]) : Bool =
  forall x in ball(x0, delta). forall j in 0..m where j != c. g(x)[c] > g(x)[j]
property mono =
  forall x, y in X. x[3] <= y[3] and agree_except(x, y, [3]) => f(x)[0] >= f(y)[0]
property data = for (x0, c) in test. (f(x0)[0] > 0 <=> c == 1) or not true
query q = maximize abs(f(x)[0] - f(y)[0]) over x, y in X where norm_inf(x - y) <= delta
let s = x[2..5] * -1.5e-3 / 2
"#;

#[test]
fn every_prefix_parses_without_panic() {
    let (tree, diags, _) = check(VALID);
    assert!(diags.is_empty());
    assert_eq!(tree.items.len(), 10);
    let full: Vec<(String, u32)> = tree
        .items
        .iter()
        .map(|i| (propc_syntax::dump::dump_item(i), i.span().start))
        .collect();
    let mut cut = 0;
    for end in 0..=VALID.len() {
        if !VALID.is_char_boundary(end) {
            continue;
        }
        let prefix = &VALID[..end];
        let mut sources = SourceMap::new();
        let id = sources.add("prefix.prop", prefix);
        let (tree, diags) = parse(&sources, id);
        // Render too: labels must lie inside the text.
        let _ = render(&sources, &diags, false);
        for d in &diags {
            for l in &d.labels {
                assert!(l.span.end as usize <= prefix.len() && l.span.start <= l.span.end);
            }
        }
        for item in &tree.items {
            assert!(item.span().end as usize <= prefix.len());
        }
        // Every item followed by the start of another one inside the prefix survives.
        for k in 0..full.len().saturating_sub(1) {
            if (full[k + 1].1 as usize) < end {
                let got = tree.items.get(k).map(propc_syntax::dump::dump_item);
                assert_eq!(
                    got.as_deref(),
                    Some(full[k].0.as_str()),
                    "prefix of {end} bytes"
                );
            }
        }
        let _ = parse_expr(&sources, id);
        cut += 1;
    }
    assert!(cut > 500);
}

#[test]
fn every_suffix_and_mutation_parses_without_panic() {
    let tokens = [
        "(", ")", "[", "]", ",", ".", "..", "=>", "forall", "=", "let", "1e", "\"", "/*", "///",
    ];
    for start in 0..VALID.len() {
        if !VALID.is_char_boundary(start) {
            continue;
        }
        let mut sources = SourceMap::new();
        let id = sources.add("suffix.prop", &VALID[start..]);
        let _ = parse(&sources, id);
        let tok = tokens[start % tokens.len()];
        let mutated = format!("{}{tok}{}", &VALID[..start], &VALID[start..]);
        let id = sources.add("mutated.prop", mutated);
        let (_, diags) = parse(&sources, id);
        let _ = render(&sources, &diags, false);
    }
}
