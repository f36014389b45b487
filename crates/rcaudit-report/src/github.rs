//! `--format github`: GitHub Actions workflow commands, which the runner
//! turns into annotations on the snapshot file
//! (`::error file=…,line=…,col=…,title=…::message`). Only findings that
//! count are annotated, at most [`MAX_ANNOTATIONS`]; a summary line says how
//! many there were in all.

use std::fmt::Write as _;

use rcaudit_rules::Severity;

use crate::Report;

/// GitHub shows a limited number of annotations per step; more are noise.
pub const MAX_ANNOTATIONS: usize = 50;

/// Escapes a command's message (`%`, CR, LF), after neutralising the
/// controls a log viewer would act on.
fn message(text: &str) -> String {
    crate::text::neutralize(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value (also `:` and `,`).
fn property(text: &str) -> String {
    message(text).replace(':', "%3A").replace(',', "%2C")
}

/// The report as workflow commands, one per line.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let counting: Vec<_> = report.findings.iter().filter(|l| l.counts()).collect();
    for located in counting.iter().take(MAX_ANNOTATIONS) {
        let finding = &located.finding;
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut properties = format!("file={}", property(&report.snapshot.path));
        if located.line > 0 {
            let _ = write!(properties, ",line={},col={}", located.line, located.column);
        }
        let _ = write!(
            properties,
            ",title={}",
            property(&format!("{} {}", finding.rule_id, located.title))
        );
        let _ = writeln!(
            out,
            "::{command} {properties}::{}",
            message(&finding.message)
        );
    }
    let errors = report.counting(Severity::Error);
    let warnings = report.counting(Severity::Warning);
    let infos = report.counting(Severity::Info);
    let mut summary = format!(
        "rcaudit: {} finding(s) in {} ({errors} error, {warnings} warning, {infos} info)",
        counting.len(),
        report.snapshot.path
    );
    if counting.len() > MAX_ANNOTATIONS {
        let _ = write!(
            summary,
            "; the first {MAX_ANNOTATIONS} are annotated, {} more are in the full report",
            counting.len() - MAX_ANNOTATIONS
        );
    }
    let waived = report.waived();
    if waived > 0 {
        let _ = write!(summary, "; {waived} waived");
    }
    if let Some(baseline) = &report.baseline {
        let _ = write!(
            summary,
            "; baseline: {} new, {} old, {} fixed",
            baseline.new,
            baseline.old,
            baseline.fixed.len()
        );
    }
    if !report.not_evaluated.is_empty() {
        let _ = write!(
            summary,
            "; {} not evaluated (in whole or in part)",
            report.not_evaluated.len()
        );
    }
    let _ = writeln!(out, "::notice title=rcaudit::{}", message(&summary));
    for used in report.expired_waivers().chain(report.unused_waivers()) {
        let w = &used.waiver;
        let what = if used.expired {
            "expired"
        } else {
            "covers no finding"
        };
        let line = w.src.line_col(w.span.offset()).line;
        let _ = writeln!(
            out,
            "::warning file={},line={line},title=rcaudit waiver::{}",
            property(w.src.name()),
            message(&format!("the waiver of {} for {} {what}", w.rule, w.item))
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{message, property};

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(message("50% of a\nb"), "50%25 of a%0Ab");
        assert_eq!(property("RC-PN-003: a, b"), "RC-PN-003%3A a%2C b");
    }
}
