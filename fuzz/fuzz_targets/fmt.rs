//! Arbitrary bytes (as lossy UTF-8) through the formatter: `format_source` must not
//! panic, and when it formats (a file without syntax errors) its output must parse to
//! the same tree (`dump_file`, spans aside) and format to itself (idempotence); when it
//! refuses (syntax errors), the diagnostics' spans are valid and render.
#![no_main]

use libfuzzer_sys::fuzz_target;
use propc_syntax::SourceMap;
use propc_syntax::dump::dump_file;

fn dump(text: &str) -> Option<String> {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.prop", text);
    let (tree, diags) = propc_syntax::parse(&sources, file);
    if diags.iter().any(|d| d.is_error()) {
        return None;
    }
    Some(dump_file(&tree))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let out = match propc_syntax::format_source(&text) {
        Ok(out) => out,
        Err(diags) => {
            // Spans in `FileId(0)`: the text as the first file of a fresh map.
            let mut sources = SourceMap::new();
            sources.add("fuzz.prop", text.as_ref());
            propc_fuzz::check_diagnostics(&sources, &diags);
            return;
        }
    };
    let before = dump(&text).expect("format_source formatted a file with errors");
    let after = dump(&out).unwrap_or_else(|| panic!("the formatted text does not parse:\n{out}"));
    assert_eq!(before, after, "formatting changed the tree:\n{out}");
    let again = propc_syntax::format_source(&out)
        .unwrap_or_else(|_| panic!("format_source refused its own output:\n{out}"));
    assert_eq!(out, again, "formatting is not idempotent");
});
