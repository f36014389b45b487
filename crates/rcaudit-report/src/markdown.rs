//! `--format markdown`: a summary fit for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY`: totals, a table per rule, the first findings,
//! and what could not be checked.

use std::fmt::Write as _;

use rcaudit_rules::Severity;

use crate::{Located, Report};

/// Findings listed in full; the rest are counted.
const MAX_LISTED: usize = 50;

use crate::text::{markdown as cell, markdown_code as code};

/// The report as Markdown.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let counting: Vec<_> = report.findings.iter().filter(|l| l.counts()).collect();
    let icon = if report.counting(Severity::Error) > 0 {
        "❌"
    } else if counting.is_empty() {
        "✅"
    } else {
        "⚠️"
    };
    let _ = writeln!(out, "## {icon} rcaudit: {}\n", code(&report.snapshot.path));
    let _ = writeln!(out, "| | error | warning | info |");
    let _ = writeln!(out, "|---|---:|---:|---:|");
    let _ = writeln!(
        out,
        "| findings | {} | {} | {} |",
        report.counting(Severity::Error),
        report.counting(Severity::Warning),
        report.counting(Severity::Info)
    );
    let waived = report.waived();
    if waived > 0 {
        let count = |s| {
            report
                .findings
                .iter()
                .filter(|l| l.waived.is_some() && l.finding.severity == s)
                .count()
        };
        let _ = writeln!(
            out,
            "| waived | {} | {} | {} |",
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Info)
        );
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{} of {} rules ran{}.",
        report.rules_run,
        report.rules.len(),
        report
            .snapshot
            .account_id
            .as_ref()
            .map_or_else(String::new, |id| format!(" on account {}", cell(id)))
    );
    if let Some(baseline) = &report.baseline {
        let _ = writeln!(
            out,
            "\nAgainst the baseline {}: **{} new**, {} already there (not counted), {} fixed.",
            code(&baseline.path),
            baseline.new,
            baseline.old,
            baseline.fixed.len()
        );
    }
    write_findings(&mut out, report, &counting);
    write_notes(&mut out, report);
    out
}

/// Findings by rule, then the first findings in full.
fn write_findings(out: &mut String, report: &Report, counting: &[&Located]) {
    if !counting.is_empty() {
        let _ = writeln!(
            out,
            "\n### By rule\n\n| rule | severity | findings | title |\n|---|---|---:|---|"
        );
        for rule in &report.rules {
            let n = counting
                .iter()
                .filter(|l| l.finding.rule_id == rule.id)
                .count();
            if n > 0 {
                let _ = writeln!(
                    out,
                    "| {} | {} | {n} | {} |",
                    code(&rule.id),
                    rule.severity,
                    cell(&rule.title)
                );
            }
        }
        let _ = writeln!(
            out,
            "\n### Findings\n\n| rule | where | message |\n|---|---|---|"
        );
        for located in counting.iter().take(MAX_LISTED) {
            let _ = writeln!(
                out,
                "| {} | {} line {} | {} |",
                code(&located.finding.rule_id),
                code(&located.finding.pointer),
                located.line,
                cell(&located.finding.message)
            );
        }
        if counting.len() > MAX_LISTED {
            let _ = writeln!(out, "\n…and {} more.", counting.len() - MAX_LISTED);
        }
    }
}

/// What could not be checked, waivers to review and rule errors.
fn write_notes(out: &mut String, report: &Report) {
    if !report.not_evaluated.is_empty() {
        let (whole, partial) = report.not_evaluated_counts();
        let _ = writeln!(
            out,
            "\n<details><summary>{whole} rule(s) not evaluated, {partial} evaluated in part (missing data is never passed)</summary>\n\n| why | rules |\n|---|---|"
        );
        // One row per reason: the same missing list stops many rules.
        for group in report.not_evaluated_groups() {
            let rules: Vec<String> = group.rules.iter().map(|r| code(r)).collect();
            let _ = writeln!(
                out,
                "| {}: {} | {} |",
                group.state(),
                cell(group.reason),
                rules.join(", ")
            );
        }
        out.push_str("\n</details>\n");
    }
    let stale: Vec<_> = report
        .expired_waivers()
        .chain(report.unused_waivers())
        .collect();
    if !stale.is_empty() {
        let _ = writeln!(out, "\n### Waivers to review\n");
        for used in stale {
            let w = &used.waiver;
            let what = if used.expired {
                format!(
                    "expired on {}",
                    w.expires.map(|d| d.to_string()).unwrap_or_default()
                )
            } else {
                "covers no finding".to_owned()
            };
            let _ = writeln!(
                out,
                "- {} for {} {what} ({})",
                code(&w.rule),
                code(&w.item),
                cell(&w.location())
            );
        }
    }
    if !report.rule_errors.is_empty() {
        let _ = writeln!(out, "\n### Rule errors\n");
        for e in &report.rule_errors {
            let _ = writeln!(
                out,
                "- {} {} failed on {} item(s): {}",
                code(&e.rule_id),
                cell(&e.part),
                e.count,
                cell(&e.message)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use rcaudit_rules::Severity;

    use super::*;
    use crate::fixture::{self, not_evaluated};

    #[test]
    fn identical_reasons_are_said_once() {
        let missing = "`forwardingNumbers` is absent (403 CMN-419, a long server message)";
        let report = fixture::report_with(
            &[
                ("A", Severity::Error),
                ("B", Severity::Error),
                ("C", Severity::Error),
                ("D", Severity::Error),
            ],
            &[],
            vec![
                not_evaluated("A", missing, Some(1)),
                not_evaluated("B", "`phoneNumbers` is absent", None),
                not_evaluated("C", missing, Some(1)),
                not_evaluated("D", missing, None),
            ],
        );
        let text = render(&report);
        let details = text
            .split("<details>")
            .nth(1)
            .and_then(|t| t.split("</details>").next())
            .unwrap_or_default();
        assert_eq!(
            details,
            "<summary>2 rule(s) not evaluated, 2 evaluated in part (missing data is never passed)</summary>\n\n\
             | why | rules |\n|---|---|\n\
             | not evaluated: \\`phoneNumbers\\` is absent | `B` |\n\
             | not evaluated: \\`forwardingNumbers\\` is absent (403 CMN-419, a long server message) | `D` |\n\
             | evaluated in part: \\`forwardingNumbers\\` is absent (403 CMN-419, a long server message) | `A`, `C` |\n\n"
        );
    }
}
