//! `rcaudit rules` and `rcaudit explain` (a rule's or a function's
//! documentation, or what a problem code means; without a name, the list of
//! rules and functions).

use std::fmt::Write as _;

use rcaudit_rules::FUNCTIONS;
use rcaudit_rules::{ProblemCode, Requirement, Rule};
use serde::Serialize;

use crate::Exit;
use crate::cli::{ExplainArgs, Global, ListFormat, RulesArgs};
use crate::failure::Failure;
use crate::output::{self, Style};
use crate::setup;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RuleEntry<'a> {
    id: &'a str,
    name: &'a str,
    severity: &'static str,
    title: &'a str,
    pack: &'a str,
    enabled: bool,
    targets: Vec<&'static str>,
    requires: Vec<String>,
    description: &'a str,
}

pub fn list(args: &RulesArgs, global: &Global) -> Result<Exit, Failure> {
    let setup = setup::load(&args.source, &Style::stderr(global.color))?;
    let rules = &setup.rules.rules;
    match args.format {
        ListFormat::Json => {
            let entries: Vec<RuleEntry<'_>> = rules
                .iter()
                .map(|r| RuleEntry {
                    id: &r.id,
                    name: &r.name,
                    severity: r.severity.as_str(),
                    title: &r.title,
                    pack: &r.pack,
                    enabled: r.enabled,
                    targets: r.targets.iter().map(|t| t.as_str()).collect(),
                    requires: r.requires.iter().map(ToString::to_string).collect(),
                    description: &r.docs.description,
                })
                .collect();
            let mut text = serde_json::to_string_pretty(&entries).unwrap_or_default();
            text.push('\n');
            output::print_document(&text);
        }
        ListFormat::Human => {
            let width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut text = String::new();
            for rule in rules {
                let off = if rule.enabled { "" } else { " (disabled)" };
                let _ = writeln!(
                    text,
                    "{:<width$}  {:<7}  {}{off}",
                    rule.id,
                    rule.severity.as_str(),
                    rule.title
                );
            }
            let enabled = rules.iter().filter(|r| r.enabled).count();
            let _ = writeln!(
                text,
                "\n{} rules, {enabled} enabled. `rcaudit explain ID` shows one.",
                rules.len()
            );
            output::print_plain(&text);
        }
    }
    Ok(Exit::Clean)
}

/// Wraps prose to `width` columns, indented.
fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && indent.len() + line.len() + 1 + word.len() > width {
            let _ = writeln!(out, "{indent}{line}");
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{line}");
    }
    out
}

/// A rule's documentation as text.
pub fn explain_rule(rule: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {}  ({}, pack {})",
        rule.id, rule.name, rule.severity, rule.pack
    );
    let _ = writeln!(out, "{}\n", rule.title);
    let section = |out: &mut String, heading: &str, body: &str| {
        if !body.is_empty() {
            let _ = writeln!(out, "{heading}");
            out.push_str(&wrap(body, "  ", 80));
            out.push('\n');
        }
    };
    section(&mut out, "What it checks", &rule.docs.description);
    section(
        &mut out,
        "Why it matters",
        rule.docs.why.as_deref().unwrap_or_default(),
    );
    section(
        &mut out,
        "How to fix it",
        rule.docs.fix.as_deref().unwrap_or_default(),
    );
    if !rule.docs.references.is_empty() {
        let _ = writeln!(out, "References");
        for reference in &rule.docs.references {
            let _ = writeln!(out, "  {reference}");
        }
        out.push('\n');
    }
    let targets: Vec<&str> = rule.targets.iter().map(|t| t.as_str()).collect();
    let requires: Vec<String> = rule
        .requires
        .iter()
        .map(|r| match r {
            Requirement::Admin => "admin (an administrator's snapshot)".to_owned(),
            Requirement::PlanClass => "planClass (a known plan class)".to_owned(),
            other => other.to_string(),
        })
        .collect();
    let _ = writeln!(out, "Checks:   {}", targets.join(", "));
    if !requires.is_empty() {
        let _ = writeln!(
            out,
            "Requires: {} (else: not evaluated)",
            requires.join(", ")
        );
    }
    if let Some(when) = &rule.when {
        let _ = writeln!(out, "When:     {}", when.source.trim());
    }
    let _ = writeln!(out, "Assert:   {}", rule.assert.source.trim());
    let at = rule.origin.src.line_col(rule.origin.span.offset());
    let _ = writeln!(out, "Defined:  {}:{}", rule.origin.src.name(), at.line);
    out
}

/// The first sentence of a text (a function's summary).
fn first_sentence(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match text.find(". ") {
        Some(end) => text.get(..=end).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// `text` cut at a word to at most `max` characters, with `...` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        if out.chars().count() + word.chars().count() + 4 > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out.push_str(" ...");
    out
}

/// `rcaudit explain` without a name: what there is to explain.
fn index(args: &ExplainArgs, style: &Style) -> Result<Exit, Failure> {
    let setup = setup::load(&args.source, style)?;
    let rules = &setup.rules.rules;
    let width = rules
        .iter()
        .map(|r| r.id.len())
        .chain(FUNCTIONS.iter().map(|f| f.name.len()))
        .max()
        .unwrap_or(0);
    let mut out = String::from("Rules\n");
    for rule in rules {
        let off = if rule.enabled { "" } else { " (disabled)" };
        let _ = writeln!(
            out,
            "  {:<width$}  {:<7}  {}{off}",
            rule.id,
            rule.severity.as_str(),
            rule.title
        );
    }
    out.push_str("\nFunctions (in rule expressions)\n");
    let mut shown: Vec<&str> = Vec::new();
    for function in FUNCTIONS {
        // One line per name: overloads share it.
        if shown.contains(&function.name) {
            continue;
        }
        shown.push(function.name);
        let summary = first_sentence(function.doc);
        let _ = writeln!(
            out,
            "  {:<width$}  {}",
            function.name,
            shorten(&summary, 96 - width)
        );
    }
    out.push_str("\n`rcaudit explain NAME` shows a rule's or a function's documentation.\n");
    output::print_plain(&out);
    Ok(Exit::Clean)
}

pub fn explain(args: &ExplainArgs, global: &Global) -> Result<Exit, Failure> {
    let style = Style::stderr(global.color);
    let Some(name) = &args.name else {
        return index(args, &style);
    };
    // A function, with every form it has (`extensionLabel(ext)` and
    // `extensionLabel(ext, index)` are two entries of the table).
    let forms: Vec<_> = FUNCTIONS.iter().filter(|f| f.name == name).collect();
    if !forms.is_empty() {
        let mut out = String::new();
        for function in forms {
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = write!(out, "{}\n\n", function.signature);
            out.push_str(&wrap(function.doc, "  ", 80));
            out.push_str("\nExamples\n");
            for (expr, result) in function.examples {
                let _ = writeln!(out, "  {expr}  ==  {result}");
            }
        }
        output::print_plain(&out);
        return Ok(Exit::Clean);
    }
    // A problem code, in full (`rcaudit::rules::fact-cycle`): explained
    // without loading the rules, which may be what has the problem.
    if name.contains("::")
        && let Some(code) = ProblemCode::lookup(name)
    {
        output::print_plain(&explain_code(code));
        return Ok(Exit::Clean);
    }
    let setup = setup::load(&args.source, &style)?;
    match setup.rules.rule(name) {
        Some(rule) => {
            output::print_plain(&explain_rule(rule));
            Ok(Exit::Clean)
        }
        None => {
            // A problem code's last segment (`fact-cycle`), when no rule has
            // that id and no other code ends the same way.
            if let Some(code) = ProblemCode::lookup(name) {
                output::print_plain(&explain_code(code));
                return Ok(Exit::Clean);
            }
            let names = setup
                .rules
                .rules
                .iter()
                .map(|r| r.id.as_str())
                .chain(FUNCTIONS.iter().map(|f| f.name));
            let hint = rcaudit_rules::suggest(name, names)
                .map_or_else(String::new, |s| format!(" (did you mean {s}?)"));
            Err(Failure::Message(format!(
                "no rule or function is named `{name}`{hint}; `rcaudit explain` lists them"
            )))
        }
    }
}

/// What a problem code means.
fn explain_code(code: ProblemCode) -> String {
    let mut out = format!("{code}\n\n");
    out.push_str(&wrap(code.description(), "  ", 80));
    out
}
