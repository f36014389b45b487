//! The GitHub Action (`action.yml`) runs as GitHub would run its shell
//! steps: each step's `run:` script, read from the file, with its `env:`
//! filled from the inputs as `${{ inputs.NAME }}` says, `GITHUB_OUTPUT` and
//! `GITHUB_STEP_SUMMARY` as files, and this build of rcaudit on the `PATH`
//! in place of the release the install step downloads (that step's script,
//! `dist/install.sh`, is tested in `dist.rs`). The check step must record
//! rcaudit's exit code and the SARIF file as outputs, write the summary and
//! annotations; the verdict step must fail the job exactly when rcaudit
//! found something or failed.

#![expect(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeMap;
use std::path::Path;

mod common;
use common::{repo, runner_step};

/// `action.yml`, as JSON.
fn action() -> serde_json::Value {
    let text = std::fs::read_to_string(repo("action.yml")).expect("action.yml");
    rcaudit_rules::yaml::parse(&text)
        .unwrap_or_else(|e| panic!("action.yml is YAML: {}", e.message))
        .to_json()
}

fn step(id_or_name: &str) -> serde_json::Value {
    action()["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id_or_name || s["name"] == id_or_name)
        .cloned()
        .unwrap_or_else(|| panic!("no step {id_or_name}"))
}

/// A folder holding the demo snapshot as `demo.json`.
fn with_demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo("examples/demo.snapshot.json"),
        dir.path().join("demo.json"),
    )
    .expect("copy");
    dir
}

/// Fills `${{ inputs.NAME }}` and `${{ steps.check.outputs.NAME }}`.
fn fill(value: &str, inputs: &BTreeMap<&str, &str>, outputs: &BTreeMap<String, String>) -> String {
    let expression = value.trim();
    if let Some(name) = expression
        .strip_prefix("${{ inputs.")
        .and_then(|r| r.strip_suffix(" }}"))
    {
        return (*inputs.get(name).unwrap_or(&"")).to_owned();
    }
    if let Some(name) = expression
        .strip_prefix("${{ steps.check.outputs.")
        .and_then(|r| r.strip_suffix(" }}"))
    {
        return outputs.get(name).cloned().unwrap_or_default();
    }
    assert!(
        !value.contains("${{"),
        "an expression this test does not know: {value}"
    );
    value.to_owned()
}

struct Ran {
    code: Option<i32>,
    stdout: String,
    outputs: BTreeMap<String, String>,
    summary: String,
}

/// Runs a step's script in `dir` as a runner would.
fn run(
    dir: &Path,
    step: &serde_json::Value,
    inputs: &BTreeMap<&str, &str>,
    outputs: &BTreeMap<String, String>,
) -> Ran {
    let output_file = dir.join("github-output");
    let summary_file = dir.join("step-summary.md");
    std::fs::write(&output_file, "").expect("GITHUB_OUTPUT");
    let mut command = runner_step(dir, step["run"].as_str().expect("a run script"));
    command
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file);
    for (name, value) in step["env"].as_object().into_iter().flatten() {
        command.env(
            name,
            fill(value.as_str().unwrap_or_default(), inputs, outputs),
        );
    }
    let output = command.output().expect("bash runs");
    let outputs = std::fs::read_to_string(&output_file)
        .expect("outputs")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        outputs,
        summary: std::fs::read_to_string(&summary_file).unwrap_or_default(),
    }
}

/// The inputs' defaults, from the file, with `given` over them.
fn inputs<'a>(
    defaults: &'a serde_json::Value,
    given: &[(&'a str, &'a str)],
) -> BTreeMap<&'a str, &'a str> {
    let mut inputs: BTreeMap<&str, &str> = defaults
        .as_object()
        .expect("inputs")
        .iter()
        .map(|(k, v)| (k.as_str(), v["default"].as_str().unwrap_or_default()))
        .collect();
    inputs.extend(given.iter().copied());
    inputs
}

fn defaults() -> serde_json::Value {
    action()["inputs"].clone()
}

#[test]
fn the_check_step_reports_and_the_verdict_step_fails_on_findings() {
    let dir = with_demo();
    let defaults = defaults();
    let given = inputs(
        &defaults,
        &[("snapshot", "demo.json"), ("junit", "junit.xml")],
    );
    let check = run(dir.path(), &step("check"), &given, &BTreeMap::new());
    assert_eq!(
        check.code,
        Some(0),
        "the check step itself succeeds: {}",
        check.stdout
    );
    assert_eq!(check.outputs["exit-code"], "1");
    assert_eq!(check.outputs["sarif"], "rcaudit.sarif");
    assert!(dir.path().join("rcaudit.sarif").is_file() && dir.path().join("junit.xml").is_file());
    assert!(
        check.stdout.contains("::error file=demo.json,"),
        "{}",
        check.stdout
    );
    assert!(check.summary.starts_with("## "), "{}", check.summary);
    let verdict = run(dir.path(), &step("Verdict"), &given, &check.outputs);
    assert_eq!(verdict.code, Some(1));
    assert!(
        verdict.stdout.contains("::error title=rcaudit::findings"),
        "{}",
        verdict.stdout
    );
}

#[test]
fn without_sarif_or_summary_nothing_is_written_and_a_clean_run_passes() {
    let dir = with_demo();
    let defaults = defaults();
    let given = inputs(
        &defaults,
        &[
            ("snapshot", "demo.json"),
            ("sarif", ""),
            ("summary", "false"),
            ("args", "--fail-on never"),
        ],
    );
    let check = run(dir.path(), &step("check"), &given, &BTreeMap::new());
    assert_eq!(check.outputs["exit-code"], "0");
    assert!(!check.outputs.contains_key("sarif"), "{:?}", check.outputs);
    assert!(check.summary.is_empty());
    let verdict = run(dir.path(), &step("Verdict"), &given, &check.outputs);
    assert_eq!(verdict.code, Some(0), "{}", verdict.stdout);
}

#[test]
fn a_run_that_fails_fails_the_verdict_with_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let defaults = defaults();
    let given = inputs(&defaults, &[("snapshot", "missing.json")]);
    // A SARIF file an earlier run left is not this run's.
    std::fs::write(dir.path().join("rcaudit.sarif"), "{\"runs\": []}").expect("written");
    let check = run(dir.path(), &step("check"), &given, &BTreeMap::new());
    assert_eq!(check.outputs["exit-code"], "2");
    assert!(!check.outputs.contains_key("sarif"), "no SARIF to upload");
    let verdict = run(dir.path(), &step("Verdict"), &given, &check.outputs);
    assert_eq!(verdict.code, Some(2));
    assert!(
        verdict.stdout.contains("did not complete"),
        "{}",
        verdict.stdout
    );
}
