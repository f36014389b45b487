//! Bytes (as UTF-8) -> a `{{ }}` message template: compiled directly, and,
//! when it compiles, as the message of a rule that fires on every extension
//! of a small fixed snapshot, so every hole is rendered.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rcaudit_model::Node;
use rcaudit_rules::{LoadOptions, RuleFile, environment, evaluate_with, template};

const SNAPSHOT: &str = include_str!("../../tests/fixtures/small.snapshot.json");

fn snapshot() -> &'static Node {
    static ROOT: OnceLock<Node> = OnceLock::new();
    ROOT.get_or_init(|| rcaudit_model::parse(SNAPSHOT).expect("the fixture parses"))
}

fn env() -> &'static cel::Env {
    static ENV: OnceLock<cel::Env> = OnceLock::new();
    ENV.get_or_init(|| environment().expect("the CEL environment builds"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let compiled = template::compile(env(), source);
    let Ok(compiled) = compiled else {
        return;
    };
    let _ = compiled.expressions().count();
    // As a rule's message: a JSON string is a YAML double-quoted scalar.
    let Ok(message) = serde_json::to_string(source) else {
        return;
    };
    let text = format!(
        "rules:\n  - id: FZ-TP-001\n    severity: warning\n    title: every extension\n    \
         target: extensions\n    assert: \"false\"\n    message: {message}\n"
    );
    let files = [RuleFile {
        name: "template.yaml".to_owned(),
        text,
        pack: "fuzz".to_owned(),
    }];
    if let Ok((rules, _)) = rcaudit_rules::load(&files, &LoadOptions::default()) {
        let outcome = evaluate_with(&rules, snapshot(), 1);
        let _ = outcome.findings.len();
    }
});
