//! Running a plan: each step does what cel's interpreter does for the same
//! node (see `cel::objects::Value::resolve_val`), minus the lookups, and
//! gives up where cel would fail.

use std::cmp::Ordering;

use cel::Env;
use cel::common::ast::LiteralValue;
use cel::common::types::{CelBool, CelInt, CelString};
use cel::common::value::{BuiltinRef, CowVal, Val};
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;
use rcaudit_model::value::same_text;

use crate::functions;

use super::{Arith, Comparison, Literals, Op, Plan, Var};

/// The plan cannot give cel's result: the expression must be evaluated by
/// cel, which gives it (most often an error, with cel's message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiveUp;

type Out<'a> = Result<CowVal<'a, 'a>, GiveUp>;

/// The snapshot-wide variables' values, by [`super::Global::slot`].
pub(crate) type Globals<'a> = [&'a dyn Val; super::Global::COUNT];

/// What a plan reads: the item's variables and the snapshot-wide ones.
pub(crate) struct Frame<'a> {
    pub(crate) item: &'a Node,
    pub(crate) index: &'a CelInt,
    pub(crate) extension: Option<&'a Node>,
    pub(crate) target: &'a CelString<'static>,
    /// By [`super::Global::slot`].
    pub(crate) globals: &'a Globals<'a>,
    pub(crate) env: &'a Env,
}

fn boolean<'a>(value: bool) -> CowVal<'a, 'a> {
    CowVal::Borrowed(if value {
        &CelBool::TRUE
    } else {
        &CelBool::FALSE
    })
}

fn as_bool(value: &CowVal<'_, '_>) -> Option<bool> {
    value.downcast_ref::<CelBool>().map(|b| *b.inner())
}

impl Plan {
    /// The expression's value, or [`GiveUp`] when cel must evaluate it.
    pub fn eval<'a>(&'a self, frame: &Frame<'a>) -> Result<CowVal<'a, 'a>, GiveUp> {
        eval(&self.root, frame)
    }

    /// The expression's value when it is a bool; [`GiveUp`] when it is not
    /// one, or when cel must evaluate it. The operators that give a bool
    /// (`&&`, `==`, `in`, `has`, ...) give it here without making a value.
    pub fn test(&self, frame: &Frame<'_>) -> Result<bool, GiveUp> {
        truth(&self.root, frame)
    }
}

/// What [`Plan::test`] gives for `op`.
fn truth<'a>(op: &'a Op, frame: &Frame<'a>) -> Result<bool, GiveUp> {
    match op {
        Op::Lit(LiteralValue::Boolean(b)) => Ok(*b.inner()),
        Op::Not(a) => truth(a, frame).map(|b| !b),
        // `false && x` is false without `x`; cel absorbs an error on the
        // left when the right is false, which the fallback does.
        Op::And(ab) => {
            let [a, b] = &**ab;
            Ok(truth(a, frame)? && truth(b, frame)?)
        }
        Op::Or(ab) => {
            let [a, b] = &**ab;
            Ok(truth(a, frame)? || truth(b, frame)?)
        }
        Op::Cond(cab) => {
            let [c, a, b] = &**cab;
            truth(if truth(c, frame)? { a } else { b }, frame)
        }
        Op::Eq(ab) => {
            let [a, b] = &**ab;
            equal(a, b, frame)
        }
        Op::Ne(ab) => {
            let [a, b] = &**ab;
            equal(a, b, frame).map(|e| !e)
        }
        Op::InLiterals(needle, literals) => in_literals(needle, literals, frame),
        Op::SymEq(ab) => {
            let [a, b] = &**ab;
            let (a, b) = (operand(a, frame)?, operand(b, frame)?);
            Ok(functions::equal_either_way(a.as_ref(), b.as_ref()))
        }
        Op::SymIn(ab) => {
            let [a, b] = &**ab;
            let (needle, haystack) = (operand(a, frame)?, operand(b, frame)?);
            functions::contains_either_way(needle.as_ref(), haystack.as_ref()).map_err(|_| GiveUp)
        }
        Op::Has(..) | Op::Present(..) => presence(op, frame),
        Op::IsDuplicate(ab, call) => {
            let [a, b] = &**ab;
            let (list, index) = (operand(a, frame)?, operand(b, frame)?);
            call.test(list.as_ref(), index.as_ref()).map_err(|_| GiveUp)
        }
        Op::SubsetOf(a, call) => call.test(operand(a, frame)?.as_ref()).map_err(|_| GiveUp),
        _ => as_bool(&eval(op, frame)?).ok_or(GiveUp),
    }
}

/// `a == b`: as text where one side is a string literal and the other a
/// string in the tree (cel's string equality, either way round), else by
/// the values' own equality as in cel.
fn equal<'a>(a: &'a Op, b: &'a Op, frame: &Frame<'a>) -> Result<bool, GiveUp> {
    if let Some(equal) = text_equal(a, b, frame).or_else(|| text_equal(b, a, frame)) {
        return equal;
    }
    Ok(operand(a, frame)? == operand(b, frame)?)
}

/// `node == "literal"` when `node` reads a string of the tree; `None` for
/// anything else (the caller compares values).
fn text_equal<'a>(
    node: &'a Op,
    literal: &'a Op,
    frame: &Frame<'a>,
) -> Option<Result<bool, GiveUp>> {
    let Op::Lit(LiteralValue::String(text)) = literal else {
        return None;
    };
    match node_of(node, frame)? {
        Ok(Node::String(s)) => Some(Ok(same_text(s.inner().as_bytes(), text.inner().as_bytes()))),
        Ok(_) => None,
        Err(give_up) => Some(Err(give_up)),
    }
}

/// `needle in [literals]`, as the function the rewrite substitutes
/// (`functions::internal::in_literals`) does it: a string against string
/// literals as text, anything else by the values' equality either way.
fn in_literals<'a>(
    needle: &'a Op,
    literals: &'a Literals,
    frame: &Frame<'a>,
) -> Result<bool, GiveUp> {
    if let Some(texts) = &literals.texts
        && let Some(node) = node_of(needle, frame)
        && let Node::String(s) = node?
    {
        return Ok(texts
            .iter()
            .any(|t| same_text(t.as_bytes(), s.inner().as_bytes())));
    }
    let needle = operand(needle, frame)?;
    let needle = needle.as_ref();
    if let (Some(texts), Some(s)) = (&literals.texts, needle.downcast_ref::<CelString>()) {
        return Ok(texts
            .iter()
            .any(|t| same_text(t.as_bytes(), s.inner().as_bytes())));
    }
    Ok(literals
        .values
        .iter()
        .any(|literal| functions::equal_either_way(needle, &**literal)))
}

/// The tree node `op` reads when it is `item`, `extension`, or a chain of
/// fields by literal names from one of them (`item.extension.id`): read in
/// place, without making values. `None` when `op` is something else, or a
/// step is not an object's member (the caller evaluates it); `Some(Err)`
/// when a member is absent (an error in cel).
fn node_of<'a>(op: &'a Op, frame: &Frame<'a>) -> Option<Result<&'a Node, GiveUp>> {
    match op {
        Op::Var(Var::Item) => Some(Ok(frame.item)),
        Op::Var(Var::Extension) => Some(frame.extension.ok_or(GiveUp)),
        Op::Field(a, name) => match node_of(a, frame)? {
            Ok(Node::Object(object)) => Some(object.get(name.inner()).ok_or(GiveUp)),
            Ok(_) => None,
            Err(give_up) => Some(Err(give_up)),
        },
        _ => None,
    }
}

fn var<'a>(var: Var, frame: &Frame<'a>) -> Out<'a> {
    Ok(CowVal::Borrowed(match var {
        Var::Item => frame.item as &dyn Val,
        Var::Index => frame.index,
        Var::Extension => frame.extension.ok_or(GiveUp)?,
        Var::Target => frame.target,
        Var::Global(global) => *frame.globals.get(global.slot()).ok_or(GiveUp)?,
    }))
}

/// A step's operand: a variable or a literal read in place, anything else
/// evaluated (most operands are one of the two, and a call per operand
/// is a good part of a small expression's time).
#[inline]
fn operand<'a>(op: &'a Op, frame: &Frame<'a>) -> Out<'a> {
    match op {
        Op::Var(v) => var(*v, frame),
        Op::Lit(literal) => Ok(literal.to_val()),
        _ => eval(op, frame),
    }
}

fn eval<'a>(op: &'a Op, frame: &Frame<'a>) -> Out<'a> {
    match op {
        Op::Lit(literal) => Ok(literal.to_val()),
        Op::List(list) => Ok(CowVal::Borrowed(&**list)),
        Op::Var(v) => var(*v, frame),
        Op::Negate(a) => {
            let value = operand(a, frame)?;
            value
                .as_negator()
                .ok_or(GiveUp)?
                .negate()
                .map(CowVal::Owned)
                .map_err(|_| GiveUp)
        }
        Op::Not(_)
        | Op::And(_)
        | Op::Or(_)
        | Op::Eq(_)
        | Op::Ne(_)
        | Op::InLiterals(..)
        | Op::SymEq(_)
        | Op::SymIn(_)
        | Op::Has(..)
        | Op::Present(..)
        | Op::IsDuplicate(..)
        | Op::SubsetOf(..) => truth(op, frame).map(boolean),
        Op::Cond(cab) => {
            let [c, a, b] = &**cab;
            if as_bool(&operand(c, frame)?).ok_or(GiveUp)? {
                operand(a, frame)
            } else {
                operand(b, frame)
            }
        }
        Op::Compare(..) | Op::Arith(..) => arithmetic(op, frame),
        Op::In(ab) => {
            let [a, b] = &**ab;
            let (needle, haystack) = (operand(a, frame)?, operand(b, frame)?);
            haystack
                .as_container()
                .ok_or(GiveUp)?
                .contains(needle.as_ref())
                .map(boolean)
                .map_err(|_| GiveUp)
        }
        Op::Index(ab) => {
            let [a, b] = &**ab;
            let value = operand(a, frame)?;
            let index = operand(b, frame)?;
            let index = index.as_ref();
            index_into(value, index)
        }
        Op::Field(..) => field(op, frame),
        Op::Size(a) => {
            let value = operand(a, frame)?;
            if let Some(Node::Array(items)) = as_node(value.as_ref()) {
                return Ok(CowVal::owned(CelInt::from(
                    i64::try_from(items.len()).map_err(|_| GiveUp)?,
                )));
            }
            let function = frame
                .env
                .find_overload("size", std::slice::from_ref(&value))
                .ok_or(GiveUp)?;
            function(vec![value]).map_err(|_| GiveUp)
        }
        Op::Unary(function, a) => {
            let value = operand(a, frame)?;
            function(value.as_ref()).map_err(|_| GiveUp)
        }
        Op::Static(function, args) => {
            let args = args
                .iter()
                .map(|a| operand(a, frame))
                .collect::<Result<Vec<_>, _>>()?;
            function(args).map_err(|_| GiveUp)
        }
        Op::Dynamic(name, args) => {
            let args = args
                .iter()
                .map(|a| operand(a, frame))
                .collect::<Result<Vec<_>, _>>()?;
            let function = frame.env.find_overload(name, &args).ok_or(GiveUp)?;
            function(args).map_err(|_| GiveUp)
        }
    }
}

/// Reading a field by name: `a.b`.
fn field<'a>(op: &'a Op, frame: &Frame<'a>) -> Out<'a> {
    let Op::Field(a, name) = op else {
        return Err(GiveUp);
    };
    // `item.name`, `item.a.b`, `extension.name`: read in place.
    if let Some(node) = node_of(op, frame) {
        return node.map(|v| CowVal::Borrowed(v as &dyn Val));
    }
    let value = operand(a, frame)?;
    // `Node::index` on an object, without the dynamic calls.
    if let CowVal::Borrowed(node) = value
        && let Some(Node::Object(object)) = as_node(node)
    {
        return object
            .get(name.inner())
            .map(|v| CowVal::Borrowed(v as &dyn Val))
            .ok_or(GiveUp);
    }
    index_into(value, name)
}

/// `has(a.b)`, `present(a.b.c)`.
fn presence<'a>(op: &'a Op, frame: &Frame<'a>) -> Result<bool, GiveUp> {
    match op {
        Op::Has(a, name, function) => {
            // `has_field` on a tree node.
            if let Some(node) = node_of(a, frame) {
                return match node? {
                    Node::Object(object) => Ok(object.get(name.inner()).is_some()),
                    _ => Err(GiveUp),
                };
            }
            let value = operand(a, frame)?;
            match as_node(value.as_ref()) {
                Some(Node::Object(object)) => Ok(object.get(name.inner()).is_some()),
                Some(_) => Err(GiveUp),
                None => {
                    as_bool(&function(vec![value, CowVal::Borrowed(name)]).map_err(|_| GiveUp)?)
                        .ok_or(GiveUp)
                }
            }
        }
        Op::Present(a, names, function) => {
            if let Some(node) = node_of(a, frame) {
                return present_path(node?, names);
            }
            let value = operand(a, frame)?;
            if let Some(node) = as_node(value.as_ref()) {
                return present_path(node, names);
            }
            let mut args = Vec::with_capacity(names.len() + 1);
            args.push(value);
            args.extend(names.iter().map(|n| CowVal::Borrowed(n as &dyn Val)));
            as_bool(&function(args).map_err(|_| GiveUp)?).ok_or(GiveUp)
        }
        _ => Err(GiveUp),
    }
}

/// `present_path` along tree nodes.
fn present_path(mut node: &Node, names: &[CelString<'static>]) -> Result<bool, GiveUp> {
    for name in names {
        if node.is_null() {
            return Ok(false);
        }
        let Node::Object(object) = node else {
            return Err(GiveUp);
        };
        match object.get(name.inner()) {
            Some(next) => node = next,
            None => return Ok(false),
        }
    }
    Ok(!node.is_null())
}

/// Comparisons and arithmetic, through the operands' own traits as in cel.
fn arithmetic<'a>(op: &'a Op, frame: &Frame<'a>) -> Out<'a> {
    match op {
        Op::Compare(ab, how) => {
            let [a, b] = &**ab;
            let (lhs, rhs) = (operand(a, frame)?, operand(b, frame)?);
            let order = lhs
                .as_comparer()
                .ok_or(GiveUp)?
                .compare(rhs.as_ref())
                .map_err(|_| GiveUp)?;
            Ok(boolean(match how {
                Comparison::Less => order == Ordering::Less,
                Comparison::LessEquals => order != Ordering::Greater,
                Comparison::Greater => order == Ordering::Greater,
                Comparison::GreaterEquals => order != Ordering::Less,
            }))
        }
        Op::Arith(ab, how) => {
            let [a, b] = &**ab;
            let (lhs, rhs) = (operand(a, frame)?, operand(b, frame)?);
            let rhs = rhs.as_ref();
            let result = match how {
                Arith::Add => lhs.as_adder().ok_or(GiveUp)?.add(rhs),
                Arith::Subtract => lhs.as_subtractor().ok_or(GiveUp)?.sub(rhs),
                Arith::Multiply => lhs.as_multiplier().ok_or(GiveUp)?.mul(rhs),
                Arith::Divide => lhs.as_divider().ok_or(GiveUp)?.div(rhs),
                Arith::Modulo => lhs.as_modder().ok_or(GiveUp)?.modulo(rhs),
            };
            result
                .map(|value| CowVal::Owned(value.into_owned()))
                .map_err(|_| GiveUp)
        }
        _ => Err(GiveUp),
    }
}

/// `value[index]` as cel's `index_into` does it: a borrowed container is
/// read, an owned one (`duplicates(...)[index]`) consumed (`steal`) unless
/// it is of an application type.
fn index_into<'a>(value: CowVal<'a, 'a>, index: &dyn Val) -> Out<'a> {
    match value {
        CowVal::Borrowed(value) => value
            .as_indexer()
            .ok_or(GiveUp)?
            .get(index)
            .map_err(|_| GiveUp),
        CowVal::Owned(owned) => {
            if owned.as_indexer().is_none() {
                return Err(GiveUp);
            }
            if matches!(owned.as_builtin(), BuiltinRef::Other) {
                return owned
                    .as_indexer()
                    .ok_or(GiveUp)?
                    .get(index)
                    .map(|v| CowVal::Owned(v.into_owned()))
                    .map_err(|_| GiveUp);
            }
            owned
                .into_indexer()
                .ok_or(GiveUp)?
                .steal(index)
                .map(CowVal::Owned)
                .map_err(|_| GiveUp)
        }
    }
}
