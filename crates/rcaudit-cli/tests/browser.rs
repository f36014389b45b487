//! The HTML report in a real browser: Chromium, driven by playwright-core
//! (`tests/node/html-report.mjs`, installed with `npm ci --prefix
//! tests/node`). The page is compared with the JSON report of the same run
//! and with the snapshot; a report of hostile data must run none of it.
//!
//! Chromium is the system's (`apt-get install chromium`; `.ci/run` installs
//! it), or `RCAUDIT_CHROMIUM`. Without it these tests fail, saying what to
//! install: a browser test that skips itself would pass without testing.
//! The screenshots are left in `CARGO_TARGET_TMPDIR/browser/`.

#![expect(clippy::expect_used, clippy::panic, reason = "tests fail by panicking")]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{code, rcaudit_in, repo, stderr};

/// The browser to drive: `RCAUDIT_CHROMIUM`, or the first Chromium or
/// Chrome on the `PATH`.
fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("RCAUDIT_CHROMIUM") {
        return PathBuf::from(path);
    }
    let names = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    names
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "no Chromium on the PATH: install it (`apt-get install chromium`) or set \
                 RCAUDIT_CHROMIUM to a Chromium or Chrome binary"
            )
        })
}

/// Runs `tests/node/html-report.mjs` with `args`; fails the test with its
/// report of problems.
fn drive(args: &[&OsStr]) {
    let tools = repo("tests/node");
    assert!(
        tools.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/node`"
    );
    let output = Command::new("node")
        .arg(tools.join("html-report.mjs"))
        .args(args)
        .env("RCAUDIT_CHROMIUM", chromium())
        .output()
        .expect("node runs (Node.js 20 or later)");
    assert!(
        output.status.success(),
        "the browser found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A folder for one test's files that outlives the test (screenshots).
fn artefacts(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(name);
    std::fs::create_dir_all(&dir).expect("a folder for the artefacts");
    dir
}

/// The demo, with one finding waived and one in a baseline, so each
/// state is shown.
#[test]
fn the_demo_report_matches_the_json_report_in_a_browser() {
    let dir = artefacts("demo");
    let snapshot = repo("examples/demo.snapshot.json");
    let first = dir.join("first.json");
    let output = rcaudit_in(
        &repo(""),
        &[
            "check",
            "examples/demo.snapshot.json",
            "--output",
            &format!("json={}", first.display()),
            "--quiet",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    // The baseline: the first run's report with only its last finding.
    let mut baseline: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&first).expect("the first report")).expect("JSON");
    let findings = baseline["findings"].as_array_mut().expect("findings");
    let waived = findings[0]["fingerprint"]
        .as_str()
        .expect("a fingerprint")
        .to_owned();
    let rule = findings[0]["ruleId"].as_str().expect("a rule").to_owned();
    findings.drain(..findings.len() - 1);
    let baseline_path = dir.join("baseline.json");
    std::fs::write(&baseline_path, baseline.to_string()).expect("written");
    let waivers = dir.join("waivers.yaml");
    std::fs::write(
        &waivers,
        format!(
            "waivers:\n  - rule: {rule}\n    item: {waived}\n    reason: the browser test\n    \
             owner: qa\n"
        ),
    )
    .expect("written");
    let html = dir.join("demo.html");
    let json = dir.join("demo.json");
    let output = rcaudit_in(
        &repo(""),
        &[
            "check",
            "examples/demo.snapshot.json",
            "--waivers",
            &waivers.to_string_lossy(),
            "--baseline",
            &baseline_path.to_string_lossy(),
            "--output",
            &format!("html={}", html.display()),
            "--output",
            &format!("json={}", json.display()),
            "--quiet",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let summary =
        &serde_json::from_slice::<serde_json::Value>(&std::fs::read(&json).expect("the report"))
            .expect("JSON")["summary"];
    assert_eq!(summary["waived"], 1, "{summary}");
    drive(&[
        OsStr::new("check"),
        html.as_os_str(),
        json.as_os_str(),
        snapshot.as_os_str(),
        dir.as_os_str(),
    ]);
    for shot in ["report.png", "extension.png"] {
        let size = std::fs::metadata(dir.join(shot)).map_or(0, |m| m.len());
        assert!(size > 10_000, "{shot} was not written ({size} bytes)");
    }
}

/// Markup and script in every kind of text a report shows: names (in the
/// findings' messages and the extension view), the snapshot's provenance
/// and fetch errors, a rule's title, docs, message and references.
#[test]
fn a_report_of_hostile_data_runs_none_of_it() {
    let dir = artefacts("hostile");
    let marker = "MARK<img src=x onerror=\"window.pwned=true\">";
    let script = "</script><script>window.pwned=true</script><!--";
    let mut snapshot: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("examples/demo.snapshot.json")).expect("the demo"),
    )
    .expect("the demo is JSON");
    for (i, extension) in snapshot["extensions"]
        .as_array_mut()
        .expect("extensions")
        .iter_mut()
        .enumerate()
    {
        extension["name"] = serde_json::Value::from(if i % 2 == 0 { marker } else { script });
    }
    snapshot["source"]["server"] = serde_json::Value::from(script);
    snapshot["errors"][0]["message"] = serde_json::Value::from(marker);
    let snapshot_path = dir.join("hostile.json");
    std::fs::write(&snapshot_path, snapshot.to_string()).expect("written");
    let rules = dir.join("hostile.yaml");
    std::fs::write(
        &rules,
        format!(
            "rules:\n  - id: X-1\n    severity: error\n    title: '{script}'\n    \
             description: '<svg onload=\"window.pwned=true\">'\n    \
             references: ['javascript:window.pwned=true', 'https://x.test/\" onclick=\"window.pwned=true']\n    \
             target: extensions\n    assert: 'false'\n    \
             message: '{{{{ item.name }}}} <iframe src=\"https://x.test/\"></iframe>'\n"
        ),
    )
    .expect("written");
    let html = dir.join("hostile.html");
    let output = rcaudit_in(
        &repo(""),
        &[
            "check",
            &snapshot_path.to_string_lossy(),
            "--rules",
            &rules.to_string_lossy(),
            "--output",
            &format!("html={}", html.display()),
            "--quiet",
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    drive(&[OsStr::new("hostile"), html.as_os_str(), OsStr::new(marker)]);
}
