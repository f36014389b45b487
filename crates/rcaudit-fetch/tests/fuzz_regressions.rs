//! Inputs the fuzzers found (RELIABILITY.md, "Fuzzing campaign"), kept as
//! tests; the inputs are in tests/fixtures/fuzz/.

#![expect(
    clippy::expect_used,
    reason = "test support code outside #[test] functions: failing is panicking"
)]

use rcaudit_fetch::parts::{Parts, Source};
use serde_json::value::RawValue;

#[derive(serde::Deserialize)]
struct Entry {
    put: String,
    value: Box<RawValue>,
}

fn restored(journal: &str) -> Parts {
    let mut parts = Parts::default();
    for line in journal.lines() {
        let entry: Entry = serde_json::from_str(line).expect("a journal line");
        parts.restore(&entry.put, &entry.value).expect("restores");
    }
    parts
}

fn assembled(journal: &str) -> String {
    let source = Source {
        server: "https://platform.ringcentral.com".to_owned(),
        generator: "rcaudit test".to_owned(),
        scope: None,
        lists: None,
    };
    restored(journal).assemble("2026-12-01T00:00:00Z", &source)
}

/// fuzz target `fetch_decode`: an extension record that already carries
/// `forwardingNumbers` (or `phoneNumbers`) gets the fetched list appended
/// as a second member of the same name, so `rcaudit check` refuses the
/// snapshot `rcaudit fetch` wrote ("duplicate object key").
#[test]
fn assembled_snapshot_has_no_duplicate_members() {
    let document = assembled(include_str!(
        "../../../tests/fixtures/fuzz/fetch-record-with-its-list.jsonl"
    ));
    let root = rcaudit_model::parse(&document).unwrap_or_else(|e| panic!("{e}:\n{document}"));
    let list = root
        .pointer("/extensions/0/forwardingNumbers")
        .and_then(|n| n.as_array())
        .expect("the list is there");
    assert_eq!(list.len(), 1, "{document}");
}

/// fuzz target `fetch_decode`: a record with a number beyond f64's range
/// (`1e400`, valid JSON syntax) was kept verbatim (`RawValue` does not
/// convert numbers), and the snapshot parser refused the document ("number
/// out of range"): the fetch wrote a snapshot `check` could not load. Such
/// a value is now refused where it enters, with the place named: an answer
/// becomes an `errors` entry (`api.rs`, `readable`), a journal line a
/// corrupt journal (here).
#[test]
fn a_number_no_snapshot_can_hold_is_refused_where_it_enters() {
    let journal = include_str!("../../../tests/fixtures/fuzz/fetch-huge-number.jsonl");
    let mut parts = Parts::default();
    let mut refused = None;
    for line in journal.lines() {
        let entry: Entry = serde_json::from_str(line).expect("a journal line");
        if let Err(e) = parts.restore(&entry.put, &entry.value) {
            refused = Some(e);
        }
    }
    let refused = refused.expect("the huge number is refused");
    assert!(refused.contains("no snapshot can"), "{refused}");
}

/// fuzz target `fetch_decode`, after 3b65d77: a record the server sends
/// with a member named twice (`{"phoneNumber": 5, "phoneNumber": "..."}`,
/// or once escaped, `"n\u0061me"`) passes `parts::readable`, which reads
/// member names as `IgnoredAny`, and is kept verbatim; the snapshot parser
/// refused the document ("duplicate object key"). Now the piece is refused
/// where it enters (an answer becomes an `errors` entry), or the assembled
/// snapshot loads.
#[test]
fn a_member_twice_in_a_record_is_refused_where_it_enters() {
    for journal in [
        include_str!("../../../tests/fixtures/fuzz/fetch-member-twice-in-a-record.jsonl"),
        include_str!("../../../tests/fixtures/fuzz/fetch-member-twice-escaped.jsonl"),
    ] {
        let mut parts = Parts::default();
        let mut refused = false;
        for line in journal.lines() {
            let entry: Entry = serde_json::from_str(line).expect("a journal line");
            refused |= parts.restore(&entry.put, &entry.value).is_err();
        }
        if refused {
            continue;
        }
        let source = Source {
            server: "https://platform.ringcentral.com".to_owned(),
            generator: "rcaudit test".to_owned(),
            scope: None,
            lists: None,
        };
        let document = parts.assemble("2026-12-01T00:00:00Z", &source);
        if let Err(e) = rcaudit_model::parse(&document) {
            panic!("neither refused nor loadable: {e}\n{document}");
        }
    }
}
