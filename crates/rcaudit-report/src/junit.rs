//! `--format junit`: JUnit XML, for CI systems that show test results. One
//! test case per enabled rule (stable names: rule id and name). The
//! document is built with `quick-junit` (the model and serializer
//! cargo-nextest uses), which writes the structure and escapes markup.
//!
//! A test case fails as the gate does: a `failure` only when the rule has
//! findings that count at or above the `--fail-on` threshold, and at most
//! one per case (its message the count and the first finding, every finding
//! in its text), so a dashboard is red exactly when the run exits 1 for
//! findings. Findings below the threshold, waived ones and those in the
//! baseline are listed in the case's `system-out`. `skipped` is a rule that
//! could not be evaluated, `error` a rule whose expression failed (one
//! `error` per case, naming each failed part). Each case has the rule's
//! evaluation time; the suite, their sum.
//!
//! A JUnit case has one status. A rule that failed while running is an
//! `error` even if it also has findings, as a rule error makes the run exit
//! 2 whatever the findings; those findings are then listed in the case's
//! `system-out`, marked as at or above the threshold.
//!
//! All text is untrusted: it passes through [`rcaudit_model::text::neutralize`]
//! first, so controls (which XML 1.0 cannot hold, and which `quick-junit`
//! would otherwise silently drop) stay visible as `\u{1b}`-style escapes.

use std::fmt::Write as _;
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite, XmlString};
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

/// Untrusted text for the document: controls neutralised to visible
/// escapes, the two noncharacters XML 1.0 cannot hold replaced, and tabs
/// made spaces (`XmlString` would drop them, joining the words around).
/// What is left has nothing `XmlString` strips; markup (`<`, `&`, quotes)
/// is escaped by `quick-junit`'s writer.
fn xml(text: &str) -> XmlString {
    let text = crate::text::neutralize(text);
    let text = if text.contains(['\t', '\u{FFFE}', '\u{FFFF}']) {
        text.replace('\t', " ")
            .replace(['\u{FFFE}', '\u{FFFF}'], "\u{FFFD}")
    } else {
        text.into_owned()
    };
    XmlString::new(text)
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

/// The one `failure` of a case: the count and the first finding as its
/// message, every finding in its text; `None` without failing findings.
fn failure(report: &Report, rule: &RuleInfo, failing: &[&Located]) -> Option<TestCaseStatus> {
    let first = failing.first()?;
    let mut text = String::new();
    for located in failing {
        let _ = writeln!(text, "{}", describe(report, located));
    }
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_type(xml(&rule.severity.to_string()))
        .set_message(xml(&format!(
            "{} finding{}; first: {} {}",
            failing.len(),
            if failing.len() == 1 { "" } else { "s" },
            place(report, first),
            first.finding.message.replace(['\n', '\r'], " ")
        )))
        .set_description(xml(&text));
    Some(status)
}

/// The one `error` of a case: each part that failed, and on how many
/// items, as its message; each error's message and first item in its text;
/// `None` when the rule ran without error.
fn error(report: &Report, rule: &RuleInfo) -> Option<TestCaseStatus> {
    let errors: Vec<_> = report
        .rule_errors
        .iter()
        .filter(|e| e.rule_id == rule.id)
        .collect();
    if errors.is_empty() {
        return None;
    }
    let message: Vec<String> = errors
        .iter()
        .map(|e| format!("{} failed on {} item(s)", e.part, e.count))
        .collect();
    let text: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "{} (first at {})",
                e.message,
                e.pointer.as_deref().unwrap_or("")
            )
        })
        .collect();
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status
        .set_type("rule-error")
        .set_message(xml(&message.join("; ")))
        .set_description(xml(&text.join("\n")));
    Some(status)
}

/// The report as JUnit XML.
pub fn render(report: &Report, options: &JunitOptions) -> String {
    let mut suite = TestSuite::new(xml(&format!("rcaudit: {}", report.snapshot.path)));
    let mut total = Duration::ZERO;
    for rule in &report.rules {
        let time = report.rule_time(&rule.id);
        total += time;
        suite.add_test_case(case(report, rule, options.fail_on, time));
    }
    suite.set_time(total);
    let mut junit = quick_junit::Report::new("rcaudit");
    junit.set_time(total).add_test_suite(suite);
    // Writing to memory cannot fail; quick-junit's error type covers
    // writers that can.
    junit.to_string().unwrap_or_default()
}

/// The test case of one rule.
fn case(report: &Report, rule: &RuleInfo, fail_on: Option<Severity>, time: Duration) -> TestCase {
    let mine: Vec<&Located> = report
        .findings
        .iter()
        .filter(|l| l.finding.rule_id == rule.id)
        .collect();
    let fails = |l: &Located| l.counts() && fail_on.is_some_and(|t| l.finding.severity >= t);
    let failing: Vec<&Located> = mine.iter().copied().filter(|l| fails(l)).collect();
    let whole = report
        .not_evaluated
        .iter()
        .find(|n| n.rule_id == rule.id && n.skipped.is_none());
    let error = error(report, rule);
    let errored = error.is_some();
    let skipped = whole.map(|n| {
        let mut status = TestCaseStatus::skipped();
        status.set_message(xml(&format!("not evaluated: {}", n.reason)));
        status
    });
    // One status: error, else failure, else skipped, else success.
    let status = error
        .or_else(|| failure(report, rule, &failing))
        .or(skipped)
        .unwrap_or_else(TestCaseStatus::success);
    let mut out = String::new();
    for located in &mine {
        let why = if let Some(w) = located.waived.and_then(|i| report.waivers.get(i)) {
            format!("waived: {}", w.waiver.reason)
        } else if !located.counts() {
            "in the baseline".to_owned()
        } else {
            match fail_on {
                Some(t) if fails(located) && errored => {
                    format!("at or above --fail-on {t}; the case is an error: the rule failed")
                }
                Some(_) if fails(located) => continue,
                Some(t) => format!("below --fail-on {t}"),
                None => "--fail-on never".to_owned(),
            }
        };
        let _ = writeln!(out, "{} ({why})", describe(report, located));
    }
    if let Some(n) = whole.filter(|_| errored || !failing.is_empty()) {
        let _ = writeln!(out, "not evaluated: {}", n.reason);
    }
    for n in report
        .not_evaluated
        .iter()
        .filter(|n| n.rule_id == rule.id && n.skipped.is_some())
    {
        let _ = writeln!(out, "evaluated in part: {}", n.reason);
    }
    let mut case = TestCase::new(xml(&format!("{} {}", rule.id, rule.name)), status);
    case.set_classname(xml(&format!("rcaudit.{}", rule.pack)))
        .set_time(time);
    case.extra.insert("file".into(), xml(&report.snapshot.path));
    if !out.is_empty() {
        case.set_system_out(xml(&out));
    }
    case
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    #[test]
    fn controls_are_neutralised_before_quick_junit_sees_them() {
        assert_eq!(
            xml("x\u{1}y\tz\u{FFFF}\r\n\u{1b}[2J").as_str(),
            "x\\u{1}y z\u{FFFD}\\u{d}\n\\u{1b}[2J"
        );
        // Markup is left to the writer.
        assert_eq!(xml(r#"a<b>&"c"'"#).as_str(), r#"a<b>&"c"'"#);
    }

    /// Text an attacker controls: terminal escapes, a NUL (XML 1.0 cannot
    /// hold either), the end of a CDATA section, markup and an entity.
    const HOSTILE: &str = "Eve\u{1b}[2J\u{0}]]><img src=x>&amp;\"'";

    #[test]
    fn hostile_text_is_neutralised_and_escaped() {
        let mut report = fixture::report(
            &[("E-1", Severity::Error), ("W-2", Severity::Warning)],
            &[("E-1", 0), ("W-2", 1)],
        );
        for located in &mut report.findings {
            located.finding.message = format!("{HOSTILE} breaks {}", located.finding.rule_id);
        }
        report.snapshot.path = format!("{HOSTILE}.json");
        let xml = render(&report, &JunitOptions::default());
        // Nothing a reader acts on, and nothing XML 1.0 cannot hold.
        assert!(
            !xml.chars()
                .any(|c| rcaudit_model::text::is_unsafe(c) || c == '\r'),
            "{xml:?}"
        );
        // The markup is escaped: the only elements are the document's own.
        let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        assert!(
            document
                .descendants()
                .filter(roxmltree::Node::is_element)
                .all(|n| [
                    "testsuites",
                    "testsuite",
                    "testcase",
                    "failure",
                    "system-out"
                ]
                .contains(&n.tag_name().name())),
            "{xml}"
        );
        // And reads back as the neutralised text, escapes visible.
        let shown = "Eve\\u{1b}[2J\\u{0}]]><img src=x>&amp;\"'";
        let failure = document
            .descendants()
            .find(|n| n.has_tag_name("failure"))
            .unwrap_or_else(|| panic!("a failure: {xml}"));
        assert_eq!(
            failure.attribute("message"),
            Some(format!("1 finding; first: {shown}.json:5:5 {shown} breaks E-1").as_str())
        );
        assert!(
            failure
                .text()
                .is_some_and(|t| t.contains(&format!("{shown} breaks E-1"))),
            "{xml}"
        );
        let out = document
            .descendants()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or_default();
        assert!(out.contains(&format!("{shown} breaks W-2")), "{xml}");
        let case = document
            .descendants()
            .find(|n| n.has_tag_name("testcase"))
            .unwrap_or_else(|| panic!("a case: {xml}"));
        assert_eq!(
            case.attribute("file"),
            Some(format!("{shown}.json").as_str())
        );
    }

    #[test]
    fn a_rule_error_is_the_case_status_and_its_findings_go_to_system_out() {
        let mut report = fixture::report(
            &[("E-1", Severity::Error), ("W-2", Severity::Warning)],
            &[("E-1", 0), ("W-2", 1)],
        );
        for (part, count) in [("assert", 2), ("message", 1)] {
            report.rule_errors.push(rcaudit_rules::RuleError {
                rule_id: "E-1".to_owned(),
                part: part.to_owned(),
                message: format!("no such key in {part}"),
                pointer: Some("/extensions/0".to_owned()),
                count,
            });
        }
        let xml = render(&report, &JunitOptions::default());
        let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let root = document.root_element();
        assert_eq!(root.attribute("errors"), Some("1"), "{xml}");
        assert_eq!(root.attribute("failures"), Some("0"), "{xml}");
        let case = document
            .descendants()
            .find(|n| n.has_tag_name("testcase"))
            .unwrap_or_else(|| panic!("a case: {xml}"));
        let errors: Vec<_> = case
            .children()
            .filter(|n| n.has_tag_name("error"))
            .collect();
        assert_eq!(errors.len(), 1, "{xml}");
        assert_eq!(
            errors.first().and_then(|e| e.attribute("message")),
            Some("assert failed on 2 item(s); message failed on 1 item(s)")
        );
        assert_eq!(
            errors.first().and_then(roxmltree::Node::text),
            Some(
                "no such key in assert (first at /extensions/0)\nno such key in message (first at /extensions/0)"
            )
        );
        assert_eq!(
            case.children()
                .filter(|n| n.has_tag_name("failure"))
                .count(),
            0,
            "{xml}"
        );
        let out = case
            .children()
            .find(|n| n.has_tag_name("system-out"))
            .and_then(|n| n.text())
            .unwrap_or_default();
        assert!(
            out.contains("breaks E-1 (at /extensions/0; fingerprint E-1:ext:1000) (at or above --fail-on error;"),
            "{xml}"
        );
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
        let document = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let times: Vec<(&str, Option<&str>, Option<&str>)> = document
            .descendants()
            .filter(roxmltree::Node::is_element)
            .map(|n| {
                (
                    n.tag_name().name(),
                    n.attribute("name"),
                    n.attribute("time"),
                )
            })
            .collect();
        // The fixture's rules took 1 ms and 2 ms; the suite, their sum.
        assert_eq!(
            times,
            [
                ("testsuites", Some("rcaudit"), Some("0.003")),
                ("testsuite", Some("rcaudit: snap.json"), Some("0.003")),
                ("testcase", Some("A a"), Some("0.001")),
                ("testcase", Some("B b"), Some("0.002")),
            ],
            "{xml}"
        );
        let case = document
            .descendants()
            .find(|n| n.has_tag_name("testcase"))
            .unwrap_or_else(|| panic!("a case: {xml}"));
        assert_eq!(case.attribute("classname"), Some("rcaudit.fixture"));
        assert_eq!(case.attribute("file"), Some("snap.json"));
    }
}
