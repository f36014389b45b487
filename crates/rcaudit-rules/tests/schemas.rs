//! schemas/rules.schema.json and schemas/config.schema.json are generated
//! from the loader's tables; this fails when they drift, and rewrites them
//! with `RCAUDIT_UPDATE_SCHEMAS=1`.

use std::path::PathBuf;

use rcaudit_rules::builtin;
use rcaudit_rules::keys::{CASE_KEYS, CONFIG_KEYS, FILE_KEYS, Key, RULE_KEYS};
use rcaudit_rules::schemas::{config_schema, rules_schema};

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas")
        .join(name)
}

/// The schemas hold exactly the keys of the tables the loader checks, each
/// with its documentation, and require the required ones.
#[test]
fn schemas_follow_the_key_tables() {
    let rules = rules_schema();
    let config = config_schema();
    for (keys, schema) in [
        (FILE_KEYS, &rules),
        (RULE_KEYS, &rules["$defs"]["Rule"]),
        (CASE_KEYS, &rules["$defs"]["Case"]),
        (CONFIG_KEYS, &config),
    ] {
        let properties = schema["properties"].as_object().expect("properties");
        let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
        let mut documented: Vec<&str> = properties.keys().map(String::as_str).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        documented.sort_unstable();
        assert_eq!(sorted, documented);
        for key in keys {
            assert_eq!(properties[key.name]["description"], key.doc, "{key}");
        }
        let required: Vec<&str> = keys
            .iter()
            .filter(|k| k.required)
            .map(|k: &Key| k.name)
            .collect();
        if !required.is_empty() {
            assert_eq!(schema["required"], serde_json::json!(required));
        }
    }
}

#[test]
fn schema_files_are_current() {
    for (name, schema) in [
        ("rules.schema.json", rules_schema()),
        ("config.schema.json", config_schema()),
    ] {
        let text = format!(
            "{}\n",
            serde_json::to_string_pretty(&schema).expect("serialises")
        );
        let file = path(name);
        if std::env::var_os("RCAUDIT_UPDATE_SCHEMAS").is_some() {
            std::fs::write(&file, &text).expect("write schema");
            continue;
        }
        let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            on_disk == text,
            "schemas/{name} is stale: run `RCAUDIT_UPDATE_SCHEMAS=1 cargo test -p rcaudit-rules --test schemas`"
        );
    }
}

/// The built-in rule files are valid by the rules schema, as an editor
/// would check them.
#[test]
fn builtin_rule_files_match_the_rules_schema() {
    let validator = jsonschema::validator_for(&rules_schema()).expect("compiles");
    for file in builtin::files() {
        let doc = rcaudit_rules::yaml::parse(&file.text)
            .expect("parses")
            .to_json();
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.name);
    }
}

#[test]
fn a_config_matches_the_config_schema() {
    let validator = jsonschema::validator_for(&config_schema()).expect("compiles");
    let good = serde_json::json!({"packs": ["core"], "disable": ["RC-SN-002"], "severity": {"RC-PN-007": "error"}, "failOn": "warning"});
    assert!(validator.is_valid(&good));
    assert!(
        !validator.is_valid(&serde_json::json!({"disabled": ["RC-SN-002"]})),
        "unknown keys are rejected"
    );
    assert!(!validator.is_valid(&serde_json::json!({"severity": {"RC-PN-007": "loud"}})));
}
