//! Scope and data-model checks: the variables, facts and parameters an
//! expression reads must exist where it is used, the fields it reads must
//! be in the snapshot schema (or declared in `extraFields`), and a per-item
//! rule that walks a whole list is warned about.

use std::collections::{BTreeSet, HashMap};

use rcaudit_model::SourceText;

use super::Loader;
use super::spans::{Shifted, span_in_scalar};
use crate::datamodel::{self, Resolution};
use crate::expr::Expression;
use crate::problem::{Problem, ProblemCode};
use crate::rule::Target;
use crate::suggest::suggest;
use crate::yaml::Yaml;

impl Loader<'_> {
    /// `at` names a field of the item, or a JSON pointer into the snapshot:
    /// either must exist in the snapshot schema (or be declared in
    /// `extraFields`), as fields read by expressions must.
    pub(super) fn check_at(&mut self, text: &str, v: &Yaml, src: &SourceText, scope: Scope<'_>) {
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

    /// Rejects fields the snapshot schema does not define (unless declared
    /// in `extraFields`), and warns when a per-item rule walks a whole list.
    pub(super) fn check_model(
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

    pub(super) fn check_variables(
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

    pub(super) fn check_variables_at(
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

/// Variables every expression may read.
pub(super) const GLOBAL_VARIABLES: &[&str] = &[
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
pub(super) const ITEM_VARIABLES: &[&str] = &["item", "index", "target"];

/// Names CEL resolves to type values; not variables.
pub(super) const TYPE_NAMES: &[&str] = &[
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

/// The top-level keys of a snapshot, which `requires` paths start from.
pub(super) const SNAPSHOT_KEYS: &[&str] = &[
    "snapshotVersion",
    "capturedAt",
    "source",
    "account",
    "serviceInfo",
    "phoneNumbers",
    "extensions",
    "errors",
];

/// What an expression may read, and what it is checked against.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scope<'a> {
    /// `item`, `index`, `target` are bound (rules, not facts).
    pub(super) item: bool,
    /// `extension` is bound (per-extension targets).
    pub(super) extension: bool,
    /// The rule's targets, for the types of `item`.
    pub(super) targets: &'a [Target],
    /// Fields the rule declares beyond the schema (`item.newField`).
    pub(super) extra: &'a [String],
}
