//! The fetch against a mock server generated from RingCentral's own
//! specification: Stoplight Prism serving
//! `tests/fixtures/ringcentral/rc-platform-openapi-2026-08.yml` as it is.
//!
//! Prism answers with bodies shaped by the spec's schemas, not by an
//! account (ids like -9007199254740991, strings like "string"), and
//! announces a `navigation.nextPage` on every page whatever was asked
//! (`docs/api-facts.md`, Paging). So this shows that the fetch parses what the real spec
//! describes, that its paging ends against a server that never stops
//! offering a next page, and that the snapshot it writes from such answers
//! is valid by the snapshot schema.
//!
//! The second test puts Prism's validating proxy between the fetch and the
//! sandbox (`rcaudit-sandbox`), for an administrator and for a plain user:
//! every answer the sandbox gives to every request the fetch makes is
//! checked against the same spec, so the sandbox cannot drift from the
//! real API's shapes (an enum value the API does not have, a field of the
//! wrong type) without this failing, for endpoints added later too.
//!
//! Prism comes from npm: `npm ci` in `tests/node` (`.ci/run` does it).
//! Without it this test fails, saying so, rather than skip.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test by panicking"
)]

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rcaudit_fetch::{Credentials, Options, Secret, Server, Silent, Tuning};
use serde_json::Value;

/// How long prism may take to load the 1.7 MB spec (about a second on an
/// idle machine, over ten while cargo builds alongside).
const STARTUP: Duration = Duration::from_secs(120);

/// The spec-shaped id prism gives every `int64` id: the schema's minimum
/// safe integer.
const MOCK_ID: i64 = -9_007_199_254_740_991;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running prism, killed when dropped (the test passing or failing).
struct Prism {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Prism {
    /// Prism's mock server: answers made up from the spec's schemas.
    fn mock() -> Prism {
        Prism::start("mock", &[])
    }

    /// Prism's validating proxy in front of `upstream`: every request and
    /// answer is checked against the spec, and with `--errors` a violation
    /// is answered with a 500 (its details in the body) instead.
    fn proxy(upstream: &str) -> Prism {
        Prism::start("proxy", &["--errors", upstream])
    }

    /// Starts prism (`mock` or `proxy`, the spec, then `after`) on a free
    /// loopback port and waits until it accepts connections.
    fn start(mode: &str, after: &[&str]) -> Prism {
        let root = repo_root();
        let prism_dir = root.join("tests/node");
        let bin = prism_dir.join("node_modules/.bin/prism");
        assert!(
            bin.exists(),
            "{} is missing: run `npm ci` in {} (Node 20+); .ci/run does",
            bin.display(),
            prism_dir.display()
        );
        let spec = root.join("tests/fixtures/ringcentral/rc-platform-openapi-2026-08.yml");
        assert!(spec.exists(), "{} is missing", spec.display());

        // A free port: bind port 0, note what the system gave, release it.
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let dir = tempfile::tempdir().expect("temporary directory");
        let log = dir.path().join("prism.log");
        let out = File::create(&log).expect("prism's log file");
        let err = out.try_clone().expect("prism's log file");
        let child = Command::new(&bin)
            .args([mode, "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec)
            .args(after)
            .current_dir(&prism_dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        let mut prism = Prism {
            child,
            port,
            log,
            _dir: dir,
        };
        prism.wait_ready();
        prism
    }

    fn wait_ready(&mut self) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let started = Instant::now();
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(500)).is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "prism exited ({status}) before accepting connections:\n{}",
                    self.log_text()
                );
            }
            assert!(
                started.elapsed() < STARTUP,
                "prism did not accept connections on {address} within {STARTUP:?}:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn server(&self) -> Server {
        Server::parse(&format!("http://127.0.0.1:{}", self.port)).expect("loopback URL")
    }
}

/// The snapshot's schema problems, one a line.
fn schema_problems(error: &rcaudit_model::LoadError) -> String {
    match error {
        rcaudit_model::LoadError::Schema { related, .. } => related
            .iter()
            .map(|p| format!("  {}: {}", p.pointer, p.message))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("  {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_and_validates_what_the_spec_describes() {
    let prism = Prism::mock();
    let options = Options {
        server: prism.server(),
        // Prism checks that a bearer token is there, not what it is.
        credentials: Credentials::Token(Secret::new("prism")),
        tuning: Tuning {
            backoff: Duration::from_millis(20),
            timeout: Duration::from_secs(30),
            ..Tuning::default()
        },
        generator: "rcaudit prism test".to_owned(),
        journal: None,
        // Every endpoint: each extension's phone numbers too, which the
        // account list would otherwise stand in for.
        data: rcaudit_fetch::Data {
            extension_phone_numbers: rcaudit_fetch::ExtensionNumbers::Yes,
            ..rcaudit_fetch::Data::ALL
        },
    };
    let started = Instant::now();
    let fetched = match rcaudit_fetch::fetch(options, Arc::new(Silent)).await {
        Ok(fetched) => fetched,
        Err(error) => panic!(
            "the fetch failed: {error}\nprism's log:\n{}",
            prism.log_text()
        ),
    };
    let took = started.elapsed();
    let summary = &fetched.summary;

    // Every piece parsed: no `errors` entry, no retry.
    assert!(
        summary.problems.is_empty(),
        "pieces failed: {:#?}\nprism's log:\n{}",
        summary.problems,
        prism.log_text()
    );
    assert_eq!(summary.retries, 0, "no request needed a retry");
    assert_eq!(summary.rejected(), 0, "prism never answers 429");

    let doc: Value = serde_json::from_str(&fetched.text).expect("the snapshot is JSON");
    assert!(doc.get("errors").is_none(), "{}", fetched.text);

    // The account is prism's spec-shaped GetAccountInfoResponse, verbatim.
    let account = &doc["account"];
    assert!(account.is_object(), "account: {account}");
    assert_eq!(account["id"], MOCK_ID, "account: {account}");
    assert_eq!(account["bsid"], "string");
    assert!(account["serviceInfo"]["billingPlan"].is_object());
    assert!(doc["serviceInfo"]["serviceFeatures"].is_array());
    assert_eq!(doc["source"]["viewer"]["accountId"], MOCK_ID.to_string());
    assert_eq!(
        doc["source"]["viewer"]["extensionId"],
        MOCK_ID.to_string(),
        "the viewer is GET /extension/~"
    );
    assert_eq!(doc["source"]["viewer"]["admin"], true);

    // Lists: prism sends one record a page, `perPage: 50`, and a next page
    // always; the fetch takes the short page as the last.
    let extensions = doc["extensions"].as_array().expect("extensions is a list");
    assert!(!extensions.is_empty(), "prism sends one extension");
    assert_eq!(summary.extensions, extensions.len());
    assert_eq!(extensions[0]["id"], MOCK_ID);
    for (i, extension) in extensions.iter().enumerate() {
        for list in ["phoneNumbers", "forwardingNumbers"] {
            assert!(
                extension[list].is_array(),
                "/extensions/{i}/{list}: {}",
                extension[list]
            );
        }
    }
    let phone_numbers = doc["phoneNumbers"].as_array().expect("phoneNumbers");
    assert_eq!(summary.phone_numbers, Some(phone_numbers.len()));

    // The viewer's permissions: `authz-profile`'s list, verbatim.
    assert!(
        doc["source"]["viewer"]["permissions"].is_array(),
        "{}",
        doc["source"]
    );

    // Bounded paging: one page per list. Account, service info, own
    // extension, its permissions, account numbers and the extension list,
    // then two lists per extension.
    let expected = 6 + 2 * extensions.len() as u64;
    assert_eq!(
        summary.requests(),
        expected,
        "each list should take a single page (prism announces a next page forever)"
    );
    assert!(took < Duration::from_secs(30), "the fetch took {took:?}");

    // The snapshot is valid by the snapshot schema.
    if let Err(error) = rcaudit_model::load_str("prism.snapshot.json", fetched.text.clone()) {
        panic!(
            "the snapshot from prism does not validate: {error}\n{}\n\n{}",
            schema_problems(&error),
            fetched.text
        );
    }
}

/// A fetch through `prism proxy --errors` in front of the sandbox: no
/// answer violates the specification (a violation would be a 500, so a
/// retry or a failed piece), and the proxy changes nothing: the snapshot is
/// the sandbox's own account.
#[test]
fn the_sandbox_answers_as_the_spec_says() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    for admin in [true, false] {
        runtime.block_on(async {
            let config = rcaudit_sandbox::Config {
                source: rcaudit_sandbox::Source::Generate {
                    extensions: 50,
                    seed: 1,
                },
                window: Duration::from_millis(200),
                viewer_admin: Some(admin),
                ..rcaudit_sandbox::Config::default()
            };
            let account = config.account().expect("a generated account");
            let running = rcaudit_sandbox::start(config)
                .await
                .expect("the sandbox starts");
            let prism = Prism::proxy(&running.url());
            let options = Options {
                server: prism.server(),
                credentials: Credentials::Token(Secret::new("test-token")),
                tuning: Tuning {
                    backoff: Duration::from_millis(20),
                    timeout: Duration::from_secs(30),
                    ..Tuning::default()
                },
                generator: "rcaudit prism proxy test".to_owned(),
                journal: None,
                data: rcaudit_fetch::Data::default(),
            };
            // `fetch --plan` first: its requests (the extension list
            // filtered by `type`, repeated) pass the proxy too, and it plans
            // the requests the fetch then makes.
            let plan = rcaudit_fetch::plan(options.clone(), Arc::new(Silent))
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "admin {admin}: the plan failed: {error}\n{}",
                        prism.log_text()
                    )
                });
            assert!(
                plan.without_forwarding.is_some_and(|n| n > 0 && n < 50),
                "admin {admin}: {plan:?}\n{}",
                prism.log_text()
            );
            let fetched = rcaudit_fetch::fetch(options, Arc::new(Silent))
                .await
                .unwrap_or_else(|error| {
                    panic!(
                        "admin {admin}: the fetch failed: {error}\n{}",
                        prism.log_text()
                    )
                });
            // A plain user is refused other extensions' lists (403s, in the
            // spec's error shape); an administrator is refused nothing. A
            // violation would be a 500, which the fetch retries.
            let summary = &fetched.summary;
            assert!(
                summary.retries == 0 && (!admin || summary.problems.is_empty()),
                "admin {admin}: answers were refused (retries {}): {:#?}\nprism's log:\n{}",
                summary.retries,
                summary.problems,
                prism.log_text()
            );
            let log = prism.log_text();
            assert!(
                !log.contains("VIOLATIONS") && !log.contains('\u{2716}'),
                "admin {admin}: prism reported violations:\n{log}"
            );
            let expected = rcaudit_sandbox::server::comparable_snapshot(
                serde_json::from_str(&rcaudit_sandbox::server::expected_snapshot_text(&account))
                    .expect("JSON"),
            );
            let got = rcaudit_sandbox::server::comparable_snapshot(
                serde_json::from_str(&fetched.text).expect("the snapshot is JSON"),
            );
            if admin {
                assert_eq!(got, expected, "the proxy changed what the sandbox said");
            }
            // `authz-profile` passed the proxy: the viewer's permissions.
            let doc: Value = serde_json::from_str(&fetched.text).expect("JSON");
            let permissions = doc["source"]["viewer"]["permissions"]
                .as_array()
                .unwrap_or_else(|| panic!("admin {admin}: {}", doc["source"]));
            assert!(
                permissions
                    .iter()
                    .any(|p| p["permission"]["id"] == "ReadExtensions"),
                "{permissions:?}"
            );
            if admin {
                // The plan's requests per group are the fetch's.
                let made: Vec<(rcaudit_fetch::Group, u64)> = summary
                    .groups
                    .iter()
                    .filter(|g| g.group != rcaudit_fetch::Group::Auth)
                    .map(|g| (g.group, g.sent))
                    .collect();
                assert_eq!(plan.requests, made, "{plan:?}");
            }
            drop(running);
        });
    }
}
