//! Diagnostics snapshots: every `tests/ui/*.prop` file starts with `// expect: ok` or
//! `// expect: error`; it is compiled to the IR (no network files: declared shapes) and
//! its rendered diagnostics are snapshot next to its source, so each snapshot reads on
//! its own.

use std::path::{Path, PathBuf};

use propc_compiler::{Bindings, Mode, Session};

fn ui_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("tests/ui")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "prop"))
        .collect();
    v.sort();
    v
}

#[test]
fn ui_files_diagnose_as_expected() {
    let files = ui_files();
    assert!(files.len() >= 10);
    for path in files {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("reads");
        let mut lines = text.lines().skip_while(|l| l.trim() == "// fmt: off");
        let expect_error = match lines.next() {
            Some("// expect: error") => true,
            Some("// expect: ok") => false,
            other => panic!("{name}: first line must be `// expect: ok|error`, found {other:?}"),
        };
        let mut s = Session::new();
        let f = s.add_text(&format!("ui/{name}.prop"), &text);
        let c = s.compile(f, &Bindings::default(), Mode::Compile);
        let rendered = propc_syntax::render(&s.sources, &c.diagnostics, false);
        assert_eq!(c.has_errors(), expect_error, "{name}:\n{rendered}");
        for d in &c.diagnostics {
            assert!(
                d.code.starts_with('E') || d.code.starts_with('W'),
                "{name}: code {}",
                d.code
            );
            assert!(
                d.message
                    .chars()
                    .next()
                    .is_some_and(|ch| !ch.is_uppercase()),
                "{name}: message not lowercase: {}",
                d.message
            );
            assert!(
                !d.message.ends_with('.'),
                "{name}: final period: {}",
                d.message
            );
            assert!(d.help.is_some(), "{name}: no help line: {}", d.message);
            if d.is_error() {
                assert!(
                    d.primary_span().is_some(),
                    "{name}: error without a place: {}",
                    d.message
                );
            }
        }
        let snap = if expect_error {
            format!("{text}\n---- diagnostics ----\n{rendered}")
        } else {
            let program = c.program.expect("a program");
            format!("{text}\n---- ir ----\n{program}")
        };
        insta::with_settings!({ snapshot_suffix => name.clone(), prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!("ui", snap);
        });
    }
}

#[test]
fn network_signature_is_checked_against_the_file() {
    let mut s = Session::new();
    let f = s.add_text("sig.prop", "network f : Real[7] -> Real[1]\nproperty p = forall x in box(zeros(7), ones(7)). f(x)[0] <= 1\n");
    let mut b = Bindings::default();
    b.networks.insert(
        "f".into(),
        propc_compiler::NetworkShape {
            source: "model.onnx".into(),
            input: vec![1, 5],
            output: vec![1, 1],
        },
    );
    let c = s.compile(f, &b, Mode::Compile);
    let rendered = propc_syntax::render(&s.sources, &c.diagnostics, false);
    assert!(c.has_errors());
    insta::assert_snapshot!(rendered);
}

#[test]
fn param_overrides_are_type_checked() {
    let text = "param eps : Real = 0.1\nparam k : Int = 2\nnetwork f : Real[1] -> Real[1]\nproperty p = forall x in ball([0.5], eps). f(x)[0] <= k\n";
    let run = |params: Vec<(&str, &str)>| {
        let mut s = Session::new();
        let f = s.add_text("params.prop", text);
        let b = Bindings {
            params: params
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            ..Bindings::default()
        };
        let c = s.compile(f, &b, Mode::Compile);
        (
            propc_syntax::render(&s.sources, &c.diagnostics, false),
            c.program,
        )
    };
    let (ok, program) = run(vec![("eps", "0.25"), ("k", "3")]);
    assert!(ok.is_empty(), "{ok}");
    let p = &program.expect("program").problems[0];
    assert_eq!((p.vars[0].lo, p.vars[0].hi), (0.25, 0.75));
    let (bad, _) = run(vec![("eps", "wide"), ("k", "2.5"), ("nope", "1")]);
    insta::assert_snapshot!(bad);
}
