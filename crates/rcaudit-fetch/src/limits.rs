//! Client-side rate limiting: one gate per usage-plan group that lets a
//! request through only when the server is certain to accept it.
//!
//! The API counts requests per (user, app, group) in a sliding window and,
//! once a request is over the limit, rejects every request of the group
//! until a whole window passes without one: the penalty restarts on each
//! request made during it. So a client must never be rejected at all, and
//! after a 429 it must send nothing of that group until `Retry-After`.
//!
//! The gate keeps, per group, the number of requests in flight and the
//! times at which recent requests **completed**. A request arrives at the
//! server after it was sent and before its response completes, so if
//! `completed in (now - window, now] + in flight < limit`, then at the new
//! request's arrival the server counts fewer than `limit` requests in its
//! window, whatever the network did to either request. The limit and the
//! window start at the documented defaults and follow the `X-Rate-Limit-*`
//! headers once the server sends them; a `Remaining` lower than ours means
//! someone else shares the bucket (or an interrupted run used it), and the
//! group waits a whole window. Each group opens with a single request, so
//! that answer is heard before anything else is sent.
//!
//! One dispatcher task per group hands out permits in request order, so
//! thousands of waiting requests cost one waiter, not a thundering herd.
//!
//! Whatever the headers say, the arithmetic is checked: a time that cannot
//! be represented is a wait without end ([`Deadline::Never`]), and a wait
//! longer than the fetch's longest allowed wait (`Tuning::max_wait`) is not
//! waited: the request is refused at once with [`GateError::TooLong`],
//! which the fetch records in `errors`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::time::Instant;

/// A usage-plan group (`x-throttling-group` in the specification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    /// Single records (50 requests a minute by default).
    Light,
    /// The extension list (40).
    Medium,
    /// The account's phone numbers (10).
    Heavy,
    /// The token endpoint (5).
    Auth,
}

impl Group {
    /// Every group, in the order of [`GroupStats`] lists.
    pub const ALL: [Group; 4] = [Group::Light, Group::Medium, Group::Heavy, Group::Auth];

    /// The documented default requests per window.
    pub fn default_limit(self) -> u32 {
        match self {
            Group::Light => 50,
            Group::Medium => 40,
            Group::Heavy => 10,
            Group::Auth => 5,
        }
    }

    /// The group's name as the API spells it (`Light`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Group::Light => "Light",
            Group::Medium => "Medium",
            Group::Heavy => "Heavy",
            Group::Auth => "Auth",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The documented default window (and penalty).
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// The highest limit the gate believes: the API's are tens of requests;
/// a server claiming billions gets this many per window.
pub const MAX_LIMIT: u32 = 10_000;

/// A point in time the gate waits for, or none (a time so far away it
/// cannot be represented: `Instant` arithmetic overflows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deadline {
    At(Instant),
    Never,
}

impl Deadline {
    /// `t + d`, checked.
    pub fn after(t: Instant, d: Duration) -> Deadline {
        t.checked_add(d).map_or(Deadline::Never, Deadline::At)
    }

    /// How long from `now`; `None` for never.
    pub fn wait_from(self, now: Instant) -> Option<Duration> {
        match self {
            Deadline::At(at) => Some(at.saturating_duration_since(now)),
            Deadline::Never => None,
        }
    }
}

/// Why the gate gave no permit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    /// The wait is longer than allowed (`wait: None`: without end).
    #[error(
        "the {group} rate-limit group would have this request wait {}, longer than the longest wait allowed ({}, --max-wait): {cause}; it was not sent",
        wait.map_or_else(|| "without end".to_owned(), |w| format!("{}", humantime::format_duration(whole_seconds(w)))),
        humantime::format_duration(whole_seconds(*max_wait))
    )]
    TooLong {
        group: &'static str,
        wait: Option<Duration>,
        max_wait: Duration,
        cause: String,
    },
    /// The server answered the group's last requests with 429, that many
    /// in a row: it is not asked again in this fetch.
    #[error(
        "the server refused the last {count} requests of the {group} rate-limit group in a row (429), waiting as told between them: the group's other requests are not sent; run the fetch again later"
    )]
    Refusing { group: &'static str, count: u32 },
    /// The gate's dispatcher is gone (an internal error).
    #[error("internal error: the {0} rate-limit gate stopped")]
    Stopped(&'static str),
}

/// A duration rounded up to whole seconds (for messages).
pub fn whole_seconds(d: Duration) -> Duration {
    let up = u64::from(d.subsec_nanos() > 0);
    Duration::from_secs(d.as_secs().saturating_add(up))
}

/// What a response said about the limits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observed {
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    pub window: Option<Duration>,
    /// Set when the response was a 429: how long to send nothing.
    pub rejected_for: Option<Duration>,
}

#[derive(Debug)]
struct State {
    limit: u32,
    window: Duration,
    completed: VecDeque<Instant>,
    in_flight: u32,
    paused_until: Option<Deadline>,
    /// What the server said that paused the group (for messages).
    pause_cause: String,
    /// Whether the limit and window came from the server.
    learned: bool,
    /// While the bucket's state is unknown (at the start, when an earlier
    /// run or another client may have used it, and after a 429): one
    /// request at a time until one is accepted, so the first answer's
    /// `Remaining` is heard before a burst runs into a penalty.
    probing: bool,
    /// Pacing: when the next permit is due on an even schedule (the
    /// "theoretical arrival time" of the generic cell rate algorithm).
    due: Option<Deadline>,
    rejected: u64,
    /// 429s since the last answer that was not one.
    rejected_in_a_row: u32,
    sent: u64,
}

impl State {
    /// A margin on the window for servers whose clocks tick coarsely.
    fn window_with_margin(&self) -> Duration {
        self.window
            .saturating_add(self.window / 200)
            .saturating_add(Duration::from_millis(1))
    }

    /// Why a wait of the pacing or a full window is as long as it is.
    fn rate_cause(&self) -> String {
        format!(
            "the server's rate limit is {} requests per {} window (X-Rate-Limit-Limit, X-Rate-Limit-Window)",
            self.limit,
            humantime::format_duration(self.window)
        )
    }

    fn prune(&mut self, now: Instant) {
        let window = self.window_with_margin();
        while self
            .completed
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= window)
        {
            self.completed.pop_front();
        }
    }

    /// Takes a slot, or says until when (or until what) to wait.
    fn try_take(&mut self, now: Instant) -> Wait {
        if let Some(until) = self.paused_until {
            if Deadline::At(now) < until {
                return Wait::Until(until, self.pause_cause.clone());
            }
            self.paused_until = None;
        }
        self.prune(now);
        if self.probing && self.in_flight > 0 {
            return Wait::Completion;
        }
        // Pace requests over the window, in bursts of at most a fifth of
        // the limit: the same throughput as sending the whole limit at
        // once, but answers (and their `Remaining`) come back between
        // bursts, so a neighbour on the same bucket is noticed before a
        // whole window's requests run into its penalty. The tolerance also
        // absorbs the timer's millisecond granularity.
        let spacing = self.window / self.limit.max(1);
        let tolerance = spacing.saturating_mul((self.limit / 5).max(1));
        if let Some(due) = self.due
            && Deadline::after(now, tolerance) < due
        {
            let until = match due {
                Deadline::At(due) => Deadline::At(due.checked_sub(tolerance).unwrap_or(now)),
                Deadline::Never => Deadline::Never,
            };
            return Wait::Until(until, self.rate_cause());
        }
        let used = u32::try_from(self.completed.len()).unwrap_or(u32::MAX);
        if used.saturating_add(self.in_flight) < self.limit {
            self.in_flight = self.in_flight.saturating_add(1);
            self.sent += 1;
            let from = match self.due {
                Some(Deadline::At(due)) => due.max(now),
                _ => now,
            };
            self.due = Some(Deadline::after(from, spacing));
            return Wait::Ready;
        }
        match self.completed.front() {
            Some(&oldest) if used > 0 => Wait::Until(
                Deadline::after(oldest, self.window_with_margin()),
                self.rate_cause(),
            ),
            _ => Wait::Completion,
        }
    }

    fn finish(&mut self, observed: Observed, now: Instant) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.completed.push_back(now);
        let (limit, window) = (self.limit, self.window);
        if let Some(limit) = observed.limit.filter(|&l| l > 0) {
            self.limit = limit.min(MAX_LIMIT);
            self.learned = true;
        }
        if let Some(window) = observed.window.filter(|w| !w.is_zero()) {
            self.window = window;
        }
        if (limit, window) != (self.limit, self.window) {
            // The schedule was made for other limits.
            self.due = None;
        }
        // Keep the history bounded whatever the limit.
        while self.completed.len() > (self.limit as usize).saturating_add(1) {
            self.completed.pop_front();
        }
        if let Some(pause) = observed.rejected_for {
            self.rejected += 1;
            self.rejected_in_a_row = self.rejected_in_a_row.saturating_add(1);
            self.probing = true;
            self.pause_cause = format!(
                "the server answered 429 and asked to wait {} (Retry-After)",
                humantime::format_duration(whole_seconds(pause))
            );
            self.pause(Deadline::after(now, pause));
            return;
        }
        self.probing = false;
        self.rejected_in_a_row = 0;
        if let Some(remaining) = observed.remaining {
            self.prune(now);
            let used = u32::try_from(self.completed.len()).unwrap_or(u32::MAX);
            let ours = self
                .limit
                .saturating_sub(used.saturating_add(self.in_flight));
            if remaining < ours {
                // Someone else uses this bucket: wait for it to drain.
                self.pause_cause = format!(
                    "X-Rate-Limit-Remaining {remaining} says others use this rate limit, so the group waits a whole window of {} (X-Rate-Limit-Window)",
                    humantime::format_duration(self.window)
                );
                self.pause(Deadline::after(now, self.window_with_margin()));
            }
        }
    }

    fn pause(&mut self, until: Deadline) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

enum Wait {
    Ready,
    /// Until then, because of this (what the server said).
    Until(Deadline, String),
    Completion,
}

#[derive(Debug)]
struct Shared {
    group: Group,
    /// The longest a request may wait at the gate (not counting the
    /// requests ahead of it): beyond, it is refused at once.
    max_wait: Duration,
    /// After this many 429s in a row the group sends nothing more.
    max_rejected_in_a_row: u32,
    state: Mutex<State>,
    /// Wakes the dispatcher: a request finished, or the limits changed.
    changed: Notify,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The right to send one request of a group. Report how it went with
/// [`Permit::finish`]; a permit dropped unfinished counts as a request that
/// completed when it was dropped.
#[derive(Debug)]
pub struct Permit {
    shared: Arc<Shared>,
    finished: bool,
}

impl Permit {
    /// Records the completion of the request and what its response said.
    pub fn finish(mut self, observed: Observed) {
        self.finished = true;
        self.shared.state().finish(observed, Instant::now());
        self.shared.changed.notify_one();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.finished {
            self.shared
                .state()
                .finish(Observed::default(), Instant::now());
            self.shared.changed.notify_one();
        }
    }
}

/// Counters of one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupStats {
    /// The group.
    pub group: Group,
    /// Requests sent.
    pub sent: u64,
    /// Requests the server answered 429.
    pub rejected: u64,
    /// Requests per window, as last known.
    pub limit: u32,
    /// The window, as last known.
    pub window: Duration,
    /// Whether limit and window came from the server's headers.
    pub learned: bool,
}

#[derive(Debug)]
struct Gate {
    shared: Arc<Shared>,
    queue: mpsc::UnboundedSender<oneshot::Sender<Result<Permit, GateError>>>,
}

/// The gates of all groups. Must be created inside a Tokio runtime.
#[derive(Debug)]
pub struct Limits {
    gates: Vec<Gate>,
}

impl Limits {
    /// Gates with the documented defaults, or with `window` when given
    /// (a known scaled-down window, e.g. the sandbox's). A request that
    /// would wait longer than `max_wait` is refused instead, and so is
    /// every request of a group after `max_rejected_in_a_row` 429s in a
    /// row (a server that refuses everything would otherwise cost each
    /// request its own series of waits: days on a big account).
    pub fn new(window: Option<Duration>, max_wait: Duration, max_rejected_in_a_row: u32) -> Limits {
        let gates = Group::ALL
            .iter()
            .map(|&group| {
                let shared = Arc::new(Shared {
                    group,
                    max_wait,
                    max_rejected_in_a_row: max_rejected_in_a_row.max(1),
                    state: Mutex::new(State {
                        limit: group.default_limit(),
                        window: window.unwrap_or(DEFAULT_WINDOW),
                        completed: VecDeque::new(),
                        in_flight: 0,
                        paused_until: None,
                        pause_cause: String::new(),
                        learned: false,
                        probing: true,
                        due: None,
                        rejected: 0,
                        rejected_in_a_row: 0,
                        sent: 0,
                    }),
                    changed: Notify::new(),
                });
                let (queue, requests) = mpsc::unbounded_channel();
                tokio::spawn(dispatch(Arc::clone(&shared), requests));
                Gate { shared, queue }
            })
            .collect();
        Limits { gates }
    }

    fn gate(&self, group: Group) -> Option<&Gate> {
        self.gates.get(group.index())
    }

    /// Waits until a request of `group` may be sent, or says why it may not.
    pub async fn acquire(&self, group: Group) -> Result<Permit, GateError> {
        let stopped = GateError::Stopped(group.name());
        let gate = self.gate(group).ok_or_else(|| stopped.clone())?;
        let (reply, permit) = oneshot::channel();
        gate.queue.send(reply).map_err(|_| stopped.clone())?;
        permit.await.map_err(|_| stopped)?
    }

    pub fn stats(&self) -> Vec<GroupStats> {
        self.gates
            .iter()
            .map(|gate| {
                let state = gate.shared.state();
                GroupStats {
                    group: gate.shared.group,
                    sent: state.sent,
                    rejected: state.rejected,
                    limit: state.limit,
                    window: state.window,
                    learned: state.learned,
                }
            })
            .collect()
    }
}

async fn dispatch(
    shared: Arc<Shared>,
    mut requests: mpsc::UnboundedReceiver<oneshot::Sender<Result<Permit, GateError>>>,
) {
    'requests: while let Some(reply) = requests.recv().await {
        loop {
            let now = Instant::now();
            let in_a_row = shared.state().rejected_in_a_row;
            if in_a_row >= shared.max_rejected_in_a_row {
                let _ = reply.send(Err(GateError::Refusing {
                    group: shared.group.name(),
                    count: in_a_row,
                }));
                continue 'requests;
            }
            let wait = shared.state().try_take(now);
            match wait {
                Wait::Ready => break,
                Wait::Until(until, cause) => {
                    let wait = until.wait_from(now);
                    let at = match (until, wait) {
                        (Deadline::At(at), Some(wait)) if wait <= shared.max_wait => at,
                        _ => {
                            // Not waited: the request is refused at once,
                            // and the next one is looked at.
                            let _ = reply.send(Err(GateError::TooLong {
                                group: shared.group.name(),
                                wait,
                                max_wait: shared.max_wait,
                                cause,
                            }));
                            continue 'requests;
                        }
                    };
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = shared.changed.notified() => {}
                    }
                }
                Wait::Completion => shared.changed.notified().await,
            }
        }
        let permit = Permit {
            shared: Arc::clone(&shared),
            finished: false,
        };
        // A requester that went away drops the permit, which frees the slot.
        let _ = reply.send(Ok(permit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(limit: u32, window_ms: u64) -> State {
        State {
            limit,
            window: Duration::from_millis(window_ms),
            completed: VecDeque::new(),
            in_flight: 0,
            paused_until: None,
            pause_cause: String::new(),
            learned: false,
            probing: false,
            due: None,
            rejected: 0,
            rejected_in_a_row: 0,
            sent: 0,
        }
    }

    /// Takes a slot at the first moment from `t` the state allows, within
    /// `limit`; returns when, or `None` if it must wait for a completion.
    fn take(s: &mut State, mut t: Instant, limit: Instant) -> Option<Instant> {
        loop {
            match s.try_take(t) {
                Wait::Ready => return Some(t),
                Wait::Until(Deadline::At(at), _) if at <= limit => t = at,
                Wait::Until(..) | Wait::Completion => return None,
            }
        }
    }

    #[test]
    fn paces_the_limit_over_the_window_then_waits_from_the_first_completion() {
        let start = Instant::now();
        let mut s = state(10, 1000);
        let far = start + Duration::from_secs(100);
        let mut times = Vec::new();
        for _ in 0..10 {
            times.push(take(&mut s, start, far).expect("a slot") - start);
        }
        // In bursts of a fifth of the limit, a tenth of the window apart.
        let ms: Vec<u128> = times.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 0, 100, 200, 300, 400, 500, 600, 700]);
        assert!(take(&mut s, start, far).is_none(), "all ten in flight");
        let done = start + Duration::from_millis(760);
        s.finish(Observed::default(), done);
        let next = take(&mut s, done, far).expect("after the window");
        assert!(next >= done + Duration::from_secs(1), "{:?}", next - done);
    }

    #[test]
    fn a_group_opens_with_one_request_and_hears_its_answer() {
        let start = Instant::now();
        let mut s = state(50, 1000);
        s.probing = true;
        assert!(matches!(s.try_take(start), Wait::Ready));
        assert!(matches!(s.try_take(start), Wait::Completion));
        // An interrupted run used 45 of the 50: wait a window, not burst.
        let done = start + Duration::from_millis(5);
        s.finish(
            Observed {
                remaining: Some(4),
                ..Observed::default()
            },
            done,
        );
        let Wait::Until(Deadline::At(at), _) = s.try_take(done) else {
            panic!("paused");
        };
        assert!(at >= done + Duration::from_secs(1), "{:?}", at - done);
        assert!(matches!(s.try_take(at), Wait::Ready));
        assert!(matches!(s.try_take(at), Wait::Ready), "open after that");
    }

    #[test]
    fn a_429_pauses_the_group_then_probes_with_one_request() {
        let start = Instant::now();
        let mut s = state(50, 1000);
        assert!(matches!(s.try_take(start), Wait::Ready));
        let done = start + Duration::from_millis(5);
        s.finish(
            Observed {
                rejected_for: Some(Duration::from_secs(30)),
                ..Observed::default()
            },
            done,
        );
        let Wait::Until(Deadline::At(at), _) = s.try_take(done) else {
            panic!("paused");
        };
        assert_eq!(at, done + Duration::from_secs(30));
        assert_eq!(s.rejected, 1);
        // After the pause, one probe at a time until one is accepted.
        assert!(matches!(s.try_take(at), Wait::Ready));
        let later = at + Duration::from_secs(1);
        assert!(matches!(s.try_take(later), Wait::Completion));
        s.finish(Observed::default(), later);
        assert!(matches!(s.try_take(later), Wait::Ready));
    }

    #[test]
    fn headers_set_the_limit_and_window() {
        let start = Instant::now();
        let mut s = state(50, 60_000);
        assert!(matches!(s.try_take(start), Wait::Ready));
        s.finish(
            Observed {
                limit: Some(2),
                remaining: Some(1),
                window: Some(Duration::from_millis(100)),
                rejected_for: None,
            },
            start,
        );
        assert_eq!((s.limit, s.window), (2, Duration::from_millis(100)));
        let far = start + Duration::from_secs(1);
        let second = take(&mut s, start, far).expect("a second slot");
        assert!(second - start <= Duration::from_millis(50));
        // Two in the window: the third waits for the first to leave it.
        assert!(matches!(s.try_take(second), Wait::Until(..)));
    }

    #[test]
    fn a_lower_remaining_than_ours_waits_a_window() {
        let start = Instant::now();
        let far = start + Duration::from_millis(500);
        let mut s = state(10, 1000);
        assert!(matches!(s.try_take(start), Wait::Ready));
        // We used 1 of 10, the server says 2 are left: others use the bucket.
        s.finish(
            Observed {
                remaining: Some(2),
                ..Observed::default()
            },
            start,
        );
        assert!(take(&mut s, start, far).is_none(), "paused a window");
        // The same answer when it matches ours is no reason to wait.
        let mut s = state(10, 1000);
        assert!(matches!(s.try_take(start), Wait::Ready));
        s.finish(
            Observed {
                remaining: Some(9),
                ..Observed::default()
            },
            start,
        );
        assert!(take(&mut s, start, far).is_some());
    }

    #[test]
    fn absurd_limits_and_windows_never_overflow() {
        let start = Instant::now();
        let windows = [
            Duration::MAX,
            Duration::from_secs(u64::MAX / 3),
            Duration::from_secs(1_000_000_000_000),
            Duration::from_nanos(1),
        ];
        for window in windows {
            for limit in [1, 7, u32::MAX] {
                for (remaining, rejected_for) in [
                    (Some(0), None),
                    (Some(u32::MAX), None),
                    (None, Some(Duration::MAX)),
                    (None, Some(Duration::from_secs(u64::MAX / 3))),
                ] {
                    let mut s = state(50, 1000);
                    assert!(matches!(s.try_take(start), Wait::Ready));
                    s.finish(
                        Observed {
                            limit: Some(limit),
                            remaining,
                            window: Some(window),
                            rejected_for,
                        },
                        start,
                    );
                    assert!(s.limit <= MAX_LIMIT);
                    let mut t = start;
                    for _ in 0..30 {
                        match s.try_take(t) {
                            Wait::Ready => {}
                            Wait::Completion => s.finish(Observed::default(), t),
                            Wait::Until(Deadline::Never, _) => break,
                            Wait::Until(Deadline::At(at), cause) => {
                                assert!(!cause.is_empty());
                                t = at;
                            }
                        }
                    }
                }
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_maximum_is_refused_at_once() {
        let limits = Limits::new(Some(Duration::from_secs(1)), Duration::from_secs(300), 10);
        let start = Instant::now();
        for (group, pause) in [
            (Group::Light, Duration::from_secs(999_999)),
            (Group::Medium, Duration::MAX),
        ] {
            let permit = limits.acquire(group).await.expect("the first");
            permit.finish(Observed {
                rejected_for: Some(pause),
                ..Observed::default()
            });
            let error = limits.acquire(group).await.expect_err("too long");
            let message = error.to_string();
            assert!(message.contains("429"), "{message}");
            assert!(message.contains("--max-wait"), "{message}");
            // And every request after it, at once as well.
            assert!(limits.acquire(group).await.is_err());
        }
        // A window of 1e12 s: the next request is due in years.
        let permit = limits.acquire(Group::Heavy).await.expect("the first");
        permit.finish(Observed {
            limit: Some(2),
            window: Some(Duration::from_secs(1_000_000_000_000)),
            ..Observed::default()
        });
        let permit = limits.acquire(Group::Heavy).await.expect("the second");
        permit.finish(Observed::default());
        let error = limits.acquire(Group::Heavy).await.expect_err("too long");
        assert!(error.to_string().contains("X-Rate-Limit-Window"), "{error}");
        assert!(Instant::now() - start < Duration::from_secs(1), "no wait");
    }

    #[tokio::test(start_paused = true)]
    async fn a_group_refused_too_many_times_in_a_row_stops_asking() {
        let limits = Limits::new(Some(Duration::from_secs(1)), Duration::from_secs(300), 3);
        let rejected = Observed {
            rejected_for: Some(Duration::from_secs(1)),
            ..Observed::default()
        };
        // Two 429s, an answer, then three 429s: only the three in a row stop it.
        for observed in [rejected, rejected, Observed::default(), rejected, rejected] {
            let permit = limits.acquire(Group::Light).await.expect("a permit");
            permit.finish(observed);
        }
        let permit = limits.acquire(Group::Light).await.expect("a permit");
        permit.finish(rejected);
        let error = limits.acquire(Group::Light).await.expect_err("refusing");
        assert!(
            matches!(error, GateError::Refusing { count: 3, .. }),
            "{error}"
        );
        assert!(limits.acquire(Group::Light).await.is_err());
        assert!(
            limits.acquire(Group::Medium).await.is_ok(),
            "other groups go on"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn permits_come_in_order_and_respect_the_window() {
        let limits = Arc::new(Limits::new(
            Some(Duration::from_millis(100)),
            Duration::from_secs(60),
            10,
        ));
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..7 {
            let permit = limits.acquire(Group::Heavy).await.expect("permit");
            times.push(Instant::now() - start);
            permit.finish(Observed {
                limit: Some(3),
                ..Observed::default()
            });
        }
        // The first response teaches a limit of 3 per 100 ms window: then
        // a permit every third of a window, never more than 3 per window.
        let window = Duration::from_millis(100);
        for (i, t) in times.iter().enumerate() {
            let in_window = times
                .iter()
                .filter(|u| **u <= *t && t.saturating_sub(**u) < window)
                .count();
            assert!(in_window <= 3, "{i}: {times:?}");
        }
        assert!(times[6] >= window, "{times:?}");
        let stats = limits.stats();
        assert_eq!(stats[Group::Heavy.index()].sent, 7);
    }
}
