//! Facts: compiled once, their names checked, their dependencies ordered
//! (a cycle is a problem), and the facts and data each rule reads, for its
//! implied requirements.

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use super::scope::Scope;
use super::{Loader, RawFact};
use crate::expr::Expression;
use crate::problem::{Problem, ProblemCode};
use crate::rule::{Fact, Origin, Requirement};

/// Top-level variables that stand for snapshot data that may be absent.
const DATA_VARIABLES: &[&str] = &["extensions", "phoneNumbers", "serviceInfo"];

impl Loader<'_> {
    pub(super) fn compile_facts(&mut self, params: &serde_json::Value) -> Vec<Fact> {
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

    pub(super) fn visit_fact(
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
}

/// A fact between reading and ordering.
pub(super) struct FactDraft {
    pub(super) raw: RawFact,
    pub(super) expr: Option<Expression>,
    pub(super) deps: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Visit {
    New,
    Visiting,
    Done,
}

/// `facts.X` names read by an expression.
pub(super) fn fact_refs(expr: &Expression) -> impl Iterator<Item = (&String, &Range<usize>)> {
    expr.paths
        .iter()
        .filter(|(path, _)| path.first().map(String::as_str) == Some("facts"))
        .filter_map(|(path, range)| path.get(1).map(|name| (name, range)))
}

pub(super) fn collect_fact(i: usize, facts: &[Fact], used: &mut BTreeSet<usize>) {
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
pub(super) fn facts_used(
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
pub(super) fn implied_requirements(
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
pub(super) fn data_requirements(expr: &Expression) -> Vec<Requirement> {
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
