//! IR snapshots: every spec in `specs/` and every stdlib definition (through a small
//! instantiating spec) compiles, and its normalized IR is the committed snapshot.
//! Also checks normalization against the elaborated meaning on random points.

use std::path::{Path, PathBuf};

use propc_compiler::ir::{Goal, Program};
use propc_compiler::{Bindings, Mode, Session};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bindings_for(spec: &str) -> Bindings {
    let mut b = Bindings::default();
    let data = match spec {
        "local_robustness" => Some("points.csv"),
        "implication" | "implication_chain" => Some("implication_points.csv"),
        _ => None,
    };
    if let Some(d) = data {
        let rows = propc_compiler::bindings::read_csv(&root().join("specs/data").join(d))
            .expect("dataset reads");
        b.datasets.insert("points".to_string(), rows);
    }
    b
}

fn compile_text(name: &str, text: &str, bindings: &Bindings) -> Program {
    let mut s = Session::new();
    let f = s.add_text(name, text);
    let c = s.compile(f, bindings, Mode::Compile);
    let rendered = propc_syntax::render(&s.sources, &c.diagnostics, false);
    assert!(!c.has_errors(), "{name} has errors:\n{rendered}");
    c.program.expect("a program")
}

#[test]
fn every_spec_compiles_to_its_snapshot() {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root().join("specs"))
        .expect("specs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "prop"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 9, "expected the shipped specs");
    for path in specs {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("spec reads");
        let program = compile_text(&format!("specs/{stem}.prop"), &text, &bindings_for(&stem));
        insta::with_settings!({ snapshot_suffix => stem.clone(), description => format!("propc compile specs/{stem}.prop --emit ir") }, {
            insta::assert_snapshot!("spec_ir", program.to_string());
        });
    }
}

/// One instantiating spec per stdlib definition.
const STDLIB_EXAMPLES: &[(&str, &str)] = &[
    (
        "relations_monotone",
        "import std.relations\nnetwork f : Real[3] -> Real[1]\nproperty p = monotone(f, box(zeros(3), ones(3)), 1, 0)\n",
    ),
    (
        "relations_antitone",
        "import std.relations\nnetwork f : Real[3] -> Real[2]\nproperty p = antitone(f, box(zeros(3), ones(3)), 2, 1)\n",
    ),
    (
        "relations_agree_except",
        "import std.relations\nnetwork f : Real[4] -> Real[1]\nproperty p = forall x, y in box(zeros(4), ones(4)). agree_except(x, y, [1, 2]) => f(x)[0] - f(y)[0] <= 1\n",
    ),
    (
        "robustness_local",
        "import std.robustness\nnetwork f : Real[2] -> Real[3]\nproperty p = local(f, [0.5, 0.25], 1, 0.1)\n",
    ),
    (
        "robustness_global",
        "import std.robustness\nnetwork f : Real[2] -> Real[2]\nproperty p = global(f, box(zeros(2), ones(2)), 0.05, 0.1)\n",
    ),
    (
        "fairness_individual",
        "import std.fairness\nnetwork f : Real[3] -> Real[1]\nproperty p = individual(f, box(zeros(3), ones(3)), [2], 0, 0.05)\n",
    ),
    (
        "compare_implies",
        "import std.compare\nnetwork g : Real[2] -> Real[3]\nnetwork h : Real[2] -> Real[3]\nproperty p = implies(g, h, [0.5, 0.5], 2, 0.02)\n",
    ),
    (
        "compare_equivalent",
        "import std.compare\nnetwork g : Real[2] -> Real[2]\nnetwork h : Real[2] -> Real[2]\nproperty p = equivalent(g, h, box(zeros(2), ones(2)), 0.01)\n",
    ),
];

#[test]
fn every_stdlib_definition_compiles_to_its_snapshot() {
    for (name, text) in STDLIB_EXAMPLES {
        let program = compile_text(&format!("{name}.prop"), text, &Bindings::default());
        insta::with_settings!({ snapshot_suffix => name.to_string(), description => text.to_string() }, {
            insta::assert_snapshot!("stdlib_ir", program.to_string());
        });
    }
}

#[test]
fn every_stdlib_definition_has_an_example_here() {
    for (module, text) in propc_compiler::STDLIB {
        let short = module.trim_start_matches("std.");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("def ") {
                let name = rest.split('(').next().unwrap_or_default();
                let key = format!("{short}_{name}");
                assert!(
                    STDLIB_EXAMPLES.iter().any(|(n, _)| *n == key),
                    "no IR snapshot example for `{module}.{name}`"
                );
            }
        }
    }
}

#[test]
fn equality_merging_makes_agreeing_coordinates_one_variable() {
    let program = compile_text("m.prop", STDLIB_EXAMPLES[0].1, &Bindings::default());
    let p = &program.problems[0];
    // x and y in R^3 agree except at coordinate 1: 3 + 1 variables, not 6.
    assert_eq!(p.vars.len(), 4, "{}", program);
    assert!(p.vars.iter().any(|v| v.name == "x[0]=y[0]"));
    assert!(
        p.premise
            .iter()
            .all(|a| a.rel != propc_compiler::ir::Rel::Eq)
    );
    let Goal::Violation(goals) = &p.goal else {
        panic!("a property")
    };
    assert_eq!(goals.len(), 1);
}

/// A small deterministic generator (no dependency): xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Normalization is exact: at random points of the merged variables' boxes, with the
/// network outputs as free values (random, and with ties between them), the property's
/// elaborated formula holds exactly when the IR finds no violation there.
fn cross_check(name: &str, text: &str, bindings: &Bindings) {
    let mut s = Session::new();
    let f = s.add_text(name, text);
    let c = s.compile(f, bindings, Mode::Compile);
    let program = c.program.expect("compiles");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (p, formula) in program.problems.iter().zip(&c.elaborated) {
        let Some(formula) = formula else { continue };
        for trial in 0..3000 {
            let vars: Vec<f64> = p
                .vars
                .iter()
                .map(|v| {
                    if trial % 7 == 0 {
                        if rng.next() < 0.5 { v.lo } else { v.hi }
                    } else {
                        v.lo + (v.hi - v.lo) * rng.next()
                    }
                })
                .collect();
            let outputs: Vec<Vec<f64>> = p
                .applications
                .iter()
                .map(|a| {
                    (0..a.outputs)
                        .map(|_| {
                            if trial % 3 == 0 {
                                0.25
                            } else {
                                6.0 * rng.next() - 3.0
                            }
                        })
                        .collect()
                })
                .collect();
            // The elaborated formula reads the variables before merging: every
            // quantified variable's coordinates, in order of allocation.
            let pre: Vec<f64> = p.input_values(&vars).concat();
            let holds = formula.eval(&pre, &outputs);
            let violated = p.violated_goal(&vars, &outputs).is_some();
            assert_eq!(
                holds, !violated,
                "{name} / {} at vars {vars:?}, outputs {outputs:?}",
                p.name
            );
        }
    }
}

#[test]
fn normalization_agrees_with_the_elaborated_meaning() {
    for path in std::fs::read_dir(root().join("specs"))
        .expect("specs")
        .filter_map(|e| e.ok().map(|e| e.path()))
    {
        if path.extension().is_some_and(|e| e == "prop") {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("reads");
            cross_check(&stem, &text, &bindings_for(&stem));
        }
    }
    for (name, text) in STDLIB_EXAMPLES {
        cross_check(name, text, &Bindings::default());
    }
    // Connectives and norms the shipped specs do not use.
    let extra = "network f : Real[2] -> Real[2]\nproperty p = forall x, y in box(zeros(2), ones(2)) where norm_1(x - y) <= 0.5.\n  (f(x)[0] >= 0 <=> f(y)[0] >= 0) or max(f(x)[1], f(y)[1]) - min(x[0], y[1]) != 1 or argmax(f(x)) == 1\n";
    cross_check("extra", extra, &Bindings::default());
}
