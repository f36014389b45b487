//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on (waived findings and those in --baseline do not count)
  1  findings at or above --fail-on
  2  the run failed: bad arguments, an unreadable or invalid snapshot, invalid rules,
     config, waivers or baseline, an output that cannot be written, or a rule that
     failed while it ran (the audit is incomplete; --rule-errors warn makes such
     errors warnings)";

const TEST_EXIT_CODES: &str = "\
Exit codes:
  0  every case passed
  1  a case failed
  2  the rules or cases could not be loaded";

#[derive(Debug, Parser)]
#[command(
    name = "rcaudit",
    version,
    about = "Audit the configuration of RingCentral accounts",
    long_about = "Audit the configuration of RingCentral accounts: check a snapshot of an \
                  account (its extensions, phone numbers and forwarding numbers, as the REST \
                  API returns them) against declarative rules.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = ColorChoice::Auto,
        help = "When to use colour: auto (a terminal, and NO_COLOR unset), always, never"
    )]
    pub color: ColorChoice,

    /// The largest file rcaudit reads (like 500M or 4G) [default: 2G for
    /// snapshots and reports, 64M for YAML files].
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::sources::parse_size)]
    pub max_file_size: Option<u64>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a saved snapshot against the built-in rules (and your own).
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// List the rules: id, severity, title.
    Rules(RulesArgs),
    /// Show a rule's documentation (or a domain function's, or what a
    /// problem code means).
    Explain(ExplainArgs),
    /// Run the cases of the built-in rules, or of your rules and case files.
    #[command(after_help = TEST_EXIT_CODES)]
    Test(TestArgs),
    /// Show what changed between two snapshots of an account, and which
    /// findings appeared or disappeared.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(DiffArgs),
    /// Fetch a snapshot of an account from the RingCentral REST API.
    #[command(after_help = FETCH_HELP)]
    Fetch(FetchArgs),
    /// Fetch a snapshot and check it, in one go.
    #[command(after_help = AUDIT_HELP)]
    Audit(AuditArgs),
    /// Audit many accounts: fetch and check each account of a fleet file,
    /// concurrently, into a folder; `fleet merge` joins the summaries of
    /// shards.
    #[command(after_help = FLEET_HELP)]
    Fleet(FleetArgs),
    /// Write a starter rcaudit.yaml in the current folder (and, with
    /// --workflow, a GitHub Actions workflow).
    Init(InitArgs),
    /// Record a snapshot's findings as a baseline: later checks with
    /// --baseline count only new findings.
    #[command(after_help = BASELINE_EXIT_CODES)]
    Baseline(BaselineArgs),
    /// Waive a finding: add a waiver to rcaudit.yaml, keeping its comments
    /// and layout.
    Waive(WaiveArgs),
    /// Write a copy of a snapshot without personal data (names, e-mail
    /// addresses, addresses, subscriber digits), on which `check` gives
    /// the same findings.
    Redact(RedactArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETIONS_HELP)]
    Completions(CompletionsArgs),
    /// Print rcaudit's manual page (roff) on standard output.
    #[command(after_help = "Read it with `rcaudit man | man -l -`.")]
    Man,
}

/// Where `fetch` and `audit` take credentials from (a macro: `concat!`
/// takes only literals).
macro_rules! credentials_help {
    () => {
        "\
Credentials (from the environment or a file, never the command line):
  RINGCENTRAL_TOKEN                an access token, or --token-file FILE
  RINGCENTRAL_CLIENT_ID,           the JWT grant: the app's client id and secret and
  RINGCENTRAL_CLIENT_SECRET,       the user's JWT credential (tokens are obtained and
  RINGCENTRAL_JWT                  renewed as needed)
  RINGCENTRAL_SERVER_URL           the server, like --server"
    };
}

const FETCH_HELP: &str = concat!(
    credentials_help!(),
    "

Exit codes:
  0  the snapshot was written (lists that could not be fetched are in its `errors`)
  2  the fetch failed: no or rejected credentials, the account unreadable, the file
     unwritable; finished parts stay in FILE.partial for --resume
  130  interrupted (SIGINT, Ctrl-C); 143: stopped (SIGTERM). Finished parts stay in
     FILE.partial and the command that continues the fetch (--resume) is printed"
);

const AUDIT_HELP: &str = concat!(
    credentials_help!(),
    "

Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  the run failed: the fetch (see `rcaudit fetch --help`), or as for `check`
  130  interrupted (SIGINT, Ctrl-C); 143: stopped (SIGTERM). With --save FILE, finished
     parts stay in FILE.partial and the command that continues (--resume) is printed"
);

/// Where and how to fetch from.
#[derive(Debug, Args)]
pub struct Connection {
    #[arg(
        long,
        env = "RINGCENTRAL_SERVER_URL",
        hide_env_values = true,
        value_name = "URL",
        help = "The API server [default: https://platform.ringcentral.com]. HTTPS only, \
                except loopback addresses (the sandbox)"
    )]
    pub server: Option<String>,

    #[arg(
        long,
        value_name = "FILE",
        help = "A file holding an access token (instead of RINGCENTRAL_TOKEN)"
    )]
    pub token_file: Option<PathBuf>,

    #[command(flatten)]
    pub limits: Limits,
}

/// How a fetch paces and bounds itself (`fetch`, `audit`, `fleet`).
#[derive(Debug, Args)]
pub struct Limits {
    /// Records per page asked for (the server's answer is what counts).
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub per_page: u32,

    /// No progress bar (it is drawn only on a terminal anyway); for
    /// `audit`, also only the summary of the human or concise report; for
    /// `fleet`, no line per account as it finishes.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// The longest wait, in seconds, before one request when the server
    /// asks for it (Retry-After, rate limits); a request that would wait
    /// longer fails at once and is recorded in the snapshot's `errors`.
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub max_wait: u64,

    /// The largest answer read, in MiB; a larger one is not read further
    /// and is recorded in the snapshot's `errors`.
    #[arg(long, value_name = "MIB", default_value_t = 64,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_response_mib: u64,
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Where to write the snapshot (atomically; finished parts are kept in
    /// FILE.partial until it is written).
    #[arg(long, short = 'o', value_name = "FILE", required_unless_present_any = ["plan", "preflight"])]
    pub output: Option<PathBuf>,

    /// Continue an interrupted fetch from FILE.partial, without fetching
    /// again what it holds.
    #[arg(long)]
    pub resume: bool,

    /// Print the requests the fetch will make per usage-plan group and the
    /// least time the rate limits allow (from the lists' totalElements:
    /// two Medium requests, the second counting the extension types without
    /// call forwarding, and one Heavy), and fetch nothing.
    #[arg(long, conflicts_with_all = ["output", "resume"])]
    pub plan: bool,

    /// Check the token's and its user's permissions first (the user's
    /// extension and `authz-profile`: two requests) and say in a sentence
    /// which are missing for a complete snapshot and which are more than
    /// an audit needs; fetch nothing. Exits 1 when anything is missing or
    /// more than needed, 0 when not.
    #[arg(long, conflicts_with_all = ["output", "resume", "plan"])]
    pub preflight: bool,

    /// Fetch only the data these rules read: ids or id prefixes of whole
    /// segments (as `check --select`), comma-separated or repeated. What
    /// is not fetched is absent, and `source.lists` says so: a rule that
    /// needs it is not evaluated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub select: Vec<String>,

    /// With --select, --rules or --no-builtin: the rules whose data is
    /// fetched are those `check` would run with the same options.
    #[command(flatten)]
    pub source: RuleSource,

    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Also save the fetched snapshot to this file (and keep an
    /// interrupted fetch's parts in FILE.partial for --resume).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,

    /// Continue an interrupted fetch from the --save file's FILE.partial.
    #[arg(long, requires = "save")]
    pub resume: bool,

    #[command(flatten)]
    pub connection: Connection,

    #[command(flatten)]
    pub options: CheckOptions,
}

const FLEET_HELP: &str = "\
The fleet file (YAML) lists the accounts; credentials come from the environment
or files, never the file itself:
  accounts:
    - name: alpha                          # letters, digits, . _ -: its folder's name
      server: https://platform.ringcentral.com   # the default
      tokenEnv: ALPHA_TOKEN                # or tokenFile: alpha.token (relative to the
                                           # fleet file), or clientIdEnv, clientSecretEnv
                                           # and jwtEnv for the JWT grant

In --out-dir, each account has a folder: NAME/snapshot.json, NAME/report.json and
the --report formats; fleet.json and fleet.md summarise the run (`fleet merge` joins
the fleet.json of several shards).

Exit codes (the worst account's):
  0  no account has findings at or above --fail-on
  1  findings at or above --fail-on in some account
  2  an account could not be fetched or checked (the others are still audited), or
     the fleet file is not valid
  130  interrupted (SIGINT, Ctrl-C); 143: stopped (SIGTERM). Fetches under way keep
     their finished parts; run again with --resume to continue";

const FLEET_MERGE_HELP: &str = "\
Exit codes:
  0  no account has findings at or above the run's --fail-on
  1  findings at or above it in some account
  2  an account has no verdict, a shard is missing or given twice, or a summary
     cannot be read";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct FleetArgs {
    #[command(subcommand)]
    pub command: Option<FleetCommand>,

    /// The fleet file: a YAML list of accounts (see below).
    #[arg(required = true)]
    pub file: Option<PathBuf>,

    /// The folder each account's snapshot and reports, and the summary
    /// (fleet.json, fleet.md), are written to (created if missing).
    #[arg(long, value_name = "DIR", required_unless_present = "plan")]
    pub out_dir: Option<PathBuf>,

    /// Print each account's plan (`fetch --plan`: requests per usage-plan
    /// group and the least time the rate limits allow, three requests an
    /// account) and the least time of the whole run with --jobs; fetch
    /// nothing. Exits 2 when an account cannot be planned.
    #[arg(long, conflicts_with_all = ["out_dir", "resume", "report"])]
    pub plan: bool,

    /// Accounts fetched at once (each account's rate limits are its own).
    #[arg(long, short = 'j', value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: u32,

    /// Audit only a stable share of the accounts: K of N (from 1), as a
    /// job of a CI matrix does. An account's share depends on its name
    /// alone.
    #[arg(long, value_name = "K/N", value_parser = rcaudit_report::fleet::Shard::parse)]
    pub shard: Option<rcaudit_report::fleet::Shard>,

    /// Continue an earlier run in --out-dir: an account whose snapshot is
    /// there (of its server, with every list the rules read) is checked
    /// again without fetching, an interrupted fetch continues from its
    /// journal, and the rest are fetched.
    #[arg(long)]
    pub resume: bool,

    /// Reports written for each account besides report.json: markdown
    /// (NAME/report.md), sarif (.sarif), junit (.xml), html (.html), human
    /// (.txt), concise (.concise.txt), github (.github.txt); comma-separated
    /// or repeated.
    #[arg(long, value_enum, value_name = "FORMAT", value_delimiter = ',')]
    pub report: Vec<Format>,

    /// Run only these rules (and fetch only what they read): ids or id
    /// prefixes, as for `check --select`.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules: ids or id prefixes.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// An account fails (exit 1) with a finding at least this severe
    /// [default: error, or the config's failOn].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// What a rule that fails while it runs does to an account's result:
    /// `fail` (no verdict, exit 2) or `warn`.
    #[arg(long, value_enum, default_value_t = RuleErrors::Fail)]
    pub rule_errors: RuleErrors,

    #[command(flatten)]
    pub source: RuleSource,

    #[command(flatten)]
    pub limits: Limits,
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Join the summaries (fleet.json) of a fleet run's shards into one:
    /// a table on the terminal, and Markdown or JSON with --output.
    #[command(after_help = FLEET_MERGE_HELP)]
    Merge(FleetMergeArgs),
}

#[derive(Debug, Args)]
pub struct FleetMergeArgs {
    /// The shards' --out-dir folders (or their fleet.json files).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,

    /// What the terminal shows.
    #[arg(long, value_enum, default_value_t = SummaryFormat::Human)]
    pub format: SummaryFormat,

    /// Also write the merged summary: FORMAT=PATH (human, markdown or
    /// json); FORMAT=+PATH appends (markdown, human: for
    /// `$GITHUB_STEP_SUMMARY`). Repeat for several.
    #[arg(long, short = 'o', value_name = "FORMAT=PATH",
          value_parser = crate::outputs::parse)]
    pub output: Vec<crate::outputs::Spec>,
}

/// The formats of a fleet summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// A table.
    Human,
    /// A heading with the verdict and a table, for `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// One JSON document (schemas/fleet.schema.json).
    Json,
}

const DIFF_EXIT_CODES: &str = "\
Exit codes:
  0  nothing changed
  1  something changed
  2  the run failed: a snapshot or the rules could not be loaded";

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot.
    pub old: PathBuf,
    /// The later snapshot.
    pub new: PathBuf,

    #[command(flatten)]
    pub source: RuleSource,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

/// Where rules come from.
#[derive(Debug, Clone, Default, Args)]
pub struct RuleSource {
    /// More rules: a YAML rule file, or a folder of them (searched
    /// recursively). Repeat to add several.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Leave out the built-in rules (use only --rules and the config's).
    #[arg(long)]
    pub no_builtin: bool,

    /// The config file [default: the first rcaudit.yaml from the current
    /// folder up to the repository's root (the folder holding `.git`)].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to check (a JSON file written by `rcaudit fetch`); `-`
    /// reads it from standard input.
    pub snapshot: PathBuf,

    /// Only the summary of the human or concise report (and errors) on the
    /// terminal; files and the other formats are unchanged.
    #[arg(long, short = 'q')]
    pub quiet: bool,

    #[command(flatten)]
    pub options: CheckOptions,
}

/// What `check` and `audit` share: rules, selection, output, waivers.
/// (`Default`: what `baseline` asks of `check::prepare`.)
#[derive(Debug, Default, Args)]
pub struct CheckOptions {
    #[command(flatten)]
    pub source: RuleSource,

    /// Run only these rules: ids or id prefixes of whole segments (RC-FW:
    /// RC-FW-001, RC-FW-002, ...), comma-separated or repeated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules: ids or id prefixes, as for --select.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write a report to a file, from the same evaluation; repeat for
    /// several (`--output sarif=r.sarif --output markdown=+summary.md`).
    /// FORMAT=PATH writes that format (a --format name), atomically;
    /// FORMAT=+PATH appends (markdown, github, concise, human: for
    /// `$GITHUB_STEP_SUMMARY`); a PATH alone is the --format document. PATH `-`
    /// is standard output (one output at most). The terminal shows the human
    /// report when a PATH alone is given, else the --format document.
    #[arg(long, short = 'o', value_name = "[FORMAT=]PATH",
          value_parser = crate::outputs::parse)]
    pub output: Vec<crate::outputs::Spec>,

    /// Waivers: a YAML file with `waivers:` (in addition to the config's).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,

    /// A previous `--format json` report: only findings it does not have
    /// count toward the exit code.
    #[arg(long, value_name = "REPORT")]
    pub baseline: Option<PathBuf>,

    /// Exit with 1 when a finding is at least this severe [default: error,
    /// or the config's failOn].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,

    /// On the terminal, the human and concise reports show how many
    /// findings each rule has (most first) instead of each finding, then
    /// the summary.
    #[arg(long)]
    pub statistics: bool,

    /// SARIF paths are relative to this folder [default: the git work tree
    /// holding the snapshot (the nearest folder up with `.git`), else the
    /// current folder].
    #[arg(long, value_name = "DIR")]
    pub sarif_root: Option<PathBuf>,

    /// Print how long each phase, each rule and each fact took, on stderr.
    #[arg(long)]
    pub timings: bool,

    /// What a rule that fails while it runs does to the exit code: `fail`
    /// (exit 2: the audit is incomplete) or `warn` (reported, and the exit
    /// code depends on the findings alone).
    #[arg(long, value_enum, default_value_t = RuleErrors::Fail)]
    pub rule_errors: RuleErrors,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum RuleErrors {
    /// Exit 2: a rule that could not run leaves the audit incomplete.
    #[default]
    Fail,
    /// Report rule errors as warnings; the exit code follows the findings.
    Warn,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub source: RuleSource,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    #[arg(
        help = "A rule id (RC-PN-003), a domain function name (normalize) or a problem \
                  code (rcaudit::rules::fact-cycle, or fact-cycle); without one, the rules \
                  and functions are listed"
    )]
    pub name: Option<String>,

    #[command(flatten)]
    pub source: RuleSource,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Rule files (their `cases:`), case files, or folders of them. Without
    /// a path, the built-in rules' cases run.
    pub paths: Vec<PathBuf>,

    /// Leave out the built-in rules (your rules must not need their facts).
    #[arg(long)]
    pub no_builtin: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics pointing into the snapshot, and a summary.
    #[default]
    Human,
    /// One JSON document (schemas/report.schema.json).
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and SARIF viewers.
    Sarif,
    /// JUnit XML: a test case per rule, a failure per finding.
    Junit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// A Markdown summary for a pull request or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// One line per finding (`PATH:LINE:COL: SEVERITY RULE-ID message
    /// [fingerprint]`), then the summary.
    Concise,
    /// One self-contained HTML page (charts, a findings table that sorts
    /// and filters, a view per extension), for opening in a browser.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    /// Never fail on findings (exit 0 unless the run fails).
    Never,
}

impl FailOn {
    pub fn parse(text: &str) -> Option<FailOn> {
        <FailOn as ValueEnum>::from_str(text, false).ok()
    }

    /// The least severity that fails the run (`None`: never).
    pub fn threshold(self) -> Option<rcaudit_rules::Severity> {
        match self {
            FailOn::Error => Some(rcaudit_rules::Severity::Error),
            FailOn::Warning => Some(rcaudit_rules::Severity::Warning),
            FailOn::Info => Some(rcaudit_rules::Severity::Info),
            FailOn::Never => None,
        }
    }
}

const BASELINE_EXIT_CODES: &str = "\
Exit codes:
  0  the baseline was written, whatever the findings
  2  the run failed: an unreadable or invalid snapshot, invalid rules or config,
     a rule that failed while it ran (a baseline of an incomplete audit would
     hide findings), or the file could not be written";

const COMPLETIONS_HELP: &str = "\
Install, for example:
  bash        rcaudit completions bash > ~/.local/share/bash-completion/completions/rcaudit
  zsh         rcaudit completions zsh > ~/.zfunc/_rcaudit   (with ~/.zfunc in $fpath)
  fish        rcaudit completions fish > ~/.config/fish/completions/rcaudit.fish
  powershell  rcaudit completions powershell >> $PROFILE
  elvish      rcaudit completions elvish >> ~/.config/elvish/rc.elv";

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Also write .github/workflows/rcaudit.yml, a GitHub Actions workflow
    /// that checks a committed snapshot.
    #[arg(long)]
    pub workflow: bool,

    /// Replace files that already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// The snapshot whose findings are recorded.
    pub snapshot: PathBuf,

    /// Where to write the baseline (a `--format json` report; atomically).
    #[arg(
        long,
        short = 'o',
        value_name = "FILE",
        default_value = "rcaudit-baseline.json"
    )]
    pub output: PathBuf,

    #[command(flatten)]
    pub source: RuleSource,

    /// Record only these rules (as `check --select`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not record these rules (as `check --ignore`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub ignore: Vec<String>,
}

#[derive(Debug, Args)]
pub struct WaiveArgs {
    /// The finding's fingerprint, RULE:key (RC-PN-003:phone:246715009), as
    /// the reports show it.
    pub fingerprint: String,

    /// Why the exception is accepted.
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// Who answers for it: a person or a team.
    #[arg(long, value_name = "WHO")]
    pub owner: String,

    /// The last day the waiver applies (YYYY-MM-DD, after today); after it
    /// the finding counts again.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: String,

    #[command(flatten)]
    pub source: RuleSource,
}

#[derive(Debug, Args)]
pub struct RedactArgs {
    /// The snapshot to redact; `-` reads it from standard input.
    #[arg(required_unless_present = "explain")]
    pub snapshot: Option<PathBuf>,

    /// Where to write the redacted snapshot (replaced atomically); `-` is
    /// standard output.
    #[arg(short, long, value_name = "FILE", required_unless_present = "explain")]
    pub output: Option<PathBuf>,

    /// A file holding the secret the pseudonyms are keyed with (at least
    /// 16 bytes; a trailing newline is ignored). The same key gives the
    /// same pseudonyms, so redacted snapshots of one account can be
    /// compared. Also `RCAUDIT_REDACT_KEY`. Without either, a random key is
    /// used and not kept.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,

    /// Refuse (exit 2, nothing written) when a string is at a place the
    /// table does not know, instead of redacting it as text, or when a
    /// phone number's pseudonym could not keep its region and type by the
    /// numbering plan.
    #[arg(long)]
    pub strict: bool,

    /// Print the table of what is redacted, and exit.
    #[arg(long)]
    pub explain: bool,

    /// The config file whose `redact:` entries extend the table [default:
    /// the first rcaudit.yaml from the current folder up to the
    /// repository's root].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses the command line. `--version` also names the commit and the
/// built-in rules, which takes loading them: done only when it is asked for.
pub fn parse() -> Result<Cli, clap::Error> {
    use clap::{CommandFactory as _, FromArgMatches as _};
    let mut command = Cli::command();
    if std::env::args_os().any(|a| a == "--version" || a == "-V") {
        command = command.version(crate::version::text());
    }
    Cli::from_arg_matches(&command.try_get_matches()?)
}
