//! Arbitrary bytes (as lossy UTF-8) through the `.prop` parser: `propc_syntax::parse`
//! must never panic and always return a tree; its diagnostics' spans are valid and
//! render (`propc_fuzz::check_diagnostics`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use propc_syntax::SourceMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.prop", text.as_ref());
    let (_tree, diags) = propc_syntax::parse(&sources, file);
    propc_fuzz::check_diagnostics(&sources, &diags);
});
