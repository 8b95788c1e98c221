//! Values of elaboration: what an expression of the spec denotes once names, `def`s and
//! finite quantifiers are resolved.
//!
//! Takes/gives: data only.
//! Invariant: tensors are stored flat in C order with their shape; `Int` values are
//! compile-time integers (indices, classes, dimensions); every other number is a
//! [`Term`] (possibly constant).

use crate::formula::{Formula, Term};

/// A set of points of a given shape: a box, possibly cut by an L1 ball.
#[derive(Clone, Debug, PartialEq)]
pub struct Domain {
    pub shape: Vec<usize>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
    /// `norm_1(x - center) <= radius`
    pub l1_ball: Option<(Vec<f64>, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Int(i64),
    Real(Term),
    Bool(Formula),
    Tensor(Vec<usize>, Vec<Term>),
    Domain(Domain),
    Network(usize),
    Def(String),
    Dataset(String),
    Range(i64, i64),
    /// `argmax(v)`: only meaningful compared with a class.
    Argmax(Vec<Term>),
}

pub fn shape_text(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", dims.join(", "))
}

impl Value {
    /// How the value is named in messages.
    pub fn describe(&self) -> String {
        match self {
            Value::Int(_) => "an integer".to_string(),
            Value::Real(_) => "a real number".to_string(),
            Value::Bool(_) => "a formula".to_string(),
            Value::Tensor(shape, _) => format!("a tensor `Real{}`", shape_text(shape)),
            Value::Domain(d) => format!("a domain of `Real{}`", shape_text(&d.shape)),
            Value::Network(_) => "a network".to_string(),
            Value::Def(_) => "a function".to_string(),
            Value::Dataset(_) => "a dataset".to_string(),
            Value::Range(..) => "a range".to_string(),
            Value::Argmax(_) => "an `argmax`".to_string(),
        }
    }

    /// The value as a scalar term, if it is a number.
    pub fn as_term(&self) -> Option<Term> {
        match self {
            Value::Int(i) => Some(Term::Const(*i as f64)),
            Value::Real(t) => Some(t.clone()),
            _ => None,
        }
    }

    /// The value as a flat list of terms with a shape (scalars have shape `[]`).
    pub fn as_tensor(&self) -> Option<(Vec<usize>, Vec<Term>)> {
        match self {
            Value::Tensor(s, e) => Some((s.clone(), e.clone())),
            other => other.as_term().map(|t| (Vec::new(), vec![t])),
        }
    }
}

pub fn tensor_value(shape: Vec<usize>, elems: Vec<Term>) -> Value {
    if shape.is_empty() {
        Value::Real(elems.into_iter().next().unwrap_or(Term::Const(0.0)))
    } else {
        Value::Tensor(shape, elems)
    }
}

/// Element `i` of a flat tensor that may be a broadcast scalar (one element).
pub fn broadcast(ts: &[Term], i: usize) -> Term {
    if ts.len() == 1 {
        ts[0].clone()
    } else {
        ts[i].clone()
    }
}
