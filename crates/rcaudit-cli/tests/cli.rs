//! The `rcaudit` binary end to end: exit codes, output, and bad input.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

mod common;
use common::{json, rcaudit, rcaudit_in, repo, stderr, stdout};

/// `(ruleId, pointer)` of the findings of the given rules, sorted.
#[expect(
    clippy::expect_used,
    reason = "a test helper fails the test by panicking"
)]
fn findings_of(report: &serde_json::Value, rules: &[&str]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| rules.contains(&f["ruleId"].as_str().unwrap_or_default()))
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap_or_default().to_owned(),
                f["pointer"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

const HEADLINE: [&str; 4] = ["RC-PN-001", "RC-PN-003", "RC-FW-001", "RC-EX-001"];

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = items
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    out.sort();
    out
}

#[test]
fn demo_gives_the_planted_headline_findings() {
    let output = rcaudit(&["check", "examples/demo.snapshot.json", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(
        findings_of(&report, &HEADLINE),
        pairs(&[
            ("RC-EX-001", "/extensions/5/type"),
            ("RC-EX-001", "/extensions/6/type"),
            ("RC-FW-001", "/extensions/1/forwardingNumbers"),
            ("RC-PN-003", "/phoneNumbers/1/paymentType"),
        ])
    );
    // The one list that could not be fetched (examples/README.md): the
    // rules that walk it say so, each once; so do the two rules that read
    // the user's permissions, which the demo does not record; every other
    // rule saw it all.
    let not_evaluated: Vec<&str> = report["notEvaluated"]
        .as_array()
        .expect("notEvaluated")
        .iter()
        .filter_map(|n| n["ruleId"].as_str())
        .collect();
    assert_eq!(
        not_evaluated,
        [
            "RC-FW-001",
            "RC-FW-002",
            "RC-FW-003",
            "RC-FW-004",
            "RC-FW-005",
            "RC-FW-006",
            "RC-FW-007",
            "RC-FW-008",
            "RC-SN-003",
            "RC-SN-004",
            "RC-SN-005"
        ]
    );
    assert_eq!(report["findings"].as_array().map(Vec::len), Some(10));
}

#[test]
fn exit_codes_follow_fail_on() {
    let file = "tests/fixtures/small.snapshot.json";
    let code = |args: &[&str]| {
        let mut all = vec!["check", file];
        all.extend_from_slice(args);
        rcaudit(&all).status.code()
    };
    assert_eq!(code(&[]), Some(1), "errors fail by default");
    assert_eq!(code(&["--fail-on", "error"]), Some(1));
    assert_eq!(code(&["--fail-on", "never"]), Some(0));
    // Only rules that give nothing on this file: nothing to fail on.
    let clean = repo("tests/fixtures/rules/never-fires.yaml");
    let clean = clean.to_str().expect("utf-8 path");
    assert_eq!(code(&["--no-builtin", "--rules", clean]), Some(0));
    assert_eq!(
        code(&["--no-builtin", "--rules", clean, "--fail-on", "info"]),
        Some(0)
    );
    // A warning-only rule set fails with --fail-on warning, not by default.
    let warn = repo("tests/fixtures/rules/warning.yaml");
    let warn = warn.to_str().expect("utf-8 path");
    assert_eq!(code(&["--no-builtin", "--rules", warn]), Some(0));
    assert_eq!(
        code(&["--no-builtin", "--rules", warn, "--fail-on", "warning"]),
        Some(1)
    );
    assert_eq!(
        code(&["--no-builtin", "--rules", warn, "--fail-on", "info"]),
        Some(1)
    );
    assert_eq!(
        code(&["--fail-on", "sometimes"]),
        Some(2),
        "bad arguments exit 2"
    );
}

#[test]
fn json_report_matches_its_schema_and_points_at_values() {
    let output = rcaudit(&["check", "examples/demo.snapshot.json", "--format", "json"]);
    let report = json(&output);
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("schemas/report.schema.json")).expect("schema"),
    )
    .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let text = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("demo");
    let document: serde_json::Value = serde_json::from_str(&text).expect("demo is JSON");
    let lines: Vec<&str> = text.split('\n').collect();
    let findings = report["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for finding in findings {
        let pointer = finding["pointer"].as_str().expect("pointer");
        let value = document
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer} resolves"));
        let line = usize::try_from(finding["line"].as_u64().expect("line")).expect("small");
        let column = usize::try_from(finding["column"].as_u64().expect("column")).expect("small");
        let rest: String = lines[line - 1].chars().skip(column - 1).collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<serde_json::Value>();
        let first = stream.next();
        // Values that span lines start with `{` or `[` here: compare the opening.
        match value {
            serde_json::Value::Object(_) => assert!(rest.starts_with('{'), "{pointer}: {rest}"),
            serde_json::Value::Array(_) => assert!(rest.starts_with('['), "{pointer}: {rest}"),
            scalar => assert_eq!(
                first.and_then(Result::ok).as_ref(),
                Some(scalar),
                "{pointer} at {line}:{column}"
            ),
        }
    }
}

#[test]
fn human_output_renders_diagnostics() {
    let output = rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--no-builtin",
        "--rules",
        "tests/fixtures/human-rules.yaml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("small_human", stdout(&output));
}

#[test]
fn user_rules_from_a_folder_add_to_the_built_in_ones() {
    let output = rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--rules",
        "tests/fixtures/rules",
        "--format",
        "json",
    ]);
    let report = json(&output);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["ruleId"].as_str())
        .collect();
    assert!(ids.contains(&"RC-PN-003"), "built-in rules ran: {ids:?}");
    assert!(ids.contains(&"TEST-WARN-001"), "user rules ran: {ids:?}");
}

/// Every bad input: a clear message, exit code 2, and no panic.
#[test]
fn bad_input_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        path.to_str().expect("utf-8").to_owned()
    };
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[2])
        .collect();
    let cases: Vec<(String, &str)> = vec![
        (write("empty.json", b""), "the file is empty"),
        (write("garbage.bin", &garbage), "not UTF-8"),
        (write("latin1.json", b"{\"name\": \"Jos\xe9\"}"), "not UTF-8 text (invalid byte at line 1, column 14)"),
        (write("array.json", b"[{\"snapshotVersion\": 1}]"), "holds a JSON array, not a snapshot"),
        (write("deep.json", deep.as_bytes()), "recursion limit exceeded"),
        (
            write("bare.json", b"{\n  \"snapshotVersion\": 1,\n  \"account\": {\"id\": 1},\n  \"phoneNumbers\": [{\"features\": [ CallerId ]}]\n}\n"),
            "line 4, column 35",
        ),
        (
            write("comma.json", b"{\n  \"snapshotVersion\": 1\n  \"account\": {}\n}\n"),
            "line 3, column 3",
        ),
        (write("version.json", b"{\"snapshotVersion\": 2, \"account\": {}}"), "snapshot version 2"),
        (
            write(
                "schema.json",
                b"{\"snapshotVersion\": 1, \"account\": {\"id\": {}}, \"extensions\": {}, \"phoneNumbers\": [{\"features\": \"CallerId\"}]}",
            ),
            "3 problems",
        ),
        (dir.path().join("missing.json").to_str().expect("utf-8").to_owned(), "no such file"),
        (dir.path().to_str().expect("utf-8").to_owned(), "it is a folder"),
    ];
    for (path, expected) in &cases {
        let output = rcaudit(&["check", path]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{path}: {err}");
        assert!(
            err.contains(expected),
            "{path}: expected {expected:?} in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{path}: {err}");
        assert!(stdout(&output).is_empty(), "{path}: nothing on stdout");
    }
}

#[test]
fn schema_violations_are_all_reported_with_pointers() {
    let output = rcaudit(&["check", "tests/fixtures/invalid.snapshot.json"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    for pointer in [
        "/account/id",
        "/extensions/0/id",
        "/phoneNumbers/0/features",
        "/errors/0",
    ] {
        assert!(err.contains(pointer), "{pointer} in:\n{err}");
    }
    insta::assert_snapshot!("schema_violations", err);
}

#[test]
fn bad_rules_are_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A YAML alias bomb: each level multiplies by ten.
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let aliases = vec![format!("*a{}", i - 1); 10].join(", ");
        writeln!(bomb, "a{i}: &a{i} [{aliases}]").expect("write to a string");
    }
    std::fs::write(dir.path().join("bomb.yaml"), bomb).expect("write");
    std::os::unix::fs::symlink("loop.yaml", dir.path().join("loop.yaml")).expect("symlink");
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            dir.path().join("bomb.yaml"),
            "exceeds the YAML reader's budget",
        ),
        (dir.path().join("loop.yaml"), "cannot read"),
        (dir.path().join("nowhere"), "no such file or folder"),
        (dir.path().to_path_buf(), "cannot read"),
        (
            repo("tests/fixtures/rules-invalid/problems.yaml"),
            "the rules: 13 errors",
        ),
    ];
    for (path, expected) in &cases {
        let output = rcaudit(&[
            "check",
            "tests/fixtures/small.snapshot.json",
            "--rules",
            path.to_str().expect("utf-8"),
        ]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{}: {err}", path.display());
        assert!(
            err.contains(expected),
            "{}: expected {expected:?} in:\n{err}",
            path.display()
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn every_rule_problem_is_reported_at_once() {
    let output = rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--no-builtin",
        "--rules",
        "tests/fixtures/rules-invalid/problems.yaml",
    ]);
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!("rule_problems", stderr(&output));
}

#[test]
fn help_documents_exit_codes() {
    let output = rcaudit(&["check", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for text in [
        "Exit codes:",
        "0  no finding at or above --fail-on",
        "1  findings",
        "2  the run failed",
    ] {
        assert!(help.contains(text), "{text} in:\n{help}");
    }
}

#[test]
fn rules_lists_every_rule() {
    let human = rcaudit(&["rules"]);
    assert_eq!(human.status.code(), Some(0));
    let text = stdout(&human);
    assert!(
        text.contains("RC-PN-003  error    The additional company number"),
        "{text}"
    );
    assert!(text.contains("36 rules, 36 enabled"), "{text}");
    let listed = json(&rcaudit(&["rules", "--format", "json"]));
    let rules = listed.as_array().expect("a list");
    assert_eq!(rules.len(), 36);
    assert_eq!(rules[0]["id"], "RC-EX-001");
    assert_eq!(rules[0]["targets"], serde_json::json!(["extensions"]));
}

#[test]
fn explain_prints_a_rules_documentation() {
    let output = rcaudit(&["explain", "RC-PN-003"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for section in [
        "What it checks",
        "Why it matters",
        "How to fix it",
        "References",
        "Requires: phoneNumbers",
    ] {
        assert!(text.contains(section), "{section} in:\n{text}");
    }
    let function = stdout(&rcaudit(&["explain", "isE164"]));
    assert!(
        function.contains("isE164(number: string) -> bool"),
        "{function}"
    );
    let unknown = rcaudit(&["explain", "RC-PN-03"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("did you mean RC-PN-003?"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn test_runs_the_builtin_cases_and_shows_diffs() {
    let builtin = rcaudit(&["test"]);
    assert_eq!(builtin.status.code(), Some(0), "{}", stdout(&builtin));
    assert!(
        stdout(&builtin).contains(" passed, 0 failed"),
        "{}",
        stdout(&builtin)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("mine.yaml"),
        "rules:\n  - id: MINE-001\n    severity: warning\n    title: No User extensions\n    target: extensions\n    assert: item.type != 'User'\n    message: '{{ item.extensionNumber }} is a User'\n    at: type\n    cases:\n      - name: a User is found\n        snapshot: {extensions: [{id: 1, extensionNumber: '101', type: User}]}\n        findings: [/extensions/0/type]\n      - name: a wrong expectation\n        snapshot: {extensions: [{id: 1, extensionNumber: '101', type: User}]}\n        findings: []\n",
    )
    .expect("write");
    let output = rcaudit(&["test", dir.path().to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("ok    MINE-001: a User is found"), "{text}");
    assert!(
        text.contains("FAIL  MINE-001: a wrong expectation"),
        "{text}"
    );
    assert!(
        text.contains("+ finding MINE-001 at /extensions/0/type"),
        "{text}"
    );
    assert!(text.contains("2 cases: 1 passed, 1 failed"), "{text}");

    let missing = rcaudit(&["test", "no/such/folder"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn config_in_the_current_folder_is_used() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo("tests/fixtures/small.snapshot.json"),
        dir.path().join("s.json"),
    )
    .expect("copy");
    let report = |dir: &Path| json(&rcaudit_in(dir, &["check", "s.json", "--format", "json"]));
    let before = report(dir.path());
    let ids = |r: &serde_json::Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["ruleId"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert!(ids(&before).contains(&"RC-PN-003".to_owned()));
    assert!(ids(&before).contains(&"RC-EX-001".to_owned()));

    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        "disable: [RC-PN-003]\nseverity: {RC-EX-001: info}\nfailOn: warning\nparams: {plans: {nonUbp: [Core]}}\n",
    )
    .expect("write");
    let output = rcaudit_in(dir.path(), &["check", "s.json", "--format", "json"]);
    let after = json(&output);
    assert!(!ids(&after).contains(&"RC-PN-003".to_owned()), "disabled");
    // "RingEX Core" is now non-UBP: RC-EX-001 is silent, RC-EX-002 speaks.
    assert!(
        !ids(&after).contains(&"RC-EX-001".to_owned()),
        "params override"
    );
    assert!(
        ids(&after).contains(&"RC-EX-002".to_owned()),
        "params override"
    );
    assert_eq!(
        output.status.code(),
        Some(1),
        "failOn: warning from the config"
    );
    let flag = rcaudit_in(dir.path(), &["check", "s.json", "--fail-on", "never"]);
    assert_eq!(flag.status.code(), Some(0), "the flag wins over the config");
}

#[test]
fn a_bad_config_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("custom.yaml");
    std::fs::write(
        &config,
        "disabled: [RC-PN-003]\nseverity: {RC-PN-999: error}\n",
    )
    .expect("write");
    let output = rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("unknown key `disabled` in the config"),
        "{err}"
    );
    assert!(err.contains("did you mean `disable`?"), "{err}");
    assert!(err.contains("custom.yaml:1:1"), "{err}");

    std::fs::write(&config, "severity: {RC-PN-999: error}\npacks: [corr]\n").expect("write");
    let output = rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--config",
        config.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("no rule has the id `RC-PN-999`"), "{err}");
    assert!(err.contains("no built-in pack is named `corr`"), "{err}");
}
