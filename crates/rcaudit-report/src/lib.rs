//! Reports: an evaluation's findings, located in the snapshot text, and the
//! formats they are written in.
//!
//! The key decision is that **locations are resolved once, here**, for all
//! findings together: the rule engine works on JSON pointers, and
//! `SourceText::locate` turns every finding's pointer into a byte span, line
//! and column (one pass over the text, or a short one from each finding's
//! record when the element index has been built). Every format then reads the
//! same [`Report`]. Formats are pure functions from a report to text; the CLI
//! decides where the text goes.
//!
//! The human format is a list of `miette` diagnostics ([`human`]); the CLI
//! renders them, since only it knows the terminal (colour, width).

pub mod human;
pub mod json;

use rcaudit_model::{Snapshot, SourceText};
use rcaudit_rules::{Finding, NotEvaluated, Outcome, RuleError, RuleSet, Severity};

/// A finding with its place in the snapshot text.
#[derive(Debug, Clone)]
pub struct Located {
    pub finding: Finding,
    /// The rule's title.
    pub title: String,
    /// Byte span of the value the finding points at (`None` if the pointer
    /// does not resolve, which a correct rule never produces).
    pub span: Option<(usize, usize)>,
    /// 1-based line and column (in characters) of the value.
    pub line: usize,
    pub column: usize,
}

/// What was checked.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    pub path: String,
    pub account_id: Option<String>,
    pub captured_at: Option<String>,
}

/// Everything a format needs.
#[derive(Debug, Clone)]
pub struct Report {
    pub version: String,
    pub snapshot: SnapshotInfo,
    pub findings: Vec<Located>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub rule_errors: Vec<RuleError>,
    /// Enabled rules, and how many of them ran.
    pub rules_enabled: usize,
    pub rules_run: usize,
    pub source: SourceText,
}

impl Report {
    /// Locates every finding and orders them: by rule (in the order the
    /// rules were loaded), then by place in the document.
    pub fn new(version: &str, snapshot: &Snapshot, rules: &RuleSet, outcome: Outcome) -> Report {
        let source = snapshot.source().clone();
        let pointers: Vec<&str> = outcome
            .findings
            .iter()
            .map(|f| f.pointer.as_str())
            .collect();
        let spans = source.locate(&pointers);
        let order: std::collections::HashMap<&str, usize> = rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut findings: Vec<Located> = outcome
            .findings
            .into_iter()
            .zip(spans)
            .map(|(finding, span)| {
                let (line, column) = span.map_or((0, 0), |s| {
                    let at = source.line_col(s.offset);
                    (at.line, at.column)
                });
                let title = rules
                    .rule(&finding.rule_id)
                    .map(|r| r.title.clone())
                    .unwrap_or_default();
                Located {
                    finding,
                    title,
                    span: span.map(|s| (s.offset, s.len)),
                    line,
                    column,
                }
            })
            .collect();
        findings.sort_by_key(|l| {
            (
                order
                    .get(l.finding.rule_id.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                l.span.map_or(usize::MAX, |s| s.0),
            )
        });
        Report {
            version: version.to_owned(),
            snapshot: SnapshotInfo {
                path: source.name().to_owned(),
                account_id: snapshot.account_id(),
                captured_at: snapshot.captured_at().map(str::to_owned),
            },
            findings,
            not_evaluated: outcome.not_evaluated,
            rule_errors: outcome.rule_errors,
            rules_enabled: rules.rules.iter().filter(|r| r.enabled).count(),
            rules_run: outcome.rules_run,
            source,
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|l| l.finding.severity == severity)
            .count()
    }

    /// Whether any finding is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings
            .iter()
            .any(|l| l.finding.severity >= threshold)
    }
}
