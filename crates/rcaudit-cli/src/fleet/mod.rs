//! `rcaudit fleet FILE --out-dir DIR`: many accounts, each fetched and
//! checked as `rcaudit audit --save` would, side by side.
//!
//! The fetches run on one Tokio runtime, `--jobs` at a time (each
//! account's rate limits are its own); each sends its snapshot to the main
//! thread, which checks the accounts one by one as they arrive (a check
//! is CPU work and already uses two threads). An account's failure is its
//! row's, never the run's: the others go on, and the run exits by the
//! worst account. Everything an account produces is in its folder
//! (`DIR/NAME/`): the snapshot (with its journal while the fetch runs, so
//! `--resume` continues it), `report.json` and the `--report` formats.
//! `DIR/fleet.json` and `DIR/fleet.md` summarise the run; `fleet merge`
//! ([`merge`]) joins the summaries of shards run as separate jobs.

pub mod file;
mod merge;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use rcaudit_fetch::{Data, JournalMode, Options, Silent, Summary};
use rcaudit_report::Report;
use rcaudit_report::fleet::{self as summary, Checked, Counts, Fleet, Shard, State};
use rcaudit_rules::Severity;

use crate::Exit;
use crate::check::{self, Prepared};
use crate::cli::{CheckOptions, FleetArgs, FleetCommand, Format, Global, RuleErrors};
use crate::failure::Failure;
use crate::fetch_cmd::{self, Signal, printable};
use crate::output::{self, Style};
use crate::render::Rendering;
use crate::sources;
use file::{Account, Credentials};

/// The file each report format is written to in an account's folder.
fn report_file(format: Format) -> &'static str {
    match format {
        Format::Json => "report.json",
        Format::Markdown => "report.md",
        Format::Sarif => "report.sarif",
        Format::Junit => "report.xml",
        Format::Html => "report.html",
        Format::Human => "report.txt",
        Format::Concise => "report.concise.txt",
        Format::Github => "report.github.txt",
    }
}

/// The snapshot's file in an account's folder.
const SNAPSHOT: &str = "snapshot.json";

pub fn run(args: &FleetArgs, global: &Global) -> Result<Exit, Failure> {
    if let Some(FleetCommand::Merge(merge)) = &args.command {
        return merge::run(merge, global);
    }
    let (Some(path), Some(out_dir)) = (&args.file, &args.out_dir) else {
        return Err(Failure::Message(
            "fleet needs a fleet file and --out-dir DIR".to_owned(),
        ));
    };
    let bytes = sources::read_bounded(path, "the fleet file", sources::Kind::Yaml)?;
    let fingerprint = summary::fingerprint(&bytes);
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Message(format!("the fleet file {} is not UTF-8", path.display())))?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let fleet = file::parse(&sources::shown(path), &text, folder)
        .map_err(|errors| Failure::problems(errors, "the fleet file"))?;
    let listed = fleet.accounts.len();
    let shard = args.shard.unwrap_or(Shard::ALL);
    let accounts: Vec<Account> = fleet
        .accounts
        .into_iter()
        .filter(|a| shard.holds(&a.name))
        .collect();

    // The rules before any fetch: a mistake there should not cost one.
    let (options, prepared, data) = rules(args, global)?;

    prepare_folders(out_dir, &accounts, args.resume)?;
    let base = Fleet {
        fleet_version: summary::FORMAT_VERSION,
        rcaudit: env!("CARGO_PKG_VERSION").to_owned(),
        file: summary::FleetFile {
            path: sources::shown(path),
            sha256: fingerprint,
            accounts: listed,
        },
        shards: vec![shard],
        fail_on: fail_on_word(prepared.fail_on()),
        accounts: Vec::new(),
        problems: Vec::new(),
    };
    let mut formats = vec![Format::Json];
    for format in &args.report {
        if !formats.contains(format) {
            formats.push(*format);
        }
    }
    let run = Run {
        out_dir,
        prepared: &prepared,
        options: &options,
        formats: &formats,
        quiet: args.limits.quiet,
        total: accounts.len(),
    };
    let jobs = Jobs {
        accounts: &accounts,
        out_dir,
        resume: args.resume,
        data,
        tuning: fetch_cmd::tuning(&args.limits),
        at_once: args.jobs as usize,
    };
    let (rows, stopped) = run.all(&jobs)?;
    let fleet = Fleet {
        accounts: rows,
        ..base
    };
    let failures = write_summary(&fleet, out_dir);
    output::print(&fleet.table());
    if let Some(signal) = stopped {
        return Err(Failure::Interrupted {
            exit: signal.exit(),
            hint: format!(
                "rcaudit: interrupted by {}: finished accounts are kept, and fetches under way \
                 keep their finished parts; to continue, run the same command with --resume\n",
                signal.name()
            ),
        });
    }
    if !failures.is_empty() {
        return Err(Failure::Several(failures));
    }
    Ok(match fleet.exit() {
        0 => Exit::Clean,
        1 => Exit::Findings,
        _ => Exit::Failed,
    })
}

/// The check's options, its rules loaded, and what to fetch for them
/// (everything unless rules are chosen).
fn rules(args: &FleetArgs, global: &Global) -> Result<(CheckOptions, Prepared, Data), Failure> {
    let options = CheckOptions {
        source: args.source.clone(),
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        fail_on: args.fail_on,
        rule_errors: args.rule_errors,
        ..CheckOptions::default()
    };
    let prepared = check::prepare(&options, &Style::stderr(global.color))?;
    let chosen = !args.select.is_empty()
        || !args.ignore.is_empty()
        || !args.source.rules.is_empty()
        || args.source.no_builtin;
    let data = if chosen {
        crate::fetch_data::data_for(prepared.rules())
    } else {
        Data::default()
    };
    Ok((options, prepared, data))
}

/// Writes `fleet.json` and `fleet.md`; what could not be written.
fn write_summary(fleet: &Fleet, out_dir: &Path) -> Vec<Failure> {
    let mut failures = Vec::new();
    for (name, text) in [
        ("fleet.json", fleet.to_json()),
        ("fleet.md", fleet.markdown()),
    ] {
        if let Err(error) = sources::write_atomic(&out_dir.join(name), &text) {
            failures.push(Failure::Message(format!(
                "{} (the summary is printed all the same)",
                error.message
            )));
        }
    }
    failures
}

/// `--fail-on` as the summary records it.
fn fail_on_word(fail_on: crate::cli::FailOn) -> String {
    fail_on
        .threshold()
        .map_or_else(|| "never".to_owned(), |s| s.to_string())
}

/// Creates `out_dir` and each account's folder. Without `--resume`, an
/// interrupted fetch's journal is in the way (continue it, or remove it),
/// and an earlier run's snapshot and reports are removed, so that no file
/// in the folder is older than the run.
fn prepare_folders(out_dir: &Path, accounts: &[Account], resume: bool) -> Result<(), Failure> {
    let fail = |path: &Path, e: &std::io::Error| {
        Failure::Message(format!("cannot create the folder {}: {e}", path.display()))
    };
    std::fs::create_dir_all(out_dir).map_err(|e| fail(out_dir, &e))?;
    let mut in_the_way = Vec::new();
    for account in accounts {
        let folder = out_dir.join(&account.name);
        std::fs::create_dir_all(&folder).map_err(|e| fail(&folder, &e))?;
        let snapshot = folder.join(SNAPSHOT);
        if !resume && rcaudit_fetch::journal_path(&snapshot).exists() {
            in_the_way.push(account.name.clone());
        }
    }
    if !in_the_way.is_empty() {
        return Err(Failure::Message(format!(
            "{} holds interrupted fetches (of {}): run with --resume to continue them, or \
             remove their *.partial files to start over",
            out_dir.display(),
            in_the_way.join(", ")
        )));
    }
    if !resume {
        for account in accounts {
            let folder = out_dir.join(&account.name);
            let stale = std::iter::once(SNAPSHOT).chain(
                <Format as clap::ValueEnum>::value_variants()
                    .iter()
                    .map(|f| report_file(*f)),
            );
            for name in stale {
                let path = folder.join(name);
                match std::fs::remove_file(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Failure::Message(format!(
                            "cannot remove {} from an earlier run: {e}",
                            path.display()
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}

/// What the fetches need.
struct Jobs<'a> {
    accounts: &'a [Account],
    out_dir: &'a Path,
    resume: bool,
    data: Data,
    tuning: rcaudit_fetch::Tuning,
    at_once: usize,
}

/// An account's snapshot, fetched now or by an earlier run.
struct Obtained {
    text: String,
    /// `None`: an earlier run's snapshot, reused.
    summary: Option<Summary>,
}

/// What the fetch tasks tell the main thread.
enum Message {
    /// Account `index`'s snapshot, or why there is none.
    Done(usize, Result<Obtained, String>),
    /// A signal: stop.
    Stop(Signal),
}

/// The checks' side of a run.
struct Run<'a> {
    out_dir: &'a Path,
    prepared: &'a Prepared,
    options: &'a CheckOptions,
    formats: &'a [Format],
    quiet: bool,
    total: usize,
}

impl Run<'_> {
    /// Fetches every account and checks each as its snapshot arrives.
    /// Returns the rows (by name) and the signal that stopped the run.
    fn all(&self, jobs: &Jobs<'_>) -> Result<(Vec<summary::Account>, Option<Signal>), Failure> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::Message(format!("cannot start the runtime: {e}")))?;
        let (sender, receiver) = mpsc::channel();
        let signals = sender.clone();
        runtime.spawn(async move {
            let signal = fetch_cmd::stop_signal().await;
            let _ = signals.send(Message::Stop(signal));
        });
        let gate = Arc::new(tokio::sync::Semaphore::new(jobs.at_once));
        for (index, account) in jobs.accounts.iter().enumerate() {
            let snapshot = jobs.out_dir.join(&account.name).join(SNAPSHOT);
            let account = account.clone();
            let options = (jobs.data, jobs.tuning.clone());
            let (gate, sender, resume) = (gate.clone(), sender.clone(), jobs.resume);
            runtime.spawn(async move {
                let Ok(_permit) = gate.acquire().await else {
                    return;
                };
                let result = obtain(&account, &snapshot, resume, options.0, options.1).await;
                let _ = sender.send(Message::Done(index, result));
            });
        }
        drop(sender);
        let mut rows: Vec<Option<summary::Account>> = vec![None; jobs.accounts.len()];
        let mut stopped = None;
        let mut done = 0;
        while done < jobs.accounts.len() {
            let Ok(message) = receiver.recv() else {
                break;
            };
            match message {
                Message::Stop(signal) => {
                    stopped = Some(signal);
                    break;
                }
                Message::Done(index, result) => {
                    let Some(account) = jobs.accounts.get(index) else {
                        continue;
                    };
                    done += 1;
                    let row = self.finish(account, result);
                    if !self.quiet {
                        output::eprint(&progress_line(done, self.total, &row));
                    }
                    if let Some(slot) = rows.get_mut(index) {
                        *slot = Some(row);
                    }
                }
            }
        }
        // The fetches under way stop at their next await; their journals
        // hold whole lines only (as for `fetch`).
        runtime.shutdown_timeout(Duration::from_secs(5));
        let mut rows: Vec<summary::Account> = rows
            .into_iter()
            .zip(jobs.accounts)
            .map(|(row, account)| {
                row.unwrap_or_else(|| summary::Account {
                    name: account.name.clone(),
                    server: account.server.to_string(),
                    state: State::Interrupted,
                    fetch: None,
                    check: None,
                    files: Vec::new(),
                    problem: Some(
                        "the run was stopped first; --resume continues its fetch".to_owned(),
                    ),
                })
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok((rows, stopped))
    }

    /// Writes an account's reports into its folder, adding each to
    /// `files`; what could not be written.
    fn write_reports(
        &self,
        name: &str,
        report: &Report,
        rendering: &Rendering,
        files: &mut Vec<String>,
    ) -> Vec<String> {
        let plain = Style::new(crate::cli::ColorChoice::Never, false);
        let mut unwritten = Vec::new();
        for format in self.formats {
            let file = report_file(*format);
            let body = rendering.render(*format, report, &plain);
            match sources::write_atomic(&self.out_dir.join(name).join(file), &body) {
                Ok(()) => files.push(format!("{name}/{file}")),
                Err(error) => unwritten.push(error.message),
            }
        }
        unwritten
    }

    /// Checks an account's snapshot and writes its reports: its row.
    fn finish(&self, account: &Account, result: Result<Obtained, String>) -> summary::Account {
        let mut row = summary::Account {
            name: account.name.clone(),
            server: account.server.to_string(),
            state: State::NoVerdict,
            fetch: None,
            check: None,
            files: Vec::new(),
            problem: None,
        };
        let obtained = match result {
            Ok(obtained) => obtained,
            Err(problem) => {
                row.problem = Some(problem);
                return row;
            }
        };
        row.fetch = Some(fetch_figures(obtained.summary.as_ref()));
        row.files.push(format!("{}/{SNAPSHOT}", account.name));
        let folder = self.out_dir.join(&account.name);
        let name = sources::shown(&folder.join(SNAPSHOT));
        // A panic while checking one account is a bug, and that account's
        // failure: the others still get their verdicts.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let snapshot = rcaudit_model::parse_bytes(&name, obtained.text.into_bytes())?;
            let report = check::report_of(self.prepared, &snapshot)?;
            let inventory = if self.formats.contains(&Format::Html) {
                rcaudit_report::html::Inventory::new(snapshot.root())
            } else {
                rcaudit_report::html::Inventory::default()
            };
            // What the fetch could not read, counted in the snapshot
            // itself (an earlier run's snapshot has no fetch summary).
            let errors = snapshot
                .root()
                .get("errors")
                .and_then(rcaudit_model::Node::as_array)
                .map_or(0, <[_]>::len);
            Ok::<_, Failure>((report, inventory, errors))
        }));
        let (report, inventory, errors) = match checked {
            Ok(Ok(checked)) => checked,
            Ok(Err(failure)) => {
                failure.render(&Style::stderr(crate::cli::ColorChoice::Never));
                row.problem = Some(format!("the check failed: {}", failure.headline()));
                return row;
            }
            Err(_) => {
                row.problem = Some(
                    "internal error while checking (a bug, please report it): no verdict"
                        .to_owned(),
                );
                return row;
            }
        };
        if let Some(fetch) = row.fetch.as_mut() {
            fetch.errors = errors;
        }
        let figures = checked_figures(&report);
        let rendering = Rendering::new(
            &name,
            self.options,
            false,
            self.prepared.fail_on(),
            &report,
            inventory,
        );
        let unwritten = self.write_reports(&account.name, &report, &rendering, &mut row.files);
        let threshold = self.prepared.fail_on().threshold();
        row.state = if !unwritten.is_empty() {
            row.problem = Some(format!(
                "a report could not be written: {}",
                unwritten.join("; ")
            ));
            State::NoVerdict
        } else if figures.rule_errors > 0 && self.options.rule_errors == RuleErrors::Fail {
            row.problem = Some(format!(
                "{} rule error{}: a rule failed while running, so the audit is incomplete",
                figures.rule_errors,
                if figures.rule_errors == 1 { "" } else { "s" }
            ));
            State::NoVerdict
        } else if threshold.is_some_and(|t| report.fails(t)) {
            State::Failed
        } else {
            State::Passed
        };
        row.check = Some(figures);
        row
    }
}

/// The figures of a fetch (`None`: an earlier run's snapshot).
fn fetch_figures(fetched: Option<&Summary>) -> summary::Fetch {
    match fetched {
        Some(s) => summary::Fetch {
            seconds: s.elapsed.as_secs_f64(),
            requests: s.requests(),
            rate_limited: s.rejected(),
            resumed_pieces: s.resumed,
            earlier_run: false,
            errors: s.problems.len(),
        },
        None => summary::Fetch {
            seconds: 0.0,
            requests: 0,
            rate_limited: 0,
            resumed_pieces: 0,
            earlier_run: true,
            errors: 0,
        },
    }
}

/// The figures of a checked account.
fn checked_figures(report: &Report) -> Checked {
    let (not_evaluated, partly_evaluated) = report.not_evaluated_counts();
    Checked {
        findings: Counts {
            error: report.counting(Severity::Error),
            warning: report.counting(Severity::Warning),
            info: report.counting(Severity::Info),
        },
        waived: report.waived(),
        rules_run: report.rules_run,
        not_evaluated,
        partly_evaluated,
        rule_errors: report.rule_errors.len(),
    }
}

/// One line on stderr as an account finishes.
fn progress_line(done: usize, total: usize, row: &summary::Account) -> String {
    let what = match (&row.check, &row.problem) {
        (Some(c), _) if row.state != State::NoVerdict => format!(
            "{} ({} error, {} warning, {} info)",
            if row.state == State::Passed {
                "passed"
            } else {
                "failed"
            },
            c.findings.error,
            c.findings.warning,
            c.findings.info
        ),
        (_, Some(problem)) => format!("no verdict: {problem}"),
        _ => "no verdict".to_owned(),
    };
    let fetch = match &row.fetch {
        Some(f) if f.earlier_run => "; the earlier run's snapshot".to_owned(),
        Some(f) => format!("; fetched in {:.1} s, {} requests", f.seconds, f.requests),
        None => String::new(),
    };
    printable(&format!("[{done}/{total}] {}: {what}{fetch}\n", row.name))
}

/// An account's snapshot: the earlier run's under `--resume` (when its
/// fetch finished), else fetched (continuing its journal under
/// `--resume`), written atomically to `snapshot`.
async fn obtain(
    account: &Account,
    snapshot: &Path,
    resume: bool,
    data: Data,
    tuning: rcaudit_fetch::Tuning,
) -> Result<Obtained, String> {
    let journal = rcaudit_fetch::journal_path(snapshot);
    if resume && snapshot.exists() && !journal.exists() {
        let path = snapshot.to_path_buf();
        let bytes = tokio::task::spawn_blocking(move || sources::snapshot(&path))
            .await
            .map_err(|e| format!("cannot read the earlier snapshot: {e}"))?
            .map_err(|e| e.message)?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8", snapshot.display()))?;
        return Ok(Obtained {
            text,
            summary: None,
        });
    }
    let credentials = match &account.credentials {
        Credentials::TokenEnv(name) => fetch_cmd::token_env(name),
        Credentials::TokenFile(path) => fetch_cmd::token_file(path),
        Credentials::Jwt {
            client_id,
            client_secret,
            jwt,
        } => fetch_cmd::jwt_env(client_id, client_secret, jwt),
    }
    .map_err(|e| format!("no credentials: {e}"))?;
    let options = Options {
        server: account.server.clone(),
        credentials,
        tuning,
        generator: fetch_cmd::GENERATOR.to_owned(),
        journal: Some(if resume && journal.exists() {
            JournalMode::Resume(journal.clone())
        } else {
            JournalMode::New(journal.clone())
        }),
        data,
    };
    let mut fetched = rcaudit_fetch::fetch(options, Arc::new(Silent))
        .await
        .map_err(|error| {
            let kept = if journal.exists() {
                format!(
                    "; what was fetched is kept in {}: --resume continues it",
                    journal.display()
                )
            } else {
                String::new()
            };
            printable(&format!("the fetch failed: {error}{kept}"))
        })?;
    let text = std::mem::take(&mut fetched.text);
    let path: PathBuf = snapshot.to_path_buf();
    let (text, written) = tokio::task::spawn_blocking(move || {
        let written = sources::write_atomic(&path, &text);
        (text, written)
    })
    .await
    .map_err(|e| format!("cannot write the snapshot: {e}"))?;
    written.map_err(|e| {
        format!(
            "{}; what was fetched is kept in {}: --resume continues it",
            e.message,
            journal.display()
        )
    })?;
    let summary = fetched.summary.clone();
    fetched
        .finish()
        .map_err(|e| format!("the snapshot is written, but: {e}"))?;
    Ok(Obtained {
        text,
        summary: Some(summary),
    })
}
