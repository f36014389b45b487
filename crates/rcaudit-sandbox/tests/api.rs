//! The sandbox over HTTP, in process: each test starts its own server on
//! 127.0.0.1:0 from command-line arguments (or an in-memory snapshot) and
//! talks to it with reqwest.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use rcaudit_sandbox::Json;
use rcaudit_sandbox::{Account, Cli, Config, FaultConfig, Running, Source, server};
use serde_json::{Value, json};

/// Helpers; `cfg(test)` so clippy's test allowances (clippy.toml) cover them.
#[cfg(test)]
mod support {
    use super::*;

    pub const ACCOUNT: &str = "/restapi/v1.0/account";

    pub struct Sandbox {
        _running: Running,
        pub base: String,
        pub client: reqwest::Client,
    }

    #[derive(Debug)]
    pub struct Resp {
        pub status: u16,
        pub headers: reqwest::header::HeaderMap,
        pub text: String,
        pub body: Value,
    }

    impl Resp {
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers.get(name).and_then(|v| v.to_str().ok())
        }

        pub fn error_code(&self) -> &str {
            self.body["errors"][0]["errorCode"].as_str().unwrap_or("")
        }

        /// Asserts the error body shape and returns (status, code, message).
        pub fn error(&self) -> (u16, String, String) {
            let e = &self.body["errors"][0];
            assert_eq!(self.body["errorCode"], e["errorCode"], "{}", self.text);
            assert_eq!(self.body["message"], e["message"], "{}", self.text);
            assert_eq!(self.header("content-type"), Some("application/json"));
            (
                self.status,
                e["errorCode"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        }
    }

    pub fn client() -> reqwest::Client {
        // Already installed is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    pub fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("rcaudit-sandbox").chain(args.iter().copied())).unwrap()
    }

    impl Sandbox {
        /// A sandbox started as `rcaudit-sandbox ARGS`.
        pub async fn start(args: &[&str]) -> Sandbox {
            let config = cli(args).config().unwrap();
            let running = rcaudit_sandbox::start(config).await.unwrap();
            Sandbox {
                base: running.url(),
                _running: running,
                client: client(),
            }
        }

        /// A sandbox started from a [`Config`] built in code, as other
        /// crates' tests build it.
        pub async fn from_config(config: Config) -> Sandbox {
            let running = rcaudit_sandbox::start(config).await.unwrap();
            Sandbox {
                base: running.url(),
                _running: running,
                client: client(),
            }
        }

        /// A sandbox serving an in-memory snapshot document.
        pub async fn serve(doc: &Value, args: &[&str]) -> Sandbox {
            let config = cli(args).config().unwrap();
            let account =
                Account::from_snapshot(Json::from_value(doc.clone()), config.viewer_admin).unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let running = server::serve(listener, addr, account, &config);
            Sandbox {
                base: running.url(),
                _running: running,
                client: client(),
            }
        }

        pub fn url(&self, path: &str) -> String {
            if path.starts_with("http") {
                path.to_owned()
            } else {
                format!("{}{path}", self.base)
            }
        }

        pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let headers = r.headers().clone();
            let text = r.text().await.unwrap();
            let body = serde_json::from_str(&text).unwrap_or(Value::Null);
            Resp {
                status,
                headers,
                text,
                body,
            }
        }

        pub async fn get(&self, path: &str) -> Resp {
            self.get_as(path, Some("Bearer test-token")).await
        }

        pub async fn get_as(&self, path: &str, authorization: Option<&str>) -> Resp {
            let mut req = self.client.get(self.url(path));
            if let Some(a) = authorization {
                req = req.header("Authorization", a);
            }
            self.send(req).await
        }

        pub async fn token(&self, form: &[(&str, &str)]) -> Resp {
            let req = self
                .client
                .post(self.url("/restapi/oauth/token"))
                .basic_auth("client-id", Some("client-secret"))
                .form(form);
            self.send(req).await
        }

        pub async fn jwt_token(&self) -> Resp {
            self.token(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"),
            ])
            .await
        }

        pub async fn stats(&self) -> Value {
            self.get_as("/__stats", None).await.body
        }

        /// Every record of a list, following `navigation.nextPage`.
        pub async fn all_pages(&self, path: &str) -> Result<Vec<Value>, Resp> {
            let mut url = self.url(path);
            let mut out = Vec::new();
            for _ in 0..10_000 {
                let r = self.get(&url).await;
                if r.status != 200 {
                    return Err(r);
                }
                out.extend(r.body["records"].as_array().unwrap().iter().cloned());
                match r.body["navigation"]["nextPage"]["uri"].as_str() {
                    Some(next) => url = next.to_owned(),
                    None => return Ok(out),
                }
            }
            panic!("paging did not end");
        }
    }

    pub fn data(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    pub fn round_trip_doc() -> Value {
        serde_json::from_str(&std::fs::read_to_string(data("round-trip.snapshot.json")).unwrap())
            .unwrap()
    }

    /// A snapshot whose account has `n` phone numbers.
    pub fn with_numbers(n: usize) -> Value {
        let numbers: Vec<Value> = (0..n)
            .map(|i| json!({"id": 1000 + i, "phoneNumber": format!("+1650555{i:04}"), "usageType": "DirectNumber"}))
            .collect();
        json!({
            "snapshotVersion": 1,
            "source": {"viewer": {"accountId": "7", "extensionId": "70", "admin": true}},
            "account": {"id": 7},
            "phoneNumbers": numbers,
            "extensions": [{"id": 70, "extensionNumber": "101", "phoneNumbers": [], "forwardingNumbers": []}]
        })
    }
}

use support::*;

// ------------------------------------------------------------------ paging

#[tokio::test]
async fn paging_edges() {
    // n records served, the query, how many records the page holds, its
    // `paging`, and whether `nextPage` / `previousPage` are present.
    let cases = json!([
        {"n": 0, "q": "", "len": 0, "next": false, "prev": false, "paging": {"page":1,"totalPages":1,"perPage":100,"totalElements":0}},
        {"n": 1, "q": "perPage=4", "len": 1, "next": false, "prev": false, "paging": {"page":1,"totalPages":1,"perPage":4,"totalElements":1,"pageStart":0,"pageEnd":0}},
        {"n": 4, "q": "perPage=4", "len": 4, "next": false, "prev": false, "paging": {"page":1,"totalPages":1,"perPage":4,"totalElements":4,"pageStart":0,"pageEnd":3}},
        {"n": 5, "q": "perPage=4", "len": 4, "next": true, "prev": false, "paging": {"page":1,"totalPages":2,"perPage":4,"totalElements":5,"pageStart":0,"pageEnd":3}},
        {"n": 5, "q": "perPage=4&page=2", "len": 1, "next": false, "prev": true, "paging": {"page":2,"totalPages":2,"perPage":4,"totalElements":5,"pageStart":4,"pageEnd":4}},
        {"n": 5, "q": "page=3&perPage=4", "len": 0, "next": false, "prev": true, "paging": {"page":3,"totalPages":2,"perPage":4,"totalElements":5}},
        {"n": 150, "q": "", "len": 100, "next": true, "prev": false, "paging": {"page":1,"totalPages":2,"perPage":100,"totalElements":150,"pageStart":0,"pageEnd":99}},
        {"n": 1001, "q": "perPage=5000", "len": 1000, "next": true, "prev": false, "paging": {"page":1,"totalPages":2,"perPage":1000,"totalElements":1001,"pageStart":0,"pageEnd":999}},
        {"n": 1001, "q": "perPage=1000&page=2", "len": 1, "next": false, "prev": true, "paging": {"page":2,"totalPages":2,"perPage":1000,"totalElements":1001,"pageStart":1000,"pageEnd":1000}}
    ]);
    for case in cases.as_array().unwrap() {
        let n = usize::try_from(case["n"].as_u64().unwrap()).unwrap();
        let query = case["q"].as_str().unwrap();
        let paging = &case["paging"];
        let sb = Sandbox::serve(&with_numbers(n), &["--window-ms", "1"]).await;
        let r = sb.get(&format!("{ACCOUNT}/~/phone-number?{query}")).await;
        let what = format!("{n} records, ?{query}");
        assert_eq!(r.status, 200, "{what}: {}", r.text);
        let records = r.body["records"].as_array().unwrap();
        assert_eq!(records.len() as u64, case["len"], "{what}");
        assert_eq!(&r.body["paging"], paging, "{what}");
        let nav = &r.body["navigation"];
        assert_eq!(nav.get("nextPage").is_some(), case["next"], "{what}: {nav}");
        assert_eq!(
            nav.get("previousPage").is_some(),
            case["prev"],
            "{what}: {nav}"
        );
        let per = paging["perPage"].as_u64().unwrap();
        let last = paging["totalPages"].as_u64().unwrap();
        let list_url = format!("{}{ACCOUNT}/7/phone-number", sb.base);
        assert_eq!(
            nav["firstPage"]["uri"],
            format!("{list_url}?page=1&perPage={per}"),
            "{what}"
        );
        assert_eq!(
            nav["lastPage"]["uri"],
            format!("{list_url}?page={last}&perPage={per}"),
            "{what}"
        );
        let page = paging["page"].as_u64().unwrap();
        assert_eq!(
            r.body["uri"],
            format!("{list_url}?page={page}&perPage={per}"),
            "{what}"
        );
        // Records are served in stored order.
        let first_id = records.first().map(|r| r["id"].as_u64().unwrap());
        let skipped = (page - 1) * per;
        assert_eq!(
            first_id,
            (!records.is_empty()).then_some(1000 + skipped),
            "{what}"
        );
    }
}

#[tokio::test]
async fn navigation_links_are_followable_and_cover_the_list() {
    let sb = Sandbox::serve(&with_numbers(11), &["--window-ms", "1"]).await;
    let all = sb
        .all_pages(&format!("{ACCOUNT}/~/phone-number?perPage=3"))
        .await
        .unwrap();
    let ids: Vec<u64> = all.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1000..1011).collect::<Vec<_>>());
    // previousPage and lastPage are followable too.
    let last = sb
        .get(&format!("{ACCOUNT}/~/phone-number?perPage=3&page=4"))
        .await;
    assert_eq!(last.body["records"].as_array().unwrap().len(), 2);
    let prev = last.body["navigation"]["previousPage"]["uri"]
        .as_str()
        .unwrap();
    let r = sb.get(prev).await;
    assert_eq!(r.body["paging"]["page"], 3);
    let r = sb
        .get(r.body["navigation"]["lastPage"]["uri"].as_str().unwrap())
        .await;
    assert_eq!(r.body["paging"]["page"], 4);
}

#[tokio::test]
async fn invalid_paging_parameters() {
    let sb = Sandbox::serve(&with_numbers(3), &["--window-ms", "1"]).await;
    for (query, parameter) in [
        ("perPage=0", "perPage"),
        ("perPage=-1", "perPage"),
        ("perPage=abc", "perPage"),
        ("perPage=", "perPage"),
        ("page=0", "page"),
        ("page=x", "page"),
    ] {
        for list in [
            "phone-number",
            "extension",
            "extension/~/phone-number",
            "extension/~/forwarding-number",
        ] {
            let r = sb.get(&format!("{ACCOUNT}/~/{list}?{query}")).await;
            assert_eq!(
                r.error(),
                (
                    400,
                    "CMN-101".into(),
                    format!("Parameter [{parameter}] value is invalid.")
                ),
                "{list}?{query}"
            );
            assert_eq!(r.body["errors"][0]["parameterName"], parameter);
        }
    }
}

// ------------------------------------------------------------ ids and errors

#[tokio::test]
async fn tilde_aliases_and_explicit_ids_agree() {
    let sb = Sandbox::start(&["--window-ms", "1", "--extensions", "5", "--seed", "3"]).await;
    let account = sb.get(&format!("{ACCOUNT}/~")).await;
    let id = account.body["id"].to_string();
    assert_eq!(sb.get(&format!("{ACCOUNT}/{id}")).await.text, account.text);
    let me = sb.get(&format!("{ACCOUNT}/~/extension/~")).await;
    assert_eq!(me.body["permissions"]["admin"]["enabled"], true);
    let ext = me.body["id"].to_string();
    for path in ["", "/phone-number", "/forwarding-number"] {
        let a = sb.get(&format!("{ACCOUNT}/~/extension/~{path}")).await;
        let b = sb
            .get(&format!("{ACCOUNT}/{id}/extension/{ext}{path}"))
            .await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.text, b.text, "{path}");
    }
    for path in ["/service-info", "/phone-number", "/extension"] {
        let a = sb.get(&format!("{ACCOUNT}/~{path}")).await;
        let b = sb.get(&format!("{ACCOUNT}/{id}{path}")).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(a.text, b.text, "{path}");
    }
}

#[tokio::test]
async fn not_found_bodies() {
    let sb = Sandbox::start(&["--window-ms", "1", "--extensions", "3"]).await;
    let account_nf = (
        404,
        "CMN-102".to_owned(),
        "Resource for parameter [accountId] is not found".to_owned(),
    );
    let ext_nf = (
        404,
        "CMN-102".to_owned(),
        "Resource for parameter [extensionId] is not found".to_owned(),
    );
    let cases = [
        ("/12345", &account_nf),
        ("/12345/service-info", &account_nf),
        ("/12345/extension", &account_nf),
        ("/12345/phone-number", &account_nf),
        ("/12345/extension/~", &account_nf),
        ("/~/extension/999", &ext_nf),
        ("/~/extension/999/phone-number", &ext_nf),
        ("/~/extension/999/forwarding-number", &ext_nf),
    ];
    for (path, want) in cases {
        let r = sb.get(&format!("{ACCOUNT}{path}")).await;
        assert_eq!(&r.error(), want, "{path}");
    }
    let r = sb.get("/restapi/v1.0/nothing-here").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn unauthorized_bodies() {
    let sb = Sandbox::start(&["--window-ms", "1", "--extensions", "3"]).await;
    let path = format!("{ACCOUNT}/~");
    let unsupported = (
        401,
        "OAU-151".to_owned(),
        "Authorization method not supported".to_owned(),
    );
    for auth in [
        None,
        Some("Basic Y2xpZW50OnNlY3JldA=="),
        Some("Token abc"),
        Some("Bearer"),
    ] {
        assert_eq!(
            sb.get_as(&path, auth).await.error(),
            unsupported,
            "{auth:?}"
        );
    }
    assert_eq!(sb.get_as(&path, Some("Bearer anything")).await.status, 200);
    assert_eq!(sb.get_as(&path, Some("bearer anything")).await.status, 200);

    let strict = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--require-token",
        "s3cret",
    ])
    .await;
    assert_eq!(
        strict.get_as(&path, Some("Bearer s3cret")).await.status,
        200
    );
    assert_eq!(
        strict.get_as(&path, Some("Bearer other")).await.error(),
        (401, "OAU-129".into(), "Access token corrupted".into())
    );
    let token = strict.jwt_token().await.body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        strict
            .get_as(&path, Some(&format!("Bearer {token}")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn scope_without_read_accounts_is_forbidden() {
    let sb = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--scope",
        "ReadMessages",
    ])
    .await;
    let r = sb.get(&format!("{ACCOUNT}/~/extension")).await;
    assert_eq!(
        r.error(),
        (
            403,
            "CMN-401".into(),
            "In order to call this API endpoint, application needs to have [ReadAccounts] permission".into()
        )
    );
    assert_eq!(sb.jwt_token().await.body["scope"], "ReadMessages");
}

#[tokio::test]
async fn snapshot_gaps_answer_with_their_errors() {
    let mut doc = round_trip_doc();
    let sb = Sandbox::serve(&doc, &["--window-ms", "1"]).await;
    let cases = [
        // an `errors` entry for the pointer: its status, code and message
        (
            "/~/extension/159048010/forwarding-number",
            403,
            "CMN-401",
            "In order to call this API endpoint, application needs to have [EditExtensions] permission",
        ),
        (
            "/~/extension/159048012/phone-number",
            404,
            "CMN-102",
            "Resource for parameter [extensionId] is not found",
        ),
        // no entry: unknown, an error a fetcher records as such (never
        // CMN-403, which on a forwarding list means "none")
        (
            "/~/extension/159048011/phone-number",
            403,
            "CMN-401",
            "In order to call this API endpoint, application needs to have [ReadAccounts] permission",
        ),
        (
            "/~/extension/159048011/forwarding-number",
            403,
            "CMN-401",
            "In order to call this API endpoint, application needs to have [ReadAccounts] permission",
        ),
    ];
    for (path, status, code, message) in cases {
        let r = sb.get(&format!("{ACCOUNT}{path}")).await;
        assert_eq!(r.error(), (status, code.into(), message.into()), "{path}");
    }
    // Account-level gaps.
    let obj = doc.as_object_mut().unwrap();
    obj.remove("serviceInfo");
    obj.remove("phoneNumbers");
    let sb = Sandbox::serve(&doc, &["--window-ms", "1"]).await;
    assert_eq!(
        sb.get(&format!("{ACCOUNT}/~/service-info")).await.error(),
        (
            403,
            "CMN-408".into(),
            "[ReadServicePlanInfo] permission required".into()
        )
    );
    assert_eq!(
        sb.get(&format!("{ACCOUNT}/~/phone-number")).await.error(),
        (
            403,
            "CMN-401".into(),
            "In order to call this API endpoint, application needs to have [ReadAccounts] permission".into()
        )
    );
}

#[tokio::test]
async fn absent_lists_are_unknown_and_only_cmn_403_forwarding_is_empty() {
    let doc = json!({
        "snapshotVersion": 1,
        "source": {"viewer": {"accountId": "7", "extensionId": "70", "admin": true}},
        "account": {"id": 7},
        "serviceInfo": {"servicePlan": {"name": "Core"}},
        "phoneNumbers": [],
        "extensions": [
            {"id": 70, "extensionNumber": "101", "type": "User", "phoneNumbers": [], "forwardingNumbers": []},
            // No lists, no `errors` entry: unknown (a type with call
            // forwarding, so the fetcher asks for that list too).
            {"id": 71, "extensionNumber": "102", "type": "User"},
            // The snapshot says the type has no call forwarding.
            {"id": 72, "extensionNumber": "103", "type": "Department", "phoneNumbers": []}
        ],
        "errors": [
            {"pointer": "/extensions/2/forwardingNumbers", "status": 403, "errorCode": "CMN-403",
             "message": "The feature is not available for this extension type"}
        ]
    });
    let unknown = (
        403,
        "CMN-401".to_owned(),
        "In order to call this API endpoint, application needs to have [ReadAccounts] permission"
            .to_owned(),
    );
    let sb = Sandbox::serve(&doc, &["--window-ms", "1"]).await;
    for path in ["phone-number", "forwarding-number"] {
        let r = sb.get(&format!("{ACCOUNT}/~/extension/71/{path}")).await;
        assert_eq!(r.error(), unknown, "{path}");
    }
    let r = sb
        .get(&format!("{ACCOUNT}/~/extension/72/forwarding-number"))
        .await;
    assert_eq!(r.error().1, "CMN-403");

    // The expected snapshot: the absent lists stay absent, with the error;
    // the CMN-403 forwarding list is `[]`, without an error.
    let expected = serde_json::to_value(
        Account::from_snapshot(Json::from_value(doc.clone()), None)
            .unwrap()
            // A fetch of every list (the account list would otherwise
            // stand in for each extension's phone numbers).
            .expected_snapshot_with(true),
    )
    .unwrap();
    let ivr = expected["extensions"][1].as_object().unwrap();
    assert!(!ivr.contains_key("phoneNumbers"), "{ivr:?}");
    assert!(!ivr.contains_key("forwardingNumbers"), "{ivr:?}");
    assert_eq!(expected["extensions"][2]["forwardingNumbers"], json!([]));
    assert_eq!(
        expected["errors"],
        json!([
            {"pointer": "/extensions/1/phoneNumbers",
             "request": "GET /restapi/v1.0/account/~/extension/71/phone-number",
             "status": 403, "errorCode": "CMN-401", "message": unknown.2},
            {"pointer": "/extensions/1/forwardingNumbers",
             "request": "GET /restapi/v1.0/account/~/extension/71/forwarding-number",
             "status": 403, "errorCode": "CMN-401", "message": unknown.2}
        ])
    );
    // And a correct fetcher writes exactly that.
    let (fetched, errors) = fetch(&sb, 100).await;
    assert_eq!(fetched, without_meta(expected));
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        [
            "/extensions/1/forwardingNumbers",
            "/extensions/1/phoneNumbers"
        ]
    );
}

#[tokio::test]
async fn non_admin_view() {
    for args in [
        vec!["--window-ms", "1", "--viewer", "user"],
        vec!["--window-ms", "1"],
    ] {
        let mut doc = round_trip_doc();
        if args.len() == 2 {
            // no --viewer: the snapshot's own source.viewer.admin decides
            doc["source"]["viewer"]["admin"] = json!(false);
        }
        let sb = Sandbox::serve(&doc, &args).await;
        assert_eq!(
            sb.get(&format!("{ACCOUNT}/~/phone-number")).await.error(),
            (
                403,
                "CMN-408".into(),
                "[ReadCompanyPhoneNumbers] permission required".into()
            )
        );
        let me = sb.get(&format!("{ACCOUNT}/~/extension/~")).await;
        assert_eq!(me.body["permissions"]["admin"]["enabled"], false);
        // Own lists: complete.
        let own = sb
            .all_pages(&format!("{ACCOUNT}/~/extension/~/phone-number"))
            .await
            .unwrap();
        assert_eq!(
            own,
            doc["extensions"][0]["phoneNumbers"]
                .as_array()
                .unwrap()
                .clone()
        );
        let fwd = sb
            .all_pages(&format!("{ACCOUNT}/~/extension/~/forwarding-number"))
            .await
            .unwrap();
        assert_eq!(
            fwd,
            doc["extensions"][0]["forwardingNumbers"]
                .as_array()
                .unwrap()
                .clone()
        );
        // Another extension: DirectNumbers only, without features.
        let other = sb
            .all_pages(&format!("{ACCOUNT}/~/extension/159048009/phone-number"))
            .await
            .unwrap();
        assert_eq!(
            other,
            vec![
                json!({"id": "246715011", "phoneNumber": "+16505550102", "usageType": "DirectNumber"})
            ]
        );
        let r = sb
            .get(&format!(
                "{ACCOUNT}/~/extension/159048009/forwarding-number"
            ))
            .await;
        assert_eq!(
            r.error(),
            (
                403,
                "CMN-419".into(),
                "In order to call this API endpoint for another extension, user needs to have [ReadUserForwardingFlipNumbers] permission granted with extended scope".into()
            )
        );
        // The extension list itself is readable.
        assert_eq!(
            sb.all_pages(&format!("{ACCOUNT}/~/extension"))
                .await
                .unwrap()
                .len(),
            5
        );
    }
}

// -------------------------------------------------------------- round trip

#[cfg(test)]
mod fetcher {
    use super::*;

    /// What a correct fetcher does: read every endpoint, follow paging, keep
    /// records verbatim, leave out what failed and record why.
    pub async fn fetch(
        sb: &Sandbox,
        per_page: u32,
    ) -> (Value, BTreeMap<String, (u16, String, String)>) {
        let mut errors = BTreeMap::new();
        let mut note = |pointer: String, r: &Resp| {
            let (status, code, message) = r.error();
            errors.insert(pointer, (status, code, message));
        };
        let mut doc = serde_json::Map::new();
        doc.insert("snapshotVersion".into(), json!(1));
        let account = sb.get(&format!("{ACCOUNT}/~")).await;
        assert_eq!(account.status, 200);
        doc.insert("account".into(), account.body);
        let si = sb.get(&format!("{ACCOUNT}/~/service-info")).await;
        if si.status == 200 {
            doc.insert("serviceInfo".into(), si.body);
        } else {
            note("/serviceInfo".into(), &si);
        }
        match sb
            .all_pages(&format!("{ACCOUNT}/~/phone-number?perPage={per_page}"))
            .await
        {
            Ok(list) => {
                doc.insert("phoneNumbers".into(), Value::Array(list));
            }
            Err(r) => note("/phoneNumbers".into(), &r),
        }
        let mut exts = sb
            .all_pages(&format!("{ACCOUNT}/~/extension?perPage={per_page}"))
            .await
            .unwrap();
        for (i, e) in exts.iter_mut().enumerate() {
            let id = e["id"]
                .as_str()
                .map_or_else(|| e["id"].to_string(), str::to_owned);
            for (key, path) in [
                ("phoneNumbers", "phone-number"),
                ("forwardingNumbers", "forwarding-number"),
            ] {
                // A type without call forwarding has none: not asked for.
                let kind = e["type"].as_str().unwrap_or_default();
                if key == "forwardingNumbers"
                    && rcaudit_sandbox::NO_FORWARDING_TYPES.contains(&kind)
                {
                    e.as_object_mut()
                        .unwrap()
                        .insert(key.into(), Value::Array(Vec::new()));
                    continue;
                }
                match sb
                    .all_pages(&format!(
                        "{ACCOUNT}/~/extension/{id}/{path}?perPage={per_page}"
                    ))
                    .await
                {
                    Ok(list) => {
                        e.as_object_mut()
                            .unwrap()
                            .insert(key.into(), Value::Array(list));
                    }
                    // A type without call forwarding has none.
                    Err(r) if key == "forwardingNumbers" && r.error().1 == "CMN-403" => {
                        e.as_object_mut()
                            .unwrap()
                            .insert(key.into(), Value::Array(Vec::new()));
                    }
                    Err(r) => note(format!("/extensions/{i}/{key}"), &r),
                }
            }
        }
        doc.insert("extensions".into(), Value::Array(exts));
        (Value::Object(doc), errors)
    }

    pub fn without_meta(mut doc: Value) -> Value {
        let o = doc.as_object_mut().unwrap();
        for key in ["capturedAt", "source", "errors"] {
            o.remove(key);
        }
        doc
    }
}

use fetcher::{fetch, without_meta};

#[tokio::test]
async fn snapshot_round_trip() {
    let path = data("round-trip.snapshot.json");
    let file = round_trip_doc();
    let sb = Sandbox::start(&["--window-ms", "1", "--snapshot", path.to_str().unwrap()]).await;
    // The IVR menu (/extensions/3) has no lists in the file and no `errors`
    // entry: unknown. The sandbox answers 403 CMN-401 (missing
    // ReadAccounts) for both, so a fetcher leaves its phone numbers out and
    // records the error (CMN-403 would have made a list "none"); its
    // forwarding list is not asked for, as an IVR menu has no call
    // forwarding: `[]`.
    // The same for the Department (/extensions/2), whose forwarding list
    // the file records as refused: not asked for, `[]`.
    let mut want = without_meta(file.clone());
    want["extensions"][2]["forwardingNumbers"] = json!([]);
    want["extensions"][3]["forwardingNumbers"] = json!([]);
    let unknown = (
        403,
        "CMN-401".to_owned(),
        "In order to call this API endpoint, application needs to have [ReadAccounts] permission"
            .to_owned(),
    );
    let sandbox_says = sb
        .get(&format!(
            "{ACCOUNT}/~/extension/159048011/forwarding-number"
        ))
        .await;
    assert_eq!(sandbox_says.error(), unknown);
    let sandbox_says = sb
        .get(&format!(
            "{ACCOUNT}/~/extension/159048011/forwarding-number"
        ))
        .await;
    assert_eq!(sandbox_says.error(), unknown);
    for per_page in [1, 2, 1000] {
        let (fetched, errors) = fetch(&sb, per_page).await;
        assert_eq!(fetched, want, "perPage={per_page}");
        // The file's errors come back for their pointers.
        for e in file["errors"].as_array().unwrap() {
            if e["pointer"] == "/extensions/2/forwardingNumbers" {
                continue;
            }
            let got = &errors[e["pointer"].as_str().unwrap()];
            assert_eq!(got.0, u16::try_from(e["status"].as_u64().unwrap()).unwrap());
            assert_eq!(got.1, e["errorCode"].as_str().unwrap());
            assert_eq!(got.2, e["message"].as_str().unwrap());
        }
        assert_eq!(errors["/extensions/3/phoneNumbers"], unknown);
        assert!(!errors.contains_key("/extensions/3/forwardingNumbers"));
        assert!(!errors.contains_key("/extensions/2/forwardingNumbers"));
        assert_eq!(errors.len(), 2, "{errors:?}");
    }
    // Records are verbatim, key order included.
    let text = std::fs::read_to_string(&path).unwrap();
    let parsed: Json = serde_json::from_str(&text).unwrap();
    let account = sb.get(&format!("{ACCOUNT}/~")).await;
    assert_eq!(
        account.text,
        serde_json::to_string(parsed.get("account").unwrap()).unwrap()
    );
    let numbers = sb.get(&format!("{ACCOUNT}/~/phone-number")).await;
    let records = serde_json::to_string(parsed.get("phoneNumbers").unwrap()).unwrap();
    assert!(
        numbers.text.contains(&format!("\"records\":{records}")),
        "{}",
        numbers.text
    );
}

#[tokio::test]
async fn generated_round_trip_matches_dump_for_both_viewers() {
    for viewer in ["admin", "user"] {
        let args = [
            "--window-ms",
            "1",
            "--extensions",
            "30",
            "--seed",
            "5",
            "--viewer",
            viewer,
        ];
        let sb = Sandbox::start(&args).await;
        // This test's client asks for every list.
        let expected: Value = serde_json::to_value(
            cli(&args)
                .config()
                .unwrap()
                .account()
                .unwrap()
                .expected_snapshot_with(true),
        )
        .unwrap();
        let (fetched, errors) = fetch(&sb, 7).await;
        assert_eq!(fetched, without_meta(expected.clone()), "viewer {viewer}");
        let want: BTreeMap<String, (u16, String, String)> = expected["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["pointer"].as_str().unwrap().to_owned(),
                    (
                        u16::try_from(e["status"].as_u64().unwrap()).unwrap(),
                        e["errorCode"].as_str().unwrap().to_owned(),
                        e["message"].as_str().unwrap().to_owned(),
                    ),
                )
            })
            .collect();
        assert_eq!(errors, want, "viewer {viewer}");
        if viewer == "user" {
            assert!(fetched.get("phoneNumbers").is_none());
            assert!(errors.contains_key("/phoneNumbers"));
        }
    }
}

#[tokio::test]
async fn generated_accounts_are_deterministic_by_seed() {
    let records = |sb: Sandbox| async move {
        let mut all = Vec::new();
        for path in ["/extension?perPage=1000", "/phone-number?perPage=1000"] {
            all.push(sb.get(&format!("{ACCOUNT}/~{path}")).await.body["records"].clone());
        }
        all.push(sb.get(&format!("{ACCOUNT}/~")).await.body);
        all
    };
    let args = |seed: &'static str| ["--window-ms", "1", "--extensions", "40", "--seed", seed];
    let a = records(Sandbox::start(&args("11")).await).await;
    let b = records(Sandbox::start(&args("11")).await).await;
    let c = records(Sandbox::start(&args("12")).await).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a[0].as_array().unwrap().len(), 40);
    // Default account: 50 extensions.
    let d = Sandbox::start(&["--window-ms", "1"]).await;
    assert_eq!(
        d.get(&format!("{ACCOUNT}/~/extension")).await.body["paging"]["totalElements"],
        50
    );
    let plan = &d.get(&format!("{ACCOUNT}/~")).await.body["serviceInfo"]["servicePlan"]["name"];
    assert_eq!(plan, "RingEX Advanced");
}

// ------------------------------------------------------------- rate limits

#[tokio::test]
async fn rate_limit_headers_and_429() {
    let sb = Sandbox::start(&["--window-ms", "200", "--extensions", "3"]).await;
    let path = format!("{ACCOUNT}/~/phone-number");
    for i in 0..10 {
        let r = sb.get(&path).await;
        assert_eq!(r.status, 200, "request {i}");
        assert_eq!(r.header("x-rate-limit-group"), Some("Heavy"));
        assert_eq!(r.header("x-rate-limit-limit"), Some("10"));
        assert_eq!(
            r.header("x-rate-limit-remaining"),
            Some((9 - i).to_string().as_str())
        );
        assert_eq!(r.header("x-rate-limit-window"), Some("0.2"));
    }
    let r = sb.get(&path).await;
    assert_eq!(
        r.error(),
        (429, "CMN-301".into(), "Request rate exceeded".into())
    );
    assert_eq!(r.header("retry-after"), Some("0.2"));
    assert_eq!(r.header("x-rate-limit-remaining"), Some("0"));
    assert_eq!(r.header("x-rate-limit-group"), Some("Heavy"));
    // Other groups have their own buckets; another token of the same user
    // and app does not.
    assert_eq!(sb.get(&format!("{ACCOUNT}/~")).await.status, 200);
    assert_eq!(sb.get_as(&path, Some("Bearer another")).await.status, 429);
    // Groups of the other endpoints.
    for (path, group, limit) in [
        ("/~", "Light", "50"),
        ("/~/service-info", "Light", "50"),
        ("/~/extension", "Medium", "40"),
        ("/~/extension/~", "Light", "50"),
        ("/~/extension/~/phone-number", "Light", "50"),
        ("/~/extension/~/forwarding-number", "Light", "50"),
    ] {
        let r = sb.get(&format!("{ACCOUNT}{path}")).await;
        assert_eq!(r.header("x-rate-limit-group"), Some(group), "{path}");
        assert_eq!(r.header("x-rate-limit-limit"), Some(limit), "{path}");
    }
    let t = sb.jwt_token().await;
    assert_eq!(t.header("x-rate-limit-group"), Some("Auth"));
    assert_eq!(t.header("x-rate-limit-limit"), Some("5"));
    // Whole-second windows are written as integers.
    let real = Sandbox::start(&["--extensions", "3"]).await;
    assert_eq!(
        real.get(&format!("{ACCOUNT}/~"))
            .await
            .header("x-rate-limit-window"),
        Some("60")
    );
}

#[tokio::test]
async fn penalty_restarts_on_every_request_and_ends_after_silence() {
    let window = Duration::from_millis(400);
    let sb = Sandbox::start(&["--window-ms", "400", "--extensions", "3"]).await;
    let path = format!("{ACCOUNT}/~/phone-number");
    for _ in 0..10 {
        assert_eq!(sb.get(&path).await.status, 200);
    }
    let first_429 = Instant::now();
    assert_eq!(sb.get(&path).await.status, 429);
    tokio::time::sleep(window * 5 / 8).await;
    assert_eq!(sb.get(&path).await.status, 429, "still in the penalty");
    tokio::time::sleep(window * 5 / 8).await;
    // More than a window since the first 429, but the penalty restarted.
    assert!(first_429.elapsed() > window);
    assert_eq!(sb.get(&path).await.status, 429, "penalty restarted");
    tokio::time::sleep(window * 3 / 2).await;
    let r = sb.get(&path).await;
    assert_eq!(r.status, 200, "recovered after a window of silence");
    assert_eq!(r.header("x-rate-limit-remaining"), Some("9"));
    let stats = sb.stats().await;
    assert_eq!(stats["rateLimited"]["Heavy"], 3);
}

#[tokio::test]
async fn no_retry_after_and_auth_group() {
    let sb = Sandbox::start(&[
        "--window-ms",
        "300",
        "--extensions",
        "3",
        "--no-retry-after",
    ])
    .await;
    for _ in 0..5 {
        assert_eq!(sb.jwt_token().await.status, 200);
    }
    let r = sb.jwt_token().await;
    assert_eq!(r.error_code(), "CMN-301");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None);
    assert_eq!(r.header("x-rate-limit-group"), Some("Auth"));
}

#[tokio::test]
async fn rate_limits_are_per_user_and_app_not_per_token() {
    let sb = Sandbox::start(&["--window-ms", "10000", "--extensions", "3"]).await;
    let path = format!("{ACCOUNT}/~");
    for i in 0..50 {
        let r = sb.get_as(&path, Some("Bearer token-a")).await;
        assert_eq!(r.status, 200, "request {i}");
        assert_eq!(
            r.header("x-rate-limit-remaining"),
            Some((49 - i).to_string().as_str())
        );
    }
    // Another token of the same user and app: the same bucket, spent.
    let r = sb.get_as(&path, Some("Bearer token-b")).await;
    assert_eq!(
        r.error(),
        (429, "CMN-301".into(), "Request rate exceeded".into())
    );
    assert_eq!(r.header("x-rate-limit-group"), Some("Light"));
    // Other groups are still free, whatever the token.
    let r = sb
        .get_as(&format!("{ACCOUNT}/~/extension"), Some("Bearer token-c"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-rate-limit-remaining"), Some("39"));
    // A request without a token is nobody's: not charged to the viewer.
    assert_eq!(sb.get_as(&path, None).await.error_code(), "OAU-151");
    let stats = sb.stats().await;
    assert_eq!(stats["rateLimited"]["Light"], 1);
}

#[tokio::test]
async fn refreshed_and_new_tokens_share_the_bucket() {
    let sb = Sandbox::start(&["--window-ms", "10000", "--extensions", "3"]).await;
    let path = format!("{ACCOUNT}/~/extension/~");
    let t = sb.jwt_token().await;
    let access = t.body["access_token"].as_str().unwrap().to_owned();
    let refresh = t.body["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..30 {
        let r = sb.get_as(&path, Some(&format!("Bearer {access}"))).await;
        assert_eq!(r.status, 200);
    }
    let renewed = sb
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let access2 = format!("Bearer {}", renewed.body["access_token"].as_str().unwrap());
    // The refreshed token continues the count: 31st request, 19 left.
    let r = sb.get_as(&path, Some(&access2)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-rate-limit-remaining"), Some("19"));
    for _ in 0..19 {
        assert_eq!(sb.get_as(&path, Some(&access2)).await.status, 200);
    }
    assert_eq!(sb.get_as(&path, Some(&access2)).await.status, 429);
    // A new session (another JWT grant) is the same user and app too, and
    // so is the replaced token (rejected, but it names the viewer).
    let t3 = sb.jwt_token().await;
    let access3 = format!("Bearer {}", t3.body["access_token"].as_str().unwrap());
    assert_eq!(sb.get_as(&path, Some(&access3)).await.status, 429);
    let old = format!("Bearer {access}");
    assert_eq!(sb.get_as(&path, Some(&old)).await.status, 429);
}

#[tokio::test]
async fn auth_group_is_per_client_id() {
    let sb = Sandbox::start(&["--window-ms", "10000", "--extensions", "3"]).await;
    let url = sb.url("/restapi/oauth/token");
    let jwt = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
        ("assertion", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"),
    ];
    for _ in 0..5 {
        assert_eq!(sb.jwt_token().await.status, 200);
    }
    // The same client id with another secret: the same app, the same bucket.
    let r = sb
        .send(
            sb.client
                .post(&url)
                .basic_auth("client-id", Some("other-secret"))
                .form(&jwt),
        )
        .await;
    assert_eq!((r.status, r.error_code()), (429, "CMN-301"));
    assert_eq!(r.header("x-rate-limit-group"), Some("Auth"));
    // The same client id as a form field (no Basic): the same bucket, so a
    // 429 before the 401 for the missing client authentication.
    let mut form = jwt.to_vec();
    form.push(("client_id", "client-id"));
    let r = sb.send(sb.client.post(&url).form(&form)).await;
    assert_eq!((r.status, r.error_code()), (429, "CMN-301"));
    // Another client: its own bucket.
    let r = sb
        .send(
            sb.client
                .post(&url)
                .basic_auth("other-client", Some("client-secret"))
                .form(&jwt),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("x-rate-limit-remaining"), Some("4"));
    let mut form = jwt.to_vec();
    form.push(("client_id", "third-client"));
    let r = sb.send(sb.client.post(&url).form(&form)).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"], "invalid_client");
    assert_eq!(r.header("x-rate-limit-remaining"), Some("4"));
    // Token requests do not touch the API buckets.
    assert_eq!(sb.get(&format!("{ACCOUNT}/~")).await.status, 200);
}

// ------------------------------------------------------------------ tokens

#[tokio::test]
async fn token_grant_refresh_and_expiry() {
    let sb = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--token-ttl-ms",
        "2500",
    ])
    .await;
    let t = sb.jwt_token().await;
    assert_eq!(t.status, 200, "{}", t.text);
    let me = sb.get(&format!("{ACCOUNT}/~/extension/~")).await.body["id"].to_string();
    assert_eq!(t.body["token_type"], "bearer");
    assert_eq!(t.body["expires_in"], 2);
    assert_eq!(t.body["refresh_token_expires_in"], 604_800);
    assert_eq!(t.body["scope"], "ReadAccounts");
    assert_eq!(t.body["owner_id"], me);
    assert!(t.body["session_id"].is_string());
    let access = t.body["access_token"].as_str().unwrap().to_owned();
    let refresh = t.body["refresh_token"].as_str().unwrap().to_owned();
    let path = format!("{ACCOUNT}/~");
    assert_eq!(
        sb.get_as(&path, Some(&format!("Bearer {access}")))
            .await
            .status,
        200
    );

    // Refresh: a new pair; the old access token stops working.
    let r = sb
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["session_id"], t.body["session_id"]);
    let access2 = r.body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(access2, access);
    assert_eq!(
        sb.get_as(&path, Some(&format!("Bearer {access2}")))
            .await
            .status,
        200
    );
    assert_eq!(
        sb.get_as(&path, Some(&format!("Bearer {access}")))
            .await
            .error_code(),
        "OAU-129"
    );
    // Refresh tokens are single use.
    let again = sb
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.body["error"], "invalid_grant");
    assert_eq!(again.error_code(), "OAU-140");

    // Expiry.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    assert_eq!(
        sb.get_as(&path, Some(&format!("Bearer {access2}")))
            .await
            .error(),
        (401, "OAU-128".into(), "Access token expired".into())
    );
}

#[tokio::test]
async fn token_errors() {
    let sb = Sandbox::start(&["--window-ms", "1", "--extensions", "3"]).await;
    let bad = sb
        .token(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", "not-a-jwt"),
        ])
        .await;
    assert_eq!((bad.status, bad.error_code()), (400, "OAU-140"));
    assert_eq!(bad.body["error"], "invalid_grant");
    let missing = sb
        .token(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")])
        .await;
    assert_eq!((missing.status, missing.error_code()), (400, "OAU-140"));
    let unknown = sb
        .token(&[("grant_type", "refresh_token"), ("refresh_token", "nope")])
        .await;
    assert_eq!((unknown.status, unknown.error_code()), (400, "OAU-140"));
    let grant = sb.token(&[("grant_type", "password")]).await;
    assert_eq!(grant.status, 400);
    assert_eq!(grant.body["error"], "unsupported_grant_type");
    // No client credentials.
    let r = sb
        .send(sb.client.post(sb.url("/restapi/oauth/token")).form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", "a.b.c"),
        ]))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"], "invalid_client");
    r.error();
}

// ------------------------------------------------------------------ faults

#[tokio::test]
async fn fault_shares_with_a_fixed_seed() {
    let n = 400u32;
    let sb = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--fail-rate",
        "0.3",
        "--no-rate-headers-rate",
        "0.25",
        "--fault-seed",
        "42",
    ])
    .await;
    let (mut s500, mut s503, mut ok, mut bare) = (0u32, 0u32, 0u32, 0u32);
    let mut statuses = Vec::new();
    for _ in 0..n {
        let r = sb.get(&format!("{ACCOUNT}/~")).await;
        statuses.push(r.status);
        match r.status {
            500 => s500 += 1,
            503 => {
                s503 += 1;
                assert_eq!(r.header("retry-after"), Some("1"));
            }
            200 => ok += 1,
            s => panic!("unexpected status {s}"),
        }
        if r.status != 200 {
            r.error();
        }
        if r.header("x-rate-limit-group").is_none() {
            bare += 1;
        }
    }
    let share = |k: u32| f64::from(k) / f64::from(n);
    assert!((0.10..0.20).contains(&share(s500)), "500s: {s500}");
    assert!((0.10..0.20).contains(&share(s503)), "503s: {s503}");
    assert!(
        (0.18..0.32).contains(&share(bare)),
        "without headers: {bare}"
    );
    assert_eq!(s500 + s503 + ok, n);
    let stats = sb.stats().await;
    assert_eq!(stats["faults"]["fail500"], s500);
    assert_eq!(stats["faults"]["fail503"], s503);
    assert_eq!(stats["faults"]["noRateHeaders"], bare);
    // The same seed and requests give the same faults.
    let again = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--fail-rate",
        "0.3",
        "--no-rate-headers-rate",
        "0.25",
        "--fault-seed",
        "42",
    ])
    .await;
    let mut statuses2 = Vec::new();
    for _ in 0..n {
        statuses2.push(again.get(&format!("{ACCOUNT}/~")).await.status);
    }
    assert_eq!(statuses, statuses2);
}

#[tokio::test]
async fn lists_without_navigation_where_the_spec_allows_it() {
    // Built in code, as other crates' tests do.
    let config = Config {
        source: Source::Generate {
            extensions: 5,
            seed: 3,
        },
        window: Duration::from_millis(1),
        faults: FaultConfig {
            no_navigation_rate: 1.0,
            ..FaultConfig::default()
        },
        ..Config::default()
    };
    let sb = Sandbox::from_config(config).await;
    // Optional there: left out; `paging` and `records` stay.
    for (list, total) in [
        ("extension", Some(5)),
        ("phone-number", None),
        ("extension/~/forwarding-number", None),
    ] {
        let r = sb.get(&format!("{ACCOUNT}/~/{list}?perPage=2")).await;
        assert_eq!(r.status, 200, "{list}: {}", r.text);
        assert!(r.body.get("navigation").is_none(), "{list}: {}", r.text);
        let paging = &r.body["paging"];
        assert_eq!(paging["perPage"], 2, "{list}");
        let elements = paging["totalElements"].as_u64().unwrap();
        if let Some(total) = total {
            assert_eq!(elements, total);
        }
        assert_eq!(paging["totalPages"], elements.div_ceil(2).max(1), "{list}");
        assert!(r.body["records"].is_array(), "{list}");
        assert!(r.body["uri"].is_string(), "{list}");
    }
    // Required on the extension phone-number list: always there.
    let r = sb
        .get(&format!("{ACCOUNT}/~/extension/~/phone-number?perPage=1"))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body["navigation"]["firstPage"]["uri"].is_string(),
        "{}",
        r.text
    );
    assert!(r.body["paging"]["totalPages"].is_u64());
    // Not a list, or not a 200: untouched.
    assert!(sb.get(&format!("{ACCOUNT}/~")).await.body["id"].is_u64());
    let r = sb.get(&format!("{ACCOUNT}/~/extension?perPage=0")).await;
    assert_eq!(r.error().1, "CMN-101");
    assert_eq!(sb.stats().await["faults"]["noNavigation"], 3);

    // A share, from the command line: deterministic by the fault seed.
    let args = [
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--no-navigation-rate",
        "0.5",
        "--fault-seed",
        "9",
    ];
    let pattern = |sb: Sandbox| async move {
        let mut out = Vec::new();
        for _ in 0..60 {
            let r = sb.get(&format!("{ACCOUNT}/~/extension")).await;
            assert_eq!(r.status, 200);
            assert!(r.body["paging"]["totalPages"].is_u64());
            out.push(r.body.get("navigation").is_some());
        }
        let omitted = out.iter().filter(|&&n| !n).count();
        assert_eq!(sb.stats().await["faults"]["noNavigation"], omitted);
        out
    };
    let a = pattern(Sandbox::start(&args).await).await;
    let b = pattern(Sandbox::start(&args).await).await;
    assert_eq!(a, b);
    let omitted = a.iter().filter(|&&n| !n).count();
    assert!((15..=45).contains(&omitted), "{omitted} of 60");
}

#[tokio::test]
async fn dropped_connections_fail_fast() {
    let n = 200u32;
    let sb = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--drop-rate",
        "0.2",
    ])
    .await;
    let started = Instant::now();
    let mut dropped = 0u32;
    for _ in 0..n {
        match sb
            .client
            .get(sb.url(&format!("{ACCOUNT}/~")))
            .bearer_auth("t")
            .send()
            .await
        {
            Ok(r) => assert_eq!(r.status(), 200),
            Err(e) => {
                assert!(!e.is_timeout(), "a drop must not hang: {e}");
                dropped += 1;
            }
        }
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!((20..60).contains(&dropped), "dropped {dropped} of {n}");
    let stats = sb.stats().await;
    assert_eq!(stats["faults"]["drop"], dropped);
    assert_eq!(stats["totalRequests"], n);
}

#[tokio::test]
async fn slow_requests_are_delayed() {
    let sb = Sandbox::start(&[
        "--window-ms",
        "1",
        "--extensions",
        "3",
        "--slow-rate",
        "0.5",
        "--slow-ms",
        "150",
    ])
    .await;
    let mut took_long = 0u32;
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(sb.get(&format!("{ACCOUNT}/~")).await.status, 200);
        if t.elapsed() >= Duration::from_millis(150) {
            took_long += 1;
        }
    }
    let slow = u32::try_from(sb.stats().await["faults"]["slow"].as_u64().unwrap()).unwrap();
    assert!((4..=16).contains(&slow), "slow {slow}");
    // Every slow request took the delay (a busy machine may add others).
    assert!(
        took_long >= slow,
        "{took_long} took 150 ms, {slow} were slowed"
    );
}

#[tokio::test]
async fn faulted_requests_count_toward_the_rate_limit() {
    let sb = Sandbox::start(&[
        "--window-ms",
        "5000",
        "--extensions",
        "3",
        "--fail-rate",
        "0.5",
        "--fault-seed",
        "1",
    ])
    .await;
    let path = format!("{ACCOUNT}/~/phone-number");
    let mut first_ten = Vec::new();
    for _ in 0..10 {
        first_ten.push(sb.get(&path).await.status);
    }
    assert!(first_ten.iter().any(|&s| s >= 500), "{first_ten:?}");
    assert!(
        first_ten.iter().all(|&s| s == 200 || s >= 500),
        "{first_ten:?}"
    );
    // The first answer after them that is not a fault is a 429: the faulted
    // requests used up the window too.
    let mut next = 0;
    for _ in 0..30 {
        next = sb.get(&path).await.status;
        if next < 500 {
            break;
        }
    }
    assert_eq!(next, 429);
}

// ------------------------------------------------------------------- stats

#[tokio::test]
async fn stats_count_and_reset() {
    let sb = Sandbox::start(&["--window-ms", "10000", "--extensions", "3"]).await;
    let empty = sb.stats().await;
    assert_eq!(empty["totalRequests"], 0);
    assert_eq!(empty["firstRequestMs"], Value::Null);
    for _ in 0..11 {
        sb.get(&format!("{ACCOUNT}/~/phone-number")).await;
    }
    sb.get(&format!("{ACCOUNT}/~/extension")).await;
    sb.get(&format!("{ACCOUNT}/~")).await;
    sb.jwt_token().await;
    sb.get("/__stats").await; // not counted
    let s = sb.stats().await;
    assert_eq!(s["totalRequests"], 14);
    assert_eq!(
        s["requests"],
        json!({"Light": 1, "Medium": 1, "Heavy": 11, "Auth": 1})
    );
    assert_eq!(
        s["rateLimited"],
        json!({"Light": 0, "Medium": 0, "Heavy": 1, "Auth": 0})
    );
    assert_eq!(
        s["endpoints"]["GET /restapi/v1.0/account/{accountId}/phone-number"],
        11
    );
    assert_eq!(s["endpoints"]["POST /restapi/oauth/token"], 1);
    assert_eq!(
        s["endpoints"]["GET /restapi/v1.0/account/{accountId}/service-info"],
        0
    );
    assert_eq!(s["statuses"], json!({"200": 13, "429": 1}));
    let first = s["firstRequestMs"].as_u64().unwrap();
    let last = s["lastRequestMs"].as_u64().unwrap();
    assert!(first <= last && last <= s["uptimeMs"].as_u64().unwrap());

    let r = sb.client.post(sb.url("/__reset")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let s = sb.stats().await;
    assert_eq!(s["totalRequests"], 0);
    assert_eq!(s["firstRequestMs"], Value::Null);
    assert_eq!(s["rateLimited"]["Heavy"], 0);
    // The rate limit was reset too.
    assert_eq!(
        sb.get(&format!("{ACCOUNT}/~/phone-number")).await.status,
        200
    );
}
