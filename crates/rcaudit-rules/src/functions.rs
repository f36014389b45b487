//! Domain functions for rule expressions, registered in one table.
//!
//! Each entry has its name, signature, documentation and examples; the
//! examples are run by the tests, and `rcaudit explain --functions` prints
//! the table. Functions take `dyn` arguments and check them themselves, so a
//! wrong argument is a clear run-time error naming the function.

use std::collections::HashMap;
use std::sync::LazyLock;

use cel::ExecutionError;
use cel::common::traits;
use cel::common::types::{self, CelBool, CelInt, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::{CowVal, Val};
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;
use rustc_hash::FxHashMap;

/// One domain function.
#[derive(Debug)]
pub struct Function {
    pub name: &'static str,
    /// How it is called, with argument and result types.
    pub signature: &'static str,
    pub doc: &'static str,
    /// `(expression, expected result as JSON)`, run by the tests.
    pub examples: &'static [(&'static str, &'static str)],
    arity: usize,
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
              string), or `ext:?` when it has none. `extensionKey(extension) + \":flip:\" + \
              item.flipNumber` names a forwarding number's flip number within its extension.",
        examples: &[
            ("extensionKey({'id': 62005541008})", "\"ext:62005541008\""),
            ("extensionKey({'id': '11'})", "\"ext:11\""),
            ("extensionKey({'id': null})", "\"ext:?\""),
        ],
        arity: 1,
        op: extension_key,
    },
    Function {
        name: "numberKey",
        signature: "numberKey(record: map, otherwise) -> string",
        doc: "A `key` for a phone-number record (an account or extension phone number, a \
              forwarding number) under which the same number is one finding wherever it is \
              listed: `number:` and its phoneNumber without the leading `+`; else `id:` and \
              its id; else `otherwise` (a key of its own for a record with neither, such as \
              `target + \"#\" + string(index)`).",
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
        op: is_e164,
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
        op: is_toll_free,
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
        op: id_string,
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
        op: uri_account,
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
              leading `+`) or as `\"id\"` (a string).",
        examples: &[("counts([{'id': 7}, {'id': '7'}], 'id', 'id')", "{\"7\": 2}")],
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

/// Name of the symmetric equality the compiler substitutes for `==` between
/// two computed values (see `expr.rs`). Not callable by name from rules: `@`
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
/// One step of a comprehension: counts against the evaluation's budget and
/// returns its argument (see `expr.rs` and [`Budget`]).
pub const STEP: &str = "@rcaudit_step";

thread_local! {
    /// Steps taken, and the most allowed, by the evaluation running on this
    /// thread.
    static STEPS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, u64::MAX)) };
}

/// The step budget of one evaluation (one expression on one item, or one
/// fact): how many comprehension elements it may visit, nested ones
/// included. Kept per thread: an evaluation runs on one thread.
#[derive(Debug, Clone, Copy)]
pub struct Budget;

impl Budget {
    /// Starts an evaluation that may take `limit` steps.
    pub fn start(limit: u64) {
        STEPS.with(|s| s.set((0, limit)));
    }

    /// Whether the evaluation since [`Budget::start`] ran out of steps.
    pub fn exhausted() -> bool {
        STEPS.with(|s| {
            let (used, limit) = s.get();
            used > limit
        })
    }

    /// The steps taken since [`Budget::start`].
    pub fn used() -> u64 {
        STEPS.with(|s| s.get().0)
    }

    /// The limit of the running evaluation.
    pub fn limit() -> u64 {
        STEPS.with(|s| s.get().1)
    }
}

fn step<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let over = STEPS.with(|s| {
        let (used, limit) = s.get();
        let used = used.saturating_add(1);
        s.set((used, limit));
        (used > limit).then_some(limit)
    });
    if let Some(limit) = over {
        return Err(ExecutionError::function_error(
            "budget",
            budget_message(limit),
        ));
    }
    let [value] = take(args)?;
    Ok(value)
}

/// The error of an evaluation that ran out of steps.
pub fn budget_message(limit: u64) -> String {
    format!(
        "the evaluation was stopped after {limit} steps (elements visited by comprehensions \
         such as `map`, `all`, `exists`) on one item; raise `limits.steps` in rcaudit.yaml \
         if the data really needs more"
    )
}

/// Registers every domain function (and the two internal ones) on `env`.
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

type Args<'b, 'v> = Vec<CowVal<'b, 'v>>;
type Out<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

/// The arguments of a call, exactly `N` of them (cel checked the count
/// against the declaration; this keeps a mismatch an error, not a panic).
fn take<'b, 'v, const N: usize>(args: Args<'b, 'v>) -> Result<[CowVal<'b, 'v>; N], ExecutionError> {
    let count = args.len();
    args.try_into()
        .map_err(|_| ExecutionError::invalid_argument_count(N, count))
}

fn text(val: &dyn Val) -> Option<&str> {
    val.downcast_ref::<CelString>().map(CelString::inner)
}

fn is_null(val: &dyn Val) -> bool {
    val.downcast_ref::<CelNull>().is_some()
}

fn type_error(function: &str, val: &dyn Val, want: &str) -> ExecutionError {
    ExecutionError::function_error(
        function,
        format!("expected {want}, got {}", val.get_type().name()),
    )
}

static TRUE: LazyLock<CelBool> = LazyLock::new(|| CelBool::from(true));
static FALSE: LazyLock<CelBool> = LazyLock::new(|| CelBool::from(false));

/// A boolean result, borrowed from a static: no allocation per call.
fn boolean<'b, 'v>(value: bool) -> CowVal<'b, 'v> {
    CowVal::Borrowed(if value { &*TRUE } else { &*FALSE })
}

fn string<'b, 'v>(value: impl Into<String>) -> CowVal<'b, 'v> {
    CowVal::owned(CelString::from(value.into()))
}

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

fn normalize<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let value = value.as_ref();
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    let number = text(value).ok_or_else(|| type_error("normalize", value, "a string"))?;
    Ok(string(normalize_number(number)))
}

fn is_e164<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(text(value.as_ref()).is_some_and(e164)))
}

fn is_toll_free<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(text(value.as_ref()).is_some_and(toll_free)))
}

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

fn id_string<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let value = value.as_ref();
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    id_text(value)
        .map(string)
        .ok_or_else(|| type_error("idString", value, "an int or a string"))
}

fn same_id<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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

fn uri_account<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    let value = value.as_ref();
    if is_null(value) {
        return Ok(CowVal::owned(CelNull));
    }
    let uri = text(value).ok_or_else(|| type_error("uriAccount", value, "a string"))?;
    Ok(match account_of_uri(uri) {
        Some(account) => string(account),
        None => CowVal::owned(CelNull),
    })
}

/// A hashable form of a scalar, tagged by kind.
fn scalar_key(val: &dyn Val) -> Option<(u8, String)> {
    if is_null(val) {
        return None;
    }
    if let Some(s) = text(val) {
        return Some((0, s.to_owned()));
    }
    if let Some(b) = val.downcast_ref::<CelBool>() {
        return Some((1, b.inner().to_string()));
    }
    if let Some(i) = val.downcast_ref::<CelInt>() {
        return Some((2, i.inner().to_string()));
    }
    if let Some(u) = val.downcast_ref::<cel::common::types::CelUInt>() {
        return Some((2, u.inner().to_string()));
    }
    if let Some(d) = val.downcast_ref::<cel::common::types::CelDouble>() {
        let d = *d.inner();
        return Some(if d.fract() == 0.0 && d.abs() < 1e15 {
            (2, format!("{d:.0}"))
        } else {
            (3, d.to_string())
        });
    }
    // Lists and maps: compare by their JSON text.
    as_node(val).map(|node| (4, format!("{node:?}")))
}

fn duplicates<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list] = take(args)?;
    let list = list.as_ref();
    let iterable = list
        .as_iterable()
        .filter(|_| list.get_type().kind() == types::Kind::List)
        .ok_or_else(|| type_error("duplicates", list, "a list"))?;
    let mut first: FxHashMap<(u8, String), i64> = FxHashMap::default();
    let mut copies: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = HashMap::new();
    let mut items = iterable.iter();
    let mut index: i64 = 0;
    while let Some(item) = items.next() {
        if let Some(key) = scalar_key(item) {
            match first.get(&key) {
                Some(&at) => {
                    copies.insert(CelMapKey::from(index), Box::new(CelInt::from(at)));
                }
                None => {
                    first.insert(key, index);
                }
            }
        }
        index += 1;
    }
    Ok(CowVal::owned(CelMap::from(copies)))
}

/// How record values are compared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum As {
    Exact,
    Number,
    Id,
}

fn as_mode(function: &str, val: &dyn Val) -> Result<As, ExecutionError> {
    match text(val) {
        Some("number") => Ok(As::Number),
        Some("id") => Ok(As::Id),
        _ => Err(type_error(function, val, "\"number\" or \"id\"")),
    }
}

/// The records of a list argument.
fn records<'a, 'v>(
    function: &str,
    list: &'a (dyn Val + 'v),
) -> Result<Box<dyn traits::Iterator<'a, 'v> + 'a>, ExecutionError> {
    if list.get_type().kind() != types::Kind::List {
        return Err(type_error(function, list, "a list"));
    }
    list.as_iterable()
        .map(|iterable| iterable.iter())
        .ok_or_else(|| type_error(function, list, "a list"))
}

/// `record.field`, when present and not null.
fn field_of<'a>(record: &'a dyn Val, field: &str) -> Option<CowVal<'a, 'a>> {
    if let Some(node) = as_node(record) {
        return node
            .get(field)
            .filter(|v| !v.is_null())
            .map(|v| CowVal::Borrowed(v as &dyn Val));
    }
    let value = record.as_indexer()?.get(&CelString::from(field)).ok()?;
    (!is_null(value.as_ref())).then_some(value)
}

/// A comparable key of a field value; `None` for values that never match
/// (missing, null, empty strings, and values `as` cannot read).
fn key_of(value: &dyn Val, how: As) -> Option<(u8, String)> {
    match how {
        As::Exact => scalar_key(value).filter(|(_, text)| !text.is_empty()),
        As::Number => text(value)
            .map(|n| (0, normalize_number(n).to_owned()))
            .filter(|(_, n)| !n.is_empty()),
        As::Id => id_text(value)
            .map(|id| (0, id))
            .filter(|(_, id)| !id.is_empty()),
    }
}

fn field_name<'a>(function: &str, val: &'a dyn Val) -> Result<&'a str, ExecutionError> {
    text(val).ok_or_else(|| type_error(function, val, "a field name (a string)"))
}

fn copies<'b, 'v>(list: &dyn Val, field: &str, how: As) -> Out<'b, 'v> {
    let mut items = records("duplicates", list)?;
    let mut first: FxHashMap<(u8, String), i64> = FxHashMap::default();
    let mut copies: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = HashMap::new();
    let mut index: i64 = 0;
    while let Some(record) = items.next() {
        if let Some(key) = field_of(record, field).and_then(|v| key_of(v.as_ref(), how)) {
            match first.get(&key) {
                Some(&at) => {
                    copies.insert(CelMapKey::from(index), Box::new(CelInt::from(at)));
                }
                None => {
                    first.insert(key, index);
                }
            }
        }
        index += 1;
    }
    Ok(CowVal::owned(CelMap::from(copies)))
}

fn duplicates_by<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field] = take(args)?;
    copies(
        list.as_ref(),
        field_name("duplicates", field.as_ref())?,
        As::Exact,
    )
}

fn duplicates_as<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, how] = take(args)?;
    let how = as_mode("duplicates", how.as_ref())?;
    copies(
        list.as_ref(),
        field_name("duplicates", field.as_ref())?,
        how,
    )
}

fn count<'b, 'v>(list: &dyn Val, field: &str, how: As) -> Out<'b, 'v> {
    let mut items = records("counts", list)?;
    let mut counts: FxHashMap<String, i64> = FxHashMap::default();
    while let Some(record) = items.next() {
        if let Some((_, key)) = field_of(record, field).and_then(|v| key_of(v.as_ref(), how)) {
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    let map: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = counts
        .into_iter()
        .map(|(k, n)| {
            (
                CelMapKey::from(k),
                Box::new(CelInt::from(n)) as Box<dyn Val + 'v>,
            )
        })
        .collect();
    Ok(CowVal::owned(CelMap::from(map)))
}

fn counts<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field] = take(args)?;
    count(
        list.as_ref(),
        field_name("counts", field.as_ref())?,
        As::Exact,
    )
}

fn counts_as<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, how] = take(args)?;
    let how = as_mode("counts", how.as_ref())?;
    count(list.as_ref(), field_name("counts", field.as_ref())?, how)
}

fn filter_by<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, value] = take(args)?;
    let field = field_name("filterBy", field.as_ref())?;
    let mut items = records("filterBy", list.as_ref())?;
    let mut out: Vec<Box<dyn Val + 'v>> = Vec::new();
    while let Some(record) = items.next() {
        if field_of(record, field)
            .is_some_and(|v| v.equals(value.as_ref()) || value.equals(v.as_ref()))
        {
            out.push(record.clone_as_boxed());
        }
    }
    Ok(CowVal::owned(types::CelList::from(out)))
}

fn indexes<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, value] = take(args)?;
    let field = field_name("indexes", field.as_ref())?;
    let mut items = records("indexes", list.as_ref())?;
    let mut out: Vec<Box<dyn Val + 'v>> = Vec::new();
    let mut index: i64 = 0;
    while let Some(record) = items.next() {
        if field_of(record, field)
            .is_some_and(|v| v.equals(value.as_ref()) || value.equals(v.as_ref()))
        {
            out.push(Box::new(CelInt::from(index)));
        }
        index += 1;
    }
    Ok(CowVal::owned(types::CelList::from(out)))
}

/// Whether two field values are the same under `how`; missing, null and
/// empty values never are.
fn same(a: &dyn Val, b: &dyn Val, how: As) -> bool {
    match how {
        As::Exact => {
            let empty = |v: &dyn Val| text(v).is_some_and(str::is_empty);
            !empty(a) && (a.equals(b) || b.equals(a))
        }
        As::Number => match (text(a), text(b)) {
            (Some(x), Some(y)) => !x.is_empty() && normalize_number(x) == normalize_number(y),
            _ => false,
        },
        As::Id => matches!((id_text(a), id_text(b)), (Some(x), Some(y)) if !x.is_empty() && x == y),
    }
}

fn duplicate_at<'b, 'v>(list: &dyn Val, index: &dyn Val, field: &str, how: As) -> Out<'b, 'v> {
    let index = index
        .downcast_ref::<CelInt>()
        .and_then(|i| usize::try_from(*i.inner()).ok())
        .ok_or_else(|| type_error("isDuplicate", index, "an index (a non-negative int)"))?;
    let mut items = records("isDuplicate", list)?;
    let mut earlier: Vec<&dyn Val> = Vec::new();
    let mut position = 0;
    while let Some(record) = items.next() {
        if position == index {
            let Some(value) = field_of(record, field) else {
                return Ok(boolean(false));
            };
            let repeated = earlier.iter().any(|e| {
                field_of(*e, field).is_some_and(|other| same(value.as_ref(), other.as_ref(), how))
            });
            return Ok(boolean(repeated));
        }
        earlier.push(record);
        position += 1;
    }
    Ok(boolean(false))
}

fn is_duplicate<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, index, field] = take(args)?;
    duplicate_at(
        list.as_ref(),
        index.as_ref(),
        field_name("isDuplicate", field.as_ref())?,
        As::Exact,
    )
}

fn is_duplicate_as<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, index, field, how] = take(args)?;
    let how = as_mode("isDuplicate", how.as_ref())?;
    duplicate_at(
        list.as_ref(),
        index.as_ref(),
        field_name("isDuplicate", field.as_ref())?,
        how,
    )
}

fn subset_of<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [values, allowed] = take(args)?;
    let mut items = records("subsetOf", values.as_ref())?;
    let allowed = allowed.as_ref();
    let mut options: Vec<&dyn Val> = Vec::new();
    let mut choices = records("subsetOf", allowed)?;
    while let Some(choice) = choices.next() {
        options.push(choice);
    }
    while let Some(value) = items.next() {
        if !options.iter().any(|o| o.equals(value) || value.equals(*o)) {
            return Ok(boolean(false));
        }
    }
    Ok(boolean(true))
}

/// The catalogue's plan classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanClass {
    Ubp,
    NonUbp,
    Unknown,
}

impl PlanClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanClass::Ubp => "ubp",
            PlanClass::NonUbp => "non-ubp",
            PlanClass::Unknown => "unknown",
        }
    }
}

/// Plan class from a plan name and the `plans` parameter (`ubp`, `nonUbp`
/// lists of names).
pub fn plan_class_of(name: Option<&str>, ubp: &[String], non_ubp: &[String]) -> PlanClass {
    let Some(name) = name.map(str::trim).filter(|n| !n.is_empty()) else {
        return PlanClass::Unknown;
    };
    let lower = name.to_lowercase();
    if ubp.iter().any(|u| u.trim().to_lowercase() == lower) {
        return PlanClass::Ubp;
    }
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let has_phrase = |phrase: &str| {
        let wanted: Vec<String> = phrase
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        !wanted.is_empty() && words.windows(wanted.len()).any(|w| w == wanted.as_slice())
    };
    if non_ubp.iter().any(|n| has_phrase(n)) {
        PlanClass::NonUbp
    } else {
        PlanClass::Ubp
    }
}

/// The plan name of an account record.
pub fn plan_name(account: &Node) -> Option<&str> {
    account
        .get("serviceInfo")?
        .get("servicePlan")?
        .get("name")?
        .as_str()
}

/// Names in a list value (of a `plans` parameter), ignoring non-strings.
fn names(val: Option<&dyn Val>) -> Vec<String> {
    let Some(val) = val else { return Vec::new() };
    let Some(iterable) = val.as_iterable() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut items = iterable.iter();
    while let Some(item) = items.next() {
        if let Some(s) = text(item) {
            out.push(s.to_owned());
        }
    }
    out
}

/// Reads `map.name` from any CEL map (a snapshot object or a literal).
fn with_field<T>(map: &dyn Val, name: &str, f: impl FnOnce(&dyn Val) -> Option<T>) -> Option<T> {
    let indexer = map.as_indexer()?;
    let value = indexer.get(&CelString::from(name)).ok()?;
    f(value.as_ref())
}

/// The plan class from CEL values (`account`, `plans`).
pub fn plan_class_val(account: &dyn Val, plans: &dyn Val) -> PlanClass {
    let name = with_field(account, "serviceInfo", |service| {
        with_field(service, "servicePlan", |plan| {
            with_field(plan, "name", |name| text(name).map(str::to_owned))
        })
    });
    let ubp = with_field(plans, "ubp", |v| Some(names(Some(v)))).unwrap_or_default();
    let non_ubp = with_field(plans, "nonUbp", |v| Some(names(Some(v)))).unwrap_or_default();
    plan_class_of(name.as_deref(), &ubp, &non_ubp)
}

fn plan_class<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [account, plans] = take(args)?;
    Ok(string(
        plan_class_val(account.as_ref(), plans.as_ref()).as_str(),
    ))
}

/// `x in [a, b, ...]` with the literals as arguments.
fn in_literals<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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
fn has_field<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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

/// Whether a value is `null`: cel's, or the snapshot's.
fn is_nothing(val: &dyn Val) -> bool {
    is_null(val) || as_node(val).is_some_and(Node::is_null)
}

/// `present(value)`, for a value that is not a field path (those are
/// rewritten into [`PRESENT`] calls).
fn present<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [value] = take(args)?;
    Ok(boolean(!is_nothing(value.as_ref())))
}

/// `present(a.b.c)` as `@rcaudit_present(a, "b", "c")`: whether each field
/// is there and not null.
fn present_path<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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

/// A map argument of `function` (`null` is an empty one: nothing is there).
fn record_arg<'a>(function: &str, val: &'a dyn Val) -> Result<Option<&'a dyn Val>, ExecutionError> {
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
fn as_text(val: &dyn Val) -> String {
    text(val).map_or_else(|| crate::template::render(val), str::to_owned)
}

/// An id field as a string, when present and not null.
fn id_of(function: &str, record: &dyn Val) -> Result<Option<String>, ExecutionError> {
    field_of(record, "id")
        .map(|id| {
            id_text(id.as_ref())
                .ok_or_else(|| type_error(function, id.as_ref(), "an int or a string"))
        })
        .transpose()
}

/// An extension's label, or `None` when it has neither an extensionNumber
/// nor an id.
fn label_of<'b, 'v>(
    function: &str,
    extension: &dyn Val,
) -> Result<Option<CowVal<'b, 'v>>, ExecutionError> {
    let Some(extension) = record_arg(function, extension)? else {
        return Ok(None);
    };
    if let Some(number) = field_of(extension, "extensionNumber") {
        return Ok(Some(string(as_text(number.as_ref()))));
    }
    Ok(id_of(function, extension)?.map(|id| string(format!("id {id}"))))
}

fn extension_label<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension] = take(args)?;
    Ok(label_of("extensionLabel", extension.as_ref())?.unwrap_or_else(|| string("?")))
}

fn extension_label_at<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension, index] = take(args)?;
    let index = index.as_ref();
    let position = index
        .downcast_ref::<CelInt>()
        .map(|i| *i.inner())
        .ok_or_else(|| type_error("extensionLabel", index, "an index (an int)"))?;
    Ok(label_of("extensionLabel", extension.as_ref())?
        .unwrap_or_else(|| string(format!("#{position}"))))
}

fn extension_key<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [extension] = take(args)?;
    let id = match record_arg("extensionKey", extension.as_ref())? {
        Some(extension) => id_of("extensionKey", extension)?,
        None => None,
    };
    Ok(string(format!("ext:{}", id.as_deref().unwrap_or("?"))))
}

fn number_key<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [record, otherwise] = take(args)?;
    let Some(record) = record_arg("numberKey", record.as_ref())? else {
        return Ok(otherwise);
    };
    if let Some(number) = field_of(record, "phoneNumber") {
        let number = number.as_ref();
        let number = text(number).ok_or_else(|| type_error("numberKey", number, "a string"))?;
        return Ok(string(format!("number:{}", normalize_number(number))));
    }
    Ok(match id_of("numberKey", record)? {
        Some(id) => string(format!("id:{id}")),
        None => otherwise,
    })
}

fn number_label<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [record] = take(args)?;
    let number = record_arg("numberLabel", record.as_ref())?
        .and_then(|record| field_of(record, "phoneNumber"))
        .map(|number| string(as_text(number.as_ref())));
    Ok(number.unwrap_or_else(|| string("(no phoneNumber)")))
}

fn symmetric_equals<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [a, b] = take(args)?;
    Ok(boolean(a.equals(b.as_ref()) || b.equals(a.as_ref())))
}

fn symmetric_in<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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
    use std::sync::Arc;

    use cel::{Context, Value};

    use super::*;
    use crate::template::to_json;

    fn eval(expr: &str) -> serde_json::Value {
        let env = Arc::new(crate::load::environment().expect("environment"));
        let compiled = crate::expr::compile(&env, expr).unwrap_or_else(|e| panic!("{expr}: {e:?}"));
        let ctx = Context::with_env(env);
        let value =
            Value::resolve_val(&compiled.ast, &ctx).unwrap_or_else(|e| panic!("{expr}: {e}"));
        to_json(value.as_ref())
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

    #[test]
    fn index_in_duplicates_is_a_lookup() {
        assert_eq!(
            eval("2 in duplicates(['a', 'b', 'a'])"),
            serde_json::json!(true)
        );
        assert_eq!(
            eval("1 in duplicates(['a', 'b', 'a'])"),
            serde_json::json!(false)
        );
    }

    #[test]
    fn plan_names_match_whole_words() {
        let plans = |ubp: &[&str], non: &[&str]| {
            (
                ubp.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
                non.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
            )
        };
        let (ubp, non) = plans(&[], &["Fax", "Professional", "Office"]);
        for (name, want) in [
            (Some("Office Standard"), PlanClass::NonUbp),
            (Some("RingCentral Office Premium"), PlanClass::NonUbp),
            (Some("RingCentral Fax"), PlanClass::NonUbp),
            (Some("office"), PlanClass::NonUbp),
            (Some("Offices Plus"), PlanClass::Ubp),
            (Some("RingEX Core"), PlanClass::Ubp),
            (Some("   "), PlanClass::Unknown),
            (None, PlanClass::Unknown),
        ] {
            assert_eq!(plan_class_of(name, &ubp, &non), want, "{name:?}");
        }
    }
}
