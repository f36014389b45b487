//! The `rcaudit-sandbox` binary end to end: the ready line, serving,
//! `--dump-snapshot`, and argument errors.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rcaudit-sandbox");

/// Kills the child when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn prints_the_address_and_serves() {
    let child = Command::new(BIN)
        .args([
            "--port",
            "0",
            "--extensions",
            "4",
            "--seed",
            "2",
            "--window-ms",
            "1000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Server(child);
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let Some(port) = line
        .trim_end()
        .strip_prefix("listening on http://127.0.0.1:")
    else {
        panic!("unexpected first line {line:?}");
    };
    let url = format!("http://127.0.0.1:{port}");
    // Already installed is fine; see the dev-dependency's note.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = client
        .get(format!("{url}/restapi/v1.0/account/~/extension"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-rate-limit-window"], "1");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["paging"]["totalElements"], 4);
}

#[cfg(test)] // clippy.toml's test allowances cover helpers in cfg(test) items
fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn dump_snapshot_is_deterministic() {
    let args = ["--extensions", "20", "--seed", "4", "--dump-snapshot"];
    let (code, a, _) = run(&args);
    assert_eq!(code, 0);
    let (_, b, _) = run(&args);
    assert_eq!(a, b);
    let doc: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(doc["snapshotVersion"], 1);
    assert_eq!(doc["extensions"].as_array().unwrap().len(), 20);
    assert_eq!(doc["source"]["viewer"]["admin"], true);
    let (_, user, _) = run(&[
        "--extensions",
        "20",
        "--seed",
        "4",
        "--dump-snapshot",
        "--viewer",
        "user",
    ]);
    let user: serde_json::Value = serde_json::from_str(&user).unwrap();
    assert!(user.get("phoneNumbers").is_none());
    assert_eq!(user["source"]["viewer"]["admin"], false);
}

#[test]
fn bad_arguments_exit_2() {
    let cases: &[(&[&str], &str)] = &[
        (&["--fail-rate", "1.5"], "--fail-rate"),
        (
            &["--fail-rate", "0.6", "--drop-rate", "0.6"],
            "must not exceed 1",
        ),
        (&["--extensions", "0"], "--extensions"),
        (&["--snapshot", "/nonexistent/s.json"], "cannot read"),
        (&["--window-ms", "0"], "window-ms"),
        (
            &["--snapshot", "x.json", "--seed", "3"],
            "cannot be used with",
        ),
    ];
    for (args, message) in cases {
        let (code, _, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}
