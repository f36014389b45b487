//! The data-driven cases in the workspace's `tests/cases/`: each YAML file
//! is a snapshot, the rules to run and everything they must report.

use std::path::Path;

use rcaudit_rules::{RuleFile, builtin, cases};

#[test]
fn case_files_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "case files found: {paths:?}");
    let files = builtin::files();
    let mut runner = cases::Runner::new(&files);
    let mut failures = Vec::new();
    let mut count = 0;
    for path in &paths {
        let file = RuleFile {
            name: format!(
                "tests/cases/{}",
                path.file_name().expect("a file").to_string_lossy()
            ),
            text: std::fs::read_to_string(path).expect("readable"),
            pack: "cases".to_owned(),
        };
        let list = cases::file_cases(&file).unwrap_or_else(|e| {
            panic!(
                "{}: {:?}",
                file.name,
                e.problems.iter().map(|p| &p.message).collect::<Vec<_>>()
            )
        });
        for case in &list {
            count += 1;
            let result = runner.run(case);
            if !result.passed {
                failures.push(format!(
                    "{} ({}):\n{}",
                    result.name, result.location, result.diff
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
