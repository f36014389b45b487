//! Message templates: text with `{{ expression }}` holes, each a CEL
//! expression compiled when the rule loads.

use cel::common::types::{CelBool, CelDouble, CelInt, CelNull, CelString, CelUInt, Kind};
use cel::common::value::Val;
use rcaudit_model::cel::as_node;

use crate::expr::{self, CompileError, Expression};
use crate::problem::ProblemCode;

/// A parsed, compiled template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template as written.
    pub source: String,
    /// Its text and its holes, in order.
    pub parts: Vec<Part>,
}

/// A piece of a template.
#[derive(Debug, Clone)]
pub enum Part {
    /// Text, as written.
    Text(String),
    /// An expression and the byte offset of its text in the template.
    Expr(Expression, usize),
}

/// Parses and compiles a template; errors carry byte offsets into it.
pub fn compile(env: &cel::Env, source: &str) -> Result<Template, Vec<CompileError>> {
    let mut parts = Vec::new();
    let mut errors = Vec::new();
    let mut rest = source;
    let mut offset = 0;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push(Part::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            errors.push(CompileError {
                message: "`{{` is never closed with `}}`".to_owned(),
                offset: offset + open,
                len: 2,
                code: ProblemCode::Cel,
                help: None,
            });
            rest = "";
            break;
        };
        let inner = &after[..close];
        let lead = inner.len() - inner.trim_start().len();
        let start = offset + open + 2 + lead;
        match expr::compile(env, inner.trim()) {
            Ok(e) => parts.push(Part::Expr(e, start)),
            Err(errs) => errors.extend(errs.into_iter().map(|e| e.shifted(start))),
        }
        let consumed = open + 2 + close + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_owned()));
    }
    if errors.is_empty() {
        Ok(Template {
            source: source.to_owned(),
            parts,
        })
    } else {
        Err(errors)
    }
}

impl Template {
    /// The expressions in the template, with their offsets.
    pub fn expressions(&self) -> impl Iterator<Item = (&Expression, usize)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Expr(e, at) => Some((e, *at)),
            Part::Text(_) => None,
        })
    }
}

/// Renders a value for a message: strings as they are, everything else as
/// JSON.
pub fn render(val: &dyn Val) -> String {
    match to_json(val) {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

/// A CEL value as JSON (types JSON lacks are shown by their type name).
pub fn to_json(val: &dyn Val) -> serde_json::Value {
    if let Some(s) = val.downcast_ref::<CelString>() {
        return serde_json::Value::String(s.inner().to_owned());
    }
    if let Some(node) = as_node(val) {
        return rcaudit_model::value::to_json(node);
    }
    if let Some(i) = val.downcast_ref::<CelInt>() {
        return (*i.inner()).into();
    }
    if let Some(u) = val.downcast_ref::<CelUInt>() {
        return (*u.inner()).into();
    }
    if let Some(d) = val.downcast_ref::<CelDouble>() {
        return serde_json::Number::from_f64(*d.inner())
            .map_or(serde_json::Value::Null, serde_json::Value::Number);
    }
    if let Some(b) = val.downcast_ref::<CelBool>() {
        return serde_json::Value::Bool(*b.inner());
    }
    if val.downcast_ref::<CelNull>().is_some() {
        return serde_json::Value::Null;
    }
    match (val.get_type().kind(), val.as_iterable()) {
        (Kind::List, Some(iterable)) => {
            let mut items = iterable.iter();
            let mut out = Vec::new();
            while let Some(item) = items.next() {
                out.push(to_json(item));
            }
            serde_json::Value::Array(out)
        }
        (Kind::Map, Some(iterable)) => {
            let mut keys = iterable.iter();
            let mut out = serde_json::Map::new();
            while let Some(key) = keys.next() {
                let value = val
                    .as_indexer()
                    .and_then(|ix| ix.get(key).ok())
                    .map_or(serde_json::Value::Null, |v| to_json(v.as_ref()));
                let name = match to_json(key) {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(name, value);
            }
            serde_json::Value::Object(out)
        }
        _ => serde_json::Value::String(format!("<{}>", val.get_type().name())),
    }
}
