//! Parameter declarations and the checks of their values.
//!
//! A rule file declares each parameter under `params:`, either by its
//! default alone (`maxForwardingNumbers: 10`: the type is the default's) or
//! in full:
//!
//! ```yaml
//! params:
//!   nonUbpExtraTypes:
//!     type: list(string)
//!     default: []
//!     doc: Extension types a non-UBP account may hold beyond the documented set.
//! ```
//!
//! Types are `bool`, `int`, `number`, `string`, `any`, `list(T)`, or a
//! mapping of field names to types (an object whose fields are each
//! optional in an override). A value set in `rcaudit.yaml` must name a
//! declared parameter (and, in an object, a declared field) and have its
//! type; every problem points at the config.

use std::fmt;

use miette::SourceSpan;

use crate::suggest::suggest;
use crate::yaml::{Yaml, YamlValue};

/// The keys of a full declaration.
pub const DECLARATION_KEYS: &[&str] = &["type", "default", "doc"];

/// The type of a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    Any,
    Bool,
    Int,
    Number,
    String,
    List(Box<ParamType>),
    /// Fields in declaration order.
    Object(Vec<(String, ParamType)>),
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamType::Any => f.write_str("any"),
            ParamType::Bool => f.write_str("bool"),
            ParamType::Int => f.write_str("int"),
            ParamType::Number => f.write_str("number"),
            ParamType::String => f.write_str("string"),
            ParamType::List(t) => write!(f, "list({t})"),
            ParamType::Object(fields) => {
                f.write_str("{")?;
                for (i, (name, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{name}: {t}")?;
                }
                f.write_str("}")
            }
        }
    }
}

impl ParamType {
    /// The type of a default value.
    pub fn of(value: &Yaml) -> ParamType {
        match &value.value {
            YamlValue::Null => ParamType::Any,
            YamlValue::Bool(_) => ParamType::Bool,
            YamlValue::Int(_) => ParamType::Int,
            YamlValue::Float(_) => ParamType::Number,
            YamlValue::String(_) => ParamType::String,
            YamlValue::Seq(items) => ParamType::List(Box::new(
                items.first().map_or(ParamType::Any, ParamType::of),
            )),
            YamlValue::Map(members) => ParamType::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), ParamType::of(v)))
                    .collect(),
            ),
        }
    }

    /// Reads a declared type: a name, `list(T)`, or a mapping of fields.
    pub fn parse(value: &Yaml) -> Result<ParamType, (SourceSpan, String)> {
        match &value.value {
            YamlValue::String(text) => Self::parse_text(text.trim()).ok_or_else(|| {
                (
                    value.span,
                    format!(
                        "`{text}` is not a parameter type (bool, int, number, string, any, \
                         list(T), or a mapping of fields to types)"
                    ),
                )
            }),
            YamlValue::Map(members) => members
                .iter()
                .map(|(k, v)| Ok((k.as_str().unwrap_or_default().to_owned(), Self::parse(v)?)))
                .collect::<Result<Vec<_>, _>>()
                .map(ParamType::Object),
            _ => Err((
                value.span,
                format!(
                    "a parameter type is a name or a mapping, not {}",
                    value.kind()
                ),
            )),
        }
    }

    fn parse_text(text: &str) -> Option<ParamType> {
        Some(match text {
            "any" => ParamType::Any,
            "bool" => ParamType::Bool,
            "int" => ParamType::Int,
            "number" => ParamType::Number,
            "string" => ParamType::String,
            _ => {
                let inner = text.strip_prefix("list(")?.strip_suffix(')')?;
                ParamType::List(Box::new(Self::parse_text(inner.trim())?))
            }
        })
    }
}

/// The declared type and documentation of a parameter's declaration (the
/// value under its name in `params:`); `None` for an invalid declaration
/// (the loader reports it).
pub fn declared(value: &Yaml) -> Option<(ParamType, Option<String>)> {
    let full = value.as_map().is_some_and(|members| {
        value.get("type").is_some()
            && members
                .iter()
                .all(|(k, _)| k.as_str().is_some_and(|k| DECLARATION_KEYS.contains(&k)))
    });
    if !full {
        return Some((ParamType::of(value), None));
    }
    let ty = ParamType::parse(value.get("type")?).ok()?;
    let doc = value
        .get("doc")
        .and_then(Yaml::as_str)
        .map(|d| d.trim().to_owned());
    Some((ty, doc))
}

impl ParamType {
    /// The JSON schema of values of this type.
    pub fn json_schema(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            ParamType::Any => json!({}),
            ParamType::Bool => json!({"type": "boolean"}),
            ParamType::Int => json!({"type": "integer"}),
            ParamType::Number => json!({"type": "number"}),
            ParamType::String => json!({"type": "string"}),
            ParamType::List(t) => json!({"type": "array", "items": t.json_schema()}),
            ParamType::Object(fields) => json!({
                "type": "object",
                "additionalProperties": false,
                "properties": fields
                    .iter()
                    .map(|(name, t)| (name.clone(), t.json_schema()))
                    .collect::<serde_json::Map<_, _>>(),
            }),
        }
    }
}

/// A problem with a value: where, what, and a hint.
#[derive(Debug, Clone)]
pub struct ValueProblem {
    pub span: SourceSpan,
    pub message: String,
    pub help: Option<String>,
    /// An unknown field (rather than a wrong type).
    pub unknown: bool,
}

fn kind(value: &Yaml) -> &'static str {
    match value.value {
        YamlValue::Int(_) => "an int",
        YamlValue::Float(_) => "a number",
        _ => value.kind(),
    }
}

/// Checks `value` (named `path`, e.g. `plans.ubp`) against `ty`.
pub fn check(value: &Yaml, ty: &ParamType, path: &str, out: &mut Vec<ValueProblem>) {
    let mismatch = |out: &mut Vec<ValueProblem>| {
        out.push(ValueProblem {
            span: value.span,
            message: format!("`{path}` is {ty}, not {}", kind(value)),
            help: None,
            unknown: false,
        });
    };
    match (ty, &value.value) {
        (ParamType::Any, _)
        | (ParamType::Bool, YamlValue::Bool(_))
        | (ParamType::Int, YamlValue::Int(_))
        | (ParamType::Number, YamlValue::Int(_) | YamlValue::Float(_))
        | (ParamType::String, YamlValue::String(_)) => {}
        (ParamType::Int, YamlValue::Float(f)) if f.fract() == 0.0 && f.abs() < 9e15 => {}
        (ParamType::List(element), YamlValue::Seq(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(item, element, &format!("{path}[{i}]"), out);
            }
        }
        (ParamType::Object(fields), YamlValue::Map(members)) => {
            for (key, member) in members {
                let name = key.as_str().unwrap_or_default();
                match fields.iter().find(|(f, _)| f == name) {
                    Some((_, t)) => check(member, t, &format!("{path}.{name}"), out),
                    None => out.push(ValueProblem {
                        span: key.span,
                        message: format!("`{path}` has no field `{name}`"),
                        help: Some(
                            match suggest(name, fields.iter().map(|(f, _)| f.as_str())) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => format!("`{path}` is {ty}"),
                            },
                        ),
                        unknown: true,
                    }),
                }
            }
        }
        _ => mismatch(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Yaml {
        crate::yaml::parse(text).expect("yaml")
    }

    #[test]
    fn types_are_inferred_parsed_and_checked() {
        let ty = ParamType::of(&yaml("{ubp: [], nonUbp: [Fax], max: 10}"));
        assert_eq!(
            ty.to_string(),
            "{ubp: list(any), nonUbp: list(string), max: int}"
        );
        let declared = ParamType::parse(&yaml("{ubp: list(string), n: number}")).expect("type");
        assert_eq!(declared.to_string(), "{ubp: list(string), n: number}");
        assert!(ParamType::parse(&yaml("lst(string)")).is_err());
        let mut out = Vec::new();
        check(
            &yaml("{ubp: [a, 1], nn: 2, n: 1.5}"),
            &declared,
            "plans",
            &mut out,
        );
        let messages: Vec<&str> = out.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`plans.ubp[1]` is string, not an int",
                "`plans` has no field `nn`"
            ]
        );
        assert_eq!(
            out.get(1).and_then(|p| p.help.as_deref()),
            Some("did you mean `n`?")
        );
    }
}
