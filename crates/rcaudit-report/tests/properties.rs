//! Properties of the whole pipeline (load, evaluate every built-in rule,
//! locate) on generated snapshots:
//!
//! - findings do not depend on the order of records;
//! - every finding's pointer resolves, its span holds exactly that value, and
//!   its line and column are where that value starts.

#![expect(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support code outside #[test] functions: failing is panicking, and fixtures are built by indexing JSON"
)]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use proptest::prelude::*;
use rcaudit_report::Report;
use rcaudit_rules::{LoadOptions, RuleSet, builtin, evaluate};
use serde_json::{Value, json};

static RULES: LazyLock<RuleSet> = LazyLock::new(|| {
    let (rules, _) = rcaudit_rules::load(&builtin::files(), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("built-in rules load: {e}"));
    rules
});

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("18555440014".to_owned()),
        Just("+18555440014".to_owned()),
        Just("16505550100".to_owned()),
        Just("+16505550101".to_owned()),
        Just("+1 650-555-0199".to_owned()),
        Just("0123456789".to_owned()),
        (1_000_000u64..9_999_999).prop_map(|n| format!("+1650{n}")),
    ]
}

fn phone(id: u64) -> impl Strategy<Value = Value> {
    (
        number(),
        prop::sample::select(vec![
            "MainCompanyNumber",
            "AdditionalCompanyNumber",
            "CompanyNumber",
            "DirectNumber",
            "CompanyFaxNumber",
            "ForwardedNumber",
            "NewUsageType",
        ]),
        prop::sample::select(vec!["Local", "TollFree", "External"]),
        prop::sample::select(vec!["VoiceFax", "VoiceOnly", "FaxOnly"]),
        any::<bool>(),
    )
        .prop_map(move |(number, usage, payment, kind, mapped)| {
            let mut record = json!({
                "id": id, "phoneNumber": number, "usageType": usage, "paymentType": payment, "type": kind,
                "uri": format!("https://platform.ringcentral.com/restapi/v1.0/account/1/phone-number/{id}"),
            });
            if mapped {
                record["extension"] = json!({"id": 1000});
            }
            record
        })
}

fn forwarding() -> impl Strategy<Value = Value> {
    (
        number(),
        prop::sample::select(vec!["Home", "Mobile", "Work", "Office", "Cabin"]),
        prop::sample::select(vec!["1", "2", "3"]),
        prop::sample::select(vec![vec!["CallFlip"], vec!["CallForwarding", "CallFlip"], vec!["Teleport"]]),
    )
        .prop_map(|(number, label, flip, features)| {
            json!({"phoneNumber": number, "label": label, "flipNumber": flip, "features": features})
        })
}

fn extension(id: u64) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec!["101", "102", "103", "104"]),
        prop::sample::select(vec!["User", "DigitalUser", "VirtualUser", "Department", "IvrMenu", "Unknown", "Hologram"]),
        prop::option::of(prop::collection::vec(forwarding(), 0..13)),
        any::<bool>(),
    )
        .prop_map(move |(number, kind, forwarding, string_id)| {
            let mut record = json!({
                "id": if string_id { json!(id.to_string()) } else { json!(id) },
                "extensionNumber": number,
                "type": kind,
                "uri": format!("https://platform.ringcentral.com/restapi/v1.0/account/1/extension/{id}"),
            });
            if let Some(list) = forwarding {
                record["forwardingNumbers"] = Value::Array(list);
            }
            record
        })
}

/// A snapshot and a flag for compact (one line) or pretty text.
fn snapshot() -> impl Strategy<Value = (Value, bool)> {
    let phones =
        (0usize..8).prop_flat_map(|n| (0..n).map(|i| phone(100 + i as u64)).collect::<Vec<_>>());
    let extensions = (0usize..8).prop_flat_map(|n| {
        (0..n)
            .map(|i| extension(1000 + i as u64))
            .collect::<Vec<_>>()
    });
    (
        phones,
        extensions,
        prop::sample::select(vec!["RingEX Core", "RingCentral Office Premium", ""]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(phones, extensions, plan, admin, compact)| {
            let snapshot = json!({
                "snapshotVersion": 1,
                "capturedAt": "2026-11-28T06:00:00Z",
                "source": {"viewer": {"accountId": "1", "extensionId": "1000", "admin": admin, "scope": "ReadAccounts"}},
                "account": {"id": 1, "mainNumber": "18555440014", "operator": {"id": 1000},
                            "serviceInfo": {"servicePlan": {"name": plan}}},
                "phoneNumbers": phones,
                "extensions": extensions,
            });
            (snapshot, compact)
        })
}

fn text(snapshot: &Value, compact: bool) -> String {
    if compact {
        snapshot.to_string()
    } else {
        serde_json::to_string_pretty(snapshot).expect("serialises")
    }
}

fn report(text: String) -> Report {
    let snapshot =
        rcaudit_model::load_str("generated.json", text).expect("generated snapshots are valid");
    let outcome = evaluate(&RULES, snapshot.root());
    Report::new("test", &snapshot, &RULES, outcome)
}

/// A finding's pointer, span, line and column.
type Place = (String, Option<(usize, usize)>, usize, usize);

/// Where each of a report's findings is.
fn places(report: &Report) -> Vec<Place> {
    report
        .findings
        .iter()
        .map(|l| (l.finding.pointer.clone(), l.span, l.line, l.column))
        .collect()
}

/// [`report`] as `check` parses: the tree borrows its strings from the
/// text, and findings that name one are located by its address.
fn report_lending(text: String) -> Report {
    let snapshot = rcaudit_model::parse_bytes_for_the_process("generated.json", text.into_bytes())
        .expect("generated snapshots parse");
    snapshot.validate().expect("generated snapshots are valid");
    let outcome = evaluate(&RULES, snapshot.root());
    Report::new("test", &snapshot, &RULES, outcome)
}

/// Rules whose finding is "every copy after the first": which record is
/// the copy depends on the order.
const POSITIONAL: &[&str] = &[
    "RC-PN-002",
    "RC-PN-008",
    "RC-EX-006",
    "RC-EX-007",
    "RC-FW-002",
    "RC-FW-004",
    "RC-FW-005",
];

/// What must not change when records are reordered: findings per rule,
/// fingerprints (of rules that do not depend on position), and the
/// not-evaluated entries.
type Summary = (BTreeMap<String, usize>, Vec<String>, Vec<(String, String)>);

fn summary(report: &Report) -> Summary {
    let mut counts = BTreeMap::new();
    let mut fingerprints = Vec::new();
    for located in &report.findings {
        *counts.entry(located.finding.rule_id.clone()).or_insert(0) += 1;
        if !POSITIONAL.contains(&located.finding.rule_id.as_str()) {
            fingerprints.push(located.finding.fingerprint.clone());
        }
    }
    fingerprints.sort();
    let mut not_evaluated: Vec<(String, String)> = report
        .not_evaluated
        .iter()
        .map(|n| (n.rule_id.clone(), n.reason.clone()))
        .collect();
    not_evaluated.sort();
    (counts, fingerprints, not_evaluated)
}

/// The demo snapshot, parsed as `check` parses it: findings that name a
/// string carry it and are located by its address (so the comparison
/// below is not of the scan with itself), at the span, line and column the
/// scan of the text gives.
#[test]
fn the_demo_locates_strings_by_address_as_the_scan_does() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/demo.snapshot.json"
    );
    let text = std::fs::read_to_string(path).expect("the demo snapshot");
    let snapshot =
        rcaudit_model::parse_bytes_for_the_process("demo.json", text.clone().into_bytes())
            .expect("the demo parses");
    let outcome = evaluate(&RULES, snapshot.root());
    let by_address = outcome
        .findings
        .iter()
        .filter(|f| {
            f.lent_value
                .is_some_and(|v| snapshot.source().span_of_lent(v).is_some())
        })
        .count();
    assert!(
        by_address > 0,
        "no finding of the demo is located by address"
    );
    let lending = Report::new("test", &snapshot, &RULES, outcome);
    let scanned = report(text);
    assert_eq!(places(&lending), places(&scanned));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn findings_do_not_depend_on_record_order(
        (snapshot, compact) in snapshot(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = snapshot.clone();
        for list in ["phoneNumbers", "extensions"] {
            if let Some(items) = shuffled[list].as_array_mut() {
                // A deterministic shuffle from the seed.
                let mut state = seed | 1;
                for i in (1..items.len()).rev() {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let j = usize::try_from(state % (i as u64 + 1)).expect("small");
                    items.swap(i, j);
                }
            }
        }
        let before = report(text(&snapshot, compact));
        let after = report(text(&shuffled, !compact));
        prop_assert_eq!(summary(&before), summary(&after));
        prop_assert!(before.rule_errors.is_empty(), "{:?}", before.rule_errors);
    }

    /// Findings located by the address of a string the tree borrowed from
    /// the text are where the scan of the text finds their pointers.
    #[test]
    fn lent_strings_are_located_as_pointers_are((snapshot, compact) in snapshot()) {
        let text = text(&snapshot, compact);
        let scanned = report(text.clone());
        let lending = report_lending(text);
        prop_assert_eq!(places(&scanned), places(&lending));
    }

    #[test]
    fn every_finding_points_at_its_value((snapshot, compact) in snapshot()) {
        let text = text(&snapshot, compact);
        let report = report_lending(text.clone());
        for located in &report.findings {
            let pointer = &located.finding.pointer;
            let value = snapshot.pointer(pointer);
            prop_assert!(value.is_some(), "{} resolves", pointer);
            let (offset, len) = located.span.expect("located");
            let slice = &text[offset..offset + len];
            let parsed: Value = serde_json::from_str(slice).expect("the span is one JSON value");
            prop_assert_eq!(Some(&parsed), value, "span of {}", pointer);
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
            prop_assert_eq!((located.line, located.column), (line, column), "position of {}", pointer);
        }
    }
}
