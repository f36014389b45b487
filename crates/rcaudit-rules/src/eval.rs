//! Evaluating a rule set against a snapshot tree.
//!
//! Facts are computed once, then each rule runs over the items of its
//! targets. A violated rule is a [`Finding`]; a rule whose data is missing is
//! [`NotEvaluated`] with the reason; an expression that fails on an item is a
//! [`RuleError`]. None of these stop the other rules.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use cel::common::traits::{Indexer, Sizer};
use cel::common::types::{self, CelBool, CelInt, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use cel::{Context, ExecutionError, Value};
use rcaudit_model::{Node, pointer};

use crate::expr::Expression;
use crate::functions::{self, PlanClass};
use crate::rule::{At, Requirement, Rule, RuleSet, Severity, Target};
use crate::template::{self, Part, Template};

/// A violated rule, on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    /// Where the finding points: the item, or its `at` field.
    pub pointer: String,
    /// The item the rule checked.
    pub item_pointer: String,
    /// Rule id and a stable key of the item: survives re-fetching and
    /// re-ordering.
    pub fingerprint: String,
}

/// A rule that could not run (or could not check some items), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEvaluated {
    pub rule_id: String,
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
    pub rule_id: String,
    /// Which part failed: `when`, `assert`, `message`, `key` or `fact NAME`.
    pub part: String,
    pub message: String,
    /// The first item it failed on.
    pub pointer: Option<String>,
    /// On how many items it failed with this message.
    pub count: usize,
}

/// Everything an evaluation found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub rule_errors: Vec<RuleError>,
    /// Rules that ran (enabled, requirements met).
    pub rules_run: usize,
    /// Time spent per rule, and on facts (`facts`), in evaluation order.
    pub timings: Vec<(String, std::time::Duration)>,
}

/// The snapshot's top-level values, bound as variables.
struct Data {
    root: Node,
    account: Option<Node>,
    extensions: Option<Node>,
    phone_numbers: Option<Node>,
    /// `errors` entries by their `pointer`.
    errors: HashMap<String, Node>,
}

impl Data {
    fn new(root: &Node) -> Data {
        let present = |key: &str| root.get(key).filter(|n| !n.is_null()).cloned();
        let errors = root
            .get("errors")
            .and_then(Node::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| Some((e.get("pointer")?.as_str()?.to_owned(), e.clone())))
                    .collect()
            })
            .unwrap_or_default();
        Data {
            account: present("account"),
            extensions: present("extensions"),
            phone_numbers: present("phoneNumbers"),
            root: root.clone(),
            errors,
        }
    }

    fn context(&self, rules: &RuleSet, facts: &Facts) -> Context<'static, 'static> {
        let mut ctx = Context::with_env(Arc::clone(&rules.env));
        let bind = |ctx: &mut Context<'static, 'static>, name: &str, node: Option<Node>| match node
        {
            Some(node) => ctx.add_variable_as_val(name, Box::new(node)),
            None => ctx.add_variable_as_val(name, Box::new(CelNull)),
        };
        bind(&mut ctx, "snapshot", Some(self.root.clone()));
        bind(&mut ctx, "account", self.account.clone());
        bind(
            &mut ctx,
            "serviceInfo",
            self.root.get("serviceInfo").cloned(),
        );
        bind(&mut ctx, "extensions", self.extensions.clone());
        bind(&mut ctx, "phoneNumbers", self.phone_numbers.clone());
        let source = self
            .root
            .get("source")
            .cloned()
            .unwrap_or_else(|| Node::Object(rcaudit_model::Object::new(Vec::new())));
        bind(&mut ctx, "source", Some(source));
        let errors = self
            .root
            .get("errors")
            .filter(|e| !e.is_null())
            .cloned()
            .unwrap_or_else(|| Node::Array(Arc::from(Vec::new())));
        bind(&mut ctx, "errors", Some(errors));
        bind(&mut ctx, "params", Some(rules.params.clone()));
        ctx.add_variable_as_val("facts", Box::new(facts.clone()));
        ctx
    }

    fn viewer_admin(&self) -> Option<bool> {
        self.root
            .get("source")?
            .get("viewer")?
            .get("admin")?
            .as_bool()
    }

    fn errors_entry(&self, pointer: &str) -> Option<&Node> {
        self.errors.get(pointer)
    }
}

/// Facts computed so far, bound as the `facts` variable (a map).
#[derive(Clone, Debug, Default)]
struct Facts {
    names: Vec<String>,
    values: Vec<Option<Arc<dyn Val>>>,
}

impl Val for Facts {
    fn get_type(&self) -> &types::Type {
        &types::MAP_TYPE
    }

    fn cel_type() -> &'static types::Type
    where
        Self: Sized,
    {
        &types::MAP_TYPE
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(self.clone())
    }
}

impl Indexer for Facts {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let name = idx
            .downcast_ref::<CelString>()
            .map(CelString::inner)
            .unwrap_or_default();
        self.names
            .iter()
            .position(|n| n == name)
            .and_then(|i| self.values.get(i))
            .and_then(Option::as_ref)
            .map(|v| CowVal::Borrowed(&**v as &dyn Val))
            .ok_or_else(|| {
                ExecutionError::function_error("facts", format!("fact `{name}` is not available"))
            })
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(idx).map(CowVal::into_owned)
    }
}

impl Sizer for Facts {
    fn size(&self) -> CelInt {
        CelInt::from(i64::try_from(self.names.len()).unwrap_or(i64::MAX))
    }
}

/// The per-item variables, served to CEL without allocating.
struct ItemVars<'a> {
    item: &'a Node,
    index: CelInt,
    extension: Option<&'a Node>,
}

impl cel::context::VariableResolver for ItemVars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "item" => Some(CowVal::Borrowed(self.item as &dyn Val)),
            "index" => Some(CowVal::Borrowed(&self.index as &dyn Val)),
            "extension" => self.extension.map(|e| CowVal::Borrowed(e as &dyn Val)),
            _ => None,
        }
    }
}

/// A child scope whose values may borrow for `'a` (the parent's are
/// `'static`, which outlives it).
fn item_scope<'a>(parent: &'a Context<'_, 'a>) -> Context<'a, 'a> {
    parent.new_inner_scope()
}

/// Where an item is, cheap to copy; its pointer is built only when needed.
#[derive(Debug, Clone, Copy)]
enum Place {
    Root,
    Account,
    Top(&'static str, usize),
    Nested(usize, &'static str, usize),
}

impl Place {
    fn pointer(self) -> String {
        let mut out = String::new();
        match self {
            Place::Root => {}
            Place::Account => out.push_str("/account"),
            Place::Top(list, i) => {
                pointer::push(&mut out, list);
                pointer::push_index(&mut out, i);
            }
            Place::Nested(ext, list, i) => {
                out.push_str("/extensions");
                pointer::push_index(&mut out, ext);
                pointer::push(&mut out, list);
                pointer::push_index(&mut out, i);
            }
        }
        out
    }
}

/// Evaluates every enabled rule of `rules` against a snapshot tree.
pub fn evaluate(rules: &RuleSet, root: &Node) -> Outcome {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    evaluate_with(rules, root, threads)
}

/// [`evaluate`] on up to `threads` threads. Rules are independent once the
/// facts are computed, so threads take the next rule until none is left;
/// the outcome is the same, in rule order, whatever the thread count.
pub fn evaluate_with(rules: &RuleSet, root: &Node, threads: usize) -> Outcome {
    let data = Data::new(root);
    let mut outcome = Outcome::default();
    let started = std::time::Instant::now();
    let facts = compute_facts(rules, &data, &mut outcome);
    outcome
        .timings
        .push(("facts".to_owned(), started.elapsed()));
    let enabled: Vec<&Rule> = rules.rules.iter().filter(|r| r.enabled).collect();
    // Threads take the rules with the most items first, so no thread is
    // left with a long rule at the end.
    let mut order: Vec<usize> = (0..enabled.len()).collect();
    let sizes = TargetSizes::of(&data);
    order.sort_by_key(|&i| std::cmp::Reverse(enabled.get(i).map_or(0, |r| sizes.items(r))));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || {
        let ctx = data.context(rules, &facts);
        let mut done = Vec::new();
        loop {
            let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&i) = order.get(taken) else { break };
            let Some(rule) = enabled.get(i) else { break };
            let started = std::time::Instant::now();
            let mut part = Outcome::default();
            evaluate_rule(rule, rules, &data, &facts, &ctx, &mut part);
            part.timings.push((rule.id.clone(), started.elapsed()));
            done.push((i, part));
        }
        done
    };
    let threads = threads.clamp(1, enabled.len().max(1));
    let mut parts: Vec<(usize, Outcome)> = if threads == 1 {
        run()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(run)).collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    };
    parts.sort_by_key(|(i, _)| *i);
    for (_, part) in parts {
        outcome.findings.extend(part.findings);
        outcome.not_evaluated.extend(part.not_evaluated);
        outcome.rule_errors.extend(part.rule_errors);
        outcome.rules_run += part.rules_run;
        outcome.timings.extend(part.timings);
    }
    disambiguate(&mut outcome.findings);
    outcome
}

/// How many items each target has, to schedule the biggest rules first.
struct TargetSizes {
    extensions: usize,
    phone_numbers: usize,
    extension_phone_numbers: usize,
    forwarding_numbers: usize,
    errors: usize,
}

impl TargetSizes {
    fn of(data: &Data) -> TargetSizes {
        let len = |node: Option<&Node>| node.and_then(Node::as_array).map_or(0, <[Node]>::len);
        let nested = |field: &str| {
            data.extensions
                .as_ref()
                .and_then(Node::as_array)
                .map_or(0, |exts| exts.iter().map(|e| len(e.get(field))).sum())
        };
        TargetSizes {
            extensions: len(data.extensions.as_ref()),
            phone_numbers: len(data.phone_numbers.as_ref()),
            extension_phone_numbers: nested("phoneNumbers"),
            forwarding_numbers: nested("forwardingNumbers"),
            errors: len(data.root.get("errors")),
        }
    }

    fn items(&self, rule: &Rule) -> usize {
        rule.targets
            .iter()
            .map(|t| match t {
                Target::Snapshot | Target::Account => 1,
                Target::Extensions => self.extensions,
                Target::PhoneNumbers => self.phone_numbers,
                Target::ExtensionPhoneNumbers => self.extension_phone_numbers,
                Target::ForwardingNumbers => self.forwarding_numbers,
                Target::Errors => self.errors,
            })
            .sum()
    }
}

fn compute_facts(rules: &RuleSet, data: &Data, outcome: &mut Outcome) -> Facts {
    let mut needed = vec![false; rules.facts.len()];
    for rule in rules.rules.iter().filter(|r| r.enabled) {
        for &i in &rule.facts {
            if let Some(slot) = needed.get_mut(i) {
                *slot = true;
            }
        }
    }
    let mut facts = Facts::default();
    for (i, fact) in rules.facts.iter().enumerate() {
        facts.names.push(fact.name.clone());
        let available = needed.get(i).copied().unwrap_or(false)
            && fact
                .requires
                .iter()
                .all(|r| unmet(r, data, rules).is_none())
            && fact
                .depends
                .iter()
                .all(|&d| facts.values.get(d).is_some_and(Option::is_some));
        if !available {
            facts.values.push(None);
            continue;
        }
        let ctx = data.context(rules, &facts);
        match Value::resolve_val(&fact.expr.ast, &ctx) {
            Ok(value) => facts.values.push(Some(Arc::from(value.into_owned()))),
            Err(error) => {
                // Reported against each rule that reads the fact.
                for rule in rules
                    .rules
                    .iter()
                    .filter(|r| r.enabled && r.facts.contains(&i))
                {
                    outcome.rule_errors.push(RuleError {
                        rule_id: rule.id.clone(),
                        part: format!("fact {}", fact.name),
                        message: error.to_string(),
                        pointer: None,
                        count: 1,
                    });
                }
                facts.values.push(None);
            }
        }
    }
    facts
}

/// Why a requirement is not met, or `None` when it is.
fn unmet(requirement: &Requirement, data: &Data, rules: &RuleSet) -> Option<String> {
    match requirement {
        Requirement::Admin => match data.viewer_admin() {
            Some(true) => None,
            Some(false) => Some(
                "the snapshot was taken by a non-administrator (source.viewer.admin is false), \
                 who sees only other extensions' direct numbers and no features"
                    .to_owned(),
            ),
            None => Some(
                "the snapshot does not say whether it was taken by an administrator \
                 (source.viewer.admin is absent), and a non-administrator sees less"
                    .to_owned(),
            ),
        },
        Requirement::PlanClass => {
            let account = data.account.as_ref()?;
            let class = functions::plan_class_val(
                account,
                rules.params.get("plans").unwrap_or(&Node::Null),
            );
            (class == PlanClass::Unknown).then(|| match functions::plan_name(account) {
                Some(_) => "the account's plan class is unknown: account.serviceInfo.servicePlan.name is empty".to_owned(),
                None => "the account's plan class is unknown: account.serviceInfo.servicePlan.name is absent".to_owned(),
            })
        }
        Requirement::Present(path) => {
            let mut node = &data.root;
            let mut walked = String::new();
            for field in path {
                pointer::push(&mut walked, field);
                if let Some(next) = node.get(field).filter(|n| !n.is_null()) {
                    node = next;
                } else {
                    let mut reason = format!("`{}` is absent from the snapshot", path.join("."));
                    if let Some(error) = data.errors_entry(&walked) {
                        let _ = write!(reason, ": {}", describe_error(error));
                    } else if path.len() == 1
                        && matches!(
                            field.as_str(),
                            "phoneNumbers" | "extensions" | "serviceInfo"
                        )
                    {
                        reason.push_str(" (not fetched)");
                    }
                    return Some(reason);
                }
            }
            None
        }
        // Checked per item.
        Requirement::ItemPresent(_) | Requirement::ExtensionPresent(_) => None,
    }
}

/// A snapshot `errors` entry in words.
fn describe_error(error: &Node) -> String {
    let field = |name: &str| {
        error
            .get(name)
            .map(|n| n.id_string().unwrap_or_else(|| format!("{n:?}")))
    };
    let mut out = String::new();
    if let Some(request) = field("request") {
        out.push_str(&request);
        out.push_str(" failed");
    } else {
        out.push_str("fetching it failed");
    }
    if let Some(status) = field("status") {
        let _ = write!(out, " with {status}");
    }
    if let Some(code) = field("errorCode") {
        let _ = write!(out, " {code}");
    }
    if let Some(message) = error.get("message").and_then(Node::as_str) {
        let _ = write!(out, " ({message})");
    }
    out
}

fn present<'a>(node: &'a Node, path: &[String]) -> bool {
    let mut node: &'a Node = node;
    for field in path {
        match node.get(field).filter(|n| !n.is_null()) {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

/// Collects rule errors, one entry per distinct failure.
struct Errors<'r> {
    rule: &'r Rule,
    entries: Vec<RuleError>,
    index: HashMap<(String, String), usize>,
}

impl<'r> Errors<'r> {
    fn new(rule: &'r Rule) -> Errors<'r> {
        Errors {
            rule,
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn push(&mut self, part: &str, message: String, place: Place) {
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

fn evaluate_rule(
    rule: &Rule,
    rules: &RuleSet,
    data: &Data,
    facts: &Facts,
    ctx: &Context<'_, 'static>,
    outcome: &mut Outcome,
) {
    for requirement in &rule.requires {
        if let Some(reason) = unmet(requirement, data, rules) {
            outcome.not_evaluated.push(NotEvaluated {
                rule_id: rule.id.clone(),
                reason,
                requirement: requirement.to_string(),
                skipped: None,
            });
            return;
        }
    }
    for &i in &rule.facts {
        if facts.values.get(i).is_none_or(Option::is_none) {
            // The fact failed; its error is already reported for this rule.
            return;
        }
    }
    // Targets that have data.
    let mut missing = Vec::new();
    let mut available = Vec::new();
    for &target in &rule.targets {
        match target_data(target, data, rule) {
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
        return;
    }
    outcome.rules_run += 1;
    let mut run = Run {
        rule,
        errors: Errors::new(rule),
        findings: Vec::new(),
        keys: HashMap::new(),
        gaps: Gaps::default(),
    };
    for reason in missing {
        run.gaps.absent_list(reason);
    }
    for target in available {
        let mut target_ctx = ctx.new_inner_scope();
        target_ctx.add_variable_as_val("target", Box::new(CelString::from(target.as_str())));
        run.target(target, data, &target_ctx);
    }
    outcome.rule_errors.extend(run.errors.entries);
    outcome.findings.extend(run.findings);
    if let Some(entry) = run.gaps.not_evaluated(rule) {
        outcome.not_evaluated.push(entry);
    }
}

/// What a rule that ran could not see: lists absent altogether, and items
/// (or extensions) skipped for a missing field. One not-evaluated entry
/// says it all (CATALOGUE.md, partial coverage).
#[derive(Debug, Default)]
struct Gaps {
    /// Why each absent target list is absent (each reason once).
    lists: Vec<String>,
    /// Items skipped, by noun, each item once (extensions by index).
    skipped: Vec<(&'static str, BTreeSet<String>)>,
    /// The missing fields, as requirements (`extension.forwardingNumbers`).
    fields: Vec<String>,
    /// Fetch failures recorded for the skipped places: the first, and how many.
    failures: Option<(String, usize)>,
}

impl Gaps {
    fn absent_list(&mut self, reason: String) {
        if !self.lists.contains(&reason) {
            self.lists.push(reason);
        }
    }

    /// Records that an item (`place`, e.g. an extension's pointer) was not
    /// checked because `field` is missing there.
    fn skip(&mut self, noun: &'static str, place: String, field: String, failure: Option<&Node>) {
        match self.skipped.iter_mut().find(|(n, _)| *n == noun) {
            Some((_, places)) => {
                places.insert(place);
            }
            None => self.skipped.push((noun, BTreeSet::from([place]))),
        }
        if !self.fields.contains(&field) {
            self.fields.push(field);
        }
        if let Some(error) = failure {
            match &mut self.failures {
                Some((_, count)) => *count += 1,
                None => self.failures = Some((describe_error(error), 1)),
            }
        }
    }

    fn not_evaluated(self, rule: &Rule) -> Option<NotEvaluated> {
        let count: usize = self.skipped.iter().map(|(_, places)| places.len()).sum();
        if count == 0 && self.lists.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self
            .lists
            .iter()
            .map(|reason| format!("{reason}, so it could not be checked"))
            .collect();
        if count > 0 {
            let what = self
                .skipped
                .iter()
                .map(|(noun, places)| {
                    let n = places.len();
                    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
                })
                .collect::<Vec<_>>()
                .join(" and ");
            let names: Vec<String> = self
                .fields
                .iter()
                .map(|f| {
                    format!(
                        "`{}`",
                        f.split_once('.').map_or(f.as_str(), |(_, rest)| rest)
                    )
                })
                .collect();
            let verb = if names.len() == 1 { "is" } else { "are" };
            let mut part = format!(
                "{what} could not be checked: {} {verb} absent",
                names.join(", ")
            );
            match &self.failures {
                Some((first, 1)) if count == 1 => {
                    let _ = write!(part, " (it could not be fetched: {first})");
                }
                Some((first, 1)) => {
                    let _ = write!(part, " (1 could not be fetched: {first})");
                }
                Some((first, n)) => {
                    let _ = write!(part, " ({n} could not be fetched, e.g. {first})");
                }
                None => part.push_str(" (not fetched)"),
            }
            parts.push(part);
        }
        let mut reason = parts.join("; ");
        reason.push_str("; the rest was checked");
        let mut requirement: Vec<String> = self.fields;
        if !self.lists.is_empty() {
            requirement.extend(rule.targets.iter().map(|t| t.as_str().to_owned()));
        }
        Some(NotEvaluated {
            rule_id: rule.id.clone(),
            reason,
            requirement: requirement.join(", "),
            skipped: Some(count + self.lists.len()),
        })
    }
}

/// `Ok` when a target's list is there to iterate.
/// `Ok` when a target has items to iterate (or, for a per-extension target
/// whose rule counts extensions without the list, when there are extensions).
fn target_data(target: Target, data: &Data, rule: &Rule) -> Result<(), String> {
    match target {
        Target::Snapshot | Target::Errors => Ok(()),
        Target::Account => data
            .account
            .as_ref()
            .map(|_| ())
            .ok_or_else(|| "`account` is absent from the snapshot".to_owned()),
        Target::Extensions => list(data, data.extensions.as_ref(), "extensions"),
        Target::PhoneNumbers => list(data, data.phone_numbers.as_ref(), "phoneNumbers"),
        Target::ExtensionPhoneNumbers | Target::ForwardingNumbers => {
            let field = if target == Target::ForwardingNumbers {
                "forwardingNumbers"
            } else {
                "phoneNumbers"
            };
            list(data, data.extensions.as_ref(), "extensions")?;
            // No extensions: no lists to see, nothing unknown ([] means none).
            if data
                .extensions
                .as_ref()
                .and_then(Node::as_array)
                .is_some_and(<[Node]>::is_empty)
            {
                return Ok(());
            }
            let counted = rule.requires.iter().any(
                |r| matches!(r, Requirement::ExtensionPresent(path) if path.first().map(String::as_str) == Some(field)),
            );
            let any = data
                .extensions
                .as_ref()
                .and_then(Node::as_array)
                .is_some_and(|exts| {
                    exts.iter()
                        .any(|e| e.get(field).is_some_and(|l| l.as_array().is_some()))
                });
            if any || counted {
                Ok(())
            } else {
                Err(nested_absent(data, field))
            }
        }
    }
}

/// A top-level list is absent: say so, and why, from `errors`.
fn list(data: &Data, node: Option<&Node>, name: &str) -> Result<(), String> {
    match node {
        Some(n) if n.as_array().is_some() => Ok(()),
        _ => {
            let pointer = format!("/{name}");
            Err(match data.errors_entry(&pointer) {
                Some(error) => format!(
                    "`{name}` is absent from the snapshot: {}",
                    describe_error(error)
                ),
                None => format!("`{name}` is absent from the snapshot (not fetched)"),
            })
        }
    }
}

/// No extension has a per-extension list: say why, from `errors`.
fn nested_absent(data: &Data, field: &str) -> String {
    let failures: Vec<&Node> = data
        .root
        .get("errors")
        .and_then(Node::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter(|e| {
                    e.get("pointer")
                        .and_then(Node::as_str)
                        .and_then(|p| p.strip_prefix("/extensions/"))
                        .and_then(|rest| rest.split_once('/'))
                        .is_some_and(|(_, tail)| tail == field)
                })
                .collect()
        })
        .unwrap_or_default();
    match failures.first() {
        Some(first) => format!(
            "no extension's `{field}` is in the snapshot: {} could not be fetched, e.g. {}",
            failures.len(),
            describe_error(first)
        ),
        None => format!("no extension's `{field}` is in the snapshot (not fetched)"),
    }
}

struct Run<'r> {
    rule: &'r Rule,
    errors: Errors<'r>,
    findings: Vec<Finding>,
    /// Keys already reported (rules with a `key` report each key once).
    keys: HashMap<String, usize>,
    /// What the rule could not see.
    gaps: Gaps,
}

impl Run<'_> {
    fn target(&mut self, target: Target, data: &Data, ctx: &Context<'_, 'static>) {
        match target {
            Target::Snapshot => self.item(ctx, data, &data.root, Place::Root, 0, None),
            Target::Account => {
                if let Some(account) = &data.account {
                    self.item(ctx, data, account, Place::Account, 0, None);
                }
            }
            Target::Extensions => self.top_list(ctx, data, data.extensions.as_ref(), "extensions"),
            Target::PhoneNumbers => {
                self.top_list(ctx, data, data.phone_numbers.as_ref(), "phoneNumbers");
            }
            Target::Errors => self.top_list(ctx, data, data.root.get("errors"), "errors"),
            Target::ExtensionPhoneNumbers => self.nested(ctx, data, "phoneNumbers"),
            Target::ForwardingNumbers => self.nested(ctx, data, "forwardingNumbers"),
        }
    }

    fn top_list(
        &mut self,
        ctx: &Context<'_, 'static>,
        data: &Data,
        list: Option<&Node>,
        name: &'static str,
    ) {
        let Some(items) = list.and_then(Node::as_array) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            self.item(ctx, data, item, Place::Top(name, i), i, None);
        }
    }

    fn nested(&mut self, ctx: &Context<'_, 'static>, data: &Data, field: &'static str) {
        let Some(extensions) = data.extensions.as_ref().and_then(Node::as_array) else {
            return;
        };
        'ext: for (e, extension) in extensions.iter().enumerate() {
            for requirement in &self.rule.requires {
                if let Requirement::ExtensionPresent(path) = requirement
                    && !present(extension, path)
                {
                    let pointer = format!("/extensions/{e}/{}", path.join("/"));
                    self.gaps.skip(
                        "extension",
                        format!("/extensions/{e}"),
                        format!("extension.{}", path.join(".")),
                        data.errors_entry(&pointer),
                    );
                    continue 'ext;
                }
            }
            let Some(items) = extension.get(field).and_then(Node::as_array) else {
                // Items the rule cannot see (absent means unknown, not none).
                let pointer = format!("/extensions/{e}/{field}");
                self.gaps.skip(
                    "extension",
                    format!("/extensions/{e}"),
                    format!("extension.{field}"),
                    data.errors_entry(&pointer),
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

    fn item(
        &mut self,
        ctx: &Context<'_, '_>,
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
                let pointer = format!("{}/{}", place.pointer(), path.join("/"));
                self.gaps.skip(
                    noun(place),
                    place.pointer(),
                    format!("item.{}", path.join(".")),
                    data.errors_entry(&pointer),
                );
                return;
            }
        }
        // The item's variables come from a resolver on the stack: binding
        // them costs no allocation, which matters at millions of items.
        let vars = ItemVars {
            item,
            index: CelInt::from(i64::try_from(index).unwrap_or(i64::MAX)),
            extension,
        };
        let mut scope = item_scope(ctx);
        scope.set_variable_resolver(&vars);
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
    fn key(
        &mut self,
        expr: Option<&Expression>,
        field: &'static str,
        scope: &Context<'_, '_>,
        place: Place,
    ) -> Option<String> {
        match Value::resolve_val(&expr?.ast, scope) {
            Ok(value) => Some(template::render(value.as_ref())),
            Err(error) => {
                self.errors.push(field, error.to_string(), place);
                None
            }
        }
    }

    fn finding(&mut self, scope: &Context<'_, '_>, item: &Node, place: Place) {
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
        let pointer = match at.as_deref() {
            Some(at) if at.starts_with('/') => at.to_owned(),
            Some(at) if crate::load::is_location(at) => {
                let relative = pointer::join("", at);
                if item.pointer(&relative).is_some() {
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
            fingerprint,
        });
    }
}

/// What an item at `place` is, in words.
fn noun(place: Place) -> &'static str {
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
    fn render(
        &mut self,
        template: &Template,
        scope: &Context<'_, '_>,
        place: Place,
        part: &str,
    ) -> String {
        let mut out = String::new();
        for piece in &template.parts {
            match piece {
                Part::Text(text) => out.push_str(text),
                Part::Expr(expr, _) => match Value::resolve_val(&expr.ast, scope) {
                    Ok(value) => out.push_str(&template::render(value.as_ref())),
                    Err(error) => {
                        self.errors.push(part, error.to_string(), place);
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
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn boolean(expr: &Expression, ctx: &Context<'_, '_>) -> Result<bool, String> {
    match Value::resolve_val(&expr.ast, ctx) {
        Ok(value) => value
            .downcast_ref::<CelBool>()
            .map(|b| *b.inner())
            .ok_or_else(|| {
                format!(
                    "`{}` gave {}, not a bool",
                    expr.source.trim(),
                    value.get_type().name()
                )
            }),
        Err(error) => Err(error.to_string()),
    }
}

/// The stable key of an item when the rule gives none: ids where the API
/// has them, normalised numbers otherwise.
fn default_key(item: &Node, place: Place, scope: &Context<'_, '_>) -> String {
    let id = |node: &Node| node.get("id").and_then(Node::id_string);
    let number = |node: &Node| {
        node.get("phoneNumber")
            .and_then(Node::as_str)
            .map(|n| functions::normalize_number(n).to_owned())
    };
    let extension = || {
        scope.get_variable("extension").and_then(|v| {
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

/// Makes fingerprints unique within one rule: a second finding with the same
/// key gets `#2`, and so on, in document order.
pub fn disambiguate(findings: &mut [Finding]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for finding in findings.iter_mut() {
        let n = seen.entry(finding.fingerprint.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
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
