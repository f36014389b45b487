//! The human format: each finding as a diagnostic pointing at the offending
//! value, then a summary that says what could not be checked.

use std::fmt::{self, Write as _};

use miette::{Diagnostic, LabeledSpan, SourceCode, SourceSpan};
use rcaudit_model::SourceText;
use rcaudit_rules::Severity;

use crate::{Located, Report};

/// One finding as a `miette` diagnostic.
#[derive(Debug)]
pub struct FindingDiagnostic<'a> {
    located: &'a Located,
    source: &'a SourceText,
}

/// The findings of a report as diagnostics, in report order.
pub fn diagnostics(report: &Report) -> impl Iterator<Item = FindingDiagnostic<'_>> {
    report.findings.iter().map(|located| FindingDiagnostic {
        located,
        source: &report.source,
    })
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.located.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.located.finding.rule_id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.located.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{} (rcaudit explain {})",
            self.located.title, self.located.finding.rule_id
        )))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.located.span.map(|_| self.source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (offset, len) = self.located.span?;
        // A record spans many lines: underline its first line only.
        let span: SourceSpan = self.source.first_line_span(offset, len);
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.located.finding.pointer.clone()), span),
        )))
    }
}

/// The summary printed after the findings.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{} in {}: {}, {}, {} info ({} of {} rules ran)",
        plural(report.findings.len(), "finding"),
        report.snapshot.path,
        plural(report.count(Severity::Error), "error"),
        plural(report.count(Severity::Warning), "warning"),
        report.count(Severity::Info),
        report.rules_run,
        report.rules_enabled,
    );
    if !report.not_evaluated.is_empty() {
        let whole = report
            .not_evaluated
            .iter()
            .filter(|n| n.skipped.is_none())
            .count();
        let partial = report.not_evaluated.len() - whole;
        let _ = writeln!(
            out,
            "\n{} not evaluated, {} evaluated in part: missing data is reported, never passed",
            plural(whole, "rule"),
            partial
        );
        for n in &report.not_evaluated {
            let _ = writeln!(out, "  {:<10} {}", n.rule_id, n.reason);
        }
    }
    if !report.rule_errors.is_empty() {
        let _ = writeln!(
            out,
            "\n{} (an expression failed at run time; the other rules still ran)",
            plural(report.rule_errors.len(), "rule error")
        );
        for e in &report.rule_errors {
            let at = e.pointer.as_deref().unwrap_or("");
            let times = if e.count > 1 {
                format!(" ({} items)", e.count)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<10} {} at {at}{times}: {}",
                e.rule_id, e.part, e.message
            );
        }
    }
    out
}
