//! Reports: an evaluation's findings, located in the snapshot text, with
//! waivers and a baseline applied, and the formats they are written in.
//!
//! The key decision is that **everything a format needs is decided once,
//! here**: where each finding is (the rule engine works on JSON pointers;
//! `SourceText::locate` turns them into byte spans, lines and columns, one
//! pass for all findings), whether it is waived, whether the baseline knew
//! it, and so whether it counts toward the exit code. Every format then reads
//! the same [`Report`]; formats are pure functions from a report to text, and
//! the CLI decides where the text goes.
//!
//! The human format is a list of `miette` diagnostics ([`human`]); the CLI
//! renders them, since only it knows the terminal (colour, width).
//!
//! ```
//! use rcaudit_report::{Report, concise, sarif};
//! use rcaudit_rules::{LoadOptions, RuleFile, evaluate, load};
//!
//! let snapshot = rcaudit_model::parse_str(
//!     "acme.json",
//!     r#"{"snapshotVersion": 1, "account": {"id": 7},
//!         "extensions": [{"id": 1, "extensionNumber": "101", "name": ""}]}"#,
//! )
//! .expect("a snapshot");
//! let file = RuleFile {
//!     name: "acme.yaml".to_owned(),
//!     pack: "acme".to_owned(),
//!     text: r#"
//! rules:
//!   - id: ACME-EX-001
//!     severity: warning
//!     title: Every extension has a name
//!     target: extensions
//!     assert: item.name != ""
//!     message: "extension {{ item.extensionNumber }} has no name"
//! "#
//!     .to_owned(),
//! };
//! let (rules, _warnings) = load(&[file], &LoadOptions::default()).expect("the rule loads");
//! let outcome = evaluate(&rules, snapshot.root());
//!
//! let report = Report::new("0.1.0", &snapshot, &rules, outcome);
//! let finding = &report.findings[0];
//! assert_eq!((finding.line, finding.column), (2, 24));
//! assert!(report.fails(rcaudit_rules::Severity::Warning));
//!
//! let line = concise::line(&report, finding);
//! assert!(line.starts_with("acme.json:2:24: warning ACME-EX-001 extension 101 has no name"));
//! let sarif = sarif::render(&report, &sarif::SarifOptions::default());
//! assert!(sarif.contains("ACME-EX-001"));
//! ```
//!
//! The formats are public modules, each with a `render` function
//! (`sarif::render`, `junit::render`, ...): the module names the format as
//! `--format` does, and holds that format's options and helpers, so a caller
//! picks a format by its path rather than from a list of `render_sarif`,
//! `render_junit` functions. The rest is private behind the re-exports:
//! [`Report`] and its parts here, [`Baseline`] from `baseline`; the
//! neutralising of untrusted text the formats share is
//! [`rcaudit_model::text`].

#![warn(missing_docs)]

mod baseline;
pub mod concise;
pub mod diff;
pub mod fleet;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod statistics;
mod text;

#[cfg(test)]
pub(crate) mod fixture;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use rcaudit_model::{Snapshot, SourceText, Span};
use rcaudit_rules::waivers::{Date, Waiver};
use rcaudit_rules::{Docs, Finding, NotEvaluated, Outcome, RuleError, RuleSet, Severity};

pub use baseline::{Baseline, BaselineError};

/// Whether the baseline had a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineState {
    /// Not in the baseline: counts toward the exit code.
    New,
    /// In the baseline: reported, not counted.
    Old,
}

/// A finding with its place in the snapshot text.
#[derive(Debug, Clone)]
pub struct Located {
    /// The finding, as the engine produced it.
    pub finding: Finding,
    /// The rule's title.
    pub title: String,
    /// Byte span of the value the finding points at (`None` if the pointer
    /// does not resolve, which a correct rule never produces).
    pub span: Option<(usize, usize)>,
    /// 1-based line of the value (0 when `span` is `None`).
    pub line: usize,
    /// 1-based column of the value, in characters (0 when `span` is `None`).
    pub column: usize,
    /// The waiver covering it (an index into [`Report::waivers`]).
    pub waived: Option<usize>,
    /// Set when a baseline was given.
    pub baseline: Option<BaselineState>,
}

impl Located {
    /// Whether the finding counts toward the exit code: not waived, and not
    /// already in the baseline.
    pub fn counts(&self) -> bool {
        self.waived.is_none() && self.baseline != Some(BaselineState::Old)
    }
}

/// What was checked.
#[derive(Debug, Clone)]
pub struct SnapshotInfo {
    /// The snapshot's name, as given (usually its path).
    pub path: String,
    /// `account.id`, when present.
    pub account_id: Option<String>,
    /// `capturedAt`, when present.
    pub captured_at: Option<String>,
}

/// A rule as formats describe it (SARIF's `tool.driver.rules`, JUnit's test
/// cases).
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Stable id (`RC-PN-003`).
    pub id: String,
    /// Kebab-case name.
    pub name: String,
    /// Severity, after the config's overrides.
    pub severity: Severity,
    /// One line stating what must hold.
    pub title: String,
    /// Its documentation (rationale, remediation, links).
    pub docs: Docs,
    /// The pack it came from (`core` for the built-in one).
    pub pack: String,
}

/// A waiver and what became of it.
#[derive(Debug, Clone)]
pub struct WaiverUse {
    /// The waiver, as read from its file.
    pub waiver: Waiver,
    /// Findings it covered.
    pub used: usize,
    /// Past its `expires` date: it no longer applies.
    pub expired: bool,
}

/// What a baseline comparison found.
#[derive(Debug, Clone, Default)]
pub struct BaselineSummary {
    /// The baseline's file, as given.
    pub path: String,
    /// Findings the baseline did not have (they count).
    pub new: usize,
    /// Findings the baseline had (reported, not counted).
    pub old: usize,
    /// Fingerprints in the baseline that are no longer found.
    pub fixed: Vec<String>,
}

/// Everything a format needs.
#[derive(Debug, Clone)]
pub struct Report {
    /// rcaudit's version, as the formats print it.
    pub version: String,
    /// The snapshot checked.
    pub snapshot: SnapshotInfo,
    /// Every finding, located, in report order: by rule (in load order), then
    /// by place in the document.
    pub findings: Vec<Located>,
    /// Rules, or parts of rules, that could not be evaluated, and why.
    pub not_evaluated: Vec<NotEvaluated>,
    /// Expressions that failed on an item (the rest of the rule still ran).
    pub rule_errors: Vec<RuleError>,
    /// The enabled rules, in load order.
    pub rules: Vec<RuleInfo>,
    /// How many enabled rules ran.
    pub rules_run: usize,
    /// The waivers given and what became of them; empty until
    /// [`Report::apply_waivers`].
    pub waivers: Vec<WaiverUse>,
    /// The baseline comparison; `None` until [`Report::apply_baseline`].
    pub baseline: Option<BaselineSummary>,
    /// The snapshot text, for locations and snippets.
    pub source: SourceText,
    /// Time each rule took to evaluate, by rule id (and `facts`), in
    /// evaluation order: the evaluation's own measure, carried for formats
    /// that report durations (JUnit's `time`).
    pub rule_times: Vec<(String, Duration)>,
}

/// Rules that share one not-evaluated reason: formats say the reason once,
/// then the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEvaluatedGroup<'a> {
    /// The reason the group's rules share.
    pub reason: &'a str,
    /// Evaluated in part (the rule ran; some items were skipped), as
    /// opposed to not evaluated at all.
    pub partial: bool,
    /// The rules, in report order.
    pub rules: Vec<&'a str>,
}

impl NotEvaluatedGroup<'_> {
    /// What became of the group's rules, in words.
    pub fn state(&self) -> &'static str {
        if self.partial {
            "evaluated in part"
        } else {
            "not evaluated"
        }
    }
}

impl Report {
    /// Locates every finding and orders them: by rule (in the order the
    /// rules were loaded), then by place in the document.
    pub fn new(version: &str, snapshot: &Snapshot, rules: &RuleSet, outcome: Outcome) -> Report {
        let source = snapshot.source().clone();
        // A string the tree borrowed from the text is found by its address;
        // the other findings by their pointers, in one scan of the text.
        let mut spans: Vec<Option<Span>> = outcome
            .findings
            .iter()
            .map(|f| f.lent_value.and_then(|value| source.span_of_lent(value)))
            .collect();
        let (unlent, pointers): (Vec<usize>, Vec<&str>) = outcome
            .findings
            .iter()
            .zip(&spans)
            .enumerate()
            .filter(|(_, (_, span))| span.is_none())
            .map(|(i, (f, _))| (i, f.pointer.as_str()))
            .unzip();
        for (i, span) in unlent.into_iter().zip(source.locate(&pointers)) {
            if let Some(slot) = spans.get_mut(i) {
                *slot = span;
            }
        }
        let order: HashMap<&str, usize> = rules
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let titles: HashMap<&str, &str> = rules
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.title.as_str()))
            .collect();
        let offsets: Vec<usize> = spans.iter().flatten().map(|s| s.offset).collect();
        let mut places = source.line_cols(&offsets).into_iter();
        let mut findings: Vec<Located> = outcome
            .findings
            .into_iter()
            .zip(spans)
            .map(|(finding, span)| {
                let (line, column) = span
                    .and_then(|_| places.next())
                    .map_or((0, 0), |at| (at.line, at.column));
                let title = titles
                    .get(finding.rule_id.as_str())
                    .map(|t| (*t).to_owned())
                    .unwrap_or_default();
                Located {
                    finding,
                    title,
                    span: span.map(|s| (s.offset, s.len)),
                    line,
                    column,
                    waived: None,
                    baseline: None,
                }
            })
            .collect();
        findings.sort_by_key(|l| {
            (
                order
                    .get(l.finding.rule_id.as_str())
                    .copied()
                    .unwrap_or(usize::MAX),
                l.span.map_or(usize::MAX, |s| s.0),
            )
        });
        Report {
            version: version.to_owned(),
            snapshot: SnapshotInfo {
                path: source.name().to_owned(),
                account_id: snapshot.account_id(),
                captured_at: snapshot.captured_at().map(str::to_owned),
            },
            findings,
            not_evaluated: outcome.not_evaluated,
            rule_errors: outcome.rule_errors,
            rules: rules
                .rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| RuleInfo {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    severity: r.severity,
                    title: r.title.clone(),
                    docs: r.docs.clone(),
                    pack: r.pack.to_string(),
                })
                .collect(),
            rules_run: outcome.rules_run,
            waivers: Vec::new(),
            baseline: None,
            source,
            rule_times: outcome.timings,
        }
    }

    /// Applies waivers as of `today`: a finding covered by a waiver that has
    /// not expired is waived (reported, not counted). Expired and unused
    /// waivers stay in [`Report::waivers`] for the formats to report.
    pub fn apply_waivers(&mut self, waivers: Vec<Waiver>, today: Date) {
        self.waivers = waivers
            .into_iter()
            .map(|waiver| WaiverUse {
                expired: waiver.expired(today),
                waiver,
                used: 0,
            })
            .collect();
        for located in &mut self.findings {
            let finding = &located.finding;
            if let Some(i) = self
                .waivers
                .iter()
                .position(|w| !w.expired && w.waiver.covers(&finding.rule_id, &finding.fingerprint))
            {
                located.waived = Some(i);
                if let Some(w) = self.waivers.get_mut(i) {
                    w.used += 1;
                }
            }
        }
    }

    /// Compares with a baseline: findings it had are old (not counted).
    pub fn apply_baseline(&mut self, baseline: &Baseline) {
        let mut summary = BaselineSummary {
            path: baseline.path.clone(),
            ..BaselineSummary::default()
        };
        let mut seen = BTreeSet::new();
        for located in &mut self.findings {
            let fingerprint = located.finding.fingerprint.as_str();
            if baseline.fingerprints.contains(fingerprint) {
                located.baseline = Some(BaselineState::Old);
                summary.old += 1;
                seen.insert(fingerprint.to_owned());
            } else {
                located.baseline = Some(BaselineState::New);
                summary.new += 1;
            }
        }
        summary.fixed = baseline
            .fingerprints
            .iter()
            .filter(|f| !seen.contains(*f))
            .cloned()
            .collect();
        self.baseline = Some(summary);
    }

    /// Findings of a severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|l| l.finding.severity == severity)
            .count()
    }

    /// Findings that count, of a severity.
    pub fn counting(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|l| l.finding.severity == severity && l.counts())
            .count()
    }

    /// Waived findings.
    pub fn waived(&self) -> usize {
        self.findings.iter().filter(|l| l.waived.is_some()).count()
    }

    /// Whether any finding that counts is at or above `threshold`.
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings
            .iter()
            .any(|l| l.counts() && l.finding.severity >= threshold)
    }

    /// Waivers past their date.
    pub fn expired_waivers(&self) -> impl Iterator<Item = &WaiverUse> {
        self.waivers.iter().filter(|w| w.expired)
    }

    /// Waivers in force that covered nothing (stale: clean them up).
    pub fn unused_waivers(&self) -> impl Iterator<Item = &WaiverUse> {
        self.waivers.iter().filter(|w| !w.expired && w.used == 0)
    }

    /// The findings that count, in report order.
    pub fn counted(&self) -> impl Iterator<Item = &Located> {
        self.findings.iter().filter(|l| l.counts())
    }

    /// How long a rule took to evaluate (zero if unknown).
    pub fn rule_time(&self, id: &str) -> Duration {
        self.rule_times
            .iter()
            .filter(|(rule, _)| rule == id)
            .map(|(_, time)| *time)
            .sum()
    }

    /// How many rules were not evaluated at all, and how many in part.
    pub fn not_evaluated_counts(&self) -> (usize, usize) {
        let partial = self
            .not_evaluated
            .iter()
            .filter(|n| n.skipped.is_some())
            .count();
        (self.not_evaluated.len() - partial, partial)
    }

    /// The not-evaluated entries grouped by identical reason (whole and
    /// partial kept apart), wholly not evaluated first, each group in the
    /// order its first rule appears.
    pub fn not_evaluated_groups(&self) -> Vec<NotEvaluatedGroup<'_>> {
        let mut groups: Vec<NotEvaluatedGroup<'_>> = Vec::new();
        for n in &self.not_evaluated {
            let partial = n.skipped.is_some();
            match groups
                .iter_mut()
                .find(|g| g.partial == partial && g.reason == n.reason)
            {
                Some(group) => group.rules.push(&n.rule_id),
                None => groups.push(NotEvaluatedGroup {
                    reason: &n.reason,
                    partial,
                    rules: vec![&n.rule_id],
                }),
            }
        }
        groups.sort_by_key(|g| g.partial);
        groups
    }

    /// The rule's description, when the rule is known.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }
}
