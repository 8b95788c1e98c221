//! propc-lsp: the language server of `.prop` files (`propc lsp`).
//!
//! Takes: a client speaking the Language Server Protocol (JSON-RPC with Content-Length
//! framing on stdin/stdout, or any `lsp_server::Connection`).
//! Gives: diagnostics from the compiler's own check pipeline, hover, go to definition
//! (into imports and the standard library, materialized as files), completion, document
//! symbols, formatting and semantic tokens.
//! Invariant: the server reads specs through `propc_compiler::Session` exactly as
//! `propc check` does, so the editor shows the diagnostics the command line prints; it
//! never writes to the user's files (only to its cache directory for the stdlib).

mod analysis;
mod builtins;
mod document;
mod features;
mod resolve;
mod semantic;
mod server;
mod stdlib;
mod text;

pub use server::{capabilities, run, run_stdio};
