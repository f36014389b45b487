//! What the fetch tells its caller while it runs (the CLI draws a progress
//! bar from it on a terminal).

/// Receives progress. Called from many tasks at once.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// More requests are known to be needed.
    fn planned(&self, _requests: u64) {}
    /// Requests finished (succeeded, or failed for good).
    fn finished(&self, _requests: u64) {}
    /// The server answered 429: the fetch waits and tries again.
    fn rejected(&self) {}
}

/// Progress nobody watches.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Progress for Silent {}
