//! Parameters: declarations (a default, or `{type, default, doc}`) merged
//! across files, conflicts between them, and a config's overrides checked
//! against the declared types.

use std::collections::HashMap;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use super::{LoadOptions, Loader, ParamsSource, RawParam};
use crate::params::{self, ParamType};
use crate::problem::{Problem, ProblemCode};
use crate::suggest::suggest;
use crate::yaml::Yaml;

impl Loader<'_> {
    pub(super) fn merge_params(&mut self, options: &LoadOptions) -> serde_json::Value {
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
    pub(super) fn declaration(&mut self, param: &RawParam) -> Option<(ParamType, Yaml)> {
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
    pub(super) fn check_overrides(
        &mut self,
        source: &ParamsSource,
        declared: &[(String, ParamType)],
    ) {
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
}

pub(super) fn merge_json(base: &mut serde_json::Value, overrides: &serde_json::Value) {
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
