//! The rules that read numbers through libphonenumber's metadata, checked
//! against the metadata's **own example number** of every type in every
//! region: what each example is (its type, its region) is documented by
//! the metadata, not worked out by the code under test, so these
//! expectations are independent of `rcaudit-phone`'s classification.
//!
//! - RC-FW-007: forwarding to an example of type premium-rate or
//!   shared-cost is a finding; to any other example, none.
//! - RC-FW-008: from an account whose only number is in the US, forwarding
//!   to an example of another region is a finding; to a US example, none
//!   (examples of the other NANP regions are left out: libphonenumber gives
//!   some of their ranges to the US, as a real dialled call would).
//! - RC-PN-012: an example listed with paymentType `TollFree` is a finding
//!   exactly when it is not a toll-free example; with `Local`, exactly when
//!   it is.
//! - RC-PN-013: no example is reported as a number that cannot exist.

#![expect(clippy::expect_used, reason = "tests fail by panicking")]

use std::collections::BTreeSet;

use rcaudit_phone::{NumberType, example, regions};
use rcaudit_rules::{LoadOptions, RuleSet, builtin, evaluate, load};
use serde_json::{Value, json};

/// Every example: `(region, documented type, number)`.
fn examples() -> Vec<(&'static str, NumberType, String)> {
    let mut out = Vec::new();
    for region in regions() {
        for kind in NumberType::ALL {
            // FixedLineOrMobile and Unknown have no examples of their own.
            if matches!(kind, NumberType::FixedLineOrMobile | NumberType::Unknown) {
                continue;
            }
            if let Some(number) = example(region, kind) {
                out.push((region, kind, number));
            }
        }
    }
    out
}

fn rules() -> RuleSet {
    load(&builtin::files(), &LoadOptions::default())
        .expect("the built-in rules load")
        .0
}

/// The pointers of `rule`'s findings on `snapshot`.
fn findings(rules: &RuleSet, snapshot: &Value, rule: &str) -> BTreeSet<String> {
    let text = serde_json::to_string(snapshot).expect("serialises");
    let snapshot = rcaudit_model::load_str("examples.json", text).expect("a valid snapshot");
    let outcome = evaluate(rules, snapshot.root());
    assert!(
        outcome.rule_errors.iter().all(|e| e.rule_id != rule),
        "{rule}: {:?}",
        outcome.rule_errors
    );
    outcome
        .findings
        .iter()
        .filter(|f| f.rule_id == rule)
        .map(|f| f.pointer.clone())
        .collect()
}

/// An account whose one number is a US main number, and an extension per
/// example that forwards to it.
fn forwarding_to(examples: &[(&str, NumberType, String)]) -> Value {
    let extensions: Vec<Value> = examples
        .iter()
        .enumerate()
        .map(|(i, (_, _, number))| {
            json!({
                "id": 1000 + i,
                "extensionNumber": (1000 + i).to_string(),
                "type": "DigitalUser",
                "forwardingNumbers": [{"id": i.to_string(), "phoneNumber": number}],
            })
        })
        .collect();
    json!({
        "snapshotVersion": 1,
        "source": {"viewer": {"accountId": "1", "extensionId": "1000", "admin": true}},
        "account": {"id": 1, "serviceInfo": {"servicePlan": {"name": "RingEX Core"}}},
        "phoneNumbers": [
            {"id": 1, "phoneNumber": "+16505550100", "usageType": "MainCompanyNumber", "paymentType": "Local"}
        ],
        "extensions": extensions,
    })
}

fn at_forwarding(i: usize) -> String {
    format!("/extensions/{i}/forwardingNumbers/0/phoneNumber")
}

#[test]
fn forwarding_to_premium_rate_or_shared_cost_examples_is_reported() {
    let examples = examples();
    assert!(examples.len() > 1000, "{}", examples.len());
    let expected: BTreeSet<String> = examples
        .iter()
        .enumerate()
        .filter(|(_, (_, kind, _))| {
            matches!(kind, NumberType::PremiumRate | NumberType::SharedCost)
        })
        .map(|(i, _)| at_forwarding(i))
        .collect();
    assert!(expected.len() > 100, "{}", expected.len());
    assert_eq!(
        findings(&rules(), &forwarding_to(&examples), "RC-FW-007"),
        expected
    );
}

#[test]
fn forwarding_to_examples_abroad_is_reported() {
    let nanp = |region: &str| {
        phonenumber::metadata::DATABASE
            .by_id(region)
            .is_some_and(|m| m.country_code() == 1)
    };
    let examples: Vec<_> = examples()
        .into_iter()
        .filter(|(region, _, _)| *region == "US" || !nanp(region))
        .collect();
    let expected: BTreeSet<String> = examples
        .iter()
        .enumerate()
        .filter(|(_, (region, _, _))| *region != "US")
        .map(|(i, _)| at_forwarding(i))
        .collect();
    let found = findings(&rules(), &forwarding_to(&examples), "RC-FW-008");
    assert_eq!(found, expected);
    assert!(examples.iter().any(|(r, _, _)| *r == "US"));
}

#[test]
fn payment_types_against_the_examples() {
    let examples = examples();
    let rules = rules();
    for payment in ["TollFree", "Local"] {
        let numbers: Vec<Value> = examples
            .iter()
            .enumerate()
            .map(|(i, (_, _, number))| {
                json!({
                    "id": i,
                    "phoneNumber": number,
                    "usageType": "DirectNumber",
                    "paymentType": payment,
                })
            })
            .collect();
        let snapshot = json!({
            "snapshotVersion": 1,
            "source": {"viewer": {"accountId": "1", "extensionId": "2", "admin": true}},
            "account": {"id": 1},
            "phoneNumbers": numbers,
            "extensions": [],
        });
        let expected: BTreeSet<String> = examples
            .iter()
            .enumerate()
            .filter(|(_, (_, kind, _))| (*kind == NumberType::TollFree) == (payment == "Local"))
            .map(|(i, _)| format!("/phoneNumbers/{i}/paymentType"))
            .collect();
        // The same example may serve two regions (a shared code): one
        // finding per number, at its first listing.
        let firsts: BTreeSet<String> = {
            let mut seen = BTreeSet::new();
            expected
                .into_iter()
                .filter(|pointer| {
                    let i: usize = pointer
                        .split('/')
                        .nth(2)
                        .and_then(|i| i.parse().ok())
                        .expect("an index");
                    let number = examples.get(i).map(|e| e.2.clone()).expect("an example");
                    let first = examples.iter().position(|e| e.2 == number) == Some(i);
                    first && seen.insert(number)
                })
                .collect()
        };
        assert_eq!(
            findings(&rules, &snapshot, "RC-PN-012"),
            firsts,
            "{payment}"
        );
        if payment == "Local" {
            assert!(
                findings(&rules, &snapshot, "RC-PN-013").is_empty(),
                "every example can exist"
            );
        }
    }
}
