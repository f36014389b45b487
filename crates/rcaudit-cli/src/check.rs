//! `rcaudit check`: load rules, load the snapshot, evaluate, report.

use rcaudit_report::{Report, human, json};
use rcaudit_rules::{RuleSet, Severity};

use crate::Exit;
use crate::cli::{CheckArgs, FailOn, Format, Global};
use crate::output::{self, Message, Style};
use crate::{setup, sources};

/// Applies `--select` and `--ignore`; an id that names no rule is an error.
pub fn select(mut rules: RuleSet, only: &[String], ignore: &[String]) -> Result<RuleSet, String> {
    for id in only.iter().chain(ignore) {
        if rules.rule(id).is_none() {
            let hint = rcaudit_rules::load::suggest(id, rules.rules.iter().map(|r| r.id.as_str()))
                .map_or_else(String::new, |s| format!(" (did you mean {s}?)"));
            return Err(format!(
                "no rule has the id `{id}`{hint}; `rcaudit rules` lists them"
            ));
        }
    }
    for rule in &mut rules.rules {
        if (!only.is_empty() && !only.contains(&rule.id)) || ignore.contains(&rule.id) {
            rule.enabled = false;
        }
    }
    Ok(rules)
}

pub fn run(args: &CheckArgs, global: &Global) -> Exit {
    let err_style = Style::stderr(global.color);
    let Ok(setup) = setup::load(&args.source, &err_style) else {
        return Exit::Failed;
    };
    let rules = match select(setup.rules, &args.select, &args.ignore) {
        Ok(rules) => rules,
        Err(message) => {
            output::fail(&err_style, &Message(message));
            return Exit::Failed;
        }
    };
    let fail_on = args
        .fail_on
        .or_else(|| setup.config.fail_on.as_deref().and_then(FailOn::parse))
        .unwrap_or(FailOn::Error);
    let bytes = match sources::snapshot(&args.snapshot) {
        Ok(bytes) => bytes,
        Err(error) => {
            output::fail(&err_style, &Message(error.message));
            return Exit::Failed;
        }
    };
    let name = args.snapshot.display().to_string();
    let snapshot = match rcaudit_model::parse_bytes(&name, bytes) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            output::fail(&err_style, &error);
            return Exit::Failed;
        }
    };
    // Schema validation and evaluation both only read the tree: run them
    // side by side, and use the evaluation only if the snapshot is valid.
    let (valid, outcome) = std::thread::scope(|scope| {
        let validation = scope.spawn(|| snapshot.validate());
        let outcome = rcaudit_rules::evaluate(&rules, snapshot.root());
        let valid = validation.join().unwrap_or_else(|_| {
            Err(rcaudit_model::LoadError::BrokenSchema(
                "validation panicked".to_owned(),
            ))
        });
        (valid, outcome)
    });
    if let Err(error) = valid {
        output::fail(&err_style, &error);
        return Exit::Failed;
    }
    let report = Report::new(env!("CARGO_PKG_VERSION"), &snapshot, &rules, outcome);
    match args.format {
        Format::Json => output::print(&json::render(&report)),
        Format::Human => {
            let style = Style::stdout(global.color);
            let mut text = String::new();
            for diagnostic in human::diagnostics(&report) {
                text.push_str(&style.render(&diagnostic));
                text.push('\n');
            }
            text.push_str(&human::summary(&report));
            output::print(&text);
        }
    }
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    // The snapshot's tree is large; the process is about to end, so leave
    // freeing it to the operating system.
    std::mem::forget(snapshot);
    if threshold.is_some_and(|t| report.fails(t)) {
        Exit::Findings
    } else {
        Exit::Clean
    }
}
