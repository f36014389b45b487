//! The reference snapshot: the document a correct fetch of this server
//! writes (`--dump-snapshot`), and the part of a fetched snapshot that is
//! compared with it.

use crate::account::Account;
use crate::json::Json;

/// The JSON of an account's expected snapshot (for `--dump-snapshot`).
pub fn expected_snapshot_text(account: &Account) -> String {
    let doc: Json = account.expected_snapshot();
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// What of a snapshot a faithful fetch of this server reproduces: the
/// document without its capture metadata (`capturedAt`, `source`, which
/// differ from run to run), with its `errors` entries in a fixed order (they
/// are recorded as requests finish) and an empty `errors` taken as none.
pub fn comparable_snapshot(mut doc: serde_json::Value) -> serde_json::Value {
    if let Some(object) = doc.as_object_mut() {
        object.remove("capturedAt");
        object.remove("source");
        match object.get_mut("errors") {
            Some(serde_json::Value::Array(entries)) if entries.is_empty() => {
                object.remove("errors");
            }
            Some(serde_json::Value::Array(entries)) => {
                entries.sort_by_cached_key(ToString::to_string);
            }
            _ => {}
        }
    }
    doc
}
