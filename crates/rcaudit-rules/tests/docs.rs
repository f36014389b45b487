//! The documentation under `docs/` stays true to the code, and the
//! repository stands on its own:
//!
//! - `docs/rules.md` (the built-in rule catalogue), `docs/functions.md` (the
//!   domain functions) and the key tables of `docs/writing-rules.md` are
//!   generated from the built-in rules, the function table and the rules
//!   schema; a test fails when a committed copy differs.
//!   `RCAUDIT_UPDATE_DOCS=1 cargo test -p rcaudit-rules --test docs`
//!   rewrites them.
//! - Every relative link in every Markdown file of the repository leads to
//!   a file that exists (and to a heading of it, when it names one).
//! - No file of the repository (outside `fuzz/` and `target/`) refers to
//!   design documents that live outside it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rcaudit_rules::{At, FUNCTIONS};
use rcaudit_rules::{LoadOptions, Rule, RuleSet, builtin, load};

/// Set to rewrite the generated documentation instead of checking it.
const UPDATE: &str = "RCAUDIT_UPDATE_DOCS";

const REGENERATE: &str = "RCAUDIT_UPDATE_DOCS=1 cargo test -p rcaudit-rules --test docs";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn json_file(relative: &str) -> Result<serde_json::Value, String> {
    let text = read(&root().join(relative));
    serde_json::from_str(&text).map_err(|e| format!("{relative}: {e}"))
}

fn builtin_rules() -> Result<RuleSet, String> {
    let files = builtin::files();
    load(&files, &LoadOptions::default())
        .map(|(rules, _)| rules)
        .map_err(|errors| format!("the built-in rules load: {:?}", errors.problems))
}

/// The notice at the top of a generated file.
fn generated_notice(from: &str) -> String {
    format!(
        "<!-- Generated from {from} by crates/rcaudit-rules/tests/docs.rs: do not edit.\n     Regenerate with `{REGENERATE}`. -->\n"
    )
}

/// Text for a Markdown table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

/// Folded YAML text as one paragraph.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------------------
// docs/rules.md

/// Families of rules, by the prefix of their ids.
const FAMILIES: &[(&str, &str)] = &[
    ("RC-PN-", "Phone numbers"),
    ("RC-EX-", "Extensions"),
    ("RC-FW-", "Forwarding and call flip"),
    ("RC-SN-", "Snapshot and access"),
];

fn family(id: &str) -> &'static str {
    FAMILIES
        .iter()
        .find(|(prefix, _)| id.starts_with(prefix))
        .map_or("Other rules", |(_, name)| name)
}

/// How the built-in rules read the cases their tables leave open. Numbered,
/// because case files cite them (`precise semantics #5`); keep the numbers.
const SEMANTICS: &str = r"
## Precise semantics

Where a rule's description leaves room, these readings hold for every
built-in rule. The case files in [`tests/cases/`](../tests/cases/) cite
them by number.

1. **A rule needs the lists it walks.** Extension and forwarding rules are
   not evaluated when `extensions` is absent, and rules over the account's
   phone-number list when the account-level `phoneNumbers` is absent,
   whatever else they require.
2. **Rules about numbers** (RC-PN-006, RC-PN-010, RC-PN-011, RC-PN-012,
   RC-PN-013, RC-FW-003, RC-FW-006) check every list that is present (the account list and each
   extension's) and are not evaluated only when none is. The same number,
   compared without its leading `+`, found in several lists is one finding.
   While the account-level `phoneNumbers` is present and was read in full,
   it holds every number of the account, so extensions without their own
   list hide nothing (the rules' `coveredBy`); without it, each extension
   lacking its list is counted as in 3. RC-PN-006 is the exception: the
   account list's records carry no `features`, which it reads, so it counts
   extensions without their own list in every case. The forwarding rules read only
   forwarding lists, so each extension lacking one is counted. RC-SN-003
   reads phone lists the same way and always counts absent forwarding lists.
3. **Partial coverage.** A rule that cannot see some of its items (an
   extension without `forwardingNumbers`, for a per-extension rule) checks
   the others, reports their findings, **and** adds one *not evaluated*
   entry saying how many it could not check.
4. **Duplicates**: every copy after the first is a finding (three copies,
   two findings), pointing at the copy.
5. **Missing fields**: a record that lacks the field a rule compares, or has
   it `null`, is not checked by that rule, except RC-PN-007, where the
   missing `extension` is the violation itself.
6. **Numbers** are normalised by removing one leading `+` and nothing else.
   E.164 means 8 to 15 ASCII digits, the first not `0`: `18555440014` and
   `+18555440014` are the same valid number, `+1 855-544-0014` is not valid.
   That is the shape; what a number **is** (its region, its type, whether
   it can exist) comes from libphonenumber's metadata (`phoneType`,
   `phoneRegion`, `isValidNumber` in [the functions](functions.md)), read
   by RC-PN-012, RC-PN-013, RC-FW-007 and RC-FW-008. A number that does not
   parse, or is not valid, is no finding of RC-PN-012, RC-FW-007 or
   RC-FW-008, and RC-PN-013 checks only numbers in E.164 shape: a number is
   reported for one defect by one rule.
7. **Plan class** reads only `account.serviceInfo.servicePlan.name`, through
   the parameter [`plans`](#plans) (see `planClass` in
   [the functions](functions.md#planclass)); an absent or empty name is
   `unknown`, and a rule that needs the plan class is then not evaluated.
8. **RC-PN-003** with several main numbers: a finding when the additional
   number's paymentType equals any main number's. An `External` additional
   number differs from both and is no finding.
9. **RC-PN-005**: no main number, no finding (RC-PN-001 reports it);
   several: a finding only if `mainNumber` matches none; `mainNumber`
   absent: not evaluated.
10. **RC-PN-006**: a FaxOnly record without `features` is not checked; any
    feature ending in `SmsSender`, and `MmsSender`, count as SMS.
11. **RC-PN-011**: `FaxOnly`, `VoiceFax` and the guide's spelling
    `VoiceAndFax` are fax-capable.
12. **RC-EX-003** leaves DigitalUser, VirtualUser and FaxUser to RC-EX-002
    and unknown types to RC-EX-008, so no extension is reported twice for
    its type.
13. **RC-EX-005** without `account.id`: not evaluated. **RC-EX-009** without
    `account.operator`: no finding. **RC-EX-008** knows the types in the
    parameter [`extensionTypes`](#extensiontypes); `Unknown` is reported.
14. **RC-FW-005** compares labels exactly (case-sensitive).
15. **RC-SN-001**: `errors` absent means no errors. **RC-SN-002**: `scope`
    may be a space-separated string or a list.
16. **RC-SN-003** looks at each record's own top-level `uri` (extensions,
    phone numbers, forwarding numbers), not nested objects'; `~` counts as
    the snapshot's account; a record `uri` naming another account, or no
    account, is a finding (one per record); without `account.id` or
    `source.viewer.accountId` the rule is not evaluated.
17. **RC-FW-007** and **RC-FW-008** give one finding per extension and
    number (compared without the leading `+`): the fix is made extension by
    extension. **RC-FW-008** needs the account's phone-number list even when
    [`allowedForwardingRegions`](#allowedforwardingregions) is set.
18. **RC-PN-014** checks the account list's `extension.id` against the
    extension list; the company operator (`account.operator.id`) is
    RC-EX-009's. Both need the administrator's view.
";

/// Parameters an expression reads (`params.NAME`).
fn params_of(expr: &rcaudit_rules::Expression, out: &mut BTreeSet<String>) {
    for (path, _) in &expr.paths {
        if path.first().map(String::as_str) == Some("params")
            && let Some(name) = path.get(1)
        {
            out.insert(name.clone());
        }
    }
}

/// Parameters a rule reads, directly or through the facts it uses.
fn params_used(rule: &Rule, rules: &RuleSet) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut exprs: Vec<&rcaudit_rules::Expression> = Vec::new();
    exprs.extend(rule.when.iter());
    exprs.push(&rule.assert);
    exprs.extend(rule.key.iter());
    exprs.extend(rule.fingerprint.iter());
    exprs.extend(rule.message.expressions().map(|(e, _)| e));
    if let Some(At::Template(at)) = &rule.at {
        exprs.extend(at.expressions().map(|(e, _)| e));
    }
    for &i in &rule.facts {
        if let Some(fact) = rules.facts.get(i) {
            exprs.push(&fact.expr);
        }
    }
    for e in exprs {
        params_of(e, &mut out);
    }
    out
}

/// A JSON Schema type in the notation of rule-file parameters.
fn type_name(schema: &serde_json::Value) -> String {
    match schema.get("type").and_then(serde_json::Value::as_str) {
        Some("integer") => "int".to_owned(),
        Some("number") => "number".to_owned(),
        Some("string") => "string".to_owned(),
        Some("boolean") => "bool".to_owned(),
        Some("array") => format!(
            "list({})",
            schema
                .get("items")
                .map_or_else(|| "any".to_owned(), type_name)
        ),
        Some("object") => match schema.get("properties").and_then(|p| p.as_object()) {
            Some(fields) => {
                let fields: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", type_name(v)))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            None => "map".to_owned(),
        },
        _ => "any".to_owned(),
    }
}

fn rules_markdown(rules: &RuleSet, config: &serde_json::Value) -> String {
    let mut out = generated_notice("rules/ (the built-in packs)");
    let count = rules.rules.len();
    let _ = write!(
        out,
        r#"
# Built-in rules

rcaudit carries {count} rules, the pack `core` in [`rules/core/`](../rules/core/),
built into the binary. This page is generated from those files, so it says
what the rules do, not what they were meant to do. `rcaudit rules` lists them
and `rcaudit explain ID` shows one in the terminal.

Ids are stable: waivers, baselines and configs name them, so a rule is never
renamed and an id is never reused.

How to read an entry:

- **Target**: what the rule walks; each item is checked on its own (see
  [Writing rules](writing-rules.md#targets)).
- **Requires**: data that must be in the snapshot for the rule to run,
  declared in the rule or implied by the lists and facts it reads. Without
  it the rule is reported as *not evaluated*, with the reason, and never as
  passed. `admin` means the snapshot was taken by an administrator
  (`source.viewer.admin`); `planClass` means the account's plan class is
  known; `item.X` and `extension.X` skip the items that lack `X` and count
  them in a *not evaluated* entry (see [the snapshot format](snapshot-format.md#unknown-versus-empty)).
  Besides these, a rule needs the lists its target walks (see
  [precise semantics](#precise-semantics) 1 and 2).
- **Parameters**: the pack parameters the rule reads (below), which
  `rcaudit.yaml` can change.

Conventions every rule follows: phone numbers are compared without a
leading `+` (`18555440014` and `+18555440014` are one number); ids are
compared as strings (`123` and `"123"` are one id); a record that lacks the
field a rule compares, or has it `null`, is not checked by that rule unless
the rule says otherwise; when several records repeat a value, every copy
after the first is a finding.

| Rule | Severity | Title |
|---|---|---|
"#
    );
    let mut sorted: Vec<&Rule> = rules.rules.iter().collect();
    sorted.sort_by_key(|r| {
        let family = FAMILIES
            .iter()
            .position(|(prefix, _)| r.id.starts_with(prefix))
            .unwrap_or(FAMILIES.len());
        (family, r.id.clone())
    });
    for rule in &sorted {
        let _ = writeln!(
            out,
            "| [{id}](#{anchor}) | {severity} | {title} |",
            id = rule.id,
            anchor = slug(&rule.id),
            severity = rule.severity,
            title = cell(&rule.title)
        );
    }

    out.push_str(SEMANTICS);
    parameters_section(&mut out, rules, &sorted, config);
    rule_sections(&mut out, rules, &sorted);
    out
}

/// The pack's parameters: type and doc from the config schema (generated
/// from the pack), default from the loaded rule set.
fn parameters_section(
    out: &mut String,
    rules: &RuleSet,
    sorted: &[&Rule],
    config: &serde_json::Value,
) {
    let declared = config
        .pointer("/properties/params/properties")
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default();
    let defaults = rcaudit_model::value::to_json(&rules.params);
    out.push_str(
        "\n## Parameters\n\nThe pack `core` declares these parameters in \
         [`rules/core/pack.yaml`](../rules/core/pack.yaml). Override one in \
         `rcaudit.yaml` under `params:`, with a value of the same type \
         (see [`schemas/config.schema.json`](../schemas/config.schema.json)).\n",
    );
    for (name, schema) in &declared {
        let default = defaults
            .get(name)
            .map(|v| serde_json::to_string(v).unwrap_or_default())
            .unwrap_or_default();
        let doc = schema
            .get("description")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let readers: Vec<String> = sorted
            .iter()
            .filter(|r| params_used(r, rules).contains(name))
            .map(|r| format!("[{}](#{})", r.id, slug(&r.id)))
            .collect();
        let _ = write!(
            out,
            "\n### `{name}`\n\nType `{ty}`, default `{default}`.",
            ty = type_name(schema)
        );
        if !readers.is_empty() {
            let _ = write!(out, " Read by {}.", readers.join(", "));
        }
        let _ = writeln!(out, "\n\n{}", one_line(doc));
    }
}

/// One section per rule, under a heading per family.
fn rule_sections(out: &mut String, rules: &RuleSet, sorted: &[&Rule]) {
    let mut current = "";
    for rule in sorted {
        let name = family(&rule.id);
        if name != current {
            let _ = writeln!(out, "\n## {name}");
            current = name;
        }
        let _ = writeln!(out, "\n### {}\n", rule.id);
        let _ = writeln!(out, "**{}**\n", one_line(&rule.title));
        let targets: Vec<String> = rule.targets.iter().map(|t| format!("`{t}`")).collect();
        let requires: Vec<String> = rule.requires.iter().map(|r| format!("`{r}`")).collect();
        let params: Vec<String> = params_used(rule, rules)
            .iter()
            .map(|p| format!("[`{p}`](#{})", slug(p)))
            .collect();
        let _ = writeln!(out, "- Name: `{}`", rule.name);
        let _ = writeln!(out, "- Severity: {}", rule.severity);
        let _ = writeln!(out, "- Target: {}", targets.join(", "));
        let _ = writeln!(
            out,
            "- Requires: {}",
            if requires.is_empty() {
                "nothing".to_owned()
            } else {
                requires.join(", ")
            }
        );
        if !params.is_empty() {
            let _ = writeln!(out, "- Parameters: {}", params.join(", "));
        }
        let _ = writeln!(
            out,
            "- Source: [`rules/{path}`](../rules/{path})",
            path = rule_path(rule)
        );
        let docs = &rule.docs;
        let _ = writeln!(out, "\n{}", one_line(&docs.description));
        if let Some(why) = &docs.why {
            let _ = writeln!(out, "\n*Why it matters.* {}", one_line(why));
        }
        if let Some(fix) = &docs.fix {
            let _ = writeln!(out, "\n*How to fix it.* {}", one_line(fix));
        }
        if !docs.references.is_empty() {
            out.push_str("\nReferences:\n\n");
            for r in &docs.references {
                let _ = writeln!(out, "- <{r}>");
            }
        }
    }
}

/// The file a built-in rule comes from, under `rules/`.
fn rule_path(rule: &Rule) -> String {
    let name = rule.origin.src.name();
    name.strip_prefix("builtin:").unwrap_or(name).to_owned()
}

// ---------------------------------------------------------------------------
// docs/functions.md

fn functions_markdown() -> String {
    let mut out =
        generated_notice("the function table (crates/rcaudit-rules/src/functions/mod.rs)");
    out.push_str(
        r"
# Functions in rule expressions

Rule expressions are [CEL](https://cel.dev): its standard functions and
macros (`size`, `has`, `all`, `exists`, `exists_one`, `map`, `filter`,
`matches`, `startsWith`, ...) and the [strings extension](https://github.com/google/cel-spec/blob/master/doc/extensions/strings.md)
(`split`, `join`, `lowerAscii`, `replace`, ...) are available. rcaudit adds
the domain functions below. Each takes any value and checks its arguments
itself, so a wrong argument is a rule error naming the function rather than
a silent `false`. The examples are run by the tests of `rcaudit-rules`;
each shows an expression and its result written as JSON (so the keys of a
map appear as strings).
`rcaudit explain NAME` shows one in the terminal.

How rules use them is described in [Writing rules](writing-rules.md).

| Function | Signature |
|---|---|
",
    );
    let mut names: Vec<&str> = Vec::new();
    for f in FUNCTIONS {
        if !names.contains(&f.name) {
            names.push(f.name);
        }
    }
    for f in FUNCTIONS {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | `{}` |",
            f.name,
            slug(f.name),
            cell(f.signature)
        );
    }
    for name in names {
        let _ = writeln!(out, "\n## {name}");
        for f in FUNCTIONS.iter().filter(|f| f.name == name) {
            let _ = writeln!(
                out,
                "\n```text\n{}\n```\n\n{}",
                f.signature,
                one_line(f.doc)
            );
            if !f.examples.is_empty() {
                out.push_str("\n```text\n");
                let width = f.examples.iter().map(|(e, _)| e.len()).max().unwrap_or(0);
                for (expr, result) in f.examples {
                    let _ = writeln!(out, "{expr:<width$}  =>  {result}");
                }
                out.push_str("```\n");
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// docs/writing-rules.md: the key tables

fn key_table(schema: &serde_json::Value, properties: &str, required: &str) -> String {
    let required: Vec<&str> = schema
        .pointer(required)
        .and_then(|r| r.as_array())
        .map(|r| r.iter().filter_map(|k| k.as_str()).collect())
        .unwrap_or_default();
    let mut out = String::from("| Key | Required | Meaning |\n|---|---|---|\n");
    let keys = schema
        .pointer(properties)
        .and_then(|p| p.as_object())
        .cloned()
        .unwrap_or_default();
    for (key, value) in &keys {
        let doc = value
            .get("description")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{key}` | {} | {} |",
            if required.contains(&key.as_str()) {
                "yes"
            } else {
                ""
            },
            cell(doc)
        );
    }
    out
}

/// The generated sections of `docs/writing-rules.md`, by name.
fn writing_rules_sections(schema: &serde_json::Value) -> Vec<(&'static str, String)> {
    vec![
        ("file-keys", key_table(schema, "/properties", "/required")),
        (
            "rule-keys",
            key_table(schema, "/$defs/Rule/properties", "/$defs/Rule/required"),
        ),
        (
            "case-keys",
            key_table(schema, "/$defs/Case/properties", "/$defs/Case/required"),
        ),
    ]
}

/// `text` with the section between `<!-- BEGIN GENERATED name -->` and
/// `<!-- END GENERATED name -->` replaced by `body`; `None` without markers.
fn replace_section(text: &str, name: &str, body: &str) -> Option<String> {
    let begin = format!("<!-- BEGIN GENERATED {name}: {REGENERATE} -->\n");
    let end = format!("<!-- END GENERATED {name} -->");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text.get(start..)?.find(&end)?;
    Some(format!("{}{body}{}", text.get(..start)?, text.get(stop..)?))
}

// ---------------------------------------------------------------------------
// The drift test

#[test]
fn generated_docs_are_current() {
    let rules = builtin_rules().unwrap_or_else(|e| panic!("{e}"));
    let config = json_file("schemas/config.schema.json").unwrap_or_else(|e| panic!("{e}"));
    let schema = json_file("schemas/rules.schema.json").unwrap_or_else(|e| panic!("{e}"));
    let docs = root().join("docs");
    let mut wanted: Vec<(PathBuf, String)> = vec![
        (docs.join("rules.md"), rules_markdown(&rules, &config)),
        (docs.join("functions.md"), functions_markdown()),
    ];
    let writing = docs.join("writing-rules.md");
    let mut text = read(&writing);
    for (name, body) in writing_rules_sections(&schema) {
        text = replace_section(&text, name, &body).unwrap_or_else(|| {
            panic!(
                "docs/writing-rules.md has no generated section `{name}` \
                 (<!-- BEGIN GENERATED {name}: {REGENERATE} --> ... <!-- END GENERATED {name} -->)"
            )
        });
    }
    wanted.push((writing, text));

    let update = std::env::var_os(UPDATE).is_some();
    let mut stale = Vec::new();
    for (path, text) in &wanted {
        if read(path) == *text {
            continue;
        }
        if update {
            std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        } else {
            let shown = path
                .strip_prefix(root())
                .unwrap_or(path)
                .display()
                .to_string();
            stale.push(shown);
        }
    }
    assert!(
        stale.is_empty(),
        "{} differ from what the rules, the function table and the rules schema say: \
         run `{REGENERATE}` to rewrite them, and commit the result",
        stale.join(", ")
    );
}

// ---------------------------------------------------------------------------
// Links

/// The files of the repository: tracked ones and new ones git does not
/// ignore (so a page is checked before its first commit). Without git, every
/// file under the root but `target/` and dot folders.
fn repository_files() -> Vec<String> {
    let root = root();
    let listed = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&root)
        .output();
    if let Ok(output) = listed
        && output.status.success()
    {
        let mut files: Vec<String> = output
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| String::from_utf8_lossy(p).into_owned())
            // Listed but deleted in the work tree.
            .filter(|p| root.join(p).is_file())
            .collect();
        files.sort();
        files.dedup();
        return files;
    }
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name == "target" || name == "node_modules" {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(relative) = path.strip_prefix(&root) {
                files.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    files
}

/// GitHub's anchor for a heading: lower case, punctuation dropped but `-`
/// and `_`, spaces as `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown text outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut fence: Option<&str> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| trimmed.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// A line without its code spans (`...`).
fn without_code(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The anchors of a Markdown file: its headings' slugs (repeats numbered
/// `-1`, `-2`, as GitHub does) and explicit `<a id="...">`/`name` anchors.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    for (_, line) in prose_lines(text) {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            let heading = trimmed.trim_start_matches('#');
            if heading.starts_with(' ') {
                let base = slug(&heading.replace('`', ""));
                let n = seen.entry(base.clone()).or_insert(0);
                out.insert(if *n == 0 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                });
                *n += 1;
            }
        }
        for attr in ["id=\"", "name=\""] {
            let mut rest = line;
            while let Some(i) = rest.find(attr) {
                rest = &rest[i + attr.len()..];
                if let Some(end) = rest.find('"') {
                    out.insert(rest[..end].to_owned());
                }
            }
        }
    }
    out
}

/// The link targets of a Markdown text: inline `](target)` links and
/// reference definitions `[label]: target`, outside code.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_code(line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            let target = rest[..end].split_whitespace().next().unwrap_or_default();
            let target = target.trim_start_matches('<').trim_end_matches('>');
            out.push((number, target.to_owned()));
            rest = &rest[end..];
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with('[')
            && let Some(i) = trimmed.find("]:")
        {
            let target = trimmed[i + 2..]
                .split_whitespace()
                .next()
                .unwrap_or_default();
            out.push((number, target.to_owned()));
        }
    }
    out
}

fn is_external(target: &str) -> bool {
    target.is_empty()
        || target.contains("://")
        || target.starts_with("mailto:")
        || target.starts_with("//")
}

#[test]
fn relative_links_in_markdown_lead_somewhere() {
    let root = root();
    let files = repository_files();
    let markdown: Vec<&String> = files
        .iter()
        .filter(|f| {
            Path::new(f.as_str())
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md"))
        })
        .collect();
    assert!(
        markdown.iter().any(|f| f.as_str() == "docs/README.md"),
        "docs/README.md is listed among {} Markdown files",
        markdown.len()
    );
    let mut broken = Vec::new();
    for file in markdown {
        let path = root.join(file);
        let text = read(&path);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        for (line, target) in links(&text) {
            if is_external(&target) {
                continue;
            }
            let (target_path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            let resolved = if target_path.is_empty() {
                path.clone()
            } else if let Some(absolute) = target_path.strip_prefix('/') {
                root.join(absolute)
            } else {
                dir.join(target_path)
            };
            if !resolved.exists() {
                broken.push(format!("{file}:{line}: `{target}`: no such file"));
                continue;
            }
            if let Some(anchor) = anchor.filter(|a| !a.is_empty())
                && resolved
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("md"))
                && !anchors(&read(&resolved)).contains(anchor)
            {
                broken.push(format!("{file}:{line}: `{target}`: no heading `#{anchor}`"));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

// ---------------------------------------------------------------------------
// Nothing outside the repository

/// Names of design documents that lived outside the repository; written
/// split so this file does not name them.
const OUTSIDE: &[&str] = &[
    concat!("SNAPSHOT", ".md"),
    concat!("CATALOGUE", ".md"),
    concat!("API-", "FACTS"),
    concat!("DESIGN", ".md"),
    concat!("STYLE", ".md"),
    concat!("shared/", "ringcentral"),
    concat!("../", "shared/"),
    concat!("/work/", "shared"),
    concat!("SPEC", "21"),
    concat!("SPEC", "26"),
];

#[test]
fn no_file_refers_to_documents_outside_the_repository() {
    let root = root();
    let mut found = Vec::new();
    for file in repository_files() {
        if file.starts_with("fuzz/") || file.starts_with("target/") {
            continue;
        }
        let Ok(bytes) = std::fs::read(root.join(&file)) else {
            continue;
        };
        for needle in OUTSIDE {
            let hit = bytes
                .windows(needle.len())
                .position(|w| w == needle.as_bytes());
            if let Some(at) = hit {
                let line = bytes[..at].split(|b| *b == b'\n').count();
                found.push(format!("{file}:{line}: {needle}"));
            }
        }
    }
    assert!(
        found.is_empty(),
        "these refer to documents users do not have; point them at docs/ or schemas/ instead:\n{}",
        found.join("\n")
    );
}

// ---------------------------------------------------------------------------
// The checks themselves

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("RC-PN-001"), "rc-pn-001");
    assert_eq!(slug("Unknown versus empty"), "unknown-versus-empty");
    assert_eq!(slug("`key:` and `fingerprint:`"), "key-and-fingerprint");
    assert_eq!(slug("1. Endpoints"), "1-endpoints");
}

#[test]
fn links_and_anchors_are_read_from_prose_only() {
    let text = "# Title\n\nSee [a](a.md#x) and `[b](b.md)`.\n\n```\n[c](c.md)\n```\n\n[d]: d.md\n\n## Title\n";
    let found: Vec<String> = links(text).into_iter().map(|(_, t)| t).collect();
    assert_eq!(found, ["a.md#x", "d.md"]);
    let anchors = anchors(text);
    assert!(anchors.contains("title") && anchors.contains("title-1"));
}

/// The annotated rule of `docs/writing-rules.md` is the example file's,
/// line for line once its comments are taken off.
#[test]
fn the_annotated_rule_is_the_example_file() {
    let guide = read(&root().join("docs/writing-rules.md"));
    let example = read(&root().join("examples/rules/acme.yaml"));
    let start = guide
        .find("## A first rule")
        .expect("the guide has a first rule");
    let block = guide[start..]
        .split("```yaml\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("a YAML block after `## A first rule`");
    let lines: BTreeSet<&str> = example.lines().map(str::trim_end).collect();
    let mut missing = Vec::new();
    for line in block.lines() {
        let code = match line.find(" # ") {
            Some(at) if !line.trim_start().starts_with('#') => &line[..at],
            _ => line,
        };
        let code = code.trim_end();
        if !code.is_empty() && !lines.contains(code) {
            missing.push(code.to_owned());
        }
    }
    assert!(
        missing.is_empty(),
        "docs/writing-rules.md shows lines examples/rules/acme.yaml does not have:\n{}",
        missing.join("\n")
    );
}
