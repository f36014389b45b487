//! The structure walk: a rule file's top level (`rules:`, `facts:`,
//! `params:`), each rule's keys checked against [`crate::keys::RULE_KEYS`]
//! (unknown and missing keys), fact names and parameter entries collected
//! for the later passes.

use std::sync::Arc;

use rcaudit_model::SourceText;

use super::names::is_identifier;
use super::{Loader, RawFact, RawParam, RawRule, RuleFile};
use crate::keys::{self, FILE_KEYS, Key, RULE_KEYS};
use crate::problem::{Problem, ProblemCode};
use crate::suggest::suggest;
use crate::yaml::{self, Yaml, YamlValue};

impl Loader<'_> {
    pub(super) fn file(&mut self, file: &RuleFile) {
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

    pub(super) fn unknown_key(
        &mut self,
        key: &Yaml,
        name: &str,
        known: &'static [Key],
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
        problem = match suggest(name, keys::names(known)) {
            Some(s) => problem.help(format!("did you mean `{s}`?")),
            None => problem.help(format!(
                "known keys: {}",
                keys::names(known).collect::<Vec<_>>().join(", ")
            )),
        };
        self.problems.push(problem);
    }

    pub(super) fn rule_list(&mut self, value: &Yaml, src: &SourceText, pack: &Arc<str>) {
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
                if keys::find(RULE_KEYS, name).is_some() {
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
            let missing: Vec<&str> = RULE_KEYS
                .iter()
                .filter(|k| k.required && raw.get(k.name).is_none())
                .map(|k| k.name)
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

    pub(super) fn fact_map(&mut self, value: &Yaml, src: &SourceText) {
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

    pub(super) fn param_map(&mut self, value: &Yaml, src: &SourceText) {
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
}
