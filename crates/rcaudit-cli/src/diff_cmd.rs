//! `rcaudit diff`: what changed between two snapshots of an account.

use std::path::Path;

use rcaudit_model::Snapshot;
use rcaudit_report::{Report, diff};
use rcaudit_rules::RuleSet;

use crate::Exit;
use crate::check::evaluate;
use crate::cli::{DiffArgs, Global, ListFormat};
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::{setup, sources};

pub fn run(args: &DiffArgs, global: &Global) -> Result<Exit, Failure> {
    let setup = setup::load(&args.source, &Style::stderr(global.color))?;
    let (old, old_report) = load(&args.old, &setup.rules)?;
    let (new, new_report) = load(&args.new, &setup.rules)?;
    let mut drift = diff::drift(old.root(), new.root());
    diff::add_findings(&mut drift, &old_report, &new_report);
    let (a, b) = (
        args.old.display().to_string(),
        args.new.display().to_string(),
    );
    let text = match args.format {
        ListFormat::Human => diff::render_human(&drift, &a, &b),
        ListFormat::Json => diff::render_json(&drift, &a, &b),
    };
    match args.format {
        ListFormat::Human => output::print_plain(&text),
        ListFormat::Json => output::print_document(&text),
    }
    // A rule that failed on either side cannot say which findings came or
    // went: "disappeared" may only mean "could no longer run".
    let failed: Vec<String> = [(&a, &old_report), (&b, &new_report)]
        .iter()
        .flat_map(|(name, report)| {
            report.rule_errors.iter().map(move |e| {
                format!(
                    "  {} in {name}: {} failed: {}\n",
                    e.rule_id, e.part, e.message
                )
            })
        })
        .collect();
    if !failed.is_empty() {
        return Err(Failure::Line(format!(
            "rcaudit: error: {} rule error(s), so the findings that came and went are incomplete:\n{}",
            failed.len(),
            failed.concat()
        )));
    }
    Ok(if drift.is_empty() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

/// Reads, parses and checks one side of the diff.
fn load(path: &Path, rules: &RuleSet) -> Result<(Snapshot, Report), Failure> {
    let bytes = sources::snapshot(path)?;
    let snapshot = rcaudit_model::parse_bytes(&path.display().to_string(), bytes)?;
    let (outcome, _) = evaluate(&snapshot, rules)?;
    let report = Report::new(env!("CARGO_PKG_VERSION"), &snapshot, rules, outcome);
    Ok((snapshot, report))
}
