//! The portfolio (IBP, attack, MILP) against brute force on tiny hand-built problems,
//! for every solver compiled into this build.

mod common;

use common::*;
use propc_compiler::ir::{Goal, Problem};
use propc_runtime::milp::{Solver, to_lp_text};
use propc_runtime::network::Network;
use propc_runtime::verify::{Method, Options, Outcome, evaluate, verify};
use std::time::Duration;

fn opts(solver: Solver, attack: bool) -> Options {
    Options {
        timeout: Duration::from_secs(60),
        solver,
        seed: 1,
        attack,
        ..Options::default()
    }
}

/// Checks a violation outcome's counterexample with the IR's own predicate.
fn assert_valid_counterexample(p: &Problem, nets: &[&Network], out: &Outcome) {
    let Outcome::Violated {
        counterexample: c, ..
    } = out
    else {
        panic!("expected violated, got {out:?}")
    };
    let outs = evaluate(p, nets, &c.vars).expect("eval");
    assert_eq!(
        p.violated_goal(&c.vars, &outs),
        Some(c.goal_index),
        "counterexample does not violate: {c:?}"
    );
    for (a, app) in c.applications.iter().zip(&outs) {
        assert_eq!(&a.output, app);
    }
    assert!(c.margin <= 0.0);
}

/// Brute force: whether some grid point violates the property.
fn grid_violation(p: &Problem, nets: &[&Network], n: usize) -> Option<Vec<f64>> {
    let boxes: Vec<(f64, f64)> = p.vars.iter().map(|v| (v.lo, v.hi)).collect();
    grid(&boxes, n).into_iter().find(|x| {
        let outs = evaluate(p, nets, x).expect("eval");
        p.violated_goal(x, &outs).is_some()
    })
}

/// `f(x) = h1 - 0.5 h2 + h3 + c4 h4` with `h = relu(x0 - x1, x1, x0 + 2, 0.5 - x0 + x1)`:
/// `∂f/∂x0 = 1[x0 > x1] + 1 - c4 1[h4 > 0]`, monotone in `x0` iff `c4 < 1`.
fn mono_net(c4: f64) -> Network {
    mlp(&[
        (
            vec![
                vec![1.0, -1.0],
                vec![0.0, 1.0],
                vec![1.0, 0.0],
                vec![-1.0, 1.0],
            ],
            vec![0.0, 0.0, 2.0, 0.5],
        ),
        (vec![vec![1.0, -0.5, 1.0, c4]], vec![0.0]),
    ])
}

/// `forall x, y. x0 + 0.1 <= y0 and x1 = y1 => f(x) < f(y)`; violated iff
/// `f(y) - f(x) <= 0`. Vars: v0 = x0, v1 = y0 in [0, 1], v2 = x1 = y1 in [-1, 1].
fn mono_problem() -> Problem {
    problem(
        &[(0.0, 1.0), (0.0, 1.0), (-1.0, 1.0)],
        vec![
            (
                "x",
                vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(2), 1.0)], 0.0)],
            ),
            (
                "y",
                vec![lin(&[(v(1), 1.0)], 0.0), lin(&[(v(2), 1.0)], 0.0)],
            ),
        ],
        vec![
            (
                0,
                vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(2), 1.0)], 0.0)],
                1,
            ),
            (
                0,
                vec![lin(&[(v(1), 1.0)], 0.0), lin(&[(v(2), 1.0)], 0.0)],
                1,
            ),
        ],
        vec![le(lin(&[(v(0), 1.0), (v(1), -1.0)], 0.1))],
        violation(vec![vec![le(lin(&[(o(1, 0), 1.0), (o(0, 0), -1.0)], 0.0))]]),
    )
}

#[test]
fn monotone_twin_holds_by_milp() {
    let net = mono_net(0.5);
    let nets = [&net];
    let p = mono_problem();
    assert!(
        grid_violation(&p, &nets, 21).is_none(),
        "brute force disagrees with the test's premise"
    );
    // The joint (twin) bounds prove it at the root; without linear bounds (and branch
    // and bound) it takes the MILP on the two copies.
    let joint = verify(&p, &nets, &opts(Solver::Microlp, true));
    assert!(
        matches!(
            joint,
            Outcome::Holds {
                method: Method::Crown,
                ..
            }
        ),
        "{joint:?}"
    );
    for solver in Solver::available() {
        let options = Options {
            crown: false,
            bab: false,
            ..opts(solver, true)
        };
        let out = verify(&p, &nets, &options);
        assert!(
            matches!(
                out,
                Outcome::Holds {
                    method: Method::Milp,
                    ..
                }
            ),
            "{solver}: {out:?}"
        );
    }
}

#[test]
fn non_monotone_twin_is_violated_by_milp_and_attack() {
    let net = mono_net(3.0);
    let nets = [&net];
    let p = mono_problem();
    assert!(grid_violation(&p, &nets, 21).is_some());
    for solver in Solver::available() {
        let out = verify(&p, &nets, &opts(solver, false));
        assert!(
            matches!(
                out,
                Outcome::Violated {
                    method: Method::Milp,
                    ..
                }
            ),
            "{solver}: {out:?}"
        );
        assert_valid_counterexample(&p, &nets, &out);
        let out = verify(&p, &nets, &opts(solver, true));
        assert_valid_counterexample(&p, &nets, &out);
    }
}

/// `g(x) = relu(x0 + x1 - 0.5) - relu(x0 - x1) + 0.3 relu(1 - x0)` on `[0, 1]^2`.
fn bumpy_net() -> Network {
    mlp(&[
        (
            vec![vec![1.0, 1.0], vec![1.0, -1.0], vec![-1.0, 0.0]],
            vec![-0.5, 0.0, 1.0],
        ),
        (vec![vec![1.0, -1.0, 0.3]], vec![0.0]),
    ])
}

fn grid_range(net: &Network, n: usize) -> (f64, f64) {
    grid(&[(0.0, 1.0), (0.0, 1.0)], n)
        .iter()
        .map(|x| net.eval(x).expect("eval")[0])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        })
}

fn box_problem(goal: Goal) -> Problem {
    problem(
        &[(0.0, 1.0), (0.0, 1.0)],
        vec![(
            "x",
            vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
        )],
        vec![(
            0,
            vec![lin(&[(v(0), 1.0)], 0.0), lin(&[(v(1), 1.0)], 0.0)],
            1,
        )],
        vec![],
        goal,
    )
}

#[test]
fn query_optimum_matches_grid_search() {
    let net = bumpy_net();
    let nets = [&net];
    let (gmin, gmax) = grid_range(&net, 401);
    // The net is 2-Lipschitz in each coordinate (L∞-sum ≤ 3.3); grid step 1/400.
    let slack = 3.3 / 400.0;
    for solver in Solver::available() {
        for attack in [false, true] {
            let p = box_problem(maximize(vec![lin(&[(o(0, 0), 1.0)], 0.0)], vec![vec![]]));
            let out = verify(&p, &nets, &opts(solver, attack));
            let Outcome::Bound {
                lower: Some(lo),
                upper: Some(hi),
                witness: Some(w),
                exact,
                method,
                ..
            } = &out
            else {
                panic!("{solver}: {out:?}")
            };
            assert_eq!(*method, Method::Milp);
            assert!(*exact, "{out:?}");
            assert!(*lo <= *hi);
            assert!(*hi >= gmax, "upper {hi} below a grid value {gmax}");
            assert!(
                *hi - gmax <= slack,
                "upper {hi} too far above the grid max {gmax}"
            );
            assert_eq!(w.value, *lo);
            assert_eq!(net.eval(&w.vars).expect("eval")[0], *lo);

            let p = box_problem(minimize(vec![lin(&[(o(0, 0), 1.0)], 0.0)], vec![vec![]]));
            let out = verify(&p, &nets, &opts(solver, attack));
            let Outcome::Bound {
                lower: Some(lo),
                upper: Some(hi),
                exact,
                ..
            } = &out
            else {
                panic!("{solver}: {out:?}")
            };
            assert!(*exact, "{out:?}");
            assert!(
                *lo <= gmin && gmin - *lo <= slack,
                "lower {lo} vs grid min {gmin}"
            );
            assert!(*lo <= *hi);
        }
    }
}

#[test]
fn several_goal_disjuncts() {
    let net = bumpy_net();
    let nets = [&net];
    let (gmin, gmax) = grid_range(&net, 401);
    // "a <= g(x) <= b" is violated iff g(x) > b (disjunct 0) or g(x) < a (disjunct 1).
    let range_property = |a: f64, b: f64| {
        box_problem(violation(vec![
            vec![lt(lin(&[(o(0, 0), -1.0)], b))],
            vec![lt(lin(&[(o(0, 0), 1.0)], -a))],
        ]))
    };
    for solver in Solver::available() {
        // Holds: the range is inside [gmin - 0.05, gmax + 0.05].
        let p = range_property(gmin - 0.05, gmax + 0.05);
        let out = verify(&p, &nets, &opts(solver, true));
        assert!(out.is_holds(), "{solver}: {out:?}");
        // Violated below only: disjunct 1.
        let p = range_property(gmin + 0.05, gmax + 0.05);
        let out = verify(&p, &nets, &opts(solver, false));
        assert_valid_counterexample(&p, &nets, &out);
        let Outcome::Violated { counterexample, .. } = &out else {
            unreachable!()
        };
        assert_eq!(counterexample.goal_index, 1);
        // Violated above only: disjunct 0.
        let p = range_property(gmin - 0.05, gmax - 0.05);
        let out = verify(&p, &nets, &opts(solver, false));
        assert_valid_counterexample(&p, &nets, &out);
        let Outcome::Violated { counterexample, .. } = &out else {
            unreachable!()
        };
        assert_eq!(counterexample.goal_index, 0);
    }
}

/// `h(t) = relu(2t - 0.5) - relu(2t - 1.2) + 0.5 relu(0.3 - t)` on `[0, 1]` (1 input).
fn slope_net() -> Network {
    mlp(&[
        (
            vec![vec![2.0], vec![2.0], vec![-1.0]],
            vec![-0.5, -1.2, 0.3],
        ),
        (vec![vec![1.0, -1.0, 0.5]], vec![0.0]),
    ])
}

/// Two applications with a linear premise between their inputs: `|x - y| <= 0.1`.
fn lipschitz_problem(goal: Goal) -> Problem {
    problem(
        &[(0.0, 1.0), (0.0, 1.0)],
        vec![
            ("x", vec![lin(&[(v(0), 1.0)], 0.0)]),
            ("y", vec![lin(&[(v(1), 1.0)], 0.0)]),
        ],
        vec![
            (0, vec![lin(&[(v(0), 1.0)], 0.0)], 1),
            (0, vec![lin(&[(v(1), 1.0)], 0.0)], 1),
        ],
        vec![
            le(lin(&[(v(0), 1.0), (v(1), -1.0)], -0.1)),
            le(lin(&[(v(0), -1.0), (v(1), 1.0)], -0.1)),
        ],
        goal,
    )
}

#[test]
fn premise_links_two_inputs() {
    let net = slope_net();
    let nets = [&net];
    // Brute force max of f(x) - f(y) with |x - y| <= 0.1: slope 2 → 0.2.
    let mut gmax = f64::NEG_INFINITY;
    for x in grid(&[(0.0, 1.0), (0.0, 1.0)], 201) {
        if (x[0] - x[1]).abs() <= 0.1 + 1e-12 {
            let d = net.eval(&x[0..1]).expect("eval")[0] - net.eval(&x[1..2]).expect("eval")[0];
            gmax = gmax.max(d);
        }
    }
    assert!((gmax - 0.2).abs() < 1e-9, "{gmax}");
    // |f(x) - f(y)| <= c, violated iff f(x) - f(y) > c or f(y) - f(x) > c.
    let prop = |c: f64| {
        lipschitz_problem(violation(vec![
            vec![lt(lin(&[(o(0, 0), -1.0), (o(1, 0), 1.0)], c))],
            vec![lt(lin(&[(o(0, 0), 1.0), (o(1, 0), -1.0)], c))],
        ]))
    };
    for solver in Solver::available() {
        let out = verify(&prop(0.21), &nets, &opts(solver, true));
        assert!(
            matches!(
                out,
                Outcome::Holds {
                    method: Method::Milp,
                    ..
                }
            ),
            "{solver}: {out:?}"
        );
        let p = prop(0.15);
        let out = verify(&p, &nets, &opts(solver, false));
        assert_valid_counterexample(&p, &nets, &out);
        let p = lipschitz_problem(maximize(
            vec![lin(&[(o(0, 0), 1.0), (o(1, 0), -1.0)], 0.0)],
            vec![vec![]],
        ));
        let out = verify(&p, &nets, &opts(solver, false));
        let Outcome::Bound {
            lower: Some(lo),
            upper: Some(hi),
            exact: true,
            ..
        } = out
        else {
            panic!("{out:?}")
        };
        assert!(
            lo <= 0.2 + 1e-9 && hi >= 0.2 - 1e-9 && hi - lo < 1e-5,
            "[{lo}, {hi}]"
        );
    }
}

#[test]
fn query_over_two_regions_and_two_objectives() {
    let net = bumpy_net();
    let nets = [&net];
    // max(g(x), -g(x)) = |g(x)| over {x0 <= 0.3} ∪ {x1 >= 0.8}.
    let g = lin(&[(o(0, 0), 1.0)], 0.0);
    let p = box_problem(maximize(
        vec![g.clone(), g.scale(-1.0)],
        vec![
            vec![le(lin(&[(v(0), 1.0)], -0.3))],
            vec![le(lin(&[(v(1), -1.0)], 0.8))],
        ],
    ));
    let mut gmax = f64::NEG_INFINITY;
    for x in grid(&[(0.0, 1.0), (0.0, 1.0)], 401) {
        if x[0] <= 0.3 || x[1] >= 0.8 {
            gmax = gmax.max(net.eval(&x).expect("eval")[0].abs());
        }
    }
    for solver in Solver::available() {
        let out = verify(&p, &nets, &opts(solver, true));
        let Outcome::Bound {
            lower: Some(lo),
            upper: Some(hi),
            witness: Some(w),
            ..
        } = &out
        else {
            panic!("{out:?}")
        };
        assert!(*hi >= gmax && *hi - gmax < 0.01, "{hi} vs {gmax}");
        assert!(*lo <= *hi);
        assert!(w.vars[0] <= 0.3 || w.vars[1] >= 0.8);
    }
}

#[test]
fn random_properties_agree_with_brute_force() {
    // Soundness fuzz: a verdict must never contradict a grid point.
    let mut r = rng(2024);
    let mut seen = (0, 0);
    for t in 0..12 {
        let net = random_mlp(&mut r, &[2, 4, 3, 1]);
        let nets = [&net];
        let (gmin, gmax) = {
            let p = box_problem(violation(vec![]));
            grid(&[(0.0, 1.0), (0.0, 1.0)], 41).iter().fold(
                (f64::INFINITY, f64::NEG_INFINITY),
                |(lo, hi), x| {
                    let y = evaluate(&p, &nets, x).expect("eval")[0][0];
                    (lo.min(y), hi.max(y))
                },
            )
        };
        // Threshold in the middle of the range (violated) or above it (maybe holds).
        let b = if t % 2 == 0 {
            0.5 * (gmin + gmax)
        } else {
            gmax + 0.01
        };
        let p = box_problem(violation(vec![vec![lt(lin(&[(o(0, 0), -1.0)], b))]]));
        let brute = grid_violation(&p, &nets, 41);
        for solver in Solver::available() {
            let out = verify(&p, &nets, &opts(solver, t % 3 == 0));
            match &out {
                Outcome::Holds { .. } => {
                    assert!(brute.is_none(), "unsound: holds but {brute:?} violates");
                    seen.0 += 1;
                }
                Outcome::Violated { .. } => {
                    assert_valid_counterexample(&p, &nets, &out);
                    seen.1 += 1;
                }
                Outcome::Unknown { .. } => {}
                Outcome::Bound { .. } => panic!("a property got a bound"),
            }
        }
    }
    assert!(seen.0 > 0 && seen.1 > 0, "{seen:?}");
}

#[test]
fn attack_alone_finds_an_easy_violation() {
    let net = bumpy_net();
    let nets = [&net];
    let (gmin, gmax) = grid_range(&net, 101);
    // g(x) <= midpoint is false on a large part of the box.
    let p = box_problem(violation(vec![vec![lt(lin(
        &[(o(0, 0), -1.0)],
        0.5 * (gmin + gmax),
    ))]]));
    let o = Options {
        milp: false,
        ..opts(Solver::Microlp, true)
    };
    let out = verify(&p, &nets, &o);
    assert!(
        matches!(
            out,
            Outcome::Violated {
                method: Method::Attack,
                ..
            }
        ),
        "{out:?}"
    );
    assert_valid_counterexample(&p, &nets, &out);
    // Deterministic for a seed.
    assert!(verify(&p, &nets, &o).is_violated());
    let (
        Outcome::Violated {
            counterexample: a, ..
        },
        Outcome::Violated {
            counterexample: b, ..
        },
    ) = (verify(&p, &nets, &o), verify(&p, &nets, &o))
    else {
        panic!()
    };
    assert_eq!(a.vars, b.vars);
}

#[test]
fn zero_timeout_is_unknown_never_holds() {
    // The monotone twin needs the MILP (IBP cannot prove it).
    let net = mono_net(0.5);
    let nets = [&net];
    let p = mono_problem();
    for solver in Solver::available() {
        for attack in [false, true] {
            let o = Options {
                timeout: Duration::ZERO,
                ..opts(solver, attack)
            };
            let out = verify(&p, &nets, &o);
            assert!(out.is_unknown(), "{out:?}");
        }
        // A query with no time gets the IBP bound, not an exact one.
        let net = bumpy_net();
        let nets = [&net];
        let p = box_problem(maximize(vec![lin(&[(o(0, 0), 1.0)], 0.0)], vec![vec![]]));
        let out = verify(
            &p,
            &nets,
            &Options {
                timeout: Duration::ZERO,
                ..opts(solver, true)
            },
        );
        let Outcome::Bound {
            upper: Some(hi),
            exact: false,
            ..
        } = out
        else {
            panic!("{out:?}")
        };
        assert!(hi >= grid_range(&net, 101).1);
    }
}

#[test]
fn trivial_and_ibp_cases() {
    let net = bumpy_net();
    let nets = [&net];
    // No disjunct: holds trivially.
    let out = verify(&box_problem(violation(vec![])), &nets, &Options::default());
    assert!(matches!(
        out,
        Outcome::Holds {
            method: Method::Trivial,
            ..
        }
    ));
    // relu-net output >= -1 everywhere: IBP proves it (violation: g(x) + 1.5 < 0).
    let p = box_problem(violation(vec![vec![lt(lin(&[(o(0, 0), 1.0)], 1.5))]]));
    let out = verify(&p, &nets, &Options::default());
    assert!(
        matches!(
            out,
            Outcome::Holds {
                method: Method::Ibp,
                ..
            }
        ),
        "{out:?}"
    );
    // An empty box is an error upstream; here it is unknown.
    let mut p = box_problem(violation(vec![vec![]]));
    p.vars[0].lo = 2.0;
    assert!(verify(&p, &nets, &Options::default()).is_unknown());
    // One empty conjunction: any premise point violates.
    let p = box_problem(violation(vec![vec![]]));
    for solver in Solver::available() {
        let out = verify(&p, &nets, &opts(solver, false));
        assert_valid_counterexample(&p, &nets, &out);
    }
    // A wrong network shape is unknown with a reason.
    let p = problem(
        &[(0.0, 1.0)],
        vec![],
        vec![(0, vec![lin(&[(v(0), 1.0)], 0.0)], 1)],
        vec![],
        violation(vec![vec![]]),
    );
    let Outcome::Unknown { reason, .. } = verify(&p, &nets, &Options::default()) else {
        panic!()
    };
    assert!(reason.contains("takes 2 inputs"), "{reason}");
}

#[test]
fn equality_atoms_in_premise_and_goal() {
    // x0 + x1 == 1 in the premise; violated iff g(x) == 0.1 exactly somewhere on it.
    let net = slope_net();
    let nets = [&net];
    let p = problem(
        &[(0.0, 1.0), (0.0, 1.0)],
        vec![("x", vec![lin(&[(v(0), 1.0)], 0.0)])],
        vec![(0, vec![lin(&[(v(0), 1.0)], 0.0)], 1)],
        vec![eq(lin(&[(v(0), 1.0), (v(1), 1.0)], -1.0))],
        violation(vec![vec![eq(lin(&[(o(0, 0), 1.0)], -0.1))]]),
    );
    for solver in Solver::available() {
        let out = verify(&p, &nets, &opts(solver, false));
        assert_valid_counterexample(&p, &nets, &out);
    }
    // h(t) never equals 5: holds (IBP already, the max is 0.7).
    let mut p = p;
    p.goal = violation(vec![vec![eq(lin(&[(o(0, 0), 1.0)], -5.0))]]);
    assert!(verify(&p, &nets, &Options::default()).is_holds());
}

#[test]
fn lp_text_is_deterministic_and_readable() {
    let net = mono_net(0.5);
    let nets = [&net];
    let p = mono_problem();
    let a = to_lp_text(&p, &nets).expect("lp");
    let b = to_lp_text(&p, &nets).expect("lp");
    assert_eq!(a, b);
    for needle in [
        "\\ problem p",
        "Minimize",
        " obj: s",
        "Subject To",
        "Bounds",
        "Binaries",
        "End",
        "x0 = v0",
    ] {
        assert!(a.contains(needle), "missing {needle:?} in\n{a}");
    }
    insta::assert_snapshot!("lp_mono_twin", a);
    let q = box_problem(maximize(
        vec![lin(&[(o(0, 0), 1.0)], 0.0)],
        vec![vec![], vec![]],
    ));
    let bn = bumpy_net();
    let t = to_lp_text(&q, &[&bn]).expect("lp");
    assert_eq!(t.matches("Maximize").count(), 2);
}

#[test]
fn unavailable_solver_is_a_helpful_unknown() {
    let net = mono_net(0.5);
    let nets = [&net];
    for (solver, needles) in [
        (Solver::Highs, &["--features highs"][..]),
        (Solver::Scip, &["--features scip", ".ci/setup-scip.sh"][..]),
    ] {
        if solver.is_available() {
            continue;
        }
        // Without branch and bound and linear bounds (which prove it with no solver).
        let options = Options {
            bab: false,
            crown: false,
            ..opts(solver, false)
        };
        let out = verify(&mono_problem(), &nets, &options);
        let Outcome::Unknown { reason, .. } = out else {
            panic!("{out:?}")
        };
        for needle in needles {
            assert!(reason.contains(needle), "{reason}");
        }
    }
}

/// A query over a random ReLU network, its output maximized or minimized over the box.
fn random_query(seed: u64, widths: &[usize], max: bool) -> (Network, Problem) {
    let mut r = rng(seed);
    let net = random_mlp(&mut r, widths);
    let n = widths[0];
    let ids: Vec<_> = (0..n).map(|i| lin(&[(v(i), 1.0)], 0.0)).collect();
    let objective = vec![lin(&[(o(0, 0), 1.0)], 0.0)];
    let p = problem(
        &vec![(0.0, 1.0); n],
        vec![("x", ids.clone())],
        vec![(0, ids, 1)],
        vec![],
        if max {
            maximize(objective, vec![vec![]])
        } else {
            minimize(objective, vec![vec![]])
        },
    );
    (net, p)
}

#[test]
fn every_solver_proves_the_same_optimum() {
    // The MILP alone (no attack): each solver's proven bound is the same optimum, up
    // to the solvers' tolerances.
    for seed in 0..4 {
        let max = seed % 2 == 0;
        let (net, p) = random_query(seed, &[3, 8, 8, 1], max);
        let nets = [&net];
        let mut seen: Vec<(Solver, f64)> = Vec::new();
        for solver in Solver::available() {
            let out = verify(&p, &nets, &opts(solver, false));
            let Outcome::Bound {
                lower: Some(lo),
                upper: Some(hi),
                exact: true,
                ..
            } = out
            else {
                panic!("seed {seed} {solver}: {out:?}")
            };
            let proven = if max { hi } else { lo };
            seen.push((solver, proven));
        }
        let (first, v0) = seen[0];
        for (solver, v) in &seen {
            assert!(
                (v - v0).abs() <= 1e-5 * (1.0 + v0.abs()),
                "seed {seed}: {solver} proves {v}, {first} proves {v0}"
            );
        }
    }
}

#[test]
fn a_solve_cut_short_never_claims_the_optimum() {
    // Short time limits: the result is either exact (and then the optimum of a long
    // solve) or not exact with a bound on the right side of it.
    let (net, p) = random_query(11, &[4, 24, 24, 1], true);
    let nets = [&net];
    let reference = {
        let out = verify(&p, &nets, &opts(Solver::available()[0], false));
        let Outcome::Bound {
            upper: Some(hi),
            exact: true,
            ..
        } = out
        else {
            panic!("{out:?}")
        };
        hi
    };
    for solver in Solver::available() {
        for ms in [20, 100, 400] {
            let o = Options {
                timeout: Duration::from_millis(ms),
                ..opts(solver, false)
            };
            match verify(&p, &nets, &o) {
                Outcome::Bound {
                    upper: Some(hi),
                    exact,
                    ..
                } => {
                    if exact {
                        assert!(
                            (hi - reference).abs() <= 1e-5 * (1.0 + reference.abs()),
                            "{solver} {ms} ms: exact {hi} vs {reference}"
                        );
                    }
                    assert!(
                        hi >= reference - 1e-5 * (1.0 + reference.abs()),
                        "{solver} {ms} ms: upper bound {hi} below the optimum {reference}"
                    );
                }
                Outcome::Unknown { .. } => {}
                other => panic!("{solver} {ms} ms: {other:?}"),
            }
        }
    }
}

#[test]
fn zero_margin_is_never_a_false_counterexample() {
    // Non-strict monotonicity with x0 <= y0 (x = y allowed): the minimum margin is
    // exactly 0 and no point is a counterexample. Only strict atoms: `verify` may
    // report `holds` (case (d) of its module doc) or `unknown`, never `violated`.
    let net = mono_net(0.5);
    let nets = [&net];
    let mut p = mono_problem();
    p.premise = vec![le(lin(&[(v(0), 1.0), (v(1), -1.0)], 0.0))];
    p.goal = violation(vec![vec![lt(lin(&[(o(1, 0), 1.0), (o(0, 0), -1.0)], 0.0))]]);
    for solver in Solver::available() {
        for attack in [false, true] {
            let out = verify(&p, &nets, &opts(solver, attack));
            match out {
                Outcome::Holds { method, .. } => assert_eq!(method, Method::Milp),
                Outcome::Unknown {
                    margin_lower_bound: Some(m),
                    ..
                } => {
                    assert!(m <= 0.0 && m > -1e-5, "{m}")
                }
                other => panic!("{solver}: {other:?}"),
            }
        }
    }
    // The same with a non-strict goal atom (`e <= 0`, from a strict conclusion) is a
    // real violation at x = y.
    p.goal = violation(vec![vec![le(lin(&[(o(1, 0), 1.0), (o(0, 0), -1.0)], 0.0))]]);
    for solver in Solver::available() {
        let out = verify(&p, &nets, &opts(solver, false));
        assert_valid_counterexample(&p, &nets, &out);
    }
}

#[test]
fn malformed_references_are_unknown() {
    let net = bumpy_net();
    let nets = [&net];
    let p = box_problem(violation(vec![vec![le(lin(&[(o(3, 0), 1.0)], 0.0))]]));
    let Outcome::Unknown { reason, .. } = verify(&p, &nets, &Options::default()) else {
        panic!()
    };
    assert!(reason.contains("application 3"), "{reason}");
}

#[test]
#[ignore = "timing probe: cargo test -p propc-runtime --release -- --ignored --nocapture"]
fn probe_milp_scale() {
    let mut r = rng(5);
    for width in [8, 16, 32] {
        let net = random_mlp(&mut r, &[4, width, width, 1]);
        let nets = [&net];
        let ids: Vec<_> = (0..4).map(|i| lin(&[(v(i), 1.0)], 0.0)).collect();
        let p = problem(
            &[(0.0, 1.0); 4],
            vec![("x", ids.clone())],
            vec![(0, ids, 1)],
            vec![],
            maximize(vec![lin(&[(o(0, 0), 1.0)], 0.0)], vec![vec![]]),
        );
        for solver in Solver::available() {
            let out = verify(
                &p,
                &nets,
                &Options {
                    timeout: Duration::from_secs(60),
                    solver,
                    ..Options::default()
                },
            );
            eprintln!("width {width} {solver}: {:.3}s {out:?}", out.seconds());
        }
    }
}
