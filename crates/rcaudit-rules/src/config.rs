//! `rcaudit.yaml`: which rules run and how, checked like a rule file (every
//! problem at once, with spans).
//!
//! ```yaml
//! packs: [core]                 # built-in packs to use (default: all)
//! rules: [./acme-rules]         # more rule files or folders, relative to this file
//! disable: [RC-SN-002]          # rules to turn off
//! severity: {RC-PN-007: error}  # severity overrides
//! params:                       # parameter overrides (merged key by key)
//!   plans: {ubp: ["RingEX Core"]}
//! failOn: warning               # default for --fail-on
//! waivers: [...]                # accepted exceptions (see `waivers`)
//! redact:                       # more entries for `rcaudit redact`'s table
//!   - {path: /extensions/*/contact/nickname, kind: name}
//! ```

use std::collections::{BTreeMap, BTreeSet};

use miette::SourceSpan;
use rcaudit_model::SourceText;

use crate::keys;
use crate::load::LoadOptions;
use crate::problem::{LoadErrors, Problem, ProblemCode};
use crate::rule::{RuleSet, Severity};
use crate::suggest::suggest;
use crate::yaml::{self, Yaml, YamlValue};

pub use crate::keys::{CONFIG_KEYS, LIMIT_KEYS};

/// Values of `failOn`.
pub const FAIL_ON: &[&str] = &["error", "warning", "info", "never"];

/// The kinds a `redact:` entry may name: those of `rcaudit-redact`'s
/// table (the CLI's tests check the two lists agree).
pub const REDACT_KINDS: &[&str] = &["keep", "name", "email", "address", "phone", "label", "text"];

/// One `redact:` entry: a path pattern and a kind (one of
/// [`REDACT_KINDS`]), with where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactEntry {
    /// Members from the root, `/`-separated; `*` and `**` as wildcards.
    pub path: String,
    /// What the matched strings hold.
    pub kind: String,
    /// The entry in the config file.
    pub span: SourceSpan,
}

/// A checked config file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The config file, when there is one (problems point into it).
    pub src: Option<SourceText>,
    /// Built-in packs to use; `None` means all.
    pub packs: Option<Vec<(String, SourceSpan)>>,
    /// More rule paths, as written (relative to the config file).
    pub rules: Vec<(String, SourceSpan)>,
    /// Rule ids to turn off, as written.
    pub disable: Vec<(String, SourceSpan)>,
    /// Severity overrides: rule id, where it is written, and the severity.
    pub severity: Vec<(String, SourceSpan, Severity)>,
    /// Parameter overrides, merged over the packs' defaults.
    pub params: Option<serde_json::Value>,
    /// `params` as written, to check against the declared parameters.
    pub params_yaml: Option<Yaml>,
    /// `error`, `warning`, `info` or `never`.
    pub fail_on: Option<String>,
    /// Accepted exceptions.
    pub waivers: Vec<crate::waivers::Waiver>,
    /// Limits on evaluation (`limits: {steps: N}`).
    pub limits: crate::eval::Limits,
    /// Extra entries for `rcaudit redact`'s table.
    pub redact: Vec<RedactEntry>,
}

fn problem(src: &SourceText, span: SourceSpan, message: impl Into<String>) -> Problem {
    Problem::error(ProblemCode::Config, src, span, message)
}

/// Reads a config file.
pub fn parse(name: &str, text: &str) -> Result<Config, LoadErrors> {
    let src = SourceText::new(name, text);
    let doc = yaml::parse(text).map_err(|e| LoadErrors {
        problems: vec![problem(&src, e.span, e.headline(name)).label(e.message)],
    })?;
    let mut config = Config {
        src: Some(src.clone()),
        ..Config::default()
    };
    let mut problems = Vec::new();
    let members = match &doc.value {
        YamlValue::Map(members) => members.as_slice(),
        YamlValue::Null => &[],
        _ => {
            return Err(LoadErrors {
                problems: vec![problem(
                    &src,
                    doc.span,
                    format!("a config file is a mapping, not {}", doc.kind()),
                )],
            });
        }
    };
    for (key, value) in members {
        let name = key.as_str().unwrap_or_default();
        match name {
            "packs" => config.packs = Some(strings(value, &src, &mut problems, "a pack name")),
            "rules" => config.rules = strings(value, &src, &mut problems, "a rule file or folder"),
            "disable" => config.disable = strings(value, &src, &mut problems, "a rule id"),
            "severity" => config.severity = severities(value, &src, &mut problems),
            "params" => match value.value {
                YamlValue::Map(_) => {
                    config.params = Some(value.to_json());
                    config.params_yaml = Some(value.clone());
                }
                YamlValue::Null => {}
                _ => problems.push(problem(
                    &src,
                    value.span,
                    "`params` is a mapping of parameter names to values",
                )),
            },
            "waivers" => config.waivers = crate::waivers::from_yaml(value, &src, &mut problems),
            "limits" => config.limits = limits(value, &src, &mut problems),
            "redact" => config.redact = redact(value, &src, &mut problems),
            "failOn" => match value.as_str() {
                Some(v) if FAIL_ON.contains(&v) => config.fail_on = Some(v.to_owned()),
                _ => problems.push(
                    problem(
                        &src,
                        value.span,
                        "`failOn` is error, warning, info or never",
                    )
                    .label("not a threshold"),
                ),
            },
            _ => {
                let mut p = problem(
                    &src,
                    key.span,
                    format!("unknown key `{name}` in the config"),
                )
                .label("unknown key");
                p = p.help(match suggest(name, keys::names(CONFIG_KEYS)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "known keys: {}",
                        keys::names(CONFIG_KEYS).collect::<Vec<_>>().join(", ")
                    ),
                });
                problems.push(p);
            }
        }
    }
    if problems.is_empty() {
        Ok(config)
    } else {
        Err(LoadErrors { problems })
    }
}

fn strings(
    value: &Yaml,
    src: &SourceText,
    problems: &mut Vec<Problem>,
    what: &str,
) -> Vec<(String, SourceSpan)> {
    match &value.value {
        YamlValue::Seq(items) => items
            .iter()
            .filter_map(|item| match item.as_str() {
                Some(s) => Some((s.to_owned(), item.span)),
                None => {
                    problems.push(problem(
                        src,
                        item.span,
                        format!("expected {what} (a string), found {}", item.kind()),
                    ));
                    None
                }
            })
            .collect(),
        YamlValue::String(s) => vec![(s.clone(), value.span)],
        YamlValue::Null => Vec::new(),
        _ => {
            problems.push(problem(
                src,
                value.span,
                format!("expected a list of {what}s, found {}", value.kind()),
            ));
            Vec::new()
        }
    }
}

/// `redact:`: a list of `{path, kind}`.
fn redact(value: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> Vec<RedactEntry> {
    let shape = "a `redact:` entry is `{path: /extensions/*/contact/nickname, kind: name}`";
    let items: &[Yaml] = match &value.value {
        YamlValue::Seq(items) => items,
        YamlValue::Null => return Vec::new(),
        _ => {
            problems.push(problem(src, value.span, "`redact` is a list").help(shape));
            return Vec::new();
        }
    };
    let mut entries = Vec::new();
    for item in items {
        let field = |name: &str| {
            item.as_map()
                .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some(name)))
                .and_then(|(_, v)| v.as_str())
        };
        let unknown = item.as_map().and_then(|m| {
            m.iter()
                .find(|(k, _)| !matches!(k.as_str(), Some("path" | "kind")))
        });
        match (field("path"), field("kind"), unknown) {
            (_, _, Some((key, _))) => problems.push(
                problem(
                    src,
                    key.span,
                    "a `redact:` entry has `path` and `kind` only",
                )
                .label("unknown key")
                .help(shape),
            ),
            (Some(path), Some(kind), None)
                if path.starts_with('/') && REDACT_KINDS.contains(&kind) =>
            {
                entries.push(RedactEntry {
                    path: path.to_owned(),
                    kind: kind.to_owned(),
                    span: item.span,
                });
            }
            (_, Some(kind), None) if !REDACT_KINDS.contains(&kind) => problems.push(
                problem(src, item.span, format!("unknown redaction kind `{kind}`"))
                    .label("unknown kind")
                    .help(format!("the kinds are {}", REDACT_KINDS.join(", "))),
            ),
            _ => problems.push(problem(src, item.span, shape).label("not a redact entry")),
        }
    }
    entries
}

fn limits(value: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> crate::eval::Limits {
    let mut limits = crate::eval::Limits::default();
    let Some(members) = value.as_map() else {
        if !matches!(value.value, YamlValue::Null) {
            problems.push(problem(
                src,
                value.span,
                "`limits` is a mapping: `{steps: N, ruleSteps: N}`",
            ));
        }
        return limits;
    };
    for (key, value) in members {
        let name = key.as_str().unwrap_or_default();
        match name {
            "steps" | "ruleSteps" => match value.to_json().as_u64().filter(|n| *n > 0) {
                Some(n) if name == "steps" => limits.steps = n,
                Some(n) => limits.rule_steps = n,
                None => problems.push(
                    problem(
                        src,
                        value.span,
                        format!("`limits.{name}` is a positive whole number"),
                    )
                    .label("not a positive integer"),
                ),
            },
            _ => {
                let mut p = problem(src, key.span, format!("unknown key `{name}` in `limits`"))
                    .label("unknown key");
                p = p.help(match suggest(name, keys::names(LIMIT_KEYS)) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!(
                        "known keys: {}",
                        keys::names(LIMIT_KEYS).collect::<Vec<_>>().join(", ")
                    ),
                });
                problems.push(p);
            }
        }
    }
    limits
}

fn severities(
    value: &Yaml,
    src: &SourceText,
    problems: &mut Vec<Problem>,
) -> Vec<(String, SourceSpan, Severity)> {
    let Some(members) = value.as_map() else {
        if !matches!(value.value, YamlValue::Null) {
            problems.push(problem(
                src,
                value.span,
                "`severity` maps rule ids to error, warning or info",
            ));
        }
        return Vec::new();
    };
    members
        .iter()
        .filter_map(
            |(id, level)| match level.as_str().and_then(Severity::parse) {
                Some(severity) => Some((
                    id.as_str().unwrap_or_default().to_owned(),
                    id.span,
                    severity,
                )),
                None => {
                    problems.push(
                        problem(src, level.span, "a severity is error, warning or info")
                            .label("not a severity"),
                    );
                    None
                }
            },
        )
        .collect()
}

impl Config {
    /// The load options this config asks for.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            params: self.params.clone(),
            disabled: self
                .disable
                .iter()
                .map(|(id, _)| id.clone())
                .collect::<BTreeSet<_>>(),
            severities: self
                .severity
                .iter()
                .map(|(id, _, s)| (id.clone(), *s))
                .collect::<BTreeMap<_, _>>(),
            limits: self.limits,
            params_source: self
                .src
                .clone()
                .zip(self.params_yaml.clone())
                .map(|(src, value)| crate::load::ParamsSource { src, value }),
        }
    }

    /// Problems with names the config uses that the rules do not have: rule
    /// ids in `disable` and `severity`, packs in `packs`.
    pub fn check_names(&self, rules: &RuleSet, packs: &[&str]) -> Vec<Problem> {
        let Some(src) = &self.src else {
            return Vec::new();
        };
        let mut problems = Vec::new();
        let ids = || rules.rules.iter().map(|r| r.id.as_str());
        for (id, span) in self
            .disable
            .iter()
            .map(|(id, span)| (id, span))
            .chain(self.severity.iter().map(|(id, span, _)| (id, span)))
        {
            if rules.rule(id).is_none() {
                let mut p =
                    problem(src, *span, format!("no rule has the id `{id}`")).label("unknown rule");
                p = p.help(match suggest(id, ids()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "`rcaudit rules` lists the rule ids".to_owned(),
                });
                problems.push(p);
            }
        }
        for (pack, span) in self.packs.iter().flatten() {
            if !packs.contains(&pack.as_str()) {
                problems.push(
                    problem(src, *span, format!("no built-in pack is named `{pack}`"))
                        .label("unknown pack")
                        .help(format!("built-in packs: {}", packs.join(", "))),
                );
            }
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let config = parse(
            "rcaudit.yaml",
            "packs: [core]\nrules: [./more]\ndisable: [RC-SN-002]\nseverity: {RC-PN-007: error}\nparams: {maxForwardingNumbers: 12}\nfailOn: warning\n",
        )
        .expect("valid");
        assert_eq!(config.packs.as_ref().map(Vec::len), Some(1));
        assert_eq!(config.rules[0].0, "./more");
        let options = config.load_options();
        assert!(options.disabled.contains("RC-SN-002"));
        assert_eq!(options.severities.get("RC-PN-007"), Some(&Severity::Error));
        assert_eq!(
            options.params,
            Some(serde_json::json!({"maxForwardingNumbers": 12}))
        );
        assert_eq!(config.fail_on.as_deref(), Some("warning"));
    }

    #[test]
    fn reads_limits() {
        let config = parse("rcaudit.yaml", "limits: {steps: 5, ruleSteps: 7}\n").expect("valid");
        let limits = config.load_options().limits;
        assert_eq!((limits.steps, limits.rule_steps), (5, 7));
        let errors =
            parse("rcaudit.yaml", "limits: {step: 5, ruleSteps: -1}\n").expect_err("invalid");
        let messages: Vec<(&str, Option<&str>)> = errors
            .problems
            .iter()
            .map(|p| (p.message.as_str(), p.help.as_deref()))
            .collect();
        assert_eq!(
            messages,
            [
                (
                    "unknown key `step` in `limits`",
                    Some("did you mean `steps`?")
                ),
                ("`limits.ruleSteps` is a positive whole number", None),
            ]
        );
    }

    #[test]
    fn reports_every_problem() {
        let errors = parse(
            "rcaudit.yaml",
            "pack: [core]\ndisable: RC-1\nseverity: {RC-1: loud}\nfailOn: sometimes\n",
        )
        .expect_err("invalid");
        let messages: Vec<&str> = errors.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(errors.problems.len(), 3, "{messages:?}");
        assert!(errors.problems[0].help.as_deref() == Some("did you mean `packs`?"));
    }
}
