//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit codes:
  0  no finding at or above --fail-on
  1  findings at or above --fail-on
  2  the run failed: bad arguments, an unreadable or invalid snapshot, invalid rules";

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
    /// When to use colour: auto (a terminal, and `NO_COLOR` unset), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to check (a JSON file written by `rcaudit fetch`).
    pub snapshot: PathBuf,

    /// More rules: a YAML rule file, or a folder of them (searched
    /// recursively). Repeat to add several.
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,

    /// Leave out the built-in rules (use only --rules).
    #[arg(long)]
    pub no_builtin: bool,

    /// Run only these rules (ids, comma-separated or repeated).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Do not run these rules (ids, comma-separated or repeated).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Exit with 1 when a finding is at least this severe.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Diagnostics pointing into the snapshot, and a summary.
    Human,
    /// One JSON document (schemas/report.schema.json).
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
