//! Formatter tests: snapshots of messy inputs, and over every well-formed `.prop` of the
//! repository (specs, stdlib, `tests/ui/` files marked `// expect: ok`) the formatter's
//! invariants: the output parses to the same tree, formatting it again changes nothing,
//! and every comment survives, in order.

use std::path::{Path, PathBuf};

use propc_syntax::dump::dump_file;
use propc_syntax::lexer::{self, Token};
use propc_syntax::{SourceMap, format_source, parse, render};

fn dump(text: &str) -> String {
    let mut sources = SourceMap::new();
    let id = sources.add("t.prop", text);
    let (tree, diags) = parse(&sources, id);
    assert!(
        !diags.iter().any(|d| d.is_error()),
        "does not parse:\n{}\n{text}",
        render(&sources, &diags, false)
    );
    dump_file(&tree)
}

/// The comments of a text, in order, without trailing whitespace.
fn comments(text: &str) -> Vec<String> {
    lexer::lex(text)
        .0
        .into_iter()
        .filter_map(|(_, t, _)| match t {
            Token::LineComment(s) | Token::DocComment(s) | Token::BlockComment(s) => {
                Some(s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n"))
            }
            _ => None,
        })
        .collect()
}

/// Formats `text` and checks every invariant; returns the formatted text.
fn check(name: &str, text: &str) -> String {
    let out = format_source(text).unwrap_or_else(|d| panic!("{name}: refused: {d:?}"));
    assert_eq!(dump(text), dump(&out), "{name}: the tree changed:\n{out}");
    let again = format_source(&out).unwrap_or_else(|d| panic!("{name}: refused its output: {d:?}"));
    if out != again {
        let k = out
            .lines()
            .zip(again.lines())
            .take_while(|(a, b)| a == b)
            .count();
        let show = |t: &str| {
            t.lines()
                .skip(k.saturating_sub(3))
                .take(8)
                .collect::<Vec<_>>()
                .join("\n")
        };
        panic!(
            "{name}: not idempotent at line {}:\n{}\n---- then ----\n{}",
            k + 1,
            show(&out),
            show(&again)
        );
    }
    let (before, after) = (comments(text), comments(&out));
    if let Some(k) = (0..before.len().max(after.len())).find(|&k| before.get(k) != after.get(k)) {
        panic!(
            "{name}: comment {k} changed: {:?} became {:?}\n{out}",
            before.get(k),
            after.get(k)
        );
    }
    assert!(
        out.ends_with('\n') && !out.ends_with("\n\n"),
        "{name}: final newline"
    );
    for (k, line) in out.lines().enumerate() {
        assert_eq!(
            line,
            line.trim_end(),
            "{name}:{}: trailing whitespace",
            k + 1
        );
        assert!(!line.contains('\t'), "{name}:{}: tab", k + 1);
    }
    assert!(!out.contains("\n\n\n"), "{name}: two blank lines");
    out
}

fn repo_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "prop") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["specs", "stdlib", "tests/ui"] {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    files
}

#[test]
fn every_repository_file_formats_faithfully() {
    let mut n = 0;
    for path in repo_files() {
        let text = std::fs::read_to_string(&path).expect("reads");
        if path.components().any(|c| c.as_os_str() == "ui")
            && text.lines().next() != Some("// expect: ok")
        {
            continue;
        }
        let out = check(&path.display().to_string(), &text);
        for (k, line) in out.lines().enumerate() {
            // Only comments may exceed the width (they are kept as written).
            if !line.trim_start().starts_with("//") {
                assert!(
                    line.chars().count() <= propc_syntax::format::WIDTH,
                    "{}:{}: too long",
                    path.display(),
                    k + 1
                );
            }
        }
        n += 1;
    }
    assert!(n >= 15, "only {n} files");
}

#[test]
fn syntax_errors_are_refused() {
    let diags =
        format_source("network f : Real[2] -> \nproperty p = forall x in X. (f(x)[0] <= 1\n")
            .expect_err("a broken file");
    assert!(diags.iter().any(|d| d.is_error()));
    assert!(format_source("").is_ok_and(|s| s.is_empty()));
}

#[test]
fn spacing_is_canonical() {
    let out = check(
        "spacing",
        "import   std . relations\nnetwork f:Real[ 3 ]->Real[1]\nparam eps:Real=1e-3\n\
         dataset d:(Real[2],Class[3])\nlet X=box(lo=zeros(3),hi=ones(3))\n\
         property p=forall x,y in X where x[0]<=y[0].f(x)[0]<=f(y)[0]+eps*-1 - --1\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn long_formulas_break() {
    let out = check(
        "long",
        "network f : Real[3] -> Real[1]\nnetwork g : Real[3] -> Real[1]\n\
         property p = forall x, y in box(zeros(3), ones(3)). x[0] <= y[0] and x[1] <= y[1] and x[2] <= y[2] and agree_except(x, y, [0, 1, 2]) => f(x)[0] + g(x)[0] <= f(y)[0] + g(y)[0]\n\
         property q = forall x in box(zeros(3), ones(3)). f(x)[0] >= 0 or g(x)[0] >= 0 or f(x)[0] + g(x)[0] >= 1 or abs(f(x)[0] - g(x)[0]) <= 0.5\n\
         property short = forall x in box(zeros(3), ones(3)). f(x)[0] <= 1\n\
         property lhs = forall x, y in box(zeros(3), ones(3)). x[0] <= y[0] and x[1] <= y[1] and x[2] <= y[2] and agree_except(x, y, [0, 1, 2]) and f(x)[0] >= 0 and g(x)[0] >= 0 => f(x)[0] + g(x)[0] <= f(y)[0] + g(y)[0]\n\
         property header = forall a_rather_long_binder_name, another_rather_long_binder_name in box(zeros(3), ones(3)) where norm_inf(a_rather_long_binder_name - another_rather_long_binder_name) <= 0.5. f(a_rather_long_binder_name)[0] <= 1\n\
         property arith = forall x in box(zeros(3), ones(3)). f(x)[0] * 1000000 + g(x)[0] * 2000000 - f(x)[0] * 3000000 + g(x)[0] * 4000000 - f(x)[0] * 5000000 <= 1\n\
         property iff = forall some_long_name in box(zeros(3), ones(3)). f(some_long_name)[0] >= 0.5 <=> g(some_long_name)[0] >= 0.5\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn nested_quantifiers_and_for() {
    let out = check(
        "nested",
        "network f : Real[2] -> Real[3]\ndataset points : (Real[2], Class[3])\nparam eps : Real = 0.05\n\
         property robust = for (x0, c) in points. forall x in ball(x0, eps). forall j in 0..3 where j != c. f(x)[c] > f(x)[j] + 0.000001\n\
         property two = forall x in box(zeros(2), ones(2)). exists j in 0..3. (forall k in 0..3. f(x)[j] >= f(x)[k]) and j != 1\n\
         property neg = not (forall x in box(zeros(2), ones(2)). f(x)[0] <= 0) => not exists y in box(zeros(2), ones(2)). f(y)[0] > 1\n\
         property single = for (x0) in points. true\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn comments_everywhere() {
    let out = check(
        "comments",
        "// header comment\n\n\n// second header paragraph\nimport std.relations   // trailing after import\n\
         /* block before network */ network f : Real[3] -> Real[1]\n\n\n\n\
         /// Doc comment of X,\n///   on two lines.\nlet X = box(lo = zeros(3), // low corner\n            hi = ones(3) /* high corner */)\n\
         property p =\n  // the premise\n  forall x, y in X. /* inline */ x[0] <= y[0]\n    and agree_except(x, y, [0]) // same elsewhere\n    => f(x)[0] <= f(y)[0] // monotone\n\
         // between items\n\n/// orphan doc comment, separated by a blank line\n\nproperty q = true\n// at the end\n\n/* last */\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn queries_and_defs() {
    let out = check(
        "queries",
        "network f : Real[2] -> Real[1]\nparam delta : Real = 0.05\n\
         query output_variation = maximize abs(f(x)[0] - f(y)[0]) over x, y in box(zeros(2), ones(2)) where norm_inf(x - y) <= delta\n\
         query small = minimize f(x)[0] over x in ball([0.5, 0.5], 0.1)\n\
         query r = maximize -f(x)[0] over i in 0..2\n\
         def implies(g: Real[n] -> Real[m], f: Real[n] -> Real[m], x0: Real[n], c: Class[m], delta: Real) : Bool = forall x in ball(x0, delta). forall j in 0..m where j != c. (f(x)[c] - f(x)[j]) - (g(x)[c] - g(x)[j]) >= 0\n\
         def short(x: Real[n], y: Real[n],) = x[0] <= y[0]\n\
         def hof(h: (Real[2] -> Real[1]) -> Real[1], k: Int[2, n]) : Real = 1\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn vectors_and_named_args() {
    let out = check(
        "vectors",
        "network f : Real[7] -> Real[1]\n\
         let X = box(lo = [3, 68, 46, 1613, 8, 70, 1],\n            hi = [8, 455, 230, 4997, 24.8, 82, 3])\n\
         let W = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, -2.1, 2.2, 2.3, 2.4, 2.5]\n\
         let E = []\n\
         let B = ball(center = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], radius_long_name = 0.25, norm = 1, extra = concat(zeros(3), ones(4)))\n\
         property p = forall x in X. f(x)[0] <= sum([f(x)[0], x[0], x[1..3][0], x[2..4][1], -x[3], x[4] * 2, x[5] / 2])\n",
    );
    insta::assert_snapshot!(out);
}

#[test]
fn parentheses_are_kept_and_declarations_grouped() {
    let out = check(
        "parens",
        "import std.relations\nimport std.fairness\n\nnetwork f : Real[2] -> Real[1]\nnetwork g : Real[2] -> Real[1]\n\n\
         let a = ((1 + 2)) * 3\nlet b = 1 + (2 * 3)\n\nlet c = (a - b) - (a - (b))\nproperty p = (true and false) or (true => false)\n\
         property q = (forall x in box(zeros(2), ones(2)). f(x)[0] <= 1) and true\n\
         property r = true => (false => true) => false\n",
    );
    insta::assert_snapshot!(out);
}

/// Every well-formed repository file, its tokens re-joined by random whitespace and
/// comments (block comments inside lines, line comments ending lines, comments on
/// their own lines, blank lines): the invariants hold for every variant.
#[test]
fn perturbed_repository_files_format_faithfully() {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut n = 0;
    for path in repo_files() {
        let text = std::fs::read_to_string(&path).expect("reads");
        // Intentionally malformed files: `// expect: error`, or exempted from
        // formatting with `// fmt: off` in their leading comment block.
        let mut leading = text
            .lines()
            .map(str::trim)
            .take_while(|l| l.is_empty() || l.starts_with("//"));
        if leading.any(|l| l == "// expect: error" || l == "// fmt: off") {
            continue;
        }
        for variant in 0..24 {
            let mut out = String::new();
            for (k, (_, tok, _)) in lexer::lex(&text).0.into_iter().enumerate() {
                out.push_str(tok.text());
                if matches!(tok, Token::LineComment(_) | Token::DocComment(_)) {
                    out.push('\n');
                    continue;
                }
                let sep = match next() % 12 {
                    0 => format!(" /* c{k} */ "),
                    1 => format!(" // t{k}\n"),
                    2 => format!("\n// own {k}\n"),
                    3 => "\n\n\n".to_string(),
                    4 | 5 => "\n  ".to_string(),
                    _ => " ".to_string(),
                };
                out.push_str(&sep);
            }
            check(&format!("{} (variant {variant})", path.display()), &out);
            n += 1;
        }
    }
    assert!(n >= 100, "only {n} variants");
}
