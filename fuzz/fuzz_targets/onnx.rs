//! Arbitrary bytes as an ONNX model: `onnx::load_bytes` must return a network or a
//! `LoadError`, never panic. A loaded network is evaluated once at the zero input
//! (evaluation must not panic either; it may return an error).
#![no_main]

use libfuzzer_sys::fuzz_target;
use propc_runtime::network::onnx;

fuzz_target!(|data: &[u8]| {
    match onnx::load_bytes(data, "fuzz.onnx") {
        Ok(net) => {
            let input = vec![0.0; net.input_size()];
            let _ = net.eval(&input);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
