//! Bytes (as UTF-8) -> a YAML rule file -> `rcaudit_rules::load`, beside the
//! built-in `core` pack's parameters and facts; a file that loads is
//! evaluated against a small fixed snapshot, and its first case is run.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rcaudit_model::Node;
use rcaudit_rules::{LoadOptions, RuleFile, cases, evaluate_with};

const SNAPSHOT: &str = include_str!("../../tests/fixtures/small.snapshot.json");

fn snapshot() -> &'static Node {
    static ROOT: OnceLock<Node> = OnceLock::new();
    ROOT.get_or_init(|| rcaudit_model::parse(SNAPSHOT).expect("the fixture parses"))
}

fn pack() -> &'static RuleFile {
    static PACK: OnceLock<RuleFile> = OnceLock::new();
    PACK.get_or_init(|| {
        rcaudit_rules::builtin::files()
            .into_iter()
            .find(|f| f.name.ends_with("pack.yaml"))
            .expect("the core pack has a pack.yaml")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let files = [
        pack().clone(),
        RuleFile {
            name: "fuzz.yaml".to_owned(),
            text: text.to_owned(),
            pack: "core".to_owned(),
        },
    ];
    let rules = match rcaudit_rules::load(&files, &LoadOptions::default()) {
        Ok((rules, warnings)) => {
            for warning in &warnings {
                let _ = warning.to_string();
            }
            rules
        }
        Err(errors) => {
            for problem in &errors.problems {
                let _ = problem.to_string();
            }
            return;
        }
    };
    let outcome = evaluate_with(&rules, snapshot(), 1);
    for finding in &outcome.findings {
        assert!(
            finding.pointer.is_empty() || finding.pointer.starts_with('/'),
            "a finding's pointer is a JSON pointer: {:?}",
            finding.pointer
        );
    }
    // A rule's `cases:` (what `rcaudit test` runs): the first only, as
    // each case loads the files again.
    if text.contains("cases:")
        && let Ok(cases) = cases::rule_cases(&files)
        && let Some(case) = cases.first()
    {
        let _ = cases::run(case, &files);
    }
});
