//! `--format concise`: one line per finding that counts, in the shape
//! compilers and linters use, `PATH:LINE:COL: SEVERITY RULE-ID message
//! [fingerprint]`, which editors, `grep` and `sort` read; then the human
//! summary. At 800 findings this is 800 lines, not 8,000.

use std::fmt::Write as _;

use crate::text::neutralize;
use crate::{Located, Report, human};

/// Text on one line: neutralised, and a line break or tab in the data
/// shown as an escape (`\n`) rather than starting a new line.
pub fn one_line(text: &str) -> String {
    neutralize(text).replace('\n', "\\n").replace('\t', "\\t")
}

/// One finding as one line (without the line break).
pub fn line(report: &Report, located: &Located) -> String {
    let finding = &located.finding;
    format!(
        "{}:{}:{}: {} {} {} [{}]",
        one_line(&report.snapshot.path),
        located.line,
        located.column,
        finding.severity,
        one_line(&finding.rule_id),
        one_line(&finding.message),
        one_line(&finding.fingerprint)
    )
}

/// The findings that count, one per line, then a blank line and the
/// summary ([`human::summary`]).
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for located in report.counted() {
        let _ = writeln!(out, "{}", line(report, located));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&human::summary(report));
    out
}

#[cfg(test)]
mod tests {
    use rcaudit_rules::Severity;

    use super::*;
    use crate::fixture;

    #[test]
    fn one_line_per_counted_finding_then_the_summary() {
        let mut report = fixture::report(
            &[("T-E-1", Severity::Error), ("T-W-2", Severity::Warning)],
            &[("T-E-1", 0), ("T-E-1", 2), ("T-W-2", 1)],
        );
        // A message that holds a line break and a control stays one line.
        if let Some(l) = report.findings.get_mut(1) {
            l.finding.message = "two\nlines \u{1b}[2J and\ta tab".to_owned();
        }
        let text = render(&report);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.get(..4),
            Some(
                &[
                    "snap.json:5:5: error T-E-1 extension 100 breaks T-E-1 [T-E-1:ext:1000]",
                    "snap.json:7:5: error T-E-1 two\\nlines \\u{1b}[2J and\\ta tab [T-E-1:ext:1002]",
                    "snap.json:6:5: warning T-W-2 extension 101 breaks T-W-2 [T-W-2:ext:1001]",
                    "",
                ][..]
            ),
            "{text}"
        );
        assert!(
            lines
                .get(4)
                .is_some_and(|l| l.starts_with("3 findings in snap.json: 2 errors, 1 warning")),
            "{text}"
        );
    }

    #[test]
    fn no_finding_is_the_summary_alone() {
        let report = fixture::report(&[("T-E-1", Severity::Error)], &[]);
        assert_eq!(
            render(&report),
            "0 findings in snap.json: 0 errors, 0 warnings, 0 info (1 of 1 rules ran)\n"
        );
    }
}
