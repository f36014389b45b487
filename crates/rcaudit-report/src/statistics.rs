//! `--statistics`: findings per rule instead of one diagnostic per finding,
//! for an account with hundreds of findings where the first question is
//! "which rules, how many".
//!
//! Only findings that count are counted (waived and baseline findings are
//! in the summary), sorted by count, most first, then by rule id.

use std::fmt::Write as _;

use rcaudit_rules::Severity;

use crate::Report;
use crate::text::neutralize;

/// One rule's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCount {
    /// The rule's id.
    pub rule_id: String,
    /// The rule's severity.
    pub severity: Severity,
    /// The rule's title.
    pub title: String,
    /// Findings of the rule that count.
    pub count: usize,
}

/// Rules with at least one counting finding, most findings first, then by
/// rule id.
pub fn rows(report: &Report) -> Vec<RuleCount> {
    let mut rows: Vec<RuleCount> = Vec::new();
    for located in report.counted() {
        let finding = &located.finding;
        match rows.iter_mut().find(|r| r.rule_id == finding.rule_id) {
            Some(row) => row.count += 1,
            None => rows.push(RuleCount {
                rule_id: finding.rule_id.clone(),
                severity: finding.severity,
                title: located.title.clone(),
                count: 1,
            }),
        }
    }
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    rows
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The table, then a totals line; nothing when no finding counts.
pub fn render(report: &Report) -> String {
    let rows = rows(report);
    if rows.is_empty() {
        return String::new();
    }
    let total: usize = rows.iter().map(|r| r.count).sum();
    let count_width = total.to_string().len().max("count".len());
    let id_width = rows
        .iter()
        .map(|r| neutralize(&r.rule_id).chars().count())
        .max()
        .unwrap_or(0)
        .max("rule".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>count_width$}  {:<8}  {:<id_width$}  title",
        "count", "severity", "rule"
    );
    for row in &rows {
        let _ = writeln!(
            out,
            "{:>count_width$}  {:<8}  {:<id_width$}  {}",
            row.count,
            row.severity.as_str(),
            neutralize(&row.rule_id),
            neutralize(&row.title).replace('\n', " ")
        );
    }
    let by = |s: Severity| {
        rows.iter()
            .filter(|r| r.severity == s)
            .map(|r| r.count)
            .sum()
    };
    let _ = writeln!(
        out,
        "{total:>count_width$}  in all, from {}: {}, {}, {} info",
        plural(rows.len(), "rule"),
        plural(by(Severity::Error), "error"),
        plural(by(Severity::Warning), "warning"),
        by(Severity::Info),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    /// `(rule, extension indexes)`, and the expected rows `(rule, count)`.
    type Case<'a> = (&'a [(&'a str, usize)], &'a [(&'a str, usize)]);

    #[test]
    fn rows_are_sorted_by_count_then_id() {
        let rules = [
            ("B-1", Severity::Warning),
            ("A-2", Severity::Error),
            ("C-3", Severity::Info),
        ];
        let cases: &[Case<'_>] = &[
            (&[], &[]),
            (&[("C-3", 0)], &[("C-3", 1)]),
            // Ties by id, whatever the rule order.
            (
                &[("B-1", 0), ("A-2", 0), ("C-3", 1), ("C-3", 2)],
                &[("C-3", 2), ("A-2", 1), ("B-1", 1)],
            ),
            (
                &[("B-1", 0), ("B-1", 1), ("B-1", 2), ("A-2", 3)],
                &[("B-1", 3), ("A-2", 1)],
            ),
        ];
        for (findings, expected) in cases {
            let report = fixture::report(&rules, findings);
            let got: Vec<(String, usize)> = rows(&report)
                .into_iter()
                .map(|r| (r.rule_id, r.count))
                .collect();
            let expected: Vec<(String, usize)> = expected
                .iter()
                .map(|(id, n)| ((*id).to_owned(), *n))
                .collect();
            assert_eq!(got, expected, "{findings:?}");
        }
    }

    #[test]
    fn waived_findings_are_not_counted() {
        let mut report = fixture::report(&[("A-1", Severity::Error)], &[("A-1", 0), ("A-1", 1)]);
        if let Some(l) = report.findings.first_mut() {
            l.waived = Some(0);
        }
        assert_eq!(rows(&report).first().map(|r| r.count), Some(1));
    }

    #[test]
    fn table_and_totals() {
        let mut findings: Vec<(&str, usize)> = (0..120).map(|i| ("RC-EX-001", i)).collect();
        findings.extend([("RC-FW-002", 0), ("RC-FW-002", 1), ("RC-PN-10", 0)]);
        let report = fixture::report(
            &[
                ("RC-EX-001", Severity::Error),
                ("RC-FW-002", Severity::Warning),
                ("RC-PN-10", Severity::Info),
            ],
            &findings,
        );
        assert_eq!(
            render(&report),
            "count  severity  rule       title\n\
             \x20 120  error     RC-EX-001  Title of RC-EX-001\n\
             \x20   2  warning   RC-FW-002  Title of RC-FW-002\n\
             \x20   1  info      RC-PN-10   Title of RC-PN-10\n\
             \x20 123  in all, from 3 rules: 120 errors, 2 warnings, 1 info\n"
        );
        assert_eq!(render(&fixture::report(&[("A", Severity::Error)], &[])), "");
    }
}
