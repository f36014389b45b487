//! Compiling CEL expressions once, and checking them before they run.
//!
//! Besides parsing, compiling does four things:
//!
//! - It reads **`a.b` as `a["b"]`**: the same lookup on a map, without cel's
//!   attempt to resolve `a.b` as a qualified variable name first, which
//!   joins a string and searches every scope for every field read.
//! - It reads **`present(a.b.c)`** as one call given `a` and the field names
//!   (see [`crate::functions::PRESENT`]), which tests each field in turn: an absent
//!   one makes the test false instead of an error.
//! - It **rewrites `==`, `!=` and `in` between two computed values** into a
//!   symmetric comparison. `cel` asks only the left operand whether two
//!   values are equal, and its built-in lists and maps do not recognise the
//!   snapshot's, so `[1, 2] == item.list` would be false. A comparison with a
//!   literal scalar, by far the common case, is left as it is.
//! - It lists the **free variables** of the expression (those not bound by a
//!   comprehension) and every **field path** read from a root variable
//!   (`item.usageType`, `account.serviceInfo.servicePlan.name`), with their
//!   offsets, so the loader can reject unknown variables and fields with a
//!   span pointing into the expression.
//!
//! One module per job: this one compiles; `limits` bounds depth, operators
//! and literal iterations; `errors` puts cel's parse errors in words;
//! `rewrite` rewrites the tree for evaluation; `walk` lists what an
//! expression reads.

use std::sync::Arc;

use cel::Env;
use cel::common::ast::{EntryExpr, Expr, IdedExpr};

use crate::plan::Plan;
use crate::problem::ProblemCode;

mod errors;
mod limits;
mod rewrite;
mod walk;

use errors::errors;
use limits::{literal_iterations, too_deep, too_many_operators};
use rewrite::rewrite;
use walk::Walker;

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expression {
    /// The text as written.
    pub source: String,
    pub(crate) ast: Arc<IdedExpr>,
    /// The expression planned for the compiled evaluator; `None` when it
    /// uses what only cel evaluates (see `plan`).
    pub(crate) plan: Option<Arc<Plan>>,
    /// Free variables, with the byte range of each use in `source`.
    pub variables: Vec<(String, std::ops::Range<usize>)>,
    /// Field paths read from free variables: `["item", "usageType"]`. A
    /// comprehension variable over a path stands for its elements, written
    /// `[]`: in `phoneNumbers.exists(p, p.usageType == "...")`, `p.usageType`
    /// is `["phoneNumbers", "[]", "usageType"]`. The range is the last field's.
    pub paths: Vec<(Vec<String>, std::ops::Range<usize>)>,
    /// Comprehensions over a whole-snapshot list (`extensions`,
    /// `phoneNumbers`, `snapshot...`): per item, these are O(n^2).
    pub walks: Vec<(Vec<String>, std::ops::Range<usize>)>,
}

impl Expression {
    /// Whether the expression runs compiled (see `plan`); if not,
    /// cel interprets it on every evaluation.
    pub fn is_planned(&self) -> bool {
        self.plan.is_some()
    }

    /// How deep the expression nests (its syntax tree's depth, as
    /// compiled), at most [`MAX_DEPTH`] plus the step calls added.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(&*self.ast, 1usize)];
        let mut kids = Vec::new();
        while let Some((e, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            kids.clear();
            children(e, &mut kids);
            stack.extend(kids.iter().map(|k| (*k, depth + 1)));
        }
        deepest
    }
}

/// A compile error, located in the expression text.
#[derive(Debug, Clone)]
pub struct CompileError {
    /// What is wrong.
    pub message: String,
    /// Byte offset into the expression text.
    pub offset: usize,
    /// Bytes from `offset` the error is about (at least one is shown).
    pub len: usize,
    /// A stable code: `rcaudit::rules::cel` for syntax errors.
    pub code: ProblemCode,
    /// How to fix it, when known.
    pub help: Option<String>,
}

impl CompileError {
    fn syntax(message: impl Into<String>, offset: usize) -> CompileError {
        CompileError {
            message: message.into(),
            offset,
            len: 1,
            code: ProblemCode::Cel,
            help: None,
        }
    }

    /// The same error, `by` bytes further into a larger text.
    #[must_use]
    pub fn shifted(mut self, by: usize) -> CompileError {
        self.offset += by;
        self
    }
}

/// The deepest an expression may nest (operators, calls, selections,
/// comprehensions: its syntax tree's depth). CEL's interpreter, and every
/// walk of the tree, recurse once per level; the built-in rules nest 20
/// levels at most. Evaluation runs on a stack sized for this depth
/// ([`crate::eval::EVAL_STACK_BYTES`]).
pub const MAX_DEPTH: usize = 200;

/// The most operators and brackets an expression may contain, checked on
/// the text before it is parsed: a bound on its depth that the parser
/// (which recurses too) can afford. No sensible rule comes close.
pub const MAX_OPERATORS: usize = 2_000;

/// How many elements nested comprehensions over literal lists may visit,
/// estimated before the rule runs (`[1, 2, 3].map(a, [1, 2].map(b, a + b))`
/// visits 3 + 3 * 2). Lists from the snapshot are bounded at run time by
/// the step budget ([`crate::eval::Limits::steps`]).
pub const MAX_LITERAL_ITERATIONS: u64 = 100_000;

/// The help of an expression too deep or too long.
const SPLIT_IT: &str = "split it: compute parts as facts (`facts:`), or use `in [...]`, \
                        `all`/`exists` instead of long chains of `||`, `&&` or `+`";

/// Compiles `source` with `env`.
///
/// Besides syntax, this checks what can be known before a rule runs: every
/// function and method called exists and takes that many arguments (see the
/// loader's `calls` module), literal arguments of domain functions have the
/// declared types, the expression nests at most [`MAX_DEPTH`] levels, and
/// comprehensions over literal lists visit at most
/// [`MAX_LITERAL_ITERATIONS`] elements.
pub fn compile(env: &Env, source: &str) -> Result<Expression, Vec<CompileError>> {
    if source.trim().is_empty() {
        return Err(vec![CompileError::syntax("the expression is empty", 0)]);
    }
    if let Some(error) = too_many_operators(source) {
        return Err(vec![error]);
    }
    let program = env.compile(source).map_err(|e| errors(source, &e))?;
    let info = program.source_info();
    let offset_of = |id: u64| -> std::ops::Range<usize> {
        info.offset_for(id)
            .map_or(0..source.len(), |(start, stop)| {
                char_to_byte(source, start as usize)..char_to_byte(source, stop as usize)
            })
    };
    let parsed = program.expression();
    if let Some((id, depth)) = too_deep(parsed) {
        let at = offset_of(id);
        return Err(vec![CompileError {
            message: format!(
                "the expression nests {depth} levels deep or more; at most {MAX_DEPTH} are allowed"
            ),
            offset: at.start,
            len: at.end.saturating_sub(at.start).max(1),
            code: ProblemCode::TooDeep,
            help: Some(SPLIT_IT.to_owned()),
        }]);
    }
    let mut problems: Vec<CompileError> = crate::calls::check(parsed)
        .into_iter()
        .map(|p| {
            let at = offset_of(p.id);
            // Point at the function's name when it can be found: cel places
            // a call at its `(`, so the name ends there (or starts just
            // after, for a method).
            let (offset, len) = name_near(source, &p.name, at.start).map_or(
                (at.start, at.end.saturating_sub(at.start).max(1)),
                |start| (start, p.name.len()),
            );
            CompileError {
                message: p.message,
                offset,
                len,
                code: p.code,
                help: p.help,
            }
        })
        .collect();
    if let Some((id, visits)) = literal_iterations(parsed) {
        let at = offset_of(id);
        problems.push(CompileError {
            message: format!(
                "these comprehensions over literal lists visit about {visits} elements; \
                 at most {MAX_LITERAL_ITERATIONS} are allowed"
            ),
            offset: at.start,
            len: at.end.saturating_sub(at.start).max(1),
            code: ProblemCode::TooCostly,
            help: Some("iterate over snapshot data, or over shorter lists".to_owned()),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut ast = parsed.clone();
    rewrite(&mut ast);
    let mut walker = Walker {
        bound: Vec::new(),
        variables: Vec::new(),
        paths: Vec::new(),
        walks: Vec::new(),
        offset_of: &offset_of,
    };
    walker.walk(parsed);
    let plan = Plan::of(&ast).map(Arc::new);
    Ok(Expression {
        source: source.to_owned(),
        ast: Arc::new(ast),
        plan,
        variables: walker.variables,
        paths: walker.paths,
        walks: walker.walks,
    })
}

/// Where `name` is written next to byte `at`: ending right before it
/// (spaces allowed), or starting within a few bytes after it.
fn name_near(source: &str, name: &str, at: usize) -> Option<usize> {
    if name.is_empty() {
        return None;
    }
    let before = source.get(..at)?.trim_end();
    if before.ends_with(name) {
        return Some(before.len() - name.len());
    }
    let after = source.get(at..)?;
    after
        .find(name)
        .filter(|&i| {
            after
                .get(..i)
                .is_some_and(|gap| gap.trim_start_matches(['.', ' ']).is_empty())
        })
        .map(|i| at + i)
}

/// The children of an expression node, pushed onto `out`.
pub(crate) fn children<'a>(expr: &'a IdedExpr, out: &mut Vec<&'a IdedExpr>) {
    match &expr.expr {
        Expr::Call(c) => {
            out.extend(c.target.as_deref());
            out.extend(c.args.iter());
        }
        Expr::Comprehension(c) => {
            out.extend([
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ]);
        }
        Expr::List(l) => out.extend(l.elements.iter()),
        Expr::Map(m) => {
            for entry in &m.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(e) => out.extend([&e.key, &e.value]),
                    EntryExpr::StructField(f) => out.push(&f.value),
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                match &entry.expr {
                    EntryExpr::MapEntry(e) => out.extend([&e.key, &e.value]),
                    EntryExpr::StructField(f) => out.push(&f.value),
                }
            }
        }
        Expr::Select(s) => out.push(&s.operand),
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// cel reports character offsets; spans are in bytes.
fn char_to_byte(source: &str, chars: usize) -> usize {
    source
        .char_indices()
        .nth(chars)
        .map_or(source.len(), |(i, _)| i)
}
