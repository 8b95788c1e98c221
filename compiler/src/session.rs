//! The compiler session: sources, the stdlib, imports, and the whole pipeline.
//!
//! Takes: a spec file (path or text), the stdlib (embedded), [`Bindings`].
//! Gives: diagnostics ([`Session::check`], for the CLI and the language server) and the
//! IR ([`Session::compile`]).
//! Invariant: one `SourceMap` holds every text (spec, imports, stdlib), so every
//! diagnostic points into a file the renderer knows. A user declaration shadows an
//! imported one; two declarations of one name in one file are an error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use propc_syntax::ast::{ImportTarget, Item, SpecFile};
use propc_syntax::{Diagnostic, FileId, SourceMap, Span};

use crate::bindings::Bindings;
use crate::elab::{self, Elaborator, Polarity, Reported, Value, squeeze, types};
use crate::formula::Term;
use crate::ir::{NetworkSig, Problem, Program, Sense};
use crate::normalize;

/// The standard library, embedded: module name and text.
pub const STDLIB: &[(&str, &str)] = &[
    (
        "std.robustness",
        include_str!("../../stdlib/robustness.prop"),
    ),
    ("std.relations", include_str!("../../stdlib/relations.prop")),
    ("std.fairness", include_str!("../../stdlib/fairness.prop")),
    ("std.compare", include_str!("../../stdlib/compare.prop")),
];

/// How much of the pipeline to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Names, types, shapes, linearity, polarity; datasets may be unbound (a placeholder
    /// sample is used) and nothing is normalized.
    Check,
    /// Everything, down to the IR; every dataset a property uses must be bound.
    Compile,
}

#[derive(Default)]
pub struct Session {
    pub sources: SourceMap,
    parsed: HashMap<FileId, SpecFile>,
    paths: HashMap<FileId, PathBuf>,
    /// The import order of each file compiled so far (dependencies first, the file last).
    import_orders: HashMap<FileId, Vec<FileId>>,
}

/// The outcome of a run of the pipeline.
pub struct Compiled {
    pub program: Option<Program>,
    pub diagnostics: Vec<Diagnostic>,
    /// For each problem of `program` (same order), the elaborated formula of a property
    /// instance before normalization (`None` for queries): what the tests cross-check
    /// the IR against.
    pub elaborated: Vec<Option<crate::formula::Formula>>,
}

impl Compiled {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Adds a spec from disk.
    pub fn load(&mut self, path: &Path) -> Result<FileId, String> {
        let text =
            std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let text = String::from_utf8(text)
            .map_err(|_| format!("`{}` is not UTF-8 text", path.display()))?;
        let id = self.sources.add(path.display().to_string(), text);
        self.paths.insert(id, path.to_path_buf());
        Ok(id)
    }

    /// Adds a spec from text (tests, the editor).
    pub fn add_text(&mut self, name: &str, text: &str) -> FileId {
        self.sources.add(name, text)
    }

    /// Replaces a file's text (the editor's didChange).
    pub fn set_text(&mut self, file: FileId, text: &str) {
        self.sources.set_text(file, text);
        self.parsed.remove(&file);
    }

    fn parse(&mut self, file: FileId, diags: &mut Vec<Diagnostic>) {
        if self.parsed.contains_key(&file) {
            return;
        }
        let (ast, d) = propc_syntax::parse(&self.sources, file);
        diags.extend(d);
        self.parsed.insert(file, ast);
    }

    fn stdlib_file(&mut self, module: &str) -> Option<FileId> {
        let display = format!("<{}>", module.replace('.', "/") + ".prop");
        if let Some(id) = self.sources.find(&display) {
            return Some(id);
        }
        let text = STDLIB.iter().find(|(m, _)| *m == module)?.1;
        Some(self.sources.add(display, text))
    }

    /// Files in import order (dependencies first), the given file last.
    fn import_closure(&mut self, file: FileId, diags: &mut Vec<Diagnostic>) -> Vec<FileId> {
        let mut order = Vec::new();
        let mut stack = vec![(file, false)];
        let mut seen = std::collections::HashSet::new();
        while let Some((f, expanded)) = stack.pop() {
            if expanded {
                order.push(f);
                continue;
            }
            if !seen.insert(f) {
                continue;
            }
            self.parse(f, diags);
            stack.push((f, true));
            let imports: Vec<(ImportTarget, Span)> = self.parsed[&f]
                .items
                .iter()
                .filter_map(|i| match i {
                    Item::Import { target, span } => Some((target.clone(), *span)),
                    _ => None,
                })
                .collect();
            for (target, span) in imports.into_iter().rev() {
                match target {
                    ImportTarget::Module(path) => {
                        let module = path
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(".");
                        match self.stdlib_file(&module) {
                            Some(id) => stack.push((id, false)),
                            None => {
                                let known = STDLIB
                                    .iter()
                                    .map(|(m, _)| format!("`{m}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                diags.push(
                                    Diagnostic::error("E0103", format!("unknown module `{module}`"))
                                        .with_label(span, "imported here")
                                        .with_help(format!("the standard library has {known}; import a file with `import \"path.prop\"`")),
                                );
                            }
                        }
                    }
                    ImportTarget::Path { path, span } => {
                        let base = self
                            .paths
                            .get(&f)
                            .and_then(|p| p.parent().map(Path::to_path_buf))
                            .unwrap_or_default();
                        let full = base.join(&path);
                        let existing = self.sources.find(&full.display().to_string());
                        let id = match existing {
                            Some(id) => Ok(id),
                            None => self.load(&full),
                        };
                        match id {
                            Ok(id) => stack.push((id, false)),
                            Err(e) => diags.push(
                                Diagnostic::error("E0103", format!("cannot import `{path}`"))
                                    .with_label(span, e)
                                    .with_help("give a path relative to the importing file"),
                            ),
                        }
                    }
                }
            }
        }
        order
    }

    /// Runs the pipeline on `file`.
    pub fn compile(&mut self, file: FileId, bindings: &Bindings, mode: Mode) -> Compiled {
        let mut diags = Vec::new();
        let files = self.import_closure(file, &mut diags);
        self.import_orders.insert(file, files.clone());
        // The global scope: imported items first, the spec's own items shadow them.
        let mut globals: HashMap<String, &Item> = HashMap::new();
        let mut owner: HashMap<String, FileId> = HashMap::new();
        for f in &files {
            let ast = &self.parsed[f];
            let mut local: HashMap<&str, &Item> = HashMap::new();
            for item in &ast.items {
                let Some(name) = item.name() else { continue };
                if let Some(prev) = local.get(name.name.as_str()) {
                    diags.push(
                        Diagnostic::error("E0102", format!("`{}` is declared twice", name.name))
                            .with_label(name.span, "declared again here")
                            .with_secondary(
                                prev.name().map(|n| n.span).unwrap_or_default(),
                                "first declared here",
                            )
                            .with_help("rename one of them"),
                    );
                    continue;
                }
                local.insert(name.name.as_str(), item);
                globals.insert(name.name.clone(), item);
                owner.insert(name.name.clone(), *f);
            }
        }
        if diags
            .iter()
            .any(|d| d.is_error() && d.code.starts_with("E000"))
            && mode == Mode::Compile
        {
            // Syntax errors: still type-check what parsed, but produce no IR.
        }
        let main_items: Vec<&Item> = self.parsed[&file].items.iter().collect();

        // Network signatures: declared shapes, checked against the bound ONNX shapes.
        let mut sigs: Vec<NetworkSig> = Vec::new();
        let mut sig_errors = Vec::new();
        let net_items: Vec<&Item> = {
            let mut v: Vec<&Item> = globals
                .values()
                .copied()
                .filter(|i| matches!(i, Item::Network { .. }))
                .collect();
            v.sort_by_key(|i| (i.span().file, i.span().start));
            v
        };
        let empty = Bindings::default();
        {
            let mut el = Elaborator::new(&globals, &empty, &[]);
            for item in &net_items {
                let Item::Network {
                    name,
                    input,
                    output,
                    ..
                } = item
                else {
                    continue;
                };
                let shape = |el: &mut Elaborator<'_>, t: &propc_syntax::ast::TypeExpr| match &t.kind
                {
                    propc_syntax::ast::TypeKind::Real(d) => types::resolve_dims(el, d),
                    _ => {
                        el.report(
                            Diagnostic::error(
                                "E0201",
                                format!(
                                    "a network maps `Real[...]` tensors, found `{}`",
                                    types::type_text(t)
                                ),
                            )
                            .with_label(t.span, "not a real tensor type")
                            .with_help("declare it like `network f : Real[7] -> Real[1]`"),
                        );
                        Err(Reported)
                    }
                };
                let (i, o) = (shape(&mut el, input), shape(&mut el, output));
                let (Ok(i), Ok(o)) = (i, o) else { continue };
                if let Some(bound) = bindings.networks.get(&name.name)
                    && (squeeze(&bound.input) != squeeze(&i)
                        || squeeze(&bound.output) != squeeze(&o))
                {
                    el.report(
                        Diagnostic::error(
                            "E0401",
                            format!(
                                "network `{}` is declared `Real{} -> Real{}` but `{}` maps `{}` to `{}`",
                                name.name,
                                elab::shape_text(&i),
                                elab::shape_text(&o),
                                bound.source,
                                elab::shape_text(&bound.input),
                                elab::shape_text(&bound.output)
                            ),
                        )
                        .with_label(input.span.to(output.span), "declared here")
                        .with_help("fix the declaration or bind the right file with `--net NAME=PATH`"),
                    );
                }
                sigs.push(NetworkSig {
                    name: name.name.clone(),
                    input: i,
                    output: o,
                });
            }
            sig_errors.extend(el.diagnostics);
        }
        diags.extend(sig_errors);
        let mut bound_names: Vec<&String> = bindings.networks.keys().collect();
        bound_names.sort();
        for n in bound_names {
            if !sigs.iter().any(|s| &s.name == n) && !diags.iter().any(|d| d.code == "E0401") {
                diags.push(
                    Diagnostic::error(
                        "E0404",
                        format!("`--net {n}=...` names no network of the spec"),
                    )
                    .with_help(format!(
                        "the spec declares {}",
                        names_list(sigs.iter().map(|s| s.name.as_str()))
                    )),
                );
            }
        }
        for (n, _) in &bindings.params {
            if !matches!(globals.get(n), Some(Item::Param { .. })) {
                diags.push(
                    Diagnostic::error(
                        "E0404",
                        format!("`--param {n}=...` names no `param` of the spec"),
                    )
                    .with_help(format!(
                        "the spec's params are {}",
                        names_list(globals.values().filter_map(|i| match i {
                            Item::Param { name, .. } => Some(name.name.as_str()),
                            _ => None,
                        }))
                    )),
                );
            }
        }

        let output_sizes: Vec<usize> = sigs.iter().map(|s| s.output_size()).collect();
        let mut el = Elaborator::new(&globals, bindings, &sigs);
        let mut problems: Vec<(Problem, Option<crate::formula::Formula>)> = Vec::new();
        for item in &main_items {
            match item {
                Item::Let { name, .. } | Item::Param { name, .. } => {
                    let _ = el.global(&name.name, name.span);
                }
                Item::Dataset { name, .. }
                    if mode == Mode::Compile && bindings.datasets.contains_key(&name.name) =>
                {
                    let _ = dataset_rows(&mut el, &name.name, name.span, mode);
                }
                Item::Property { name, body, .. } => {
                    lower_property(
                        &mut el,
                        &name.name,
                        body,
                        mode,
                        &output_sizes,
                        &mut problems,
                    );
                }
                Item::Query {
                    name,
                    sense,
                    objective,
                    binders,
                    domain,
                    condition,
                    ..
                } => {
                    let _ = (|| -> Result<(), Reported> {
                        el.reset_problem();
                        let d = match el.expr(domain, Polarity::Positive)? {
                            Value::Domain(d) => d,
                            other => {
                                return el.error(
                                    Diagnostic::error(
                                        "E0303",
                                        format!(
                                            "a query ranges over a bounded domain, found {}",
                                            other.describe()
                                        ),
                                    )
                                    .with_label(domain.span, "not a domain")
                                    .with_help("use `box(lo, hi)` or `ball(center, radius)`"),
                                );
                            }
                        };
                        let mut extra = Vec::new();
                        for b in binders {
                            let v = el.bind_continuous(&b.name, &d);
                            extra.push(Elaborator::domain_constraint(&d, &v));
                            el.locals.push((b.name.clone(), v));
                        }
                        if let Some(c) = condition {
                            extra.push(el.formula(c, Polarity::Negative)?);
                        }
                        let obj = match el.expr(objective, Polarity::Positive)? {
                            Value::Real(t) => t,
                            Value::Int(i) => Term::Const(i as f64),
                            other => {
                                return el.type_error(
                                    &other,
                                    "a real number to optimize",
                                    objective.span,
                                );
                            }
                        };
                        if mode == Mode::Check {
                            return Ok(());
                        }
                        let sense = match sense {
                            propc_syntax::ast::Sense::Maximize => Sense::Maximize,
                            propc_syntax::ast::Sense::Minimize => Sense::Minimize,
                        };
                        let state = el.state.clone();
                        match normalize::lower_query(
                            &name.name,
                            sense,
                            &obj,
                            crate::formula::Formula::and(extra),
                            &state,
                            &output_sizes,
                        ) {
                            Ok(p) => problems.push((p, None)),
                            Err(e) => {
                                el.report(
                                    Diagnostic::error("E0501", format!("query `{}` cannot be normalized: {}", name.name, e.message))
                                        .with_label(objective.span, "this objective")
                                        .with_help("maximize a convex objective (e.g. `abs`, `max` of linear terms) or minimize a concave one"),
                                );
                            }
                        }
                        Ok(())
                    })();
                }
                _ => {}
            }
        }
        diags.extend(std::mem::take(&mut el.diagnostics));
        let (problems, elaborated): (Vec<Problem>, Vec<Option<crate::formula::Formula>>) =
            problems.into_iter().unzip();
        let program = if diags.iter().any(|d| d.is_error()) || mode == Mode::Check {
            None
        } else {
            Some(Program {
                networks: sigs,
                problems,
            })
        };
        let _ = owner;
        Compiled {
            elaborated: if mode == Mode::Check {
                Vec::new()
            } else {
                elaborated
            },
            program,
            diagnostics: diags,
        }
    }
}

fn names_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let mut v: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    v.sort();
    if v.is_empty() {
        "none".to_string()
    } else {
        v.join(", ")
    }
}

/// The rows of a dataset split into the declared fields, as values.
fn dataset_rows(
    el: &mut Elaborator<'_>,
    name: &str,
    span: Span,
    mode: Mode,
) -> Result<Vec<Vec<Value>>, Reported> {
    let Some(Item::Dataset {
        fields, name: decl, ..
    }) = el.globals.get(name).copied()
    else {
        return el.error(
            Diagnostic::error("E0201", format!("`{name}` is not a dataset"))
                .with_label(span, "iterated here")
                .with_help("declare it with `dataset NAME : (Real[n], Class[k])`"),
        );
    };
    // Field sizes.
    enum Field {
        Tensor(Vec<usize>),
        Scalar,
        Class(Option<usize>),
    }
    let mut layout = Vec::new();
    for f in fields {
        use propc_syntax::ast::{Dim, TypeKind};
        layout.push(match &f.kind {
            TypeKind::Real(d) | TypeKind::Int(d) if !d.is_empty() => {
                Field::Tensor(types::resolve_dims(el, d)?)
            }
            TypeKind::Real(_) | TypeKind::Int(_) => Field::Scalar,
            TypeKind::Class(d) | TypeKind::Index(d) => Field::Class(match d {
                Dim::Lit(n, _) => Some(*n as usize),
                Dim::Var(_) => types::resolve_dims(el, std::slice::from_ref(d))?
                    .first()
                    .copied(),
            }),
            _ => {
                return el.error(
                    Diagnostic::error(
                        "E0201",
                        format!(
                            "a dataset field of type `{}` cannot be read from a file",
                            types::type_text(f)
                        ),
                    )
                    .with_label(f.span, "unsupported field type")
                    .with_help("use `Real[n]`, `Real`, `Int` or `Class[k]` fields"),
                );
            }
        });
    }
    let width: usize = layout
        .iter()
        .map(|f| match f {
            Field::Tensor(s) => s.iter().product(),
            _ => 1,
        })
        .sum();
    let rows: Vec<Vec<f64>> = match el.bindings.datasets.get(name) {
        Some(d) => d.rows.clone(),
        None if mode == Mode::Check => vec![vec![0.0; width]],
        None => {
            return el.error(
                Diagnostic::error("E0403", format!("dataset `{name}` is not bound"))
                    .with_label(decl.span, "declared here")
                    .with_help(format!(
                        "pass `--data {name}=FILE.csv` with {width} numbers per row"
                    )),
            );
        }
    };
    let source = el
        .bindings
        .datasets
        .get(name)
        .map(|d| d.source.clone())
        .unwrap_or_default();
    let mut out = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        if row.len() != width {
            return el.error(
                Diagnostic::error(
                    "E0403",
                    format!(
                        "`{source}` row {} has {} numbers, but `{name}` needs {width}",
                        r + 1,
                        row.len()
                    ),
                )
                .with_label(decl.span, "the dataset's declared fields")
                .with_help("make every row match the declared fields (a header line is allowed)"),
            );
        }
        let mut at = 0;
        let mut values = Vec::new();
        for f in &layout {
            match f {
                Field::Tensor(s) => {
                    let n: usize = s.iter().product();
                    values.push(Value::Tensor(
                        s.clone(),
                        row[at..at + n].iter().map(|x| Term::Const(*x)).collect(),
                    ));
                    at += n;
                }
                Field::Scalar => {
                    values.push(Value::Real(Term::Const(row[at])));
                    at += 1;
                }
                Field::Class(k) => {
                    let x = row[at];
                    let ok = x == x.trunc() && x >= 0.0 && k.is_none_or(|k| (x as usize) < k);
                    if !ok {
                        return el.error(
                            Diagnostic::error(
                                "E0403",
                                format!("`{source}` row {}: `{x}` is not a valid class", r + 1),
                            )
                            .with_label(decl.span, "declared here")
                            .with_help(format!(
                                "classes are integers in 0..{}",
                                k.map(|k| k.to_string()).unwrap_or("k".into())
                            )),
                        );
                    }
                    values.push(Value::Int(x as i64));
                    at += 1;
                }
            }
        }
        out.push(values);
    }
    Ok(out)
}

fn lower_property(
    el: &mut Elaborator<'_>,
    name: &str,
    body: &propc_syntax::ast::Expr,
    mode: Mode,
    output_sizes: &[usize],
    problems: &mut Vec<(Problem, Option<crate::formula::Formula>)>,
) {
    use propc_syntax::ast::ExprKind;
    let mut lower_one =
        |el: &mut Elaborator<'_>, f: crate::formula::Formula, sample: Option<usize>, span: Span| {
            if mode == Mode::Check {
                return;
            }
            let state = el.state.clone();
            match normalize::lower_property(name, sample, f.clone(), &state, output_sizes) {
                Ok(p) => problems.push((p, Some(f))),
                Err(e) => {
                    el.report(
                        Diagnostic::error(
                            "E0501",
                            format!("property `{name}` cannot be normalized: {}", e.message),
                        )
                        .with_label(span, "this property")
                        .with_help(
                            "split the property, or use fewer `abs`/`max`/`min` in one comparison",
                        ),
                    );
                }
            }
        };
    match &body.kind {
        ExprKind::ForData {
            pattern,
            dataset,
            body: inner,
        } => {
            let Ok(rows) = dataset_rows(el, &dataset.name, dataset.span, mode) else {
                return;
            };
            for (i, row) in rows.into_iter().enumerate() {
                el.reset_problem();
                if row.len() != pattern.len() {
                    el.report(
                        Diagnostic::error(
                            "E0203",
                            format!(
                                "dataset `{}` has {} fields, the pattern names {}",
                                dataset.name,
                                row.len(),
                                pattern.len()
                            ),
                        )
                        .with_label(dataset.span, "iterated here")
                        .with_help(format!(
                            "name {} fields, like `for (x0, c) in {}.`",
                            row.len(),
                            dataset.name
                        )),
                    );
                    return;
                }
                for (p, v) in pattern.iter().zip(row) {
                    el.locals.push((p.name.clone(), v));
                }
                match el.formula(inner, Polarity::Positive) {
                    Ok(f) => lower_one(el, f, Some(i), body.span),
                    Err(_) => return,
                }
            }
        }
        _ => {
            el.reset_problem();
            if let Ok(f) = el.formula(body, Polarity::Positive) {
                lower_one(el, f, None, body.span);
            }
        }
    }
}

/// Read-only views for the language server.
impl Session {
    /// The syntax tree of a file, once a run of [`Session::compile`] has parsed it.
    pub fn ast(&self, file: FileId) -> Option<&SpecFile> {
        self.parsed.get(&file)
    }

    /// The file of an embedded stdlib module, if a run has loaded it.
    /// The files `file` imports, transitively, dependencies first and `file` last, as of
    /// the last run of [`Session::compile`] on it.
    pub fn import_order(&self, file: FileId) -> Option<&[FileId]> {
        self.import_orders.get(&file).map(Vec::as_slice)
    }

    pub fn stdlib_file_id(&self, module: &str) -> Option<FileId> {
        self.sources
            .find(&format!("<{}>", module.replace('.', "/") + ".prop"))
    }
}
