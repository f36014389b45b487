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

/// Evaluates `expr`, within the step budget started by [`Budget::start`].
fn resolve<'e, 'v>(
    expr: &'e Expression,
    ctx: &'e Context<'_, 'v>,
) -> Result<CowVal<'e, 'v>, String> {
    match Value::resolve_val(&expr.ast, ctx) {
        // A value computed after the budget ran out may have swallowed the
        // error (`error || true` is true): it is not trusted.
        _ if functions::Budget::exhausted() => {
            Err(functions::budget_message(functions::Budget::limit()))
        }
        Ok(value) => Ok(value),
        Err(error) => Err(error.to_string()),
    }
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

    /// The `errors` entry saying a top-level list was not read in full:
    /// one at `/{name}` or inside it (the first by pointer, when several).
    fn list_failure(&self, name: &str) -> Option<&Node> {
        let at = format!("/{name}");
        self.errors
            .iter()
            .filter(|(pointer, _)| {
                pointer
                    .strip_prefix(&at)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, entry)| entry)
    }
}

/// What a rule's `coveredBy` waives on one snapshot.
#[derive(Debug, Default)]
struct Coverage {
    /// Per-extension targets whose absent lists are no gap: their covering
    /// list is present and was read in full.
    covered: Vec<Target>,
    /// Covering lists that are present but have an `errors` entry: they
    /// cover nothing, and are a gap themselves (reason, list).
    incomplete: Vec<(String, Target)>,
}

impl Coverage {
    fn of(rule: &Rule, data: &Data) -> Coverage {
        let mut coverage = Coverage::default();
        for &(target, by) in &rule.covered_by {
            // The loader admits only what `Target::covering_list` names.
            let list = match by {
                Target::PhoneNumbers => data.phone_numbers.as_ref(),
                _ => None,
            };
            if list.and_then(Node::as_array).is_none() {
                // Absent: the per-extension lists are counted as usual.
                continue;
            }
            match data.list_failure(by.as_str()) {
                None => coverage.covered.push(target),
                Some(error) => {
                    let reason = format!("`{by}` is incomplete: {}", describe_error(error));
                    if !coverage.incomplete.iter().any(|(r, _)| *r == reason) {
                        coverage.incomplete.push((reason, by));
                    }
                }
            }
        }
        coverage
    }

    fn covers(&self, target: Target) -> bool {
        self.covered.contains(&target)
    }
}

/// Facts computed so far, bound as the `facts` variable (a map).
#[derive(Clone, Debug, Default)]
struct Facts {
    names: Vec<String>,
    values: Vec<Option<Arc<dyn Val>>>,
    /// Why a fact that was computed failed, by index; reported against the
    /// rules that read it and would otherwise run (a rule gets one verdict).
    errors: Vec<Option<String>>,
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

/// The stack of the threads rules are evaluated on. CEL's interpreter
/// recurses once per level of an expression (a few KiB a level in debug
/// builds); the loader bounds expression depth ([`crate::expr::MAX_DEPTH`]),
/// and this stack holds that depth with a wide margin. It is reserved, not
/// committed: pages are used only as deep as an evaluation goes.
pub const EVAL_STACK_BYTES: usize = 256 << 20;

/// [`evaluate`] on up to `threads` threads. Rules are independent once the
/// facts are computed, so threads take the next rule until none is left;
/// the outcome is the same, in rule order, whatever the thread count.
///
/// Evaluation runs on threads with an explicit stack
/// ([`EVAL_STACK_BYTES`]). A rule whose evaluation panics (a bug in the
/// engine or in `cel`) becomes a [`RuleError`] of that rule, never a missing
/// result; the other rules are not affected.
pub fn evaluate_with(rules: &RuleSet, root: &Node, threads: usize) -> Outcome {
    on_eval_stack(|| evaluate_on(rules, root, threads)).unwrap_or_else(|| {
        // A panic escaped every `catch_unwind` (each rule and fact has its
        // own, so it cannot): no rule may look as if it had passed.
        Outcome {
            rule_errors: rules
                .rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| panicked(&r.id, "rule", "the evaluation failed"))
                .collect(),
            ..Outcome::default()
        }
    })
}

/// Runs `f` on a scoped thread with [`EVAL_STACK_BYTES`] of stack (on this
/// thread when no thread can be started); `None` if it panicked.
pub(crate) fn on_eval_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    let mut f = Some(f);
    let outcome = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("rcaudit-eval".to_owned())
            .stack_size(EVAL_STACK_BYTES)
            .spawn_scoped(scope, || f.take().map(|f| f()));
        handle.ok().map(|h| h.join().ok().flatten())
    });
    match outcome {
        Some(value) => value,
        None => f.map(|f| f()),
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// The rule error of a rule whose evaluation panicked.
fn panicked(rule_id: &str, part: &str, message: &str) -> RuleError {
    RuleError {
        rule_id: rule_id.to_owned(),
        part: part.to_owned(),
        message: format!(
            "evaluating the rule failed unexpectedly ({message}); this is a bug in rcaudit, \
             and none of the rule's results are reported"
        ),
        pointer: None,
        count: 1,
    }
}

fn evaluate_on(rules: &RuleSet, root: &Node, threads: usize) -> Outcome {
    let data = Data::new(root);
    let mut outcome = Outcome::default();
    let started = std::time::Instant::now();
    let facts = compute_facts(rules, &data);
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
            // A panic ends this rule with a rule error, and nothing else:
            // whatever the rule had found so far is discarded with it.
            let part = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut part = Outcome::default();
                evaluate_rule(rule, rules, &data, &facts, &ctx, &mut part);
                part
            }));
            let mut part = part.unwrap_or_else(|payload| Outcome {
                rule_errors: vec![panicked(&rule.id, "rule", &panic_message(&*payload))],
                ..Outcome::default()
            });
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
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    std::thread::Builder::new()
                        .name("rcaudit-eval".to_owned())
                        .stack_size(EVAL_STACK_BYTES)
                        .spawn_scoped(scope, run)
                })
                .collect();
            let mut parts = Vec::new();
            let mut started = 0;
            // A thread that could not start leaves its share to the others
            // (and to this thread, below).
            for handle in handles.into_iter().flatten() {
                started += 1;
                parts.extend(handle.join().unwrap_or_default());
            }
            if started == 0 {
                parts.extend(run());
            }
            parts
        })
    };
    // Every enabled rule has a result: one without (its thread died outside
    // `catch_unwind`, which should not happen) is an error, never a pass.
    let mut has_result = vec![false; enabled.len()];
    for (i, _) in &parts {
        if let Some(slot) = has_result.get_mut(*i) {
            *slot = true;
        }
    }
    for (i, rule) in enabled.iter().enumerate() {
        if !has_result.get(i).copied().unwrap_or(false) {
            parts.push((
                i,
                Outcome {
                    rule_errors: vec![panicked(&rule.id, "rule", "its evaluation thread failed")],
                    ..Outcome::default()
                },
            ));
        }
    }
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

fn compute_facts(rules: &RuleSet, data: &Data) -> Facts {
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
            facts.errors.push(None);
            continue;
        }
        let ctx = data.context(rules, &facts);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            functions::Budget::start(rules.limits.steps);
            resolve(&fact.expr, &ctx).map(|value| Arc::<dyn Val>::from(value.into_owned()))
        }))
        .unwrap_or_else(|payload| {
            Err(format!(
                "evaluating the fact failed unexpectedly ({}); this is a bug in rcaudit",
                panic_message(&*payload)
            ))
        });
        match result {
            Ok(value) => {
                facts.values.push(Some(value));
                facts.errors.push(None);
            }
            Err(error) => {
                // Reported against each rule that reads the fact, when the
                // rule would run (see `evaluate_rule`).
                facts.values.push(None);
                facts.errors.push(Some(error));
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
        return;
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
        return;
    }
    outcome.rules_run += 1;
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
    for (reason, list) in coverage.incomplete {
        run.gaps.incomplete_list(reason, list);
    }
    run.covered = coverage.covered;
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
/// says it all (`docs/snapshot-format.md`, "Unknown versus empty").
#[derive(Debug, Default)]
struct Gaps {
    /// Why each absent target list is absent (each reason once).
    lists: Vec<String>,
    /// Lists present but not read in full, that a rule's `coveredBy` would
    /// have relied on: why, and which list.
    incomplete: Vec<(String, Target)>,
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

    fn incomplete_list(&mut self, reason: String, list: Target) {
        self.incomplete.push((reason, list));
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
        if count == 0 && self.lists.is_empty() && self.incomplete.is_empty() {
            return None;
        }
        let mut parts: Vec<String> = self
            .incomplete
            .iter()
            .map(|(reason, _)| format!("{reason}, so part of it could not be checked"))
            .chain(
                self.lists
                    .iter()
                    .map(|reason| format!("{reason}, so it could not be checked")),
            )
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
        for (_, list) in &self.incomplete {
            if !requirement.iter().any(|r| r == list.as_str()) {
                requirement.push(list.as_str().to_owned());
            }
        }
        Some(NotEvaluated {
            rule_id: rule.id.clone(),
            reason,
            requirement: requirement.join(", "),
            skipped: Some(count + self.lists.len() + self.incomplete.len()),
        })
    }
}

/// `Ok` when a target's list is there to iterate.
/// `Ok` when a target has items to iterate (or, for a per-extension target
/// whose rule counts extensions without the list, when there are extensions;
/// or when `covered`: a complete top-level list holds all its items, so
/// absent per-extension lists hide nothing).
fn target_data(target: Target, data: &Data, rule: &Rule, covered: bool) -> Result<(), String> {
    match target {
        Target::ExtensionPhoneNumbers | Target::ForwardingNumbers if covered => Ok(()),
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
    /// Steps each item may take ([`Limits::steps`]).
    steps: u64,
    /// Steps the rule may take ([`Limits::rule_steps`]), and has taken.
    rule_steps: u64,
    spent: u64,
    errors: Errors<'r>,
    findings: Vec<Finding>,
    /// Keys already reported (rules with a `key` report each key once).
    keys: HashMap<String, usize>,
    /// What the rule could not see.
    gaps: Gaps,
    /// Per-extension targets whose absent lists are no gap (`coveredBy`).
    covered: Vec<Target>,
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
            Target::ExtensionPhoneNumbers => {
                let covered = self.covered.contains(&target);
                self.nested(ctx, data, "phoneNumbers", covered);
            }
            Target::ForwardingNumbers => {
                let covered = self.covered.contains(&target);
                self.nested(ctx, data, "forwardingNumbers", covered);
            }
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

    /// Walks each extension's `field` list. With `covered`, an extension
    /// without the list is passed over silently: a complete top-level list
    /// holds its items, and the rule walks that list too (`coveredBy`).
    fn nested(
        &mut self,
        ctx: &Context<'_, 'static>,
        data: &Data,
        field: &'static str,
        covered: bool,
    ) {
        let Some(extensions) = data.extensions.as_ref().and_then(Node::as_array) else {
            return;
        };
        let the_list =
            |path: &[String]| path.len() == 1 && path.first().is_some_and(|p| p == field);
        'ext: for (e, extension) in extensions.iter().enumerate() {
            for requirement in &self.rule.requires {
                if let Requirement::ExtensionPresent(path) = requirement
                    && !present(extension, path)
                {
                    if covered && the_list(path) {
                        continue 'ext;
                    }
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
                if covered {
                    continue;
                }
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

    /// Checks one item, within the rule's step budget.
    fn item(
        &mut self,
        ctx: &Context<'_, '_>,
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

    fn check_item(
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
        match resolve(expr?, scope) {
            Ok(value) => Some(template::render(value.as_ref())),
            Err(error) => {
                self.errors.push(field, error, place);
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
            Some(at) if crate::load::names::is_location(at) => {
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
                Part::Expr(expr, _) => match resolve(expr, scope) {
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
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn boolean(expr: &Expression, ctx: &Context<'_, '_>) -> Result<bool, String> {
    match resolve(expr, ctx) {
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
        Err(error) => Err(error),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, RuleFile, load};

    fn load_with(text: &str, options: &LoadOptions) -> Result<RuleSet, Vec<String>> {
        let files = [RuleFile {
            name: "test.yaml".to_owned(),
            text: text.to_owned(),
            pack: "test".to_owned(),
        }];
        load(&files, options).map(|(rules, _)| rules).map_err(|e| {
            e.problems
                .iter()
                .map(|p| format!("{} {} (line {})", p.code, p.message, p.line()))
                .collect()
        })
    }

    fn rule_set(text: &str) -> RuleSet {
        load_with(text, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn one_rule(assert: &str) -> String {
        format!(
            "rules:\n  - id: T-1\n    severity: error\n    title: t\n    target: extensions\n    message: m\n    assert: '{assert}'\n"
        )
    }

    /// A 1,200-term sum overflowed the stack (SIGABRT) when evaluated: it is
    /// a load error pointing at the expression, for rules, facts and
    /// message templates alike.
    #[test]
    fn deep_expressions_are_load_errors() {
        let sum = vec!["1"; 1200].join("+");
        let errors = load_with(&one_rule(&format!("{sum} > 0")), &LoadOptions::default())
            .expect_err("too deep");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("rcaudit::rules::too-deep") && e.ends_with("(line 7)")),
            "{errors:?}"
        );
        let text = format!(
            "facts:\n  deep: '{sum}'\nrules:\n  - {{id: T-1, severity: error, title: t, target: account, assert: 'true', message: '{{{{ {sum} }}}}'}}\n"
        );
        let errors = load_with(&text, &LoadOptions::default()).expect_err("too deep");
        assert_eq!(
            errors
                .iter()
                .filter(|e| e.starts_with("rcaudit::rules::too-deep"))
                .count(),
            2,
            "{errors:?}"
        );
        // Far beyond what the parser could take: refused before parsing.
        let huge = vec!["1"; 50_000].join("+");
        let errors = load_with(&one_rule(&format!("{huge} > 0")), &LoadOptions::default())
            .expect_err("too many operators");
        assert!(errors.iter().any(|e| e.contains("operators")), "{errors:?}");
        // Just under the limit loads and evaluates.
        let fine = vec!["1"; expr_depth_fits()].join("+");
        let rules = rule_set(&one_rule(&format!("{fine} > 0")));
        let root = rcaudit_model::parse(r#"{"extensions": [{"id": 1}]}"#).expect("json");
        let outcome = evaluate_with(&rules, &root, 1);
        assert!(
            outcome.rule_errors.is_empty() && outcome.findings.is_empty(),
            "{outcome:?}"
        );
    }

    /// The longest `1+1+...` chain that fits [`crate::expr::MAX_DEPTH`].
    fn expr_depth_fits() -> usize {
        crate::expr::MAX_DEPTH - 2
    }

    /// Nested comprehensions over literal lists ran past 60 s and 3 GB:
    /// their cost is estimated at load time.
    #[test]
    fn costly_literal_comprehensions_are_load_errors() {
        let list = (1..=100)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let assert =
            format!("[{list}].map(a, [{list}].map(b, [{list}].map(c, a + b + c))).size() > 0");
        let errors = load_with(&one_rule(&assert), &LoadOptions::default()).expect_err("costly");
        assert!(
            errors
                .iter()
                .any(|e| e.starts_with("rcaudit::rules::too-costly")),
            "{errors:?}"
        );
        // Two levels of 100 are fine.
        let assert = format!("[{list}].map(a, [{list}].map(b, a + b)).size() > 0");
        rule_set(&one_rule(&assert));
    }

    /// Comprehensions over snapshot data are bounded at run time: a rule
    /// that runs out of steps is a rule error on that item, and the other
    /// items and rules go on.
    #[test]
    fn evaluation_has_a_step_budget() {
        let text = format!(
            "{}  - {{id: T-2, severity: error, title: t, target: extensions, assert: 'false', message: m}}\n",
            one_rule(
                "item.phoneNumbers.map(a, item.phoneNumbers.map(b, item.phoneNumbers.map(c, a + b + c))).size() == 0 || item.phoneNumbers.exists(x, true)"
            )
        );
        let options = LoadOptions {
            limits: Limits {
                steps: 10_000,
                ..Limits::default()
            },
            ..LoadOptions::default()
        };
        let rules = load_with(&text, &options).unwrap_or_else(|e| panic!("{e:?}"));
        let big: Vec<usize> = (0..30).collect();
        let root = rcaudit_model::parse(&format!(
            r#"{{"extensions": [{{"id": 1, "phoneNumbers": [1]}}, {{"id": 2, "phoneNumbers": {big:?}}}, {{"id": 3, "phoneNumbers": []}}]}}"#
        ))
        .expect("json");
        let outcome = evaluate_with(&rules, &root, 2);
        assert_eq!(outcome.rule_errors.len(), 1, "{:?}", outcome.rule_errors);
        let error = outcome.rule_errors.first().expect("one");
        assert_eq!(error.rule_id, "T-1");
        assert_eq!(error.pointer.as_deref(), Some("/extensions/1"));
        assert!(error.message.contains("10000 steps"), "{}", error.message);
        assert_eq!(
            outcome
                .findings
                .iter()
                .filter(|f| f.rule_id == "T-2")
                .count(),
            3
        );
    }

    /// A rule's steps over all its items are bounded too: once spent, the
    /// rule stops, and one rule error counts the items left unchecked.
    #[test]
    fn a_rule_has_a_step_budget_over_its_items() {
        let options = LoadOptions {
            limits: Limits {
                steps: 1_000,
                rule_steps: 2_500,
            },
            ..LoadOptions::default()
        };
        let rules = load_with(
            &one_rule("item.phoneNumbers.map(a, item.phoneNumbers.map(b, a + b)).size() < 0"),
            &options,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        // Each extension takes 30 + 30 * 30 = 930 steps: the rule has spent
        // 2,790 after three, and stops before the fourth.
        let big: Vec<usize> = (0..30).collect();
        let extensions: Vec<String> = (0..10)
            .map(|i| format!(r#"{{"id": {i}, "phoneNumbers": {big:?}}}"#))
            .collect();
        let root =
            rcaudit_model::parse(&format!(r#"{{"extensions": [{}]}}"#, extensions.join(", ")))
                .expect("json");
        let outcome = evaluate_with(&rules, &root, 1);
        assert_eq!(outcome.findings.len(), 3, "{:?}", outcome.findings);
        assert_eq!(outcome.rule_errors.len(), 1, "{:?}", outcome.rule_errors);
        let error = outcome.rule_errors.first().expect("one");
        assert_eq!(error.pointer.as_deref(), Some("/extensions/3"));
        assert_eq!(error.count, 7);
        assert!(error.message.contains("2500 steps"), "{}", error.message);
    }

    /// A panic inside `cel` (or a domain function) while one rule runs is a
    /// rule error of that rule; the rules the same thread takes after it,
    /// and the other threads' rules, still report.
    #[test]
    fn a_panicking_rule_is_a_rule_error_not_a_missing_result() {
        let mut rules = rule_set(
            r#"
rules:
  - {id: T-BOOM, severity: error, title: t, target: extensions,
     assert: 'normalize(item.extensionNumber) == "x"', message: m}
  - {id: T-A, severity: error, title: t, target: extensions, assert: 'false', message: a}
  - {id: T-B, severity: error, title: t, target: extensions, assert: 'false', message: b}
  - {id: T-C, severity: error, title: t, target: extensions, assert: 'false', message: c}
"#,
        );
        // The same functions, but `normalize` panics.
        let mut env = cel::Env::stdlib();
        env.add_overload(
            "normalize",
            "normalize_1",
            vec![types::DYN_TYPE],
            |_| -> Result<CowVal<'_, '_>, ExecutionError> { panic!("provoked") },
        )
        .expect("declared");
        rules.env = Arc::new(env);
        let root = rcaudit_model::parse(
            r#"{"extensions": [{"id": 1, "extensionNumber": "101"}, {"id": 2, "extensionNumber": "102"}]}"#,
        )
        .expect("json");
        for threads in [1, 2, 4] {
            let outcome = evaluate_with(&rules, &root, threads);
            let errors: Vec<(&str, &str)> = outcome
                .rule_errors
                .iter()
                .map(|e| (e.rule_id.as_str(), e.message.as_str()))
                .collect();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors.first().map(|e| e.0), Some("T-BOOM"));
            assert!(
                errors.first().is_some_and(|e| e.1.contains("provoked")),
                "{errors:?}"
            );
            let mut found: Vec<&str> = outcome
                .findings
                .iter()
                .map(|f| f.rule_id.as_str())
                .collect();
            found.dedup();
            assert_eq!(found, ["T-A", "T-B", "T-C"], "threads: {threads}");
        }
    }
}
