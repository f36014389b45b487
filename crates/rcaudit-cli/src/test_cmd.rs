//! `rcaudit test`: run rule cases and report pass/fail with diffs.

use std::fmt::Write as _;
use std::path::Path;

use rcaudit_rules::cases::{self, Case, Runner};
use rcaudit_rules::yaml::{self, Yaml};
use rcaudit_rules::{LoadErrors, RuleFile, builtin};

use crate::Exit;
use crate::cli::{Global, TestArgs};
use crate::output::{self, Style};
use crate::sources;

/// Whether a YAML file is a case file (not a rule file).
fn is_case_file(file: &RuleFile) -> bool {
    yaml::parse(&file.text).is_ok_and(|doc| {
        doc.get("rules").and_then(Yaml::as_seq).is_none()
            || doc.get("expect").is_some()
            || doc.get("cases").is_some()
    })
}

fn report(errors: &LoadErrors, style: &Style) {
    for problem in &errors.problems {
        output::eprint(&style.render(problem));
        output::eprint("\n");
    }
}

pub fn run(args: &TestArgs, global: &Global) -> Exit {
    let style = Style::stderr(global.color);
    let mut rule_files: Vec<RuleFile> = if args.no_builtin {
        Vec::new()
    } else {
        builtin::files()
    };
    let mut case_files = Vec::new();
    let mut own_rules = Vec::new();
    for path in &args.paths {
        let files = match sources::rule_files(Path::new(path)) {
            Ok(files) => files,
            Err(error) => {
                output::fail(&style, &output::Message(error.message));
                return Exit::Failed;
            }
        };
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
    let mut all: Vec<Case> = match cases::rule_cases(with_cases) {
        Ok(list) => list,
        Err(errors) => {
            report(&errors, &style);
            return Exit::Failed;
        }
    };
    for file in &case_files {
        match cases::file_cases(file) {
            Ok(list) => all.extend(list),
            Err(errors) => {
                report(&errors, &style);
                return Exit::Failed;
            }
        }
    }
    if let Err(errors) = rcaudit_rules::load(&rule_files, &rcaudit_rules::LoadOptions::default()) {
        report(&errors, &style);
        output::eprint("rcaudit: the rules do not load; no case ran\n");
        return Exit::Failed;
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
        output::eprint("rcaudit: no cases found\n");
        return Exit::Failed;
    }
    if failed > 0 {
        Exit::Findings
    } else {
        Exit::Clean
    }
}
