//! JSON Schemas of rule files and config files, generated from the key
//! tables the loader, the case reader and the config reader check against
//! ([`crate::keys`]) so editors (yaml-language-server) complete and check exactly
//! what rcaudit accepts. `schemas/rules.schema.json` and
//! `schemas/config.schema.json` are these, written out; a test fails when
//! they drift (`RCAUDIT_UPDATE_SCHEMAS=1 cargo test -p rcaudit-rules --test
//! schemas` rewrites them).

use serde_json::{Value, json};

use crate::config::{FAIL_ON, REDACT_KINDS};
use crate::keys::{
    CASE_KEYS, CONFIG_KEYS, FILE_KEYS, Key, Kind, LIMIT_KEYS, RULE_KEYS, WAIVER_KEYS,
};
use crate::rule::{Severity, Target};

fn strings_or_one() -> Value {
    json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
}

/// The schema of a value of `kind`.
fn kind_schema(kind: Kind) -> Value {
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let targets: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
    match kind {
        Kind::Text => json!({"type": "string"}),
        Kind::Texts => strings_or_one(),
        Kind::Severity => json!({"enum": severities}),
        Kind::Targets => json!({"anyOf": [
            {"enum": targets},
            {"type": "array", "items": {"enum": targets}, "minItems": 1}
        ]}),
        Kind::CoveredBy => {
            let properties: serde_json::Map<String, Value> = Target::ALL
                .iter()
                .filter_map(|t| Some((t.as_str(), t.covering_list()?.as_str())))
                .map(|(t, by)| (t.to_owned(), json!({"enum": [by]})))
                .collect();
            json!({"type": "object", "properties": properties, "additionalProperties": false})
        }
        Kind::Rules => json!({"type": "array", "items": {"$ref": "#/$defs/Rule"}}),
        Kind::Facts => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        Kind::Mapping => json!({"type": "object"}),
        Kind::Cases => json!({"type": "array", "items": {"$ref": "#/$defs/Case"}}),
        Kind::Findings => json!({
            "type": "array",
            "items": {"anyOf": [
                {"type": "string"},
                {"type": "object", "required": ["pointer"], "additionalProperties": false,
                 "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}}}
            ]}
        }),
        Kind::TextOrBool => json!({"type": ["string", "boolean"]}),
        Kind::SeverityMap => {
            json!({"type": "object", "additionalProperties": {"enum": severities}})
        }
        Kind::ParamOverrides => json!({"type": "object", "properties": builtin_params()}),
        Kind::FailOn => json!({"enum": FAIL_ON}),
        Kind::Waivers => json!({"type": "array", "items": {"$ref": "#/$defs/Waiver"}}),
        Kind::Limits => json!({
            "type": "object",
            "additionalProperties": false,
            "properties": properties(LIMIT_KEYS),
        }),
        Kind::Steps => json!({"type": "integer", "minimum": 1}),
        Kind::NonEmpty => json!({"type": "string", "minLength": 1}),
        Kind::Date => json!({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
        Kind::Redact => json!({
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "kind"],
                "additionalProperties": false,
                "properties": {
                    "path": {"type": "string", "pattern": "^/"},
                    "kind": {"enum": REDACT_KINDS},
                },
            },
        }),
        Kind::Any => json!({}),
    }
}

/// The schema of one key: its kind's, with its documentation (and, for
/// limits, the default).
fn key_schema(key: &Key) -> Value {
    let mut schema = kind_schema(key.kind);
    if let Some(object) = schema.as_object_mut() {
        object.insert("description".to_owned(), Value::String(key.doc.to_owned()));
        let default = match key.name {
            "steps" if key.kind == Kind::Steps => Some(crate::eval::Limits::DEFAULT_STEPS),
            "ruleSteps" if key.kind == Kind::Steps => Some(crate::eval::Limits::DEFAULT_RULE_STEPS),
            _ => None,
        };
        if let Some(default) = default {
            object.insert("default".to_owned(), json!(default));
        }
    }
    schema
}

/// The properties of a mapping with `keys`.
fn properties(keys: &[Key]) -> serde_json::Map<String, Value> {
    keys.iter()
        .map(|k| (k.name.to_owned(), key_schema(k)))
        .collect()
}

/// The names of the required keys.
fn required(keys: &[Key]) -> Vec<&'static str> {
    keys.iter().filter(|k| k.required).map(|k| k.name).collect()
}

/// The schema of rule files.
pub fn rules_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rcaudit.dev/schemas/rules.schema.json",
        "title": "rcaudit rule file",
        "description": "A file of rcaudit rules (YAML). Generated from the loader's tables by rcaudit-rules (src/schemas.rs); do not edit by hand.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties(FILE_KEYS),
        "$defs": {
            "Rule": {
                "type": "object",
                "additionalProperties": false,
                "required": required(RULE_KEYS),
                "properties": properties(RULE_KEYS),
            },
            "Case": {
                "type": "object",
                "additionalProperties": false,
                "required": required(CASE_KEYS),
                "properties": properties(CASE_KEYS),
            }
        }
    })
}

/// The parameters the built-in packs declare, as JSON schemas with their
/// documentation (packs of the user's own may declare more).
fn builtin_params() -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for file in crate::builtin::files() {
        let Ok(doc) = crate::yaml::parse(&file.text) else {
            continue;
        };
        let Some(params) = doc.get("params").and_then(crate::yaml::Yaml::as_map) else {
            continue;
        };
        for (key, value) in params {
            let Some((ty, docs)) = crate::params::declared(value) else {
                continue;
            };
            let mut schema = ty.json_schema();
            if let (Some(object), Some(docs)) = (schema.as_object_mut(), docs) {
                object.insert("description".to_owned(), Value::String(docs));
            }
            out.insert(key.as_str().unwrap_or_default().to_owned(), schema);
        }
    }
    out
}

/// The schema of `rcaudit.yaml`.
pub fn config_schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rcaudit.dev/schemas/config.schema.json",
        "title": "rcaudit config (rcaudit.yaml)",
        "description": "Which rules rcaudit runs and how. Generated from the config reader's tables by rcaudit-rules (src/schemas.rs); do not edit by hand.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties(CONFIG_KEYS),
        "$defs": {"Waiver": waiver_schema()},
    })
}

/// One waiver, in a config or a waiver file.
pub fn waiver_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required(WAIVER_KEYS),
        "properties": properties(WAIVER_KEYS),
    })
}
