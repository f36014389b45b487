//! The functions the expression rewrite substitutes (`expr/rewrite.rs`):
//! `==`, `!=` and `in` made symmetric between computed values, `has(a.b)`,
//! `x in [literals]`, and the name of `present(a.b.c)`. Their names start
//! with `@`, so no rule can call them.

use cel::ExecutionError;
use cel::common::types::{self, CelString};
use cel::common::value::Val;
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;
use rcaudit_model::value::same_text;

use super::values::{Args, Out, boolean, field_name, take, text};

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
    Ok(boolean(
        args.any(|literal| equal_either_way(needle, literal.as_ref())),
    ))
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

/// Whether `a` and `b` are equal either way round (cel's `equals` is not
/// symmetric between types): what `==` between computed values means.
pub(crate) fn equal_either_way(a: &dyn Val, b: &dyn Val) -> bool {
    // Two strings, the common case (`x in facts.numberRegions`): their
    // texts, compared in place.
    if let (Some(a), Some(b)) = (text(a), text(b)) {
        return same_text(a.as_bytes(), b.as_bytes());
    }
    a.equals(b) || b.equals(a)
}

pub(super) fn symmetric_equals<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [a, b] = take(args)?;
    Ok(boolean(equal_either_way(a.as_ref(), b.as_ref())))
}

/// `needle in haystack` between computed values: a list's elements compared
/// with [`equal_either_way`] (a list of the snapshot read in place), anything
/// else by its `contains`. Plans call it too (`plan::Op::SymIn`).
pub(crate) fn contains_either_way(
    needle: &dyn Val,
    haystack: &dyn Val,
) -> Result<bool, ExecutionError> {
    if let Some(Node::Array(items)) = as_node(haystack) {
        return Ok(items.iter().any(|item| equal_either_way(item, needle)));
    }
    if haystack.get_type().kind() == types::Kind::List
        && let Some(iterable) = haystack.as_iterable()
    {
        let mut items = iterable.iter();
        while let Some(item) = items.next() {
            if equal_either_way(item, needle) {
                return Ok(true);
            }
        }
        return Ok(false);
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
    container.contains(needle)
}

pub(super) fn symmetric_in<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [needle, haystack] = take(args)?;
    contains_either_way(needle.as_ref(), haystack.as_ref()).map(boolean)
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

    /// `in` over a list of the snapshot (read in place) answers as over the
    /// same list built by cel (walked by its iterator).
    #[test]
    fn in_a_tree_list_is_in_a_cel_list() {
        use cel::common::types::{CelDouble, CelInt, CelNull, CelString, CelUInt};
        use cel::common::value::Val;
        let json = r#"[1, "a", 2.5, null, [1], {"k": 1}, 18446744073709551615]"#;
        let tree = rcaudit_model::parse(json).expect("json");
        let env = std::sync::Arc::new(crate::load::environment().expect("environment"));
        // The same list in cel's syntax (a uint is written with its `u`).
        let cel_text = json.replace("18446744073709551615", "18446744073709551615u");
        let list = crate::expr::compile(&env, &cel_text).expect("compiles");
        let ctx = cel::Context::with_env(std::sync::Arc::clone(&env));
        let list = cel::Value::resolve_val(&list.ast, &ctx).expect("a list");
        let needles: Vec<Box<dyn Val>> = vec![
            Box::new(CelInt::from(1)),
            Box::new(CelUInt::from(1)),
            Box::new(CelDouble::from(1.0)),
            Box::new(CelDouble::from(2.5)),
            Box::new(CelString::from("a")),
            Box::new(CelString::from("b")),
            Box::new(CelNull),
            Box::new(CelUInt::from(u64::MAX)),
            Box::new(CelInt::from(3)),
        ];
        let mut found = 0;
        for needle in &needles {
            let on_tree = super::contains_either_way(&**needle, &tree).expect("a list");
            let on_list = super::contains_either_way(&**needle, list.as_ref()).expect("a list");
            assert_eq!(on_tree, on_list, "{needle:?}");
            found += usize::from(on_tree);
        }
        // Not vacuous: some are in, some are not.
        assert!((1..needles.len()).contains(&found), "{found}");
    }
}
