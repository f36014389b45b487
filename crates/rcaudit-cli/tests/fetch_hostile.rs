//! `rcaudit fetch` end to end against a hostile server
//! (`rcaudit_sandbox::hostile`, in-process; the binary runs as a separate
//! process): a wait the server asks for beyond `--max-wait` fails at once
//! and says so, server text never steers the terminal, and the journal's
//! messages say what really happened.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcaudit_sandbox::hostile::{self, ACCOUNT, Hostile, Reply, Request, Script};
use serde_json::Value;

/// A hostile server on its own runtime for as long as the value lives.
struct Served {
    server: Option<Hostile>,
    runtime: tokio::runtime::Runtime,
}

impl Served {
    fn start(script: Script) -> Served {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime
            .block_on(Hostile::start(script))
            .expect("hostile server");
        Served {
            server: Some(server),
            runtime,
        }
    }

    fn url(&self) -> String {
        self.server.as_ref().expect("running").url()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let server = self.server.take();
        self.runtime.block_on(async move { drop(server) });
    }
}

/// An account with extensions 2 and 3 whose answer to `path` (under the
/// account) is `reply`.
fn one_bad_path(path: &'static str, reply: Reply) -> Script {
    let ids = vec!["\"2\"".to_owned(), "\"3\"".to_owned()];
    Arc::new(move |request: &Request| {
        if request.path == format!("{ACCOUNT}{path}") {
            reply.clone()
        } else {
            hostile::account(request, &ids)
        }
    })
}

/// Runs the binary in `dir` with a token, killed (and the test failed)
/// after a minute: a fetch that waits as the server says takes days.
fn run(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rcaudit"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1");
    for (name, _) in std::env::vars() {
        if name.starts_with("RINGCENTRAL_") {
            command.env_remove(name);
        }
    }
    let mut child = command
        .env("RINGCENTRAL_TOKEN", "hostile-token")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file")).expect("JSON")
}

#[test]
fn fetch_a_wait_beyond_max_wait_fails_at_once_and_says_so() {
    let reply = Reply::error(429, "CMN-429", "slow down").with_header("Retry-After", "999999");
    let served = Served::start(one_bad_path("/extension/3/forwarding-number", reply));
    let dir = tempfile::tempdir().expect("dir");
    let url = served.url();
    for args in [
        &["fetch", "--server", &url, "-o", "a.json"][..],
        &[
            "fetch",
            "--server",
            &url,
            "-o",
            "b.json",
            "--max-wait",
            "30",
            "--max-response-mib",
            "1",
        ][..],
    ] {
        let output = run(dir.path(), args);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains("requests failed"), "{message}");
        assert!(message.contains("--max-wait"), "{message}");
        let file = args[4];
        let doc = read(&dir.path().join(file));
        // The 429 itself; the server paused the whole rate-limit group, so
        // its requests after that one fail at once too, saying why.
        let errors = doc["errors"].as_array().expect("errors");
        let refused = errors
            .iter()
            .find(|e| e["pointer"] == "/extensions/1/forwardingNumbers")
            .expect("the refused list");
        assert_eq!(refused["status"], 429);
        assert!(
            refused["message"]
                .as_str()
                .is_some_and(|m| m.contains("999999") && m.contains("--max-wait")),
            "{doc:#}"
        );
        for error in errors {
            assert!(
                error["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("--max-wait")),
                "{doc:#}"
            );
        }
    }
}

/// Terminal control: clear the screen, set the title, ring the bell, a C1
/// control sequence introducer, and a right-to-left override.
const STEERING: &str = "no\u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{202e}txt.exe";

fn assert_printable(text: &str) {
    for c in text.chars() {
        let control = (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}';
        assert!(!control, "{c:?} in {text:?}");
    }
}

#[test]
fn fetch_output_neutralises_control_characters_from_the_server() {
    let dir = tempfile::tempdir().expect("dir");
    // In the summary of a finished fetch.
    let served = Served::start(one_bad_path(
        "/extension/2/forwarding-number",
        Reply::error(404, "CMN-\u{1b}[31m", STEERING),
    ));
    let output = run(
        dir.path(),
        &["fetch", "--server", &served.url(), "-o", "s.json"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("1 requests failed"), "{message}");
    assert!(message.contains("pwned"), "{message}");
    assert_printable(&message);
    // The snapshot keeps the server's text as it was (JSON escapes it).
    let doc = read(&dir.path().join("s.json"));
    assert_eq!(doc["errors"][0]["message"], STEERING);
    // In the error of a failed fetch.
    let served = Served::start(one_bad_path("", Reply::error(403, "CMN-403", STEERING)));
    let output = run(
        dir.path(),
        &["fetch", "--server", &served.url(), "-o", "t.json"],
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("cannot read the account"), "{message}");
    assert_printable(&message);
}

#[test]
fn fetch_a_journal_in_use_is_not_called_interrupted() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("s.json.partial");
    std::fs::write(
        &journal,
        "{\"journal\":\"rcaudit-fetch\",\"version\":1,\"server\":\"http://127.0.0.1:9\",\"capturedAt\":\"t\"}\n",
    )
    .expect("write");
    // Another fetch holds the journal's lock while it runs.
    let held = std::fs::File::open(&journal).expect("open");
    held.try_lock().expect("the lock");
    for resume in [false, true] {
        let mut args = vec!["fetch", "--server", "http://127.0.0.1:9", "-o", "s.json"];
        if resume {
            args.push("--resume");
        }
        let output = run(dir.path(), &args);
        assert_eq!(code(&output), 2, "{}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains("another fetch is writing"), "{message}");
        assert!(message.contains("right now"), "{message}");
        assert!(!message.contains("interrupted"), "{message}");
        assert!(!message.contains("run again with --resume"), "{message}");
    }
    drop(held);
    // Released: now it is an interrupted fetch, to resume.
    let output = run(
        dir.path(),
        &["fetch", "--server", "http://127.0.0.1:9", "-o", "s.json"],
    );
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("interrupted"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn fetch_an_unreadable_journal_is_not_called_unwritable() {
    let dir = tempfile::tempdir().expect("dir");
    // Not text: it cannot be read, let alone continued.
    std::fs::write(dir.path().join("s.json.partial"), b"\xff\xfe\x00\n").expect("write");
    let output = run(
        dir.path(),
        &[
            "fetch",
            "--server",
            "http://127.0.0.1:9",
            "-o",
            "s.json",
            "--resume",
        ],
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let message = stderr(&output);
    assert!(!message.contains("cannot write"), "{message}");
    assert!(!message.contains("run again with --resume"), "{message}");
    assert!(message.contains("not UTF-8"), "{message}");
    assert!(message.contains("remove"), "{message}");
    // A folder where the journal should be: it cannot be opened.
    std::fs::create_dir(dir.path().join("f.json.partial")).expect("dir");
    let output = run(
        dir.path(),
        &[
            "fetch",
            "--server",
            "http://127.0.0.1:9",
            "-o",
            "f.json",
            "--resume",
        ],
    );
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("cannot open the journal"), "{message}");
    assert!(!message.contains("run again with --resume"), "{message}");
}
