//! The knobs of a fetch's client that tests (and command-line options)
//! turn: attempts, backoff, time limits, page size, the longest wait, the
//! largest body, the most pages.

use std::time::Duration;

/// Tuning that tests change.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Attempts of a request that fails transiently (network, 5xx).
    pub attempts: u32,
    /// First backoff; doubled per attempt, at most 8 s, with jitter.
    pub backoff: Duration,
    /// 429s tolerated for one request before giving up on it.
    pub max_rejections: u32,
    /// Time limit of one request.
    pub timeout: Duration,
    /// `perPage` asked for (the server's answer is what counts).
    pub per_page: u32,
    /// The longest the fetch waits before one request because the server
    /// said so (`Retry-After`, the rate-limit headers). A longer wait is
    /// not waited: the request fails at once and is recorded in `errors`.
    pub max_wait: Duration,
    /// The most bytes one response body may have; a larger one is not
    /// read further and the piece is recorded in `errors`.
    pub max_body: u64,
    /// The most pages of one list; a list with more is recorded in
    /// `errors` (never cut short silently).
    pub max_pages: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            attempts: 5,
            backoff: Duration::from_millis(500),
            max_rejections: 10,
            timeout: Duration::from_secs(60),
            per_page: 1000,
            max_wait: DEFAULT_MAX_WAIT,
            max_body: DEFAULT_MAX_BODY,
            max_pages: MAX_PAGES,
        }
    }
}

/// The default longest wait: a few of the API's 60 s windows.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// The default largest response body: 64 MiB, a thousand records of
/// 64 KiB (the API's are a few KiB).
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

/// The most pages of one list (the paging model's `page` maximum).
pub const MAX_PAGES: u32 = 1000;
