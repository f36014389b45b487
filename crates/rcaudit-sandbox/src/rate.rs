//! Rate limits as `docs/api-facts.md` describes them: a sliding window per
//! (user and app, usage group), and once the limit is hit, a penalty of one
//! window that every request made during it restarts. The limiter counts by
//! an opaque key; the server's policy makes it (`rate_key` in
//! `server/policy.rs`): the user and app behind the bearer token, or the
//! client id on the token endpoint.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A usage plan group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Group {
    /// 50 requests per window.
    Light,
    /// 40 requests per window.
    Medium,
    /// 10 requests per window.
    Heavy,
    /// 5 requests per window (the token endpoint).
    Auth,
}

impl Group {
    /// All groups, in the order stats list them.
    pub const ALL: [Group; 4] = [Group::Light, Group::Medium, Group::Heavy, Group::Auth];

    /// Requests allowed per window.
    pub fn limit(self) -> u32 {
        match self {
            Group::Light => 50,
            Group::Medium => 40,
            Group::Heavy => 10,
            Group::Auth => 5,
        }
    }

    /// The name in `X-Rate-Limit-Group`.
    pub fn name(self) -> &'static str {
        match self {
            Group::Light => "Light",
            Group::Medium => "Medium",
            Group::Heavy => "Heavy",
            Group::Auth => "Auth",
        }
    }

    /// Position in [`Group::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The limiter's answer for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may proceed (false: answer 429).
    pub allowed: bool,
    /// The group's limit.
    pub limit: u32,
    /// Requests left in the window after this one.
    pub remaining: u32,
}

#[derive(Debug, Default)]
struct Bucket {
    hits: VecDeque<Instant>,
    penalty_until: Option<Instant>,
}

/// Sliding-window limiter for all (key, group) pairs.
#[derive(Debug)]
pub struct Limiter {
    window: Duration,
    buckets: Mutex<HashMap<(String, Group), Bucket>>,
}

impl Limiter {
    /// A limiter with this window (60 s in the real API).
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Counts a request by `key` in `group` at `now` and decides it.
    pub fn check(&self, key: &str, group: Group, now: Instant) -> Decision {
        let limit = group.limit();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let b = buckets.entry((key.to_owned(), group)).or_default();
        let rejected = Decision {
            allowed: false,
            limit,
            remaining: 0,
        };
        if b.penalty_until.is_some_and(|until| now < until) {
            // Every request during the penalty restarts it.
            b.penalty_until = Some(now + self.window);
            return rejected;
        }
        b.penalty_until = None;
        while b
            .hits
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.window)
        {
            b.hits.pop_front();
        }
        let used = u32::try_from(b.hits.len()).unwrap_or(u32::MAX);
        if used >= limit {
            b.penalty_until = Some(now + self.window);
            return rejected;
        }
        b.hits.push_back(now);
        Decision {
            allowed: true,
            limit,
            remaining: limit - used - 1,
        }
    }

    /// Forgets all windows and penalties.
    pub fn reset(&self) {
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }
}

/// Seconds as the headers write them: whole seconds when the duration is
/// whole, otherwise up to 3 decimals (`0.25`).
pub fn seconds_text(d: Duration) -> String {
    let ms = d.as_millis();
    let (s, frac) = (ms / 1000, ms % 1000);
    if frac == 0 {
        return s.to_string();
    }
    let text = format!("{s}.{frac:03}");
    text.trim_end_matches('0').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_formatting() {
        let cases = [
            (60_000, "60"),
            (1000, "1"),
            (200, "0.2"),
            (250, "0.25"),
            (1500, "1.5"),
            (1, "0.001"),
            (12_345, "12.345"),
        ];
        for (ms, want) in cases {
            assert_eq!(seconds_text(Duration::from_millis(ms)), want, "{ms} ms");
        }
    }

    #[test]
    fn window_penalty_and_recovery() {
        let w = Duration::from_secs(60);
        let l = Limiter::new(w);
        let t0 = Instant::now();
        for i in 0..10 {
            let d = l.check("t", Group::Heavy, t0 + Duration::from_secs(i));
            assert!(d.allowed);
            assert_eq!(d.remaining, 9 - u32::try_from(i).unwrap());
        }
        // 11th: penalty starts at 10 s, lasts until 70 s.
        assert!(
            !l.check("t", Group::Heavy, t0 + Duration::from_secs(10))
                .allowed
        );
        // Other groups and keys are separate buckets.
        assert!(
            l.check("t", Group::Light, t0 + Duration::from_secs(10))
                .allowed
        );
        assert!(
            l.check("u", Group::Heavy, t0 + Duration::from_secs(10))
                .allowed
        );
        // A request at 69 s restarts the penalty until 129 s.
        assert!(
            !l.check("t", Group::Heavy, t0 + Duration::from_secs(69))
                .allowed
        );
        assert!(
            !l.check("t", Group::Heavy, t0 + Duration::from_secs(128))
                .allowed
        );
        // After a full window of silence: a fresh window.
        let d = l.check("t", Group::Heavy, t0 + Duration::from_secs(188));
        assert!(d.allowed);
        assert_eq!(d.remaining, 9);
    }

    #[test]
    fn sliding_not_fixed() {
        let l = Limiter::new(Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..5 {
            assert!(
                l.check("t", Group::Auth, t0 + Duration::from_secs(i * 10))
                    .allowed
            );
        }
        // At 60 s the first hit (0 s) has left the window: one slot free.
        let d = l.check("t", Group::Auth, t0 + Duration::from_secs(60));
        assert!(d.allowed);
        assert_eq!(d.remaining, 0);
    }
}
