//! Validating the snapshot tree against `schemas/snapshot.schema.json`.
//!
//! `jsonschema` validates any representation that implements its `Json`
//! traits, so the same [`Node`] tree the rules read is validated in place:
//! no `serde_json::Value` copy of a 160 MB snapshot is ever built.

use std::borrow::Cow;
use std::sync::LazyLock;

use jsonschema::Validator;
use jsonschema::json::{Array, Json, JsonNumber, Node as JsonNode, NodeIdentity, Object};
use jsonschema::types::JsonType;

use crate::value::{Key, Node, to_json};

/// The snapshot schema, as shipped in `schemas/`.
pub const SNAPSHOT_SCHEMA: &str = include_str!("../../../schemas/snapshot.schema.json");

/// The representation marker for `jsonschema`.
#[derive(Debug)]
pub struct Tree;

impl Json for Tree {
    type Node<'a> = &'a Node;
    type PreparedKey = Box<str>;
    type StringBuffer = ();

    const ACYCLIC: bool = true;

    fn prepare_key(key: &str) -> Box<str> {
        Box::from(key)
    }

    fn with_string_node<T>((): &mut (), string: &str, f: impl FnOnce(&Node) -> T) -> T {
        f(&Node::string(string))
    }
}

/// A number node, read without building a `serde_json::Number`.
#[derive(Clone, Copy, Debug)]
pub enum Number {
    /// An integer that fits `i64`.
    Int(i64),
    /// An integer above `i64::MAX`.
    UInt(u64),
    /// Any other number.
    Float(f64),
}

impl JsonNumber for Number {
    fn as_u64(&self) -> Option<u64> {
        match *self {
            Number::Int(i) => u64::try_from(i).ok(),
            Number::UInt(u) => Some(u),
            Number::Float(_) => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match *self {
            Number::Int(i) => Some(i),
            Number::UInt(u) => i64::try_from(u).ok(),
            Number::Float(_) => None,
        }
    }

    fn as_f64(&self) -> Option<f64> {
        #[expect(
            clippy::cast_precision_loss,
            reason = "JSON Schema compares as f64 here"
        )]
        Some(match *self {
            Number::Int(i) => i as f64,
            Number::UInt(u) => u as f64,
            Number::Float(f) => f,
        })
    }

    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(match *self {
            Number::Int(i) => i.to_string(),
            Number::UInt(u) => u.to_string(),
            Number::Float(f) => f.to_string(),
        })
    }

    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        Cow::Owned(match *self {
            Number::Int(i) => serde_json::Number::from(i),
            Number::UInt(u) => serde_json::Number::from(u),
            Number::Float(f) => {
                serde_json::Number::from_f64(f).unwrap_or_else(|| serde_json::Number::from(0))
            }
        })
    }

    fn is_integer(&self) -> bool {
        match *self {
            Number::Int(_) | Number::UInt(_) => true,
            Number::Float(f) => f.fract() == 0.0 && f.is_finite(),
        }
    }

    fn is_written_as_integer(&self) -> bool {
        !matches!(self, Number::Float(_))
    }
}

impl<'a> JsonNode<'a, Tree> for &'a Node {
    type Object = &'a crate::value::Object;
    type Array = &'a [Node];
    type Number = Number;

    fn as_object(&self) -> Option<Self::Object> {
        Node::as_object(self)
    }

    fn as_array(&self) -> Option<Self::Array> {
        Node::as_array(self)
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        Node::as_str(self).map(Cow::Borrowed)
    }

    fn as_number(&self) -> Option<Number> {
        match self {
            Node::Int(i) => Some(Number::Int(*i.inner())),
            Node::UInt(u) => Some(Number::UInt(*u.inner())),
            Node::Double(d) => Some(Number::Float(*d.inner())),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        Node::as_bool(self)
    }

    fn is_null(&self) -> bool {
        Node::is_null(self)
    }

    fn json_type(&self) -> JsonType {
        match self {
            Node::Null => JsonType::Null,
            Node::Bool(_) => JsonType::Boolean,
            Node::Int(_) | Node::UInt(_) | Node::Double(_) => JsonType::Number,
            Node::String(_) => JsonType::String,
            Node::Array(_) => JsonType::Array,
            Node::Object(_) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(to_json(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(self) as usize))
    }
}

impl<'a> Object<'a, Tree> for &'a crate::value::Object {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        crate::value::Object::len(self)
    }

    fn get(&self, key: &Box<str>) -> Option<&'a Node> {
        crate::value::Object::get(self, key)
    }

    fn members(&self) -> Members<'a> {
        Members(self.names().iter().zip(self.values()))
    }
}

/// Members of an object, for `jsonschema`.
#[derive(Debug)]
pub struct Members<'a>(std::iter::Zip<std::slice::Iter<'a, Key>, std::slice::Iter<'a, Node>>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(key, value)| (key.inner(), value))
    }
}

impl<'a> Array<'a, Tree> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }

    fn elements(&self) -> Self::ElementsIter {
        self.iter()
    }
}

/// One schema violation, located by JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the snapshot, e.g. `/extensions/3/id`.
    pub pointer: String,
    /// What is wrong, in words.
    pub message: String,
    /// The schema keyword's location, e.g. `/$defs/Extension/properties/id/type`.
    pub schema_path: String,
}

static SNAPSHOT_VALIDATOR: LazyLock<Result<Validator<Tree>, String>> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(SNAPSHOT_SCHEMA).map_err(|e| e.to_string())?;
    jsonschema::options_for::<Tree>()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|e| e.to_string())
});

/// Validates a tree against the snapshot schema and returns every violation.
///
/// # Errors
/// Only when the bundled schema itself does not compile: a bug, reported as
/// such rather than panicking.
pub fn validate_snapshot(root: &Node) -> Result<Vec<Violation>, String> {
    let validator = SNAPSHOT_VALIDATOR.as_ref().map_err(Clone::clone)?;
    Ok(validate_with(validator, root))
}

/// Validates a tree against any compiled schema.
pub fn validate_with(validator: &Validator<Tree>, root: &Node) -> Vec<Violation> {
    // Most snapshots are valid: the check that stops at the first error
    // and tracks no paths answers that alone. Only an invalid one is walked
    // again for every violation.
    if validator.is_valid(root) {
        return Vec::new();
    }
    every_violation(validator, root)
}

/// Every violation, from a walk of the whole tree.
fn every_violation(validator: &Validator<Tree>, root: &Node) -> Vec<Violation> {
    validator
        .iter_errors(root)
        .map(|error| Violation {
            pointer: error.instance_path().to_string(),
            message: error.masked().to_string(),
            schema_path: error.schema_path().to_string(),
        })
        .collect()
}

/// Compiles a schema for trees (rule files and config use it too).
pub fn compile(schema: &serde_json::Value) -> Result<Validator<Tree>, String> {
    jsonschema::options_for::<Tree>()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(schema)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each leaf of `value`, by pointer.
    fn leaves(value: &serde_json::Value, at: &str, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(o) => {
                for (name, v) in o {
                    leaves(v, &format!("{at}/{}", crate::pointer::escape(name)), out);
                }
            }
            serde_json::Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    leaves(v, &format!("{at}/{i}"), out);
                }
            }
            _ => out.push(at.to_owned()),
        }
    }

    /// The quick validity check says "valid" exactly when there is no
    /// violation: the demo snapshot, and copies of it with one leaf
    /// replaced by a value of each other kind (most of them invalid), give
    /// the violations the full walk gives.
    #[test]
    fn a_snapshot_is_valid_exactly_when_it_has_no_violation() {
        let validator = SNAPSHOT_VALIDATOR.as_ref().expect("the schema compiles");
        let demo: serde_json::Value =
            serde_json::from_str(include_str!("../../../examples/demo.snapshot.json"))
                .expect("the demo is JSON");
        let mut pointers = Vec::new();
        leaves(&demo, "", &mut pointers);
        let (mut valid, mut invalid) = (0, 0);
        for pointer in pointers.iter().step_by(3) {
            for replacement in [
                serde_json::json!(null),
                serde_json::json!(-1),
                serde_json::json!("x"),
                serde_json::json!([]),
            ] {
                let mut doc = demo.clone();
                if let Some(leaf) = doc.pointer_mut(pointer) {
                    *leaf = replacement;
                }
                let tree = crate::value::from_json(&doc);
                let got = validate_with(validator, &tree);
                assert_eq!(got, every_violation(validator, &tree), "{pointer}");
                if got.is_empty() {
                    valid += 1;
                } else {
                    invalid += 1;
                }
            }
        }
        assert!(
            valid > 50 && invalid > 50,
            "{valid} valid, {invalid} invalid"
        );
    }
}
