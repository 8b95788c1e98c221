//! Binding a spec to its inputs: parse the spec, load the ONNX files named by `--net`,
//! read the `--data` files, collect `--param` overrides, and compile to the IR.
//!
//! Takes: the shared binding arguments of `check` and `compile`.
//! Gives: a compiled [`Program`] with its loaded [`Network`]s (in the program's network
//! order), or the rendered diagnostics and exit code 2.
//! Invariant: a network file is loaded once, and its shapes are what the compiler
//! checks the spec's signatures against.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;
use propc_compiler::ir::Program;
use propc_compiler::{Bindings, Mode, NetworkShape, Session};
use propc_runtime::network::Network;
use propc_runtime::network::onnx;
use propc_syntax::Diagnostic;
use propc_syntax::ast::Item;

#[derive(Args, Clone, Debug)]
pub struct BindArgs {
    /// The spec file (`.prop`)
    pub spec: PathBuf,
    /// An ONNX network: `NAME=PATH`, or `PATH` when the spec declares one network
    #[arg(long = "net", value_name = "NAME=PATH")]
    pub nets: Vec<String>,
    /// Override a `param`: `NAME=VALUE`
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// A dataset file (CSV): `NAME=PATH`
    #[arg(long = "data", value_name = "NAME=PATH")]
    pub data: Vec<String>,
}

pub struct Bound {
    pub session: Session,
    pub program: Program,
    pub networks: Vec<Network>,
    /// Chains of network implications among the spec's properties.
    pub chains: Vec<crate::chain::Chain>,
}

/// Prints diagnostics to stderr (coloured on a terminal).
pub fn print_diagnostics(session: &Session, diags: &[Diagnostic]) {
    if diags.is_empty() {
        return;
    }
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!("{}", propc_syntax::render(&session.sources, diags, color));
}

/// An error without a place in a spec (arguments, files).
pub fn plain_error(
    code: &'static str,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::error(code, message).with_help(help)
}

/// The diagnostic of a network file that does not load; `what` names it.
pub fn load_error(what: &str, e: &onnx::LoadError) -> Diagnostic {
    let mut d =
        Diagnostic::error("E0602", format!("{what}: {}", e.message)).with_help(e.help.clone());
    if let Some(node) = &e.node {
        let op = e
            .op_type
            .as_ref()
            .map(|o| format!(" ({o})"))
            .unwrap_or_default();
        d = d.with_note(format!("in node `{node}`{op}"));
    }
    d
}

fn split_binding(s: &str) -> Option<(&str, &str)> {
    let (n, v) = s.split_once('=')?;
    let n = n.trim();
    if n.is_empty() || !n.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    Some((n, v))
}

/// Runs the front end and binds everything; `Err` carries the exit code after the
/// diagnostics were printed.
pub fn bind(args: &BindArgs, require_networks: bool) -> Result<Bound, u8> {
    let mut session = Session::new();
    let file = match session.load(&args.spec) {
        Ok(f) => f,
        Err(e) => {
            print_diagnostics(
                &session,
                &[plain_error("E0601", e, "give the path of a `.prop` file")],
            );
            return Err(2);
        }
    };
    // The spec's own network declarations, in order, to bind a bare `--net PATH`.
    let (ast, _) = propc_syntax::parse(&session.sources, file);
    let chains = crate::chain::chains(&ast, session.sources.text(file));
    let declared: Vec<String> = ast
        .items
        .iter()
        .filter_map(|i| match i {
            Item::Network { name, .. } => Some(name.name.clone()),
            _ => None,
        })
        .collect();
    let mut errors = Vec::new();
    let mut net_paths: HashMap<String, PathBuf> = HashMap::new();
    for n in &args.nets {
        match split_binding(n) {
            Some((name, path)) => {
                net_paths.insert(name.to_string(), PathBuf::from(path));
            }
            None if declared.len() == 1 => {
                net_paths.insert(declared[0].clone(), PathBuf::from(n));
            }
            None => errors.push(plain_error(
                "E0404",
                format!("`--net {n}` does not say which network it binds"),
                format!(
                    "the spec declares {} networks; write `--net NAME=PATH` with NAME one of {}",
                    declared.len(),
                    declared
                        .iter()
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
        }
    }
    let mut bindings = Bindings::default();
    let mut loaded: HashMap<String, Network> = HashMap::new();
    let mut names: Vec<&String> = net_paths.keys().collect();
    names.sort();
    for name in names {
        let path = &net_paths[name];
        match onnx::load(path) {
            Ok(net) => {
                bindings.networks.insert(
                    name.clone(),
                    NetworkShape {
                        source: path.display().to_string(),
                        input: net.input_shape.clone(),
                        output: net.output_shape().to_vec(),
                    },
                );
                loaded.insert(name.clone(), net);
            }
            Err(e) => errors.push(load_error(
                &format!("network `{name}` (`{}`)", path.display()),
                &e,
            )),
        }
    }
    for p in &args.params {
        match split_binding(p) {
            Some((n, v)) => bindings.params.push((n.to_string(), v.to_string())),
            None => errors.push(plain_error(
                "E0404",
                format!("`--param {p}` is not `NAME=VALUE`"),
                "write e.g. `--param eps=0.02`",
            )),
        }
    }
    for d in &args.data {
        match split_binding(d) {
            Some((n, path)) => match propc_compiler::bindings::read_csv(Path::new(path)) {
                Ok(rows) => {
                    bindings.datasets.insert(n.to_string(), rows);
                }
                Err(e) => errors.push(plain_error(
                    "E0403",
                    format!("dataset `{n}`: {e}"),
                    "give a CSV file of numbers, one sample per row",
                )),
            },
            None => errors.push(plain_error(
                "E0404",
                format!("`--data {d}` is not `NAME=PATH`"),
                "write e.g. `--data test=test.csv`",
            )),
        }
    }
    if require_networks {
        for name in &declared {
            if !net_paths.contains_key(name) {
                errors.push(plain_error(
                    "E0404",
                    format!("network `{name}` is not bound to a file"),
                    format!("pass `--net {name}=PATH.onnx`"),
                ));
            }
        }
    }
    if !errors.is_empty() {
        print_diagnostics(&session, &errors);
        return Err(2);
    }
    let compiled = session.compile(file, &bindings, Mode::Compile);
    print_diagnostics(&session, &compiled.diagnostics);
    let Some(program) = compiled.program else {
        return Err(2);
    };
    let mut networks = Vec::new();
    for sig in &program.networks {
        match loaded.remove(&sig.name) {
            Some(n) => networks.push(n),
            None if !require_networks => {}
            None => {
                print_diagnostics(
                    &session,
                    &[plain_error(
                        "E0404",
                        format!("network `{}` is not bound to a file", sig.name),
                        format!("pass `--net {}=PATH.onnx`", sig.name),
                    )],
                );
                return Err(2);
            }
        }
    }
    Ok(Bound {
        session,
        program,
        networks,
        chains,
    })
}
