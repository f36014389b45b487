//! `check` and `audit` plumbing end to end: several reports from one
//! evaluation (`--output FORMAT=PATH`), the snapshot from standard input,
//! rule id prefixes in `--select`/`--ignore`, and the config file found
//! in the folders above.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::{code, rcaudit, rcaudit_in, repo, stderr, stdout};

/// A folder holding `s.json`, a copy of the small fixture (3 findings).
fn folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo("tests/fixtures/small.snapshot.json"),
        dir.path().join("s.json"),
    )
    .expect("copy");
    dir
}

/// A report without what differs from run to run: JUnit's `time="..."`.
fn stable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("time=\"") {
        let (head, tail) = rest.split_at(at + 6);
        out.push_str(head);
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    }
    out.push_str(rest);
    out
}

fn read(dir: &Path, name: &str) -> String {
    stable(&std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// What `check s.json --format FORMAT` prints, run alone.
fn alone(dir: &Path, format: &str) -> String {
    let output = rcaudit_in(dir, &["check", "s.json", "--format", format]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    stable(&stdout(&output))
}

/// Runs the binary in `dir` with `input` on standard input.
fn with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("the binary runs")
}

#[test]
fn several_reports_come_from_one_evaluation_each_as_its_format_alone() {
    let dir = folder();
    let output = rcaudit_in(
        dir.path(),
        &[
            "check",
            "s.json",
            "--format",
            "json",
            "--output",
            "sarif=r.sarif",
            "--output",
            "markdown=summary.md",
            "-o",
            "junit=r.xml",
            "--output=github=annotations.txt",
            "--output",
            "human=report.txt",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    // The terminal shows --format's document, every file its own format.
    assert_eq!(stdout(&output), alone(dir.path(), "json"));
    for (format, file) in [
        ("sarif", "r.sarif"),
        ("markdown", "summary.md"),
        ("junit", "r.xml"),
        ("github", "annotations.txt"),
        ("human", "report.txt"),
    ] {
        assert_eq!(read(dir.path(), file), alone(dir.path(), format), "{file}");
    }
    // No temporary file is left beside them.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "annotations.txt",
            "r.sarif",
            "r.xml",
            "report.txt",
            "s.json",
            "summary.md"
        ]
    );
}

#[test]
fn a_path_alone_is_the_format_document_and_the_terminal_shows_the_human_report() {
    let dir = folder();
    let output = rcaudit_in(
        dir.path(),
        &[
            "check",
            "s.json",
            "--format",
            "sarif",
            "-o",
            "r.sarif",
            "--output",
            "markdown=summary.md",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output), alone(dir.path(), "human"));
    assert_eq!(read(dir.path(), "r.sarif"), alone(dir.path(), "sarif"));
    assert_eq!(
        read(dir.path(), "summary.md"),
        alone(dir.path(), "markdown")
    );
    // A prefix that is no word is part of the path: `./a=b.json` is a file.
    let output = rcaudit_in(
        dir.path(),
        &["check", "s.json", "--format", "json", "-o", "./a=b.json"],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(read(dir.path(), "a=b.json"), alone(dir.path(), "json"));
    assert_eq!(stdout(&output), alone(dir.path(), "human"));
}

#[test]
fn a_misspelt_format_is_refused_not_taken_as_a_file_name() {
    let dir = folder();
    let output = rcaudit_in(
        dir.path(),
        &["check", "s.json", "--output", "sarfi=r.sarif"],
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let error = stderr(&output);
    assert!(
        error.contains("`sarfi` is not an output format (did you mean `sarif`?)"),
        "{error}"
    );
    assert!(error.contains("written as `./sarfi=r.sarif`"), "{error}");
    assert_eq!(stdout(&output), "");
    assert!(!dir.path().join("sarfi=r.sarif").exists());
    assert!(!dir.path().join("r.sarif").exists());
}

#[test]
fn plus_appends_as_github_step_summaries_want_and_a_plain_path_replaces() {
    let dir = folder();
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "# An earlier step\n").expect("write");
    let markdown = alone(dir.path(), "markdown");
    for _ in 0..2 {
        let output = rcaudit_in(
            dir.path(),
            &["check", "s.json", "--output", "markdown=+step-summary.md"],
        );
        assert_eq!(code(&output), 1, "{}", stderr(&output));
        assert_eq!(stdout(&output), alone(dir.path(), "human"));
    }
    assert_eq!(
        read(dir.path(), "step-summary.md"),
        format!("# An earlier step\n{markdown}{markdown}")
    );
    // Appending creates the file; a path without `+` replaces it.
    let output = rcaudit_in(
        dir.path(),
        &["check", "s.json", "--output", "markdown=+new.md"],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(read(dir.path(), "new.md"), markdown);
    let output = rcaudit_in(
        dir.path(),
        &["check", "s.json", "--output", "markdown=step-summary.md"],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(read(dir.path(), "step-summary.md"), markdown);
    // A document cannot be appended: two JSON documents are not one.
    let output = rcaudit_in(dir.path(), &["check", "s.json", "--output", "json=+r.json"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("a json report is one document and cannot be appended"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("r.json").exists());
}

#[test]
fn one_output_may_take_standard_output() {
    let dir = folder();
    let output = rcaudit_in(
        dir.path(),
        &[
            "check",
            "s.json",
            "--output",
            "junit=-",
            "--output",
            "markdown=m.md",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    // Only that output: the human report is not printed with it.
    assert_eq!(stable(&stdout(&output)), alone(dir.path(), "junit"));
    assert_eq!(read(dir.path(), "m.md"), alone(dir.path(), "markdown"));
    let output = rcaudit_in(
        dir.path(),
        &["check", "s.json", "--format", "sarif", "-o", "-"],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output), alone(dir.path(), "sarif"));
}

#[test]
fn outputs_are_all_checked_before_anything_is_read_or_written() {
    let dir = folder();
    std::fs::copy(
        repo("tests/fixtures/human-rules.yaml"),
        dir.path().join("mine.yaml"),
    )
    .expect("copy");
    let output = rcaudit_in(
        dir.path(),
        &[
            "check",
            "s.json",
            "--rules",
            "mine.yaml",
            "--output",
            "sarif=r.sarif",
            "--output",
            "json=./r.sarif",
            "-o",
            "s.json",
            "--output",
            "markdown=+mine.yaml",
            "--output",
            "junit=no/such/folder/r.xml",
            "--output",
            "github=-",
            "-o",
            "-",
        ],
    );
    assert_eq!(code(&output), 2);
    assert_eq!(stdout(&output), "");
    insta::assert_snapshot!("outputs_refused", stderr(&output));
    assert!(!dir.path().join("r.sarif").exists());
    assert_eq!(
        read(dir.path(), "mine.yaml"),
        std::fs::read_to_string(repo("tests/fixtures/human-rules.yaml")).expect("read")
    );
    // `audit`: an output over the --save file is refused before the fetch
    // (nobody listens on port 9: a fetch would fail differently).
    let output = rcaudit_in(
        dir.path(),
        &[
            "audit",
            "--server",
            "http://127.0.0.1:9",
            "--save",
            "fetched.json",
            "--output",
            "sarif=fetched.json",
        ],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains(
            "refusing to write fetched.json: it is the snapshot (--save) this run reads or writes"
        ),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("cannot read the account"));
    // Bad values are usage errors.
    for (value, message) in [
        ("json=", "no path after `json=`"),
        ("markdown=+", "no path after `markdown=+`"),
        ("", "an empty path"),
    ] {
        let output = rcaudit_in(dir.path(), &["check", "s.json", "--output", value]);
        assert_eq!(code(&output), 2, "{value}");
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn an_output_that_fails_is_reported_and_the_others_are_still_written() {
    let dir = folder();
    // /dev/full takes the open and refuses the write.
    let output = rcaudit_in(
        dir.path(),
        &[
            "check",
            "s.json",
            "--output",
            "junit=/dev/full",
            "--output",
            "sarif=r.sarif",
            "--output",
            "markdown=m.md",
        ],
    );
    assert_eq!(code(&output), 2, "a lost report fails the run");
    let err = stderr(&output);
    assert!(err.contains("cannot write /dev/full"), "{err}");
    assert!(err.contains("the junit report"), "{err}");
    assert_eq!(read(dir.path(), "r.sarif"), alone(dir.path(), "sarif"));
    assert_eq!(read(dir.path(), "m.md"), alone(dir.path(), "markdown"));
    assert_eq!(stdout(&output), alone(dir.path(), "human"));
}

#[test]
fn the_snapshot_can_come_from_standard_input() {
    let dir = folder();
    let bytes = std::fs::read(dir.path().join("s.json")).expect("read");
    let piped = with_stdin(dir.path(), &["check", "-"], &bytes);
    assert_eq!(code(&piped), 1, "{}", stderr(&piped));
    // The same report, naming the snapshot `<stdin>`.
    assert_eq!(
        stdout(&piped),
        alone(dir.path(), "human").replace("s.json", "<stdin>")
    );
    assert!(stdout(&piped).contains("╭─[<stdin>:"), "{}", stdout(&piped));
    let sarif = with_stdin(dir.path(), &["check", "-", "--format", "sarif"], &bytes);
    let sarif: serde_json::Value = serde_json::from_slice(&sarif.stdout).expect("SARIF");
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert!(uri.as_str().is_some_and(|u| u.contains("stdin")), "{uri}");
    // Nothing piped in (or only blanks) is a clear error.
    for empty in [&b""[..], b"\n  \n"] {
        let output = with_stdin(dir.path(), &["check", "-"], empty);
        assert_eq!(code(&output), 2);
        assert_eq!(stdout(&output), "");
        insta::assert_snapshot!("stdin_empty", stderr(&output));
    }
}

/// The ids of the rules a run enabled (the SARIF rule descriptors).
fn enabled(args: &[&str]) -> Vec<String> {
    let mut all = vec![
        "check",
        "tests/fixtures/small.snapshot.json",
        "--format",
        "sarif",
    ];
    all.extend(args);
    let output = rcaudit(&all);
    assert!(matches!(code(&output), 0 | 1), "{}", stderr(&output));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).expect("SARIF");
    sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

#[test]
fn select_and_ignore_take_prefixes_of_whole_segments() {
    let all = enabled(&[]);
    let forwarding: Vec<String> = all
        .iter()
        .filter(|id| id.starts_with("RC-FW-"))
        .cloned()
        .collect();
    assert!(forwarding.len() >= 3, "{all:?}");
    assert_eq!(enabled(&["--select", "RC-FW"]), forwarding);
    assert_eq!(enabled(&["--select", "RC-FW-"]), forwarding);
    let rest: Vec<String> = all
        .iter()
        .filter(|id| !id.starts_with("RC-FW-"))
        .cloned()
        .collect();
    assert_eq!(enabled(&["--ignore", "RC-FW"]), rest);
    // Ids and prefixes mix; `RC` is every built-in rule.
    let mut mixed = enabled(&["--select", "RC-PN-003,RC-FW", "--ignore", "RC-FW-001"]);
    mixed.sort();
    let mut expected: Vec<String> = forwarding
        .iter()
        .filter(|id| *id != "RC-FW-001")
        .cloned()
        .chain(["RC-PN-003".to_owned()])
        .collect();
    expected.sort();
    assert_eq!(mixed, expected);
    assert_eq!(enabled(&["--select", "RC"]), all);
    // A part of a segment is no prefix, and an unknown one says so.
    for pattern in ["RC-F", "RC-FX", "RC-FW-01"] {
        let output = rcaudit(&[
            "check",
            "tests/fixtures/small.snapshot.json",
            "--select",
            pattern,
        ]);
        assert_eq!(code(&output), 2, "{pattern}");
        assert_eq!(stdout(&output), "");
        insta::assert_snapshot!(format!("select_{pattern}"), stderr(&output));
    }
}

/// The rules of `human-rules.yaml` with findings on the small fixture.
const MINE: [&str; 3] = ["SHOW-ERR-001", "SHOW-WARN-002", "SHOW-INFO-003"];

#[test]
fn the_config_is_found_in_the_folders_above_up_to_the_repository_root() {
    let outer = tempfile::tempdir().expect("temp dir");
    // Above the repository: never read (it would fail the run).
    std::fs::write(outer.path().join("rcaudit.yaml"), "not: [valid").expect("write");
    let root = outer.path().join("repo");
    let deep = root.join("a/b");
    std::fs::create_dir_all(&deep).expect("dirs");
    std::fs::create_dir(root.join(".git")).expect(".git");
    std::fs::create_dir(root.join("rules")).expect("rules");
    std::fs::copy(
        repo("tests/fixtures/human-rules.yaml"),
        root.join("rules/mine.yaml"),
    )
    .expect("copy");
    let snapshot = repo("tests/fixtures/small.snapshot.json");
    let snapshot = snapshot.to_str().expect("utf-8");
    let rules_run = |output: &Output| -> Vec<String> {
        assert!(matches!(code(output), 0 | 1), "{}", stderr(output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
        let mut ids: Vec<String> = report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter_map(|f| f["ruleId"].as_str())
            .filter(|id| id.starts_with("SHOW-"))
            .map(str::to_owned)
            .collect();
        ids.dedup();
        ids
    };
    let check = |dir: &Path, extra: &[&str]| {
        let mut args = vec!["check", snapshot, "--format", "json"];
        args.extend(extra);
        rcaudit_in(dir, &args)
    };
    // No config in the repository: none is used.
    assert_eq!(rules_run(&check(&deep, &[])), Vec::<String>::new());
    // The repository's config, from two folders down; its `rules:` path
    // is relative to its own folder.
    std::fs::write(root.join("rcaudit.yaml"), "rules: [rules]\n").expect("write");
    let found = check(&deep, &[]);
    assert_eq!(rules_run(&found), MINE);
    assert_eq!(code(&found), 1);
    // The nearest config wins (they are not merged).
    std::fs::write(root.join("a/rcaudit.yaml"), "failOn: never\n").expect("write");
    let nearest = check(&deep, &[]);
    assert_eq!(rules_run(&nearest), Vec::<String>::new());
    assert_eq!(code(&nearest), 0, "{}", stderr(&nearest));
    // --config still decides.
    let chosen = check(&deep, &["--config", "../../rcaudit.yaml"]);
    assert_eq!(rules_run(&chosen), MINE);
    // A problem in a config found above names it as reachable from here.
    std::fs::write(root.join("a/rcaudit.yaml"), "failOn: sometimes\n").expect("write");
    let bad = check(&deep, &[]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("../rcaudit.yaml"), "{}", stderr(&bad));
}
