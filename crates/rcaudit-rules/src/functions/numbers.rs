//! Phone numbers: `normalize`, `isE164`, `isTollFree`, the functions
//! backed by libphonenumber's metadata (`e164`, `isValidNumber`,
//! `phoneRegion`, `phoneType`), and the Rust forms the engine uses
//! directly.

use std::cell::RefCell;

use cel::common::types::CelNull;
use cel::common::value::CowVal;
use rcaudit_phone::NumberType;
use rustc_hash::FxHashMap;

use super::values::{Args, Out, boolean, is_null, string, take, text, type_error};

/// Strips one leading `+`.
pub fn normalize_number(number: &str) -> &str {
    number.strip_prefix('+').unwrap_or(number)
}

/// E.164 per the catalogue: 8-15 ASCII digits, first not 0, `+` optional.
pub fn e164_shape(number: &str) -> bool {
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
    Ok(boolean(text(value.as_ref()).is_some_and(e164_shape)))
}

pub(super) fn is_toll_free<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(text(value.as_ref()).is_some_and(toll_free)))
}

/// What the metadata-backed functions read of a number.
#[derive(Debug, Clone, Copy)]
struct Class {
    region: Option<&'static str>,
    kind: NumberType,
    valid: bool,
}

/// Numbers classified on this thread, each once: several rules read the
/// same numbers (a forwarding number's type and its region), and an account
/// list repeats the extensions' numbers. Bounded: emptied when full.
const MEMO_ENTRIES: usize = 1 << 17;

thread_local! {
    static MEMO: RefCell<FxHashMap<Box<str>, Option<Class>>> = RefCell::new(FxHashMap::default());
}

/// The class of a number, `None` when it does not parse.
fn class(number: &str) -> Option<Class> {
    MEMO.with(|memo| {
        if let Some(found) = memo.borrow().get(number) {
            return *found;
        }
        let found = rcaudit_phone::classify(number).map(|n| Class {
            region: n.region,
            kind: n.kind,
            valid: n.is_valid(),
        });
        let mut memo = memo.borrow_mut();
        if memo.len() >= MEMO_ENTRIES {
            memo.clear();
        }
        memo.insert(number.into(), found);
        found
    })
}

/// The number argument of a metadata-backed function: a string, or `None`
/// for anything else (`null`, a number, a map): a value that is not a
/// phone number is what a rule reports, never an error of the rule.
fn number_arg<'a>(value: &'a CowVal<'_, '_>) -> Option<&'a str> {
    text(value.as_ref())
}

/// The region of a number (`phoneRegion`), `None` when it has none.
pub(super) fn region(number: &str) -> Option<&'static str> {
    class(number).and_then(|c| c.region)
}

fn null<'b, 'v>() -> CowVal<'b, 'v> {
    CowVal::owned(CelNull)
}

pub(super) fn to_e164<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(number_arg(&value)
        .and_then(rcaudit_phone::classify)
        .map_or_else(null, |n| string(n.e164())))
}

pub(super) fn is_valid_number<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let number = number_arg(&value);
    Ok(boolean(number.and_then(class).is_some_and(|c| c.valid)))
}

pub(super) fn phone_region<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let number = number_arg(&value);
    Ok(number
        .and_then(class)
        .and_then(|c| c.region)
        .map_or_else(null, string))
}

pub(super) fn phone_type<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let number = number_arg(&value);
    Ok(number
        .and_then(class)
        .map_or_else(null, |c| string(c.kind.as_str())))
}
