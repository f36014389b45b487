//! Computing the facts: level by level of their dependencies, the facts of
//! a level side by side on the evaluation threads, and the list facts of a
//! level that read the same snapshot list in one pass over it
//! ([`functions::fold`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use cel::common::value::Val;
use rcaudit_model::Node;

use super::bindings::{Data, Facts, resolve};
use super::requirements::unmet;
use super::schedule::panic_message;
use crate::functions::{self, ListCall};
use crate::rule::RuleSet;

/// Work for one thread: a fact computed by cel, or list facts over the
/// same list computed in one pass.
enum Job<'d> {
    One(usize),
    Pass(&'d [Node], Vec<(usize, ListCall)>),
}

impl Job<'_> {
    /// How much work it is, for ordering: a pass is a walk over a list.
    fn size(&self) -> usize {
        match self {
            Job::One(_) => 0,
            Job::Pass(records, calls) => records.len().saturating_mul(calls.len()),
        }
    }
}

/// A fact's value or why it has none, and how long computing it took (a
/// pass gives its time once, under the names of all its facts).
type Done = (
    usize,
    Result<Arc<dyn Val>, String>,
    Option<(String, Duration)>,
);

/// Computes the facts the enabled rules read, on up to `threads` threads:
/// facts are ordered by dependency, so those of one *level* (one more than
/// the deepest fact they read) are independent of each other and computed
/// side by side, each level seeing every fact of the levels before it.
pub(super) fn compute_facts(rules: &RuleSet, data: &Data, threads: usize) -> Facts {
    let mut needed = vec![false; rules.facts.len()];
    for rule in rules.rules.iter().filter(|r| r.enabled) {
        for &i in &rule.facts {
            if let Some(slot) = needed.get_mut(i) {
                *slot = true;
            }
        }
    }
    let mut levels: Vec<usize> = Vec::with_capacity(rules.facts.len());
    for fact in &rules.facts {
        let level = fact
            .depends
            .iter()
            .filter_map(|&d| levels.get(d).map(|l| l + 1))
            .max()
            .unwrap_or(0);
        levels.push(level);
    }
    let mut facts = Facts {
        names: rules.facts.iter().map(|f| f.name.clone()).collect(),
        values: vec![None; rules.facts.len()],
        errors: vec![None; rules.facts.len()],
        times: Vec::new(),
    };
    for level in 0..=levels.iter().copied().max().unwrap_or(0) {
        let todo: Vec<usize> = (0..rules.facts.len())
            .filter(|&i| levels.get(i) == Some(&level) && needed.get(i) == Some(&true))
            .filter(|&i| {
                rules.facts.get(i).is_some_and(|fact| {
                    fact.requires
                        .iter()
                        .all(|r| unmet(r, data, rules).is_none())
                        && fact
                            .depends
                            .iter()
                            .all(|&d| facts.values.get(d).is_some_and(Option::is_some))
                })
            })
            .collect();
        let jobs = jobs(rules, data, &todo);
        let computed = side_by_side(&jobs, threads, |job| match job {
            Job::One(i) => {
                let started = Instant::now();
                let value = compute_fact(rules, data, &facts, *i);
                let time = facts
                    .names
                    .get(*i)
                    .map(|name| (format!("facts.{name}"), started.elapsed()));
                vec![(*i, value, time)]
            }
            Job::Pass(records, calls) => pass(&facts, records, calls),
        });
        for (i, result, time) in computed.into_iter().flatten() {
            facts.times.extend(time);
            match result {
                Ok(value) => {
                    if let Some(slot) = facts.values.get_mut(i) {
                        *slot = Some(value);
                    }
                }
                // Reported against each rule that reads the fact, when the
                // rule would run (see `evaluate_rule`).
                Err(error) => {
                    if let Some(slot) = facts.errors.get_mut(i) {
                        *slot = Some(error);
                    }
                }
            }
        }
    }
    facts
}

/// The facts `todo` as jobs: the list facts ([`ListCall`]) over each
/// snapshot list in one pass, the others one by one; the passes first,
/// longest first, so that the facts left to cel fill the other threads.
fn jobs<'d>(rules: &RuleSet, data: &'d Data, todo: &[usize]) -> Vec<Job<'d>> {
    let mut jobs: Vec<Job<'d>> = Vec::new();
    for &i in todo {
        let listed = rules
            .facts
            .get(i)
            .and_then(|fact| ListCall::of(&fact.expr.ast))
            .and_then(|call| Some((data.list(&call.list)?, call)));
        let Some((records, call)) = listed else {
            jobs.push(Job::One(i));
            continue;
        };
        let same_list = jobs.iter_mut().find_map(|job| match job {
            Job::Pass(list, calls) if std::ptr::eq(*list, records) => Some(calls),
            _ => None,
        });
        match same_list {
            Some(calls) => calls.push((i, call)),
            None => jobs.push(Job::Pass(records, vec![(i, call)])),
        }
    }
    jobs.sort_by_key(|job| std::cmp::Reverse(job.size()));
    jobs
}

/// The facts of one pass, with its time under all their names.
fn pass(facts: &Facts, records: &[Node], calls: &[(usize, ListCall)]) -> Vec<Done> {
    let started = Instant::now();
    let folded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        functions::fold(records, &calls.iter().map(|(_, c)| c).collect::<Vec<_>>())
    }));
    let names: Vec<&str> = calls
        .iter()
        .filter_map(|(i, _)| facts.names.get(*i).map(String::as_str))
        .collect();
    let time = (
        match names.as_slice() {
            [one] => format!("facts.{one}"),
            all => format!("facts.{} (one pass)", all.join(", ")),
        },
        started.elapsed(),
    );
    let not_computed = || "the fact was not computed; this is a bug in rcaudit".to_owned();
    let mut values: Vec<Result<Arc<dyn Val>, String>> = match folded {
        Ok(values) => values
            .into_iter()
            .map(|v| v.map(Arc::from).ok_or_else(not_computed))
            .collect(),
        Err(payload) => {
            let message = panicked(&*payload);
            calls.iter().map(|_| Err(message.clone())).collect()
        }
    };
    values.resize_with(calls.len(), || Err(not_computed()));
    let mut time = Some(time);
    calls
        .iter()
        .zip(values)
        .map(|((i, _), value)| (*i, value, time.take()))
        .collect()
}

/// `f` of each of `items`, on up to `threads` threads with the evaluation
/// stack ([`super::EVAL_STACK_BYTES`]); on this thread alone when a thread
/// cannot start.
fn side_by_side<J: Sync, T: Send>(
    items: &[J],
    threads: usize,
    f: impl Fn(&J) -> T + Sync,
) -> Vec<T> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        while let Some(item) = items.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
            done.push(f(item));
        }
        done
    };
    let helpers = threads.min(items.len()).saturating_sub(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..helpers)
            .filter_map(|_| {
                super::schedule::eval_thread("rcaudit-facts")
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for handle in handles {
            // `f` catches panics; a helper that died anyway leaves its
            // fact without a value, which the rules reading it report.
            done.extend(handle.join().unwrap_or_default());
        }
        done
    })
}

/// One fact's value, or why it has none.
fn compute_fact(
    rules: &RuleSet,
    data: &Data,
    facts: &Facts,
    i: usize,
) -> Result<Arc<dyn Val>, String> {
    let Some(fact) = rules.facts.get(i) else {
        return Err("no such fact; this is a bug in rcaudit".to_owned());
    };
    let ctx = data.context(rules, facts);
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        functions::Budget::start(rules.limits.steps);
        resolve(&fact.expr, &ctx).map(|value| Arc::<dyn Val>::from(value.into_owned()))
    }))
    .unwrap_or_else(|payload| Err(panicked(&*payload)))
}

/// Why a fact whose computation panicked has no value.
fn panicked(payload: &(dyn std::any::Any + Send)) -> String {
    format!(
        "evaluating the fact failed unexpectedly ({}); this is a bug in rcaudit",
        panic_message(payload)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{LoadOptions, load};
    use crate::template::to_json;

    /// Extensions and phone numbers over several blocks, with repeated
    /// numbers, ids (as numbers and as strings) and extension numbers,
    /// numbers with and without `+`, in several regions.
    fn snapshot() -> Node {
        let extensions: Vec<serde_json::Value> = (0..300)
            .map(|i| {
                let id = if i % 3 == 0 {
                    serde_json::json!(format!("{}", 1000 + i % 280))
                } else {
                    serde_json::json!(1000 + i % 280)
                };
                let kind = ["User", "DigitalUser", "IvrMenu"].get(i % 3).copied();
                serde_json::json!({
                    "id": id,
                    "extensionNumber": format!("{}", 100 + i % 250),
                    "type": kind,
                })
            })
            .collect();
        let numbers: Vec<serde_json::Value> = (0..200)
            .map(|i| {
                let number = match i % 4 {
                    0 => format!("+1650555{:04}", i % 150),
                    1 => format!("1650555{:04}", i % 150),
                    2 => format!("+4420794{i:05}"),
                    _ => "not a number".to_owned(),
                };
                serde_json::json!({"id": i, "phoneNumber": number, "usageType": "DirectNumber"})
            })
            .collect();
        rcaudit_model::value::from_json(&serde_json::json!({
            "snapshotVersion": 1,
            "account": {"id": 7},
            "extensions": extensions,
            "phoneNumbers": numbers,
        }))
    }

    /// The built-in pack's list facts are computed in one pass per list,
    /// and each has the value cel computes for it alone.
    #[test]
    fn passes_give_what_cel_gives() {
        let (rules, _) = load(&crate::builtin::files(), &LoadOptions::default()).expect("built-in");
        let root = snapshot();
        let data = Data::new(&root);
        let all: Vec<usize> = (0..rules.facts.len()).collect();
        let passes: Vec<Vec<&str>> = jobs(&rules, &data, &all)
            .iter()
            .filter_map(|job| match job {
                Job::Pass(_, calls) => Some(
                    calls
                        .iter()
                        .filter_map(|(i, _)| rules.facts.get(*i).map(|f| f.name.as_str()))
                        .collect(),
                ),
                Job::One(_) => None,
            })
            .collect();
        assert_eq!(
            passes,
            [
                vec![
                    "extensionNumberCopies",
                    "extensionIdCopies",
                    "extensionIds",
                    "typeCounts"
                ],
                vec!["phoneNumberCopies", "numberRegions"],
            ]
        );
        let facts = compute_facts(&rules, &data, 2);
        for name in passes.iter().flatten() {
            let i = facts.names.iter().position(|n| n == name).expect("a fact");
            let folded = facts.values.get(i).cloned().flatten().expect("computed");
            let alone = compute_fact(&rules, &data, &facts, i).expect("computed by cel");
            let folded = to_json(folded.as_ref());
            assert_eq!(folded, to_json(alone.as_ref()), "{name}");
            assert!(
                folded.as_object().is_some_and(|o| !o.is_empty()),
                "{name}: {folded}"
            );
        }
    }
}
