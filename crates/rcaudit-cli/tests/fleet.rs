//! `rcaudit fleet` end to end, against several sandboxes (one rejecting
//! the token, one failing a share of its requests), and `fleet merge` as
//! the example GitHub Actions workflow runs it.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rcaudit_sandbox::server::comparable_snapshot;
use rcaudit_sandbox::{Config, FaultConfig};
use serde_json::Value;

mod common;
#[cfg(unix)]
use common::runner_step;
use common::{code, repo, stderr, stdout};
#[path = "common/sandbox.rs"]
mod sandbox;
use sandbox::{Sandbox, generated, requests_served};

/// The binary in `dir` with exactly the environment variables given (and
/// none of the runner's credentials).
fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rcaudit"));
    command
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1");
    command.envs(env.iter().copied());
    command
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    command(dir, args, env).output().expect("the binary runs")
}

fn read(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("JSON")
}

/// Checks a summary against `schemas/fleet.schema.json`.
fn valid_summary(summary: &Value) {
    let schema = read(&repo("schemas/fleet.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(summary)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{summary:#}");
}

/// The row of account `name` in a summary.
fn row<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no row {name} in {summary:#}"))
}

/// Three sandboxes (alpha; beta, which takes only its own token; gamma,
/// failing a share of its requests) and a fleet file in `dir` of five
/// accounts on them: alpha, beta, gamma (a token file), delta (the JWT
/// grant, on alpha's server) and epsilon (on alpha's, its variable unset).
fn five_accounts(dir: &Path) -> [Sandbox; 3] {
    let alpha = Sandbox::start(generated(40, 50));
    let mut strict = generated(25, 50);
    strict.require_token = Some("beta-secret".to_owned());
    let beta = Sandbox::start(strict);
    let mut faulty = generated(30, 50);
    faulty.faults = FaultConfig {
        fail_rate: 0.15,
        seed: 5,
        ..FaultConfig::default()
    };
    let gamma = Sandbox::start(faulty);
    std::fs::write(dir.join("gamma.token"), "gamma-secret\n").expect("token");
    let fleet = format!(
        "accounts:\n\
         - {{name: alpha, server: '{}', tokenEnv: ALPHA_TOKEN}}\n\
         - {{name: beta, server: '{}', tokenEnv: BETA_TOKEN}}\n\
         - {{name: gamma, server: '{}', tokenFile: gamma.token}}\n\
         - {{name: delta, server: '{}', clientIdEnv: D_ID, clientSecretEnv: D_SECRET, jwtEnv: D_JWT}}\n\
         - {{name: epsilon, server: '{}', tokenEnv: EPSILON_TOKEN}}\n",
        alpha.url(),
        beta.url(),
        gamma.url(),
        alpha.url(),
        alpha.url(),
    );
    std::fs::write(dir.join("fleet.yaml"), fleet).expect("fleet file");
    [alpha, beta, gamma]
}

/// Writes `fleet.yaml` in `dir`: each account on its sandbox, with the
/// token in `T`.
fn write_fleet(dir: &Path, accounts: &[(&str, &Sandbox)]) {
    let text: String = std::iter::once("accounts:\n".to_owned())
        .chain(accounts.iter().map(|(name, sandbox)| {
            format!(
                "- {{name: {name}, server: '{}', tokenEnv: T}}\n",
                sandbox.url()
            )
        }))
        .collect();
    std::fs::write(dir.join("fleet.yaml"), text).expect("write");
}

#[test]
fn each_account_is_audited_and_one_failing_does_not_stop_the_others() {
    let dir = tempfile::tempdir().expect("dir");
    let [alpha, beta, gamma] = five_accounts(dir.path());
    let env = [
        ("ALPHA_TOKEN", "alpha-secret"),
        ("BETA_TOKEN", "wrong"),
        ("D_ID", "client"),
        ("D_SECRET", "delta-secret"),
        ("D_JWT", "delta.jwt.secret"),
    ];
    let output = run(
        dir.path(),
        &[
            "fleet",
            "fleet.yaml",
            "--out-dir",
            "out",
            "--report",
            "sarif,markdown",
            "-j",
            "3",
        ],
        &env,
    );
    // beta's token is rejected and epsilon has none: no verdict, exit 2.
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let out = dir.path().join("out");
    let summary = read(&out.join("fleet.json"));
    valid_summary(&summary);
    assert_eq!(summary["file"]["accounts"], 5);
    assert_eq!(row(&summary, "beta")["state"], "noVerdict");
    assert!(
        row(&summary, "beta")["problem"]
            .as_str()
            .is_some_and(|p| p.contains("401")),
        "{summary:#}"
    );
    assert_eq!(row(&summary, "epsilon")["state"], "noVerdict");
    assert_eq!(
        row(&summary, "epsilon")["problem"],
        "no credentials: EPSILON_TOKEN is not set (or is empty)"
    );
    for name in ["alpha", "gamma", "delta"] {
        let account = row(&summary, name);
        assert!(
            account["state"] == "passed" || account["state"] == "failed",
            "{account:#}"
        );
        assert_eq!(
            account["files"],
            serde_json::json!([
                format!("{name}/snapshot.json"),
                format!("{name}/report.json"),
                format!("{name}/report.sarif"),
                format!("{name}/report.md"),
            ])
        );
        assert!(account["fetch"]["requests"].as_u64().is_some_and(|n| n > 0));
    }
    // Each snapshot is what a fetch of its account writes, the faulty
    // server's too, once its failed pieces are recorded.
    assert_eq!(
        comparable_snapshot(read(&out.join("alpha/snapshot.json"))),
        alpha.expected()
    );
    assert_eq!(
        comparable_snapshot(read(&out.join("delta/snapshot.json"))),
        alpha.expected()
    );
    let gamma_snapshot = read(&out.join("gamma/snapshot.json"));
    assert_eq!(
        row(&summary, "gamma")["fetch"]["errors"].as_u64(),
        Some(gamma_snapshot["errors"].as_array().map_or(0, Vec::len) as u64)
    );
    reports_are_checks(dir.path(), &["alpha", "gamma", "delta"]);
    assert!(!out.join("beta/snapshot.json").exists());
    // The table names every account, the problems under it.
    let table = stdout(&output);
    for name in ["alpha", "beta", "gamma", "delta", "epsilon"] {
        assert!(table.lines().any(|l| l.starts_with(name)), "{table}");
    }
    assert!(table.contains("  epsilon: no credentials"), "{table}");
    assert!(
        read_text(&out.join("fleet.md")).contains("| `beta` | no verdict |"),
        "{}",
        read_text(&out.join("fleet.md"))
    );
    no_secret_in(
        &output,
        &out,
        &[
            "alpha-secret",
            "gamma-secret",
            "delta-secret",
            "delta.jwt.secret",
        ],
    );
    resume_fetches_only_what_is_missing(dir.path(), &env, [&alpha, &beta, &gamma]);
}

/// Each account's report is the one `check` gives for its saved snapshot.
fn reports_are_checks(dir: &Path, names: &[&str]) {
    for name in names {
        let snapshot = format!("out/{name}/snapshot.json");
        let check = run(dir, &["check", &snapshot, "--format", "json"], &[]);
        assert!(matches!(code(&check), 0 | 1), "{}", stderr(&check));
        let report = read_text(&dir.join("out").join(name).join("report.json"));
        assert_eq!(report, stdout(&check), "{name}");
    }
}

/// No secret reaches what is printed or written.
fn no_secret_in(output: &Output, out: &Path, secrets: &[&str]) {
    let mut everything = format!("{}{}", stdout(output), stderr(output));
    for entry in walk(out) {
        everything.push_str(&read_text(&entry));
    }
    for secret in secrets {
        assert!(!everything.contains(secret), "{secret}");
    }
}

/// `--resume` after the first run: the accounts with a snapshot are
/// checked again without a request; the others are fetched now that their
/// credentials are right.
fn resume_fetches_only_what_is_missing(
    dir: &Path,
    env: &[(&str, &str)],
    [alpha, beta, gamma]: [&Sandbox; 3],
) {
    let out = dir.join("out");
    let served = (requests_served(&alpha.url()), requests_served(&gamma.url()));
    let mut fixed = env.to_vec();
    fixed[1] = ("BETA_TOKEN", "beta-secret");
    fixed.push(("EPSILON_TOKEN", "epsilon-secret"));
    let resumed = run(
        dir,
        &[
            "fleet",
            "fleet.yaml",
            "--out-dir",
            "out",
            "--resume",
            "--fail-on",
            "never",
        ],
        &fixed,
    );
    assert_eq!(code(&resumed), 0, "{}", stderr(&resumed));
    let summary = read(&out.join("fleet.json"));
    valid_summary(&summary);
    for name in ["alpha", "gamma", "delta"] {
        assert_eq!(row(&summary, name)["fetch"]["earlierRun"], true, "{name}");
    }
    // epsilon is fetched from alpha's server: more requests there, none
    // at gamma's.
    assert_eq!(requests_served(&gamma.url()), served.1);
    assert!(requests_served(&alpha.url()) > served.0);
    assert_eq!(row(&summary, "beta")["fetch"]["earlierRun"], false);
    assert_eq!(
        comparable_snapshot(read(&out.join("beta/snapshot.json"))),
        beta.expected()
    );
    assert!(
        stderr(&resumed).contains("the earlier run's snapshot"),
        "{}",
        stderr(&resumed)
    );
    // No report of the first run (sarif, markdown) is left beside this
    // run's, which wrote JSON only.
    let mut alpha_files: Vec<String> = walk(&out.join("alpha"))
        .iter()
        .filter_map(|p| Some(p.file_name()?.to_str()?.to_owned()))
        .collect();
    alpha_files.sort();
    assert_eq!(alpha_files, ["report.json", "snapshot.json"]);

    // A snapshot of another server, or one that left out a list the rules
    // read, is fetched again, not reused.
    let fleet = read_text(&dir.join("fleet.yaml"));
    let moved = fleet.replacen(&gamma.url(), &alpha.url(), 1);
    std::fs::write(dir.join("fleet.yaml"), moved).expect("fleet file");
    let narrow = dir.join("out/delta/snapshot.json");
    let text = read_text(&narrow).replacen(
        "\"forwardingNumbers\": {\n        \"obtained\": \"requested\"",
        "\"forwardingNumbers\": {\n        \"obtained\": \"notRequested\"",
        1,
    );
    assert!(
        text.contains("notRequested"),
        "the snapshot's source.lists changed"
    );
    std::fs::write(&narrow, text).expect("snapshot");
    let again = run(
        dir,
        &["fleet", "fleet.yaml", "--out-dir", "out", "--resume"],
        &fixed,
    );
    assert!(matches!(code(&again), 0 | 1), "{}", stderr(&again));
    let summary = read(&out.join("fleet.json"));
    assert_eq!(row(&summary, "gamma")["fetch"]["earlierRun"], false);
    assert_eq!(row(&summary, "delta")["fetch"]["earlierRun"], false);
    assert_eq!(row(&summary, "alpha")["fetch"]["earlierRun"], true);
    assert_eq!(
        comparable_snapshot(read(&out.join("gamma/snapshot.json"))),
        alpha.expected()
    );
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn a_fleet_file_with_mistakes_is_refused_before_any_fetch_with_every_problem_placed() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("fleet.yaml"),
        "accounts:\n  - name: alpha\n    tokenEnv: ALPHA_TOKEN\n    sever: https://x\n  - name: alpha\n    tokenEnv: A2\n  - name: ../up\n    tokenEnv: 'secret value'\n",
    )
    .expect("write");
    let output = run(
        dir.path(),
        &["fleet", "fleet.yaml", "--out-dir", "out"],
        &[],
    );
    assert_eq!(code(&output), 2);
    assert!(!dir.path().join("out").exists(), "nothing is created");
    assert!(
        !stderr(&output).contains("secret value"),
        "{}",
        stderr(&output)
    );
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn a_plan_says_what_each_account_costs_and_what_the_run_will_take() {
    let alpha = Sandbox::start(generated(40, 50));
    let mut strict = generated(25, 50);
    strict.require_token = Some("beta-secret".to_owned());
    let beta = Sandbox::start(strict);
    let dir = tempfile::tempdir().expect("dir");
    write_fleet(dir.path(), &[("alpha", &alpha), ("beta", &beta)]);
    let env = [("T", "token")];
    let plan = run(
        dir.path(),
        &["fleet", "fleet.yaml", "--plan", "-j", "2"],
        &env,
    );
    // beta refuses the token: no plan for it, exit 2; nothing is written.
    assert_eq!(code(&plan), 2, "{}", stderr(&plan));
    let table = stdout(&plan);
    let alpha_row: Vec<&str> = table
        .lines()
        .find(|l| l.starts_with("alpha"))
        .expect("alpha's row")
        .split_whitespace()
        .collect();
    assert_eq!(alpha_row[1], "40", "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("beta ") && l.ends_with('-')),
        "{table}"
    );
    assert!(table.contains("1 of 2 accounts planned"), "{table}");
    assert!(table.contains("  beta: "), "{table}");
    assert!(table.contains("401"), "{table}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    // The plan's requests are those the fetch makes.
    let out = run(
        dir.path(),
        &[
            "fleet",
            "fleet.yaml",
            "--out-dir",
            "out",
            "--fail-on",
            "never",
        ],
        &env,
    );
    assert_eq!(code(&out), 2, "beta has no verdict");
    let summary = read(&dir.path().join("out/fleet.json"));
    assert_eq!(
        row(&summary, "alpha")["fetch"]["requests"].to_string(),
        alpha_row[3],
        "{table}"
    );
}

#[test]
fn a_second_run_in_the_same_folder_is_refused_while_the_first_runs() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("fleet.yaml"),
        "accounts:\n- {name: alpha, server: 'http://127.0.0.1:9', tokenEnv: T}\n",
    )
    .expect("write");
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("alpha")).expect("dir");
    std::fs::write(out.join("alpha/report.json"), "the first run's").expect("write");
    // The first run, as far as the lock goes.
    let lock = std::fs::File::create(out.join(".fleet.lock")).expect("lock file");
    lock.try_lock().expect("locked");
    let second = run(
        dir.path(),
        &["fleet", "fleet.yaml", "--out-dir", "out"],
        &[],
    );
    assert_eq!(code(&second), 2);
    assert!(
        stderr(&second).contains("another `rcaudit fleet` is writing to out"),
        "{}",
        stderr(&second)
    );
    assert_eq!(read_text(&out.join("alpha/report.json")), "the first run's");
    assert!(!out.join("fleet.json").exists());
    // Once it ends, the folder is free (a killed run's lock goes with it).
    drop(lock);
    let third = run(
        dir.path(),
        &["fleet", "fleet.yaml", "--out-dir", "out"],
        &[],
    );
    assert_eq!(code(&third), 2, "T is not set: no verdict");
    assert!(out.join("fleet.json").exists());
}

/// Sends a signal to a process.
#[cfg(unix)]
fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[cfg(unix)]
#[test]
fn a_stopped_fleet_keeps_each_accounts_journal_and_resume_finishes_them() {
    // About 600 requests each at 40 per 250 ms: still running when stopped.
    let one = Sandbox::start(generated(300, 250));
    let two = Sandbox::start(Config {
        source: rcaudit_sandbox::Source::Generate {
            extensions: 300,
            seed: 8,
        },
        ..generated(300, 250)
    });
    let dir = tempfile::tempdir().expect("dir");
    write_fleet(dir.path(), &[("one", &one), ("two", &two)]);
    let env = [("T", "token")];
    let child = command(
        dir.path(),
        &["fleet", "fleet.yaml", "--out-dir", "out"],
        &env,
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    let journals = [
        dir.path().join("out/one/snapshot.json.partial"),
        dir.path().join("out/two/snapshot.json.partial"),
    ];
    let started = Instant::now();
    let lines = |path: &Path| std::fs::read_to_string(path).map_or(0, |t| t.lines().count());
    while journals.iter().any(|j| lines(j) < 40) {
        assert!(started.elapsed() < Duration::from_secs(30), "no progress");
        std::thread::sleep(Duration::from_millis(20));
    }
    // While the run lasts, its summary says it has not finished: a run
    // killed outright leaves no verdict behind.
    let running = read(&dir.path().join("out/fleet.json"));
    valid_summary(&running);
    for name in ["one", "two"] {
        assert_eq!(row(&running, name)["state"], "interrupted");
        assert!(
            row(&running, name)["problem"]
                .as_str()
                .is_some_and(|p| p.starts_with("the run did not finish")),
            "{running:#}"
        );
    }
    send("TERM", child.id());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(code(&output), 143, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("run the same command with --resume"),
        "{}",
        stderr(&output)
    );
    let summary = read(&dir.path().join("out/fleet.json"));
    valid_summary(&summary);
    assert_eq!(row(&summary, "one")["state"], "interrupted");
    assert_eq!(row(&summary, "two")["state"], "interrupted");
    // Without --resume, the journals are in the way, and nothing is lost.
    let again = run(
        dir.path(),
        &["fleet", "fleet.yaml", "--out-dir", "out"],
        &env,
    );
    assert_eq!(code(&again), 2);
    assert!(
        stderr(&again).contains("holds interrupted fetches (of one, two)"),
        "{}",
        stderr(&again)
    );
    assert!(journals.iter().all(|j| j.exists()));
    let resumed = run(
        dir.path(),
        &["fleet", "fleet.yaml", "--out-dir", "out", "--resume"],
        &env,
    );
    assert!(matches!(code(&resumed), 0 | 1), "{}", stderr(&resumed));
    let summary = read(&dir.path().join("out/fleet.json"));
    for (name, sandbox) in [("one", &one), ("two", &two)] {
        assert!(
            row(&summary, name)["fetch"]["resumedPieces"]
                .as_u64()
                .is_some_and(|n| n >= 39),
            "{summary:#}"
        );
        assert_eq!(
            comparable_snapshot(read(&dir.path().join(format!("out/{name}/snapshot.json")))),
            sandbox.expected()
        );
    }
    assert!(journals.iter().all(|j| !j.exists()));
}

/// Fills the `${{ ... }}` expressions the example workflow uses.
fn fill(value: &str, shard: &str, secrets: &BTreeMap<&str, String>) -> String {
    let expression = value.trim();
    if expression == "${{ matrix.shard }}" {
        return shard.to_owned();
    }
    if let Some(name) = expression
        .strip_prefix("${{ secrets.")
        .and_then(|r| r.strip_suffix(" }}"))
    {
        return secrets.get(name).cloned().unwrap_or_default();
    }
    assert!(
        !value.contains("${{"),
        "an expression this test does not know: {value}"
    );
    value.to_owned()
}

/// Runs a job's shell steps as a runner would (but the install step:
/// this build is on the `PATH`); `uses:` steps are the caller's.
fn run_job(
    dir: &Path,
    job: &Value,
    shard: &str,
    secrets: &BTreeMap<&str, String>,
    summary_file: &Path,
) -> Vec<Output> {
    let mut outputs = Vec::new();
    for step in job["steps"].as_array().expect("steps") {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        if step["name"] == "Install rcaudit" {
            continue;
        }
        let mut command = runner_step(dir, script);
        // Secrets only as the step gives them.
        for (name, _) in std::env::vars() {
            if name.ends_with("_TOKEN") || name.starts_with("RINGCENTRAL_") {
                command.env_remove(name);
            }
        }
        command.env("GITHUB_STEP_SUMMARY", summary_file);
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            command.env(
                name,
                fill(value.as_str().unwrap_or_default(), shard, secrets),
            );
        }
        outputs.push(command.output().expect("bash runs"));
        if outputs.last().is_some_and(|o| !o.status.success()) {
            break;
        }
    }
    outputs
}

/// Runs the example workflow's merge job in `dir`: its last step's output.
fn merge_job(
    dir: &Path,
    workflow: &Value,
    secrets: &BTreeMap<&str, String>,
    summary_file: &Path,
) -> Output {
    run_job(dir, &workflow["jobs"]["merge"], "", secrets, summary_file)
        .pop()
        .expect("the merge ran")
}

/// Copies `from` into `to` (an artifact uploaded, then downloaded).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A value for each secret the example workflow reads.
fn example_secrets() -> BTreeMap<&'static str, String> {
    [
        "ACME_HQ_TOKEN",
        "ACME_EU_TOKEN",
        "GLOBEX_CLIENT_ID",
        "GLOBEX_CLIENT_SECRET",
        "GLOBEX_JWT",
        "INITECH_TOKEN",
    ]
    .into_iter()
    .map(|name| match name {
        // The token endpoint takes a JWT's shape only.
        "GLOBEX_JWT" => (
            name,
            "eyJhbGciOiJSUzI1NiJ9.Z2xvYmV4.c2lnbmF0dXJl".to_owned(),
        ),
        _ => (name, format!("{name}-value")),
    })
    .collect()
}

/// The example fleet file in `dir`, each account served by a sandbox of
/// its own: the accounts' names and the sandboxes (kept running).
fn example_fleet(dir: &Path) -> (Vec<String>, Vec<Sandbox>) {
    // The example fleet file, each account served by a sandbox of its own.
    let example = read_text(&repo("examples/fleet/fleet.yaml"));
    let accounts = rcaudit_rules::yaml::parse(&example)
        .expect("YAML")
        .to_json()["accounts"]
        .as_array()
        .expect("accounts")
        .clone();
    let sandboxes: Vec<Sandbox> = (0..accounts.len())
        .map(|i| {
            Sandbox::start(Config {
                source: rcaudit_sandbox::Source::Generate {
                    extensions: 20 + 5 * i,
                    seed: 30 + i as u64,
                },
                ..generated(20, 50)
            })
        })
        .collect();
    let mut fleet = example.clone();
    for (account, sandbox) in accounts.iter().zip(&sandboxes) {
        let name = account["name"].as_str().expect("name");
        fleet = fleet.replacen(
            &format!("  - name: {name}\n"),
            &format!("  - name: {name}\n    server: '{}'\n", sandbox.url()),
            1,
        );
    }
    let fleet = fleet.replace("    server: https://platform.ringcentral.com\n", "");
    std::fs::write(dir.join("fleet.yaml"), &fleet).expect("fleet file");
    let mut names: Vec<String> = accounts
        .iter()
        .map(|a| a["name"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    (names, sandboxes)
}

#[cfg(unix)]
#[test]
fn the_example_workflow_audits_the_shards_in_parallel_jobs_and_merges_them() {
    let workflow =
        rcaudit_rules::yaml::parse(&read_text(&repo("examples/fleet/github-actions.yml")))
            .unwrap_or_else(|e| panic!("the workflow is YAML: {}", e.message))
            .to_json();
    let dir = tempfile::tempdir().expect("dir");
    let (names, _sandboxes) = example_fleet(dir.path());
    let secrets = example_secrets();

    let audit = &workflow["jobs"]["audit"];
    let shards: Vec<String> = audit["strategy"]["matrix"]["shard"]
        .as_array()
        .expect("a matrix of shards")
        .iter()
        .map(ToString::to_string)
        .collect();
    let summary_file = dir.path().join("step-summary.md");
    // The matrix's jobs, each on a fresh runner (a folder of its own).
    let mut held = Vec::new();
    let mut worst = 0;
    for shard in &shards {
        let runner = dir.path().join(format!("runner-{shard}"));
        std::fs::create_dir_all(&runner).expect("runner");
        std::fs::copy(dir.path().join("fleet.yaml"), runner.join("fleet.yaml")).expect("copy");
        let outputs = run_job(&runner, audit, shard, &secrets, &summary_file);
        let last = outputs.last().expect("a step ran");
        worst = worst.max(code(last));
        assert!(
            matches!(code(last), 0 | 1),
            "shard {shard}: {}{}",
            stdout(last),
            stderr(last)
        );
        // upload-artifact, then download-artifact with `pattern` and `path`.
        let results = runner.join(format!("fleet-{shard}"));
        copy_tree(
            &results,
            &dir.path().join(format!("merge/shards/fleet-{shard}")),
        );
        let summary = read(&results.join("fleet.json"));
        held.extend(
            summary["accounts"]
                .as_array()
                .expect("rows")
                .iter()
                .map(|a| a["name"].as_str().expect("name").to_owned()),
        );
    }
    // Each account in exactly one shard.
    held.sort();
    assert_eq!(held, names);

    let merge_dir = dir.path().join("merge");
    let merged_run = &merge_job(&merge_dir, &workflow, &secrets, &summary_file);
    let merged = read(&merge_dir.join("fleet.json"));
    valid_summary(&merged);
    assert_eq!(
        merged["accounts"].as_array().map(Vec::len),
        Some(names.len())
    );
    assert!(merged.get("problems").is_none(), "{merged:#}");
    // The merged verdict is the worst of the shard jobs' own.
    assert_eq!(code(merged_run), worst, "{}", stderr(merged_run));
    let step_summary = read_text(&summary_file);
    assert!(
        step_summary.contains(&format!(
            "rcaudit fleet: {} accounts (shards 1, 2, 3",
            names.len()
        )),
        "{step_summary}"
    );

    // A shard whose job died before its summary: the merge says so and fails.
    std::fs::remove_dir_all(merge_dir.join("shards/fleet-2")).expect("remove");
    let failed = &merge_job(&merge_dir, &workflow, &secrets, &summary_file);
    assert_eq!(code(failed), 2);
    assert!(
        stdout(failed).contains("error: shard 2/3 of this fleet file is missing"),
        "{}",
        stdout(failed)
    );
    // Its artifact there, but empty: the same, and the folder is named.
    std::fs::create_dir_all(merge_dir.join("shards/fleet-2")).expect("dir");
    let failed = &merge_job(&merge_dir, &workflow, &secrets, &summary_file);
    assert_eq!(code(failed), 2);
    assert!(
        stdout(failed).contains("fleet-2/ has no fleet.json"),
        "{}",
        stdout(failed)
    );
}
