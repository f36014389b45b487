//! `rcaudit check`: load rules, load the snapshot, evaluate, report.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use rcaudit_model::Snapshot;
use rcaudit_report::{Baseline, Report, html, human};
use rcaudit_rules::waivers::{Date, Waiver};
use rcaudit_rules::{Outcome, Rule, RuleSet};

use crate::Exit;
use crate::cli::{CheckArgs, CheckOptions, FailOn, Format, Global, RuleErrors};
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::render::Rendering;
use crate::{outputs, setup, sources};

/// Whether a `--select`/`--ignore` pattern names a rule id: the id itself,
/// or a prefix of whole dash-separated segments (`RC-FW` names RC-FW-001;
/// `RC-F` names nothing).
fn names(pattern: &str, id: &str) -> bool {
    let pattern = pattern.strip_suffix('-').unwrap_or(pattern);
    !pattern.is_empty()
        && (id == pattern
            || id
                .strip_prefix(pattern)
                .is_some_and(|rest| rest.starts_with('-')))
}

/// Applies `--select` and `--ignore` (ids or id prefixes); a pattern that
/// names no rule is an error.
pub fn select(mut rules: RuleSet, only: &[String], ignore: &[String]) -> Result<RuleSet, String> {
    for pattern in only.iter().chain(ignore) {
        if !rules.rules.iter().any(|r| names(pattern, &r.id)) {
            // Ids, and the prefixes they have (RC-FW for RC-FX).
            let mut known: Vec<&str> = rules
                .rules
                .iter()
                .flat_map(|r| {
                    r.id.match_indices('-')
                        .filter_map(|(at, _)| r.id.get(..at))
                        .chain([r.id.as_str()])
                })
                .collect();
            known.sort_unstable();
            known.dedup();
            let hint = rcaudit_rules::suggest(pattern, known)
                .map_or_else(String::new, |s| format!(" (did you mean {s}?)"));
            return Err(format!(
                "no rule has the id `{pattern}`, nor an id that starts with it{hint}; \
                 `rcaudit rules` lists them"
            ));
        }
    }
    for rule in &mut rules.rules {
        let selected = only.is_empty() || only.iter().any(|p| names(p, &rule.id));
        if !selected || ignore.iter().any(|p| names(p, &rule.id)) {
            rule.enabled = false;
        }
    }
    Ok(rules)
}

/// `--timings`: phases, then the slowest rules and facts (`facts.NAME`).
fn timing_table(
    phases: &[(&str, Duration)],
    rules: &[(String, Duration)],
    set: &RuleSet,
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
    let _ = writeln!(
        out,
        "rules and facts, slowest first (ms; \"cel:\" marks parts interpreted, not compiled)"
    );
    for (id, time) in slowest {
        let interpreted = set
            .rules
            .iter()
            .find(|r| &r.id == id)
            .map(Rule::interpreted_parts)
            .unwrap_or_default();
        if interpreted.is_empty() {
            let _ = writeln!(out, "  {:>9.1}  {id}", ms(*time));
        } else {
            let _ = writeln!(
                out,
                "  {:>9.1}  {id}  (cel: {})",
                ms(*time),
                interpreted.join(", ")
            );
        }
    }
    out
}

/// Today, for waiver expiry: `RCAUDIT_TODAY` (YYYY-MM-DD) when set, so runs
/// can be reproduced; otherwise the system clock (UTC).
pub fn today() -> Result<Date, String> {
    if let Some(value) = std::env::var_os("RCAUDIT_TODAY") {
        let text = value.to_string_lossy();
        return Date::parse(&text)
            .ok_or_else(|| format!("RCAUDIT_TODAY={text} is not a date (YYYY-MM-DD)"));
    }
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(Date::from_unix_seconds(seconds))
}

/// The config's waivers and `--waivers`, checked against the rules.
fn waivers(args: &CheckOptions, setup: &setup::Setup) -> Result<Vec<Waiver>, Failure> {
    let mut all = setup.config.waivers.clone();
    let mut problems = Vec::new();
    if let Some(path) = &args.waivers {
        let text = sources::text(path, "waivers")?;
        let (more, invalid) = rcaudit_rules::waivers::parse(&path.display().to_string(), &text);
        all.extend(more);
        problems.extend(invalid);
    }
    problems.extend(rcaudit_rules::waivers::check_rules(&all, &setup.rules));
    if !problems.is_empty() {
        return Err(Failure::problems(
            rcaudit_rules::LoadErrors { problems },
            "the waivers",
        ));
    }
    Ok(all)
}

/// `--baseline`: a previous JSON report.
fn baseline(args: &CheckOptions) -> Result<Option<Baseline>, Failure> {
    let Some(path) = &args.baseline else {
        return Ok(None);
    };
    let text = sources::document_text(path, "baseline")?;
    Baseline::parse(&path.display().to_string(), &text)
        .map(Some)
        .map_err(|e| Failure::Message(e.0))
}

/// Everything a check needs besides the snapshot: loaded before the
/// snapshot is read (or fetched), so a bad config fails fast.
pub struct Prepared {
    rules: RuleSet,
    waivers: Vec<Waiver>,
    today: Date,
    baseline: Option<Baseline>,
    fail_on: FailOn,
    /// `--quiet`: the terminal shows the summary alone.
    quiet: bool,
}

impl Prepared {
    /// The rules the run evaluates (after `--select` and `--ignore`).
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The `--fail-on` threshold (the option's, else the config's).
    pub fn fail_on(&self) -> FailOn {
        self.fail_on
    }

    /// `--quiet` (`check`'s own, or `audit`'s, which also hides the
    /// progress bar).
    pub fn quiet(self, quiet: bool) -> Prepared {
        Prepared { quiet, ..self }
    }
}

/// Loads rules, config, waivers and baseline (warnings about the rules go
/// to `style`'s stream).
pub fn prepare(options: &CheckOptions, style: &Style) -> Result<Prepared, Failure> {
    let setup = setup::load(&options.source, style)?;
    let waivers = waivers(options, &setup)?;
    let today = today()?;
    let baseline = baseline(options)?;
    let fail_on = options
        .fail_on
        .or_else(|| setup.config.fail_on.as_deref().and_then(FailOn::parse))
        .unwrap_or(FailOn::Error);
    let rules = select(setup.rules, &options.select, &options.ignore)?;
    // A gate that runs no rule passes everything: refuse, before any work.
    if !rules.rules.iter().any(|r| r.enabled) {
        return Err(Failure::Message(
            "no rule is enabled (--no-builtin without --rules, an empty pack, or \
             --select, --ignore or `disable:` leaving none), so nothing would be audited"
                .to_owned(),
        ));
    }
    Ok(Prepared {
        rules,
        waivers,
        today,
        baseline,
        fail_on,
        quiet: false,
    })
}

pub fn run(args: &CheckArgs, global: &Global) -> Result<Exit, Failure> {
    let started = Instant::now();
    // The snapshot is read while the rules load: loading is one thread's
    // work, reading a large file is mostly the kernel's, and each fills
    // the time the other leaves a core idle. Problems are reported in the
    // same order as one after the other: the rules', the outputs', then
    // the snapshot's.
    let (prepared, bytes) = std::thread::scope(|scope| {
        let reading = std::thread::Builder::new()
            .name("rcaudit-read".to_owned())
            .spawn_scoped(scope, || sources::snapshot(&args.snapshot));
        let prepared = prepare(&args.options, &Style::stderr(global.color));
        let bytes = match reading {
            Ok(reading) => reading.join().ok(),
            Err(_) => None,
        };
        (prepared, bytes)
    });
    let prepared = prepared?;
    let plan = plan(&args.options, &[(&args.snapshot, "snapshot")])?;
    // A read whose thread could not start, or that panicked, is done again
    // here, where its error (or panic) is the run's.
    let bytes = match bytes {
        Some(bytes) => bytes?,
        None => sources::snapshot(&args.snapshot)?,
    };
    let name = sources::shown(&args.snapshot);
    check(
        prepared.quiet(args.quiet),
        &plan,
        &name,
        bytes,
        &args.options,
        global,
        started,
    )
}

/// The files a check reads besides the snapshot, named for messages: the
/// config, rule files, waivers, baseline.
pub fn inputs(options: &CheckOptions) -> Vec<(&Path, &'static str)> {
    let mut inputs: Vec<(&Path, &str)> = vec![(
        options
            .source
            .config
            .as_deref()
            .unwrap_or(Path::new(setup::CONFIG_FILE)),
        "config",
    )];
    inputs.extend(
        options
            .source
            .rules
            .iter()
            .map(|p| (p.as_path(), "rule file")),
    );
    inputs.extend(
        options
            .waivers
            .iter()
            .map(|p| (p.as_path(), "waivers file")),
    );
    inputs.extend(options.baseline.iter().map(|p| (p.as_path(), "baseline")));
    inputs
}

/// Checks every `--output` before the snapshot is read or fetched
/// ([`outputs::Plan::new`]): none may be one of the run's inputs, `extra`
/// (the snapshot) or [`inputs`] or any file read so far. Every problem is
/// in the failure.
pub fn plan(
    options: &CheckOptions,
    extra: &[(&Path, &'static str)],
) -> Result<outputs::Plan, Failure> {
    let mut all = extra.to_vec();
    all.extend(inputs(options));
    outputs::Plan::new(&options.output, options.format, &all)
        .map_err(|problems| Failure::Several(problems.into_iter().map(Failure::Message).collect()))
}

/// Checks a snapshot (its bytes, and the name diagnostics show).
pub fn check(
    prepared: Prepared,
    plan: &outputs::Plan,
    name: &str,
    bytes: Vec<u8>,
    options: &CheckOptions,
    global: &Global,
    started: Instant,
) -> Result<Exit, Failure> {
    let err_style = Style::stderr(global.color);
    let Prepared {
        rules,
        waivers,
        today,
        baseline,
        fail_on,
        quiet,
    } = prepared;
    let mut phases: Vec<(&str, Duration)> = vec![("read", started.elapsed())];
    let mark = Instant::now();
    // One snapshot, kept to the end of the process: its tree may borrow
    // from its text.
    let snapshot = rcaudit_model::parse_bytes_for_the_process(name, bytes)?;
    phases.push(("parse", mark.elapsed()));
    let mark = Instant::now();
    let (outcome, validation_time) = evaluate(&snapshot, &rules)?;
    phases.push(("evaluate (schema check alongside)", mark.elapsed()));
    phases.push((
        "  schema check and text indexes, second thread",
        validation_time,
    ));
    let mark = Instant::now();
    let timings = outcome.timings.clone();
    let mut report = Report::new(env!("CARGO_PKG_VERSION"), &snapshot, &rules, outcome);
    report.apply_waivers(waivers, today);
    if let Some(baseline) = &baseline {
        report.apply_baseline(baseline);
    }
    phases.push(("locate findings", mark.elapsed()));
    let mark = Instant::now();
    // The HTML report shows the account's extensions: read them from the
    // tree now, only when that report is written.
    let inventory = if plan.includes(Format::Html) {
        html::Inventory::new(snapshot.root())
    } else {
        html::Inventory::default()
    };
    let rendering = Rendering::new(name, options, quiet, fail_on, &report, inventory);
    // One evaluation, every report: each --output, and the terminal's.
    let unwritten = plan.write(&report, &rendering, global.color);
    for diagnostic in human::waiver_diagnostics(&report) {
        output::eprint(&err_style.render(&diagnostic));
    }
    phases.push(("write output", mark.elapsed()));
    if options.timings {
        output::eprint(&timing_table(&phases, &timings, &rules, started.elapsed()));
    }
    let threshold = fail_on.threshold();
    // The snapshot's tree is large; the process is about to end, so leave
    // freeing it to the operating system.
    std::mem::forget(snapshot);
    // Outputs that could not be written (the others were), then rule
    // errors: either leaves the run without its verdict.
    let mut failures: Vec<Failure> = unwritten.into_iter().map(Failure::Message).collect();
    if let Some(why) = incomplete(&report, options.rule_errors) {
        failures.push(Failure::Line(format!(
            "rcaudit: error: {why} (exit 2; --rule-errors warn reports rule errors without failing)\n"
        )));
    }
    let fails = threshold.is_some_and(|t| report.fails(t));
    // The report (every finding, located) is freed by the process's end
    // too: dropping it costs a large account's run milliseconds of frees.
    std::mem::forget(report);
    if !failures.is_empty() {
        Err(Failure::Several(failures))
    } else if fails {
        Ok(Exit::Findings)
    } else {
        Ok(Exit::Clean)
    }
}

/// Why a report gives no verdict under `--rule-errors`: rules that failed
/// while running leave the audit incomplete (`None` with `warn`).
pub fn incomplete(report: &Report, rule_errors: RuleErrors) -> Option<String> {
    let n = report.rule_errors.len();
    (n > 0 && rule_errors == RuleErrors::Fail).then(|| {
        format!(
            "{n} rule error{}: a rule failed while running, so the audit is incomplete",
            if n == 1 { "" } else { "s" }
        )
    })
}

/// What to fetch for a check with these options: what its rules read
/// when a choice of rules is made (`--select`, `--ignore`, `--rules`,
/// `--no-builtin`), else everything.
pub fn data_to_fetch(options: &CheckOptions, rules: &RuleSet) -> rcaudit_fetch::Data {
    let source = &options.source;
    let chosen = !options.select.is_empty()
        || !options.ignore.is_empty()
        || !source.rules.is_empty()
        || source.no_builtin;
    if chosen {
        crate::fetch_data::data_for(rules)
    } else {
        rcaudit_fetch::Data::default()
    }
}

/// Validates the snapshot and evaluates the rules side by side (both only
/// read the tree), using the evaluation only if the snapshot is valid.
pub fn evaluate(snapshot: &Snapshot, rules: &RuleSet) -> Result<(Outcome, Duration), Failure> {
    let (valid, outcome) = std::thread::scope(|scope| {
        let validation = scope.spawn(|| {
            let started = Instant::now();
            let valid = snapshot.validate();
            // Findings will need places and line numbers: index the text
            // while the rules run.
            snapshot.source().index_elements();
            snapshot.source().index_lines();
            (valid, started.elapsed())
        });
        let outcome = rcaudit_rules::evaluate(rules, snapshot.root());
        // Rules that finish before the schema check (a few rules, a small
        // account) leave this thread free: it builds what the other has not
        // started, in the other order, so the two never wait on one index.
        snapshot.source().index_lines();
        snapshot.source().index_elements();
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
    let (valid, time) = valid;
    valid?;
    Ok((outcome, time))
}

/// Parses and evaluates a snapshot into a report, with the waivers and
/// baseline of `prepared`: what `check` reports, without its outputs and
/// timings (for `baseline` and `fleet`).
pub fn report(prepared: &Prepared, name: &str, bytes: Vec<u8>) -> Result<Report, Failure> {
    let snapshot = rcaudit_model::parse_bytes(name, bytes)?;
    report_of(prepared, &snapshot)
}

/// A parsed snapshot's report (validated and evaluated), with the waivers
/// and baseline of `prepared`.
pub fn report_of(prepared: &Prepared, snapshot: &Snapshot) -> Result<Report, Failure> {
    let (outcome, _) = evaluate(snapshot, &prepared.rules)?;
    let mut report = Report::new(
        env!("CARGO_PKG_VERSION"),
        snapshot,
        &prepared.rules,
        outcome,
    );
    report.apply_waivers(prepared.waivers.clone(), prepared.today);
    if let Some(baseline) = &prepared.baseline {
        report.apply_baseline(baseline);
    }
    Ok(report)
}
