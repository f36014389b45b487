//! The human format: each finding that counts as a diagnostic pointing at
//! the offending value, then a summary that says what else there is:
//! waived and baseline findings, what could not be checked, and waivers that
//! expired or covered nothing.

use std::fmt::{self, Write as _};

use miette::{Diagnostic, LabeledSpan, SourceCode, SourceSpan};
use rcaudit_model::SourceText;
use rcaudit_rules::Severity;

use crate::text::neutralize;
use crate::{BaselineState, Located, Report, WaiverUse};

/// One finding as a `miette` diagnostic.
#[derive(Debug)]
pub struct FindingDiagnostic<'a> {
    located: &'a Located,
    source: &'a SourceText,
}

/// Stands for a space inside a fingerprint in a diagnostic's help: the
/// renderer breaks lines at spaces, and a fingerprint cut in two
/// (`RC-FW-003:number:1` / `650-555-0199`) is not what a waiver's `item:`
/// takes. Whoever renders the diagnostics turns it back into a space
/// ([`keep_together`]), so the text a user copies is the fingerprint. A C0
/// control: neutralised text never holds one (it shows `\u{1f}`), so no
/// data is mistaken for it; it counts as no column, so a long fingerprint
/// may run past the line's width rather than wrap.
pub const KEEP_TOGETHER: char = '\u{1f}';

/// A rendered diagnostic with each [`KEEP_TOGETHER`] a space again.
pub fn keep_together(rendered: &str) -> String {
    rendered.replace(KEEP_TOGETHER, " ")
}

/// The findings that count (not waived, not in the baseline) as
/// diagnostics, in report order.
pub fn diagnostics(report: &Report) -> impl Iterator<Item = FindingDiagnostic<'_>> {
    report
        .findings
        .iter()
        .filter(|l| l.counts())
        .map(|located| FindingDiagnostic {
            located,
            source: &report.source,
        })
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&neutralize(&self.located.finding.message))
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    /// `error[RC-EX-001]`, as rustc writes `error[E0308]`: the severity in
    /// words, so it is read without colour and without knowing the glyphs.
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let finding = &self.located.finding;
        Some(Box::new(format!(
            "{}[{}]",
            finding.severity,
            neutralize(&finding.rule_id)
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.located.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    /// The title, then the fingerprint, its spaces as [`KEEP_TOGETHER`] so
    /// a narrow terminal does not wrap it.
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let title = format!(
            "{} (rcaudit explain {})",
            self.located.title, self.located.finding.rule_id
        );
        Some(Box::new(format!(
            "{}\nfingerprint {}",
            neutralize(&title),
            neutralize(&self.located.finding.fingerprint).replace(' ', &KEEP_TOGETHER.to_string())
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
            LabeledSpan::new_primary_with_span(
                Some(neutralize(&self.located.finding.pointer).into_owned()),
                span,
            ),
        )))
    }
}

/// A waiver that expired or covered nothing, pointing into its file.
#[derive(Debug)]
pub struct WaiverDiagnostic<'a> {
    used: &'a WaiverUse,
}

/// Expired and unused waivers as warnings.
pub fn waiver_diagnostics(report: &Report) -> impl Iterator<Item = WaiverDiagnostic<'_>> {
    report
        .expired_waivers()
        .chain(report.unused_waivers())
        .map(|used| WaiverDiagnostic { used })
}

impl fmt::Display for WaiverDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&neutralize(&self.text()))
    }
}

impl WaiverDiagnostic<'_> {
    fn text(&self) -> String {
        let w = &self.used.waiver;
        if self.used.expired {
            let expires = w.expires.map(|d| d.to_string()).unwrap_or_default();
            format!(
                "the waiver of {} for {} expired on {expires}: its findings count again",
                w.rule, w.item
            )
        } else {
            format!(
                "the waiver of {} for {} covers no finding: remove it if the problem is fixed",
                w.rule, w.item
            )
        }
    }
}

impl std::error::Error for WaiverDiagnostic<'_> {}

impl Diagnostic for WaiverDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(if self.used.expired {
            "rcaudit::waivers::expired"
        } else {
            "rcaudit::waivers::unused"
        }))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Warning)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&self.used.waiver.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let w = &self.used.waiver;
        let span = w.src.first_line_span(w.span.offset(), w.span.len());
        let label = if self.used.expired {
            "expired"
        } else {
            "unused"
        };
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(label.to_owned()), span),
        )))
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The summary printed after the findings (its untrusted parts, rule ids,
/// reasons, messages, paths, neutralised).
pub fn summary(report: &Report) -> String {
    neutralize(&summary_text(report)).into_owned()
}

/// What `--quiet` prints: the summary line, the counts of rules not
/// evaluated (without their reasons), and the rules that failed while they
/// ran (errors: the run exits 2). Neutralised as [`summary`] is.
pub fn quiet_summary(report: &Report) -> String {
    let mut out = String::new();
    write_headline(&mut out, report);
    if !report.not_evaluated.is_empty() {
        let (whole, partial) = report.not_evaluated_counts();
        let _ = writeln!(
            out,
            "{} not evaluated, {} evaluated in part (the reasons: without --quiet)",
            plural(whole, "rule"),
            partial
        );
    }
    write_rule_errors(&mut out, report);
    neutralize(&out).into_owned()
}

/// The summary line: findings by severity, rules run.
fn write_headline(out: &mut String, report: &Report) {
    let counted = report.findings.iter().filter(|l| l.counts()).count();
    let _ = writeln!(
        out,
        "{} in {}: {}, {}, {} info ({} of {} rules ran)",
        plural(counted, "finding"),
        report.snapshot.path,
        plural(report.counting(Severity::Error), "error"),
        plural(report.counting(Severity::Warning), "warning"),
        report.counting(Severity::Info),
        report.rules_run,
        report.rules.len(),
    );
}

fn summary_text(report: &Report) -> String {
    let mut out = String::new();
    write_headline(&mut out, report);
    if let Some(baseline) = &report.baseline {
        let _ = writeln!(
            out,
            "baseline {}: {} new, {} already there (not shown, not counted), {} fixed",
            baseline.path,
            baseline.new,
            baseline.old,
            baseline.fixed.len()
        );
    }
    write_waived(&mut out, report);
    let expired = report.expired_waivers().count();
    let unused = report.unused_waivers().count();
    if expired + unused > 0 {
        let _ = writeln!(
            out,
            "\nwaivers: {expired} expired, {unused} unused (see the warnings on stderr)"
        );
    }
    if !report.not_evaluated.is_empty() {
        let (whole, partial) = report.not_evaluated_counts();
        let _ = writeln!(
            out,
            "\n{} not evaluated, {} evaluated in part: missing data is reported, never passed",
            plural(whole, "rule"),
            partial
        );
        // One reason, then the rules it stopped: the same missing list
        // stops many rules, and its reason can be a long server message.
        for group in report.not_evaluated_groups() {
            let _ = writeln!(
                out,
                "  {} ({}): {}\n    {}",
                group.state(),
                plural(group.rules.len(), "rule"),
                group.rules.join(", "),
                group.reason
            );
        }
    }
    write_rule_errors(&mut out, report);
    out
}

/// The rules that failed while they ran, after a blank line.
fn write_rule_errors(out: &mut String, report: &Report) {
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
}

/// The waived findings: reported, not counted.
fn write_waived(out: &mut String, report: &Report) {
    let waived: Vec<&Located> = report
        .findings
        .iter()
        .filter(|l| l.waived.is_some())
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            out,
            "\n{} (reported, not counted)",
            plural(waived.len(), "waived finding")
        );
        for located in waived {
            let used = located.waived.and_then(|i| report.waivers.get(i));
            let reason = used.map_or("", |w| w.waiver.reason.as_str());
            let owner = used
                .and_then(|w| w.waiver.owner.as_deref())
                .map_or_else(String::new, |o| format!(", owner {o}"));
            let expires = used
                .and_then(|w| w.waiver.expires)
                .map_or_else(String::new, |d| format!(", until {d}"));
            let old = if located.baseline == Some(BaselineState::Old) {
                " (in baseline)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<10} {}:{}  {}{old}: {reason}{owner}{expires}",
                located.finding.rule_id,
                report.snapshot.path,
                located.line,
                located.finding.message
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
    fn quiet_keeps_the_summary_line_the_not_evaluated_counts_and_rule_errors() {
        let reason = "`forwardingNumbers` is absent (403 CMN-419)";
        let mut report = fixture::report_with(
            &[("A-1", Severity::Error), ("A-2", Severity::Error)],
            &[("A-1", 2)],
            vec![
                not_evaluated("A-1", reason, Some(1)),
                not_evaluated("A-2", reason, None),
            ],
        );
        let full = summary(&report);
        let headline = full.lines().next().expect("a summary line");
        assert_eq!(
            quiet_summary(&report),
            format!(
                "{headline}\n1 rule not evaluated, 1 evaluated in part (the reasons: without \
                 --quiet)\n"
            )
        );
        assert!(full.contains(reason), "{full}");
        report.rule_errors.push(rcaudit_rules::RuleError {
            rule_id: "A-2".to_owned(),
            part: "assert".to_owned(),
            message: "no such key: x".to_owned(),
            pointer: Some("/extensions/0".to_owned()),
            count: 3,
        });
        let quiet = quiet_summary(&report);
        assert!(
            quiet.ends_with(
                "\n\n1 rule error (an expression failed at run time; the other rules still \
                 ran)\n  A-2        assert at /extensions/0 (3 items): no such key: x\n"
            ),
            "{quiet}"
        );
        assert!(!quiet.contains(reason), "{quiet}");
        assert!(summary(&report).ends_with(&quiet[quiet.find("\n\n").unwrap_or(0)..]));
    }

    #[test]
    fn each_diagnostic_names_its_severity_in_words_and_its_fingerprint() {
        let report = fixture::report(
            &[
                ("RC-EX-001", Severity::Error),
                ("RC-FW-004", Severity::Warning),
                ("RC-PN-010", Severity::Info),
            ],
            &[("RC-EX-001", 6), ("RC-FW-004", 1), ("RC-PN-010", 0)],
        );
        let shown: Vec<(String, String)> = diagnostics(&report)
            .map(|d| {
                (
                    d.code().map(|c| c.to_string()).unwrap_or_default(),
                    d.help().map(|h| h.to_string()).unwrap_or_default(),
                )
            })
            .collect();
        let expected = [
            (
                "error[RC-EX-001]",
                "Title of RC-EX-001 (rcaudit explain RC-EX-001)\nfingerprint RC-EX-001:ext:1006",
            ),
            (
                "warning[RC-FW-004]",
                "Title of RC-FW-004 (rcaudit explain RC-FW-004)\nfingerprint RC-FW-004:ext:1001",
            ),
            (
                "info[RC-PN-010]",
                "Title of RC-PN-010 (rcaudit explain RC-PN-010)\nfingerprint RC-PN-010:ext:1000",
            ),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(c, h)| ((*c).to_owned(), (*h).to_owned()))
            .collect();
        assert_eq!(shown, expected);
    }

    /// A not-evaluated entry: rule, reason, items skipped (partial).
    type Entry<'a> = (&'a str, &'a str, Option<usize>);

    #[test]
    fn identical_not_evaluated_reasons_are_grouped() {
        let long = "1 extension could not be checked: `forwardingNumbers` is absent (it could not be fetched: 403 CMN-419); the rest was checked";
        let absent = "`phoneNumbers` is absent from the snapshot (not fetched)";
        // (entries, the lines the summary lists them with)
        let cases: Vec<(Vec<Entry<'_>>, Vec<String>)> = vec![
            (
                vec![("A-1", absent, None)],
                vec![
                    "1 rule not evaluated, 0 evaluated in part: missing data is reported, never passed".to_owned(),
                    "  not evaluated (1 rule): A-1".to_owned(),
                    format!("    {absent}"),
                ],
            ),
            (
                vec![
                    ("A-1", long, Some(1)),
                    ("A-2", absent, None),
                    ("A-3", long, Some(1)),
                    ("A-4", absent, None),
                    ("A-5", absent, Some(3)),
                    ("A-6", long, Some(1)),
                ],
                vec![
                    "2 rules not evaluated, 4 evaluated in part: missing data is reported, never passed".to_owned(),
                    "  not evaluated (2 rules): A-2, A-4".to_owned(),
                    format!("    {absent}"),
                    "  evaluated in part (3 rules): A-1, A-3, A-6".to_owned(),
                    format!("    {long}"),
                    "  evaluated in part (1 rule): A-5".to_owned(),
                    format!("    {absent}"),
                ],
            ),
        ];
        for (entries, expected) in cases {
            let rules: Vec<(&str, Severity)> = entries
                .iter()
                .map(|(id, _, _)| (*id, Severity::Error))
                .collect();
            let report = fixture::report_with(
                &rules,
                &[],
                entries
                    .iter()
                    .map(|(id, reason, skipped)| not_evaluated(id, reason, *skipped))
                    .collect(),
            );
            let text = summary(&report);
            let listed: Vec<&str> = text.lines().skip(2).collect();
            assert_eq!(listed, expected, "{text}");
            assert_eq!(
                text.matches(long).count(),
                usize::from(text.contains(long)),
                "{text}"
            );
        }
    }
}
