//! `present`: whether a value, or each field of a path, is there and not
//! null.

use cel::ExecutionError;
use cel::common::types::{self, CelString};
use cel::common::value::{CowVal, Val};
use rcaudit_model::cel::as_node;

use super::values::{Args, Out, boolean, field_name, is_nothing, is_null, take};

/// `present(value)`, for a value that is not a field path (those are
/// rewritten into [`PRESENT`](super::PRESENT) calls).
pub(super) fn present<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(!is_nothing(value.as_ref())))
}

/// `present(a.b.c)` as `@rcaudit_present(a, "b", "c")`: whether each field
/// is there and not null.
pub(super) fn present_path<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let mut args = args.into_iter();
    let root = args
        .next()
        .ok_or_else(|| ExecutionError::invalid_argument_count(2, 0))?;
    present_in(root.as_ref(), &mut args).map(boolean)
}

/// Whether the path of `fields` leads from `value` to a value that is not
/// null.
fn present_in(
    value: &dyn Val,
    fields: &mut std::vec::IntoIter<CowVal<'_, '_>>,
) -> Result<bool, ExecutionError> {
    let Some(field) = fields.next() else {
        return Ok(!is_nothing(value));
    };
    let field = field_name("present", field.as_ref())?;
    let not_a_map = |val: &dyn Val| {
        ExecutionError::function_error(
            "present",
            format!(
                "`{field}` is read from a {}, which has no fields",
                val.get_type().name()
            ),
        )
    };
    if let Some(node) = as_node(value) {
        if node.is_null() {
            return Ok(false);
        }
        let object = node.as_object().ok_or_else(|| not_a_map(value))?;
        return match object.get(field) {
            Some(next) => present_in(next, fields),
            None => Ok(false),
        };
    }
    if is_null(value) {
        return Ok(false);
    }
    let indexer = value
        .as_indexer()
        .filter(|_| value.get_type().kind() == types::Kind::Map)
        .ok_or_else(|| not_a_map(value))?;
    match indexer.get(&CelString::from(field)) {
        Ok(next) => present_in(next.as_ref(), fields),
        Err(_) => Ok(false),
    }
}
