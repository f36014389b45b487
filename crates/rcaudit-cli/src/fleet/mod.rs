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
mod plan;

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
use crate::cli::{CheckOptions, FleetArgs, FleetCommand, Format, Global};
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
    let Some(path) = &args.file else {
        return Err(Failure::Message("fleet needs a fleet file".to_owned()));
    };
    let shard = args.shard.unwrap_or(Shard::ALL);
    let listed = read_fleet(path, shard)?;
    if args.plan {
        let (_, _, data) = rules(args, global)?;
        return plan::run(
            &listed.accounts,
            data,
            &fetch_cmd::tuning(&args.limits),
            args.jobs as usize,
        );
    }
    let Some(out_dir) = &args.out_dir else {
        return Err(Failure::Message("fleet needs --out-dir DIR".to_owned()));
    };
    audit(args, global, path, out_dir, listed)
}

/// The accounts of a fleet file a run audits.
struct Listed {
    /// The accounts of the run's shard, in the file's order.
    accounts: Vec<Account>,
    /// How many accounts the file lists.
    total: usize,
    /// The file's fingerprint ([`summary::fingerprint`]).
    fingerprint: String,
    /// The run's shard.
    shard: Shard,
}

/// Fetches, checks and reports every account of `listed`.
fn audit(
    args: &FleetArgs,
    global: &Global,
    path: &Path,
    out_dir: &Path,
    listed: Listed,
) -> Result<Exit, Failure> {
    let Listed {
        accounts,
        total: listed,
        fingerprint,
        shard,
    } = listed;

    // The rules before any fetch: a mistake there should not cost one.
    let (options, prepared, data) = rules(args, global)?;

    // The summary's files must not be one of the run's inputs.
    let mut inputs = check::inputs(&options);
    inputs.push((path, "fleet file"));
    for name in ["fleet.json", "fleet.md"] {
        sources::refuse_overwriting(&out_dir.join(name), &inputs)?;
    }
    // Held until the run ends: a second run in the same folder would
    // delete and overwrite this one's files.
    let _lock = lock(out_dir)?;
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
    // Until the run ends, the summary says it did not: a run killed
    // outright (SIGKILL, out of memory) leaves no earlier run's verdict
    // behind for `fleet merge` to pass on.
    let unfinished = Fleet {
        accounts: accounts
            .iter()
            .map(|a| {
                interrupted(
                    a,
                    "the run did not finish (it was killed, or is still running)",
                )
            })
            .collect(),
        ..base.clone()
    };
    if let Some(failure) = write_summary(&unfinished, out_dir).into_iter().next() {
        return Err(failure);
    }
    let run = Run {
        out_dir,
        prepared: &prepared,
        options: &options,
        formats: &formats,
        quiet: args.limits.quiet,
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
    Ok(exit(&fleet))
}

/// The exit code a summary stands for.
fn exit(fleet: &Fleet) -> Exit {
    match fleet.exit() {
        0 => Exit::Clean,
        1 => Exit::Findings,
        _ => Exit::Failed,
    }
}

/// The fleet file, checked, and the accounts of `shard`.
fn read_fleet(path: &Path, shard: Shard) -> Result<Listed, Failure> {
    let bytes = sources::read_bounded(path, "the fleet file", sources::Kind::Yaml)?;
    let fingerprint = summary::fingerprint(&bytes);
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::Message(format!("the fleet file {} is not UTF-8", path.display())))?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let fleet = file::parse(&sources::shown(path), &text, folder)
        .map_err(|errors| Failure::problems(errors, "the fleet file"))?;
    let total = fleet.accounts.len();
    let accounts = fleet
        .accounts
        .into_iter()
        .filter(|a| shard.holds(&a.name))
        .collect();
    Ok(Listed {
        accounts,
        total,
        fingerprint,
        shard,
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
    let data = check::data_to_fetch(&options, prepared.rules());
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

/// The row of an account the run did not finish.
fn interrupted(account: &Account, why: &str) -> summary::Account {
    summary::Account {
        name: account.name.clone(),
        server: account.server.to_string(),
        state: State::Interrupted,
        fetch: None,
        check: None,
        files: Vec::new(),
        problem: Some(why.to_owned()),
    }
}

/// `--fail-on` as the summary records it.
fn fail_on_word(fail_on: crate::cli::FailOn) -> String {
    fail_on
        .threshold()
        .map_or_else(|| "never".to_owned(), |s| s.to_string())
}

/// The lock file a run holds in `--out-dir`.
const LOCK: &str = ".fleet.lock";

/// Creates `out_dir` and takes its lock, or says that another run holds
/// it. The operating system releases the lock when the process ends,
/// however it ends, so a killed run leaves none behind; a file system
/// without locks is used without.
fn lock(out_dir: &Path) -> Result<std::fs::File, Failure> {
    let fail = |e: std::io::Error| {
        Failure::Message(format!("cannot lock {}: {e}", out_dir.join(LOCK).display()))
    };
    std::fs::create_dir_all(out_dir).map_err(|e| {
        Failure::Message(format!(
            "cannot create the folder {}: {e}",
            out_dir.display()
        ))
    })?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out_dir.join(LOCK))
        .map_err(fail)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(Failure::Message(format!(
            "another `rcaudit fleet` is writing to {}: wait for it to end, or give this run \
             another --out-dir",
            out_dir.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            Ok(file)
        }
        Err(std::fs::TryLockError::Error(e)) => Err(fail(e)),
    }
}

/// Creates `out_dir` and each account's folder. Without `--resume`, an
/// interrupted fetch's journal is in the way (continue it, or remove it),
/// and an earlier run's snapshot is removed; its reports are removed in
/// any case, so that no report in the folder is older than the run.
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
    for account in accounts {
        let folder = out_dir.join(&account.name);
        remove_reports(&folder).map_err(Failure::Message)?;
        if !resume {
            remove(&folder.join(SNAPSHOT)).map_err(Failure::Message)?;
        }
    }
    Ok(())
}

/// Removes a file an earlier run wrote, if it is there.
fn remove(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!(
            "cannot remove {} from an earlier run: {e}",
            path.display()
        )),
    }
}

/// Removes every report an earlier run may have written in an account's
/// folder (whatever its `--report` formats were).
fn remove_reports(folder: &Path) -> Result<(), String> {
    for format in <Format as clap::ValueEnum>::value_variants() {
        remove(&folder.join(report_file(*format)))?;
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
struct AccountSnapshot {
    text: String,
    /// `None`: an earlier run's snapshot, reused.
    summary: Option<Summary>,
}

/// What the fetch tasks tell the main thread.
enum Message {
    /// Account `index`'s snapshot, or why there is none, with its place
    /// among the `--jobs` (freed once the snapshot is checked, so that at
    /// most `--jobs` snapshots are held, fetched or waiting).
    Done(
        usize,
        Result<AccountSnapshot, String>,
        tokio::sync::OwnedSemaphorePermit,
    ),
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
}

impl Run<'_> {
    /// Fetches every account and checks each as its snapshot arrives.
    /// Returns the rows (by name) and the signal that stopped the run.
    fn all(&self, jobs: &Jobs<'_>) -> Result<(Vec<summary::Account>, Option<Signal>), Failure> {
        let runtime = fetch_cmd::runtime()?;
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
                let Ok(permit) = gate.acquire_owned().await else {
                    return;
                };
                // Its own task, so that a panic in it is this account's
                // failure and every account still reports back.
                let fetch = tokio::spawn(async move {
                    obtain(&account, &snapshot, resume, options.0, options.1).await
                });
                let result = fetch.await.unwrap_or_else(|_| {
                    Err(
                        "internal error while fetching (a bug, please report it): no verdict"
                            .to_owned(),
                    )
                });
                let _ = sender.send(Message::Done(index, result, permit));
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
                Message::Done(index, result, _permit) => {
                    let Some(account) = jobs.accounts.get(index) else {
                        continue;
                    };
                    done += 1;
                    let row = self.finish(account, result);
                    if !self.quiet {
                        output::eprint(&progress_line(done, jobs.accounts.len(), &row));
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
                row.unwrap_or_else(|| {
                    interrupted(
                        account,
                        "the run was stopped first; --resume continues its fetch",
                    )
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
    fn finish(
        &self,
        account: &Account,
        result: Result<AccountSnapshot, String>,
    ) -> summary::Account {
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
        // No report of an earlier run stays beside this one's snapshot.
        if let Err(problem) = remove_reports(&self.out_dir.join(&account.name)) {
            row.problem = Some(problem);
            return row;
        }
        // A panic while checking or writing one account is a bug, and that
        // account's failure: the others still get their verdicts.
        let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.check(&account.name, obtained.text, &mut row.files)
        }));
        let (report, errors, unwritten) = match checked {
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
        let threshold = self.prepared.fail_on().threshold();
        row.state = if !unwritten.is_empty() {
            row.problem = Some(format!(
                "a report could not be written: {}",
                unwritten.join("; ")
            ));
            State::NoVerdict
        } else if let Some(why) = check::incomplete(&report, self.options.rule_errors) {
            row.problem = Some(why);
            State::NoVerdict
        } else if threshold.is_some_and(|t| report.fails(t)) {
            State::Failed
        } else {
            State::Passed
        };
        row.check = Some(checked_figures(&report));
        row
    }

    /// Parses, validates and evaluates an account's snapshot and writes its
    /// reports (adding each to `files`): the report, the entries of the
    /// snapshot's `errors` (an earlier run's snapshot has no fetch summary
    /// to count them), and the reports that could not be written.
    fn check(
        &self,
        account: &str,
        text: String,
        files: &mut Vec<String>,
    ) -> Result<(Report, usize, Vec<String>), Failure> {
        let name = sources::shown(&self.out_dir.join(account).join(SNAPSHOT));
        let snapshot = rcaudit_model::parse_bytes(&name, text.into_bytes())?;
        let report = check::report_of(self.prepared, &snapshot)?;
        let errors = snapshot
            .root()
            .get("errors")
            .and_then(rcaudit_model::Node::as_array)
            .map_or(0, <[_]>::len);
        let inventory = if self.formats.contains(&Format::Html) {
            rcaudit_report::html::Inventory::new(snapshot.root())
        } else {
            rcaudit_report::html::Inventory::default()
        };
        let rendering = Rendering::new(
            &name,
            self.options,
            false,
            self.prepared.fail_on(),
            &report,
            inventory,
        );
        let unwritten = self.write_reports(account, &report, &rendering, files);
        Ok((report, errors, unwritten))
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

/// An account's credentials, from the variables or the file it names.
fn credentials(account: &Account) -> Result<rcaudit_fetch::Credentials, String> {
    match &account.credentials {
        Credentials::TokenEnv(name) => fetch_cmd::token_env(name),
        Credentials::TokenFile(path) => fetch_cmd::token_file(path),
        Credentials::Jwt {
            client_id,
            client_secret,
            jwt,
        } => fetch_cmd::jwt_env(client_id, client_secret, jwt),
    }
    .map_err(|e| format!("no credentials: {e}"))
}

/// Whether an earlier run's snapshot stands for this run's fetch: it is of
/// the account's server, and no list the rules read was left out
/// (`source.lists`). Reading its head scans the document once.
fn reusable(text: &str, account: &Account, data: Data) -> bool {
    #[derive(serde::Deserialize)]
    struct Head {
        source: Option<Source>,
    }
    #[derive(serde::Deserialize)]
    struct Source {
        server: Option<String>,
        #[serde(default)]
        lists: std::collections::BTreeMap<String, List>,
    }
    #[derive(serde::Deserialize)]
    struct List {
        obtained: Option<String>,
    }
    let Ok(Head {
        source: Some(source),
    }) = serde_json::from_str::<Head>(text)
    else {
        return false;
    };
    let same_server = source
        .server
        .as_deref()
        .and_then(|s| rcaudit_fetch::Server::parse(s).ok())
        .is_some_and(|s| s.to_string() == account.server.to_string());
    let left_out = |name: &str| {
        source.lists.get(name).and_then(|l| l.obtained.as_deref()) == Some("notRequested")
    };
    same_server
        && [
            ("serviceInfo", data.service_info),
            ("phoneNumbers", data.phone_numbers),
            ("extensions", data.extensions),
            ("forwardingNumbers", data.forwarding_numbers),
        ]
        .iter()
        .all(|(name, wanted)| !wanted || !left_out(name))
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
) -> Result<AccountSnapshot, String> {
    let journal = rcaudit_fetch::journal_path(snapshot);
    // Whether this run read the earlier snapshot (and so may replace it:
    // `write_atomic` refuses to write over what the run has read).
    let mut read_it = false;
    if resume && snapshot.exists() && !journal.exists() {
        read_it = true;
        let path = snapshot.to_path_buf();
        let bytes = tokio::task::spawn_blocking(move || sources::snapshot(&path))
            .await
            .map_err(|e| format!("cannot read the earlier snapshot: {e}"))?
            .map_err(|e| e.message)?;
        // Reused only if it is what this run would fetch: the account's
        // server, and every list the rules read; otherwise fetched again.
        if let Ok(text) = String::from_utf8(bytes)
            && reusable(&text, account, data)
        {
            return Ok(AccountSnapshot {
                text,
                summary: None,
            });
        }
    }
    let credentials = credentials(account)?;
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
        let written = if read_it {
            sources::rewrite_atomic(&path, &text)
        } else {
            sources::write_atomic(&path, &text)
        };
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
    Ok(AccountSnapshot {
        text,
        summary: Some(summary),
    })
}
