//! `rcaudit fetch` and `rcaudit audit` end to end, against the sandbox
//! (started in-process; the binary runs as a separate process).

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rcaudit_sandbox::server::comparable_snapshot;
use rcaudit_sandbox::{Config, FaultConfig, Source};
use serde_json::Value;

mod common;
use common::{code, stderr, stdout};
#[path = "common/sandbox.rs"]
mod sandbox;
use sandbox::{Sandbox, generated, requests_served};

/// The binary in `dir`, with only the given `RINGCENTRAL_*` variables.
fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rcaudit"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("RINGCENTRAL_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    command
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().expect("the binary runs")
}

/// `rcaudit fetch --server URL -o OUT ARGS...` in `dir`, with a token.
fn fetch(dir: &Path, url: &str, out: &str, args: &[&str]) -> Output {
    let mut all = vec!["fetch", "--server", url, "-o", out];
    all.extend_from_slice(args);
    run(dir, &all, &[("RINGCENTRAL_TOKEN", "x")])
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file")).expect("JSON")
}

#[test]
fn fetch_writes_a_snapshot_that_check_accepts() {
    let sandbox = Sandbox::start(generated(60, 50));
    let dir = tempfile::tempdir().expect("dir");
    let url = sandbox.url();
    let output = run(
        dir.path(),
        &["fetch", "--server", &url, "-o", "s.json"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("fetched 60 extensions"),
        "{}",
        stderr(&output)
    );
    let doc = read(&dir.path().join("s.json"));
    assert_eq!(comparable_snapshot(doc.clone()), sandbox.expected());
    assert_eq!(doc["source"]["server"], url.as_str());
    assert!(
        doc["source"]["generator"]
            .as_str()
            .is_some_and(|g| g.starts_with("rcaudit "))
    );
    assert!(!dir.path().join("s.json.partial").exists());
    let check = run(dir.path(), &["check", "s.json"], &[]);
    assert!(matches!(code(&check), 0 | 1), "{}", stderr(&check));
    // The server may also come from the environment.
    let output = run(
        dir.path(),
        &["fetch", "-o", "t.json"],
        &[("RINGCENTRAL_TOKEN", "x"), ("RINGCENTRAL_SERVER_URL", &url)],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

#[test]
fn audit_fetches_and_checks_in_one_go() {
    let sandbox = Sandbox::start(generated(30, 50));
    let dir = tempfile::tempdir().expect("dir");
    let output = run(
        dir.path(),
        &[
            "audit",
            "--server",
            &sandbox.url(),
            "--save",
            "s.json",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let report: Value = serde_json::from_str(&stdout(&output)).expect("a JSON report");
    assert_eq!(report["snapshot"]["path"], "s.json");
    assert!(report["summary"]["rulesRun"].as_u64() > Some(20));
    assert_eq!(
        comparable_snapshot(read(&dir.path().join("s.json"))),
        sandbox.expected()
    );
    // A config mistake is reported before anything is fetched.
    let output = run(
        dir.path(),
        &["audit", "--server", &sandbox.url(), "--select", "RC-XX-999"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("RC-XX-999"), "{}", stderr(&output));
}

#[test]
fn secrets_appear_in_no_output_or_file() {
    const TOKEN: &str = "tok-SECRET-4f1e9d";
    const CLIENT_SECRET: &str = "client-SECRET-77aa";
    const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.jwt-SECRET-eyJzdWIi.c2lnbmF0dXJl";
    let dir = tempfile::tempdir().expect("dir");
    let mut config = generated(20, 50);
    config.faults = FaultConfig {
        fail_rate: 0.1,
        seed: 3,
        ..FaultConfig::default()
    };
    let sandbox = Sandbox::start(config);
    let mut outputs = Vec::new();
    // A successful fetch with a token, and one with the JWT grant.
    outputs.push(run(
        dir.path(),
        &["fetch", "--server", &sandbox.url(), "-o", "a.json"],
        &[("RINGCENTRAL_TOKEN", TOKEN)],
    ));
    let jwt = [
        ("RINGCENTRAL_CLIENT_ID", "client"),
        ("RINGCENTRAL_CLIENT_SECRET", CLIENT_SECRET),
        ("RINGCENTRAL_JWT", JWT),
    ];
    outputs.push(run(
        dir.path(),
        &["fetch", "--server", &sandbox.url(), "-o", "b.json"],
        &jwt,
    ));
    // A rejected token: the error must not quote it.
    let mut strict = generated(5, 50);
    strict.require_token = Some("another".to_owned());
    let strict = Sandbox::start(strict);
    let rejected = run(
        dir.path(),
        &["fetch", "--server", &strict.url(), "-o", "c.json"],
        &[("RINGCENTRAL_TOKEN", TOKEN)],
    );
    assert_eq!(code(&rejected), 2);
    assert!(stderr(&rejected).contains("401"), "{}", stderr(&rejected));
    outputs.push(rejected);
    // A token file.
    std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).expect("write");
    outputs.push(run(
        dir.path(),
        &[
            "fetch",
            "--server",
            &sandbox.url(),
            "--token-file",
            "token",
            "-o",
            "d.json",
        ],
        &[],
    ));
    for output in &outputs {
        let text = format!("{}{}", stdout(output), stderr(output));
        for secret in [TOKEN, CLIENT_SECRET, JWT] {
            assert!(!text.contains(secret), "{secret} in:\n{text}");
        }
    }
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "token") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("text");
        for secret in [TOKEN, CLIENT_SECRET, JWT] {
            assert!(!text.contains(secret), "{secret} in {}", path.display());
        }
    }
    assert_eq!(code(&outputs[0]), 0, "{}", stderr(&outputs[0]));
    assert_eq!(code(&outputs[1]), 0, "{}", stderr(&outputs[1]));
    assert_eq!(code(&outputs[3]), 0, "{}", stderr(&outputs[3]));
}

#[test]
fn a_killed_fetch_resumes_and_loses_nothing() {
    // 300 extensions are about 600 Light requests: 12 windows of 250 ms.
    let sandbox = Sandbox::start(generated(300, 250));
    let dir = tempfile::tempdir().expect("dir");
    let url = sandbox.url();
    let env = [("RINGCENTRAL_TOKEN", "x")];
    let mut child = command(
        dir.path(),
        &["fetch", "--server", &url, "-o", "s.json"],
        &env,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("spawn");
    let partial = dir.path().join("s.json.partial");
    let started = Instant::now();
    // Wait until the journal holds a good part of the work, then kill.
    while std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count()) < 150 {
        assert!(started.elapsed() < Duration::from_secs(20), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(!dir.path().join("s.json").exists());
    let journalled = std::fs::read_to_string(&partial)
        .expect("journal")
        .lines()
        .count();

    // Without --resume, a fetch refuses to start over the journal.
    let refused = run(
        dir.path(),
        &["fetch", "--server", &url, "-o", "s.json"],
        &env,
    );
    assert_eq!(code(&refused), 2);
    assert!(
        stderr(&refused).contains("--resume"),
        "{}",
        stderr(&refused)
    );

    let resumed = run(
        dir.path(),
        &["fetch", "--server", &url, "-o", "s.json", "--resume"],
        &env,
    );
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let message = stderr(&resumed);
    assert!(message.contains("pieces from the journal"), "{message}");
    assert_eq!(
        comparable_snapshot(read(&dir.path().join("s.json"))),
        sandbox.expected()
    );
    assert!(!partial.exists());
    // Requests after resuming: the pieces the journal lacked (six
    // account-level ones and the forwarding list of each extension that
    // can have one, one request each; the journal's first line is its
    // header), plus any
    // refused. The killed run's requests are still in the server's window,
    // so a group's first request may be refused; but each group opens with
    // that one request alone and waits as told, so never more than one per
    // group (Light for the lists, Medium and Heavy for account pieces).
    let count = |label: &str| -> u64 {
        message
            .split(label)
            .next()
            .and_then(|s| s.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("the summary names `{label}`: {message}"))
    };
    let refused = count(" rate-limited");
    assert!(refused <= 3, "{message}");
    let snapshot = read(&dir.path().join("s.json"));
    let forwarding = snapshot["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .filter(|e| {
            rcaudit_fetch::forwarding(e["type"].as_str()) != rcaudit_fetch::Forwarding::None
        })
        .count() as u64;
    assert!(forwarding > 200 && forwarding < 300, "{forwarding}");
    assert_eq!(
        count(" requests") - refused,
        6 + forwarding - (journalled as u64 - 1),
        "{message}"
    );
}

/// Arguments, environment, and what the error must say.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

/// Each case fails with exit 2, says what is expected, writes no snapshot
/// and shows no secret.
fn expect_failures(dir: &Path, cases: &[Case]) {
    for (args, env, expected) in cases {
        let output = run(dir, args, env);
        assert_eq!(code(&output), 2, "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(!dir.join("s.json").exists());
        assert!(!stderr(&output).contains("S3CRET"), "{}", stderr(&output));
    }
}

#[test]
fn secrets_in_a_server_url_or_token_are_refused_unshown() {
    let dir = tempfile::tempdir().expect("dir");
    expect_failures(
        dir.path(),
        &[
            (
                &[
                    "fetch",
                    "--server",
                    "http://alice:S3CRET@example.com",
                    "-o",
                    "s.json",
                ],
                &[("RINGCENTRAL_TOKEN", "x")],
                "`http://example.com` carries credentials in the URL",
            ),
            (
                &["fetch", "-o", "s.json"],
                &[
                    ("RINGCENTRAL_TOKEN", "x"),
                    (
                        "RINGCENTRAL_SERVER_URL",
                        "https://example.com/?access_token=S3CRET",
                    ),
                ],
                "has a query or fragment",
            ),
            (
                &["fetch", "--server", "http://127.0.0.1:9", "-o", "s.json"],
                &[("RINGCENTRAL_TOKEN", "ab\u{1}cd")],
                "RINGCENTRAL_TOKEN holds characters an access token cannot have",
            ),
        ],
    );
    // `--help` does not show the server URL from the environment either.
    let help = run(
        dir.path(),
        &["fetch", "--help"],
        &[(
            "RINGCENTRAL_SERVER_URL",
            "https://example.com/?access_token=S3CRET",
        )],
    );
    assert_eq!(code(&help), 0);
    assert!(!stdout(&help).contains("S3CRET"), "{}", stdout(&help));
}

#[test]
fn the_output_is_checked_before_the_first_request() {
    // Nobody listens on port 9: a fetch that went first would fail there.
    let dir = tempfile::tempdir().expect("dir");
    let env: &[(&str, &str)] = &[("RINGCENTRAL_TOKEN", "x")];
    expect_failures(
        dir.path(),
        &[
            (
                &["fetch", "--server", "http://127.0.0.1:9", "-o", "."],
                env,
                "cannot write .: it is a folder",
            ),
            (
                &[
                    "fetch",
                    "--server",
                    "http://127.0.0.1:9",
                    "-o",
                    "no-such-folder/s.json",
                ],
                env,
                "cannot write no-such-folder/s.json: no such folder",
            ),
            (
                &["audit", "--server", "http://127.0.0.1:9", "--save", "."],
                env,
                "cannot write .: it is a folder",
            ),
        ],
    );
}

#[test]
fn bad_fetch_input_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    expect_failures(
        dir.path(),
        &[
            (
                &["fetch", "--server", "http://127.0.0.1:9", "-o", "s.json"],
                &[],
                "RINGCENTRAL_TOKEN",
            ),
            (
                &["fetch", "--server", "http://example.com", "-o", "s.json"],
                &[("RINGCENTRAL_TOKEN", "x")],
                "https://",
            ),
            (
                &["fetch", "--server", "http://127.0.0.1:9", "-o", "s.json"],
                &[("RINGCENTRAL_CLIENT_ID", "id")],
                "RINGCENTRAL_CLIENT_SECRET, RINGCENTRAL_JWT not set",
            ),
            (
                &[
                    "fetch",
                    "--server",
                    "http://127.0.0.1:9",
                    "--token-file",
                    "missing",
                    "-o",
                    "s.json",
                ],
                &[],
                "cannot read the token file missing",
            ),
        ],
    );
    // Nobody listening: the account cannot be read (after retries).
    let output = run(
        dir.path(),
        &["fetch", "--server", "http://127.0.0.1:9", "-o", "s.json"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("cannot read the account"),
        "{}",
        stderr(&output)
    );
}

/// Sends a signal (`INT`, `TERM`) to a process.
#[cfg(unix)]
fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid}");
}

/// Starts `fetch -o s.json` in `dir` and waits until its journal holds at
/// least `lines` lines.
#[cfg(unix)]
fn fetch_under_way(dir: &Path, url: &str, lines: usize) -> std::process::Child {
    let mut child = command(
        dir,
        &["fetch", "--server", url, "-o", "s.json"],
        &[("RINGCENTRAL_TOKEN", "x")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let partial = dir.join("s.json.partial");
    let started = Instant::now();
    while std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count()) < lines {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("no progress");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

#[cfg(unix)]
#[test]
fn an_interrupted_fetch_keeps_whole_lines_and_prints_the_command_that_resumes() {
    for (signal, exit, name) in [("INT", 130, "SIGINT (Ctrl-C)"), ("TERM", 143, "SIGTERM")] {
        // About 600 requests at 40 per 250 ms: still running when signalled.
        let sandbox = Sandbox::start(generated(300, 250));
        let dir = tempfile::tempdir().expect("dir");
        let url = sandbox.url();
        let child = fetch_under_way(dir.path(), &url, 60);
        send(signal, child.id());
        let output = child.wait_with_output().expect("wait");
        assert_eq!(code(&output), exit, "{}", stderr(&output));
        assert!(!dir.path().join("s.json").exists());
        // The journal: a header and whole pieces, each line JSON.
        let journal = std::fs::read_to_string(dir.path().join("s.json.partial")).expect("journal");
        assert!(journal.ends_with('\n'), "a cut line");
        for line in journal.lines() {
            serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        }
        let pieces = journal.lines().count() - 1;
        let message = stderr(&output)
            .replace(
                &format!(" {pieces} finished pieces "),
                " N finished pieces ",
            )
            .replace(&url, "URL")
            .replace(env!("CARGO_BIN_EXE_rcaudit"), "rcaudit");
        insta::assert_snapshot!(format!("interrupted_{signal}"), message);
        assert!(message.contains(name), "{message}");
        // The printed command continues the fetch, and nothing is lost.
        let resume = stderr(&output)
            .lines()
            .last()
            .expect("the command")
            .trim()
            .to_owned();
        let words: Vec<&str> = resume.split(' ').collect();
        assert_eq!(words[0], env!("CARGO_BIN_EXE_rcaudit"));
        let resumed = run(dir.path(), &words[1..], &[("RINGCENTRAL_TOKEN", "x")]);
        assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
        assert!(
            stderr(&resumed).contains(&format!("{pieces} pieces from the journal")),
            "{}",
            stderr(&resumed)
        );
        assert_eq!(
            comparable_snapshot(read(&dir.path().join("s.json"))),
            sandbox.expected()
        );
        assert!(!dir.path().join("s.json.partial").exists());
    }
}

#[test]
fn audit_without_save_names_no_file_and_writes_every_report() {
    let sandbox = Sandbox::start(generated(30, 50));
    let dir = tempfile::tempdir().expect("dir");
    let output = run(
        dir.path(),
        &[
            "audit",
            "--server",
            &sandbox.url(),
            "--fail-on",
            "never",
            "--output",
            "json=r.json",
            "--output",
            "markdown=+summary.md",
        ],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let everything = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!everything.contains(".json:"), "{everything}");
    assert!(
        stdout(&output).contains("in <fetched snapshot, not saved>"),
        "{}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("; not saved (--save FILE keeps it)"),
        "{}",
        stderr(&output)
    );
    let report = read(&dir.path().join("r.json"));
    assert_eq!(report["snapshot"]["path"], "<fetched snapshot, not saved>");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).expect("summary");
    assert!(
        summary.contains("<fetched snapshot, not saved>"),
        "{summary}"
    );
    // Nothing but the reports was written.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["r.json", "summary.md"]);
}

#[cfg(unix)]
#[test]
fn an_interrupted_audit_without_save_says_nothing_is_kept() {
    let sandbox = Sandbox::start(generated(300, 250));
    let dir = tempfile::tempdir().expect("dir");
    let child = command(
        dir.path(),
        &["audit", "--server", &sandbox.url()],
        &[("RINGCENTRAL_TOKEN", "x")],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    // No journal to watch: wait until the sandbox has answered a few
    // requests, so the fetch (and its signal handling) is under way; a
    // fixed delay was too short on a loaded machine.
    let started = Instant::now();
    while requests_served(&sandbox.url()) < 5 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the audit made no requests"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    send("INT", child.id());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    insta::assert_snapshot!("interrupted_audit", stderr(&output));
    // With --save, the journal is kept and the printed command finishes
    // the audit.
    let mut child = command(
        dir.path(),
        &["audit", "--server", &sandbox.url(), "--save", "s.json"],
        &[("RINGCENTRAL_TOKEN", "x")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let partial = dir.path().join("s.json.partial");
    let started = Instant::now();
    while std::fs::read_to_string(&partial).map_or(0, |t| t.lines().count()) < 30 {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("no progress");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    send("INT", child.id());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(code(&output), 130, "{}", stderr(&output));
    let resume = stderr(&output)
        .lines()
        .last()
        .expect("the command")
        .trim()
        .to_owned();
    let words: Vec<&str> = resume.split(' ').collect();
    assert_eq!(
        words[1..],
        [
            "audit",
            "--server",
            &sandbox.url(),
            "--save",
            "s.json",
            "--resume"
        ]
    );
    let resumed = run(dir.path(), &words[1..], &[("RINGCENTRAL_TOKEN", "x")]);
    assert!(matches!(code(&resumed), 0 | 1), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains("pieces from the journal"),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(
        comparable_snapshot(read(&dir.path().join("s.json"))),
        sandbox.expected()
    );
}

/// Findings as (rule, pointer, message), not-evaluated entries as (rule,
/// reason).
type Verdicts = (Vec<(String, String, String)>, Vec<(String, String)>);

/// The findings of `check --format json` on `file`: (rule, pointer,
/// message), sorted; and the not-evaluated entries by rule.
fn verdicts(dir: &Path, file: &str) -> Verdicts {
    let check = run(dir, &["check", file, "--format", "json"], &[]);
    assert!(matches!(code(&check), 0 | 1), "{}", stderr(&check));
    let report: Value = serde_json::from_str(&stdout(&check)).expect("a JSON report");
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut findings: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| (text(&f["ruleId"]), text(&f["pointer"]), text(&f["message"])))
        .collect();
    findings.sort();
    let mut not_evaluated: Vec<(String, String)> = report["notEvaluated"]
        .as_array()
        .expect("notEvaluated")
        .iter()
        .map(|n| (text(&n["ruleId"]), text(&n["reason"])))
        .collect();
    not_evaluated.sort();
    (findings, not_evaluated)
}

#[test]
fn the_account_list_standing_in_for_each_extensions_numbers_changes_no_finding() {
    let sandbox = Sandbox::start(generated(200, 20));
    let dir = tempfile::tempdir().expect("dir");
    let url = sandbox.url();
    let env = [("RINGCENTRAL_TOKEN", "x")];
    // The default fetch, and one for every rule, which reads each
    // extension's list too (RC-PN-006 reads `features`, which only those
    // lists carry).
    for (file, extra) in [("s.json", None), ("every.json", Some("RC"))] {
        let mut args = vec!["fetch", "--server", &url, "-o", file];
        if let Some(select) = extra {
            args.extend(["--select", select]);
        }
        let output = run(dir.path(), &args, &env);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        // The summary says what was not asked for.
        let said = stderr(&output);
        let from_account_list = "each extension's phone numbers (the account list holds them)";
        assert_eq!(said.contains(from_account_list), extra.is_none(), "{said}");
        assert!(
            said.contains("forwarding lists of types without call forwarding (empty)"),
            "{said}"
        );
    }
    let default = read(&dir.path().join("s.json"));
    let every = read(&dir.path().join("every.json"));
    let lists = |doc: &Value| {
        doc["extensions"]
            .as_array()
            .expect("extensions")
            .iter()
            .filter(|e| e.get("phoneNumbers").is_some())
            .count()
    };
    assert_eq!(lists(&default), 0);
    assert_eq!(lists(&every), 200);
    assert_eq!(
        default["source"]["lists"]["extensionPhoneNumbers"]["obtained"],
        "accountList"
    );
    assert_eq!(
        every["source"]["lists"]["extensionPhoneNumbers"]["obtained"],
        "requested"
    );
    let (findings, not_evaluated) = verdicts(dir.path(), "s.json");
    let (every_findings, every_not_evaluated) = verdicts(dir.path(), "every.json");
    assert!(findings.len() > 10, "{findings:?}");
    assert_eq!(findings, every_findings);
    // The one difference: RC-PN-006 says which extensions it could not see.
    let others = |entries: &[(String, String)]| -> Vec<(String, String)> {
        entries
            .iter()
            .filter(|(rule, _)| rule != "RC-PN-006")
            .cloned()
            .collect()
    };
    assert_eq!(others(&not_evaluated), others(&every_not_evaluated));
    let pn006: Vec<&(String, String)> = not_evaluated
        .iter()
        .filter(|(rule, _)| rule == "RC-PN-006")
        .collect();
    assert_eq!(pn006.len(), 1, "{not_evaluated:?}");
    assert!(
        pn006[0]
            .1
            .starts_with("no extension's `phoneNumbers` is in the snapshot"),
        "{pn006:?}"
    );
    assert!(
        !every_not_evaluated
            .iter()
            .any(|(rule, _)| rule == "RC-PN-006"),
        "{every_not_evaluated:?}"
    );
}

#[test]
fn fetch_select_fetches_what_the_rules_read_and_the_rest_is_not_evaluated() {
    let sandbox = Sandbox::start(generated(40, 20));
    let dir = tempfile::tempdir().expect("dir");
    let url = sandbox.url();
    let output = fetch(dir.path(), &url, "fw.json", &["--select", "RC-FW-001"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let doc = read(&dir.path().join("fw.json"));
    assert!(
        doc["extensions"][0]["forwardingNumbers"].is_array(),
        "{doc}"
    );
    assert!(doc.get("phoneNumbers").is_none());
    assert!(doc.get("serviceInfo").is_none());
    assert!(doc["source"]["viewer"].get("permissions").is_none());
    let lists = &doc["source"]["lists"];
    for (list, obtained) in [
        ("phoneNumbers", "notRequested"),
        ("serviceInfo", "notRequested"),
        ("extensionPhoneNumbers", "notRequested"),
        ("forwardingNumbers", "requested"),
        ("extensions", "requested"),
    ] {
        assert_eq!(lists[list]["obtained"], obtained, "{list}: {lists}");
    }
    // Requests: account, viewer, the extension list, and one per extension
    // that can have forwarding numbers.
    let forwarding = doc["extensions"]
        .as_array()
        .expect("extensions")
        .iter()
        .filter(|e| {
            rcaudit_fetch::forwarding(e["type"].as_str()) != rcaudit_fetch::Forwarding::None
        })
        .count();
    let said = format!("{} requests", 3 + forwarding);
    assert!(
        stderr(&output).contains(&said),
        "{said}: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("the account's phone numbers (no chosen rule reads them)"),
        "{}",
        stderr(&output)
    );
    // `audit --select` fetches what the selected rules read, and checks
    // them: the same requests.
    let output = run(
        dir.path(),
        &[
            "audit",
            "--server",
            &url,
            "--select",
            "RC-FW-001",
            "--format",
            "json",
        ],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert!(matches!(code(&output), 0 | 1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&said),
        "{said}: {}",
        stderr(&output)
    );
    let report: Value = serde_json::from_str(&stdout(&output)).expect("a JSON report");
    assert_eq!(report["summary"]["rulesEnabled"], 1, "{report}");
    assert_eq!(report["notEvaluated"], serde_json::json!([]), "{report}");
    // What was not fetched is not evaluated, never passed.
    let (_, not_evaluated) = verdicts(dir.path(), "fw.json");
    for rule in ["RC-PN-001", "RC-SN-004", "RC-PN-010"] {
        assert!(
            not_evaluated.iter().any(|(id, _)| id == rule),
            "{rule}: {not_evaluated:?}"
        );
    }
    assert!(!not_evaluated.iter().any(|(id, _)| id == "RC-FW-001"));
    // A selection that names no rule is an error before any request.
    let output = fetch(dir.path(), &url, "x.json", &["--select", "RC-ZZ-999"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(!dir.path().join("x.json").exists());
}

#[cfg(unix)]
#[test]
fn fetch_plan_prints_requests_per_group_and_the_least_time() {
    let sandbox = Sandbox::start(generated(2500, 20));
    let dir = tempfile::tempdir().expect("dir");
    let url = sandbox.url();
    let output = run(
        dir.path(),
        &["fetch", "--server", &url, "--plan"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    // 2,500 extensions: 3 pages of the extension list and the viewer's
    // permissions (Medium); the account, service info, viewer and one
    // forwarding list per extension that can have one (Light): the same
    // count the fetch makes.
    let expected = sandbox.expected();
    let extensions = expected["extensions"].as_array().expect("extensions");
    let forwarding = extensions
        .iter()
        .filter(|e| {
            rcaudit_fetch::forwarding(e["type"].as_str()) != rcaudit_fetch::Forwarding::None
        })
        .count();
    assert!(forwarding > 2000 && forwarding < 2500, "{forwarding}");
    let light = 3 + forwarding;
    assert!(
        text.contains(&format!(
            "plan: 2500 extensions ({} of types without call forwarding)",
            2500 - forwarding
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("  {:<7} {:>7} requests", "Light", light)),
        "{text}"
    );
    assert!(text.contains("Medium        4 requests"), "{text}");
    let least = format!(
        "least time the limits allow: {} min 0 s (set by Light)\n",
        (light - 1) / 50
    );
    assert!(text.contains(&least), "{least}: {text}");
    assert!(
        !dir.path().read_dir().expect("dir").any(|_| true),
        "nothing written"
    );
    // Three requests only (the two totals and one by type): nothing was
    // fetched.
    assert_eq!(requests_served(&url), 3);
    // --plan and --output exclude each other.
    let output = run(
        dir.path(),
        &["fetch", "--server", &url, "--plan", "-o", "s.json"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
}

#[test]
fn fetch_preflight_says_what_is_missing_and_what_is_too_much() {
    let dir = tempfile::tempdir().expect("dir");
    // An administrator with the read permissions a fetch needs.
    let sandbox = Sandbox::start(generated(5, 20));
    let output = run(
        dir.path(),
        &["fetch", "--server", &sandbox.url(), "--preflight"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(
            "nothing is missing for a complete snapshot, and nothing is more than an audit needs"
        ),
        "{text}"
    );
    assert!(text.contains("not known: the token's scope"), "{text}");
    // A plain user whose permissions cover only their own extension.
    let sandbox = Sandbox::start(Config {
        viewer_admin: Some(false),
        ..generated(5, 20)
    });
    let output = run(
        dir.path(),
        &["fetch", "--server", &sandbox.url(), "--preflight"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("missing for a complete snapshot: the administrator's view"),
        "{text}"
    );
    assert!(
        text.contains("ReadCompanyPhoneNumbers beyond the user's own extension"),
        "{text}"
    );
    // A user who may edit, recorded in the served snapshot.
    let snapshot = dir.path().join("served.json");
    std::fs::write(
        &snapshot,
        serde_json::json!({
            "snapshotVersion": 1,
            "source": {"viewer": {"accountId": "1", "extensionId": "11", "admin": true, "permissions": [
                {"permission": {"id": "ReadCompanyInfo"}, "scopes": ["Account"]},
                {"permission": {"id": "ReadExtensions"}, "scopes": ["Account"]},
                {"permission": {"id": "ReadCompanyPhoneNumbers"}, "scopes": ["Account"]},
                {"permission": {"id": "ReadUserPhoneNumbers"}, "scopes": ["Account"]},
                {"permission": {"id": "ReadUserForwardingFlipNumbers"}, "scopes": ["Account"]},
                {"permission": {"id": "EditExtensionInfo"}, "scopes": ["Account"]}
            ]}},
            "account": {"id": 1},
            "extensions": [{"id": 11, "type": "User"}]
        })
        .to_string(),
    )
    .expect("write");
    let sandbox = Sandbox::start(Config {
        source: Source::Snapshot(snapshot),
        window: Duration::from_millis(20),
        ..Config::default()
    });
    let output = run(
        dir.path(),
        &["fetch", "--server", &sandbox.url(), "--preflight"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("nothing is missing for a complete snapshot; more than an audit needs: EditExtensionInfo (a user permission)"),
        "{text}"
    );
    // The fetch records them, and RC-SN-004 says so.
    let output = run(
        dir.path(),
        &["fetch", "--server", &sandbox.url(), "-o", "s.json"],
        &[("RINGCENTRAL_TOKEN", "x")],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let (findings, _) = verdicts(dir.path(), "s.json");
    assert!(
        findings
            .iter()
            .any(|(rule, pointer, message)| rule == "RC-SN-004"
                && pointer == "/source/viewer/permissions"
                && message.contains("EditExtensionInfo")),
        "{findings:?}"
    );
}
