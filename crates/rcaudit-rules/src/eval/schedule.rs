//! Scheduling: facts first, then the rules on threads with a large stack,
//! in units (rules over the same one target walked together, block by
//! block), the units with the most work first; a panicking rule is a rule
//! error, and the outcome is in rule order whatever the thread count.

use rcaudit_model::Node;

use super::bindings::{Data, Facts, compute_facts};
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

/// Runs `f` on a scoped thread with [`EVAL_STACK_BYTES`] of stack (on this
/// thread when no thread can be started); `None` if it panicked.
pub(crate) fn on_eval_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    let mut f = Some(f);
    let outcome = std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("rcaudit-eval".to_owned())
            .stack_size(EVAL_STACK_BYTES)
            .spawn_scoped(scope, || f.take().map(|f| f()));
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
    let facts = compute_facts(rules, &data);
    outcome
        .timings
        .push(("facts".to_owned(), started.elapsed()));
    let enabled: Vec<&Rule> = rules.rules.iter().filter(|r| r.enabled).collect();
    let (mut parts, mut units) = units(&enabled, rules, &data, &facts);
    balance(&mut units, &data, threads);
    let units: Vec<std::sync::Mutex<Option<Unit<'_>>>> = units
        .into_iter()
        .map(|u| std::sync::Mutex::new(Some(u)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || {
        let ctx = data.context(rules, &facts);
        let globals = data.globals(rules, &facts);
        let globals = globals.table();
        let mut done = Vec::new();
        loop {
            let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(slot) = units.get(taken) else { break };
            let unit = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(unit) = unit {
                done.extend(unit.walk(&data, &ctx, &globals, &rules.env));
            }
        }
        done
    };
    let threads = threads.clamp(1, units.len().max(1));
    parts.extend(if threads == 1 {
        run()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    std::thread::Builder::new()
                        .name("rcaudit-eval".to_owned())
                        .stack_size(EVAL_STACK_BYTES)
                        .spawn_scoped(scope, run)
                })
                .collect();
            let mut parts = Vec::new();
            let mut started = 0;
            // A thread that could not start leaves its share to the others
            // (and to this thread, below).
            for handle in handles.into_iter().flatten() {
                started += 1;
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
/// not run. Rules that run over the same one target are fused: their items
/// are walked once, block by block, each rule checking a block while it is
/// in the cache (a 100,000-extension tree does not fit in it).
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
                match units
                    .iter_mut()
                    .find(|u| targets.len() == 1 && u.targets == targets)
                {
                    Some(unit) => unit.members.push(member),
                    None => units.push(Unit {
                        targets,
                        members: vec![member],
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

/// Orders the units for the threads, and splits fused ones where fusing
/// would leave a core idle.
fn balance(units: &mut Vec<Unit<'_>>, data: &Data, threads: usize) {
    // Threads take the units with the most work first, so no thread is
    // left with a long one at the end.
    let work = |u: &Unit<'_>| -> usize {
        u.targets
            .iter()
            .map(|&t| target_len(t, data))
            .sum::<usize>()
            * u.members.len()
    };
    // Fusing must not leave a core idle: while there are fewer units than
    // twice the threads, the unit with the most work gives half its rules
    // to a unit of their own.
    let threads = threads.max(1);
    while units.len() < 2 * threads {
        let Some(biggest) = units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.members.len() > 1)
            .max_by_key(|(_, u)| work(u))
            .map(|(i, _)| i)
        else {
            break;
        };
        let Some(unit) = units.get_mut(biggest) else {
            break;
        };
        let half = unit.members.split_off(unit.members.len() / 2);
        let targets = unit.targets.clone();
        units.push(Unit {
            targets,
            members: half,
        });
    }
    units.sort_by_key(|u| std::cmp::Reverse(work(u)));
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

impl Unit<'_> {
    /// Checks every member's items block by block, and gives each member's
    /// outcome. A member that panics ends with a rule error, and nothing
    /// else: whatever it had found is discarded with it; the others go on.
    fn walk(
        mut self,
        data: &Data,
        ctx: &cel::Context<'_, 'static>,
        globals: &crate::plan::Globals<'_>,
        env: &cel::Env,
    ) -> Vec<(usize, Outcome)> {
        for &target in &self.targets {
            let shared = shared(target, ctx, globals, env);
            let len = target_len(target, data);
            let mut from = 0;
            while from < len {
                let to = len.min(from + BLOCK);
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
