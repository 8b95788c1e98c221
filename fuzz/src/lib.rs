//! Helpers shared by the fuzz targets.

use propc_syntax::{Diagnostic, SourceMap};

/// How many diagnostics of one input are rendered with ariadne. Rendering dominates the
/// time of an execution (ariadne re-reads the source per diagnostic), and a mutated
/// input easily has dozens of errors; the spans of all of them are checked anyway.
const RENDERED: usize = 4;

/// What a front end does with diagnostics must not panic: every label's span lies in
/// its file, on character boundaries (the language server converts them with
/// `SourceMap::line_col`, which slices the text there), and rendering works.
pub fn check_diagnostics(sources: &SourceMap, diags: &[Diagnostic]) {
    for d in diags {
        for label in &d.labels {
            let span = label.span;
            let text = sources.text(span.file);
            let (start, end) = (span.start as usize, span.end as usize);
            assert!(
                start <= end && end <= text.len(),
                "{}: span {start}..{end} outside a text of {} bytes",
                d.code,
                text.len()
            );
            assert!(
                text.is_char_boundary(start) && text.is_char_boundary(end),
                "{}: span {start}..{end} not on character boundaries",
                d.code
            );
            let _ = sources.line_col(span.file, span.start);
            let _ = sources.line_col(span.file, span.end);
        }
    }
    let n = diags.len().min(RENDERED);
    let _ = propc_syntax::render(sources, &diags[..n], false);
}
