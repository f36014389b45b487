//! What every function shares: its arguments and result, reading strings,
//! nulls, maps and their fields, and the type errors that name the function.

use std::sync::LazyLock;

use cel::ExecutionError;
use cel::common::types::{self, CelBool, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;

pub(super) type Args<'b, 'v> = Vec<CowVal<'b, 'v>>;
pub(super) type Out<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

/// The arguments of a call, exactly `N` of them (cel checked the count
/// against the declaration; this keeps a mismatch an error, not a panic).
pub(super) fn take<'b, 'v, const N: usize>(
    args: Args<'b, 'v>,
) -> Result<[CowVal<'b, 'v>; N], ExecutionError> {
    let count = args.len();
    args.try_into()
        .map_err(|_| ExecutionError::invalid_argument_count(N, count))
}

pub(super) fn text(val: &dyn Val) -> Option<&str> {
    val.downcast_ref::<CelString>().map(CelString::inner)
}

pub(super) fn is_null(val: &dyn Val) -> bool {
    val.downcast_ref::<CelNull>().is_some()
}

pub(super) fn type_error(function: &str, val: &dyn Val, want: &str) -> ExecutionError {
    ExecutionError::function_error(
        function,
        format!("expected {want}, got {}", val.get_type().name()),
    )
}

static TRUE: LazyLock<CelBool> = LazyLock::new(|| CelBool::from(true));
static FALSE: LazyLock<CelBool> = LazyLock::new(|| CelBool::from(false));

/// A boolean result, borrowed from a static: no allocation per call.
pub(super) fn boolean<'b, 'v>(value: bool) -> CowVal<'b, 'v> {
    CowVal::Borrowed(if value { &*TRUE } else { &*FALSE })
}

pub(super) fn string<'b, 'v>(value: impl Into<String>) -> CowVal<'b, 'v> {
    CowVal::owned(CelString::from(value.into()))
}

/// `record.field`, when present and not null.
pub(super) fn field_of<'a>(record: &'a dyn Val, field: &str) -> Option<CowVal<'a, 'a>> {
    if let Some(node) = as_node(record) {
        return node
            .get(field)
            .filter(|v| !v.is_null())
            .map(|v| CowVal::Borrowed(v as &dyn Val));
    }
    let value = record.as_indexer()?.get(&CelString::from(field)).ok()?;
    (!is_null(value.as_ref())).then_some(value)
}

pub(super) fn field_name<'a>(function: &str, val: &'a dyn Val) -> Result<&'a str, ExecutionError> {
    text(val).ok_or_else(|| type_error(function, val, "a field name (a string)"))
}

/// Whether a value is `null`: cel's, or the snapshot's.
pub(super) fn is_nothing(val: &dyn Val) -> bool {
    is_null(val) || as_node(val).is_some_and(Node::is_null)
}

/// A map argument of `function` (`null` is an empty one: nothing is there).
pub(super) fn record_arg<'a>(
    function: &str,
    val: &'a dyn Val,
) -> Result<Option<&'a dyn Val>, ExecutionError> {
    if is_nothing(val) {
        return Ok(None);
    }
    let is_map = as_node(val).map_or(val.get_type().kind() == types::Kind::Map, |node| {
        node.as_object().is_some()
    });
    if is_map {
        Ok(Some(val))
    } else {
        Err(type_error(function, val, "a map"))
    }
}

/// A value as a message shows it (a string as it is, anything else as JSON).
pub(super) fn as_text(val: &dyn Val) -> String {
    text(val).map_or_else(|| crate::template::render(val), str::to_owned)
}
