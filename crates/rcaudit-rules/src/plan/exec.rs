//! Running a plan: each step does what cel's interpreter does for the same
//! node (see `cel::objects::Value::resolve_val`), minus the lookups, and
//! gives up where cel would fail.

use std::cmp::Ordering;

use cel::Env;
use cel::common::types::{CelBool, CelInt, CelString};
use cel::common::value::{BuiltinRef, CowVal, Val};
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;

use super::{Arith, Comparison, Op, Plan, Var};

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
        Op::Not(a) => {
            let value = operand(a, frame)?;
            as_bool(&value).map(|b| boolean(!b)).ok_or(GiveUp)
        }
        Op::Negate(a) => {
            let value = operand(a, frame)?;
            value
                .as_negator()
                .ok_or(GiveUp)?
                .negate()
                .map(CowVal::Owned)
                .map_err(|_| GiveUp)
        }
        Op::And(ab) => {
            let [a, b] = &**ab;
            // `false && x` is false without `x`; cel absorbs an error on
            // the left when the right is false, which the fallback does.
            let left = as_bool(&operand(a, frame)?).ok_or(GiveUp)?;
            if !left {
                return Ok(boolean(false));
            }
            let right = as_bool(&operand(b, frame)?).ok_or(GiveUp)?;
            Ok(boolean(right))
        }
        Op::Or(ab) => {
            let [a, b] = &**ab;
            let left = as_bool(&operand(a, frame)?).ok_or(GiveUp)?;
            if left {
                return Ok(boolean(true));
            }
            let right = as_bool(&operand(b, frame)?).ok_or(GiveUp)?;
            Ok(boolean(right))
        }
        Op::Cond(cab) => {
            let [c, a, b] = &**cab;
            if as_bool(&operand(c, frame)?).ok_or(GiveUp)? {
                operand(a, frame)
            } else {
                operand(b, frame)
            }
        }
        Op::Eq(ab) => {
            let [a, b] = &**ab;
            Ok(boolean(operand(a, frame)? == operand(b, frame)?))
        }
        Op::Ne(ab) => {
            let [a, b] = &**ab;
            Ok(boolean(operand(a, frame)? != operand(b, frame)?))
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
        Op::Field(..) | Op::Has(..) | Op::Present(..) => field(op, frame),
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

/// The value of a variable that always holds a tree node (`item`, and
/// `extension` where it is bound), when `op` is one.
fn node_var<'a>(op: &Op, frame: &Frame<'a>) -> Option<&'a Node> {
    match op {
        Op::Var(Var::Item) => Some(frame.item),
        Op::Var(Var::Extension) => frame.extension,
        _ => None,
    }
}

/// Reading fields by name: `a.b`, `has(a.b)`, `present(a.b.c)`.
fn field<'a>(op: &'a Op, frame: &Frame<'a>) -> Out<'a> {
    match op {
        Op::Field(a, name) => {
            // `item.name`, `extension.name`: the variable is a tree node,
            // read without asking the value what it is.
            if let Some(Node::Object(object)) = node_var(a, frame) {
                return object
                    .get(name.inner())
                    .map(|v| CowVal::Borrowed(v as &dyn Val))
                    .ok_or(GiveUp);
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
        Op::Has(a, name, function) => {
            let value = operand(a, frame)?;
            // `has_field` on a tree node.
            match as_node(value.as_ref()) {
                Some(Node::Object(object)) => Ok(boolean(object.get(name.inner()).is_some())),
                Some(_) => Err(GiveUp),
                None => function(vec![value, CowVal::Borrowed(name)]).map_err(|_| GiveUp),
            }
        }
        Op::Present(a, names, function) => {
            let value = operand(a, frame)?;
            // `present_path` along tree nodes.
            if let Some(mut node) = as_node(value.as_ref()) {
                for name in names {
                    if node.is_null() {
                        return Ok(boolean(false));
                    }
                    let Node::Object(object) = node else {
                        return Err(GiveUp);
                    };
                    match object.get(name.inner()) {
                        Some(next) => node = next,
                        None => return Ok(boolean(false)),
                    }
                }
                return Ok(boolean(!node.is_null()));
            }
            let mut args = Vec::with_capacity(names.len() + 1);
            args.push(value);
            args.extend(names.iter().map(|n| CowVal::Borrowed(n as &dyn Val)));
            function(args).map_err(|_| GiveUp)
        }
        _ => Err(GiveUp),
    }
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
