//! Binding a VNN-LIB property (`propc check prop.vnnlib --net net.onnx`).
//!
//! Takes: the `check` / `compile` binding arguments whose spec ends in `.vnnlib`, and
//! exactly one `--net PATH` (or `--net NAME=PATH`).
//! Gives: the same [`Bound`] as a spec: a program with one network `net` (the ONNX
//! shapes) and one problem per input region of the file (`propc_runtime::vnnlib`), or
//! the rendered diagnostics and exit code 2.
//! Invariant: the property is violated iff some problem is violated and holds iff all
//! hold, so `check`'s verdicts and exit codes read the same as for a spec.

use std::path::{Path, PathBuf};

use propc_compiler::Session;
use propc_compiler::ir::{NetworkSig, Program};
use propc_runtime::network::onnx;

use crate::bind::{BindArgs, Bound, plain_error, print_diagnostics};

/// Whether the spec argument names a VNN-LIB file.
pub fn is_vnnlib(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("vnnlib"))
}

/// Reads the file and the network; `Err` carries the exit code after the diagnostics
/// were printed.
pub fn bind(args: &BindArgs) -> Result<Bound, u8> {
    let mut session = Session::new();
    let mut errors = Vec::new();
    if !args.params.is_empty() || !args.data.is_empty() {
        errors.push(plain_error(
            "E0404",
            "`--param` and `--data` do not apply to a VNN-LIB property",
            "a `.vnnlib` file takes only `--net PATH.onnx`",
        ));
    }
    let net_path = match args.nets.as_slice() {
        [one] => {
            let p = PathBuf::from(one);
            match one.split_once('=') {
                Some((_, path)) if !p.exists() => PathBuf::from(path),
                _ => p,
            }
        }
        nets => {
            errors.push(plain_error(
                "E0404",
                format!(
                    "a VNN-LIB property needs exactly one `--net`, found {}",
                    nets.len()
                ),
                "pass `--net PATH.onnx`",
            ));
            PathBuf::new()
        }
    };
    let file = match session.load(&args.spec) {
        Ok(f) => Some(f),
        Err(e) => {
            errors.push(plain_error("E0601", e, "give the path of a `.vnnlib` file"));
            None
        }
    };
    if !errors.is_empty() {
        print_diagnostics(&session, &errors);
        return Err(2);
    }
    let net = match onnx::load(&net_path) {
        Ok(n) => n,
        Err(e) => {
            let d = crate::bind::load_error(&format!("network `{}`", net_path.display()), &e);
            print_diagnostics(&session, &[d]);
            return Err(2);
        }
    };
    let Some(file) = file else { return Err(2) };
    let name = args.spec.file_stem().map_or_else(
        || "property".to_string(),
        |s| s.to_string_lossy().into_owned(),
    );
    let problems = match propc_runtime::vnnlib::import(
        &session.sources,
        file,
        &name,
        net.input_size(),
        net.output_size(),
    ) {
        Ok(p) => p,
        Err(diags) => {
            print_diagnostics(&session, &diags);
            return Err(2);
        }
    };
    let program = Program {
        networks: vec![NetworkSig {
            name: "net".into(),
            input: net.input_shape.clone(),
            output: net.output_shape().to_vec(),
        }],
        problems,
    };
    Ok(Bound {
        session,
        program,
        networks: vec![net],
        chains: Vec::new(),
    })
}
