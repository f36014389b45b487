//! One rule, field by field: id, severity, title, docs, targets, the
//! expressions and the message, `at`, `requires`, `coveredBy` and
//! `extraFields`, into a [`Rule`].

use std::collections::HashMap;
use std::sync::Arc;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use super::facts::{facts_used, implied_requirements};
use super::names::{is_field_name, is_location, is_rule_id};
use super::scope::{SNAPSHOT_KEYS, Scope};
use super::spans::Shifted;
use super::{Loader, RawRule};
use crate::expr::Expression;
use crate::problem::{Problem, ProblemCode};
use crate::rule::{At, Docs, Fact, Origin, Requirement, Rule, Severity, Target};
use crate::suggest::suggest;
use crate::template::Template;
use crate::yaml::{Yaml, YamlValue};

impl Loader<'_> {
    pub(super) fn rule(
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

    pub(super) fn rule_id(
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

    pub(super) fn severity(&mut self, v: &Yaml, src: &SourceText) -> Option<Severity> {
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

    pub(super) fn docs(&mut self, raw: &RawRule, src: &SourceText) -> Docs {
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

    pub(super) fn targets(&mut self, v: &Yaml, src: &SourceText) -> Vec<Target> {
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

    pub(super) fn message(
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

    pub(super) fn at(
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

    pub(super) fn requirements(
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

    pub(super) fn requirement(
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
    pub(super) fn covered_by(
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

    pub(super) fn extra_fields(&mut self, v: &Yaml, src: &SourceText) -> Vec<String> {
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
}
