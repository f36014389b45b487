//! The snapshot tree as CEL values, without conversion.
//!
//! `cel` evaluates over `dyn Val`. Converting a 100,000-extension snapshot
//! into `cel::Value` (or its boxed built-in containers) copies every record,
//! and the interpreter clones a list element each time a comprehension binds
//! it. [`Node`] implements `Val` itself instead: a scalar hands out its inner
//! `cel` scalar (so the standard library sees its own `string`, `int`, ...),
//! and arrays and objects are lists and maps whose clone is a reference count.

use std::any::Any;
use std::sync::Arc;

use cel::ExecutionError;
use cel::common::traits::{
    self, Adder, Comparer, Container, Indexer, Iterable, Sizer, Subtractor, Zeroer,
};
use cel::common::types::{
    self, CelBool, CelDouble, CelInt, CelNull, CelString, CelUInt, Kind as CelKind, Type,
};
use cel::common::value::{Builtin, BuiltinRef, CowVal, StaticVal, Val};

use crate::value::{Key, Node, Object};

impl Node {
    /// The scalar `cel` value inside a leaf; `None` for arrays and objects.
    fn scalar(&self) -> Option<&dyn Val> {
        match self {
            Node::Null => Some(&CelNull),
            Node::Bool(b) => Some(b),
            Node::Int(i) => Some(i),
            Node::UInt(u) => Some(u),
            Node::Double(d) => Some(d),
            Node::String(s) => Some(s),
            Node::Array(_) | Node::Object(_) => None,
        }
    }
}

impl Val for Node {
    fn get_type(&self) -> &Type {
        match self {
            Node::Array(_) => &types::LIST_TYPE,
            Node::Object(_) => &types::MAP_TYPE,
            Node::Null => &types::NULL_TYPE,
            Node::Bool(_) => &types::BOOL_TYPE,
            Node::Int(_) => &types::INT_TYPE,
            Node::UInt(_) => &types::UINT_TYPE,
            Node::Double(_) => &types::DOUBLE_TYPE,
            Node::String(_) => &types::STRING_TYPE,
        }
    }

    fn cel_type() -> &'static Type
    where
        Self: Sized,
    {
        // A node's type depends on the node; overloads take `dyn`.
        &types::DYN_TYPE
    }

    fn as_adder<'b, 'v>(&'b self) -> Option<&'b (dyn Adder + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Int(i) => i.as_adder(),
            Node::UInt(u) => u.as_adder(),
            Node::Double(d) => d.as_adder(),
            Node::String(s) => s.as_adder(),
            Node::Array(_) => Some(self),
            _ => None,
        }
    }

    fn as_subtractor<'b, 'v>(&'b self) -> Option<&'b (dyn Subtractor + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Int(i) => i.as_subtractor(),
            Node::UInt(u) => u.as_subtractor(),
            Node::Double(d) => d.as_subtractor(),
            _ => None,
        }
    }

    fn as_multiplier<'b, 'v>(&'b self) -> Option<&'b (dyn traits::Multiplier + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Int(i) => i.as_multiplier(),
            Node::UInt(u) => u.as_multiplier(),
            Node::Double(d) => d.as_multiplier(),
            _ => None,
        }
    }

    fn as_divider<'b, 'v>(&'b self) -> Option<&'b (dyn traits::Divider + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Int(i) => i.as_divider(),
            Node::UInt(u) => u.as_divider(),
            Node::Double(d) => d.as_divider(),
            _ => None,
        }
    }

    fn as_modder<'b, 'v>(&'b self) -> Option<&'b (dyn traits::Modder + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Int(i) => i.as_modder(),
            Node::UInt(u) => u.as_modder(),
            _ => None,
        }
    }

    fn as_negator<'b, 'v>(&'b self) -> Option<&'b (dyn traits::Negator + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Int(i) => i.as_negator(),
            Node::Double(d) => d.as_negator(),
            _ => None,
        }
    }

    fn as_comparer(&self) -> Option<&dyn Comparer> {
        self.scalar().and_then(Val::as_comparer)
    }

    fn as_container(&self) -> Option<&dyn Container> {
        match self {
            Node::Array(_) | Node::Object(_) => Some(self),
            _ => None,
        }
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Array(_) | Node::Object(_) => Some(self),
            _ => None,
        }
    }

    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn Iterable + 'v)>
    where
        Self: 'v,
    {
        match self {
            Node::Array(_) | Node::Object(_) => Some(self),
            _ => None,
        }
    }

    fn as_sizer(&self) -> Option<&dyn Sizer> {
        match self {
            Node::Array(_) | Node::Object(_) => Some(self),
            other => other.scalar().and_then(Val::as_sizer),
        }
    }

    fn as_zeroer(&self) -> Option<&dyn Zeroer> {
        match self {
            Node::Array(_) | Node::Object(_) => Some(self),
            other => other.scalar().and_then(Val::as_zeroer),
        }
    }

    fn equals(&self, other: &dyn Val) -> bool {
        match self {
            Node::Array(items) => list_equals(items, other),
            Node::Object(object) => map_equals(object, other),
            scalar => scalar
                .scalar()
                .is_some_and(|s| s.equals(unwrap_scalar(other))),
        }
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(self.clone())
    }

    fn as_any(&self) -> Option<&dyn Any> {
        match self {
            Node::Array(_) | Node::Object(_) => Some(self),
            Node::Null => Some(&CelNull),
            Node::Bool(b) => b.as_any(),
            Node::Int(i) => i.as_any(),
            Node::UInt(u) => u.as_any(),
            Node::Double(d) => d.as_any(),
            Node::String(_) => None,
        }
    }

    fn as_builtin<'b, 'v>(&'b self) -> BuiltinRef<'b, 'v>
    where
        Self: 'v,
    {
        match self {
            Node::String(s) => BuiltinRef::String(s),
            _ => BuiltinRef::Other,
        }
    }

    fn into_builtin<'v>(self: Box<Self>) -> Option<Builtin<'v>>
    where
        Self: 'v,
    {
        match *self {
            Node::String(s) => Some(Builtin::String(s)),
            _ => None,
        }
    }
}

impl StaticVal for Node {}

/// The node behind `val` when it is one of ours, looking through nothing else.
pub fn as_node(val: &dyn Val) -> Option<&Node> {
    val.as_any().and_then(|any| any.downcast_ref::<Node>())
}

/// A scalar node compares as its inner `cel` scalar; everything else as is.
fn unwrap_scalar(val: &dyn Val) -> &dyn Val {
    match as_node(val) {
        Some(node) => node.scalar().unwrap_or(val),
        None => val,
    }
}

fn list_equals(items: &crate::value::Array, other: &dyn Val) -> bool {
    if let Some(Node::Array(theirs)) = as_node(other) {
        return triomphe::Arc::ptr_eq(items, theirs)
            || (items.len() == theirs.len()
                && items.iter().zip(theirs.iter()).all(|(a, b)| a.equals(b)));
    }
    if other.get_type().kind() != CelKind::List {
        return false;
    }
    let (Some(sizer), Some(iterable)) = (other.as_sizer(), other.as_iterable()) else {
        return false;
    };
    if usize::try_from(*sizer.size().inner()).ok() != Some(items.len()) {
        return false;
    }
    let mut theirs = iterable.iter();
    items
        .iter()
        .all(|a| theirs.next().is_some_and(|b| a.equals(b)))
}

fn map_equals(object: &Object, other: &dyn Val) -> bool {
    if let Some(Node::Object(theirs)) = as_node(other) {
        return object.ptr_eq(theirs)
            || (object.len() == theirs.len()
                && object
                    .iter()
                    .all(|(k, v)| theirs.get(k).is_some_and(|w| v.equals(w))));
    }
    if other.get_type().kind() != CelKind::Map {
        return false;
    }
    let (Some(sizer), Some(indexer)) = (other.as_sizer(), other.as_indexer()) else {
        return false;
    };
    if usize::try_from(*sizer.size().inner()).ok() != Some(object.len()) {
        return false;
    }
    object.iter().all(|(k, v)| {
        indexer
            .get(&CelString::from(k))
            .is_ok_and(|w| v.equals(w.as_ref()))
    })
}

/// A list index from an `int`, `uint` or whole `double`.
fn list_index(idx: &dyn Val) -> Result<i128, ExecutionError> {
    let idx = unwrap_scalar(idx);
    if let Some(i) = idx.downcast_ref::<CelInt>() {
        return Ok(i128::from(*i.inner()));
    }
    if let Some(u) = idx.downcast_ref::<CelUInt>() {
        return Ok(i128::from(*u.inner()));
    }
    if let Some(d) = idx.downcast_ref::<CelDouble>() {
        let d = *d.inner();
        if d.fract() == 0.0 && d.abs() < 1e18 {
            #[expect(
                clippy::cast_possible_truncation,
                reason = "checked to be whole and small"
            )]
            return Ok(d as i128);
        }
    }
    Err(ExecutionError::UnexpectedType {
        got: idx.get_type().name().to_owned(),
        want: "int".to_owned(),
    })
}

/// The text of a string map key, or the error CEL reports for any other key.
fn map_key(key: &dyn Val) -> Result<&str, ExecutionError> {
    let key = unwrap_scalar(key);
    if let Some(s) = key.downcast_ref::<CelString>() {
        return Ok(s.inner());
    }
    // JSON object keys are strings: an int or bool key is simply absent.
    if key.downcast_ref::<CelInt>().is_some()
        || key.downcast_ref::<CelUInt>().is_some()
        || key.downcast_ref::<CelBool>().is_some()
    {
        return Err(ExecutionError::NoSuchKey(Arc::new(format!("{key:?}"))));
    }
    Err(ExecutionError::UnexpectedType {
        got: key.get_type().name().to_owned(),
        want: "map key".to_owned(),
    })
}

impl Node {
    fn index(&self, idx: &dyn Val) -> Result<&Node, ExecutionError> {
        match self {
            Node::Array(items) => {
                let i = list_index(idx)?;
                usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get(i))
                    .ok_or_else(|| ExecutionError::IndexOutOfBounds(cel::Value::Int(clamp(i))))
            }
            Node::Object(object) => {
                let name = map_key(idx)?;
                object
                    .get(name)
                    .ok_or_else(|| ExecutionError::NoSuchKey(Arc::new(name.to_owned())))
            }
            _ => Err(ExecutionError::UnexpectedType {
                got: self.get_type().name().to_owned(),
                want: "list or map".to_owned(),
            }),
        }
    }
}

fn clamp(i: i128) -> i64 {
    i64::try_from(i).unwrap_or(if i < 0 { i64::MIN } else { i64::MAX })
}

impl Indexer for Node {
    fn get<'b, 'v>(&'b self, idx: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.index(idx)
            .map(|node| CowVal::Borrowed(node as &dyn Val))
    }

    fn steal<'v>(self: Box<Self>, idx: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.index(idx)
            .map(|node| Box::new(node.clone()) as Box<dyn Val + 'v>)
    }
}

impl Container for Node {
    fn contains(&self, value: &dyn Val) -> Result<bool, ExecutionError> {
        match self {
            Node::Array(items) => Ok(items.iter().any(|item| item.equals(value))),
            Node::Object(object) => match map_key(value) {
                Ok(name) => Ok(object.get(name).is_some()),
                Err(ExecutionError::NoSuchKey(_)) => Ok(false),
                Err(error) => Err(error),
            },
            _ => Ok(false),
        }
    }
}

impl Sizer for Node {
    fn size(&self) -> CelInt {
        let len = match self {
            Node::Array(items) => items.len(),
            Node::Object(object) => object.len(),
            _ => 0,
        };
        CelInt::from(i64::try_from(len).unwrap_or(i64::MAX))
    }
}

impl Zeroer for Node {
    fn is_zero_value(&self) -> bool {
        match self {
            Node::Array(items) => items.is_empty(),
            Node::Object(object) => object.is_empty(),
            _ => false,
        }
    }
}

impl Adder for Node {
    /// List concatenation: `a + b` for a snapshot list and any list.
    fn add<'b, 'v>(&'b self, rhs: &(dyn Val + 'v)) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        let Node::Array(items) = self else {
            return Err(ExecutionError::no_such_overload(
                "_+_",
                vec![
                    self.get_type().name().to_owned(),
                    rhs.get_type().name().to_owned(),
                ],
            ));
        };
        let Some(iterable) = rhs
            .as_iterable()
            .filter(|_| rhs.get_type().kind() == CelKind::List)
        else {
            return Err(ExecutionError::no_such_overload(
                "_+_",
                vec!["list".to_owned(), rhs.get_type().name().to_owned()],
            ));
        };
        let mut out: Vec<Box<dyn Val + 'v>> = items
            .iter()
            .map(|item| Box::new(item.clone()) as Box<dyn Val + 'v>)
            .collect();
        let mut theirs = iterable.iter();
        while let Some(item) = theirs.next() {
            out.push(item.clone_as_boxed());
        }
        Ok(CowVal::owned(types::CelList::from(out)))
    }
}

impl Iterable for Node {
    fn iter<'b, 'v>(&'b self) -> Box<dyn traits::Iterator<'b, 'v> + 'b>
    where
        Self: 'v,
    {
        match self {
            Node::Array(items) => Box::new(NodeIter { items, at: 0 }),
            Node::Object(object) => Box::new(KeyIter(object.names().iter())),
            _ => Box::new(NodeIter { items: &[], at: 0 }),
        }
    }
}

/// The elements of an array; a long one is warmed a block at a time
/// ([`crate::value::warm`]) before its elements are handed out, so a
/// function or comprehension walking 100,000 records does not wait on
/// each record's first cache miss in turn.
struct NodeIter<'b> {
    items: &'b [Node],
    at: usize,
}

impl NodeIter<'_> {
    /// Elements warmed at a time.
    const BLOCK: usize = 64;
    /// Shorter arrays are not warmed (their elements are few, and often
    /// in the cache already).
    const LONG: usize = 16;
}

impl<'b, 'v> traits::Iterator<'b, 'v> for NodeIter<'b> {
    fn next(&mut self) -> Option<&'b (dyn Val + 'v)> {
        if self.at.is_multiple_of(Self::BLOCK)
            && self.items.len() >= Self::LONG
            && let Some(block) = self
                .items
                .get(self.at..self.items.len().min(self.at + Self::BLOCK))
        {
            crate::value::warm(block);
        }
        let node = self.items.get(self.at)?;
        self.at += 1;
        Some(node as &dyn Val)
    }
}

/// Iterating a map yields its keys, as CEL's comprehensions over maps do.
struct KeyIter<'b>(std::slice::Iter<'b, Key>);

impl<'b, 'v> traits::Iterator<'b, 'v> for KeyIter<'b> {
    fn next(&mut self) -> Option<&'b (dyn Val + 'v)> {
        self.0.next().map(|key| &**key as &dyn Val)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use cel::{Context, Env, Value};

    use super::*;
    use crate::value::parse;

    fn eval(expr: &str, json: &str) -> Result<Value, ExecutionError> {
        let env = Arc::new(Env::stdlib());
        let program = env.compile(expr).expect("compiles");
        let mut ctx = Context::with_env(env);
        ctx.add_variable_as_val("doc", Box::new(parse(json).expect("parses")));
        program.execute(&ctx)
    }

    #[test]
    fn scalars_behave_as_cel_scalars() {
        let doc =
            r#"{"s": "Main", "i": 3, "f": 1.5, "b": true, "n": null, "big": 18446744073709551615}"#;
        for (expr, want) in [
            ("doc.s == 'Main'", true),
            ("'Main' == doc.s", true),
            ("doc.s.startsWith('Ma')", true),
            ("size(doc.s) == 4", true),
            ("doc.i == 3", true),
            ("3 == doc.i", true),
            ("doc.i + 1 == 4", true),
            ("doc.i < doc.f + 2.0", true),
            ("doc.f == 1.5", true),
            ("doc.b", true),
            ("!doc.b", false),
            ("doc.n == null", true),
            ("doc.big == 18446744073709551615u", true),
            ("doc.s + 'x' == 'Mainx'", true),
            ("doc.s in ['Main', 'Other']", true),
        ] {
            assert_eq!(eval(expr, doc), Ok(Value::Bool(want)), "{expr}");
        }
    }

    #[test]
    fn objects_and_arrays_behave_as_maps_and_lists() {
        let doc = r#"{"list": [{"u": "A"}, {"u": "B"}, {"u": "A"}], "o": {"k": [1, 2]}}"#;
        for (expr, want) in [
            ("size(doc.list) == 3", true),
            ("doc.list.size() == 3", true),
            ("doc.list.exists(x, x.u == 'B')", true),
            ("doc.list.all(x, x.u == 'A')", false),
            ("doc.list.filter(x, x.u == 'A').size() == 2", true),
            ("doc.list.map(x, x.u) == ['A', 'B', 'A']", true),
            ("['A', 'B', 'A'] == doc.list.map(x, x.u)", true),
            ("doc.list[1].u == 'B'", true),
            ("has(doc.o.k)", true),
            ("has(doc.o.missing)", false),
            ("'k' in doc.o", true),
            ("'z' in doc.o", false),
            ("2 in doc.o.k", true),
            ("doc.o.k == [1, 2]", true),
            // `[1, 2] == doc.o.k` is false here: cel asks only the left operand,
            // and its lists do not know ours. The rule compiler rewrites such
            // comparisons (rcaudit-rules, expr.rs), where it is tested.
            ("doc.o == {'k': [1, 2]}", true),
            ("doc.o.all(key, key == 'k')", true),
            ("doc.o.k + [3] == [1, 2, 3]", true),
            ("size(doc.o) == 1", true),
        ] {
            assert_eq!(eval(expr, doc), Ok(Value::Bool(want)), "{expr}");
        }
    }

    #[test]
    fn errors_are_errors_not_panics() {
        let doc = r#"{"list": [1], "o": {}}"#;
        assert!(matches!(
            eval("doc.o.missing", doc),
            Err(ExecutionError::NoSuchKey(_))
        ));
        assert!(eval("doc.list[5]", doc).is_err());
        assert!(eval("doc.list[-1]", doc).is_err());
        assert!(eval("doc.list['a']", doc).is_err());
        assert!(eval("doc.list.u", doc).is_err());
    }
}
