//! `--format junit`: JUnit XML, for CI systems that show test results. One
//! test case per enabled rule (stable names: rule id and name), a `failure`
//! per finding that counts, `skipped` for a rule that could not be
//! evaluated, `error` for a rule whose expression failed. Waived and
//! baseline findings are listed in the case's output, not as failures.

use std::fmt::Write as _;

use crate::{Located, Report};

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

fn describe(report: &Report, located: &Located) -> String {
    format!(
        "{}:{}:{} {}\n{}\nfingerprint: {}",
        report.snapshot.path,
        located.line,
        located.column,
        located.finding.pointer,
        located.finding.message,
        located.finding.fingerprint
    )
}

/// The report as JUnit XML.
pub fn render(report: &Report) -> String {
    let mut cases = String::new();
    let (mut failures, mut errors, mut skipped) = (0, 0, 0);
    for rule in &report.rules {
        let mine: Vec<&Located> = report
            .findings
            .iter()
            .filter(|l| l.finding.rule_id == rule.id)
            .collect();
        let _ = writeln!(
            cases,
            "    <testcase classname=\"rcaudit.{}\" name=\"{} {}\" file=\"{}\">",
            escape(&rule.pack),
            escape(&rule.id),
            escape(&rule.name),
            escape(&report.snapshot.path)
        );
        let counting: Vec<&&Located> = mine.iter().filter(|l| l.counts()).collect();
        if !counting.is_empty() {
            failures += 1;
        }
        for located in &counting {
            let _ = writeln!(
                cases,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                located.finding.severity,
                escape(&located.finding.message),
                escape(&describe(report, located))
            );
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
        for located in mine.iter().filter(|l| !l.counts()) {
            let why = match located.waived.and_then(|i| report.waivers.get(i)) {
                Some(w) => format!("waived: {}", w.waiver.reason),
                None => "in the baseline".to_owned(),
            };
            let _ = writeln!(
                out,
                "{} ({why})",
                describe(report, located).replace('\n', " | ")
            );
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
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rcaudit\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{cases}  </testsuite>\n</testsuites>\n",
        escape(&suite)
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(escape(r#"a<b>&"c"'"#), "a&lt;b&gt;&amp;&quot;c&quot;&apos;");
        assert_eq!(escape("x\u{1}y\tz\u{FFFF}"), "x\\u{1}y\tz\u{FFFD}");
    }
}
