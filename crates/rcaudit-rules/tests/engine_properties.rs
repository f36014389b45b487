//! The engine on hostile data (issue 8, section 7).
//!
//! - Random snapshots (numbers where strings are expected, nulls, lists that
//!   are missing, null or not lists, huge integers, deep-ish nesting,
//!   records that are not objects) evaluated with the built-in pack: no
//!   panic, no rule error that reports an internal failure, and every
//!   enabled rule is accounted for exactly once: not evaluated as a whole,
//!   stopped by a failed fact, or run (`rules_run`). The outcome does not
//!   depend on the thread count.
//! - Random small rule sets (CEL over snapshot fields from a small grammar,
//!   with the operators and functions that have edge cases: division,
//!   overflow, string indexes, conversions) never panic `load` or
//!   `evaluate`.

#![expect(
    clippy::panic,
    reason = "test support code outside #[test] functions: failing is panicking"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::LazyLock;

use proptest::prelude::*;
use rcaudit_model::Node;
use rcaudit_rules::{LoadOptions, Outcome, RuleFile, RuleSet, builtin, evaluate_with};
use serde_json::{Value, json};

static BUILTIN: LazyLock<RuleSet> = LazyLock::new(|| {
    let (rules, _) = rcaudit_rules::load(&builtin::files(), &LoadOptions::default())
        .unwrap_or_else(|e| panic!("built-in rules load: {e}"));
    rules
});

// ----------------------------------------------------------------------------
// Snapshots

/// Any scalar, with the edge cases of each JSON type.
fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e300)),
        Just(json!(-0.0)),
        Just(json!(0.5)),
        "[0-9+ -]{0,14}".prop_map(Value::from),
        Just(json!("")),
        any::<String>().prop_map(Value::from),
    ]
}

/// Any value: scalars, small lists and objects, nesting up to 40 levels.
fn anything() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => scalar(),
        1 => (1usize..40, scalar()).prop_map(|(depth, leaf)| {
            (0..depth).fold(leaf, |v, i| if i % 2 == 0 { json!([v]) } else { json!({"x": v}) })
        }),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::from),
        1 => Just(json!({})),
    ]
}

/// A field: absent (`None`), or a typical value, or anything.
fn field(typical: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        3 => typical.prop_map(Some),
        2 => anything().prop_map(Some),
    ]
}

fn one_of(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop::sample::select(words).prop_map(Value::from)
}

fn number_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("+16505550100")),
        Just(json!("18555440014")),
        Just(json!("16505550100")),
        "\\+?1[0-9]{10}".prop_map(Value::from),
    ]
}

fn id() -> impl Strategy<Value = Value> {
    prop_oneof![
        (1i64..5).prop_map(Value::from),
        (1i64..5).prop_map(|i| Value::from(i.to_string())),
        Just(json!(u64::MAX)),
    ]
}

/// An object from optional members.
fn object(members: Vec<(&'static str, Option<Value>)>) -> Value {
    Value::Object(
        members
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

fn phone_number() -> impl Strategy<Value = Value> {
    (
        field(id()),
        field(number_text()),
        field(one_of(&[
            "MainCompanyNumber",
            "AdditionalCompanyNumber",
            "CompanyNumber",
            "DirectNumber",
            "CompanyFaxNumber",
            "ForwardedNumber",
        ])),
        field(one_of(&["Local", "TollFree"])),
        field(one_of(&["VoiceFax", "VoiceOnly", "FaxOnly"])),
        field(id().prop_map(|id| json!({"id": id, "extensionNumber": "101"}))),
        field(Just(json!(["CallerId", "SmsSender"]))),
    )
        .prop_map(|(id, number, usage, payment, kind, extension, features)| {
            object(vec![
                ("id", id),
                ("phoneNumber", number),
                ("usageType", usage),
                ("paymentType", payment),
                ("type", kind),
                ("extension", extension),
                ("features", features),
            ])
        })
}

fn forwarding_number() -> impl Strategy<Value = Value> {
    (
        field(id()),
        field(number_text()),
        field(one_of(&["Home", "Mobile", "Work", ""])),
        field(Just(json!(["CallFlip", "CallForwarding"]))),
        field(one_of(&["1", "2", "10"])),
    )
        .prop_map(|(id, number, label, features, flip)| {
            object(vec![
                ("id", id),
                ("phoneNumber", number),
                ("label", label),
                ("features", features),
                ("flipNumber", flip),
            ])
        })
}

/// A list: absent, null, not a list, or records (some not objects).
fn list(record: impl Strategy<Value = Value> + 'static) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        1 => scalar().prop_map(Some),
        6 => prop::collection::vec(prop_oneof![6 => record, 1 => anything()], 0..5)
            .prop_map(|v| Some(Value::from(v))),
    ]
}

fn extension() -> impl Strategy<Value = Value> {
    (
        field(id()),
        field(prop_oneof![
            one_of(&["101", "102", ""]),
            (100i64..103).prop_map(Value::from)
        ]),
        field(one_of(&[
            "User",
            "DigitalUser",
            "Department",
            "IvrMenu",
            "Unknown",
            "NewType",
        ])),
        field(one_of(&["Enabled", "Disabled", "NotActivated"])),
        list(forwarding_number()),
        list(phone_number()),
    )
        .prop_map(|(id, number, kind, status, forwarding, phones)| {
            object(vec![
                ("id", id),
                ("extensionNumber", number),
                ("type", kind),
                ("status", status),
                ("forwardingNumbers", forwarding),
                ("phoneNumbers", phones),
            ])
        })
}

fn account() -> impl Strategy<Value = Value> {
    (
        field(id()),
        field(number_text()),
        field(
            one_of(&["RingEX Core", "RingCentral Office Premium", "Fax", ""])
                .prop_map(|name| json!({"servicePlan": {"id": "1", "name": name}})),
        ),
        field(id().prop_map(|id| json!({"id": id, "extensionNumber": "101"}))),
        field(Just(json!(
            "https://platform.ringcentral.com/restapi/v1.0/account/1"
        ))),
    )
        .prop_map(|(id, main, service, operator, uri)| {
            object(vec![
                ("id", id),
                ("mainNumber", main),
                ("serviceInfo", service),
                ("operator", operator),
                ("uri", uri),
            ])
        })
}

fn snapshot() -> impl Strategy<Value = Value> {
    (
        field(
            (
                field(any::<bool>().prop_map(Value::from)),
                field(one_of(&["ReadAccounts", "ReadAccounts EditExtensions"])),
            )
                .prop_map(|(admin, scope)| {
                    json!({"viewer": object(vec![("admin", admin), ("scope", scope), ("accountId", Some(json!("1")))])})
                }),
        ),
        field(account()),
        list(phone_number()),
        list(extension()),
        list(
            one_of(&["/phoneNumbers", "/extensions/0/forwardingNumbers", "/serviceInfo", ""])
                .prop_map(|p| json!({"pointer": p, "status": 403, "message": "no"})),
        ),
    )
        .prop_map(|(source, account, phones, extensions, errors)| {
            object(vec![
                ("snapshotVersion", Some(json!(1))),
                ("source", source),
                ("account", account),
                ("phoneNumbers", phones),
                ("extensions", extensions),
                ("errors", errors),
            ])
        })
}

/// The tree as `check` reads it: parsed from text.
fn tree(snapshot: &Value) -> Node {
    rcaudit_model::parse(&snapshot.to_string()).unwrap_or_else(|e| panic!("parses: {e}"))
}

// ----------------------------------------------------------------------------
// Invariants

/// No internal failure, every entry names an enabled rule, and every enabled
/// rule is accounted for exactly once.
fn accounted(rules: &RuleSet, outcome: &Outcome) -> Result<(), TestCaseError> {
    let enabled: BTreeSet<&str> = rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .map(|r| r.id.as_str())
        .collect();
    for error in &outcome.rule_errors {
        prop_assert!(
            !error.message.contains("bug in rcaudit"),
            "internal failure: {:?}",
            error
        );
    }
    let ids = outcome
        .findings
        .iter()
        .map(|f| &f.rule_id)
        .chain(outcome.not_evaluated.iter().map(|n| &n.rule_id))
        .chain(outcome.rule_errors.iter().map(|e| &e.rule_id));
    for id in ids {
        prop_assert!(enabled.contains(id.as_str()), "unknown rule {}", id);
    }
    // Not evaluated as a whole: once, and nothing else about the rule.
    let mut whole: BTreeMap<&str, usize> = BTreeMap::new();
    for n in outcome.not_evaluated.iter().filter(|n| n.skipped.is_none()) {
        *whole.entry(n.rule_id.as_str()).or_default() += 1;
    }
    for (id, count) in &whole {
        prop_assert_eq!(*count, 1, "{} is not evaluated {} times", id, count);
        prop_assert!(
            !outcome.findings.iter().any(|f| f.rule_id == *id),
            "{} has findings but was not evaluated",
            id
        );
        prop_assert!(
            !outcome
                .rule_errors
                .iter()
                .any(|e| e.rule_id == *id && !e.part.starts_with("fact ")),
            "{} has rule errors but was not evaluated",
            id
        );
    }
    // Stopped by a fact that failed (and not also "not evaluated").
    let by_fact: BTreeSet<&str> = outcome
        .rule_errors
        .iter()
        .filter(|e| e.part.starts_with("fact "))
        .map(|e| e.rule_id.as_str())
        .collect();
    let both: Vec<_> = by_fact
        .iter()
        .filter(|id| whole.contains_key(*id))
        .collect();
    prop_assert!(
        both.is_empty(),
        "rules both not evaluated and stopped by a failed fact: {:?}\n{:#?}",
        both,
        outcome.not_evaluated
    );
    prop_assert_eq!(
        whole.len() + by_fact.len() + outcome.rules_run,
        enabled.len(),
        "not evaluated {:?}, stopped by facts {:?}, run {}",
        whole.keys().collect::<Vec<_>>(),
        by_fact,
        outcome.rules_run
    );
    Ok(())
}

/// A failure with the snapshot as JSON text (shorter than its `Debug`).
#[expect(clippy::needless_pass_by_value, reason = "the shape `map_err` calls")]
fn with_snapshot(error: TestCaseError, snapshot: &Value) -> TestCaseError {
    TestCaseError::fail(format!("{error}\nsnapshot: {snapshot}"))
}

fn same(a: &Outcome, b: &Outcome) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.findings, &b.findings);
    prop_assert_eq!(&a.not_evaluated, &b.not_evaluated);
    prop_assert_eq!(&a.rule_errors, &b.rule_errors);
    prop_assert_eq!(a.rules_run, b.rules_run);
    Ok(())
}

// ----------------------------------------------------------------------------
// Rule sets

/// Fields the snapshot schema defines, per target.
fn item_field(target: &str) -> &'static [&'static str] {
    match target {
        "extensions" => &[
            "id",
            "extensionNumber",
            "type",
            "status",
            "forwardingNumbers",
        ],
        "phoneNumbers" | "extensionPhoneNumbers" => {
            &["id", "phoneNumber", "usageType", "paymentType", "type"]
        }
        "forwardingNumbers" => &["id", "phoneNumber", "label", "flipNumber", "features"],
        "account" => &["id", "mainNumber", "operator", "uri"],
        _ => &[],
    }
}

const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615u",
    "0u",
    "1.5",
    "-0.0",
    "1e308",
    "\"\"",
    "\"a©c\"",
    "null",
    "true",
    "[1, \"a\", null]",
    "{\"a\": 1}",
    "b\"\\xff\"",
];

/// An expression of depth at most `depth` over `target`'s items.
fn expr(target: &'static str, depth: u32) -> BoxedStrategy<String> {
    let fields = item_field(target);
    let mut atoms: Vec<BoxedStrategy<String>> = vec![
        prop::sample::select(LITERALS)
            .prop_map(str::to_owned)
            .boxed(),
        Just("size(extensions)".to_owned()).boxed(),
        Just("account.id".to_owned()).boxed(),
        Just("params.maxForwardingNumbers".to_owned()).boxed(),
        Just("facts.accountId".to_owned()).boxed(),
    ];
    if !fields.is_empty() {
        atoms.push(
            prop::sample::select(fields)
                .prop_map(|f| format!("item.{f}"))
                .boxed(),
        );
        atoms.push(Just("index".to_owned()).boxed());
    }
    let atom = prop::strategy::Union::new(atoms).boxed();
    if depth == 0 {
        return atom;
    }
    let sub = expr(target, depth - 1);
    let field = if fields.is_empty() {
        Just("id").boxed()
    } else {
        prop::sample::select(fields).boxed()
    };
    prop_oneof![
        3 => atom.clone(),
        1 => (sub.clone(), prop::sample::select(&["==", "!=", "<", "<=", "+", "-", "*", "/", "%", "&&", "||", "in"][..]), sub.clone())
            .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
        1 => sub.clone().prop_map(|a| format!("!({a})")),
        1 => sub.clone().prop_map(|a| format!("-({a})")),
        1 => (sub.clone(), sub.clone(), sub.clone()).prop_map(|(a, b, c)| format!("({a} ? {b} : {c})")),
        1 => field.prop_map(|f| format!("has(item.{f})")),
        1 => (prop::sample::select(&["size", "string", "int", "uint", "double", "type", "idString", "normalize", "isE164", "isTollFree", "dyn", "bool", "bytes"][..]), sub.clone())
            .prop_map(|(f, a)| format!("{f}({a})")),
        1 => (prop::sample::select(&[
            "charAt(-1)", "charAt(100)", "substring(2, 1)", "substring(-5)", "indexOf(\"\", 99)",
            "lastIndexOf(\"a\", -2)", "replace(\"\", \"xx\", -1)", "split(\"\", 3)", "lowerAscii()",
            "reverse()", "trim()", "startsWith(\"+\")", "matches(\"[\")", "matches(\"^(a+)+$\")",
            "size()", "contains(\"1\")",
        ][..]), sub.clone())
            .prop_map(|(call, a)| format!("string({a}).{call}")),
        1 => (sub.clone(), sub.clone()).prop_map(|(a, b)| format!("[{a}, {b}].exists(x, x == {b})")),
        1 => sub.clone().prop_map(|a| format!("extensions.map(e, {a}).size()")),
        1 => sub.clone().prop_map(|a| format!("phoneNumbers.filter(p, has(p.phoneNumber) && p.phoneNumber == {a}).size() > 0")),
        1 => sub.prop_map(|a| format!("duplicates(extensions, \"extensionNumber\").size() == size([{a}])")),
    ]
    .boxed()
}

const TARGETS: &[&str] = &[
    "account",
    "extensions",
    "phoneNumbers",
    "extensionPhoneNumbers",
    "forwardingNumbers",
    "snapshot",
    "errors",
];

fn rule(n: usize) -> impl Strategy<Value = String> {
    prop::sample::select(TARGETS).prop_flat_map(move |target| {
        (
            expr(target, 2),
            prop::option::of(expr(target, 1)),
            expr(target, 1),
            prop::option::of(expr(target, 1)),
            prop::sample::select(&["error", "warning", "info"][..]),
        )
            .prop_map(move |(assert, when, hole, key, severity)| {
                let quote = |e: &str| serde_json::to_string(e).unwrap_or_default();
                let mut text = format!(
                    "  - id: FZ-XX-{n:03}\n    severity: {severity}\n    title: generated\n    \
                     target: {target}\n    assert: {}\n    message: {}\n",
                    quote(&assert),
                    quote(&format!("value {{{{ {hole} }}}} at {{{{ index }}}}")),
                );
                if let Some(when) = when {
                    let _ = writeln!(text, "    when: {}", quote(&when));
                }
                if let Some(key) = key {
                    let _ = writeln!(text, "    key: {}", quote(&format!("string({key})")));
                }
                text
            })
    })
}

fn rule_file() -> impl Strategy<Value = String> {
    prop::collection::vec(0usize..1, 1..4).prop_flat_map(|slots| {
        let rules: Vec<_> = (0..slots.len()).map(rule).collect();
        rules.prop_map(|rules| format!("rules:\n{}", rules.concat()))
    })
}

/// The generated file beside the core pack's parameters and facts.
fn files(text: &str) -> Vec<RuleFile> {
    let mut files: Vec<RuleFile> = builtin::files()
        .into_iter()
        .filter(|f| f.name.ends_with("pack.yaml"))
        .collect();
    files.push(RuleFile {
        name: "generated.yaml".to_owned(),
        text: text.to_owned(),
        pack: "core".to_owned(),
    });
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn builtin_pack_survives_random_snapshots(snapshot in snapshot()) {
        let root = tree(&snapshot);
        let one = evaluate_with(&BUILTIN, &root, 1);
        accounted(&BUILTIN, &one).map_err(|e| with_snapshot(e, &snapshot))?;
        let two = evaluate_with(&BUILTIN, &root, 2);
        same(&one, &two)?;
    }

    /// Rules over the same target are walked together (fused, block by
    /// block); each must give exactly what it gives when it runs alone.
    #[test]
    fn a_rule_gives_the_same_alone_as_in_its_pack(snapshot in snapshot()) {
        let root = tree(&snapshot);
        let all = evaluate_with(&BUILTIN, &root, 2);
        for rule in &BUILTIN.rules {
            let mut alone = BUILTIN.clone();
            for other in &mut alone.rules {
                other.enabled = other.id == rule.id;
            }
            let outcome = evaluate_with(&alone, &root, 1);
            let part = Outcome {
                findings: all.findings.iter().filter(|f| f.rule_id == rule.id).cloned().collect(),
                not_evaluated: all
                    .not_evaluated
                    .iter()
                    .filter(|n| n.rule_id == rule.id)
                    .cloned()
                    .collect(),
                rule_errors: all.rule_errors.iter().filter(|e| e.rule_id == rule.id).cloned().collect(),
                rules_run: outcome.rules_run,
                ..Outcome::default()
            };
            same(&outcome, &part).map_err(|e| with_snapshot(e, &snapshot))?;
        }
    }

    #[test]
    fn random_rules_never_panic(text in rule_file(), snapshot in snapshot()) {
        let files = files(&text);
        match rcaudit_rules::load(&files, &LoadOptions::default()) {
            Ok((rules, _)) => {
                let outcome = evaluate_with(&rules, &tree(&snapshot), 1);
                accounted(&rules, &outcome).map_err(|e| with_snapshot(e, &snapshot))?;
            }
            Err(errors) => {
                for problem in &errors.problems {
                    prop_assert!(!problem.to_string().is_empty());
                    prop_assert!(
                        !problem.to_string().contains("bug"),
                        "{}\n{}",
                        problem,
                        text
                    );
                }
            }
        }
    }
}
