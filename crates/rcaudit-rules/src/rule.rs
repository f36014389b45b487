//! Validated rules: what the engine evaluates. Every field has been checked
//! by the loader, so the engine has no `Option` left to re-check.

use std::fmt;
use std::sync::Arc;

use miette::SourceSpan;
use rcaudit_model::{Node, SourceText};

use crate::expr::Expression;
use crate::template::{Part, Template};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Should be fixed.
    Warning,
    /// Must be fixed: the account misbehaves or is misconfigured.
    Error,
}

impl Severity {
    /// Every severity, most serious first.
    pub const ALL: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

    /// The severity as written in rule files: `error`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// The severity written `text`, if it is one.
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule iterates over; each item is checked on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// The whole snapshot, once: `item` is the document.
    Snapshot,
    /// The account record, once: `item` is `account`.
    Account,
    /// Each record of `extensions`.
    Extensions,
    /// Each record of the account-level `phoneNumbers`.
    PhoneNumbers,
    /// Each record of each extension's `phoneNumbers` (`extension` is bound).
    ExtensionPhoneNumbers,
    /// Each record of each extension's `forwardingNumbers` (`extension` is bound).
    ForwardingNumbers,
    /// Each entry of `errors` (absent means none).
    Errors,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 7] = [
        Target::Snapshot,
        Target::Account,
        Target::Extensions,
        Target::PhoneNumbers,
        Target::ExtensionPhoneNumbers,
        Target::ForwardingNumbers,
        Target::Errors,
    ];

    /// The target as written in rule files (`phoneNumbers`).
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Snapshot => "snapshot",
            Target::Account => "account",
            Target::Extensions => "extensions",
            Target::PhoneNumbers => "phoneNumbers",
            Target::ExtensionPhoneNumbers => "extensionPhoneNumbers",
            Target::ForwardingNumbers => "forwardingNumbers",
            Target::Errors => "errors",
        }
    }

    /// The target written `text`, if it is one.
    pub fn parse(text: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// Whether items have a parent extension, bound as `extension`.
    pub fn nested(self) -> bool {
        matches!(
            self,
            Target::ExtensionPhoneNumbers | Target::ForwardingNumbers
        )
    }

    /// The top-level list that holds every item of this per-extension
    /// target, if any: the account's `phoneNumbers` lists every number of
    /// the account, each extension's among them. Forwarding numbers have no
    /// account-level list. This is what a rule's `coveredBy` may name.
    pub fn covering_list(self) -> Option<Target> {
        match self {
            Target::ExtensionPhoneNumbers => Some(Target::PhoneNumbers),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Data a rule needs; when it is missing the rule is not evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Requirement {
    /// `source.viewer.admin` is true.
    Admin,
    /// The account's plan class is known.
    PlanClass,
    /// A path from the snapshot root is present and not null, e.g.
    /// `["phoneNumbers"]` or `["account", "mainNumber"]`.
    Present(Vec<String>),
    /// A path from each item (`item.forwardingNumbers`): items without it are
    /// skipped and counted.
    ItemPresent(Vec<String>),
    /// A path from each item's parent extension (`extension.forwardingNumbers`):
    /// extensions without it are skipped and counted.
    ExtensionPresent(Vec<String>),
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Admin => f.write_str("admin"),
            Requirement::PlanClass => f.write_str("planClass"),
            Requirement::Present(path) => f.write_str(&path.join(".")),
            Requirement::ItemPresent(path) => write!(f, "item.{}", path.join(".")),
            Requirement::ExtensionPresent(path) => write!(f, "extension.{}", path.join(".")),
        }
    }
}

/// Where a rule's findings point.
#[derive(Debug, Clone)]
pub enum At {
    /// A field path of the item, or an absolute JSON pointer (`/...`).
    Path(String),
    /// A template that renders to one of those, per finding
    /// (`{{ target == "snapshot" ? "/source/viewer/accountId" : "uri" }}`).
    Template(Template),
}

impl Rule {
    /// The parts of the rule with an expression that cel interprets on every
    /// evaluation, having no plan (a comprehension, a method call; see
    /// `plan`): `when`, `assert`, `key`, `fingerprint`, `message`,
    /// `at`. `rcaudit check --timings` shows them.
    pub fn interpreted_parts(&self) -> Vec<&'static str> {
        let template = |t: &Template| {
            t.parts
                .iter()
                .any(|p| matches!(p, Part::Expr(e, _) if !e.is_planned()))
        };
        let mut parts = Vec::new();
        if self.when.as_ref().is_some_and(|e| !e.is_planned()) {
            parts.push("when");
        }
        if !self.assert.is_planned() {
            parts.push("assert");
        }
        if self.key.as_ref().is_some_and(|e| !e.is_planned()) {
            parts.push("key");
        }
        if self.fingerprint.as_ref().is_some_and(|e| !e.is_planned()) {
            parts.push("fingerprint");
        }
        if template(&self.message) {
            parts.push("message");
        }
        if matches!(&self.at, Some(At::Template(t)) if template(t)) {
            parts.push("at");
        }
        parts
    }

    /// Every expression of the rule: `when`, `assert`, the message's, `key`,
    /// `fingerprint`, and `at`'s.
    pub fn expressions(&self) -> impl Iterator<Item = &Expression> {
        let at = match &self.at {
            Some(At::Template(t)) => Some(t),
            _ => None,
        };
        self.when
            .iter()
            .chain([&self.assert])
            .chain(self.message.expressions().map(|(e, _)| e))
            .chain(self.key.iter())
            .chain(self.fingerprint.iter())
            .chain(at.into_iter().flat_map(|t| t.expressions().map(|(e, _)| e)))
    }

    /// The fields of `item` the rule's expressions read (`item.uri` reads
    /// `uri`), when they read `item` only through its fields; `None` when
    /// one reads it whole (`numberKey(item)`, `item["uri"]`). What the
    /// evaluation warms of each item before the rule checks it: a hint for
    /// speed, which changes no result. (Warming only what `when` and
    /// `assert` read, the parts run on every item, measured slower:
    /// BENCHMARKS.md.)
    pub fn item_fields(&self) -> Option<Vec<&str>> {
        let mut fields: Vec<&str> = Vec::new();
        for expr in self.expressions() {
            let uses = expr.variables.iter().filter(|(v, _)| v == "item").count();
            // Paths written on `item` itself; those through a comprehension
            // variable (`item.list.exists(p, p.x)`, listed as
            // `item.list.[].x`) are not uses of `item` of their own.
            let mut direct = 0;
            for (path, _) in &expr.paths {
                let [root, field, ..] = path.as_slice() else {
                    continue;
                };
                if root != "item" {
                    continue;
                }
                // `item` iterated itself: every member is read.
                if field == "[]" {
                    return None;
                }
                if !path.iter().any(|p| p == "[]") {
                    direct += 1;
                }
                if !fields.contains(&field.as_str()) {
                    fields.push(field);
                }
            }
            if uses != direct {
                return None;
            }
        }
        Some(fields)
    }
}

/// A rule's documentation, shown by `rcaudit explain`.
#[derive(Debug, Clone, Default)]
pub struct Docs {
    /// What it checks.
    pub description: String,
    /// Why it matters.
    pub why: Option<String>,
    /// How to fix it in the account.
    pub fix: Option<String>,
    /// Links to the RingCentral documentation.
    pub references: Vec<String>,
}

/// Where something was defined, for diagnostics.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The file.
    pub src: SourceText,
    /// Where in the file.
    pub span: SourceSpan,
}

/// A validated, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Stable id (`RC-PN-003`), used by waivers, baselines and configs.
    pub id: String,
    /// Kebab-case name (the id, lower-cased, when the rule gives none).
    pub name: String,
    /// How serious a finding is (after the config's overrides).
    pub severity: Severity,
    /// One line stating what must hold.
    pub title: String,
    /// Its documentation, for `rcaudit explain`.
    pub docs: Docs,
    /// What it iterates: each item is checked on its own.
    pub targets: Vec<Target>,
    /// Items for which this is false are not checked.
    pub when: Option<Expression>,
    /// Must be true for every checked item; false is a finding.
    pub assert: Expression,
    /// The finding's message.
    pub message: Template,
    /// Where a finding points: a field of the item (`paymentType`,
    /// `contact.email`) or an absolute JSON pointer, possibly computed.
    pub at: Option<At>,
    /// One finding per key: findings whose key was seen are dropped. The
    /// key is also the fingerprint's, unless `fingerprint` is given.
    pub key: Option<Expression>,
    /// The stable key of the item in the fingerprint (default: `key`, or by
    /// target). Unlike `key` it drops nothing: equal fingerprints are
    /// numbered (`#2`, `#3`).
    pub fingerprint: Option<Expression>,
    /// Declared and implied requirements.
    pub requires: Vec<Requirement>,
    /// `coveredBy`: per-extension targets (first) whose lists, when absent,
    /// are no gap while a top-level list that holds all their items
    /// (second, see [`Target::covering_list`]) is complete: present, and
    /// with no `errors` entry for it. Without that list, each extension
    /// lacking its own is counted as usual.
    pub covered_by: Vec<(Target, Target)>,
    /// Facts the rule reads, directly or through other facts.
    pub facts: Vec<usize>,
    /// Whether the rule is on (config can turn built-in rules off).
    pub enabled: bool,
    /// Where the rule is written.
    pub origin: Origin,
    /// The pack it came from (`core` for the built-in one).
    pub pack: Arc<str>,
}

/// A named expression computed once per snapshot.
#[derive(Debug, Clone)]
pub struct Fact {
    /// Its name, read as `facts.NAME`.
    pub name: String,
    /// The expression computing it.
    pub expr: Expression,
    /// Facts it reads (indexes into the rule set's facts; all earlier).
    pub depends: Vec<usize>,
    /// Top-level data it reads.
    pub requires: Vec<Requirement>,
    /// Where the fact is defined.
    pub origin: Origin,
}

/// Rules ready to evaluate.
#[derive(Clone)]
pub struct RuleSet {
    /// The rules, in the order of their files.
    pub rules: Vec<Rule>,
    /// In dependency order.
    pub facts: Vec<Fact>,
    /// Parameters: pack defaults merged with config.
    pub params: Node,
    /// Limits on evaluation.
    pub limits: crate::eval::Limits,
    pub(crate) env: Arc<cel::Env>,
}

impl RuleSet {
    /// The rule with id `id`.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules)
            .field("facts", &self.facts)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}
