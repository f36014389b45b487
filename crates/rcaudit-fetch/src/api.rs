//! Requests to the RingCentral REST API: authentication, the rate-limit
//! gates, retries, paging.

use std::time::Duration;

use reqwest::header::{self, HeaderMap};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::limits::{Group, Limits, Observed, Permit};
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

impl Endpoint {
    pub fn path(&self) -> String {
        const ACCOUNT: &str = "/restapi/v1.0/account/~";
        match self {
            Endpoint::Account => ACCOUNT.to_owned(),
            Endpoint::ServiceInfo => format!("{ACCOUNT}/service-info"),
            Endpoint::Extensions => format!("{ACCOUNT}/extension"),
            Endpoint::Extension(id) => format!("{ACCOUNT}/extension/{id}"),
            Endpoint::ExtensionPhoneNumbers(id) => format!("{ACCOUNT}/extension/{id}/phone-number"),
            Endpoint::AccountPhoneNumbers => format!("{ACCOUNT}/phone-number"),
            Endpoint::ForwardingNumbers(id) => {
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
}

impl Failure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Api { status, .. } => Some(*status),
            Failure::Transient { status, .. } => *status,
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
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            attempts: 5,
            backoff: Duration::from_millis(500),
            max_rejections: 10,
            timeout: Duration::from_secs(60),
            per_page: 1000,
        }
    }
}

/// When `Retry-After` is absent from a 429 (API-FACTS §3).
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
}

/// `X-Rate-Limit-*` and `Retry-After`, read case-insensitively; seconds may
/// be fractional.
fn observe(headers: &HeaderMap, status: StatusCode) -> Observed {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let seconds = |name: &str| {
        text(name)
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    };
    let number = |name: &str| text(name).and_then(|t| t.parse::<u32>().ok());
    Observed {
        limit: number("x-rate-limit-limit"),
        remaining: number("x-rate-limit-remaining"),
        window: seconds("x-rate-limit-window"),
        rejected_for: (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| seconds("retry-after").unwrap_or(DEFAULT_RETRY_AFTER)),
    }
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
    (code, message)
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
            limits: Limits::new(None),
            tuning,
            progress,
            retries: std::sync::atomic::AtomicU64::new(0),
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
        state.expires_at = (!lifetime.is_zero()).then(|| now + lifetime);
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
            }
        }
    }

    async fn permit(&self, group: Group) -> Result<Permit, Failure> {
        self.limits.acquire(group).await.ok_or(Failure::Transient {
            status: None,
            message: "the rate-limit gate stopped".to_owned(),
        })
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
        let status = response.status();
        let observed = observe(response.headers(), status);
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        let body = response.bytes().await;
        permit.finish(observed);
        if status == StatusCode::TOO_MANY_REQUESTS {
            self.progress.rejected();
            return Answer::Rejected;
        }
        let body = match body {
            Ok(body) => body.to_vec(),
            Err(error) => {
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
            Answer::Retry(
                retry_after,
                Failure::Transient {
                    status: Some(status.as_u16()),
                    message: message.unwrap_or_else(|| status_text(status)),
                },
            )
        } else {
            Answer::Error { status, body }
        }
    }

    /// `GET` an endpoint: waits at its group's gate, retries what is
    /// transient, renews an expired token once.
    pub async fn get(
        &self,
        endpoint: &Endpoint,
        query: &[(&str, String)],
    ) -> Result<Vec<u8>, Failure> {
        let mut url = self.url(&endpoint.path())?;
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
        serde_json::from_slice::<Box<RawValue>>(&body).map_err(|e| invalid(endpoint, &e))
    }

    /// `GET` every page of a list, concatenating the records in API order.
    ///
    /// Paging stops at the first of: an empty page, a page shorter than the
    /// `perPage` the server answered with, `paging.totalPages` reached, a
    /// page identical to the previous one, 1000 pages (the paging model's
    /// maximum), or, when the server does not say `totalPages`, a
    /// `navigation` without `nextPage`. A response without `navigation`
    /// (optional on most lists) says nothing about a next page, so a full
    /// page is followed by the next. Mock servers announce a next page
    /// forever; this still ends.
    pub async fn list(&self, endpoint: &Endpoint) -> Result<Vec<Box<RawValue>>, Failure> {
        let mut records = Vec::new();
        let mut previous: Option<Vec<Box<RawValue>>> = None;
        for page in 1..=MAX_PAGES {
            let query = [
                ("page", page.to_string()),
                ("perPage", self.tuning.per_page.to_string()),
            ];
            let body = self.get(endpoint, &query).await?;
            let parsed: Page = serde_json::from_slice(&body).map_err(|e| invalid(endpoint, &e))?;
            let batch = parsed.records.unwrap_or_default();
            let same = previous.as_ref().is_some_and(|p| {
                p.len() == batch.len() && p.iter().zip(&batch).all(|(a, b)| a.get() == b.get())
            });
            if same {
                break;
            }
            let per_page = parsed
                .paging
                .as_ref()
                .and_then(|p| p.per_page)
                .filter(|&n| n > 0)
                .unwrap_or(i64::from(self.tuning.per_page));
            let last_page = parsed.paging.as_ref().and_then(|p| p.total_pages);
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
                break;
            }
        }
        Ok(records)
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

enum Answer {
    Ok(Vec<u8>),
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
