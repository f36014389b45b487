//! Phone numbers: `normalize`, `isE164`, `isTollFree`, the functions
//! backed by libphonenumber's metadata (`e164`, `isValidNumber`,
//! `phoneRegion`, `phoneType`), and the Rust forms the engine uses
//! directly.

use std::cell::RefCell;
use std::hash::Hasher as _;
use std::sync::LazyLock;

use cel::common::types::{CelNull, CelString};
use cel::common::value::{CowVal, Val};
use rcaudit_phone::{Class, NumberType};
use rustc_hash::{FxHashMap, FxHasher};

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

pub(super) fn is_e164(value: &dyn Val) -> CowVal<'static, 'static> {
    boolean(text(value).is_some_and(e164_shape))
}

pub(super) fn is_toll_free(value: &dyn Val) -> CowVal<'static, 'static> {
    boolean(text(value).is_some_and(toll_free))
}

/// The numbers this thread classified last, in a direct-mapped cache:
/// rules that walk the same list run together, a block of items at a time
/// (the engine's fused units), so a forwarding number's type and its
/// region, or a phone number's type and validity, are worked out once. No
/// allocation: a slot holds the number's bytes; a longer number is not
/// kept.
const SLOTS: usize = 1 << 12;
const KEY: usize = 24;

#[derive(Clone, Copy)]
struct Slot {
    len: u8,
    key: [u8; KEY],
    class: Option<Class>,
}

const EMPTY: Slot = Slot {
    len: u8::MAX,
    key: [0; KEY],
    class: None,
};

thread_local! {
    static MEMO: RefCell<Vec<Slot>> = RefCell::new(vec![EMPTY; SLOTS]);
}

/// The class of a number, `None` when it does not parse.
fn class(number: &str) -> Option<Class> {
    let bytes = number.as_bytes();
    let Ok(len) = u8::try_from(bytes.len()) else {
        return rcaudit_phone::class(number);
    };
    if bytes.len() > KEY {
        return rcaudit_phone::class(number);
    }
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    // The high bits of Fx's product are the well-mixed ones.
    let at = usize::try_from(hasher.finish() >> 52).unwrap_or(0) % SLOTS;
    MEMO.with_borrow_mut(|memo| {
        let Some(slot) = memo.get_mut(at) else {
            return rcaudit_phone::class(number);
        };
        // Keys are kept zero-padded: comparing two whole arrays is done in
        // registers, where a slice compare calls `memcmp`.
        let mut key = [0; KEY];
        if let Some(dst) = key.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        if slot.len == len && slot.key == key {
            return slot.class;
        }
        let found = rcaudit_phone::class(number);
        *slot = Slot {
            len,
            key,
            class: found,
        };
        found
    })
}

/// Results that are always one of a few strings are borrowed from statics:
/// no allocation per call.
static TYPE_NAMES: LazyLock<Vec<(NumberType, CelString)>> = LazyLock::new(|| {
    NumberType::ALL
        .iter()
        .map(|&kind| (kind, CelString::from(kind.as_str().to_owned())))
        .collect()
});

static REGION_NAMES: LazyLock<FxHashMap<&'static str, CelString>> = LazyLock::new(|| {
    rcaudit_phone::regions()
        .into_iter()
        .map(|region| (region, CelString::from(region.to_owned())))
        .collect()
});

fn type_name<'b, 'v>(kind: NumberType) -> CowVal<'b, 'v> {
    TYPE_NAMES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or_else(|| string(kind.as_str()), |(_, name)| CowVal::Borrowed(name))
}

fn region_name<'b, 'v>(region: &str) -> CowVal<'b, 'v> {
    REGION_NAMES
        .get(region)
        .map_or_else(|| string(region), |name| CowVal::Borrowed(name))
}

/// The number argument of a metadata-backed function: a string, or `None`
/// for anything else (`null`, a number, a map): a value that is not a
/// phone number is what a rule reports, never an error of the rule.
fn number_arg(value: &dyn Val) -> Option<&str> {
    text(value)
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
    Ok(number_arg(value.as_ref())
        .and_then(rcaudit_phone::classify)
        .map_or_else(null, |n| string(n.e164())))
}

pub(super) fn is_valid_number(value: &dyn Val) -> CowVal<'static, 'static> {
    let number = number_arg(value);
    boolean(number.and_then(class).is_some_and(Class::is_valid))
}

pub(super) fn phone_region(value: &dyn Val) -> CowVal<'static, 'static> {
    let number = number_arg(value);
    number
        .and_then(class)
        .and_then(|c| c.region)
        .map_or_else(null, region_name)
}

pub(super) fn phone_type(value: &dyn Val) -> CowVal<'static, 'static> {
    let number = number_arg(value);
    number
        .and_then(class)
        .map_or_else(null, |c| type_name(c.kind))
}
