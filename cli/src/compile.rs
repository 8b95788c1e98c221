//! `propc compile SPEC --emit ir|lp|vnnlib`: shows what a spec compiles to.
//!
//! Takes: a spec and its bindings (networks are optional for `--emit ir`: the declared
//! shapes are used).
//! Gives: the IR text, the MILP in LP format (needs the networks), or each property
//! as VNN-LIB (each starts with a `; propc: property NAME` line), on stdout.
//! Invariant: the output is deterministic (snapshot-tested).

use clap::{Args, ValueEnum};

use crate::bind::{self, BindArgs};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    /// The constraint IR every backend reads
    Ir,
    /// The MILP (big-M encoding), in LP format
    Lp,
    /// Each property as VNN-LIB (one network application per property only)
    Vnnlib,
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    #[command(flatten)]
    pub bind: BindArgs,
    /// What to print
    #[arg(long, value_enum, default_value = "ir")]
    pub emit: Emit,
}

pub fn run(args: CompileArgs) -> u8 {
    let need_nets = matches!(args.emit, Emit::Lp);
    let bound = if crate::vnnlib::is_vnnlib(&args.bind.spec) {
        crate::vnnlib::bind(&args.bind)
    } else {
        bind::bind(&args.bind, need_nets)
    };
    let bound = match bound {
        Ok(b) => b,
        Err(code) => return code,
    };
    match args.emit {
        Emit::Ir => {
            out!("{}", bound.program);
            0
        }
        Emit::Lp => {
            let nets: Vec<&propc_runtime::network::Network> = bound.networks.iter().collect();
            for p in &bound.program.problems {
                match propc_runtime::milp::to_lp_text(p, &nets) {
                    Ok(t) => out!("{t}"),
                    Err(e) => {
                        bind::print_diagnostics(
                            &bound.session,
                            &[bind::plain_error(
                                "E0603",
                                e,
                                "check that the networks fit the spec",
                            )],
                        );
                        return 2;
                    }
                }
            }
            0
        }
        Emit::Vnnlib => {
            let mut texts = Vec::new();
            for p in &bound.program.problems {
                let sig = p
                    .applications
                    .first()
                    .and_then(|a| bound.program.networks.get(a.network));
                let text = match sig {
                    Some(sig) => {
                        propc_runtime::vnnlib::to_vnnlib(p, sig.input_size(), sig.output_size())
                    }
                    None => Err(format!(
                        "property `{}` applies no network; VNN-LIB describes one application of one network",
                        p.name
                    )),
                };
                match text {
                    Ok(t) => texts.push(t),
                    Err(e) => {
                        bind::print_diagnostics(
                            &bound.session,
                            &[bind::plain_error(
                                "E0604",
                                e,
                                "`--emit vnnlib` needs properties over one application of one network, whose input is the quantified variable",
                            )],
                        );
                        return 2;
                    }
                }
            }
            print!("{}", texts.join("\n"));
            0
        }
    }
}
