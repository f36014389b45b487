//! Requests to the RingCentral REST API: authentication, the rate-limit
//! gates, retries, paging.

use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::limits::{GateError, Group, Limits, Observed, Permit, whole_seconds};
use crate::progress::Progress;
use crate::secret::Secret;
use crate::server::Server;

/// How the fetch authenticates. Secrets come from the environment or a
/// file (the CLI reads them), never from the command line.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An access token obtained elsewhere (`RINGCENTRAL_TOKEN`).
    Token(Secret),
    /// The JWT grant: the app's client id and secret, and the user's JWT
    /// credential. Tokens are obtained, and renewed when they expire.
    Jwt {
        client_id: String,
        client_secret: Secret,
        jwt: Secret,
    },
}

/// An endpoint the fetch reads, with its usage-plan group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Account,
    ServiceInfo,
    Extensions,
    Extension(String),
    ExtensionPhoneNumbers(String),
    AccountPhoneNumbers,
    ForwardingNumbers(String),
}

/// The path every request of a fetch stays under (but the token's).
pub const ACCOUNT: &str = "/restapi/v1.0/account/~";

/// Whether `id` may go into a URL path as an id: `RingCentral` ids are
/// digits; letters, `-` and `_` are let through, at most 64 of them (or
/// `~`, the viewer's own). Nothing that could be read as a separator, a
/// dot segment or an escape (`/`, `.`, `%`, `\\`) passes.
pub fn valid_id(id: &str) -> bool {
    id == "~"
        || (!id.is_empty()
            && id.len() <= 64
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

/// `id` as one path segment for messages: every byte but letters, digits,
/// `-`, `_` and `~` percent-encoded (dots too), so a hostile id shows as
/// what it is and never as a path.
fn segment(id: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Endpoint {
    /// The extension id in the path, if any.
    pub fn id(&self) -> Option<&str> {
        match self {
            Endpoint::Extension(id)
            | Endpoint::ExtensionPhoneNumbers(id)
            | Endpoint::ForwardingNumbers(id) => Some(id),
            Endpoint::Account
            | Endpoint::ServiceInfo
            | Endpoint::Extensions
            | Endpoint::AccountPhoneNumbers => None,
        }
    }

    /// The path, ids percent-encoded as one segment each. Requests are
    /// only sent for [`valid_id`]s, which need no encoding.
    pub fn path(&self) -> String {
        let id = self.id().map(segment).unwrap_or_default();
        match self {
            Endpoint::Account => ACCOUNT.to_owned(),
            Endpoint::ServiceInfo => format!("{ACCOUNT}/service-info"),
            Endpoint::Extensions => format!("{ACCOUNT}/extension"),
            Endpoint::Extension(_) => format!("{ACCOUNT}/extension/{id}"),
            Endpoint::ExtensionPhoneNumbers(_) => format!("{ACCOUNT}/extension/{id}/phone-number"),
            Endpoint::AccountPhoneNumbers => format!("{ACCOUNT}/phone-number"),
            Endpoint::ForwardingNumbers(_) => {
                format!("{ACCOUNT}/extension/{id}/forwarding-number")
            }
        }
    }

    /// The `x-throttling-group` of the endpoint in the specification.
    pub fn group(&self) -> Group {
        match self {
            Endpoint::Extensions => Group::Medium,
            Endpoint::AccountPhoneNumbers => Group::Heavy,
            _ => Group::Light,
        }
    }

    /// The request as the snapshot's `errors` names it.
    pub fn request(&self) -> String {
        format!("GET {}", self.path())
    }
}

/// Why a request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error that asking again will not fix.
    Api {
        status: u16,
        code: Option<String>,
        message: String,
    },
    /// No usable answer after retrying: network errors, timeouts, 5xx,
    /// or a response that is not what the specification describes.
    Transient {
        status: Option<u16>,
        message: String,
    },
    /// The credentials were rejected: nothing else can succeed either.
    Unauthorized(String),
    /// The fetch would not send the request or take the answer: a wait
    /// longer than allowed, an answer too large, a list whose paging does
    /// not end, an id that is not one. Not retried.
    Refused {
        status: Option<u16>,
        message: String,
    },
}

impl Failure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Api { status, .. } => Some(*status),
            Failure::Transient { status, .. } | Failure::Refused { status, .. } => *status,
            Failure::Unauthorized(_) => Some(401),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            Failure::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The failure, saying how many attempts it took (for transient ones).
    fn after(self, attempts: u32) -> Failure {
        match self {
            Failure::Transient { status, message } if attempts > 1 => Failure::Transient {
                status,
                message: format!("{message} (after {attempts} attempts)"),
            },
            other => other,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Api { message, .. }
            | Failure::Transient { message, .. }
            | Failure::Refused { message, .. }
            | Failure::Unauthorized(message) => message,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.status(), self.code()) {
            (Some(status), Some(code)) => write!(f, "{status} {code}: {}", self.message()),
            (Some(status), None) => write!(f, "{status}: {}", self.message()),
            _ => f.write_str(self.message()),
        }
    }
}

/// Tuning that tests change.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// Attempts of a request that fails transiently (network, 5xx).
    pub attempts: u32,
    /// First backoff; doubled per attempt, at most 8 s, with jitter.
    pub backoff: Duration,
    /// 429s tolerated for one request before giving up on it.
    pub max_rejections: u32,
    /// Time limit of one request.
    pub timeout: Duration,
    /// `perPage` asked for (the server's answer is what counts).
    pub per_page: u32,
    /// The longest the fetch waits before one request because the server
    /// said so (`Retry-After`, the rate-limit headers). A longer wait is
    /// not waited: the request fails at once and is recorded in `errors`.
    pub max_wait: Duration,
    /// The most bytes one response body may have; a larger one is not
    /// read further and the piece is recorded in `errors`.
    pub max_body: u64,
    /// The most pages of one list; a list with more is recorded in
    /// `errors` (never cut short silently).
    pub max_pages: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            attempts: 5,
            backoff: Duration::from_millis(500),
            max_rejections: 10,
            timeout: Duration::from_secs(60),
            per_page: 1000,
            max_wait: DEFAULT_MAX_WAIT,
            max_body: DEFAULT_MAX_BODY,
            max_pages: MAX_PAGES,
        }
    }
}

/// The default longest wait: a few of the API's 60 s windows.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(300);

/// The default largest response body: 64 MiB, a thousand records of
/// 64 KiB (the API's are a few KiB).
pub const DEFAULT_MAX_BODY: u64 = 64 * 1024 * 1024;

/// When `Retry-After` is absent from a 429 (`docs/api-facts.md`, Rate limits).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct TokenState {
    access: Option<Secret>,
    refresh: Option<Secret>,
    expires_at: Option<Instant>,
    lifetime: Duration,
    scope: Option<String>,
    /// Bumped on every new token, so a 401 renews a token only once.
    generation: u64,
}

/// The API client of one fetch.
#[derive(Debug)]
pub struct Api {
    client: reqwest::Client,
    server: Server,
    credentials: Credentials,
    token: Mutex<TokenState>,
    pub limits: Limits,
    pub tuning: Tuning,
    progress: std::sync::Arc<dyn Progress>,
    retries: std::sync::atomic::AtomicU64,
    /// Slots for bodies beyond [`SMALL_BODY`]: however many requests are
    /// in flight, only this many hold large bodies at once.
    large_bodies: tokio::sync::Semaphore,
}

/// A body up to this size is read without a slot for large bodies.
const SMALL_BODY: u64 = 1024 * 1024;

/// Bodies larger than [`SMALL_BODY`] read at once: with 256 requests in
/// flight, at most 256 MiB of small bodies and 4 large ones in memory.
const LARGE_BODIES: usize = 4;

/// A list may hold this many times `max_body` in all (1 GiB by default).
const LIST_BODIES: u64 = 16;

/// A header's text (visible ASCII; anything else is as good as absent).
fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// A number of seconds in a header, fractions allowed. Not a finite,
/// non-negative number (`-1`, `NaN`, `inf`, words): `None`, as if absent.
/// A number too large for a `Duration` (`1e20`) is `Duration::MAX`: a
/// wait without end, never an overflow.
fn header_seconds(headers: &HeaderMap, name: &str) -> Option<Duration> {
    let seconds = header_text(headers, name)?
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)?;
    Some(Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX))
}

/// A header as it may be quoted in a message: at most 40 visible ASCII
/// characters, anything else escaped.
fn quoted(headers: &HeaderMap, name: &str) -> String {
    let Some(value) = headers.get(name) else {
        return "absent".to_owned();
    };
    let text: String = value
        .as_bytes()
        .iter()
        .take(40)
        .map(|&b| std::ascii::escape_default(b).to_string())
        .collect();
    if value.len() > 40 {
        format!("{text}...")
    } else {
        text
    }
}

/// `X-Rate-Limit-*` and `Retry-After`, read case-insensitively; seconds may
/// be fractional. A limit or remaining count that is not a whole number
/// within `u32` is ignored, as are seconds that are not a finite,
/// non-negative number; a 429 without a usable `Retry-After` waits 30 s.
fn observe(headers: &HeaderMap, status: StatusCode) -> Observed {
    let number = |name: &str| header_text(headers, name).and_then(|t| t.parse::<u32>().ok());
    Observed {
        limit: number("x-rate-limit-limit"),
        remaining: number("x-rate-limit-remaining"),
        window: header_seconds(headers, "x-rate-limit-window"),
        rejected_for: (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| header_seconds(headers, "retry-after").unwrap_or(DEFAULT_RETRY_AFTER)),
    }
}

/// The message of a wait the server asked for that is longer than allowed.
fn too_long(wait: Duration, said: &str, max_wait: Duration) -> String {
    let wait = if wait == Duration::MAX {
        "without end".to_owned()
    } else {
        humantime::format_duration(whole_seconds(wait)).to_string()
    };
    format!(
        "the server asked to wait {wait} before asking again ({said}), longer than the longest wait allowed ({}, --max-wait): not waited, the request failed",
        humantime::format_duration(whole_seconds(max_wait))
    )
}

/// At most this much of an error message from the server is kept.
const MAX_MESSAGE: usize = 1000;

/// A message from the server, cut to [`MAX_MESSAGE`] bytes (at a
/// character boundary).
fn bounded(mut message: String) -> String {
    if message.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
        message.push_str("...");
    }
    message
}

/// The error code and message of an error body, in any of the shapes the
/// API uses (`errors[]`, legacy top-level fields, OAuth's `error`).
pub fn error_details(body: &[u8]) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    struct ApiError {
        #[serde(rename = "errorCode")]
        code: Option<String>,
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<ApiError>,
        #[serde(rename = "errorCode")]
        code: Option<String>,
        message: Option<String>,
        error: Option<String>,
        error_description: Option<String>,
    }
    let Ok(body) = serde_json::from_slice::<Body>(body) else {
        return (None, None);
    };
    let first = body.errors.into_iter().next();
    let code = first
        .as_ref()
        .and_then(|e| e.code.clone())
        .or(body.code)
        .or(body.error);
    let message = first
        .and_then(|e| e.message)
        .or(body.message)
        .or(body.error_description);
    (code.map(bounded), message.map(bounded))
}

fn status_text(status: StatusCode) -> String {
    status
        .canonical_reason()
        .map_or_else(|| status.as_u16().to_string(), str::to_owned)
}

/// Describes a reqwest error without the URL's query or anything secret.
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_body() || error.is_decode() {
        "the response was cut off"
    } else {
        "the connection failed"
    };
    let mut source = std::error::Error::source(error);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() {
        kind.to_owned()
    } else {
        format!("{kind} ({detail})")
    }
}

/// One page of a list.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    records: Option<Vec<Box<RawValue>>>,
    paging: Option<Paging>,
    navigation: Option<Navigation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    per_page: Option<i64>,
    total_pages: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Navigation {
    next_page: Option<serde::de::IgnoredAny>,
}

/// The most pages of one list (the paging model's `page` maximum).
const MAX_PAGES: u32 = 1000;

impl Api {
    pub fn new(
        server: Server,
        credentials: Credentials,
        tuning: Tuning,
        progress: std::sync::Arc<dyn Progress>,
    ) -> Result<Api, String> {
        // Both rustls and reqwest want a process-wide provider; installing
        // it twice is harmless (the second attempt is refused).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .user_agent(concat!("rcaudit/", env!("CARGO_PKG_VERSION")))
            .timeout(tuning.timeout)
            .connect_timeout(Duration::from_secs(15))
            .https_only(!server.is_loopback())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {}", describe(&e)))?;
        Ok(Api {
            client,
            server,
            credentials,
            token: Mutex::new(TokenState::default()),
            limits: Limits::new(None, tuning.max_wait, tuning.max_rejections),
            tuning,
            progress,
            retries: std::sync::atomic::AtomicU64::new(0),
            large_bodies: tokio::sync::Semaphore::new(LARGE_BODIES),
        })
    }

    pub fn retries(&self) -> u64 {
        self.retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The scope of the token, when the token endpoint said it.
    pub async fn scope(&self) -> Option<String> {
        self.token.lock().await.scope.clone()
    }

    fn url(&self, path: &str) -> Result<Url, Failure> {
        self.server.url(path).map_err(|message| Failure::Transient {
            status: None,
            message,
        })
    }

    async fn backoff(&self, attempt: u32, hint: Option<Duration>) {
        self.retries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let exp = self
            .tuning
            .backoff
            .saturating_mul(1 << attempt.min(5))
            .min(Duration::from_secs(8));
        // Jitter from the clock: retries of many requests spread out.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let jitter = exp.mul_f64(f64::from(nanos % 1000) / 2000.0);
        tokio::time::sleep(hint.unwrap_or(exp / 2 + jitter)).await;
    }

    /// A bearer token and its generation.
    async fn bearer(&self) -> Result<(Secret, u64), Failure> {
        let (client_id, client_secret, jwt) = match &self.credentials {
            Credentials::Token(token) => return Ok((token.clone(), 0)),
            Credentials::Jwt {
                client_id,
                client_secret,
                jwt,
            } => (client_id, client_secret, jwt),
        };
        let mut state = self.token.lock().await;
        let now = Instant::now();
        if let Some(access) = &state.access {
            // Renew ahead of expiry: 60 s, or a tenth of a short lifetime.
            // A token without a usable lifetime is renewed when refused.
            let margin = (state.lifetime / 10).min(Duration::from_secs(60));
            if state
                .expires_at
                .is_none_or(|at| at.saturating_duration_since(now) > margin)
            {
                return Ok((access.clone(), state.generation));
            }
        }
        let refreshed = match state.refresh.take() {
            Some(refresh) => {
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh.expose()),
                ];
                self.token_request(client_id, client_secret, &form)
                    .await
                    .ok()
            }
            None => None,
        };
        let info = match refreshed {
            Some(info) => info,
            None => {
                let form = [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", jwt.expose()),
                ];
                self.token_request(client_id, client_secret, &form).await?
            }
        };
        // `expires_in` is required (3600 assumed without it); 0, as a
        // server rounding a sub-second lifetime down may say, is no usable
        // lifetime: renewing before every request would double them.
        let lifetime = Duration::from_secs(info.expires_in.unwrap_or(3600));
        state.access = Some(Secret::new(info.access_token));
        state.refresh = info.refresh_token.map(Secret::new);
        // A lifetime too long to add to now is as good as none.
        state.expires_at = (!lifetime.is_zero())
            .then(|| now.checked_add(lifetime))
            .flatten();
        state.lifetime = lifetime;
        state.scope = info.scope.or(state.scope.take());
        state.generation += 1;
        let access = state.access.clone().unwrap_or_else(|| Secret::new(""));
        Ok((access, state.generation))
    }

    /// Forgets the token of `generation` after the server rejected it;
    /// false when there is no way to get another (a fixed token).
    async fn invalidate(&self, generation: u64) -> bool {
        if matches!(self.credentials, Credentials::Token(_)) {
            return false;
        }
        let mut state = self.token.lock().await;
        if state.generation == generation {
            state.access = None;
        }
        true
    }

    /// `POST /restapi/oauth/token`, in the Auth group.
    async fn token_request(
        &self,
        client_id: &str,
        client_secret: &Secret,
        form: &[(&str, &str)],
    ) -> Result<TokenInfo, Failure> {
        use base64::Engine as _;
        let url = self.url("/restapi/oauth/token")?;
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{client_id}:{}", client_secret.expose()));
        let mut attempt = 0;
        let mut rejections = 0;
        loop {
            let permit = self.permit(Group::Auth).await?;
            let sent = self
                .client
                .post(url.clone())
                .header(header::AUTHORIZATION, format!("Basic {basic}"))
                .header(header::ACCEPT, "application/json")
                .form(form)
                .send()
                .await;
            match self.answer(permit, sent).await {
                Answer::Ok(body) => {
                    return serde_json::from_slice::<TokenInfo>(&body).map_err(|e| {
                        Failure::Transient {
                            status: Some(200),
                            message: format!("the token endpoint's answer is not a TokenInfo: {e}"),
                        }
                    });
                }
                Answer::Rejected if rejections < self.tuning.max_rejections => rejections += 1,
                Answer::Retry(hint, _) if attempt + 1 < self.tuning.attempts => {
                    attempt += 1;
                    self.backoff(attempt, hint).await;
                }
                Answer::Error { status, body } => {
                    let (code, message) = error_details(&body);
                    let code = code.map_or_else(String::new, |c| format!(" {c}"));
                    return Err(Failure::Unauthorized(format!(
                        "the token endpoint refused the credentials: {}{code} ({})",
                        status.as_u16(),
                        message.unwrap_or_else(|| status_text(status))
                    )));
                }
                Answer::Rejected | Answer::Retry(..) => {
                    return Err(Failure::Unauthorized(
                        "could not obtain a token: the token endpoint kept failing".to_owned(),
                    ));
                }
                Answer::Fail(failure) => {
                    return Err(Failure::Unauthorized(format!(
                        "could not obtain a token: {failure}"
                    )));
                }
            }
        }
    }

    async fn permit(&self, group: Group) -> Result<Permit, Failure> {
        self.limits
            .acquire(group)
            .await
            .map_err(|error| match error {
                GateError::TooLong { .. } => Failure::Refused {
                    status: None,
                    message: error.to_string(),
                },
                GateError::Refusing { .. } => Failure::Refused {
                    status: Some(429),
                    message: error.to_string(),
                },
                GateError::Stopped(_) => Failure::Transient {
                    status: None,
                    message: error.to_string(),
                },
            })
    }

    /// The body of a response, read chunk by chunk up to `max_body` bytes:
    /// a larger one (by its `Content-Length`, or as it arrives) is not read
    /// further.
    async fn body(&self, response: &mut reqwest::Response) -> Result<Vec<u8>, BodyError> {
        let cap = self.tuning.max_body;
        if response.content_length().is_some_and(|n| n > cap) {
            return Err(BodyError::TooLarge);
        }
        let expected = response.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(usize::try_from(expected.min(SMALL_BODY)).unwrap_or(0));
        // Held while a large body is read (never closed, so never `Err`).
        let mut large = None;
        if expected > SMALL_BODY {
            large = self.large_bodies.acquire().await.ok();
        }
        while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
            let size = (body.len() as u64).saturating_add(chunk.len() as u64);
            if size > cap {
                return Err(BodyError::TooLarge);
            }
            if size > SMALL_BODY && large.is_none() {
                large = self.large_bodies.acquire().await.ok();
            }
            body.extend_from_slice(&chunk);
        }
        drop(large);
        Ok(body)
    }

    /// Reads a response, tells the gate what it said, and classifies it.
    async fn answer(
        &self,
        permit: Permit,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Answer {
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                permit.finish(Observed::default());
                return Answer::Retry(
                    None,
                    Failure::Transient {
                        status: None,
                        message: describe(&error),
                    },
                );
            }
        };
        let mut response = response;
        let status = response.status();
        let observed = observe(response.headers(), status);
        let retry_after = header_seconds(response.headers(), "retry-after");
        let said = format!(
            "{} with Retry-After: {}",
            status.as_u16(),
            quoted(response.headers(), "retry-after")
        );
        if status == StatusCode::TOO_MANY_REQUESTS {
            // The gate pauses the group as told; a pause longer than
            // allowed fails this request now (and the group's next ones
            // at the gate) instead of waiting.
            permit.finish(observed);
            self.progress.rejected();
            return match observed.rejected_for {
                Some(wait) if wait > self.tuning.max_wait => Answer::Fail(Failure::Refused {
                    status: Some(429),
                    message: too_long(wait, &said, self.tuning.max_wait),
                }),
                _ => Answer::Rejected,
            };
        }
        let body = self.body(&mut response).await;
        permit.finish(observed);
        let body = match body {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Answer::Fail(Failure::Refused {
                    status: Some(status.as_u16()),
                    message: format!(
                        "the answer is larger than {} bytes, the most one answer may have (--max-response-mib): not read further",
                        self.tuning.max_body
                    ),
                });
            }
            Err(BodyError::Read(error)) => {
                return Answer::Retry(
                    None,
                    Failure::Transient {
                        status: Some(status.as_u16()),
                        message: describe(&error),
                    },
                );
            }
        };
        if status.is_success() {
            Answer::Ok(body)
        } else if matches!(status.as_u16(), 500 | 502 | 503 | 504) {
            let (_, message) = error_details(&body);
            let failure = Failure::Transient {
                status: Some(status.as_u16()),
                message: message.unwrap_or_else(|| status_text(status)),
            };
            match retry_after {
                Some(wait) if wait > self.tuning.max_wait => Answer::Fail(Failure::Refused {
                    status: Some(status.as_u16()),
                    message: format!("{failure}; {}", too_long(wait, &said, self.tuning.max_wait)),
                }),
                hint => Answer::Retry(hint, failure),
            }
        } else {
            Answer::Error { status, body }
        }
    }

    /// The URL of an endpoint, refused unless its id is a [`valid_id`] and
    /// the URL stays under the account's path on the server (no id, dot
    /// segment or escape can take a request, and the token with it,
    /// anywhere else).
    fn endpoint_url(&self, endpoint: &Endpoint) -> Result<Url, Failure> {
        let refused = |message: String| Failure::Refused {
            status: None,
            message,
        };
        if let Some(id) = endpoint.id()
            && !valid_id(id)
        {
            return Err(refused(format!(
                "the id {} is not a RingCentral id (letters, digits, - and _): not requested",
                serde_json::to_string(id).unwrap_or_default()
            )));
        }
        let url = self.url(&endpoint.path())?;
        let account = self.url(ACCOUNT)?;
        let inside = url.path().strip_prefix(account.path()).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix('/').is_some_and(|rest| {
                    rest.split('/')
                        .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['%', '\\']))
                })
        });
        if !inside || url.origin() != account.origin() {
            return Err(refused(format!(
                "{} would leave the account's path on the server: not requested",
                endpoint.request()
            )));
        }
        Ok(url)
    }

    /// `GET` an endpoint: waits at its group's gate, retries what is
    /// transient, renews an expired token once.
    pub async fn get(
        &self,
        endpoint: &Endpoint,
        query: &[(&str, String)],
    ) -> Result<Vec<u8>, Failure> {
        let mut url = self.endpoint_url(endpoint)?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let mut attempt = 0;
        let mut rejections = 0;
        let mut renewals = 0;
        loop {
            // The token is taken after the wait at the gate, so it is the
            // newest when the request goes.
            let permit = self.permit(endpoint.group()).await?;
            let (token, generation) = self.bearer().await?;
            let sent = self
                .client
                .get(url.clone())
                .bearer_auth(token.expose())
                .header(header::ACCEPT, "application/json")
                .send()
                .await;
            match self.answer(permit, sent).await {
                Answer::Ok(body) => return Ok(body),
                Answer::Rejected if rejections < self.tuning.max_rejections => rejections += 1,
                Answer::Rejected => {
                    return Err(Failure::Transient {
                        status: Some(429),
                        message: format!("rate limited {rejections} times in a row"),
                    });
                }
                Answer::Retry(hint, _) if attempt + 1 < self.tuning.attempts => {
                    attempt += 1;
                    self.backoff(attempt, hint).await;
                }
                Answer::Retry(_, failure) => return Err(failure.after(attempt + 1)),
                Answer::Fail(failure) => return Err(failure),
                Answer::Error { status, body } => {
                    let (code, message) = error_details(&body);
                    let message = message.unwrap_or_else(|| status_text(status));
                    if status == StatusCode::UNAUTHORIZED {
                        // An expired or replaced token: renew it (a few
                        // times at most, as other requests renew too).
                        if renewals < 3 && self.invalidate(generation).await {
                            renewals += 1;
                            continue;
                        }
                        let code = code.map_or_else(String::new, |c| format!(" {c}"));
                        return Err(Failure::Unauthorized(format!(
                            "the server rejected the access token: 401{code} ({message})"
                        )));
                    }
                    return Err(Failure::Api {
                        status: status.as_u16(),
                        code,
                        message,
                    });
                }
            }
        }
    }

    /// `GET` one record.
    pub async fn record(&self, endpoint: &Endpoint) -> Result<Box<RawValue>, Failure> {
        let body = self.get(endpoint, &[]).await?;
        crate::parts::readable(&body).map_err(|e| invalid(endpoint, &e))?;
        serde_json::from_slice::<Box<RawValue>>(&body).map_err(|e| invalid(endpoint, &e))
    }

    /// `GET` every page of a list, concatenating the records in API order.
    ///
    /// Paging ends at the first of: an empty page, a page shorter than the
    /// `perPage` the server answered with (or asked for, if less),
    /// `paging.totalPages` reached, or, when the server does not say
    /// `totalPages` (or says fewer pages than it sent), a `navigation`
    /// without `nextPage`. A response without `navigation` (optional on
    /// most lists) says nothing about a next page, so a full page is
    /// followed by the next. Mock servers announce a next page forever,
    /// with short pages; this still ends.
    ///
    /// A list whose paging does not end is an error, never a list cut
    /// short: a page identical to the previous one (the server's paging
    /// loops), or more than `max_pages` pages (1000, the paging model's
    /// maximum, by default).
    pub async fn list(&self, endpoint: &Endpoint) -> Result<Vec<Box<RawValue>>, Failure> {
        let mut records = Vec::new();
        let mut previous: Option<Vec<Box<RawValue>>> = None;
        let max_pages = self.tuning.max_pages.max(1);
        let max_bytes = self.tuning.max_body.saturating_mul(LIST_BODIES);
        let mut bytes: u64 = 0;
        for page in 1..=max_pages {
            let query = [
                ("page", page.to_string()),
                ("perPage", self.tuning.per_page.to_string()),
            ];
            let body = self.get(endpoint, &query).await?;
            bytes = bytes.saturating_add(body.len() as u64);
            if bytes > max_bytes {
                return Err(Failure::Refused {
                    status: Some(200),
                    message: format!(
                        "the list's pages hold more than {max_bytes} bytes in all ({LIST_BODIES} times the most one answer may have, --max-response-mib): it is left out rather than cut short"
                    ),
                });
            }
            crate::parts::readable(&body).map_err(|e| invalid(endpoint, &e))?;
            let parsed: Page = serde_json::from_slice(&body).map_err(|e| invalid(endpoint, &e))?;
            let batch = parsed.records.unwrap_or_default();
            let same = previous.as_ref().is_some_and(|p| {
                p.len() == batch.len() && p.iter().zip(&batch).all(|(a, b)| a.get() == b.get())
            });
            if same {
                return Err(Failure::Refused {
                    status: Some(200),
                    message: format!(
                        "page {page} repeats page {} though that page was full and not the last: the server's paging loops, so the list is left out rather than cut short",
                        page - 1
                    ),
                });
            }
            let asked = i64::from(self.tuning.per_page);
            let per_page = parsed
                .paging
                .as_ref()
                .and_then(|p| p.per_page)
                .filter(|&n| n > 0)
                .map_or(asked, |n| n.min(asked));
            // A total below the page just received is not believed.
            let last_page = parsed
                .paging
                .as_ref()
                .and_then(|p| p.total_pages)
                .filter(|&total| total >= i64::from(page));
            let no_next = parsed
                .navigation
                .as_ref()
                .is_some_and(|n| n.next_page.is_none());
            let short = i64::try_from(batch.len()).unwrap_or(i64::MAX) < per_page;
            let empty = batch.is_empty();
            records.extend(batch.iter().cloned());
            previous = Some(batch);
            let last = match last_page {
                Some(total) => i64::from(page) >= total,
                None => no_next,
            };
            if empty || short || last {
                return Ok(records);
            }
        }
        Err(Failure::Refused {
            status: Some(200),
            message: format!(
                "the list has more than {max_pages} pages, the most one list may have (the server keeps announcing more): it is left out rather than cut short"
            ),
        })
    }
}

fn invalid(endpoint: &Endpoint, error: &serde_json::Error) -> Failure {
    Failure::Transient {
        status: Some(200),
        message: format!(
            "the answer to {} is not what the specification describes: {error}",
            endpoint.request()
        ),
    }
}

/// Why a body was not read.
enum BodyError {
    /// Larger than allowed.
    TooLarge,
    Read(reqwest::Error),
}

enum Answer {
    Ok(Vec<u8>),
    /// A failure retrying will not fix (a wait too long, a body too large).
    Fail(Failure),
    /// A 429: the gate already waits `Retry-After` before the next request.
    Rejected,
    /// Worth another attempt, after the hinted time or a backoff.
    Retry(Option<Duration>, Failure),
    Error {
        status: StatusCode,
        body: Vec<u8>,
    },
}

/// The fields of `TokenInfo` the fetch uses.
#[derive(Deserialize)]
struct TokenInfo {
    access_token: String,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_in_every_shape() {
        type Expected<'a> = (Option<&'a str>, Option<&'a str>);
        let cases: [(&str, Expected); 4] = [
            (
                r#"{"errors":[{"errorCode":"CMN-419","message":"needs permission"}]}"#,
                (Some("CMN-419"), Some("needs permission")),
            ),
            (
                r#"{"errorCode":"InvalidParameter","message":"bad","errors":[{"errorCode":"CMN-101","message":"Parameter [uri] value is invalid."}]}"#,
                (Some("CMN-101"), Some("Parameter [uri] value is invalid.")),
            ),
            (
                r#"{"error":"invalid_grant","error_description":"Token is expired","errors":[{"errorCode":"OAU-140","message":"Token is expired"}]}"#,
                (Some("OAU-140"), Some("Token is expired")),
            ),
            ("<html>Bad Gateway</html>", (None, None)),
        ];
        for (body, (code, message)) in cases {
            let (c, m) = error_details(body.as_bytes());
            assert_eq!((c.as_deref(), m.as_deref()), (code, message), "{body}");
        }
    }

    #[test]
    fn rate_headers_are_read_case_insensitively_with_fractions() {
        let mut headers = HeaderMap::new();
        headers.insert("X-Rate-Limit-Limit", "40".parse().expect("value"));
        headers.insert("x-rate-limit-remaining", "0".parse().expect("value"));
        headers.insert("X-RATE-LIMIT-WINDOW", "0.25".parse().expect("value"));
        headers.insert("Retry-After", "1.5".parse().expect("value"));
        let seen = observe(&headers, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(seen.limit, Some(40));
        assert_eq!(seen.remaining, Some(0));
        assert_eq!(seen.window, Some(Duration::from_millis(250)));
        assert_eq!(seen.rejected_for, Some(Duration::from_millis(1500)));
        let seen = observe(&HeaderMap::new(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(seen.rejected_for, Some(Duration::from_secs(30)));
        assert_eq!(observe(&headers, StatusCode::OK).rejected_for, None);
    }

    #[test]
    fn absurd_rate_headers_never_panic_and_never_overflow() {
        let with = |name: &str, value: &[u8]| {
            let mut headers = HeaderMap::new();
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).expect("name"),
                reqwest::header::HeaderValue::from_bytes(value).expect("value"),
            );
            headers
        };
        let default = Some(DEFAULT_RETRY_AFTER);
        let cases: [(&[u8], Option<Duration>); 13] = [
            (b"1e20", Some(Duration::MAX)),
            (
                b"1e19",
                Some(Duration::from_secs(10_000_000_000_000_000_000)),
            ),
            (b"1e308", Some(Duration::MAX)),
            (b"99999999999999999999999999", Some(Duration::MAX)),
            (b"999999", Some(Duration::from_secs(999_999))),
            (b"-1", None),
            (b"-0.5", None),
            (b"NaN", None),
            (b"inf", None),
            (b"-inf", None),
            (b"soon", None),
            (b"5\xff", None),
            (b"\xe2\x80\x8b5", None),
        ];
        for (value, seconds) in cases {
            let shown = String::from_utf8_lossy(value);
            for status in [StatusCode::TOO_MANY_REQUESTS, StatusCode::OK] {
                let seen = observe(&with("retry-after", value), status);
                let expected = (status == StatusCode::TOO_MANY_REQUESTS)
                    .then(|| seconds.or(default))
                    .flatten();
                assert_eq!(seen.rejected_for, expected, "Retry-After: {shown}");
                let seen = observe(&with("x-rate-limit-window", value), status);
                assert_eq!(seen.window, seconds, "X-Rate-Limit-Window: {shown}");
            }
            assert_eq!(
                header_seconds(&with("retry-after", value), "retry-after"),
                seconds
            );
        }
        for (value, number) in [
            (&b"0"[..], Some(0)),
            (b"4294967295", Some(u32::MAX)),
            (b"4294967296", None),
            (b"1e9", None),
            (b"-5", None),
            (b"12\xff", None),
        ] {
            let seen = observe(&with("x-rate-limit-limit", value), StatusCode::OK);
            assert_eq!(seen.limit, number);
            let seen = observe(&with("x-rate-limit-remaining", value), StatusCode::OK);
            assert_eq!(seen.remaining, number);
        }
        let message = too_long(
            Duration::MAX,
            "429 with Retry-After: 1e20",
            DEFAULT_MAX_WAIT,
        );
        assert!(
            message.contains("without end") && message.contains("--max-wait"),
            "{message}"
        );
        assert_eq!(
            quoted(&with("retry-after", b"\xff5"), "retry-after"),
            "\\xff5"
        );
    }

    #[test]
    fn ids_go_into_paths_only_as_one_plain_segment() {
        for good in ["62005166008", "~", "abc-DEF_1"] {
            assert!(valid_id(good), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../../../../../../admin",
            "%2e%2e",
            "%2E%2E",
            "a/b",
            "a\\b",
            "1.5",
            "-",
            "a b",
            "a?b",
            "a#b",
            "\u{0}",
            "é",
            &"1".repeat(65),
        ] {
            if bad != "-" {
                assert!(!valid_id(bad), "{bad:?}");
            }
            let endpoint = Endpoint::ForwardingNumbers(bad.to_owned());
            let path = endpoint.path();
            let rest = path
                .strip_prefix("/restapi/v1.0/account/~/extension/")
                .and_then(|r| r.strip_suffix("/forwarding-number"))
                .expect("one segment");
            assert!(
                !rest.contains(['/', '.', '\\', '?', '#']),
                "{bad:?}: {path}"
            );
        }
    }

    #[tokio::test]
    async fn no_request_leaves_the_accounts_path() {
        let server = Server::parse("https://example.com/proxy/").expect("server");
        let api = Api::new(
            server,
            Credentials::Token(Secret::new("t")),
            Tuning::default(),
            std::sync::Arc::new(crate::progress::Silent),
        )
        .expect("api");
        let url = api
            .endpoint_url(&Endpoint::ForwardingNumbers("42".into()))
            .expect("a plain id");
        assert_eq!(
            url.as_str(),
            "https://example.com/proxy/restapi/v1.0/account/~/extension/42/forwarding-number"
        );
        for bad in ["../../../../../../admin", "..", ".", "%2e%2e", "a/b"] {
            for endpoint in [
                Endpoint::Extension(bad.into()),
                Endpoint::ExtensionPhoneNumbers(bad.into()),
                Endpoint::ForwardingNumbers(bad.into()),
            ] {
                let refused = api.endpoint_url(&endpoint).expect_err(bad);
                assert!(matches!(refused, Failure::Refused { .. }), "{refused}");
            }
        }
    }

    #[test]
    fn long_server_messages_are_cut() {
        let body = format!(r#"{{"errorCode":"X","message":"{}"}}"#, "é".repeat(5000));
        let (_, message) = error_details(body.as_bytes());
        let message = message.expect("a message");
        assert!(message.len() <= MAX_MESSAGE + 3, "{}", message.len());
    }

    #[test]
    fn endpoints_name_their_group_and_request() {
        let forwarding = Endpoint::ForwardingNumbers("42".into());
        assert_eq!(
            forwarding.request(),
            "GET /restapi/v1.0/account/~/extension/42/forwarding-number"
        );
        assert_eq!(forwarding.group(), Group::Light);
        assert_eq!(Endpoint::Extensions.group(), Group::Medium);
        assert_eq!(Endpoint::AccountPhoneNumbers.group(), Group::Heavy);
    }
}
