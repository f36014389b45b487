//! Scheduling: facts first, then the rules on threads with a large stack,
//! in units (rules over the same targets walked together, block by block),
//! the units with the most work first, a thread that runs out of units
//! taking half the rules of a unit still walking; a panicking rule is a
//! rule error, and the outcome is in rule order whatever the thread count.

use rcaudit_model::Node;

use super::bindings::{Data, Facts};
use super::facts::compute_facts;
use super::outcome::{Outcome, RuleError, disambiguate};
use super::run::{Run, Start, shared, start, target_len};
use crate::rule::{Rule, RuleSet, Target};

/// Evaluates every enabled rule of `rules` against a snapshot tree.
pub fn evaluate(rules: &RuleSet, root: &Node) -> Outcome {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    evaluate_with(rules, root, threads)
}

/// The stack of the threads rules are evaluated on. CEL's interpreter
/// recurses once per level of an expression (a few KiB a level in debug
/// builds); the loader bounds expression depth ([`crate::expr::MAX_DEPTH`]),
/// and this stack holds that depth with a wide margin. It is reserved, not
/// committed: pages are used only as deep as an evaluation goes.
pub const EVAL_STACK_BYTES: usize = 256 << 20;

/// [`evaluate`] on up to `threads` threads. Rules are independent once the
/// facts are computed, so threads take the next unit of rules until none
/// is left; the outcome is the same, in rule order, whatever the thread
/// count.
///
/// Evaluation runs on threads with an explicit stack
/// ([`EVAL_STACK_BYTES`]). A rule whose evaluation panics (a bug in the
/// engine or in `cel`) becomes a [`RuleError`] of that rule, never a missing
/// result; the other rules are not affected.
pub fn evaluate_with(rules: &RuleSet, root: &Node, threads: usize) -> Outcome {
    on_eval_stack(|| evaluate_on(rules, root, threads)).unwrap_or_else(|| {
        // A panic escaped every `catch_unwind` (each rule and fact has its
        // own, so it cannot): no rule may look as if it had passed.
        Outcome {
            rule_errors: rules
                .rules
                .iter()
                .filter(|r| r.enabled)
                .map(|r| panicked(&r.id, "rule", "the evaluation failed"))
                .collect(),
            ..Outcome::default()
        }
    })
}

/// A thread for evaluation: named, with [`EVAL_STACK_BYTES`] of stack.
pub(super) fn eval_thread(name: &str) -> std::thread::Builder {
    std::thread::Builder::new()
        .name(name.to_owned())
        .stack_size(EVAL_STACK_BYTES)
}

thread_local! {
    /// Whether this thread is one [`on_eval_stack`] started.
    static ON_EVAL_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` on a scoped thread with [`EVAL_STACK_BYTES`] of stack (on this
/// thread when no thread can be started, or when this thread is one it
/// started: loading the rules parses each rule file's YAML, which asks for
/// the large stack too); `None` if it panicked.
pub(crate) fn on_eval_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    if ON_EVAL_STACK.get() {
        return std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
    }
    let mut f = Some(f);
    let outcome = std::thread::scope(|scope| {
        let handle = eval_thread("rcaudit-eval").spawn_scoped(scope, || {
            ON_EVAL_STACK.set(true);
            f.take().map(|f| f())
        });
        handle.ok().map(|h| h.join().ok().flatten())
    });
    match outcome {
        Some(value) => value,
        None => f.map(|f| f()),
    }
}

/// The text of a panic's payload.
pub(super) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// The rule error of a rule whose evaluation panicked.
pub(super) fn panicked(rule_id: &str, part: &str, message: &str) -> RuleError {
    RuleError {
        rule_id: rule_id.to_owned(),
        part: part.to_owned(),
        message: format!(
            "evaluating the rule failed unexpectedly ({message}); this is a bug in rcaudit, \
             and none of the rule's results are reported"
        ),
        pointer: None,
        count: 1,
    }
}

pub(super) fn evaluate_on(rules: &RuleSet, root: &Node, threads: usize) -> Outcome {
    let data = Data::new(root);
    let mut outcome = Outcome::default();
    let started = std::time::Instant::now();
    let facts = compute_facts(rules, &data, threads);
    outcome
        .timings
        .push(("facts".to_owned(), started.elapsed()));
    outcome.timings.extend(facts.times.iter().cloned());
    let enabled: Vec<&Rule> = rules.rules.iter().filter(|r| r.enabled).collect();
    let (mut parts, mut units) = units(&enabled, rules, &data, &facts);
    units.sort_by_key(|u| std::cmp::Reverse(work(u, &data)));
    let threads = threads.max(1);
    let queue = Queue::new(units);
    let run = || {
        // However this thread ends, the others stop waiting for it.
        let _taker = queue.taker();
        let ctx = data.context(rules, &facts);
        let globals = data.globals(rules, &facts);
        let globals = globals.table();
        let mut done = Vec::new();
        while let Some(unit) = queue.next() {
            done.extend(unit.walk(&data, &ctx, &globals, &rules.env, &queue));
        }
        done
    };
    parts.extend(if threads == 1 {
        run()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| eval_thread("rcaudit-eval").spawn_scoped(scope, run))
                .collect();
            let started = handles.iter().filter(|h| h.is_ok()).count();
            // A thread that could not start leaves its share to the others
            // (and to this thread, below).
            let mut parts = Vec::new();
            for handle in handles.into_iter().flatten() {
                parts.extend(handle.join().unwrap_or_default());
            }
            if started == 0 {
                parts.extend(run());
            }
            parts
        })
    });
    // Every enabled rule has a result: one without (its thread died outside
    // `catch_unwind`, which should not happen) is an error, never a pass.
    let mut has_result = vec![false; enabled.len()];
    for (i, _) in &parts {
        if let Some(slot) = has_result.get_mut(*i) {
            *slot = true;
        }
    }
    for (i, rule) in enabled.iter().enumerate() {
        if !has_result.get(i).copied().unwrap_or(false) {
            parts.push((
                i,
                Outcome {
                    rule_errors: vec![panicked(&rule.id, "rule", "its evaluation thread failed")],
                    ..Outcome::default()
                },
            ));
        }
    }
    parts.sort_by_key(|(i, _)| *i);
    for (_, part) in parts {
        outcome.findings.extend(part.findings);
        outcome.not_evaluated.extend(part.not_evaluated);
        outcome.rule_errors.extend(part.rule_errors);
        outcome.rules_run += part.rules_run;
        outcome.timings.extend(part.timings);
    }
    disambiguate(&mut outcome.findings);
    outcome
}

/// The enabled rules as units to walk, and the outcomes of those that do
/// not run. Rules that run over the same targets (in the same order) are
/// fused: their items are walked once, block by block, each rule checking a
/// block while it is in the cache (a 100,000-extension tree does not fit in
/// it).
fn units<'r>(
    enabled: &[&'r Rule],
    rules: &RuleSet,
    data: &Data,
    facts: &Facts,
) -> (Vec<(usize, Outcome)>, Vec<Unit<'r>>) {
    let mut parts: Vec<(usize, Outcome)> = Vec::new();
    let mut units: Vec<Unit<'r>> = Vec::new();
    for (i, rule) in enabled.iter().enumerate() {
        let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            start(rule, rules, data, facts)
        }));
        match started {
            Ok(Start::Done(mut part)) => {
                part.timings
                    .push((rule.id.clone(), std::time::Duration::ZERO));
                parts.push((i, part));
            }
            Ok(Start::Run(run, targets)) => {
                let member = Member {
                    index: i,
                    run: *run,
                    time: std::time::Duration::ZERO,
                    failed: None,
                };
                match units.iter_mut().find(|u| u.targets == targets) {
                    Some(unit) => unit.members.push(member),
                    None => units.push(Unit {
                        targets,
                        members: vec![member],
                        at: (0, 0),
                    }),
                }
            }
            Err(payload) => parts.push((
                i,
                Outcome {
                    rule_errors: vec![panicked(&rule.id, "rule", &panic_message(&*payload))],
                    ..Outcome::default()
                },
            )),
        }
    }
    (parts, units)
}

/// How many times a unit gave rules away, for the tests.
#[cfg(test)]
pub(super) static SHARED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// See [`Queue::taker`].
struct Taker<'q, 'r> {
    queue: &'q Queue<'r>,
}

impl Drop for Taker<'_, '_> {
    fn drop(&mut self) {
        let mut state = self.queue.lock();
        state.threads = state.threads.saturating_sub(1);
        if state.idle >= state.threads {
            state.done = true;
            self.queue.wake.notify_all();
        }
    }
}

/// A unit's work, for ordering: its items times its rules.
fn work(unit: &Unit<'_>, data: &Data) -> usize {
    unit.targets
        .iter()
        .map(|&t| target_len(t, data))
        .sum::<usize>()
        .saturating_mul(unit.members.len())
}

/// The units waiting for a thread. Threads take the units with the most
/// work first; a thread that finds none waits, and a thread walking a unit
/// of several rules gives half of them (from where it is) to a waiting
/// thread, so no core idles while rules remain.
struct Queue<'r> {
    state: std::sync::Mutex<Waiting<'r>>,
    wake: std::sync::Condvar,
    /// How many threads wait, read without the lock at each block.
    hungry: std::sync::atomic::AtomicUsize,
}

struct Waiting<'r> {
    units: std::collections::VecDeque<Unit<'r>>,
    /// Threads taking units ([`Queue::taker`]), and how many of them wait.
    threads: usize,
    idle: usize,
    done: bool,
}

impl<'r> Queue<'r> {
    fn new(units: Vec<Unit<'r>>) -> Queue<'r> {
        Queue {
            state: std::sync::Mutex::new(Waiting {
                units: units.into(),
                threads: 0,
                idle: 0,
                done: false,
            }),
            wake: std::sync::Condvar::new(),
            hungry: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting<'r>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Counts the calling thread among those that take units, until the
    /// guard is dropped. Only threads that started count, and a thread
    /// that ends, even by a panic outside a rule's `catch_unwind`, is no
    /// longer waited for (the others would wait for it forever; its rules'
    /// missing results are errors).
    fn taker(&self) -> Taker<'_, 'r> {
        self.lock().threads += 1;
        Taker { queue: self }
    }

    /// The next unit to walk; `None` once every thread waits and no unit is
    /// left.
    fn next(&self) -> Option<Unit<'r>> {
        let mut state = self.lock();
        loop {
            if let Some(unit) = state.units.pop_front() {
                return Some(unit);
            }
            if state.done {
                return None;
            }
            state.idle += 1;
            self.hungry
                .store(state.idle, std::sync::atomic::Ordering::Relaxed);
            if state.idle >= state.threads {
                state.done = true;
                self.wake.notify_all();
                return None;
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.idle -= 1;
            self.hungry
                .store(state.idle, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Gives half of `unit`'s rules, from where it is, to a waiting thread,
    /// if one waits for more than the units already queued.
    fn share(&self, unit: &mut Unit<'r>, at: (usize, usize)) {
        if self.hungry.load(std::sync::atomic::Ordering::Relaxed) == 0 {
            return;
        }
        let mut state = self.lock();
        let walking = unit.members.iter().filter(|m| m.failed.is_none()).count();
        if state.done || state.idle <= state.units.len() || walking < 2 {
            return;
        }
        #[cfg(test)]
        SHARED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let half = unit.members.split_off(unit.members.len() / 2);
        state.units.push_back(Unit {
            targets: unit.targets.clone(),
            members: half,
            at,
        });
        self.wake.notify_one();
    }
}

/// How many items (or extensions) a thread checks for each rule of a unit
/// before the next rule checks them: small enough that they stay in the
/// cache between rules.
const BLOCK: usize = 64;

/// Rules walked together: one rule over its targets, or several over the
/// same one target.
struct Unit<'r> {
    targets: Vec<Target>,
    members: Vec<Member<'r>>,
    /// Where the walk starts: a target (by its place in `targets`) and its
    /// first item (a unit given away halfway starts where it was).
    at: (usize, usize),
}

/// A rule of a unit.
struct Member<'r> {
    /// Its place among the enabled rules.
    index: usize,
    run: Run<'r>,
    time: std::time::Duration,
    /// Why it stopped: it panicked.
    failed: Option<String>,
}

impl<'r> Unit<'r> {
    /// Checks every member's items block by block, from where the unit
    /// starts, and gives each member's outcome. Before each block, half the
    /// members may go to a waiting thread ([`Queue::share`]): each member
    /// still sees its items once and in order. A member that panics ends
    /// with a rule error, and nothing else: whatever it had found is
    /// discarded with it; the others go on.
    fn walk(
        mut self,
        data: &Data,
        ctx: &cel::Context<'_, 'static>,
        globals: &crate::plan::Globals<'_>,
        env: &cel::Env,
        queue: &Queue<'r>,
    ) -> Vec<(usize, Outcome)> {
        let targets = self.targets.clone();
        let (first, mut from) = self.at;
        for (t, &target) in targets.iter().enumerate().skip(first) {
            let shared = shared(target, ctx, globals, env);
            let len = target_len(target, data);
            // What the members read of each item (all of it if one reads
            // it whole). Members given away later read less: warming what
            // they read too changes only the time.
            let fields = self
                .members
                .iter()
                .map(|m| m.run.rule.item_fields())
                .try_fold(Vec::new(), |mut all, fields| {
                    for field in fields? {
                        if !all.contains(&field) {
                            all.push(field);
                        }
                    }
                    Some(all)
                });
            while from < len {
                queue.share(&mut self, (t, from));
                let to = len.min(from + BLOCK);
                pretouch(target, data, from..to, fields.as_deref());
                for member in self.members.iter_mut().filter(|m| m.failed.is_none()) {
                    let started = std::time::Instant::now();
                    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        member.run.target(target, data, &shared, from..to);
                    }));
                    member.time += started.elapsed();
                    if let Err(payload) = checked {
                        member.failed = Some(panic_message(&*payload));
                    }
                }
                from = to;
            }
            from = 0;
        }
        self.members
            .into_iter()
            .map(|member| {
                let id = member.run.rule.id.clone();
                let mut part = match &member.failed {
                    Some(message) => Outcome {
                        rule_errors: vec![panicked(&id, "rule", message)],
                        ..Outcome::default()
                    },
                    None => member.run.finish(),
                };
                part.timings.push((id, member.time));
                (member.index, part)
            })
            .collect()
    }
}

/// Warms a block of `target`'s items before the rules check it
/// ([`rcaudit_model::value::warm`]: 5-8% less CPU for the built-in pack
/// at 100,000 extensions, BENCHMARKS.md): all of each item's strings, or
/// only those of `fields` when the rules read no others.
fn pretouch(target: Target, data: &Data, range: std::ops::Range<usize>, fields: Option<&[&str]>) {
    let (list, nested) = match target {
        Target::Extensions => (data.extensions.as_ref(), None),
        Target::ExtensionPhoneNumbers => (data.extensions.as_ref(), Some("phoneNumbers")),
        Target::ForwardingNumbers => (data.extensions.as_ref(), Some("forwardingNumbers")),
        Target::PhoneNumbers => (data.phone_numbers.as_ref(), None),
        Target::Snapshot | Target::Account | Target::Errors => return,
    };
    let Some(items) = list.and_then(Node::as_array).and_then(|a| a.get(range)) else {
        return;
    };
    let warm = |items: &[Node]| match fields {
        Some(fields) => rcaudit_model::value::warm_fields(items, fields),
        None => rcaudit_model::value::warm(items),
    };
    match nested {
        None => warm(items),
        Some(field) => {
            for item in items {
                warm(item.get(field).and_then(Node::as_array).unwrap_or_default());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::Queue;

    /// A thread waiting for units is not left waiting for a thread that
    /// ended, whether it returned or panicked outside every rule's
    /// `catch_unwind`.
    #[test]
    fn a_waiting_thread_does_not_wait_for_one_that_ended() {
        for panics in [false, true] {
            let queue: Arc<Queue<'static>> = Arc::new(Queue::new(Vec::new()));
            let (registered, ready) = std::sync::mpsc::channel();
            let walker = {
                let queue = Arc::clone(&queue);
                std::thread::spawn(move || {
                    let _taker = queue.taker();
                    registered.send(()).expect("send");
                    // As if walking a unit, then gone without asking for
                    // the next one.
                    std::thread::sleep(Duration::from_millis(50));
                    assert!(!panics, "a bug outside the rules");
                })
            };
            ready.recv().expect("registered");
            let (done, result) = std::sync::mpsc::channel();
            let waiter = Arc::clone(&queue);
            std::thread::spawn(move || {
                let _taker = waiter.taker();
                done.send(waiter.next().is_none()).expect("send");
            });
            let finished = result.recv_timeout(Duration::from_secs(30));
            assert_eq!(finished, Ok(true), "panics: {panics}");
            assert_eq!(walker.join().is_err(), panics);
        }
    }
}
