//! Rules: YAML files with CEL expressions, checked and compiled once, then
//! evaluated against a snapshot.
//!
//! The key decision is **validate everything before running anything**. A
//! rule file is read into a YAML tree that keeps spans ([`yaml`]), every
//! field is checked and every expression compiled ([`load()`]), and all
//! problems come back at once, each pointing into its file and carrying a
//! [`ProblemCode`]. The engine ([`evaluate`]) then only sees [`RuleSet`]s
//! that are known to be well formed: a violated rule is a [`Finding`],
//! missing data is [`NotEvaluated`] with a reason, and an expression that
//! fails on one item is a [`RuleError`] that stops nothing else.
//!
//! This crate does no I/O: rule files come in as text.
//!
//! ```
//! use rcaudit_rules::{LoadOptions, RuleFile, builtin, evaluate, load};
//!
//! let mut files = builtin::files();
//! files.push(RuleFile {
//!     name: "acme.yaml".to_owned(),
//!     pack: "acme".to_owned(),
//!     text: r#"
//! rules:
//!   - id: ACME-EX-001
//!     severity: warning
//!     title: Every extension has a name
//!     target: extensions
//!     assert: item.name != ""
//!     message: "extension {{ item.extensionNumber }} has no name"
//! "#
//!     .to_owned(),
//! });
//! let (rules, warnings) = load(&files, &LoadOptions::default()).expect("the rules load");
//! assert!(warnings.is_empty());
//!
//! let snapshot = rcaudit_model::parse(
//!     r#"{"extensions": [{"id": 1, "extensionNumber": "101", "name": ""}]}"#,
//! )
//! .expect("a JSON snapshot");
//! let outcome = evaluate(&rules, &snapshot);
//! let finding = outcome
//!     .findings
//!     .iter()
//!     .find(|f| f.rule_id == "ACME-EX-001")
//!     .expect("a finding");
//! assert_eq!(finding.message, "extension 101 has no name");
//! assert_eq!(finding.pointer, "/extensions/0");
//! ```
//!
//! The modules, one job each:
//!
//! - loading: `load` (the loader's passes), [`keys`] (the keys of every
//!   mapping, for checks and [`schemas`]), `problem` (problems and their
//!   codes), `suggest` (did-you-mean), `params` (parameter types),
//!   `datamodel` (the snapshot schema fields may be read from);
//! - expressions: `expr` (compiling CEL: [`Expression`]), `calls`
//!   (checking calls), `functions` (the domain functions: [`FUNCTIONS`]),
//!   [`template`] (messages);
//! - evaluating: `eval` (outcome types, bindings, scheduling, requirements,
//!   gap accounting, running a rule);
//! - around them: `rule` (the compiled rule: [`Rule`], [`RuleSet`]), [`builtin`] (the built-in
//!   packs), [`cases`] (rule cases), [`config`] (`rcaudit.yaml`),
//!   [`waivers`], [`yaml`] (YAML with spans).
//!
//! The modules that are a language, a file format or a table of their own
//! (`builtin`, `cases`, `config`, `keys`, `schemas`, `template`, `waivers`,
//! `yaml`) are public, as namespaces for their readers and writers
//! (`config::parse`, `template::compile`); the others are private, and
//! what crosses the crate's boundary from them is re-exported here.

#![warn(missing_docs)]

pub mod builtin;
mod calls;
pub mod cases;
pub mod config;
mod datamodel;
mod eval;
mod expr;
mod functions;
pub mod keys;
mod load;
mod params;
mod plan;
mod problem;
mod rule;
pub mod schemas;
mod suggest;
pub mod template;
pub mod waivers;
pub mod yaml;

pub use eval::{
    EVAL_STACK_BYTES, Finding, Limits, NotEvaluated, Outcome, RuleError, disambiguate, evaluate,
    evaluate_with,
};
pub use expr::{CompileError, Expression, MAX_DEPTH};
pub use functions::{FUNCTIONS, Function};
pub use load::{LoadOptions, ParamsSource, RuleFile, environment, load};
pub use problem::{LoadErrors, Problem, ProblemCode};
pub use rule::{At, Docs, Fact, Origin, Requirement, Rule, RuleSet, Severity, Target};
pub use suggest::suggest;
