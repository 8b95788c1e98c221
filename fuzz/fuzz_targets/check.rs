//! Arbitrary bytes (as lossy UTF-8) as a spec, through the whole checker:
//! `Session::compile(file, &Bindings::default(), Mode::Check)` (names, types, shapes,
//! linearity, polarity; the stdlib is imported on demand) must never panic; its
//! diagnostics' spans are valid and render (`propc_fuzz::check_diagnostics`). Specs with a path import (`import "x.prop"`) are skipped:
//! the session would read that path from disk (`/dev/zero`, `/dev/stdin`, ...), which
//! is the user's choice on the command line but not something a fuzzer should do.
#![no_main]

use libfuzzer_sys::fuzz_target;
use propc_compiler::{Bindings, Mode, Session};
use propc_syntax::SourceMap;
use propc_syntax::ast::{ImportTarget, Item};

fn has_path_import(text: &str) -> bool {
    let mut sources = SourceMap::new();
    let file = sources.add("fuzz.prop", text);
    let (tree, _) = propc_syntax::parse(&sources, file);
    tree.items.iter().any(|i| {
        matches!(
            i,
            Item::Import {
                target: ImportTarget::Path { .. },
                ..
            }
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if has_path_import(&text) {
        return;
    }
    let mut session = Session::new();
    let file = session.add_text("fuzz.prop", &text);
    let compiled = session.compile(file, &Bindings::default(), Mode::Check);
    propc_fuzz::check_diagnostics(&session.sources, &compiled.diagnostics);
});
