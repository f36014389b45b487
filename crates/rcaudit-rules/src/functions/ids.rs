//! Ids: `idString`, `sameId` (an id is the same as a number or a string)
//! and `uriAccount`.

use cel::common::types::{CelInt, CelNull};
use cel::common::value::{CowVal, Val};
use rcaudit_model::cel::as_node;

use super::values::{Args, Out, boolean, is_null, string, take, text, type_error};

/// An id of any accepted form as a string.
pub fn id_text(val: &dyn Val) -> Option<String> {
    if let Some(s) = text(val) {
        return Some(s.to_owned());
    }
    if let Some(node) = as_node(val) {
        return node.id_string();
    }
    if let Some(i) = val.downcast_ref::<CelInt>() {
        return Some(i.inner().to_string());
    }
    if let Some(u) = val.downcast_ref::<cel::common::types::CelUInt>() {
        return Some(u.inner().to_string());
    }
    // An id written as `1.0` is the id 1.
    if let Some(d) = val.downcast_ref::<cel::common::types::CelDouble>() {
        let d = *d.inner();
        if d.fract() == 0.0 && d.abs() < 1e15 {
            return Some(format!("{d:.0}"));
        }
    }
    None
}

pub(super) fn id_string(value: &dyn Val) -> Out<'static, 'static> {
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    id_text(value)
        .map(string)
        .ok_or_else(|| type_error("idString", value, "an int or a string"))
}

pub(super) fn same_id<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [a, b] = take(args)?;
    Ok(boolean(
        matches!((id_text(a.as_ref()), id_text(b.as_ref())), (Some(x), Some(y)) if x == y),
    ))
}

/// The account segment of an API uri.
pub fn account_of_uri(uri: &str) -> Option<&str> {
    let path = uri.split(['?', '#']).next().unwrap_or_default();
    let mut segments = path.split('/');
    segments.find(|s| *s == "account")?;
    segments.next().filter(|s| !s.is_empty())
}

pub(super) fn uri_account(value: &dyn Val) -> Out<'static, 'static> {
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    let uri = text(value).ok_or_else(|| type_error("uriAccount", value, "a string"))?;
    Ok(match account_of_uri(uri) {
        Some(account) => string(account),
        None => CowVal::owned(CelNull),
    })
}
