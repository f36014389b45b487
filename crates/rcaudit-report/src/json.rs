//! `--format json`: one document, described by `schemas/report.schema.json`.

use std::io::Write as _;

use rcaudit_rules::Severity;
use serde::Serialize;

use crate::{BaselineState, Report, WaiverUse};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document<'a> {
    tool: Tool<'a>,
    snapshot: Snapshot<'a>,
    findings: Vec<Finding<'a>>,
    not_evaluated: Vec<NotEvaluated<'a>>,
    rule_errors: Vec<RuleError<'a>>,
    waivers: Waivers<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<Baseline<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Snapshot<'a> {
    path: &'a str,
    account_id: Option<&'a str>,
    captured_at: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Finding<'a> {
    rule_id: &'a str,
    severity: &'static str,
    title: &'a str,
    message: &'a str,
    pointer: &'a str,
    item_pointer: &'a str,
    line: usize,
    column: usize,
    fingerprint: &'a str,
    /// Present when a waiver covers the finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Waiver<'a>>,
    /// `new` or `old`, when a baseline was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Waiver<'a> {
    rule: &'a str,
    item: &'a str,
    reason: &'a str,
    owner: Option<&'a str>,
    expires: Option<String>,
    location: String,
}

impl<'a> Waiver<'a> {
    fn of(used: &'a WaiverUse) -> Waiver<'a> {
        let w = &used.waiver;
        Waiver {
            rule: &w.rule,
            item: &w.item,
            reason: &w.reason,
            owner: w.owner.as_deref(),
            expires: w.expires.map(|d| d.to_string()),
            location: w.location(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Waivers<'a> {
    /// Past their date: they no longer apply.
    expired: Vec<Waiver<'a>>,
    /// In force but covering nothing: stale.
    unused: Vec<Waiver<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Baseline<'a> {
    path: &'a str,
    new: usize,
    old: usize,
    fixed: usize,
    fixed_fingerprints: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotEvaluated<'a> {
    rule_id: &'a str,
    reason: &'a str,
    requirement: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleError<'a> {
    rule_id: &'a str,
    part: &'a str,
    message: &'a str,
    pointer: Option<&'a str>,
    count: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    findings: usize,
    error: usize,
    warning: usize,
    info: usize,
    /// Findings that count toward the exit code (not waived, not old).
    counted: usize,
    waived: usize,
    not_evaluated: usize,
    rule_errors: usize,
    rules_enabled: usize,
    rules_run: usize,
}

/// The report as pretty-printed JSON, ending with a newline.
pub fn render(report: &Report) -> String {
    pretty(&document(report), texts_size(report, 512))
}

/// [`render`], written to `out` as it is made, through a small buffer:
/// the same bytes, without a buffer the size of the report. A report of
/// tens of thousands of findings is megabytes, and memory the process has
/// not touched before costs more to fault in than to render into (54-66
/// ms for 8 MB in three of four runs on the benchmark VM, 5 ms in the
/// fourth; BENCHMARKS.md).
///
/// # Errors
///
/// What writing to `out` gives.
pub fn write(report: &Report, out: impl std::io::Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 << 10, out);
    serde_json::to_writer_pretty(&mut out, &document(report))?;
    out.write_all(b"\n")?;
    out.flush()
}

fn document(report: &Report) -> Document<'_> {
    Document {
        tool: Tool {
            name: "rcaudit",
            version: &report.version,
        },
        snapshot: Snapshot {
            path: &report.snapshot.path,
            account_id: report.snapshot.account_id.as_deref(),
            captured_at: report.snapshot.captured_at.as_deref(),
        },
        findings: report
            .findings
            .iter()
            .map(|l| Finding {
                rule_id: &l.finding.rule_id,
                severity: l.finding.severity.as_str(),
                title: &l.title,
                message: &l.finding.message,
                pointer: &l.finding.pointer,
                item_pointer: &l.finding.item_pointer,
                line: l.line,
                column: l.column,
                fingerprint: &l.finding.fingerprint,
                suppressed: l.waived.and_then(|i| report.waivers.get(i)).map(Waiver::of),
                baseline: l.baseline.map(|b| match b {
                    BaselineState::New => "new",
                    BaselineState::Old => "old",
                }),
            })
            .collect(),
        not_evaluated: report
            .not_evaluated
            .iter()
            .map(|n| NotEvaluated {
                rule_id: &n.rule_id,
                reason: &n.reason,
                requirement: &n.requirement,
                skipped: n.skipped,
            })
            .collect(),
        rule_errors: report
            .rule_errors
            .iter()
            .map(|e| RuleError {
                rule_id: &e.rule_id,
                part: &e.part,
                message: &e.message,
                pointer: e.pointer.as_deref(),
                count: e.count,
            })
            .collect(),
        waivers: Waivers {
            expired: report.expired_waivers().map(Waiver::of).collect(),
            unused: report.unused_waivers().map(Waiver::of).collect(),
        },
        baseline: report.baseline.as_ref().map(|b| Baseline {
            path: &b.path,
            new: b.new,
            old: b.old,
            fixed: b.fixed.len(),
            fixed_fingerprints: &b.fixed,
        }),
        summary: Summary {
            findings: report.findings.len(),
            error: report.count(Severity::Error),
            warning: report.count(Severity::Warning),
            info: report.count(Severity::Info),
            counted: report.findings.iter().filter(|l| l.counts()).count(),
            waived: report.waived(),
            not_evaluated: report.not_evaluated.len(),
            rule_errors: report.rule_errors.len(),
            rules_enabled: report.rules.len(),
            rules_run: report.rules_run,
        },
    }
}

/// `value` pretty-printed, ending with a newline, in a buffer of `room`
/// bytes made at once: grown by doubling, the text of many findings would
/// be copied at each step, the old copy alive beside the new (pages
/// reserved beyond the end are never touched, so room to spare costs no
/// memory).
pub(crate) fn pretty(value: &impl Serialize, room: usize) -> String {
    let mut text = Vec::with_capacity(room);
    let written = serde_json::to_writer_pretty(&mut text, value);
    let mut text = match written.map(|()| String::from_utf8(text)) {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => format!("{{\"error\": \"{e}\"}}"),
        Err(e) => format!("{{\"error\": \"{e}\"}}"),
    };
    text.push('\n');
    text
}

/// Room for a pretty-printed report: each finding's texts twice over
/// (escapes), and `each` bytes a finding for names and indentation.
pub(crate) fn texts_size(report: &Report, each: usize) -> usize {
    report
        .findings
        .iter()
        .map(|l| {
            let f = &l.finding;
            let texts = f.rule_id.len()
                + l.title.len()
                + f.message.len()
                + f.pointer.len()
                + f.item_pointer.len()
                + f.fingerprint.len();
            texts.saturating_mul(2).saturating_add(each)
        })
        .fold(64 << 10, usize::saturating_add)
}
