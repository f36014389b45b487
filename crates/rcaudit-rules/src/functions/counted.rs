//! The value of a `counts(list, field[, as])` fact computed in one pass
//! ([`super::fold`]): the pass's own table of keys, read as the CEL map
//! `counts` gives (each key's text -> how many records have it).
//!
//! `counts` itself makes cel's map: a copy of every key and a boxed count,
//! in a second table. At 100,000 extensions `counts(extensions, "id",
//! "id")` spent more time making that copy (about 40 ms, on the one thread
//! every rule waits for) than keying the records, and the copy was 19 MB.
//! A fact is read by `in`, `[]` and `size` almost always; those read the
//! pass's table as it is. Anything else (iterating, comparing, converting)
//! reads cel's map, made the first time it is needed, so the value behaves
//! as `counts`' own in every other respect.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use cel::ExecutionError;
use cel::common::traits::{Container, Indexer, Iterable, Sizer, Zeroer};
use cel::common::types::{self, CelInt, CelMap};
use cel::common::value::{Builtin, BuiltinRef, CowVal, Val};
use rustc_hash::FxBuildHasher;

use super::lists::{Key, counts_map};
use super::values::text;

/// Each key of a list's records -> (the first record with it, how many
/// have it): what a pass over the list builds ([`super::fold`]).
pub(super) type Table = hashbrown::HashMap<Key<'static>, (i64, i64), FxBuildHasher>;

/// A text looked up among a [`Table`]'s keys of kind 0 (text), without
/// making a key: it hashes as the key `(0, text)` does.
struct Text<'a>(&'a str);

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        0_u8.hash(state);
        self.0.hash(state);
    }
}

impl hashbrown::Equivalent<Key<'static>> for Text<'_> {
    fn equivalent(&self, key: &Key<'static>) -> bool {
        key.0 == 0 && rcaudit_model::value::same_text(key.1.as_bytes(), self.0.as_bytes())
    }
}

/// A `counts` fact: keys of kind 0 only, so that a text is one lookup.
#[derive(Debug)]
pub(crate) struct Counted {
    table: Table,
    /// The same map as `counts` makes it, for what is not a lookup.
    map: OnceLock<CelMap<'static>>,
}

impl Counted {
    /// The counts in `table`, keyed by text alone: `counts` keys `7` and
    /// `"7"` alike, so keys of other kinds join those of kind 0 with the
    /// same text.
    pub(super) fn new(table: Table) -> Counted {
        let table = if table.keys().all(|(kind, _)| *kind == 0) {
            table
        } else {
            let mut joined = Table::with_capacity_and_hasher(table.len(), FxBuildHasher);
            for ((_, text), (first, count)) in table {
                let entry = joined.entry((0, text)).or_insert((first, 0));
                entry.0 = entry.0.min(first);
                entry.1 += count;
            }
            joined
        };
        Counted {
            table,
            map: OnceLock::new(),
        }
    }

    fn count(&self, key: &dyn Val) -> Option<i64> {
        text(key)
            .and_then(|key| self.table.get(&Text(key)))
            .map(|&(_, count)| count)
    }

    /// cel's map of the same counts.
    fn map(&self) -> &CelMap<'static> {
        self.map.get_or_init(|| {
            counts_map(
                self.table
                    .iter()
                    .map(|((_, text), &(_, count))| (Cow::Borrowed(&**text), count)),
            )
        })
    }
}

impl Clone for Counted {
    fn clone(&self) -> Self {
        Counted {
            table: self.table.clone(),
            map: OnceLock::new(),
        }
    }
}

impl Val for Counted {
    fn get_type(&self) -> &types::Type {
        &types::MAP_TYPE
    }

    fn cel_type() -> &'static types::Type
    where
        Self: Sized,
    {
        &types::MAP_TYPE
    }

    fn as_container(&self) -> Option<&dyn Container> {
        Some(self)
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn into_indexer<'v>(self: Box<Self>) -> Option<Box<dyn Indexer + 'v>>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn Iterable + 'v)>
    where
        Self: 'v,
    {
        Some(self.map())
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        Some(self)
    }

    fn as_zeroer(&self) -> Option<&dyn Zeroer> {
        Some(self)
    }

    fn equals(&self, other: &dyn Val) -> bool {
        self.map().equals(other)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(self.clone())
    }

    fn as_builtin<'b, 'v>(&'b self) -> BuiltinRef<'b, 'v>
    where
        Self: 'v,
    {
        BuiltinRef::Map(self.map())
    }

    fn into_builtin<'v>(self: Box<Self>) -> Option<Builtin<'v>>
    where
        Self: 'v,
    {
        self.map();
        self.map.into_inner().map(Builtin::Map)
    }
}

/// Every key is a text, so a key of another type is never found: cel's
/// answer for it (`false`, or the error for a type no map is keyed by) is
/// an empty map's.
impl Container for Counted {
    fn contains(&self, key: &dyn Val) -> Result<bool, ExecutionError> {
        if text(key).is_some() {
            Ok(self.count(key).is_some())
        } else {
            CelMap::default().contains(key)
        }
    }
}

impl Indexer for Counted {
    fn get<'b, 'v>(&'b self, key: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        match self.count(key) {
            Some(count) => Ok(CowVal::owned(CelInt::from(count))),
            // The error cel's map gives for a key it does not have.
            None => CelMap::default()
                .get(key)
                .map(|found| CowVal::Owned(found.into_owned())),
        }
    }

    fn steal<'v>(self: Box<Self>, key: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(key).map(CowVal::into_owned)
    }
}

impl Sizer for Counted {
    fn size(&self) -> CelInt {
        CelInt::from(i64::try_from(self.table.len()).unwrap_or(i64::MAX))
    }
}

impl Zeroer for Counted {
    fn is_zero_value(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cel::{Context, Value};

    use super::*;

    /// The table a pass would build from these (kind, text, count).
    fn table(keys: &[(u8, &'static str, i64)]) -> Table {
        keys.iter()
            .enumerate()
            .map(|(first, &(kind, text, count))| {
                (
                    (kind, Cow::Borrowed(text)),
                    (i64::try_from(first).unwrap_or(0), count),
                )
            })
            .collect()
    }

    /// Every expression gives the same value, or the same error, with `m`
    /// the fact as with `m` cel's map of the same counts (what `counts`
    /// returns), and `m2` an equal map of either kind.
    #[test]
    fn reads_as_cels_map_of_the_same_counts() {
        let env = Arc::new(crate::load::environment().expect("environment"));
        let tables: [&[(u8, &'static str, i64)]; 3] = [
            &[(0, "User", 3), (0, "DigitalUser", 1), (0, "7", 2)],
            // `7` and `"7"` are one key of `counts`.
            &[(0, "7", 1), (2, "7", 2), (1, "true", 1)],
            &[],
        ];
        let expressions = [
            "'User' in m",
            "'Nobody' in m",
            "7 in m",
            "7.5 in m",
            "true in m",
            "[1] in m",
            "m['User']",
            "m['7']",
            "m['Nobody']",
            "m[7]",
            "m[[1]]",
            "size(m)",
            "m == m2",
            "m2 == m",
            "m == {'User': 3}",
            "{'7': 3} == m",
            "m.exists(k, k == 'User')",
            "m.map(k, k).size()",
            "string(m)",
            "type(m) == map",
        ];
        for keys in tables {
            let counted = Counted::new(table(keys));
            let cel_map = counted.map().clone();
            for source in expressions {
                let compiled = crate::expr::compile(&env, source).expect("compiles");
                let run = |m: Box<dyn Val>, m2: Box<dyn Val>| {
                    let mut ctx = Context::with_env(Arc::clone(&env));
                    ctx.add_variable_as_val("m", m);
                    ctx.add_variable_as_val("m2", m2);
                    match Value::resolve_val(&compiled.ast, &ctx) {
                        Ok(value) => format!(
                            "{} {}",
                            value.get_type().name(),
                            crate::template::to_json(value.as_ref())
                        ),
                        Err(error) => format!("{error:?}"),
                    }
                };
                let ours = run(
                    Box::new(Counted::new(table(keys))),
                    Box::new(cel_map.clone()),
                );
                let theirs = run(
                    Box::new(cel_map.clone()),
                    Box::new(Counted::new(table(keys))),
                );
                assert_eq!(ours, theirs, "{source} over {keys:?}");
            }
        }
    }
}
