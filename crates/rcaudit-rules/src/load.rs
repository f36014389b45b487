//! Loading rule files: YAML with spans -> checked, compiled [`RuleSet`].
//!
//! Loading never stops at the first problem: every file is read, every field
//! checked, every expression compiled, and all problems come back together,
//! each pointing into its file. Only a rule set without errors is returned.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Arc;

use miette::SourceSpan;
use rcaudit_model::{Node, SourceText};

use crate::datamodel::{self, Resolution};
use crate::expr::{self, CompileError, Expression};
use crate::params::{self, ParamType};
use crate::problem::{LoadErrors, Problem, ProblemCode};
use crate::rule::{At, Docs, Fact, Origin, Requirement, Rule, RuleSet, Severity, Target};
use crate::suggest::suggest;
use crate::template::{self, Template};
use crate::yaml::{self, Yaml, YamlValue};

/// A rule file to load.
#[derive(Debug, Clone)]
pub struct RuleFile {
    /// Shown in diagnostics: a path, or `builtin:core/...` for built-in packs.
    pub name: String,
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
    pub src: SourceText,
    /// The `params:` mapping.
    pub value: Yaml,
}

/// Top-level keys of a rule file.
pub const FILE_KEYS: &[&str] = &["rules", "facts", "params"];

/// Keys of a rule.
pub const RULE_KEYS: &[&str] = &[
    "id",
    "name",
    "severity",
    "title",
    "description",
    "why",
    "fix",
    "references",
    "target",
    "when",
    "assert",
    "message",
    "at",
    "key",
    "fingerprint",
    "requires",
    "coveredBy",
    "extraFields",
    "cases",
];

pub const REQUIRED_RULE_KEYS: &[&str] = &["id", "severity", "title", "target", "assert", "message"];

/// Variables every expression may read.
pub const GLOBAL_VARIABLES: &[&str] = &[
    "snapshot",
    "account",
    "serviceInfo",
    "source",
    "extensions",
    "phoneNumbers",
    "errors",
    "params",
    "facts",
];

/// Variables bound per item.
pub const ITEM_VARIABLES: &[&str] = &["item", "index", "target"];

/// Names CEL resolves to type values; not variables.
const TYPE_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "timestamp",
    "duration",
];

/// Top-level variables that stand for snapshot data that may be absent.
const DATA_VARIABLES: &[&str] = &["extensions", "phoneNumbers", "serviceInfo"];

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
    fn file(&mut self, file: &RuleFile) {
        let src = SourceText::new(file.name.clone(), file.text.clone());
        let doc = match yaml::parse(&file.text) {
            Ok(doc) => doc,
            Err(error) => {
                self.problems.push(
                    Problem::error(
                        ProblemCode::Yaml,
                        &src,
                        error.span,
                        error.headline(&file.name),
                    )
                    .label(error.message),
                );
                return;
            }
        };
        let members = match &doc.value {
            YamlValue::Map(members) => members,
            YamlValue::Null => return,
            _ => {
                self.problems.push(
                    Problem::error(
                        ProblemCode::Shape,
                        &src,
                        doc.span,
                        format!("a rule file is a mapping with `rules:`, not {}", doc.kind()),
                    )
                    .label("expected a mapping"),
                );
                return;
            }
        };
        let pack: Arc<str> = Arc::from(file.pack.as_str());
        for (key, value) in members {
            let name = key.as_str().unwrap_or_default();
            match name {
                "rules" => self.rule_list(value, &src, &pack),
                "facts" => self.fact_map(value, &src),
                "params" => self.param_map(value, &src),
                _ => self.unknown_key(key, name, FILE_KEYS, &src, "a rule file"),
            }
        }
    }

    fn unknown_key(
        &mut self,
        key: &Yaml,
        name: &str,
        known: &[&str],
        src: &SourceText,
        within: &str,
    ) {
        let mut problem = Problem::error(
            ProblemCode::UnknownKey,
            src,
            key.span,
            format!("unknown key `{name}` in {within}"),
        )
        .label("unknown key");
        problem = match suggest(name, known.iter().copied()) {
            Some(s) => problem.help(format!("did you mean `{s}`?")),
            None => problem.help(format!("known keys: {}", known.join(", "))),
        };
        self.problems.push(problem);
    }

    fn rule_list(&mut self, value: &Yaml, src: &SourceText, pack: &Arc<str>) {
        let Some(items) = value.as_seq() else {
            if !matches!(value.value, YamlValue::Null) {
                self.type_problem(value, "a list of rules", src);
            }
            return;
        };
        for item in items {
            let Some(members) = item.as_map() else {
                self.type_problem(item, "a rule (a mapping with `id`, `assert`, ...)", src);
                continue;
            };
            let mut fields = Vec::new();
            for (key, value) in members {
                let name = key.as_str().unwrap_or_default();
                if RULE_KEYS.contains(&name) {
                    fields.push((name.to_owned(), key.clone(), value.clone()));
                } else {
                    self.unknown_key(key, name, RULE_KEYS, src, "a rule");
                }
            }
            let raw = RawRule {
                fields,
                span: item.span,
                src: src.clone(),
                pack: Arc::clone(pack),
            };
            let missing: Vec<&str> = REQUIRED_RULE_KEYS
                .iter()
                .copied()
                .filter(|k| raw.get(k).is_none())
                .collect();
            if !missing.is_empty() {
                let span = raw.fields.first().map_or(item.span, |(_, key, _)| key.span);
                self.problems.push(
                    Problem::error(
                        ProblemCode::MissingKey,
                        src,
                        span,
                        format!(
                            "a rule is missing {}",
                            missing
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                    .label("in this rule"),
                );
            }
            self.rules.push(raw);
        }
    }

    fn fact_map(&mut self, value: &Yaml, src: &SourceText) {
        let Some(members) = value.as_map() else {
            if !matches!(value.value, YamlValue::Null) {
                self.type_problem(value, "a mapping of fact names to expressions", src);
            }
            return;
        };
        for (key, value) in members {
            let name = key.as_str().unwrap_or_default().to_owned();
            if !is_identifier(&name) {
                self.problems.push(
                    Problem::error(
                        ProblemCode::FactName,
                        src,
                        key.span,
                        format!("`{name}` is not a valid fact name"),
                    )
                    .help("a fact name is an identifier: letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
            self.facts.push(RawFact {
                name,
                name_span: key.span,
                value: value.clone(),
                src: src.clone(),
            });
        }
    }

    fn param_map(&mut self, value: &Yaml, src: &SourceText) {
        let Some(members) = value.as_map() else {
            if !matches!(value.value, YamlValue::Null) {
                self.type_problem(value, "a mapping of parameter names to values", src);
            }
            return;
        };
        for (key, value) in members {
            self.params.push(RawParam {
                name: key.as_str().unwrap_or_default().to_owned(),
                name_span: key.span,
                value: value.clone(),
                src: src.clone(),
            });
        }
    }

    fn type_problem(&mut self, value: &Yaml, want: &str, src: &SourceText) {
        self.problems.push(
            Problem::error(
                ProblemCode::Type,
                src,
                value.span,
                format!("expected {want}, found {}", value.kind()),
            )
            .label(format!("expected {want}")),
        );
    }

    fn string<'y>(&mut self, value: &'y Yaml, src: &SourceText, what: &str) -> Option<&'y str> {
        if let Some(s) = value.as_str() {
            Some(s)
        } else {
            self.type_problem(value, &format!("{what} (a string)"), src);
            None
        }
    }

    /// Strings, or one string, as a list.
    fn strings<'y>(
        &mut self,
        value: &'y Yaml,
        src: &SourceText,
        what: &str,
    ) -> Vec<(&'y str, SourceSpan)> {
        match &value.value {
            YamlValue::String(s) => vec![(s.as_str(), value.span)],
            YamlValue::Seq(items) => items
                .iter()
                .filter_map(|item| {
                    if let Some(s) = item.as_str() {
                        Some((s, item.span))
                    } else {
                        self.type_problem(item, what, src);
                        None
                    }
                })
                .collect(),
            _ => {
                self.type_problem(value, &format!("{what}, or a list of them"), src);
                Vec::new()
            }
        }
    }

    /// Compiles an expression held in a YAML scalar; problems point into it.
    fn expression(&mut self, value: &Yaml, src: &SourceText, what: &str) -> Option<Expression> {
        let text = self.string(value, src, what)?;
        match expr::compile(self.env, text) {
            Ok(e) => Some(e),
            Err(errors) => {
                for error in errors {
                    self.compile_problem(value, src, text, &error, what);
                }
                None
            }
        }
    }

    fn template(&mut self, value: &Yaml, src: &SourceText) -> Option<Template> {
        let text = self.string(value, src, "`message`")?;
        match template::compile(self.env, text) {
            Ok(t) => Some(t),
            Err(errors) => {
                for error in errors {
                    self.compile_problem(value, src, text, &error, "`message` template");
                }
                None
            }
        }
    }

    fn compile_problem(
        &mut self,
        value: &Yaml,
        src: &SourceText,
        text: &str,
        error: &CompileError,
        what: &str,
    ) {
        let span = span_in_scalar(
            src,
            value.span,
            text,
            error.offset..error.offset + error.len.max(1),
        );
        let syntax = error.code == ProblemCode::Cel;
        let message = if syntax {
            format!("{what} does not compile: {}", error.message)
        } else {
            format!("{what}: {}", error.message)
        };
        let help = error.help.clone().unwrap_or_else(|| {
            "expressions are CEL (https://github.com/google/cel-spec/blob/master/doc/langdef.md)"
                .to_owned()
        });
        self.problems.push(
            Problem::error(error.code, src, span, message)
                .label(if syntax { "here" } else { "this" })
                .help(help),
        );
    }

    fn finish(
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

    fn merge_params(&mut self, options: &LoadOptions) -> serde_json::Value {
        let mut merged = serde_json::Map::new();
        let mut declared: Vec<(String, ParamType)> = Vec::new();
        let mut defined: HashMap<String, (SourceText, SourceSpan)> = HashMap::new();
        let raw = std::mem::take(&mut self.params);
        for param in &raw {
            let Some((ty, default)) = self.declaration(param) else {
                continue;
            };
            let value = default.to_json();
            if let Some(existing) = merged.get(&param.name) {
                if let (true, Some((first_src, first_span))) =
                    (existing != &value, defined.get(&param.name))
                {
                    let at = first_src.line_col(first_span.offset());
                    self.problems.push(
                        Problem::error(
                            ProblemCode::ParamConflict,
                            &param.src,
                            param.name_span,
                            format!(
                                "parameter `{}` is already defined with another default in {}:{}",
                                param.name,
                                first_src.name(),
                                at.line
                            ),
                        )
                        .help("give the parameter one default, or a different name"),
                    );
                }
                continue;
            }
            defined.insert(param.name.clone(), (param.src.clone(), param.name_span));
            declared.push((param.name.clone(), ty));
            merged.insert(param.name.clone(), value);
        }
        if let Some(source) = &options.params_source {
            self.check_overrides(source, &declared);
        }
        let mut merged = serde_json::Value::Object(merged);
        if let Some(overrides) = &options.params {
            merge_json(&mut merged, overrides);
        }
        merged
    }

    /// A parameter's type and default: `name: default`, or
    /// `name: {type: T, default: V, doc: ...}`.
    fn declaration(&mut self, param: &RawParam) -> Option<(ParamType, Yaml)> {
        let full = param.value.as_map().is_some_and(|members| {
            param.value.get("type").is_some()
                && members.iter().all(|(k, _)| {
                    k.as_str()
                        .is_some_and(|k| params::DECLARATION_KEYS.contains(&k))
                })
        });
        if !full {
            return Some((ParamType::of(&param.value), param.value.clone()));
        }
        let ty = match param.value.get("type").map(ParamType::parse)? {
            Ok(ty) => ty,
            Err((span, message)) => {
                self.problems.push(Problem::error(
                    ProblemCode::ParamType,
                    &param.src,
                    span,
                    message,
                ));
                return None;
            }
        };
        let Some(default) = param.value.get("default") else {
            self.problems.push(
                Problem::error(
                    ProblemCode::ParamDefault,
                    &param.src,
                    param.name_span,
                    format!("parameter `{}` has no `default`", param.name),
                )
                .help("every parameter has a default, used unless rcaudit.yaml sets it"),
            );
            return None;
        };
        let mut wrong = Vec::new();
        params::check(default, &ty, &param.name, &mut wrong);
        for p in &wrong {
            self.problems.push(
                Problem::error(
                    ProblemCode::ParamDefault,
                    &param.src,
                    p.span,
                    format!(
                        "the default does not match the declared type: {}",
                        p.message
                    ),
                )
                .label("here"),
            );
        }
        wrong.is_empty().then(|| (ty, default.clone()))
    }

    /// Checks `params:` of a config against the declared parameters.
    fn check_overrides(&mut self, source: &ParamsSource, declared: &[(String, ParamType)]) {
        let Some(members) = source.value.as_map() else {
            return;
        };
        for (key, value) in members {
            let name = key.as_str().unwrap_or_default();
            match declared.iter().find(|(n, _)| n == name) {
                None => {
                    let mut p = Problem::error(
                        ProblemCode::ConfigUnknownParam,
                        &source.src,
                        key.span,
                        format!("unknown parameter `{name}`"),
                    )
                    .label("no such parameter");
                    p = p.help(
                        match suggest(name, declared.iter().map(|(n, _)| n.as_str())) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => format!(
                                "parameters: {}",
                                declared
                                    .iter()
                                    .map(|(n, _)| n.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        },
                    );
                    self.problems.push(p);
                }
                Some((_, ty)) => {
                    let mut wrong = Vec::new();
                    params::check(value, ty, name, &mut wrong);
                    for w in wrong {
                        let code = if w.unknown {
                            ProblemCode::ConfigUnknownParam
                        } else {
                            ProblemCode::ConfigParamType
                        };
                        let mut p = Problem::error(code, &source.src, w.span, w.message).label(
                            if w.unknown {
                                "no such field"
                            } else {
                                "wrong type"
                            },
                        );
                        if let Some(help) = w.help {
                            p = p.help(help);
                        }
                        self.problems.push(p);
                    }
                }
            }
        }
    }

    fn compile_facts(&mut self, params: &serde_json::Value) -> Vec<Fact> {
        let raw = std::mem::take(&mut self.facts);
        // First definition of each name.
        let mut first: HashMap<String, (SourceText, SourceSpan)> = HashMap::new();
        let mut drafts: Vec<FactDraft> = Vec::new();
        for fact in raw {
            if let Some((src, span)) = first.get(&fact.name) {
                let at = src.line_col(span.offset());
                self.problems.push(Problem::error(
                    ProblemCode::DuplicateFact,
                    &fact.src,
                    fact.name_span,
                    format!(
                        "fact `{}` is already defined in {}:{}",
                        fact.name,
                        src.name(),
                        at.line
                    ),
                ));
                continue;
            }
            first.insert(fact.name.clone(), (fact.src.clone(), fact.name_span));
            let expr = self.expression(&fact.value, &fact.src, &format!("fact `{}`", fact.name));
            drafts.push(FactDraft {
                raw: fact,
                expr,
                deps: Vec::new(),
            });
        }
        let by_name: HashMap<&str, usize> = drafts
            .iter()
            .enumerate()
            .map(|(i, d)| (d.raw.name.as_str(), i))
            .collect();
        // Check variables and find dependencies.
        let mut deps = Vec::with_capacity(drafts.len());
        for draft in &drafts {
            let Some(expr) = &draft.expr else {
                deps.push(Vec::new());
                continue;
            };
            let scope = Scope {
                item: false,
                extension: false,
                targets: &[],
                extra: &[],
            };
            self.check_variables(
                expr,
                &draft.raw.value,
                &draft.raw.src,
                scope,
                &by_name,
                params,
            );
            deps.push(
                fact_refs(expr)
                    .filter_map(|(name, _)| by_name.get(name.as_str()).copied())
                    .collect::<Vec<usize>>(),
            );
        }
        for (draft, d) in drafts.iter_mut().zip(deps) {
            draft.deps = d;
        }
        // Dependency order; a cycle is a problem.
        let mut order = Vec::new();
        let mut state = vec![Visit::New; drafts.len()];
        for i in 0..drafts.len() {
            self.visit_fact(i, &drafts, &mut state, &mut order);
        }
        let position: HashMap<usize, usize> = order
            .iter()
            .enumerate()
            .map(|(new, &old)| (old, new))
            .collect();
        let mut slots: Vec<Option<FactDraft>> = drafts.into_iter().map(Some).collect();
        let mut facts = Vec::new();
        for old in order {
            let Some(FactDraft {
                raw,
                expr: Some(expr),
                deps,
            }) = slots.get_mut(old).and_then(Option::take)
            else {
                continue;
            };
            let requires = data_requirements(&expr);
            facts.push(Fact {
                name: raw.name,
                expr,
                depends: deps
                    .iter()
                    .filter_map(|d| position.get(d).copied())
                    .collect(),
                requires,
                origin: Origin {
                    src: raw.src,
                    span: raw.name_span,
                },
            });
        }
        facts
    }

    fn visit_fact(
        &mut self,
        i: usize,
        drafts: &[FactDraft],
        state: &mut [Visit],
        order: &mut Vec<usize>,
    ) {
        let (Some(draft), Some(&current)) = (drafts.get(i), state.get(i)) else {
            return;
        };
        match current {
            Visit::Done => return,
            Visit::Visiting => {
                self.problems.push(
                    Problem::error(
                        ProblemCode::FactCycle,
                        &draft.raw.src,
                        draft.raw.name_span,
                        format!("fact `{}` depends on itself", draft.raw.name),
                    )
                    .help("facts may read other facts, but not in a cycle"),
                );
                return;
            }
            Visit::New => {}
        }
        if let Some(slot) = state.get_mut(i) {
            *slot = Visit::Visiting;
        }
        for &d in &draft.deps {
            self.visit_fact(d, drafts, state, order);
        }
        if let Some(slot) = state.get_mut(i) {
            *slot = Visit::Done;
        }
        order.push(i);
    }

    fn rule(
        &mut self,
        raw: &RawRule,
        facts: &[Fact],
        params: &serde_json::Value,
        seen: &mut HashMap<String, (SourceText, SourceSpan)>,
    ) -> Option<Rule> {
        let src = raw.src.clone();
        let before = self.problems.len();
        let id = raw.get("id").and_then(|v| self.rule_id(v, &src, seen));
        let name = raw
            .get("name")
            .and_then(|v| self.string(v, &src, "`name`").map(str::to_owned));
        let severity = raw.get("severity").and_then(|v| self.severity(v, &src));
        let title = raw
            .get("title")
            .and_then(|v| self.string(v, &src, "`title`").map(str::to_owned));
        let docs = self.docs(raw, &src);
        let targets = raw
            .get("target")
            .map(|v| self.targets(v, &src))
            .unwrap_or_default();
        let nested = !targets.is_empty() && targets.iter().all(|t| t.nested());
        let extra: Vec<String> = raw
            .get("extraFields")
            .map(|v| self.extra_fields(v, &src))
            .unwrap_or_default();
        let scope = Scope {
            item: true,
            extension: nested,
            targets: &targets,
            extra: &extra,
        };
        let fact_index: HashMap<&str, usize> = facts
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect();
        let checked = |this: &mut Self, key: &str| {
            let v = raw.get(key)?;
            let e = this.expression(v, &src, &format!("`{key}`"))?;
            this.check_variables(&e, v, &src, scope, &fact_index, params);
            Some(e)
        };
        let when = checked(self, "when");
        let assert = checked(self, "assert");
        let key = checked(self, "key");
        let fingerprint = checked(self, "fingerprint");
        let message = raw
            .get("message")
            .and_then(|v| self.message(v, &src, scope, &fact_index, params));
        let at = raw
            .get("at")
            .and_then(|v| self.at(v, &src, scope, &fact_index, params));
        let mut requires = self.requirements(raw.get("requires"), &src, &targets);
        let covered_by = self.covered_by(raw.get("coveredBy"), &src, &targets);
        if let Some(v) = raw.get("cases")
            && !matches!(v.value, YamlValue::Seq(_))
        {
            self.type_problem(v, "a list of cases", &src);
        }
        if self
            .problems
            .get(before..)
            .unwrap_or_default()
            .iter()
            .any(|p| !p.warning)
        {
            return None;
        }
        let (id, severity, title, assert, message) = (id?, severity?, title?, assert?, message?);
        if targets.is_empty() {
            return None;
        }
        let expressions: Vec<&Expression> = when
            .iter()
            .chain(std::iter::once(&assert))
            .chain(key.iter())
            .chain(fingerprint.iter())
            .chain(message.expressions().map(|(e, _)| e))
            .collect();
        let used = facts_used(&expressions, &fact_index, facts);
        implied_requirements(&expressions, &used, facts, &mut requires);
        Some(Rule {
            name: name.unwrap_or_else(|| id.to_lowercase()),
            id,
            severity,
            title,
            docs,
            targets,
            when,
            assert,
            message,
            at,
            key,
            fingerprint,
            requires,
            covered_by,
            facts: used,
            enabled: true,
            origin: Origin {
                src: src.clone(),
                span: raw.span,
            },
            pack: Arc::clone(&raw.pack),
        })
    }

    fn rule_id(
        &mut self,
        v: &Yaml,
        src: &SourceText,
        seen: &mut HashMap<String, (SourceText, SourceSpan)>,
    ) -> Option<String> {
        let id = self.string(v, src, "`id`")?;
        if !is_rule_id(id) {
            self.problems.push(
                Problem::error(ProblemCode::Id, src, v.span, format!("`{id}` is not a valid rule id"))
                    .help("an id is letters, digits, `-`, `_` and `.`, starting with a letter, e.g. `ACME-FW-001`"),
            );
            return None;
        }
        if let Some((first_src, first_span)) = seen.get(id) {
            let at = first_src.line_col(first_span.offset());
            self.problems.push(
                Problem::error(
                    ProblemCode::DuplicateId,
                    src,
                    v.span,
                    format!(
                        "rule id `{id}` is already used in {}:{}",
                        first_src.name(),
                        at.line
                    ),
                )
                .label("duplicate id")
                .help("rule ids are unique: waivers, baselines and CI configs refer to them"),
            );
            return None;
        }
        seen.insert(id.to_owned(), (src.clone(), v.span));
        Some(id.to_owned())
    }

    fn severity(&mut self, v: &Yaml, src: &SourceText) -> Option<Severity> {
        let text = self.string(v, src, "`severity`")?;
        let severity = Severity::parse(text);
        if severity.is_none() {
            let help = match suggest(text, ["error", "warning", "info"]) {
                Some(s) => format!("did you mean `{s}`? (error, warning or info)"),
                None => "a severity is error, warning or info".to_owned(),
            };
            self.problems.push(
                Problem::error(
                    ProblemCode::Severity,
                    src,
                    v.span,
                    format!("unknown severity `{text}`"),
                )
                .label("not a severity")
                .help(help),
            );
        }
        severity
    }

    fn docs(&mut self, raw: &RawRule, src: &SourceText) -> Docs {
        let text = |this: &mut Self, key: &str| {
            raw.get(key)
                .and_then(|v| this.string(v, src, &format!("`{key}`")))
                .map(|s| s.trim().to_owned())
        };
        Docs {
            description: text(self, "description").unwrap_or_default(),
            why: text(self, "why"),
            fix: text(self, "fix"),
            references: raw
                .get("references")
                .map(|v| {
                    self.strings(v, src, "a reference")
                        .into_iter()
                        .map(|(s, _)| s.to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    fn targets(&mut self, v: &Yaml, src: &SourceText) -> Vec<Target> {
        let mut targets = Vec::new();
        for (text, span) in self.strings(v, src, "a target") {
            match Target::parse(text) {
                Some(t) if !targets.contains(&t) => targets.push(t),
                Some(_) => {}
                None => {
                    let names = Target::ALL.map(Target::as_str);
                    let help = match suggest(text, names) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("targets: {}", names.join(", ")),
                    };
                    self.problems.push(
                        Problem::error(
                            ProblemCode::Target,
                            src,
                            span,
                            format!("unknown target `{text}`"),
                        )
                        .label("not a target")
                        .help(help),
                    );
                }
            }
        }
        targets
    }

    fn message(
        &mut self,
        v: &Yaml,
        src: &SourceText,
        scope: Scope<'_>,
        facts: &HashMap<&str, usize>,
        params: &serde_json::Value,
    ) -> Option<Template> {
        let t = self.template(v, src)?;
        let text = v.as_str().unwrap_or_default().to_owned();
        for (e, at) in t.expressions() {
            let shifted = Shifted {
                value: v,
                text: &text,
                base: at,
            };
            self.check_variables_at(e, &shifted, src, scope, facts, params);
        }
        Some(t)
    }

    fn at(
        &mut self,
        v: &Yaml,
        src: &SourceText,
        scope: Scope<'_>,
        facts: &HashMap<&str, usize>,
        params: &serde_json::Value,
    ) -> Option<At> {
        let text = self.string(v, src, "`at`")?;
        if text.contains("{{") {
            return self.message(v, src, scope, facts, params).map(At::Template);
        }
        if !is_location(text) {
            self.problems.push(
                Problem::error(ProblemCode::At, src, v.span, format!("`at: {text}` is not a field path"))
                    .help("`at` names a field of the item (`paymentType`, `contact.email`), is a JSON pointer (`/phoneNumbers`), or a `{{ template }}` giving one"),
            );
            return None;
        }
        self.check_at(text, v, src, scope);
        Some(At::Path(text.to_owned()))
    }

    /// `at` names a field of the item, or a JSON pointer into the snapshot:
    /// either must exist in the snapshot schema (or be declared in
    /// `extraFields`), as fields read by expressions must.
    fn check_at(&mut self, text: &str, v: &Yaml, src: &SourceText, scope: Scope<'_>) {
        // (segment, byte offset in `text`)
        let mut segments: Vec<(String, usize)> = Vec::new();
        let (root, separator, start) = match text.strip_prefix('/') {
            Some(_) => ("snapshot", '/', 1),
            None => ("item", '.', 0),
        };
        let mut offset = start;
        for segment in text.get(start..).unwrap_or_default().split(separator) {
            let name = if separator == '/' {
                segment.replace("~1", "/").replace("~0", "~")
            } else {
                segment.to_owned()
            };
            // Array indexes in a pointer stand for any element.
            let name =
                if separator == '/' && !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
                {
                    "[]".to_owned()
                } else {
                    name
                };
            segments.push((name, offset));
            offset += segment.len() + 1;
        }
        let mut path = vec![root.to_owned()];
        path.extend(segments.iter().map(|(s, _)| s.clone()));
        let Resolution::Unknown { index, known } = datamodel::resolve(&path, scope.targets) else {
            return;
        };
        let dotted = |upto: usize| {
            path.iter()
                .take(upto + 1)
                .filter(|s| s.as_str() != "[]")
                .cloned()
                .collect::<Vec<_>>()
                .join(".")
        };
        if (index..path.len()).any(|i| scope.extra.iter().any(|e| *e == dotted(i))) {
            return;
        }
        let field = path.get(index).cloned().unwrap_or_default();
        let at = segments
            .get(index.saturating_sub(1))
            .map_or(0, |(_, offset)| *offset);
        let raw_len = text
            .get(at..)
            .map_or(1, |rest| rest.find(separator).unwrap_or(rest.len()).max(1));
        let span = span_in_scalar(src, v.span, text, at..at + raw_len);
        let whose = if index <= 1 {
            root.to_owned()
        } else {
            dotted(index - 1).replace("snapshot.", "")
        };
        let mut p = Problem::error(
            ProblemCode::UnknownField,
            src,
            span,
            format!("`at: {text}`: `{whose}` has no field `{field}` in the snapshot schema"),
        )
        .label("unknown field");
        p = p.help(match suggest(&field, known.iter().map(String::as_str)) {
            Some(s) => format!(
                "did you mean `{s}`? (a finding whose `at` is missing points at the item instead)"
            ),
            None => format!(
                "a field newer than the schema can be declared: `extraFields: [{}]`",
                dotted(index)
            ),
        });
        self.problems.push(p);
    }

    fn requirements(
        &mut self,
        v: Option<&Yaml>,
        src: &SourceText,
        targets: &[Target],
    ) -> Vec<Requirement> {
        let mut requires = Vec::new();
        let Some(v) = v else {
            return requires;
        };
        for (text, span) in self.strings(v, src, "a requirement") {
            if let Some(r) = self.requirement(text, span, src, targets)
                && !requires.contains(&r)
            {
                requires.push(r);
            }
        }
        requires
    }

    fn requirement(
        &mut self,
        text: &str,
        span: SourceSpan,
        src: &SourceText,
        targets: &[Target],
    ) -> Option<Requirement> {
        match text {
            "admin" => return Some(Requirement::Admin),
            "planClass" => return Some(Requirement::PlanClass),
            _ => {}
        }
        let parts: Vec<&str> = text.split('.').collect();
        if !parts.iter().all(|p| is_field_name(p)) {
            self.problems.push(
                Problem::error(ProblemCode::Requires, src, span, format!("`{text}` is not a requirement"))
                    .help("a requirement is `admin`, `planClass`, or a path such as `phoneNumbers`, `account.mainNumber`, `item.forwardingNumbers`"),
            );
            return None;
        }
        let rest = || {
            parts
                .iter()
                .skip(1)
                .map(|s| (*s).to_owned())
                .collect::<Vec<_>>()
        };
        match parts.first().copied().unwrap_or_default() {
            "item" if parts.len() > 1 => {
                if targets
                    .iter()
                    .any(|t| matches!(t, Target::Snapshot | Target::Account))
                {
                    self.problems.push(
                        Problem::error(ProblemCode::Requires, src, span, format!("`{text}` needs a list target"))
                            .help("an `item.` requirement skips items of a list target (extensions, phoneNumbers, ...) that lack the field; for the account, require `account.<field>`"),
                    );
                    return None;
                }
                Some(Requirement::ItemPresent(rest()))
            }
            "extension" if parts.len() > 1 => {
                if !targets.iter().all(|t| t.nested()) {
                    self.problems.push(
                        Problem::error(ProblemCode::Requires, src, span, format!("`{text}` needs a per-extension target"))
                            .help("`extension.` requirements apply to the targets forwardingNumbers and extensionPhoneNumbers"),
                    );
                    return None;
                }
                Some(Requirement::ExtensionPresent(rest()))
            }
            root if SNAPSHOT_KEYS.contains(&root) => Some(Requirement::Present(
                parts.iter().map(|s| (*s).to_owned()).collect(),
            )),
            root => {
                let known = ["admin", "planClass", "item", "extension"]
                    .into_iter()
                    .chain(SNAPSHOT_KEYS.iter().copied());
                let mut p = Problem::error(
                    ProblemCode::Requires,
                    src,
                    span,
                    format!("unknown requirement `{text}`"),
                );
                p = p.help(match suggest(root, known) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a requirement is `admin`, `planClass`, or a path from the snapshot, the item or its extension".to_owned(),
                });
                self.problems.push(p);
                None
            }
        }
    }

    /// `coveredBy: {extensionPhoneNumbers: phoneNumbers}`: each key a
    /// per-extension target of the rule, each value the rule's top-level
    /// target that holds all its items ([`Target::covering_list`]).
    fn covered_by(
        &mut self,
        v: Option<&Yaml>,
        src: &SourceText,
        targets: &[Target],
    ) -> Vec<(Target, Target)> {
        let Some(v) = v else {
            return Vec::new();
        };
        let Some(members) = v.as_map() else {
            self.type_problem(
                v,
                "a mapping of per-extension targets to the list that covers them",
                src,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in members {
            let (Some(covered), Some(by)) = (
                self.string(key, src, "a target"),
                self.string(value, src, "a target"),
            ) else {
                continue;
            };
            let problem = |span: SourceSpan, message: String, help: String| {
                Problem::error(ProblemCode::CoveredBy, src, span, message).help(help)
            };
            let Some(covered) = Target::parse(covered) else {
                self.problems.push(problem(
                    key.span,
                    format!("unknown target `{covered}`"),
                    "the key is a per-extension target: extensionPhoneNumbers".to_owned(),
                ));
                continue;
            };
            let Some(holder) = covered.covering_list() else {
                self.problems.push(problem(
                    key.span,
                    format!("no top-level list holds every item of `{covered}`"),
                    "only extensionPhoneNumbers is covered by a list: the account's phoneNumbers"
                        .to_owned(),
                ));
                continue;
            };
            if !targets.contains(&covered) {
                self.problems.push(problem(
                    key.span,
                    format!("`{covered}` is not a target of this rule"),
                    format!("add `{covered}` to `target`, or remove it from `coveredBy`"),
                ));
                continue;
            }
            if Target::parse(by) != Some(holder) {
                self.problems.push(problem(
                    value.span,
                    format!("`{by}` does not hold every item of `{covered}`"),
                    format!("`{covered}` is covered by `{holder}`"),
                ));
                continue;
            }
            if !targets.contains(&holder) {
                self.problems.push(problem(
                    value.span,
                    format!("`{holder}` is not a target of this rule"),
                    format!("the rule must walk `{holder}` to stand in for `{covered}`: add it to `target`"),
                ));
                continue;
            }
            if !out.contains(&(covered, holder)) {
                out.push((covered, holder));
            }
        }
        out
    }

    fn extra_fields(&mut self, v: &Yaml, src: &SourceText) -> Vec<String> {
        let mut out = Vec::new();
        for (text, span) in self.strings(v, src, "a field path") {
            let ok = text.split_once('.').is_some_and(|(root, rest)| {
                matches!(
                    root,
                    "item"
                        | "extension"
                        | "snapshot"
                        | "account"
                        | "source"
                        | "serviceInfo"
                        | "extensions"
                        | "phoneNumbers"
                        | "errors"
                ) && rest.split('.').all(is_field_name)
            });
            if ok {
                out.push(text.to_owned());
            } else {
                self.problems.push(
                    Problem::error(ProblemCode::ExtraFields, src, span, format!("`{text}` is not a field path"))
                        .help("list the fields the rule reads that the snapshot schema does not define yet, as `item.newField` or `account.newField`"),
                );
            }
        }
        out
    }

    /// Rejects fields the snapshot schema does not define (unless declared
    /// in `extraFields`), and warns when a per-item rule walks a whole list.
    fn check_model(
        &mut self,
        expr: &Expression,
        at: &Shifted<'_>,
        src: &SourceText,
        scope: Scope<'_>,
    ) {
        for (path, range) in &expr.paths {
            let declared = |upto: usize| {
                let dotted: Vec<&str> = path
                    .iter()
                    .take(upto + 1)
                    .filter(|s| s.as_str() != "[]")
                    .map(String::as_str)
                    .collect();
                scope.extra.iter().any(|e| e.as_str() == dotted.join("."))
            };
            if let Resolution::Unknown { index, known } = datamodel::resolve(path, scope.targets) {
                if declared(index) {
                    continue;
                }
                let field = path.get(index).cloned().unwrap_or_default();
                let span = at.span(src, range.clone());
                let whose = path
                    .iter()
                    .take(index)
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(".")
                    .replace(".[]", "[]");
                let mut p = Problem::error(
                    ProblemCode::UnknownField,
                    src,
                    span,
                    format!("`{whose}` has no field `{field}` in the snapshot schema"),
                )
                .label("unknown field");
                let dotted = path
                    .iter()
                    .take(index + 1)
                    .filter(|s| s.as_str() != "[]")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(".");
                p = p.help(match suggest(&field, known.iter().map(String::as_str)) {
                    Some(s) => format!("did you mean `{s}`? (a field newer than the schema can be declared: `extraFields: [{dotted}]`)"),
                    None => format!("a field newer than the schema can be declared: `extraFields: [{dotted}]`"),
                });
                self.problems.push(p);
            }
        }
        let per_item = scope
            .targets
            .iter()
            .any(|t| !matches!(t, Target::Snapshot | Target::Account));
        if per_item {
            for (path, range) in &expr.walks {
                let list = path.join(".");
                self.problems.push(
                    Problem::error(
                        ProblemCode::Quadratic,
                        src,
                        at.span(src, range.clone()),
                        format!("this walks `{list}` once for every item: quadratic on large accounts"),
                    )
                    .label("walked per item")
                    .help("compute what you need from it once, as a fact (`facts:`), and read the fact per item")
                    .warning(),
                );
            }
        }
    }

    fn check_variables(
        &mut self,
        expr: &Expression,
        value: &Yaml,
        src: &SourceText,
        scope: Scope<'_>,
        facts: &HashMap<&str, usize>,
        params: &serde_json::Value,
    ) {
        let text = value.as_str().unwrap_or_default().to_owned();
        let shifted = Shifted {
            value,
            text: &text,
            base: 0,
        };
        self.check_variables_at(expr, &shifted, src, scope, facts, params);
    }

    fn check_variables_at(
        &mut self,
        expr: &Expression,
        at: &Shifted<'_>,
        src: &SourceText,
        scope: Scope<'_>,
        facts: &HashMap<&str, usize>,
        params: &serde_json::Value,
    ) {
        self.check_model(expr, at, src, scope);
        let mut allowed: Vec<&str> = GLOBAL_VARIABLES.to_vec();
        if scope.item {
            allowed.extend_from_slice(ITEM_VARIABLES);
        }
        if scope.extension {
            allowed.push("extension");
        }
        let mut reported = BTreeSet::new();
        for (name, range) in &expr.variables {
            if allowed.contains(&name.as_str()) || TYPE_NAMES.contains(&name.as_str()) {
                continue;
            }
            if !reported.insert(name.clone()) {
                continue;
            }
            let span = at.span(src, range.clone());
            let mut p = Problem::error(
                ProblemCode::UnknownVariable,
                src,
                span,
                format!("unknown variable `{name}`"),
            )
            .label("not defined here");
            let hint = if !scope.item && ITEM_VARIABLES.contains(&name.as_str()) {
                format!("`{name}` exists only in rules, not in facts")
            } else if name == "extension" {
                "`extension` exists only for the targets forwardingNumbers and extensionPhoneNumbers".to_owned()
            } else {
                match suggest(name, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("variables: {}", allowed.join(", ")),
                }
            };
            p = p.help(hint);
            self.problems.push(p);
        }
        for (path, range) in &expr.paths {
            match path.first().map(String::as_str) {
                Some("facts") => {
                    let Some(name) = path.get(1) else { continue };
                    if !facts.contains_key(name.as_str()) {
                        let span = at.span(src, range.clone());
                        let mut p = Problem::error(
                            ProblemCode::UnknownFact,
                            src,
                            span,
                            format!("unknown fact `{name}`"),
                        )
                        .label("no such fact");
                        p = p.help(match suggest(name, facts.keys().copied()) {
                            Some(s) => format!("did you mean `facts.{s}`?"),
                            None => "facts are defined under `facts:` in a rule file".to_owned(),
                        });
                        self.problems.push(p);
                    }
                }
                Some("params") => {
                    let Some(name) = path.get(1) else { continue };
                    let known: Vec<&str> = params
                        .as_object()
                        .map(|o| o.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    if !known.contains(&name.as_str()) {
                        let span = at.span(src, range.clone());
                        let mut p = Problem::error(
                            ProblemCode::UnknownParam,
                            src,
                            span,
                            format!("unknown parameter `{name}`"),
                        )
                        .label("no such parameter");
                        p = p.help(match suggest(name, known.iter().copied()) {
                            Some(s) => format!("did you mean `params.{s}`?"),
                            None => {
                                "parameters are defined under `params:` in a rule file".to_owned()
                            }
                        });
                        self.problems.push(p);
                    }
                }
                _ => {}
            }
        }
    }
}

/// The top-level keys of a snapshot, which `requires` paths start from.
pub const SNAPSHOT_KEYS: &[&str] = &[
    "snapshotVersion",
    "capturedAt",
    "source",
    "account",
    "serviceInfo",
    "phoneNumbers",
    "extensions",
    "errors",
];

/// A fact between reading and ordering.
struct FactDraft {
    raw: RawFact,
    expr: Option<Expression>,
    deps: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    Visiting,
    Done,
}

/// What an expression may read, and what it is checked against.
#[derive(Debug, Clone, Copy)]
struct Scope<'a> {
    /// `item`, `index`, `target` are bound (rules, not facts).
    item: bool,
    /// `extension` is bound (per-extension targets).
    extension: bool,
    /// The rule's targets, for the types of `item`.
    targets: &'a [Target],
    /// Fields the rule declares beyond the schema (`item.newField`).
    extra: &'a [String],
}

/// An expression inside a YAML scalar (or inside a template inside one).
struct Shifted<'a> {
    value: &'a Yaml,
    text: &'a str,
    base: usize,
}

impl Shifted<'_> {
    fn span(&self, src: &SourceText, range: Range<usize>) -> SourceSpan {
        span_in_scalar(
            src,
            self.value.span,
            self.text,
            self.base + range.start..self.base + range.end,
        )
    }
}

/// Maps a byte range of a scalar's value to the file. A plain or quoted
/// scalar on one line maps exactly; for block scalars the value's line is
/// searched for in the scalar's source; failing that, the whole scalar.
fn span_in_scalar(
    src: &SourceText,
    scalar: SourceSpan,
    value: &str,
    range: Range<usize>,
) -> SourceSpan {
    let file = src.text();
    let raw = file
        .get(scalar.offset()..scalar.offset() + scalar.len())
        .unwrap_or_default();
    let len = range.end.saturating_sub(range.start).max(1);
    // Exact: the raw text is the value, possibly quoted.
    for skip in [0usize, 1] {
        if raw.get(skip..skip + value.len()) == Some(value) {
            let start = scalar.offset() + skip + range.start.min(value.len());
            return SourceSpan::new(start.into(), len.min(file.len().saturating_sub(start)));
        }
    }
    // Block scalar: find the line of the value that holds the range.
    let line_start = value
        .get(..range.start)
        .and_then(|v| v.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line_end = value
        .get(line_start..)
        .and_then(|v| v.find('\n'))
        .map_or(value.len(), |i| line_start + i);
    let line = value.get(line_start..line_end).unwrap_or_default();
    if !line.is_empty()
        && let Some(found) = file
            .get(scalar.offset()..)
            .and_then(|f| f.find(line))
            .filter(|&f| f <= scalar.len() + 1)
    {
        let start = scalar.offset() + found + (range.start - line_start);
        return SourceSpan::new(start.into(), len.min(line.len()));
    }
    scalar
}

/// `facts.X` names read by an expression.
fn fact_refs(expr: &Expression) -> impl Iterator<Item = (&String, &Range<usize>)> {
    expr.paths
        .iter()
        .filter(|(path, _)| path.first().map(String::as_str) == Some("facts"))
        .filter_map(|(path, range)| path.get(1).map(|name| (name, range)))
}

fn collect_fact(i: usize, facts: &[Fact], used: &mut BTreeSet<usize>) {
    if used.insert(i) {
        for &d in facts
            .get(i)
            .map(|f| f.depends.as_slice())
            .unwrap_or_default()
        {
            collect_fact(d, facts, used);
        }
    }
}

/// Facts the expressions read, directly or through other facts.
fn facts_used(
    expressions: &[&Expression],
    index: &HashMap<&str, usize>,
    facts: &[Fact],
) -> Vec<usize> {
    let mut used = BTreeSet::new();
    for e in expressions {
        for (name, _) in fact_refs(e) {
            if let Some(&i) = index.get(name.as_str()) {
                collect_fact(i, facts, &mut used);
            }
        }
    }
    used.into_iter().collect()
}

/// Adds the data the expressions (and the facts they use) read to `requires`.
fn implied_requirements(
    expressions: &[&Expression],
    used: &[usize],
    facts: &[Fact],
    requires: &mut Vec<Requirement>,
) {
    let from_facts = used
        .iter()
        .filter_map(|&i| facts.get(i))
        .flat_map(|f| f.requires.iter().cloned());
    let from_rule = expressions.iter().flat_map(|e| data_requirements(e));
    for r in from_rule.chain(from_facts) {
        if !requires.contains(&r) {
            requires.push(r);
        }
    }
}

/// Requirements implied by the data variables an expression reads: a rule
/// that walks `phoneNumbers` needs the list, whatever its `requires` says.
fn data_requirements(expr: &Expression) -> Vec<Requirement> {
    let mut out = Vec::new();
    for (name, _) in &expr.variables {
        if DATA_VARIABLES.contains(&name.as_str()) {
            let r = Requirement::Present(vec![name.clone()]);
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    for (path, _) in &expr.paths {
        if path.first().map(String::as_str) == Some("snapshot")
            && let Some(key) = path.get(1).filter(|k| DATA_VARIABLES.contains(&k.as_str()))
        {
            let r = Requirement::Present(vec![key.clone()]);
            if !out.contains(&r) {
                out.push(r);
            }
        }
    }
    out
}

fn merge_json(base: &mut serde_json::Value, overrides: &serde_json::Value) {
    match (base, overrides) {
        (serde_json::Value::Object(base), serde_json::Value::Object(overrides)) => {
            for (k, v) in overrides {
                match base.get_mut(k) {
                    Some(existing) => merge_json(existing, v),
                    None => {
                        base.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (base, overrides) => *base = overrides.clone(),
    }
}

/// A field path of an item or an absolute JSON pointer.
pub(crate) fn is_location(text: &str) -> bool {
    text.starts_with('/') || (!text.is_empty() && text.split('.').all(is_field_name))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_field_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn is_rule_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Parameters as a tree, for evaluation.
pub fn params_node(params: &serde_json::Value) -> Node {
    rcaudit_model::value::from_json(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids() {
        assert!(is_rule_id("RC-PN-001"));
        assert!(is_rule_id("acme.fw_1"));
        assert!(!is_rule_id("1abc"));
        assert!(!is_rule_id("a b"));
        assert!(!is_rule_id(""));
    }
}
