//! The one diagnostic type of propc, and its rendering.
//!
//! Takes: errors of every stage (parse, type, elaboration, network binding), converted
//! by those stages into [`Diagnostic`]s.
//! Gives: a renderer-free value (used by the CLI through [`render`], and by the language
//! server as it is), and a plain-text or coloured rendering with ariadne.
//! Invariant: messages are lowercase, without a final period; user names are in
//! backticks; every diagnostic has a code (`E0xxx`) and a primary label when it has a
//! place.

use crate::span::{SourceMap, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The primary label marks where the problem is; secondary ones give context.
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `E0101`; documented in the book.
    pub code: &'static str,
    pub message: String,
    pub labels: Vec<Label>,
    /// What to do about it.
    pub help: Option<String>,
    pub notes: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: Vec::new(),
            help: None,
            notes: Vec::new(),
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// The place of the problem.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// Context elsewhere (a declaration, an earlier use).
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary span, if any.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// Renders diagnostics with ariadne. `color = false` gives stable text for snapshots.
pub fn render(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    use ariadne::{Config, Label as ALabel, Report, ReportKind};

    let mut out = Vec::new();
    for d in diagnostics {
        let kind = match d.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let Some(primary) = d.primary_span() else {
            // No place: a plain line.
            let mut s = format!(
                "{}[{}]: {}\n",
                if d.is_error() { "error" } else { "warning" },
                d.code,
                d.message
            );
            for n in &d.notes {
                s.push_str(&format!("  = note: {n}\n"));
            }
            if let Some(h) = &d.help {
                s.push_str(&format!("  = help: {h}\n"));
            }
            out.extend_from_slice(s.as_bytes());
            continue;
        };
        let file_name = sources.name(primary.file).to_string();
        let mut report = Report::build(kind, (file_name.clone(), primary.range()))
            .with_code(d.code)
            .with_message(&d.message)
            .with_config(
                Config::default()
                    .with_color(color)
                    .with_index_type(ariadne::IndexType::Byte),
            );
        for (i, l) in d.labels.iter().enumerate() {
            let name = sources.name(l.span.file).to_string();
            let mut label = ALabel::new((name, l.span.range()))
                .with_message(&l.message)
                .with_order(i as i32);
            if color {
                label = label.with_color(if l.primary {
                    ariadne::Color::Red
                } else {
                    ariadne::Color::Blue
                });
            }
            report = report.with_label(label);
        }
        for n in &d.notes {
            report = report.with_note(n);
        }
        if let Some(h) = &d.help {
            report = report.with_help(h);
        }
        let cache = ariadne::sources(
            sources
                .files()
                .map(|(_, f)| (f.name.clone(), f.text.clone()))
                .collect::<Vec<_>>(),
        );
        if report.finish().write(cache, &mut out).is_err() {
            out.extend_from_slice(format!("error[{}]: {}\n", d.code, d.message).as_bytes());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
