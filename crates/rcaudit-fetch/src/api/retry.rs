//! Sending a `GET`: the wait at the group's gate, the bearer token, and
//! the retries: transient failures again after a backoff with random
//! jitter, 429s again after the gate's pause, a rejected token renewed.

use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header;

use super::response::Answer;
use super::{Api, Endpoint, Failure, error_details, status_text};
use crate::limits::{GateError, Group, Permit};

/// The jitter of backoffs: a `SplitMix64` sequence seeded from the
/// process's random hashing keys (`RandomState`, which the standard library
/// seeds from the operating system), so retries of many requests, and of
/// several fetches at once, spread out instead of coming back together.
#[derive(Debug)]
pub(super) struct Jitter(AtomicU64);

/// `SplitMix64`'s increment (the golden ratio in 64 bits).
const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

impl Jitter {
    /// A sequence with a random start.
    pub(super) fn new() -> Jitter {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        // The time too, should the keys ever be fixed.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        Jitter(AtomicU64::new(hasher.finish()))
    }

    /// The next value, uniform in `[0, 1)`.
    pub(super) fn next(&self) -> f64 {
        let state = self
            .0
            .fetch_add(GOLDEN, Ordering::Relaxed)
            .wrapping_add(GOLDEN);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The top 52 bits as the mantissa of a number in [1, 2), less 1.
        f64::from_bits((0x3FF << 52) | (z >> 12)) - 1.0
    }
}

impl Api {
    /// Waits at `group`'s gate; a refusal becomes the request's failure.
    pub(super) async fn permit(&self, group: Group) -> Result<Permit, Failure> {
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

    /// Sleeps before another attempt: the server's hint when it gave one,
    /// else half the exponential backoff plus up to as much again at random.
    pub(super) async fn backoff(&self, attempt: u32, hint: Option<Duration>) {
        self.retries
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let exp = self
            .tuning
            .backoff
            .saturating_mul(1 << attempt.min(5))
            .min(Duration::from_secs(8));
        // Random jitter, so the retries of many requests spread out.
        let jitter = exp.mul_f64(self.jitter.next() / 2.0);
        tokio::time::sleep(hint.unwrap_or(exp / 2 + jitter)).await;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_random_and_within_its_range() {
        let jitter = Jitter::new();
        let values: Vec<f64> = (0..1000).map(|_| jitter.next()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)), "{values:?}");
        let mut distinct = values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), values.len(), "values repeat");
        // Spread over the range, not bunched (as clock nanoseconds that
        // are whole microseconds would be: always 0).
        let low = values.iter().filter(|&&v| v < 0.5).count();
        assert!((350..=650).contains(&low), "{low} of 1000 below 0.5");
        // Two sequences (two fetches) start apart.
        let other = Jitter::new();
        let firsts: Vec<f64> = (0..8).map(|_| other.next()).collect();
        assert_ne!(firsts[..], values[..8]);
    }
}
