//! Gives the `propc` binary (and this package's tests) an rpath to SCIP when the cargo
//! feature `scip` is on; does nothing otherwise.
//!
//! Takes: `PROPC_SCIP_LIB_DIR` (see `runtime/build.rs`, which links the library and
//! fails with a helpful message when the variable is missing).
//! Gives: `-Wl,-rpath,DIR`, so the binary finds `libscip` without `LD_LIBRARY_PATH`.
//! Invariant: the library's directory must stay where it was at build time (moving it
//! needs `LD_LIBRARY_PATH`).

fn main() {
    println!("cargo::rerun-if-env-changed=PROPC_SCIP_LIB_DIR");
    if std::env::var_os("CARGO_FEATURE_SCIP").is_none() {
        return;
    }
    if let Some(dir) = std::env::var_os("PROPC_SCIP_LIB_DIR") {
        println!(
            "cargo::rustc-link-arg=-Wl,-rpath,{}",
            std::path::Path::new(&dir).display()
        );
    }
}
