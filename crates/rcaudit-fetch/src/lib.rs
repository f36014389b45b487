//! Fetches a RingCentral account's configuration into an rcaudit snapshot
//! (`schemas/snapshot.schema.json`): the account, its service info, phone
//! numbers, extensions and each extension's phone and forwarding numbers,
//! records verbatim. The endpoints, permissions and rate-limit groups it
//! relies on are in `docs/api-facts.md`.
//!
//! - **Auth**: a bearer token, or the JWT grant (renewed when it expires).
//!   Secrets are [`Secret`]s: they never format, so never reach a log, an
//!   error or the snapshot.
//! - **Rate limits**: a gate per usage-plan group lets a request through
//!   only when the server is certain to accept it (`limits.rs`); 429s pause
//!   the group for `Retry-After` (30 s without one).
//! - **Failures**: transient ones are retried with backoff; permanent ones
//!   become `errors` entries and the fetch carries on.
//! - **Hostile servers**: header arithmetic is checked (a `Retry-After` of
//!   `1e20` is a wait without end, never a panic); a wait longer than
//!   `Tuning::max_wait` (5 min) is not waited but fails its request at once
//!   into `errors`; a body larger than `Tuning::max_body` (64 MiB) is not
//!   read further; a list whose paging does not end (a loop, more than
//!   `Tuning::max_pages`) is an error, never a list cut short; an id that is
//!   not a plain token is never put in a URL, and no request leaves the
//!   account's path; a task that panics becomes an `errors` entry for its
//!   piece.
//! - **Resume**: finished pieces go to a journal beside the output, so an
//!   interrupted fetch continues where it stopped ([`journal_path`],
//!   [`JournalError`]).
//! - **HTTPS only**, except on loopback addresses ([`Server`]).
//!
//! The crate does network I/O and writes its journal; writing the snapshot
//! itself is the caller's (atomically).
//!
//! # The crate's front door
//!
//! Everything a caller needs is re-exported here: [`fetch`] with its
//! [`Options`] ([`Server`], [`Credentials`] holding [`Secret`]s, [`Tuning`],
//! [`JournalMode`]), what it returns ([`Fetched`], [`Summary`] with its
//! [`GroupStats`]) or why it failed ([`FetchError`], whose account failure
//! is a [`Failure`]), the [`Progress`] it reports, and the journal's
//! [`journal_path`] and [`JournalError`] (for the CLI's advice). One module
//! is public for the callers that need more: [`parts`] (assembling and
//! re-indenting a snapshot, which the fuzz targets exercise). The rest is
//! private:
//!
//! - `journal`: the finished pieces of a fetch, kept for `--resume`;
//! - `api` (with `api/`): the REST client: endpoints, failures, tuning,
//!   auth, reading responses, retries, paging;
//! - `limits`: the rate-limit gates;
//! - `run`: the order of requests and what becomes of each answer;
//! - `server`, `secret`, `progress`: the base URL, secrets, progress.
//!
//! ```no_run
//! # async fn example() -> Result<(), rcaudit_fetch::FetchError> {
//! use std::sync::Arc;
//! use rcaudit_fetch::{Credentials, Options, PRODUCTION, Secret, Server, Silent, Tuning};
//!
//! let options = Options {
//!     server: Server::parse(PRODUCTION).map_err(rcaudit_fetch::FetchError::Setup)?,
//!     credentials: Credentials::Token(Secret::new("an access token")),
//!     tuning: Tuning::default(),
//!     generator: "rcaudit 0.1.0".to_owned(),
//!     journal: None,
//!     data: rcaudit_fetch::Data::default(),
//! };
//! let fetched = rcaudit_fetch::fetch(options, Arc::new(Silent)).await?;
//! println!("{} extensions", fetched.summary.extensions);
//! // Write `fetched.text` (atomically), then:
//! fetched.finish()?;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod api;
mod data;
mod journal;
mod limits;
pub mod parts;
mod plan;
mod preflight;
mod progress;
mod run;
mod secret;
mod server;

pub use api::{Credentials, DEFAULT_MAX_BODY, DEFAULT_MAX_WAIT, Failure, Tuning, error_details};
pub use data::{
    Data, ExtensionNumbers, FORWARDING_TYPES, Forwarding, NO_FORWARDING_TYPES, forwarding,
};
pub use journal::JournalError;
pub use limits::{Group, GroupStats};
pub use plan::{Plan, WINDOW, duration, plan};
pub use preflight::{NEEDED, Preflight, WRITE_PERMISSIONS, WRITE_SCOPES, preflight, writes};
pub use progress::{Progress, Silent};
pub use run::{FetchError, Fetched, JournalMode, Options, Summary, fetch, journal_path};
pub use secret::Secret;
pub use server::{PRODUCTION, Server};
