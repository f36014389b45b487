//! Requirements: whether a rule's data is there (administrator, plan
//! class, snapshot paths, its targets' lists and what `coveredBy` stands in
//! for), and why not, from the snapshot's `errors`.

use std::fmt::Write as _;

use rcaudit_model::{Node, pointer};

use super::bindings::Data;
use crate::functions::{self, PlanClass};
use crate::rule::{Requirement, Rule, RuleSet, Target};

/// What a rule's `coveredBy` waives on one snapshot.
#[derive(Debug, Default)]
pub(super) struct Coverage {
    /// Per-extension targets whose absent lists are no gap: their covering
    /// list is present and was read in full.
    pub(super) covered: Vec<Target>,
    /// Covering lists that are present but have an `errors` entry: they
    /// cover nothing, and are a gap themselves (reason, list).
    pub(super) incomplete: Vec<(String, Target)>,
}

impl Coverage {
    pub(super) fn of(rule: &Rule, data: &Data) -> Coverage {
        let mut coverage = Coverage::default();
        for &(target, by) in &rule.covered_by {
            // The loader admits only what `Target::covering_list` names.
            let list = match by {
                Target::PhoneNumbers => data.phone_numbers.as_ref(),
                _ => None,
            };
            if list.and_then(Node::as_array).is_none() {
                // Absent: the per-extension lists are counted as usual.
                continue;
            }
            match data.list_failure(by.as_str()) {
                None => coverage.covered.push(target),
                Some(error) => {
                    let reason = format!("`{by}` is incomplete: {}", describe_error(error));
                    if !coverage.incomplete.iter().any(|(r, _)| *r == reason) {
                        coverage.incomplete.push((reason, by));
                    }
                }
            }
        }
        coverage
    }

    pub(super) fn covers(&self, target: Target) -> bool {
        self.covered.contains(&target)
    }
}

/// Why a requirement is not met, or `None` when it is.
pub(super) fn unmet(requirement: &Requirement, data: &Data, rules: &RuleSet) -> Option<String> {
    match requirement {
        Requirement::Admin => match data.viewer_admin() {
            Some(true) => None,
            Some(false) => Some(
                "the snapshot was taken by a non-administrator (source.viewer.admin is false), \
                 who sees only other extensions' direct numbers and no features"
                    .to_owned(),
            ),
            None => Some(
                "the snapshot does not say whether it was taken by an administrator \
                 (source.viewer.admin is absent), and a non-administrator sees less"
                    .to_owned(),
            ),
        },
        Requirement::PlanClass => {
            let account = data.account.as_ref()?;
            let class = functions::plan_class_val(
                account,
                rules.params.get("plans").unwrap_or(&Node::Null),
            );
            (class == PlanClass::Unknown).then(|| match functions::plan_name(account) {
                Some(_) => "the account's plan class is unknown: account.serviceInfo.servicePlan.name is empty".to_owned(),
                None => "the account's plan class is unknown: account.serviceInfo.servicePlan.name is absent".to_owned(),
            })
        }
        Requirement::Present(path) => {
            let mut node = &data.root;
            let mut walked = String::new();
            for field in path {
                pointer::push(&mut walked, field);
                if let Some(next) = node.get(field).filter(|n| !n.is_null()) {
                    node = next;
                } else {
                    let mut reason = format!("`{}` is absent from the snapshot", path.join("."));
                    if let Some(error) = data.errors_entry(&walked) {
                        let _ = write!(reason, ": {}", describe_error(error));
                    } else if path.len() == 1
                        && matches!(
                            field.as_str(),
                            "phoneNumbers" | "extensions" | "serviceInfo"
                        )
                    {
                        reason.push_str(&why_absent(data, field));
                    }
                    return Some(reason);
                }
            }
            None
        }
        // Checked per item.
        Requirement::ItemPresent(_) | Requirement::ExtensionPresent(_) => None,
    }
}

/// A snapshot `errors` entry in words.
pub(super) fn describe_error(error: &Node) -> String {
    let field = |name: &str| {
        error
            .get(name)
            .map(|n| n.id_string().unwrap_or_else(|| format!("{n:?}")))
    };
    let mut out = String::new();
    if let Some(request) = field("request") {
        out.push_str(&request);
        out.push_str(" failed");
    } else {
        out.push_str("fetching it failed");
    }
    if let Some(status) = field("status") {
        let _ = write!(out, " with {status}");
    }
    if let Some(code) = field("errorCode") {
        let _ = write!(out, " {code}");
    }
    if let Some(message) = error.get("message").and_then(Node::as_str) {
        let _ = write!(out, " ({message})");
    }
    out
}

pub(super) fn present<'a>(node: &'a Node, path: &[String]) -> bool {
    let mut node: &'a Node = node;
    for field in path {
        match node.get(field).filter(|n| !n.is_null()) {
            Some(next) => node = next,
            None => return false,
        }
    }
    true
}

/// `Ok` when a target's list is there to iterate.
/// `Ok` when a target has items to iterate (or, for a per-extension target
/// whose rule counts extensions without the list, when there are extensions;
/// or when `covered`: a complete top-level list holds all its items, so
/// absent per-extension lists hide nothing).
pub(super) fn target_data(
    target: Target,
    data: &Data,
    rule: &Rule,
    covered: bool,
) -> Result<(), String> {
    match target {
        Target::ExtensionPhoneNumbers | Target::ForwardingNumbers if covered => Ok(()),
        Target::Snapshot | Target::Errors => Ok(()),
        Target::Account => data
            .account
            .as_ref()
            .map(|_| ())
            .ok_or_else(|| "`account` is absent from the snapshot".to_owned()),
        Target::Extensions => list(data, data.extensions.as_ref(), "extensions"),
        Target::PhoneNumbers => list(data, data.phone_numbers.as_ref(), "phoneNumbers"),
        Target::ExtensionPhoneNumbers | Target::ForwardingNumbers => {
            let field = if target == Target::ForwardingNumbers {
                "forwardingNumbers"
            } else {
                "phoneNumbers"
            };
            list(data, data.extensions.as_ref(), "extensions")?;
            // No extensions: no lists to see, nothing unknown ([] means none).
            if data
                .extensions
                .as_ref()
                .and_then(Node::as_array)
                .is_some_and(<[Node]>::is_empty)
            {
                return Ok(());
            }
            let counted = rule.requires.iter().any(
                |r| matches!(r, Requirement::ExtensionPresent(path) if path.first().map(String::as_str) == Some(field)),
            );
            let any = data
                .extensions
                .as_ref()
                .and_then(Node::as_array)
                .is_some_and(|exts| {
                    exts.iter()
                        .any(|e| e.get(field).is_some_and(|l| l.as_array().is_some()))
                });
            if any || counted {
                Ok(())
            } else {
                Err(nested_absent(data, field))
            }
        }
    }
}

/// Why a list no `errors` entry explains is absent, from what
/// `source.lists` says of it (`list`: its key there): not requested, or
/// else not fetched.
pub(super) fn why_absent(data: &Data, list: &str) -> String {
    let obtained = data
        .root
        .get("source")
        .and_then(|s| s.get("lists"))
        .and_then(|l| l.get(list))
        .and_then(|l| l.get("obtained"))
        .and_then(Node::as_str);
    match obtained {
        Some("notRequested") => {
            " (not requested: the fetch was made for rules that do not read it, `source.lists`)"
                .to_owned()
        }
        Some("accountList") => " (not requested: the account's `phoneNumbers` hold each \
                                 extension's numbers, `source.lists`)"
            .to_owned(),
        _ => " (not fetched)".to_owned(),
    }
}

/// A top-level list is absent: say so, and why, from `errors`.
pub(super) fn list(data: &Data, node: Option<&Node>, name: &str) -> Result<(), String> {
    match node {
        Some(n) if n.as_array().is_some() => Ok(()),
        _ => {
            let pointer = format!("/{name}");
            Err(match data.errors_entry(&pointer) {
                Some(error) => format!(
                    "`{name}` is absent from the snapshot: {}",
                    describe_error(error)
                ),
                None => format!(
                    "`{name}` is absent from the snapshot{}",
                    why_absent(data, name)
                ),
            })
        }
    }
}

/// No extension has a per-extension list: say why, from `errors`.
pub(super) fn nested_absent(data: &Data, field: &str) -> String {
    let failures: Vec<&Node> = data
        .root
        .get("errors")
        .and_then(Node::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter(|e| {
                    e.get("pointer")
                        .and_then(Node::as_str)
                        .and_then(|p| p.strip_prefix("/extensions/"))
                        .and_then(|rest| rest.split_once('/'))
                        .is_some_and(|(_, tail)| tail == field)
                })
                .collect()
        })
        .unwrap_or_default();
    match failures.first() {
        Some(first) => format!(
            "no extension's `{field}` is in the snapshot: {} could not be fetched, e.g. {}",
            failures.len(),
            describe_error(first)
        ),
        None => {
            let list = if field == "phoneNumbers" {
                "extensionPhoneNumbers"
            } else {
                field
            };
            format!(
                "no extension's `{field}` is in the snapshot{}",
                why_absent(data, list)
            )
        }
    }
}
