//! Scheduling: facts first, then the rules on threads with a large stack,
//! the rules with the most items first; a panicking rule is a rule error,
//! and the outcome is in rule order whatever the thread count.

use rcaudit_model::Node;

use super::bindings::{Data, compute_facts};
use super::outcome::{Outcome, RuleError, disambiguate};
use super::run::evaluate_rule;
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
/// facts are computed, so threads take the next rule until none is left;
/// the outcome is the same, in rule order, whatever the thread count.
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
    // Threads take the rules with the most items first, so no thread is
    // left with a long rule at the end.
    let mut order: Vec<usize> = (0..enabled.len()).collect();
    let sizes = TargetSizes::of(&data);
    order.sort_by_key(|&i| std::cmp::Reverse(enabled.get(i).map_or(0, |r| sizes.items(r))));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || {
        let ctx = data.context(rules, &facts);
        let globals = data.globals(rules, &facts);
        let globals = globals.table();
        let mut done = Vec::new();
        loop {
            let taken = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&i) = order.get(taken) else { break };
            let Some(rule) = enabled.get(i) else { break };
            let started = std::time::Instant::now();
            // A panic ends this rule with a rule error, and nothing else:
            // whatever the rule had found so far is discarded with it.
            let part = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut part = Outcome::default();
                evaluate_rule(rule, rules, &data, &facts, &ctx, &globals, &mut part);
                part
            }));
            let mut part = part.unwrap_or_else(|payload| Outcome {
                rule_errors: vec![panicked(&rule.id, "rule", &panic_message(&*payload))],
                ..Outcome::default()
            });
            part.timings.push((rule.id.clone(), started.elapsed()));
            done.push((i, part));
        }
        done
    };
    let threads = threads.clamp(1, enabled.len().max(1));
    let mut parts: Vec<(usize, Outcome)> = if threads == 1 {
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
    };
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

/// How many items each target has, to schedule the biggest rules first.
pub(super) struct TargetSizes {
    pub(super) extensions: usize,
    pub(super) phone_numbers: usize,
    pub(super) extension_phone_numbers: usize,
    pub(super) forwarding_numbers: usize,
    pub(super) errors: usize,
}

impl TargetSizes {
    pub(super) fn of(data: &Data) -> TargetSizes {
        let len = |node: Option<&Node>| node.and_then(Node::as_array).map_or(0, <[Node]>::len);
        let nested = |field: &str| {
            data.extensions
                .as_ref()
                .and_then(Node::as_array)
                .map_or(0, |exts| exts.iter().map(|e| len(e.get(field))).sum())
        };
        TargetSizes {
            extensions: len(data.extensions.as_ref()),
            phone_numbers: len(data.phone_numbers.as_ref()),
            extension_phone_numbers: nested("phoneNumbers"),
            forwarding_numbers: nested("forwardingNumbers"),
            errors: len(data.root.get("errors")),
        }
    }

    pub(super) fn items(&self, rule: &Rule) -> usize {
        rule.targets
            .iter()
            .map(|t| match t {
                Target::Snapshot | Target::Account => 1,
                Target::Extensions => self.extensions,
                Target::PhoneNumbers => self.phone_numbers,
                Target::ExtensionPhoneNumbers => self.extension_phone_numbers,
                Target::ForwardingNumbers => self.forwarding_numbers,
                Target::Errors => self.errors,
            })
            .sum()
    }
}
