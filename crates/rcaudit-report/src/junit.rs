//! `--format junit`: JUnit XML, for CI systems that show test results. One
//! test case per enabled rule (stable names: rule id and name).
//!
//! A test case fails as the gate does: a `failure` only when the rule has
//! findings that count at or above the `--fail-on` threshold, and at most
//! one per case (its message the count and the first finding, every finding
//! in its text), so a dashboard is red exactly when the run exits 1 for
//! findings. Findings below the threshold, waived ones and those in the
//! baseline are listed in the case's `system-out`. `skipped` is a rule that
//! could not be evaluated, `error` a rule whose expression failed. Each case
//! has the rule's evaluation time; the suite, their sum.

use std::fmt::Write as _;

use rcaudit_rules::Severity;

use crate::{Located, Report, RuleInfo};

/// What JUnit needs besides the report.
#[derive(Debug, Clone, Copy)]
pub struct JunitOptions {
    /// The `--fail-on` threshold; `None` (never) makes no finding a failure.
    pub fail_on: Option<Severity>,
}

impl Default for JunitOptions {
    fn default() -> Self {
        JunitOptions {
            fail_on: Some(Severity::Error),
        }
    }
}

/// XML text and attribute escaping, after neutralising the controls a
/// reader would act on (those XML 1.0 cannot hold among them).
fn escape(text: &str) -> String {
    let text = crate::text::neutralize(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot hold.
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

fn place(report: &Report, located: &Located) -> String {
    format!(
        "{}:{}:{}",
        report.snapshot.path, located.line, located.column
    )
}

/// A finding on one line: place, severity, message, pointer, fingerprint.
fn describe(report: &Report, located: &Located) -> String {
    format!(
        "{} {}: {} (at {}; fingerprint {})",
        place(report, located),
        located.finding.severity,
        located.finding.message.replace(['\n', '\r'], " "),
        located.finding.pointer,
        located.finding.fingerprint
    )
}

fn seconds(time: std::time::Duration) -> String {
    format!("{:.3}", time.as_secs_f64())
}

/// The one `failure` of a case: the count and the first finding as its
/// message, every finding in its text.
fn write_failure(cases: &mut String, report: &Report, rule: &RuleInfo, failing: &[&Located]) {
    let Some(first) = failing.first() else {
        return;
    };
    let mut text = String::new();
    for located in failing {
        let _ = writeln!(text, "{}", describe(report, located));
    }
    let _ = writeln!(
        cases,
        "      <failure type=\"{}\" message=\"{}\">{}</failure>",
        rule.severity,
        escape(&format!(
            "{} finding{}; first: {} {}",
            failing.len(),
            if failing.len() == 1 { "" } else { "s" },
            place(report, first),
            first.finding.message.replace(['\n', '\r'], " ")
        )),
        escape(&text)
    );
}

/// The report as JUnit XML.
pub fn render(report: &Report, options: &JunitOptions) -> String {
    let mut cases = String::new();
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    let mut total = std::time::Duration::ZERO;
    for rule in &report.rules {
        let mine: Vec<&Located> = report
            .findings
            .iter()
            .filter(|l| l.finding.rule_id == rule.id)
            .collect();
        let time = report.rule_time(&rule.id);
        total += time;
        let _ = writeln!(
            cases,
            "    <testcase classname=\"rcaudit.{}\" name=\"{} {}\" file=\"{}\" time=\"{}\">",
            escape(&rule.pack),
            escape(&rule.id),
            escape(&rule.name),
            escape(&report.snapshot.path),
            seconds(time)
        );
        let fails =
            |l: &&&Located| l.counts() && options.fail_on.is_some_and(|t| l.finding.severity >= t);
        let failing: Vec<&Located> = mine.iter().filter(fails).copied().collect();
        if !failing.is_empty() {
            failures += 1;
            write_failure(&mut cases, report, rule, &failing);
        }
        let whole = report
            .not_evaluated
            .iter()
            .find(|n| n.rule_id == rule.id && n.skipped.is_none());
        if let Some(n) = whole {
            skipped += 1;
            let _ = writeln!(
                cases,
                "      <skipped message=\"not evaluated: {}\"/>",
                escape(&n.reason)
            );
        }
        let rule_errors: Vec<_> = report
            .rule_errors
            .iter()
            .filter(|e| e.rule_id == rule.id)
            .collect();
        if !rule_errors.is_empty() {
            errors += 1;
        }
        for e in rule_errors {
            let _ = writeln!(
                cases,
                "      <error type=\"rule-error\" message=\"{} failed on {} item(s)\">{}</error>",
                escape(&e.part),
                e.count,
                escape(&format!(
                    "{} (first at {})",
                    e.message,
                    e.pointer.as_deref().unwrap_or("")
                ))
            );
        }
        let mut out = String::new();
        for located in mine.iter().filter(|l| !fails(l)) {
            let why = if let Some(w) = located.waived.and_then(|i| report.waivers.get(i)) {
                format!("waived: {}", w.waiver.reason)
            } else if !located.counts() {
                "in the baseline".to_owned()
            } else {
                match options.fail_on {
                    Some(t) => format!("below --fail-on {t}"),
                    None => "--fail-on never".to_owned(),
                }
            };
            let _ = writeln!(out, "{} ({why})", describe(report, located));
        }
        for n in report
            .not_evaluated
            .iter()
            .filter(|n| n.rule_id == rule.id && n.skipped.is_some())
        {
            let _ = writeln!(out, "evaluated in part: {}", n.reason);
        }
        if !out.is_empty() {
            let _ = writeln!(cases, "      <system-out>{}</system-out>", escape(&out));
        }
        cases.push_str("    </testcase>\n");
    }
    let tests = report.rules.len();
    let suite = format!("rcaudit: {}", report.snapshot.path);
    let time = seconds(total);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rcaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\">\n  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time}\">\n{cases}  </testsuite>\n</testsuites>\n",
        escape(&suite)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape(r#"a<b>&"c"'"#), "a&lt;b&gt;&amp;&quot;c&quot;&apos;");
        assert_eq!(escape("x\u{1}y\tz\u{FFFF}"), "x\\u{1}y\tz\u{FFFD}");
    }

    /// Per test case: `(name, failures, failure message, system-out lines)`.
    fn cases(xml: &str) -> Vec<(String, usize, String, usize)> {
        let Ok(document) = roxmltree::Document::parse(xml) else {
            return Vec::new();
        };
        document
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|case| {
                let failures: Vec<_> = case
                    .children()
                    .filter(|n| n.has_tag_name("failure"))
                    .collect();
                let message = failures
                    .first()
                    .and_then(|f| f.attribute("message"))
                    .unwrap_or_default()
                    .to_owned();
                let out = case
                    .children()
                    .find(|n| n.has_tag_name("system-out"))
                    .and_then(|n| n.text())
                    .map_or(0, |t| t.lines().count());
                (
                    case.attribute("name").unwrap_or_default().to_owned(),
                    failures.len(),
                    message,
                    out,
                )
            })
            .collect()
    }

    /// Of one case: failures, the failure's message, lines of system-out.
    type Expected<'a> = (usize, &'a str, usize);

    #[test]
    fn a_failure_only_at_or_above_the_threshold_and_one_per_case() {
        let report = fixture::report(
            &[
                ("E-1", Severity::Error),
                ("W-2", Severity::Warning),
                ("I-3", Severity::Info),
            ],
            &[("E-1", 0), ("E-1", 1), ("E-1", 2), ("W-2", 3), ("I-3", 0)],
        );
        let first = "3 findings; first: snap.json:5:5 extension 100 breaks E-1";
        // (threshold, expected (failures, message, system-out lines) per rule E-1, W-2, I-3)
        let table: [(Option<Severity>, [Expected<'_>; 3]); 4] = [
            (
                Some(Severity::Error),
                [(1, first, 0), (0, "", 1), (0, "", 1)],
            ),
            (
                Some(Severity::Warning),
                [
                    (1, first, 0),
                    (
                        1,
                        "1 finding; first: snap.json:8:5 extension 103 breaks W-2",
                        0,
                    ),
                    (0, "", 1),
                ],
            ),
            (
                Some(Severity::Info),
                [
                    (1, first, 0),
                    (
                        1,
                        "1 finding; first: snap.json:8:5 extension 103 breaks W-2",
                        0,
                    ),
                    (
                        1,
                        "1 finding; first: snap.json:5:5 extension 100 breaks I-3",
                        0,
                    ),
                ],
            ),
            (None, [(0, "", 3), (0, "", 1), (0, "", 1)]),
        ];
        for (fail_on, expected) in table {
            let xml = render(&report, &JunitOptions { fail_on });
            let got: Vec<(usize, String, usize)> = cases(&xml)
                .into_iter()
                .map(|(_, n, message, out)| (n, message, out))
                .collect();
            let expected: Vec<(usize, String, usize)> = expected
                .iter()
                .map(|(n, m, o)| (*n, (*m).to_owned(), *o))
                .collect();
            assert_eq!(got, expected, "{fail_on:?}\n{xml}");
            let failures = expected.iter().filter(|(n, _, _)| *n > 0).count();
            assert!(xml.contains(&format!("failures=\"{failures}\"")), "{xml}");
        }
        let xml = render(&report, &JunitOptions::default());
        assert!(xml.contains("(below --fail-on error)"), "{xml}");
        // The failure's text holds every finding.
        assert_eq!(
            xml.matches("breaks E-1 (at /extensions/").count(),
            3,
            "{xml}"
        );
    }

    #[test]
    fn cases_and_suites_have_times() {
        let report = fixture::report(&[("A", Severity::Error), ("B", Severity::Error)], &[]);
        let xml = render(&report, &JunitOptions::default());
        // The fixture's rules took 1 ms and 2 ms.
        assert!(
            xml.contains("name=\"A a\" file=\"snap.json\" time=\"0.001\""),
            "{xml}"
        );
        assert!(xml.contains("time=\"0.002\""), "{xml}");
        assert_eq!(xml.matches("time=\"0.003\"").count(), 2, "{xml}");
    }
}
