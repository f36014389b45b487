//! The OAuth token endpoint, `POST /restapi/oauth/token`: the JWT grant
//! and the refresh grant, with the real API's error bodies
//! (`docs/api-facts.md`, Authentication).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use serde::Serialize;

use super::App;
use super::handlers::{Answer, ok_json};
use crate::auth;
use crate::error::ApiError;

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

pub(super) async fn token(
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
