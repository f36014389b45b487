//! The walk that lists what an expression reads: free variables, field
//! paths with their offsets, and whole lists walked per item.

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

/// Top-level variables that hold a whole list of the snapshot.
pub(super) const WHOLE_LISTS: &[&str] = &["extensions", "phoneNumbers", "snapshot"];

pub(super) struct Walker<'a> {
    /// Comprehension variables in scope, innermost last, with the path they
    /// iterate when it is known.
    pub(super) bound: Vec<(String, Option<Vec<String>>)>,
    pub(super) variables: Vec<(String, std::ops::Range<usize>)>,
    pub(super) paths: Vec<(Vec<String>, std::ops::Range<usize>)>,
    pub(super) walks: Vec<(Vec<String>, std::ops::Range<usize>)>,
    pub(super) offset_of: &'a dyn Fn(u64) -> std::ops::Range<usize>,
}

impl Walker<'_> {
    pub(super) fn binding(&self, name: &str) -> Option<&Option<Vec<String>>> {
        self.bound
            .iter()
            .rev()
            .find(|(b, _)| b == name)
            .map(|(_, p)| p)
    }

    pub(super) fn walk(&mut self, expr: &IdedExpr) {
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
    pub(super) fn path(&self, expr: &IdedExpr) -> Option<(Vec<String>, bool)> {
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

pub(super) fn root_id(expr: &IdedExpr) -> u64 {
    let mut current = expr;
    while let Expr::Select(select) = &current.expr {
        current = &select.operand;
    }
    current.id
}
