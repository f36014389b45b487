//! Counters served at `GET /__stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::rate::Group;

/// A kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Answered 500.
    Fail500,
    /// Answered 503.
    Fail503,
    /// Connection closed without a response.
    Drop,
    /// Delayed.
    Slow,
    /// `X-Rate-Limit-*` headers left out.
    NoRateHeaders,
    /// `navigation` left out of a list answer.
    NoNavigation,
}

/// Per-group counts.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PerGroup {
    light: u64,
    medium: u64,
    heavy: u64,
    auth: u64,
}

impl PerGroup {
    fn bump(&mut self, g: Group) {
        let slot = match g {
            Group::Light => &mut self.light,
            Group::Medium => &mut self.medium,
            Group::Heavy => &mut self.heavy,
            Group::Auth => &mut self.auth,
        };
        *slot += 1;
    }
}

/// Fault counts.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Faults {
    fail500: u64,
    fail503: u64,
    drop: u64,
    slow: u64,
    no_rate_headers: u64,
    no_navigation: u64,
}

/// The `/__stats` document.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// API requests received (including faulted and rate-limited ones).
    pub total_requests: u64,
    requests: PerGroup,
    rate_limited: PerGroup,
    faults: Faults,
    /// Requests per endpoint, keyed `"METHOD /path/{param}"`.
    endpoints: BTreeMap<String, u64>,
    /// Responses sent per HTTP status (dropped connections have none).
    statuses: BTreeMap<String, u64>,
    /// Arrival of the first API request, ms since server start.
    first_request_ms: Option<u64>,
    /// Arrival of the last API request, ms since server start.
    last_request_ms: Option<u64>,
    /// Now, ms since server start.
    uptime_ms: u64,
}

/// The live counters.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    endpoints: Vec<String>,
    inner: Mutex<Snapshot>,
}

fn ms_since(start: Instant, t: Instant) -> u64 {
    u64::try_from(t.saturating_duration_since(start).as_millis()).unwrap_or(u64::MAX)
}

impl Stats {
    /// Counters for these endpoint names (listed with 0 until used).
    pub fn new(started: Instant, endpoints: Vec<String>) -> Self {
        let s = Self {
            started,
            endpoints,
            inner: Mutex::new(Snapshot::default()),
        };
        s.reset();
        s
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts an arriving request; returns its sequence number (0-based,
    /// restarted by [`Stats::reset`]).
    pub fn begin(&self, endpoint: &str, group: Group, now: Instant) -> u64 {
        let mut s = self.lock();
        let seq = s.total_requests;
        s.total_requests += 1;
        s.requests.bump(group);
        *s.endpoints.entry(endpoint.to_owned()).or_insert(0) += 1;
        let ms = ms_since(self.started, now);
        s.first_request_ms.get_or_insert(ms);
        s.last_request_ms = Some(ms);
        seq
    }

    /// Counts a 429.
    pub fn rate_limited(&self, group: Group) {
        self.lock().rate_limited.bump(group);
    }

    /// Counts a fault.
    pub fn fault(&self, kind: FaultKind) {
        let mut s = self.lock();
        let f = &mut s.faults;
        let slot = match kind {
            FaultKind::Fail500 => &mut f.fail500,
            FaultKind::Fail503 => &mut f.fail503,
            FaultKind::Drop => &mut f.drop,
            FaultKind::Slow => &mut f.slow,
            FaultKind::NoRateHeaders => &mut f.no_rate_headers,
            FaultKind::NoNavigation => &mut f.no_navigation,
        };
        *slot += 1;
    }

    /// Counts a response status.
    pub fn status(&self, status: u16) {
        *self.lock().statuses.entry(status.to_string()).or_insert(0) += 1;
    }

    /// The current counters.
    pub fn snapshot(&self) -> Snapshot {
        let mut s = self.lock().clone();
        s.uptime_ms = ms_since(self.started, Instant::now());
        s
    }

    /// Clears every counter.
    pub fn reset(&self) {
        let mut s = self.lock();
        *s = Snapshot::default();
        for e in &self.endpoints {
            s.endpoints.insert(e.clone(), 0);
        }
    }
}
