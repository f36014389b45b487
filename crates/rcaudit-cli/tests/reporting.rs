//! CI-grade reporting end to end: every `--format` against its schema,
//! `--output`, waivers, baselines and `rcaudit diff`.
//!
//! The snapshots are the demo, a small fixture and one made by
//! `bench/gen_snapshot.py` (seed 11, 40 extensions) that the report code
//! was not written against.

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};

mod common;
use common::{code, json, rcaudit, rcaudit_env, repo, stderr, stdout};

const SNAPSHOTS: [&str; 3] = [
    "examples/demo.snapshot.json",
    "tests/fixtures/generated.snapshot.json",
    "tests/fixtures/small.snapshot.json",
];

fn validator(path: &str) -> jsonschema::Validator {
    let mut text = std::fs::read_to_string(repo(path)).expect("schema file");
    // The official SARIF schema's `language` pattern has a stray `]`, which
    // ECMA-262 (as jsonschema checks patterns) rejects; escaped, it means
    // the same to the engines that accept it.
    text = text.replace(r"[a-zA-Z]{2}]?$", r"[a-zA-Z]{2}\\]?$");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn assert_valid(validator: &jsonschema::Validator, document: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

/// The JSON report of a snapshot with the built-in rules.
fn report(snapshot: &str) -> Value {
    json(&rcaudit(&["check", snapshot, "--format", "json"]))
}

fn fingerprints(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["fingerprint"].as_str().expect("fingerprint").to_owned())
        .collect()
}

#[test]
fn json_reports_validate_and_fingerprints_are_unique() {
    let schema = validator("schemas/report.schema.json");
    for snapshot in SNAPSHOTS {
        let report = report(snapshot);
        assert_valid(&schema, &report, snapshot);
        let all = fingerprints(&report);
        let unique: BTreeSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len(), "{snapshot}: {all:?}");
        for (fingerprint, finding) in all.iter().zip(report["findings"].as_array().expect("list")) {
            let rule = finding["ruleId"].as_str().expect("rule");
            assert!(
                fingerprint.starts_with(&format!("{rule}:")),
                "{fingerprint}"
            );
        }
    }
}

/// Reverses every list of records: what a re-fetch in another order gives.
fn reorder(document: &mut Value) {
    for list in ["extensions", "phoneNumbers", "errors"] {
        if let Some(Value::Array(items)) = document.get_mut(list) {
            items.reverse();
        }
    }
    if let Some(Value::Array(extensions)) = document.get_mut("extensions") {
        for extension in extensions {
            for list in ["forwardingNumbers", "phoneNumbers"] {
                if let Some(Value::Array(items)) = extension.get_mut(list) {
                    items.reverse();
                }
            }
        }
    }
}

#[test]
fn fingerprints_survive_reordering() {
    let dir = tempfile::tempdir().expect("temp dir");
    for snapshot in SNAPSHOTS {
        let text = std::fs::read_to_string(repo(snapshot)).expect("snapshot");
        let mut document: Value = serde_json::from_str(&text).expect("JSON");
        reorder(&mut document);
        let path = dir.path().join("reordered.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&document).expect("JSON"),
        )
        .expect("write");
        let before: BTreeSet<String> = fingerprints(&report(snapshot)).into_iter().collect();
        let after: BTreeSet<String> = fingerprints(&report(&path.display().to_string()))
            .into_iter()
            .collect();
        assert!(!before.is_empty() || snapshot.contains("small"));
        assert_eq!(before, after, "{snapshot}");
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema = validator("schemas/external/sarif-schema-2.1.0.json");
    for snapshot in SNAPSHOTS {
        let output = rcaudit(&["check", snapshot, "--format", "sarif"]);
        let sarif = json(&output);
        assert_valid(&schema, &sarif, snapshot);
        let findings = report(snapshot);
        let run = &sarif["runs"][0];
        assert_eq!(sarif["version"], "2.1.0");
        // Every enabled rule is described, with help text.
        let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
        assert_eq!(
            rules.len(),
            usize::try_from(findings["summary"]["rulesEnabled"].as_u64().expect("n")).expect("n")
        );
        for rule in rules {
            assert!(
                rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()),
                "{rule}"
            );
            assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        }
        // One result per finding, at the same place, with its fingerprint.
        let results = run["results"].as_array().expect("results");
        let expected = findings["findings"].as_array().expect("findings");
        assert_eq!(results.len(), expected.len(), "{snapshot}");
        for (result, finding) in results.iter().zip(expected) {
            assert_eq!(result["ruleId"], finding["ruleId"]);
            assert_eq!(
                result["level"],
                finding["severity"]
                    .as_str()
                    .map(|s| if s == "info" { "note" } else { s })
                    .expect("severity")
            );
            assert_eq!(result["message"]["text"], finding["message"]);
            let location = &result["locations"][0];
            // Relative to the git work tree holding the snapshot (the
            // repository, which is also the current folder here).
            assert_eq!(
                location["physicalLocation"]["artifactLocation"]["uri"],
                snapshot
            );
            assert_eq!(
                location["physicalLocation"]["artifactLocation"]["uriBaseId"],
                "%SRCROOT%"
            );
            assert_eq!(
                location["physicalLocation"]["region"]["startLine"],
                finding["line"]
            );
            assert_eq!(
                location["physicalLocation"]["region"]["startColumn"],
                finding["column"]
            );
            assert_eq!(
                location["logicalLocations"][0]["fullyQualifiedName"],
                finding["pointer"]
            );
            assert_eq!(
                result["partialFingerprints"]["rcaudit/v1"],
                finding["fingerprint"]
            );
            let rule_index =
                usize::try_from(result["ruleIndex"].as_u64().expect("index")).expect("n");
            assert_eq!(rules[rule_index]["id"], result["ruleId"]);
        }
    }
}

/// `(name, failures)` of each JUnit test case, after checking what CI
/// systems read of every case: a class name, the snapshot as its file, a
/// time in seconds.
fn junit_cases(xml: &str) -> Vec<(String, usize)> {
    let document =
        roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("well-formed XML: {e}\n{xml}"));
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap_or_else(|| panic!("a testsuite: {xml}"));
    let file = suite
        .attribute("name")
        .and_then(|name| name.strip_prefix("rcaudit: "))
        .unwrap_or_else(|| panic!("the suite names the snapshot: {xml}"));
    root.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|case| {
            assert!(
                case.attribute("classname")
                    .is_some_and(|c| c.starts_with("rcaudit.")),
                "{xml}"
            );
            assert_eq!(case.attribute("file"), Some(file), "{xml}");
            assert!(
                case.attribute("time")
                    .is_some_and(|t| t.parse::<f64>().is_ok_and(|t| t >= 0.0)),
                "{xml}"
            );
            let failures = case
                .children()
                .filter(|n| n.has_tag_name("failure"))
                .count();
            (case.attribute("name").expect("name").to_owned(), failures)
        })
        .collect()
}

#[test]
fn junit_has_a_case_per_rule_and_a_failure_per_finding() {
    for snapshot in SNAPSHOTS {
        let output = rcaudit(&["check", snapshot, "--format", "junit"]);
        let cases = junit_cases(&stdout(&output));
        let report = report(snapshot);
        assert_eq!(
            cases.len(),
            usize::try_from(report["summary"]["rulesEnabled"].as_u64().expect("n")).expect("n")
        );
        // A failure per rule with findings at or above --fail-on (error by
        // default), never more than one per case.
        assert!(cases.iter().all(|(_, n)| *n <= 1), "{cases:?}");
        for (fail_on, severities) in [
            ("error", &["error"][..]),
            ("warning", &["error", "warning"][..]),
            ("never", &[][..]),
        ] {
            let cases = junit_cases(&stdout(&rcaudit(&[
                "check",
                snapshot,
                "--format",
                "junit",
                "--fail-on",
                fail_on,
            ])));
            let failing: BTreeSet<String> = cases
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(name, _)| name.split(' ').next().expect("id").to_owned())
                .collect();
            let expected: BTreeSet<String> = report["findings"]
                .as_array()
                .expect("list")
                .iter()
                .filter(|f| severities.contains(&f["severity"].as_str().expect("severity")))
                .map(|f| f["ruleId"].as_str().expect("id").to_owned())
                .collect();
            assert_eq!(failing, expected, "{snapshot} --fail-on {fail_on}");
        }
        // Names are stable: the rule id and name, nothing run-specific.
        let again = junit_cases(&stdout(&rcaudit(&["check", snapshot, "--format", "junit"])));
        assert_eq!(cases, again);
        assert!(
            cases
                .iter()
                .any(|(name, _)| name == "RC-PN-001 main-number-exactly-one"),
            "{cases:?}"
        );
    }
}

/// Splits `::error file=…,line=…,col=…,title=…::message`.
fn annotation(line: &str) -> (String, Vec<(String, String)>, String) {
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("a message");
    let (command, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    (command.to_owned(), properties, message.to_owned())
}

#[test]
fn github_annotations_point_at_the_snapshot() {
    for snapshot in SNAPSHOTS {
        let output = rcaudit(&["check", snapshot, "--format", "github"]);
        let report = report(snapshot);
        let findings = report["findings"].as_array().expect("list");
        let text = stdout(&output);
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        // At most 10 of each kind (9 notices: the summary is the tenth).
        let annotated: usize = [("error", 10), ("warning", 10), ("info", 9)]
            .iter()
            .map(|(severity, most)| {
                findings
                    .iter()
                    .filter(|f| f["severity"] == *severity)
                    .count()
                    .min(*most)
            })
            .sum();
        assert_eq!(lines.len(), annotated + 1, "{snapshot}: {lines:#?}");
        // Errors first; each finding once.
        let mut seen = BTreeSet::new();
        let rank = |c: &str| ["error", "warning", "notice"].iter().position(|k| *k == c);
        let mut last_rank = 0;
        for line in &lines[..lines.len() - 1] {
            let (command, properties, message) = annotation(line);
            let this_rank = rank(&command).expect("a level");
            assert!(this_rank >= last_rank, "errors first: {lines:#?}");
            last_rank = this_rank;
            let finding = findings
                .iter()
                .find(|f| {
                    message.ends_with(&format!("[{}]", f["fingerprint"].as_str().expect("fp")))
                })
                .unwrap_or_else(|| panic!("a finding for {line}"));
            assert!(seen.insert(finding["fingerprint"].to_string()), "{line}");
            let level = match finding["severity"].as_str().expect("severity") {
                "info" => "notice",
                other => other,
            };
            assert_eq!(command, level);
            let get = |key: &str| {
                properties
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(get("file").as_deref(), Some(snapshot));
            assert_eq!(get("line"), Some(finding["line"].to_string()));
            assert_eq!(get("col"), Some(finding["column"].to_string()));
            assert!(
                get("title")
                    .expect("title")
                    .starts_with(finding["ruleId"].as_str().expect("id"))
            );
            assert!(!message.contains('\n'));
        }
        assert!(
            lines.last().expect("summary").starts_with("::notice"),
            "{lines:?}"
        );
    }
}

/// A snapshot with `n` extensions that each break RC-EX-001.
fn many_findings(n: usize) -> Value {
    let extensions: Vec<Value> = (0..n)
        .map(|i| json!({"id": 1000 + i, "extensionNumber": format!("{}", 100 + i), "type": "User", "status": "Enabled"}))
        .collect();
    json!({
        "snapshotVersion": 1,
        "account": {"id": 7, "serviceInfo": {"servicePlan": {"name": "RingEX Core"}}},
        "extensions": extensions,
    })
}

#[test]
fn github_annotations_are_capped_with_a_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("many.json");
    std::fs::write(&path, many_findings(120).to_string()).expect("write");
    let output = rcaudit(&[
        "check",
        &path.display().to_string(),
        "--format",
        "github",
        "--select",
        "RC-EX-001",
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    let errors = text.lines().filter(|l| l.starts_with("::error ")).count();
    assert_eq!(
        errors, 10,
        "GitHub keeps 10 error annotations a step: {text}"
    );
    let last = text.lines().last().expect("a summary");
    assert!(last.starts_with("::notice"), "{last}");
    assert!(last.contains("120 finding"), "{last}");
    assert!(
        last.contains("10 annotated, 110 not"),
        "the summary says how many were left out: {last}"
    );
}

#[test]
fn github_annotations_spread_over_rules_errors_first() {
    // 300 RC-EX-001 errors do not hide the one RC-FW-003 error.
    let dir = tempfile::tempdir().expect("temp dir");
    // In a repository of its own: annotations name it `many.json`.
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    let path = dir.path().join("many.json");
    let mut document = many_findings(300);
    document["extensions"][3]["forwardingNumbers"] =
        json!([{"id": "1", "phoneNumber": "+1 650-555-0199", "label": "Home"}]);
    std::fs::write(&path, document.to_string()).expect("write");
    let path = path.display().to_string();
    let report = json(&rcaudit(&["check", &path, "--format", "json"]));
    let rules: BTreeSet<&str> = report["findings"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["ruleId"].as_str().expect("id"))
        .collect();
    assert!(rules.len() >= 2, "{rules:?}");
    let text = stdout(&rcaudit(&["check", &path, "--format", "github"]));
    let annotations: Vec<(String, String)> = text
        .lines()
        .filter(|l| !l.starts_with("::notice title=rcaudit::"))
        .map(|l| {
            let (command, properties, _) = annotation(l);
            let title = properties
                .iter()
                .find(|(k, _)| k == "title")
                .map(|(_, v)| v.split(' ').next().unwrap_or_default().to_owned())
                .expect("title");
            (command, title)
        })
        .collect();
    for kind in ["error", "warning", "notice"] {
        assert!(
            annotations.iter().filter(|(c, _)| c == kind).count() <= 10,
            "{text}"
        );
    }
    // Every rule that fired is annotated, within the first round.
    let first: BTreeSet<&str> = annotations
        .iter()
        .take(rules.len())
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(first, rules, "{text}");
    insta::assert_snapshot!("many_github", text.replace(&path, "many.json"));
    let summary = text.lines().last().expect("summary");
    assert!(
        summary.contains("not (GitHub shows at most 10"),
        "{summary}"
    );
    // No SARIF report in this run: the notice does not send the reader to
    // one; with one, it does.
    assert!(!summary.contains("see the SARIF report"), "{summary}");
    assert!(
        summary.contains("every finding is in rcaudit's other reports"),
        "{summary}"
    );
    let sarif = dir.path().join("r.sarif").display().to_string();
    let text = stdout(&rcaudit(&[
        "check",
        &path,
        "--format",
        "github",
        "--output",
        &format!("sarif={sarif}"),
    ]));
    let summary = text.lines().last().expect("summary");
    assert!(
        summary.contains("see the SARIF report (code scanning) for every finding"),
        "{summary}"
    );
}

#[test]
fn github_annotations_name_the_file_in_the_repository_or_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    // A repository (a `.git` entry) holding `audits/acme.json`.
    std::fs::create_dir_all(root.join("repo/.git")).expect("mkdir");
    std::fs::create_dir_all(root.join("repo/audits")).expect("mkdir");
    let inside = root.join("repo/audits/acme.json");
    std::fs::copy(repo("tests/fixtures/small.snapshot.json"), &inside).expect("copy");
    let inside = inside.display().to_string();
    let files = |text: &str| -> BTreeSet<Option<String>> {
        text.lines()
            .filter(|l| !l.starts_with("::notice title=rcaudit::"))
            .map(|l| {
                let (_, properties, _) = annotation(l);
                properties
                    .iter()
                    .find(|(k, _)| k == "file")
                    .map(|(_, v)| v.clone())
            })
            .collect()
    };
    // Run from the temp folder, outside the repository: the path is the
    // snapshot's in its work tree, not the one given.
    let output = common::rcaudit_in(&root, &["check", &inside, "--format", "github"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(
        files(&text),
        BTreeSet::from([Some("audits/acme.json".to_owned())]),
        "{text}"
    );
    assert!(text.contains("file=audits/acme.json,line="), "{text}");
    // --sarif-root chooses the root, as for SARIF.
    let output = common::rcaudit_in(
        &root,
        &[
            "check",
            &inside,
            "--format",
            "github",
            "--sarif-root",
            &root.join("repo/audits").display().to_string(),
        ],
    );
    assert_eq!(
        files(&stdout(&output)),
        BTreeSet::from([Some("acme.json".to_owned())])
    );
    // From standard input there is no file: no `file=`, `line=` or `col=`.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(["check", "-", "--format", "github"])
        .current_dir(root.join("repo"))
        .env("NO_COLOR", "1")
        .stdin(std::fs::File::open(&inside).expect("open"))
        .output()
        .expect("the binary runs");
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    assert_eq!(files(&text), BTreeSet::from([None]), "{text}");
    assert!(!text.contains("line="), "{text}");
    assert_eq!(text.lines().count(), 4, "3 findings and the notice: {text}");
}

#[test]
fn markdown_is_a_summary_table() {
    for snapshot in SNAPSHOTS {
        let output = rcaudit(&["check", snapshot, "--format", "markdown"]);
        let text = stdout(&output);
        let report = report(snapshot);
        assert!(text.starts_with("## "), "{text}");
        assert!(text.contains("| | error | warning | info |"), "{text}");
        for finding in report["findings"].as_array().expect("list") {
            let row = format!(
                "| `{}` | `{}` line {} |",
                finding["ruleId"].as_str().expect("id"),
                finding["pointer"].as_str().expect("p"),
                finding["line"]
            );
            assert!(text.contains(&row), "{row} in:\n{text}");
        }
        // Every table row has the header's number of cells (no stray `|`).
        for table in text.split("\n\n").filter(|b| b.starts_with('|')) {
            let widths: BTreeSet<usize> = table
                .lines()
                .map(|l| l.replace("\\|", "").matches('|').count())
                .collect();
            assert_eq!(widths.len(), 1, "{table}");
        }
    }
}

#[test]
fn output_file_gets_the_format_and_the_terminal_the_diagnostics() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("out.sarif");
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--format",
        "sarif",
        "--output",
        &path.display().to_string(),
    ]);
    assert_eq!(code(&output), 1);
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("written")).expect("JSON");
    assert_eq!(written["version"], "2.1.0");
    let terminal = stdout(&output);
    assert!(terminal.contains("RC-PN-003"), "{terminal}");
    assert!(!terminal.contains("\"version\""), "{terminal}");
    // No temporary file is left beside it.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["out.sarif"]);
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn bad_reporting_input_is_a_clear_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out.json");
    let out = out.display().to_string();
    let not_a_report = dir.path().join("not-a-report.json");
    std::fs::write(&not_a_report, r#"{"version": 1}"#).expect("write");
    let bad_waivers = dir.path().join("waivers.yaml");
    std::fs::write(
        &bad_waivers,
        "waivers:\n  - rule: RC-PN-003\n    item: phone:1\n    owner: qa@example.com\n    expires: 2027-02-30\n  - rule: RC-PN-033\n    item: phone:1\n    reason: typo\n    owner: qa@example.com\n    expires: 2027-01-01\n",
    )
    .expect("write");
    let missing_dir = dir.path().join("no/such/dir/out.json");
    let cases: Vec<(Vec<String>, Vec<&str>)> = vec![
        (
            vec!["--format".into(), "yaml".into()],
            vec!["invalid value 'yaml'", "sarif"],
        ),
        (
            vec!["--output".into(), missing_dir.display().to_string()],
            vec!["no/such/dir"],
        ),
        (
            vec!["--output".into(), dir.path().display().to_string()],
            vec!["it is a folder"],
        ),
        (
            vec!["--baseline".into(), not_a_report.display().to_string()],
            vec!["not an rcaudit report", "--format json"],
        ),
        (
            vec!["--baseline".into(), "examples/demo.snapshot.json".into()],
            vec!["not an rcaudit report"],
        ),
        (
            vec!["--waivers".into(), bad_waivers.display().to_string()],
            vec![
                "reason",
                "2027-02-30",
                "RC-PN-033",
                "did you mean `RC-PN-003`",
                "2027-02 has no day 30",
            ],
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["check", "examples/demo.snapshot.json"];
        if !extra.iter().any(|a| a == "--format") {
            args.extend(["--format", "json"]);
        }
        if !extra.iter().any(|a| a == "--output") {
            args.extend(["--output", &out]);
        }
        args.extend(extra.iter().map(String::as_str));
        let output = rcaudit(&args);
        let message = stderr(&output);
        assert_eq!(code(&output), 2, "{extra:?}: {message}");
        for text in expected {
            assert!(message.contains(text), "{extra:?}: `{text}` in:\n{message}");
        }
        assert!(!message.contains("panicked"), "{message}");
        assert!(stdout(&output).is_empty(), "{extra:?}: {}", stdout(&output));
        let left: Vec<String> = files_in(dir.path())
            .into_iter()
            .filter(|n| n != "not-a-report.json" && n != "waivers.yaml")
            .collect();
        assert!(left.is_empty(), "{extra:?} left {left:?}");
    }
}

/// A folder with the demo snapshot and an `rcaudit.yaml` holding `waivers`.
fn waiver_dir(waivers: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo("examples/demo.snapshot.json"),
        dir.path().join("s.json"),
    )
    .expect("copy");
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        format!("waivers:\n{waivers}"),
    )
    .expect("write");
    dir
}

/// The demo's error findings, each waived until `expires`.
fn waive_errors(expires: &str) -> String {
    let report = report("examples/demo.snapshot.json");
    let mut text = String::new();
    for finding in report["findings"].as_array().expect("list") {
        if finding["severity"] == "error" {
            let _ = write!(
                text,
                "  - rule: {}\n    item: {}\n    reason: accepted for the test\n    owner: qa@example.com\n    expires: {expires}\n",
                finding["ruleId"].as_str().expect("id"),
                finding["fingerprint"].as_str().expect("fingerprint"),
            );
        }
    }
    text
}

#[test]
fn waived_findings_do_not_fail_the_run_but_stay_visible() {
    let dir = waiver_dir(&waive_errors("2027-03-31"));
    let today = [("RCAUDIT_TODAY", "2026-11-28")];
    let output = rcaudit_env(dir.path(), &["check", "s.json", "--format", "json"], &today);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_valid(
        &validator("schemas/report.schema.json"),
        &report,
        "waived report",
    );
    let findings = report["findings"].as_array().expect("list");
    let waived: Vec<&Value> = findings
        .iter()
        .filter(|f| f["suppressed"].is_object())
        .collect();
    assert_eq!(waived.len(), 7);
    assert!(
        waived
            .iter()
            .all(|f| f["severity"] == "error"
                && f["suppressed"]["reason"] == "accepted for the test")
    );
    assert_eq!(report["summary"]["waived"], 7);
    assert_eq!(report["summary"]["counted"], 3);
    // Warnings still fail when asked to.
    let output = rcaudit_env(
        dir.path(),
        &["check", "s.json", "--fail-on", "warning"],
        &today,
    );
    assert_eq!(code(&output), 1);
    assert!(stdout(&output).contains("7 waived"), "{}", stdout(&output));
    // SARIF marks them suppressed, and still validates.
    let sarif = json(&rcaudit_env(
        dir.path(),
        &["check", "s.json", "--format", "sarif"],
        &today,
    ));
    assert_valid(
        &validator("schemas/external/sarif-schema-2.1.0.json"),
        &sarif,
        "waived SARIF",
    );
    let suppressed = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["suppressions"][0]["justification"] == "accepted for the test")
        .count();
    assert_eq!(suppressed, 7);
    // JUnit does not count them as failures: the three warnings left fail
    // with --fail-on warning, nothing fails at the default (error).
    for (fail_on, expected) in [("warning", 3), ("error", 0)] {
        let junit = stdout(&rcaudit_env(
            dir.path(),
            &["check", "s.json", "--format", "junit", "--fail-on", fail_on],
            &today,
        ));
        let failures: usize = junit_cases(&junit).iter().map(|(_, n)| n).sum();
        assert_eq!(failures, expected, "--fail-on {fail_on}: {junit}");
    }
}

#[test]
fn an_expired_waiver_stops_applying_and_is_reported() {
    let dir = waiver_dir(&waive_errors("2026-11-27"));
    let output = rcaudit_env(
        dir.path(),
        &["check", "s.json", "--format", "json"],
        &[("RCAUDIT_TODAY", "2026-11-28")],
    );
    assert_eq!(code(&output), 1);
    let report = json(&output);
    assert_eq!(report["summary"]["waived"], 0);
    assert_eq!(
        report["waivers"]["expired"].as_array().expect("list").len(),
        7
    );
    assert!(
        stderr(&output).contains("expired on 2026-11-27"),
        "{}",
        stderr(&output)
    );
    // The day it expires, it still applies.
    let output = rcaudit_env(
        dir.path(),
        &["check", "s.json"],
        &[("RCAUDIT_TODAY", "2026-11-27")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn a_waiver_that_matches_nothing_is_a_warning() {
    let stale = "  - rule: RC-PN-003\n    item: phone:999\n    reason: fixed long ago\n    owner: qa@example.com\n    expires: 2030-01-01\n";
    let dir = waiver_dir(&format!("{}{stale}", waive_errors("2030-01-01")));
    let output = rcaudit_env(dir.path(), &["check", "s.json", "--format", "json"], &[]);
    assert_eq!(code(&output), 0, "an unused waiver warns, it does not fail");
    let report = json(&output);
    assert_eq!(report["waivers"]["unused"][0]["item"], "phone:999");
    let message = stderr(&output);
    assert!(message.contains("covers no finding"), "{message}");
    assert!(
        message.contains("rcaudit.yaml:"),
        "points at the waiver: {message}"
    );
}

#[test]
fn a_waiver_by_item_key_covers_the_finding() {
    let dir = waiver_dir(
        "  - rule: RC-PN-003\n    item: phone:1148027008\n    reason: contractual\n    owner: qa@example.com\n    expires: 2030-01-01\n",
    );
    let report = json(&rcaudit_env(
        dir.path(),
        &["check", "s.json", "--format", "json"],
        &[],
    ));
    let waived: Vec<&str> = report["findings"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|f| f["suppressed"].is_object())
        .map(|f| f["fingerprint"].as_str().expect("fingerprint"))
        .collect();
    assert_eq!(waived, ["RC-PN-003:phone:1148027008"]);
}

#[test]
fn a_baseline_counts_only_new_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline.json");
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--format",
        "json",
        "--output",
        &baseline.display().to_string(),
    ]);
    assert_eq!(code(&output), 1);
    let baseline = baseline.display().to_string();

    // The same snapshot against its own report: nothing new.
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--baseline",
        &baseline,
        "--format",
        "json",
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["baseline"]["new"], 0);
    assert_eq!(report["baseline"]["old"], 10);
    assert_eq!(report["baseline"]["fixed"], 0);

    // Fix one finding, add another: one new (it fails the run), one fixed.
    let text = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("demo");
    let mut document: Value = serde_json::from_str(&text).expect("JSON");
    let extensions = document["extensions"].as_array_mut().expect("extensions");
    extensions[5]["type"] = json!("DigitalUser"); // was an RC-EX-001 finding
    let mut new_user = extensions[0].clone();
    new_user["id"] = json!(999_000_001);
    new_user["extensionNumber"] = json!("199");
    new_user["type"] = json!("User");
    extensions.push(new_user);
    let changed = dir.path().join("changed.json");
    std::fs::write(
        &changed,
        serde_json::to_string_pretty(&document).expect("JSON"),
    )
    .expect("write");
    let output = rcaudit(&[
        "check",
        &changed.display().to_string(),
        "--baseline",
        &baseline,
        "--format",
        "json",
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["baseline"]["new"], 1, "{}", report["baseline"]);
    assert_eq!(report["baseline"]["fixed"], 1);
    assert_eq!(report["baseline"]["old"], 9);
    let new: Vec<&Value> = report["findings"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|f| f["baseline"] == "new")
        .collect();
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["fingerprint"], "RC-EX-001:ext:999000001");
    assert_valid(
        &validator("schemas/report.schema.json"),
        &report,
        "baseline report",
    );
    // The human summary says the same.
    let output = rcaudit(&[
        "check",
        &changed.display().to_string(),
        "--baseline",
        &baseline,
    ]);
    let summary = stdout(&output);
    assert!(
        summary.contains("1 new") && summary.contains("9 ") && summary.contains("1 fixed"),
        "{summary}"
    );
}

/// The demo with one change of every kind `diff` names.
fn drifted_demo() -> Value {
    let text = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("demo");
    let mut document: Value = serde_json::from_str(&text).expect("JSON");
    let extensions = document["extensions"].as_array_mut().expect("extensions");
    let removed = extensions.remove(10);
    assert!(removed["id"].is_number());
    extensions[5]["type"] = json!("DigitalUser");
    extensions[2]["status"] = json!("Disabled");
    let mut added = extensions[0].clone();
    added["id"] = json!(999_000_001);
    added["extensionNumber"] = json!("199");
    added["name"] = json!("New Hire");
    added["type"] = json!("User");
    added
        .as_object_mut()
        .expect("object")
        .remove("forwardingNumbers");
    extensions.push(added);
    let forwarding = extensions[1]["forwardingNumbers"]
        .as_array_mut()
        .expect("forwarding");
    forwarding.pop();
    let numbers = document["phoneNumbers"].as_array_mut().expect("numbers");
    numbers.retain(|n| n["phoneNumber"] != "16505550125");
    let moved = numbers
        .iter_mut()
        .find(|n| n["usageType"] == "DirectNumber" && n["extension"].is_object())
        .expect("a direct number");
    moved["extension"]["id"] = json!(402_731_889_008_u64);
    numbers.push(json!({
        "id": 1_148_999_008_u64,
        "phoneNumber": "16505550999",
        "usageType": "CompanyNumber",
        "paymentType": "Local",
        "type": "VoiceFax",
        "status": "Normal"
    }));
    document
}

/// Writes [`drifted_demo`] into `dir`, returning its path.
fn write_drifted(dir: &Path) -> String {
    let new = dir.join("new.json");
    let text = serde_json::to_string_pretty(&drifted_demo()).expect("JSON");
    std::fs::write(&new, text).expect("write");
    new.display().to_string()
}

#[test]
fn diff_in_words_names_the_same_changes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let new = write_drifted(dir.path());
    let output = rcaudit(&["diff", "examples/demo.snapshot.json", &new]);
    assert_eq!(code(&output), 1);
    let text = stdout(&output);
    for expected in [
        "New Hire",
        "Disabled",
        "DigitalUser",
        "16505550999",
        "16505550125",
        "402731889008",
        "RC-EX-001",
    ] {
        assert!(text.contains(expected), "`{expected}` in:\n{text}");
    }
}

#[test]
fn diff_names_each_change_between_two_snapshots() {
    let dir = tempfile::tempdir().expect("temp dir");
    let new = write_drifted(dir.path());
    let output = rcaudit(&[
        "diff",
        "examples/demo.snapshot.json",
        &new,
        "--format",
        "json",
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = json(&output);
    assert_eq!(report["old"], "examples/demo.snapshot.json");
    let drift = &report["changes"];
    let ids = |list: &str| -> Vec<String> {
        drift[list]
            .as_array()
            .unwrap_or_else(|| panic!("{list} in {drift}"))
            .iter()
            .map(|e| {
                e["id"]
                    .as_str()
                    .map_or_else(|| e["id"].to_string(), str::to_owned)
            })
            .collect()
    };
    assert_eq!(ids("extensionsAdded"), ["999000001"]);
    assert_eq!(ids("extensionsRemoved").len(), 1);
    let changed = drift["extensionsChanged"].as_array().expect("changed");
    let fields: BTreeSet<String> = changed
        .iter()
        .flat_map(|c| c["changes"].as_array().expect("changes").iter())
        .map(|c| c["field"].as_str().expect("field").to_owned())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from(["type".to_owned(), "status".to_owned()])
    );
    assert_eq!(drift["numbersAdded"].as_array().expect("list").len(), 1);
    assert_eq!(drift["numbersAdded"][0]["phoneNumber"], "16505550999");
    assert_eq!(drift["numbersRemoved"][0]["phoneNumber"], "16505550125");
    let moved = drift["numbersChanged"].as_array().expect("list");
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0]["changes"][0]["field"], "extension");
    assert_eq!(moved[0]["changes"][0]["new"], "402731889008");
    assert_eq!(
        drift["forwardingChanged"].as_array().expect("list").len(),
        1
    );
    assert_eq!(
        drift["forwardingChanged"][0]["removed"]
            .as_array()
            .expect("list")
            .len(),
        1
    );
    let appeared: BTreeSet<String> = drift["findingsAppeared"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["fingerprint"].as_str().expect("fp").to_owned())
        .collect();
    let disappeared: BTreeSet<String> = drift["findingsDisappeared"]
        .as_array()
        .expect("list")
        .iter()
        .map(|f| f["fingerprint"].as_str().expect("fp").to_owned())
        .collect();
    assert!(appeared.contains("RC-EX-001:ext:999000001"), "{appeared:?}");
    assert!(
        disappeared.contains("RC-EX-001:ext:402731889008"),
        "{disappeared:?}"
    );
    // RC-FW-001 (11 forwarding numbers) is fixed by the removal.
    assert!(
        disappeared.iter().any(|f| f.starts_with("RC-FW-001:")),
        "{disappeared:?}"
    );

    // A snapshot against itself: no drift, exit 0.
    let output = rcaudit(&[
        "diff",
        "examples/demo.snapshot.json",
        "examples/demo.snapshot.json",
    ]);
    assert_eq!(code(&output), 0, "{}", stdout(&output));
}

#[test]
fn diff_of_a_bad_snapshot_is_a_clear_error() {
    let output = rcaudit(&[
        "diff",
        "examples/demo.snapshot.json",
        "tests/fixtures/invalid.snapshot.json",
    ]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("invalid.snapshot.json"),
        "{}",
        stderr(&output)
    );
    let output = rcaudit(&["diff", "examples/demo.snapshot.json", "no-such-file.json"]);
    assert_eq!(code(&output), 2);
}

/// Runs the binary from the repository at a terminal width.
fn at_width(columns: usize, args: &[&str]) -> std::process::Output {
    rcaudit_env(&repo(""), args, &[("COLUMNS", &columns.to_string())])
}

/// Rule ids in `text` cut at a hyphen by wrapping: `RC-EX-` at the end of
/// a line.
fn broken_ids(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let word = l.trim_end().rsplit(' ').next().unwrap_or_default();
            word.starts_with("RC-") && word.ends_with('-')
                || word.starts_with("error[RC-") && !word.ends_with(']')
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn diagnostics_name_severity_and_fingerprint_and_keep_ids_whole() {
    let report = report("examples/demo.snapshot.json");
    let findings = report["findings"].as_array().expect("list");
    for columns in [24, 33, 40, 57, 80, 100] {
        let output = at_width(columns, &["check", "examples/demo.snapshot.json"]);
        let text = stdout(&output);
        assert!(
            broken_ids(&text).is_empty(),
            "width {columns}: {:?}",
            broken_ids(&text)
        );
        for finding in findings {
            let id = finding["ruleId"].as_str().expect("id");
            let code = format!("{}[{id}]", finding["severity"].as_str().expect("severity"));
            assert!(text.contains(&code), "width {columns}: {code} in\n{text}");
            // The fingerprint after `fingerprint`, its words whole (lines
            // break only at spaces).
            let fingerprint = finding["fingerprint"].as_str().expect("fp");
            let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                words.contains(&format!("fingerprint {fingerprint}")),
                "width {columns}: fingerprint {fingerprint} in\n{text}"
            );
            // On one line, spaces and all, as a waiver's `item:` takes it.
            assert!(
                text.lines().any(|line| line.contains(fingerprint)),
                "width {columns}: fingerprint {fingerprint} on one line in\n{text}"
            );
        }
    }
    // The demo has a fingerprint with a space, which 40 columns used to
    // wrap after `RC-FW-003:number:1`; now it has a line of its own.
    let output = at_width(
        40,
        &[
            "check",
            "examples/demo.snapshot.json",
            "--select",
            "RC-FW-003",
        ],
    );
    let text = stdout(&output);
    assert!(
        text.lines()
            .any(|line| line.trim() == "RC-FW-003:number:1 650-555-0199"),
        "{text}"
    );
    assert!(!text.contains('\u{1f}'), "{text:?}");
    // At 40 columns miette's default wrapping split `RC-EX-004` after
    // `RC-EX-`: the check above can fail.
    assert_eq!(
        broken_ids("  help: see rcaudit explain RC-EX-\n  004"),
        ["  help: see rcaudit explain RC-EX-"]
    );
}

#[test]
fn concise_is_one_line_per_finding() {
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--format",
        "concise",
    ]);
    assert_eq!(code(&output), 1);
    insta::assert_snapshot!("demo_concise", stdout(&output));
    // A message with controls stays on its line, neutralised (the template
    // engine already turns a line break into a space; the report crate's
    // tests give `concise` one directly).
    let dir = tempfile::tempdir().expect("temp dir");
    let rules = dir.path().join("rules.yaml");
    std::fs::write(
        &rules,
        "rules:\n  - id: T-NL-001\n    severity: warning\n    title: Lines\n    target: extensions\n    assert: \"false\"\n    message: \"extension {{ item.extensionNumber }}\\nsecond line\\u001b[2J\\tend\"\n",
    )
    .expect("write");
    let output = rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--no-builtin",
        "--rules",
        &rules.display().to_string(),
        "--format",
        "concise",
    ]);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    let extensions = json(&rcaudit(&[
        "check",
        "tests/fixtures/small.snapshot.json",
        "--no-builtin",
        "--rules",
        &rules.display().to_string(),
        "--format",
        "json",
    ]))["findings"]
        .as_array()
        .expect("list")
        .len();
    assert!(extensions > 0);
    assert_eq!(lines.len(), extensions, "{text}");
    for line in lines {
        assert!(
            line.starts_with("tests/fixtures/small.snapshot.json:")
                && line.contains(": warning T-NL-001 extension ")
                && line.contains("second line\\u{1b}[2J")
                && line.ends_with(']'),
            "{line}"
        );
    }
}

/// The summary at the end of a human report: from its `N findings in`
/// line on.
fn summary_of(full: &str) -> &str {
    let summary_at = full
        .find("findings in ")
        .map(|i| full[..i].rfind('\n').map_or(0, |n| n + 1))
        .expect("summary");
    &full[summary_at..]
}

#[test]
fn statistics_and_quiet_shape_only_the_terminal_report() {
    let snapshot = "tests/fixtures/generated.snapshot.json";
    let output = rcaudit(&["check", snapshot, "--statistics"]);
    // The table (what follows it is the summary, compared below).
    let table = stdout(&output)
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .to_owned();
    insta::assert_snapshot!("generated_statistics", table);
    let full = stdout(&rcaudit(&["check", snapshot]));
    let summary = summary_of(&full);
    // The table, a blank line, the same summary; no diagnostic.
    let with_table = stdout(&output);
    assert!(with_table.ends_with(summary), "{with_table}");
    assert!(!with_table.contains("fingerprint"), "{with_table}");
    assert!(
        with_table.starts_with("count  severity  rule"),
        "{with_table}"
    );
    // --quiet: the summary line and the counts of rules not evaluated (not
    // the reasons), whatever the format of the terminal report.
    let headline = summary.lines().next().expect("a summary line");
    // Not evaluated: the two rules that read the user's permissions,
    // which the fixture does not record; RC-PN-006 in part (the fixture's
    // extensions without their own phone-number list).
    assert!(
        summary.contains("\n  evaluated in part (9 rules): "),
        "{summary}"
    );
    let quiet = format!(
        "{headline}\n2 rules not evaluated, 10 evaluated in part (the reasons: without --quiet)\n"
    );
    for args in [
        &["check", snapshot, "--quiet"][..],
        &["check", snapshot, "-q", "--format", "concise"],
        &["check", "-q", snapshot, "--statistics"],
    ] {
        let output = rcaudit(args);
        assert_eq!(code(&output), 1, "{args:?}");
        assert_eq!(stdout(&output), quiet, "{args:?}");
    }
    // A human or concise report written to a file is whole.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("findings.txt");
    let to_file = format!("concise={}", file.display());
    let output = rcaudit(&["check", snapshot, "-q", "--statistics", "-o", &to_file]);
    assert_eq!(stdout(&output), quiet);
    let written = std::fs::read_to_string(&file).expect("written");
    let findings = report(snapshot)["findings"].as_array().expect("list").len();
    assert_eq!(
        written.lines().take_while(|l| !l.is_empty()).count(),
        findings,
        "{written}"
    );
    // Documents are unchanged (but for JUnit's measured times).
    let untimed = |text: String| -> String {
        text.split(" time=\"")
            .enumerate()
            .map(|(i, part)| {
                if i == 0 {
                    part
                } else {
                    part.split_once('"').map_or(part, |(_, rest)| rest)
                }
            })
            .collect()
    };
    for format in ["json", "sarif", "junit", "markdown", "github", "html"] {
        let plain = untimed(stdout(&rcaudit(&["check", snapshot, "--format", format])));
        let shaped = untimed(stdout(&rcaudit(&[
            "check",
            snapshot,
            "--format",
            format,
            "--statistics",
            "-q",
        ])));
        assert_eq!(plain, shaped, "{format}");
    }
    // The table counts what counts: 120 findings of one rule.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("many.json");
    std::fs::write(&path, many_findings(120).to_string()).expect("write");
    let text = stdout(&rcaudit(&[
        "check",
        &path.display().to_string(),
        "--statistics",
        "--select",
        "RC-EX-001",
    ]));
    assert!(
        text.contains("\n  120  error     RC-EX-001  A UBP account"),
        "{text}"
    );
}

#[test]
fn quiet_is_one_flag_for_check_and_audit() {
    // `audit` takes fetch's --quiet (no progress bar) and check's options:
    // one flag, no clash (clap would panic on a duplicate).
    for (command, expected) in [
        (
            "check",
            &["--quiet", "--statistics", "--sarif-root", "concise"][..],
        ),
        (
            "audit",
            &["--quiet", "--statistics", "--sarif-root", "summary"][..],
        ),
    ] {
        let output = rcaudit(&[command, "--help"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let help = stdout(&output);
        for flag in expected {
            assert!(help.contains(flag), "{command}: {flag} in {help}");
        }
        assert_eq!(help.matches("--quiet").count(), 1, "{help}");
    }
}

/// `uri` and `uriBaseId` of the first result's artifact, and the root.
fn sarif_location(output: &std::process::Output) -> (String, String, String) {
    let sarif = json(output);
    let run = &sarif["runs"][0];
    let artifact = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    (
        artifact["uri"].as_str().unwrap_or_default().to_owned(),
        artifact["uriBaseId"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[test]
fn sarif_paths_are_relative_to_the_repository() {
    let schema = validator("schemas/external/sarif-schema-2.1.0.json");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    // A repository (a `.git` entry) holding `audits/my acme#1.json`, and a
    // folder outside it.
    std::fs::create_dir_all(root.join("repo/.git")).expect("mkdir");
    std::fs::create_dir_all(root.join("repo/audits")).expect("mkdir");
    std::fs::create_dir_all(root.join("elsewhere")).expect("mkdir");
    let inside = root.join("repo/audits/my acme#1.json");
    std::fs::copy(repo("examples/demo.snapshot.json"), &inside).expect("copy");
    std::fs::copy(
        repo("examples/demo.snapshot.json"),
        root.join("elsewhere/x.json"),
    )
    .expect("copy");
    let repo_uri = format!("file://{}/repo/", root.display()).replace(' ', "%20");
    let inside = inside.display().to_string();
    // (folder run in, arguments, uri, root uri, warned)
    let cases: Vec<(std::path::PathBuf, Vec<String>, &str, String, bool)> = vec![
        // An absolute path: relative to the git work tree holding it.
        (
            root.clone(),
            vec![inside.clone()],
            "audits/my%20acme%231.json",
            repo_uri.clone(),
            false,
        ),
        // A relative path that climbs: still relative to the work tree.
        (
            root.join("elsewhere"),
            vec!["../repo/audits/my acme#1.json".into()],
            "audits/my%20acme%231.json",
            repo_uri.clone(),
            false,
        ),
        // --sarif-root.
        (
            root.clone(),
            vec![
                inside.clone(),
                "--sarif-root".into(),
                root.join("repo/audits").display().to_string(),
            ],
            "my%20acme%231.json",
            format!("{repo_uri}audits/"),
            false,
        ),
        // Outside the root (no work tree holds it: the current folder is
        // the root): the file name, and a warning.
        (
            root.join("repo"),
            vec![root.join("elsewhere/x.json").display().to_string()],
            "x.json",
            repo_uri.clone(),
            true,
        ),
        (
            root.join("repo"),
            vec![
                root.join("elsewhere/x.json").display().to_string(),
                "--sarif-root".into(),
                root.join("repo").display().to_string(),
            ],
            "x.json",
            repo_uri.clone(),
            true,
        ),
    ];
    for (cwd, extra, uri, root_uri, warned) in cases {
        let mut args = vec!["check", "--format", "sarif"];
        args.extend(extra.iter().map(String::as_str));
        let output = rcaudit_env(&cwd, &args, &[]);
        assert_eq!(code(&output), 1, "{args:?}: {}", stderr(&output));
        assert_valid(&schema, &json(&output), &format!("{args:?}"));
        let (got, base, got_root) = sarif_location(&output);
        assert_eq!(
            (got.as_str(), base.as_str()),
            (uri, "%SRCROOT%"),
            "{args:?}"
        );
        assert_eq!(got_root, root_uri, "{args:?}");
        assert!(!got.contains("..") && !got.starts_with("file:"), "{got}");
        let message = stderr(&output);
        assert_eq!(
            message.contains("warning: SARIF"),
            warned,
            "{args:?}: {message}"
        );
    }
}

/// A snapshot SARIF cannot place: a warning, and its file name alone.
#[test]
fn sarif_says_when_it_cannot_place_the_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().canonicalize().expect("canonical");
    let inside = root.join("my acme#1.json");
    std::fs::copy(repo("examples/demo.snapshot.json"), &inside).expect("copy");
    let inside = inside.display().to_string();
    // A --sarif-root that does not exist: said, and the file name.
    let output = rcaudit_env(
        &root,
        &[
            "check",
            "--format",
            "sarif",
            &inside,
            "--sarif-root",
            "no/such/dir",
        ],
        &[],
    );
    assert_eq!(sarif_location(&output).0, "my%20acme%231.json");
    assert!(
        stderr(&output).contains("no/such/dir (no such folder)"),
        "{}",
        stderr(&output)
    );
    // Standard input: the warning, and a name that is no path.
    let text = std::fs::read(repo("examples/demo.snapshot.json")).expect("demo");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(["check", "-", "--format", "sarif"])
        .current_dir(&root)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &text).expect("write");
    let output = child.wait_with_output().expect("waits");
    let (got, _, _) = sarif_location(&output);
    assert!(!got.contains('/') && !got.contains(".."), "{got}");
    assert!(
        stderr(&output).contains("warning: SARIF"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn sarif_rules_have_a_security_severity() {
    let sarif = json(&rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--format",
        "sarif",
    ]));
    let report = json(&rcaudit(&["rules", "--format", "json"]));
    let severities: std::collections::BTreeMap<String, String> = report
        .as_array()
        .or_else(|| report["rules"].as_array())
        .expect("rules")
        .iter()
        .map(|r| {
            (
                r["id"].as_str().expect("id").to_owned(),
                r["severity"].as_str().expect("sev").to_owned(),
            )
        })
        .collect();
    for rule in sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
    {
        let expected = match severities[rule["id"].as_str().expect("id")].as_str() {
            "error" => "8.0",
            "warning" => "5.0",
            _ => "2.0",
        };
        assert_eq!(rule["properties"]["security-severity"], expected, "{rule}");
        assert!(
            rule["properties"]["tags"]
                .as_array()
                .expect("tags")
                .contains(&json!("security"))
        );
    }
}

#[test]
fn diff_in_words_reads_unambiguously() {
    let dir = tempfile::tempdir().expect("temp dir");
    let new = write_drifted(dir.path());
    let output = rcaudit(&["diff", "examples/demo.snapshot.json", &new]);
    let text = stdout(&output).replace(&new, "NEW.json");
    insta::assert_snapshot!("demo_diff", text);
    // No line starts with a sign a phone number could absorb.
    for line in text.lines().filter(|l| l.starts_with("  ")) {
        assert!(!line.trim_start().starts_with(['+', '-', '~']), "{line}");
    }
}

/// The demo without its phone numbers and plan: many rules stopped by a
/// few reasons.
fn demo_missing_data(dir: &Path) -> String {
    let text = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("demo");
    let mut document: Value = serde_json::from_str(&text).expect("JSON");
    let object = document.as_object_mut().expect("object");
    object.remove("phoneNumbers");
    object.remove("serviceInfo");
    let path = dir.join("variant.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&document).expect("JSON"),
    )
    .expect("write");
    path.display().to_string()
}

#[test]
fn a_reason_that_stops_many_rules_is_said_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = demo_missing_data(dir.path());
    let report = json(&rcaudit(&["check", &path, "--format", "json"]));
    let entries = report["notEvaluated"].as_array().expect("list");
    let reasons: BTreeSet<&str> = entries
        .iter()
        .map(|n| n["reason"].as_str().expect("reason"))
        .collect();
    assert!(reasons.len() < entries.len(), "{reasons:?}");
    let full = stdout(&rcaudit(&["check", &path])).replace(&path, "variant.json");
    let summary = summary_of(&full).to_owned();
    // --quiet counts them but leaves the reasons out.
    let quiet = stdout(&rcaudit(&["check", &path, "-q"])).replace(&path, "variant.json");
    assert_eq!(
        quiet.lines().collect::<Vec<_>>(),
        [
            summary.lines().next().expect("a summary line"),
            "12 rules not evaluated, 13 evaluated in part (the reasons: without --quiet)"
        ],
        "{quiet}"
    );
    // Each reason once per kind (whole, in part), then its rules.
    for reason in &reasons {
        let kinds = entries
            .iter()
            .filter(|n| n["reason"] == *reason)
            .map(|n| n["skipped"].is_null())
            .collect::<BTreeSet<bool>>()
            .len();
        assert_eq!(
            summary.matches(&format!("\n    {reason}\n")).count(),
            kinds,
            "{reason} in\n{summary}"
        );
    }
    for entry in entries {
        assert!(
            summary.contains(entry["ruleId"].as_str().expect("id")),
            "{summary}"
        );
    }
    insta::assert_snapshot!("missing_data_summary", summary);
    let markdown = stdout(&rcaudit(&["check", &path, "--format", "markdown"]));
    let details = markdown
        .split("<details>")
        .nth(1)
        .expect("a not-evaluated section")
        .to_owned();
    assert_eq!(
        details.lines().filter(|l| l.starts_with("| ")).count(),
        1 + summary.lines().filter(|l| l.starts_with("    ")).count(),
        "a row per reason: {details}"
    );
    insta::assert_snapshot!("missing_data_markdown", details);
}

#[test]
fn junit_of_the_demo() {
    let xml = stdout(&rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--format",
        "junit",
    ]));
    // Times are measured: each is a number of seconds.
    let mut stable = String::new();
    for (i, part) in xml.split(" time=\"").enumerate() {
        if i == 0 {
            stable.push_str(part);
            continue;
        }
        let (time, rest) = part.split_once('"').expect("a closing quote");
        assert!(time.parse::<f64>().is_ok_and(|t| t >= 0.0), "{time}");
        stable.push_str(" time=\"T\"");
        stable.push_str(rest);
    }
    insta::assert_snapshot!("demo_junit", stable);
}

#[test]
fn timings_name_the_phases_and_mark_rules_cel_interprets() {
    let demo = repo("examples/demo.snapshot.json");
    let output = rcaudit(&[
        "check",
        demo.to_str().unwrap_or_default(),
        "--timings",
        "-q",
    ]);
    let err = stderr(&output);
    for phase in ["read", "parse", "evaluate", "locate findings", "total"] {
        assert!(err.contains(phase), "{phase}: {err}");
    }
    let line = |id: &str| {
        err.lines()
            .find(|l| l.split_whitespace().nth(1) == Some(id))
            .unwrap_or_default()
            .to_owned()
    };
    // RC-PN-003's assert is a comprehension (`facts.mainNumbers.exists`),
    // which cel interprets; RC-EX-001 is compiled throughout.
    assert!(
        line("RC-PN-003").ends_with("RC-PN-003  (cel: assert)"),
        "{err}"
    );
    assert!(line("RC-EX-001").ends_with("RC-EX-001"), "{err}");
    // Each fact the rules read has its own line; list facts over the same
    // list share one pass, and its line names them all.
    assert!(
        line("facts.mainNumbers").ends_with("facts.mainNumbers"),
        "{err}"
    );
    assert!(
        err.lines().any(|l| l.ends_with(
            "facts.extensionNumberCopies, extensionIdCopies, extensionIds, typeCounts (one pass)"
        )),
        "{err}"
    );
}
