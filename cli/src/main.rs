//! `propc`: the command-line interface.
//!
//! Takes: command-line arguments.
//! Gives: one subcommand per file or folder (`bench`, `check`, `compile`, `fmt`,
//! `report`); exit codes 0 (every property holds), 1 (some property is violated; for
//! `bench`, a verdict contradicts the expected one), 2 (an error in the input: spec,
//! network, data, arguments), 3 (some property unknown, none violated), 130 (`check` or
//! `bench` interrupted by Ctrl-C; the partial report is printed).
//! Invariant: every error the user can cause is printed as a diagnostic with exit code
//! 2, never as a panic.

/// `println!` that ignores a closed stdout (e.g. `propc check ... | head`) instead of
/// panicking.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($t)*);
    }};
}

mod bench;
mod bind;
mod chain;
mod check;
mod compile;
mod fmt;
mod lsp;
mod report;
mod vnnlib;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "propc",
    version,
    about = "Specify, verify and enforce properties of neural networks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run benchmarks: VNN-COMP instances in process (`bench vnncomp`)
    Bench(bench::BenchArgs),
    /// Verify every property and query of a spec against ONNX networks
    Check(check::CheckArgs),
    /// Show what a spec compiles to: the constraint IR or the MILP
    Compile(compile::CompileArgs),
    /// Format .prop files
    Fmt(fmt::FmtArgs),
    /// Run the language server on stdin/stdout
    Lsp,
    /// Work with JSON reports: merge the reports of a sharded run
    Report(report::ReportArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // Elaboration, normalization and the formatter recurse over the syntax tree; a long
    // chain such as `a and b and ... ` (thousands of operands) needs more than the main
    // thread's 8 MiB. Run the command on a thread with a large stack (reserved, not
    // committed, memory).
    let worker = std::thread::Builder::new()
        .name("propc".into())
        .stack_size(STACK_BYTES)
        .spawn(move || run(cli.command));
    match worker.map(|h| h.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(_)) => ExitCode::from(101),
        Err(e) => {
            eprintln!("error: cannot start propc's worker thread: {e}");
            ExitCode::from(2)
        }
    }
}

/// Stack of the worker thread: about 50,000 nested operators in a debug build.
const STACK_BYTES: usize = 512 << 20;

fn run(command: Command) -> u8 {
    match command {
        Command::Bench(args) => bench::run(args),
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Lsp => lsp::run(),
        Command::Report(args) => report::run(args),
    }
}
