//! The rewrite for evaluation (see [`super`]): symmetric `==`, `!=` and
//! `in`, `present(a.b.c)`, field selections and literal lists as calls,
//! and the step counting of comprehensions.

use crate::functions;
use cel::common::ast::{CallExpr, EntryExpr, Expr, IdedExpr, LiteralValue, operators};
use cel::common::types::CelString;

pub(super) fn is_scalar_literal(expr: &IdedExpr) -> bool {
    matches!(expr.expr, Expr::Literal(_))
}

/// Whether a list literal holds only scalar literals.
pub(super) fn is_scalar_list_literal(expr: &IdedExpr) -> bool {
    match &expr.expr {
        Expr::List(list) => list.elements.iter().all(is_scalar_literal),
        _ => false,
    }
}

/// Longest literal list an `in` is turned into a call for.
pub(super) const MAX_UNROLLED_IN: usize = functions::MAX_IN_LITERALS;

pub(super) fn list_len(expr: &IdedExpr) -> usize {
    match &expr.expr {
        Expr::List(list) => list.elements.len(),
        _ => 0,
    }
}

pub(super) fn call(id: u64, name: &str, args: Vec<IdedExpr>) -> IdedExpr {
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
pub(super) fn rewrite(expr: &mut IdedExpr) {
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
pub(super) fn present_path(expr: &IdedExpr) -> Option<IdedExpr> {
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

pub(super) fn rewrite_children(expr: &mut IdedExpr) {
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
pub(super) fn stepped(expr: &mut IdedExpr) {
    let inner = std::mem::take(expr);
    *expr = call(inner.id, functions::STEP, vec![inner]);
}

/// Makes each element a comprehension visits count one step, keeping the
/// shapes `cel` evaluates fastest (`@result + [x]` appends in place;
/// `@result && x` defers errors as cel-go does).
pub(super) fn count_steps(c: &mut cel::common::ast::ComprehensionExpr) {
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
pub(super) fn rewrite_node(expr: &mut IdedExpr) {
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
