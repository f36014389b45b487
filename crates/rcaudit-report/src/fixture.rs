//! Reports made for unit tests: rules of chosen severities, a snapshot of
//! extensions, and findings on chosen extensions, so a format can be tested
//! on any shape (one rule with hundreds of findings, several severities).

use std::fmt::Write as _;
use std::time::Duration;

use rcaudit_rules::{Finding, LoadOptions, NotEvaluated, Outcome, RuleFile, Severity};

use crate::Report;

/// A rule: id and severity (its title is `Title of ID`).
pub type RuleSpec<'a> = (&'a str, Severity);

/// A report of `rules` with findings `(rule id, extension index)`; the
/// snapshot has as many extensions as the largest index needs, one per
/// line, so findings have lines and columns.
pub fn report(rules: &[RuleSpec<'_>], findings: &[(&str, usize)]) -> Report {
    report_with(rules, findings, Vec::new())
}

/// As [`report`], with not-evaluated entries.
pub fn report_with(
    rules: &[RuleSpec<'_>],
    findings: &[(&str, usize)],
    not_evaluated: Vec<NotEvaluated>,
) -> Report {
    let mut yaml = String::from("rules:\n");
    for (id, severity) in rules {
        let _ = write!(
            yaml,
            "  - id: {id}\n    severity: {severity}\n    title: Title of {id}\n    target: extensions\n    assert: \"true\"\n    message: never\n"
        );
    }
    let file = RuleFile {
        name: "fixture.yaml".to_owned(),
        text: yaml,
        pack: "fixture".to_owned(),
    };
    let (rules_set, _) = rcaudit_rules::load(&[file], &LoadOptions::default())
        .unwrap_or_else(|e| panic!("fixture rules load: {e}"));
    let count = findings.iter().map(|(_, i)| i + 1).max().unwrap_or(1);
    let extensions: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "    {{\"id\": {}, \"extensionNumber\": \"{}\"}}",
                1000 + i,
                100 + i
            )
        })
        .collect();
    let text = format!(
        "{{\n  \"snapshotVersion\": 1,\n  \"account\": {{\"id\": 7}},\n  \"extensions\": [\n{}\n  ]\n}}\n",
        extensions.join(",\n")
    );
    let snapshot = rcaudit_model::parse_str("snap.json", text).expect("fixture snapshot parses");
    let outcome = Outcome {
        findings: findings
            .iter()
            .map(|(rule, i)| {
                let severity = rules
                    .iter()
                    .find(|(id, _)| id == rule)
                    .map_or(Severity::Error, |(_, s)| *s);
                Finding {
                    rule_id: (*rule).to_owned(),
                    severity,
                    message: format!("extension {} breaks {rule}", 100 + i),
                    pointer: format!("/extensions/{i}"),
                    item_pointer: format!("/extensions/{i}"),
                    lent_value: None,
                    fingerprint: format!("{rule}:ext:{}", 1000 + i),
                }
            })
            .collect(),
        not_evaluated,
        rule_errors: Vec::new(),
        rules_run: rules.len(),
        timings: rules
            .iter()
            .enumerate()
            .map(|(i, (id, _))| ((*id).to_owned(), Duration::from_millis(1 + i as u64)))
            .collect(),
    };
    Report::new("test", &snapshot, &rules_set, outcome)
}

/// A not-evaluated entry: partial when `skipped` is some.
pub fn not_evaluated(rule: &str, reason: &str, skipped: Option<usize>) -> NotEvaluated {
    NotEvaluated {
        rule_id: rule.to_owned(),
        reason: reason.to_owned(),
        requirement: "extensions".to_owned(),
        skipped,
    }
}
