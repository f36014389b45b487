//! What the fetcher decodes from the server and its journal, through the
//! crate's public functions: error bodies (`error_details`), record
//! ids (`parts::id_of`), journal pieces (`Parts::restore`), the assembled
//! snapshot (`Parts::assemble`) and its re-indentation (`parts::pretty`).
//!
//! The input is JSON Lines as in a journal: `{"put": KEY, "value": JSON}`;
//! any other line is an answer body. Oracles: `pretty` keeps the value of
//! valid JSON, and an assembled snapshot is always valid JSON (found: a
//! record carrying its own list, and numbers beyond f64; issue 8, fixed in
//! 3b65d77, tests/fixtures/fuzz/fetch-*.jsonl).
//!
//! Not reachable without a hook: the paging decoder (`api/paging.rs`, private,
//! used only inside `Api::list`) and the rate headers (`api/response.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rcaudit_fetch::error_details;
use rcaudit_fetch::parts::{self, Parts, Source};
use rcaudit_model::value;
use serde_json::value::RawValue;

#[derive(serde::Deserialize)]
struct Entry {
    put: String,
    value: Box<RawValue>,
}

fuzz_target!(|data: &[u8]| {
    let _ = error_details(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_pretty(text);
    let mut fetched = Parts::default();
    for line in text.lines() {
        let _ = error_details(line.as_bytes());
        if let Ok(entry) = serde_json::from_str::<Entry>(line) {
            let _ = parts::id_of(&entry.value);
            let _ = fetched.restore(&entry.put, &entry.value);
            check_pretty(entry.value.get());
        } else if let Ok(raw) = serde_json::from_str::<Box<RawValue>>(line) {
            let _ = parts::id_of(&raw);
        }
    }
    let source = Source {
        server: "https://platform.ringcentral.com".to_owned(),
        generator: "rcaudit fuzz".to_owned(),
        scope: Some("ReadAccounts".to_owned()),
        lists: None,
    };
    let document = fetched.assemble("2026-12-01T00:00:00Z", &source);
    // Whatever the pieces held, what `fetch` assembles must load
    // (F1-F3 in RELIABILITY.md were the ways it did not).
    if let Err(error) = value::parse(&document) {
        panic!("an assembled snapshot is not JSON ({error}):\n{document}");
    }
});

/// `pretty` keeps every token of valid JSON: same value after re-indenting.
fn check_pretty(text: &str) {
    let pretty = parts::pretty(text);
    if let Ok(before) = value::parse(text) {
        match value::parse(&pretty) {
            Ok(after) => assert!(after == before, "pretty changed {text:?} into {pretty:?}"),
            Err(error) => panic!("pretty made {text:?} invalid ({error}): {pretty:?}"),
        }
    }
}
