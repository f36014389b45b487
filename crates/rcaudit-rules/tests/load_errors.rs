//! The data-driven load-error cases in the workspace's
//! `tests/cases/load-errors/`: rule files (and configs) that must not load,
//! with every problem they must produce (see the README there).

use std::path::Path;

use rcaudit_rules::{RuleFile, builtin, config, load};

fn words(case: &serde_json::Value, key: &str) -> String {
    case.get(key)
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn load_error_cases_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases/load-errors");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/cases/load-errors exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let mut failures = Vec::new();
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
        files.push(RuleFile {
            name: "rules".to_owned(),
            text: rules_text,
            pack: "cases".to_owned(),
        });
        match load(&files, &options) {
            Ok((_, warnings)) => problems.extend(warnings),
            Err(errors) => problems.extend(errors.problems),
        }
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
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
