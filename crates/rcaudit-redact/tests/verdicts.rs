//! Redaction keeps every verdict and removes what it says it removes.
//!
//! Verdicts: the built-in rules give the same findings (rule, pointer,
//! severity), the same not-evaluated entries (rule, requirement, items
//! skipped) and the same rule errors (rule, part, count) on a redacted
//! snapshot as on the original. Checked on the snapshot of every case of
//! every built-in rule and of `tests/cases/` (between them they plant a
//! finding of every rule, and its edges), on the demo, and on accounts
//! from the sandbox's generator (an administrator's and a plain user's
//! view) for random seeds and sizes.
//!
//! Removal: no string the table redacts, and no phone number or its
//! subscriber digits, appears anywhere in the redacted text (its bytes,
//! not its fields).

#![expect(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::path::Path;

use proptest::prelude::*;
use rcaudit_redact::{Json, Key, Kind, Table, redact};
use rcaudit_rules::cases::{Case, file_cases, rule_cases};
use rcaudit_rules::{LoadOptions, RuleFile, RuleSet, builtin, evaluate, load};

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

fn rules() -> RuleSet {
    load(&builtin::files(), &LoadOptions::default())
        .expect("the built-in rules load")
        .0
}

/// What a check concludes, without the words (messages quote the data).
#[derive(Debug, PartialEq, Eq)]
struct Verdict {
    findings: Vec<(String, String, String)>,
    not_evaluated: Vec<(String, String, Option<usize>)>,
    rule_errors: Vec<(String, String, usize)>,
}

fn verdict(rules: &RuleSet, text: &str) -> Option<Verdict> {
    let snapshot = rcaudit_model::load_str("s.json", text.to_owned()).ok()?;
    let outcome = evaluate(rules, snapshot.root());
    let mut findings: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| (f.rule_id.clone(), f.pointer.clone(), f.severity.to_string()))
        .collect();
    findings.sort();
    Some(Verdict {
        findings,
        not_evaluated: outcome
            .not_evaluated
            .iter()
            .map(|n| (n.rule_id.clone(), n.requirement.clone(), n.skipped))
            .collect(),
        rule_errors: outcome
            .rule_errors
            .iter()
            .map(|e| (e.rule_id.clone(), e.part.clone(), e.count))
            .collect(),
    })
}

fn redacted(text: &str, key: &[u8]) -> String {
    let mut doc: Json = serde_json::from_str(text).expect("JSON");
    redact(&mut doc, &Key::new(key), &Table::default(), "rcaudit test");
    serde_json::to_string_pretty(&doc).expect("written")
}

/// Asserts the verdicts agree; returns whether the snapshot loaded.
fn same_verdict(rules: &RuleSet, what: &str, text: &str) -> bool {
    let Some(before) = verdict(rules, text) else {
        return false;
    };
    let after_text = redacted(text, b"the verdicts test key");
    let after = verdict(rules, &after_text)
        .unwrap_or_else(|| panic!("{what}: the redacted snapshot does not load:\n{after_text}"));
    assert_eq!(before, after, "{what}: the verdict changed\n{after_text}");
    true
}

fn cases() -> Vec<Case> {
    let mut cases = rule_cases(&builtin::files()).expect("the built-in cases read");
    let dir = repo("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for path in files {
        let file = RuleFile {
            name: path.display().to_string(),
            pack: "cases".to_owned(),
            text: std::fs::read_to_string(&path).expect("a case file"),
        };
        cases.extend(file_cases(&file).expect("the case file reads"));
    }
    cases
}

#[test]
fn every_rule_case_gives_the_same_verdict_redacted() {
    let rules = rules();
    let cases = cases();
    let mut compared = 0;
    for case in &cases {
        let text = serde_json::to_string_pretty(&case.snapshot).expect("JSON");
        if same_verdict(&rules, &case.name, &text) {
            compared += 1;
        }
    }
    // Almost every case's snapshot is a valid one (a few test the schema).
    assert!(
        compared * 10 >= cases.len() * 9,
        "{compared} of {}",
        cases.len()
    );
    assert!(compared > 200, "{compared}");
}

#[test]
fn the_demo_gives_the_same_verdict_redacted() {
    let text = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("the demo");
    assert!(same_verdict(&rules(), "demo", &text));
}

fn generated(extensions: usize, seed: u64, admin: bool) -> String {
    let config = rcaudit_sandbox::Config {
        source: rcaudit_sandbox::Source::Generate { extensions, seed },
        viewer_admin: Some(admin),
        ..rcaudit_sandbox::Config::default()
    };
    let account = config.account().expect("a generated account");
    rcaudit_sandbox::server::expected_snapshot_text(&account)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn generated_accounts_give_the_same_verdict_redacted(
        extensions in 5usize..150,
        seed in any::<u64>(),
        admin in any::<bool>(),
    ) {
        let text = generated(extensions, seed, admin);
        prop_assert!(same_verdict(&rules(), "generated", &text));
    }
}

/// Every string of a document with its path.
fn strings<'a>(
    value: &'a serde_json::Value,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, &'a str)>,
) {
    match value {
        serde_json::Value::String(s) => out.push((path.clone(), s)),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                strings(item, path, out);
                path.pop();
            }
        }
        serde_json::Value::Object(members) => {
            for (name, member) in members {
                path.push(name.clone());
                strings(member, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// No redacted value, phone number or subscriber digits survive.
fn nothing_personal_survives(text: &str) {
    let original: serde_json::Value = serde_json::from_str(text).expect("JSON");
    let out = redacted(text, b"the removal test key");
    let table = Table::default();
    let mut all = Vec::new();
    strings(&original, &mut Vec::new(), &mut all);
    // The digits of every phone field of the redacted text.
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let mut redacted_strings = Vec::new();
    strings(&doc, &mut Vec::new(), &mut redacted_strings);
    let redacted_numbers: Vec<String> = redacted_strings
        .iter()
        .filter(|(p, _)| {
            let s: Vec<&str> = p.iter().map(String::as_str).collect();
            table.kind(&s) == Some(Kind::Phone)
        })
        .map(|(_, v)| v.chars().filter(char::is_ascii_digit).collect())
        .collect();
    let mut checked = 0;
    for (path, value) in all {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        let kind = table.kind(&segments).unwrap_or(Kind::Text);
        let shown = serde_json::to_string(value).expect("JSON");
        let shown = shown.trim_matches('"');
        match kind {
            Kind::Keep => {}
            Kind::Label if rcaudit_redact::PLAIN_LABELS.contains(&value) => {}
            Kind::Phone => {
                let digits: String = value.chars().filter(char::is_ascii_digit).collect();
                if digits.len() >= 8 {
                    assert!(
                        !out.contains(shown),
                        "{shown} ({}) survives",
                        path.join("/")
                    );
                    assert!(
                        !out.contains(&digits),
                        "{digits} ({}) survives",
                        path.join("/")
                    );
                    let kept = rcaudit_redact_kept(&digits);
                    let subscriber = digits.get(kept..).unwrap_or_default();
                    for d in &redacted_numbers {
                        assert!(
                            !d.ends_with(subscriber),
                            "the subscriber digits {subscriber} of {value} survive in {d}"
                        );
                    }
                    checked += 1;
                }
            }
            // Words: four letters or more. (A short run of digits, a zip
            // code, turns up inside ids and numbers by chance.)
            _ if value
                .chars()
                .filter(|c| !c.is_ascii_digit() && c.is_alphanumeric())
                .count()
                >= 4 =>
            {
                assert!(
                    !out.contains(shown),
                    "{shown} ({}) survives",
                    path.join("/")
                );
                checked += 1;
            }
            _ => {}
        }
    }
    assert!(checked > 20, "only {checked} values checked");
}

/// The digits a number keeps, as the crate decides (its rule: the
/// calling code and area; at least four replaced).
fn rcaudit_redact_kept(digits: &str) -> usize {
    // A redacted number keeps exactly its prefix: the length of the common
    // prefix of a number and its pseudonym under two keys is at least it.
    let one = rcaudit_redact_phone(digits, b"key one for the prefix");
    let two = rcaudit_redact_phone(digits, b"key two for the prefix");
    one.chars()
        .zip(two.chars())
        .zip(digits.chars())
        .take_while(|((a, b), c)| a == c && b == c)
        .count()
}

fn rcaudit_redact_phone(digits: &str, key: &[u8]) -> String {
    let text = format!(r#"{{"phoneNumbers": [{{"phoneNumber": "{digits}"}}]}}"#);
    let out = redacted(&text, key);
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    doc.pointer("/phoneNumbers/0/phoneNumber")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn nothing_personal_survives_in_the_demo() {
    nothing_personal_survives(
        &std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("the demo"),
    );
}

#[test]
fn nothing_personal_survives_in_a_generated_account() {
    nothing_personal_survives(&generated(60, 7, true));
}

#[test]
fn the_same_key_gives_the_same_snapshot_and_another_key_another() {
    let text = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("the demo");
    assert_eq!(
        redacted(&text, b"one key, sixteen+"),
        redacted(&text, b"one key, sixteen+")
    );
    assert_ne!(
        redacted(&text, b"one key, sixteen+"),
        redacted(&text, b"another key, 16+")
    );
}
