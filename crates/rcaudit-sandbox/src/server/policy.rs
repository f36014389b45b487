//! The policy layer in front of every API handler. A request goes
//! through it in one fixed order: count it, decide its faults, charge it
//! to its rate-limit bucket, delay it, then answer with a fault, a 429, a
//! 401/403, or the handler's answer, and finally add the rate-limit
//! headers (`docs/api-facts.md`, Rate limits).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::accept::DropConnection;
use super::{App, Endpoint};
use crate::auth;
use crate::error::ApiError;
use crate::faults::Action;
use crate::rate::{Group, seconds_text};
use crate::stats::FaultKind;

/// Marks a list request whose answer leaves out `navigation` (the
/// `--no-navigation-rate` fault), set by [`policy`] for the handler.
#[derive(Debug, Clone, Copy)]
pub struct OmitNavigation;

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
pub(super) async fn policy(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
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
