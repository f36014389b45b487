//! Bindings: the snapshot's top-level values, the facts (computed once)
//! and each item's variables, as CEL sees them; and evaluating an
//! expression within the step budget.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::traits::{Indexer, Sizer};
use cel::common::types::{self, CelBool, CelInt, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use cel::{Context, ExecutionError, Value};
use rcaudit_model::{Node, pointer};
use rustc_hash::FxHashSet;

use crate::expr::Expression;
use crate::functions;
use crate::plan::{self, Frame, Global};
use crate::rule::RuleSet;

/// Evaluates `expr`, within the step budget started by [`Budget::start`].
pub(super) fn resolve<'e, 'v>(
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
pub(super) struct Data {
    pub(super) root: Node,
    pub(super) account: Option<Node>,
    pub(super) extensions: Option<Node>,
    pub(super) phone_numbers: Option<Node>,
    /// `errors` entries by their `pointer`.
    pub(super) errors: HashMap<String, Node>,
    /// The records `errors` entries point into: each top-level list's name
    /// and the indexes under it (`/extensions/781/...`). A rule that skips
    /// 100,000 extensions asks whether each has an entry: only those listed
    /// here have their pointer built and looked up.
    records: Vec<(String, FxHashSet<usize>)>,
}

/// The list and index of the record a pointer starts with
/// (`/extensions/781/forwardingNumbers`: `extensions`, 781).
fn record_of(pointer: &str) -> Option<(&str, usize)> {
    let mut tokens = pointer.strip_prefix('/')?.split('/');
    let list = tokens.next()?;
    let index = tokens.next()?;
    if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((list, index.parse().ok()?))
}

impl Data {
    pub(super) fn new(root: &Node) -> Data {
        let present = |key: &str| root.get(key).filter(|n| !n.is_null()).cloned();
        let errors: HashMap<String, Node> = root
            .get("errors")
            .and_then(Node::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| Some((e.get("pointer")?.as_str()?.to_owned(), e.clone())))
                    .collect()
            })
            .unwrap_or_default();
        let mut records: Vec<(String, FxHashSet<usize>)> = Vec::new();
        for (list, index) in errors.keys().filter_map(|p| record_of(p)) {
            match records.iter_mut().find(|(name, _)| name == list) {
                Some((_, indexes)) => {
                    indexes.insert(index);
                }
                None => records.push((list.to_owned(), std::iter::once(index).collect())),
            }
        }
        Data {
            account: present("account"),
            extensions: present("extensions"),
            phone_numbers: present("phoneNumbers"),
            root: root.clone(),
            errors,
            records,
        }
    }

    /// The snapshot-wide variables, by [`Global::slot`]: the same values
    /// for cel's context and for plans.
    pub(super) fn globals(&self, rules: &RuleSet, facts: &Facts) -> Globals {
        let node = |node: Option<Node>| -> Box<dyn Val> {
            match node {
                Some(node) => Box::new(node),
                None => Box::new(CelNull),
            }
        };
        let values = Global::ALL.map(|global| match global {
            Global::Snapshot => node(Some(self.root.clone())),
            Global::Account => node(self.account.clone()),
            Global::ServiceInfo => node(self.root.get("serviceInfo").cloned()),
            Global::Extensions => node(self.extensions.clone()),
            Global::PhoneNumbers => node(self.phone_numbers.clone()),
            Global::Source => {
                node(Some(self.root.get("source").cloned().unwrap_or_else(
                    || Node::Object(rcaudit_model::Object::new(Vec::new())),
                )))
            }
            Global::Errors => node(Some(
                self.root
                    .get("errors")
                    .filter(|e| !e.is_null())
                    .cloned()
                    .unwrap_or_else(|| Node::Array(rcaudit_model::value::Array::from(Vec::new()))),
            )),
            Global::Params => node(Some(rules.params.clone())),
            Global::Facts => Box::new(facts.clone()),
        });
        Globals(values)
    }

    pub(super) fn context(&self, rules: &RuleSet, facts: &Facts) -> Context<'static, 'static> {
        let mut ctx = Context::with_env(Arc::clone(&rules.env));
        let Globals(values) = self.globals(rules, facts);
        for (global, value) in Global::ALL.into_iter().zip(values) {
            ctx.add_variable_as_val(global.name(), value);
        }
        ctx
    }

    /// The records of the snapshot list a variable names (`extensions`,
    /// `phoneNumbers`), when it holds a list.
    pub(super) fn list(&self, variable: &str) -> Option<&[Node]> {
        let list = if variable == Global::Extensions.name() {
            self.extensions.as_ref()
        } else if variable == Global::PhoneNumbers.name() {
            self.phone_numbers.as_ref()
        } else {
            None
        };
        list.and_then(Node::as_array)
    }

    pub(super) fn viewer_admin(&self) -> Option<bool> {
        self.root
            .get("source")?
            .get("viewer")?
            .get("admin")?
            .as_bool()
    }

    /// The `errors` entry recorded for the field `path` of the item at
    /// `place` (its pointer is built only when the snapshot records errors).
    pub(super) fn failure_at(&self, place: Place, path: &[impl AsRef<str>]) -> Option<&Node> {
        if self.errors.is_empty() {
            return None;
        }
        let record = match place {
            Place::Root | Place::Account => None,
            Place::Top(list, i) => Some((list, i)),
            Place::Nested(e, _, _) => Some(("extensions", e)),
        };
        if let Some((list, i)) = record {
            let listed = self
                .records
                .iter()
                .any(|(name, indexes)| name == list && indexes.contains(&i));
            if !listed {
                return None;
            }
        }
        let mut at = place.pointer();
        for name in path {
            pointer::push(&mut at, name.as_ref());
        }
        self.errors_entry(&at)
    }

    pub(super) fn errors_entry(&self, pointer: &str) -> Option<&Node> {
        self.errors.get(pointer)
    }

    /// The `errors` entry saying a top-level list was not read in full:
    /// one at `/{name}` or inside it (the first by pointer, when several).
    pub(super) fn list_failure(&self, name: &str) -> Option<&Node> {
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

/// Facts computed so far, bound as the `facts` variable (a map).
#[derive(Clone, Debug, Default)]
pub(super) struct Facts {
    pub(super) names: Vec<String>,
    pub(super) values: Vec<Option<Arc<dyn Val>>>,
    /// Why a fact that was computed failed, by index; reported against the
    /// rules that read it and would otherwise run (a rule gets one verdict).
    pub(super) errors: Vec<Option<String>>,
    /// How long each fact that was computed took (`--timings`).
    pub(super) times: Vec<(String, std::time::Duration)>,
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
            .position(|n| rcaudit_model::value::same_text(n.as_bytes(), name.as_bytes()))
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

/// The snapshot-wide variables' values, by [`Global::slot`].
pub(super) struct Globals([Box<dyn Val>; Global::COUNT]);

impl Globals {
    /// The values as a plan reads them.
    pub(super) fn table(&self) -> plan::Globals<'_> {
        self.0.each_ref().map(|value| &**value)
    }
}

/// What every item of one target of a rule shares: cel's scope with
/// `target` bound, and what a plan reads besides the item.
pub(super) struct Shared<'s> {
    pub(super) ctx: Context<'s, 'static>,
    pub(super) target: CelString<'static>,
    pub(super) globals: &'s plan::Globals<'s>,
    pub(super) env: &'s cel::Env,
}

impl Shared<'_> {
    /// The frame a plan evaluates an item in.
    pub(super) fn frame<'a>(
        &'a self,
        item: &'a Node,
        index: &'a CelInt,
        extension: Option<&'a Node>,
    ) -> Frame<'a> {
        Frame {
            item,
            index,
            extension,
            target: &self.target,
            globals: self.globals,
            env: self.env,
        }
    }
}

/// One item's variables, for plans and, made when first needed (a part
/// without a plan, or one whose plan gave up), for cel.
pub(super) struct Scope<'a> {
    parent: &'a Context<'a, 'a>,
    vars: &'a ItemVars<'a>,
    cel: std::cell::OnceCell<Context<'a, 'a>>,
    pub(super) frame: Frame<'a>,
}

impl<'a> Scope<'a> {
    /// The scope of the item `vars` describes, among the items `shared`
    /// describes.
    pub(super) fn new(shared: &'a Shared<'a>, vars: &'a ItemVars<'a>) -> Scope<'a> {
        Scope {
            parent: &shared.ctx,
            vars,
            cel: std::cell::OnceCell::new(),
            frame: shared.frame(vars.item, &vars.index, vars.extension),
        }
    }

    /// cel's scope for the item: the target's, with the item's variables
    /// served from the stack (no allocation, which matters at millions of
    /// items).
    pub(super) fn cel(&self) -> &Context<'a, 'a> {
        self.cel.get_or_init(|| {
            let mut cel = self.parent.new_inner_scope();
            cel.set_variable_resolver(self.vars);
            cel
        })
    }
}

/// Evaluates `expr` for an item: its plan when it has one and the plan
/// gives a value, else cel (see `plan`).
pub(super) fn value<'a, 's: 'a>(
    expr: &'a Expression,
    scope: &'a Scope<'s>,
) -> Result<CowVal<'a, 'a>, String> {
    // An item whose budget ran out fails every later expression in cel
    // (see `resolve`); a plan takes no steps, so it defers to that.
    if let Some(plan) = &expr.plan
        && !functions::Budget::exhausted()
        && let Ok(value) = plan.eval(&scope.frame)
    {
        return Ok(value);
    }
    resolve(expr, scope.cel())
}

/// The per-item variables, served to CEL without allocating.
pub(super) struct ItemVars<'a> {
    pub(super) item: &'a Node,
    pub(super) index: CelInt,
    pub(super) extension: Option<&'a Node>,
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

/// Where an item is, cheap to copy; its pointer is built only when needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Place {
    Root,
    Account,
    Top(&'static str, usize),
    Nested(usize, &'static str, usize),
}

impl Place {
    pub(super) fn pointer(self) -> String {
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

pub(super) fn boolean<'a, 's: 'a>(
    expr: &'a Expression,
    scope: &'a Scope<'s>,
) -> Result<bool, String> {
    // A plan answers a bool without making one; where it cannot (not a
    // bool, an error), `value` gives cel's result and message.
    if let Some(plan) = &expr.plan
        && !functions::Budget::exhausted()
        && let Ok(b) = plan.test(&scope.frame)
    {
        return Ok(b);
    }
    match value(expr, scope) {
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

#[cfg(test)]
mod tests {
    use super::{Data, Place};

    /// The records filter never hides an entry: for every place, the
    /// answer is the plain lookup of the place's pointer and path.
    #[test]
    fn failures_are_found_as_by_their_pointer() {
        let root = rcaudit_model::value::parse(
            r#"{"errors": [
                {"pointer": "/extensions/2/forwardingNumbers", "status": 403},
                {"pointer": "/extensions/10/phoneNumbers", "status": 500},
                {"pointer": "/extensions/3/forwardingNumbers/1/label", "status": 404},
                {"pointer": "/phoneNumbers/0/extension", "status": 429},
                {"pointer": "/extensions/07/forwardingNumbers", "status": 403},
                {"pointer": "/account/mainNumber", "status": 403},
                {"pointer": "/phoneNumbers", "status": 503},
                {"pointer": "", "status": 500}
            ]}"#,
        )
        .expect("json");
        let data = Data::new(&root);
        let mut places = vec![Place::Root, Place::Account];
        for i in 0..12 {
            places.push(Place::Top("extensions", i));
            places.push(Place::Top("phoneNumbers", i));
            for j in 0..3 {
                places.push(Place::Nested(i, "forwardingNumbers", j));
            }
        }
        let paths: [&[&str]; 5] = [
            &["forwardingNumbers"],
            &["phoneNumbers"],
            &["label"],
            &["extension"],
            &["mainNumber"],
        ];
        let mut found = 0;
        for place in places {
            for path in paths {
                let mut at = place.pointer();
                for name in path {
                    rcaudit_model::pointer::push(&mut at, name);
                }
                let expected = data.errors.get(&at);
                let got = data.failure_at(place, path);
                assert_eq!(got.is_some(), expected.is_some(), "{at}");
                found += usize::from(got.is_some());
            }
        }
        // /extensions/2/..., /extensions/10/..., /extensions/3/.../1/label,
        // /phoneNumbers/0/extension, /account/mainNumber, and /phoneNumbers
        // (the root's field); never the index written with a leading zero.
        assert_eq!(found, 6);
    }
}
