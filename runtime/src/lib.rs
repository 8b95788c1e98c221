//! propc-runtime: everything that reads the IR.
//!
//! Takes: an [`propc_compiler::ir::Program`] and the ONNX networks bound to it.
//! Gives: verdicts, bounds and counterexamples.
//! Invariant: the runtime reads only the IR from the compiler; solver calls live only
//! in `milp`.

pub mod network;
