//! What an evaluation gives: findings, rules not evaluated (and why), rule
//! errors, and the limits it ran within.

use std::fmt::Write as _;

use crate::rule::Severity;

/// A violated rule, on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule that is violated.
    pub rule_id: String,
    /// The rule's severity (after the config's overrides).
    pub severity: Severity,
    /// The rule's message for this item, on one line.
    pub message: String,
    /// Where the finding points: the item, or its `at` field.
    pub pointer: String,
    /// The item the rule checked.
    pub item_pointer: String,
    /// The string `pointer` names, when the rule's `at` is a field path of
    /// the item and the tree borrows that string instead of owning it (from
    /// the snapshot's text, or from the parse's table of shared strings): a
    /// report finds a slice of the text by its address instead of by a scan
    /// (`SourceText::span_of_lent`), and scans for any other.
    pub lent_value: Option<&'static str>,
    /// Rule id and a stable key of the item: survives re-fetching and
    /// re-ordering.
    pub fingerprint: String,
}

/// A rule that could not run (or could not check some items), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEvaluated {
    /// The rule.
    pub rule_id: String,
    /// Why it could not run, or what it could not check.
    pub reason: String,
    /// The requirement that was not met (`admin`, `phoneNumbers`, ...).
    pub requirement: String,
    /// For partial coverage: how many items (or extensions) were skipped.
    /// `None` when the whole rule was not evaluated.
    pub skipped: Option<usize>,
}

/// An expression that failed at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The rule.
    pub rule_id: String,
    /// Which part failed: `when`, `assert`, `message`, `key` or `fact NAME`.
    pub part: String,
    /// The error.
    pub message: String,
    /// The first item it failed on.
    pub pointer: Option<String>,
    /// On how many items it failed with this message.
    pub count: usize,
}

/// Everything an evaluation found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Violations, in rule order, then document order.
    pub findings: Vec<Finding>,
    /// Rules (or parts of them) that could not be checked, and why.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Expressions that failed while running.
    pub rule_errors: Vec<RuleError>,
    /// Rules that ran (enabled, requirements met).
    pub rules_run: usize,
    /// Time spent per rule, and on facts (`facts`), in evaluation order.
    pub timings: Vec<(String, std::time::Duration)>,
}

/// Limits on evaluation, from `limits:` in `rcaudit.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most steps one evaluation may take: elements visited by
    /// comprehensions (`map`, `filter`, `all`, `exists`, `exists_one`),
    /// nested ones included, while one rule checks one item (its `when`,
    /// `assert`, `message`, `key`...), or while one fact is computed. A rule
    /// that runs out is a rule error on that item.
    pub steps: u64,
    /// The most steps one rule may take over all its items; a rule that runs
    /// out stops, and each item it did not check is counted in one rule
    /// error.
    pub rule_steps: u64,
}

impl Limits {
    /// Default [`Limits::steps`]. The built-in pack takes a few steps per
    /// item; its most is one step per extension (RC-EX-004's message walks
    /// the User extensions once). A million is ten times the extensions of
    /// the largest benchmark snapshot, and takes about a second.
    pub const DEFAULT_STEPS: u64 = 1_000_000;
    /// Default [`Limits::rule_steps`]: a hundred times [`Self::DEFAULT_STEPS`],
    /// a couple of minutes at most; the built-in rules take a few steps per
    /// item.
    pub const DEFAULT_RULE_STEPS: u64 = 100_000_000;
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            steps: Limits::DEFAULT_STEPS,
            rule_steps: Limits::DEFAULT_RULE_STEPS,
        }
    }
}

/// Makes fingerprints unique within one rule: a second finding with the same
/// key gets `#2`, and so on, in document order.
pub fn disambiguate(findings: &mut [Finding]) {
    // Which copy of its fingerprint each finding is, counted on the
    // fingerprints as given (borrowed: tens of thousands at 100,000
    // extensions), then written.
    let mut seen: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    seen.reserve(findings.len());
    let copies: Vec<usize> = findings
        .iter()
        .map(|finding| {
            let n = seen.entry(finding.fingerprint.as_str()).or_insert(0);
            *n += 1;
            *n
        })
        .collect();
    for (finding, n) in findings.iter_mut().zip(copies) {
        if n > 1 {
            let _ = write!(finding.fingerprint, "#{n}");
        }
    }
}

impl Outcome {
    /// Counts of findings by severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}
