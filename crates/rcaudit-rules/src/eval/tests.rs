//! Evaluation end to end: depth and cost limits at load, step budgets,
//! panics contained.

use std::sync::Arc;

use cel::ExecutionError;
use cel::common::types;
use cel::common::value::CowVal;

use super::{Limits, evaluate_with};
use crate::load::{LoadOptions, RuleFile, load};
use crate::rule::RuleSet;

fn load_with(text: &str, options: &LoadOptions) -> Result<RuleSet, Vec<String>> {
    let files = [RuleFile {
        name: "test.yaml".to_owned(),
        text: text.to_owned(),
        pack: "test".to_owned(),
    }];
    load(&files, options).map(|(rules, _)| rules).map_err(|e| {
        e.problems
            .iter()
            .map(|p| format!("{} {} (line {})", p.code, p.message, p.line()))
            .collect()
    })
}

fn rule_set(text: &str) -> RuleSet {
    load_with(text, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e:?}"))
}

fn one_rule(assert: &str) -> String {
    format!(
        "rules:\n  - id: T-1\n    severity: error\n    title: t\n    target: extensions\n    message: m\n    assert: '{assert}'\n"
    )
}

/// A 1,200-term sum overflowed the stack (SIGABRT) when evaluated: it is
/// a load error pointing at the expression, for rules, facts and
/// message templates alike.
#[test]
fn deep_expressions_are_load_errors() {
    let sum = vec!["1"; 1200].join("+");
    let errors =
        load_with(&one_rule(&format!("{sum} > 0")), &LoadOptions::default()).expect_err("too deep");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("rcaudit::rules::too-deep") && e.ends_with("(line 7)")),
        "{errors:?}"
    );
    let text = format!(
        "facts:\n  deep: '{sum}'\nrules:\n  - {{id: T-1, severity: error, title: t, target: account, assert: 'true', message: '{{{{ {sum} }}}}'}}\n"
    );
    let errors = load_with(&text, &LoadOptions::default()).expect_err("too deep");
    assert_eq!(
        errors
            .iter()
            .filter(|e| e.starts_with("rcaudit::rules::too-deep"))
            .count(),
        2,
        "{errors:?}"
    );
    // Far beyond what the parser could take: refused before parsing.
    let huge = vec!["1"; 50_000].join("+");
    let errors = load_with(&one_rule(&format!("{huge} > 0")), &LoadOptions::default())
        .expect_err("too many operators");
    assert!(errors.iter().any(|e| e.contains("operators")), "{errors:?}");
    // Just under the limit loads and evaluates.
    let fine = vec!["1"; expr_depth_fits()].join("+");
    let rules = rule_set(&one_rule(&format!("{fine} > 0")));
    let root = rcaudit_model::parse(r#"{"extensions": [{"id": 1}]}"#).expect("json");
    let outcome = evaluate_with(&rules, &root, 1);
    assert!(
        outcome.rule_errors.is_empty() && outcome.findings.is_empty(),
        "{outcome:?}"
    );
}

/// The longest `1+1+...` chain that fits [`crate::expr::MAX_DEPTH`].
fn expr_depth_fits() -> usize {
    crate::expr::MAX_DEPTH - 2
}

/// Nested comprehensions over literal lists ran past 60 s and 3 GB:
/// their cost is estimated at load time.
#[test]
fn costly_literal_comprehensions_are_load_errors() {
    let list = (1..=100)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let assert = format!("[{list}].map(a, [{list}].map(b, [{list}].map(c, a + b + c))).size() > 0");
    let errors = load_with(&one_rule(&assert), &LoadOptions::default()).expect_err("costly");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("rcaudit::rules::too-costly")),
        "{errors:?}"
    );
    // Two levels of 100 are fine.
    let assert = format!("[{list}].map(a, [{list}].map(b, a + b)).size() > 0");
    rule_set(&one_rule(&assert));
}

/// Comprehensions over snapshot data are bounded at run time: a rule
/// that runs out of steps is a rule error on that item, and the other
/// items and rules go on.
#[test]
fn evaluation_has_a_step_budget() {
    let text = format!(
        "{}  - {{id: T-2, severity: error, title: t, target: extensions, assert: 'false', message: m}}\n",
        one_rule(
            "item.phoneNumbers.map(a, item.phoneNumbers.map(b, item.phoneNumbers.map(c, a + b + c))).size() == 0 || item.phoneNumbers.exists(x, true)"
        )
    );
    let options = LoadOptions {
        limits: Limits {
            steps: 10_000,
            ..Limits::default()
        },
        ..LoadOptions::default()
    };
    let rules = load_with(&text, &options).unwrap_or_else(|e| panic!("{e:?}"));
    let big: Vec<usize> = (0..30).collect();
    let root = rcaudit_model::parse(&format!(
        r#"{{"extensions": [{{"id": 1, "phoneNumbers": [1]}}, {{"id": 2, "phoneNumbers": {big:?}}}, {{"id": 3, "phoneNumbers": []}}]}}"#
    ))
    .expect("json");
    let outcome = evaluate_with(&rules, &root, 2);
    assert_eq!(outcome.rule_errors.len(), 1, "{:?}", outcome.rule_errors);
    let error = outcome.rule_errors.first().expect("one");
    assert_eq!(error.rule_id, "T-1");
    assert_eq!(error.pointer.as_deref(), Some("/extensions/1"));
    assert!(error.message.contains("10000 steps"), "{}", error.message);
    assert_eq!(
        outcome
            .findings
            .iter()
            .filter(|f| f.rule_id == "T-2")
            .count(),
        3
    );
}

/// A rule's steps over all its items are bounded too: once spent, the
/// rule stops, and one rule error counts the items left unchecked.
#[test]
fn a_rule_has_a_step_budget_over_its_items() {
    let options = LoadOptions {
        limits: Limits {
            steps: 1_000,
            rule_steps: 2_500,
        },
        ..LoadOptions::default()
    };
    let rules = load_with(
        &one_rule("item.phoneNumbers.map(a, item.phoneNumbers.map(b, a + b)).size() < 0"),
        &options,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    // Each extension takes 30 + 30 * 30 = 930 steps: the rule has spent
    // 2,790 after three, and stops before the fourth.
    let big: Vec<usize> = (0..30).collect();
    let extensions: Vec<String> = (0..10)
        .map(|i| format!(r#"{{"id": {i}, "phoneNumbers": {big:?}}}"#))
        .collect();
    let root = rcaudit_model::parse(&format!(r#"{{"extensions": [{}]}}"#, extensions.join(", ")))
        .expect("json");
    let outcome = evaluate_with(&rules, &root, 1);
    assert_eq!(outcome.findings.len(), 3, "{:?}", outcome.findings);
    assert_eq!(outcome.rule_errors.len(), 1, "{:?}", outcome.rule_errors);
    let error = outcome.rule_errors.first().expect("one");
    assert_eq!(error.pointer.as_deref(), Some("/extensions/3"));
    assert_eq!(error.count, 7);
    assert!(error.message.contains("2500 steps"), "{}", error.message);
}

/// A panic inside `cel` (or a domain function) while one rule runs is a
/// rule error of that rule; the rules the same thread takes after it,
/// and the other threads' rules, still report.
#[test]
fn a_panicking_rule_is_a_rule_error_not_a_missing_result() {
    let mut rules = rule_set(
        r#"
rules:
  - {id: T-BOOM, severity: error, title: t, target: extensions,
 assert: '[item.extensionNumber].exists(n, normalize(n) == "x")', message: m}
  - {id: T-A, severity: error, title: t, target: extensions, assert: 'false', message: a}
  - {id: T-B, severity: error, title: t, target: extensions, assert: 'false', message: b}
  - {id: T-C, severity: error, title: t, target: extensions, assert: 'false', message: c}
"#,
    );
    // The same functions, but `normalize` panics. (A plan calls the
    // implementation it found at load time; a comprehension has no plan, so
    // this call goes through the environment.)
    let mut env = cel::Env::stdlib();
    env.add_overload(
        "normalize",
        "normalize_1",
        vec![types::DYN_TYPE],
        |_| -> Result<CowVal<'_, '_>, ExecutionError> { panic!("provoked") },
    )
    .expect("declared");
    rules.env = Arc::new(env);
    let root = rcaudit_model::parse(
        r#"{"extensions": [{"id": 1, "extensionNumber": "101"}, {"id": 2, "extensionNumber": "102"}]}"#,
    )
    .expect("json");
    for threads in [1, 2, 4] {
        let outcome = evaluate_with(&rules, &root, threads);
        let errors: Vec<(&str, &str)> = outcome
            .rule_errors
            .iter()
            .map(|e| (e.rule_id.as_str(), e.message.as_str()))
            .collect();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors.first().map(|e| e.0), Some("T-BOOM"));
        assert!(
            errors.first().is_some_and(|e| e.1.contains("provoked")),
            "{errors:?}"
        );
        let mut found: Vec<&str> = outcome
            .findings
            .iter()
            .map(|f| f.rule_id.as_str())
            .collect();
        found.dedup();
        assert_eq!(found, ["T-A", "T-B", "T-C"], "threads: {threads}");
    }
}

/// A snapshot of 300 extensions (several blocks of items), with repeated
/// numbers, ids and labels, `User` and `DigitalUser` types, and forwarding
/// numbers that are not E.164.
fn many_blocks() -> rcaudit_model::Node {
    extensions(300)
}

/// A snapshot of `count` extensions, as [`many_blocks`].
fn extensions(count: usize) -> rcaudit_model::Node {
    let extensions: Vec<serde_json::Value> = (0..count)
        .map(|i| {
            let forwarding: Vec<serde_json::Value> = (0..(i % 4))
                .map(|f| {
                    serde_json::json!({
                        "id": format!("{i}-{f}"),
                        "phoneNumber": if f == 2 { "12".to_owned() } else { format!("+1650555{:04}", i % 50) },
                        "label": if f % 2 == 0 { "Home" } else { "Mobile" },
                        "features": ["CallForwarding"],
                    })
                })
                .collect();
            serde_json::json!({
                "id": 1000 + i % 290,
                "extensionNumber": format!("{}", 100 + i % 280),
                "type": if i % 7 == 0 { "User" } else { "DigitalUser" },
                "status": "Enabled",
                "forwardingNumbers": forwarding,
                "phoneNumbers": [],
            })
        })
        .collect();
    let snapshot = serde_json::json!({
        "snapshotVersion": 1,
        "source": {"viewer": {"admin": true, "accountId": "7"}},
        "account": {"id": 7, "mainNumber": "+16505550100",
                    "serviceInfo": {"servicePlan": {"name": "RingEX Advanced"}}},
        "extensions": extensions,
        "phoneNumbers": [],
        "errors": [],
    });
    rcaudit_model::value::from_json(&snapshot)
}

/// Rules over the same target walk it together, a block of items at a
/// time ([`super::schedule`]); across many blocks, each rule gives exactly
/// what it gives alone, whatever the thread count.
#[test]
fn fused_rules_give_what_each_gives_alone() {
    let (rules, _) = load(&crate::builtin::files(), &LoadOptions::default()).expect("built-in");
    let root = many_blocks();
    // Every item is checked once, by every rule of a fused unit.
    let every = rule_set(
        "rules:\n\
         - {id: T-A, severity: error, title: t, target: extensions, assert: 'false', message: a}\n\
         - {id: T-B, severity: error, title: t, target: extensions, assert: 'index < 0', message: b}\n\
         - {id: T-C, severity: error, title: t, target: forwardingNumbers, assert: 'false', message: c}\n\
         - {id: T-D, severity: error, title: t, target: forwardingNumbers, assert: 'false', message: d}\n",
    );
    let forwarding: usize = (0..300).map(|i| i % 4).sum();
    for threads in [1, 2, 3] {
        let outcome = evaluate_with(&every, &root, threads);
        for (id, items) in [
            ("T-A", 300),
            ("T-B", 300),
            ("T-C", forwarding),
            ("T-D", forwarding),
        ] {
            let pointers: std::collections::BTreeSet<&str> = outcome
                .findings
                .iter()
                .filter(|f| f.rule_id == id)
                .map(|f| f.item_pointer.as_str())
                .collect();
            assert_eq!(pointers.len(), items, "{id}, threads: {threads}");
        }
    }
    let all = evaluate_with(&rules, &root, 2);
    assert!(all.findings.len() > 100, "{} findings", all.findings.len());
    for threads in [1, 3] {
        let again = evaluate_with(&rules, &root, threads);
        assert_eq!(again.findings, all.findings, "threads: {threads}");
        assert_eq!(again.rule_errors, all.rule_errors, "threads: {threads}");
    }
    for rule in &rules.rules {
        let mut alone = rules.clone();
        for other in &mut alone.rules {
            other.enabled = other.id == rule.id;
        }
        let outcome = evaluate_with(&alone, &root, 1);
        let in_pack = only(&all, &rule.id);
        assert_eq!(outcome.findings, in_pack.findings, "{}", rule.id);
        assert_eq!(outcome.rule_errors, in_pack.rule_errors, "{}", rule.id);
        assert_eq!(outcome.not_evaluated, in_pack.not_evaluated, "{}", rule.id);
    }
}

/// A thread that runs out of units takes half the rules of one still
/// walking, from where it is: every rule still sees each of its items once,
/// in order, and the outcome is the one thread's.
#[test]
fn a_waiting_thread_takes_rules_from_a_walking_unit() {
    // One unit (four rules over the same two targets), so the other
    // threads wait from the start.
    let rules = rule_set(
        "rules:\n\
         - {id: T-A, severity: error, title: t, target: [extensions, forwardingNumbers], assert: 'false', message: a}\n\
         - {id: T-B, severity: error, title: t, target: [extensions, forwardingNumbers], assert: 'index % 3 != 0', message: b}\n\
         - {id: T-C, severity: error, title: t, target: [extensions, forwardingNumbers], assert: 'index % 5 != 1', message: c}\n\
         - {id: T-D, severity: warning, title: t, target: [extensions, forwardingNumbers], assert: 'false', message: d}\n",
    );
    let root = extensions(3000);
    let alone = evaluate_with(&rules, &root, 1);
    let before = super::schedule::SHARED.load(std::sync::atomic::Ordering::Relaxed);
    for threads in [2, 4] {
        let outcome = evaluate_with(&rules, &root, threads);
        assert_eq!(outcome.findings, alone.findings, "threads: {threads}");
        assert_eq!(outcome.rule_errors, alone.rule_errors, "threads: {threads}");
        assert_eq!(outcome.rules_run, 4, "threads: {threads}");
    }
    let forwarding: usize = (0..3000).map(|i| i % 4).sum();
    assert_eq!(only(&alone, "T-A").findings.len(), 3000 + forwarding);
    assert!(
        super::schedule::SHARED.load(std::sync::atomic::Ordering::Relaxed) > before,
        "no unit was shared"
    );
}

/// What `outcome` says about the rule `id`.
fn only(outcome: &super::Outcome, id: &str) -> super::Outcome {
    super::Outcome {
        findings: outcome
            .findings
            .iter()
            .filter(|f| f.rule_id == id)
            .cloned()
            .collect(),
        rule_errors: outcome
            .rule_errors
            .iter()
            .filter(|e| e.rule_id == id)
            .cloned()
            .collect(),
        not_evaluated: outcome
            .not_evaluated
            .iter()
            .filter(|n| n.rule_id == id)
            .cloned()
            .collect(),
        ..super::Outcome::default()
    }
}

/// Work that asks for the evaluation stack while already on it (loading
/// the rules parses each file's YAML) runs where it is, not on a thread of
/// its own (a thread with that stack costs about 0.3 ms to start and end
/// on the project's VM: 12 ms of a 38 ms run over the demo), and a panic
/// in it is still caught.
#[test]
fn the_evaluation_stack_is_not_started_twice() {
    let outer = super::on_eval_stack(|| {
        let here = std::thread::current().id();
        let inner = super::on_eval_stack(|| std::thread::current().id());
        let panicked = super::on_eval_stack(|| -> u8 { panic!("a bug in a rule function") });
        (here, inner, panicked)
    });
    let (here, inner, panicked) = outer.expect("the outer work ran");
    assert_ne!(
        here,
        std::thread::current().id(),
        "the outer work has its own thread"
    );
    assert_eq!(inner, Some(here));
    assert_eq!(panicked, None);
}

/// What a rule reads of each item, for warming it: the fields of its field
/// paths on `item`, in any part; nothing narrower when a part reads `item`
/// whole.
#[test]
fn item_fields_are_the_fields_read_of_item() {
    let rule = |when: &str, assert: &str, message: &str| {
        let text = format!(
            "rules:\n  - id: T-1\n    severity: error\n    title: t\n    target: extensions\n    when: '{when}'\n    assert: '{assert}'\n    message: '{message}'\n"
        );
        rule_set(&text)
    };
    for (when, assert, message, want) in [
        (
            "has(item.uri)",
            "item.type == \"User\" && item.contact.email != \"\"",
            "{{ item.uri }}",
            Some(vec!["uri", "type", "contact"]),
        ),
        (
            "true",
            "account.id == 1 && size(extensions) > 0",
            "m",
            Some(vec![]),
        ),
        ("has(item.uri)", "item.type == \"User\"", "{{ item }}", None),
        (
            "true",
            "item.phoneNumbers.exists(p, p.usageType == \"DirectNumber\")",
            "m",
            Some(vec!["phoneNumbers"]),
        ),
        ("true", "item.exists(k, k == \"uri\")", "m", None),
        ("true", "item[\"type\"] == \"User\"", "m", None),
        ("true", "size(item) > 1", "m", None),
    ] {
        let rules = rule(when, assert, message);
        let got = rules.rules.first().and_then(crate::rule::Rule::item_fields);
        assert_eq!(got, want, "{when} / {assert} / {message}");
    }
}
