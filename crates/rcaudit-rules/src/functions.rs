//! Domain functions for rule expressions, registered in one table.
//!
//! Each entry has its name, signature, documentation and examples; the
//! examples are run by the tests, and `rcaudit explain --functions` prints
//! the table. Functions take `dyn` arguments and check them themselves, so a
//! wrong argument is a clear run-time error naming the function.

use std::collections::HashMap;

use cel::ExecutionError;
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

/// Every domain function.
pub static FUNCTIONS: &[Function] = &[
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
              optional single leading `+`.",
        examples: &[
            ("isE164('+16505550100')", "true"),
            ("isE164('16505550100')", "true"),
            ("isE164('+1 650-555-0100')", "false"),
            ("isE164('0650555010')", "false"),
            ("isE164('1234567')", "false"),
            ("isE164('1234567890123456')", "false"),
            ("isE164(16505550100)", "false"),
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

/// Registers every domain function (and the two internal ones) on `env`.
pub fn register(env: &mut cel::Env) -> Result<(), cel::DeclarationError> {
    for function in FUNCTIONS {
        let args = (0..function.arity).map(|_| types::DYN_TYPE).collect();
        env.add_overload(function.name, function.name, args, function.op)?;
    }
    env.add_overload(
        EQUALS,
        EQUALS,
        vec![types::DYN_TYPE, types::DYN_TYPE],
        symmetric_equals,
    )?;
    env.add_overload(IN, IN, vec![types::DYN_TYPE, types::DYN_TYPE], symmetric_in)?;
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

fn boolean<'b, 'v>(value: bool) -> CowVal<'b, 'v> {
    CowVal::owned(CelBool::from(value))
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
    if ubp.iter().any(|u| u.trim().eq_ignore_ascii_case(name)) {
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
