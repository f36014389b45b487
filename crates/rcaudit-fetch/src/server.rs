//! The API server: HTTPS only, except on loopback addresses (the sandbox,
//! tests), so a token never crosses a network in clear text.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

/// The production server (`docs/api-facts.md`, Endpoints).
pub const PRODUCTION: &str = "https://platform.ringcentral.com";

/// A checked base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    base: Url,
    loopback: bool,
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// How a server URL may be shown in a message: scheme, host, port and path
/// only, as user info, query and fragment may hold secrets (`user:pw@`,
/// `?access_token=`).
fn shown(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(url) => {
            let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!(
                "{}://{}{port}{}",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.path().trim_end_matches('/')
            )
        }
        Err(_) if text.contains(['@', '?', '#']) => "the server URL".to_owned(),
        Err(_) => text.trim().to_owned(),
    }
}

impl Server {
    /// Parses `https://host[:port]`, or `http://` on a loopback address.
    /// Errors never repeat the URL's user info, query or fragment.
    pub fn parse(text: &str) -> Result<Server, String> {
        let shown = shown(text);
        let base = Url::parse(text.trim()).map_err(|e| format!("`{shown}` is not a URL: {e}"))?;
        if !base.username().is_empty() || base.password().is_some() {
            return Err(format!(
                "`{shown}` carries credentials in the URL; give them in the environment instead"
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(format!(
                "`{shown}` has a query or fragment; give the server's base URL"
            ));
        }
        let loopback = is_loopback(&base);
        match base.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(format!(
                    "`{shown}` is plain HTTP: the token would cross the network unencrypted; use https:// (plain http is allowed only on loopback addresses such as 127.0.0.1)"
                ));
            }
            other => return Err(format!("`{shown}`: the scheme `{other}` is not https")),
        }
        if base.host().is_none() {
            return Err(format!("`{shown}` has no host"));
        }
        Ok(Server { base, loopback })
    }

    /// Whether the host is a loopback address (where plain HTTP is allowed).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// The URL of an absolute API path (`/restapi/...`), under the base's
    /// own path if it has one.
    pub fn url(&self, path: &str) -> Result<Url, String> {
        let mut url = self.base.clone();
        let joined = format!("{}{path}", self.base.path().trim_end_matches('/'));
        url.set_path(&joined);
        Ok(url)
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base.as_str().trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for good in [
            "https://platform.ringcentral.com",
            "https://platform.devtest.ringcentral.com/",
            "http://127.0.0.1:8080",
            "http://localhost:3000",
            "http://[::1]:9",
        ] {
            assert!(Server::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "http://platform.ringcentral.com",
            "http://10.0.0.5:8080",
            "ftp://127.0.0.1",
            "https://user:pw@platform.ringcentral.com",
            "not a url",
            "https://platform.ringcentral.com/?token=x",
        ] {
            assert!(Server::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_never_repeat_secrets_in_the_url() {
        for bad in [
            "http://alice:S3CRET@example.com",
            "https://alice:S3CRET@example.com",
            "https://example.com/?access_token=S3CRET",
            "https://example.com/#S3CRET",
            "http://example.com/?S3CRET",
            "ftp://u:S3CRET@127.0.0.1",
            "https://a b:S3CRET@exa mple.com",
        ] {
            let error = Server::parse(bad).expect_err(bad);
            assert!(!error.contains("S3CRET"), "{bad}: {error}");
        }
        let error = Server::parse("http://alice:S3CRET@example.com").expect_err("bad");
        assert!(error.contains("`http://example.com`"), "{error}");
    }

    #[test]
    fn paths_join_under_the_base() {
        let server = Server::parse("https://example.com/proxy/").expect("valid");
        assert_eq!(
            server.url("/restapi/v1.0/account/~").expect("url").as_str(),
            "https://example.com/proxy/restapi/v1.0/account/~"
        );
        assert_eq!(server.to_string(), "https://example.com/proxy");
        let plain = Server::parse(PRODUCTION).expect("valid");
        assert_eq!(plain.to_string(), PRODUCTION);
    }
}
