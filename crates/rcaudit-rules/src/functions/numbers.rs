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
use rustc_hash::FxHasher;

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
/// kept. A slot is one 32-byte line and the cache 32 KiB: a block's
/// numbers fit many times over, and the cache stays in the processor's
/// nearest caches while the rules walk the tree (a 4,096-slot cache of
/// 56-byte slots missed there on most lookups: `perf annotate`,
/// BENCHMARKS.md).
const SLOTS: usize = 1 << 10;
const KEY: usize = 24;

#[derive(Clone, Copy)]
#[repr(align(32))]
struct Slot {
    key: [u8; KEY],
    len: u8,
    class: Packed,
}

/// A class in six bytes: the region by its place in [`REGIONS`].
#[derive(Clone, Copy, PartialEq, Eq)]
struct Packed {
    /// Whether the number parses (`None` from [`class`] when not).
    parses: bool,
    kind: NumberType,
    /// The region's place in [`REGIONS`], [`NO_REGION`] for none.
    region: u16,
    /// The number has a region [`REGIONS`] does not list (none today: both
    /// come from the same metadata): callers classify it again, unpacked.
    unlisted: bool,
}

const NO_REGION: u16 = u16::MAX;

const _: () = assert!(std::mem::size_of::<Packed>() == 6 && std::mem::size_of::<Slot>() == 32);

impl Packed {
    fn of(class: Option<Class>) -> Packed {
        match class {
            Some(class) => {
                let listed = class.region.map(|r| {
                    region_place(r).filter(|&at| {
                        REGIONS
                            .get(usize::from(at))
                            .is_some_and(|entry| entry.as_ref().is_some_and(|(n, _)| *n == r))
                    })
                });
                Packed {
                    parses: true,
                    kind: class.kind,
                    region: listed.flatten().unwrap_or(NO_REGION),
                    unlisted: listed.is_some_and(|at| at.is_none()),
                }
            }
            None => Packed {
                parses: false,
                kind: NumberType::Unknown,
                region: NO_REGION,
                unlisted: false,
            },
        }
    }

    /// The number's region, with its name as a cel string.
    fn region(self) -> Option<&'static (&'static str, CelString<'static>)> {
        REGIONS.get(usize::from(self.region))?.as_ref()
    }

    fn class(self) -> Option<Class> {
        self.parses.then(|| Class {
            region: self.region().map(|(name, _)| *name),
            kind: self.kind,
        })
    }
}

const EMPTY: Slot = Slot {
    key: [0; KEY],
    len: u8::MAX,
    class: Packed {
        parses: false,
        kind: NumberType::Unknown,
        region: NO_REGION,
        unlisted: false,
    },
};

thread_local! {
    static MEMO: RefCell<Vec<Slot>> = RefCell::new(vec![EMPTY; SLOTS]);
}

/// The class of a number, packed; not parsing is `parses: false`.
fn packed(number: &str) -> Packed {
    let bytes = number.as_bytes();
    let Ok(len) = u8::try_from(bytes.len()) else {
        return Packed::of(rcaudit_phone::class(number));
    };
    if bytes.len() > KEY {
        return Packed::of(rcaudit_phone::class(number));
    }
    let mut hasher = FxHasher::default();
    hasher.write(bytes);
    // The high bits of Fx's product are the well-mixed ones.
    let at = usize::try_from(hasher.finish() >> 54).unwrap_or(0) % SLOTS;
    MEMO.with_borrow_mut(|memo| {
        let Some(slot) = memo.get_mut(at) else {
            return Packed::of(rcaudit_phone::class(number));
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
        let found = Packed::of(rcaudit_phone::class(number));
        *slot = Slot {
            key,
            len,
            class: found,
        };
        found
    })
}

/// The class of a number, `None` when it does not parse.
fn class(number: &str) -> Option<Class> {
    let packed = packed(number);
    if packed.unlisted {
        return rcaudit_phone::class(number);
    }
    packed.class()
}

/// Results that are always one of a few strings are borrowed from statics:
/// no allocation per call.
static TYPE_NAMES: LazyLock<Vec<(NumberType, CelString)>> = LazyLock::new(|| {
    NumberType::ALL
        .iter()
        .map(|&kind| (kind, CelString::from(kind.as_str().to_owned())))
        .collect()
});

/// Every region of the metadata with its name as a cel string, at its
/// [`region_place`].
static REGIONS: LazyLock<Vec<Option<(&'static str, CelString)>>> = LazyLock::new(|| {
    let mut regions: Vec<Option<(&'static str, CelString)>> = vec![None; PLACES];
    for region in rcaudit_phone::regions() {
        if let Some(slot) = region_place(region).and_then(|at| regions.get_mut(usize::from(at))) {
            *slot = Some((region, CelString::from(region.to_owned())));
        }
    }
    regions
});

/// A region's place in [`REGIONS`], worked out from its name: the CLDR
/// code's two capital letters, or `001` (non-geographic) last.
fn region_place(region: &str) -> Option<u16> {
    match *region.as_bytes() {
        [a @ b'A'..=b'Z', b @ b'A'..=b'Z'] => Some(u16::from(a - b'A') * 26 + u16::from(b - b'A')),
        [b'0', b'0', b'1'] => Some(26 * 26),
        _ => None,
    }
}

const PLACES: usize = 26 * 26 + 1;

fn type_name<'b, 'v>(kind: NumberType) -> CowVal<'b, 'v> {
    TYPE_NAMES
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or_else(|| string(kind.as_str()), |(_, name)| CowVal::Borrowed(name))
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
    let Some(number) = number_arg(value) else {
        return null();
    };
    let packed = packed(number);
    if packed.unlisted {
        return class(number)
            .and_then(|c| c.region)
            .map_or_else(null, string);
    }
    packed
        .region()
        .filter(|_| packed.parses)
        .map_or_else(null, |(_, name)| CowVal::Borrowed(name))
}

pub(super) fn phone_type(value: &dyn Val) -> CowVal<'static, 'static> {
    let number = number_arg(value);
    number
        .and_then(class)
        .map_or_else(null, |c| type_name(c.kind))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Packed, class, packed};

    /// Every region of the metadata packs into the table and back.
    #[test]
    fn every_region_packs_and_unpacks() {
        for region in rcaudit_phone::regions() {
            let class = rcaudit_phone::Class {
                region: Some(region),
                kind: rcaudit_phone::NumberType::Mobile,
            };
            let packed = Packed::of(Some(class));
            assert!(!packed.unlisted, "{region}");
            assert_eq!(packed.class(), Some(class));
        }
        assert_eq!(Packed::of(None).class(), None);
    }

    proptest! {
        /// The memo gives what the metadata gives, the first time and
        /// again (from the slot), for numbers of any shape: valid ones,
        /// invalid ones, non-numbers, numbers too long to keep.
        #[test]
        fn the_memo_gives_what_the_metadata_gives(
            numbers in prop::collection::vec(
                prop_oneof![
                    "\\+?1[2-9][0-9]{9}",
                    "\\+?(44|33|61|49|81|800|979)[0-9]{6,11}",
                    "\\+?[0-9]{1,30}",
                    ".{0,12}",
                ],
                1..60,
            ),
        ) {
            for _ in 0..2 {
                for number in &numbers {
                    prop_assert_eq!(class(number), rcaudit_phone::class(number), "{}", number);
                    prop_assert_eq!(packed(number).class(), rcaudit_phone::class(number));
                }
            }
        }
    }
}
