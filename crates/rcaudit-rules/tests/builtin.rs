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
