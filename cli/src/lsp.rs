//! `propc lsp`: the language server on stdin/stdout.
//!
//! Takes: no arguments; a client speaking LSP on stdin.
//! Gives: the `propc-lsp` server's answers on stdout; exit code 0 after a clean
//! `shutdown`/`exit`, 2 when the connection fails (the reason on stderr).
//! Invariant: nothing but protocol messages is written to stdout.

pub fn run() -> u8 {
    match propc_lsp::run_stdio() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}
