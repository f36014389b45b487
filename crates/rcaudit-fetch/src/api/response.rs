//! Reading a response: the rate-limit and `Retry-After` headers (checked
//! arithmetic: a hostile value is absent or a wait without end, never a
//! panic), the body up to its cap, and the answer classified for the
//! retry loop (`docs/api-facts.md`, Rate limits).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::{Api, Failure, describe, error_details, status_text};
use crate::limits::{Observed, Permit, whole_seconds};

/// When `Retry-After` is absent from a 429 (`docs/api-facts.md`, Rate limits).
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// A body up to this size is read without a slot for large bodies.
pub(super) const SMALL_BODY: u64 = 1024 * 1024;

/// Bodies larger than [`SMALL_BODY`] read at once: with 256 requests in
/// flight, at most 256 MiB of small bodies and 4 large ones in memory.
pub(super) const LARGE_BODIES: usize = 4;

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

/// Why a body was not read.
enum BodyError {
    /// Larger than allowed.
    TooLarge,
    Read(reqwest::Error),
}

pub(super) enum Answer {
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

impl Api {
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
    pub(super) async fn answer(
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DEFAULT_MAX_WAIT;

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
}
