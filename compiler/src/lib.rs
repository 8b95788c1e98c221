//! propc-compiler: from syntax to the constraint IR.
//!
//! Takes: parsed `.prop` files (with the stdlib), bindings from the command line
//! (network shapes, params, datasets).
//! Gives: diagnostics, and an [`ir::Program`] per spec.
//! Invariant: the runtime reads only [`ir`]; nothing else of this crate is its contract.

pub mod ir;
