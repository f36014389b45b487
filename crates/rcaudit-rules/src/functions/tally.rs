//! Several facts over one snapshot list in one pass: `duplicates(list,
//! field[, as])` and `counts(list, field[, as])` called on the same list
//! (the built-in pack has four over `extensions`, two over `phoneNumbers`).
//!
//! Each fact computed on its own walks the whole list, and at 100,000
//! extensions each walk waits on the same cache misses (a record's members,
//! then its field's text, hundreds of megabytes apart). One pass reads each
//! record's fields once for all the facts, and facts that key the list the
//! same way (`duplicates(extensions, "id", "id")` and `counts(extensions,
//! "id", "id")`) share one map. The values are those of the functions
//! themselves ([`super::lists`]): the same keys ([`key_in`]), the same
//! results, which a test compares on random lists.

use cel::common::ast::{Expr, IdedExpr};
use cel::common::value::Val;
use rcaudit_model::Node;
use rustc_hash::FxBuildHasher;

use super::counted::{Counted, Table};
use super::lists::{As, Key, copies_map, lasting_key, literal_text, mode};

/// A fact that is one of the list functions over a variable, with literal
/// arguments: what [`fold`] computes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListCall {
    /// The variable holding the list (`extensions`).
    pub(crate) list: String,
    fold: Fold,
    field: String,
    how: As,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// `duplicates(list, field[, as])`.
    Duplicates,
    /// `counts(list, field[, as])`.
    Counts,
}

impl ListCall {
    /// The call `expr` is, if it is one [`fold`] computes: `duplicates` or
    /// `counts` of a variable, a literal field name and, with three
    /// arguments, a literal mode the function accepts. Anything else (a
    /// computed argument, a mode the function would refuse) is left to cel,
    /// which gives the value or the error.
    pub(crate) fn of(expr: &IdedExpr) -> Option<ListCall> {
        let Expr::Call(call) = &expr.expr else {
            return None;
        };
        if call.target.is_some() {
            return None;
        }
        let fold = match call.func_name.as_str() {
            "duplicates" => Fold::Duplicates,
            "counts" => Fold::Counts,
            _ => return None,
        };
        let (list, field, how) = match call.args.as_slice() {
            [list, field] => (list, literal_text(field)?, As::Exact),
            [list, field, how] => (list, literal_text(field)?, mode(&literal_text(how)?)?),
            _ => return None,
        };
        let Expr::Ident(list) = &list.expr else {
            return None;
        };
        Some(ListCall {
            list: list.clone(),
            fold,
            field,
            how,
        })
    }
}

/// How records are keyed: one map per distinct way among the calls.
struct Keying<'a> {
    field: &'a str,
    how: As,
    /// Each key's first record and how many records have it; a `counts`
    /// fact keeps it ([`Counted`]).
    seen: Table,
    /// How many of the calls are `counts` of this keying: the last takes
    /// `seen`, any other a copy.
    counts: usize,
    /// Records whose key an earlier record has: (record, first).
    copies: Vec<(i64, i64)>,
}

/// Records keyed a block at a time: each record's keys are read for the
/// whole block before any is entered in a map, so the reads of different
/// records (cache misses, in a large tree) overlap.
const BLOCK: usize = 64;

/// The value of each of `calls` over `records`, in the order of `calls`,
/// as the functions would give them, in one pass over the records (`None`
/// only if a call lost its keying: a bug, which the caller reports rather
/// than a value that would pass every rule reading it).
pub(crate) fn fold(records: &[Node], calls: &[&ListCall]) -> Vec<Option<Box<dyn Val + 'static>>> {
    let mut keyings: Vec<Keying<'_>> = Vec::new();
    let ways: Vec<usize> = calls
        .iter()
        .map(|call| {
            let way = keyings
                .iter()
                .position(|k| k.field == call.field && k.how == call.how);
            way.unwrap_or_else(|| {
                keyings.push(Keying {
                    field: &call.field,
                    how: call.how,
                    seen: Table::with_capacity_and_hasher(records.len(), FxBuildHasher),
                    counts: 0,
                    copies: Vec::new(),
                });
                keyings.len() - 1
            })
        })
        .collect();
    for (call, &way) in calls.iter().zip(&ways) {
        if let (Fold::Counts, Some(keying)) = (call.fold, keyings.get_mut(way)) {
            keying.counts += 1;
        }
    }
    let mut keys: Vec<Option<Key<'static>>> = Vec::with_capacity(BLOCK * keyings.len());
    let mut start: i64 = 0;
    for block in records.chunks(BLOCK) {
        keys.clear();
        for record in block {
            for keying in &keyings {
                let value = record.get(keying.field).filter(|v| !v.is_null());
                keys.push(value.and_then(|v| lasting_key(v, keying.how)));
            }
        }
        let mut keys = keys.drain(..);
        for index in (start..).take(block.len()) {
            for keying in &mut keyings {
                let Some(Some(key)) = keys.next() else {
                    continue;
                };
                let (first, count) = keying.seen.entry(key).or_insert((index, 0));
                *count += 1;
                if *first != index {
                    keying.copies.push((index, *first));
                }
            }
            start = index + 1;
        }
    }
    calls
        .iter()
        .zip(ways)
        .map(|(call, way)| {
            let keying = keyings.get_mut(way)?;
            let value: Box<dyn Val> = match call.fold {
                Fold::Duplicates => Box::new(copies_map(keying.copies.iter().copied())),
                Fold::Counts => {
                    keying.counts = keying.counts.saturating_sub(1);
                    let seen = if keying.counts == 0 {
                        std::mem::take(&mut keying.seen)
                    } else {
                        keying.seen.clone()
                    };
                    Box::new(Counted::new(seen))
                }
            };
            Some(value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cel::{Context, Value};
    use proptest::prelude::*;

    use super::*;
    use crate::template::to_json;

    fn env() -> Arc<cel::Env> {
        Arc::new(crate::load::environment().expect("environment"))
    }

    fn call(env: &cel::Env, source: &str) -> Option<ListCall> {
        let compiled = crate::expr::compile(env, source).ok()?;
        ListCall::of(&compiled.ast)
    }

    #[test]
    fn recognises_the_list_functions_with_literal_arguments() {
        let env = env();
        let planned = [
            (
                "duplicates(extensions, 'extensionNumber')",
                Fold::Duplicates,
            ),
            ("duplicates(extensions, 'id', 'id')", Fold::Duplicates),
            (
                "counts(phoneNumbers, 'phoneNumber', 'region')",
                Fold::Counts,
            ),
            ("counts(extensions, 'type')", Fold::Counts),
        ];
        for (source, fold) in planned {
            assert_eq!(call(&env, source).map(|c| c.fold), Some(fold), "{source}");
        }
        for source in [
            "duplicates(extensions)",
            "duplicates(extensions, 'id' + '')",
            "duplicates(extensions, 'id', 'kind')",
            "duplicates(extensions.filter(e, true), 'id')",
            "counts(extensions, 'type', 'id', 'x')",
            "filterBy(extensions, 'type', 'User')",
            "size(counts(extensions, 'type'))",
        ] {
            assert_eq!(call(&env, source), None, "{source}");
        }
    }

    /// A field value: the kinds the keys tell apart or join (`7`, `"7"`,
    /// `7.0`; numbers with and without `+`; empty and null), and values no
    /// key is made of.
    fn field() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::json;
        prop_oneof![
            Just(json!("7")),
            Just(json!(7)),
            Just(json!(7.0)),
            Just(json!(7.5)),
            Just(json!(true)),
            Just(json!("true")),
            Just(json!("")),
            Just(json!(null)),
            Just(json!("+16505550100")),
            Just(json!("16505550100")),
            Just(json!("+442079460000")),
            Just(json!("+10005550100")),
            Just(json!("x")),
            Just(json!([1])),
            Just(json!({"a": 1})),
        ]
    }

    fn record() -> impl Strategy<Value = serde_json::Value> {
        prop_oneof![
            8 => prop::collection::vec((prop::sample::select(vec!["f", "g"]), field()), 0..3)
                .prop_map(|members| {
                    serde_json::Value::Object(
                        members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                    )
                }),
            1 => field(),
        ]
    }

    /// Every way a list function keys records, and one call twice (two
    /// facts of one definition share a table: the first gets a copy).
    const CALLS: [&str; 13] = [
        "duplicates(list, 'f')",
        "duplicates(list, 'g')",
        "duplicates(list, 'f', 'number')",
        "duplicates(list, 'f', 'id')",
        "duplicates(list, 'f', 'region')",
        "duplicates(list, 'missing')",
        "counts(list, 'f')",
        "counts(list, 'g')",
        "counts(list, 'f', 'number')",
        "counts(list, 'f', 'id')",
        "counts(list, 'f', 'region')",
        "counts(list, 'g', 'id')",
        "counts(list,'f')",
    ];

    proptest! {
        /// One pass gives each call's value as the function gives it,
        /// whichever calls share the pass (and their maps), on lists longer
        /// than a block.
        #[test]
        fn one_pass_gives_what_each_function_gives(
            records in prop::collection::vec(record(), 0..150),
            chosen in prop::sample::subsequence(CALLS.to_vec(), 1..=CALLS.len()),
        ) {
            let env = env();
            let list = rcaudit_model::value::from_json(&serde_json::Value::Array(records));
            let calls: Vec<ListCall> = chosen
                .iter()
                .map(|source| call(&env, source).expect("a list call"))
                .collect();
            let folded = fold(
                list.as_array().expect("a list"),
                &calls.iter().collect::<Vec<_>>(),
            );
            for (source, got) in chosen.iter().zip(&folded) {
                let got = got.as_ref().expect("a value for every call");
                let compiled = crate::expr::compile(&env, source).expect("compiles");
                let mut ctx = Context::with_env(Arc::clone(&env));
                ctx.add_variable_as_val("list", Box::new(list.clone()));
                let want = Value::resolve_val(&compiled.ast, &ctx).expect("evaluates");
                prop_assert_eq!(to_json(got.as_ref()), to_json(want.as_ref()), "{}", source);
            }
        }
    }
}
