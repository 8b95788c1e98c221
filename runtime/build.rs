//! Links SCIP when the cargo feature `scip` is on; does nothing otherwise.
//!
//! Takes: `PROPC_SCIP_LIB_DIR`, a directory holding `libscip.so` (SCIP 10, the C API;
//! `.ci/setup-scip.sh` prepares one from the pyscipopt wheel and prints the variable).
//! Gives: the link directives for `-lscip`, and an rpath to that directory for this
//! package's own tests and examples (the `propc` binary gets its rpath from
//! `cli/build.rs`; cargo does not pass link arguments on to dependents).
//! Invariant: a build with the feature and without a usable directory fails here, with
//! a message saying how to get one.

use std::path::PathBuf;

const VAR: &str = "PROPC_SCIP_LIB_DIR";

fn fail(what: &str) -> ! {
    eprintln!(
        "error: {what}; run `eval \"$(.ci/setup-scip.sh)\"` from the repository root to \
         prepare one"
    );
    std::process::exit(1)
}

fn main() {
    println!("cargo::rerun-if-env-changed={VAR}");
    if std::env::var_os("CARGO_FEATURE_SCIP").is_none() {
        return;
    }
    let Some(dir) = std::env::var_os(VAR).map(PathBuf::from) else {
        fail(&format!(
            "the `scip` feature needs {VAR}, a directory with libscip.so (SCIP 10)"
        ));
    };
    if !dir.join("libscip.so").exists() {
        fail(&format!("{VAR}={} has no libscip.so", dir.display()));
    }
    println!(
        "cargo::rerun-if-changed={}",
        dir.join("libscip.so").display()
    );
    println!("cargo::rustc-link-search=native={}", dir.display());
    println!("cargo::rustc-link-lib=dylib=scip");
    println!("cargo::rustc-link-arg=-Wl,-rpath,{}", dir.display());
}
