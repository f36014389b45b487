//! JSON Schemas of rule files and config files, generated from the loader's
//! own tables so editors (yaml-language-server) complete and check exactly
//! what rcaudit accepts. `schemas/rules.schema.json` and
//! `schemas/config.schema.json` are these, written out; a test fails when
//! they drift (`RCAUDIT_UPDATE_SCHEMAS=1 cargo test -p rcaudit-rules --test
//! schemas` rewrites them).

use serde_json::{Value, json};

use crate::config::{CONFIG_KEYS, FAIL_ON};
use crate::load::{FILE_KEYS, REQUIRED_RULE_KEYS, RULE_KEYS};
use crate::rule::{Severity, Target};

/// Documentation of every rule key.
pub const RULE_KEY_DOCS: &[(&str, &str)] = &[
    (
        "id",
        "Stable id, used by waivers, baselines and configs: letters, digits, `-`, `_`, `.` (e.g. ACME-FW-001).",
    ),
    (
        "name",
        "A kebab-case name (e.g. forwarding-numbers-at-most-ten).",
    ),
    (
        "severity",
        "How serious a finding is: error, warning or info.",
    ),
    ("title", "One line stating what must hold."),
    (
        "description",
        "What the rule checks (shown by `rcaudit explain`).",
    ),
    ("why", "Why it matters, citing the documented behaviour."),
    ("fix", "How to fix it in the account."),
    ("references", "Links to the RingCentral documentation."),
    (
        "target",
        "What the rule iterates; each item is checked on its own. One target or a list.",
    ),
    (
        "when",
        "CEL: items for which this is false are not checked.",
    ),
    (
        "assert",
        "CEL: must be true for every checked item; false is a finding.",
    ),
    (
        "message",
        "The finding's message: text with {{ CEL }} holes; name the offending value.",
    ),
    (
        "at",
        "Where a finding points: a field of the item (paymentType, contact.email), a JSON pointer (/phoneNumbers), or a {{ template }} giving one.",
    ),
    (
        "key",
        "CEL: one finding per key (findings whose key was already seen are dropped); also the fingerprint's key unless `fingerprint` is given.",
    ),
    (
        "fingerprint",
        "CEL: the stable key of the item in the finding's fingerprint, for waivers and baselines (default: `key`, else by target: extension id, phone-number id, forwarding number within its extension). Drops nothing: equal fingerprints are numbered #2, #3.",
    ),
    (
        "requires",
        "Data the rule needs, else it is not evaluated: admin, planClass, a snapshot path (phoneNumbers, account.mainNumber), item.<path> or extension.<path> (items without it are skipped and counted).",
    ),
    (
        "coveredBy",
        "Per-extension lists a top-level list stands in for: {extensionPhoneNumbers: phoneNumbers}. While the account's phoneNumbers is present and has no errors entry, extensions without their own phoneNumbers are not counted as not checked (the account list holds every number); without it, or when it was not read in full, they are. Both targets must be the rule's.",
    ),
    (
        "extraFields",
        "Fields the rule reads that the snapshot schema does not define yet (item.newField).",
    ),
    (
        "cases",
        "Test cases run by `rcaudit test` and `cargo test`: a snapshot and the findings it must give.",
    ),
];

/// Documentation of every top-level key of a rule file.
pub const FILE_KEY_DOCS: &[(&str, &str)] = &[
    ("rules", "The rules of this file."),
    (
        "facts",
        "Named CEL expressions computed once per snapshot, read as facts.NAME.",
    ),
    (
        "params",
        "Parameters, read as params.NAME; rcaudit.yaml can override them (with a value of the declared type). Each is declared by its default (its type is the default's), or in full: {type, default, doc}, where a type is bool, int, number, string, any, list(T), or a mapping of field names to types.",
    ),
];

/// Documentation of every config key.
pub const CONFIG_KEY_DOCS: &[(&str, &str)] = &[
    ("packs", "Built-in packs to use (default: all)."),
    (
        "rules",
        "More rule files or folders, relative to this file.",
    ),
    ("disable", "Rule ids to turn off."),
    (
        "severity",
        "Severity overrides: rule id -> error, warning or info.",
    ),
    (
        "params",
        "Parameter overrides, merged key by key over the packs' defaults.",
    ),
    (
        "failOn",
        "Default for --fail-on: error, warning, info or never.",
    ),
    (
        "waivers",
        "Accepted exceptions: rule, item (a fingerprint or item key), reason and owner (required), expires (YYYY-MM-DD).",
    ),
    (
        "limits",
        "Limits on evaluation, counted in steps (elements visited by map, filter, all, exists, exists_one, nested ones included). steps: per item of a rule, or per fact (default 1000000); ruleSteps: per rule over all its items (default 100000000). Running out is a rule error.",
    ),
];

fn doc(table: &[(&str, &str)], key: &str) -> String {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, d)| (*d).to_owned())
        .unwrap_or_default()
}

fn strings_or_one() -> Value {
    json!({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
}

fn rule_key_schema(key: &str) -> Value {
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let targets: Vec<&str> = Target::ALL.iter().map(|t| t.as_str()).collect();
    let mut schema = match key {
        "severity" => json!({"enum": severities}),
        "target" => json!({"anyOf": [
            {"enum": targets},
            {"type": "array", "items": {"enum": targets}, "minItems": 1}
        ]}),
        "references" | "requires" | "extraFields" => strings_or_one(),
        "cases" => json!({"type": "array", "items": {"$ref": "#/$defs/Case"}}),
        "coveredBy" => {
            let nested: Vec<(&str, &str)> = Target::ALL
                .iter()
                .filter_map(|t| Some((t.as_str(), t.covering_list()?.as_str())))
                .collect();
            let properties: serde_json::Map<String, Value> = nested
                .iter()
                .map(|(t, by)| ((*t).to_owned(), json!({"enum": [by]})))
                .collect();
            json!({"type": "object", "properties": properties, "additionalProperties": false})
        }
        _ => json!({"type": "string"}),
    };
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "description".to_owned(),
            Value::String(doc(RULE_KEY_DOCS, key)),
        );
    }
    schema
}

/// The schema of rule files.
pub fn rules_schema() -> Value {
    let rule_properties: serde_json::Map<String, Value> = RULE_KEYS
        .iter()
        .map(|k| ((*k).to_owned(), rule_key_schema(k)))
        .collect();
    let file_properties: serde_json::Map<String, Value> = FILE_KEYS
        .iter()
        .map(|k| {
            let schema = match *k {
                "rules" => json!({"type": "array", "items": {"$ref": "#/$defs/Rule"}}),
                "facts" => json!({"type": "object", "additionalProperties": {"type": "string"}}),
                _ => json!({"type": "object"}),
            };
            let mut schema = schema;
            if let Some(object) = schema.as_object_mut() {
                object.insert(
                    "description".to_owned(),
                    Value::String(doc(FILE_KEY_DOCS, k)),
                );
            }
            ((*k).to_owned(), schema)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rcaudit.dev/schemas/rules.schema.json",
        "title": "rcaudit rule file",
        "description": "A file of rcaudit rules (YAML). Generated from the loader's tables by rcaudit-rules (src/schemas.rs); do not edit by hand.",
        "type": "object",
        "additionalProperties": false,
        "properties": file_properties,
        "$defs": {
            "Rule": {
                "type": "object",
                "additionalProperties": false,
                "required": REQUIRED_RULE_KEYS,
                "properties": rule_properties,
            },
            "Case": {
                "type": "object",
                "additionalProperties": false,
                "required": ["name", "snapshot"],
                "properties": {
                    "name": {"type": "string", "description": "What the case shows."},
                    "snapshot": {"type": "object", "description": "Top-level snapshot keys, merged over a minimal valid snapshot (null removes one)."},
                    "params": {"type": "object", "description": "Parameter overrides for this case."},
                    "findings": {
                        "type": "array",
                        "description": "JSON pointers of this rule's findings (all of them), or {pointer, message}.",
                        "items": {"anyOf": [
                            {"type": "string"},
                            {"type": "object", "required": ["pointer"], "additionalProperties": false,
                             "properties": {"pointer": {"type": "string"}, "message": {"type": "string"}}}
                        ]}
                    },
                    "notEvaluated": {"type": ["string", "boolean"], "description": "Words of the not-evaluated reason this rule must give (omitted: none)."},
                    "ruleErrors": {"type": "string", "description": "Words of the rule error this rule must give (omitted: none)."}
                }
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
    let severities: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    let properties: serde_json::Map<String, Value> = CONFIG_KEYS
        .iter()
        .map(|k| {
            let mut schema = match *k {
                "packs" | "rules" | "disable" => strings_or_one(),
                "severity" => {
                    json!({"type": "object", "additionalProperties": {"enum": severities}})
                }
                "params" => json!({"type": "object", "properties": builtin_params()}),
                "failOn" => json!({"enum": FAIL_ON}),
                "waivers" => json!({"type": "array", "items": {"$ref": "#/$defs/Waiver"}}),
                "limits" => json!({
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "steps": {
                            "type": "integer",
                            "minimum": 1,
                            "default": crate::eval::Limits::DEFAULT_STEPS,
                            "description": "The most elements comprehensions may visit while one rule checks one item, or one fact is computed.",
                        },
                        "ruleSteps": {
                            "type": "integer",
                            "minimum": 1,
                            "default": crate::eval::Limits::DEFAULT_RULE_STEPS,
                            "description": "The most elements comprehensions may visit while one rule checks all its items; the rule then stops, with a rule error counting the items left unchecked.",
                        },
                    },
                }),
                _ => json!({}),
            };
            if let Some(object) = schema.as_object_mut() {
                object.insert(
                    "description".to_owned(),
                    Value::String(doc(CONFIG_KEY_DOCS, k)),
                );
            }
            ((*k).to_owned(), schema)
        })
        .collect();
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://rcaudit.dev/schemas/config.schema.json",
        "title": "rcaudit config (rcaudit.yaml)",
        "description": "Which rules rcaudit runs and how. Generated from the config reader's tables by rcaudit-rules (src/schemas.rs); do not edit by hand.",
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
        "$defs": {"Waiver": waiver_schema()},
    })
}

/// One waiver, in a config or a waiver file.
pub fn waiver_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["rule", "item", "reason", "owner"],
        "properties": {
            "rule": {"type": "string", "description": "The rule id."},
            "item": {"type": "string", "description": "A finding's fingerprint (RC-PN-003:phone:246715009) or its item key (phone:246715009)."},
            "reason": {"type": "string", "minLength": 1, "description": "Why the exception is accepted (required)."},
            "owner": {"type": "string", "minLength": 1, "description": "Who answers for it: a person or a team (required)."},
            "expires": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "The last day it applies (YYYY-MM-DD); after it the finding counts again."}
        }
    })
}
