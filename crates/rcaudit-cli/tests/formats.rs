//! Every report format, pinned: `rcaudit check` in each `--format` on the
//! demo and on a small fixture, `rules --format json`, and `explain` (a
//! rule, a function, a problem code), as
//! insta snapshots. A change to any output shows up here as a diff to
//! review, whether it was meant (accept it) or not (a refactor that was to
//! leave reports byte-identical).
//!
//! Only what differs between machines or runs is masked: JUnit's measured
//! times and the absolute folder SARIF names as its root. The HTML report's
//! style sheet and script (and so their hashes in its policy) are elided:
//! they are the same in every report, and the browser test checks them.

mod common;

use common::{code, rcaudit, stderr, stdout};

const SNAPSHOTS: &[(&str, &str)] = &[
    ("demo", "examples/demo.snapshot.json"),
    ("small", "tests/fixtures/small.snapshot.json"),
];

const FORMATS: &[&str] = &[
    "human", "concise", "json", "sarif", "junit", "github", "markdown", "html",
];

/// The text between `start` and the next `end`, each time, replaced by
/// `[elided]`.
fn elide(text: &str, start: &str, end: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(start) {
        let from = at + start.len();
        out.push_str(&rest[..from]);
        rest = &rest[from..];
        match rest.find(end) {
            Some(to) => {
                out.push_str("[elided]");
                rest = &rest[to..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// Replaces the value of every `attribute="..."` with `[masked]`.
fn mask_attribute(text: &str, attribute: &str) -> String {
    let needle = format!(" {attribute}=\"");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let start = at + needle.len();
        out.push_str(&rest[..start]);
        out.push_str("[masked]");
        rest = &rest[start..];
        rest = rest.find('"').map_or("", |end| &rest[end..]);
    }
    out.push_str(rest);
    out
}

/// The parts of a report that depend on the machine or the run.
#[expect(clippy::panic, reason = "a test helper fails the test by panicking")]
fn stable(format: &str, text: &str) -> String {
    match format {
        "junit" => mask_attribute(text, "time"),
        "html" => {
            let text = elide(text, "<style>", "</style>");
            let text = elide(&text, "<script>", "</script>");
            elide(&text, "script-src ", "; base-uri")
        }
        "sarif" => {
            let mut document: serde_json::Value =
                serde_json::from_str(text).unwrap_or_else(|e| panic!("SARIF is JSON: {e}"));
            for run in document
                .get_mut("runs")
                .and_then(serde_json::Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(root) = run.pointer_mut("/originalUriBaseIds/%SRCROOT%/uri") {
                    *root = serde_json::Value::String("file:///[root]/".to_owned());
                }
            }
            serde_json::to_string_pretty(&document).unwrap_or_default()
        }
        _ => text.to_owned(),
    }
}

#[test]
fn every_format_of_every_snapshot_is_pinned() {
    for (name, path) in SNAPSHOTS {
        for format in FORMATS {
            let output = rcaudit(&["check", path, "--format", format]);
            // Both snapshots have errors: exit 1, never 2.
            assert_eq!(code(&output), 1, "{name} {format}: {}", stderr(&output));
            insta::assert_snapshot!(format!("{name}_{format}"), stable(format, &stdout(&output)));
        }
    }
}

#[test]
fn the_rule_list_and_a_rules_documentation_are_pinned() {
    let cases: &[(&str, &[&str])] = &[
        ("rules_json", &["rules", "--format", "json"]),
        ("rules_human", &["rules"]),
        ("explain_rule", &["explain", "RC-PN-003"]),
        ("explain_function", &["explain", "normalize"]),
        // A function with two forms shows both.
        ("explain_function_forms", &["explain", "extensionLabel"]),
        // A loader problem's code, as its diagnostics print it.
        (
            "explain_problem_code",
            &["explain", "rcaudit::rules::fact-cycle"],
        ),
    ];
    for (name, args) in cases {
        let output = rcaudit(args);
        assert_eq!(code(&output), 0, "{name}: {}", stderr(&output));
        insta::assert_snapshot!(*name, stdout(&output));
    }
}

#[test]
fn masking_keeps_everything_but_the_masked_values() {
    assert_eq!(
        mask_attribute(r#"<a time="0.001" name="x"/><b time="1.5">"#, "time"),
        r#"<a time="[masked]" name="x"/><b time="[masked]">"#
    );
    assert_eq!(mask_attribute("no attributes", "time"), "no attributes");
}
