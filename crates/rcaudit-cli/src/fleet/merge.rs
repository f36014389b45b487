//! `rcaudit fleet merge DIR...`: the summaries of a fleet run's shards
//! (each job's `fleet.json`) joined into one verdict.

use std::path::PathBuf;

use rcaudit_report::fleet::Fleet;

use crate::Exit;
use crate::cli::{FleetMergeArgs, Format, Global, SummaryFormat};
use crate::failure::Failure;
use crate::output;
use crate::outputs::{Spec, Target};
use crate::sources;

/// The summary format an `--output` names.
fn summary_format(spec: &Spec, default: SummaryFormat) -> Result<SummaryFormat, String> {
    match spec.format {
        None => Ok(default),
        Some(Format::Human) => Ok(SummaryFormat::Human),
        Some(Format::Markdown) => Ok(SummaryFormat::Markdown),
        Some(Format::Json) => Ok(SummaryFormat::Json),
        Some(other) => Err(format!(
            "a fleet summary is written as human, markdown or json, not {}",
            format!("{other:?}").to_lowercase()
        )),
    }
}

fn render(fleet: &Fleet, format: SummaryFormat) -> String {
    match format {
        SummaryFormat::Human => fleet.table(),
        SummaryFormat::Markdown => fleet.markdown(),
        SummaryFormat::Json => fleet.to_json(),
    }
}

pub fn run(args: &FleetMergeArgs, _global: &Global) -> Result<Exit, Failure> {
    // Every output is checked before anything is read.
    let mut outputs = Vec::new();
    let mut problems = Vec::new();
    for spec in &args.output {
        match summary_format(spec, args.format) {
            Ok(SummaryFormat::Json) if matches!(spec.target, Target::Append(_)) => problems
                .push("a JSON summary is one document and cannot be appended to a file".to_owned()),
            Ok(format) => outputs.push((format, spec.target.clone())),
            Err(problem) => problems.push(problem),
        }
    }
    if outputs.iter().filter(|(_, t)| *t == Target::Stdout).count() > 1 {
        problems.push("at most one output may go to standard output (`-`)".to_owned());
    }
    if !problems.is_empty() {
        return Err(Failure::Several(
            problems.into_iter().map(Failure::Message).collect(),
        ));
    }
    let mut parts = Vec::new();
    let mut unread = Vec::new();
    for given in &args.dirs {
        let path: PathBuf = if given.is_dir() {
            given.join("fleet.json")
        } else {
            given.clone()
        };
        let name = sources::shown(&path);
        if given.is_dir() && !path.exists() {
            unread.push(format!(
                "{} has no fleet.json: the run that wrote it may have failed before its summary, \
                 so its accounts have no verdict",
                given.display()
            ));
            continue;
        }
        match sources::document_text(&path, "the fleet summary")
            .map_err(|e| e.message)
            .and_then(|text| Fleet::parse(&name, &text))
        {
            Ok(fleet) => parts.push((name, fleet)),
            Err(problem) => unread.push(problem),
        }
    }
    if parts.is_empty() {
        return Err(Failure::Several(
            unread.into_iter().map(Failure::Message).collect(),
        ));
    }
    let mut merged = match Fleet::merge(&parts) {
        Ok(merged) => merged,
        Err(problem) => {
            unread.push(problem);
            return Err(Failure::Several(
                unread.into_iter().map(Failure::Message).collect(),
            ));
        }
    };
    merged.problems.splice(0..0, unread);
    let mut failures = Vec::new();
    for (format, target) in &outputs {
        let body = render(&merged, *format);
        let written = match target {
            Target::Replace(path) => sources::write_atomic(path, &body),
            Target::Append(path) => sources::append(path, &body),
            Target::Stdout => continue,
        };
        if let Err(error) = written {
            failures.push(Failure::Message(error.message));
        }
    }
    let terminal = outputs
        .iter()
        .find(|(_, target)| *target == Target::Stdout)
        .map_or(args.format, |(format, _)| *format);
    let body = render(&merged, terminal);
    if terminal == SummaryFormat::Json {
        output::print_document(&body);
    } else {
        output::print(&body);
    }
    if !failures.is_empty() {
        return Err(Failure::Several(failures));
    }
    Ok(match merged.exit() {
        0 => Exit::Clean,
        1 => Exit::Findings,
        _ => Exit::Failed,
    })
}
