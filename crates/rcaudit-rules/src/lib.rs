//! Rules: YAML files with CEL expressions, checked and compiled once, then
//! evaluated against a snapshot.
//!
//! The key decision is **validate everything before running anything**. A
//! rule file is read into a YAML tree that keeps spans ([`yaml`]), every
//! field is checked and every expression compiled ([`load`]), and all
//! problems come back at once, each pointing into its file. The engine
//! ([`eval`]) then only sees [`RuleSet`]s that are known to be well formed:
//! a violated rule is a finding, missing data is "not evaluated" with a
//! reason, and an expression that fails on one item is a rule error that
//! stops nothing else.
//!
//! This crate does no I/O: rule files come in as text.

pub mod builtin;
pub mod calls;
pub mod cases;
pub mod config;
pub mod datamodel;
pub mod eval;
pub mod expr;
pub mod functions;
pub mod keys;
pub mod load;
pub mod params;
pub mod problem;
pub mod rule;
pub mod schemas;
mod suggest;
pub mod template;
pub mod waivers;
pub mod yaml;

pub use eval::{Finding, Limits, NotEvaluated, Outcome, RuleError, evaluate, evaluate_with};
pub use load::{LoadOptions, ParamsSource, RuleFile, load};
pub use problem::{LoadErrors, Problem, ProblemCode};
pub use rule::{Docs, Requirement, Rule, RuleSet, Severity, Target};
pub use suggest::suggest;
