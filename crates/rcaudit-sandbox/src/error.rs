//! API error bodies, shaped as `RingCentral` sends them.
//!
//! Every error is `{"errors":[{"errorCode","message"}],"errorCode","message"}`:
//! the documented `errors[]` array plus the legacy top-level fields real
//! responses have been seen to carry (`docs/api-facts.md`, Errors). OAuth errors add the
//! RFC 6749 `error` and `error_description`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// An error answer: status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// `RingCentral` error code, e.g. `CMN-102`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// The parameter the error is about (`parameterName`), if any.
    pub parameter: Option<String>,
    /// The OAuth `error` value (token endpoint only).
    pub oauth: Option<&'static str>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_owned(),
            message: message.into(),
            parameter: None,
            oauth: None,
        }
    }

    /// Names the parameter the error is about.
    #[must_use]
    pub fn with_parameter(mut self, name: &str) -> Self {
        self.parameter = Some(name.to_owned());
        self
    }

    /// Marks an OAuth error with its RFC 6749 `error` value.
    #[must_use]
    pub fn with_oauth(mut self, error: &'static str) -> Self {
        self.oauth = Some(error);
        self
    }

    /// 404 CMN-102 for a path parameter that names nothing.
    pub fn not_found(parameter: &str) -> Self {
        Self::new(
            404,
            "CMN-102",
            format!("Resource for parameter [{parameter}] is not found"),
        )
        .with_parameter(parameter)
    }

    /// 400 CMN-101 for an invalid query parameter.
    pub fn invalid_parameter(parameter: &str) -> Self {
        Self::new(
            400,
            "CMN-101",
            format!("Parameter [{parameter}] value is invalid."),
        )
        .with_parameter(parameter)
    }

    /// 403 CMN-408: the user lacks a role permission.
    pub fn user_permission(permission: &str) -> Self {
        Self::new(
            403,
            "CMN-408",
            format!("[{permission}] permission required"),
        )
    }

    /// 403 CMN-401: the application lacks a scope.
    pub fn app_permission(permission: &str) -> Self {
        Self::new(
            403,
            "CMN-401",
            format!(
                "In order to call this API endpoint, application needs to have [{permission}] permission"
            ),
        )
    }

    /// 429 CMN-301.
    pub fn rate_exceeded() -> Self {
        Self::new(429, "CMN-301", "Request rate exceeded")
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        let item = Item {
            error_code: &self.code,
            message: &self.message,
            parameter_name: self.parameter.as_deref(),
        };
        let body = Body {
            error: self.oauth,
            error_description: self.oauth.map(|_| self.message.as_str()),
            errors: [item],
            error_code: &self.code,
            message: &self.message,
        };
        serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item<'a> {
    error_code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    parameter_name: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "error_description")]
    error_description: Option<&'a str>,
    errors: [Item<'a>; 1],
    error_code: &'a str,
    message: &'a str,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, self.body())
    }
}

/// A response with a JSON body.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
