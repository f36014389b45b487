//! A local stand-in for the `RingCentral` REST API endpoints `rcaudit fetch`
//! reads, with the real API's shapes, paging, auth, rate limits and error
//! bodies, plus injectable faults (its README lists where it differs from
//! the real API).
//!
//! The key decision is **the sandbox serves a snapshot**. Whatever it serves
//! is held as one snapshot document (`schemas/snapshot.schema.json`): read
//! from a file, or generated deterministically from a seed *as* such a
//! document. Every endpoint is a view of that document (`account.rs`), so a
//! correct fetcher run against the sandbox must reproduce the document
//! exactly, which makes the fetcher testable end to end by comparing two
//! files. Records are kept in an order-preserving JSON type ([`Json`]) so
//! they come back verbatim.
//!
//! Everything that is not data (faults, rate limits, tokens, rate headers,
//! counters) happens in one policy layer in front of the handlers
//! ([`server`]), in a fixed, documented order, so handlers stay pure
//! mappings from the account to JSON.
//!
//! # The crate's front door
//!
//! A [`Config`] (or the command line, [`Cli`]) says what to serve;
//! [`start`] serves it and returns a [`Running`] server; the served
//! [`Account`] knows the snapshot a correct fetch writes
//! ([`expected_snapshot_text`]), and [`comparable_snapshot`] takes what a
//! fetch wrote down to what must match it. Three modules are public:
//! [`server`] (the same entry points under their module), [`generate`]
//! (deterministic accounts, used by other crates' tests) and [`hostile`]
//! (a server that answers whatever a test scripts). The rest is private:
//!
//! - `account`: the served snapshot and its per-viewer views;
//! - `generate`, `rng`: generated accounts, deterministic randomness;
//! - `json`: JSON that keeps key order (records come back verbatim);
//! - `paging`, `error`: the API's paging model and error bodies;
//! - `auth`, `rate`, `faults`, `stats`: tokens, rate limits, injected
//!   faults and counters, used by the server's policy.
//!
//! ```no_run
//! # async fn example() -> Result<(), rcaudit_sandbox::StartError> {
//! use rcaudit_sandbox::{Config, Source};
//!
//! let config = Config {
//!     source: Source::Generate { extensions: 10, seed: 7 },
//!     ..Config::default()
//! };
//! let expected = rcaudit_sandbox::expected_snapshot_text(&config.account()?);
//! let running = rcaudit_sandbox::start(config).await?;
//! println!("serving on {}; a fetch must write {} bytes", running.url(), expected.len());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod account;
mod auth;
mod error;
mod faults;
pub mod generate;
pub mod hostile;
mod json;
mod paging;
mod rate;
mod rng;
pub mod server;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

pub use account::{Account, LoadError, NO_FORWARDING_TYPES};
pub use faults::FaultConfig;
pub use json::Json;
use json::obj;
pub use rate::Group;
pub use server::{
    Endpoint, Running, StartError, comparable_snapshot, expected_snapshot_text, serve, start,
};

/// Where the served account comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Generated with this many extensions from this seed.
    Generate {
        /// Number of extensions.
        extensions: usize,
        /// Seed.
        seed: u64,
    },
    /// A snapshot file (`schemas/snapshot.schema.json`).
    Snapshot(PathBuf),
}

/// A validated server configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Port on 127.0.0.1 (0: any free port).
    pub port: u16,
    /// The account served.
    pub source: Source,
    /// Rate-limit window (60 s in the real API).
    pub window: Duration,
    /// Overrides whether the viewer is an administrator.
    pub viewer_admin: Option<bool>,
    /// The only non-issued bearer token accepted (`None`: any).
    pub require_token: Option<String>,
    /// Lifetime of issued access tokens.
    pub token_ttl: Duration,
    /// Injected faults.
    pub faults: FaultConfig,
    /// Whether 429s carry `Retry-After`.
    pub retry_after: bool,
    /// The token scope (space-separated); without `ReadAccounts` every API
    /// endpoint answers 403 CMN-401.
    pub scope: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            port: 0,
            source: Source::Generate {
                extensions: 50,
                seed: 1,
            },
            window: Duration::from_secs(60),
            viewer_admin: None,
            require_token: None,
            token_ttl: Duration::from_secs(3600),
            faults: FaultConfig::default(),
            retry_after: true,
            scope: String::from("ReadAccounts"),
        }
    }
}

impl Config {
    /// Builds the account this configuration serves.
    pub fn account(&self) -> Result<Account, LoadError> {
        match &self.source {
            Source::Snapshot(path) => Account::load(path, self.viewer_admin),
            Source::Generate { extensions, seed } => {
                let doc = generate::snapshot(generate::Params {
                    extensions: *extensions,
                    seed: *seed,
                    admin: self.viewer_admin.unwrap_or(true),
                });
                Account::from_snapshot(doc, self.viewer_admin)
            }
        }
    }
}

/// Who the viewer is, for `--viewer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ViewerArg {
    /// An administrator: sees everything.
    Admin,
    /// A plain user: no account phone numbers, only other extensions'
    /// direct numbers (without `features`), no other forwarding numbers.
    User,
}

/// The command line.
#[derive(Debug, Parser)]
#[command(
    name = "rcaudit-sandbox",
    version,
    about = "Simulates the RingCentral REST API endpoints rcaudit fetch reads.",
    after_help = "Prints `listening on http://127.0.0.1:PORT` once ready. \
                  GET /__stats shows counters; POST /__reset clears them and the rate limits."
)]
pub struct Cli {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Generate an account with N extensions (default 50).
    #[arg(long, value_name = "N", conflicts_with = "snapshot")]
    pub extensions: Option<usize>,
    /// Seed of the generated account (default 1).
    #[arg(long, value_name = "S", conflicts_with = "snapshot")]
    pub seed: Option<u64>,
    /// Serve this snapshot file (as `rcaudit fetch` writes it:
    /// schemas/snapshot.schema.json) instead of a generated account.
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
    /// Rate-limit window in milliseconds (the real API: 60000).
    #[arg(long, value_name = "W", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub window_ms: u64,
    /// Whether the viewer is an administrator (default: the snapshot's
    /// `source.viewer.admin`, or admin).
    #[arg(long, value_enum)]
    pub viewer: Option<ViewerArg>,
    /// Accept only this bearer token (and tokens issued by /oauth/token).
    #[arg(long, value_name = "TOKEN")]
    pub require_token: Option<String>,
    /// Lifetime of issued access tokens in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 3_600_000)]
    pub token_ttl_ms: u64,
    /// Share of requests answered 500 or 503 (half each).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Share of requests whose connection is closed without a response.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Share of requests delayed by --slow-ms.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub slow_rate: f64,
    /// Delay of slow requests in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 2000)]
    pub slow_ms: u64,
    /// Share of responses without X-Rate-Limit-* headers.
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub no_rate_headers_rate: f64,
    /// Share of list responses without `navigation` (extension list, account
    /// phone numbers, forwarding numbers; the spec makes it optional there).
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub no_navigation_rate: f64,
    /// Leave Retry-After out of 429 responses.
    #[arg(long)]
    pub no_retry_after: bool,
    /// Seed of the fault decisions.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub fault_seed: u64,
    /// The token scope (space-separated).
    #[arg(long, default_value = "ReadAccounts")]
    pub scope: String,
    /// Print the snapshot a correct fetcher would write for this account
    /// and viewer (JSON) and exit, instead of serving.
    #[arg(long)]
    pub dump_snapshot: bool,
}

impl Cli {
    /// Validates the arguments into a [`Config`].
    pub fn config(&self) -> Result<Config, String> {
        let faults = FaultConfig {
            fail_rate: self.fail_rate,
            drop_rate: self.drop_rate,
            slow_rate: self.slow_rate,
            slow_ms: self.slow_ms,
            no_rate_headers_rate: self.no_rate_headers_rate,
            no_navigation_rate: self.no_navigation_rate,
            seed: self.fault_seed,
        };
        faults.validate()?;
        let source = match &self.snapshot {
            Some(path) => Source::Snapshot(path.clone()),
            None => {
                let extensions = self.extensions.unwrap_or(50);
                if extensions == 0 {
                    return Err(String::from("--extensions must be at least 1"));
                }
                Source::Generate {
                    extensions,
                    seed: self.seed.unwrap_or(1),
                }
            }
        };
        Ok(Config {
            port: self.port,
            source,
            window: Duration::from_millis(self.window_ms),
            viewer_admin: self.viewer.map(|v| v == ViewerArg::Admin),
            require_token: self.require_token.clone(),
            token_ttl: Duration::from_millis(self.token_ttl_ms),
            faults,
            retry_after: !self.no_retry_after,
            scope: self.scope.clone(),
        })
    }
}
