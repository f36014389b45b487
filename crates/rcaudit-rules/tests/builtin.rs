//! The built-in rules load, and every case kept with them passes.

use rcaudit_rules::{LoadOptions, builtin, cases, load};

#[test]
fn builtin_rules_load_without_problems() {
    let files = builtin::files();
    assert!(!files.is_empty(), "rules/ is embedded");
    match load(&files, &LoadOptions::default()) {
        Ok((rules, warnings)) => {
            assert!(warnings.is_empty(), "{warnings:?}");
            assert!(rules.rule("RC-PN-001").is_some());
        }
        Err(errors) => panic!(
            "{:#?}",
            errors
                .problems
                .iter()
                .map(|p| (&p.message, p.src.name(), p.line()))
                .collect::<Vec<_>>()
        ),
    }
}

#[test]
fn builtin_rule_cases_pass() {
    let files = builtin::files();
    let cases = cases::rule_cases(&files).unwrap_or_else(|e| panic!("{e:?}"));
    assert!(
        cases.len() >= 8,
        "every rule has cases; found {}",
        cases.len()
    );
    let mut failures = Vec::new();
    let mut runner = cases::Runner::new(&files);
    for case in &cases {
        let result = runner.run(case);
        if !result.passed {
            failures.push(format!(
                "{} ({}):\n{}",
                result.name, result.location, result.diff
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The built-in catalogue (`docs/rules.md`): id, name, severity.
/// Ids are stable: a rule is never renamed or reused.
const CATALOGUE: &[(&str, &str, &str)] = &[
    ("RC-PN-001", "main-number-exactly-one", "error"),
    ("RC-PN-002", "additional-number-at-most-one", "error"),
    (
        "RC-PN-003",
        "additional-number-opposite-payment-type",
        "error",
    ),
    ("RC-PN-004", "additional-number-requires-main", "error"),
    ("RC-PN-005", "main-number-matches-account", "warning"),
    ("RC-PN-006", "fax-only-number-no-sms", "error"),
    ("RC-PN-007", "direct-number-mapped", "warning"),
    ("RC-PN-008", "phone-number-unique", "error"),
    ("RC-PN-009", "forwarded-number-external", "warning"),
    ("RC-PN-010", "phone-number-e164", "warning"),
    ("RC-PN-011", "company-fax-number-fax-capable", "warning"),
    ("RC-PN-012", "payment-type-matches-number", "warning"),
    ("RC-PN-013", "company-number-valid", "warning"),
    ("RC-PN-014", "phone-number-extension-exists", "warning"),
    ("RC-EX-001", "ubp-forbids-user-type", "error"),
    ("RC-EX-002", "non-ubp-forbids-ubp-user-types", "error"),
    ("RC-EX-003", "non-ubp-documented-types", "info"),
    ("RC-EX-004", "mixed-user-generations", "error"),
    ("RC-EX-005", "system-extension-present", "warning"),
    ("RC-EX-006", "extension-number-unique", "error"),
    ("RC-EX-007", "extension-id-unique", "error"),
    ("RC-EX-008", "extension-type-known", "warning"),
    ("RC-EX-009", "operator-extension-exists", "warning"),
    ("RC-FW-001", "forwarding-numbers-at-most-ten", "error"),
    ("RC-FW-002", "flip-number-unique", "error"),
    ("RC-FW-003", "forwarding-number-e164", "error"),
    ("RC-FW-004", "forwarding-number-duplicate", "warning"),
    ("RC-FW-005", "predefined-label-once", "warning"),
    ("RC-FW-006", "forwarding-features-known", "warning"),
    ("RC-FW-007", "forwarding-to-premium-rate", "error"),
    ("RC-FW-008", "forwarding-outside-account-regions", "warning"),
    ("RC-SN-001", "snapshot-complete", "warning"),
    ("RC-SN-002", "audit-token-least-privilege", "warning"),
    ("RC-SN-003", "snapshot-single-account", "error"),
    ("RC-SN-004", "audit-user-read-only", "warning"),
    ("RC-SN-005", "audit-user-can-read-everything", "warning"),
];

#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
fn builtin_rules() -> rcaudit_rules::RuleSet {
    load(&builtin::files(), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{e}"))
        .0
}

#[test]
fn builtin_rules_are_the_catalogue() {
    let rules = builtin_rules();
    let mut ids: Vec<&str> = rules.rules.iter().map(|r| r.id.as_str()).collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "ids are unique");
    let actual: Vec<(&str, &str, &str)> = rules
        .rules
        .iter()
        .map(|r| (r.id.as_str(), r.name.as_str(), r.severity.as_str()))
        .collect();
    let mut expected = CATALOGUE.to_vec();
    expected.sort_unstable();
    let mut actual_sorted = actual.clone();
    actual_sorted.sort_unstable();
    assert_eq!(actual_sorted, expected);
}

#[test]
fn every_builtin_rule_is_documented() {
    for rule in &builtin_rules().rules {
        let docs = &rule.docs;
        assert!(docs.description.len() > 40, "{}: what it checks", rule.id);
        assert!(
            docs.why.as_deref().is_some_and(|w| w.len() > 40),
            "{}: why it matters",
            rule.id
        );
        assert!(
            docs.fix.as_deref().is_some_and(|f| f.len() > 20),
            "{}: how to fix it",
            rule.id
        );
        assert!(
            docs.references.iter().any(|r| r.starts_with("https://")),
            "{}: a reference",
            rule.id
        );
        assert!(
            rule.name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}: kebab-case name",
            rule.id
        );
    }
}

#[test]
fn every_builtin_rule_has_failing_and_passing_cases() {
    let files = builtin::files();
    let cases = cases::rule_cases(&files).unwrap_or_else(|e| panic!("{e:?}"));
    for (id, _, _) in CATALOGUE {
        let mine: Vec<_> = cases
            .iter()
            .filter(|c| c.rule.as_deref() == Some(*id))
            .collect();
        let failing = mine
            .iter()
            .any(|c| c.expect.findings.as_ref().is_some_and(|f| !f.is_empty()));
        let passing = mine.iter().any(|c| {
            c.expect.findings.as_ref().is_some_and(Vec::is_empty)
                && c.expect.not_evaluated.as_ref().is_some_and(Vec::is_empty)
        });
        assert!(failing, "{id} has a case with findings");
        assert!(passing, "{id} has a case without findings (and evaluated)");
    }
}

/// The built-in rules nest far less than the loader allows
/// (`expr::MAX_DEPTH`), so the limit never gets in their way.
#[test]
fn builtin_expressions_nest_well_within_the_limit() {
    let files = builtin::files();
    let (rules, _) = rcaudit_rules::load(&files, &rcaudit_rules::LoadOptions::default())
        .expect("the built-in rules load");
    let mut deepest = 0;
    for rule in &rules.rules {
        let exprs = rule
            .when
            .iter()
            .chain(std::iter::once(&rule.assert))
            .chain(rule.key.iter())
            .chain(rule.fingerprint.iter())
            .chain(rule.message.expressions().map(|(e, _)| e));
        for e in exprs {
            deepest = deepest.max(e.depth());
        }
    }
    for fact in &rules.facts {
        deepest = deepest.max(fact.expr.depth());
    }
    assert!(
        deepest * 4 <= rcaudit_rules::MAX_DEPTH,
        "the built-in rules nest {deepest} levels"
    );
}
