//! The JSON document the page's script draws the findings table and the
//! per-extension view from. Rows are arrays, not objects, so 100,000
//! findings do not repeat 100,000 sets of field names; `report.js` names
//! the columns (`F_RULE`, `F_SEVERITY`, ...) in the order written here.

use std::borrow::Cow;
use std::collections::HashMap;

use rcaudit_rules::Severity;
use serde::Serialize;

use super::{Inventory, Tally};
use crate::text::neutralize;
use crate::{BaselineState, Report};

/// A finding: rule (index into `rules`), severity (0 error, 1 warning,
/// 2 info), message, pointer, line, column, fingerprint, state (0 counts,
/// 1 in the baseline, 2 + i waived by waiver i), extension (index into
/// `extensions`, or -1 when the finding is about no one extension).
type FindingRow<'a> = (
    usize,
    u8,
    Cow<'a, str>,
    Cow<'a, str>,
    usize,
    usize,
    Cow<'a, str>,
    usize,
    i64,
);

/// A rule: id, severity, title.
type RuleRow<'a> = (Cow<'a, str>, &'static str, Cow<'a, str>);

/// An extension: id, number, name, type, status, numbers, forwarding.
type ExtensionRow<'a> = (
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Cow<'a, str>,
    Vec<Cow<'a, str>>,
    Vec<Cow<'a, str>>,
);

/// A waiver: reason, owner, expires.
type WaiverRow<'a> = (Cow<'a, str>, Cow<'a, str>, String);

#[derive(Serialize)]
struct Document<'a> {
    rules: Vec<RuleRow<'a>>,
    findings: Vec<FindingRow<'a>>,
    waivers: Vec<WaiverRow<'a>>,
    /// Whether a baseline was given (findings then are new or old).
    baseline: bool,
    extensions: Vec<ExtensionRow<'a>>,
}

fn severity_code(severity: Severity) -> u8 {
    match severity {
        Severity::Error => 0,
        Severity::Warning => 1,
        Severity::Info => 2,
    }
}

/// The document, with every `<`, `>` and `&` written as a JSON escape, so
/// it can sit inside a `<script>` element: no string in it can end the
/// element or open a comment. Those three characters only occur inside
/// JSON strings, where the escapes mean the same.
pub fn document(report: &Report, inventory: &Inventory, tally: &Tally<'_>) -> String {
    let by_id: HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    // A finding of a rule not in the list (none in practice) gets a row
    // of its own, so every finding is shown.
    let mut rules: Vec<RuleRow<'_>> = report
        .rules
        .iter()
        .map(|r| (neutralize(&r.id), r.severity.as_str(), neutralize(&r.title)))
        .collect();
    let mut extra: Vec<&str> = Vec::new();
    let findings = report
        .findings
        .iter()
        .zip(&tally.extension)
        .map(|(l, extension)| {
            let f = &l.finding;
            let rule = by_id.get(f.rule_id.as_str()).copied().unwrap_or_else(|| {
                let at = extra.iter().position(|id| *id == f.rule_id);
                let at = at.unwrap_or_else(|| {
                    extra.push(&f.rule_id);
                    rules.push((
                        neutralize(&f.rule_id),
                        f.severity.as_str(),
                        neutralize(&l.title),
                    ));
                    extra.len() - 1
                });
                report.rules.len() + at
            });
            let state = match (l.waived, l.baseline) {
                (Some(i), _) => 2 + i,
                (None, Some(BaselineState::Old)) => 1,
                (None, _) => 0,
            };
            let extension = extension.and_then(|i| i64::try_from(i).ok()).unwrap_or(-1);
            (
                rule,
                severity_code(f.severity),
                neutralize(&f.message),
                neutralize(&f.pointer),
                l.line,
                l.column,
                neutralize(&f.fingerprint),
                state,
                extension,
            )
        })
        .collect();
    let document = Document {
        rules,
        findings,
        waivers: report
            .waivers
            .iter()
            .map(|w| {
                (
                    neutralize(&w.waiver.reason),
                    neutralize(w.waiver.owner.as_deref().unwrap_or("")),
                    w.waiver.expires.map(|d| d.to_string()).unwrap_or_default(),
                )
            })
            .collect(),
        baseline: report.baseline.is_some(),
        extensions: inventory
            .extensions
            .iter()
            .map(|e| {
                (
                    neutralize(&e.id),
                    neutralize(&e.number),
                    neutralize(&e.name),
                    neutralize(&e.kind),
                    neutralize(&e.status),
                    e.numbers.iter().map(|n| neutralize(n)).collect(),
                    e.forwarding.iter().map(|n| neutralize(n)).collect(),
                )
            })
            .collect(),
    };
    let json = serde_json::to_string(&document).unwrap_or_else(|_| "{}".to_owned());
    script_safe(&json)
}

/// JSON text made safe inside a `<script>` element. The three characters
/// are ASCII, so the text is copied in runs of bytes between them.
fn script_safe(json: &str) -> String {
    let extra = json
        .bytes()
        .filter(|b| matches!(b, b'<' | b'>' | b'&'))
        .count();
    let mut out = String::with_capacity(json.len() + 5 * extra);
    let mut rest = json;
    while let Some(at) = rest.find(['<', '>', '&']) {
        let (run, tail) = rest.split_at(at);
        out.push_str(run);
        let mut chars = tail.chars();
        out.push_str(match chars.next() {
            Some('<') => "\\u003c",
            Some('>') => "\\u003e",
            _ => "\\u0026",
        });
        rest = chars.as_str();
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::script_safe;

    #[test]
    fn nothing_in_the_document_can_end_its_script_element() {
        let json = serde_json::to_string(&["</script><script>alert(1)</script>", "<!--", "a&b"])
            .expect("serialises");
        let safe = script_safe(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: Vec<String> = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, ["</script><script>alert(1)</script>", "<!--", "a&b"]);
    }
}
