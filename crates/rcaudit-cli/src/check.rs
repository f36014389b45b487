//! `rcaudit check`: load rules, load the snapshot, evaluate, report.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

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

/// `--timings`: phases, then the slowest rules.
fn timing_table(
    phases: &[(&str, Duration)],
    rules: &[(String, Duration)],
    total: Duration,
) -> String {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut out = String::from("timings (ms)\n");
    for (name, time) in phases {
        let _ = writeln!(out, "  {:>9.1}  {name}", ms(*time));
    }
    let _ = writeln!(out, "  {:>9.1}  total", ms(total));
    let mut slowest: Vec<&(String, Duration)> = rules.iter().collect();
    slowest.sort_by_key(|(_, time)| std::cmp::Reverse(*time));
    let _ = writeln!(out, "rules, slowest first (ms)");
    for (id, time) in slowest {
        let _ = writeln!(out, "  {:>9.1}  {id}", ms(*time));
    }
    out
}

pub fn run(args: &CheckArgs, global: &Global) -> Exit {
    let started = Instant::now();
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
    let mut phases: Vec<(&str, Duration)> = vec![("read", started.elapsed())];
    let mark = Instant::now();
    let snapshot = match rcaudit_model::parse_bytes(&name, bytes) {
        Ok(snapshot) => snapshot,
        Err(error) => {
            output::fail(&err_style, &error);
            return Exit::Failed;
        }
    };
    phases.push(("parse", mark.elapsed()));
    let mark = Instant::now();
    // Schema validation and evaluation both only read the tree: run them
    // side by side, and use the evaluation only if the snapshot is valid.
    let (valid, outcome) = std::thread::scope(|scope| {
        let validation = scope.spawn(|| {
            let started = Instant::now();
            let valid = snapshot.validate();
            // Findings will need places and line numbers: index the text
            // while the rules run.
            snapshot.source().index_lines();
            snapshot.source().index_elements();
            (valid, started.elapsed())
        });
        let outcome = rcaudit_rules::evaluate(&rules, snapshot.root());
        let valid = validation.join().unwrap_or_else(|_| {
            (
                Err(rcaudit_model::LoadError::BrokenSchema(
                    "validation panicked".to_owned(),
                )),
                Duration::ZERO,
            )
        });
        (valid, outcome)
    });
    let (valid, validation_time) = valid;
    phases.push(("evaluate (schema check alongside)", mark.elapsed()));
    phases.push((
        "  schema check and text indexes, second thread",
        validation_time,
    ));
    if let Err(error) = valid {
        output::fail(&err_style, &error);
        return Exit::Failed;
    }
    let mark = Instant::now();
    let timings = outcome.timings.clone();
    let report = Report::new(env!("CARGO_PKG_VERSION"), &snapshot, &rules, outcome);
    phases.push(("locate findings", mark.elapsed()));
    let mark = Instant::now();
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
    phases.push(("write output", mark.elapsed()));
    if args.timings {
        output::eprint(&timing_table(&phases, &timings, started.elapsed()));
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
