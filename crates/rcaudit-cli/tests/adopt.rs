//! Adopting rcaudit in a repository, end to end: `init`, `baseline`,
//! `waive`, `completions`, `man`, `--version`, `explain` without a name,
//! and waivers that name no owner.

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

use std::fmt::Write as _;
use std::path::Path;
use std::process::Output;

mod common;
use common::{json, rcaudit, rcaudit_env, rcaudit_in, repo, stderr, stdout};

/// A fixed "today" for `waive` and `check`.
const TODAY: [(&str, &str); 1] = [("RCAUDIT_TODAY", "2026-12-01")];

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A folder with the demo snapshot as `s.json`.
fn demo_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        repo("examples/demo.snapshot.json"),
        dir.path().join("s.json"),
    )
    .expect("copy");
    dir
}

/// The fingerprints of the demo's findings of severity `error`, counted
/// by a check in `dir`.
fn counted_errors(dir: &Path) -> Vec<String> {
    let report = json(&rcaudit_env(
        dir,
        &["check", "s.json", "--format", "json"],
        &TODAY,
    ));
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error" && f["suppressed"].is_null() && f["baseline"] != "old")
        .map(|f| f["fingerprint"].as_str().expect("fingerprint").to_owned())
        .collect()
}

// ---- init ------------------------------------------------------------------

#[test]
fn init_writes_a_config_that_the_next_check_uses() {
    let dir = demo_dir();
    let output = rcaudit_in(dir.path(), &["init"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    insta::assert_snapshot!("init_stdout", stdout(&output));
    let config = read(&dir.path().join("rcaudit.yaml"));
    // Outside a checkout of rcaudit, the schema is named by its URL.
    insta::assert_snapshot!(
        "init_config",
        config.replace(env!("CARGO_PKG_VERSION"), "[VERSION]")
    );
    assert!(
        !dir.path().join(".github").exists(),
        "no workflow without --workflow"
    );
    // The file loads: the check runs with it and finds the demo's errors.
    let output = rcaudit_in(dir.path(), &["check", "s.json", "--format", "json"]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stderr(&output).is_empty(), "{}", stderr(&output));
    // And it is the config in use: a broken copy of it fails the run.
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        config.replace("# failOn: warning", "failOn: sometimes"),
    )
    .expect("write");
    let output = rcaudit_in(dir.path(), &["check", "s.json"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("`failOn` is error"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn init_overwrites_nothing_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("rcaudit.yaml");
    std::fs::write(&config, "packs: [core]  # mine\n").expect("write");
    let output = rcaudit_in(dir.path(), &["init", "--workflow"]);
    assert_eq!(code(&output), 2);
    assert_eq!(
        stderr(&output).trim(),
        "× rcaudit.yaml already exists; nothing was written (--force replaces it)"
    );
    assert_eq!(read(&config), "packs: [core]  # mine\n");
    assert!(
        !dir.path().join(".github").exists(),
        "all or nothing: the workflow was not written either"
    );
    let output = rcaudit_in(dir.path(), &["init", "--force"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(read(&config).contains("waivers: []"));
}

#[test]
fn init_workflow_writes_the_example_workflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = rcaudit_in(dir.path(), &["init", "--workflow"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let workflow = dir.path().join(".github/workflows/rcaudit.yml");
    assert_eq!(read(&workflow), read(&repo("examples/github-actions.yml")));
    assert!(stdout(&output).contains("wrote .github/workflows/rcaudit.yml"));
    // The workflow alone is there: it is not replaced either.
    std::fs::remove_file(dir.path().join("rcaudit.yaml")).expect("remove");
    let output = rcaudit_in(dir.path(), &["init", "--workflow"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains(".github/workflows/rcaudit.yml already exists"));
    assert!(!dir.path().join("rcaudit.yaml").exists());
}

// ---- baseline --------------------------------------------------------------

#[test]
fn baseline_records_the_findings_and_check_then_counts_none_of_them() {
    let dir = demo_dir();
    let output = rcaudit_in(dir.path(), &["baseline", "s.json"]);
    assert_eq!(
        code(&output),
        0,
        "findings do not fail it: {}",
        stderr(&output)
    );
    insta::assert_snapshot!("baseline_stdout", stdout(&output));
    let written: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("rcaudit-baseline.json"))).expect("JSON");
    assert_eq!(written["tool"]["name"], "rcaudit");
    assert!(
        !counted_errors(dir.path()).is_empty(),
        "the demo has errors"
    );
    let output = rcaudit_in(
        dir.path(),
        &["check", "s.json", "--baseline", "rcaudit-baseline.json"],
    );
    assert_eq!(
        code(&output),
        0,
        "every finding is old: {}",
        stderr(&output)
    );
}

#[test]
fn baseline_takes_checks_rule_options() {
    let dir = demo_dir();
    let output = rcaudit_in(
        dir.path(),
        &[
            "baseline",
            "s.json",
            "--select",
            "RC-PN-003",
            "-o",
            "b.json",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("recorded 1 finding of 1 rule in b.json\n"),
        "{}",
        stdout(&output)
    );
    let written: serde_json::Value =
        serde_json::from_str(&read(&dir.path().join("b.json"))).expect("JSON");
    let rules: Vec<&str> = written["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["ruleId"].as_str().expect("id"))
        .collect();
    assert_eq!(rules, ["RC-PN-003"]);
    // The other errors are new against it.
    let output = rcaudit_in(dir.path(), &["check", "s.json", "--baseline", "b.json"]);
    assert_eq!(code(&output), 1);
}

#[test]
fn baseline_reads_the_snapshot_from_standard_input() {
    let dir = demo_dir();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rcaudit"))
        .args(["baseline", "-", "-o", "b.json"])
        .current_dir(dir.path())
        .stdin(std::fs::File::open(dir.path().join("s.json")).expect("open"))
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let from_file = rcaudit_in(dir.path(), &["baseline", "s.json", "-o", "f.json"]);
    assert_eq!(code(&from_file), 0);
    let findings = |name: &str| {
        let report: serde_json::Value =
            serde_json::from_str(&read(&dir.path().join(name))).expect("JSON");
        report["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["fingerprint"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(findings("b.json"), findings("f.json"));
}

#[test]
fn baseline_failures_exit_2_and_write_nothing() {
    let dir = demo_dir();
    std::fs::write(dir.path().join("bad.json"), "{\"version\": ").expect("write");
    std::fs::write(
        dir.path().join("err.yaml"),
        "rules:\n  - id: T-ERR\n    severity: error\n    title: Reads a field no extension has\n    target: extensions\n    extraFields: [item.zz]\n    assert: item.zz == 1\n    message: never\n",
    )
    .expect("write");
    let cases: [(&[&str], &str); 4] = [
        (&["baseline", "bad.json"], "bad.json"),
        (
            &["baseline", "s.json", "-o", "s.json"],
            "refusing to write s.json",
        ),
        (
            &["baseline", "s.json", "--select", "RC-XX-999"],
            "RC-XX-999",
        ),
        (
            &["baseline", "s.json", "--rules", "err.yaml"],
            "rule error: T-ERR",
        ),
    ];
    for (args, expected) in cases {
        let output = rcaudit_in(dir.path(), args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: `{expected}` in {}",
            stderr(&output)
        );
        assert!(
            !dir.path().join("rcaudit-baseline.json").exists(),
            "{args:?} wrote a baseline"
        );
    }
    let output = rcaudit_in(dir.path(), &["baseline", "s.json", "--rules", "err.yaml"]);
    assert!(
        stderr(&output).contains("1 rule error: a rule failed while running"),
        "{}",
        stderr(&output)
    );
}

// ---- waive -----------------------------------------------------------------

/// `rcaudit waive FINGERPRINT` with a reason, an owner and an expiry
/// date, each replaced when `extra` gives it, and `extra`'s other options.
fn waive(dir: &Path, fingerprint: &str, extra: &[&str]) -> Output {
    let mut args = vec!["waive", fingerprint];
    for (option, default) in [
        ("--reason", "Contractual until the March migration."),
        ("--owner", "telecom@acme.example"),
        ("--expires", "2027-03-31"),
    ] {
        if !extra.contains(&option) {
            args.extend([option, default]);
        }
    }
    args.extend(extra);
    rcaudit_env(dir, &args, &TODAY)
}

#[test]
fn waive_adds_to_the_init_config_keeping_its_comments() {
    let dir = demo_dir();
    assert_eq!(code(&rcaudit_in(dir.path(), &["init"])), 0);
    let before = read(&dir.path().join("rcaudit.yaml"));
    let output = waive(dir.path(), "RC-PN-003:phone:1148027008", &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    insta::assert_snapshot!("waive_stdout", stdout(&output));
    let after = read(&dir.path().join("rcaudit.yaml"));
    // Only `waivers: []` changed: it became a list of one.
    assert_eq!(
        after,
        before.replace(
            "waivers: []\n",
            "waivers:\n  - rule: RC-PN-003\n    item: phone:1148027008\n    reason: Contractual until the March migration.\n    owner: telecom@acme.example\n    expires: 2027-03-31\n"
        )
    );
    assert!(!counted_errors(dir.path()).contains(&"RC-PN-003:phone:1148027008".to_owned()));
}

#[test]
fn waiving_every_error_makes_the_check_pass() {
    let dir = demo_dir();
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        "# ours\npacks: [core]   # the catalogue\n\nfailOn: error\n",
    )
    .expect("write");
    let errors = counted_errors(dir.path());
    assert!(errors.len() > 2, "{errors:?}");
    for fingerprint in &errors {
        let output = waive(dir.path(), fingerprint, &[]);
        assert_eq!(code(&output), 0, "{fingerprint}: {}", stderr(&output));
    }
    assert_eq!(counted_errors(dir.path()), Vec::<String>::new());
    let output = rcaudit_env(dir.path(), &["check", "s.json"], &TODAY);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let config = read(&dir.path().join("rcaudit.yaml"));
    assert!(
        config.starts_with(
            "# ours\npacks: [core]   # the catalogue\n\nfailOn: error\nwaivers:\n  - rule: "
        ),
        "{config}"
    );
    assert_eq!(config.matches("  - rule: ").count(), errors.len());
}

#[test]
fn waive_creates_the_config_when_there_is_none() {
    let dir = demo_dir();
    let output = waive(dir.path(), "RC-EX-001:ext:1148027004", &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    insta::assert_snapshot!("waive_new_config", read(&dir.path().join("rcaudit.yaml")));
    // `--config FILE` that does not exist yet is created too.
    let output = waive(
        dir.path(),
        "RC-EX-001:ext:1148027004",
        &["--config", "other.yaml"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(read(&dir.path().join("other.yaml")).starts_with("waivers:\n  - rule: RC-EX-001\n"));
}

#[test]
fn waive_uses_the_config_the_run_would_use() {
    let dir = demo_dir();
    std::fs::write(dir.path().join("rcaudit.yaml"), "waivers: []\n").expect("write");
    std::fs::write(dir.path().join("other.yaml"), "waivers:\n").expect("write");
    let output = waive(
        dir.path(),
        "RC-PN-003:phone:1148027008",
        &["--config", "other.yaml"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(read(&dir.path().join("rcaudit.yaml")), "waivers: []\n");
    assert!(read(&dir.path().join("other.yaml")).contains("item: phone:1148027008"));
}

#[test]
fn waive_edits_the_config_found_above_the_current_folder() {
    let dir = demo_dir();
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("audits/acme")).expect("mkdir");
    std::fs::write(dir.path().join("rcaudit.yaml"), "packs: [core]\n").expect("write");
    let output = waive(
        &dir.path().join("audits/acme"),
        "RC-PN-003:phone:1148027008",
        &[],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "waived RC-PN-003:phone:1148027008 at ../../rcaudit.yaml:3: owner telecom@acme.example, \
         until 2027-03-31 (inclusive)\n"
    );
    assert!(read(&dir.path().join("rcaudit.yaml")).starts_with("packs: [core]\nwaivers:\n"));
    assert!(!dir.path().join("audits/acme/rcaudit.yaml").exists());
}

#[test]
fn waive_names_an_expired_waiver_of_the_same_finding() {
    let dir = demo_dir();
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        "waivers:\n  - {rule: RC-PN-003, item: 'phone:1148027008', reason: r, owner: me, expires: 2026-06-30}\n",
    )
    .expect("write");
    let output = waive(dir.path(), "RC-PN-003:phone:1148027008", &[]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    for part in [
        "already waived by a waiver that expired on 2026-06-30 at",
        "rcaudit.yaml:2;",
    ] {
        assert!(message.contains(part), "{message}");
    }
}

#[test]
fn waive_refuses_what_would_not_be_a_valid_waiver() {
    let dir = demo_dir();
    let original = "packs: [core]\nwaivers:\n  - rule: RC-PN-003\n    item: phone:1148027008\n    reason: r\n    owner: me\n";
    std::fs::write(dir.path().join("rcaudit.yaml"), original).expect("write");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("RC-PN-03:phone:1", vec![]),
        ("phone:1", vec![]),
        ("RC-PN-003:", vec![]),
        ("RC-PN-001:account:1", vec!["--expires", "2026-12-01"]),
        ("RC-PN-001:account:1", vec!["--expires", "2026-11-30"]),
        ("RC-PN-001:account:1", vec!["--expires", "2027-02-29"]),
        ("RC-PN-001:account:1", vec!["--owner", "  "]),
        ("RC-PN-003:phone:1148027008", vec![]),
    ];
    let mut transcript = String::new();
    for (fingerprint, extra) in cases {
        let output = waive(dir.path(), fingerprint, &extra);
        assert_eq!(
            code(&output),
            2,
            "{fingerprint} {extra:?}: {}",
            stderr(&output)
        );
        let _ = writeln!(
            transcript,
            "$ waive {fingerprint} {}\n{}",
            extra.join(" "),
            stderr(&output).trim_end()
        );
        assert_eq!(
            read(&dir.path().join("rcaudit.yaml")),
            original,
            "unchanged"
        );
    }
    insta::assert_snapshot!("waive_refusals", transcript);
    // --owner and --reason are required.
    let output = rcaudit_env(
        dir.path(),
        &[
            "waive",
            "RC-PN-001:account:1",
            "--reason",
            "r",
            "--expires",
            "2027-01-01",
        ],
        &TODAY,
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("--owner <WHO>"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn waive_leaves_a_config_that_does_not_load_alone() {
    let dir = demo_dir();
    let broken = "packs: [core]\nfailOn: sometimes\n";
    std::fs::write(dir.path().join("rcaudit.yaml"), broken).expect("write");
    let output = waive(dir.path(), "RC-PN-003:phone:1148027008", &[]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("rcaudit.yaml:2:9"),
        "{}",
        stderr(&output)
    );
    assert_eq!(read(&dir.path().join("rcaudit.yaml")), broken);
    // A layout the edit does not handle (a flow mapping) is refused, with
    // the waiver to paste by hand.
    let flow = "{packs: [core]}\n";
    std::fs::write(dir.path().join("rcaudit.yaml"), flow).expect("write");
    let output = waive(dir.path(), "RC-PN-003:phone:1148027008", &[]);
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert!(message.contains("nothing was written"), "{message}");
    assert!(message.contains("- rule: RC-PN-003"), "{message}");
    assert_eq!(read(&dir.path().join("rcaudit.yaml")), flow);
}

// ---- waivers need an owner ---------------------------------------------------

#[test]
fn a_waiver_without_an_owner_is_a_load_error_pointing_at_it() {
    let dir = demo_dir();
    std::fs::write(
        dir.path().join("rcaudit.yaml"),
        "waivers:\n  - rule: RC-PN-003\n    item: phone:1148027008\n    reason: contractual\n    expires: 2027-03-31\n",
    )
    .expect("write");
    let output = rcaudit_env(dir.path(), &["check", "s.json"], &TODAY);
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    insta::assert_snapshot!("waiver_without_owner", stderr(&output));
}

// ---- completions, man, version, explain -------------------------------------

#[test]
fn completions_for_every_shell_know_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = rcaudit(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for word in ["waive", "baseline", "init", "completions", "fail-on"] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
    }
    let output = rcaudit(&["completions", "tcsh"]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("possible values: bash, elvish, fish, powershell, zsh"));
}

#[test]
fn bash_completion_completes_commands() {
    let script = stdout(&rcaudit(&["completions", "bash"]));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rcaudit.bash");
    std::fs::write(&path, script).expect("write");
    // Ask the script what `rcaudit wa<TAB>` completes to.
    let test = format!(
        "source {}; COMP_WORDS=(rcaudit wa); COMP_CWORD=1; COMP_LINE='rcaudit wa'; COMP_POINT=10; _rcaudit rcaudit wa rcaudit; echo \"${{COMPREPLY[@]}}\"",
        path.display()
    );
    let output = std::process::Command::new("bash")
        .args(["--norc", "-c", &test])
        .output()
        .expect("bash runs");
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "waive");
}

#[test]
fn man_prints_a_page_with_every_command() {
    let output = rcaudit(&["man"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let page = stdout(&output);
    let title = page
        .lines()
        .find(|l| l.starts_with(".TH "))
        .unwrap_or_else(|| panic!("no .TH line: {page}"));
    assert!(
        title.starts_with(&format!(
            ".TH rcaudit 1  \"rcaudit {} (commit ",
            env!("CARGO_PKG_VERSION")
        )) && title.ends_with("\" "),
        "the title is one line, with the version: {title}"
    );
    for section in [".SH NAME", ".SH \"RCAUDIT WAIVE\"", ".SH \"RCAUDIT CHECK\""] {
        assert!(page.contains(section), "no {section}");
    }
    assert!(page.contains("\\-\\-owner"), "the options of each command");
    // groff reads it without a warning.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("rcaudit.1");
    std::fs::write(&path, &page).expect("write");
    if let Ok(rendered) = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&path)
        .output()
    {
        assert!(rendered.status.success());
        assert_eq!(String::from_utf8_lossy(&rendered.stderr), "", "groff warns");
    }
}

/// FNV-1a (64 bits) of the files of `rules/<pack>/`, as `--version` reports.
fn pack_digest(pack: &str) -> String {
    fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read rules") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                collect(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }
    let root = repo("rules");
    let mut files = Vec::new();
    collect(&root.join(pack), &mut files);
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let name = file
            .strip_prefix(&root)
            .expect("under rules/")
            .to_string_lossy()
            .replace('\\', "/");
        let text = read(&file);
        for byte in name.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[test]
fn version_names_the_commit_and_the_built_in_rules() {
    let output = rcaudit(&["--version"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    let commit = lines[0]
        .strip_prefix(&format!("rcaudit {} (commit ", env!("CARGO_PKG_VERSION")))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{text}"));
    // A commit of this repository (when git is here to say so).
    if let Ok(known) = std::process::Command::new("git")
        .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
        .current_dir(repo(""))
        .output()
    {
        assert!(known.status.success(), "{commit} is not a commit here");
    }
    let rules = json(&rcaudit(&["rules", "--format", "json"]));
    let count = rules
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["pack"] == "core")
        .count();
    assert_eq!(
        lines[1],
        format!(
            "built-in pack core: {count} rules, digest fnv1a64:{}",
            pack_digest("core")
        )
    );
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(stdout(&rcaudit(&["-V"])), text);
}

#[test]
fn explain_without_a_name_lists_rules_and_functions() {
    let output = rcaudit(&["explain"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    insta::assert_snapshot!("explain_index", stdout(&output));
}

/// The options and arguments in clap's long help that have no description
/// (the line under the name, indented further, is missing or only a
/// default or a list of values), and how many there are in all.
fn undocumented(help: &str) -> (Vec<String>, usize) {
    let lines: Vec<&str> = help.lines().collect();
    let mut missing = Vec::new();
    let mut all = 0;
    for (i, line) in lines.iter().enumerate() {
        let name = line.trim_start();
        let indent = line.len() - name.len();
        if !(indent == 2 || indent == 6) || !(name.starts_with('-') || name.starts_with('<')) {
            continue;
        }
        all += 1;
        // Short help puts the text on the same line, after two spaces.
        let inline = name
            .split_once("  ")
            .is_some_and(|(_, text)| !text.trim().is_empty() && !text.trim().starts_with('['));
        let described = inline
            || lines.get(i + 1).is_some_and(|next| {
                let text = next.trim_start();
                next.len() - text.len() >= 10
                    && !text.is_empty()
                    && !text.starts_with("[default")
                    && !text.starts_with("Possible values")
            });
        if !described {
            missing.push(name.trim_end().to_owned());
        }
    }
    (missing, all)
}

#[test]
fn every_option_of_every_command_is_described() {
    let (missing, _) = undocumented(
        "      --quiet\n          [default: 0]\n  <FILE>\n          A file\n      --x <X>     \n      --y <Y>     Why\n",
    );
    assert_eq!(missing, ["--quiet", "--x <X>"], "the check can fail");
    let commands = [
        "check",
        "rules",
        "explain",
        "test",
        "diff",
        "fetch",
        "audit",
        "init",
        "baseline",
        "waive",
        "completions",
        "man",
    ];
    let mut total = 0;
    for command in commands {
        let output = rcaudit(&[command, "--help"]);
        assert_eq!(code(&output), 0, "{command}");
        let (missing, all) = undocumented(&stdout(&output));
        assert!(
            missing.is_empty(),
            "rcaudit {command}: no help for {missing:?}"
        );
        total += all;
    }
    assert!(total > 60, "the options are found: {total}");
}
