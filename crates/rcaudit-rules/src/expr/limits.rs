//! Bounds on what cel is given: how deep an expression nests, how many
//! operators it has, and how many elements comprehensions over literal
//! lists visit.

use super::{CompileError, MAX_DEPTH, MAX_LITERAL_ITERATIONS, MAX_OPERATORS, SPLIT_IT, children};
use crate::problem::ProblemCode;
use cel::common::ast::{Expr, IdedExpr};

/// The first node deeper than [`MAX_DEPTH`], and its depth; without
/// recursion, so a degenerate tree cannot overflow this check.
pub(super) fn too_deep(expr: &IdedExpr) -> Option<(u64, usize)> {
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
pub(super) fn too_many_operators(source: &str) -> Option<CompileError> {
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
pub(super) fn literal_iterations(expr: &IdedExpr) -> Option<(u64, u64)> {
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
