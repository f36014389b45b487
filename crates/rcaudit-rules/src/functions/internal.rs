//! The functions the expression rewrite substitutes (`expr/rewrite.rs`):
//! `==`, `!=` and `in` made symmetric between computed values, `has(a.b)`,
//! `x in [literals]`, and the name of `present(a.b.c)`. Their names start
//! with `@`, so no rule can call them.

use cel::ExecutionError;
use cel::common::types::{self, CelString};
use rcaudit_model::cel::as_node;

use super::values::{Args, Out, boolean, field_name, take};

/// Name of the symmetric equality the compiler substitutes for `==` between
/// two computed values (see `expr/rewrite.rs`). Not callable by name from rules: `@`
/// is not an identifier character.
pub const EQUALS: &str = "@rcaudit_equals";
/// Likewise for `in`.
pub const IN: &str = "@rcaudit_in";
/// And for `has(a.b)`.
pub const HAS: &str = "@rcaudit_has";
/// And for `present(a.b.c)`: `@rcaudit_present(a, "b", "c")`.
pub const PRESENT: &str = "@rcaudit_present";
/// The most fields a `present(...)` path may have to be tested step by step
/// (a longer one is evaluated as written: an absent field is an error).
pub const MAX_PRESENT_FIELDS: usize = 16;
/// And for `x in [literals]`, with the literals as arguments.
pub const IN_LITERALS: &str = "@rcaudit_in_literals";
/// The most literals `IN_LITERALS` takes.
pub const MAX_IN_LITERALS: usize = 16;

/// `x in [a, b, ...]` with the literals as arguments.
pub(super) fn in_literals<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let mut args = args.into_iter();
    let needle = args
        .next()
        .ok_or_else(|| ExecutionError::invalid_argument_count(1, 0))?;
    let needle = needle.as_ref();
    Ok(boolean(args.any(|literal| {
        needle.equals(literal.as_ref()) || literal.equals(needle)
    })))
}

/// `has(a.b)`: whether map `a` has the key `b` (an error on anything but a
/// map, as in cel).
pub(super) fn has_field<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [map, field] = take(args)?;
    let field = field_name("has", field.as_ref())?;
    if let Some(node) = as_node(map.as_ref()) {
        return match node.as_object() {
            Some(object) => Ok(boolean(object.get(field).is_some())),
            None => Err(ExecutionError::NoSuchKey(std::sync::Arc::new(
                field.to_owned(),
            ))),
        };
    }
    let indexer = map
        .as_indexer()
        .filter(|_| map.get_type().kind() == types::Kind::Map)
        .ok_or_else(|| ExecutionError::NoSuchKey(std::sync::Arc::new(field.to_owned())))?;
    Ok(boolean(indexer.get(&CelString::from(field)).is_ok()))
}

pub(super) fn symmetric_equals<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [a, b] = take(args)?;
    Ok(boolean(a.equals(b.as_ref()) || b.equals(a.as_ref())))
}

pub(super) fn symmetric_in<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [needle, haystack] = take(args)?;
    let (needle, haystack) = (needle.as_ref(), haystack.as_ref());
    if haystack.get_type().kind() == types::Kind::List
        && let Some(iterable) = haystack.as_iterable()
    {
        let mut items = iterable.iter();
        while let Some(item) = items.next() {
            if item.equals(needle) || needle.equals(item) {
                return Ok(boolean(true));
            }
        }
        return Ok(boolean(false));
    }
    let container = haystack.as_container().ok_or_else(|| {
        ExecutionError::no_such_overload(
            "@in",
            vec![
                needle.get_type().name().to_owned(),
                haystack.get_type().name().to_owned(),
            ],
        )
    })?;
    container.contains(needle).map(boolean)
}

#[cfg(test)]
mod tests {
    use crate::functions::tests::eval;

    #[test]
    fn comparisons_between_computed_values_are_symmetric() {
        for expr in [
            "[1, 2] == {'k': [1, 2]}.k",
            "{'k': [1, 2]}.k == [1, 2]",
            "[[1]] == [[1]]",
            "[1, 2].map(x, x) == [1, 2]",
            "!([1, 2] != [1, 2].map(x, x))",
            "[1] in [[1], [2]]",
        ] {
            assert_eq!(eval(expr), serde_json::Value::Bool(true), "{expr}");
        }
    }
}
