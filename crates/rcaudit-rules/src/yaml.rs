//! YAML read into a tree that keeps the byte span of every node.
//!
//! Rule and config files are first read into this generic tree, and only then
//! checked field by field, so that every problem in a file (an unknown key, a
//! missing field, a wrong type, an expression that does not compile) is
//! reported at once with a span, instead of stopping at the first one as a
//! `#[serde(deny_unknown_fields)]` struct would.

use std::fmt;

use miette::SourceSpan;
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML node with its span (bytes) in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Yaml {
    /// Where the value is in the file.
    pub span: SourceSpan,
    /// The value.
    pub value: YamlValue,
}

/// The value of a YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum YamlValue {
    /// `null`, `~`, or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string (plain, quoted or block).
    String(String),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// Keys are strings (other scalar keys are converted); document order.
    Map(Vec<(Yaml, Yaml)>),
}

impl Yaml {
    /// What kind of value it is, in words (`a mapping`, `a string`), for messages.
    pub fn kind(&self) -> &'static str {
        match self.value {
            YamlValue::Null => "null",
            YamlValue::Bool(_) => "a boolean",
            YamlValue::Int(_) | YamlValue::Float(_) => "a number",
            YamlValue::String(_) => "a string",
            YamlValue::Seq(_) => "a list",
            YamlValue::Map(_) => "a mapping",
        }
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The entries, if it is a mapping.
    pub fn as_map(&self) -> Option<&[(Yaml, Yaml)]> {
        match &self.value {
            YamlValue::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The items, if it is a sequence.
    pub fn as_seq(&self) -> Option<&[Yaml]> {
        match &self.value {
            YamlValue::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The value of key `name` in a mapping.
    pub fn get(&self, name: &str) -> Option<&Yaml> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .map(|(_, v)| v)
    }

    /// Converts to JSON (for parameters and test snapshots).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            YamlValue::Null => serde_json::Value::Null,
            YamlValue::Bool(b) => serde_json::Value::Bool(*b),
            YamlValue::Int(i) => serde_json::Value::from(*i),
            YamlValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            YamlValue::String(s) => serde_json::Value::String(s.clone()),
            YamlValue::Seq(items) => items.iter().map(Yaml::to_json).collect(),
            YamlValue::Map(members) => serde_json::Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// A YAML syntax error (or a budget breach, such as an alias bomb).
#[derive(Debug, Clone)]
pub struct YamlError {
    /// What is wrong.
    pub message: String,
    /// Where the parser stopped.
    pub span: SourceSpan,
    /// When the text is valid YAML beyond the reader's budget (too large,
    /// too deep, too many aliases): which limit, in words.
    pub budget: Option<String>,
}

impl YamlError {
    /// The headline for file `name`: "is not valid YAML", or which budget
    /// it exceeds.
    pub fn headline(&self, name: &str) -> String {
        match &self.budget {
            Some(limit) => format!("{name} exceeds the YAML reader's budget: {limit}"),
            None => format!("{name} is not valid YAML"),
        }
    }
}

/// A budget breach in words, naming the limit.
fn budget_breach(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let limits = serde_saphyr::Budget::default();
    match breach {
        B::Events { .. } => format!(
            "more than {} parse events (a file this large is not a rule file)",
            limits.max_events
        ),
        B::Nodes { .. } => format!("more than {} nodes", limits.max_nodes),
        B::Aliases { .. } => format!("more than {} aliases (`*name`)", limits.max_aliases),
        B::Anchors { .. } => format!("more than {} anchors (`&name`)", limits.max_anchors),
        B::RecordedAnchorEvents { .. } | B::RecordedAnchorBytes { .. } => format!(
            "aliases expand to more than {} copied events or {} bytes (an alias bomb?)",
            limits.max_recorded_anchor_events, limits.max_recorded_anchor_bytes
        ),
        B::AliasAnchorRatio { .. } => format!(
            "more than {} aliases per anchor (an alias bomb?)",
            limits.alias_anchor_ratio_multiplier
        ),
        B::Depth { .. } => format!("nested more than {} levels deep", limits.max_depth),
        B::Documents { .. } => format!("more than {} documents", limits.max_documents),
        B::ScalarBytes { .. } => format!(
            "more than {} bytes of text in its values",
            limits.max_total_scalar_bytes
        ),
        B::MergeKeys { .. } => format!("more than {} merge keys (`<<`)", limits.max_merge_keys),
        other => format!("{other:?}"),
    }
}

/// Parses YAML text. An empty document is `null`.
///
/// The reader recurses once per level of nesting, with large frames (about
/// 30 KiB a level in debug builds, and the budget allows 64 levels): it runs
/// on a thread with a large stack, whatever thread calls it.
pub fn parse(text: &str) -> Result<Yaml, YamlError> {
    crate::eval::on_eval_stack(|| parse_here(text)).unwrap_or_else(|| {
        Err(YamlError {
            message: "reading the YAML failed unexpectedly; this is a bug in rcaudit".to_owned(),
            span: SourceSpan::new(0.into(), 0),
            budget: None,
        })
    })
}

fn parse_here(text: &str) -> Result<Yaml, YamlError> {
    let options = serde_saphyr::options! {
        with_snippet: false,
        // `no`, `on`, `y` stay strings: only `true` and `false` are booleans.
        strict_booleans: true,
    };
    let raw: Result<Spanned<Raw>, _> = serde_saphyr::from_str_with_options(text, options);
    match raw {
        Ok(raw) => Ok(convert(raw, text)),
        Err(error) => {
            let span = error
                .location()
                .and_then(|l| span_of(&l, text))
                .unwrap_or_else(|| SourceSpan::new(0.into(), 0));
            // The breach, under the wrappers that add where an alias was
            // defined and used, or a snippet.
            let mut inner = &error;
            while let serde_saphyr::Error::AliasError { error, .. }
            | serde_saphyr::Error::WithSnippet { error, .. } = inner
            {
                inner = error;
            }
            let budget = match inner {
                serde_saphyr::Error::Budget { breach, .. } => Some(budget_breach(breach)),
                _ => None,
            };
            // The reader's own text names its internals (`Nodes { nodes:
            // 250001 }`): the headline says which limit, the label where.
            let message = if budget.is_some() {
                "the limit is reached here".to_owned()
            } else {
                error.without_snippet().to_string()
            };
            Err(YamlError {
                message,
                span,
                budget,
            })
        }
    }
}

fn span_of(location: &serde_saphyr::Location, text: &str) -> Option<SourceSpan> {
    let span = location.span();
    let (offset, len) = match span.byte_offset() {
        Some(offset) => (
            usize::try_from(offset).ok()?,
            usize::try_from(span.byte_len().unwrap_or(0)).ok()?,
        ),
        // Errors carry character offsets only.
        None if location.line() > 0 => {
            let chars = usize::try_from(span.offset()).ok()?;
            let start = text
                .char_indices()
                .nth(chars)
                .map_or(text.len(), |(i, _)| i);
            let len = text
                .get(start..)
                .and_then(|rest| rest.char_indices().nth(usize::try_from(span.len()).ok()?))
                .map_or(0, |(i, _)| i);
            (start, len)
        }
        None => return None,
    };
    let offset = offset.min(text.len());
    Some(SourceSpan::new(offset.into(), len.min(text.len() - offset)))
}

fn convert(raw: Spanned<Raw>, text: &str) -> Yaml {
    let span = span_of(&raw.referenced, text).unwrap_or_else(|| SourceSpan::new(0.into(), 0));
    let value = match raw.value {
        Raw::Null => YamlValue::Null,
        Raw::Bool(b) => YamlValue::Bool(b),
        Raw::Int(i) => YamlValue::Int(i),
        Raw::Float(f) => YamlValue::Float(f),
        Raw::String(s) => YamlValue::String(s),
        Raw::Seq(items) => YamlValue::Seq(items.into_iter().map(|i| convert(i, text)).collect()),
        Raw::Map(members) => YamlValue::Map(
            members
                .into_iter()
                .map(|(k, v)| {
                    let key_span = span_of(&k.referenced, text)
                        .unwrap_or_else(|| SourceSpan::new(0.into(), 0));
                    (
                        Yaml {
                            span: key_span,
                            value: YamlValue::String(k.value.0),
                        },
                        convert(v, text),
                    )
                })
                .collect(),
        ),
    };
    Yaml { span, value }
}

/// What serde-saphyr hands us, before spans are turned into byte ranges.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<KeyText>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Raw, D::Error> {
        deserializer.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        i64::try_from(v)
            .map(Raw::Int)
            .map_err(|_| E::custom("integer too large"))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<Spanned<KeyText>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            members.push((key, value));
        }
        Ok(Raw::Map(members))
    }
}

/// A mapping key as text, whatever scalar it was written as.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<KeyText, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<KeyText, E> {
                Ok(KeyText(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".to_owned()))
            }
        }
        // Keys are read as written: `n:` is the key "n", not `false`.
        deserializer.deserialize_string(V)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    fn at(text: &str, span: SourceSpan) -> &str {
        &text[span.offset()..span.offset() + span.len()]
    }

    #[test]
    fn keeps_spans_of_keys_and_values() {
        let text = "rules:\n  - id: RC-1\n    when: item.x == 1\n    n: 3\n";
        let yaml = parse(text).expect("parses");
        let rule = &yaml.get("rules").and_then(Yaml::as_seq).expect("seq")[0];
        let id = rule.get("id").expect("id");
        assert_eq!(at(text, id.span), "RC-1");
        let (key, value) = &rule.as_map().expect("map")[1];
        assert_eq!(at(text, key.span), "when");
        assert_eq!(at(text, value.span), "item.x == 1");
        assert_eq!(rule.get("n").map(|n| &n.value), Some(&YamlValue::Int(3)));
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let text = "rules:\n  - id: [unclosed\n";
        let error = parse(text).expect_err("invalid");
        assert!(error.span.offset() > 0, "{error:?}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            let aliases = vec![format!("*a{p}"); 10].join(", ");
            writeln!(text, "a{i}: &a{i} [{aliases}]").unwrap();
        }
        let error = parse(&text).expect_err("budget");
        assert!(!error.message.is_empty());
        // Valid YAML over the budget is not called invalid: the limit is named.
        let headline = error.headline("bomb.yaml");
        assert!(
            headline == "bomb.yaml exceeds the YAML reader's budget: more than 250000 nodes",
            "{headline}"
        );
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let headline = parse(&deep).expect_err("too deep").headline("deep.yaml");
        assert!(
            headline.contains("nested more than 64 levels"),
            "{headline}"
        );
        assert_eq!(
            parse("a: [").expect_err("invalid").headline("x.yaml"),
            "x.yaml is not valid YAML"
        );
    }

    #[test]
    fn duplicate_keys_are_errors() {
        assert!(parse("a: 1\na: 2\n").is_err());
    }
}
