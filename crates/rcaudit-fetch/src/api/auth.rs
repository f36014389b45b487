//! Authentication: a fixed bearer token, or the JWT grant at the token
//! endpoint, renewed ahead of expiry (by the refresh token when there is
//! one) and once more when the server rejects it
//! (`docs/api-facts.md`, Authentication).

use std::time::Duration;

use reqwest::header;
use serde::Deserialize;
use tokio::time::Instant;

use super::response::Answer;
use super::{Api, Failure, error_details, status_text};
use crate::limits::Group;
use crate::secret::Secret;

/// How the fetch authenticates. Secrets come from the environment or a
/// file (the CLI reads them), never from the command line.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// An access token obtained elsewhere (`RINGCENTRAL_TOKEN`).
    Token(Secret),
    /// The JWT grant: the app's client id and secret, and the user's JWT
    /// credential. Tokens are obtained, and renewed when they expire.
    Jwt {
        /// The app's client id (not secret).
        client_id: String,
        /// The app's client secret.
        client_secret: Secret,
        /// The user's JWT credential.
        jwt: Secret,
    },
}

/// The current token of a JWT grant, and when to renew it.
#[derive(Debug, Default)]
pub(super) struct TokenState {
    access: Option<Secret>,
    refresh: Option<Secret>,
    expires_at: Option<Instant>,
    lifetime: Duration,
    scope: Option<String>,
    /// Bumped on every new token, so a 401 renews a token only once.
    generation: u64,
}

/// The fields of `TokenInfo` the fetch uses.
#[derive(Deserialize)]
struct TokenInfo {
    access_token: String,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

impl Api {
    /// The scope of the token, when the token endpoint said it.
    pub async fn scope(&self) -> Option<String> {
        self.token.lock().await.scope.clone()
    }

    /// A bearer token and its generation.
    pub(super) async fn bearer(&self) -> Result<(Secret, u64), Failure> {
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
    pub(super) async fn invalidate(&self, generation: u64) -> bool {
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
}
