//! `propc compile SPEC --emit ir|lp`: shows what a spec compiles to.
//!
//! Takes: a spec and its bindings (networks are optional for `--emit ir`: the declared
//! shapes are used).
//! Gives: the IR text, or the MILP in LP format (needs the networks), on stdout.
//! Invariant: the output is deterministic (snapshot-tested).

use clap::{Args, ValueEnum};

use crate::bind::{self, BindArgs};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Emit {
    /// The constraint IR every backend reads
    Ir,
    /// The MILP (big-M encoding), in LP format
    Lp,
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
    let bound = match bind::bind(&args.bind, need_nets) {
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
    }
}
