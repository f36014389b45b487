//! `rcaudit fetch` and `rcaudit audit`: credentials from the environment,
//! the fetch on a Tokio runtime, a progress bar, the snapshot written
//! atomically.

use std::fmt::Write as _;
use std::io::IsTerminal as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rcaudit_fetch::JournalError;
use rcaudit_fetch::parts::Obtained;
use rcaudit_fetch::{
    Credentials, Data, FetchError, Fetched, JournalMode, Options, Progress, Secret, Server, Silent,
    Tuning,
};

use crate::Exit;
use crate::check;
use crate::cli::{AuditArgs, Connection, FetchArgs, Global, Limits};
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::sources;

/// `text` safe to print on a terminal: C0 and C1 control characters
/// (but line feeds and tabs), DEL, and the bidirectional overrides and
/// isolates that reorder what is shown, become `\u{..}` escapes. Server
/// messages and ids reach the fetch's messages, and an escape sequence in
/// one must not steer the terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let hostile = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}');
        if hostile {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// What `audit` without `--save` calls the snapshot in every report: the
/// text exists only in memory, so its lines and columns point into no file
/// (diagnostics still show the lines themselves).
pub const NOT_SAVED: &str = "<fetched snapshot, not saved>";

/// A failed fetch, its text made printable (it may quote the server).
fn failed(message: &str) -> Failure {
    Failure::Message(printable(message))
}

/// A bearer token, refused at once (not after retries) when an HTTP header
/// cannot carry it: access tokens are printable ASCII without spaces.
fn bearer(token: &str, source: &str) -> Result<Credentials, String> {
    if token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Credentials::Token(Secret::new(token)))
    } else {
        Err(format!(
            "{source} holds characters an access token cannot have (spaces, control \
             characters or non-ASCII): an HTTP header cannot carry it; check what was pasted"
        ))
    }
}

/// An environment variable's value, trimmed; `None` when unset or blank.
fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A bearer token read from a file (bounded, UTF-8, trimmed).
pub fn token_file(path: &Path) -> Result<Credentials, String> {
    let bytes = sources::read_bounded(path, "the token file", sources::Kind::Token)
        .map_err(|e| e.message)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("the token file {} is not UTF-8 text", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("the token file {} is empty", path.display()));
    }
    bearer(token, &format!("the token in {}", path.display()))
}

/// A bearer token from the environment variable `name`.
pub fn token_env(name: &str) -> Result<Credentials, String> {
    let token = var(name).ok_or_else(|| format!("{name} is not set (or is empty)"))?;
    bearer(&token, name)
}

/// The JWT grant's client id, client secret and JWT from the environment
/// variables named; an error names each one that is not set.
pub fn jwt_env(client_id: &str, client_secret: &str, jwt: &str) -> Result<Credentials, String> {
    match (var(client_id), var(client_secret), var(jwt)) {
        (Some(id), Some(secret), Some(jwt)) => Ok(Credentials::Jwt {
            client_id: id,
            client_secret: Secret::new(secret),
            jwt: Secret::new(jwt),
        }),
        (id, secret, token) => {
            let missing: Vec<&str> = [
                (client_id, id.is_none()),
                (client_secret, secret.is_none()),
                (jwt, token.is_none()),
            ]
            .iter()
            .filter(|(_, missing)| *missing)
            .map(|(name, _)| *name)
            .collect();
            Err(format!(
                "the JWT grant needs {client_id}, {client_secret} and {jwt}; {} not set",
                missing.join(", ")
            ))
        }
    }
}

/// Credentials from `--token-file` or the environment (never arguments).
fn credentials(connection: &Connection) -> Result<Credentials, String> {
    if let Some(path) = &connection.token_file {
        return token_file(path);
    }
    if var("RINGCENTRAL_TOKEN").is_some() {
        return token_env("RINGCENTRAL_TOKEN");
    }
    let names = [
        "RINGCENTRAL_CLIENT_ID",
        "RINGCENTRAL_CLIENT_SECRET",
        "RINGCENTRAL_JWT",
    ];
    if names.iter().all(|name| var(name).is_none()) {
        return Err(
            "no credentials: set RINGCENTRAL_TOKEN (or pass --token-file FILE), or set \
             RINGCENTRAL_CLIENT_ID, RINGCENTRAL_CLIENT_SECRET and RINGCENTRAL_JWT for the JWT grant"
                .to_owned(),
        );
    }
    jwt_env(names[0], names[1], names[2])
}

/// A progress bar on stderr.
#[derive(Debug)]
struct Bar(ProgressBar);

impl Progress for Bar {
    fn planned(&self, requests: u64) {
        self.0.inc_length(requests);
    }
    fn finished(&self, requests: u64) {
        self.0.inc(requests);
    }
    fn rejected(&self) {
        self.0
            .set_message("rate-limited once; waiting as the server asked");
    }
}

fn progress(connection: &Connection) -> (Arc<dyn Progress>, Option<ProgressBar>) {
    if connection.limits.quiet || !std::io::stderr().is_terminal() {
        return (Arc::new(Silent), None);
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "fetch {bar:30} {pos}/{len} pieces {elapsed_precise} (eta {eta}) {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(250));
    (Arc::new(Bar(bar.clone())), Some(bar))
}

/// A signal that stops a fetch.
#[derive(Debug, Clone, Copy)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: `kill`, a CI job cancelled, a container stopped.
    Terminate,
}

impl Signal {
    pub fn exit(self) -> Exit {
        match self {
            Signal::Interrupt => Exit::Interrupted,
            Signal::Terminate => Exit::Terminated,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT (Ctrl-C)",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// Waits for SIGINT or SIGTERM (never returns where neither can be
/// listened to). Must run on a runtime with its drivers enabled.
pub async fn stop_signal() -> Signal {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => Signal::Interrupt,
        () = terminate => Signal::Terminate,
    }
}

/// An argument as a POSIX shell reads it back.
fn shell_word(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The command that continues this run: its own arguments, with
/// `--resume` (credentials are never arguments, so none is shown).
fn resume_command() -> String {
    let mut args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if !args.iter().any(|a| a == "--resume") {
        args.push("--resume".to_owned());
    }
    args.iter()
        .map(|a| shell_word(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Finished pieces in a journal: its lines but the header.
fn journal_pieces(journal: &Path) -> Option<usize> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(journal).ok()?;
    let mut reader = std::io::BufReader::new(file);
    let mut lines = 0usize;
    loop {
        let buffer = reader.fill_buf().ok()?;
        if buffer.is_empty() {
            break;
        }
        #[expect(
            clippy::naive_bytecount,
            reason = "once, when a fetch is interrupted; not worth a dependency"
        )]
        let more = buffer.iter().filter(|&&b| b == b'\n').count();
        lines += more;
        let read = buffer.len();
        reader.consume(read);
    }
    Some(lines.saturating_sub(1))
}

/// What an interrupted fetch leaves, and how to continue it.
fn interrupted(signal: Signal, save: Option<&Path>) -> String {
    let name = signal.name();
    let Some(journal) = save.map(rcaudit_fetch::journal_path) else {
        return format!(
            "rcaudit: interrupted by {name}: nothing is kept (without --save FILE, audit keeps no \
             journal to resume from)\n"
        );
    };
    if !journal.exists() {
        return format!(
            "rcaudit: interrupted by {name} before anything was fetched; nothing is kept: run \
             the same command again\n"
        );
    }
    let pieces = journal_pieces(&journal).map_or_else(
        || "the finished pieces are".to_owned(),
        |n| match n {
            1 => "1 finished piece is".to_owned(),
            n => format!("{n} finished pieces are"),
        },
    );
    format!(
        "rcaudit: interrupted by {name}: {pieces} kept in {};\nthe requests that were \
         under way are asked again. To continue, run:\n  {}\n",
        journal.display(),
        resume_command()
    )
}

/// The options of a fetch from the command line. `save` is where the
/// snapshot will go (its journal goes beside it).
fn options(
    connection: &Connection,
    save: Option<&Path>,
    resume: bool,
    data: Data,
) -> Result<Options, Failure> {
    let fail = |message: String| failed(&message);
    let server = connection
        .server
        .as_deref()
        .unwrap_or(rcaudit_fetch::PRODUCTION);
    let server = Server::parse(server).map_err(fail)?;
    let credentials = credentials(connection).map_err(fail)?;
    // A fetch can take an hour: find out now that its file cannot be written.
    if let Some(path) = save {
        sources::check_writable(path).map_err(|e| fail(e.message))?;
    }
    let journal = save.map(|path| {
        let journal = rcaudit_fetch::journal_path(path);
        if resume {
            JournalMode::Resume(journal)
        } else {
            JournalMode::New(journal)
        }
    });
    Ok(Options {
        server,
        credentials,
        tuning: tuning(&connection.limits),
        generator: GENERATOR.to_owned(),
        journal,
        data,
    })
}

/// The runtime every network command runs on (all threads, timers, I/O).
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(&format!("cannot start the runtime: {e}")))
}

/// The fetch's tuning from the command line.
pub fn tuning(limits: &Limits) -> Tuning {
    Tuning {
        per_page: limits.per_page,
        max_wait: Duration::from_secs(limits.max_wait),
        max_body: limits.max_response_mib.saturating_mul(1024 * 1024),
        ..Tuning::default()
    }
}

/// The `source.generator` of the snapshots this build writes.
pub const GENERATOR: &str = concat!("rcaudit ", env!("CARGO_PKG_VERSION"));

/// Runs a fetch. `save` is where the snapshot will go (its journal goes
/// beside it). SIGINT and SIGTERM stop it: the journal is left whole (no
/// task runs any more when this returns), and the failure says how to
/// resume; the exit is 130 or 143.
fn fetch(
    connection: &Connection,
    save: Option<&Path>,
    resume: bool,
    data: Data,
) -> Result<Fetched, Failure> {
    let fail = |message: String| failed(&message);
    let options = options(connection, save, resume, data)?;
    let runtime = runtime()?;
    let (progress, bar) = progress(connection);
    let result = runtime.block_on(async {
        tokio::select! {
            result = rcaudit_fetch::fetch(options, progress) => Ok(result),
            signal = stop_signal() => Err(signal),
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let result = match result {
        Ok(result) => result,
        Err(signal) => {
            // The fetch's future is dropped; its tasks stop at their next
            // await. A journal line is written by one call between awaits,
            // so once the runtime is down the journal holds whole lines
            // only, and its file is closed (and its lock released).
            runtime.shutdown_timeout(Duration::from_secs(5));
            return Err(Failure::Interrupted {
                exit: signal.exit(),
                hint: printable(&interrupted(signal, save)),
            });
        }
    };
    // The signal handlers stay installed for the rest of the process: a
    // later SIGINT or SIGTERM (while `audit` checks) ends it at once, as
    // it would have without them.
    runtime.spawn(async {
        let signal = stop_signal().await;
        output::eprint(&format!("rcaudit: interrupted by {}\n", signal.name()));
        #[expect(
            clippy::exit,
            reason = "the default action of the signal, which the handlers replaced"
        )]
        std::process::exit(signal.exit() as i32);
    });
    std::mem::forget(runtime);
    match result {
        Ok(fetched) => Ok(fetched),
        Err(error) => {
            let journal = save.map(rcaudit_fetch::journal_path);
            // Advice to resume only where resuming can work: not when the
            // journal is another fetch's, unreadable or corrupt.
            let kept = match (&error, journal) {
                (FetchError::Setup(_), _) | (_, None) => String::new(),
                (FetchError::Journal(journal_error), Some(journal))
                    if !journal_error.resumable() && journal.exists() =>
                {
                    if matches!(journal_error, JournalError::Busy { .. }) {
                        String::new()
                    } else {
                        format!(
                            "; --resume cannot continue from it: make it readable, or remove {} to start over",
                            journal.display()
                        )
                    }
                }
                (_, Some(journal)) if journal.exists() => format!(
                    "; what was fetched is kept in {}: run again with --resume to continue",
                    journal.display()
                ),
                (_, Some(_)) => String::new(),
            };
            Err(fail(format!("{error}{kept}")))
        }
    }
}

/// One line (and the first problems) about a finished fetch, on stderr.
pub fn summary(fetched: &Fetched, wrote: Option<&Path>) -> String {
    let s = &fetched.summary;
    let numbers = s.phone_numbers.map_or_else(
        || "phone numbers unknown".to_owned(),
        |n| format!("{n} phone numbers"),
    );
    let resumed = if s.resumed > 0 {
        format!(", {} pieces from the journal", s.resumed)
    } else {
        String::new()
    };
    let mut text = format!(
        "fetched {} extensions, {numbers} in {:.1} s: {} requests, {} rate-limited, {} retried{resumed}",
        s.extensions,
        s.elapsed.as_secs_f64(),
        s.requests(),
        s.rejected(),
        s.retries
    );
    // What was not asked for, because the answer was known or not needed.
    let mut not_asked = Vec::new();
    if s.empty_by_type > 0 {
        not_asked.push(format!(
            "{} forwarding lists of types without call forwarding (empty)",
            s.empty_by_type
        ));
    }
    if s.lists.extension_phone_numbers == Obtained::AccountList {
        not_asked.push("each extension's phone numbers (the account list holds them)".to_owned());
    }
    for (name, obtained) in [
        ("the service info", s.lists.service_info),
        ("the account's phone numbers", s.lists.phone_numbers),
        ("the extensions", s.lists.extensions),
        (
            "each extension's phone numbers",
            s.lists.extension_phone_numbers,
        ),
        ("the forwarding numbers", s.lists.forwarding_numbers),
    ] {
        if obtained == Obtained::NotRequested {
            not_asked.push(format!("{name} (no chosen rule reads them)"));
        }
    }
    if !not_asked.is_empty() {
        let _ = write!(text, "; not asked for: {}", not_asked.join(", "));
    }
    match wrote {
        Some(path) => {
            let _ = write!(text, "; wrote {}", path.display());
        }
        None => text.push_str("; not saved (--save FILE keeps it)"),
    }
    text.push('\n');
    if !s.problems.is_empty() {
        let _ = writeln!(
            text,
            "{} requests failed; the snapshot's `errors` lists what is unknown, and rules that need it say so:",
            s.problems.len()
        );
        for problem in s.problems.iter().take(5) {
            let _ = writeln!(text, "  {}", printable(problem));
        }
        if s.problems.len() > 5 {
            let _ = writeln!(text, "  ... and {} more", s.problems.len() - 5);
        }
    }
    text
}

/// Writes the snapshot, then drops the journal.
fn save(mut fetched: Fetched, path: &Path) -> Result<String, Failure> {
    if let Err(error) = sources::write_atomic(path, &fetched.text) {
        let journal = rcaudit_fetch::journal_path(path);
        let kept = if journal.exists() {
            format!(
                "; what was fetched is kept in {}: make the file writable and run again with --resume",
                journal.display()
            )
        } else {
            String::new()
        };
        return Err(failed(&format!("{}{kept}", error.message)));
    }
    let line = summary(&fetched, Some(path));
    let text = std::mem::take(&mut fetched.text);
    fetched
        .finish()
        .map_err(|error| failed(&error.to_string()))?;
    output::eprint(&printable(&line));
    Ok(text)
}

pub fn run(args: &FetchArgs, global: &Global) -> Result<Exit, Failure> {
    let data = data(args, global)?;
    if args.plan {
        return plan(&args.connection, data);
    }
    if args.preflight {
        return preflight(&args.connection);
    }
    let Some(output) = &args.output else {
        return Err(failed("fetch needs --output FILE (or --plan)"));
    };
    let fetched = fetch(&args.connection, Some(output), args.resume, data)?;
    save(fetched, output)?;
    Ok(Exit::Clean)
}

/// What to fetch: everything, or with `--select`, `--rules` or
/// `--no-builtin`, what the rules `check` would run with them read.
fn data(args: &FetchArgs, global: &Global) -> Result<Data, Failure> {
    let source = &args.source;
    if args.select.is_empty() && source.rules.is_empty() && !source.no_builtin {
        return Ok(Data::default());
    }
    let setup = crate::setup::load(source, &Style::stderr(global.color))?;
    let rules = crate::check::select(setup.rules, &args.select, &[]).map_err(Failure::Message)?;
    if !rules.rules.iter().any(|r| r.enabled) {
        return Err(failed(
            "no rule is enabled (--no-builtin without --rules, or --select or `disable:` leaving none), so there is nothing to fetch for",
        ));
    }
    Ok(crate::fetch_data::data_for(&rules))
}

/// `fetch --preflight`: the permissions' verdict in a sentence, on stdout;
/// exit 1 when anything is missing or more than an audit needs.
fn preflight(connection: &Connection) -> Result<Exit, Failure> {
    let options = options(connection, None, false, Data::default())?;
    let runtime = runtime()?;
    let found = runtime
        .block_on(rcaudit_fetch::preflight(options, Arc::new(Silent)))
        .map_err(|e| failed(&e.to_string()))?;
    output::print(&printable(&found.sentence()));
    Ok(if found.clean() {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

/// `fetch --plan`: the requests per group and the least time, on stdout.
fn plan(connection: &Connection, data: Data) -> Result<Exit, Failure> {
    let options = options(connection, None, false, data)?;
    let runtime = runtime()?;
    let plan = runtime
        .block_on(rcaudit_fetch::plan(options, Arc::new(Silent)))
        .map_err(|e| failed(&e.to_string()))?;
    output::print(&plan.describe());
    Ok(Exit::Clean)
}

pub fn audit(args: &AuditArgs, global: &Global) -> Result<Exit, Failure> {
    let started = Instant::now();
    // Rules, config, waivers and every output before the fetch: a mistake
    // there should not cost one. `--save X -o X`, or either over a rule
    // file, would destroy what the run reads or writes.
    let prepared = check::prepare(&args.options, &Style::stderr(global.color))?;
    if let Some(path) = args.save.as_deref() {
        sources::refuse_overwriting(path, &check::inputs(&args.options))?;
    }
    let saved: Vec<(&Path, &'static str)> = args
        .save
        .as_deref()
        .map(|path| (path, "snapshot (--save)"))
        .into_iter()
        .collect();
    let plan = check::plan(&args.options, &saved)?;
    // With a choice of rules, only what they read.
    let data = check::data_to_fetch(&args.options, prepared.rules());
    let fetched = fetch(&args.connection, args.save.as_deref(), args.resume, data)?;
    let (name, text) = match &args.save {
        Some(path) => (path.display().to_string(), save(fetched, path)?),
        None => {
            output::eprint(&printable(&summary(&fetched, None)));
            (NOT_SAVED.to_owned(), fetched.text)
        }
    };
    check::check(
        // `audit --quiet`: no progress bar, and the report's summary alone.
        prepared.quiet(args.connection.limits.quiet),
        &plan,
        &name,
        text.into_bytes(),
        &args.options,
        global,
        started,
    )
}
