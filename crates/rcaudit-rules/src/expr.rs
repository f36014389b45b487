//! Compiling CEL expressions once, and checking them before they run.
//!
//! Besides parsing, compiling does four things:
//!
//! - It reads **`a.b` as `a["b"]`**: the same lookup on a map, without cel's
//!   attempt to resolve `a.b` as a qualified variable name first, which
//!   joins a string and searches every scope for every field read.
//! - It reads **`present(a.b.c)`** as one call given `a` and the field names
//!   (see [`functions::PRESENT`]), which tests each field in turn: an absent
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

use std::sync::Arc;

use cel::common::ast::{CallExpr, EntryExpr, Expr, IdedExpr, LiteralValue, operators};
use cel::common::types::CelString;
use cel::{Env, ParseErrors};

use crate::functions;
use crate::problem::ProblemCode;

/// A compiled expression.
#[derive(Debug, Clone)]
pub struct Expression {
    /// The text as written.
    pub source: String,
    pub(crate) ast: Arc<IdedExpr>,
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
/// function and method called exists and takes that many arguments (see
/// [`crate::calls`]), literal arguments of domain functions have the
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
    Ok(Expression {
        source: source.to_owned(),
        ast: Arc::new(ast),
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

/// The first node deeper than [`MAX_DEPTH`], and its depth; without
/// recursion, so a degenerate tree cannot overflow this check.
fn too_deep(expr: &IdedExpr) -> Option<(u64, usize)> {
    let mut stack = vec![(expr, 1usize)];
    let mut kids = Vec::new();
    while let Some((e, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Some((e.id, depth));
        }
        kids.clear();
        children(e, &mut kids);
        stack.extend(kids.iter().map(|k| (*k, depth + 1)));
    }
    None
}

/// Rejects, before parsing, a text with more operators and brackets than
/// [`MAX_OPERATORS`] (outside string literals).
fn too_many_operators(source: &str) -> Option<CompileError> {
    let mut count = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in source.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '(' | '[' | '{' | '.' | '+' | '-' | '*' | '/' | '%' | '!' | '<' | '>' | '=' | '&'
            | '|' | '?' => {
                count += 1;
                if count > MAX_OPERATORS {
                    return Some(CompileError {
                        message: format!(
                            "the expression has more than {MAX_OPERATORS} operators and brackets"
                        ),
                        offset: i,
                        len: 1,
                        code: ProblemCode::TooDeep,
                        help: Some(SPLIT_IT.to_owned()),
                    });
                }
            }
            _ => {}
        }
    }
    None
}

/// Static cost of comprehensions over literal lists: each visits its
/// list's length times the visits of the comprehensions around it. The
/// first comprehension whose total passes [`MAX_LITERAL_ITERATIONS`], and
/// the total. Lists that are not literals count as one element here (their
/// size is the snapshot's; the run-time step budget bounds them).
fn literal_iterations(expr: &IdedExpr) -> Option<(u64, u64)> {
    let mut total: u64 = 0;
    let mut stack = vec![(expr, 1u64)];
    let mut kids = Vec::new();
    while let Some((e, factor)) = stack.pop() {
        let mut inner = factor;
        if let Expr::Comprehension(c) = &e.expr {
            let len = match &c.iter_range.expr {
                Expr::List(l) => l.elements.len(),
                Expr::Map(m) => m.entries.len(),
                _ => 1,
            };
            inner = factor.saturating_mul(u64::try_from(len).unwrap_or(u64::MAX));
            total = total.saturating_add(inner);
            if total > MAX_LITERAL_ITERATIONS {
                return Some((e.id, total));
            }
            // The range and the initial value are evaluated once per
            // visit of the enclosing comprehension, the rest per element.
            stack.push((&c.iter_range, factor));
            stack.push((&c.accu_init, factor));
            stack.push((&c.loop_cond, inner));
            stack.push((&c.loop_step, inner));
            stack.push((&c.result, factor));
            continue;
        }
        kids.clear();
        children(e, &mut kids);
        stack.extend(kids.iter().map(|k| (*k, inner)));
    }
    None
}

/// cel reports character offsets; spans are in bytes.
fn char_to_byte(source: &str, chars: usize) -> usize {
    source
        .char_indices()
        .nth(chars)
        .map_or(source.len(), |(i, _)| i)
}

/// cel's parse errors as messages for people: no parser internals, always
/// a position.
fn errors(source: &str, errors: &ParseErrors) -> Vec<CompileError> {
    let mapped: Vec<CompileError> = errors
        .errors
        .iter()
        .map(|e| {
            let (mut line, mut column) = e.pos;
            let mut message = e.msg.clone();
            if message == "UNKNOWN" || message.contains("Error(") || message.contains("{ ") {
                // An error cel passes on from its parser without a message
                // of its own: the inner message and position, if any.
                let inner = e
                    .source
                    .as_ref()
                    .map(|s| format!("{s:?}"))
                    .unwrap_or_default();
                let text = if inner.is_empty() {
                    message.clone()
                } else {
                    inner
                };
                if let Some((l, c)) = field_pair(&text, "pos: (") {
                    line = l;
                    column = c;
                }
                message = field_text(&text, "msg: \"").map_or_else(
                    || "the expression cannot be parsed".to_owned(),
                    |m| {
                        m.replace("Recursion limit of", "nesting limit of").replace(
                            "exceeded",
                            "levels exceeded: the expression nests too deeply",
                        )
                    },
                );
            }
            CompileError::syntax(plain(&message), line_column_offset(source, line, column))
        })
        .collect();
    // Past the nesting limit the parser gives up: what follows is noise.
    if let Some(limit) = mapped
        .iter()
        .find(|e| e.message.contains("nests too deeply"))
    {
        return vec![CompileError {
            code: ProblemCode::TooDeep,
            help: Some(SPLIT_IT.to_owned()),
            ..limit.clone()
        }];
    }
    // The parser goes on after an error, and what it reports next is mostly
    // the same mistake seen again: the first error says it.
    // Internal messages (below) only when nothing better is said.
    let internal = |e: &CompileError| e.message == INCOMPLETE;
    let first = mapped
        .iter()
        .find(|e| !internal(e))
        .or_else(|| mapped.first())
        .cloned();
    first.into_iter().collect()
}

const INCOMPLETE: &str = "the expression is incomplete here";

/// A parser message in words: no token lists, no parser internals.
fn plain(message: &str) -> String {
    let text = message.strip_prefix("Syntax error: ").unwrap_or(message);
    let quoted = |after: &str| {
        text.split_once(after)
            .map(|(_, rest)| rest)
            .and_then(|rest| rest.strip_prefix('\''))
            .and_then(|rest| rest.rsplit_once('\'').map(|(inner, _)| inner))
            .map(|inner| {
                inner
                    .split("' expecting")
                    .next()
                    .unwrap_or(inner)
                    .to_owned()
            })
    };
    if text.contains("'<EOF>'") {
        "the expression ends too early (something is missing at its end)".to_owned()
    } else if let Some(token) = quoted("token recognition error at: ") {
        if token.starts_with(['\'', '"']) {
            format!("cannot read `{token}`: an unclosed string, or an invalid escape in one")
        } else {
            format!("unexpected character `{token}`")
        }
    } else if let Some(token) = quoted("extraneous input ") {
        format!("unexpected `{token}`")
    } else if let Some(token) = quoted("mismatched input ") {
        format!("unexpected `{token}`")
    } else if let Some(token) = quoted("no viable alternative at input ") {
        format!("cannot parse `{token}`")
    } else if text.starts_with("No `") || text.starts_with("Incomplete `") {
        // The parser's own internals (`Incomplete `IndexContext`!`).
        INCOMPLETE.to_owned()
    } else {
        text.to_owned()
    }
}

/// The string after `key` in a `Debug` text, up to its closing quote.
fn field_text(text: &str, key: &str) -> Option<String> {
    let start = text.find(key)? + key.len();
    let rest = text.get(start..)?;
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            '"' => return Some(out),
            c => out.push(c),
        }
    }
    None
}

/// Two numbers after `key` in a `Debug` text: `pos: (1, 4)`.
fn field_pair(text: &str, key: &str) -> Option<(isize, isize)> {
    let start = text.find(key)? + key.len();
    let rest = text.get(start..)?;
    let (pair, _) = rest.split_once(')')?;
    let (a, b) = pair.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}

/// Byte offset of a 1-based line and 0-based character column.
fn line_column_offset(source: &str, line: isize, column: isize) -> usize {
    let line = usize::try_from(line.max(1) - 1).unwrap_or(0);
    let column = usize::try_from(column.max(0)).unwrap_or(0);
    let mut start = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i == line {
            let within = l.char_indices().nth(column).map_or(l.len(), |(b, _)| b);
            return (start + within).min(source.len());
        }
        start += l.len();
    }
    source.len()
}

fn is_scalar_literal(expr: &IdedExpr) -> bool {
    matches!(expr.expr, Expr::Literal(_))
}

/// Whether a list literal holds only scalar literals.
fn is_scalar_list_literal(expr: &IdedExpr) -> bool {
    match &expr.expr {
        Expr::List(list) => list.elements.iter().all(is_scalar_literal),
        _ => false,
    }
}

/// Longest literal list an `in` is turned into a call for.
const MAX_UNROLLED_IN: usize = functions::MAX_IN_LITERALS;

fn list_len(expr: &IdedExpr) -> usize {
    match &expr.expr {
        Expr::List(list) => list.elements.len(),
        _ => 0,
    }
}

fn call(id: u64, name: &str, args: Vec<IdedExpr>) -> IdedExpr {
    IdedExpr {
        id,
        expr: Expr::Call(CallExpr {
            func_name: name.to_owned(),
            target: None,
            args,
        }),
    }
}

/// Rewrites an expression for evaluation, see the module docs: children
/// first, then the node itself.
fn rewrite(expr: &mut IdedExpr) {
    if let Some(path) = present_path(expr) {
        *expr = path;
        rewrite_children(expr);
        return;
    }
    rewrite_children(expr);
    rewrite_node(expr);
}

/// `present(a.b.c)` as `@rcaudit_present(a, "b", "c")` (see
/// [`functions::PRESENT`]): each field is tested in turn, so an absent one
/// makes the test false instead of an error. The call as written (its
/// argument a field path) is what the loader checks.
fn present_path(expr: &IdedExpr) -> Option<IdedExpr> {
    let Expr::Call(c) = &expr.expr else {
        return None;
    };
    if c.func_name != "present" || c.target.is_some() {
        return None;
    }
    let [arg] = c.args.as_slice() else {
        return None;
    };
    let mut fields = Vec::new();
    let mut current = arg;
    while let Expr::Select(select) = &current.expr {
        if select.test {
            break;
        }
        fields.push(IdedExpr {
            id: current.id,
            expr: Expr::Literal(LiteralValue::String(CelString::from(select.field.clone()))),
        });
        current = &select.operand;
    }
    if fields.is_empty() || fields.len() > functions::MAX_PRESENT_FIELDS {
        return None;
    }
    fields.reverse();
    let mut args = Vec::with_capacity(fields.len() + 1);
    args.push(current.clone());
    args.extend(fields);
    Some(call(expr.id, functions::PRESENT, args))
}

fn rewrite_children(expr: &mut IdedExpr) {
    match &mut expr.expr {
        Expr::Call(c) => {
            if let Some(target) = &mut c.target {
                rewrite(target);
            }
            c.args.iter_mut().for_each(rewrite);
        }
        Expr::Comprehension(c) => {
            rewrite(&mut c.iter_range);
            rewrite(&mut c.accu_init);
            rewrite(&mut c.loop_cond);
            rewrite(&mut c.loop_step);
            rewrite(&mut c.result);
        }
        Expr::List(l) => l.elements.iter_mut().for_each(rewrite),
        Expr::Map(m) => {
            for entry in &mut m.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(e) => {
                        rewrite(&mut e.key);
                        rewrite(&mut e.value);
                    }
                    EntryExpr::StructField(f) => rewrite(&mut f.value),
                }
            }
        }
        Expr::Select(s) => rewrite(&mut s.operand),
        Expr::Struct(s) => {
            for entry in &mut s.entries {
                match &mut entry.expr {
                    EntryExpr::MapEntry(e) => {
                        rewrite(&mut e.key);
                        rewrite(&mut e.value);
                    }
                    EntryExpr::StructField(f) => rewrite(&mut f.value),
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Wraps `expr` in a call to [`functions::STEP`], which counts one step
/// against the evaluation's budget and returns the value.
fn stepped(expr: &mut IdedExpr) {
    let inner = std::mem::take(expr);
    *expr = call(inner.id, functions::STEP, vec![inner]);
}

/// Makes each element a comprehension visits count one step, keeping the
/// shapes `cel` evaluates fastest (`@result + [x]` appends in place;
/// `@result && x` defers errors as cel-go does).
fn count_steps(c: &mut cel::common::ast::ComprehensionExpr) {
    let accu = c.accu_var.clone();
    let is_accu = |e: &IdedExpr| matches!(&e.expr, Expr::Ident(n) if *n == accu);
    let Expr::Call(step) = &mut c.loop_step.expr else {
        stepped(&mut c.loop_step);
        return;
    };
    let name = step.func_name.as_str();
    let appends = |call: &CallExpr| {
        call.func_name == operators::ADD
            && call.args.first().is_some_and(&is_accu)
            && call
                .args
                .get(1)
                .is_some_and(|l| matches!(l.expr, Expr::List(_)))
    };
    if step.target.is_none() && step.args.len() == 2 {
        if (name == operators::LOGICAL_AND || name == operators::LOGICAL_OR)
            && step.args.first().is_some_and(&is_accu)
        {
            if let Some(x) = step.args.get_mut(1) {
                stepped(x);
            }
            return;
        }
        if appends(step) {
            if let Some(Expr::List(list)) = step.args.get_mut(1).map(|l| &mut l.expr) {
                list.elements.iter_mut().for_each(stepped);
            }
            return;
        }
    }
    if name == operators::CONDITIONAL && step.target.is_none() && step.args.len() == 3 {
        if let Some(guard) = step.args.first_mut() {
            stepped(guard);
        }
        return;
    }
    stepped(&mut c.loop_step);
}

/// Rewrites one node whose children are rewritten already.
fn rewrite_node(expr: &mut IdedExpr) {
    if let Expr::Comprehension(c) = &mut expr.expr {
        count_steps(c);
        return;
    }
    // `has(a.b)` becomes a call: the same test, without cel resolving `a`
    // as a qualified name first.
    if let Expr::Select(select) = &mut expr.expr
        && select.test
    {
        let operand = std::mem::take(&mut *select.operand);
        let field = IdedExpr {
            id: expr.id,
            expr: Expr::Literal(LiteralValue::String(CelString::from(std::mem::take(
                &mut select.field,
            )))),
        };
        *expr = call(expr.id, functions::HAS, vec![operand, field]);
        return;
    }
    // `a.b` becomes `a["b"]`: the same lookup on a map, without cel first
    // trying `a.b` as a qualified variable name (a joined string and a
    // search of every scope, for every field read).
    if let Expr::Select(select) = &mut expr.expr
        && !select.test
    {
        let operand = std::mem::take(&mut *select.operand);
        let field = IdedExpr {
            id: expr.id,
            expr: Expr::Literal(LiteralValue::String(CelString::from(std::mem::take(
                &mut select.field,
            )))),
        };
        *expr = call(expr.id, operators::INDEX, vec![operand, field]);
        return;
    }
    let Expr::Call(c) = &mut expr.expr else {
        return;
    };
    if c.target.is_some() || c.args.len() != 2 {
        return;
    }
    let name = c.func_name.as_str();
    let (Some(left), Some(right)) = (c.args.first(), c.args.get(1)) else {
        return;
    };
    let replacement = match name {
        operators::EQUALS | operators::NOT_EQUALS
            if !is_scalar_literal(left) && !is_scalar_literal(right) =>
        {
            let args = std::mem::take(&mut c.args);
            let equals = call(expr.id, functions::EQUALS, args);
            if name == operators::NOT_EQUALS {
                call(expr.id, operators::LOGICAL_NOT, vec![equals])
            } else {
                equals
            }
        }
        operators::IN if is_scalar_list_literal(right) && list_len(right) <= MAX_UNROLLED_IN => {
            // `x in ["a", "b"]` is `in_literals(x, "a", "b")`: the needle is
            // evaluated once, and no list is built for each evaluation.
            let mut args = std::mem::take(&mut c.args).into_iter();
            let (Some(needle), Some(list)) = (args.next(), args.next()) else {
                return;
            };
            let Expr::List(list) = list.expr else {
                return;
            };
            let mut all = Vec::with_capacity(list.elements.len() + 1);
            all.push(needle);
            all.extend(list.elements);
            call(expr.id, functions::IN_LITERALS, all)
        }
        operators::IN if !is_scalar_literal(left) && !is_scalar_list_literal(right) => {
            call(expr.id, functions::IN, std::mem::take(&mut c.args))
        }
        _ => return,
    };
    *expr = replacement;
}

/// Top-level variables that hold a whole list of the snapshot.
const WHOLE_LISTS: &[&str] = &["extensions", "phoneNumbers", "snapshot"];

struct Walker<'a> {
    /// Comprehension variables in scope, innermost last, with the path they
    /// iterate when it is known.
    bound: Vec<(String, Option<Vec<String>>)>,
    variables: Vec<(String, std::ops::Range<usize>)>,
    paths: Vec<(Vec<String>, std::ops::Range<usize>)>,
    walks: Vec<(Vec<String>, std::ops::Range<usize>)>,
    offset_of: &'a dyn Fn(u64) -> std::ops::Range<usize>,
}

impl Walker<'_> {
    fn binding(&self, name: &str) -> Option<&Option<Vec<String>>> {
        self.bound
            .iter()
            .rev()
            .find(|(b, _)| b == name)
            .map(|(_, p)| p)
    }

    fn walk(&mut self, expr: &IdedExpr) {
        match &expr.expr {
            Expr::Ident(name) => {
                if self.binding(name).is_none() {
                    self.variables
                        .push((name.clone(), (self.offset_of)(expr.id)));
                }
            }
            Expr::Select(select) => {
                // A chain of selects on a variable is a field path.
                if let Some((path, free)) = self.path(expr) {
                    if free {
                        let root = path.first().cloned().unwrap_or_default();
                        self.variables.push((root, (self.offset_of)(root_id(expr))));
                    }
                    // cel places a select at its `.`: point at the field name.
                    let dot = (self.offset_of)(expr.id).start;
                    let field = path.last().map_or(0, String::len);
                    self.paths.push((path, dot + 1..dot + 1 + field));
                    return;
                }
                self.walk(&select.operand);
            }
            Expr::Call(c) => {
                if let Some(target) = &c.target {
                    self.walk(target);
                }
                for a in &c.args {
                    self.walk(a);
                }
            }
            Expr::Comprehension(c) => {
                self.walk(&c.iter_range);
                self.walk(&c.accu_init);
                let range = self.path(&c.iter_range).map(|(path, free)| {
                    if free
                        && path
                            .first()
                            .is_some_and(|r| WHOLE_LISTS.contains(&r.as_str()))
                    {
                        self.walks
                            .push((path.clone(), (self.offset_of)(c.iter_range.id)));
                    }
                    path
                });
                let element = range.map(|mut path| {
                    path.push("[]".to_owned());
                    path
                });
                self.bound.push((c.iter_var.clone(), element));
                if let Some(v) = &c.iter_var2 {
                    self.bound.push((v.clone(), None));
                }
                self.bound.push((c.accu_var.clone(), None));
                self.walk(&c.loop_cond);
                self.walk(&c.loop_step);
                self.walk(&c.result);
                self.bound.pop();
                if c.iter_var2.is_some() {
                    self.bound.pop();
                }
                self.bound.pop();
            }
            Expr::List(l) => l.elements.iter().for_each(|e| self.walk(e)),
            Expr::Map(m) => {
                for entry in &m.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(e) => {
                            self.walk(&e.key);
                            self.walk(&e.value);
                        }
                        EntryExpr::StructField(f) => self.walk(&f.value),
                    }
                }
            }
            Expr::Struct(s) => {
                for entry in &s.entries {
                    match &entry.expr {
                        EntryExpr::MapEntry(e) => {
                            self.walk(&e.key);
                            self.walk(&e.value);
                        }
                        EntryExpr::StructField(f) => self.walk(&f.value),
                    }
                }
            }
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }

    /// `a.b.c` as `["a", "b", "c"]` when `a` is a free variable (`true`), or
    /// the elements of a known path when `a` is a comprehension variable
    /// (`false`). A `has()` test (`has(a.b)`) is a path too.
    fn path(&self, expr: &IdedExpr) -> Option<(Vec<String>, bool)> {
        let mut fields = Vec::new();
        let mut current = expr;
        loop {
            match &current.expr {
                Expr::Select(select) => {
                    fields.push(select.field.clone());
                    current = &select.operand;
                }
                Expr::Ident(name) => {
                    fields.reverse();
                    return match self.binding(name) {
                        None => {
                            fields.insert(0, name.clone());
                            Some((fields, true))
                        }
                        Some(Some(base)) => {
                            let mut path = base.clone();
                            path.extend(fields);
                            Some((path, false))
                        }
                        Some(None) => None,
                    };
                }
                _ => return None,
            }
        }
    }
}

fn root_id(expr: &IdedExpr) -> u64 {
    let mut current = expr;
    while let Expr::Select(select) = &current.expr {
        current = &select.operand;
    }
    current.id
}
