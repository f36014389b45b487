//! Running one rule: its requirements, then each item of its targets
//! (`when`, `assert`), and for each violation a finding with its message,
//! pointer and fingerprint; failures are rule errors, one per distinct
//! message.

use std::collections::HashMap;

use cel::Context;
use cel::common::types::{CelInt, CelString};
use rcaudit_model::{Node, pointer};

use super::bindings::{Data, Facts, ItemVars, Place, Scope, Shared, boolean, value};
use super::gaps::Gaps;
use super::outcome::{Finding, NotEvaluated, Outcome, RuleError};
use super::requirements::{Coverage, present, target_data, unmet, why_absent};
use crate::expr::Expression;
use crate::functions;
use crate::rule::{At, Requirement, Rule, RuleSet, Target};
use crate::template::{self, Part, Template};

/// Collects rule errors, one entry per distinct failure.
pub(super) struct Errors<'r> {
    pub(super) rule: &'r Rule,
    pub(super) entries: Vec<RuleError>,
    pub(super) index: HashMap<(String, String), usize>,
}

impl<'r> Errors<'r> {
    pub(super) fn new(rule: &'r Rule) -> Errors<'r> {
        Errors {
            rule,
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }

    pub(super) fn push(&mut self, part: &str, message: String, place: Place) {
        let key = (part.to_owned(), message);
        if let Some(&i) = self.index.get(&key) {
            if let Some(entry) = self.entries.get_mut(i) {
                entry.count += 1;
            }
            return;
        }
        self.index.insert(key.clone(), self.entries.len());
        self.entries.push(RuleError {
            rule_id: self.rule.id.clone(),
            part: key.0,
            message: key.1,
            pointer: Some(place.pointer()),
            count: 1,
        });
    }
}

/// A rule about to run, or the outcome of one that does not.
pub(super) enum Start<'r> {
    /// The rule does not run (its requirements are unmet, its targets have
    /// no data, or a fact it reads failed): its whole outcome.
    Done(Outcome),
    /// The rule runs over these targets, in this order.
    Run(Box<Run<'r>>, Vec<Target>),
}

/// Decides whether `rule` runs, and prepares its run.
pub(super) fn start<'r>(rule: &'r Rule, rules: &RuleSet, data: &Data, facts: &Facts) -> Start<'r> {
    let mut outcome = Outcome::default();
    for requirement in &rule.requires {
        if let Some(reason) = unmet(requirement, data, rules) {
            outcome.not_evaluated.push(NotEvaluated {
                rule_id: rule.id.clone(),
                reason,
                requirement: requirement.to_string(),
                skipped: None,
            });
            return Start::Done(outcome);
        }
    }
    // Targets that have data.
    let coverage = Coverage::of(rule, data);
    let mut missing = Vec::new();
    let mut available = Vec::new();
    for &target in &rule.targets {
        match target_data(target, data, rule, coverage.covers(target)) {
            Ok(()) => available.push(target),
            Err(reason) => missing.push(reason),
        }
    }
    if available.is_empty() {
        outcome.not_evaluated.push(NotEvaluated {
            rule_id: rule.id.clone(),
            reason: missing.join("; "),
            requirement: rule
                .targets
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            skipped: None,
        });
        return Start::Done(outcome);
    }
    // A fact the rule reads failed: the rule cannot run, and says why.
    let mut stopped = false;
    for &i in &rule.facts {
        if facts.values.get(i).is_some_and(Option::is_some) {
            continue;
        }
        stopped = true;
        let name = facts.names.get(i).cloned().unwrap_or_default();
        let message = facts.errors.get(i).cloned().flatten().unwrap_or_else(|| {
            "the fact could not be computed (a fact it reads failed)".to_owned()
        });
        if facts.errors.get(i).is_some_and(Option::is_some)
            || !rule
                .facts
                .iter()
                .any(|&d| facts.errors.get(d).is_some_and(Option::is_some))
        {
            outcome.rule_errors.push(RuleError {
                rule_id: rule.id.clone(),
                part: format!("fact {name}"),
                message,
                pointer: None,
                count: 1,
            });
        }
    }
    if stopped {
        return Start::Done(outcome);
    }
    let mut run = Run {
        rule,
        steps: rules.limits.steps,
        rule_steps: rules.limits.rule_steps,
        spent: 0,
        errors: Errors::new(rule),
        findings: Vec::new(),
        keys: HashMap::new(),
        gaps: Gaps::default(),
        covered: Vec::new(),
    };
    for reason in missing {
        run.gaps.absent_list(reason);
    }
    run.gaps.absent_because = vec![
        ("forwardingNumbers", why_absent(data, "forwardingNumbers")),
        ("phoneNumbers", why_absent(data, "extensionPhoneNumbers")),
    ];
    for (reason, list) in coverage.incomplete {
        run.gaps.incomplete_list(reason, list);
    }
    run.covered = coverage.covered;
    Start::Run(Box::new(run), available)
}

impl Run<'_> {
    /// The outcome of a rule that ran over all its targets.
    pub(super) fn finish(self) -> Outcome {
        let mut outcome = Outcome {
            rules_run: 1,
            ..Outcome::default()
        };
        outcome.rule_errors.extend(self.errors.entries);
        outcome.findings.extend(self.findings);
        if let Some(entry) = self.gaps.not_evaluated(self.rule) {
            outcome.not_evaluated.push(entry);
        }
        outcome
    }
}

/// How many blocks `target` walks in: its items, or for the per-extension
/// lists, the extensions.
pub(super) fn target_len(target: Target, data: &Data) -> usize {
    let len = |node: Option<&Node>| node.and_then(Node::as_array).map_or(0, <[Node]>::len);
    match target {
        Target::Snapshot | Target::Account => 1,
        Target::Extensions | Target::ExtensionPhoneNumbers | Target::ForwardingNumbers => {
            len(data.extensions.as_ref())
        }
        Target::PhoneNumbers => len(data.phone_numbers.as_ref()),
        Target::Errors => len(data.root.get("errors")),
    }
}

/// What every item of a target shares (see [`Shared`]).
pub(super) fn shared<'s>(
    target: Target,
    ctx: &'s Context<'_, 'static>,
    globals: &'s crate::plan::Globals<'s>,
    env: &'s cel::Env,
) -> Shared<'s> {
    let mut target_ctx = ctx.new_inner_scope();
    target_ctx.add_variable_as_val("target", Box::new(CelString::from(target.as_str())));
    Shared {
        ctx: target_ctx,
        target: CelString::from(target.as_str()),
        globals,
        env,
    }
}

pub(super) struct Run<'r> {
    pub(super) rule: &'r Rule,
    /// Steps each item may take ([`Limits::steps`]).
    pub(super) steps: u64,
    /// Steps the rule may take ([`Limits::rule_steps`]), and has taken.
    pub(super) rule_steps: u64,
    pub(super) spent: u64,
    pub(super) errors: Errors<'r>,
    pub(super) findings: Vec<Finding>,
    /// Keys already reported (rules with a `key` report each key once).
    pub(super) keys: HashMap<String, usize>,
    /// What the rule could not see.
    pub(super) gaps: Gaps,
    /// Per-extension targets whose absent lists are no gap (`coveredBy`).
    pub(super) covered: Vec<Target>,
}

impl Run<'_> {
    /// Checks the items of `target` in `range` (of its items, or for the
    /// per-extension lists, of the extensions; see [`target_len`]).
    pub(super) fn target(
        &mut self,
        target: Target,
        data: &Data,
        ctx: &Shared<'_>,
        range: std::ops::Range<usize>,
    ) {
        match target {
            Target::Snapshot if range.start == 0 => {
                self.item(ctx, data, &data.root, Place::Root, 0, None);
            }
            Target::Account if range.start == 0 => {
                if let Some(account) = &data.account {
                    self.item(ctx, data, account, Place::Account, 0, None);
                }
            }
            Target::Snapshot | Target::Account => {}
            Target::Extensions => {
                self.top_list(ctx, data, data.extensions.as_ref(), "extensions", range);
            }
            Target::PhoneNumbers => {
                self.top_list(
                    ctx,
                    data,
                    data.phone_numbers.as_ref(),
                    "phoneNumbers",
                    range,
                );
            }
            Target::Errors => self.top_list(ctx, data, data.root.get("errors"), "errors", range),
            Target::ExtensionPhoneNumbers => {
                let covered = self.covered.contains(&target);
                self.nested(ctx, data, "phoneNumbers", covered, range);
            }
            Target::ForwardingNumbers => {
                let covered = self.covered.contains(&target);
                self.nested(ctx, data, "forwardingNumbers", covered, range);
            }
        }
    }

    pub(super) fn top_list(
        &mut self,
        ctx: &Shared<'_>,
        data: &Data,
        list: Option<&Node>,
        name: &'static str,
        range: std::ops::Range<usize>,
    ) {
        let Some(items) = list.and_then(Node::as_array) else {
            return;
        };
        let Some(block) = items.get(range.clone()) else {
            return;
        };
        for (i, item) in (range.start..).zip(block) {
            self.item(ctx, data, item, Place::Top(name, i), i, None);
        }
    }

    /// Walks each extension's `field` list. With `covered`, an extension
    /// without the list is passed over silently: a complete top-level list
    /// holds its items, and the rule walks that list too (`coveredBy`).
    pub(super) fn nested(
        &mut self,
        ctx: &Shared<'_>,
        data: &Data,
        field: &'static str,
        covered: bool,
        range: std::ops::Range<usize>,
    ) {
        let Some(extensions) = data.extensions.as_ref().and_then(Node::as_array) else {
            return;
        };
        let Some(block) = extensions.get(range.clone()) else {
            return;
        };
        let the_list =
            |path: &[String]| path.len() == 1 && path.first().is_some_and(|p| p == field);
        'ext: for (e, extension) in (range.start..).zip(block) {
            for requirement in &self.rule.requires {
                if let Requirement::ExtensionPresent(path) = requirement
                    && !present(extension, path)
                {
                    if covered && the_list(path) {
                        continue 'ext;
                    }
                    let at = Place::Top("extensions", e);
                    self.gaps.skip(
                        "extension",
                        at,
                        ("extension", path),
                        data.failure_at(at, path),
                    );
                    continue 'ext;
                }
            }
            let Some(items) = extension.get(field).and_then(Node::as_array) else {
                if covered {
                    continue;
                }
                // Items the rule cannot see (absent means unknown, not none).
                let at = Place::Top("extensions", e);
                let path = [field];
                self.gaps.skip(
                    "extension",
                    at,
                    ("extension", &path),
                    data.failure_at(at, &path),
                );
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                self.item(
                    ctx,
                    data,
                    item,
                    Place::Nested(e, field, i),
                    i,
                    Some(extension),
                );
            }
        }
    }

    /// Checks one item, within the rule's step budget.
    pub(super) fn item(
        &mut self,
        ctx: &Shared<'_>,
        data: &Data,
        item: &Node,
        place: Place,
        index: usize,
        extension: Option<&Node>,
    ) {
        if self.spent > self.rule_steps {
            // One error counts every item left unchecked.
            self.errors.push(
                "rule",
                format!(
                    "the rule was stopped after {} steps over its items (elements visited by \
                     comprehensions); the items from this one on were not checked: raise \
                     `limits.ruleSteps` in rcaudit.yaml if the data really needs more",
                    self.rule_steps
                ),
                place,
            );
            return;
        }
        functions::Budget::start(self.steps);
        self.check_item(ctx, data, item, place, index, extension);
        self.spent = self.spent.saturating_add(functions::Budget::used());
    }

    pub(super) fn check_item(
        &mut self,
        ctx: &Shared<'_>,
        data: &Data,
        item: &Node,
        place: Place,
        index: usize,
        extension: Option<&Node>,
    ) {
        for requirement in &self.rule.requires {
            if let Requirement::ItemPresent(path) = requirement
                && !present(item, path)
            {
                self.gaps.skip(
                    noun(place),
                    place,
                    ("item", path),
                    data.failure_at(place, path),
                );
                return;
            }
        }
        let vars = ItemVars {
            item,
            index: CelInt::from(i64::try_from(index).unwrap_or(i64::MAX)),
            extension,
        };
        let scope = Scope::new(ctx, &vars);
        if let Some(when) = &self.rule.when {
            match boolean(when, &scope) {
                Ok(true) => {}
                Ok(false) => return,
                Err(message) => {
                    self.errors.push("when", message, place);
                    return;
                }
            }
        }
        match boolean(&self.rule.assert, &scope) {
            Ok(true) => {}
            Ok(false) => self.finding(&scope, item, place),
            Err(message) => self.errors.push("assert", message, place),
        }
    }

    /// The value of a `key` or `fingerprint` expression, as text.
    pub(super) fn key(
        &mut self,
        expr: Option<&Expression>,
        field: &'static str,
        scope: &Scope<'_>,
        place: Place,
    ) -> Option<String> {
        match value(expr?, scope) {
            Ok(value) => Some(template::render(value.as_ref())),
            Err(error) => {
                self.errors.push(field, error, place);
                None
            }
        }
    }

    pub(super) fn finding(&mut self, scope: &Scope<'_>, item: &Node, place: Place) {
        let rule = self.rule;
        let key = self.key(rule.key.as_ref(), "key", scope, place);
        if let Some(key) = &key {
            if self.keys.contains_key(key) {
                return;
            }
            self.keys.insert(key.clone(), self.findings.len());
        }
        let message = self.render(&rule.message, scope, place, "message");
        let item_pointer = place.pointer();
        let at = match &rule.at {
            Some(At::Path(path)) => Some(path.clone()),
            Some(At::Template(template)) => Some(self.render(template, scope, place, "at")),
            None => None,
        };
        let mut lent_value = None;
        let pointer = match at.as_deref() {
            Some(at) if at.starts_with('/') => at.to_owned(),
            Some(at) if crate::load::names::is_location(at) => {
                let relative = pointer::join("", at);
                if let Some(node) = item.pointer(&relative) {
                    lent_value = node.lent_str();
                    format!("{item_pointer}{relative}")
                } else {
                    item_pointer.clone()
                }
            }
            Some(at) => {
                self.errors.push(
                    "at",
                    format!("`{at}` is not a field path or JSON pointer"),
                    place,
                );
                item_pointer.clone()
            }
            None => item_pointer.clone(),
        };
        let fingerprint = format!(
            "{}:{}",
            rule.id,
            self.key(rule.fingerprint.as_ref(), "fingerprint", scope, place)
                .or(key)
                .unwrap_or_else(|| default_key(item, place, scope))
        );
        self.findings.push(Finding {
            rule_id: rule.id.clone(),
            severity: rule.severity,
            message: collapse_whitespace(&message),
            pointer,
            item_pointer,
            lent_value,
            fingerprint,
        });
    }
}

/// What an item at `place` is, in words.
pub(super) fn noun(place: Place) -> &'static str {
    match place {
        Place::Root => "snapshot",
        Place::Account => "account",
        Place::Top("extensions", _) => "extension",
        Place::Top("phoneNumbers", _) => "phone number",
        Place::Top(_, _) => "entry",
        Place::Nested(_, "forwardingNumbers", _) => "forwarding number",
        Place::Nested(_, _, _) => "extension phone number",
    }
}

impl Run<'_> {
    /// Renders a template for an item; a failing hole becomes `?` and a
    /// rule error.
    pub(super) fn render(
        &mut self,
        template: &Template,
        scope: &Scope<'_>,
        place: Place,
        part: &str,
    ) -> String {
        let mut out = String::new();
        for piece in &template.parts {
            match piece {
                Part::Text(text) => out.push_str(text),
                Part::Expr(expr, _) => match value(expr, scope) {
                    Ok(value) => out.push_str(&template::render(value.as_ref())),
                    Err(error) => {
                        self.errors.push(part, error, place);
                        out.push('?');
                    }
                },
            }
        }
        if part == "at" {
            out.trim().to_owned()
        } else {
            out
        }
    }
}

/// Messages come from YAML block scalars; keep them on one line.
pub(super) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The stable key of an item when the rule gives none: ids where the API
/// has them, normalised numbers otherwise.
pub(super) fn default_key(item: &Node, place: Place, scope: &Scope<'_>) -> String {
    let id = |node: &Node| node.get("id").and_then(Node::id_string);
    let number = |node: &Node| {
        node.get("phoneNumber")
            .and_then(Node::as_str)
            .map(|n| functions::normalize_number(n).to_owned())
    };
    let extension = || {
        scope.cel().get_variable("extension").and_then(|v| {
            rcaudit_model::cel::as_node(v.as_ref())
                .and_then(|n| n.get("id"))
                .and_then(Node::id_string)
        })
    };
    match place {
        Place::Root => "snapshot".to_owned(),
        Place::Account => format!("account:{}", id(item).unwrap_or_default()),
        Place::Top("extensions", i) => {
            id(item).map_or_else(|| format!("ext#{i}"), |id| format!("ext:{id}"))
        }
        Place::Top("phoneNumbers", i) => id(item)
            .map(|id| format!("phone:{id}"))
            .or_else(|| number(item).map(|n| format!("number:{n}")))
            .unwrap_or_else(|| format!("phone#{i}")),
        Place::Top(list, i) => item
            .get("pointer")
            .and_then(Node::as_str)
            .map_or_else(|| format!("{list}#{i}"), |p| format!("{list}:{p}")),
        Place::Nested(e, list, i) => {
            let ext = extension().unwrap_or_else(|| format!("#{e}"));
            let what = if list == "forwardingNumbers" {
                "fwd"
            } else {
                "phone"
            };
            let key = number(item)
                .or_else(|| id(item))
                .unwrap_or_else(|| format!("#{i}"));
            format!("ext:{ext}:{what}:{key}")
        }
    }
}
