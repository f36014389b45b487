//! The examples a newcomer copies: `examples/rules/acme.yaml` (the README's
//! "Writing rules" walks through it) loads, its cases pass, it finds what
//! the README says on the demo, and the README's copy of the rule is the
//! file's.

mod common;

use common::{rcaudit, repo, stderr, stdout};

#[test]
fn the_example_rule_files_cases_pass() {
    let output = rcaudit(&["test", "examples/rules/acme.yaml"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("5 cases: 5 passed, 0 failed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn the_example_rule_checks_the_demo() {
    let output = rcaudit(&[
        "check",
        "examples/demo.snapshot.json",
        "--rules",
        "examples/rules/acme.yaml",
        "--select",
        "ACME-FW-001",
        "--format",
        "concise",
    ]);
    // Warnings only: below the default --fail-on error.
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let lines: Vec<String> = stdout(&output)
        .lines()
        .filter(|l| l.contains(" ACME-FW-001 "))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        lines,
        [
            "examples/demo.snapshot.json:794:28: warning ACME-FW-001 extension 102 forwards to 11 numbers [ACME-FW-001:ext:402731871008]",
            "examples/demo.snapshot.json:985:28: warning ACME-FW-001 extension 103 forwards to 10 numbers [ACME-FW-001:ext:402731874008]",
        ]
    );
}

/// Lines of YAML without comments and trailing blanks.
fn code_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            line.find(" #")
                .map_or(line, |at| &line[..at])
                .trim_end()
                .to_owned()
        })
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .collect()
}

#[test]
fn the_readme_shows_the_example_rule_as_it_is() {
    let readme = std::fs::read_to_string(repo("README.md")).expect("README");
    let section = readme
        .split("## Writing rules")
        .nth(1)
        .expect("a Writing rules section");
    let block = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a YAML block");
    let file = std::fs::read_to_string(repo("examples/rules/acme.yaml")).expect("the example");
    let file_lines = code_lines(&file);
    for line in code_lines(block) {
        assert!(
            file_lines.contains(&line),
            "the README's rule has `{line}`, which examples/rules/acme.yaml does not"
        );
    }
}
