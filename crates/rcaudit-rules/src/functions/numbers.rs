//! Phone numbers: `normalize`, `isE164`, `isTollFree`, and the Rust forms
//! the engine uses directly.

use cel::common::types::CelNull;
use cel::common::value::CowVal;

use super::values::{Args, Out, boolean, is_null, string, take, text, type_error};

/// Strips one leading `+`.
pub fn normalize_number(number: &str) -> &str {
    number.strip_prefix('+').unwrap_or(number)
}

/// E.164 per the catalogue: 8-15 ASCII digits, first not 0, `+` optional.
pub fn e164(number: &str) -> bool {
    let digits = normalize_number(number);
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// NANP toll-free area codes in service.
pub fn toll_free(number: &str) -> bool {
    const AREA_CODES: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];
    let digits = normalize_number(number);
    digits.len() == 11
        && digits.bytes().all(|b| b.is_ascii_digit())
        && digits.starts_with('1')
        && digits
            .get(1..4)
            .is_some_and(|area| AREA_CODES.contains(&area))
}

pub(super) fn normalize<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let value = value.as_ref();
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    let number = text(value).ok_or_else(|| type_error("normalize", value, "a string"))?;
    Ok(string(normalize_number(number)))
}

pub(super) fn is_e164<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(text(value.as_ref()).is_some_and(e164)))
}

pub(super) fn is_toll_free<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(text(value.as_ref()).is_some_and(toll_free)))
}
