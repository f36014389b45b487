//! Evaluating a rule set against a snapshot tree.
//!
//! Facts are computed once, then each rule runs over the items of its
//! targets. A violated rule is a [`Finding`]; a rule whose data is missing is
//! [`NotEvaluated`] with the reason; an expression that fails on an item is a
//! [`RuleError`]. None of these stop the other rules.
//!
//! One module per job: [`outcome`] holds the results and the limits,
//! [`schedule`] runs the rules on threads, [`facts`] computes the facts
//! they read, [`bindings`] gives expressions their variables, [`requirements`] decides whether a rule's data is
//! there, [`run`] checks one rule's items, and [`gaps`] counts what it could
//! not see.

mod bindings;
mod facts;
mod gaps;
mod outcome;
mod requirements;
mod run;
mod schedule;
#[cfg(test)]
mod tests;

pub use outcome::{Finding, Limits, NotEvaluated, Outcome, RuleError, disambiguate};
pub(crate) use schedule::on_eval_stack;
pub use schedule::{EVAL_STACK_BYTES, evaluate, evaluate_with};

/// Facts as rules see them (`facts.NAME`), for other modules' tests.
#[cfg(test)]
pub(crate) fn test_facts(values: &[(&str, i64)]) -> impl cel::common::value::Val + Default {
    let mut facts = bindings::Facts::default();
    for (name, value) in values {
        facts.names.push((*name).to_owned());
        facts
            .values
            .push(Some(std::sync::Arc::new(cel::common::types::CelInt::from(
                *value,
            ))));
        facts.errors.push(None);
    }
    facts
}
