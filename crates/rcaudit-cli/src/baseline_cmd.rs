//! `rcaudit baseline`: one evaluation of a snapshot, written as the
//! `--format json` report that `check --baseline` reads.

use std::fmt::Write as _;

use crate::Exit;
use crate::check;
use crate::cli::{BaselineArgs, CheckOptions, Global};
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::sources;

pub fn run(args: &BaselineArgs, global: &Global) -> Result<Exit, Failure> {
    // What `check` would run, with the config's waivers; no outputs of its own.
    let options = CheckOptions {
        source: args.source.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        ..CheckOptions::default()
    };
    let prepared = check::prepare(&options, &Style::stderr(global.color))?;
    // Before the work: never over an input of the run, and writable.
    let mut inputs = vec![(args.snapshot.as_path(), "snapshot")];
    inputs.extend(check::inputs(&options));
    sources::refuse_overwriting(&args.output, &inputs)?;
    sources::check_writable(&args.output)?;
    let bytes = sources::snapshot(&args.snapshot)?;
    let name = sources::shown(&args.snapshot);
    let report = check::report(&prepared, &name, bytes)?;
    let errors = report.rule_errors.len();
    if errors > 0 {
        let mut failures: Vec<Failure> = report
            .rule_errors
            .iter()
            .map(|error| {
                Failure::Line(format!(
                    "rcaudit: rule error: {} ({}): {}\n",
                    error.rule_id, error.part, error.message
                ))
            })
            .collect();
        failures.push(Failure::Message(format!(
            "{errors} rule error{}: a rule failed while running, so the audit is incomplete \
             and a baseline of it would hide findings; {} was not written",
            if errors == 1 { "" } else { "s" },
            args.output.display()
        )));
        return Err(Failure::Several(failures));
    }
    let text = rcaudit_report::json::render(&report);
    sources::write_atomic(&args.output, &text)?;
    let findings = report.findings.len();
    let not_evaluated = report
        .not_evaluated
        .iter()
        .map(|n| n.rule_id.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut summary = format!(
        "recorded {findings} finding{} of {} rule{} in {}",
        if findings == 1 { "" } else { "s" },
        report.rules_run,
        if report.rules_run == 1 { "" } else { "s" },
        args.output.display()
    );
    if not_evaluated > 0 {
        let _ = write!(
            summary,
            "\n{not_evaluated} rule{} not evaluated in full (data missing from the \
             snapshot): what they could not see is not in it",
            if not_evaluated == 1 { " was" } else { "s were" }
        );
    }
    let _ = write!(
        summary,
        "\n`rcaudit check SNAPSHOT --baseline {}` counts only the findings it does not have\n",
        args.output.display()
    );
    output::print(&summary);
    Ok(Exit::Clean)
}
