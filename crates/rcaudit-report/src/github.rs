//! `--format github`: GitHub Actions workflow commands, which the runner
//! turns into annotations on the snapshot file
//! (`::error file=…,line=…,col=…,title=…::message`).
//!
//! GitHub keeps at most 10 error, 10 warning and 10 notice annotations per
//! step (50 per job) and drops the rest in silence, so what is sent is
//! chosen: errors first, then warnings, then notices, and within a
//! severity one finding per rule in turn (round robin), so an account with
//! 800 findings of one rule still shows every rule that fired. Only
//! findings that count are annotated. A last notice says how many findings
//! there are per severity and how many were not annotated, and where the
//! full list is. Waivers to review are warnings while room is left.
//!
//! `file=` is a path relative to the repository ([`GithubOptions::paths`]),
//! as GitHub matches it to the repository's files; a finding in no file of
//! the repository (a snapshot read from standard input, fetched and not
//! saved, or outside the repository) is annotated without `file=`, `line=`
//! and `col=`, on the run rather than on a file.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rcaudit_rules::Severity;

use crate::{Located, Report};

/// Annotations GitHub keeps per kind (error, warning, notice) and step.
pub const PER_KIND: usize = 10;

/// What annotations need beyond the report.
#[derive(Debug, Clone, Default)]
pub struct GithubOptions {
    /// Each file the report names (the snapshot and waiver files, as the
    /// report names them) that lies in the repository, to its path relative
    /// to the repository's root, `/`-separated: what `file=` takes. A file
    /// not listed is not named.
    pub paths: BTreeMap<String, String>,
    /// Whether this run writes a SARIF report: the last notice then points
    /// at it (code scanning) for the findings not annotated.
    pub sarif: bool,
}

/// `file=PATH,line=L,col=C,` for a place in a file of the repository;
/// empty for one elsewhere.
fn place(options: &GithubOptions, file: &str, line: usize, column: Option<usize>) -> String {
    let Some(path) = options.paths.get(file) else {
        return String::new();
    };
    let mut out = format!("file={},", property(path));
    if line > 0 {
        let _ = write!(out, "line={line},");
        if let Some(column) = column {
            let _ = write!(out, "col={column},");
        }
    }
    out
}

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

fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Up to `limit` of `findings` (one severity, in report order), one per
/// rule in turn: the first finding of each rule, then the second, ...
fn round_robin<'a>(findings: &[&'a Located], limit: usize) -> Vec<&'a Located> {
    let mut by_rule: Vec<(&str, Vec<&'a Located>)> = Vec::new();
    for located in findings {
        let rule = located.finding.rule_id.as_str();
        match by_rule.iter_mut().find(|(id, _)| *id == rule) {
            Some((_, list)) => list.push(located),
            None => by_rule.push((rule, vec![located])),
        }
    }
    let mut chosen = Vec::new();
    let mut round = 0;
    while chosen.len() < limit {
        let before = chosen.len();
        for (_, list) in &by_rule {
            if chosen.len() == limit {
                break;
            }
            if let Some(located) = list.get(round) {
                chosen.push(*located);
            }
        }
        if chosen.len() == before {
            break;
        }
        round += 1;
    }
    chosen
}

/// The findings annotated, in the order they are written: errors, then
/// warnings, then notices (one notice slot is kept for the summary).
pub fn annotated(report: &Report) -> Vec<&Located> {
    let counting: Vec<&Located> = report.counted().collect();
    let mut chosen = Vec::new();
    for severity in Severity::ALL {
        let limit = if severity == Severity::Info {
            PER_KIND - 1
        } else {
            PER_KIND
        };
        let of: Vec<&Located> = counting
            .iter()
            .copied()
            .filter(|l| l.finding.severity == severity)
            .collect();
        chosen.extend(round_robin(&of, limit));
    }
    chosen
}

/// The report as workflow commands, one per line.
pub fn render(report: &Report, options: &GithubOptions) -> String {
    let mut out = String::new();
    let chosen = annotated(report);
    for located in &chosen {
        let finding = &located.finding;
        let _ = writeln!(
            out,
            "::{} {}title={}::{}",
            command(finding.severity),
            place(
                options,
                &report.snapshot.path,
                located.line,
                Some(located.column)
            ),
            property(&format!("{} {}", finding.rule_id, located.title)),
            message(&format!("{} [{}]", finding.message, finding.fingerprint))
        );
    }
    let mut warnings_left = PER_KIND.saturating_sub(
        chosen
            .iter()
            .filter(|l| l.finding.severity == Severity::Warning)
            .count(),
    );
    let mut waivers_left_out = 0;
    for used in report.expired_waivers().chain(report.unused_waivers()) {
        if warnings_left == 0 {
            waivers_left_out += 1;
            continue;
        }
        warnings_left -= 1;
        let w = &used.waiver;
        let what = if used.expired {
            "expired"
        } else {
            "covers no finding"
        };
        let line = w.src.line_col(w.span.offset()).line;
        let _ = writeln!(
            out,
            "::warning {}title=rcaudit waiver::{}",
            place(options, w.src.name(), line, None),
            message(&format!("the waiver of {} for {} {what}", w.rule, w.item))
        );
    }
    let _ = writeln!(
        out,
        "::notice title=rcaudit::{}",
        message(&summary(
            report,
            options.sarif,
            chosen.len(),
            waivers_left_out
        ))
    );
    out
}

/// The last line: findings per severity, how many were annotated, where
/// the rest are (the SARIF report when this run writes one).
fn summary(report: &Report, sarif: bool, annotated: usize, waivers_left_out: usize) -> String {
    let counting = report.counted().count();
    let mut summary = format!(
        "rcaudit: {counting} finding(s) in {}: {} error, {} warning, {} info",
        report.snapshot.path,
        report.counting(Severity::Error),
        report.counting(Severity::Warning),
        report.counting(Severity::Info),
    );
    if counting > annotated {
        let _ = write!(
            summary,
            "; {annotated} annotated, {} not (GitHub shows at most {PER_KIND} of each kind per step): ",
            counting - annotated
        );
        summary.push_str(if sarif {
            "see the SARIF report (code scanning) for every finding, and the job summary \
             (--output markdown=+$GITHUB_STEP_SUMMARY) for counts per rule"
        } else {
            "every finding is in rcaudit's other reports (--output sarif=FILE for code \
             scanning, --output markdown=+$GITHUB_STEP_SUMMARY for the job summary)"
        });
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
    if waivers_left_out > 0 {
        let _ = write!(
            summary,
            "; {waivers_left_out} waiver(s) to review not annotated (see the human report)"
        );
    }
    summary
}

#[cfg(test)]
mod tests {
    use rcaudit_rules::Severity;

    use super::*;
    use crate::fixture;

    /// The fixture's snapshot `snap.json` at `reports/snap.json` in the
    /// repository; a SARIF report written alongside when `sarif`.
    fn options(sarif: bool) -> GithubOptions {
        GithubOptions {
            paths: BTreeMap::from([("snap.json".to_owned(), "reports/snap.json".to_owned())]),
            sarif,
        }
    }

    /// `(command, rule)` of each annotation line, then the last line.
    fn commands(text: &str) -> (Vec<(String, String)>, String) {
        let mut lines: Vec<&str> = text.lines().collect();
        let last = lines.pop().unwrap_or_default().to_owned();
        let parsed = lines
            .iter()
            .map(|line| {
                let command = line
                    .trim_start_matches("::")
                    .split(' ')
                    .next()
                    .unwrap_or_default();
                let rule = line
                    .split(",title=")
                    .nth(1)
                    .and_then(|t| t.split(' ').next())
                    .unwrap_or_default();
                (command.to_owned(), rule.to_owned())
            })
            .collect();
        (parsed, last)
    }

    #[test]
    fn one_rule_with_hundreds_of_findings_does_not_hide_the_others() {
        // RC-EX-001: 800 errors; four more error rules with one or two;
        // a warning rule with 30, another with 1; an info rule with 20.
        let mut findings: Vec<(&str, usize)> = (0..800).map(|i| ("E-BIG", i)).collect();
        findings.extend([("E-A", 1), ("E-A", 2), ("E-B", 3), ("E-C", 4), ("E-D", 5)]);
        findings.extend((0..30).map(|i| ("W-BIG", i)));
        findings.push(("W-ONE", 7));
        findings.extend((0..20).map(|i| ("I-BIG", i)));
        let report = fixture::report(
            &[
                ("E-BIG", Severity::Error),
                ("E-A", Severity::Error),
                ("E-B", Severity::Error),
                ("E-C", Severity::Error),
                ("E-D", Severity::Error),
                ("W-BIG", Severity::Warning),
                ("W-ONE", Severity::Warning),
                ("I-BIG", Severity::Info),
            ],
            &findings,
        );
        let (annotations, last) = commands(&render(&report, &options(true)));
        let rules: Vec<&str> = annotations.iter().map(|(_, r)| r.as_str()).collect();
        assert_eq!(
            rules,
            [
                // errors, round robin, 10
                "E-BIG", "E-A", "E-B", "E-C", "E-D", "E-BIG", "E-A", "E-BIG", "E-BIG", "E-BIG",
                // warnings, 10
                "W-BIG", "W-ONE", "W-BIG", "W-BIG", "W-BIG", "W-BIG", "W-BIG", "W-BIG", "W-BIG",
                "W-BIG", // notices, 9: the summary is the tenth
                "I-BIG", "I-BIG", "I-BIG", "I-BIG", "I-BIG", "I-BIG", "I-BIG", "I-BIG", "I-BIG",
            ]
        );
        for kind in ["error", "warning", "notice"] {
            let n = annotations.iter().filter(|(c, _)| c == kind).count()
                + usize::from(kind == "notice" && last.starts_with("::notice"));
            assert!(n <= PER_KIND, "{kind}: {n}");
        }
        // Errors come first.
        assert!(annotations.iter().take(10).all(|(c, _)| c == "error"));
        assert_eq!(
            last,
            "::notice title=rcaudit::rcaudit: 856 finding(s) in snap.json: 805 error, 31 warning, 20 info; \
             29 annotated, 827 not (GitHub shows at most 10 of each kind per step): see the SARIF \
             report (code scanning) for every finding, and the job summary \
             (--output markdown=+$GITHUB_STEP_SUMMARY) for counts per rule"
        );
        // Without a SARIF report in this run, the notice does not send the
        // reader to one.
        let (_, last) = commands(&render(&report, &options(false)));
        assert!(
            last.ends_with(
                "29 annotated, 827 not (GitHub shows at most 10 of each kind per step): every \
                 finding is in rcaudit's other reports (--output sarif=FILE for code scanning, \
                 --output markdown=+$GITHUB_STEP_SUMMARY for the job summary)"
            ),
            "{last}"
        );
        assert!(!last.contains("see the SARIF report"), "{last}");
    }

    #[test]
    fn file_is_the_path_in_the_repository_or_absent() {
        let report = fixture::report(&[("E-2", Severity::Error)], &[("E-2", 1)]);
        let text = render(&report, &options(true));
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("::error file=reports/snap.json,line="),
            "{first}"
        );
        assert!(first.contains(",col="), "{first}");
        // A snapshot in no file of the repository (standard input, not
        // saved, elsewhere): the annotation names no file, line or column.
        let text = render(&report, &GithubOptions::default());
        let first = text.lines().next().unwrap_or_default();
        assert!(first.starts_with("::error title=E-2 "), "{first}");
        assert!(!text.contains("file="), "{text}");
        assert!(!text.contains("line="), "{text}");
    }

    #[test]
    fn a_small_report_is_annotated_whole() {
        let report = fixture::report(
            &[("W-1", Severity::Warning), ("E-2", Severity::Error)],
            &[("W-1", 0), ("E-2", 1), ("E-2", 2)],
        );
        let text = render(&report, &options(true));
        let (annotations, last) = commands(&text);
        assert_eq!(
            annotations,
            [
                ("error".to_owned(), "E-2".to_owned()),
                ("error".to_owned(), "E-2".to_owned()),
                ("warning".to_owned(), "W-1".to_owned()),
            ]
        );
        assert!(
            text.contains("::extension 101 breaks E-2 [E-2:ext:1001]"),
            "{text}"
        );
        assert!(!last.contains("annotated"), "{last}");
    }

    #[test]
    fn round_robin_takes_one_per_rule_in_turn() {
        let report = fixture::report(
            &[("A", Severity::Error), ("B", Severity::Error)],
            &[("A", 0), ("A", 1), ("A", 2), ("B", 3)],
        );
        let all: Vec<&Located> = report.findings.iter().collect();
        let order = |limit| -> Vec<String> {
            round_robin(&all, limit)
                .iter()
                .map(|l| l.finding.fingerprint.clone())
                .collect()
        };
        assert_eq!(order(0), Vec::<String>::new());
        assert_eq!(order(2), ["A:ext:1000", "B:ext:1003"]);
        assert_eq!(
            order(10),
            ["A:ext:1000", "B:ext:1003", "A:ext:1001", "A:ext:1002"]
        );
    }

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(message("50% of a\nb"), "50%25 of a%0Ab");
        assert_eq!(property("RC-PN-003: a, b"), "RC-PN-003%3A a%2C b");
    }
}
