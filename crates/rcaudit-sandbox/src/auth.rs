//! Access and refresh tokens (`docs/api-facts.md`, Authentication).
//!
//! Tokens issued by `POST /restapi/oauth/token` are remembered: they are
//! accepted until they expire (401 OAU-128 after), and a refresh revokes the
//! access token it replaces (401 OAU-129 after). Refresh tokens are single
//! use. Any other bearer token is accepted unless `--require-token` is set.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::ApiError;
use crate::rng::mix;

/// Refresh token lifetime, as the real API gives it (7 days).
pub const REFRESH_TTL: Duration = Duration::from_secs(604_800);

#[derive(Debug)]
struct Access {
    expires: Instant,
    revoked: bool,
}

#[derive(Debug)]
struct Refresh {
    access: String,
    expires: Instant,
    session: String,
}

#[derive(Debug, Default)]
struct Store {
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
}

/// A newly issued token pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The access token.
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// The session the pair belongs to (kept across refreshes).
    pub session_id: String,
}

/// The token store.
#[derive(Debug)]
pub struct Tokens {
    ttl: Duration,
    require: Option<String>,
    counter: AtomicU64,
    salt: u64,
    store: Mutex<Store>,
}

impl Tokens {
    /// A store issuing access tokens that live `ttl`; `require`: the only
    /// non-issued token accepted (`None`: any).
    pub fn new(ttl: Duration, require: Option<String>) -> Self {
        let salt = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| {
                u64::try_from(d.as_nanos() & u128::from(u64::MAX)).unwrap_or(0)
            });
        Self {
            ttl,
            require,
            counter: AtomicU64::new(1),
            salt,
            store: Mutex::new(Store::default()),
        }
    }

    /// The access token lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    fn fresh(&self, kind: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!(
            "SBX{kind}{n:06}{:016x}{:016x}",
            mix(self.salt ^ n),
            mix(n ^ self.salt.rotate_left(17))
        )
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Issues a new pair (JWT grant): a new session.
    pub fn issue(&self, now: Instant) -> Issued {
        let session = self.fresh("SE");
        self.issue_in(session, now)
    }

    fn issue_in(&self, session_id: String, now: Instant) -> Issued {
        let access_token = self.fresh("AT");
        let refresh_token = self.fresh("RT");
        let mut store = self.lock();
        store.access.insert(
            access_token.clone(),
            Access {
                expires: now + self.ttl,
                revoked: false,
            },
        );
        store.refresh.insert(
            refresh_token.clone(),
            Refresh {
                access: access_token.clone(),
                expires: now + REFRESH_TTL,
                session: session_id.clone(),
            },
        );
        drop(store);
        Issued {
            access_token,
            refresh_token,
            session_id,
        }
    }

    /// Redeems a refresh token (single use): revokes the access token it
    /// was issued with and issues a new pair in the same session.
    pub fn refresh(&self, token: &str, now: Instant) -> Option<Issued> {
        let mut store = self.lock();
        let old = store.refresh.remove(token)?;
        if now >= old.expires {
            return None;
        }
        if let Some(a) = store.access.get_mut(&old.access) {
            a.revoked = true;
        }
        drop(store);
        Some(self.issue_in(old.session, now))
    }

    /// Whether a bearer token stands for the viewer (the one user the
    /// sandbox has), for rate limiting: a token it issued (even expired or
    /// replaced: it still names the user), or one it accepts without having
    /// issued it (any non-empty token, or only `--require-token`'s).
    pub fn stands_for_viewer(&self, token: &str) -> bool {
        if token.is_empty() {
            return false;
        }
        if self.lock().access.contains_key(token) {
            return true;
        }
        self.require.as_deref().is_none_or(|r| r == token)
    }

    /// Checks the `Authorization` header of an API request.
    pub fn authorize(&self, header: Option<&str>, now: Instant) -> Result<(), ApiError> {
        let token = header
            .and_then(bearer)
            .ok_or_else(|| ApiError::new(401, "OAU-151", "Authorization method not supported"))?;
        let corrupted = || ApiError::new(401, "OAU-129", "Access token corrupted");
        if let Some(a) = self.lock().access.get(token) {
            if a.revoked {
                return Err(corrupted());
            }
            if now >= a.expires {
                return Err(ApiError::new(401, "OAU-128", "Access token expired"));
            }
            return Ok(());
        }
        match &self.require {
            Some(required) if required != token => Err(corrupted()),
            _ if token.is_empty() => Err(corrupted()),
            _ => Ok(()),
        }
    }
}

/// The token of a `Bearer` authorization (scheme case-insensitive).
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

/// The client id of a `Basic` authorization, if it is well formed
/// (`base64(id:secret)` with a non-empty id).
pub fn basic_client_id(header: &str) -> Option<String> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(rest.trim())?).ok()?;
    let (id, _secret) = decoded.split_once(':')?;
    (!id.is_empty()).then(|| id.to_owned())
}

/// The first value of the field `name` in an
/// `application/x-www-form-urlencoded` body (`+` and `%XX` decoded; invalid
/// escapes are kept as they are).
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|&b| b == b'&').find_map(|pair| {
        let mut kv = pair.splitn(2, |&b| b == b'=');
        let key = form_decode(kv.next()?);
        (key == name).then(|| form_decode(kv.next().unwrap_or_default()))
    })
}

fn form_decode(raw: &[u8]) -> String {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let pair = raw
                    .get(i + 1)
                    .copied()
                    .and_then(hex)
                    .zip(raw.get(i + 2).copied().and_then(hex));
                if let Some((hi, lo)) = pair {
                    out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                    i += 2;
                } else {
                    out.push(b);
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `s` looks like a JWT: three dot-separated base64url segments,
/// the first two non-empty.
pub fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    let b64url = |p: &&str| {
        p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    };
    matches!(parts.as_slice(), [h, p, sig] if !h.is_empty() && !p.is_empty() && [h, p, sig].iter().all(|x| b64url(x)))
}

/// Standard base64 (padding optional).
fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        }))
    };
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xFF).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header() {
        // base64("client:secret")
        assert_eq!(
            basic_client_id("Basic Y2xpZW50OnNlY3JldA=="),
            Some("client".into())
        );
        assert_eq!(
            basic_client_id("basic Y2xpZW50OnNlY3JldA"),
            Some("client".into())
        );
        assert_eq!(basic_client_id("Bearer Y2xpZW50OnNlY3JldA=="), None);
        // base64("nocolon")
        assert_eq!(basic_client_id("Basic bm9jb2xvbg=="), None);
        assert_eq!(basic_client_id("Basic !!!"), None);
    }

    #[test]
    fn form_fields() {
        let body = b"grant_type=refresh_token&client_id=my+app%2F1&client_id=second&x";
        assert_eq!(form_field(body, "client_id"), Some("my app/1".into()));
        assert_eq!(form_field(body, "grant_type"), Some("refresh_token".into()));
        assert_eq!(form_field(body, "x"), Some(String::new()));
        assert_eq!(form_field(body, "missing"), None);
        assert_eq!(
            form_field(b"client%5Fid=a%zz%", "client_id"),
            Some("a%zz%".into())
        );
        assert_eq!(form_field(b"", "client_id"), None);
    }

    #[test]
    fn who_a_token_stands_for() {
        let t0 = Instant::now();
        let open = Tokens::new(Duration::from_secs(1), None);
        assert!(open.stands_for_viewer("anything"));
        assert!(!open.stands_for_viewer(""));
        let strict = Tokens::new(Duration::from_secs(1), Some("s3cret".into()));
        assert!(strict.stands_for_viewer("s3cret"));
        assert!(!strict.stands_for_viewer("other"));
        let issued = strict.issue(t0);
        let renewed = strict
            .refresh(&issued.refresh_token, t0)
            .expect("a fresh refresh token");
        // The replaced token is rejected but still names the viewer.
        assert!(strict.stands_for_viewer(&issued.access_token));
        assert!(strict.stands_for_viewer(&renewed.access_token));
    }

    #[test]
    fn jwt_shape() {
        assert!(looks_like_jwt("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"));
        assert!(looks_like_jwt("a.b."));
        assert!(!looks_like_jwt("a.b"));
        assert!(!looks_like_jwt(".b.c"));
        assert!(!looks_like_jwt("a.b c.d"));
        assert!(!looks_like_jwt(""));
    }

    #[test]
    fn bearer_header() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
