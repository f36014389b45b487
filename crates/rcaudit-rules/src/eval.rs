//! Evaluating a rule set against a snapshot tree.
//!
//! Facts are computed once, then each rule runs over the items of its
//! targets. A violated rule is a [`Finding`]; a rule whose data is missing is
//! [`NotEvaluated`] with the reason; an expression that fails on an item is a
//! [`RuleError`]. None of these stop the other rules.

use std::collections::HashMap;
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
}

/// The snapshot's top-level values, bound as variables.
struct Data {
    root: Node,
    account: Option<Node>,
    extensions: Option<Node>,
    phone_numbers: Option<Node>,
}

impl Data {
    fn new(root: &Node) -> Data {
        let present = |key: &str| root.get(key).filter(|n| !n.is_null()).cloned();
        Data {
            account: present("account"),
            extensions: present("extensions"),
            phone_numbers: present("phoneNumbers"),
            root: root.clone(),
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
        self.root
            .get("errors")?
            .as_array()?
            .iter()
            .find(|e| e.get("pointer").and_then(Node::as_str) == Some(pointer))
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
    let data = Data::new(root);
    let mut outcome = Outcome::default();
    let facts = compute_facts(rules, &data, &mut outcome);
    let ctx = data.context(rules, &facts);
    for rule in rules.rules.iter().filter(|r| r.enabled) {
        evaluate_rule(rule, rules, &data, &facts, &ctx, &mut outcome);
    }
    disambiguate(&mut outcome.findings);
    outcome
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
    ctx: &Context<'static, 'static>,
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
        skipped: Vec::new(),
        missing_fields: Vec::new(),
    };
    for target in available {
        let mut target_ctx = ctx.new_inner_scope();
        target_ctx.add_variable_as_val("target", Box::new(CelString::from(target.as_str())));
        run.target(target, data, &target_ctx);
    }
    outcome.rule_errors.extend(run.errors.entries);
    outcome.findings.extend(run.findings);
    let skipped: usize = run.skipped.iter().map(|(_, n)| n).sum();
    if skipped > 0 {
        outcome
            .not_evaluated
            .push(partial(rule, &run.missing_fields, &run.skipped));
    }
}

fn partial(rule: &Rule, fields: &[String], skipped: &[(&'static str, usize)]) -> NotEvaluated {
    let count: usize = skipped.iter().map(|(_, n)| n).sum();
    let what = skipped
        .iter()
        .map(|(noun, n)| format!("{n} {noun}{}", if *n == 1 { "" } else { "s" }))
        .collect::<Vec<_>>()
        .join(" and ");
    let fields = fields.join(", ");
    NotEvaluated {
        rule_id: rule.id.clone(),
        reason: format!(
            "{what} could not be checked: `{fields}` is absent (not fetched); the others were checked"
        ),
        requirement: fields,
        skipped: Some(count),
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
    /// Items skipped for a missing per-item requirement, by noun.
    skipped: Vec<(&'static str, usize)>,
    missing_fields: Vec<String>,
}

impl Run<'_> {
    fn target(&mut self, target: Target, data: &Data, ctx: &Context<'_, 'static>) {
        match target {
            Target::Snapshot => self.item(ctx, &data.root, Place::Root, 0, None),
            Target::Account => {
                if let Some(account) = &data.account {
                    self.item(ctx, account, Place::Account, 0, None);
                }
            }
            Target::Extensions => self.top_list(ctx, data.extensions.as_ref(), "extensions"),
            Target::PhoneNumbers => self.top_list(ctx, data.phone_numbers.as_ref(), "phoneNumbers"),
            Target::Errors => self.top_list(ctx, data.root.get("errors"), "errors"),
            Target::ExtensionPhoneNumbers => self.nested(ctx, data, "phoneNumbers"),
            Target::ForwardingNumbers => self.nested(ctx, data, "forwardingNumbers"),
        }
    }

    fn top_list(&mut self, ctx: &Context<'_, 'static>, list: Option<&Node>, name: &'static str) {
        let Some(items) = list.and_then(Node::as_array) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            self.item(ctx, item, Place::Top(name, i), i, None);
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
                    self.skip("extension");
                    self.note_missing(format!("extension.{}", path.join(".")));
                    continue 'ext;
                }
            }
            let Some(items) = extension.get(field).and_then(Node::as_array) else {
                continue;
            };
            for (i, item) in items.iter().enumerate() {
                self.item(ctx, item, Place::Nested(e, field, i), i, Some(extension));
            }
        }
    }

    fn skip(&mut self, noun: &'static str) {
        match self.skipped.iter_mut().find(|(n, _)| *n == noun) {
            Some((_, count)) => *count += 1,
            None => self.skipped.push((noun, 1)),
        }
    }

    fn note_missing(&mut self, field: String) {
        if !self.missing_fields.contains(&field) {
            self.missing_fields.push(field);
        }
    }

    fn item(
        &mut self,
        ctx: &Context<'_, 'static>,
        item: &Node,
        place: Place,
        index: usize,
        extension: Option<&Node>,
    ) {
        for requirement in &self.rule.requires {
            if let Requirement::ItemPresent(path) = requirement
                && !present(item, path)
            {
                self.skip(noun(place));
                self.note_missing(format!("item.{}", path.join(".")));
                return;
            }
        }
        let mut scope = ctx.new_inner_scope();
        scope.add_variable_as_val("item", Box::new(item.clone()));
        scope.add_variable_as_val(
            "index",
            Box::new(CelInt::from(i64::try_from(index).unwrap_or(i64::MAX))),
        );
        if let Some(extension) = extension {
            scope.add_variable_as_val("extension", Box::new(extension.clone()));
        }
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

    fn finding(&mut self, scope: &Context<'_, 'static>, item: &Node, place: Place) {
        let rule = self.rule;
        let key = match &rule.key {
            Some(expr) => match Value::resolve_val(&expr.ast, scope) {
                Ok(value) => Some(template::render(value.as_ref())),
                Err(error) => {
                    self.errors.push("key", error.to_string(), place);
                    None
                }
            },
            None => None,
        };
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
            key.unwrap_or_else(|| default_key(item, place, scope))
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
        scope: &Context<'_, 'static>,
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

fn boolean(expr: &Expression, ctx: &Context<'_, 'static>) -> Result<bool, String> {
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
fn default_key(item: &Node, place: Place, scope: &Context<'_, 'static>) -> String {
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
