//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning and other SARIF
//! viewers read it. Validated in tests against the official schema
//! (`schemas/external/sarif-schema-2.1.0.json`).
//!
//! - every enabled rule is in `tool.driver.rules`, with its documentation as
//!   help text;
//! - every finding is a result: level, message, the snapshot file and the
//!   line/column region of the value, the JSON pointer as a logical
//!   location, the fingerprint as a partial fingerprint;
//! - waived findings carry a `suppressions` entry (accepted, with the
//!   reason), and with a baseline each result has a `baselineState`;
//! - rules that could not be evaluated and rule errors are tool
//!   notifications of the invocation.

use serde_json::{Value, json};

use rcaudit_rules::Severity;

use rcaudit_rules::waivers::Waiver;

use crate::{BaselineState, Located, Report, RuleInfo};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The snapshot path as a SARIF artifact URI: relative paths stay relative
/// (with `/`), absolute ones become `file://` URIs.
fn artifact_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let escape = |p: &str| {
        p.replace('%', "%25")
            .replace(' ', "%20")
            .replace('#', "%23")
    };
    if path.starts_with('/') {
        format!("file://{}", escape(&path))
    } else {
        escape(path.trim_start_matches("./"))
    }
}

fn help_text(rule: &RuleInfo) -> (String, String) {
    let docs = &rule.docs;
    let mut text = docs.description.clone();
    let mut markdown = format!("**{}**\n\n{}", rule.title, docs.description);
    if let Some(why) = &docs.why {
        text.push_str("\n\nWhy it matters: ");
        text.push_str(why);
        markdown.push_str("\n\n**Why it matters.** ");
        markdown.push_str(why);
    }
    if let Some(fix) = &docs.fix {
        text.push_str("\n\nHow to fix it: ");
        text.push_str(fix);
        markdown.push_str("\n\n**How to fix it.** ");
        markdown.push_str(fix);
    }
    if !docs.references.is_empty() {
        markdown.push_str("\n\n**References**\n");
        for reference in &docs.references {
            markdown.push_str("\n- ");
            markdown.push_str(reference);
        }
    }
    (text, markdown)
}

fn rule_descriptor(rule: &RuleInfo) -> Value {
    let (text, markdown) = help_text(rule);
    let full = if rule.docs.description.is_empty() {
        &rule.title
    } else {
        &rule.docs.description
    };
    let mut descriptor = json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": full},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": level(rule.severity)},
        "properties": {"tags": ["ringcentral", rule.pack.clone()]},
    });
    if let (Some(object), Some(uri)) = (descriptor.as_object_mut(), rule.docs.references.first()) {
        object.insert("helpUri".to_owned(), Value::String(uri.clone()));
    }
    descriptor
}

/// Sets `key` of a JSON object (built just before with `json!`).
fn set(object: &mut Value, key: &str, value: Value) {
    if let Some(object) = object.as_object_mut() {
        object.insert(key.to_owned(), value);
    }
}

/// A finding as a SARIF result.
fn result(report: &Report, located: &Located, uri: &str) -> Value {
    let finding = &located.finding;
    let mut physical = json!({"artifactLocation": {"uri": uri, "index": 0}});
    if let (Some((offset, len)), true) = (located.span, located.line > 0) {
        let end = report.source.line_col(offset + len);
        let region = json!({
            "startLine": located.line,
            "startColumn": located.column,
            "endLine": end.line,
            "endColumn": end.column,
        });
        set(&mut physical, "region", region);
    }
    let mut result = json!({
        "ruleId": finding.rule_id,
        "level": level(finding.severity),
        "message": {"text": finding.message},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{"fullyQualifiedName": finding.pointer, "kind": "element"}],
        }],
        "partialFingerprints": {"rcaudit/v1": finding.fingerprint},
        "properties": {"itemPointer": finding.item_pointer},
    });
    if let Some(index) = report.rules.iter().position(|r| r.id == finding.rule_id) {
        set(&mut result, "ruleIndex", json!(index));
    }
    if let Some(used) = located.waived.and_then(|i| report.waivers.get(i)) {
        set(
            &mut result,
            "suppressions",
            json!([suppression(&used.waiver)]),
        );
    }
    if let Some(state) = located.baseline {
        let state = match state {
            BaselineState::New => "new",
            BaselineState::Old => "unchanged",
        };
        set(&mut result, "baselineState", json!(state));
    }
    result
}

/// A waiver as a SARIF suppression: accepted, with its reason.
fn suppression(waiver: &Waiver) -> Value {
    let mut suppression = json!({
        "kind": "external",
        "state": "accepted",
        "justification": waiver.reason,
        "location": {"physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(waiver.src.name())},
            "region": {"startLine": waiver.src.line_col(waiver.span.offset()).line},
        }},
    });
    let mut properties = serde_json::Map::new();
    if let Some(owner) = &waiver.owner {
        properties.insert("owner".to_owned(), json!(owner));
    }
    if let Some(expires) = waiver.expires {
        properties.insert("expires".to_owned(), json!(expires.to_string()));
    }
    if !properties.is_empty() {
        set(&mut suppression, "properties", Value::Object(properties));
    }
    suppression
}

/// The report as a SARIF 2.1.0 log, pretty-printed.
pub fn render(report: &Report) -> String {
    let uri = artifact_uri(&report.snapshot.path);
    let rules: Vec<Value> = report.rules.iter().map(rule_descriptor).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|located| result(report, located, &uri))
        .collect();
    let mut notifications: Vec<Value> = report
        .not_evaluated
        .iter()
        .map(|n| {
            json!({
                "level": "note",
                "message": {"text": format!("{} not evaluated: {}", n.rule_id, n.reason)},
                "associatedRule": {"id": n.rule_id},
                "properties": {"requirement": n.requirement},
            })
        })
        .collect();
    notifications.extend(report.rule_errors.iter().map(|e| {
        json!({
            "level": "error",
            "message": {"text": format!("{} {} failed on {} item(s): {}", e.rule_id, e.part, e.count, e.message)},
            "associatedRule": {"id": e.rule_id},
        })
    }));
    notifications.extend(report.expired_waivers().chain(report.unused_waivers()).map(|used| {
        let w = &used.waiver;
        let what = if used.expired { "expired" } else { "covers no finding" };
        json!({
            "level": "warning",
            "message": {"text": format!("the waiver of {} for {} {what} ({})", w.rule, w.item, w.location())},
            "associatedRule": {"id": w.rule},
        })
    }));
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "rcaudit",
                "version": report.version,
                "semanticVersion": report.version,
                "informationUri": "https://github.com/rcaudit/rcaudit",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "artifacts": [{"location": {"uri": uri}, "mimeType": "application/json"}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::artifact_uri;

    #[test]
    fn artifact_uris() {
        assert_eq!(artifact_uri("snapshots/acme.json"), "snapshots/acme.json");
        assert_eq!(artifact_uri("./acme.json"), "acme.json");
        assert_eq!(
            artifact_uri("/tmp/my snap.json"),
            "file:///tmp/my%20snap.json"
        );
    }
}
