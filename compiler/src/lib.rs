//! propc-compiler: from syntax to the constraint IR.
//!
//! Takes: parsed `.prop` files (with the stdlib), bindings from the command line
//! (network shapes, params, datasets).
//! Gives: diagnostics, and an [`ir::Program`] per spec.
//! Invariant: the runtime reads only [`ir`]; nothing else of this crate is its contract.

pub mod bindings;
pub mod elab;
pub mod formula;
pub mod ir;
pub mod normalize;
pub mod rewrite;
pub mod session;

pub use bindings::{Bindings, DatasetRows, NetworkShape};
pub use session::{Compiled, Mode, STDLIB, Session};
