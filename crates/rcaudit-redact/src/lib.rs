//! Snapshots shared without personal data, every verdict intact
//! (`rcaudit redact`).
//!
//! Each string of the snapshot is looked up in one table of field paths
//! (`table`, [`TABLE`]): kept (ids, types, statuses, plans, URIs: what the rules
//! read and nobody is identified by), or replaced by a keyed pseudonym of
//! the same shape (`pseudonym`). Pseudonyms are one-to-one, so values
//! that were equal stay equal and values that differed still differ;
//! phone numbers keep the leading digits the rules read. So `rcaudit check`
//! gives the same findings (rule, pointer, severity) on the redacted
//! snapshot as on the original, and the same key gives the same
//! pseudonyms, so redacted snapshots of one account can be diffed.
//!
//! This crate does no I/O: the caller reads the snapshot and the key, and
//! writes the result.
//!
//! ```
//! use rcaudit_redact::{Json, Key, Table, redact};
//!
//! let mut doc: Json = serde_json::from_str(
//!     r#"{"snapshotVersion": 1, "account": {"id": 7},
//!         "extensions": [{"id": 1, "type": "User", "name": "Maria Gonzalez",
//!           "forwardingNumbers": [{"phoneNumber": "+16505550101", "label": "Home"}]}]}"#,
//! )
//! .expect("JSON");
//! let summary = redact(&mut doc, &Key::new(b"secret"), &Table::default(), "rcaudit test");
//! let text = serde_json::to_string(&doc).expect("JSON");
//! assert!(!text.contains("Maria") && !text.contains("5550101"));
//! assert!(text.contains(r#""type":"User""#) && text.contains(r#""label":"Home""#));
//! assert!(text.contains(r#""phoneNumber":"+16505"#));
//! assert_eq!(summary.redacted, 2);
//! ```

#![warn(missing_docs)]

mod pseudonym;
mod table;

use std::collections::BTreeMap;

use rcaudit_model::ordered::Obj;

pub use pseudonym::Key;
pub use rcaudit_model::ordered::Json;
pub use table::{Entry, KINDS, Kind, TABLE, TABLE_VERSION, Table, check_entry};

/// Labels that name no one, which stay as they are: the predefined ones a
/// rule reads (`Home`, `Mobile`, `Office`, `Work`) and the forwarding
/// number types the API labels numbers with (`ForwardingPhoneNumberTypeEnum`).
pub const PLAIN_LABELS: [&str; 9] = [
    "Home",
    "Mobile",
    "Office",
    "Work",
    "PhoneLine",
    "Outage",
    "Other",
    "BusinessMobilePhone",
    "ExtensionApps",
];

/// The one domain of every text-like pseudonym, so the same name gets the
/// same pseudonym wherever it is (an extension's `name` and the account
/// number's `extension.name`).
const TEXT: &str = "text";

/// The domain of labels' pseudonyms.
const LABEL: &str = "label";

/// What a redaction did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Strings replaced by pseudonyms.
    pub redacted: usize,
    /// Strings kept.
    pub kept: usize,
    /// Strings at places the table does not know (redacted as text), by
    /// path with list indexes written `*`, and how many.
    pub unknown: BTreeMap<String, usize>,
    /// Phone numbers whose pseudonym could not keep their region and type
    /// by the numbering plan (so a rule that reads them may judge the
    /// redacted snapshot differently).
    pub class_changed: usize,
}

/// Redacts `doc` in place with `key` and `table`, and records in
/// `source.redaction` that it was, by `tool`, with which table version.
pub fn redact(doc: &mut Json, key: &Key, table: &Table, tool: &str) -> Summary {
    let mut summary = Summary::default();
    let mut path = Vec::new();
    walk(doc, &mut path, key, table, &mut summary);
    mark(doc, tool);
    summary
}

fn walk(value: &mut Json, path: &mut Vec<String>, key: &Key, table: &Table, summary: &mut Summary) {
    match value {
        Json::String(text) => {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            let kind = table.kind(&segments).unwrap_or_else(|| {
                let general: Vec<&str> = segments
                    .iter()
                    .map(|s| if s.parse::<usize>().is_ok() { "*" } else { s })
                    .collect();
                *summary
                    .unknown
                    .entry(format!("/{}", general.join("/")))
                    .or_default() += 1;
                Kind::Text
            });
            if kind == Kind::Keep {
                summary.kept += 1;
            } else {
                let (replaced, class_kept) = pseudonym_of(kind, key, text);
                if !class_kept {
                    summary.class_changed += 1;
                }
                if replaced == *text {
                    summary.kept += 1;
                } else {
                    summary.redacted += 1;
                    *text = replaced;
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                walk(item, path, key, table, summary);
                path.pop();
            }
        }
        Json::Object(members) => {
            for (name, member) in members.iter_mut() {
                path.push(name.to_owned());
                walk(member, path, key, table, summary);
                path.pop();
            }
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

/// The pseudonym of one value of a kind, and whether it kept what the
/// rules read of it (false only for a phone number whose numbering-plan
/// class could not be kept).
fn pseudonym_of(kind: Kind, key: &Key, value: &str) -> (String, bool) {
    let whole = match kind {
        Kind::Keep => value.to_owned(),
        Kind::Phone => {
            // Words in a number field are not a number, nor are digits
            // outside ASCII: treat them as text.
            if value.chars().filter(char::is_ascii_alphabetic).count() >= 3
                || pseudonym::is_wide(value)
            {
                pseudonym::text(key, TEXT, value)
            } else {
                return pseudonym::phone(key, value);
            }
        }
        // Labels have a domain of their own: the walk around the plain
        // labels must not make a label's pseudonym equal a name's.
        Kind::Label => pseudonym::text_avoiding(key, LABEL, value, &PLAIN_LABELS),
        Kind::Name | Kind::Email | Kind::Address | Kind::Text => pseudonym::text(key, TEXT, value),
    };
    (whole, true)
}

/// Adds `source.redaction` (creating `source`, after `capturedAt`, if need
/// be).
fn mark(doc: &mut Json, tool: &str) {
    let Some(members) = doc.as_object_mut() else {
        return;
    };
    let mut redaction = Obj::new();
    redaction.insert("tableVersion", u64::from(TABLE_VERSION));
    redaction.insert("tool", tool);
    match members.get_mut("source") {
        Some(Json::Object(source)) => source.insert("redaction", redaction),
        _ => {
            let mut source = Obj::new();
            source.insert("redaction", redaction);
            let at = members.position("capturedAt").map_or(1, |i| i + 1);
            members.insert_at(at, "source", source);
        }
    }
}
