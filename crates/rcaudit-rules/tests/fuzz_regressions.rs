//! Inputs the fuzzers and the property tests found (RELIABILITY.md,
//! "Fuzzing campaign"), kept as tests; the inputs are in tests/fixtures/fuzz/.

use rcaudit_rules::{LoadOptions, builtin, evaluate_with, load};

/// `engine_properties::builtin_pack_survives_random_snapshots`: when the
/// fact `accountId` fails (`account` is not an object), its error is
/// reported against every enabled rule that reads it, including RC-SN-003,
/// which is also "not evaluated" (its requirement `account.id` is unmet):
/// one rule, two verdicts.
#[test]
fn a_rule_is_not_both_unevaluated_and_stopped_by_a_fact() {
    let (rules, _) = load(&builtin::files(), &LoadOptions::default()).expect("built-in rules");
    let root = rcaudit_model::parse(include_str!(
        "../../../tests/fixtures/fuzz/engine-account-not-an-object.json"
    ))
    .expect("JSON");
    let outcome = evaluate_with(&rules, &root, 1);
    let both: Vec<&str> = outcome
        .not_evaluated
        .iter()
        .filter(|n| n.skipped.is_none())
        .filter(|n| {
            outcome
                .rule_errors
                .iter()
                .any(|e| e.rule_id == n.rule_id && e.part.starts_with("fact "))
        })
        .map(|n| n.rule_id.as_str())
        .collect();
    assert!(both.is_empty(), "{both:?}: {outcome:#?}");
}
