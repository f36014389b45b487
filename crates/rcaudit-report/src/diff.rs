//! Drift between two snapshots of one account: what changed in the
//! configuration (extensions, phone numbers, forwarding lists), and which
//! findings appeared or disappeared. Records are matched by their stable
//! keys, not by position: extensions by id, phone numbers by normalised
//! number, forwarding numbers by normalised number within their extension.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rcaudit_model::Node;
use serde::Serialize;

use crate::Report;

/// An extension, as drift names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionRef {
    /// `id` (empty when the record has none).
    pub id: String,
    /// `extensionNumber`, the short number dialled inside the account.
    pub extension_number: Option<String>,
    /// `name`, the display name.
    pub name: Option<String>,
    /// `type` (`User`, `Department`, ...).
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A field that changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Change {
    /// The snapshot field (`type`, `status`; for numbers `usageType`,
    /// `paymentType`, `type`, `extension`).
    pub field: String,
    /// The value before; `None` when absent.
    pub old: Option<String>,
    /// The value after; `None` when absent.
    pub new: Option<String>,
}

/// An extension present in both snapshots whose type or status changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExtensionChange {
    /// The extension, as the new snapshot has it.
    pub extension: ExtensionRef,
    /// What changed, in field order.
    pub changes: Vec<Change>,
}

/// A phone number, as drift names it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NumberRef {
    /// `phoneNumber`, as written (matching ignores a leading `+`).
    pub phone_number: String,
    /// `usageType` (`MainCompanyNumber`, `DirectNumber`, ...).
    pub usage_type: Option<String>,
    /// The id of the extension it is mapped to.
    pub extension: Option<String>,
}

/// A number present in both snapshots that changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct NumberChange {
    /// The number, as the new snapshot has it.
    pub number: NumberRef,
    /// What changed, in field order.
    pub changes: Vec<Change>,
}

/// An extension's forwarding list that changed.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ForwardingChange {
    /// The extension, as the new snapshot has it.
    pub extension: ExtensionRef,
    /// Numbers only the new list has, without a leading `+`.
    pub added: Vec<String>,
    /// Numbers only the old list has, without a leading `+`.
    pub removed: Vec<String>,
    /// `fetched` or `absent` when the list appeared or disappeared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
}

/// A finding that appeared or disappeared.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct FindingRef {
    /// The rule that produced it.
    pub rule_id: String,
    /// Its severity, as rule files spell it.
    pub severity: String,
    /// The finding's message.
    pub message: String,
    /// JSON pointer of the value, in the snapshot that has the finding.
    pub pointer: String,
    /// The fingerprint the two reports are matched by.
    pub fingerprint: String,
}

/// Everything that changed.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Drift {
    /// Extensions only the new snapshot has.
    pub extensions_added: Vec<ExtensionRef>,
    /// Extensions only the old snapshot has.
    pub extensions_removed: Vec<ExtensionRef>,
    /// Extensions in both whose type or status changed.
    pub extensions_changed: Vec<ExtensionChange>,
    /// Numbers only the new snapshot has.
    pub numbers_added: Vec<NumberRef>,
    /// Numbers only the old snapshot has.
    pub numbers_removed: Vec<NumberRef>,
    /// Numbers in both whose usage, payment type, type or extension changed.
    pub numbers_changed: Vec<NumberChange>,
    /// Extensions in both whose forwarding list changed, appeared or
    /// disappeared.
    pub forwarding_changed: Vec<ForwardingChange>,
    /// Findings on the new snapshot that the old one did not have.
    pub findings_appeared: Vec<FindingRef>,
    /// Findings on the old snapshot that the new one no longer has.
    pub findings_disappeared: Vec<FindingRef>,
    /// What could not be compared: a list one snapshot does not have (not
    /// fetched, or recorded in its `errors`), records without the id or
    /// number they are matched by. Never read as "removed" or "unchanged".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<String>,
    /// Extension numbers by extension id, from both snapshots (the new one
    /// wins): the text names extensions by number, not by internal id.
    #[serde(skip)]
    pub extension_numbers: BTreeMap<String, String>,
}

fn text(node: &Node, field: &str) -> Option<String> {
    node.get(field)
        .and_then(|v| v.id_string().or_else(|| v.as_str().map(str::to_owned)))
}

fn normalized(number: &str) -> String {
    number.strip_prefix('+').unwrap_or(number).to_owned()
}

fn extension_ref(node: &Node) -> ExtensionRef {
    ExtensionRef {
        id: text(node, "id").unwrap_or_default(),
        extension_number: text(node, "extensionNumber"),
        name: text(node, "name"),
        kind: text(node, "type"),
    }
}

fn number_ref(node: &Node) -> NumberRef {
    NumberRef {
        phone_number: text(node, "phoneNumber").unwrap_or_default(),
        usage_type: text(node, "usageType"),
        extension: node.get("extension").and_then(|e| text(e, "id")),
    }
}

fn list<'a>(root: &'a Node, field: &str) -> &'a [Node] {
    root.get(field).and_then(Node::as_array).unwrap_or_default()
}

/// Records keyed by `key`, in document order (the last of a repeated key wins).
fn keyed(records: &[Node], key: impl Fn(&Node) -> Option<String>) -> BTreeMap<String, &Node> {
    records
        .iter()
        .filter_map(|r| key(r).map(|k| (k, r)))
        .collect()
}

fn changes(old: &Node, new: &Node, fields: &[&str]) -> Vec<Change> {
    fields
        .iter()
        .filter_map(|field| {
            let (a, b) = (text(old, field), text(new, field));
            (a != b).then(|| Change {
                field: (*field).to_owned(),
                old: a,
                new: b,
            })
        })
        .collect()
}

/// Extension numbers by id, from both snapshots (the new one wins).
fn extension_numbers(old: &Node, new: &Node) -> BTreeMap<String, String> {
    [old, new]
        .iter()
        .flat_map(|root| list(root, "extensions"))
        .filter_map(|ext| Some((text(ext, "id")?, text(ext, "extensionNumber")?)))
        .collect()
}

/// The configuration drift from `old` to `new` (snapshot roots).
pub fn drift(old: &Node, new: &Node) -> Drift {
    let mut drift = Drift::default();
    // A list one side lacks is unknown there: comparing it would report
    // every record as added or removed.
    let mut unknown = |field: &str, key: &str| {
        let (a, b) = (
            old.get(field).and_then(Node::as_array),
            new.get(field).and_then(Node::as_array),
        );
        for (side, has, other) in [("old", a, b), ("new", b, a)] {
            if has.is_none() && other.is_some() {
                drift.not_compared.push(format!(
                    "`{field}` is absent from the {side} snapshot (not fetched or not readable): its records were not compared"
                ));
            }
        }
        for (side, records) in [("old", a), ("new", b)] {
            let unkeyed = records
                .unwrap_or_default()
                .iter()
                .filter(|r| text(r, key).is_none())
                .count();
            if unkeyed > 0 {
                drift.not_compared.push(format!(
                    "{unkeyed} record(s) of `{field}` in the {side} snapshot have no `{key}` and were not compared"
                ));
            }
        }
        a.is_some() && b.is_some()
    };
    let compare_extensions = unknown("extensions", "id");
    let compare_numbers = unknown("phoneNumbers", "phoneNumber");
    let by_id = |records| keyed(records, |r| text(r, "id"));
    let (old_ext, new_ext) = if compare_extensions {
        (
            by_id(list(old, "extensions")),
            by_id(list(new, "extensions")),
        )
    } else {
        (BTreeMap::new(), BTreeMap::new())
    };
    for (id, ext) in &new_ext {
        match old_ext.get(id) {
            None => drift.extensions_added.push(extension_ref(ext)),
            Some(before) => {
                let changed = changes(before, ext, &["type", "status"]);
                if !changed.is_empty() {
                    drift.extensions_changed.push(ExtensionChange {
                        extension: extension_ref(ext),
                        changes: changed,
                    });
                }
                forwarding(before, ext, &mut drift);
            }
        }
    }
    for (id, ext) in &old_ext {
        if !new_ext.contains_key(id) {
            drift.extensions_removed.push(extension_ref(ext));
        }
    }
    let by_number = |records| keyed(records, |r| text(r, "phoneNumber").map(|n| normalized(&n)));
    let (old_num, new_num) = if compare_numbers {
        (
            by_number(list(old, "phoneNumbers")),
            by_number(list(new, "phoneNumbers")),
        )
    } else {
        (BTreeMap::new(), BTreeMap::new())
    };
    for (number, record) in &new_num {
        match old_num.get(number) {
            None => drift.numbers_added.push(number_ref(record)),
            Some(before) => {
                let mut changed = changes(before, record, &["usageType", "paymentType", "type"]);
                let (a, b) = (
                    before.get("extension").and_then(|e| text(e, "id")),
                    record.get("extension").and_then(|e| text(e, "id")),
                );
                if a != b {
                    changed.push(Change {
                        field: "extension".to_owned(),
                        old: a,
                        new: b,
                    });
                }
                if !changed.is_empty() {
                    drift.numbers_changed.push(NumberChange {
                        number: number_ref(record),
                        changes: changed,
                    });
                }
            }
        }
    }
    for (number, record) in &old_num {
        if !new_num.contains_key(number) {
            drift.numbers_removed.push(number_ref(record));
        }
    }
    drift.extension_numbers = extension_numbers(old, new);
    drift
}

fn forwarding(old: &Node, new: &Node, drift: &mut Drift) {
    let numbers = |ext: &Node| -> Option<Vec<String>> {
        ext.get("forwardingNumbers")
            .and_then(Node::as_array)
            .map(|records| {
                records
                    .iter()
                    .filter_map(|r| text(r, "phoneNumber").map(|n| normalized(&n)))
                    .collect()
            })
    };
    let (before, after) = (numbers(old), numbers(new));
    let change = match (&before, &after) {
        (Some(a), Some(b)) => {
            let added: Vec<String> = b.iter().filter(|n| !a.contains(n)).cloned().collect();
            let removed: Vec<String> = a.iter().filter(|n| !b.contains(n)).cloned().collect();
            (!added.is_empty() || !removed.is_empty()).then_some(ForwardingChange {
                extension: extension_ref(new),
                added,
                removed,
                list: None,
            })
        }
        (None, Some(b)) => Some(ForwardingChange {
            extension: extension_ref(new),
            added: b.clone(),
            removed: Vec::new(),
            list: Some("fetched".to_owned()),
        }),
        (Some(a), None) => Some(ForwardingChange {
            extension: extension_ref(new),
            added: Vec::new(),
            removed: a.clone(),
            list: Some("absent".to_owned()),
        }),
        (None, None) => None,
    };
    drift.forwarding_changed.extend(change);
}

fn finding_refs(report: &Report) -> BTreeMap<String, FindingRef> {
    report
        .findings
        .iter()
        .map(|l| {
            (
                l.finding.fingerprint.clone(),
                FindingRef {
                    rule_id: l.finding.rule_id.clone(),
                    severity: l.finding.severity.as_str().to_owned(),
                    message: l.finding.message.clone(),
                    pointer: l.finding.pointer.clone(),
                    fingerprint: l.finding.fingerprint.clone(),
                },
            )
        })
        .collect()
}

/// Adds the findings that appeared and disappeared between two reports.
pub fn add_findings(drift: &mut Drift, old: &Report, new: &Report) {
    let (before, after) = (finding_refs(old), finding_refs(new));
    drift.findings_appeared = after
        .iter()
        .filter(|(k, _)| !before.contains_key(*k))
        .map(|(_, f)| f.clone())
        .collect();
    drift.findings_disappeared = before
        .iter()
        .filter(|(k, _)| !after.contains_key(*k))
        .map(|(_, f)| f.clone())
        .collect();
}

impl Drift {
    /// Whether nothing changed and everything could be compared.
    pub fn is_empty(&self) -> bool {
        self.extensions_added.is_empty()
            && self.extensions_removed.is_empty()
            && self.extensions_changed.is_empty()
            && self.numbers_added.is_empty()
            && self.numbers_removed.is_empty()
            && self.numbers_changed.is_empty()
            && self.forwarding_changed.is_empty()
            && self.findings_appeared.is_empty()
            && self.findings_disappeared.is_empty()
            && self.not_compared.is_empty()
    }
}

/// The word in front of each line: a column of words, never a `+` or `-`
/// that would read as part of a phone number (`+16505550999`).
fn marked(word: &str, text: &str) -> String {
    format!("{word:<8} {text}")
}

/// `extension 101 (Ada Admin, id 401145624008)`: by number when known,
/// the id in parentheses.
fn ext_label(e: &ExtensionRef) -> String {
    let name = e
        .name
        .as_deref()
        .map_or_else(String::new, |n| format!("{n}, "));
    match &e.extension_number {
        Some(n) => format!("extension {n} ({name}id {})", e.id),
        None => match &e.name {
            Some(n) => format!("extension id {} ({n})", e.id),
            None => format!("extension id {}", e.id),
        },
    }
}

impl Drift {
    /// An extension named by its number when either snapshot knows it,
    /// with its id in parentheses; by its id otherwise.
    fn extension_by_id(&self, id: &str) -> String {
        match self.extension_numbers.get(id) {
            Some(number) => format!("extension {number} (id {id})"),
            None => format!("extension id {id}"),
        }
    }
}

fn change_label(drift: &Drift, changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| {
            if c.field == "extension" {
                let side = |v: &Option<String>| {
                    v.as_deref()
                        .map_or_else(|| "no extension".to_owned(), |id| drift.extension_by_id(id))
                };
                return format!("{} -> {}", side(&c.old), side(&c.new));
            }
            format!(
                "{} {} -> {}",
                c.field,
                c.old.as_deref().unwrap_or("(none)"),
                c.new.as_deref().unwrap_or("(none)")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn extension_line(word: &str, e: &ExtensionRef) -> String {
    marked(
        word,
        &format!(
            "{}, type {}",
            ext_label(e),
            e.kind.as_deref().unwrap_or("?")
        ),
    )
}

fn number_line(drift: &Drift, word: &str, n: &NumberRef) -> String {
    let mut s = n.phone_number.clone();
    if let Some(u) = &n.usage_type {
        let _ = write!(s, " ({u})");
    }
    if let Some(e) = &n.extension {
        let _ = write!(s, " on {}", drift.extension_by_id(e));
    }
    marked(word, &s)
}

fn number_change_line(drift: &Drift, c: &NumberChange) -> String {
    let moved = c.changes.iter().any(|ch| ch.field == "extension");
    let word = if moved { "moved" } else { "changed" };
    marked(
        word,
        &format!(
            "{}: {}",
            c.number.phone_number,
            change_label(drift, &c.changes)
        ),
    )
}

fn forwarding_line(f: &ForwardingChange) -> String {
    let mut parts = Vec::new();
    if let Some(list) = &f.list {
        parts.push(format!("list {list}"));
    }
    if !f.added.is_empty() {
        parts.push(format!("added {}", f.added.join(", ")));
    }
    if !f.removed.is_empty() {
        parts.push(format!("removed {}", f.removed.join(", ")));
    }
    marked(
        "changed",
        &format!("{}: {}", ext_label(&f.extension), parts.join("; ")),
    )
}

fn finding_line(word: &str, f: &FindingRef) -> String {
    marked(
        word,
        &format!(
            "{} {} at {}: {}",
            f.rule_id, f.severity, f.pointer, f.message
        ),
    )
}

/// The drift as text.
pub fn render_human(drift: &Drift, old: &str, new: &str) -> String {
    let mut out = format!("changes from {old} to {new}\n");
    if drift.is_empty() {
        out.push_str("  nothing changed\n");
        return out;
    }
    let mut section = |title: &str, lines: Vec<String>| {
        if !lines.is_empty() {
            let _ = writeln!(out, "\n{title} ({})", lines.len());
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        }
    };
    let d = drift;
    section("not compared", d.not_compared.clone());
    section(
        "extensions added",
        d.extensions_added
            .iter()
            .map(|e| extension_line("added", e))
            .collect(),
    );
    section(
        "extensions removed",
        d.extensions_removed
            .iter()
            .map(|e| extension_line("removed", e))
            .collect(),
    );
    section(
        "extensions changed",
        d.extensions_changed
            .iter()
            .map(|c| {
                marked(
                    "changed",
                    &format!(
                        "{}: {}",
                        ext_label(&c.extension),
                        change_label(d, &c.changes)
                    ),
                )
            })
            .collect(),
    );
    section(
        "phone numbers added",
        d.numbers_added
            .iter()
            .map(|n| number_line(d, "added", n))
            .collect(),
    );
    section(
        "phone numbers removed",
        d.numbers_removed
            .iter()
            .map(|n| number_line(d, "removed", n))
            .collect(),
    );
    section(
        "phone numbers changed",
        d.numbers_changed
            .iter()
            .map(|c| number_change_line(d, c))
            .collect(),
    );
    section(
        "forwarding lists changed",
        d.forwarding_changed.iter().map(forwarding_line).collect(),
    );
    section(
        "findings appeared",
        d.findings_appeared
            .iter()
            .map(|f| finding_line("appeared", f))
            .collect(),
    );
    section(
        "findings disappeared",
        d.findings_disappeared
            .iter()
            .map(|f| finding_line("gone", f))
            .collect(),
    );
    out
}

/// The drift as JSON.
pub fn render_json(drift: &Drift, old: &str, new: &str) -> String {
    let document = serde_json::json!({
        "tool": {"name": "rcaudit"},
        "old": old,
        "new": new,
        "changes": drift,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: &str) -> Node {
        rcaudit_model::parse(json).expect("valid")
    }

    #[test]
    fn matches_records_by_key_not_position() {
        let old = node(
            r#"{"extensions": [
                {"id": 1, "extensionNumber": "101", "type": "User", "status": "Enabled", "forwardingNumbers": [{"phoneNumber": "+16505550100"}]},
                {"id": 2, "extensionNumber": "102", "type": "DigitalUser", "status": "Enabled"}],
              "phoneNumbers": [
                {"phoneNumber": "16505550111", "usageType": "DirectNumber", "extension": {"id": 1}},
                {"phoneNumber": "16505550112", "usageType": "CompanyNumber"}]}"#,
        );
        let new = node(
            r#"{"extensions": [
                {"id": "3", "extensionNumber": "103", "type": "DigitalUser", "status": "Enabled"},
                {"id": "1", "extensionNumber": "101", "type": "DigitalUser", "status": "Disabled", "forwardingNumbers": [{"phoneNumber": "16505550100"}, {"phoneNumber": "+16505550199"}]}],
              "phoneNumbers": [
                {"phoneNumber": "+16505550111", "usageType": "DirectNumber", "extension": {"id": 3}},
                {"phoneNumber": "16505550113", "usageType": "CompanyNumber"}]}"#,
        );
        let d = drift(&old, &new);
        assert_eq!(
            d.extensions_added
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>(),
            ["3"]
        );
        assert_eq!(
            d.extensions_removed
                .iter()
                .map(|e| e.id.as_str())
                .collect::<Vec<_>>(),
            ["2"]
        );
        assert_eq!(d.extensions_changed.len(), 1);
        assert_eq!(
            d.extensions_changed[0]
                .changes
                .iter()
                .map(|c| c.field.as_str())
                .collect::<Vec<_>>(),
            ["type", "status"]
        );
        assert_eq!(d.numbers_added[0].phone_number, "16505550113");
        assert_eq!(d.numbers_removed[0].phone_number, "16505550112");
        assert_eq!(
            d.numbers_changed[0].changes[0].field, "extension",
            "moved from 1 to 3"
        );
        assert_eq!(
            d.forwarding_changed[0].added,
            ["16505550199"],
            "+ is ignored"
        );
        assert!(d.forwarding_changed[0].removed.is_empty());
        let text = render_human(&d, "a.json", "b.json");
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for expected in [
            // Numbers after a word, never after a sign; extensions by number.
            "moved    +16505550111: extension 101 (id 1) -> extension 103 (id 3)",
            "added    16505550113 (CompanyNumber)",
            "removed  16505550112 (CompanyNumber)",
            "added    extension 103 (id 3), type DigitalUser",
            "removed  extension 102 (id 2), type DigitalUser",
            "changed  extension 101 (id 1): type User -> DigitalUser, status Enabled -> Disabled",
            "changed  extension 101 (id 1): added 16505550199",
        ] {
            assert!(lines.contains(&expected), "`{expected}` in:\n{text}");
        }
        assert!(
            !text
                .lines()
                .any(|l| l.trim_start().starts_with(['+', '-', '~'])),
            "{text}"
        );
    }

    #[test]
    fn identical_snapshots_have_no_drift() {
        let a = node(r#"{"extensions": [{"id": 1, "type": "User"}], "phoneNumbers": []}"#);
        assert!(drift(&a, &a).is_empty());
    }
}
