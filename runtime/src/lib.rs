//! propc-runtime: everything that reads the IR.
//!
//! Takes: an [`propc_compiler::ir::Program`] and the ONNX networks bound to it.
//! Gives: verdicts, bounds and counterexamples: [`verify::verify`] runs the portfolio
//! (interval bounds in [`bounds`], the search in [`attack`], the exact MILP in
//! [`milp`]) on one problem; [`report`] turns outcomes into the JSON report;
//! [`vnnlib`] reads and writes VNN-LIB properties.
//! Invariant: the runtime reads only the IR from the compiler; solver calls live only
//! in `milp`; a `Holds` verdict only ever comes from a proof (see [`verify`]).

pub mod attack;
pub mod bab;
pub mod bounds;
pub mod gradient;
pub mod milp;
pub mod network;
pub mod relational;
pub mod report;
pub mod verify;
pub mod vnnlib;
