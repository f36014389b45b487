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
//!
//! **Where results point.** GitHub resolves `artifactLocation.uri` against
//! the repository: an absolute `file:///home/runner/...` URI or a path with
//! `..` matches no file, and the alert has no place. So every artifact URI is
//! relative to `%SRCROOT%` (`uriBaseId`), percent-encoded (RFC 3986), with
//! `/` separators, and `run.originalUriBaseIds` may say what the root was.
//! The CLI decides the root and computes the relative paths (this crate
//! does no file I/O) and passes them in [`SarifOptions`]; a file it could not
//! place is named by its file name alone.
//!
//! **Severity for GitHub.** Each rule descriptor carries
//! `properties.security-severity`, the score GitHub code scanning sorts and
//! filters security alerts by (bands: 9.0 and above critical, 7.0 to 8.9
//! high, 4.0 to 6.9 medium, 0.1 to 3.9 low), and tags that include
//! `security`, which GitHub requires before it reads the score. The rule's
//! severity maps to the middle of a band ([`security_severity`]): error 8.0
//! (high: a misconfiguration that breaks calls or compliance), warning 5.0
//! (medium), info 2.0 (low); no rcaudit finding is critical, since none is an
//! exploitable vulnerability on its own.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::ser::{Serialize, SerializeMap as _, SerializeSeq as _, Serializer};
use serde_json::{Value, json};

use rcaudit_rules::Severity;

use rcaudit_rules::waivers::Waiver;

use crate::{BaselineState, Located, Report, RuleInfo};

/// The base every artifact URI is relative to.
pub const SRCROOT: &str = "%SRCROOT%";

/// Where SARIF results point, decided by the caller.
#[derive(Debug, Clone, Default)]
pub struct SarifOptions {
    /// The root as an absolute `file:` URI ending in `/` ([`directory_uri`]),
    /// given as `run.originalUriBaseIds`; `None` leaves it to the viewer.
    pub root_uri: Option<String>,
    /// Files as the report names them (the snapshot's path, waiver files)
    /// and their URIs relative to the root ([`relative_uri`]). A file not
    /// listed is named by its file name.
    pub uris: BTreeMap<String, String>,
}

/// The GitHub `security-severity` score of a severity (see the module
/// documentation).
pub fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encodes one path segment: everything but RFC 3986's unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`), byte by byte in UTF-8.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A relative path (`/` or `\` separators) as a relative URI: each segment
/// percent-encoded, `.` segments dropped. `None` for a path that is empty,
/// absolute, or climbs with `..`: such a path is not inside the root.
pub fn relative_uri(path: &str) -> Option<String> {
    let path = path.replace('\\', "/");
    if path.starts_with('/') || path.get(1..2) == Some(":") {
        return None;
    }
    let mut segments = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s => segments.push(encode_segment(s)),
        }
    }
    (!segments.is_empty()).then(|| segments.join("/"))
}

/// An absolute folder path as a `file:` URI ending in `/`
/// (`C:\a` becomes `file:///C:/a/`).
pub fn directory_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    // Windows' verbatim prefix (what `canonicalize` returns there).
    let path = path.strip_prefix("//?/").unwrap_or(&path);
    let mut out = String::from("file://");
    if !path.starts_with('/') {
        out.push('/');
    }
    let segments: Vec<String> = path
        .split('/')
        .map(|s| {
            // A drive letter keeps its colon.
            if s.len() == 2 && s.ends_with(':') && s.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                s.to_owned()
            } else {
                encode_segment(s)
            }
        })
        .collect();
    out.push_str(&segments.join("/"));
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The file name alone, encoded: for a file outside the root.
fn file_name_uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let name = path
        .rsplit('/')
        .find(|s| !s.is_empty() && *s != "." && *s != "..")
        .unwrap_or("snapshot.json");
    encode_segment(name)
}

/// The artifact location of a file the report names.
fn location(options: &SarifOptions, name: &str) -> Value {
    let uri = options
        .uris
        .get(name)
        .cloned()
        .unwrap_or_else(|| file_name_uri(name));
    json!({"uri": uri, "uriBaseId": SRCROOT})
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
        "properties": {
            "tags": ["security", "configuration", "ringcentral", rule.pack.clone()],
            "security-severity": security_severity(rule.severity),
        },
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
fn result(report: &Report, options: &SarifOptions, located: &Located, artifact: &Value) -> Value {
    let finding = &located.finding;
    let mut artifact = artifact.clone();
    set(&mut artifact, "index", json!(0));
    let mut physical = json!({"artifactLocation": artifact});
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
            json!([suppression(options, &used.waiver)]),
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
fn suppression(options: &SarifOptions, waiver: &Waiver) -> Value {
    let mut suppression = json!({
        "kind": "external",
        "state": "accepted",
        "justification": waiver.reason,
        "location": {"physicalLocation": {
            "artifactLocation": location(options, waiver.src.name()),
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
pub fn render(report: &Report, options: &SarifOptions) -> String {
    let artifact = location(options, &report.snapshot.path);
    let rules: Vec<Value> = report.rules.iter().map(rule_descriptor).collect();
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
    let mut log = json!({
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
            "artifacts": [{"location": artifact, "mimeType": "application/json"}],
            "columnKind": "unicodeCodePoints",
            // Written from the findings as the log is written (`Spliced`).
            "results": [],
        }],
    });
    if let (Some(root), Some(run)) = (
        &options.root_uri,
        log.get_mut("runs").and_then(|r| r.get_mut(0)),
    ) {
        set(
            run,
            "originalUriBaseIds",
            json!({SRCROOT: {
                "uri": root,
                "description": {"text": "The folder artifact paths are relative to: --sarif-root, \
                    else the git work tree holding the snapshot, else the current folder"},
            }}),
        );
    }
    let results = Results {
        report,
        options,
        artifact: &artifact,
    };
    crate::json::pretty(
        &Spliced {
            log: &log,
            results: &results,
        },
        crate::json::texts_size(report, 1536),
    )
}

/// The results, each made as it is written and dropped after: as
/// `serde_json::Value`s, all of a large report's results at once took
/// about 16 KB a finding (a map node per object).
struct Results<'a> {
    report: &'a Report,
    options: &'a SarifOptions,
    artifact: &'a Value,
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.report.findings.len()))?;
        for located in &self.report.findings {
            seq.serialize_element(&result(self.report, self.options, located, self.artifact))?;
        }
        seq.end()
    }
}

/// The log as built, with [`Results`] in place of each run's (empty)
/// `results`: the same members in the same order, so the same text.
struct Spliced<'a> {
    log: &'a Value,
    results: &'a Results<'a>,
}

impl Serialize for Spliced<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Value::Object(log) = self.log else {
            return self.log.serialize(serializer);
        };
        let mut map = serializer.serialize_map(Some(log.len()))?;
        for (name, value) in log {
            match (name.as_str(), value) {
                ("runs", Value::Array(runs)) => map.serialize_entry(
                    name,
                    &Runs {
                        runs,
                        results: self.results,
                    },
                )?,
                _ => map.serialize_entry(name, value)?,
            }
        }
        map.end()
    }
}

/// `runs`, each with [`Results`] as its `results`.
struct Runs<'a> {
    runs: &'a [Value],
    results: &'a Results<'a>,
}

impl Serialize for Runs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.runs.len()))?;
        for run in self.runs {
            match run {
                Value::Object(members) => seq.serialize_element(&Members {
                    members,
                    results: self.results,
                })?,
                other => seq.serialize_element(other)?,
            }
        }
        seq.end()
    }
}

/// A run's members, [`Results`] as `results`.
struct Members<'a> {
    members: &'a serde_json::Map<String, Value>,
    results: &'a Results<'a>,
}

impl Serialize for Members<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.members.len()))?;
        for (name, value) in self.members {
            if name == "results" {
                map.serialize_entry(name, self.results)?;
            } else {
                map.serialize_entry(name, value)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use rcaudit_rules::Severity;

    use super::*;
    use crate::fixture;

    #[test]
    fn relative_uris_are_encoded_and_never_climb() {
        let cases: &[(&str, Option<&str>)] = &[
            ("snapshots/acme.json", Some("snapshots/acme.json")),
            ("./acme.json", Some("acme.json")),
            ("a\\b c#1%.json", Some("a/b%20c%231%25.json")),
            ("caf\u{e9}/x.json", Some("caf%C3%A9/x.json")),
            ("a/./b//c.json", Some("a/b/c.json")),
            ("../acme.json", None),
            ("a/../../acme.json", None),
            ("/tmp/acme.json", None),
            ("C:\\x\\acme.json", None),
            ("", None),
            (".", None),
        ];
        for (path, expected) in cases {
            assert_eq!(relative_uri(path).as_deref(), *expected, "{path}");
        }
        assert_eq!(
            directory_uri("/home/me/my repo"),
            "file:///home/me/my%20repo/"
        );
        assert_eq!(directory_uri("/"), "file:///");
        assert_eq!(directory_uri("C:\\work\\repo\\"), "file:///C:/work/repo/");
        assert_eq!(
            directory_uri("\\\\?\\C:\\work\\repo"),
            "file:///C:/work/repo/"
        );
        assert_eq!(file_name_uri("/tmp/../my snap.json"), "my%20snap.json");
        assert_eq!(file_name_uri("-"), "-");
    }

    fn sarif(options: &SarifOptions) -> Value {
        let report = fixture::report(
            &[
                ("E-1", Severity::Error),
                ("W-2", Severity::Warning),
                ("I-3", Severity::Info),
            ],
            &[("E-1", 0), ("W-2", 1)],
        );
        serde_json::from_str(&render(&report, options)).unwrap_or(Value::Null)
    }

    #[test]
    fn results_point_relative_to_the_root() {
        let options = SarifOptions {
            root_uri: Some("file:///work/repo/".to_owned()),
            uris: BTreeMap::from([("snap.json".to_owned(), "audits/snap.json".to_owned())]),
        };
        let log = sarif(&options);
        let run = &log["runs"][0];
        assert_eq!(
            run["originalUriBaseIds"][SRCROOT]["uri"],
            "file:///work/repo/"
        );
        for result in run["results"].as_array().into_iter().flatten() {
            let artifact = &result["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(artifact["uri"], "audits/snap.json");
            assert_eq!(artifact["uriBaseId"], SRCROOT);
        }
        assert_eq!(run["artifacts"][0]["location"]["uri"], "audits/snap.json");
        // A file the caller did not place: its name alone, no root given.
        let log = sarif(&SarifOptions::default());
        let run = &log["runs"][0];
        assert!(run.get("originalUriBaseIds").is_none());
        assert_eq!(
            run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "snap.json"
        );
    }

    #[test]
    fn rules_carry_a_security_severity_and_tags() {
        let log = sarif(&SarifOptions::default());
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let scores: Vec<(&str, &str)> = rules
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap_or_default(),
                    r["properties"]["security-severity"]
                        .as_str()
                        .unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(scores, [("E-1", "8.0"), ("W-2", "5.0"), ("I-3", "2.0")]);
        for rule in &rules {
            let tags = &rule["properties"]["tags"];
            assert!(
                tags.as_array()
                    .is_some_and(|t| t.contains(&json!("security"))),
                "{rule}"
            );
            assert!(
                tags.as_array()
                    .is_some_and(|t| t.contains(&json!("fixture"))),
                "{rule}"
            );
        }
    }
}
