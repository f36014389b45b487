//! Domain functions for rule expressions, registered in one table.
//!
//! Each entry has its name, signature, documentation and examples; the
//! examples are run by the tests, and `rcaudit explain --functions` prints
//! the table. Functions take `dyn` arguments and check them themselves, so a
//! wrong argument is a clear run-time error naming the function.
//!
//! This module holds the table and registers it; the implementations live
//! one family per module: `values` (what they all share: arguments, results,
//! fields, type errors), `present`, `labels` (labels and keys of records),
//! `numbers` (phone numbers), `ids`, `lists` (lists of records), `plans`,
//! `internal` (the functions the expression rewrite substitutes) and
//! `budget` (the step budget of an evaluation).

use cel::common::types;

mod budget;
mod counted;
mod ids;
mod internal;
mod labels;
mod lists;
mod numbers;
mod plans;
mod present;
mod tally;
mod values;

pub use budget::{Budget, STEP, budget_message};
pub use internal::{EQUALS, HAS, IN, IN_LITERALS, MAX_IN_LITERALS, MAX_PRESENT_FIELDS, PRESENT};
pub(crate) use internal::{contains_either_way, equal_either_way};
pub(crate) use lists::{IsDuplicate, SubsetOf, literal_list};
pub use numbers::normalize_number;
pub use plans::{PlanClass, plan_class_val, plan_name};
pub(crate) use tally::{ListCall, fold};

use budget::step;
use ids::{id_string, same_id, uri_account};
use internal::{has_field, in_literals, symmetric_equals, symmetric_in};
use labels::{
    extension_key, extension_key_part, extension_label, extension_label_at, extension_number_key,
    number_key, number_key_alone, number_label, position_key,
};
use lists::{
    counts, counts_as, duplicates, duplicates_as, duplicates_by, filter_by, indexes, is_duplicate,
    is_duplicate_as, subset_of,
};
use numbers::{
    is_e164, is_toll_free, is_valid_number, normalize, phone_region, phone_type, to_e164,
};
use plans::plan_class;
use present::{present, present_path};

/// A function of one argument whose result never borrows it: a plan calls
/// it on the argument in place (`plan::Op::Unary`), where cel's calling
/// convention collects the arguments into a vector, allocated for each call.
pub(crate) type Unary = fn(&dyn cel::common::value::Val) -> values::Out<'static, 'static>;

/// The cel function of a [`Unary`] one.
macro_rules! unary {
    // A function that never fails.
    (total $f:path) => {{
        fn call<'b, 'v>(args: values::Args<'b, 'v>) -> values::Out<'b, 'v> {
            let [value] = values::take(args)?;
            Ok($f(value.as_ref()))
        }
        call
    }};
    ($f:path) => {{
        fn call<'b, 'v>(args: values::Args<'b, 'v>) -> values::Out<'b, 'v> {
            let [value] = values::take(args)?;
            $f(value.as_ref())
        }
        call
    }};
}

/// The functions a plan calls as [`Unary`], by name; each is also in
/// [`FUNCTIONS`] with one argument, through [`unary!`].
const UNARY: &[(&str, Unary)] = &[
    ("isE164", |v| Ok(is_e164(v))),
    ("isTollFree", |v| Ok(is_toll_free(v))),
    ("isValidNumber", |v| Ok(is_valid_number(v))),
    ("phoneRegion", |v| Ok(phone_region(v))),
    ("phoneType", |v| Ok(phone_type(v))),
    ("idString", id_string),
    ("uriAccount", uri_account),
];

/// The [`Unary`] form of the function `name` of one argument, if it has one.
pub(crate) fn unary_op(name: &str) -> Option<Unary> {
    UNARY.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// One domain function.
#[derive(Debug)]
pub struct Function {
    /// The name rules call it by; overloads (several entries with one name)
    /// differ in their number of arguments.
    pub name: &'static str,
    /// How it is called, with argument and result types.
    pub signature: &'static str,
    /// What it does, in Markdown (shown by `rcaudit explain` and in
    /// `docs/functions.md`).
    pub doc: &'static str,
    /// `(expression, expected result as JSON)`, run by the tests.
    pub examples: &'static [(&'static str, &'static str)],
    /// How many arguments it takes.
    arity: usize,
    /// The implementation registered with cel.
    op: cel::common::functions::Function,
}

impl Function {
    /// The parameters of [`Function::signature`], as `(name, type)`: the
    /// type is empty for any value, else alternatives joined by `|`.
    pub fn signature_params(&self) -> Vec<(&'static str, &'static str)> {
        let inner = self
            .signature
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(") ->"))
            .map_or("", |(params, _)| params);
        inner
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once(':') {
                Some((name, ty)) => (name.trim(), ty.trim()),
                None => (p, ""),
            })
            .collect()
    }
}

/// Every domain function.
pub static FUNCTIONS: &[Function] = &[
    Function {
        name: "present",
        signature: "present(value) -> bool",
        doc: "Whether a value is there: not absent and not `null`. Written on a field, \
              `present(item.phoneNumber)` is `has(item.phoneNumber) && item.phoneNumber != \
              null`, and on a path it tests each step: `present(item.operator.id)` is false \
              when `operator` is absent or null, where `item.operator.id` would be an error. \
              The fields are checked against the snapshot's data model when the rule loads, \
              as any field read is. Reading a field of a value that is not a map (a string, \
              a list) is an error, as in `has`.",
        examples: &[
            ("present({'n': '101'}.n)", "true"),
            ("present({'n': null}.n)", "false"),
            ("present({}.n)", "false"),
            ("present({'op': {'id': 7}}.op.id)", "true"),
            ("present({'op': null}.op.id)", "false"),
            ("present({}.op.id)", "false"),
            ("present({'n': ''}.n)", "true"),
            ("present(null)", "false"),
        ],
        arity: 1,
        op: present,
    },
    Function {
        name: "extensionLabel",
        signature: "extensionLabel(extension: map) -> string",
        doc: "How a message names an extension: its `extensionNumber` (`102`), else `id ` and \
              its id (`id 62005541008`), else `?`; absent and `null` fields are skipped. \
              Written `extension {{ extensionLabel(extension) }}` in a message.",
        examples: &[
            (
                "extensionLabel({'id': 62005541008, 'extensionNumber': '102'})",
                "\"102\"",
            ),
            ("extensionLabel({'id': 62005541008})", "\"id 62005541008\""),
            (
                "extensionLabel({'id': '7', 'extensionNumber': null})",
                "\"id 7\"",
            ),
            ("extensionLabel({})", "\"?\""),
        ],
        arity: 1,
        op: extension_label,
    },
    Function {
        name: "extensionLabel",
        signature: "extensionLabel(extension: map, index: int) -> string",
        doc: "As `extensionLabel(extension)`, with `#` and `index` (the extension's position \
              in the extension list, in a rule whose target is `extensions`) for an \
              extension with neither an extensionNumber nor an id.",
        examples: &[
            ("extensionLabel({'extensionNumber': '102'}, 3)", "\"102\""),
            ("extensionLabel({'id': 11}, 3)", "\"id 11\""),
            ("extensionLabel({}, 3)", "\"#3\""),
        ],
        arity: 2,
        op: extension_label_at,
    },
    Function {
        name: "extensionKey",
        signature: "extensionKey(extension: map) -> string",
        doc: "An extension's part of a `key` or `fingerprint`: `ext:` and its id (as a \
              string), or `ext:?` when it has none. For a value within the extension (a flip \
              number, a label), use `extensionKey(extension, part, value)`.",
        examples: &[
            ("extensionKey({'id': 62005541008})", "\"ext:62005541008\""),
            ("extensionKey({'id': '11'})", "\"ext:11\""),
            ("extensionKey({'id': null})", "\"ext:?\""),
        ],
        arity: 1,
        op: extension_key,
    },
    Function {
        name: "extensionKey",
        signature: "extensionKey(extension: map, part: string, value) -> string",
        doc: "A `key` or `fingerprint` for a value within an extension: \
              `extensionKey(extension)`, `:`, `part`, `:` and the value (a string as it is, \
              anything else as JSON; `?` for an absent or `null` one). \
              `extensionKey(extension, \"flip\", item.flipNumber)` names a forwarding \
              number's flip number within its extension: one finding per extension and flip \
              number, however the list is ordered.",
        examples: &[
            (
                "extensionKey({'id': 62005541008}, 'flip', '1')",
                "\"ext:62005541008:flip:1\"",
            ),
            (
                "extensionKey({'id': '11'}, 'label', 'Home')",
                "\"ext:11:label:Home\"",
            ),
            ("extensionKey({'id': 11}, 'flip', 2)", "\"ext:11:flip:2\""),
            ("extensionKey({}, 'label', null)", "\"ext:?:label:?\""),
        ],
        arity: 3,
        op: extension_key_part,
    },
    Function {
        name: "positionKey",
        signature: "positionKey(prefix: string, index: int) -> string",
        doc: "The key of a record that has nothing of its own to be named by (no number, no \
              id): its place, `prefix#index`, as in `numberKey(item, positionKey(target, \
              index))` or `positionKey(extensionKey(extension), index)`.",
        examples: &[
            ("positionKey('phoneNumbers', 4)", "\"phoneNumbers#4\""),
            ("positionKey('ext:11', 0)", "\"ext:11#0\""),
        ],
        arity: 2,
        op: position_key,
    },
    Function {
        name: "extensionNumberKey",
        signature: "extensionNumberKey(extension: map) -> string",
        doc: "A `key` or `fingerprint` naming an extension by its number rather than its id, \
              for a finding about the number itself (two extensions sharing it): \
              `extensionNumber:` and its `extensionNumber` (a string as it is, anything else \
              as JSON), or `extensionNumber:?` when it has none (absent or `null`).",
        examples: &[
            (
                "extensionNumberKey({'id': 11, 'extensionNumber': '101'})",
                "\"extensionNumber:101\"",
            ),
            (
                "extensionNumberKey({'extensionNumber': 102})",
                "\"extensionNumber:102\"",
            ),
            ("extensionNumberKey({'id': 11})", "\"extensionNumber:?\""),
        ],
        arity: 1,
        op: extension_number_key,
    },
    Function {
        name: "numberKey",
        signature: "numberKey(record: map, otherwise) -> string",
        doc: "A `key` for a phone-number record (an account or extension phone number, a \
              forwarding number) under which the same number is one finding wherever it is \
              listed: `number:` and its phoneNumber without the leading `+`; else `id:` and \
              its id; else `otherwise` (a key of its own for a record with neither, such as \
              `positionKey(target, index)`).",
        examples: &[
            (
                "numberKey({'phoneNumber': '+16505550100', 'id': 5}, '?')",
                "\"number:16505550100\"",
            ),
            ("numberKey({'phoneNumber': null, 'id': 5}, '?')", "\"id:5\""),
            ("numberKey({}, 'phoneNumbers#4')", "\"phoneNumbers#4\""),
        ],
        arity: 2,
        op: number_key,
    },
    Function {
        name: "numberKey",
        signature: "numberKey(record: map) -> string",
        doc: "As `numberKey(record, otherwise)`, for a rule that reports only records with a \
              phoneNumber or an id (its `when` tests `present(item.phoneNumber)`): \
              `number:?` for a record with neither. `key: numberKey(item)` makes the same \
              number one finding wherever it is listed.",
        examples: &[
            (
                "numberKey({'phoneNumber': '+1 650-555-0199'})",
                "\"number:1 650-555-0199\"",
            ),
            ("numberKey({'id': '5'})", "\"id:5\""),
            ("numberKey({})", "\"number:?\""),
        ],
        arity: 1,
        op: number_key_alone,
    },
    Function {
        name: "numberLabel",
        signature: "numberLabel(record: map) -> string",
        doc: "How a message names a phone-number record: its `phoneNumber` as written, or \
              `(no phoneNumber)` when it has none (absent or `null`).",
        examples: &[
            (
                "numberLabel({'phoneNumber': '+16505550100'})",
                "\"+16505550100\"",
            ),
            ("numberLabel({'phoneNumber': null})", "\"(no phoneNumber)\""),
            ("numberLabel({})", "\"(no phoneNumber)\""),
        ],
        arity: 1,
        op: number_label,
    },
    Function {
        name: "normalize",
        signature: "normalize(number: string) -> string",
        doc: "A phone number without its leading `+` (one `+` only; nothing else is removed), \
              so `18555440014` and `+18555440014` compare equal. `null` gives `null`.",
        examples: &[
            ("normalize('+18555440014')", "\"18555440014\""),
            ("normalize('18555440014')", "\"18555440014\""),
            ("normalize('+1 855-544-0014')", "\"1 855-544-0014\""),
            ("normalize(null)", "null"),
        ],
        arity: 1,
        op: normalize,
    },
    Function {
        name: "isE164",
        signature: "isE164(number: string) -> bool",
        doc: "Whether a number is E.164: 8 to 15 ASCII digits, the first not `0`, with an \
              optional single leading `+`. A value that is not a string (a number, `null`) \
              is not E.164.",
        examples: &[
            ("isE164('+16505550100')", "true"),
            ("isE164('16505550100')", "true"),
            ("isE164('+1 650-555-0100')", "false"),
            ("isE164('0650555010')", "false"),
            ("isE164('1234567')", "false"),
            ("isE164('1234567890123456')", "false"),
            ("isE164(null)", "false"),
        ],
        arity: 1,
        op: unary!(total is_e164),
    },
    Function {
        name: "isTollFree",
        signature: "isTollFree(number: string) -> bool",
        doc: "Whether a number is a North American toll-free number: country code 1 and area \
              code 800, 833, 844, 855, 866, 877 or 888 (`+` optional).",
        examples: &[
            ("isTollFree('+18555440014')", "true"),
            ("isTollFree('18005550100')", "true"),
            ("isTollFree('+16505550100')", "false"),
            ("isTollFree('8005550100')", "false"),
        ],
        arity: 1,
        op: unary!(total is_toll_free),
    },
    Function {
        name: "e164",
        signature: "e164(number: string) -> string|null",
        doc: "A number in E.164 as libphonenumber's metadata reads it: `+`, the country \
              calling code, the national number. The number is read as international, with \
              or without its `+`; spaces, `-`, `.`, `/` and parentheses between digits are \
              dropped, and a national prefix written after the code (`+44 07400 123456`) \
              is removed. `null` when it does not parse: a letter or another sign, no \
              assigned country calling code, nothing after the code, a value that is not \
              a string. A value that parses need not be valid: see `isValidNumber`. None \
              of the metadata-backed functions fails on a value: what is not a number \
              gives `null` (or `false`), for the rule to report.",
        examples: &[
            ("e164('+1 (650) 555-0100')", "\"+16505550100\""),
            ("e164('16505550100')", "\"+16505550100\""),
            ("e164('+44 07400 123456')", "\"+447400123456\""),
            ("e164('+999123456')", "null"),
            ("e164('ext 101')", "null"),
            ("e164(null)", "null"),
        ],
        arity: 1,
        op: to_e164,
    },
    Function {
        name: "isValidNumber",
        signature: "isValidNumber(number: string) -> bool",
        doc: "Whether a number can exist, by libphonenumber's metadata: it parses (see \
              `e164`), has a region, and falls in a range of one of the region's number \
              types. Stricter than `isE164`, which checks the shape only. `null`, and a \
              number that does not parse, are not valid.",
        examples: &[
            ("isValidNumber('+16505550100')", "true"),
            ("isValidNumber('+447400123456')", "true"),
            ("isValidNumber('+10005550100')", "false"),
            ("isValidNumber('+16501550100')", "false"),
            ("isValidNumber('+999123456')", "false"),
            ("isValidNumber(null)", "false"),
        ],
        arity: 1,
        op: unary!(total is_valid_number),
    },
    Function {
        name: "phoneRegion",
        signature: "phoneRegion(number: string) -> string|null",
        doc: "The region of a number, by libphonenumber's metadata: a CLDR region code \
              (`US`, `GB`), or `001` for a non-geographic number (`+800` universal \
              freephone). Where several regions share a country calling code (the NANP's \
              `1`), the one whose ranges hold the number; `null` when none does, when the \
              number does not parse, and for `null`.",
        examples: &[
            ("phoneRegion('+16505550100')", "\"US\""),
            ("phoneRegion('+14165550100')", "\"CA\""),
            ("phoneRegion('+449098790879')", "\"GB\""),
            ("phoneRegion('+80012345678')", "\"001\""),
            ("phoneRegion('+10005550100')", "null"),
            ("phoneRegion('not a number')", "null"),
        ],
        arity: 1,
        op: unary!(total phone_region),
    },
    Function {
        name: "phoneType",
        signature: "phoneType(number: string) -> string|null",
        doc: "The type of a number, by libphonenumber's metadata: `FixedLine`, `Mobile`, \
              `FixedLineOrMobile` (where the two share their ranges, as in the NANP), \
              `TollFree`, `PremiumRate`, `SharedCost`, `Voip`, `PersonalNumber`, `Pager`, \
              `Uan`, `Voicemail`, or `Unknown` for a number that is not valid. `null` when \
              the number does not parse, and for `null`.",
        examples: &[
            ("phoneType('+18555440014')", "\"TollFree\""),
            ("phoneType('+19002345678')", "\"PremiumRate\""),
            ("phoneType('+449098790879')", "\"PremiumRate\""),
            ("phoneType('+611300123456')", "\"SharedCost\""),
            ("phoneType('+447400123456')", "\"Mobile\""),
            ("phoneType('+16505550100')", "\"FixedLineOrMobile\""),
            ("phoneType('+10005550100')", "\"Unknown\""),
            ("phoneType('+')", "null"),
        ],
        arity: 1,
        op: unary!(total phone_type),
    },
    Function {
        name: "idString",
        signature: "idString(id: int|string) -> string",
        doc: "An id as a string: the API sends ids as numbers in older versions and as strings \
              in newer ones. `null` gives `null`.",
        examples: &[
            ("idString(123)", "\"123\""),
            ("idString('123')", "\"123\""),
            ("idString(null)", "null"),
            ("idString(123.0)", "\"123\""),
        ],
        arity: 1,
        op: unary!(id_string),
    },
    Function {
        name: "sameId",
        signature: "sameId(a: int|string, b: int|string) -> bool",
        doc: "Whether two ids are the same, comparing them as strings (`123` and `\"123\"` are \
              the same id). `null` is no id: `sameId(null, null)` is false.",
        examples: &[
            ("sameId(123, '123')", "true"),
            ("sameId('123', 123)", "true"),
            ("sameId(123, 124)", "false"),
            ("sameId(null, null)", "false"),
        ],
        arity: 2,
        op: same_id,
    },
    Function {
        name: "uriAccount",
        signature: "uriAccount(uri: string) -> string",
        doc: "The account a RingCentral API `uri` names: the path segment after `/account/` \
              (`~` for the caller's own account), or `null` when the uri names no account.",
        examples: &[
            (
                "uriAccount('https://platform.ringcentral.com/restapi/v1.0/account/401145624008/extension/159048008')",
                "\"401145624008\"",
            ),
            (
                "uriAccount('https://platform.ringcentral.com/restapi/v1.0/account/~/phone-number/1')",
                "\"~\"",
            ),
            (
                "uriAccount('https://platform.ringcentral.com/restapi/v1.0/dictionary/country/1')",
                "null",
            ),
        ],
        arity: 1,
        op: unary!(uri_account),
    },
    Function {
        name: "duplicates",
        signature: "duplicates(values: list) -> map(int, int)",
        doc: "The copies in a list: for each element equal to an earlier one, its index maps to \
              the index of the first. `null` elements are never copies. Linear time, so a rule \
              can compute it once as a fact and test `index in facts.x` per item. Strings, \
              numbers and booleans compare by value (`1` and `\"1\"` differ); use `idString` or \
              `normalize` first to compare ids or numbers.",
        examples: &[
            ("duplicates(['a', 'b', 'a', 'a'])", "{\"2\": 0, \"3\": 0}"),
            ("duplicates([1, null, null, 1])", "{\"3\": 0}"),
            ("duplicates([])", "{}"),
        ],
        arity: 1,
        op: duplicates,
    },
    Function {
        name: "duplicates",
        signature: "duplicates(records: list, field: string) -> map(int, int)",
        doc: "The copies in a list of records by one field: for each record whose `field` \
              equals an earlier record's, its index maps to the index of the first. Records \
              without the field, or with it null or empty, are never copies. Runs in Rust, \
              in linear time: use it instead of `duplicates(records.map(r, r.field))`.",
        examples: &[(
            "duplicates([{'n': '1'}, {'n': '2'}, {}, {'n': '1'}, {'n': ''}, {'n': ''}], 'n')",
            "{\"3\": 0}",
        )],
        arity: 2,
        op: duplicates_by,
    },
    Function {
        name: "duplicates",
        signature: "duplicates(records: list, field: string, as: string) -> map(int, int)",
        doc: "As `duplicates(records, field)`, comparing the field's values as `\"number\"` \
              (phone numbers, without a leading `+`) or as `\"id\"` (ids as strings: `123` \
              and `\"123\"` are the same).",
        examples: &[
            (
                "duplicates([{'p': '+16505550100'}, {'p': '16505550100'}], 'p', 'number')",
                "{\"1\": 0}",
            ),
            (
                "duplicates([{'id': 7}, {'id': '7'}, {'id': 8}], 'id', 'id')",
                "{\"1\": 0}",
            ),
        ],
        arity: 3,
        op: duplicates_as,
    },
    Function {
        name: "isDuplicate",
        signature: "isDuplicate(records: list, index: int, field: string) -> bool",
        doc: "Whether the record at `index` repeats the `field` of an earlier record (the \
              test `index in duplicates(records, field)` makes, without building the map): \
              for per-item rules over short lists, such as an extension's forwarding numbers.",
        examples: &[
            (
                "isDuplicate([{'f': '1'}, {'f': '2'}, {'f': '1'}], 2, 'f')",
                "true",
            ),
            (
                "isDuplicate([{'f': '1'}, {'f': '2'}, {'f': '1'}], 0, 'f')",
                "false",
            ),
            ("isDuplicate([{'f': ''}, {'f': ''}], 1, 'f')", "false"),
        ],
        arity: 3,
        op: is_duplicate,
    },
    Function {
        name: "isDuplicate",
        signature: "isDuplicate(records: list, index: int, field: string, as: string) -> bool",
        doc: "As `isDuplicate(records, index, field)`, comparing as `\"number\"` or `\"id\"`.",
        examples: &[(
            "isDuplicate([{'p': '+16505550100'}, {'p': '16505550100'}], 1, 'p', 'number')",
            "true",
        )],
        arity: 4,
        op: is_duplicate_as,
    },
    Function {
        name: "subsetOf",
        signature: "subsetOf(values: list, allowed: list) -> bool",
        doc: "Whether every element of `values` is in `allowed` (`values.all(v, v in \
              allowed)`, without a comprehension per item).",
        examples: &[
            (
                "subsetOf(['CallFlip'], ['CallFlip', 'CallForwarding'])",
                "true",
            ),
            (
                "subsetOf(['CallFlip', 'Teleport'], ['CallFlip', 'CallForwarding'])",
                "false",
            ),
            ("subsetOf([], ['CallFlip'])", "true"),
        ],
        arity: 2,
        op: subset_of,
    },
    Function {
        name: "counts",
        signature: "counts(records: list, field: string) -> map(string, int)",
        doc: "How many records have each value of `field` (records without it, or with it \
              null, are not counted). Computed once as a fact, it answers \"is there a \
              record with this value?\" in constant time: `'User' in facts.typeCounts`.",
        examples: &[(
            "counts([{'t': 'User'}, {'t': 'Bot'}, {'t': 'User'}, {}], 't')",
            "{\"User\": 2, \"Bot\": 1}",
        )],
        arity: 2,
        op: counts,
    },
    Function {
        name: "counts",
        signature: "counts(records: list, field: string, as: string) -> map(string, int)",
        doc: "As `counts(records, field)`, keyed by the value as `\"number\"` (without a \
              leading `+`), as `\"id\"` (a string), or by the number's `\"region\"` \
              (`phoneRegion`; numbers without one are not counted).",
        examples: &[
            ("counts([{'id': 7}, {'id': '7'}], 'id', 'id')", "{\"7\": 2}"),
            (
                "counts([{'n': '+16505550100'}, {'n': '+14165550100'}, {'n': '+16505550101'}, \
                 {'n': 'x'}], 'n', 'region')",
                "{\"US\": 2, \"CA\": 1}",
            ),
        ],
        arity: 3,
        op: counts_as,
    },
    Function {
        name: "filterBy",
        signature: "filterBy(records: list, field: string, value) -> list",
        doc: "The records whose `field` equals `value`, in order: \
              `records.filter(r, has(r.field) && r.field == value)`, in Rust.",
        examples: &[(
            "filterBy([{'u': 'Main'}, {'u': 'Direct'}, {}], 'u', 'Main')",
            "[{\"u\": \"Main\"}]",
        )],
        arity: 3,
        op: filter_by,
    },
    Function {
        name: "indexes",
        signature: "indexes(records: list, field: string, value) -> list(int)",
        doc: "The positions of the records whose `field` equals `value`, in order.",
        examples: &[(
            "indexes([{'u': 'A'}, {'u': 'B'}, {'u': 'A'}], 'u', 'A')",
            "[0, 2]",
        )],
        arity: 3,
        op: indexes,
    },
    Function {
        name: "planClass",
        signature: "planClass(account: map, plans: map) -> string",
        doc: "The plan class of an account, from `account.serviceInfo.servicePlan.name`: \
              `\"ubp\"` when the name is listed in `plans.ubp` (exact, case-insensitive); else \
              `\"non-ubp\"` when it contains one of `plans.nonUbp` as a whole word \
              (case-insensitive); else `\"ubp\"` when a name is present; `\"unknown\"` when the \
              name is absent or empty.",
        examples: &[
            (
                "planClass({'serviceInfo': {'servicePlan': {'name': 'RingEX Core'}}}, {'ubp': [], 'nonUbp': ['Office']})",
                "\"ubp\"",
            ),
            (
                "planClass({'serviceInfo': {'servicePlan': {'name': 'RingCentral Office Premium'}}}, {'ubp': [], 'nonUbp': ['Office']})",
                "\"non-ubp\"",
            ),
            (
                "planClass({'serviceInfo': {'servicePlan': {'name': 'Officeless'}}}, {'ubp': [], 'nonUbp': ['Office']})",
                "\"ubp\"",
            ),
            (
                "planClass({'serviceInfo': {'servicePlan': {'name': 'Office Pro'}}}, {'ubp': ['office pro'], 'nonUbp': ['Office']})",
                "\"ubp\"",
            ),
            (
                "planClass({}, {'ubp': [], 'nonUbp': ['Office']})",
                "\"unknown\"",
            ),
            (
                "planClass({'serviceInfo': {'servicePlan': {'name': ''}}}, {'ubp': [], 'nonUbp': []})",
                "\"unknown\"",
            ),
        ],
        arity: 2,
        op: plan_class,
    },
];

/// Registers every domain function, and the internal ones the expression
/// rewrite substitutes, on `env`.
pub fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
    for function in FUNCTIONS {
        let args = (0..function.arity).map(|_| types::DYN_TYPE).collect();
        let id = format!("{}_{}", function.name, function.arity);
        env.add_overload(function.name, &id, args, function.op)?;
    }
    env.add_overload(
        EQUALS,
        EQUALS,
        vec![types::DYN_TYPE, types::DYN_TYPE],
        symmetric_equals,
    )?;
    env.add_overload(IN, IN, vec![types::DYN_TYPE, types::DYN_TYPE], symmetric_in)?;
    env.add_overload(HAS, HAS, vec![types::DYN_TYPE, types::DYN_TYPE], has_field)?;
    env.add_overload(STEP, STEP, vec![types::DYN_TYPE], step)?;
    for fields in 1..=MAX_PRESENT_FIELDS {
        let args = (0..=fields).map(|_| types::DYN_TYPE).collect();
        env.add_overload(PRESENT, &format!("{PRESENT}_{fields}"), args, present_path)?;
    }
    for literals in 0..=MAX_IN_LITERALS {
        let args = (0..=literals).map(|_| types::DYN_TYPE).collect();
        env.add_overload(
            IN_LITERALS,
            &format!("{IN_LITERALS}_{literals}"),
            args,
            in_literals,
        )?;
    }
    Ok(())
}

/// The implementation cel calls for `name` with `arity` arguments, when
/// that is known before the call: the domain functions and the internal
/// ones, whose overloads all take `dyn` and differ only in arity (see
/// [`register`]). The compiled evaluator calls it directly.
pub(crate) fn static_op(name: &str, arity: usize) -> Option<cel::common::functions::Function> {
    let op: cel::common::functions::Function = match name {
        EQUALS if arity == 2 => symmetric_equals,
        IN if arity == 2 => symmetric_in,
        HAS if arity == 2 => has_field,
        STEP if arity == 1 => step,
        PRESENT if (2..=MAX_PRESENT_FIELDS + 1).contains(&arity) => present_path,
        IN_LITERALS if (1..=MAX_IN_LITERALS + 1).contains(&arity) => in_literals,
        _ => {
            return FUNCTIONS
                .iter()
                .find(|f| f.name == name && f.arity == arity)
                .map(|f| f.op);
        }
    };
    Some(op)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cel::{Context, Value};

    use super::*;
    use crate::template::to_json;

    /// Compiles and evaluates `expr` as a rule would, as JSON.
    pub(super) fn eval(expr: &str) -> serde_json::Value {
        let env = Arc::new(crate::load::environment().expect("environment"));
        let compiled = crate::expr::compile(&env, expr).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
        let ctx = Context::with_env(env);
        let value =
            Value::resolve_val(&compiled.ast, &ctx).unwrap_or_else(|e| panic!("{expr}: {e}"));
        to_json(value.as_ref())
    }

    /// `isDuplicate` reads a snapshot list in place and a cel list through
    /// its iterator: the same answers, every index, field and mode.
    #[test]
    fn is_duplicate_on_the_tree_is_is_duplicate_on_a_list() {
        let json = r#"[{"f": "1", "p": "+16505550100", "i": 7}, {"f": 1, "p": "16505550100", "i": "7"},
            {"f": "1", "i": 7.0}, {"f": null, "p": ""}, {"f": "", "p": "+16505550100"}, 3, {"f": [1]}, {"f": [1]}]"#;
        let tree = rcaudit_model::parse(json).expect("json");
        let env = Arc::new(crate::load::environment().expect("environment"));
        for index in 0..10 {
            for call in [
                "'f'",
                "'p'",
                "'i'",
                "'missing'",
                "'p', 'number'",
                "'i', 'id'",
                "'f', 'id'",
                "'p', 'region'",
            ] {
                let on_tree = format!("isDuplicate(list, {index}, {call})");
                let compiled = crate::expr::compile(&env, &on_tree).expect("compiles");
                let mut ctx = Context::with_env(Arc::clone(&env));
                ctx.add_variable_as_val("list", Box::new(tree.clone()));
                let got = Value::resolve_val(&compiled.ast, &ctx).map(|v| to_json(v.as_ref()));
                let want = eval(&format!("isDuplicate({json}, {index}, {call})"));
                assert_eq!(got.ok(), Some(want), "{on_tree}");
            }
        }
    }

    #[test]
    fn unary_functions_are_registered_with_one_argument() {
        for (name, _) in UNARY {
            assert!(
                FUNCTIONS.iter().any(|f| f.name == *name && f.arity == 1),
                "{name}"
            );
        }
    }

    #[test]
    fn documented_examples_hold() {
        let mut checked = 0;
        for function in FUNCTIONS {
            assert!(!function.doc.is_empty(), "{} is documented", function.name);
            assert!(
                !function.examples.is_empty(),
                "{} has examples",
                function.name
            );
            for (expr, want) in function.examples {
                let want: serde_json::Value =
                    serde_json::from_str(want).expect("example result is JSON");
                assert_eq!(eval(expr), want, "{expr}");
                checked += 1;
            }
        }
        assert!(checked > 20);
    }
}
