//! The data-driven load-error cases in the workspace's
//! `tests/cases/load-errors/`: rule files (and configs) that must not load,
//! with every problem they must produce (see the README there). Together
//! they produce every [`ProblemCode`].

use std::collections::BTreeSet;
use std::path::Path;

use rcaudit_rules::{ProblemCode, RuleFile, builtin, cases, config, load};

/// Codes no rule file, case or config can produce: a bug, and the fleet
/// file's problems (`crates/rcaudit-cli/tests/fleet.rs` produces those).
const UNREACHABLE: &[ProblemCode] = &[ProblemCode::Bug, ProblemCode::Fleet];

fn words(case: &serde_json::Value, key: &str) -> String {
    case.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Runs every case: the failures, and the codes of every problem produced.
#[expect(
    clippy::expect_used,
    clippy::panic,
    clippy::too_many_lines,
    reason = "a test helper fails the test by panicking"
)]
fn run_cases() -> (Vec<String>, BTreeSet<ProblemCode>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases/load-errors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases/load-errors exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let mut failures = Vec::new();
    let mut produced = BTreeSet::new();
    for path in &paths {
        let name = path
            .file_name()
            .expect("a file")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(path).expect("readable");
        let case = rcaudit_rules::yaml::parse(&text)
            .unwrap_or_else(|e| panic!("{name}: {}", e.message))
            .to_json();
        let rules_text = words(&case, "rules");
        let mut problems = Vec::new();
        let mut options = rcaudit_rules::LoadOptions::default();
        if let Some(config_text) = case.get("config").and_then(serde_json::Value::as_str) {
            match config::parse("config", config_text) {
                Ok(config) => options = config.load_options(),
                Err(errors) => problems.extend(errors.problems),
            }
        }
        let mut files = builtin::files();
        // `more`: a second rule file, for problems between files.
        if let Some(more) = case.get("more").and_then(serde_json::Value::as_str) {
            files.push(RuleFile {
                name: "more".to_owned(),
                text: more.to_owned(),
                pack: "cases".to_owned(),
            });
        }
        files.push(RuleFile {
            name: "rules".to_owned(),
            text: rules_text,
            pack: "cases".to_owned(),
        });
        match load(&files, &options) {
            Ok((_, warnings)) => problems.extend(warnings),
            Err(errors) => problems.extend(errors.problems),
        }
        // The rule's `cases:` are read as `rcaudit test` reads them.
        if let Err(errors) =
            cases::rule_cases(files.last().map(std::slice::from_ref).unwrap_or_default())
        {
            problems.extend(errors.problems);
        }
        produced.extend(problems.iter().map(|p| p.code));
        let actual: Vec<String> = problems
            .iter()
            .map(|p| {
                format!(
                    "{}:{} {} | {} | {}",
                    p.src.name(),
                    p.line(),
                    p.code,
                    p.message,
                    p.help.as_deref().unwrap_or_default()
                )
            })
            .collect();
        let expected = case
            .get("expect")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut matched = vec![false; actual.len()];
        for want in &expected {
            let file = words(want, "file");
            let line = want.get("line").and_then(serde_json::Value::as_u64);
            let column = want.get("column").and_then(serde_json::Value::as_u64);
            let code = words(want, "code");
            let message = words(want, "message");
            let help = words(want, "help");
            let found = problems.iter().enumerate().position(|(i, p)| {
                !matched.get(i).copied().unwrap_or(true)
                    && p.src.name() == file
                    && line.is_none_or(|l| usize::try_from(l).ok() == Some(p.line()))
                    && column.is_none_or(|c| {
                        usize::try_from(c).ok() == Some(p.src.line_col(p.span.offset()).column)
                    })
                    && (code.is_empty() || p.code == code)
                    && p.message.contains(&message)
                    && p.help.as_deref().unwrap_or_default().contains(&help)
            });
            match found.and_then(|i| matched.get_mut(i)) {
                Some(slot) => *slot = true,
                None => failures.push(format!("{name}: expected {want}, got {actual:#?}")),
            }
        }
        for (i, p) in actual.iter().enumerate() {
            if !matched.get(i).copied().unwrap_or(true) {
                failures.push(format!("{name}: unexpected problem {p}"));
            }
        }
    }
    (failures, produced)
}

#[test]
fn load_error_cases_pass() {
    let (failures, _) = run_cases();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every code is produced by some case (and, by `load_error_cases_pass`,
/// expected there): none is left untested.
#[test]
fn every_problem_code_has_a_case_that_produces_it() {
    let (_, produced) = run_cases();
    let missing: Vec<&str> = ProblemCode::ALL
        .iter()
        .filter(|c| !UNREACHABLE.contains(c) && !produced.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "no case in tests/cases/load-errors produces these codes: {missing:?}"
    );
}
