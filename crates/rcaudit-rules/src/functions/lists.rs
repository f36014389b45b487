//! Lists of records, in Rust and in linear time: `duplicates`,
//! `isDuplicate`, `counts`, `filterBy`, `indexes`, `subsetOf`, and how they
//! compare values (exactly, as phone numbers, as ids).

use std::borrow::Cow;
use std::collections::HashMap;

use cel::ExecutionError;
use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::common::traits;
use cel::common::types::{self, CelBool, CelInt, CelMap, CelMapKey};
use cel::common::value::{CowVal, Val};
use rcaudit_model::Node;
use rcaudit_model::cel::as_node;
use rustc_hash::FxHashMap;

use super::ids::id_text;
use super::internal::equal_either_way;
use super::numbers::normalize_number;
use super::values::{Args, Out, boolean, field_name, field_of, is_null, take, text, type_error};

/// A hashable form of a value, tagged by kind; strings are borrowed from
/// the value, so keying a list of records allocates for numbers only.
pub(super) type Key<'a> = (u8, Cow<'a, str>);

/// A hashable form of a scalar, tagged by kind.
fn scalar_key(val: &dyn Val) -> Option<Key<'_>> {
    if is_null(val) {
        return None;
    }
    if let Some(s) = text(val) {
        return Some((0, Cow::Borrowed(s)));
    }
    if let Some(b) = val.downcast_ref::<CelBool>() {
        return Some((1, Cow::Owned(b.inner().to_string())));
    }
    if let Some(i) = val.downcast_ref::<CelInt>() {
        return Some((2, Cow::Owned(i.inner().to_string())));
    }
    if let Some(u) = val.downcast_ref::<cel::common::types::CelUInt>() {
        return Some((2, Cow::Owned(u.inner().to_string())));
    }
    if let Some(d) = val.downcast_ref::<cel::common::types::CelDouble>() {
        let d = *d.inner();
        return Some(if d.fract() == 0.0 && d.abs() < 1e15 {
            (2, Cow::Owned(format!("{d:.0}")))
        } else {
            (3, Cow::Owned(d.to_string()))
        });
    }
    // Lists and maps: compare by their JSON text.
    as_node(val).map(|node| (4, Cow::Owned(format!("{node:?}"))))
}

pub(super) fn duplicates<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list] = take(args)?;
    let list = list.as_ref();
    let iterable = list
        .as_iterable()
        .filter(|_| list.get_type().kind() == types::Kind::List)
        .ok_or_else(|| type_error("duplicates", list, "a list"))?;
    let mut first: FxHashMap<Key<'_>, i64> = sized(list);
    let mut copies: HashMap<CelMapKey<'v>, Box<dyn Val + 'v>> = HashMap::new();
    let mut items = iterable.iter();
    let mut index: i64 = 0;
    while let Some(item) = items.next() {
        if let Some(key) = scalar_key(item) {
            // One probe of the map per record, not a lookup then an insert.
            let at = *first.entry(key).or_insert(index);
            if at != index {
                copies.insert(CelMapKey::from(index), Box::new(CelInt::from(at)));
            }
        }
        index += 1;
    }
    Ok(CowVal::owned(CelMap::from(copies)))
}

/// How record values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum As {
    Exact,
    Number,
    Id,
    /// The number's region, by libphonenumber's metadata.
    Region,
}

fn as_mode(function: &str, val: &dyn Val) -> Result<As, ExecutionError> {
    text(val)
        .and_then(mode)
        .ok_or_else(|| type_error(function, val, "\"number\", \"id\" or \"region\""))
}

/// The mode a function's `as` argument names.
pub(super) fn mode(name: &str) -> Option<As> {
    match name {
        "number" => Some(As::Number),
        "id" => Some(As::Id),
        "region" => Some(As::Region),
        _ => None,
    }
}

/// A map for the keys of `list`'s elements, made at its size: growing it
/// one doubling at a time would hash every key again at each (and a key's
/// text is a cache miss away, in the snapshot tree).
fn sized<K, V>(list: &dyn Val) -> FxHashMap<K, V> {
    let len = list.as_sizer().map_or(0, |sizer| {
        usize::try_from(*sizer.size().inner()).unwrap_or(0)
    });
    FxHashMap::with_capacity_and_hasher(len, rustc_hash::FxBuildHasher)
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

/// A comparable key of a field value; `None` for values that never match
/// (missing, null, empty strings, and values `as` cannot read).
fn key_of<'a>(value: &CowVal<'a, 'a>, how: As) -> Option<Key<'a>> {
    match value {
        CowVal::Borrowed(value) => key_in(*value, how),
        CowVal::Owned(value) => {
            key_in(&**value, how).map(|(kind, text)| (kind, Cow::Owned(text.into_owned())))
        }
    }
}

pub(super) fn key_in(value: &dyn Val, how: As) -> Option<Key<'_>> {
    match how {
        As::Exact => scalar_key(value).filter(|(_, text)| !text.is_empty()),
        As::Number => text(value)
            .map(|n| (0, Cow::Borrowed(normalize_number(n))))
            .filter(|(_, n)| !n.is_empty()),
        As::Id => match text(value) {
            Some(id) => Some((0, Cow::Borrowed(id))),
            None => id_text(value).map(|id| (0, Cow::Owned(id))),
        }
        .filter(|(_, id)| !id.is_empty()),
        As::Region => text(value)
            .and_then(super::numbers::region)
            .map(|region| (0, Cow::Borrowed(region))),
    }
}

/// [`key_in`] of a record's field, its text lasting as long as the
/// snapshot: text read from the snapshot's input is lent from it, not
/// copied (a copy only for text the parse had to unescape, and for the
/// text of numbers), so a fact keyed by it can keep the keys.
pub(super) fn lasting_key(value: &Node, how: As) -> Option<Key<'static>> {
    if how == As::Region {
        return text(value)
            .and_then(super::numbers::region)
            .map(|region| (0, Cow::Borrowed(region)));
    }
    let (kind, key) = key_in(value, how)?;
    let whole = match value {
        Node::String(whole) => whole.as_borrowed(),
        _ => None,
    };
    let key = match key {
        Cow::Borrowed(part) => whole
            .and_then(|whole| within(part, whole))
            .map_or_else(|| Cow::Owned(part.to_owned()), Cow::Borrowed),
        Cow::Owned(key) => Cow::Owned(key),
    };
    Some((kind, key))
}

/// `part` as the slice of `whole` it is, if it is one.
fn within(part: &str, whole: &'static str) -> Option<&'static str> {
    let start = part.as_ptr().addr().checked_sub(whole.as_ptr().addr())?;
    whole.get(start..start.checked_add(part.len())?)
}

fn copies<'b, 'v>(list: &dyn Val, field: &str, how: As) -> Out<'b, 'v> {
    let mut items = records("duplicates", list)?;
    let mut first: FxHashMap<Key<'_>, i64> = sized(list);
    let mut copies = Vec::new();
    let mut index: i64 = 0;
    while let Some(record) = items.next() {
        if let Some(key) = field_of(record, field).and_then(|v| key_of(&v, how)) {
            // One probe of the map per record, not a lookup then an insert.
            let at = *first.entry(key).or_insert(index);
            if at != index {
                copies.push((index, at));
            }
        }
        index += 1;
    }
    Ok(CowVal::owned(copies_map(copies)))
}

/// The value of `duplicates`: each copy's index -> its first's.
pub(super) fn copies_map<'v>(copies: impl IntoIterator<Item = (i64, i64)>) -> CelMap<'v> {
    CelMap::from(
        copies
            .into_iter()
            .map(|(index, first)| {
                (
                    CelMapKey::from(index),
                    Box::new(CelInt::from(first)) as Box<dyn Val + 'v>,
                )
            })
            .collect::<HashMap<_, _>>(),
    )
}

/// The value of `counts`: each key's text -> how many records have it.
pub(super) fn counts_map<'v, 'k>(
    counts: impl IntoIterator<Item = (Cow<'k, str>, i64)>,
) -> CelMap<'v> {
    CelMap::from(
        counts
            .into_iter()
            .map(|(text, count)| {
                (
                    CelMapKey::from(text.into_owned()),
                    Box::new(CelInt::from(count)) as Box<dyn Val + 'v>,
                )
            })
            .collect::<HashMap<_, _>>(),
    )
}

pub(super) fn duplicates_by<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field] = take(args)?;
    copies(
        list.as_ref(),
        field_name("duplicates", field.as_ref())?,
        As::Exact,
    )
}

pub(super) fn duplicates_as<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
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
    let mut counts: FxHashMap<Cow<'_, str>, i64> = sized(list);
    while let Some(record) = items.next() {
        if let Some((_, key)) = field_of(record, field).and_then(|v| key_of(&v, how)) {
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    Ok(CowVal::owned(counts_map(counts)))
}

pub(super) fn counts<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field] = take(args)?;
    count(
        list.as_ref(),
        field_name("counts", field.as_ref())?,
        As::Exact,
    )
}

pub(super) fn counts_as<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, how] = take(args)?;
    let how = as_mode("counts", how.as_ref())?;
    count(list.as_ref(), field_name("counts", field.as_ref())?, how)
}

pub(super) fn filter_by<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, value] = take(args)?;
    let field = field_name("filterBy", field.as_ref())?;
    let mut items = records("filterBy", list.as_ref())?;
    let mut out: Vec<Box<dyn Val + 'v>> = Vec::new();
    while let Some(record) = items.next() {
        if field_of(record, field).is_some_and(|v| equal_either_way(v.as_ref(), value.as_ref())) {
            out.push(record.clone_as_boxed());
        }
    }
    Ok(CowVal::owned(types::CelList::from(out)))
}

pub(super) fn indexes<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, field, value] = take(args)?;
    let field = field_name("indexes", field.as_ref())?;
    let mut items = records("indexes", list.as_ref())?;
    let mut out: Vec<Box<dyn Val + 'v>> = Vec::new();
    let mut index: i64 = 0;
    while let Some(record) = items.next() {
        if field_of(record, field).is_some_and(|v| equal_either_way(v.as_ref(), value.as_ref())) {
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
            !empty(a) && equal_either_way(a, b)
        }
        As::Number => match (text(a), text(b)) {
            (Some(x), Some(y)) => !x.is_empty() && normalize_number(x) == normalize_number(y),
            _ => false,
        },
        As::Id => matches!((id_text(a), id_text(b)), (Some(x), Some(y)) if !x.is_empty() && x == y),
        As::Region => {
            let region = |v: &dyn Val| text(v).and_then(super::numbers::region);
            region(a).is_some_and(|x| region(b) == Some(x))
        }
    }
}

fn duplicate_at<'b, 'v>(list: &dyn Val, index: &dyn Val, field: &str, how: As) -> Out<'b, 'v> {
    repeated_at(list, index, field, how).map(boolean)
}

/// Whether the record at `index` of `list` has a value at `field` that an
/// earlier record has (`isDuplicate`).
fn repeated_at(
    list: &dyn Val,
    index: &dyn Val,
    field: &str,
    how: As,
) -> Result<bool, ExecutionError> {
    let index = index
        .downcast_ref::<CelInt>()
        .and_then(|i| usize::try_from(*i.inner()).ok())
        .ok_or_else(|| type_error("isDuplicate", index, "an index (a non-negative int)"))?;
    // A list of the snapshot: its records in place, without an iterator
    // object or a vector of the ones before (three forwarding rules call
    // this for each of 200,000 records).
    if let Some(Node::Array(items)) = as_node(list) {
        let (earlier, rest) = items.split_at(index.min(items.len()));
        let Some(value) = rest.first().and_then(|record| field_of(record, field)) else {
            return Ok(false);
        };
        return Ok(earlier.iter().any(|e| {
            field_of(e, field).is_some_and(|other| same(value.as_ref(), other.as_ref(), how))
        }));
    }
    let mut items = records("isDuplicate", list)?;
    let mut earlier: Vec<&dyn Val> = Vec::new();
    let mut position = 0;
    while let Some(record) = items.next() {
        if position == index {
            let Some(value) = field_of(record, field) else {
                return Ok(false);
            };
            return Ok(earlier.iter().any(|e| {
                field_of(*e, field).is_some_and(|other| same(value.as_ref(), other.as_ref(), how))
            }));
        }
        earlier.push(record);
        position += 1;
    }
    Ok(false)
}

/// The text of a string literal argument.
pub(super) fn literal_text(arg: &IdedExpr) -> Option<String> {
    match &arg.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.inner().to_owned()),
        _ => None,
    }
}

/// The values of a list literal whose elements are all literals, made
/// once (as `cel` makes them).
pub(crate) fn literal_list(expr: &Expr) -> Option<Box<[Box<dyn Val>]>> {
    let Expr::List(list) = expr else {
        return None;
    };
    if !list.optional_indices.is_empty() {
        return None;
    }
    list.elements
        .iter()
        .map(|element| match &element.expr {
            Expr::Literal(literal) => Some(literal.to_val().into_owned()),
            _ => None,
        })
        .collect()
}

/// `isDuplicate(list, index, "field"[, "how"])` with its field and mode
/// written as literals, as a plan calls it: they are read once, when the
/// rule is loaded, and the call makes no argument vector.
#[derive(Debug)]
pub(crate) struct IsDuplicate {
    field: Box<str>,
    how: As,
}

impl IsDuplicate {
    /// The call's literal arguments, and its list and index expressions;
    /// `None` for any other call.
    pub(crate) fn of<'e>(
        name: &str,
        args: &'e [IdedExpr],
    ) -> Option<(IsDuplicate, &'e IdedExpr, &'e IdedExpr)> {
        if name != "isDuplicate" {
            return None;
        }
        let (list, index, field, how) = match args {
            [list, index, field] => (list, index, literal_text(field)?, As::Exact),
            [list, index, field, how] => (
                list,
                index,
                literal_text(field)?,
                mode(&literal_text(how)?)?,
            ),
            _ => return None,
        };
        Some((
            IsDuplicate {
                field: field.into_boxed_str(),
                how,
            },
            list,
            index,
        ))
    }

    /// What `isDuplicate` gives for these arguments.
    pub(crate) fn test(&self, list: &dyn Val, index: &dyn Val) -> Result<bool, ExecutionError> {
        repeated_at(list, index, &self.field, self.how)
    }
}

pub(super) fn is_duplicate<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, index, field] = take(args)?;
    duplicate_at(
        list.as_ref(),
        index.as_ref(),
        field_name("isDuplicate", field.as_ref())?,
        As::Exact,
    )
}

pub(super) fn is_duplicate_as<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [list, index, field, how] = take(args)?;
    let how = as_mode("isDuplicate", how.as_ref())?;
    duplicate_at(
        list.as_ref(),
        index.as_ref(),
        field_name("isDuplicate", field.as_ref())?,
        how,
    )
}

pub(super) fn subset_of<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let [values, allowed] = take(args)?;
    // The values are checked to be a list before the allowed ones.
    records("subsetOf", values.as_ref())?;
    let mut options: Vec<&dyn Val> = Vec::new();
    let mut choices = records("subsetOf", allowed.as_ref())?;
    while let Some(choice) = choices.next() {
        options.push(choice);
    }
    every(values.as_ref(), |value| {
        options.iter().any(|o| equal_either_way(*o, value))
    })
    .map(boolean)
}

/// Whether every element of the list `values` is `allowed`.
fn every(values: &dyn Val, allowed: impl Fn(&dyn Val) -> bool) -> Result<bool, ExecutionError> {
    // A list of the snapshot: its elements in place, without an iterator
    // object.
    if let Some(Node::Array(items)) = as_node(values) {
        return Ok(items.iter().all(|item| allowed(item)));
    }
    let mut items = records("subsetOf", values)?;
    while let Some(value) = items.next() {
        if !allowed(value) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Whether `value` is the allowed `option`, compared as `subsetOf` does:
/// either way round.
/// `subsetOf(values, [literal, ...])`, as a plan calls it: the allowed
/// values are made once, when the rule is loaded.
#[derive(Debug)]
pub(crate) struct SubsetOf {
    options: Box<[Box<dyn Val>]>,
}

impl SubsetOf {
    /// The call's allowed values, and its `values` expression; `None` for
    /// any other call, or allowed values that are not a list of literals.
    pub(crate) fn of<'e>(name: &str, args: &'e [IdedExpr]) -> Option<(SubsetOf, &'e IdedExpr)> {
        let ("subsetOf", [values, allowed]) = (name, args) else {
            return None;
        };
        let options = literal_list(&allowed.expr)?;
        Some((SubsetOf { options }, values))
    }

    /// What `subsetOf` gives for `values`.
    pub(crate) fn test(&self, values: &dyn Val) -> Result<bool, ExecutionError> {
        every(values, |value| {
            self.options.iter().any(|o| equal_either_way(&**o, value))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use cel::common::types::{CelInt, CelString};
    use rcaudit_model::Node;

    use super::{As, key_in, lasting_key};
    use crate::functions::tests::eval;

    /// A lasting key is the key, its text lent from the snapshot's input
    /// where the field's string is (a copy only for text made from the
    /// value, as numbers' is).
    #[test]
    fn lasting_keys_lend_the_snapshots_text() {
        static INPUT: &str = "+16505550100";
        let lent = Node::String(CelString::from(INPUT));
        let owned = Node::String(CelString::from(INPUT.to_owned()));
        let number = Node::Int(CelInt::from(16_505_550_100));
        for how in [As::Exact, As::Number, As::Id, As::Region] {
            for (value, from_input) in [(&lent, true), (&owned, false), (&number, false)] {
                let lasting = lasting_key(value, how);
                assert_eq!(lasting, key_in(value, how), "{how:?}");
                let lends = matches!(lasting, Some((_, Cow::Borrowed(text)))
                    if INPUT.as_bytes().as_ptr_range().contains(&text.as_ptr()));
                assert_eq!(lends, from_input && how != As::Region, "{how:?}");
            }
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
}
