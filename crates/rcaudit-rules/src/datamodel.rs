//! The snapshot's data model, from `schemas/snapshot.schema.json`: which
//! fields a record has, so a rule that reads `item.usageTyp` is rejected at
//! load time ("did you mean `usageType`?") instead of silently never firing.

use std::sync::LazyLock;

use serde_json::Value;

use crate::rule::Target;

static SCHEMA: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(rcaudit_model::schema::SNAPSHOT_SCHEMA).unwrap_or(Value::Null)
});

/// What the model says about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Every field is defined.
    Known,
    /// The model does not describe that far (free-form objects, values of
    /// unknown shape): nothing to check.
    Open,
    /// Field `index` of the path is not defined; the fields that are.
    Unknown { index: usize, known: Vec<String> },
}

/// A schema node with `$ref`s followed.
fn deref(node: &Value) -> &Value {
    let mut node = node;
    for _ in 0..16 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else {
            return node;
        };
        let Some(name) = reference.strip_prefix("#/$defs/") else {
            return node;
        };
        match SCHEMA.get("$defs").and_then(|d| d.get(name)) {
            Some(next) => node = next,
            None => return node,
        }
    }
    node
}

/// Follows `path` (field names, `[]` for the elements of a list) from `node`.
fn resolve_from(node: &Value, path: &[String]) -> Resolution {
    let mut node = deref(node);
    for (index, segment) in path.iter().enumerate() {
        if segment == "[]" {
            match node.get("items") {
                Some(items) => node = deref(items),
                None => return Resolution::Open,
            }
            continue;
        }
        let Some(properties) = node.get("properties").and_then(Value::as_object) else {
            return Resolution::Open;
        };
        match properties.get(segment) {
            Some(next) => node = deref(next),
            None => {
                return Resolution::Unknown {
                    index,
                    known: properties.keys().cloned().collect(),
                };
            }
        }
    }
    Resolution::Known
}

/// The schema of an item of `target`.
fn target_schema(target: Target) -> Option<&'static Value> {
    let root = &*SCHEMA;
    let list = |name: &str| root.get("properties")?.get(name)?.get("items");
    match target {
        Target::Snapshot => Some(root),
        Target::Account => root.get("properties")?.get("account"),
        Target::Extensions => list("extensions"),
        Target::PhoneNumbers => list("phoneNumbers"),
        Target::Errors => list("errors"),
        Target::ExtensionPhoneNumbers | Target::ForwardingNumbers => {
            let field = if target == Target::ForwardingNumbers {
                "forwardingNumbers"
            } else {
                "phoneNumbers"
            };
            deref(list("extensions")?)
                .get("properties")?
                .get(field)?
                .get("items")
        }
    }
}

/// Resolves a path read by a rule (`["item", "usageType"]`,
/// `["phoneNumbers", "[]", "usageType"]`) for a rule over `targets`. The
/// first segment is a variable; `item` is checked against each target and is
/// known when any target knows it.
pub fn resolve(path: &[String], targets: &[Target]) -> Resolution {
    let Some((root, rest)) = path.split_first() else {
        return Resolution::Open;
    };
    let schema = &*SCHEMA;
    let top = |name: &str| schema.get("properties").and_then(|p| p.get(name));
    // Field indexes in `rest` are shifted by one in the full path.
    let shift = |r: Resolution| match r {
        Resolution::Unknown { index, known } => Resolution::Unknown {
            index: index + 1,
            known,
        },
        other => other,
    };
    match root.as_str() {
        "item" => {
            let mut unknown: Option<Resolution> = None;
            for &target in targets {
                let Some(node) = target_schema(target) else {
                    return Resolution::Open;
                };
                match resolve_from(node, rest) {
                    Resolution::Unknown { index, known } => {
                        let merged = match unknown.take() {
                            Some(Resolution::Unknown {
                                known: mut seen, ..
                            }) => {
                                seen.extend(known);
                                seen.sort();
                                seen.dedup();
                                seen
                            }
                            _ => known,
                        };
                        unknown = Some(Resolution::Unknown {
                            index,
                            known: merged,
                        });
                    }
                    other => return other,
                }
            }
            unknown.map_or(Resolution::Open, shift)
        }
        "extension" => target_schema(Target::Extensions)
            .map_or(Resolution::Open, |n| shift(resolve_from(n, rest))),
        "snapshot" => shift(resolve_from(schema, rest)),
        "account" | "source" | "serviceInfo" | "extensions" | "phoneNumbers" | "errors" => {
            top(root).map_or(Resolution::Open, |n| shift(resolve_from(n, rest)))
        }
        _ => Resolution::Open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(text: &str) -> Vec<String> {
        text.split('.').map(str::to_owned).collect()
    }

    #[test]
    fn known_and_unknown_fields() {
        assert_eq!(
            resolve(&path("item.usageType"), &[Target::PhoneNumbers]),
            Resolution::Known
        );
        assert!(matches!(
            resolve(&path("item.usageTyp"), &[Target::PhoneNumbers]),
            Resolution::Unknown { index: 1, ref known } if known.contains(&"usageType".to_owned())
        ));
        assert_eq!(
            resolve(&path("account.serviceInfo.servicePlan.name"), &[]),
            Resolution::Known
        );
        assert!(matches!(
            resolve(&path("account.serviceInfo.servicePlan.nmae"), &[]),
            Resolution::Unknown { index: 3, .. }
        ));
        assert_eq!(
            resolve(&path("phoneNumbers.[].paymentType"), &[]),
            Resolution::Known
        );
        assert_eq!(
            resolve(&path("extension.forwardingNumbers.[].flipNumber"), &[]),
            Resolution::Known
        );
        assert_eq!(resolve(&path("params.anything"), &[]), Resolution::Open);
    }

    #[test]
    fn item_is_known_when_any_target_knows_it() {
        let targets = [Target::Snapshot, Target::Extensions, Target::PhoneNumbers];
        assert_eq!(resolve(&path("item.uri"), &targets), Resolution::Known);
        assert_eq!(
            resolve(&path("item.usageType"), &targets),
            Resolution::Known
        );
        assert!(matches!(
            resolve(&path("item.nothing"), &targets),
            Resolution::Unknown { .. }
        ));
    }
}
