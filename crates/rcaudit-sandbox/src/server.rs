//! The HTTP server: routes, the per-request policy layer, handlers, and
//! the accept loop.
//!
//! Every API request goes through [`policy`] in one fixed order: count it,
//! decide its faults, charge it to the rate limiter, delay it, then either
//! answer with a fault, a 429, a 401/403, or the handler's answer, and
//! finally add the rate-limit headers. Handlers only map the account to
//! JSON and never see faults, tokens or limits; the one fault that changes a
//! body (a list without `navigation`) reaches them as a request extension,
//! [`OmitNavigation`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, MatchedPath, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension as RequestExtension, Router};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::Config;
use crate::account::{self, Account, Extension};
use crate::auth::{self, Tokens};
use crate::error::{ApiError, json_response};
use crate::faults::{Action, FaultConfig};
use crate::json::Json;
use crate::paging;
use crate::rate::{Group, Limiter, seconds_text};
use crate::stats::{FaultKind, Stats};

/// The endpoints the sandbox serves, with their usage plan groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /restapi/v1.0/account/{accountId}`
    Account,
    /// `GET .../service-info`
    ServiceInfo,
    /// `GET .../extension`
    ExtensionList,
    /// `GET .../extension/{extensionId}`
    Extension,
    /// `GET .../extension/{extensionId}/phone-number`
    ExtensionPhoneNumbers,
    /// `GET .../account/{accountId}/phone-number`
    AccountPhoneNumbers,
    /// `GET .../extension/{extensionId}/forwarding-number`
    ForwardingNumbers,
    /// `POST /restapi/oauth/token`
    Token,
}

impl Endpoint {
    /// Every endpoint.
    pub const ALL: [Endpoint; 8] = [
        Endpoint::Account,
        Endpoint::ServiceInfo,
        Endpoint::ExtensionList,
        Endpoint::Extension,
        Endpoint::ExtensionPhoneNumbers,
        Endpoint::AccountPhoneNumbers,
        Endpoint::ForwardingNumbers,
        Endpoint::Token,
    ];

    /// The route, with axum's `{param}` syntax (as `/__stats` names it).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Account => "/restapi/v1.0/account/{accountId}",
            Endpoint::ServiceInfo => "/restapi/v1.0/account/{accountId}/service-info",
            Endpoint::ExtensionList => "/restapi/v1.0/account/{accountId}/extension",
            Endpoint::Extension => "/restapi/v1.0/account/{accountId}/extension/{extensionId}",
            Endpoint::ExtensionPhoneNumbers => {
                "/restapi/v1.0/account/{accountId}/extension/{extensionId}/phone-number"
            }
            Endpoint::AccountPhoneNumbers => "/restapi/v1.0/account/{accountId}/phone-number",
            Endpoint::ForwardingNumbers => {
                "/restapi/v1.0/account/{accountId}/extension/{extensionId}/forwarding-number"
            }
            Endpoint::Token => "/restapi/oauth/token",
        }
    }

    /// The usage plan group (`docs/api-facts.md`, Endpoints).
    pub fn group(self) -> Group {
        match self {
            Endpoint::Account
            | Endpoint::ServiceInfo
            | Endpoint::Extension
            | Endpoint::ExtensionPhoneNumbers
            | Endpoint::ForwardingNumbers => Group::Light,
            Endpoint::ExtensionList => Group::Medium,
            Endpoint::AccountPhoneNumbers => Group::Heavy,
            Endpoint::Token => Group::Auth,
        }
    }

    /// `"GET /restapi/..."`: the endpoint's name in `/__stats`.
    pub fn key(self) -> String {
        let method = if self == Endpoint::Token {
            "POST"
        } else {
            "GET"
        };
        format!("{method} {}", self.path())
    }

    /// Whether the specification requires `navigation` in this endpoint's
    /// answers: only on the extension phone-number list (`docs/api-facts.md`, Paging);
    /// on the other lists it is optional. `false` for non-lists.
    pub fn navigation_optional(self) -> bool {
        matches!(
            self,
            Endpoint::ExtensionList | Endpoint::AccountPhoneNumbers | Endpoint::ForwardingNumbers
        )
    }

    fn from_path(path: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.path() == path)
    }
}

/// Shared state of a running sandbox.
#[derive(Debug)]
pub struct App {
    account: Account,
    base: String,
    limiter: Limiter,
    tokens: Tokens,
    stats: Stats,
    faults: FaultConfig,
    retry_after: bool,
    scope: String,
}

/// Marks a list request whose answer leaves out `navigation` (the
/// `--no-navigation-rate` fault), set by [`policy`] for the handler.
#[derive(Debug, Clone, Copy)]
pub struct OmitNavigation;

/// Marks a response whose connection must be closed without sending it.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error the connection service returns to make hyper close the socket.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// A running sandbox; dropping it stops the server and its connections.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Running {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs until the server task ends (it does not end by itself).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The snapshot could not be served.
    #[error(transparent)]
    Load(#[from] account::LoadError),
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
}

/// Loads the account, binds `127.0.0.1:port` and serves in the background.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let account = config.account()?;
    let bind = |source| StartError::Bind {
        port: config.port,
        source,
    };
    let listener = TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(bind)?;
    let addr = listener.local_addr().map_err(bind)?;
    Ok(serve(listener, addr, account, &config))
}

/// Serves `account` on an already bound listener.
pub fn serve(
    listener: TcpListener,
    addr: SocketAddr,
    account: Account,
    config: &Config,
) -> Running {
    let started = Instant::now();
    let app = Arc::new(App {
        account,
        base: format!("http://{addr}"),
        limiter: Limiter::new(config.window),
        tokens: Tokens::new(config.token_ttl, config.require_token.clone()),
        stats: Stats::new(started, Endpoint::ALL.iter().map(|e| e.key()).collect()),
        faults: config.faults,
        retry_after: config.retry_after,
        scope: config.scope.clone(),
    });
    let task = tokio::spawn(accept_loop(listener, router(app)));
    Running { addr, task }
}

/// The router: API routes behind [`policy`], then the control routes.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(Endpoint::Account.path(), get(account_info))
        .route(Endpoint::ServiceInfo.path(), get(service_info))
        .route(Endpoint::ExtensionList.path(), get(extension_list))
        .route(Endpoint::Extension.path(), get(extension_detail))
        .route(
            Endpoint::ExtensionPhoneNumbers.path(),
            get(extension_phone_numbers),
        )
        .route(
            Endpoint::AccountPhoneNumbers.path(),
            get(account_phone_numbers),
        )
        .route(Endpoint::ForwardingNumbers.path(), get(forwarding_numbers))
        .route(Endpoint::Token.path(), post(token))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&app), policy))
        .route("/__stats", get(stats))
        .route("/__reset", post(reset))
        .fallback(not_found)
        .with_state(app)
}

async fn accept_loop(listener: TcpListener, router: Router) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                // Out of file descriptors and the like: try again shortly.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let router = router.clone();
        async move {
            let resp = match router.oneshot(req).await {
                Ok(resp) => resp,
                Err(never) => match never {},
            };
            if resp.extensions().get::<DropConnection>().is_some() {
                // hyper closes the connection without writing a response.
                return Err(Dropped);
            }
            Ok(resp)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("0"))
}

/// Largest token request body read to find a `client_id` (axum's default
/// body limit, which the token handler's form extractor applies too).
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// The `client_id` form field of a token request, and the request with its
/// body restored. Only a form body is read.
async fn form_client_id(req: Request) -> (Request, Option<String>) {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return (req, None);
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(bytes) => {
            let client = auth::form_field(&bytes, "client_id");
            (Request::from_parts(parts, Body::from(bytes)), client)
        }
        // Too large or broken: the handler answers the empty form.
        Err(_) => (Request::from_parts(parts, Body::empty()), None),
    }
}

impl App {
    /// The rate-limit bucket of an API request. The real API counts per
    /// (user, app) and group (`docs/api-facts.md`, Rate limits), not per token: the sandbox has
    /// one user (the viewer) and one app, so every token that stands for the
    /// viewer (any token it accepts, and every token it issued, expired or
    /// replaced ones included) is charged to the same bucket. A request
    /// whose token stands for nobody (none, another scheme, or rejected by
    /// `--require-token`) goes to one shared anonymous bucket.
    fn api_rate_key(&self, authorization: Option<&str>) -> String {
        match authorization.and_then(auth::bearer) {
            Some(token) if self.tokens.stands_for_viewer(token) => format!(
                "user {}/{}",
                self.account.viewer.account_id, self.account.viewer.extension_id
            ),
            _ => String::from("anonymous"),
        }
    }
}

/// The rate-limit bucket of a request (and the request, its body restored
/// if it was read): the user and app behind the token for API calls
/// ([`App::api_rate_key`]); for the token endpoint the client id (the app),
/// from `Authorization: Basic`, else from the `client_id` form field.
async fn rate_key(
    app: &App,
    group: Group,
    authorization: Option<&str>,
    req: Request,
) -> (Request, String) {
    if group != Group::Auth {
        return (req, app.api_rate_key(authorization));
    }
    let (req, client) = match authorization.and_then(auth::basic_client_id) {
        Some(id) => (req, Some(id)),
        None => form_client_id(req).await,
    };
    (req, format!("client {}", client.unwrap_or_default()))
}

/// Faults, rate limits, authorization and rate headers, in that order.
async fn policy(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let now = Instant::now();
    let Some(endpoint) = req
        .extensions()
        .get::<MatchedPath>()
        .and_then(|m| Endpoint::from_path(m.as_str()))
    else {
        return next.run(req).await;
    };
    let group = endpoint.group();
    let seq = app.stats.begin(&endpoint.key(), group, now);
    let fate = app.faults.decide(seq);
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (mut req, key) = rate_key(&app, group, authorization.as_deref(), req).await;
    let omit_navigation = fate.no_navigation && endpoint.navigation_optional();
    if omit_navigation {
        req.extensions_mut().insert(OmitNavigation);
    }
    let decision = app.limiter.check(&key, group, now);
    if fate.slow {
        app.stats.fault(FaultKind::Slow);
        tokio::time::sleep(Duration::from_millis(app.faults.slow_ms)).await;
    }
    let window = seconds_text(app.limiter.window());
    let mut resp = match fate.action {
        Action::Drop => {
            app.stats.fault(FaultKind::Drop);
            let mut resp = Response::new(Body::empty());
            resp.extensions_mut().insert(DropConnection);
            return resp;
        }
        Action::Fail500 => {
            app.stats.fault(FaultKind::Fail500);
            ApiError::new(500, "CMN-500", "Internal Server Error").into_response()
        }
        Action::Fail503 => {
            app.stats.fault(FaultKind::Fail503);
            let mut resp =
                ApiError::new(503, "CMN-503", "Service Temporarily Unavailable").into_response();
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            resp
        }
        Action::None if !decision.allowed => {
            app.stats.rate_limited(group);
            let mut resp = ApiError::rate_exceeded().into_response();
            if app.retry_after {
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, header_value(&window));
            }
            resp
        }
        Action::None => {
            let checked = if group == Group::Auth {
                Ok(())
            } else {
                app.tokens
                    .authorize(authorization.as_deref(), now)
                    .and_then(|()| {
                        if app.scope.split_whitespace().any(|s| s == "ReadAccounts") {
                            Ok(())
                        } else {
                            Err(ApiError::app_permission("ReadAccounts"))
                        }
                    })
            };
            match checked {
                Ok(()) => next.run(req).await,
                Err(e) => e.into_response(),
            }
        }
    };
    if omit_navigation && resp.status() == StatusCode::OK {
        app.stats.fault(FaultKind::NoNavigation);
    }
    if fate.no_rate_headers {
        app.stats.fault(FaultKind::NoRateHeaders);
    } else {
        let h = resp.headers_mut();
        let mut set = |name: &'static str, value: HeaderValue| {
            h.insert(HeaderName::from_static(name), value);
        };
        set("x-rate-limit-group", HeaderValue::from_static(group.name()));
        set(
            "x-rate-limit-limit",
            header_value(&decision.limit.to_string()),
        );
        set(
            "x-rate-limit-remaining",
            header_value(&decision.remaining.to_string()),
        );
        set("x-rate-limit-window", header_value(&window));
    }
    app.stats.status(resp.status().as_u16());
    resp
}

type Answer = Result<Response, ApiError>;

fn ok_json(body: &impl Serialize) -> Answer {
    let text = serde_json::to_string(body)
        .map_err(|e| ApiError::new(500, "CMN-500", format!("Internal Server Error: {e}")))?;
    Ok(json_response(StatusCode::OK, text))
}

impl App {
    fn check_account(&self, id: &str) -> Result<(), ApiError> {
        if self.account.is_account(id) {
            Ok(())
        } else {
            Err(ApiError::not_found("accountId"))
        }
    }

    /// The account's URL on this server (for navigation links).
    fn account_url(&self) -> String {
        format!(
            "{}/restapi/v1.0/account/{}",
            self.base, self.account.account_id
        )
    }

    fn find_extension(&self, account_id: &str, extension_id: &str) -> Result<&Extension, ApiError> {
        self.check_account(account_id)?;
        let id = self.account.resolve_extension_id(extension_id);
        self.account
            .extension(id)
            .ok_or_else(|| ApiError::not_found("extensionId"))
    }
}

/// One page of `records` as the answer to a list request, without
/// `navigation` when `omit` (the fault) is set.
fn page_answer<T: Serialize>(
    url: &str,
    records: &[T],
    query: Option<&str>,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    let req = paging::parse_query(query)?;
    let body = paging::page(url, records, req);
    if omit.is_some() {
        ok_json(&body.without_navigation())
    } else {
        ok_json(&body)
    }
}

impl Serialize for Extension {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record.serialize(s)
    }
}

async fn account_info(State(app): State<Arc<App>>, Path(account_id): Path<String>) -> Answer {
    app.check_account(&account_id)?;
    ok_json(&app.account.account)
}

async fn service_info(State(app): State<Arc<App>>, Path(account_id): Path<String>) -> Answer {
    app.check_account(&account_id)?;
    ok_json(app.account.service_info.as_ref().map_err(Clone::clone)?)
}

async fn extension_list(
    State(app): State<Arc<App>>,
    Path(account_id): Path<String>,
    RawQuery(query): RawQuery,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    app.check_account(&account_id)?;
    let list = app.account.extensions.as_deref().map_err(Clone::clone)?;
    page_answer(
        &format!("{}/extension", app.account_url()),
        list,
        query.as_deref(),
        omit,
    )
}

async fn extension_detail(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
) -> Answer {
    app.check_account(&account_id)?;
    let a = &app.account;
    let id = a.resolve_extension_id(&extension_id);
    let own = id == a.viewer.extension_id;
    match a.extension(id) {
        Some(ext) => ok_json(&account::detail_record(&ext.record, own, a.viewer.admin)),
        None if own => ok_json(&account::synthetic_viewer_record(
            crate::generate::SERVER,
            &a.account_id,
            &a.viewer,
        )),
        None => Err(ApiError::not_found("extensionId")),
    }
}

async fn extension_phone_numbers(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Answer {
    let ext = app.find_extension(&account_id, &extension_id)?;
    let list = app.account.extension_phone_numbers_view(ext)?;
    let url = format!(
        "{}/extension/{}/phone-number",
        app.account_url(),
        ext.id.as_deref().unwrap_or_default()
    );
    // `navigation` is required on this list: never omitted.
    page_answer(&url, &list, query.as_deref(), None)
}

async fn account_phone_numbers(
    State(app): State<Arc<App>>,
    Path(account_id): Path<String>,
    RawQuery(query): RawQuery,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    app.check_account(&account_id)?;
    let list = app.account.account_phone_numbers_view()?;
    page_answer(
        &format!("{}/phone-number", app.account_url()),
        list,
        query.as_deref(),
        omit,
    )
}

async fn forwarding_numbers(
    State(app): State<Arc<App>>,
    Path((account_id, extension_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    omit: Option<RequestExtension<OmitNavigation>>,
) -> Answer {
    let ext = app.find_extension(&account_id, &extension_id)?;
    let list = app.account.forwarding_numbers_view(ext)?;
    let url = format!(
        "{}/extension/{}/forwarding-number",
        app.account_url(),
        ext.id.as_deref().unwrap_or_default()
    );
    page_answer(&url, list, query.as_deref(), omit)
}

/// `TokenInfo` (`docs/api-facts.md`, Authentication).
#[derive(Serialize)]
struct TokenInfo<'a> {
    access_token: &'a str,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: &'a str,
    refresh_token_expires_in: u64,
    scope: &'a str,
    owner_id: &'a str,
    endpoint_id: &'static str,
    session_id: &'a str,
}

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

async fn token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Answer {
    let now = Instant::now();
    let client = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(auth::basic_client_id);
    if client.is_none() {
        return Err(
            ApiError::new(401, "OAU-123", "Client authentication is required")
                .with_oauth("invalid_client"),
        );
    }
    let Form(fields) = form.map_err(|e| match e {
        FormRejection::InvalidFormContentType(_) => {
            ApiError::new(415, "CMN-415", "Unsupported Media Type")
        }
        _ => ApiError::new(400, "OAU-101", "Invalid request").with_oauth("invalid_request"),
    })?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let invalid_grant =
        |message: &str| ApiError::new(400, "OAU-140", message).with_oauth("invalid_grant");
    let issued = match field("grant_type") {
        Some(JWT_BEARER) => {
            if !field("assertion").is_some_and(auth::looks_like_jwt) {
                return Err(invalid_grant("Invalid assertion: not a valid JWT"));
            }
            app.tokens.issue(now)
        }
        Some("refresh_token") => field("refresh_token")
            .and_then(|t| app.tokens.refresh(t, now))
            .ok_or_else(|| invalid_grant("Token is invalid, expired or already used"))?,
        _ => {
            return Err(ApiError::new(400, "OAU-250", "Unsupported grant type")
                .with_oauth("unsupported_grant_type"));
        }
    };
    ok_json(&TokenInfo {
        access_token: &issued.access_token,
        token_type: "bearer",
        expires_in: app.tokens.ttl().as_secs(),
        refresh_token: &issued.refresh_token,
        refresh_token_expires_in: auth::REFRESH_TTL.as_secs(),
        scope: &app.scope,
        owner_id: &app.account.viewer.extension_id,
        endpoint_id: "sandbox",
        session_id: &issued.session_id,
    })
}

async fn stats(State(app): State<Arc<App>>) -> Answer {
    ok_json(&app.stats.snapshot())
}

async fn reset(State(app): State<Arc<App>>) -> StatusCode {
    app.stats.reset();
    app.limiter.reset();
    StatusCode::NO_CONTENT
}

async fn not_found() -> ApiError {
    ApiError::new(404, "CMN-404", "Resource not found")
}

/// The JSON of an account's expected snapshot (for `--dump-snapshot`).
pub fn expected_snapshot_text(account: &Account) -> String {
    let doc: Json = account.expected_snapshot();
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// What of a snapshot a faithful fetch of this server reproduces: the
/// document without its capture metadata (`capturedAt`, `source`, which
/// differ from run to run), with its `errors` entries in a fixed order (they
/// are recorded as requests finish) and an empty `errors` taken as none.
pub fn comparable_snapshot(mut doc: serde_json::Value) -> serde_json::Value {
    if let Some(object) = doc.as_object_mut() {
        object.remove("capturedAt");
        object.remove("source");
        match object.get_mut("errors") {
            Some(serde_json::Value::Array(entries)) if entries.is_empty() => {
                object.remove("errors");
            }
            Some(serde_json::Value::Array(entries)) => {
                entries.sort_by_cached_key(ToString::to_string);
            }
            _ => {}
        }
    }
    doc
}
