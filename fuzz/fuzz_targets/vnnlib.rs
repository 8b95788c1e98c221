//! Arbitrary bytes (as lossy UTF-8) as a VNN-LIB file: `vnnlib::parse`, then fitting
//! it to a network of 5 inputs and 5 outputs (`Vnnlib::problems`), must never panic;
//! the diagnostics' spans are valid and render (`propc_fuzz::check_diagnostics`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use propc_runtime::vnnlib;
use propc_syntax::SourceMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.vnnlib", text.as_ref());
    let diags = match vnnlib::parse(&sources, file) {
        Ok(v) => {
            let _ = (v.input_count(), v.output_count());
            match v.problems("fuzz", 5, 5) {
                Ok(_problems) => Vec::new(),
                Err(d) => d,
            }
        }
        Err(d) => d,
    };
    propc_fuzz::check_diagnostics(&sources, &diags);
});
