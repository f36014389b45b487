//! Fetches a RingCentral account's configuration into an rcaudit snapshot
//! (`schemas/snapshot.schema.json`): the account, its service info, phone numbers, extensions
//! and each extension's phone and forwarding numbers, records verbatim.
//!
//! - **Auth**: a bearer token, or the JWT grant (renewed when it expires).
//!   Secrets are [`Secret`]s: they never format, so never reach a log, an
//!   error or the snapshot.
//! - **Rate limits**: a gate per usage-plan group lets a request through
//!   only when the server is certain to accept it ([`limits`]); 429s pause
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
//!   interrupted fetch continues where it stopped ([`journal`]).
//! - **HTTPS only**, except on loopback addresses ([`Server`]).
//!
//! The crate does network I/O and writes its journal; writing the snapshot
//! itself is the caller's (atomically).

pub mod api;
pub mod journal;
pub mod limits;
pub mod parts;
pub mod progress;
mod run;
pub mod secret;
pub mod server;

pub use api::{Credentials, Failure, Tuning};
pub use progress::{Progress, Silent};
pub use run::{FetchError, Fetched, JournalMode, Options, Summary, fetch, journal_path};
pub use secret::Secret;
pub use server::{PRODUCTION, Server};
