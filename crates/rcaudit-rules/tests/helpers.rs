//! The rule-writing helpers on snapshot data, as rules use them:
//!
//! - `present(item.a.b)` tests each field of the path, so an absent or
//!   `null` one makes it false, never a rule error, and its fields are
//!   checked against the snapshot's data model when the rule loads;
//! - `extensionLabel`, `numberLabel`, `extensionKey` and `numberKey` name
//!   records the way the built-in rules do, whatever fields they lack.
//!
//! The functions' own examples (on CEL literals) run in `src/functions/mod.rs`.

use rcaudit_model::Node;
use rcaudit_rules::{LoadOptions, Outcome, ProblemCode, RuleFile, evaluate_with, load};
use serde_json::json;

/// A rule file holding one rule with these keys (indented YAML lines).
fn rule_file(keys: &str) -> Vec<RuleFile> {
    vec![RuleFile {
        name: "helpers.yaml".to_owned(),
        text: format!("rules:\n  - id: T-1\n    severity: info\n    title: A test rule\n{keys}"),
        pack: "test".to_owned(),
    }]
}

fn tree(snapshot: &serde_json::Value) -> Node {
    rcaudit_model::parse(&snapshot.to_string()).unwrap_or(Node::Null)
}

/// Runs a rule on a snapshot; `None` when it does not load.
fn run(keys: &str, snapshot: &serde_json::Value) -> Option<Outcome> {
    let (rules, _) = load(&rule_file(keys), &LoadOptions::default()).ok()?;
    Some(evaluate_with(&rules, &tree(snapshot), 1))
}

fn messages(outcome: &Outcome) -> Vec<(&str, &str)> {
    outcome
        .findings
        .iter()
        .map(|f| (f.pointer.as_str(), f.message.as_str()))
        .collect()
}

fn snapshot(extensions: &serde_json::Value) -> serde_json::Value {
    json!({
        "snapshotVersion": 1,
        "account": {"id": 1},
        "extensions": extensions,
    })
}

#[test]
fn present_is_false_for_absent_and_null_fields_at_any_step() {
    let keys = "    target: account\n    assert: '!present(item.operator.id)'\n    message: \
                operator {{ item.operator.id }}\n";
    for (account, found) in [
        (json!({"id": 1}), false),
        (json!({"id": 1, "operator": null}), false),
        (json!({"id": 1, "operator": {}}), false),
        (json!({"id": 1, "operator": {"id": null}}), false),
        (json!({"id": 1, "operator": {"id": 7}}), true),
    ] {
        let outcome = run(keys, &json!({"snapshotVersion": 1, "account": account}))
            .unwrap_or_else(|| panic!("the rule loads"));
        assert!(
            outcome.rule_errors.is_empty(),
            "{account}: {:?}",
            outcome.rule_errors
        );
        assert_eq!(!outcome.findings.is_empty(), found, "{account}");
    }
}

#[test]
fn present_on_a_value_without_fields_is_a_rule_error() {
    let keys = "    target: account\n    assert: '!present(item.operator.id)'\n    message: x\n";
    let outcome = run(
        keys,
        &json!({"snapshotVersion": 1, "account": {"id": 1, "operator": "7"}}),
    )
    .unwrap_or_else(|| panic!("the rule loads"));
    let error = outcome
        .rule_errors
        .first()
        .unwrap_or_else(|| panic!("a rule error: {outcome:?}"));
    assert!(error.message.contains("present"), "{}", error.message);
    assert!(error.message.contains("`id`"), "{}", error.message);
}

#[test]
fn present_fields_are_checked_when_the_rule_loads() {
    for expr in [
        "present(item.usageTyp)",
        "phoneNumbers.exists(p, present(p.usageTyp))",
        "present(item.extension.extensionNumbr)",
    ] {
        let keys = format!("    target: phoneNumbers\n    assert: '{expr}'\n    message: x\n");
        let errors = load(&rule_file(&keys), &LoadOptions::default())
            .err()
            .unwrap_or_else(|| panic!("{expr} does not load"));
        assert!(
            errors
                .problems
                .iter()
                .any(|p| p.code == ProblemCode::UnknownField),
            "{expr}: {:?}",
            errors.problems
        );
    }
    let keys = "    target: phoneNumbers\n    assert: present(item.extension.extensionNumber)\n    \
                message: x\n";
    assert!(load(&rule_file(keys), &LoadOptions::default()).is_ok());
}

#[test]
fn labels_name_extensions_and_numbers_whatever_they_lack() {
    let keys = "    target: forwardingNumbers\n    assert: 'false'\n    message: >-\n      \
                {{ numberLabel(item) }} of extension {{ extensionLabel(extension) }}\n      \
                ({{ extensionLabel(extension, 9) }})\n";
    let outcome = run(
        keys,
        &snapshot(&json!([
            {"id": 11, "extensionNumber": "101", "forwardingNumbers": [{"phoneNumber": "+16505550100"}]},
            {"id": "12", "extensionNumber": null, "forwardingNumbers": [{"phoneNumber": null}]},
            {"forwardingNumbers": [{}]},
        ])),
    )
    .unwrap_or_else(|| panic!("the rule loads"));
    assert!(outcome.rule_errors.is_empty(), "{:?}", outcome.rule_errors);
    assert_eq!(
        messages(&outcome),
        [
            (
                "/extensions/0/forwardingNumbers/0",
                "+16505550100 of extension 101 (101)"
            ),
            (
                "/extensions/1/forwardingNumbers/0",
                "(no phoneNumber) of extension id 12 (id 12)"
            ),
            (
                "/extensions/2/forwardingNumbers/0",
                "(no phoneNumber) of extension ? (#9)"
            ),
        ]
    );
}

#[test]
fn keys_make_one_finding_per_number_wherever_it_is_listed() {
    let keys = "    target: forwardingNumbers\n    assert: 'false'\n    key: numberKey(item, \
                extensionKey(extension) + \"#\" + string(index))\n    message: >-\n      \
                {{ numberKey(item, extensionKey(extension) + \"#\" + string(index)) }}\n";
    let outcome = run(
        keys,
        &snapshot(&json!([
            {"id": 11, "forwardingNumbers": [{"phoneNumber": "+16505550100"}, {"id": 5}, {}]},
            {"id": "12", "forwardingNumbers": [{"phoneNumber": "16505550100"}, {"id": "5"}, {}]},
            {"forwardingNumbers": [{}]},
        ])),
    )
    .unwrap_or_else(|| panic!("the rule loads"));
    assert!(outcome.rule_errors.is_empty(), "{:?}", outcome.rule_errors);
    assert_eq!(
        messages(&outcome),
        [
            ("/extensions/0/forwardingNumbers/0", "number:16505550100"),
            ("/extensions/0/forwardingNumbers/1", "id:5"),
            ("/extensions/0/forwardingNumbers/2", "ext:11#2"),
            ("/extensions/1/forwardingNumbers/2", "ext:12#2"),
            ("/extensions/2/forwardingNumbers/0", "ext:?#0"),
        ]
    );
    let fingerprints: Vec<&str> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    assert_eq!(
        fingerprints,
        [
            "T-1:number:16505550100",
            "T-1:id:5",
            "T-1:ext:11#2",
            "T-1:ext:12#2",
            "T-1:ext:?#0"
        ]
    );
}
