//! A compact, stable text form of syntax trees (S-expressions), for snapshot tests and
//! debugging.
//!
//! Takes: a [`SpecFile`], [`Item`], [`Expr`] or [`TypeExpr`].
//! Gives: one line per item, except that a quantifier's body goes on its own, further
//! indented line; operators are written by their source symbol, spans are left out.
//! Invariant: the form shows every field of the tree but spans, so two trees that
//! differ only in spans dump the same.

use std::fmt::Write;

use crate::ast::*;

/// Every item of a file, one after the other.
pub fn dump_file(file: &SpecFile) -> String {
    let mut out = String::new();
    for item in &file.items {
        out.push_str(&dump_item(item));
        out.push('\n');
    }
    out
}

pub fn dump_item(item: &Item) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 1,
    };
    if let Some(doc) = item.doc() {
        let _ = writeln!(p.out, "/// {doc:?}");
    }
    match item {
        Item::Import {
            target: ImportTarget::Module(path),
            ..
        } => {
            let names: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
            let _ = write!(p.out, "(import {})", names.join("."));
        }
        Item::Import {
            target: ImportTarget::Path { path, .. },
            ..
        } => {
            let _ = write!(p.out, "(import {path:?})");
        }
        Item::Network {
            name,
            input,
            output,
            ..
        } => {
            let _ = write!(
                p.out,
                "(network {} {} -> {})",
                name.name,
                dump_type(input),
                dump_type(output)
            );
        }
        Item::Param {
            name, ty, default, ..
        } => {
            let _ = write!(p.out, "(param {} {}", name.name, dump_type(ty));
            if let Some(d) = default {
                p.out.push_str(" = ");
                p.expr(d);
            }
            p.out.push(')');
        }
        Item::Dataset { name, fields, .. } => {
            let fields: Vec<String> = fields.iter().map(dump_type).collect();
            let _ = write!(p.out, "(dataset {} [{}])", name.name, fields.join(", "));
        }
        Item::Let { name, value, .. } => {
            let _ = write!(p.out, "(let {} ", name.name);
            p.expr(value);
            p.out.push(')');
        }
        Item::Def {
            name,
            params,
            ret,
            body,
            ..
        } => {
            let params: Vec<String> = params
                .iter()
                .map(|q| format!("{}: {}", q.name.name, dump_type(&q.ty)))
                .collect();
            let _ = write!(p.out, "(def {} ({})", name.name, params.join(", "));
            if let Some(ret) = ret {
                let _ = write!(p.out, " : {}", dump_type(ret));
            }
            p.out.push(' ');
            p.expr(body);
            p.out.push(')');
        }
        Item::Property { name, body, .. } => {
            let _ = write!(p.out, "(property {} ", name.name);
            p.expr(body);
            p.out.push(')');
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
            let sense = match sense {
                Sense::Maximize => "maximize",
                Sense::Minimize => "minimize",
            };
            let _ = write!(p.out, "(query {} {sense} ", name.name);
            p.expr(objective);
            let _ = write!(p.out, " over {} in ", names(binders));
            p.expr(domain);
            if let Some(c) = condition {
                p.out.push_str(" where ");
                p.expr(c);
            }
            p.out.push(')');
        }
        Item::Error { .. } => p.out.push_str("(error)"),
    }
    p.out
}

pub fn dump_expr(expr: &Expr) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
    };
    p.expr(expr);
    p.out
}

pub fn dump_type(ty: &TypeExpr) -> String {
    fn dims(d: &[Dim]) -> String {
        let d: Vec<String> = d.iter().map(dim).collect();
        if d.is_empty() {
            String::new()
        } else {
            format!("[{}]", d.join(", "))
        }
    }
    fn dim(d: &Dim) -> String {
        match d {
            Dim::Lit(n, _) => n.to_string(),
            Dim::Var(v) => v.name.clone(),
        }
    }
    match &ty.kind {
        TypeKind::Real(d) => format!("Real{}", dims(d)),
        TypeKind::Int(d) => format!("Int{}", dims(d)),
        TypeKind::Bool => "Bool".into(),
        TypeKind::Class(d) => format!("Class[{}]", dim(d)),
        TypeKind::Index(d) => format!("Index[{}]", dim(d)),
        TypeKind::Domain(d) => format!("Domain{}", dims(d)),
        TypeKind::Function(a, b) => format!("({} -> {})", dump_type(a), dump_type(b)),
        TypeKind::Tuple(ts) => {
            let ts: Vec<String> = ts.iter().map(dump_type).collect();
            format!("({})", ts.join(", "))
        }
        TypeKind::Error => "<error>".into(),
    }
}

fn names(ids: &[Ident]) -> String {
    let v: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
    v.join(" ")
}

struct Printer {
    out: String,
    indent: usize,
}

impl Printer {
    fn newline(&mut self) {
        self.out.push('\n');
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
    }

    fn list(&mut self, es: &[Expr]) {
        for e in es {
            self.out.push(' ');
            self.expr(e);
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(v) => {
                let _ = write!(self.out, "{v}");
            }
            ExprKind::Real(v) => {
                let _ = write!(self.out, "{v:?}");
            }
            ExprKind::Bool(b) => {
                let _ = write!(self.out, "{b}");
            }
            ExprKind::Name(n) => self.out.push_str(&n.name),
            ExprKind::Call { callee, args } => {
                let _ = write!(self.out, "(call {}", callee.name);
                for a in args {
                    self.out.push(' ');
                    match a {
                        Arg::Positional(e) => self.expr(e),
                        Arg::Named(n, e) => {
                            let _ = write!(self.out, "{}=", n.name);
                            self.expr(e);
                        }
                    }
                }
                self.out.push(')');
            }
            ExprKind::Index { base, indices } => {
                self.out.push_str("(index ");
                self.expr(base);
                for i in indices {
                    self.out.push(' ');
                    match i {
                        IndexArg::At(e) => self.expr(e),
                        IndexArg::Slice(lo, hi) => {
                            self.out.push_str("(slice ");
                            self.expr(lo);
                            self.out.push(' ');
                            self.expr(hi);
                            self.out.push(')');
                        }
                    }
                }
                self.out.push(')');
            }
            ExprKind::Unary { op, operand } => {
                self.out.push_str(match op {
                    UnaryOp::Neg => "(neg ",
                    UnaryOp::Not => "(not ",
                });
                self.expr(operand);
                self.out.push(')');
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let sym = match op {
                    BinaryOp::Add => "+",
                    BinaryOp::Sub => "-",
                    BinaryOp::Mul => "*",
                    BinaryOp::Div => "/",
                    BinaryOp::And => "and",
                    BinaryOp::Or => "or",
                    BinaryOp::Implies => "=>",
                    BinaryOp::Iff => "<=>",
                };
                let _ = write!(self.out, "({sym} ");
                self.expr(lhs);
                self.out.push(' ');
                self.expr(rhs);
                self.out.push(')');
            }
            ExprKind::Compare { first, rest } => {
                self.out.push_str("(cmp ");
                self.expr(first);
                for (op, _, e) in rest {
                    let _ = write!(self.out, " {} ", op.symbol());
                    self.expr(e);
                }
                self.out.push(')');
            }
            ExprKind::Vector(es) => {
                self.out.push_str("(vec");
                self.list(es);
                self.out.push(')');
            }
            ExprKind::Range { lo, hi } => {
                self.out.push_str("(range ");
                self.expr(lo);
                self.out.push(' ');
                self.expr(hi);
                self.out.push(')');
            }
            ExprKind::Quant {
                quantifier,
                binders,
                domain,
                condition,
                body,
            } => {
                let q = match quantifier {
                    Quantifier::Forall => "forall",
                    Quantifier::Exists => "exists",
                };
                let _ = write!(self.out, "({q} ({}) in ", names(binders));
                self.expr(domain);
                if let Some(c) = condition {
                    self.out.push_str(" where ");
                    self.expr(c);
                }
                self.body(body);
            }
            ExprKind::ForData {
                pattern,
                dataset,
                body,
            } => {
                let _ = write!(self.out, "(for ({}) in {}", names(pattern), dataset.name);
                self.body(body);
            }
            ExprKind::Error => self.out.push_str("<error>"),
        }
    }

    fn body(&mut self, body: &Expr) {
        self.indent += 1;
        self.newline();
        self.expr(body);
        self.indent -= 1;
        self.out.push(')');
    }
}
