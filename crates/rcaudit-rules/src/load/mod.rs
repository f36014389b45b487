//! Loading rule files: YAML with spans -> checked, compiled [`RuleSet`].
//!
//! Loading never stops at the first problem: every file is read, every field
//! checked, every expression compiled, and all problems come back together,
//! each pointing into its file. Only a rule set without errors is returned.
//!
//! The [`Loader`] goes through the files in passes, one module each:
//! [`structure`] walks each file's top level and each rule's keys,
//! [`params`] merges the parameters' declarations, [`facts`] compiles and
//! orders the facts, and [`rule`] checks and compiles each rule field by
//! field. They read values with [`fields`], check what expressions read
//! with [`scope`], map spans into scalars with [`spans`] and check names
//! with [`names`].

mod facts;
mod fields;
pub(crate) mod names;
mod params;
mod rule;
mod scope;
mod spans;
mod structure;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use crate::problem::{LoadErrors, Problem, ProblemCode};
use crate::rule::{RuleSet, Severity};
use crate::yaml::Yaml;

/// A rule file to load.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// Shown in diagnostics: a path, or `builtin:core/...` for built-in packs.
    pub name: String,
    /// The file's text (YAML).
    pub text: String,
    /// The pack the file belongs to (`core` for the built-in rules).
    pub pack: String,
}

/// Choices made outside the rule files (the command line or `rcaudit.yaml`).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Parameters that override the packs' defaults (merged key by key).
    pub params: Option<serde_json::Value>,
    /// Rule ids to turn off.
    pub disabled: BTreeSet<String>,
    /// Severity overrides by rule id.
    pub severities: BTreeMap<String, Severity>,
    /// Limits on evaluation (`limits:` in `rcaudit.yaml`).
    pub limits: crate::eval::Limits,
    /// The text `params` came from, when it came from a file: overrides are
    /// then checked against the declared parameters, each problem pointing
    /// into it.
    pub params_source: Option<ParamsSource>,
}

/// Parameter overrides as written, with their spans.
#[derive(Debug, Clone)]
pub struct ParamsSource {
    /// The file the overrides are in.
    pub src: SourceText,
    /// The `params:` mapping.
    pub value: Yaml,
}

/// Builds the CEL environment every rule is compiled and evaluated with.
pub fn environment() -> Result<cel::Env, cel::DeclarationError> {
    let mut env = cel::Env::stdlib();
    env.add_extension(cel::extensions::strings)?;
    crate::functions::register(&mut env)?;
    Ok(env)
}

/// Loads, checks and compiles rule files.
///
/// Returns the rule set and any warnings, or every problem found.
///
/// Loading runs on a thread with a large stack, like evaluation: parsing
/// and checking an expression recurse once per level of nesting.
pub fn load(
    files: &[RuleFile],
    options: &LoadOptions,
) -> Result<(RuleSet, Vec<Problem>), LoadErrors> {
    crate::eval::on_eval_stack(|| load_here(files, options)).unwrap_or_else(|| {
        let src = SourceText::new("<rcaudit>", "");
        Err(LoadErrors {
            problems: vec![Problem::error(
                ProblemCode::Bug,
                &src,
                SourceSpan::new(0.into(), 0),
                "loading the rules failed unexpectedly; this is a bug in rcaudit",
            )],
        })
    })
}

fn load_here(
    files: &[RuleFile],
    options: &LoadOptions,
) -> Result<(RuleSet, Vec<Problem>), LoadErrors> {
    let env = match environment() {
        Ok(env) => Arc::new(env),
        Err(error) => {
            let src = SourceText::new("<rcaudit>", "");
            return Err(LoadErrors {
                problems: vec![Problem::error(
                    ProblemCode::Bug,
                    &src,
                    SourceSpan::new(0.into(), 0),
                    format!("the CEL environment could not be built: {error}"),
                )],
            });
        }
    };
    let mut loader = Loader {
        env: &env,
        problems: Vec::new(),
        rules: Vec::new(),
        facts: Vec::new(),
        params: Vec::new(),
    };
    for file in files {
        loader.file(file);
    }
    loader.finish(options, Arc::clone(&env))
}

struct RawRule {
    fields: Vec<(String, Yaml, Yaml)>,
    span: SourceSpan,
    src: SourceText,
    pack: Arc<str>,
}

impl RawRule {
    fn get(&self, key: &str) -> Option<&Yaml> {
        self.fields
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, _, v)| v)
    }
}

struct RawFact {
    name: String,
    name_span: SourceSpan,
    value: Yaml,
    src: SourceText,
}

struct RawParam {
    name: String,
    name_span: SourceSpan,
    value: Yaml,
    src: SourceText,
}

struct Loader<'e> {
    env: &'e cel::Env,
    problems: Vec<Problem>,
    rules: Vec<RawRule>,
    facts: Vec<RawFact>,
    params: Vec<RawParam>,
}

impl Loader<'_> {
    pub(super) fn finish(
        mut self,
        options: &LoadOptions,
        env: Arc<cel::Env>,
    ) -> Result<(RuleSet, Vec<Problem>), LoadErrors> {
        let params = self.merge_params(options);
        let params_node = rcaudit_model::value::from_json(&params);
        let facts = self.compile_facts(&params);
        let mut rules = Vec::new();
        let mut seen: HashMap<String, (SourceText, SourceSpan)> = HashMap::new();
        let raw_rules = std::mem::take(&mut self.rules);
        for raw in &raw_rules {
            if let Some(rule) = self.rule(raw, &facts, &params, &mut seen) {
                rules.push(rule);
            }
        }
        // Overrides that name no rule are reported by whoever holds their
        // spans (the config, or the command line).
        for rule in &mut rules {
            if options.disabled.contains(&rule.id) {
                rule.enabled = false;
            }
            if let Some(severity) = options.severities.get(&rule.id) {
                rule.severity = *severity;
            }
        }
        let errors = LoadErrors {
            problems: self.problems,
        };
        if errors.has_errors() {
            return Err(errors);
        }
        Ok((
            RuleSet {
                rules,
                facts,
                params: params_node,
                limits: options.limits,
                env,
            },
            errors.problems,
        ))
    }
}
