//! Rule cases: a snapshot fragment and the findings a rule must give on it.
//!
//! Cases live next to the rule they test, under its `cases:` key:
//!
//! ```yaml
//! cases:
//!   - name: toll-free main, toll-free additional
//!     snapshot: {phoneNumbers: [...]}        # merged over a minimal snapshot
//!     findings: [/phoneNumbers/1/paymentType] # pointers of this rule's findings
//!     notEvaluated: CMN-401                   # optional: a words of the reason
//! ```
//!
//! or in case files of their own (`tests/cases/*.yaml`) that run several
//! rules and state every finding, not-evaluated entry and rule error:
//!
//! ```yaml
//! name: ...
//! rules: [...]          # optional inline rules; default: the built-in packs
//! only: [RC-PN-003]     # optional: the rules to run
//! params: {...}         # optional parameter overrides
//! snapshot: {...}
//! expect:
//!   findings: [{rule: RC-PN-003, pointer: /phoneNumbers/1/paymentType}]
//!   notEvaluated: [{rule: RC-PN-001, reason: non-administrator}]
//!   ruleErrors: []
//! ```
//!
//! Both go through one runner, [`run`], which loads the snapshot the way
//! `rcaudit check` does (schema included), so a case is an end-to-end check
//! of the rule, not of the engine's internals.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use miette::SourceSpan;
use rcaudit_model::SourceText;

use crate::eval::{Outcome, evaluate};
use crate::keys::{self, CASE_FILE_KEYS, CASE_KEYS, EXPECT_KEYS, Key};
use crate::load::{LoadOptions, RuleFile, load};
use crate::problem::{LoadErrors, Problem, ProblemCode};
use crate::rule::RuleSet;
use crate::yaml::{self, Yaml, YamlValue};

/// The snapshot every case starts from; a case's `snapshot` keys replace
/// these top-level keys (`null` removes one).
pub fn base_snapshot() -> serde_json::Value {
    serde_json::json!({
        "snapshotVersion": 1,
        "capturedAt": "2026-01-01T00:00:00Z",
        "source": {
            "server": "https://platform.ringcentral.com",
            "generator": "rcaudit test",
            "viewer": {"accountId": "1", "extensionId": "1", "admin": true, "scope": "ReadAccounts"}
        },
        "account": {
            "id": 1,
            "uri": "https://platform.ringcentral.com/restapi/v1.0/account/1",
            "serviceInfo": {"servicePlan": {"name": "RingEX Core"}}
        }
    })
}

/// What a case expects.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// `(rule id, pointer, message)`; `None` when the case does not say.
    pub findings: Option<Vec<(String, String, Option<String>)>>,
    /// `(rule id, words of the reason)`.
    pub not_evaluated: Option<Vec<(String, String)>>,
    /// `(rule id, words of the message)`.
    pub rule_errors: Option<Vec<(String, String)>>,
}

/// One case, ready to run.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case's name (what it shows).
    pub name: String,
    /// The rule it belongs to (cases kept with a rule).
    pub rule: Option<String>,
    /// The rules to run; empty means all.
    pub only: Vec<String>,
    /// Inline rules (case files only).
    pub rules: Option<String>,
    /// Parameter overrides for the case.
    pub params: Option<serde_json::Value>,
    /// `params` as written, checked against the declared parameters.
    pub params_yaml: Option<Yaml>,
    /// The snapshot the rules run on: the case's keys merged over [`base_snapshot`].
    pub snapshot: serde_json::Value,
    /// What the rules must give.
    pub expect: Expect,
    /// The file the case is in.
    pub src: SourceText,
    /// Where the case is in it.
    pub span: SourceSpan,
}

/// The result of running a case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case's name.
    pub name: String,
    /// `file:line` of the case.
    pub location: String,
    /// Whether the rules gave exactly what the case expects.
    pub passed: bool,
    /// Expected vs actual, line by line (`-` expected only, `+` actual only).
    pub diff: String,
}

/// Cases kept with the rules of `files` (under each rule's `cases:`).
pub fn rule_cases(files: &[RuleFile]) -> Result<Vec<Case>, LoadErrors> {
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for file in files {
        let src = SourceText::new(file.name.clone(), file.text.clone());
        let Ok(doc) = yaml::parse(&file.text) else {
            continue;
        };
        let Some(rules) = doc.get("rules").and_then(Yaml::as_seq) else {
            continue;
        };
        for rule in rules {
            let Some(id) = rule.get("id").and_then(Yaml::as_str) else {
                continue;
            };
            let Some(list) = rule.get("cases").and_then(Yaml::as_seq) else {
                continue;
            };
            for case in list {
                match rule_case(case, id, &src) {
                    Ok(c) => cases.push(c),
                    Err(p) => problems.extend(p),
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(LoadErrors { problems })
    }
}

fn problem(src: &SourceText, span: SourceSpan, message: impl Into<String>) -> Problem {
    Problem::error(ProblemCode::Cases, src, span, message)
}

fn check_keys(node: &Yaml, known: &'static [Key], src: &SourceText, problems: &mut Vec<Problem>) {
    for (key, _) in node.as_map().unwrap_or_default() {
        let name = key.as_str().unwrap_or_default();
        if keys::find(known, name).is_none() {
            let mut p = problem(src, key.span, format!("unknown key `{name}` in a case"))
                .label("unknown key");
            if let Some(s) = crate::suggest::suggest(name, keys::names(known)) {
                p = p.help(format!("did you mean `{s}`?"));
            }
            problems.push(p);
        }
    }
}

fn rule_case(node: &Yaml, rule: &str, src: &SourceText) -> Result<Case, Vec<Problem>> {
    let mut problems = Vec::new();
    check_keys(node, CASE_KEYS, src, &mut problems);
    let name = node.get("name").and_then(Yaml::as_str).map(str::to_owned);
    if name.is_none() {
        problems.push(problem(src, node.span, "a case needs a `name`"));
    }
    let snapshot = snapshot_of(node, src, &mut problems);
    let findings = match node.get("findings") {
        None => Some(Vec::new()),
        Some(list) => Some(
            list.as_seq()
                .unwrap_or_default()
                .iter()
                .filter_map(|f| match &f.value {
                    YamlValue::String(pointer) => Some((rule.to_owned(), pointer.clone(), None)),
                    YamlValue::Map(_) => Some((
                        rule.to_owned(),
                        f.get("pointer")
                            .and_then(Yaml::as_str)
                            .unwrap_or_default()
                            .to_owned(),
                        f.get("message").and_then(Yaml::as_str).map(str::to_owned),
                    )),
                    _ => {
                        problems.push(problem(
                            src,
                            f.span,
                            "a finding is a JSON pointer or {pointer, message}",
                        ));
                        None
                    }
                })
                .collect(),
        ),
    };
    let not_evaluated = Some(match node.get("notEvaluated").map(|n| &n.value) {
        None | Some(YamlValue::Bool(false) | YamlValue::Null) => Vec::new(),
        Some(YamlValue::String(words)) => vec![(rule.to_owned(), words.clone())],
        Some(YamlValue::Bool(true)) => vec![(rule.to_owned(), String::new())],
        Some(_) => {
            problems.push(problem(
                src,
                node.span,
                "`notEvaluated` is words of the reason, or true/false",
            ));
            Vec::new()
        }
    });
    let rule_errors = Some(match node.get("ruleErrors").map(|n| &n.value) {
        None | Some(YamlValue::Null) => Vec::new(),
        Some(YamlValue::String(words)) => vec![(rule.to_owned(), words.clone())],
        Some(_) => {
            problems.push(problem(
                src,
                node.span,
                "`ruleErrors` is words of the error message",
            ));
            Vec::new()
        }
    });
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Case {
        name: name.unwrap_or_default(),
        rule: Some(rule.to_owned()),
        only: vec![rule.to_owned()],
        rules: None,
        params: node.get("params").map(Yaml::to_json),
        params_yaml: node.get("params").cloned(),
        snapshot,
        expect: Expect {
            findings,
            not_evaluated,
            rule_errors,
        },
        src: src.clone(),
        span: node.span,
    })
}

fn snapshot_of(node: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> serde_json::Value {
    let mut snapshot = base_snapshot();
    match node.get("snapshot") {
        Some(s) if s.as_map().is_some() => {
            if let (Some(base), serde_json::Value::Object(over)) =
                (snapshot.as_object_mut(), s.to_json())
            {
                for (k, v) in over {
                    if v.is_null() {
                        base.remove(&k);
                    } else {
                        base.insert(k, v);
                    }
                }
            }
        }
        Some(s) => problems.push(problem(
            src,
            s.span,
            "`snapshot` is a mapping of top-level snapshot keys",
        )),
        None => problems.push(problem(src, node.span, "a case needs a `snapshot`")),
    }
    snapshot
}

/// Cases of a case file (`tests/cases/*.yaml`): one case per file, or a
/// list under `cases:`.
pub fn file_cases(file: &RuleFile) -> Result<Vec<Case>, LoadErrors> {
    let src = SourceText::new(file.name.clone(), file.text.clone());
    let doc = yaml::parse(&file.text).map_err(|e| LoadErrors {
        problems: vec![problem(&src, e.span, e.headline(&file.name)).label(e.message)],
    })?;
    let nodes: Vec<&Yaml> = match doc.get("cases").and_then(Yaml::as_seq) {
        Some(list) => list.iter().collect(),
        None => vec![&doc],
    };
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for node in nodes {
        check_keys(node, CASE_FILE_KEYS, &src, &mut problems);
        let name = node
            .get("name")
            .and_then(Yaml::as_str)
            .map_or_else(|| file.name.clone(), str::to_owned);
        let snapshot = snapshot_of(node, &src, &mut problems);
        // Inline rules: a list of rules, or a whole rule file (rules, facts, params).
        let rules = node.get("rules").map(|r| match r.value {
            YamlValue::Map(_) => r.to_json().to_string(),
            _ => serde_json::json!({ "rules": r.to_json() }).to_string(),
        });
        let only = node
            .get("only")
            .and_then(Yaml::as_seq)
            .map(|l| {
                l.iter()
                    .filter_map(Yaml::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let expect = if let Some(e) = node.get("expect") {
            expectations(e, &src, &mut problems)
        } else {
            problems.push(problem(&src, node.span, "a case file needs `expect:`"));
            Expect::default()
        };
        cases.push(Case {
            name,
            rule: None,
            only,
            rules,
            params: node.get("params").map(Yaml::to_json),
            params_yaml: node.get("params").cloned(),
            snapshot,
            expect,
            src: src.clone(),
            span: node.span,
        });
    }
    if problems.is_empty() {
        Ok(cases)
    } else {
        Err(LoadErrors { problems })
    }
}

/// The `expect:` of a case file.
fn expectations(e: &Yaml, src: &SourceText, problems: &mut Vec<Problem>) -> Expect {
    check_keys(e, EXPECT_KEYS, src, problems);
    let field = |f: &Yaml, name: &str| {
        f.get(name)
            .and_then(Yaml::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    // A list given as anything else would lose its expectations in
    // silence (a map of one finding read as no findings): refuse it.
    for key in ["findings", "notEvaluated", "ruleErrors"] {
        if let Some(l) = e.get(key)
            && l.as_seq().is_none()
        {
            problems.push(problem(
                src,
                l.span,
                format!("`{key}` is a list (`[]` for none)"),
            ));
        }
    }
    let pairs = |key: &str, text: &str| {
        e.get(key).map(|l| {
            l.as_seq()
                .unwrap_or_default()
                .iter()
                .map(|f| (field(f, "rule"), field(f, text)))
                .collect()
        })
    };
    Expect {
        findings: e.get("findings").map(|l| {
            l.as_seq()
                .unwrap_or_default()
                .iter()
                .map(|f| {
                    (
                        field(f, "rule"),
                        field(f, "pointer"),
                        f.get("message").and_then(Yaml::as_str).map(str::to_owned),
                    )
                })
                .collect()
        }),
        not_evaluated: pairs("notEvaluated", "reason"),
        // A case file states every rule error: none stated is none
        // expected, so a rule that fails on every item fails the case.
        rule_errors: pairs("ruleErrors", "message").or_else(|| Some(Vec::new())),
    }
}

/// Runs cases, loading each distinct rule set (files, inline rules,
/// parameters) once.
#[derive(Debug)]
pub struct Runner<'f> {
    files: &'f [RuleFile],
    loaded: HashMap<(Option<String>, String), Result<RuleSet, String>>,
}

impl<'f> Runner<'f> {
    /// A runner for cases that may use the rules of `files`.
    pub fn new(files: &'f [RuleFile]) -> Runner<'f> {
        Runner {
            files,
            loaded: HashMap::new(),
        }
    }

    fn rules(&mut self, case: &Case, location: &str) -> Result<RuleSet, String> {
        let key = (
            case.rules.clone(),
            case.params
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
        let files = self.files;
        self.loaded
            .entry(key)
            .or_insert_with(|| {
                let mut all = files.to_vec();
                if let Some(inline) = &case.rules {
                    all.push(RuleFile {
                        name: format!("{location} (inline rules)"),
                        text: inline.clone(),
                        pack: "case".to_owned(),
                    });
                }
                let options = LoadOptions {
                    params: case.params.clone(),
                    params_source: case.params_yaml.clone().map(|value| {
                        crate::load::ParamsSource {
                            src: case.src.clone(),
                            value,
                        }
                    }),
                    ..LoadOptions::default()
                };
                load(&all, &options)
                    .map(|(rules, _)| rules)
                    .map_err(|errors| {
                        format!(
                            "the rules do not load: {}",
                            errors
                                .errors()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    })
            })
            .clone()
    }

    /// Runs one case.
    pub fn run(&mut self, case: &Case) -> CaseResult {
        let location = format!(
            "{}:{}",
            case.src.name(),
            case.src.line_col(case.span.offset()).line
        );
        let result = |diff: String| CaseResult {
            name: case.name.clone(),
            location: location.clone(),
            passed: diff.is_empty(),
            diff,
        };
        let mut rules = match self.rules(case, &location) {
            Ok(rules) => rules,
            Err(message) => return result(message),
        };
        if !case.only.is_empty() {
            if let Some(missing) = case.only.iter().find(|id| rules.rule(id).is_none()) {
                return result(format!("no rule has the id `{missing}`"));
            }
            for rule in &mut rules.rules {
                rule.enabled = case.only.contains(&rule.id);
            }
        }
        let text = serde_json::to_string_pretty(&case.snapshot).unwrap_or_default();
        let snapshot = match rcaudit_model::load_str("case snapshot", text) {
            Ok(s) => s,
            Err(error) => {
                let detail = match &error {
                    rcaudit_model::LoadError::Schema { related, .. } => related
                        .iter()
                        .map(|p| format!("{}: {}", p.pointer, p.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    other => other.to_string(),
                };
                return result(format!(
                    "the case's snapshot does not load: {error}: {detail}"
                ));
            }
        };
        let outcome = evaluate(&rules, snapshot.root());
        result(compare(&case.expect, &outcome))
    }
}

/// Runs one case against `files` (the rules it may use).
pub fn run(case: &Case, files: &[RuleFile]) -> CaseResult {
    Runner::new(files).run(case)
}

fn compare(expect: &Expect, outcome: &Outcome) -> String {
    let mut diff = String::new();
    if let Some(findings) = &expect.findings {
        let want: BTreeSet<String> = findings
            .iter()
            .map(|(rule, pointer, message)| match message {
                Some(m) => format!("finding {rule} at {pointer}: {m}"),
                None => format!("finding {rule} at {pointer}"),
            })
            .collect();
        let with_message: BTreeSet<(&str, &str)> = findings
            .iter()
            .filter(|f| f.2.is_some())
            .map(|(r, p, _)| (r.as_str(), p.as_str()))
            .collect();
        let got: BTreeSet<String> = outcome
            .findings
            .iter()
            .map(|f| {
                if with_message.contains(&(f.rule_id.as_str(), f.pointer.as_str())) {
                    format!("finding {} at {}: {}", f.rule_id, f.pointer, f.message)
                } else {
                    format!("finding {} at {}", f.rule_id, f.pointer)
                }
            })
            .collect();
        let counts_match = findings.len() == outcome.findings.len();
        lines(&mut diff, &want, &got);
        if diff.is_empty() && !counts_match {
            let _ = writeln!(
                diff,
                "expected {} findings, got {} (some pointer repeats)",
                findings.len(),
                outcome.findings.len()
            );
        }
    }
    if let Some(entries) = &expect.not_evaluated {
        matches(
            &mut diff,
            "not evaluated",
            entries,
            outcome
                .not_evaluated
                .iter()
                .map(|n| (&n.rule_id, &n.reason)),
        );
    }
    if let Some(entries) = &expect.rule_errors {
        matches(
            &mut diff,
            "rule error",
            entries,
            outcome.rule_errors.iter().map(|e| (&e.rule_id, &e.message)),
        );
    }
    diff
}

fn lines(diff: &mut String, want: &BTreeSet<String>, got: &BTreeSet<String>) {
    for line in want.difference(got) {
        let _ = writeln!(diff, "- {line}");
    }
    for line in got.difference(want) {
        let _ = writeln!(diff, "+ {line}");
    }
}

/// Each expected `(rule, words)` must match one actual entry of that rule
/// whose text contains the words, and every actual entry must be expected.
fn matches<'a>(
    diff: &mut String,
    what: &str,
    expected: &[(String, String)],
    actual: impl Iterator<Item = (&'a String, &'a String)>,
) {
    let mut actual: Vec<(&String, &String, bool)> = actual.map(|(r, t)| (r, t, false)).collect();
    for (rule, words) in expected {
        match actual
            .iter_mut()
            .find(|(r, t, used)| !*used && *r == rule && t.contains(words.as_str()))
        {
            Some(entry) => entry.2 = true,
            None => {
                let _ = writeln!(diff, "- {what} {rule}: …{words}…");
            }
        }
    }
    for (rule, text, used) in actual {
        if !used {
            let _ = writeln!(diff, "+ {what} {rule}: {text}");
        }
    }
}
