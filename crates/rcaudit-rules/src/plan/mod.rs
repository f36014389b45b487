//! Compiled expressions: a rule's expression planned once, at load time,
//! into a tree the evaluator walks without looking anything up.
//!
//! `cel`'s interpreter works from the syntax tree on every evaluation: each
//! call compares its function's name against a dozen operators, resolves
//! the name, searches the overloads by argument types and collects the
//! arguments into a vector; each variable is searched for through the
//! scopes by name. At a million items that is most of a rule's time. A
//! [`Plan`] does that work once: variables become slots, operators become
//! variants, domain functions become the function pointers cel would have
//! found (cel-go calls this *planning*).
//!
//! **cel stays the reference.** A plan performs exactly the operations cel
//! performs on the same values (the same `Val` trait methods, the same
//! function implementations), and it never produces an error of its own: any
//! step that would be an error in cel, or that the plan does not handle,
//! gives up ([`GiveUp`]) and the caller evaluates the expression with cel,
//! which then produces the value or the error, message and all. Errors are
//! rare (a field of the wrong type), so the slow path costs nothing in
//! practice, and results cannot differ in wording. The differential test
//! (`plan/tests.rs`) runs random expressions on random records through both
//! and requires the same value whenever the plan gives one.
//!
//! Expressions outside the planned subset have no plan and always run in
//! cel: comprehensions (`all`, `exists`, `map`, `filter`), map literals,
//! method calls, optional syntax, and names other than the rule variables.
//! `rcaudit check --timings` marks the rules that have such expressions.

use cel::common::ast::{CallExpr, Expr, IdedExpr, LiteralValue, operators};
use cel::common::functions::Function;
use cel::common::types::{CelList, CelString};
use cel::common::value::Val;

use crate::functions;

mod exec;
#[cfg(test)]
mod tests;

pub(crate) use exec::{Frame, Globals};

/// A planned expression.
#[derive(Debug)]
pub struct Plan {
    root: Op,
}

/// One step of a plan.
#[derive(Debug)]
enum Op {
    /// A literal scalar.
    Lit(LiteralValue),
    /// A list literal of literals, built once.
    List(Box<dyn Val>),
    /// A variable.
    Var(Var),
    Not(Box<Op>),
    Negate(Box<Op>),
    And(Box<[Op; 2]>),
    Or(Box<[Op; 2]>),
    Cond(Box<[Op; 3]>),
    Eq(Box<[Op; 2]>),
    Ne(Box<[Op; 2]>),
    Compare(Box<[Op; 2]>, Comparison),
    Arith(Box<[Op; 2]>, Arith),
    In(Box<[Op; 2]>),
    /// `a == b` between two non-literals as rewritten (`functions::EQUALS`):
    /// equal either way round.
    SymEq(Box<[Op; 2]>),
    /// `a in b` with `b` not a literal list, as rewritten (`functions::IN`):
    /// a list's elements compared either way round, else `b`'s `contains`.
    SymIn(Box<[Op; 2]>),
    Index(Box<[Op; 2]>),
    /// `a["name"]`, `a.name` as rewritten.
    Field(Box<Op>, CelString<'static>),
    /// `has(a.name)` as rewritten: the field's name and cel's function.
    Has(Box<Op>, CelString<'static>, Function),
    /// `present(a.b.c)` as rewritten: the fields' names and cel's function.
    Present(Box<Op>, Box<[CelString<'static>]>, Function),
    /// `x in [literals]` as rewritten: the needle and the literals, built
    /// once.
    InLiterals(Box<Op>, Box<Literals>),
    /// `size(x)`, read off an array without looking up cel's overload;
    /// anything else goes through it (`Dynamic`).
    Size(Box<Op>),
    /// A function of one argument whose result never borrows it, called
    /// without collecting its argument into a vector.
    Unary(functions::Unary, Box<Op>),
    /// `isDuplicate` with a literal field (and mode): the list and the
    /// index.
    IsDuplicate(Box<[Op; 2]>, functions::IsDuplicate),
    /// `subsetOf` with a list of literals: the values.
    SubsetOf(Box<Op>, functions::SubsetOf),
    /// A function whose implementation is known at load time.
    Static(Function, Box<[Op]>),
    /// A function looked up among cel's overloads by argument types, as cel
    /// does.
    Dynamic(String, Box<[Op]>),
}

/// The literals of `x in [a, b, ...]`.
#[derive(Debug)]
struct Literals {
    values: Box<[Box<dyn Val>]>,
    /// Their texts when every one is a string (then a string needle is
    /// compared as text).
    texts: Option<Box<[Box<str>]>>,
}

/// The variables a rule expression reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Var {
    Item,
    Index,
    Extension,
    Target,
    Global(Global),
}

/// The snapshot-wide variables, the same for every item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Global {
    Snapshot,
    Account,
    ServiceInfo,
    Extensions,
    PhoneNumbers,
    Source,
    Errors,
    Params,
    Facts,
}

impl Global {
    /// How many there are.
    pub(crate) const COUNT: usize = 9;

    /// Every global, in the order of [`Global::slot`].
    pub(crate) const ALL: [Global; Global::COUNT] = [
        Global::Snapshot,
        Global::Account,
        Global::ServiceInfo,
        Global::Extensions,
        Global::PhoneNumbers,
        Global::Source,
        Global::Errors,
        Global::Params,
        Global::Facts,
    ];

    /// The variable's name in expressions.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Global::Snapshot => "snapshot",
            Global::Account => "account",
            Global::ServiceInfo => "serviceInfo",
            Global::Extensions => "extensions",
            Global::PhoneNumbers => "phoneNumbers",
            Global::Source => "source",
            Global::Errors => "errors",
            Global::Params => "params",
            Global::Facts => "facts",
        }
    }

    /// Its place in a table of globals.
    pub(crate) fn slot(self) -> usize {
        self as usize
    }
}

impl Var {
    fn of(name: &str) -> Option<Var> {
        Some(match name {
            "item" => Var::Item,
            "index" => Var::Index,
            "extension" => Var::Extension,
            "target" => Var::Target,
            _ => Var::Global(Global::ALL.into_iter().find(|g| g.name() == name)?),
        })
    }
}

#[derive(Debug, Clone, Copy)]
enum Comparison {
    Less,
    LessEquals,
    Greater,
    GreaterEquals,
}

#[derive(Debug, Clone, Copy)]
enum Arith {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

impl Plan {
    /// Plans an expression as rewritten for evaluation (see
    /// `expr::rewrite`); `None` when it uses anything outside the planned
    /// subset, and must run in cel.
    pub fn of(expr: &IdedExpr) -> Option<Plan> {
        Some(Plan { root: op(expr)? })
    }
}

fn op(expr: &IdedExpr) -> Option<Op> {
    match &expr.expr {
        Expr::Literal(literal) => Some(Op::Lit(literal.clone())),
        Expr::Ident(name) => Var::of(name).map(Op::Var),
        Expr::Call(call) => call_op(call),
        Expr::List(_) => {
            let values = functions::literal_list(&expr.expr)?;
            Some(Op::List(Box::new(CelList::from(values.into_vec()))))
        }
        // Comprehensions, map and message literals, and selections (which
        // the rewrite has turned into `_[_]`, but for `has` on a name and
        // optional ones).
        _ => None,
    }
}

fn two(args: &[IdedExpr]) -> Option<Box<[Op; 2]>> {
    match args {
        [a, b] => Some(Box::new([op(a)?, op(b)?])),
        _ => None,
    }
}

fn call_op(call: &CallExpr) -> Option<Op> {
    if call.target.is_some() {
        // A method call: cel resolves it by the receiver's type, through a
        // lookup it keeps to itself.
        return None;
    }
    let name = call.func_name.as_str();
    let args = call.args.as_slice();
    if let Some(planned) = field_op(name, args) {
        return Some(planned);
    }
    if let (Some(function), [arg]) = (functions::unary_op(name), args) {
        return Some(Op::Unary(function, Box::new(op(arg)?)));
    }
    if let Some((call, list, index)) = functions::IsDuplicate::of(name, args) {
        return Some(Op::IsDuplicate(Box::new([op(list)?, op(index)?]), call));
    }
    if let Some((call, values)) = functions::SubsetOf::of(name, args) {
        return Some(Op::SubsetOf(Box::new(op(values)?), call));
    }
    let planned = match (name, args.len()) {
        (operators::LOGICAL_AND, 2) => Op::And(two(args)?),
        (operators::LOGICAL_OR, 2) => Op::Or(two(args)?),
        (operators::EQUALS, 2) => Op::Eq(two(args)?),
        (operators::NOT_EQUALS, 2) => Op::Ne(two(args)?),
        (operators::INDEX, 2) => Op::Index(two(args)?),
        (operators::IN, 2) => Op::In(two(args)?),
        (operators::LESS, 2) => Op::Compare(two(args)?, Comparison::Less),
        (operators::LESS_EQUALS, 2) => Op::Compare(two(args)?, Comparison::LessEquals),
        (operators::GREATER, 2) => Op::Compare(two(args)?, Comparison::Greater),
        (operators::GREATER_EQUALS, 2) => Op::Compare(two(args)?, Comparison::GreaterEquals),
        (operators::ADD, 2) => Op::Arith(two(args)?, Arith::Add),
        (operators::SUBSTRACT, 2) => Op::Arith(two(args)?, Arith::Subtract),
        (operators::MULTIPLY, 2) => Op::Arith(two(args)?, Arith::Multiply),
        (operators::DIVIDE, 2) => Op::Arith(two(args)?, Arith::Divide),
        (operators::MODULO, 2) => Op::Arith(two(args)?, Arith::Modulo),
        (operators::CONDITIONAL, 3) => match args {
            [c, a, b] => Op::Cond(Box::new([op(c)?, op(a)?, op(b)?])),
            _ => return None,
        },
        (operators::LOGICAL_NOT, 1) => Op::Not(Box::new(op(args.first()?)?)),
        (operators::NEGATE, 1) => Op::Negate(Box::new(op(args.first()?)?)),
        _ if name.starts_with('_') || name.contains('.') || name.starts_with("optional") => {
            // Other operators (optional indexing and selection, `@not_strictly_false`
            // of comprehensions) and qualified names.
            return None;
        }
        (functions::IN_LITERALS, _) => in_literals(args)?,
        (functions::EQUALS, 2) => Op::SymEq(two(args)?),
        (functions::IN, 2) => Op::SymIn(two(args)?),
        ("size", 1) => Op::Size(Box::new(op(args.first()?)?)),
        _ => {
            let planned: Box<[Op]> = args.iter().map(op).collect::<Option<_>>()?;
            match functions::static_op(name, args.len()) {
                Some(function) => Op::Static(function, planned),
                None => Op::Dynamic(name.to_owned(), planned),
            }
        }
    };
    Some(planned)
}

/// `@in_literals(needle, literal...)` (see `expr::rewrite`).
fn in_literals(args: &[IdedExpr]) -> Option<Op> {
    let (needle, literals) = args.split_first()?;
    let mut values: Vec<Box<dyn Val>> = Vec::with_capacity(literals.len());
    let mut texts = Vec::with_capacity(literals.len());
    for literal in literals {
        let Expr::Literal(literal) = &literal.expr else {
            return None;
        };
        if let LiteralValue::String(s) = literal {
            texts.push(Box::from(s.inner()));
        }
        values.push(literal.to_val().into_owned());
    }
    let texts = (texts.len() == values.len()).then(|| texts.into_boxed_slice());
    Some(Op::InLiterals(
        Box::new(op(needle)?),
        Box::new(Literals {
            values: values.into_boxed_slice(),
            texts,
        }),
    ))
}

/// A literal string.
fn text(expr: &IdedExpr) -> Option<CelString<'static>> {
    match &expr.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(CelString::from(s.inner().to_owned())),
        _ => None,
    }
}

/// Reading fields by literal names: `a.b`, `has(a.b)`, `present(a.b.c)`,
/// which a plan reads from the snapshot tree directly.
fn field_op(name: &str, args: &[IdedExpr]) -> Option<Op> {
    let (first, rest) = args.split_first()?;
    match (name, rest) {
        (operators::INDEX, [field]) => Some(Op::Field(Box::new(op(first)?), text(field)?)),
        (functions::HAS, [field]) => Some(Op::Has(
            Box::new(op(first)?),
            text(field)?,
            functions::static_op(name, 2)?,
        )),
        (functions::PRESENT, fields) => Some(Op::Present(
            Box::new(op(first)?),
            fields.iter().map(text).collect::<Option<_>>()?,
            functions::static_op(name, args.len())?,
        )),
        _ => None,
    }
}
