//! What an id is: the snapshot schema and the domain functions agree.
//!
//! A numeric id within 64 bits is read exactly and `idString` gives its
//! digits; a larger one cannot be read without losing digits (JSON numbers
//! beyond 64 bits become doubles), so the schema rejects it: the snapshot is
//! invalid (exit 2), instead of built-in rules failing with
//! `idString: expected an int or a string, got double`.

use rcaudit_rules::{LoadOptions, builtin, evaluate, load};

fn snapshot(id: &str) -> String {
    format!(
        r#"{{"snapshotVersion": 1, "capturedAt": "2026-08-01T00:00:00Z",
            "source": {{"viewer": {{"admin": true}}}},
            "account": {{"id": {id}, "serviceInfo": {{"servicePlan": {{"name": "RingEX Core"}}}}}},
            "extensions": [{{"id": {id}, "extensionNumber": "101", "type": "User"}}],
            "phoneNumbers": []}}"#
    )
}

#[test]
fn ids_beyond_64_bits_are_schema_errors() {
    let error = rcaudit_model::load_str("big.json", snapshot("123456789012345678901234567890"))
        .expect_err("an id beyond 64 bits is invalid");
    let text = format!("{error:?}");
    assert!(text.contains("/account/id"), "{text}");
    assert!(text.contains("/extensions/0/id"), "{text}");
}

#[test]
fn ids_within_64_bits_are_exact() {
    let (rules, _) = load(&builtin::files(), &LoadOptions::default()).expect("built-in rules");
    for id in [
        "18446744073709551615",
        "9223372036854775807",
        "401145624008",
        "\"401145624008\"",
    ] {
        let snapshot = rcaudit_model::load_str("ok.json", snapshot(id))
            .unwrap_or_else(|e| panic!("{id}: {e:?}"));
        assert_eq!(
            snapshot.account_id().as_deref(),
            Some(id.trim_matches('"')),
            "read exactly"
        );
        let outcome = evaluate(&rules, snapshot.root());
        assert!(
            outcome.rule_errors.is_empty(),
            "{id}: {:?}",
            outcome.rule_errors
        );
    }
}
