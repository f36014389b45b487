//! The client of the RingCentral REST API a fetch uses ([`Api`]), one
//! module per job:
//!
//! - [`endpoint`]: the endpoints read, their paths and usage-plan groups,
//!   and which ids may go into a path;
//! - [`failure`]: why a request did not succeed, and the server's error
//!   bodies in every shape;
//! - [`tuning`]: attempts, backoff, time limits, caps;
//! - [`auth`]: the bearer token or the JWT grant, renewed;
//! - [`response`]: rate headers, the capped body, the answer classified;
//! - [`retry`]: one `GET` through the gate, with retries and jittered
//!   backoff;
//! - [`paging`]: one record, or every page of a list.
//!
//! This file holds the client itself and the one check every request
//! passes: its URL stays under the account's path on the server.

mod auth;
mod endpoint;
mod failure;
mod paging;
mod response;
mod retry;
mod tuning;

use std::time::Duration;

use reqwest::Url;
use tokio::sync::Mutex;

use crate::limits::Limits;
use crate::progress::Progress;
use crate::server::Server;

pub use auth::Credentials;
use auth::TokenState;
pub use endpoint::{ACCOUNT, Endpoint, valid_id};
pub use failure::{Failure, error_details};
use failure::{describe, status_text};
use response::LARGE_BODIES;
use retry::Jitter;
pub use tuning::{DEFAULT_MAX_BODY, DEFAULT_MAX_WAIT, Tuning};

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
    /// Slots for bodies beyond [`response::SMALL_BODY`]: however many requests are
    /// in flight, only this many hold large bodies at once.
    large_bodies: tokio::sync::Semaphore,
    /// The random part of backoffs.
    jitter: Jitter,
}

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
            jitter: Jitter::new(),
        })
    }

    pub fn retries(&self) -> u64 {
        self.retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn url(&self, path: &str) -> Result<Url, Failure> {
        self.server.url(path).map_err(|message| Failure::Transient {
            status: None,
            message,
        })
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

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
}
