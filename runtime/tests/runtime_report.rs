//! The JSON report: shape of the stable schema.

mod common;

use common::*;
use propc_compiler::ir::{NetworkSig, Program};
use propc_runtime::report::Report;
use propc_runtime::verify::{Options, Outcome, verify_program};
use serde_json::Value;

#[test]
fn report_json_has_the_documented_shape() {
    let net = mlp(&[(vec![vec![1.0, -1.0]], vec![0.0])]); // f(x) = x0 - x1
    let nets = [&net];
    let id = |i| lin(&[(v(i), 1.0)], 0.0);
    let base = |goal| {
        problem(
            &[(0.0, 1.0), (0.0, 1.0)],
            vec![("x", vec![id(0), id(1)])],
            vec![(0, vec![id(0), id(1)], 1)],
            vec![],
            goal,
        )
    };
    let mut holds = base(violation(vec![vec![lt(lin(&[(o(0, 0), 1.0)], 2.0))]])); // f >= -2
    holds.name = "holds".into();
    let mut violated = base(violation(vec![vec![lt(lin(&[(o(0, 0), 1.0)], 0.0))]])); // f >= 0
    violated.name = "violated".into();
    violated.sample = Some(4);
    let mut query = base(maximize(vec![lin(&[(o(0, 0), 1.0)], 0.0)], vec![vec![]]));
    query.name = "q".into();
    let program = Program {
        networks: vec![NetworkSig {
            name: "f".into(),
            input: vec![2],
            output: vec![1],
        }],
        problems: vec![holds, violated, query],
    };
    let outcomes = verify_program(&program, &nets, &Options::default());
    let report = Report::from_outcomes("spec.prop", &program, &outcomes);
    let json: Value = serde_json::from_str(&report.to_json()).expect("json");
    assert_eq!(json["spec"], "spec.prop");
    assert!(json["propc_version"].is_string());
    let r = json["results"].as_array().expect("results");
    assert_eq!(r[0]["kind"], "property");
    assert_eq!(r[0]["verdict"], "holds");
    assert_eq!(r[0]["method"], "ibp");
    assert!(r[0].get("counterexample").is_none() && r[0].get("sample").is_none());
    assert_eq!(r[1]["verdict"], "violated");
    assert_eq!(r[1]["sample"], 4);
    let cex = &r[1]["counterexample"];
    assert_eq!(cex["inputs"]["x"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(cex["applications"][0]["network"], "f");
    assert!(cex["applications"][0]["output"][0].as_f64().expect("num") < 0.0);
    assert_eq!(r[2]["kind"], "query");
    assert_eq!(r[2]["exact"], true);
    assert!((r[2]["upper"].as_f64().expect("upper") - 1.0).abs() < 1e-5);
    assert_eq!(r[2]["lower"].as_f64(), Some(1.0));
    assert_eq!(r[2]["witness"]["inputs"]["x"][0].as_f64(), Some(1.0));
    assert!(r.iter().all(|e| e["seconds"].is_number()));
    // Round trip.
    let back: Report = serde_json::from_str(&report.to_json()).expect("parse");
    assert_eq!(back, report);
    let unknown = Outcome::Unknown {
        reason: "time limit reached".into(),
        margin_lower_bound: Some(-0.5),
        seconds: 0.0,
    };
    let rep = Report::from_outcomes(
        "s",
        &Program {
            problems: program.problems[..1].to_vec(),
            ..program.clone()
        },
        &[unknown],
    );
    let json: Value = serde_json::from_str(&rep.to_json()).expect("json");
    assert_eq!(json["results"][0]["verdict"], "unknown");
    assert_eq!(json["results"][0]["reason"], "time limit reached");
    assert!(json["results"][0].get("method").is_none());
}

/// `from_units`: each entry carries its global unit index, the report the number of
/// units; the shard metadata round-trips; a query's proven end is read from the report.
#[test]
fn unit_reports_carry_their_indices() {
    use propc_runtime::report::{ResultEntry, Shard};
    let net = mlp(&[(vec![vec![1.0, -1.0]], vec![0.0])]); // f(x) = x0 - x1
    let nets = [&net];
    let id = |i| lin(&[(v(i), 1.0)], 0.0);
    let base = |goal| {
        problem(
            &[(0.0, 1.0), (0.0, 1.0)],
            vec![("x", vec![id(0), id(1)])],
            vec![(0, vec![id(0), id(1)], 1)],
            vec![],
            goal,
        )
    };
    let holds = base(violation(vec![vec![lt(lin(&[(o(0, 0), 1.0)], 2.0))]]));
    let violated = base(violation(vec![vec![lt(lin(&[(o(0, 0), 1.0)], 0.0))]]));
    let query = base(maximize(vec![lin(&[(o(0, 0), 1.0)], 0.0)], vec![vec![]]));
    let program = Program {
        networks: vec![NetworkSig {
            name: "f".into(),
            input: vec![2],
            output: vec![1],
        }],
        problems: vec![holds, violated, query],
    };
    let outcomes = verify_program(&program, &nets, &Options::default());
    let whole = Report::from_outcomes("s", &program, &outcomes);
    let pairs: Vec<(usize, &Outcome)> = vec![(0, &outcomes[0]), (2, &outcomes[2])];
    let mut part = Report::from_units("s", &program, &pairs);
    part.shard = Some(Shard { index: 1, count: 2 });
    assert_eq!(part.units, Some(3));
    assert_eq!(
        part.results
            .iter()
            .map(ResultEntry::unit)
            .collect::<Vec<_>>(),
        [Some(0), Some(2)]
    );
    let json: Value = serde_json::from_str(&part.to_json()).expect("json");
    assert_eq!(json["shard"]["index"], 1);
    assert_eq!(json["shard"]["count"], 2);
    assert_eq!(json["results"][1]["unit"], 2);
    let back: Report = serde_json::from_str(&part.to_json()).expect("parse");
    assert_eq!(back, part);
    // Apart from `unit`, an entry is the one `from_outcomes` makes.
    let mut e = part.results[1].clone();
    e.set_unit(None);
    assert_eq!(e, whole.results[2]);
    // Reports without the new fields still parse.
    let old: Report = serde_json::from_str(&whole.to_json()).expect("parse");
    assert_eq!(old.units, None);
    assert!(old.shard.is_none());
    assert!(old.any_violated());
    assert!(!part.any_violated() && !part.any_unsettled());
    let ResultEntry::Query(mut q) = whole.results[2].clone() else {
        panic!("a query");
    };
    assert!(q.is_bounded());
    q.upper = None; // maximizing: the proven end is gone, the witness's stays
    assert!(!q.is_bounded());
    q.witness = None;
    q.lower = None;
    q.exact = false;
    assert!(!q.is_bounded());
    q.exact = true; // an empty region
    assert!(q.is_bounded());
}
