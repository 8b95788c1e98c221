//! An open document: its compiler session, kept across edits, and its last diagnostics.
//!
//! Takes: the editor's text for a URI (didOpen), then edits (didChange, full or ranged).
//! Gives: the text, the session holding the file, its imports and the stdlib parsed,
//! and the diagnostics of a check of the current text.
//! Invariant: after every `open`/`change` the session has checked the current text with
//! the same pipeline as `propc check` (`Mode::Check`, no bindings); imports are parsed
//! once per session and reused across keystrokes (only the edited file is re-parsed).

use lsp_types::{TextDocumentContentChangeEvent, Uri};
use propc_compiler::{Bindings, Mode, Session};
use propc_syntax::{Diagnostic, FileId};

use crate::text::{LineIndex, uri_to_path};

pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub session: Session,
    pub file: FileId,
    pub diagnostics: Vec<Diagnostic>,
}

impl Document {
    pub fn open(uri: Uri, version: i32, text: &str) -> Document {
        let mut session = Session::new();
        // Loading from disk records the path, so `import "x.prop"` resolves next to it.
        let loaded = uri_to_path(&uri)
            .filter(|p| p.is_file())
            .and_then(|p| session.load(&p).ok());
        let file = match loaded {
            Some(id) => {
                session.set_text(id, text);
                id
            }
            None => session.add_text(uri.as_str(), text),
        };
        let mut doc = Document {
            uri,
            version,
            session,
            file,
            diagnostics: Vec::new(),
        };
        doc.check();
        doc
    }

    pub fn text(&self) -> &str {
        self.session.sources.text(self.file)
    }

    /// Applies the edits of a didChange, in order, and re-checks.
    pub fn change(&mut self, version: i32, changes: Vec<TextDocumentContentChangeEvent>) {
        let mut text = self.text().to_string();
        for c in changes {
            match c.range {
                None => text = c.text,
                Some(r) => {
                    let index = LineIndex::new(&text);
                    let start = index.offset(&text, r.start);
                    let end = index.offset(&text, r.end).max(start);
                    text.replace_range(start..end, &c.text);
                }
            }
        }
        self.version = version;
        self.session.set_text(self.file, &text);
        self.check();
    }

    fn check(&mut self) {
        let compiled = self
            .session
            .compile(self.file, &Bindings::default(), Mode::Check);
        self.diagnostics = compiled.diagnostics;
    }

    /// Starts a fresh session (files imported by path may have changed on disk).
    pub fn reload(&mut self) {
        let text = self.text().to_string();
        *self = Document::open(self.uri.clone(), self.version, &text);
    }
}
