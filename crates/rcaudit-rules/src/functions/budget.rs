//! The step budget of an evaluation: `@rcaudit_step`, which the rewrite
//! wraps around each comprehension step, counts against it.

use cel::ExecutionError;

use super::values::{Args, Out, take};

/// One step of a comprehension: counts against the evaluation's budget and
/// returns its argument (see `expr/rewrite.rs` and [`Budget`]).
pub const STEP: &str = "@rcaudit_step";

thread_local! {
    /// Steps taken, and the most allowed, by the evaluation running on this
    /// thread.
    static STEPS: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, u64::MAX)) };
}

/// The step budget of one evaluation (one expression on one item, or one
/// fact): how many comprehension elements it may visit, nested ones
/// included. Kept per thread: an evaluation runs on one thread.
#[derive(Debug, Clone, Copy)]
pub struct Budget;

impl Budget {
    /// Starts an evaluation that may take `limit` steps.
    pub fn start(limit: u64) {
        STEPS.with(|s| s.set((0, limit)));
    }

    /// Whether the evaluation since [`Budget::start`] ran out of steps.
    pub fn exhausted() -> bool {
        STEPS.with(|s| {
            let (used, limit) = s.get();
            used > limit
        })
    }

    /// The steps taken since [`Budget::start`].
    pub fn used() -> u64 {
        STEPS.with(|s| s.get().0)
    }

    /// The limit of the running evaluation.
    pub fn limit() -> u64 {
        STEPS.with(|s| s.get().1)
    }
}

pub(super) fn step<'b, 'v>(args: Args<'b, 'v>) -> Out<'b, 'v> {
    let over = STEPS.with(|s| {
        let (used, limit) = s.get();
        let used = used.saturating_add(1);
        s.set((used, limit));
        (used > limit).then_some(limit)
    });
    if let Some(limit) = over {
        return Err(ExecutionError::function_error(
            "budget",
            budget_message(limit),
        ));
    }
    let [value] = take(args)?;
    Ok(value)
}

/// The error of an evaluation that ran out of steps.
pub fn budget_message(limit: u64) -> String {
    format!(
        "the evaluation was stopped after {limit} steps (elements visited by comprehensions \
         such as `map`, `all`, `exists`) on one item; raise `limits.steps` in rcaudit.yaml \
         if the data really needs more"
    )
}
