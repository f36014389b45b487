//! The fetch against the sandbox, which speaks the real API's shapes,
//! paging, rate limits and errors: a fetched snapshot must be the document
//! the sandbox serves (`expected_snapshot_text`), whatever the sandbox does
//! to it (paging edges, faults, a neighbour eating the rate limit, expiring
//! tokens, a non-administrator, an interrupted fetch).

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers fail the test by panicking"
)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use rcaudit_fetch::{
    Credentials, ExtensionNumbers, FetchError, Fetched, Forwarding, JournalMode, Options, Secret,
    Server, Silent, Tuning,
};
use rcaudit_sandbox::server::comparable_snapshot;
use rcaudit_sandbox::{Config, FaultConfig, Running, Source};
use serde_json::{Value, json};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

async fn start(config: Config) -> Running {
    rcaudit_sandbox::start(config)
        .await
        .expect("sandbox starts")
}

/// The document a correct fetch writes for this configuration, without
/// the capture metadata (`capturedAt`, `source`).
fn expected(config: &Config) -> Value {
    let account = config.account().expect("account");
    let text = rcaudit_sandbox::server::expected_snapshot_text(&account);
    comparable_snapshot(serde_json::from_str(&text).expect("JSON"))
}

/// [`expected`] of a fetch that asks for every list ([`every_list`]).
fn expected_every_list(config: &Config) -> Value {
    let account = config.account().expect("account");
    let doc = account.expected_snapshot_with(true);
    let text = serde_json::to_string(&doc).expect("JSON");
    comparable_snapshot(serde_json::from_str(&text).expect("JSON"))
}

/// Options that ask for each extension's phone-number list even where the
/// account's list stands in for them.
fn every_list(mut options: Options) -> Options {
    options.data.extension_phone_numbers = ExtensionNumbers::Yes;
    options
}

/// Extensions of `doc` that can have forwarding numbers (or whose type is
/// unknown): those whose forwarding list is asked for.
fn with_forwarding(doc: &Value) -> usize {
    doc["extensions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| rcaudit_fetch::forwarding(e["type"].as_str()) != Forwarding::None)
        .count()
}

fn fetched_doc(fetched: &Fetched) -> Value {
    serde_json::from_str(&fetched.text).expect("the snapshot is JSON")
}

fn tuning() -> Tuning {
    Tuning {
        backoff: Duration::from_millis(5),
        timeout: Duration::from_secs(10),
        ..Tuning::default()
    }
}

fn options(running: &Running, credentials: Credentials, tuning: Tuning) -> Options {
    Options {
        server: Server::parse(&running.url()).expect("loopback URL"),
        credentials,
        tuning,
        generator: "rcaudit test".to_owned(),
        journal: None,
        data: rcaudit_fetch::Data::default(),
    }
}

fn token() -> Credentials {
    Credentials::Token(Secret::new("test-token"))
}

async fn fetch(options: Options) -> Result<Fetched, FetchError> {
    rcaudit_fetch::fetch(options, Arc::new(Silent)).await
}

/// The sandbox's counters.
async fn stats(running: &Running) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let body = reqwest::get(format!("{}/__stats", running.url()))
        .await
        .expect("stats")
        .bytes()
        .await
        .expect("body");
    serde_json::from_slice(&body).expect("stats JSON")
}

fn total(stats: &Value, what: &str) -> u64 {
    stats[what]
        .as_object()
        .expect("counters")
        .values()
        .map(|v| v.as_u64().unwrap_or(0))
        .sum()
}

/// Runs `fetch` until its journal at `path` holds `lines` lines, then drops
/// it, as a kill would. (Counting lines rather than waiting a fixed time
/// keeps the tests independent of the machine's load.)
async fn interrupt_once_journaled(
    fetch: impl Future<Output = Result<Fetched, FetchError>>,
    path: &Path,
    lines: usize,
) {
    let journaled = async {
        loop {
            let count = std::fs::read_to_string(path).map_or(0, |text| text.lines().count());
            if count >= lines {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::select! {
        result = fetch => panic!(
            "the fetch ended before its journal held {lines} lines: {:?}",
            result.map(|f| f.summary)
        ),
        () = journaled => {}
    }
    // Dropping the fetch aborts its tasks, but one running on another
    // worker finishes its step first and may still append a piece. The
    // journal's lock is released when the last of them is gone.
    let settled = async {
        loop {
            let file = std::fs::File::open(path).expect("the journal stays");
            if file.try_lock().is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), settled)
        .await
        .expect("the interrupted fetch lets go of its journal");
}

fn generated(extensions: usize, seed: u64, window_ms: u64) -> Config {
    Config {
        source: Source::Generate { extensions, seed },
        window: Duration::from_millis(window_ms),
        ..Config::default()
    }
}

/// A snapshot file with `extensions` extensions holding `numbers` phone
/// numbers and forwarding numbers each, and `numbers` account numbers.
fn snapshot_file(dir: &Path, extensions: usize, numbers: usize) -> std::path::PathBuf {
    let extension = |i: usize| {
        let phones: Vec<Value> = (0..numbers)
            .map(|n| json!({"id": 5000 + i * 100 + n, "phoneNumber": format!("+1650555{:04}", i * 100 + n), "usageType": "DirectNumber", "type": "VoiceFax", "features": ["CallerId"]}))
            .collect();
        let forwarding: Vec<Value> = (0..numbers)
            .map(|n| json!({"id": format!("{}", 9000 + i * 100 + n), "phoneNumber": format!("+1415555{:04}", i * 100 + n), "label": "Other", "features": ["CallForwarding"]}))
            .collect();
        json!({"id": 100 + i, "extensionNumber": format!("{}", 100 + i), "type": "DigitalUser", "status": "Enabled", "phoneNumbers": phones, "forwardingNumbers": forwarding})
    };
    let account_numbers: Vec<Value> = (0..numbers)
        .map(|n| json!({"id": 7000 + n, "phoneNumber": format!("+1800555{n:04}"), "usageType": "CompanyNumber", "paymentType": "TollFree"}))
        .collect();
    let doc = json!({
        "snapshotVersion": 1,
        "source": {"viewer": {"accountId": "42", "extensionId": "100", "admin": true}},
        "account": {"id": 42, "mainNumber": "+18005550000"},
        "serviceInfo": {"servicePlan": {"name": "RingEX Core"}},
        "phoneNumbers": account_numbers,
        "extensions": (0..extensions).map(extension).collect::<Vec<_>>(),
    });
    let path = dir.join(format!("s-{extensions}-{numbers}.json"));
    std::fs::write(&path, doc.to_string()).expect("write");
    path
}

#[test]
fn paging_edges_lose_and_repeat_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let per_page = 5;
    let rt = runtime();
    // With `navigation`, and without it (optional on most lists: then
    // `paging` and full pages say whether more follow).
    let shapes = [(0, 0), (1, 1), (5, 5), (6, 6), (11, 0), (2, 10)];
    for (without_navigation, (extensions, numbers)) in [false, true]
        .into_iter()
        .flat_map(|w| shapes.into_iter().map(move |shape| (w, shape)))
    {
        let config = Config {
            source: Source::Snapshot(snapshot_file(dir.path(), extensions, numbers)),
            window: Duration::from_millis(50),
            faults: FaultConfig {
                no_navigation_rate: if without_navigation { 1.0 } else { 0.0 },
                ..FaultConfig::default()
            },
            ..Config::default()
        };
        // Every list asked for, so that each kind of list is paged.
        let want = expected_every_list(&config);
        let fetched = rt.block_on(async {
            let running = start(config).await;
            let tuning = Tuning {
                per_page,
                ..tuning()
            };
            fetch(every_list(options(&running, token(), tuning)))
                .await
                .expect("fetch")
        });
        let doc = fetched_doc(&fetched);
        assert_eq!(
            comparable_snapshot(doc.clone()),
            want,
            "{extensions} x {numbers}, without navigation: {without_navigation}"
        );
        assert_eq!(doc["extensions"].as_array().map(Vec::len), Some(extensions));
        assert!(doc.get("errors").is_none(), "{}", doc["errors"]);
        // 0 records is one page; n records are ceil(n / 5) pages, or one
        // more when the last page is full and announces a next one.
        let lists = 2 + 2 * extensions as u64;
        assert!(
            fetched.summary.requests() >= 3 + lists,
            "{:?}",
            fetched.summary
        );
    }
}

#[test]
fn a_generated_account_round_trips_with_zero_429s() {
    let config = generated(120, 7, 100);
    let want = expected(&config);
    let rt = runtime();
    let (fetched, stats) = rt.block_on(async {
        let running = start(config).await;
        let fetched = fetch(options(&running, token(), tuning()))
            .await
            .expect("fetch");
        (fetched, stats(&running).await)
    });
    let doc = fetched_doc(&fetched);
    assert_eq!(comparable_snapshot(doc.clone()), want);
    assert_eq!(total(&stats, "rateLimited"), 0, "{stats}");
    assert_eq!(fetched.summary.rejected(), 0);
    assert_eq!(total(&stats, "requests"), fetched.summary.requests());
    // One request per extension that can have forwarding numbers, and
    // the account-level ones (each list fits one page): no extension's
    // phone-number list, no forwarding list of a type without forwarding.
    assert_eq!(
        fetched.summary.requests(),
        6 + with_forwarding(&doc) as u64,
        "{stats}"
    );
    let lists = &doc["source"]["lists"];
    assert_eq!(lists["extensionPhoneNumbers"]["obtained"], "accountList");
    assert_eq!(lists["forwardingNumbers"]["obtained"], "requested");
    let types = lists["forwardingNumbers"]["emptyByType"]
        .as_array()
        .expect("emptyByType");
    assert!(types.iter().any(|t| t == "IvrMenu"), "{lists}");
    assert!(!types.iter().any(|t| t == "User"), "{lists}");
    // The limits and window were learned from the headers.
    let light = &fetched.summary.groups[0];
    assert!(light.learned, "{light:?}");
    assert_eq!(light.window, Duration::from_millis(100));
    assert_eq!(light.limit, 50);
}

#[test]
fn faults_are_retried_until_the_snapshot_is_complete() {
    let mut config = generated(60, 3, 100);
    config.faults = FaultConfig {
        fail_rate: 0.1,
        drop_rate: 0.05,
        slow_rate: 0.05,
        slow_ms: 200,
        no_rate_headers_rate: 0.2,
        no_navigation_rate: 0.3,
        seed: 11,
    };
    let want = expected(&config);
    let rt = runtime();
    let (fetched, stats) = rt.block_on(async {
        let running = start(config).await;
        let fetched = fetch(options(&running, token(), tuning()))
            .await
            .expect("fetch");
        (fetched, stats(&running).await)
    });
    assert_eq!(comparable_snapshot(fetched_doc(&fetched)), want);
    let faults = total(&stats, "faults");
    assert!(faults > 5, "faults were injected: {stats}");
    assert!(fetched.summary.retries > 0);
    assert_eq!(total(&stats, "rateLimited"), 0, "{stats}");
}

#[test]
fn a_neighbour_on_the_same_bucket_costs_waits_not_a_penalty_loop() {
    let config = generated(80, 5, 200);
    let want = expected(&config);
    let rt = runtime();
    let (fetched, stats) = rt.block_on(async {
        let running = start(config).await;
        let url = format!("{}/restapi/v1.0/account/~/service-info", running.url());
        // Another client with the same token sends Light requests for a
        // while: the fetch sees a lower Remaining than its own count, and
        // 429s when the neighbour pushes the bucket over.
        let neighbour = tokio::spawn(async move {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let client = reqwest::Client::new();
            for _ in 0..60 {
                let _ = client.get(&url).bearer_auth("test-token").send().await;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
        });
        let fetched = fetch(options(&running, token(), tuning()))
            .await
            .expect("fetch");
        let _ = neighbour.await;
        (fetched, stats(&running).await)
    });
    assert_eq!(comparable_snapshot(fetched_doc(&fetched)), want);
    // Each 429 paused the group and the end of the pause was probed by one
    // request, not a burst: a few 429s while the neighbour is busy.
    assert!(
        fetched.summary.rejected() <= 12,
        "{} 429s: {stats}",
        fetched.summary.rejected()
    );
}

#[test]
fn expiring_tokens_of_the_jwt_grant_are_renewed() {
    // Tokens live 1.5 s (`expires_in: 1`: renewed ahead of expiry) or
    // 0.8 s (`expires_in: 0`: no usable lifetime, renewed when refused, not
    // before every request); the fetch takes about 3 s.
    for ttl_ms in [1500, 800] {
        let mut config = generated(150, 9, 500);
        config.token_ttl = Duration::from_millis(ttl_ms);
        let want = expected(&config);
        let rt = runtime();
        let (fetched, stats) = rt.block_on(async {
            let running = start(config).await;
            let credentials = Credentials::Jwt {
                client_id: "client".to_owned(),
                client_secret: Secret::new("client-secret"),
                jwt: Secret::new("eyJ.jwt.credential"),
            };
            let fetched = fetch(options(&running, credentials, tuning()))
                .await
                .expect("fetch");
            (fetched, stats(&running).await)
        });
        let doc = fetched_doc(&fetched);
        assert_eq!(comparable_snapshot(doc.clone()), want, "ttl {ttl_ms} ms");
        let auth = stats["requests"]["Auth"].as_u64().unwrap_or_default();
        assert!((2..=20).contains(&auth), "ttl {ttl_ms} ms: {stats}");
        assert_eq!(doc["source"]["viewer"]["scope"], "ReadAccounts");
    }
}

#[test]
fn a_rejected_token_stops_the_fetch_and_the_journal_keeps_what_it_had() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("s.json.partial");
    let mut config = generated(100, 1, 200);
    config.require_token = Some("the-right-token".to_owned());
    let rt = runtime();
    let (fresh, resumed, lines) = rt.block_on(async {
        let running = start(config).await;
        let with = |token: &str, mode: JournalMode| {
            let mut options = options(&running, Credentials::Token(Secret::new(token)), tuning());
            options.journal = Some(mode);
            options
        };
        // Rejected at once: nothing fetched, no journal left behind.
        let fresh = fetch(with("a-wrong-token", JournalMode::New(journal.clone())))
            .await
            .expect_err("unauthorized");
        assert!(!journal.exists(), "an empty journal is removed");
        // Part of a fetch with the right token, then a resume with a wrong
        // one: the resume stops, and the journal keeps every piece.
        let part = fetch(with("the-right-token", JournalMode::New(journal.clone())));
        interrupt_once_journaled(part, &journal, 10).await;
        let lines = std::fs::read_to_string(&journal)
            .expect("journal")
            .lines()
            .count();
        let resumed = fetch(with("a-wrong-token", JournalMode::Resume(journal.clone())))
            .await
            .expect_err("unauthorized");
        (fresh, resumed, lines)
    });
    for error in [fresh, resumed] {
        let message = error.to_string();
        assert!(matches!(error, FetchError::Unauthorized(_)), "{message}");
        assert!(message.contains("401"), "{message}");
        assert!(!message.contains("a-wrong-token"), "{message}");
    }
    assert!(lines > 5, "{lines}");
    let after = std::fs::read_to_string(&journal)
        .expect("journal kept")
        .lines()
        .count();
    assert_eq!(after, lines);
}

#[test]
fn a_non_administrator_gets_what_they_may_see_and_errors_for_the_rest() {
    let mut config = generated(30, 4, 50);
    config.viewer_admin = Some(false);
    let want = expected(&config);
    let rt = runtime();
    let fetched = rt.block_on(async {
        let running = start(config).await;
        fetch(options(&running, token(), tuning()))
            .await
            .expect("fetch")
    });
    let doc = fetched_doc(&fetched);
    assert_eq!(comparable_snapshot(doc.clone()), want);
    assert_eq!(doc["source"]["viewer"]["admin"], false);
    assert!(doc.get("phoneNumbers").is_none());
    let codes: Vec<&str> = doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["errorCode"].as_str())
        .collect();
    // Every other extension's forwarding list is refused; the first
    // refusal is asked for alone and the rest are recorded without being
    // asked for: two forwarding requests, the viewer's own and one other.
    // Extensions of types without call forwarding are not asked about.
    let refused = codes.iter().filter(|&&c| c == "CMN-419").count();
    let others = with_forwarding(&doc) - 1;
    assert!(others > 10 && others < 29, "{others}");
    assert_eq!(refused, others, "{codes:?}");
    // The account list is refused: each extension's phone list is asked.
    let forwarding_sent = fetched.summary.requests() - 6 - 30;
    assert_eq!(forwarding_sent, 2, "{:?}", fetched.summary);
    assert_eq!(
        doc["source"]["lists"]["extensionPhoneNumbers"]["obtained"],
        "requested"
    );
    // The snapshot is valid, and the checker reads it.
    rcaudit_model::load_str("fetched.json", fetched.text.clone()).expect("a valid snapshot");
}

#[test]
fn an_interrupted_fetch_resumes_without_fetching_again() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("s.json.partial");
    let config = generated(100, 8, 200);
    let want = expected(&config);
    let rt = runtime();
    let (first, second) = rt.block_on(async {
        let running = start(config).await;
        let mut first = options(&running, token(), tuning());
        first.journal = Some(JournalMode::New(journal.clone()));
        // Stop the fetch part-way, as a kill would.
        interrupt_once_journaled(fetch(first), &journal, 30).await;
        let before = total(&stats(&running).await, "requests");
        let mut second = options(&running, token(), tuning());
        second.journal = Some(JournalMode::Resume(journal.clone()));
        let fetched = fetch(second).await.expect("resumed fetch");
        let after = total(&stats(&running).await, "requests");
        (before, (fetched, after - before))
    });
    let (fetched, seen_after) = second;
    assert!(first > 0);
    assert_eq!(comparable_snapshot(fetched_doc(&fetched)), want);
    let resumed = fetched.summary.resumed as u64;
    assert!(resumed > 10, "{:?}", fetched.summary);
    // Account, service info, viewer, its permissions, the two account
    // lists, and the
    // forwarding list of each extension that can have one (the account
    // list stands in for each extension's phone numbers), one request
    // each: what the journal held is not asked again.
    let doc = fetched_doc(&fetched);
    let pieces = 6 + with_forwarding(&doc) as u64;
    assert!(pieces > 60 && pieces < 105, "{pieces}");
    let made = fetched.summary.requests();
    assert_eq!(made, pieces - resumed, "{:?}", fetched.summary);
    assert!(seen_after >= made);
    fetched.finish().expect("journal removed");
    assert!(!journal.exists());
}

#[test]
fn the_sandbox_and_the_fetch_agree_on_the_types_without_forwarding() {
    assert_eq!(
        rcaudit_sandbox::NO_FORWARDING_TYPES,
        rcaudit_fetch::NO_FORWARDING_TYPES
    );
}

#[test]
fn a_fresh_fetch_refuses_to_overwrite_an_interrupted_one() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("s.json.partial");
    std::fs::write(&journal, "{}\n").expect("write");
    let rt = runtime();
    let error = rt.block_on(async {
        let running = start(generated(2, 1, 50)).await;
        let mut options = options(&running, token(), tuning());
        options.journal = Some(JournalMode::New(journal.clone()));
        fetch(options).await.expect_err("refused")
    });
    assert!(error.to_string().contains("--resume"), "{error}");
    assert_eq!(std::fs::read_to_string(&journal).expect("kept"), "{}\n");
}

/// A random account: extensions with random lists (some empty), ids as
/// numbers or strings, numbers with and without `+`.
fn account() -> impl Strategy<Value = Value> {
    let number = "\\+?1[2-9][0-9]{9}";
    let phone = (1u64..1_000_000_000, number, prop::bool::ANY).prop_map(|(id, n, fax)| {
        json!({"id": id, "phoneNumber": n, "usageType": if fax {"CompanyFaxNumber"} else {"DirectNumber"}, "type": "VoiceFax"})
    });
    let forwarding = (1u64..1_000_000, number, "[A-Za-z ]{0,12}")
        .prop_map(|(id, n, label)| json!({"id": id.to_string(), "phoneNumber": n, "label": label}));
    let kind = prop::sample::select(vec![
        "DigitalUser",
        "User",
        "Department",
        "IvrMenu",
        "Hologram",
    ]);
    let extension = (
        1u64..10_000_000_000,
        prop::bool::ANY,
        prop::collection::vec(phone.clone(), 0..4),
        prop::collection::vec(forwarding, 0..13),
        kind,
    )
        .prop_map(|(id, string_id, phones, forwarding, kind)| {
            let id = if string_id { json!(id.to_string()) } else { json!(id) };
            json!({"id": id, "extensionNumber": "1", "type": kind, "name": "A \"quoted\" name, 😀", "phoneNumbers": phones, "forwardingNumbers": forwarding})
        });
    (
        prop::collection::vec(extension, 0..9),
        prop::collection::vec(phone, 0..7),
    )
        .prop_map(|(extensions, numbers)| {
            // Extension ids must be unique for the fetch to file lists by id.
            let mut seen = std::collections::HashSet::new();
            let extensions: Vec<Value> = extensions
                .into_iter()
                .filter(|e| seen.insert(e["id"].to_string().trim_matches('"').to_owned()))
                .collect();
            json!({
                "snapshotVersion": 1,
                "account": {"id": 77, "mainNumber": "+16505550100", "extra": {"nested": [1, 2.5, null, true]}},
                "serviceInfo": {"servicePlan": {"name": "RingEX Core"}},
                "phoneNumbers": numbers,
                "extensions": extensions,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The sandbox serves S; a fetch of every list writes S back, apart
    /// from the capture metadata and the forwarding lists of types without
    /// call forwarding (empty, not asked for); the default fetch writes
    /// that without each extension's phone-number list (the account list,
    /// read by an administrator, stands in for them).
    #[test]
    fn fetch_reproduces_the_served_snapshot(served in account()) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("served.json");
        std::fs::write(&path, served.to_string()).expect("write");
        let config = Config {
            source: Source::Snapshot(path),
            window: Duration::from_millis(20),
            ..Config::default()
        };
        let rt = runtime();
        let (every, default) = rt.block_on(async {
            let running = start(config).await;
            let tuning = Tuning { per_page: 3, ..tuning() };
            let every = fetch(every_list(options(&running, token(), tuning.clone())))
                .await
                .expect("fetch");
            let default = fetch(options(&running, token(), tuning)).await.expect("fetch");
            (every, default)
        });
        let mut want = served;
        for extension in want["extensions"].as_array_mut().into_iter().flatten() {
            if rcaudit_fetch::forwarding(extension["type"].as_str()) == Forwarding::None {
                extension["forwardingNumbers"] = json!([]);
            }
        }
        prop_assert_eq!(comparable_snapshot(fetched_doc(&every)), comparable_snapshot(want.clone()));
        for extension in want["extensions"].as_array_mut().into_iter().flatten() {
            extension.as_object_mut().map(|e| e.remove("phoneNumbers"));
        }
        let default = fetched_doc(&default);
        prop_assert_eq!(&default["source"]["lists"]["extensionPhoneNumbers"]["obtained"], "accountList");
        prop_assert_eq!(comparable_snapshot(default), comparable_snapshot(want));
    }
}
