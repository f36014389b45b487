//! `rcaudit redact` end to end: the redacted demo gives the same verdict
//! (and the same `--statistics` table) as the demo, the key decides the
//! pseudonyms, the config's `redact:` extends the table, `--strict`
//! refuses what the table does not know, and bad input writes nothing.
//! (That every rule's verdict survives, on every rule case and on
//! generated accounts, is `rcaudit-redact`'s `tests/verdicts.rs`.)

#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::path::Path;

mod common;
use common::{code, json, rcaudit_env, repo, stderr, stdout};

const KEY: (&str, &str) = ("RCAUDIT_REDACT_KEY", "a key of more than sixteen bytes");

fn redact(dir: &Path, args: &[&str]) -> std::process::Output {
    rcaudit_env(dir, args, &[KEY])
}

/// Rule, pointer and severity of each finding; rule, requirement and
/// count of each not-evaluated entry.
fn verdict(report: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let findings = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| format!("{} {} {}", f["ruleId"], f["pointer"], f["severity"]))
        .collect();
    let not_evaluated = report["notEvaluated"]
        .as_array()
        .expect("notEvaluated")
        .iter()
        .map(|n| format!("{} {} {}", n["ruleId"], n["requirement"], n["skipped"]))
        .collect();
    (findings, not_evaluated)
}

#[test]
fn the_redacted_demo_gives_the_demos_verdict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = repo("examples/demo.snapshot.json");
    let demo = demo.to_string_lossy();
    let output = redact(dir.path(), &["redact", &demo, "-o", "red.json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("rcaudit: redacted "),
        "{}",
        stderr(&output)
    );
    let text = std::fs::read_to_string(dir.path().join("red.json")).expect("written");
    for personal in [
        "Maria",
        "Gonzalez",
        "cypresspointvet",
        "El Camino",
        "+16505550101",
        "Jenna",
    ] {
        assert!(!text.contains(personal), "{personal} survives");
    }
    let red: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(red["source"]["redaction"]["tableVersion"], 1);
    let before = rcaudit_env(dir.path(), &["check", &demo, "--format", "json"], &[]);
    let after = rcaudit_env(dir.path(), &["check", "red.json", "--format", "json"], &[]);
    assert_eq!((code(&before), code(&after)), (1, 1), "{}", stderr(&after));
    assert_eq!(verdict(&json(&before)), verdict(&json(&after)));
    // The per-rule table and the summary line are the same, word for
    // word, but for the file name. (The reasons below them quote the
    // server's error message, which is redacted: it can name people.)
    let table = |name: &str| {
        let out = rcaudit_env(dir.path(), &["check", name, "--statistics"], &[]);
        let text = stdout(&out).replace(name, "SNAPSHOT");
        text.split("rules not evaluated")
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(table(&demo), table("red.json"));
}

#[test]
fn the_key_decides_the_pseudonyms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = repo("examples/demo.snapshot.json");
    let demo = demo.to_string_lossy();
    std::fs::write(dir.path().join("k1"), "first key, sixteen bytes or more\n").expect("key");
    std::fs::write(dir.path().join("k2"), "second key, sixteen bytes or more").expect("key");
    std::fs::write(dir.path().join("short"), "too short\n").expect("key");
    let run = |key: &str, out: &str| {
        let output = rcaudit_env(
            dir.path(),
            &["redact", &demo, "-o", out, "--key-file", key],
            &[],
        );
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        assert!(!stderr(&output).contains("random"), "{}", stderr(&output));
        std::fs::read_to_string(dir.path().join(out)).expect("written")
    };
    assert_eq!(run("k1", "a.json"), run("k1", "b.json"));
    assert_ne!(run("k1", "a.json"), run("k2", "c.json"));
    // Without a key: a random one, said so; two runs differ.
    let random = |out: &str| {
        let output = rcaudit_env(dir.path(), &["redact", &demo, "-o", out], &[]);
        assert!(stderr(&output).contains("a random one was used and not kept"));
        std::fs::read_to_string(dir.path().join(out)).expect("written")
    };
    assert_ne!(random("r1.json"), random("r2.json"));
    let short = rcaudit_env(
        dir.path(),
        &["redact", &demo, "-o", "s.json", "--key-file", "short"],
        &[],
    );
    assert_eq!(code(&short), 2);
    assert!(stderr(&short).contains("at least 16"), "{}", stderr(&short));
    assert!(!dir.path().join("s.json").exists());
}

/// The demo with a string at a place the table does not know.
fn with_nickname(dir: &Path) {
    let mut demo: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("the demo"),
    )
    .expect("JSON");
    demo["extensions"][0]["contact"]["nickname"] = "Mimi".into();
    demo["extensions"][0]["contact"]["jobTitle"] = "Chief of Everything".into();
    std::fs::write(dir.join("s.json"), demo.to_string()).expect("written");
}

#[test]
fn unknown_places_are_redacted_and_named_or_refused_with_strict() {
    let dir = tempfile::tempdir().expect("temp dir");
    with_nickname(dir.path());
    let output = redact(dir.path(), &["redact", "s.json", "-o", "r.json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("/extensions/*/contact/nickname (1)"),
        "{}",
        stderr(&output)
    );
    let text = std::fs::read_to_string(dir.path().join("r.json")).expect("written");
    assert!(!text.contains("Mimi"));
    let strict = redact(
        dir.path(),
        &["redact", "s.json", "-o", "x.json", "--strict"],
    );
    assert_eq!(code(&strict), 2);
    assert!(stderr(&strict).contains("nickname"), "{}", stderr(&strict));
    assert!(!dir.path().join("x.json").exists(), "--strict wrote a file");
}

#[test]
fn the_configs_redact_entries_come_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    with_nickname(dir.path());
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        "redact:\n  - {path: /extensions/*/contact/nickname, kind: name}\n  - {path: /extensions/*/contact/jobTitle, kind: keep}\n",
    )
    .expect("config");
    std::fs::create_dir(dir.path().join(".git")).expect("a repository root");
    let output = redact(
        dir.path(),
        &["redact", "s.json", "-o", "r.json", "--strict"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = std::fs::read_to_string(dir.path().join("r.json")).expect("written");
    assert!(!text.contains("Mimi") && text.contains("Chief of Everything"));
    let explain = redact(dir.path(), &["redact", "--explain"]);
    assert!(stdout(&explain).contains("/extensions/*/contact/nickname"));
    // A kind that does not exist points into the config.
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        "redact:\n  - {path: /a, kind: secret}\n",
    )
    .expect("config");
    let bad = redact(dir.path(), &["redact", "s.json", "-o", "b.json"]);
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("unknown redaction kind `secret`"),
        "{}",
        stderr(&bad)
    );
    assert!(!dir.path().join("b.json").exists());
}

#[test]
fn a_snapshot_that_does_not_load_is_refused_with_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("bad.json"),
        "{\"snapshotVersion\": 1,\n  \"account\": }\n",
    )
    .expect("written");
    let output = redact(dir.path(), &["redact", "bad.json", "-o", "r.json"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("bad.json:2:"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("r.json").exists());
}

#[test]
fn the_table_is_explained() {
    let output = rcaudit_env(&repo(""), &["redact", "--explain"], &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn the_configs_kinds_are_the_tables() {
    let kinds: Vec<&str> = rcaudit_redact::KINDS.iter().map(|k| k.name()).collect();
    assert_eq!(kinds, rcaudit_rules::config::REDACT_KINDS);
}

/// The README's example: the demo redacted with the key it names, as
/// committed, and with the demo's verdict.
#[test]
fn the_redacted_demo_in_examples_is_current() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = repo("examples/demo.snapshot.json");
    let output = rcaudit_env(
        dir.path(),
        &["redact", &demo.to_string_lossy(), "-o", "r.json"],
        &[("RCAUDIT_REDACT_KEY", "the README's example key, not secret")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let fresh = std::fs::read_to_string(dir.path().join("r.json")).expect("written");
    let committed = std::fs::read_to_string(repo("examples/demo.redacted.snapshot.json"))
        .expect("examples/demo.redacted.snapshot.json");
    assert!(
        fresh == committed,
        "examples/demo.redacted.snapshot.json is stale: RCAUDIT_REDACT_KEY=\"the README's \
         example key, not secret\" rcaudit redact examples/demo.snapshot.json -o \
         examples/demo.redacted.snapshot.json"
    );
}

/// With one key, redacted snapshots of one account compare as the
/// originals do: `diff` sees the same changes and a baseline taken on one
/// redacted snapshot knows the findings of the next.
#[test]
fn diff_and_baselines_work_across_redacted_snapshots() {
    let dir = tempfile::tempdir().expect("temp dir");
    let demo = std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("the demo");
    let mut later: serde_json::Value = serde_json::from_str(&demo).expect("JSON");
    later["extensions"][1]["name"] = "Daniel Okafor-Smith".into();
    later["extensions"][2]["forwardingNumbers"]
        .as_array_mut()
        .expect("a forwarding list")
        .push(serde_json::json!({"id": "9", "phoneNumber": "+19005550100", "label": "Dad"}));
    std::fs::write(dir.path().join("a.json"), &demo).expect("written");
    std::fs::write(dir.path().join("b.json"), later.to_string()).expect("written");
    for (from, to) in [("a.json", "ra.json"), ("b.json", "rb.json")] {
        let output = redact(dir.path(), &["redact", from, "-o", to]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
    }
    let changes = |a: &str, b: &str| {
        let output = rcaudit_env(dir.path(), &["diff", a, b, "--format", "json"], &[]);
        let doc = json(&output);
        doc["changes"]
            .as_object()
            .expect("changes")
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_array().map_or(0, Vec::len)))
            .collect::<Vec<_>>()
    };
    let original = changes("a.json", "b.json");
    assert!(original.iter().any(|c| c.ends_with(": 1")), "{original:?}");
    assert_eq!(original, changes("ra.json", "rb.json"));
    let new = |a: &str, b: &str| {
        let base = format!("base-{a}");
        let output = rcaudit_env(dir.path(), &["baseline", a, "-o", &base], &[]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let output = rcaudit_env(
            dir.path(),
            &["check", b, "--baseline", &base, "--format", "json"],
            &[],
        );
        json(&output)["baseline"]["new"].clone()
    };
    let (plain, redacted) = (new("a.json", "b.json"), new("ra.json", "rb.json"));
    assert!(plain.is_u64(), "{plain}");
    assert_eq!(plain, redacted);
}
