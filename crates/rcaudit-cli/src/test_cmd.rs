//! `rcaudit test`: run rule cases and report pass/fail with diffs.

use std::fmt::Write as _;
use std::path::Path;

use rcaudit_rules::cases::{self, Case, Runner};
use rcaudit_rules::yaml::{self, Yaml};
use rcaudit_rules::{LoadErrors, RuleFile, builtin};

use crate::Exit;
use crate::cli::{Global, TestArgs};
use crate::failure::Failure;
use crate::output;
use crate::sources;

/// Whether a YAML file is a case file (not a rule file).
fn is_case_file(file: &RuleFile) -> bool {
    yaml::parse(&file.text).is_ok_and(|doc| {
        doc.get("rules").and_then(Yaml::as_seq).is_none()
            || doc.get("expect").is_some()
            || doc.get("cases").is_some()
    })
}

/// Problems in rule or case files: each, with no closing line.
fn problems(errors: LoadErrors) -> Failure {
    Failure::Problems { errors, then: None }
}

pub fn run(args: &TestArgs, _global: &Global) -> Result<Exit, Failure> {
    let mut rule_files: Vec<RuleFile> = if args.no_builtin {
        Vec::new()
    } else {
        builtin::files()
    };
    let mut case_files = Vec::new();
    let mut own_rules = Vec::new();
    for path in &args.paths {
        let files = sources::rule_files(Path::new(path))?;
        for file in files {
            if is_case_file(&file) {
                case_files.push(file);
            } else {
                own_rules.push(file);
            }
        }
    }
    rule_files.extend(own_rules.iter().cloned());
    // Without paths: the built-in rules' cases; with paths: those files'.
    let with_cases: &[RuleFile] = if args.paths.is_empty() {
        &rule_files
    } else {
        &own_rules
    };
    let mut all: Vec<Case> = cases::rule_cases(with_cases).map_err(problems)?;
    for file in &case_files {
        all.extend(cases::file_cases(file).map_err(problems)?);
    }
    if let Err(errors) = rcaudit_rules::load(&rule_files, &rcaudit_rules::LoadOptions::default()) {
        return Err(Failure::Problems {
            errors,
            then: Some("rcaudit: the rules do not load; no case ran\n".to_owned()),
        });
    }
    let mut runner = Runner::new(&rule_files);
    let mut text = String::new();
    let mut failed = 0;
    for case in &all {
        let result = runner.run(case);
        let rule = case
            .rule
            .as_deref()
            .map_or_else(String::new, |r| format!("{r}: "));
        if result.passed {
            let _ = writeln!(text, "ok    {rule}{}", result.name);
        } else {
            failed += 1;
            let _ = writeln!(text, "FAIL  {rule}{}  ({})", result.name, result.location);
            for line in result.diff.lines() {
                let _ = writeln!(text, "        {line}");
            }
        }
    }
    let _ = writeln!(
        text,
        "\n{} cases: {} passed, {failed} failed{}",
        all.len(),
        all.len() - failed,
        if failed > 0 {
            " (- expected, + actual)"
        } else {
            ""
        }
    );
    output::print(&text);
    if all.is_empty() {
        return Err(Failure::Line("rcaudit: no cases found\n".to_owned()));
    }
    Ok(if failed > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
