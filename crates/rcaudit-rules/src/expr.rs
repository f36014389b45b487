//! Compiling CEL expressions once, and checking them before they run.
//!
//! Besides parsing, compiling does two things:
//!
//! - It reads **`a.b` as `a["b"]`**: the same lookup on a map, without cel's
//!   attempt to resolve `a.b` as a qualified variable name first, which
//!   joins a string and searches every scope for every field read.
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

/// A compile error, located in the expression text.
#[derive(Debug, Clone)]
pub struct CompileError {
    pub message: String,
    /// Byte offset into the expression text.
    pub offset: usize,
}

/// Compiles `source` with `env`.
pub fn compile(env: &Env, source: &str) -> Result<Expression, Vec<CompileError>> {
    if source.trim().is_empty() {
        return Err(vec![CompileError {
            message: "the expression is empty".to_owned(),
            offset: 0,
        }]);
    }
    let program = env.compile(source).map_err(|e| errors(source, &e))?;
    let info = program.source_info();
    let offset_of = |id: u64| -> std::ops::Range<usize> {
        info.offset_for(id)
            .map_or(0..source.len(), |(start, stop)| {
                char_to_byte(source, start as usize)..char_to_byte(source, stop as usize)
            })
    };
    let mut ast = program.expression().clone();
    rewrite(&mut ast);
    let mut walker = Walker {
        bound: Vec::new(),
        variables: Vec::new(),
        paths: Vec::new(),
        walks: Vec::new(),
        offset_of: &offset_of,
    };
    walker.walk(program.expression());
    Ok(Expression {
        source: source.to_owned(),
        ast: Arc::new(ast),
        variables: walker.variables,
        paths: walker.paths,
        walks: walker.walks,
    })
}

/// cel reports character offsets; spans are in bytes.
fn char_to_byte(source: &str, chars: usize) -> usize {
    source
        .char_indices()
        .nth(chars)
        .map_or(source.len(), |(i, _)| i)
}

fn errors(source: &str, errors: &ParseErrors) -> Vec<CompileError> {
    errors
        .errors
        .iter()
        .map(|e| {
            let (line, column) = e.pos;
            CompileError {
                message: e.msg.clone(),
                offset: line_column_offset(source, line, column),
            }
        })
        .collect()
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
    rewrite_children(expr);
    rewrite_node(expr);
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

/// Rewrites one node whose children are rewritten already.
fn rewrite_node(expr: &mut IdedExpr) {
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
