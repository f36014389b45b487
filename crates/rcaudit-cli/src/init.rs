//! `rcaudit init`: a starter `rcaudit.yaml` in the current folder (and,
//! with `--workflow`, the GitHub Actions workflow of `examples/`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Exit;
use crate::cli::{Global, InitArgs};
use crate::failure::Failure;
use crate::output;
use crate::{setup, sources};

/// Where `--workflow` writes the workflow.
pub const WORKFLOW_FILE: &str = ".github/workflows/rcaudit.yml";

/// The workflow, from `examples/github-actions.yml`: one source for both.
const WORKFLOW: &str = include_str!("../../../examples/github-actions.yml");

/// The config schema in rcaudit's repository, for editors outside a
/// checkout of it: the copy at this version's release tag (`v0.1.0`, as
/// `.github/workflows/release.yml` tags releases), so the editor checks
/// what this binary reads. A build between releases names the tag of the
/// release it will be.
fn schema_url() -> String {
    let repository = env!("CARGO_PKG_REPOSITORY");
    let raw = repository.replacen(
        "https://github.com/",
        "https://raw.githubusercontent.com/",
        1,
    );
    format!(
        "{raw}/v{}/schemas/config.schema.json",
        env!("CARGO_PKG_VERSION")
    )
}

/// How the new file names its schema: a relative path when the current
/// folder or one above holds rcaudit's `schemas/config.schema.json` (a
/// checkout of rcaudit, or a copy the user keeps), else [`schema_url`].
fn schema_reference(here: &Path) -> String {
    let mut up = PathBuf::new();
    for dir in here.ancestors() {
        let candidate = dir.join("schemas/config.schema.json");
        let ours = std::fs::read_to_string(&candidate)
            .is_ok_and(|text| text.contains("\"title\": \"rcaudit config"));
        if ours {
            return up
                .join("schemas/config.schema.json")
                .to_string_lossy()
                .replace('\\', "/");
        }
        up.push("..");
    }
    schema_url()
}

/// The keys `init` shows commented out, with a comment each. Each example
/// is a valid config on its own (a test loads each against the built-in
/// rules).
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "rules: [./rules]",
        "more rule files or folders, relative to this file",
    ),
    (
        "disable: [RC-SN-002]",
        "rules to turn off (`rcaudit rules` lists them)",
    ),
    (
        "severity: {RC-PN-007: error}",
        "severity overrides: error, warning or info",
    ),
    (
        "params:\n  plans: {ubp: [\"RingEX Core\"], nonUbp: [Fax, Professional, Office]}",
        "parameter overrides, merged key by key",
    ),
    (
        "failOn: warning",
        "the default of --fail-on: error, warning, info or never",
    ),
    (
        "limits:\n  steps: 1000000\n  ruleSteps: 100000000",
        "evaluation budgets, in steps (the defaults)",
    ),
    (
        "redact:\n  - {path: /extensions/*/contact/nickname, kind: name}",
        "more entries for rcaudit redact's table (rcaudit redact --explain)",
    ),
];

/// An example waiver (commented out in the file), with its comments.
pub const WAIVER_EXAMPLE: &[(&str, &str)] = &[
    ("- rule: RC-PN-003", ""),
    (
        "  item: phone:246715009",
        "the finding's fingerprint, or the item key in it",
    ),
    (
        "  reason: The toll-free pair is contractual until the March migration.",
        "",
    ),
    ("  owner: telecom@acme.example", "who answers for it"),
    ("  expires: 2027-03-31", "the last day it applies"),
];

/// A line with its comment at column `at` (or after one space).
fn commented(out: &mut String, prefix: &str, line: &str, comment: &str, at: usize) {
    let text = format!("{prefix}{line}");
    if comment.is_empty() {
        let _ = writeln!(out, "{text}");
    } else {
        let width = at.saturating_sub(1);
        let _ = writeln!(out, "{text:<width$} # {comment}");
    }
}

/// The text of a new `rcaudit.yaml`.
pub fn template(schema: &str) -> String {
    let mut out = format!(
        "# yaml-language-server: $schema={schema}\n\
         # rcaudit's configuration: which rules run and how. Every key is optional;\n\
         # remove the `# ` before a line to use it. `rcaudit explain ID` documents a rule.\n\n"
    );
    commented(
        &mut out,
        "",
        "packs: [core]",
        "built-in packs (`rcaudit rules` lists their rules)",
        32,
    );
    for (example, comment) in EXAMPLES {
        let mut lines = example.lines();
        if let Some(first) = lines.next() {
            commented(&mut out, "# ", first, comment, 32);
        }
        for line in lines {
            commented(&mut out, "# ", line, "", 32);
        }
    }
    out.push_str(
        "\n# Accepted exceptions: a waived finding is still reported but does not count.\n\
         # `rcaudit waive FINGERPRINT --reason TEXT --owner WHO --expires YYYY-MM-DD`\n\
         # adds one here (this file's comments stay). Each is written:\n",
    );
    for (line, comment) in WAIVER_EXAMPLE {
        commented(&mut out, "#   ", line, comment, 36);
    }
    out.push_str("waivers: []\n");
    out
}

pub fn run(args: &InitArgs, _global: &Global) -> Result<Exit, Failure> {
    let here = std::env::current_dir().unwrap_or_default();
    let mut files: Vec<(PathBuf, String)> = vec![(
        PathBuf::from(setup::CONFIG_FILE),
        template(&schema_reference(&here)),
    )];
    if args.workflow {
        files.push((PathBuf::from(WORKFLOW_FILE), WORKFLOW.to_owned()));
    }
    // Refuse before writing anything: all or nothing.
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| std::fs::symlink_metadata(path).is_ok())
        .map(|(path, _)| path.display().to_string())
        .collect();
    if !existing.is_empty() && !args.force {
        return Err(Failure::Message(format!(
            "{} already exist{}; nothing was written (--force replaces {})",
            existing.join(" and "),
            if existing.len() == 1 { "s" } else { "" },
            if existing.len() == 1 { "it" } else { "them" },
        )));
    }
    let mut written = String::new();
    for (path, text) in &files {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Err(error) = std::fs::create_dir_all(dir)
        {
            return Err(Failure::Message(format!(
                "cannot create {}: {error}",
                dir.display()
            )));
        }
        sources::write_atomic(path, text)?;
        let _ = writeln!(written, "wrote {}", path.display());
    }
    written.push_str(
        "\nNext: `rcaudit check SNAPSHOT` audits a snapshot with it; `rcaudit baseline SNAPSHOT`\n\
         records today's findings so that `check --baseline rcaudit-baseline.json` counts only\n\
         new ones; `rcaudit waive FINGERPRINT ...` accepts one.\n",
    );
    output::print_plain(&written);
    Ok(Exit::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcaudit_rules::{builtin, config};

    /// A config text loads, and its names and parameters fit the built-in rules.
    fn loads(text: &str) {
        let config = config::parse("rcaudit.yaml", text)
            .unwrap_or_else(|e| panic!("{text}\n{:?}", e.problems));
        let (rules, _) = rcaudit_rules::load(&builtin::files(), &config.load_options())
            .unwrap_or_else(|e| panic!("{text}\n{:?}", e.problems));
        let problems = config.check_names(&rules, &builtin::packs());
        assert!(problems.is_empty(), "{text}\n{problems:?}");
    }

    #[test]
    fn the_template_and_each_example_load() {
        let text = template("schemas/config.schema.json");
        loads(&text);
        assert!(text.starts_with("# yaml-language-server: $schema=schemas/config.schema.json\n"));
        for (example, _) in EXAMPLES {
            loads(example);
        }
        let mut waiver = String::new();
        for (line, _) in WAIVER_EXAMPLE {
            let _ = writeln!(waiver, "  {line}");
        }
        let config = config::parse("rcaudit.yaml", &format!("waivers:\n{waiver}"))
            .unwrap_or_else(|e| panic!("{waiver}\n{:?}", e.problems));
        assert_eq!(config.waivers.len(), 1);
        // Every key of the config is shown.
        for key in config::CONFIG_KEYS {
            assert!(text.contains(&format!("{key}:")), "{key} is missing");
        }
    }

    #[test]
    fn the_schema_is_found_up_the_folders_or_named_by_url() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert_eq!(schema_reference(&root), "schemas/config.schema.json");
        assert_eq!(
            schema_reference(&root.join("crates/rcaudit-cli")),
            "../../schemas/config.schema.json"
        );
        let outside = tempfile::tempdir().expect("temp dir");
        assert_eq!(
            schema_reference(outside.path()),
            format!(
                "https://raw.githubusercontent.com/rcaudit/rcaudit/v{}/schemas/config.schema.json",
                env!("CARGO_PKG_VERSION")
            )
        );
    }
}
