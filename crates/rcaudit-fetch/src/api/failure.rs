//! Why a request did not succeed ([`Failure`]), and what the server's
//! error bodies and the transport's errors say, made fit for a message.

use reqwest::StatusCode;
use serde::Deserialize;

/// Why a request did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error that asking again will not fix.
    Api {
        /// The HTTP status.
        status: u16,
        /// The API's error code (`CMN-419`, ...), when the body had one.
        code: Option<String>,
        /// The server's message (at most 1000 bytes), or the status's
        /// reason phrase.
        message: String,
    },
    /// No usable answer after retrying: network errors, timeouts, 5xx,
    /// or a response that is not what the specification describes.
    Transient {
        /// The HTTP status of the last attempt, if it got one.
        status: Option<u16>,
        /// What went wrong, with the number of attempts.
        message: String,
    },
    /// The credentials were rejected: nothing else can succeed either.
    Unauthorized(String),
    /// The fetch would not send the request or take the answer: a wait
    /// longer than allowed, an answer too large, a list whose paging does
    /// not end, an id that is not one. Not retried.
    Refused {
        /// The HTTP status of the answer not taken, if there was one.
        status: Option<u16>,
        /// Why, naming the option that sets the limit.
        message: String,
    },
}

impl Failure {
    /// The HTTP status, when there was one (401 for rejected credentials).
    pub fn status(&self) -> Option<u16> {
        match self {
            Failure::Api { status, .. } => Some(*status),
            Failure::Transient { status, .. } | Failure::Refused { status, .. } => *status,
            Failure::Unauthorized(_) => Some(401),
        }
    }

    /// The API's error code, when the server gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Failure::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The failure, saying how many attempts it took (for transient ones).
    pub(super) fn after(self, attempts: u32) -> Failure {
        match self {
            Failure::Transient { status, message } if attempts > 1 => Failure::Transient {
                status,
                message: format!("{message} (after {attempts} attempts)"),
            },
            other => other,
        }
    }

    /// The message, without status or code.
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

/// A `Failure` is an error like any other: `?` turns it into a
/// `Box<dyn Error>`, and error reporters print it with its
/// [`Display`](std::fmt::Display). It has no source: its message says it
/// all.
impl std::error::Error for Failure {}

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

pub(super) fn status_text(status: StatusCode) -> String {
    status
        .canonical_reason()
        .map_or_else(|| status.as_u16().to_string(), str::to_owned)
}

/// Describes a reqwest error without the URL's query or anything secret.
pub(super) fn describe(error: &reqwest::Error) -> String {
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
    fn long_server_messages_are_cut() {
        let body = format!(r#"{{"errorCode":"X","message":"{}"}}"#, "é".repeat(5000));
        let (_, message) = error_details(body.as_bytes());
        let message = message.expect("a message");
        assert!(message.len() <= MAX_MESSAGE + 3, "{}", message.len());
    }

    #[test]
    fn failures_are_errors_that_display_status_code_and_message() {
        let failure = Failure::Api {
            status: 403,
            code: Some("CMN-419".to_owned()),
            message: "needs permission".to_owned(),
        };
        let error: Box<dyn std::error::Error> = Box::new(failure);
        assert_eq!(error.to_string(), "403 CMN-419: needs permission");
        assert!(error.source().is_none());
        let transient = Failure::Transient {
            status: None,
            message: "timed out".to_owned(),
        };
        assert_eq!(transient.to_string(), "timed out");
    }
}
