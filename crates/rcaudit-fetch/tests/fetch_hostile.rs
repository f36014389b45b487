//! The fetch against a hostile server (`rcaudit_sandbox::hostile`): absurd
//! rate headers and `Retry-After`, endless bodies, paging without end,
//! ids that are paths, a task that panics. Whatever the server does, the
//! fetch ends by itself, never panics, never waits for days, never asks
//! for a path outside the account, and every piece is either in the
//! snapshot or in its `errors`: nothing goes missing without a word.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rcaudit_fetch::{Credentials, Fetched, Options, Progress, Secret, Server, Silent, Tuning};
use rcaudit_sandbox::hostile::{self, ACCOUNT, Body, Hostile, Reply, Request, Script};
use serde_json::Value;

/// Ample for every case here; a fetch that waits as told takes days.
const BOUND: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn tuning() -> Tuning {
    Tuning {
        backoff: Duration::from_millis(5),
        timeout: Duration::from_secs(20),
        ..Tuning::default()
    }
}

fn ids(ids: &[&str]) -> Vec<String> {
    ids.iter()
        .map(|id| serde_json::to_string(id).expect("JSON"))
        .collect()
}

/// Serves `script` and fetches from it with `tuning` and `progress`:
/// the fetched snapshot (parsed) and the requests the server saw.
fn fetch_from(
    script: Script,
    tuning: Tuning,
    progress: Arc<dyn Progress>,
) -> (Fetched, Value, Vec<Request>) {
    let rt = runtime();
    rt.block_on(async {
        let server = Hostile::start(script).await.expect("hostile server");
        let options = Options {
            server: Server::parse(&server.url()).expect("loopback URL"),
            credentials: Credentials::Token(Secret::new("hostile-token")),
            tuning,
            generator: "rcaudit hostile test".to_owned(),
            journal: None,
            // Every list asked for, so that hostile answers reach every
            // kind of request (the account list would otherwise stand in
            // for the extensions' phone-number lists).
            data: rcaudit_fetch::Data {
                extension_phone_numbers: rcaudit_fetch::ExtensionNumbers::Yes,
                ..rcaudit_fetch::Data::ALL
            },
        };
        let started = Instant::now();
        let fetched = tokio::time::timeout(BOUND, rcaudit_fetch::fetch(options, progress))
            .await
            .expect("the fetch ends by itself, without waiting as told for days")
            .expect("the fetch writes a snapshot");
        assert!(started.elapsed() < BOUND);
        let doc: Value = serde_json::from_str(&fetched.text).expect("the snapshot is JSON");
        (fetched, doc, server.requests())
    })
}

/// The `errors` entries at `pointer`.
fn errors_at<'a>(doc: &'a Value, pointer: &str) -> Vec<&'a Value> {
    doc["errors"]
        .as_array()
        .map(|errors| errors.iter().filter(|e| e["pointer"] == pointer).collect())
        .unwrap_or_default()
}

/// Every piece is in the snapshot or in `errors`, and a list that is in
/// `errors` is not in the snapshot (absent means unknown); a list
/// `source.lists` says was not requested is in neither.
fn assert_accounted(doc: &Value) {
    let requested =
        |list: &str| doc["source"]["lists"][list]["obtained"].as_str() == Some("requested");
    let mut pieces = vec![
        ("/serviceInfo".to_owned(), doc.get("serviceInfo").is_some()),
        (
            "/phoneNumbers".to_owned(),
            doc.get("phoneNumbers").is_some(),
        ),
        (
            "/source/viewer".to_owned(),
            doc["source"]["viewer"].get("extensionId").is_some(),
        ),
        (
            "/source/viewer/permissions".to_owned(),
            doc["source"]["viewer"].get("permissions").is_some(),
        ),
    ];
    for (i, extension) in doc["extensions"]
        .as_array()
        .expect("the extension list")
        .iter()
        .enumerate()
    {
        if !errors_at(doc, &format!("/extensions/{i}")).is_empty() {
            continue;
        }
        for (list, name) in [
            ("phoneNumbers", "extensionPhoneNumbers"),
            ("forwardingNumbers", "forwardingNumbers"),
        ] {
            let pointer = format!("/extensions/{i}/{list}");
            if requested(name) {
                pieces.push((pointer, extension.get(list).is_some()));
            } else {
                assert!(
                    extension.get(list).is_none() && errors_at(doc, &pointer).is_empty(),
                    "{pointer} was not requested, yet it is there\n{doc:#}"
                );
            }
        }
    }
    for (pointer, present) in pieces {
        let recorded = !errors_at(doc, &pointer).is_empty();
        assert!(
            present != recorded,
            "{pointer}: present {present}, in errors {recorded}\n{doc:#}"
        );
    }
}

/// An account with extensions 2, 3 and 4 whose answers for `path` (under
/// the account) are `reply`, the rest well-formed.
fn one_bad_path(path: &'static str, reply: Reply) -> Script {
    let ids = ids(&["2", "3", "4"]);
    Arc::new(move |request: &Request| {
        if request.path == format!("{ACCOUNT}{path}") {
            reply.clone()
        } else {
            hostile::account(request, &ids)
        }
    })
}

#[test]
fn waits_beyond_the_maximum_fail_at_once_into_errors() {
    let forwarding = "/extension/3/forwarding-number";
    let cases = [
        (429, "999999"),
        (429, "1e20"),
        (429, "1e19"),
        (429, "1e12"),
        (503, "999999"),
        (503, "1e20"),
        (502, "1e19"),
    ];
    for (status, retry_after) in cases {
        let reply = Reply::error(status, "CMN-X", "wait").with_header("Retry-After", retry_after);
        let started = Instant::now();
        let (_, doc, requests) =
            fetch_from(one_bad_path(forwarding, reply), tuning(), Arc::new(Silent));
        assert!(started.elapsed() < Duration::from_secs(20), "{retry_after}");
        assert_accounted(&doc);
        let errors = errors_at(&doc, "/extensions/1/forwardingNumbers");
        assert_eq!(errors.len(), 1, "{status} {retry_after}: {doc:#}");
        let message = errors[0]["message"].as_str().expect("message");
        assert!(message.contains("--max-wait"), "{message}");
        assert!(message.contains(retry_after), "{message}");
        assert_eq!(errors[0]["status"], status);
        // Asked once: not retried, not waited for.
        let asked = requests
            .iter()
            .filter(|r| r.path.ends_with(forwarding))
            .count();
        assert_eq!(asked, 1, "{status} {retry_after}");
    }
}

#[test]
fn absurd_rate_headers_on_any_answer_never_panic_nor_stall() {
    // On every answer (200s included), one header set at a time.
    let cases: &[&[(&str, &[u8])]] = &[
        &[("Retry-After", b"1e20")],
        &[("Retry-After", b"1e19")],
        &[("X-Rate-Limit-Window", b"1e20")],
        &[
            ("X-Rate-Limit-Window", b"1e19"),
            ("X-Rate-Limit-Limit", b"1"),
        ],
        &[
            ("X-Rate-Limit-Window", b"1e12"),
            ("X-Rate-Limit-Limit", b"2"),
        ],
        &[
            ("X-Rate-Limit-Window", b"999999"),
            ("X-Rate-Limit-Remaining", b"0"),
        ],
        &[
            ("X-Rate-Limit-Limit", b"-5"),
            ("X-Rate-Limit-Remaining", b"NaN"),
            ("X-Rate-Limit-Window", b"inf"),
            ("Retry-After", b"-1"),
        ],
        &[
            ("X-Rate-Limit-Limit", b"0"),
            ("X-Rate-Limit-Remaining", b"4294967295"),
            ("X-Rate-Limit-Window", b"NaN"),
        ],
        &[
            ("X-Rate-Limit-Limit", b"99999999999999999999"),
            ("X-Rate-Limit-Remaining", b"-1"),
            ("X-Rate-Limit-Window", b"-inf"),
        ],
        &[
            ("X-Rate-Limit-Limit", b"4294967295"),
            ("X-Rate-Limit-Window", b"0.000000001"),
        ],
        &[
            ("X-Rate-Limit-Limit", "٣".as_bytes()),
            ("X-Rate-Limit-Window", b"6\xff0"),
            ("Retry-After", "\u{200b}5".as_bytes()),
        ],
    ];
    let ids = ids(&["2", "3", "4"]);
    for headers in cases {
        let headers: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.to_vec()))
            .collect();
        let ids = ids.clone();
        let served = headers.clone();
        let script: Script = Arc::new(move |request: &Request| {
            let mut reply = hostile::account(request, &ids);
            reply.headers.extend(served.iter().cloned());
            reply
        });
        let started = Instant::now();
        let (_, doc, _) = fetch_from(script, tuning(), Arc::new(Silent));
        assert!(started.elapsed() < Duration::from_secs(20), "{headers:?}");
        assert_accounted(&doc);
        // What could not be fetched says why: the longest wait.
        for error in doc["errors"].as_array().into_iter().flatten() {
            let message = error["message"].as_str().expect("message");
            assert!(message.contains("--max-wait"), "{headers:?}: {message}");
        }
    }
}

#[test]
fn a_body_without_end_is_cut_off_and_recorded() {
    let cap = 4 * 1024 * 1024;
    let ids = ids(&["2", "3", "4"]);
    let script: Script = Arc::new(move |request: &Request| {
        let endless = |content_length| Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Endless { content_length },
        };
        match request.path.strip_prefix(ACCOUNT) {
            // Delimited by the end of the connection, which never comes.
            Some("/extension/2/forwarding-number") => endless(None),
            // A Content-Length of a terabyte.
            Some("/extension/3/phone-number") => endless(Some(1_000_000_000_000)),
            // An error whose body never ends.
            Some("/extension/4/phone-number") => Reply {
                status: 404,
                ..endless(None)
            },
            _ => hostile::account(request, &ids),
        }
    });
    let tuning = Tuning {
        max_body: cap,
        ..tuning()
    };
    let started = Instant::now();
    let (_, doc, requests) = fetch_from(script, tuning, Arc::new(Silent));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_accounted(&doc);
    for pointer in [
        "/extensions/0/forwardingNumbers",
        "/extensions/1/phoneNumbers",
        "/extensions/2/phoneNumbers",
    ] {
        let errors = errors_at(&doc, pointer);
        assert_eq!(errors.len(), 1, "{pointer}: {doc:#}");
        let message = errors[0]["message"].as_str().expect("message");
        assert!(
            message.contains(&format!("larger than {cap} bytes")),
            "{message}"
        );
    }
    // Not asked again: a larger answer is no transient failure.
    let asked = requests
        .iter()
        .filter(|r| r.path.ends_with("/extension/2/forwarding-number"))
        .count();
    assert_eq!(asked, 1);
}

#[test]
fn ids_that_are_paths_are_never_requested() {
    let hostile_ids = [
        "../../../../../../admin",
        "..",
        ".",
        "%2e%2e",
        "%2E%2E/%2e%2e",
        "a/b",
        "a\\b",
        "1?x=",
        "1#",
        "\u{1b}[31m",
    ];
    let mut all = vec!["2"];
    all.extend(hostile_ids);
    all.push("3");
    let served = ids(&all);
    let script: Script = Arc::new(move |request: &Request| hostile::account(request, &served));
    let (_, doc, requests) = fetch_from(script, tuning(), Arc::new(Silent));
    assert_accounted(&doc);
    for request in &requests {
        let rest = request.path.strip_prefix(ACCOUNT).unwrap_or_else(|| {
            panic!("{} left the account's path", request.path);
        });
        assert!(rest.is_empty() || rest.starts_with('/'), "{}", request.path);
        for segment in rest.split('/').skip(1) {
            assert!(
                !segment.is_empty()
                    && segment != "."
                    && segment != ".."
                    && !segment.contains(['%', '\\']),
                "{}",
                request.path
            );
        }
    }
    // The good ones are fetched, each hostile one is an error of its own.
    let extensions = doc["extensions"].as_array().expect("extensions");
    assert_eq!(extensions.len(), hostile_ids.len() + 2);
    for i in [0, extensions.len() - 1] {
        assert!(extensions[i]["forwardingNumbers"].is_array(), "{doc:#}");
    }
    for i in 1..=hostile_ids.len() {
        let errors = errors_at(&doc, &format!("/extensions/{i}"));
        assert_eq!(errors.len(), 1, "{i}: {doc:#}");
        let message = errors[0]["message"].as_str().expect("message");
        assert!(message.contains("is not a RingCentral id"), "{message}");
    }
}

/// Full pages of distinct records (or the same page) forever.
fn endless_paging(repeat: bool) -> Script {
    let ids = ids(&["2", "3"]);
    Arc::new(move |request: &Request| {
        if request.path != format!("{ACCOUNT}/extension/3/forwarding-number") {
            return hostile::account(request, &ids);
        }
        let page = if repeat { 1 } else { request.page() };
        let records: Vec<String> = (0..2)
            .map(|n| format!("{{\"id\":\"{page}-{n}\",\"phoneNumber\":\"+1650555{n:04}\"}}"))
            .collect();
        Reply::page(
            &records,
            Some(&format!(
                "{{\"page\":{page},\"perPage\":2,\"totalPages\":1000000000}}"
            )),
            Some(r#"{"nextPage":{"uri":"http://127.0.0.1:1/restapi/v1.0/account/~/extension/3/forwarding-number?page=1"}}"#),
        )
        .with_header("X-Rate-Limit-Limit", "10000")
        .with_header("X-Rate-Limit-Window", "1")
    })
}

#[test]
fn paging_that_never_ends_is_an_error_not_a_short_list() {
    for (repeat, expected) in [
        (false, "more than 20 pages"),
        (true, "page 2 repeats page 1"),
    ] {
        let tuning = Tuning {
            per_page: 2,
            max_pages: 20,
            ..tuning()
        };
        let (_, doc, requests) = fetch_from(endless_paging(repeat), tuning, Arc::new(Silent));
        assert_accounted(&doc);
        let errors = errors_at(&doc, "/extensions/1/forwardingNumbers");
        assert_eq!(errors.len(), 1, "{doc:#}");
        let message = errors[0]["message"].as_str().expect("message");
        assert!(message.contains(expected), "{message}");
        assert!(doc["extensions"][1].get("forwardingNumbers").is_none());
        let asked = requests
            .iter()
            .filter(|r| r.path.ends_with("/extension/3/forwarding-number"))
            .count();
        assert!(asked <= 20, "{asked}");
    }
}

/// Progress that panics the first time a spawned task reports to it.
#[derive(Debug, Default)]
struct PanicsInATask(AtomicBool);

impl Progress for PanicsInATask {
    fn finished(&self, _requests: u64) {
        let first_in_a_task =
            tokio::task::try_id().is_some() && !self.0.swap(true, Ordering::SeqCst);
        assert!(!first_in_a_task, "a bug in a fetch task");
    }
}

#[test]
fn a_task_that_panics_is_an_error_never_a_silent_gap() {
    let served = ids(&["2", "3", "4"]);
    let script: Script = Arc::new(move |request: &Request| hostile::account(request, &served));
    let (_, doc, _) = fetch_from(script, tuning(), Arc::new(PanicsInATask::default()));
    assert_accounted(&doc);
    let panicked: Vec<&Value> = doc["errors"]
        .as_array()
        .expect("an errors entry")
        .iter()
        .filter(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("panicked (a bug in a fetch task)"))
        })
        .collect();
    assert_eq!(panicked.len(), 1, "{doc:#}");
}

#[test]
fn a_token_lifetime_without_end_is_no_overflow() {
    for expires_in in ["18446744073709551615", "9223372036854775807", "0"] {
        let account_ids = ids(&["2"]);
        let script: Script = Arc::new(move |request: &Request| {
            if request.path == "/restapi/oauth/token" {
                Reply::json(
                    200,
                    format!(
                        r#"{{"access_token":"a","token_type":"bearer","expires_in":{expires_in},"scope":"ReadAccounts"}}"#
                    ),
                )
            } else {
                hostile::account(request, &account_ids)
            }
        });
        let rt = runtime();
        let doc: Value = rt.block_on(async {
            let server = Hostile::start(script).await.expect("hostile server");
            let options = Options {
                server: Server::parse(&server.url()).expect("loopback URL"),
                credentials: Credentials::Jwt {
                    client_id: "client".to_owned(),
                    client_secret: Secret::new("client-secret"),
                    jwt: Secret::new("eyJ.jwt.credential"),
                },
                tuning: tuning(),
                generator: "rcaudit hostile test".to_owned(),
                journal: None,
                data: rcaudit_fetch::Data::default(),
            };
            let fetched =
                tokio::time::timeout(BOUND, rcaudit_fetch::fetch(options, Arc::new(Silent)))
                    .await
                    .expect("ends")
                    .expect("a snapshot");
            serde_json::from_str(&fetched.text).expect("JSON")
        });
        assert_accounted(&doc);
        assert!(doc.get("errors").is_none(), "{expires_in}: {doc:#}");
    }
}

#[test]
fn a_server_that_refuses_everything_costs_a_few_waits_not_days() {
    // Each wait is short and allowed, but 10 for each of 36 requests, one
    // after the other (the group pauses as a whole), would be minutes; on
    // a real account, with Retry-After: 60, days.
    let numbers: Vec<String> = (2..=18).map(|n| n.to_string()).collect();
    let served = ids(&numbers.iter().map(String::as_str).collect::<Vec<_>>());
    let script: Script = Arc::new(move |request: &Request| {
        if request.path.starts_with(&format!("{ACCOUNT}/extension/")) {
            Reply::error(429, "CMN-301", "Request rate exceeded").with_header("Retry-After", "0.5")
        } else {
            hostile::account(request, &served)
        }
    });
    let started = Instant::now();
    let (fetched, doc, _) = fetch_from(script, tuning(), Arc::new(Silent));
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_accounted(&doc);
    let errors = doc["errors"].as_array().expect("errors");
    // The viewer, its permissions (`extension/~/authz-profile`), and the
    // two lists of each extension.
    assert_eq!(errors.len(), 2 + 2 * numbers.len(), "{doc:#}");
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .is_some_and(|m| m.contains("in a row (429)"))),
        "{doc:#}"
    );
    // Ten in a row, and a probe, in each group asked under /extension/
    // (Light, and Medium for the viewer's permissions).
    for group in &fetched.summary.groups {
        assert!(group.rejected <= 12, "{:?}", fetched.summary);
    }
}

#[test]
fn a_list_of_huge_pages_is_bounded_in_all() {
    let account_ids = ids(&["2", "3"]);
    let filler = "x".repeat(100 * 1024);
    let script: Script = Arc::new(move |request: &Request| {
        if request.path != format!("{ACCOUNT}/extension/3/phone-number") {
            return hostile::account(request, &account_ids);
        }
        let page = request.page();
        let records: Vec<String> = (0..2)
            .map(|n| format!("{{\"id\":\"{page}-{n}\",\"filler\":\"{filler}\"}}"))
            .collect();
        Reply::page(
            &records,
            Some("{\"perPage\":2}"),
            Some(r#"{"nextPage":{"uri":"x"}}"#),
        )
        .with_header("X-Rate-Limit-Limit", "10000")
        .with_header("X-Rate-Limit-Window", "1")
    });
    let tuning = Tuning {
        per_page: 2,
        max_body: 256 * 1024,
        ..tuning()
    };
    let (_, doc, requests) = fetch_from(script, tuning, Arc::new(Silent));
    assert_accounted(&doc);
    let errors = errors_at(&doc, "/extensions/1/phoneNumbers");
    assert_eq!(errors.len(), 1, "{doc:#}");
    let message = errors[0]["message"].as_str().expect("message");
    assert!(message.contains("bytes in all"), "{message}");
    let asked = requests
        .iter()
        .filter(|r| r.path.ends_with("/extension/3/phone-number"))
        .count();
    assert!((15..=25).contains(&asked), "{asked}");
}
